//! JSON shapes of stored versions, shared by the entry and released-data routes.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use virion_store::{DataUseTerms, VersionRecord};

/// The kinds of data use terms (the schema of the `type` of [`TermsJson`] and of the submit
/// form's `dataUseTermsType`).
#[derive(ToSchema)]
#[serde(rename_all = "UPPERCASE")]
#[allow(dead_code)] // only its schema is used: the handlers read the kind as text
pub(crate) enum TermsType {
    Open,
    Restricted,
}

/// Data use terms as the API writes and reads them: `{"type": "OPEN"}` or
/// `{"type": "RESTRICTED", "restrictedUntil": "YYYY-MM-DD"}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = DataUseTerms)]
pub struct TermsJson {
    /// `OPEN` or `RESTRICTED` (a string, so that other values get a problem document naming them).
    #[serde(rename = "type")]
    #[schema(example = "RESTRICTED", value_type = TermsType)]
    pub kind: String,
    /// The day the restriction ends, YYYY-MM-DD; RESTRICTED terms only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(format = Date, example = "2030-01-01")]
    pub restricted_until: Option<String>,
}

impl From<DataUseTerms> for TermsJson {
    fn from(terms: DataUseTerms) -> Self {
        match terms {
            DataUseTerms::Open => TermsJson { kind: "OPEN".into(), restricted_until: None },
            DataUseTerms::Restricted { until } => {
                TermsJson { kind: "RESTRICTED".into(), restricted_until: Some(until.to_string()) }
            }
        }
    }
}

/// Parses stored JSON text; stored text is always JSON, so a failure shows as the raw string.
fn parsed(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))
}

/// A version as the API shows it; the full view adds the metadata and processed data.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VersionView {
    /// The entry's accession.
    #[schema(example = "VSC000001X")]
    pub accession: String,
    /// The version number (1 for the first submission, one more for each revision).
    pub version: i64,
    /// Accession and version, `ACCESSION.VERSION`.
    #[schema(example = "VSC000001X.1")]
    pub accession_version: String,
    /// The submitter's own id for the entry, unique within its group and organism.
    pub submission_id: String,
    /// Id of the group that owns the entry.
    pub group_id: i64,
    /// RECEIVED, IN_PROCESSING, PROCESSED, APPROVED or RELEASED.
    pub status: &'static str,
    /// OK, WARNINGS or ERRORS once processed.
    pub processing_result: Option<&'static str>,
    /// Whether this version revokes the entry (it then has no sequence).
    pub is_revocation: bool,
    /// Whether this is the entry's newest version.
    pub is_latest: bool,
    /// Id of the user who submitted the version.
    pub submitter_id: i64,
    /// When it was submitted, in milliseconds since the Unix epoch.
    pub submitted_at_ms: i64,
    /// When it was approved (milliseconds since the Unix epoch); null until then.
    pub approved_at_ms: Option<i64>,
    /// When it was released (milliseconds since the Unix epoch); null until then.
    pub released_at_ms: Option<i64>,
    /// The data use terms in force today (a restriction that has ended reads as OPEN).
    pub data_use_terms: TermsJson,
    /// The submitted metadata (one entry only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Value>,
    /// One entry only; null when the version has no comment.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub version_comment: Option<Option<String>>,
    /// One processed entry only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dataset_version: Option<String>,
    /// The processed metadata (one processed entry only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub processed: Option<Value>,
    /// Processing errors (one processed entry only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub errors: Option<Value>,
    /// Processing warnings (one processed entry only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub warnings: Option<Value>,
}

/// A version as the API shows it; `full` adds the metadata and processed data.
pub fn version_json(r: &VersionRecord, full: bool) -> VersionView {
    let av = &r.accession_version;
    let processed = r.processed.as_ref().filter(|_| full);
    VersionView {
        accession: av.accession.as_str().to_owned(),
        version: av.version,
        accession_version: av.to_string(),
        submission_id: r.submission_key.clone(),
        group_id: r.group.0,
        status: r.status.as_str(),
        processing_result: r.processed.as_ref().map(|p| p.result.as_str()),
        is_revocation: r.is_revocation,
        is_latest: r.is_latest,
        submitter_id: r.submitter.0,
        submitted_at_ms: r.submitted_at_ms,
        approved_at_ms: r.approved_at_ms,
        released_at_ms: r.released_at_ms,
        data_use_terms: r.terms.into(),
        metadata: full.then(|| parsed(&r.submitted_metadata_json)),
        version_comment: full.then(|| r.version_comment.clone()),
        dataset_version: processed.map(|p| p.dataset_version.clone()),
        processed: processed.map(|p| parsed(&p.processed_json)),
        errors: processed.map(|p| parsed(&p.errors_json)),
        warnings: processed.map(|p| parsed(&p.warnings_json)),
    }
}
