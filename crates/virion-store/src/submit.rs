//! Taking in new entries, revisions and revocations.
//!
//! A submission streams in: rows are buffered [`BATCH_ROWS`] at a time, compressed and written
//! with multi-row INSERTs, all inside ONE transaction, so memory stays bounded and a
//! submission that fails anywhere leaves nothing behind.

use std::collections::HashSet;
use std::hash::{BuildHasher, RandomState};
use std::sync::Arc;

use futures_util::{Stream, StreamExt, TryStreamExt};
use rayon::prelude::*;
use sqlx::{Any, AssertSqlSafe, Row, Transaction};

use crate::accession::{Accession, AccessionVersion};
use crate::codec::SequenceCodec;
use crate::db::{AuditEntry, Backend, Store, audit, get, multi_insert_sql, unique_as_exists};
use crate::error::{Result, StoreError};
use crate::model::{Action, GroupId, OrganismId, Status, SubmissionId, UserId};
use crate::terms::DataUseTerms;

/// Rows per multi-row INSERT (versions have 9 columns: 9,000 parameters, under both limits).
pub const BATCH_ROWS: usize = 1000;

/// From this many rows on, a submission is a bulk load: planner statistics are refreshed.
const BULK_ROWS: u64 = 10_000;

/// One row of a submission, as validated upstream.
#[derive(Debug, Clone)]
pub struct NewEntry {
    /// The submitter's own id for the row, unique within the submission.
    pub submission_key: String,
    /// The row's metadata as a JSON object, stored byte for byte.
    pub metadata_json: String,
    /// Nucleotide sequence (upper-case IUPAC letters).
    pub sequence: Vec<u8>,
}

/// Who submits what, under which terms.
#[derive(Debug, Clone)]
pub struct SubmitRequest {
    /// The organism of every entry.
    pub organism: OrganismId,
    /// The group that will own the entries.
    pub group: GroupId,
    /// The submitting user; must be allowed to submit in the group.
    pub submitter: UserId,
    /// The data-use terms of the new entries.
    pub terms: DataUseTerms,
    /// The client's `Idempotency-Key` and the hash of what it sent, stored with the
    /// submission; `None`: the client sent no key.
    pub idempotency: Option<Idempotency>,
}

/// A client's key for one request, and a hash of the request's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Idempotency {
    /// The `Idempotency-Key` header's value.
    pub key: String,
    /// A hash of the request (its files and fields), to tell a retry from a reuse.
    pub request_hash: String,
}

/// An approve, revise or revoke made with an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyedAction {
    /// `approve`, `revise` or `revoke`.
    pub action: String,
    /// The first request's hash.
    pub request_hash: String,
    /// The versions the first request approved or made, as (accession, version).
    pub versions: Vec<(String, i64)>,
}

/// The key a [`Store::keyed`] handle records with its action.
#[derive(Debug)]
pub(crate) struct PendingKey {
    user: UserId,
    action: &'static str,
    key: Idempotency,
}

/// A submission found by its idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyedSubmission {
    /// What the first request stored.
    pub receipt: SubmissionReceipt,
    /// The first request's hash.
    pub request_hash: String,
}

/// One row of a revision: the entry, its new metadata and, unless metadata-only, its sequence.
#[derive(Debug, Clone)]
pub struct Revision {
    /// The entry being revised.
    pub accession: Accession,
    /// The new metadata as a JSON object.
    pub metadata_json: String,
    /// `None` keeps the sequence of the newest version.
    pub sequence: Option<Vec<u8>>,
}

/// What a stored submission produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmissionReceipt {
    /// The submission's id.
    pub submission: SubmissionId,
    /// Entries created.
    pub entry_count: u64,
}

struct Pending {
    key: String,
    metadata_json: String,
    sequence: Vec<u8>,
    compressed: Vec<u8>,
}

