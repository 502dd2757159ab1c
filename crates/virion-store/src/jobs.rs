//! The processing queue: workers claim jobs under a lease, and either complete them before
//! it runs out or lose them to the next claimer.

use std::time::Duration;

use sqlx::{AssertSqlSafe, Row};

use crate::accession::{Accession, AccessionVersion};
use crate::db::{AuditEntry, Backend, Store, audit, get};
use crate::error::{Result, StoreError};
use crate::model::{JobId, OrganismId, ProcessingResult, Status};

/// A claimed job with what the worker needs to process it.
#[derive(Debug, Clone)]
pub struct ClaimedJob {
    /// The job's id, for reporting the outcome.
    pub id: JobId,
    /// The genome version to process.
    pub accession_version: AccessionVersion,
    /// Its organism.
    pub organism: OrganismId,
    /// The pipeline version the job belongs to.
    pub pipeline_version: i64,
    /// How many times this job has been claimed, this claim included.
    pub attempts: i64,
    /// The submitted metadata, as a JSON object.
    pub metadata_json: String,
    /// The submitted sequence, uncompressed.
    pub sequence: Vec<u8>,
    /// When the lease ends (ms since the Unix epoch); after that another worker may claim the job.
    pub lease_expires_at_ms: i64,
}

/// One error or warning of processing, tied to the fields it concerns.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ProcessingIssue {
    /// Names of the fields concerned (empty for the record as a whole).
    pub fields: Vec<String>,
    /// What is wrong, for the submitter.
    pub message: String,
}

/// How many jobs are in each state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JobStates {
    /// Waiting for a worker.
    pub queued: i64,
    /// Held by a worker.
    pub claimed: i64,
    /// Finished.
    pub done: i64,
    /// Claimed, but the lease ran out.
    pub expired_leases: i64,
}

/// What a worker hands back for one job.
#[derive(Debug, Clone)]
pub struct ProcessingOutcome {
    /// Version of the dataset the record was processed with.
    pub dataset_version: String,
    /// The processed record as a JSON object.
    pub processed_json: String,
    /// Problems that keep the version from being released.
    pub errors: Vec<ProcessingIssue>,
    /// Problems worth showing that do not block release.
    pub warnings: Vec<ProcessingIssue>,
}

impl ProcessingOutcome {
    /// `Errors` if there are errors, else `Warnings` if there are warnings, else `Ok`.
    pub fn result(&self) -> ProcessingResult {
        if !self.errors.is_empty() {
            ProcessingResult::Errors
        } else if !self.warnings.is_empty() {
            ProcessingResult::Warnings
        } else {
            ProcessingResult::Ok
        }
    }
}

/// Claims jobs matching `{which}` (expired leases first, then queued jobs): two statements,
/// because one `state = 'QUEUED' OR (…expired…)` condition ordered by id makes both databases
/// collect every queued job before taking the first few — fatal with a million queued.
fn claim_sql(backend: Backend, which: &str) -> String {
    // SQLite has one writer at a time (the IMMEDIATE transaction); PostgreSQL skips rows other
    // claimers hold.
    let lock = if backend == Backend::Postgres { " FOR UPDATE SKIP LOCKED" } else { "" };
    format!(
        "UPDATE jobs SET state = 'CLAIMED', claimed_by = $1, lease_expires_at = $2, attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM jobs WHERE pipeline_version = $4 AND {which} ORDER BY id LIMIT $3{lock}) \
         RETURNING id, accession, version, pipeline_version, attempts"
    )
}

impl Store {
    /// Claims up to `max` jobs of pipeline version `pipeline` (see [`Store::register_pipeline`])
    /// for `worker` for `lease`; jobs whose lease ran out are claimed again (their previous
    /// worker is presumed dead).
    pub async fn claim_jobs(
        &self,
        worker: &str,
        pipeline: i64,
        max: u32,
        lease: Duration,
    ) -> Result<Vec<ClaimedJob>> {
        let now = self.now_ms();
        let expires = now + lease.as_millis() as i64;
        let mut tx = self.begin_write().await?;
        let mut rows = Vec::new();
        for expired in [true, false] {
            let wanted = i64::from(max) - rows.len() as i64;
            if wanted <= 0 {
                break;
            }
            let which =
                if expired { "state = 'CLAIMED' AND lease_expires_at <= $5" } else { "state = 'QUEUED'" };
            let q = sqlx::query(AssertSqlSafe(claim_sql(self.backend, which)))
                .bind(worker)
                .bind(expires)
                .bind(wanted)
                .bind(pipeline);
            let q = if expired { q.bind(now) } else { q };
            rows.extend(q.fetch_all(&mut *tx).await?);
        }
        let mut claimed = Vec::with_capacity(rows.len());
        for r in &rows {
            let acc: String = get(r, "accession")?;
            let version: i64 = get(r, "version")?;
            sqlx::query("UPDATE versions SET status = 'IN_PROCESSING' WHERE accession = $1 AND version = $2 AND status = 'RECEIVED'")
                .bind(acc.clone())
                .bind(version)
                .execute(&mut *tx)
                .await?;
            let data = sqlx::query(
                "SELECT e.organism_id, v.submitted_metadata, b.raw_length, b.compressed, b.id AS blob_id \
                 FROM versions v JOIN entries e ON e.accession = v.accession \
                 JOIN sequence_blobs b ON b.id = v.sequence_blob_id \
                 WHERE v.accession = $1 AND v.version = $2",
            )
            .bind(acc.clone())
            .bind(version)
            .fetch_one(&mut *tx)
            .await?;
            let organism = OrganismId(get(&data, "organism_id")?);
            let blob_id: String = get(&data, "blob_id")?;
            let raw_length: i64 = get(&data, "raw_length")?;
            let compressed: Vec<u8> = get(&data, "compressed")?;
            let sequence = self
                .codec(organism)
                .await?
                .decompress(&compressed, raw_length as usize)
                .map_err(|source| StoreError::Compression { blob: blob_id, source })?;
            claimed.push(ClaimedJob {
                id: JobId(get(r, "id")?),
                accession_version: Accession::from_stored(acc).at(version),
                organism,
                pipeline_version: get(r, "pipeline_version")?,
                attempts: get(r, "attempts")?,
                metadata_json: get(&data, "submitted_metadata")?,
                sequence,
                lease_expires_at_ms: expires,
            });
        }
        tx.commit().await?;
        claimed.sort_by_key(|j| j.id);
        Ok(claimed)
    }

