//! Organisms, users, groups, memberships, API tokens and the authorization check.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::accession::validate_prefix;
use crate::db::{AuditEntry, Store, audit, get, unique_as_exists};
use crate::error::{Result, StoreError};
use crate::model::{Action, GroupId, OrganismId, Role, TokenId, UserId};

/// A user account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The account's id.
    pub id: UserId,
    /// The login name.
    pub name: String,
    /// Whether the user administers the instance (organisms, all groups).
    pub is_admin: bool,
}

/// An organism registered in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organism {
    /// The organism's id.
    pub id: OrganismId,
    /// Its name, as in the organism configuration (`sars-cov-2`).
    pub name: String,
    /// Upper-case letters that begin its accessions.
    pub accession_prefix: String,
}

/// A user's role in a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    /// The group.
    pub group: GroupId,
    /// The group's name.
    pub group_name: String,
    /// The member.
    pub user: UserId,
    /// The member's login name.
    pub user_name: String,
    /// What the member may do in the group.
    pub role: Role,
}

/// How often a token's last use is written (a write per request would make every read a write).
const TOKEN_USE_RECORDED_EVERY_MS: i64 = 60_000;

/// Prefix of plain API tokens, so leaked tokens are recognisable.
pub const TOKEN_PREFIX: &str = "vrn_";

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

fn hash_password(password: &str) -> Result<String> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| StoreError::Password(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Password(e.to_string()))
}

fn user_from_row(row: &sqlx::any::AnyRow) -> Result<User> {
    Ok(User {
        id: UserId(get(row, "id")?),
        name: get(row, "name")?,
        is_admin: get::<i64>(row, "is_admin")? == 1,
    })
}

