//! Reading versions back: one version, listings filtered by what the viewer may see, terms
//! history, the audit trail, and the released-data stream in accession order.

use chrono::NaiveDate;
use futures_util::{Stream, TryStreamExt};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::accession::{Accession, AccessionVersion};
use crate::db::{Store, get};
use crate::error::{Result, StoreError};
use crate::model::{GroupId, OrganismId, ProcessingResult, Status, UserId};
use crate::terms::DataUseTerms;

/// The processed part of a version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Processed {
    /// Whether processing found errors, warnings or neither.
    pub result: ProcessingResult,
    /// The pipeline version that produced this result.
    pub pipeline_version: i64,
    /// Version of the Nextclade dataset used.
    pub dataset_version: String,
    /// The processed record, as a JSON object.
    pub processed_json: String,
    /// Processing errors, as a JSON array of `ProcessingIssue`.
    pub errors_json: String,
    /// Processing warnings, as a JSON array of `ProcessingIssue`.
    pub warnings_json: String,
}

/// Everything about one version except its sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionRecord {
    /// The version's `ACCESSION.VERSION`.
    pub accession_version: AccessionVersion,
    /// The entry's organism.
    pub organism: OrganismId,
    /// The group that owns the entry.
    pub group: GroupId,
    /// The submitter's own id for the entry, unique within its group and organism.
    pub submission_key: String,
    /// Whether this version revokes the entry (it then has no sequence).
    pub is_revocation: bool,
    /// Where the version stands in the lifecycle.
    pub status: Status,
    /// The submitted metadata, as a JSON object, byte for byte.
    pub submitted_metadata_json: String,
    /// Id of the stored sequence blob; `None` for a revocation.
    pub sequence_blob_id: Option<String>,
    /// Who submitted the version.
    pub submitter: UserId,
    /// When it was submitted (ms since the Unix epoch).
    pub submitted_at_ms: i64,
    /// When it was approved, if it was.
    pub approved_at_ms: Option<i64>,
    /// When it was released, if it was.
    pub released_at_ms: Option<i64>,
    /// Order of release over the whole store (1, 2, ...), for reading released data incrementally.
    pub release_seq: Option<i64>,
    /// The comment given with a revocation.
    pub version_comment: Option<String>,
    /// Processing outcome under the current pipeline version, once there is one.
    pub processed: Option<Processed>,
    /// Data use terms in force today (a passed restriction reads as OPEN).
    pub terms: DataUseTerms,
    /// Whether no newer version exists.
    pub is_latest: bool,
}

/// What a listing selects; unreleased versions appear only where the viewer may see them.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Only this organism.
    pub organism: Option<OrganismId>,
    /// Only this group.
    pub group: Option<GroupId>,
    /// Only versions in this status.
    pub status: Option<Status>,
    /// Only the entry with this submission id.
    pub submission_key: Option<String>,
    /// At most this many versions.
    pub limit: Option<i64>,
    /// Versions to skip first, for paging.
    pub offset: i64,
}

/// One change of data use terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermsChange {
    /// The terms set.
    pub terms: DataUseTerms,
    /// Who set them.
    pub changed_by: UserId,
    /// When (ms since the Unix epoch).
    pub changed_at_ms: i64,
}

/// One audit log row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// When it happened (ms since the Unix epoch).
    pub at_ms: i64,
    /// Who acted; `None` for the system (release, processing).
    pub user: Option<UserId>,
    /// What was done (`submit`, `approve`, `set_role`, ...).
    pub action: String,
    /// The group concerned, if any.
    pub group: Option<GroupId>,
    /// The accession concerned, if any.
    pub accession: Option<String>,
    /// The version concerned, if any.
    pub version: Option<i64>,
    /// Further details, as a JSON object.
    pub detail_json: String,
}

/// A released version with its sequence, for the public NDJSON stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleasedVersion {
    /// The version.
    pub record: VersionRecord,
    /// Empty for a revocation.
    pub sequence: Vec<u8>,
}

