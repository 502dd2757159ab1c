//! Review and release: approve, discard, release, and data use terms changes.
//!
//! Every change is a conditional UPDATE or DELETE (`… WHERE status = 'PROCESSED'`) inside a
//! write transaction, so two curators acting at once each win a version at most once.

use sqlx::{Any, Row, Transaction};

use crate::accession::{Accession, AccessionVersion};
use crate::db::{AuditEntry, Backend, Store, audit, get};
use crate::error::{Result, StoreError};
use crate::model::{Action, GroupId, ProcessingResult, Scope, Status, UserId};
use crate::terms::DataUseTerms;

/// One version's standing, read inside a transaction.
struct VersionState {
    group: GroupId,
    status: Status,
    newest: i64,
    is_revocation: bool,
    result: Option<ProcessingResult>,
}

/// Deletes the blob named `id` unless a version still uses it (a revision may share its
/// predecessor's).
pub(crate) async fn drop_unused_blob(tx: &mut Transaction<'static, Any>, id: &str) -> Result<()> {
    sqlx::query("DELETE FROM sequence_blobs WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM versions WHERE sequence_blob_id = $1)")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

impl Store {
    async fn version_state(
        &self,
        tx: &mut Transaction<'static, Any>,
        av: &AccessionVersion,
    ) -> Result<VersionState> {
        let row = sqlx::query(
            "SELECT e.group_id, v.status, v.is_revocation, \
               (SELECT MAX(w.version) FROM versions w WHERE w.accession = v.accession) AS newest, \
               (SELECT p.result FROM processing_results p WHERE p.accession = v.accession \
                  AND p.version = v.version AND p.pipeline_version = v.pipeline_version) AS result \
             FROM versions v JOIN entries e ON e.accession = v.accession \
             WHERE v.accession = $1 AND v.version = $2",
        )
        .bind(av.accession.as_str())
        .bind(av.version)
        .fetch_optional(&mut **tx)
        .await?
        // Worded as for another group's version (approve and discard say "in this group"), so
        // the answer does not tell whether the version exists elsewhere.
        .ok_or_else(|| StoreError::NotFound { what: "version in this group", key: av.to_string() })?;
        let status: String = get(&row, "status")?;
        let result: Option<String> = get(&row, "result")?;
        Ok(VersionState {
            group: GroupId(get(&row, "group_id")?),
            status: Status::parse(&status)
                .ok_or_else(|| StoreError::corrupt("versions.status", status.clone()))?,
            newest: get(&row, "newest")?,
            is_revocation: get::<i64>(&row, "is_revocation")? == 1,
            result: match result {
                Some(r) => Some(
                    ProcessingResult::parse(&r)
                        .ok_or_else(|| StoreError::corrupt("processing_results.result", r.clone()))?,
                ),
                None => None,
            },
        })
    }

    /// Approves processed versions of `group`: the listed ones (each must be approvable, or
    /// nothing is approved), or with `None` every one the `scope` admits. Errors always block.
    pub async fn approve(
        &self,
        actor: UserId,
        group: GroupId,
        only: Option<&[AccessionVersion]>,
        scope: Scope,
    ) -> Result<Vec<AccessionVersion>> {
        self.require(actor, Action::Approve, group).await?;
        let now = self.now_ms();
        let allow_warnings = i64::from(scope != Scope::WithoutWarnings);
        let mut tx = self.begin_write().await?;
        let mut approved = Vec::new();
        match only {
            Some(list) => {
                for av in list {
                    let st = self.version_state(&mut tx, av).await?;
                    if st.group != group {
                        return Err(StoreError::NotFound {
                            what: "version in this group",
                            key: av.to_string(),
                        });
                    }
                    if st.newest != av.version {
                        return Err(StoreError::NotNewest {
                            accession_version: av.to_string(),
                            newest: st.newest,
                        });
                    }
                    if !st.status.can_move_to(Status::Approved) {
                        return Err(StoreError::InvalidTransition {
                            accession_version: av.to_string(),
                            from: st.status,
                            to: Status::Approved,
                        });
                    }
                    if !st.is_revocation && st.result == Some(ProcessingResult::Errors) {
                        return Err(StoreError::HasErrors { accession_version: av.to_string() });
                    }
                    let done = sqlx::query(
                        "UPDATE versions SET status = 'APPROVED', approved_by = $1, approved_at = $2 \
                         WHERE accession = $3 AND version = $4 AND status = 'PROCESSED'",
                    )
                    .bind(actor.0)
                    .bind(now)
                    .bind(av.accession.as_str())
                    .bind(av.version)
                    .execute(&mut *tx)
                    .await?;
                    if done.rows_affected() != 1 {
                        return Err(StoreError::InvalidTransition {
                            accession_version: av.to_string(),
                            from: st.status,
                            to: Status::Approved,
                        });
                    }
                    approved.push(av.clone());
                }
            }
            None => {
                let rows = sqlx::query(
                    "UPDATE versions SET status = 'APPROVED', approved_by = $1, approved_at = $2 \
                     WHERE status = 'PROCESSED' \
                       AND accession IN (SELECT accession FROM entries WHERE group_id = $3) \
                       AND (is_revocation = 1 OR EXISTS (SELECT 1 FROM processing_results p \
                              WHERE p.accession = versions.accession AND p.version = versions.version \
                                AND p.pipeline_version = versions.pipeline_version \
                                AND (p.result = 'OK' OR (p.result = 'WARNINGS' AND $4 = 1)))) \
                     RETURNING accession, version",
                )
                .bind(actor.0)
                .bind(now)
                .bind(group.0)
                .bind(allow_warnings)
                .fetch_all(&mut *tx)
                .await?;
                for r in &rows {
                    approved.push(Accession::from_stored(get(r, "accession")?).at(get(r, "version")?));
                }
            }
        }
        for av in &approved {
            let entry = AuditEntry {
                user: Some(actor),
                action: "approve",
                group: Some(group),
                accession: Some(av.accession.as_str()),
                version: Some(av.version),
                detail: "{}".into(),
            };
            audit(&mut tx, now, entry).await?;
        }
        approved.sort();
        self.record_action_key(&mut tx, "approve", &approved).await?;
        tx.commit().await?;
        Ok(approved)
    }

    /// Releases every approved version, numbering releases in commit order so consumers can
    /// follow the released stream incrementally.
    pub async fn release_approved(&self) -> Result<Vec<AccessionVersion>> {
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        if self.backend == Backend::Postgres {
            // Serialise releasers so release numbers are gap-free and commit in order.
            sqlx::query("SELECT pg_advisory_xact_lock(7311)").execute(&mut *tx).await?;
        }
        let rows = sqlx::query(
            "WITH base AS (SELECT COALESCE(MAX(release_seq), 0) AS top FROM versions), \
                  todo AS (SELECT accession, version, \
                           ROW_NUMBER() OVER (ORDER BY accession, version) AS rn \
                           FROM versions WHERE status = 'APPROVED') \
             UPDATE versions SET status = 'RELEASED', released_at = $1, release_seq = base.top + todo.rn \
             FROM base, todo \
             WHERE versions.accession = todo.accession AND versions.version = todo.version \
             RETURNING versions.accession, versions.version",
        )
        .bind(now)
        .fetch_all(&mut *tx)
        .await?;
        let mut released = Vec::with_capacity(rows.len());
        for r in &rows {
            released.push(Accession::from_stored(get(r, "accession")?).at(get(r, "version")?));
        }
        for av in &released {
            let entry = AuditEntry {
                user: None,
                action: "release",
                group: None,
                accession: Some(av.accession.as_str()),
                version: Some(av.version),
                detail: "{}".into(),
            };
            audit(&mut tx, now, entry).await?;
        }
        tx.commit().await?;
        released.sort();
        Ok(released)
    }

    /// Deletes unreleased versions of `group` (the listed ones, or all the `scope` admits:
    /// `All` unapproved, `WithErrors`, or `WithoutWarnings` = processed cleanly). An entry
    /// left without versions disappears with its accession. Approved and released versions
    /// are never touched.
    pub async fn discard(
        &self,
        actor: UserId,
        group: GroupId,
        only: Option<&[AccessionVersion]>,
        scope: Scope,
    ) -> Result<Vec<AccessionVersion>> {
        self.require(actor, Action::Discard, group).await?;
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        let targets: Vec<AccessionVersion> = match only {
            Some(list) => {
                for av in list {
                    let st = self.version_state(&mut tx, av).await?;
                    if st.group != group {
                        return Err(StoreError::NotFound {
                            what: "version in this group",
                            key: av.to_string(),
                        });
                    }
                    if matches!(st.status, Status::Approved | Status::Released) {
                        return Err(StoreError::InvalidTransition {
                            accession_version: av.to_string(),
                            from: st.status,
                            to: Status::Received,
                        });
                    }
                }
                list.to_vec()
            }
            None => {
                let wanted = match scope {
                    Scope::All => "ANY",
                    Scope::WithErrors => "ERRORS",
                    Scope::WithoutWarnings => "OK",
                };
                let rows = sqlx::query(
                    "SELECT v.accession, v.version FROM versions v JOIN entries e ON e.accession = v.accession \
                     LEFT JOIN processing_results p ON p.accession = v.accession AND p.version = v.version \
                          AND p.pipeline_version = v.pipeline_version \
                     WHERE e.group_id = $1 AND v.status IN ('RECEIVED', 'IN_PROCESSING', 'PROCESSED') \
                       AND ($2 = 'ANY' OR (v.status = 'PROCESSED' AND p.result = $2))",
                )
                .bind(group.0)
                .bind(wanted)
                .fetch_all(&mut *tx)
                .await?;
                rows.iter()
                    .map(|r| Ok(Accession::from_stored(get(r, "accession")?).at(get(r, "version")?)))
                    .collect::<Result<_>>()?
            }
        };
        for av in &targets {
            let acc = av.accession.as_str();
            let done = sqlx::query(
                "DELETE FROM versions WHERE accession = $1 AND version = $2 \
                 AND status IN ('RECEIVED', 'IN_PROCESSING', 'PROCESSED')",
            )
            .bind(acc)
            .bind(av.version)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() != 1 {
                return Err(StoreError::NotFound { what: "unreleased version", key: av.to_string() });
            }
            drop_unused_blob(&mut tx, &av.to_string()).await?;
            let left: i64 = sqlx::query("SELECT COUNT(*) FROM versions WHERE accession = $1")
                .bind(acc)
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
            if left == 0 {
                sqlx::query("DELETE FROM data_use_terms WHERE accession = $1")
                    .bind(acc)
                    .execute(&mut *tx)
                    .await?;
                // Counted so that a submission's acknowledged size stays checkable.
                sqlx::query(
                    "UPDATE submissions SET discarded_count = discarded_count + 1 \
                     WHERE id = (SELECT submission_id FROM entries WHERE accession = $1)",
                )
                .bind(acc)
                .execute(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM entries WHERE accession = $1").bind(acc).execute(&mut *tx).await?;
            }
            let entry = AuditEntry {
                user: Some(actor),
                action: "discard",
                group: Some(group),
                accession: Some(acc),
                version: Some(av.version),
                detail: "{}".into(),
            };
            audit(&mut tx, now, entry).await?;
        }
        tx.commit().await?;
        let mut targets = targets;
        targets.sort();
        Ok(targets)
    }

    /// Changes the data use terms of entries; they may only open up or shorten.
    pub async fn change_terms(
        &self,
        actor: UserId,
        accessions: &[Accession],
        terms: DataUseTerms,
    ) -> Result<()> {
        let now = self.now_ms();
        let today = self.today();
        let mut tx = self.begin_write().await?;
        for accession in accessions {
            let acc = accession.as_str();
            let head = self.newest(&mut tx, acc).await?;
            self.require_on_entry(&mut tx, actor, Action::ChangeTerms, acc, &head).await?;
            let current = self.current_terms(&mut tx, acc).await?.effective(today);
            let next = current.validate_change(terms, today)?;
            let (name, until) = next.to_columns();
            sqlx::query(
                "INSERT INTO data_use_terms (accession, terms, restricted_until, changed_by, changed_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(acc)
            .bind(name)
            .bind(until)
            .bind(actor.0)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            let entry = AuditEntry {
                user: Some(actor),
                action: "change_terms",
                group: Some(head.group),
                accession: Some(acc),
                version: None,
                detail: serde_json::json!({ "terms": next.to_string() }).to_string(),
            };
            audit(&mut tx, now, entry).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn current_terms(
        &self,
        tx: &mut Transaction<'static, Any>,
        accession: &str,
    ) -> Result<DataUseTerms> {
        let row = sqlx::query(
            "SELECT terms, restricted_until FROM data_use_terms WHERE accession = $1 ORDER BY id DESC LIMIT 1",
        )
        .bind(accession)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::NotFound { what: "data use terms", key: accession.to_string() })?;
        Ok(DataUseTerms::from_columns(&get::<String>(&row, "terms")?, get(&row, "restricted_until")?)?)
    }
}
