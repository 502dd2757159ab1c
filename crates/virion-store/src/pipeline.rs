//! Pipeline versions and background reprocessing.
//!
//! A processing pipeline is named by a fingerprint of the code and datasets that produce
//! results. When a worker brings a fingerprint the store has not seen, the store opens a new
//! pipeline version and queues every stored version for it; workers only claim jobs of their
//! own pipeline version. Reads keep showing each version's results from the *current*
//! pipeline until every job of the new one is done; then one transaction points every version
//! at its new result and makes the new pipeline current — the switch is atomic. Versions that
//! arrive meanwhile are processed by the new pipeline straight away.

use sqlx::Row;

use crate::db::{AuditEntry, Store, audit};
use crate::error::Result;

/// What registering a fingerprint found or did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelineRegistration {
    /// The pipeline version of this fingerprint: the one to claim jobs for.
    pub version: i64,
    /// The fingerprint was new: everything was queued for reprocessing under `version`.
    pub reprocessing: bool,
    /// The newest pipeline version; above `version` when this fingerprint is outdated.
    pub newest: i64,
    /// The version whose results reads show now.
    pub current: i64,
}

/// Progress of the newest pipeline version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelineStatus {
    /// The pipeline version whose results reads show now.
    pub current: i64,
    /// The newest registered pipeline version.
    pub newest: i64,
    /// Jobs of the newest version not yet done.
    pub pending: i64,
    /// Jobs of the newest version done.
    pub done: i64,
}

impl Store {
    /// Registers the pipeline `fingerprint` (described by `description`, a JSON object).
    /// A fingerprint never seen before opens a new pipeline version and queues every stored
    /// version for it (the very first fingerprint adopts the store's initial version instead:
    /// nothing was processed by anything else).
    pub async fn register_pipeline(
        &self,
        fingerprint: &str,
        description: &str,
    ) -> Result<PipelineRegistration> {
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        let known = sqlx::query("SELECT version FROM pipeline_versions WHERE fingerprint = $1")
            .bind(fingerprint)
            .fetch_optional(&mut *tx)
            .await?;
        let (newest, current) = newest_and_current(&mut tx).await?;
        if let Some(row) = known {
            tx.commit().await?;
            return Ok(PipelineRegistration {
                version: row.try_get(0)?,
                reprocessing: false,
                newest,
                current,
            });
        }
        let adopted = sqlx::query(
            "UPDATE pipeline_versions SET fingerprint = $1, description = $2 \
             WHERE version = 1 AND fingerprint IS NULL RETURNING version",
        )
        .bind(fingerprint)
        .bind(description)
        .fetch_optional(&mut *tx)
        .await?;
        if adopted.is_some() {
            tx.commit().await?;
            return Ok(PipelineRegistration { version: 1, reprocessing: false, newest, current });
        }
        let version = newest + 1;
        sqlx::query(
            "INSERT INTO pipeline_versions (version, fingerprint, description, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(version)
        .bind(fingerprint)
        .bind(description)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        // Queued work of older pipelines would never be claimed now; the new jobs cover it.
        sqlx::query("DELETE FROM jobs WHERE state = 'QUEUED' AND pipeline_version < $1")
            .bind(version)
            .execute(&mut *tx)
            .await?;
        let queued = sqlx::query(
            "INSERT INTO jobs (accession, version, pipeline_version, state, enqueued_at) \
             SELECT v.accession, v.version, $1, 'QUEUED', $2 FROM versions v WHERE v.is_revocation = 0 \
             ORDER BY v.accession, v.version",
        )
        .bind(version)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let detail = serde_json::json!({ "pipeline": version, "queued": queued, "fingerprint": fingerprint });
        let entry = AuditEntry {
            user: None,
            action: "reprocess",
            group: None,
            accession: None,
            version: None,
            detail: detail.to_string(),
        };
        audit(&mut tx, now, entry).await?;
        tx.commit().await?;
        tracing::info!(pipeline = version, queued, "new pipeline: every version queued for reprocessing");
        self.refresh_statistics(&["jobs"]).await;
        Ok(PipelineRegistration { version, reprocessing: true, newest: version, current })
    }

    /// Where reprocessing stands.
    pub async fn pipeline_status(&self) -> Result<PipelineStatus> {
        let mut conn = self.pool.acquire().await?;
        let current: i64 = sqlx::query("SELECT current_version FROM pipeline_state WHERE id = 1")
            .fetch_one(&mut *conn)
            .await?
            .try_get(0)?;
        let newest: i64 = sqlx::query("SELECT MAX(version) FROM pipeline_versions")
            .fetch_one(&mut *conn)
            .await?
            .try_get(0)?;
        // Two index range counts (jobs_pipeline), not a scan of every job.
        let mut count = async |states: &str| -> Result<i64> {
            let sql =
                format!("SELECT COUNT(*) FROM jobs WHERE pipeline_version = $1 AND state IN ({states})");
            Ok(sqlx::query(sqlx::AssertSqlSafe(sql)).bind(newest).fetch_one(&mut *conn).await?.try_get(0)?)
        };
        let pending = count("'QUEUED', 'CLAIMED'").await?;
        let done = count("'DONE'").await?;
        Ok(PipelineStatus { current, newest, pending, done })
    }

    /// Makes the newest pipeline current once all its jobs are done: every version points at
    /// its new result, in one transaction. Returns the version switched to, if any.
    pub async fn switch_pipeline_if_complete(&self) -> Result<Option<i64>> {
        let status = self.pipeline_status().await?;
        if status.newest == status.current || status.pending > 0 {
            return Ok(None);
        }
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        // Checked again inside the write transaction: another process may have switched.
        let (newest, current) = newest_and_current(&mut tx).await?;
        let pending: i64 =
            sqlx::query("SELECT COUNT(*) FROM jobs WHERE pipeline_version = $1 AND state <> 'DONE'")
                .bind(newest)
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
        if newest == current || pending > 0 {
            return Ok(None);
        }
        let moved = sqlx::query(
            "UPDATE versions SET pipeline_version = $1 \
             WHERE (pipeline_version IS NULL OR pipeline_version < $1) AND EXISTS (SELECT 1 FROM processing_results p \
                   WHERE p.accession = versions.accession AND p.version = versions.version \
                     AND p.pipeline_version = $1)",
        )
        .bind(newest)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        sqlx::query("UPDATE pipeline_state SET current_version = $1 WHERE id = 1")
            .bind(newest)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE pipeline_versions SET switched_at = $1 WHERE version = $2")
            .bind(now)
            .bind(newest)
            .execute(&mut *tx)
            .await?;
        let detail = serde_json::json!({ "pipeline": newest, "from": current, "versions": moved });
        let entry = AuditEntry {
            user: None,
            action: "pipeline-switch",
            group: None,
            accession: None,
            version: None,
            detail: detail.to_string(),
        };
        audit(&mut tx, now, entry).await?;
        tx.commit().await?;
        tracing::info!(
            pipeline = newest,
            from = current,
            versions = moved,
            "reprocessing complete: results switched"
        );
        Ok(Some(newest))
    }
}

async fn newest_and_current(tx: &mut sqlx::Transaction<'static, sqlx::Any>) -> Result<(i64, i64)> {
    let newest: i64 =
        sqlx::query("SELECT MAX(version) FROM pipeline_versions").fetch_one(&mut **tx).await?.try_get(0)?;
    let current: i64 = sqlx::query("SELECT current_version FROM pipeline_state WHERE id = 1")
        .fetch_one(&mut **tx)
        .await?
        .try_get(0)?;
    Ok((newest, current))
}
