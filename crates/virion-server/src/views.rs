//! JSON shapes of stored versions, shared by the entry and released-data routes.

use serde_json::{Value, json};
use virion_store::{DataUseTerms, VersionRecord};

pub fn terms_json(terms: DataUseTerms) -> Value {
    match terms {
        DataUseTerms::Open => json!({ "type": "OPEN" }),
        DataUseTerms::Restricted { until } => {
            json!({ "type": "RESTRICTED", "restrictedUntil": until.to_string() })
        }
    }
}

/// Parses stored JSON text; stored text is always JSON, so a failure shows as the raw string.
fn parsed(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))
}

/// A version as the API shows it; `full` adds the metadata and processed data.
pub fn version_json(r: &VersionRecord, full: bool) -> Value {
    let av = &r.accession_version;
    let mut v = json!({
        "accession": av.accession.as_str(),
        "version": av.version,
        "accessionVersion": av.to_string(),
        "submissionId": r.submission_key,
        "groupId": r.group.0,
        "status": r.status.as_str(),
        "processingResult": r.processed.as_ref().map(|p| p.result.as_str()),
        "isRevocation": r.is_revocation,
        "isLatest": r.is_latest,
        "submitterId": r.submitter.0,
        "submittedAtMs": r.submitted_at_ms,
        "approvedAtMs": r.approved_at_ms,
        "releasedAtMs": r.released_at_ms,
        "dataUseTerms": terms_json(r.terms),
    });
    if full {
        let obj = v.as_object_mut().expect("built as an object");
        obj.insert("metadata".into(), parsed(&r.submitted_metadata_json));
        obj.insert("versionComment".into(), json!(r.version_comment));
        if let Some(p) = &r.processed {
            obj.insert("datasetVersion".into(), json!(p.dataset_version));
            obj.insert("processed".into(), parsed(&p.processed_json));
            obj.insert("errors".into(), parsed(&p.errors_json));
            obj.insert("warnings".into(), parsed(&p.warnings_json));
        }
    }
    v
}