impl Store {
    /// Registers an organism; `reference` is its reference sequence, the compression
    /// dictionary of all its sequences (so it must never change afterwards).
    pub async fn add_organism(
        &self,
        name: &str,
        accession_prefix: &str,
        reference: &[u8],
    ) -> Result<OrganismId> {
        validate_prefix(accession_prefix)?;
        let row = sqlx::query(
            "INSERT INTO organisms (name, accession_prefix, reference, created_at) \
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(name)
        .bind(accession_prefix)
        .bind(reference.to_vec())
        .bind(self.now_ms())
        .fetch_one(&self.pool)
        .await
        .map_err(|e| unique_as_exists(e, "organism or accession prefix", name))?;
        Ok(OrganismId(row.try_get(0)?))
    }

    /// Every registered organism, by name.
    pub async fn organisms(&self) -> Result<Vec<Organism>> {
        let rows = sqlx::query("SELECT id, name, accession_prefix FROM organisms ORDER BY name")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Organism {
                    id: OrganismId(get(r, "id")?),
                    name: get(r, "name")?,
                    accession_prefix: get(r, "accession_prefix")?,
                })
            })
            .collect()
    }

    /// The organism called `name`; `NotFound` if there is none.
    pub async fn organism_by_name(&self, name: &str) -> Result<Organism> {
        self.organisms()
            .await?
            .into_iter()
            .find(|o| o.name == name)
            .ok_or_else(|| StoreError::NotFound { what: "organism", key: name.to_string() })
    }

    /// Creates a local account; `password` is stored as an Argon2id hash (none: token-only).
    pub async fn create_user(&self, name: &str, password: Option<&str>, is_admin: bool) -> Result<UserId> {
        let hash = match password {
            Some(p) => {
                let p = p.to_string();
                Some(
                    tokio::task::spawn_blocking(move || hash_password(&p))
                        .await
                        .expect("hashing panicked")?,
                )
            }
            None => None,
        };
        let row = sqlx::query(
            "INSERT INTO users (name, password_hash, is_admin, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(name)
        .bind(hash)
        .bind(i64::from(is_admin))
        .bind(self.now_ms())
        .fetch_one(&self.pool)
        .await
        .map_err(|e| unique_as_exists(e, "user", name))?;
        Ok(UserId(row.try_get(0)?))
    }

    /// The user with login `name`; `NotFound` if there is none.
    pub async fn user_by_name(&self, name: &str) -> Result<User> {
        let row = sqlx::query("SELECT id, name, is_admin FROM users WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound { what: "user", key: name.to_string() })?;
        user_from_row(&row)
    }

    /// The user with id `id`; `NotFound` if there is none.
    pub async fn user(&self, id: UserId) -> Result<User> {
        let row = sqlx::query("SELECT id, name, is_admin FROM users WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound { what: "user", key: id.0.to_string() })?;
        user_from_row(&row)
    }

    /// The user if `password` matches; `None` for an unknown name or a wrong password alike.
    pub async fn verify_password(&self, name: &str, password: &str) -> Result<Option<User>> {
        let Some(row) = sqlx::query("SELECT id, name, is_admin, password_hash FROM users WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let Some(stored) = get::<Option<String>>(&row, "password_hash")? else {
            return Ok(None);
        };
        let password = password.to_string();
        let ok = tokio::task::spawn_blocking(move || {
            PasswordHash::new(&stored)
                .map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
                .map_err(|_| StoreError::corrupt("users.password_hash", "(not a PHC string)"))
        })
        .await
        .expect("verification panicked")?;
        if ok { Ok(Some(user_from_row(&row)?)) } else { Ok(None) }
    }

    /// Issues an API token for `user`. The plain token is returned once; only its SHA-256 is kept.
    pub async fn create_token(&self, user: UserId, name: &str) -> Result<(TokenId, String)> {
        self.create_token_with_idle_limit(user, name, None).await
    }

    /// [`Store::create_token`] for a token that ends once unused for `idle` (a browser
    /// session); `None`: it lives until revoked.
    pub async fn create_token_with_idle_limit(
        &self,
        user: UserId,
        name: &str,
        idle: Option<std::time::Duration>,
    ) -> Result<(TokenId, String)> {
        let mut secret = [0u8; 32];
        rand::rng().fill_bytes(&mut secret);
        let plain: String = TOKEN_PREFIX
            .chars()
            .chain(secret.iter().flat_map(|b| format!("{b:02x}").chars().collect::<Vec<_>>()))
            .collect();
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "INSERT INTO api_tokens (user_id, name, token_sha256, created_at, last_used_at, idle_limit_ms) \
             VALUES ($1, $2, $3, $4, $4, $5) RETURNING id",
        )
        .bind(user.0)
        .bind(name)
        .bind(sha256_hex(&plain))
        .bind(self.now_ms())
        .bind(idle.map(|d| d.as_millis() as i64))
        .fetch_one(&mut *tx)
        .await?;
        let id = TokenId(row.try_get(0)?);
        let detail = serde_json::json!({ "token_id": id.0, "name": name }).to_string();
        let entry = AuditEntry {
            user: Some(user),
            action: "create_token",
            group: None,
            accession: None,
            version: None,
            detail,
        };
        audit(&mut tx, self.now_ms(), entry).await?;
        tx.commit().await?;
        Ok((id, plain))
    }

    /// The owner of a live token: not revoked, and, for a token with an idle limit, used
    /// within it (its use is then recorded, at most once a minute).
    pub async fn authenticate_token(&self, plain: &str) -> Result<Option<User>> {
        let row = sqlx::query(
            "SELECT u.id, u.name, u.is_admin, t.id AS token_id, t.created_at, t.last_used_at, t.idle_limit_ms \
             FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_sha256 = $1 AND t.revoked_at IS NULL",
        )
        .bind(sha256_hex(plain))
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let now = self.now_ms();
        let last_used = get::<Option<i64>>(&row, "last_used_at")?.unwrap_or(get::<i64>(&row, "created_at")?);
        if let Some(limit) = get::<Option<i64>>(&row, "idle_limit_ms")?
            && now - last_used > limit
        {
            return Ok(None);
        }
        if now - last_used > TOKEN_USE_RECORDED_EVERY_MS {
            sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                .bind(now)
                .bind(get::<i64>(&row, "token_id")?)
                .execute(&self.pool)
                .await?;
        }
        Ok(Some(user_from_row(&row)?))
    }

    /// Revokes one of `user`'s API tokens; `NotFound` if it is not theirs or already revoked.
    pub async fn revoke_token(&self, user: UserId, token: TokenId) -> Result<()> {
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL",
        )
        .bind(self.now_ms())
        .bind(token.0)
        .bind(user.0)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound { what: "token", key: token.0.to_string() });
        }
        Ok(())
    }

    /// Creates a group with `owner` as its first curator.
    pub async fn create_group(&self, name: &str, owner: UserId) -> Result<GroupId> {
        check_name("group", name)?;
        let mut tx = self.begin_write().await?;
        let row = sqlx::query("INSERT INTO groups (name, created_at) VALUES ($1, $2) RETURNING id")
            .bind(name)
            .bind(self.now_ms())
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| unique_as_exists(e, "group", name))?;
        let group = GroupId(row.try_get(0)?);
        sqlx::query("INSERT INTO memberships (group_id, user_id, role) VALUES ($1, $2, $3)")
            .bind(group.0)
            .bind(owner.0)
            .bind(Role::Curator.as_str())
            .execute(&mut *tx)
            .await?;
        let detail = serde_json::json!({ "name": name }).to_string();
        let entry = AuditEntry {
            user: Some(owner),
            action: "create_group",
            group: Some(group),
            accession: None,
            version: None,
            detail,
        };
        audit(&mut tx, self.now_ms(), entry).await?;
        tx.commit().await?;
        Ok(group)
    }

    /// The group called `name`; `NotFound` if there is none.
    pub async fn group_by_name(&self, name: &str) -> Result<GroupId> {
        let row = sqlx::query("SELECT id FROM groups WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound { what: "group", key: name.to_string() })?;
        Ok(GroupId(row.try_get(0)?))
    }

    /// A group's name (public: record pages credit the submitting group).
    pub async fn group_name(&self, group: GroupId) -> Result<String> {
        let row = sqlx::query("SELECT name FROM groups WHERE id = $1")
            .bind(group.0)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound { what: "group", key: group.0.to_string() })?;
        Ok(row.try_get(0)?)
    }

    /// Gives `member` the `role` in `group` (replacing any other); `actor` must manage members.
    pub async fn set_role(&self, actor: UserId, group: GroupId, member: UserId, role: Role) -> Result<()> {
        self.require(actor, Action::ManageMembers, group).await?;
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM memberships WHERE group_id = $1 AND user_id = $2")
            .bind(group.0)
            .bind(member.0)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO memberships (group_id, user_id, role) VALUES ($1, $2, $3)")
            .bind(group.0)
            .bind(member.0)
            .bind(role.as_str())
            .execute(&mut *tx)
            .await?;
        let detail = serde_json::json!({ "member": member.0, "role": role.as_str() }).to_string();
        let entry = AuditEntry {
            user: Some(actor),
            action: "set_role",
            group: Some(group),
            accession: None,
            version: None,
            detail,
        };
        audit(&mut tx, self.now_ms(), entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The local user an identity provider's account (`issuer`, `subject`) signs in as. Its
    /// first login creates the user (without a password: it signs in through the provider),
    /// named `name` if that is free, else `name@host-of-issuer`, else that with a number.
    pub async fn user_for_identity(&self, issuer: &str, subject: &str, name: &str) -> Result<User> {
        let known = sqlx::query("SELECT user_id FROM external_identities WHERE issuer = $1 AND subject = $2")
            .bind(issuer)
            .bind(subject)
            .fetch_optional(&self.pool)
            .await?;
        if let Some(row) = known {
            return self.user(UserId(get(&row, "user_id")?)).await;
        }
        check_name("user name", name)?;
        let host = url_host(issuer);
        let candidates = std::iter::once(name.to_owned())
            .chain(std::iter::once(format!("{name}@{host}")))
            .chain((2..100).map(|n| format!("{name}@{host}-{n}")));
        for candidate in candidates {
            let mut tx = self.begin_write().await?;
            let inserted = sqlx::query(
                "INSERT INTO users (name, password_hash, is_admin, created_at) VALUES ($1, NULL, $2, $3) RETURNING id",
            )
            .bind(candidate.clone())
            .bind(0i64)
            .bind(self.now_ms())
            .fetch_one(&mut *tx)
            .await;
            let id = match inserted {
                Ok(row) => UserId(row.try_get(0)?),
                Err(sqlx::Error::Database(e)) if e.is_unique_violation() => continue,
                Err(e) => return Err(e.into()),
            };
            sqlx::query(
                "INSERT INTO external_identities (issuer, subject, user_id, created_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(issuer)
            .bind(subject)
            .bind(id.0)
            .bind(self.now_ms())
            .execute(&mut *tx)
            .await
            .map_err(|e| unique_as_exists(e, "identity", subject))?;
            let detail = serde_json::json!({ "issuer": issuer, "subject": subject }).to_string();
            audit(&mut tx, self.now_ms(), AuditEntry::account(id, "sign_up_sso", detail)).await?;
            tx.commit().await?;
            return self.user(id).await;
        }
        Err(StoreError::AlreadyExists { what: "user", key: name.to_owned() })
    }

    /// Makes `user`'s memberships granted by `issuer` exactly `grants` (group, role): grants
    /// are added or set, earlier grants of the issuer that are not among them are withdrawn,
    /// and memberships given on the node itself in other groups stay. A grant in a group
    /// where the user already has a local membership takes it over.
    pub async fn sync_granted_memberships(
        &self,
        user: UserId,
        issuer: &str,
        grants: &[(GroupId, Role)],
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let held =
            sqlx::query("SELECT group_id, role FROM memberships WHERE user_id = $1 AND granted_by = $2")
                .bind(user.0)
                .bind(issuer)
                .fetch_all(&mut *tx)
                .await?;
        let mut changes = Vec::new();
        for row in &held {
            let group = GroupId(get(row, "group_id")?);
            if !grants.iter().any(|(g, _)| *g == group) {
                sqlx::query("DELETE FROM memberships WHERE group_id = $1 AND user_id = $2")
                    .bind(group.0)
                    .bind(user.0)
                    .execute(&mut *tx)
                    .await?;
                changes.push(serde_json::json!({ "group": group.0, "role": null }));
            }
        }
        for (group, role) in grants {
            let same = held.iter().any(|row| {
                get::<i64>(row, "group_id").ok() == Some(group.0)
                    && get::<String>(row, "role").ok().as_deref() == Some(role.as_str())
            });
            if same {
                continue;
            }
            sqlx::query("DELETE FROM memberships WHERE group_id = $1 AND user_id = $2")
                .bind(group.0)
                .bind(user.0)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO memberships (group_id, user_id, role, granted_by) VALUES ($1, $2, $3, $4)",
            )
            .bind(group.0)
            .bind(user.0)
            .bind(role.as_str())
            .bind(issuer)
            .execute(&mut *tx)
            .await?;
            changes.push(serde_json::json!({ "group": group.0, "role": role.as_str() }));
        }
        if !changes.is_empty() {
            let detail = serde_json::json!({ "issuer": issuer, "changes": changes }).to_string();
            audit(&mut tx, self.now_ms(), AuditEntry::account(user, "sync_sso_roles", detail)).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Removes `member` from `group` (with an audit entry); `actor` must manage members.
    pub async fn remove_member(&self, actor: UserId, group: GroupId, member: UserId) -> Result<()> {
        self.require(actor, Action::ManageMembers, group).await?;
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM memberships WHERE group_id = $1 AND user_id = $2")
            .bind(group.0)
            .bind(member.0)
            .execute(&mut *tx)
            .await?;
        let detail = serde_json::json!({ "member": member.0 }).to_string();
        let entry = AuditEntry {
            user: Some(actor),
            action: "remove_member",
            group: Some(group),
            accession: None,
            version: None,
            detail,
        };
        audit(&mut tx, self.now_ms(), entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every membership of `user`, or every member of `group`, as asked.
    pub async fn memberships(&self, user: Option<UserId>, group: Option<GroupId>) -> Result<Vec<Membership>> {
        let rows = sqlx::query(
            "SELECT m.group_id, g.name AS group_name, m.user_id, u.name AS user_name, m.role \
             FROM memberships m JOIN groups g ON g.id = m.group_id JOIN users u ON u.id = m.user_id \
             WHERE ($1 IS NULL OR m.user_id = $1) AND ($2 IS NULL OR m.group_id = $2) \
             ORDER BY g.name, u.name",
        )
        .bind(user.map(|u| u.0))
        .bind(group.map(|g| g.0))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let role: String = get(r, "role")?;
                Ok(Membership {
                    group: GroupId(get(r, "group_id")?),
                    group_name: get(r, "group_name")?,
                    user: UserId(get(r, "user_id")?),
                    user_name: get(r, "user_name")?,
                    role: Role::parse(&role)
                        .ok_or_else(|| StoreError::corrupt("memberships.role", role.clone()))?,
                })
            })
            .collect()
    }

    /// Whether `user` may do `action` to `group`'s data: instance admins always, members as
    /// their role allows ([`Role::allows`]), outsiders never.
    pub async fn can(&self, user: UserId, action: Action, group: GroupId) -> Result<bool> {
        let row = sqlx::query(
            "SELECT u.is_admin, (SELECT m.role FROM memberships m WHERE m.user_id = u.id AND m.group_id = $2) AS role \
             FROM users u WHERE u.id = $1",
        )
        .bind(user.0)
        .bind(group.0)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(false) };
        if get::<i64>(&row, "is_admin")? == 1 {
            return Ok(true);
        }
        let role: Option<String> = get(&row, "role")?;
        Ok(role.as_deref().and_then(Role::parse).is_some_and(|r| r.allows(action)))
    }

    pub(crate) async fn require(&self, user: UserId, action: Action, group: GroupId) -> Result<()> {
        if self.can(user, action, group).await? {
            Ok(())
        } else {
            Err(StoreError::Forbidden { user, action, group })
        }
    }
}

/// Longest user or group name, in characters.
pub const MAX_NAME_CHARS: usize = 100;

/// A user or group name must be shown and typed: not empty or blank, no surrounding spaces,
/// no control characters, at most [`MAX_NAME_CHARS`] characters.
/// The host of an issuer URL (the URL itself when it has none), to tell users apart.
fn url_host(issuer: &str) -> &str {
    let rest = issuer.split_once("://").map_or(issuer, |(_, r)| r);
    rest.split(['/', ':']).next().filter(|h| !h.is_empty()).unwrap_or(issuer)
}

fn check_name(what: &'static str, name: &str) -> Result<()> {
    let bad =
        |reason| Err(StoreError::BadName { what, name: name.chars().take(MAX_NAME_CHARS).collect(), reason });
    if name.trim().is_empty() {
        return bad("it is empty");
    }
    if name.trim() != name {
        return bad("it starts or ends with white space");
    }
    if name.chars().any(char::is_control) {
        return bad("it holds control characters");
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return bad("it is longer than 100 characters");
    }
    Ok(())
}