const SELECT_VERSION: &str = "SELECT v.accession, v.version, e.organism_id, e.group_id, e.submission_key, \
   v.is_revocation, v.status, v.submitted_metadata, v.sequence_blob_id, v.submitter_id, v.submitted_at, \
   v.approved_at, v.released_at, v.release_seq, v.version_comment, \
   p.result, p.pipeline_version AS p_pipeline, p.dataset_version, p.processed_data, p.errors, p.warnings, \
   (SELECT d.terms FROM data_use_terms d WHERE d.accession = v.accession ORDER BY d.id DESC LIMIT 1) AS terms, \
   (SELECT d.restricted_until FROM data_use_terms d WHERE d.accession = v.accession ORDER BY d.id DESC LIMIT 1) AS restricted_until, \
   (SELECT MAX(w.version) FROM versions w WHERE w.accession = v.accession) AS newest \
 FROM versions v JOIN entries e ON e.accession = v.accession \
 LEFT JOIN processing_results p ON p.accession = v.accession AND p.version = v.version \
      AND p.pipeline_version = v.pipeline_version ";

// Visible: released, or the viewer ($1) is a member of the group, or an instance admin.
const VISIBLE: &str = "(v.status = 'RELEASED' \
   OR EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = $1 AND m.group_id = e.group_id) \
   OR EXISTS (SELECT 1 FROM users u WHERE u.id = $1 AND u.is_admin = 1))";

// Member ($1) of the entry's group, organism $2, newest version, processed without errors,
// not released.
const MEMBER_UNRELEASED: &str = "e.organism_id = $2 AND v.status IN ('PROCESSED', 'APPROVED') \
   AND v.is_revocation = 0 AND p.result IN ('OK', 'WARNINGS') \
   AND EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = $1 AND m.group_id = e.group_id) \
   AND v.version = (SELECT MAX(w.version) FROM versions w WHERE w.accession = v.accession)";

fn record_from_row(row: &AnyRow, today: NaiveDate) -> Result<VersionRecord> {
    let status: String = get(row, "status")?;
    let version: i64 = get(row, "version")?;
    let processed = match get::<Option<String>>(row, "result")? {
        Some(r) => Some(Processed {
            result: ProcessingResult::parse(&r)
                .ok_or_else(|| StoreError::corrupt("processing_results.result", r.clone()))?,
            pipeline_version: get(row, "p_pipeline")?,
            dataset_version: get(row, "dataset_version")?,
            processed_json: get(row, "processed_data")?,
            errors_json: get(row, "errors")?,
            warnings_json: get(row, "warnings")?,
        }),
        None => None,
    };
    let terms: String = get(row, "terms")?;
    Ok(VersionRecord {
        accession_version: Accession::from_stored(get(row, "accession")?).at(version),
        organism: OrganismId(get(row, "organism_id")?),
        group: GroupId(get(row, "group_id")?),
        submission_key: get(row, "submission_key")?,
        is_revocation: get::<i64>(row, "is_revocation")? == 1,
        status: Status::parse(&status)
            .ok_or_else(|| StoreError::corrupt("versions.status", status.clone()))?,
        submitted_metadata_json: get(row, "submitted_metadata")?,
        sequence_blob_id: get(row, "sequence_blob_id")?,
        submitter: UserId(get(row, "submitter_id")?),
        submitted_at_ms: get(row, "submitted_at")?,
        approved_at_ms: get(row, "approved_at")?,
        released_at_ms: get(row, "released_at")?,
        release_seq: get(row, "release_seq")?,
        version_comment: get(row, "version_comment")?,
        processed,
        terms: DataUseTerms::from_columns(&terms, get(row, "restricted_until")?)?.effective(today),
        is_latest: get::<i64>(row, "newest")? == version,
    })
}