impl Store {
    /// Stores a new submission from `entries` (any stream: a parser, a channel…). An `Err`
    /// item, a duplicate submission key or a database failure rolls everything back.
    pub async fn submit<S, E>(&self, req: &SubmitRequest, entries: S) -> Result<SubmissionReceipt>
    where
        S: Stream<Item = std::result::Result<NewEntry, E>>,
        E: std::error::Error + Send + Sync + 'static,
    {
        self.require(req.submitter, Action::Submit, req.group).await?;
        let terms = req.terms.validate_new(self.today())?;
        let prefix = self.prefix_of(req.organism).await?;
        let codec = self.codec(req.organism).await?;
        let now = self.now_ms();

        let mut tx = self.begin_write().await?;
        let (key, hash) = match &req.idempotency {
            Some(i) => (Some(i.key.as_str()), Some(i.request_hash.as_str())),
            None => (None, None),
        };
        let row = sqlx::query(
            "INSERT INTO submissions (organism_id, group_id, submitter_id, kind, created_at, idempotency_key, request_hash) \
             VALUES ($1, $2, $3, 'submit', $4, $5, $6) RETURNING id",
        )
        .bind(req.organism.0)
        .bind(req.group.0)
        .bind(req.submitter.0)
        .bind(now)
        .bind(key)
        .bind(hash)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| match key {
            Some(k) => unique_as_exists(e, "submission with Idempotency-Key", k),
            None => e.into(),
        })?;
        let submission = SubmissionId(row.try_get(0)?);

