//! Citable collections: a frozen list of released accession.versions with a name, a description
//! and authors, saved by a user from a search. A change is a new version of the collection; a
//! version is never changed, so a citation of `VC000001.2` always means the same genomes.

use chrono::NaiveDate;
use sqlx::{Any, Row, Transaction};

use crate::accession::{Accession, AccessionVersion};
use crate::db::{AuditEntry, Store, audit, get, multi_insert_sql};
use crate::error::{Result, StoreError};
use crate::model::{OrganismId, UserId};
use crate::terms::DataUseTerms;

/// The letters every collection id starts with (`VC000001`).
pub const COLLECTION_PREFIX: &str = "VC";
/// Most members one collection version may hold.
pub const MAX_COLLECTION_MEMBERS: usize = 1_000_000;
/// Members per multi-row INSERT (4 parameters each).
const MEMBER_BATCH: usize = 1000;

/// What a user saves as a collection (or a new version of one).
#[derive(Debug, Clone)]
pub struct NewCollection {
    /// The organism of its members.
    pub organism: OrganismId,
    /// Its name (the citation's title).
    pub name: String,
    /// What it holds and why.
    pub description: String,
    /// Authors as a JSON array of `{"name", "orcid"}`, in citation order.
    pub authors_json: String,
    /// The search it was saved from: its LAPIS parameters as a JSON array of `[name, value]`.
    pub query_json: String,
    /// Its members: released, not revoked versions, each entry once.
    pub members: Vec<AccessionVersion>,
}

/// One version of a collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionRecord {
    /// Its id, e.g. `VC000001`.
    pub id: String,
    /// Its version (1, 2, …).
    pub version: i64,
    /// The organism of its members.
    pub organism: OrganismId,
    /// Who saved it (only they make new versions).
    pub owner: UserId,
    /// Its name.
    pub name: String,
    /// Its description.
    pub description: String,
    /// Authors, JSON as saved.
    pub authors_json: String,
    /// The search it was saved from, JSON as saved.
    pub query_json: String,
    /// How many members it has.
    pub member_count: i64,
    /// When this version was saved (ms since the epoch).
    pub created_at: i64,
}

impl CollectionRecord {
    /// `ID.VERSION`, as landing pages and citations name it.
    pub fn id_version(&self) -> String {
        format!("{}.{}", self.id, self.version)
    }
}

const SELECT: &str = "SELECT id, version, organism_id, owner_id, name, description, authors, query, member_count, \
     created_at FROM collections";