    /// Ends the leases of every job held by a worker whose name starts with `holder_prefix`, so
    /// that they can be claimed at once: a process restarting under the same name reclaims what
    /// its killed predecessor held instead of waiting out the lease. Returns how many.
    pub async fn reclaim_jobs(&self, holder_prefix: &str) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE jobs SET lease_expires_at = 0 \
             WHERE state = 'CLAIMED' AND substr(claimed_by, 1, length($1)) = $1",
        )
        .bind(holder_prefix)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    /// Stores `outcome` for a job `worker` still holds and marks the version PROCESSED, in
    /// one transaction. A job lost to another worker is refused with [`StoreError::LeaseLost`].
    pub async fn complete_job(&self, worker: &str, job: JobId, outcome: &ProcessingOutcome) -> Result<()> {
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "UPDATE jobs SET state = 'DONE', finished_at = $1, lease_expires_at = NULL \
             WHERE id = $2 AND state = 'CLAIMED' AND claimed_by = $3 \
             RETURNING accession, version, pipeline_version",
        )
        .bind(now)
        .bind(job.0)
        .bind(worker)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::LeaseLost { job, worker: worker.to_string() })?;
        let acc: String = get(&row, "accession")?;
        let version: i64 = get(&row, "version")?;
        let pipeline: i64 = get(&row, "pipeline_version")?;
        let json = |issues: &[ProcessingIssue]| serde_json::to_string(issues).expect("issues serialise");
        sqlx::query(
            "INSERT INTO processing_results (accession, version, pipeline_version, dataset_version, result, \
             processed_data, errors, warnings, processed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(acc.clone())
        .bind(version)
        .bind(pipeline)
        .bind(outcome.dataset_version.clone())
        .bind(outcome.result().as_str())
        .bind(outcome.processed_json.clone())
        .bind(json(&outcome.errors))
        .bind(json(&outcome.warnings))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let done = sqlx::query(
            "UPDATE versions SET status = 'PROCESSED', pipeline_version = $1, processed_at = $2 \
             WHERE accession = $3 AND version = $4 AND status = 'IN_PROCESSING'",
        )
        .bind(pipeline)
        .bind(now)
        .bind(acc.clone())
        .bind(version)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            // Processed before: this is reprocessing under a newer pipeline (or an older
            // pipeline's job finishing late). The result is kept; reads move to it when its
            // pipeline becomes current.
            let status: Option<String> =
                sqlx::query("SELECT status FROM versions WHERE accession = $1 AND version = $2")
                    .bind(acc.clone())
                    .bind(version)
                    .fetch_optional(&mut *tx)
                    .await?
                    .map(|r| r.try_get(0))
                    .transpose()?;
            let processed = status.as_deref().and_then(Status::parse).is_some_and(|s| s >= Status::Processed);
            if !processed {
                return Err(StoreError::InvalidTransition {
                    accession_version: format!("{acc}.{version}"),
                    from: status.as_deref().and_then(Status::parse).unwrap_or(Status::Received),
                    to: Status::Processed,
                });
            }
        }
        let detail =
            serde_json::json!({ "job": job.0, "worker": worker, "result": outcome.result().as_str() })
                .to_string();
        let entry = AuditEntry {
            user: None,
            action: "processed",
            group: None,
            accession: Some(&acc),
            version: Some(version),
            detail,
        };
        audit(&mut tx, now, entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Counts of jobs by state: (queued, claimed, done).
    /// Jobs by state, and claimed jobs whose lease has run out (their worker presumably died).
    pub async fn job_states(&self) -> Result<JobStates> {
        let row = sqlx::query(
            "SELECT COALESCE(SUM(CASE WHEN state = 'QUEUED' THEN 1 ELSE 0 END), 0) AS q, \
                    COALESCE(SUM(CASE WHEN state = 'CLAIMED' THEN 1 ELSE 0 END), 0) AS c, \
                    COALESCE(SUM(CASE WHEN state = 'DONE' THEN 1 ELSE 0 END), 0) AS d, \
                    COALESCE(SUM(CASE WHEN state = 'CLAIMED' AND lease_expires_at <= $1 THEN 1 ELSE 0 END), 0) AS x \
             FROM jobs",
        )
        .bind(self.now_ms())
        .fetch_one(&self.pool)
        .await?;
        Ok(JobStates {
            queued: row.try_get(0)?,
            claimed: row.try_get(1)?,
            done: row.try_get(2)?,
            expired_leases: row.try_get(3)?,
        })
    }

    /// (queued, claimed, done) jobs.
    pub async fn job_counts(&self) -> Result<(i64, i64, i64)> {
        let s = self.job_states().await?;
        Ok((s.queued, s.claimed, s.done))
    }
}