        // Keys are remembered by 64-bit hash only (8 bytes each, not the key: a million-row
        // submission stays small); a hash seen before is confirmed against the real keys.
        let hasher = RandomState::new();
        let mut seen: HashSet<u64> = HashSet::new();
        let mut batch: Vec<Pending> = Vec::with_capacity(BATCH_ROWS);
        let mut count = 0u64;
        let mut entries = std::pin::pin!(entries);
        while let Some(item) = entries.next().await {
            let entry = item.map_err(|e| StoreError::Input { row: count + 1, source: Box::new(e) })?;
            count += 1;
            check_entry(count, &entry)?;
            if !seen.insert(hasher.hash_one(&entry.submission_key))
                && self.key_taken(&mut tx, submission, &batch, &entry.submission_key).await?
            {
                return Err(StoreError::BadEntry {
                    row: count,
                    submission_key: entry.submission_key,
                    reason: "submission id appears twice".into(),
                });
            }
            batch.push(Pending {
                key: entry.submission_key,
                metadata_json: entry.metadata_json,
                sequence: entry.sequence,
                compressed: Vec::new(),
            });
            if batch.len() == BATCH_ROWS {
                batch = self.flush(&mut tx, req, &prefix, submission, &terms, &codec, batch, now).await?;
            }
        }
        if !batch.is_empty() {
            self.flush(&mut tx, req, &prefix, submission, &terms, &codec, batch, now).await?;
        }
        sqlx::query("UPDATE submissions SET entry_count = $1 WHERE id = $2")
            .bind(count as i64)
            .bind(submission.0)
            .execute(&mut *tx)
            .await?;
        let detail = serde_json::json!({ "submission": submission.0, "entries": count }).to_string();
        let entry = AuditEntry {
            user: Some(req.submitter),
            action: "submit",
            group: Some(req.group),
            accession: None,
            version: None,
            detail,
        };
        audit(&mut tx, now, entry).await?;
        tx.commit().await?;
        tracing::info!(submission = submission.0, entries = count, "submission stored");
        if count >= BULK_ROWS {
            self.refresh_statistics(&["entries", "versions", "sequence_blobs", "data_use_terms", "jobs"])
                .await;
        }
        Ok(SubmissionReceipt { submission, entry_count: count })
    }

    /// Writes one batch; hands the emptied buffer back for reuse.
    #[allow(clippy::too_many_arguments)]
    async fn flush(
        &self,
        tx: &mut Transaction<'static, Any>,
        req: &SubmitRequest,
        prefix: &str,
        submission: SubmissionId,
        terms: &DataUseTerms,
        codec: &Arc<SequenceCodec>,
        batch: Vec<Pending>,
        now: i64,
    ) -> Result<Vec<Pending>> {
        // Compression is CPU work: keep it off the async threads.
        let codec = codec.clone();
        let mut batch = tokio::task::spawn_blocking(move || -> std::io::Result<Vec<Pending>> {
            let mut batch = batch;
            batch.par_iter_mut().try_for_each(|p| {
                p.compressed = codec.compress(&p.sequence)?;
                Ok::<_, std::io::Error>(())
            })?;
            Ok(batch)
        })
        .await
        .expect("compression panicked")
        .map_err(|source| StoreError::Compression { blob: format!("submission {}", submission.0), source })?;

        let numbers = self.reserve_accession_numbers(tx, batch.len()).await?;
        let accessions: Vec<String> = numbers
            .iter()
            .map(|&n| Accession::new(prefix, n as u64).map(|a| a.to_string()))
            .collect::<std::result::Result<_, _>>()?;
        let n = batch.len();

        let sql = multi_insert_sql(
            "entries (accession, organism_id, group_id, submission_id, submission_key, created_at)",
            6,
            n,
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for (acc, p) in accessions.iter().zip(&batch) {
            q = q
                .bind(acc.clone())
                .bind(req.organism.0)
                .bind(req.group.0)
                .bind(submission.0)
                .bind(p.key.clone())
                .bind(now);
        }
        q.execute(&mut **tx).await?;

        let sql = multi_insert_sql("sequence_blobs (id, organism_id, raw_length, compressed)", 4, n);
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for (acc, p) in accessions.iter().zip(&mut batch) {
            q = q
                .bind(format!("{acc}.1"))
                .bind(req.organism.0)
                .bind(p.sequence.len() as i64)
                .bind(std::mem::take(&mut p.compressed));
        }
        q.execute(&mut **tx).await?;

        let sql = multi_insert_sql(
            "versions (accession, version, is_revocation, submitted_metadata, sequence_blob_id, \
             submission_id, submitter_id, submitted_at, status)",
            9,
            n,
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for (acc, p) in accessions.iter().zip(&mut batch) {
            q = q
                .bind(acc.clone())
                .bind(1i64)
                .bind(0i64)
                .bind(std::mem::take(&mut p.metadata_json))
                .bind(format!("{acc}.1"))
                .bind(submission.0)
                .bind(req.submitter.0)
                .bind(now)
                .bind(Status::Received.as_str());
        }
        q.execute(&mut **tx).await?;

        let (terms_name, until) = terms.to_columns();
        let sql = multi_insert_sql(
            "data_use_terms (accession, terms, restricted_until, changed_by, changed_at)",
            5,
            n,
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for acc in &accessions {
            q = q.bind(acc.clone()).bind(terms_name).bind(until.clone()).bind(req.submitter.0).bind(now);
        }
        q.execute(&mut **tx).await?;

        self.enqueue_jobs(tx, accessions.iter().map(|a| (a.as_str(), 1i64)), now).await?;
        batch.clear();
        Ok(batch)
    }

    /// Whether `key` is already used in this submission: in the unwritten batch or the rows
    /// written so far (only asked when its hash was seen before, so rarely).
    async fn key_taken(
        &self,
        tx: &mut Transaction<'static, Any>,
        submission: SubmissionId,
        batch: &[Pending],
        key: &str,
    ) -> Result<bool> {
        if batch.iter().any(|p| p.key == key) {
            return Ok(true);
        }
        let row = sqlx::query("SELECT 1 FROM entries WHERE submission_id = $1 AND submission_key = $2")
            .bind(submission.0)
            .bind(key)
            .fetch_optional(&mut **tx)
            .await?;
        Ok(row.is_some())
    }

    /// The entries a submission created, as (submission key, accession), in accession
    /// order (which is the order they were submitted in); streamed, one row at a time.
    pub fn submission_accessions(
        &self,
        submission: SubmissionId,
    ) -> impl Stream<Item = Result<(String, Accession)>> + Send + '_ {
        // Accessions are zero-padded, so (length, text) is number order.
        sqlx::query(
            "SELECT submission_key, accession FROM entries WHERE submission_id = $1 \
             ORDER BY LENGTH(accession), accession",
        )
        .bind(submission.0)
        .fetch(&self.pool)
        .map_err(StoreError::from)
        .and_then(|row| async move {
            let key: String = row.try_get(0)?;
            let accession: String = row.try_get(1)?;
            Ok((key, Accession::from_stored(accession)))
        })
    }

    /// Draws `n` fresh accession numbers.
    async fn reserve_accession_numbers(
        &self,
        tx: &mut Transaction<'static, Any>,
        n: usize,
    ) -> Result<Vec<i64>> {
        match self.backend {
            Backend::Postgres => {
                let rows = sqlx::query("SELECT nextval('accession_numbers') FROM generate_series(1, $1)")
                    .bind(n as i64)
                    .fetch_all(&mut **tx)
                    .await?;
                rows.iter().map(|r| Ok(r.try_get::<i64, _>(0)?)).collect()
            }
            Backend::Sqlite => {
                let row = sqlx::query(
                    "UPDATE accession_counter SET next_value = next_value + $1 WHERE id = 1 RETURNING next_value",
                )
                .bind(n as i64)
                .fetch_one(&mut **tx)
                .await?;
                let end: i64 = row.try_get(0)?;
                Ok((end - n as i64..end).collect())
            }
        }
    }

    /// Queues processing of the given versions for the current pipeline version.
    pub(crate) async fn enqueue_jobs<'a>(
        &self,
        tx: &mut Transaction<'static, Any>,
        versions: impl ExactSizeIterator<Item = (&'a str, i64)>,
        now: i64,
    ) -> Result<()> {
        let n = versions.len();
        if n == 0 {
            return Ok(());
        }
        // The newest pipeline: during reprocessing, new versions go straight to it.
        let pipeline: i64 = sqlx::query("SELECT MAX(version) FROM pipeline_versions")
            .fetch_one(&mut **tx)
            .await?
            .try_get(0)?;
        let sql = multi_insert_sql("jobs (accession, version, pipeline_version, state, enqueued_at)", 5, n);
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for (acc, version) in versions {
            q = q.bind(acc.to_string()).bind(version).bind(pipeline).bind("QUEUED").bind(now);
        }
        q.execute(&mut **tx).await?;
        Ok(())
    }

    pub(crate) async fn prefix_of(&self, organism: OrganismId) -> Result<String> {
        let row = sqlx::query("SELECT accession_prefix FROM organisms WHERE id = $1")
            .bind(organism.0)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound { what: "organism", key: organism.0.to_string() })?;
        Ok(row.try_get(0)?)
    }

    /// Adds a new version to each entry in `revisions`. Each entry's newest version must be
    /// released; a revision without a sequence reuses the newest version's sequence blob.
    pub async fn revise<S, E>(&self, actor: UserId, revisions: S) -> Result<Vec<AccessionVersion>>
    where
        S: Stream<Item = std::result::Result<Revision, E>>,
        E: std::error::Error + Send + Sync + 'static,
    {
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        let mut revisions = std::pin::pin!(revisions);
        let mut row_no = 0u64;
        while let Some(item) = revisions.next().await {
            row_no += 1;
            let rev = item.map_err(|e| StoreError::Input { row: row_no, source: Box::new(e) })?;
            let acc = rev.accession.as_str().to_string();
            if !seen.insert(acc.clone()) {
                return Err(StoreError::BadEntry {
                    row: row_no,
                    submission_key: acc,
                    reason: "accession appears twice".into(),
                });
            }
            out.push(self.revise_one(&mut tx, actor, rev, None, now).await?);
        }
        self.record_action_key(&mut tx, "revise", &out).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// One revision inside the caller's transaction: a new version of the entry, RECEIVED and
    /// queued for processing, with `comment` as its version comment (why it was made).
    pub(crate) async fn revise_one(
        &self,
        tx: &mut Transaction<'static, Any>,
        actor: UserId,
        rev: Revision,
        comment: Option<&str>,
        now: i64,
    ) -> Result<AccessionVersion> {
        let acc = rev.accession.as_str().to_string();
        let head = self.newest(&mut *tx, &acc).await?;
        self.require_on_entry(&mut *tx, actor, Action::Revise, &acc, &head).await?;
        if head.status != Status::Released {
            return Err(StoreError::CannotRevise {
                accession: acc,
                reason: "its newest version is not released yet",
            });
        }
        let version = head.version + 1;
        let blob_id = match rev.sequence {
            Some(seq) => {
                let codec = self.codec(head.organism).await?;
                let id = format!("{acc}.{version}");
                let compressed = codec
                    .compress(&seq)
                    .map_err(|source| StoreError::Compression { blob: id.clone(), source })?;
                sqlx::query("INSERT INTO sequence_blobs (id, organism_id, raw_length, compressed) VALUES ($1, $2, $3, $4)")
                        .bind(id.clone())
                        .bind(head.organism.0)
                        .bind(seq.len() as i64)
                        .bind(compressed)
                        .execute(&mut **tx)
                        .await?;
                id
            }
            None => head.blob.ok_or(StoreError::CannotRevise {
                accession: acc.clone(),
                reason: "a revoked entry needs its sequence sent again",
            })?,
        };
        let submission =
            self.open_submission(&mut *tx, head.organism, head.group, actor, "revise", now).await?;
        sqlx::query(
            "INSERT INTO versions (accession, version, is_revocation, submitted_metadata, sequence_blob_id, \
                 submission_id, submitter_id, submitted_at, status, version_comment) \
                 VALUES ($1, $2, 0, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(acc.clone())
        .bind(version)
        .bind(rev.metadata_json)
        .bind(blob_id)
        .bind(submission.0)
        .bind(actor.0)
        .bind(now)
        .bind(Status::Received.as_str())
        .bind(comment.map(str::to_owned))
        .execute(&mut **tx)
        .await?;
        self.enqueue_jobs(&mut *tx, std::iter::once((acc.as_str(), version)), now).await?;
        let entry = AuditEntry {
            user: Some(actor),
            action: "revise",
            group: Some(head.group),
            accession: Some(&acc),
            version: Some(version),
            detail: match comment {
                Some(c) => serde_json::json!({ "comment": c }).to_string(),
                None => "{}".into(),
            },
        };
        audit(&mut *tx, now, entry).await?;
        Ok(rev.accession.at(version))
    }

    /// Replaces what was submitted for an unreleased version — the fix for a row whose
    /// processing found errors — and sends it back to processing. Only an entry's newest
    /// version, only while it awaits processing or review (a claimed job would race), and
    /// never a revocation; `sequence: None` keeps the stored sequence.
    ///
    /// A version row is never updated (the database forbids it), so the unreleased row is
    /// deleted — as a discard would — and written anew under the same accession and version,
    /// with a fresh job. The previous metadata stays in the audit log.
    pub async fn edit(
        &self,
        actor: UserId,
        av: &AccessionVersion,
        metadata_json: &str,
        sequence: Option<&[u8]>,
    ) -> Result<()> {
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        let acc = av.accession.as_str();
        let head = self.newest(&mut tx, acc).await?;
        self.require_on_entry(&mut tx, actor, Action::Submit, acc, &head).await?;
        let refuse = |reason| StoreError::CannotRevise { accession: av.to_string(), reason };
        if head.version != av.version {
            return Err(refuse("only an entry's newest version can be edited"));
        }
        if head.is_revocation {
            return Err(refuse("a revocation has no data to edit"));
        }
        let row = sqlx::query(
            "SELECT submitted_metadata, submission_id FROM versions WHERE accession = $1 AND version = $2",
        )
        .bind(acc)
        .bind(av.version)
        .fetch_one(&mut *tx)
        .await?;
        let previous: String = get(&row, "submitted_metadata")?;
        let submission: i64 = get(&row, "submission_id")?;
        let old_blob = head.blob.clone().ok_or_else(|| refuse("it has no stored sequence"))?;
        let deleted = sqlx::query(
            "DELETE FROM versions WHERE accession = $1 AND version = $2 AND status IN ('RECEIVED', 'PROCESSED')",
        )
        .bind(acc)
        .bind(av.version)
        .execute(&mut *tx)
        .await?;
        if deleted.rows_affected() != 1 {
            return Err(refuse("only a version awaiting processing or review can be edited"));
        }
        let blob_id = match sequence {
            None => old_blob,
            Some(seq) => {
                let own = av.to_string();
                crate::lifecycle::drop_unused_blob(&mut tx, &own).await?;
                let codec = self.codec(head.organism).await?;
                let compressed = codec
                    .compress(seq)
                    .map_err(|source| StoreError::Compression { blob: own.clone(), source })?;
                sqlx::query(
                    "INSERT INTO sequence_blobs (id, organism_id, raw_length, compressed) VALUES ($1, $2, $3, $4)",
                )
                .bind(own.clone())
                .bind(head.organism.0)
                .bind(seq.len() as i64)
                .bind(compressed)
                .execute(&mut *tx)
                .await?;
                own
            }
        };
        sqlx::query(
            "INSERT INTO versions (accession, version, is_revocation, submitted_metadata, sequence_blob_id, \
             submission_id, submitter_id, submitted_at, status) VALUES ($1, $2, 0, $3, $4, $5, $6, $7, $8)",
        )
        .bind(acc)
        .bind(av.version)
        .bind(metadata_json)
        .bind(blob_id)
        .bind(submission)
        .bind(actor.0)
        .bind(now)
        .bind(Status::Received.as_str())
        .execute(&mut *tx)
        .await?;
        self.enqueue_jobs(&mut tx, std::iter::once((acc, av.version)), now).await?;
        let detail = serde_json::json!({
            "previousMetadata": serde_json::from_str::<serde_json::Value>(&previous).unwrap_or_default(),
            "sequenceReplaced": sequence.is_some(),
        });
        let entry = AuditEntry {
            user: Some(actor),
            action: "edit",
            group: Some(head.group),
            accession: Some(acc),
            version: Some(av.version),
            detail: detail.to_string(),
        };
        audit(&mut tx, now, entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Adds a revocation version to each entry; it awaits approval like any other version.
    pub async fn revoke(
        &self,
        actor: UserId,
        accessions: &[Accession],
        comment: &str,
    ) -> Result<Vec<AccessionVersion>> {
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        let mut out = Vec::new();
        for accession in accessions {
            let acc = accession.as_str();
            let head = self.newest(&mut tx, acc).await?;
            self.require_on_entry(&mut tx, actor, Action::Revoke, acc, &head).await?;
            if head.status != Status::Released {
                return Err(StoreError::CannotRevise {
                    accession: acc.into(),
                    reason: "its newest version is not released yet",
                });
            }
            if head.is_revocation {
                return Err(StoreError::CannotRevise {
                    accession: acc.into(),
                    reason: "it is already revoked",
                });
            }
            let version = head.version + 1;
            let submission =
                self.open_submission(&mut tx, head.organism, head.group, actor, "revoke", now).await?;
            sqlx::query(
                "INSERT INTO versions (accession, version, is_revocation, submitted_metadata, sequence_blob_id, \
                 submission_id, submitter_id, submitted_at, version_comment, status) \
                 VALUES ($1, $2, 1, '{}', NULL, $3, $4, $5, $6, $7)",
            )
            .bind(acc)
            .bind(version)
            .bind(submission.0)
            .bind(actor.0)
            .bind(now)
            .bind(comment)
            .bind(Status::Processed.as_str())
            .execute(&mut *tx)
            .await?;
            let entry = AuditEntry {
                user: Some(actor),
                action: "revoke",
                group: Some(head.group),
                accession: Some(acc),
                version: Some(version),
                detail: serde_json::json!({ "comment": comment }).to_string(),
            };
            audit(&mut tx, now, entry).await?;
            out.push(accession.at(version));
        }
        self.record_action_key(&mut tx, "revoke", &out).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn open_submission(
        &self,
        tx: &mut Transaction<'static, Any>,
        organism: OrganismId,
        group: GroupId,
        actor: UserId,
        kind: &'static str,
        now: i64,
    ) -> Result<SubmissionId> {
        let row = sqlx::query(
            "INSERT INTO submissions (organism_id, group_id, submitter_id, kind, entry_count, created_at) \
             VALUES ($1, $2, $3, $4, 1, $5) RETURNING id",
        )
        .bind(organism.0)
        .bind(group.0)
        .bind(actor.0)
        .bind(kind)
        .bind(now)
        .fetch_one(&mut **tx)
        .await?;
        Ok(SubmissionId(row.try_get(0)?))
    }

    /// The newest version of an entry, read inside `tx`.
    pub(crate) async fn newest(&self, tx: &mut Transaction<'static, Any>, accession: &str) -> Result<Head> {
        let row = sqlx::query(
            "SELECT e.organism_id, e.group_id, v.version, v.status, v.is_revocation, v.sequence_blob_id \
             FROM entries e JOIN versions v ON v.accession = e.accession \
             WHERE e.accession = $1 ORDER BY v.version DESC LIMIT 1",
        )
        .bind(accession)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::NotFound { what: "accession", key: accession.to_string() })?;
        let status: String = get(&row, "status")?;
        Ok(Head {
            organism: OrganismId(get(&row, "organism_id")?),
            group: GroupId(get(&row, "group_id")?),
            version: get(&row, "version")?,
            status: Status::parse(&status)
                .ok_or_else(|| StoreError::corrupt("versions.status", status.clone()))?,
            is_revocation: get::<i64>(&row, "is_revocation")? == 1,
            blob: get(&row, "sequence_blob_id")?,
        })
    }
}

impl Store {
    /// A handle whose next `action` (`approve`, `revise` or `revoke`) by `user` records `key`
    /// in the action's transaction: committed together, so a retry finds what the first
    /// request made ([`Store::action_by_key`]); a concurrent second use of the key fails as
    /// [`StoreError::AlreadyExists`] and changes nothing.
    pub fn keyed(&self, user: UserId, action: &'static str, key: Idempotency) -> Store {
        let mut keyed = self.clone();
        keyed.action_key = Some(Arc::new(PendingKey { user, action, key }));
        keyed
    }

    /// The action `user` made with idempotency key `key`, if any.
    pub async fn action_by_key(&self, user: UserId, key: &str) -> Result<Option<KeyedAction>> {
        let row = sqlx::query(
            "SELECT action, request_hash, versions FROM action_keys WHERE user_id = $1 AND idempotency_key = $2",
        )
        .bind(user.0)
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let versions: String = get(&row, "versions")?;
        Ok(Some(KeyedAction {
            action: get(&row, "action")?,
            request_hash: get(&row, "request_hash")?,
            versions: serde_json::from_str(&versions)
                .map_err(|_| StoreError::corrupt("action_keys.versions", versions.clone()))?,
        }))
    }

    /// Records this handle's key (if any) for `action`, which made `versions`, inside `tx`.
    pub(crate) async fn record_action_key(
        &self,
        tx: &mut Transaction<'static, Any>,
        action: &'static str,
        versions: &[AccessionVersion],
    ) -> Result<()> {
        let Some(pending) = &self.action_key else { return Ok(()) };
        if pending.action != action {
            // A programming error: a handle keyed for one action used for another.
            return Err(StoreError::Unsupported("an idempotency key recorded for another action"));
        }
        let made: Vec<(&str, i64)> = versions.iter().map(|av| (av.accession.as_str(), av.version)).collect();
        sqlx::query(
            "INSERT INTO action_keys (user_id, idempotency_key, action, request_hash, versions, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(pending.user.0)
        .bind(pending.key.key.clone())
        .bind(action)
        .bind(pending.key.request_hash.clone())
        .bind(serde_json::to_string(&made).expect("pairs serialise"))
        .bind(self.now_ms())
        .execute(&mut **tx)
        .await
        .map_err(|e| unique_as_exists(e, "action with Idempotency-Key", &pending.key.key))?;
        Ok(())
    }

    /// The submission `submitter` made with idempotency key `key`, if any.
    pub async fn submission_by_key(&self, submitter: UserId, key: &str) -> Result<Option<KeyedSubmission>> {
        let row = sqlx::query(
            "SELECT id, entry_count, request_hash FROM submissions \
             WHERE submitter_id = $1 AND idempotency_key = $2 AND kind = 'submit'",
        )
        .bind(submitter.0)
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(KeyedSubmission {
            receipt: SubmissionReceipt {
                submission: SubmissionId(get(&row, "id")?),
                entry_count: get::<i64>(&row, "entry_count")? as u64,
            },
            request_hash: get::<Option<String>>(&row, "request_hash")?.unwrap_or_default(),
        }))
    }

    /// [`Store::require`] for an action on an existing entry, answered so that existence does
    /// not leak: a caller who may neither act on the entry nor see it (no released version,
    /// not a member of its group) hears exactly what an accession never given out answers.
    pub(crate) async fn require_on_entry(
        &self,
        tx: &mut Transaction<'static, Any>,
        actor: UserId,
        action: Action,
        accession: &str,
        head: &Head,
    ) -> Result<()> {
        if self.can(actor, action, head.group).await? {
            return Ok(());
        }
        let visible = sqlx::query(
            "SELECT 1 FROM versions WHERE accession = $1 AND status = 'RELEASED' \
             UNION ALL SELECT 1 FROM memberships WHERE user_id = $2 AND group_id = $3 LIMIT 1",
        )
        .bind(accession)
        .bind(actor.0)
        .bind(head.group.0)
        .fetch_optional(&mut **tx)
        .await?
        .is_some();
        if visible {
            Err(StoreError::Forbidden { user: actor, action, group: head.group })
        } else {
            Err(StoreError::NotFound { what: "accession", key: accession.to_string() })
        }
    }
}

/// What `newest` reports.
#[derive(Debug)]
pub(crate) struct Head {
    pub organism: OrganismId,
    pub group: GroupId,
    pub version: i64,
    pub status: Status,
    pub is_revocation: bool,
    pub blob: Option<String>,
}

fn check_entry(row: u64, e: &NewEntry) -> Result<()> {
    let bad = |reason: &str| StoreError::BadEntry {
        row,
        submission_key: e.submission_key.clone(),
        reason: reason.to_string(),
    };
    if e.submission_key.trim().is_empty() {
        return Err(bad("empty submission id"));
    }
    match serde_json::from_str::<serde_json::Value>(&e.metadata_json) {
        Ok(serde_json::Value::Object(_)) => {}
        _ => return Err(bad("metadata is not a JSON object")),
    }
    if e.sequence.is_empty() {
        return Err(bad("empty sequence"));
    }
    Ok(())
}