impl Store {
    /// Saves `new` as a new collection (`of: None`) or as the next version of collection `of`
    /// (its owner only). Every member must be a released, not revoked version; the whole save
    /// is one transaction.
    pub async fn save_collection(
        &self,
        owner: UserId,
        of: Option<&str>,
        new: NewCollection,
    ) -> Result<CollectionRecord> {
        if new.members.is_empty() {
            return Err(StoreError::BadCollection {
                reason: "a collection needs at least one genome".into(),
            });
        }
        if new.members.len() > MAX_COLLECTION_MEMBERS {
            return Err(StoreError::BadCollection {
                reason: format!(
                    "{} genomes are more than a collection may hold ({MAX_COLLECTION_MEMBERS}): narrow the search",
                    new.members.len()
                ),
            });
        }
        let mut seen = std::collections::HashSet::with_capacity(new.members.len());
        if let Some(twice) = new.members.iter().find(|m| !seen.insert(m.accession.as_str())) {
            return Err(StoreError::BadCollection {
                reason: format!("entry {} is listed twice", twice.accession),
            });
        }
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        let (id, version) = match of {
            Some(id) => {
                let row = sqlx::query("SELECT owner_id, organism_id, MAX(version) AS v FROM collections WHERE id = $1 GROUP BY owner_id, organism_id")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or_else(|| StoreError::NotFound { what: "collection", key: id.to_owned() })?;
                let current_owner: i64 = get(&row, "owner_id")?;
                let organism: i64 = get(&row, "organism_id")?;
                if current_owner != owner.0 {
                    return Err(StoreError::NotCollectionOwner { user: owner, id: id.to_owned() });
                }
                if organism != new.organism.0 {
                    return Err(StoreError::BadCollection {
                        reason: "a new version must hold genomes of the same organism".into(),
                    });
                }
                let v: i64 = get(&row, "v")?;
                (id.to_owned(), v + 1)
            }
            None => {
                let n: i64 = sqlx::query("SELECT COUNT(DISTINCT id) FROM collections")
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get(0)?;
                (format!("{COLLECTION_PREFIX}{:06}", n + 1), 1)
            }
        };
        sqlx::query(
            "INSERT INTO collections (id, version, organism_id, owner_id, name, description, authors, query, \
             member_count, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&id)
        .bind(version)
        .bind(new.organism.0)
        .bind(owner.0)
        .bind(&new.name)
        .bind(&new.description)
        .bind(&new.authors_json)
        .bind(&new.query_json)
        .bind(new.members.len() as i64)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| crate::db::unique_as_exists(e, "collection", &id))?;
        for chunk in new.members.chunks(MEMBER_BATCH) {
            let sql = multi_insert_sql(
                "collection_members (collection_id, collection_version, accession, version)",
                4,
                chunk.len(),
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for m in chunk {
                q = q.bind(&id).bind(version).bind(m.accession.as_str()).bind(m.version);
            }
            q.execute(&mut *tx).await?;
        }
        check_members(&mut tx, &id, version, new.organism, new.members.len()).await?;
        let entry = AuditEntry {
            user: Some(owner),
            action: "save-collection",
            group: None,
            accession: None,
            version: None,
            detail:
                serde_json::json!({ "collection": format!("{id}.{version}"), "members": new.members.len() })
                    .to_string(),
        };
        audit(&mut tx, now, entry).await?;
        tx.commit().await?;
        self.collection(&id, version).await
    }

    /// One version of a collection.
    pub async fn collection(&self, id: &str, version: i64) -> Result<CollectionRecord> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE id = $1 AND version = $2")))
            .bind(id)
            .bind(version)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound { what: "collection", key: format!("{id}.{version}") })?;
        record(&row)
    }

    /// Every version of a collection, oldest first.
    pub async fn collection_versions(&self, id: &str) -> Result<Vec<CollectionRecord>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE id = $1 ORDER BY version")))
            .bind(id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(record).collect()
    }

    /// The newest version of every collection (of `owner`, if given), newest first.
    pub async fn collections(&self, owner: Option<UserId>) -> Result<Vec<CollectionRecord>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT} c WHERE version = (SELECT MAX(version) FROM collections d WHERE d.id = c.id) \
             AND ($1 < 0 OR owner_id = $1) ORDER BY created_at DESC, id DESC"
        )))
        .bind(owner.map_or(-1, |u| u.0))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(record).collect()
    }

    /// A collection version's members in accession order, with their data use terms in force
    /// today.
    pub async fn collection_members(
        &self,
        id: &str,
        version: i64,
    ) -> Result<Vec<(AccessionVersion, DataUseTerms)>> {
        let rows = sqlx::query(
            "SELECT m.accession, m.version, d.terms, d.restricted_until FROM collection_members m \
             LEFT JOIN data_use_terms d ON d.id = (SELECT MAX(x.id) FROM data_use_terms x WHERE x.accession = m.accession) \
             WHERE m.collection_id = $1 AND m.collection_version = $2 ORDER BY m.accession",
        )
        .bind(id)
        .bind(version)
        .fetch_all(&self.pool)
        .await?;
        let today = self.today();
        rows.iter()
            .map(|row| {
                let accession: String = get(row, "accession")?;
                let version: i64 = get(row, "version")?;
                let terms: Option<String> = row.try_get("terms")?;
                let until: Option<String> = row.try_get("restricted_until")?;
                let terms = match (
                    terms.as_deref(),
                    until.and_then(|u| NaiveDate::parse_from_str(&u, "%Y-%m-%d").ok()),
                ) {
                    (Some("RESTRICTED"), Some(until)) => DataUseTerms::Restricted { until },
                    _ => DataUseTerms::Open,
                };
                Ok((Accession::from_stored(accession).at(version), terms.effective(today)))
            })
            .collect()
    }
}

/// Every member of the new version is a released, not revoked version of `organism`; else the
/// first that is not is named.
async fn check_members(
    tx: &mut Transaction<'static, Any>,
    id: &str,
    version: i64,
    organism: OrganismId,
    expected: usize,
) -> Result<()> {
    let ok: i64 = sqlx::query(
        "SELECT COUNT(*) FROM collection_members m \
         JOIN versions v ON v.accession = m.accession AND v.version = m.version \
         JOIN entries e ON e.accession = m.accession \
         WHERE m.collection_id = $1 AND m.collection_version = $2 \
           AND v.status = 'RELEASED' AND v.is_revocation = 0 AND e.organism_id = $3",
    )
    .bind(id)
    .bind(version)
    .bind(organism.0)
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)?;
    if ok as usize == expected {
        return Ok(());
    }
    let bad: Option<String> = sqlx::query(
        "SELECT m.accession || '.' || CAST(m.version AS TEXT) FROM collection_members m \
         LEFT JOIN versions v ON v.accession = m.accession AND v.version = m.version \
           AND v.status = 'RELEASED' AND v.is_revocation = 0 \
         WHERE m.collection_id = $1 AND m.collection_version = $2 AND v.accession IS NULL LIMIT 1",
    )
    .bind(id)
    .bind(version)
    .fetch_optional(&mut **tx)
    .await?
    .map(|r| r.try_get(0))
    .transpose()?;
    Err(StoreError::BadCollection {
        reason: format!(
            "{} is not a released version of this organism: a collection holds released genomes only",
            bad.unwrap_or_else(|| "a member".to_owned())
        ),
    })
}

fn record(row: &sqlx::any::AnyRow) -> Result<CollectionRecord> {
    Ok(CollectionRecord {
        id: get(row, "id")?,
        version: get(row, "version")?,
        organism: OrganismId(get(row, "organism_id")?),
        owner: UserId(get(row, "owner_id")?),
        name: get(row, "name")?,
        description: get(row, "description")?,
        authors_json: get(row, "authors")?,
        query_json: get(row, "query")?,
        member_count: get(row, "member_count")?,
        created_at: get(row, "created_at")?,
    })
}