impl Store {
    /// One version as `viewer` (None: the public) may see it; an invisible version reads as
    /// not found, so its existence does not leak.
    pub async fn get_version(&self, viewer: Option<UserId>, av: &AccessionVersion) -> Result<VersionRecord> {
        let sql = format!("{SELECT_VERSION} WHERE v.accession = $2 AND v.version = $3 AND {VISIBLE}");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(viewer.map_or(-1, |u| u.0))
            .bind(av.accession.as_str())
            .bind(av.version)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound { what: "version", key: av.to_string() })?;
        record_from_row(&row, self.today())
    }

    /// The entry's newest version that `viewer` may see.
    pub async fn newest_version(
        &self,
        viewer: Option<UserId>,
        accession: &Accession,
    ) -> Result<VersionRecord> {
        let sql =
            format!("{SELECT_VERSION} WHERE v.accession = $2 AND {VISIBLE} ORDER BY v.version DESC LIMIT 1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(viewer.map_or(-1, |u| u.0))
            .bind(accession.as_str())
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound { what: "entry", key: accession.to_string() })?;
        record_from_row(&row, self.today())
    }

    /// The version's sequence as submitted (empty for a revocation).
    pub async fn get_sequence(&self, viewer: Option<UserId>, av: &AccessionVersion) -> Result<Vec<u8>> {
        let record = self.get_version(viewer, av).await?;
        self.sequence_of(&record).await
    }

    /// The sequence of a version already read (empty for a revocation): one read fewer than
    /// [`Store::get_sequence`] for a caller that has the record.
    pub async fn sequence_of(&self, record: &VersionRecord) -> Result<Vec<u8>> {
        let Some(blob) = &record.sequence_blob_id else { return Ok(Vec::new()) };
        self.load_blob(record.organism, blob).await
    }

    /// The length of a stored sequence, without reading or decompressing it.
    pub async fn blob_length(&self, blob: &str) -> Result<i64> {
        let row = sqlx::query("SELECT raw_length FROM sequence_blobs WHERE id = $1")
            .bind(blob)
            .fetch_one(&self.pool)
            .await?;
        get(&row, "raw_length")
    }

    pub(crate) async fn load_blob(&self, organism: OrganismId, blob: &str) -> Result<Vec<u8>> {
        let row = sqlx::query("SELECT raw_length, compressed FROM sequence_blobs WHERE id = $1")
            .bind(blob)
            .fetch_one(&self.pool)
            .await?;
        let raw_length: i64 = get(&row, "raw_length")?;
        let compressed: Vec<u8> = get(&row, "compressed")?;
        self.codec(organism)
            .await?
            .decompress(&compressed, raw_length as usize)
            .map_err(|source| StoreError::Compression { blob: blob.to_string(), source })
    }

    /// Versions matching `filter` that `viewer` may see, in accession and version order.
    pub async fn list_versions(
        &self,
        viewer: Option<UserId>,
        filter: &ListFilter,
    ) -> Result<Vec<VersionRecord>> {
        let sql = format!(
            "{SELECT_VERSION} WHERE {VISIBLE} AND ($2 IS NULL OR e.organism_id = $2) \
             AND ($3 IS NULL OR e.group_id = $3) AND ($4 IS NULL OR v.status = $4) \
             AND ($5 IS NULL OR e.submission_key = $5) \
             ORDER BY v.accession, v.version LIMIT $6 OFFSET $7"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(viewer.map_or(-1, |u| u.0))
            .bind(filter.organism.map(|o| o.0))
            .bind(filter.group.map(|g| g.0))
            .bind(filter.status.map(|s| s.as_str()))
            .bind(filter.submission_key.clone())
            .bind(filter.limit.unwrap_or(i64::MAX))
            .bind(filter.offset)
            .fetch_all(&self.pool)
            .await?;
        let today = self.today();
        rows.iter().map(|r| record_from_row(r, today)).collect()
    }

    /// Versions per status (and processing result) in `group`, for the review page.
    pub async fn status_counts(
        &self,
        viewer: UserId,
        group: GroupId,
    ) -> Result<Vec<(Status, Option<ProcessingResult>, i64)>> {
        let sql = format!(
            "SELECT v.status, p.result, COUNT(*) AS n FROM versions v JOIN entries e ON e.accession = v.accession \
             LEFT JOIN processing_results p ON p.accession = v.accession AND p.version = v.version \
                  AND p.pipeline_version = v.pipeline_version \
             WHERE e.group_id = $2 AND {VISIBLE} GROUP BY v.status, p.result ORDER BY v.status, p.result"
        );
        let rows =
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(viewer.0).bind(group.0).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                let s: String = get(r, "status")?;
                let p: Option<String> = get(r, "result")?;
                Ok((
                    Status::parse(&s).ok_or_else(|| StoreError::corrupt("versions.status", s.clone()))?,
                    p.as_deref().and_then(ProcessingResult::parse),
                    get(r, "n")?,
                ))
            })
            .collect()
    }

    /// The data use terms history of an entry, oldest first (as stored, not as effective today).
    pub async fn terms_history(&self, accession: &Accession) -> Result<Vec<TermsChange>> {
        let rows = sqlx::query(
            "SELECT terms, restricted_until, changed_by, changed_at FROM data_use_terms WHERE accession = $1 ORDER BY id",
        )
        .bind(accession.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(TermsChange {
                    terms: DataUseTerms::from_columns(
                        &get::<String>(r, "terms")?,
                        get(r, "restricted_until")?,
                    )?,
                    changed_by: UserId(get(r, "changed_by")?),
                    changed_at_ms: get(r, "changed_at")?,
                })
            })
            .collect()
    }

    /// Audit rows about an accession (every version), oldest first.
    pub async fn audit_trail(&self, accession: &Accession) -> Result<Vec<AuditEvent>> {
        let rows = sqlx::query(
            "SELECT at, user_id, action, group_id, accession, version, detail FROM audit_log WHERE accession = $1 ORDER BY id",
        )
        .bind(accession.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditEvent {
                    at_ms: get(r, "at")?,
                    user: get::<Option<i64>>(r, "user_id")?.map(UserId),
                    action: get(r, "action")?,
                    group: get::<Option<i64>>(r, "group_id")?.map(GroupId),
                    accession: get(r, "accession")?,
                    version: get(r, "version")?,
                    detail_json: get(r, "detail")?,
                })
            })
            .collect()
    }

    /// A text that changes whenever the released stream of `organism` would: the count and
    /// newest release number of released versions, the current pipeline version, how many
    /// times entries' terms were changed, and the day (restrictions lapse at midnight). For
    /// ETags and for consumers that poll. The part after the release number (the *basis*)
    /// changes only when already released lines change: a new entry's first terms do not
    /// count, so that new releases can be appended rather than everything rebuilt.
    pub async fn released_state(&self, organism: OrganismId) -> Result<String> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n, COALESCE(MAX(v.release_seq), 0) AS seq, \
               (SELECT current_version FROM pipeline_state WHERE id = 1) AS pv, \
               (SELECT COUNT(*) - COUNT(DISTINCT d.accession) FROM data_use_terms d \
                  JOIN entries x ON x.accession = d.accession WHERE x.organism_id = $1) AS terms \
             FROM versions v JOIN entries e ON e.accession = v.accession \
             WHERE e.organism_id = $1 AND v.status = 'RELEASED'",
        )
        .bind(organism.0)
        .fetch_one(&self.pool)
        .await?;
        let mut parts = Vec::new();
        for column in ["n", "seq", "pv", "terms"] {
            parts.push(get::<i64>(&row, column)?.to_string());
        }
        Ok(format!("{}|{}", parts.join("|"), self.today()))
    }

    /// When a version of `organism` was last released (ms since the epoch), if ever.
    pub async fn last_release(&self, organism: OrganismId) -> Result<Option<i64>> {
        let row = sqlx::query(
            "SELECT MAX(v.released_at) AS at FROM versions v JOIN entries e ON e.accession = v.accession \
             WHERE e.organism_id = $1 AND v.status = 'RELEASED'",
        )
        .bind(organism.0)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get("at")?)
    }

    /// Streams every released version of `organism` in accession, version order, with its
    /// sequence, holding one row at a time.
    pub fn released_stream(
        &self,
        organism: OrganismId,
    ) -> impl Stream<Item = Result<ReleasedVersion>> + Send + '_ {
        self.released_where(organism, "ORDER BY v.accession, v.version", 0, true)
    }

    /// Streams the versions of `organism` released after release number `after`, in release
    /// order (what an index built up to `after` must append). Without sequences: the query
    /// index rebuilds aligned sequences from the processed data, and skipping the blobs saves
    /// decompressing every genome.
    pub fn released_since(
        &self,
        organism: OrganismId,
        after: i64,
    ) -> impl Stream<Item = Result<ReleasedVersion>> + Send + '_ {
        self.released_where(organism, "AND v.release_seq > $2 ORDER BY v.release_seq", after, false)
    }

    /// [`Store::released_since`] with each version's submitted sequence: what a mirror of the
    /// released stream appends, in release order so that it can resume after any version.
    pub fn released_since_with_sequences(
        &self,
        organism: OrganismId,
        after: i64,
    ) -> impl Stream<Item = Result<ReleasedVersion>> + Send + '_ {
        self.released_where(organism, "AND v.release_seq > $2 ORDER BY v.release_seq", after, true)
    }

    /// The newest versions of `organism`, in the groups `user` belongs to, that are processed
    /// without errors but not released yet (PROCESSED or APPROVED): what a member's query view
    /// adds to the released data. In accession order.
    pub fn member_unreleased(
        &self,
        organism: OrganismId,
        user: UserId,
    ) -> impl Stream<Item = Result<VersionRecord>> + Send + '_ {
        let today = self.today();
        let sql = format!("{SELECT_VERSION} WHERE {MEMBER_UNRELEASED} ORDER BY v.accession");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(user.0)
            .bind(organism.0)
            .fetch(&self.pool)
            .map_err(StoreError::from)
            .and_then(move |row| async move { record_from_row(&row, today) })
    }

    /// A text that changes whenever [`Store::member_unreleased`] would answer differently
    /// (count and newest submission, processing and approval times).
    pub async fn member_unreleased_state(&self, organism: OrganismId, user: UserId) -> Result<String> {
        let sql = format!(
            "SELECT COUNT(*) AS n, COALESCE(MAX(v.submitted_at), 0) AS s, COALESCE(MAX(v.processed_at), 0) AS p, \
               COALESCE(MAX(v.approved_at), 0) AS a \
             FROM versions v JOIN entries e ON e.accession = v.accession \
             LEFT JOIN processing_results p ON p.accession = v.accession AND p.version = v.version \
                  AND p.pipeline_version = v.pipeline_version \
             WHERE {MEMBER_UNRELEASED}"
        );
        let row =
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(user.0).bind(organism.0).fetch_one(&self.pool).await?;
        let mut parts = Vec::new();
        for column in ["n", "s", "p", "a"] {
            parts.push(get::<i64>(&row, column)?.to_string());
        }
        Ok(parts.join("|"))
    }

    fn released_where(
        &self,
        organism: OrganismId,
        tail: &'static str,
        after: i64,
        with_sequences: bool,
    ) -> impl Stream<Item = Result<ReleasedVersion>> + Send + '_ {
        let today = self.today();
        let sql = format!("{SELECT_VERSION} WHERE e.organism_id = $1 AND v.status = 'RELEASED' {tail}");
        let query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(organism.0);
        // Only the second form has a $2.
        let query = if tail.contains("$2") { query.bind(after) } else { query };
        query.fetch(&self.pool).map_err(StoreError::from).and_then(move |row| async move {
            let record = record_from_row(&row, today)?;
            let sequence = match &record.sequence_blob_id {
                Some(blob) if with_sequences => self.load_blob(record.organism, blob).await?,
                _ => Vec::new(),
            };
            Ok(ReleasedVersion { record, sequence })
        })
    }
}
