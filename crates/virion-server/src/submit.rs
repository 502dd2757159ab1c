//! `POST /api/{organism}/submit`: stream the uploaded files to disk, validate them as a whole
//! (reject everything on any error), then stream the pairs into one store transaction.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::extract::{Multipart, Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use futures_util::StreamExt;
use serde::Serialize;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;
use utoipa::ToSchema;
use virion_io::{FastaLimits, FastaReader, FastaRecord};
use virion_schema::{
    Issue, OrganismConfig, SegmentRecord, Severity, cross_check, cross_check_segments, validate_file,
};
use virion_sort::{MinimizerIndex, SortParams};
use virion_store::{Action, DataUseTerms, NewEntry, Store, SubmissionReceipt, SubmitRequest};

use crate::auth::AuthUser;
use crate::entries::{OrganismPath, parse_terms};
use crate::error::{ApiError, ProblemResponse};
use crate::state::{AppState, UploadLimits};
use sha2::{Digest, Sha256};

/// At most this many issues are returned; the count of the rest is stated.
const MAX_ISSUES: usize = 1000;
/// Entries in flight between the FASTA reader thread and the store.
const CHANNEL_DEPTH: usize = 256;
/// Bytes per chunk of the streamed accession list.
const CHUNK_BYTES: usize = 64 * 1024;

struct Upload {
    /// The name the client gave, used in issues.
    label: String,
    path: PathBuf,
}

/// A submission's form, its files already on disk.
#[derive(Default)]
pub(crate) struct Form {
    metadata: Option<Upload>,
    sequences: Option<Upload>,
    pub(crate) group: Option<String>,
    terms_type: Option<String>,
    restricted_until: Option<String>,
    /// The portal's CSRF token (its upload form posts here too); the API ignores it.
    pub(crate) csrf: Option<String>,
    /// A hash of every field and file as received, in order (what tells a retry of this
    /// request from another one under the same `Idempotency-Key`).
    hash: Sha256,
}

/// Keeps a client's file name usable (and harmless) as a file name: its last component,
/// letters, digits and `._-` only. The extension matters: it names format and compression.
fn safe_name(name: Option<&str>, fallback: &str) -> String {
    let base = name.and_then(|n| n.rsplit(['/', '\\']).next()).unwrap_or("");
    let clean: String =
        base.chars().map(|c| if c.is_ascii_alphanumeric() || "._-".contains(c) { c } else { '_' }).collect();
    if clean.trim_matches(['.', '_']).is_empty() { fallback.to_owned() } else { clean }
}

/// A text field of the form, refused past `limit` bytes (axum's `text()` would read any size).
async fn bounded_text(
    mut field: axum::extract::multipart::Field<'_>,
    name: &str,
    limit: usize,
) -> Result<String, ApiError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await? {
        if bytes.len() + chunk.len() > limit {
            return Err(ApiError::TooLarge(format!("form field `{name}` is longer than {limit} bytes")));
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes)
        .map_err(|_| ApiError::BadRequest(format!("form field `{name}` is not UTF-8 text")))
}

async fn read_form(
    mut multipart: Multipart,
    dir: &Path,
    limits: &UploadLimits,
    metrics: &crate::metrics::Metrics,
) -> Result<Form, ApiError> {
    let mut form = Form::default();
    let mut received = 0u64;
    while let Some(mut field) = multipart.next_field().await? {
        let name = field.name().unwrap_or("").to_owned();
        form.hash.update((name.len() as u64).to_le_bytes());
        form.hash.update(name.as_bytes());
        match name.as_str() {
            "metadata" | "sequences" => {
                let fallback = if name == "metadata" { "metadata.tsv" } else { "sequences.fasta" };
                let label = safe_name(field.file_name(), fallback);
                // Each file gets its own sub-directory so equal client names cannot collide.
                let sub = dir.join(&name);
                tokio::fs::create_dir_all(&sub).await.map_err(ApiError::internal)?;
                let path = sub.join(&label);
                let mut file = tokio::fs::File::create(&path).await.map_err(ApiError::internal)?;
                while let Some(chunk) = field.chunk().await? {
                    received += chunk.len() as u64;
                    metrics.uploaded(chunk.len() as u64);
                    if received > limits.upload_bytes {
                        return Err(ApiError::TooLarge(format!(
                            "the submission's files are larger than {} bytes (at file {label:?}), the most \
                             this hub takes at once; split it into several submissions",
                            limits.upload_bytes
                        )));
                    }
                    form.hash.update(&chunk);
                    file.write_all(&chunk).await.map_err(ApiError::internal)?;
                }
                file.flush().await.map_err(ApiError::internal)?;
                let upload = Upload { label, path };
                if name == "metadata" { form.metadata = Some(upload) } else { form.sequences = Some(upload) }
            }
            "group" | "dataUseTermsType" | "restrictedUntil" | "csrf" => {
                let text = bounded_text(field, &name, limits.field_bytes).await?;
                if name != "csrf" {
                    form.hash.update((text.len() as u64).to_le_bytes());
                    form.hash.update(text.as_bytes());
                }
                let slot = match name.as_str() {
                    "group" => &mut form.group,
                    "dataUseTermsType" => &mut form.terms_type,
                    "restrictedUntil" => &mut form.restricted_until,
                    _ => &mut form.csrf,
                };
                *slot = Some(text);
            }
            other => return Err(ApiError::BadRequest(format!("unexpected form field {other:?}"))),
        }
    }
    Ok(form)
}

/// The multipart form of a submission, as [`read_form`] reads it (other fields are refused).
#[derive(ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(dead_code)] // only its schema is used; the form is streamed to disk field by field
struct SubmitForm {
    /// The group the entries are submitted for (its name); the caller must be allowed to
    /// submit to it.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\s\x00-\x1f\x7f-\x9f](?:[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f])?$"
    )]
    group: String,
    /// TSV, CSV, XLSX or NDJSON, optionally gz/zst/xz/bz2/zip.
    #[schema(value_type = String, format = Binary)]
    metadata: Vec<u8>,
    /// FASTA, optionally compressed.
    #[schema(value_type = String, format = Binary)]
    sequences: Vec<u8>,
    /// OPEN (default) or RESTRICTED.
    #[schema(value_type = crate::views::TermsType, required = false)]
    data_use_terms_type: Option<String>,
    /// The day the restriction ends, YYYY-MM-DD; RESTRICTED terms only.
    #[schema(value_type = String, format = Date, required = false)]
    restricted_until: Option<String>,
}

/// The accessions given to a submission's entries, in submission order.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubmissionAccessions {
    /// The submission's id on the hub.
    submission: i64,
    /// How many entries it made.
    entry_count: u64,
    /// Each entry's accession.
    entries: Vec<SubmittedEntry>,
}

/// One submitted entry's accession (also one line of the NDJSON answer).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubmittedEntry {
    /// The entry's id in the submitted metadata (the organism's submission id column).
    submission_id: String,
    /// The accession the hub gave it.
    #[schema(example = "VSC000001X")]
    accession: String,
    /// Its version number: 1, a new entry's first version.
    version: i64,
}

/// Validates and stores a submission as a whole, then answers the accessions given to its
/// entries (as JSON, or NDJSON when asked); processing follows in the workers.
#[utoipa::path(post, path = "/api/{organism}/submit",
    summary = "Submit genomes: metadata (TSV/CSV/XLSX/NDJSON, optionally gz/zst/xz/bz2/zip) and sequences (FASTA, optionally compressed). Any error rejects the whole submission (422 with every issue).",
    params(OrganismPath,
        ("Idempotency-Key" = Option<String>, Header, pattern = "^[!-~]{1,255}$", description = "Any 1-255 visible ASCII characters, new for each submission (a UUID): a retry with the same key and the same files gets the first answer (with `idempotency-replayed: true`) and stores nothing twice; the key with other files is refused (409).")),
    request_body(content = SubmitForm, content_type = "multipart/form-data"),
    security(("bearer" = [])),
    responses((status = 200, description = "The accessions, streamed in submission order; with `Accept: application/x-ndjson`, one SubmittedEntry per line",
            content((SubmissionAccessions = "application/json"), (SubmittedEntry = "application/x-ndjson"))),
        (status = 400, response = ProblemResponse), (status = 401, response = ProblemResponse),
        (status = 403, response = ProblemResponse), (status = 404, response = ProblemResponse),
        (status = 409, response = ProblemResponse), (status = 413, response = ProblemResponse),
        (status = 422, response = ProblemResponse), (status = 500, response = ProblemResponse)))]
pub async fn submit(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    UrlPath(organism): UrlPath<String>,
    headers: HeaderMap,
    multipart: Multipart,
) -> Result<Response, ApiError> {
    state.organism(&organism)?;
    let key = idempotency_key(&headers)?;
    let (dir, form) = receive(&state, multipart).await?;
    let ndjson = wants_ndjson(&headers);
    let Some(key) = key else {
        let receipt = store_submission(&state, &user, &organism, dir, form, None).await?;
        return Ok(accessions_response(state.store().clone(), receipt, ndjson));
    };
    let request_hash = format!("{organism}:{:x}", form.hash.clone().finalize());
    // A retry of a stored submission gets the first answer; nothing is stored twice.
    if let Some(first) = replay(&state, &user, &key, &request_hash, ndjson).await? {
        return Ok(first);
    }
    let idempotency = virion_store::Idempotency { key: key.clone(), request_hash: request_hash.clone() };
    match store_submission(&state, &user, &organism, dir, form, Some(idempotency)).await {
        Ok(receipt) => Ok(accessions_response(state.store().clone(), receipt, ndjson)),
        // The same key was stored meanwhile by a concurrent retry: answer as it did.
        Err(ApiError::Conflict(_)) if state.store().submission_by_key(user.id, &key).await?.is_some() => {
            replay(&state, &user, &key, &request_hash, ndjson)
                .await?
                .ok_or_else(|| ApiError::internal("a keyed submission vanished"))
        }
        Err(e) => Err(e),
    }
}

/// Longest `Idempotency-Key` taken.
const MAX_IDEMPOTENCY_KEY: usize = 255;

/// The request's `Idempotency-Key`, if it sent one: 1–255 visible ASCII characters.
pub(crate) fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else { return Ok(None) };
    let key = value.to_str().ok().filter(|k| {
        !k.is_empty() && k.len() <= MAX_IDEMPOTENCY_KEY && k.bytes().all(|b| b.is_ascii_graphic())
    });
    match key {
        Some(k) => Ok(Some(k.to_owned())),
        None => Err(ApiError::BadRequest(format!(
            "the Idempotency-Key header must be 1 to {MAX_IDEMPOTENCY_KEY} visible ASCII characters (a UUID, say)"
        ))),
    }
}

/// The first answer to the submission stored under `key`, if there is one; a different
/// request under the same key is refused (409).
async fn replay(
    state: &AppState,
    user: &virion_store::User,
    key: &str,
    request_hash: &str,
    ndjson: bool,
) -> Result<Option<Response>, ApiError> {
    let Some(first) = state.store().submission_by_key(user.id, key).await? else { return Ok(None) };
    if first.request_hash != request_hash {
        return Err(ApiError::KeyReused(format!(
            "Idempotency-Key {key:?} was used for submission {} with other files or fields; use a new key for a new submission",
            first.receipt.submission.0
        )));
    }
    tracing::info!(submission = first.receipt.submission.0, "submission retried: answered from the first");
    let mut response = accessions_response(state.store().clone(), first.receipt, ndjson);
    response.headers_mut().insert("idempotency-replayed", HeaderValue::from_static("true"));
    Ok(Some(response))
}

/// Streams a submission's files into a fresh upload directory (removed when dropped).
pub(crate) async fn receive(
    state: &AppState,
    multipart: Multipart,
) -> Result<(tempfile::TempDir, Form), ApiError> {
    let dir = tempfile::Builder::new()
        .prefix("submit-")
        .tempdir_in(state.uploads_dir())
        .map_err(ApiError::internal)?;
    let form = read_form(multipart, dir.path(), state.upload_limits(), state.metrics()).await?;
    Ok((dir, form))
}

/// Validates a received submission as a whole and stores it for `user` (who must be allowed
/// to submit to the form's group).
pub(crate) async fn store_submission(
    state: &AppState,
    user: &virion_store::User,
    organism: &str,
    dir: tempfile::TempDir,
    form: Form,
    idempotency: Option<virion_store::Idempotency>,
) -> Result<SubmissionReceipt, ApiError> {
    let org = state.organism(organism)?;
    let store = state.store();
    let group_name =
        form.group.ok_or_else(|| ApiError::BadRequest("form field `group` is missing".into()))?;
    let metadata =
        form.metadata.ok_or_else(|| ApiError::BadRequest("file field `metadata` is missing".into()))?;
    let sequences =
        form.sequences.ok_or_else(|| ApiError::BadRequest("file field `sequences` is missing".into()))?;
    let terms = match form.terms_type.as_deref() {
        None => DataUseTerms::Open,
        Some(kind) => parse_terms(kind, form.restricted_until.as_deref())?,
    };
    let group = store.group_by_name(&group_name).await?;
    if !store.can(user.id, Action::Submit, group).await? {
        return Err(ApiError::Forbidden(format!("{} may not submit to group {group_name:?}", user.name)));
    }

    let config = org.config.clone();
    let limits = *state.upload_limits();
    let fasta_limits = FastaLimits {
        header_bytes: limits.header_bytes,
        record_bytes: limits.record_bytes(org.reference_len),
        file_bytes: limits.decompressed_bytes,
    };
    let index_path = dir.path().join("validated.ndjson");
    let segment_index = org.segment_index.clone();
    let (meta_path, meta_label) = (metadata.path.clone(), metadata.label.clone());
    let (fasta_path, fasta_label) = (sequences.path.clone(), sequences.label.clone());
    let index = {
        let index_path = index_path.clone();
        tokio::task::spawn_blocking(move || {
            // The FASTA reader counts its own bytes; metadata is checked in a first pass.
            check_decompressed_size(&meta_path, &meta_label, limits.decompressed_bytes)?;
            let files = Files { meta_path, meta_label, fasta_path, fasta_label, fasta_limits };
            validate(&config, &files, &index_path, limits.records, segment_index.as_deref())
        })
        .await
        .map_err(ApiError::internal)??
    };
    tracing::info!(entries = index.lines.len(), organism = %organism, group = %group_name, "submission validated");

    let (tx, mut rx) = mpsc::channel::<Result<NewEntry, std::io::Error>>(CHANNEL_DEPTH);
    let fasta_path = sequences.path.clone();
    let producer = tokio::task::spawn_blocking(move || {
        pair_entries(&fasta_path, fasta_limits, &index_path, &index, &tx)
    });
    let entries = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
    let request = SubmitRequest { organism: org.id, group, submitter: user.id, terms, idempotency };
    let receipt = store.submit(&request, entries).await;
    producer.await.map_err(ApiError::internal)?;
    let receipt = receipt?;
    drop(dir);
    Ok(receipt)
}

fn wants_ndjson(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim().starts_with("application/x-ndjson")))
}

/// The accessions of a stored submission, streamed from the database (a million-entry
/// answer never sits in memory): by default one JSON object
/// `{"submission": N, "entryCount": N, "entries": [{submissionId, accession, version}, …]}`,
/// or with `Accept: application/x-ndjson` one entry object per line.
fn accessions_response(store: Store, receipt: SubmissionReceipt, ndjson: bool) -> Response {
    let (tx, mut rx) = mpsc::channel::<Result<Vec<u8>, std::io::Error>>(4);
    tokio::spawn(async move {
        let mut buf = Vec::with_capacity(CHUNK_BYTES + 256);
        if !ndjson {
            let head = SubmissionAccessions {
                submission: receipt.submission.0,
                entry_count: receipt.entry_count,
                entries: Vec::new(),
            };
            let head = serde_json::to_string(&head).expect("JSON to memory");
            // `{…,"entries":[` : the entries follow, then `]}`.
            buf.extend_from_slice(&head.as_bytes()[..head.len() - 2]);
        }
        let mut rows = std::pin::pin!(store.submission_accessions(receipt.submission));
        let mut first = true;
        while let Some(row) = rows.next().await {
            let (key, accession) = match row {
                Ok(row) => row,
                Err(e) => {
                    // The submission is stored; only this listing failed. Cut the body short
                    // so the client sees a broken response rather than a partial list.
                    tracing::error!(submission = receipt.submission.0, error = %e, "listing accessions failed");
                    let _ = tx.send(Err(std::io::Error::other(e.to_string()))).await;
                    return;
                }
            };
            if !ndjson && !first {
                buf.push(b',');
            }
            first = false;
            let entry =
                SubmittedEntry { submission_id: key, accession: accession.as_str().to_owned(), version: 1 };
            serde_json::to_writer(&mut buf, &entry).expect("JSON to memory");
            if ndjson {
                buf.push(b'\n');
            }
            if buf.len() >= CHUNK_BYTES && tx.send(Ok(std::mem::take(&mut buf))).await.is_err() {
                return; // the client went away
            }
        }
        if !ndjson {
            buf.extend_from_slice(b"]}");
        }
        let _ = tx.send(Ok(buf)).await;
    });
    let body = Body::from_stream(futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx)));
    let mut response = Response::new(body);
    let content_type = if ndjson { "application/x-ndjson" } else { "application/json" };
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// Where each validated row's metadata lies: submission id → its line in the metadata file,
/// and, indexed by that line, the byte range of its JSON in the validated-rows file. Pairing
/// then needs no row in memory, only the ids (the one thing a submission must hold).
struct RowIndex {
    lines: HashMap<String, u64>,
    offsets: Vec<(u64, u32)>,
    /// A segmented organism's records, grouped by sample.
    segments: Option<SegmentPairing>,
}

/// A segmented organism's FASTA records as validation left them: each record's sequence
/// written to a plain spill file (the upload may be compressed, and a sample's segments may be
/// anywhere in it), and each sample's segments in the organism's order, samples in the order
/// their first record came.
struct SegmentPairing {
    spill: PathBuf,
    /// (submission id, its segments).
    samples: Vec<(String, Vec<SpilledSegment>)>,
}

/// One segment of a sample: its name and where its sequence lies in the spill file (offset,
/// length).
type SpilledSegment = (String, (u64, u64));

impl RowIndex {
    /// The submission id a FASTA record name matches (whole name, or first word) and the byte
    /// range of its metadata.
    fn find(&self, name: &str) -> Option<(&str, (u64, u32))> {
        let name = name.trim();
        let first_word = name.split_whitespace().next().unwrap_or("");
        [name, first_word].into_iter().find_map(|n| self.metadata_of(n))
    }

    /// The byte range of submission id `id`'s metadata.
    fn metadata_of(&self, id: &str) -> Option<(&str, (u64, u32))> {
        let (key, &line) = self.lines.get_key_value(id)?;
        let range = *self.offsets.get(line as usize)?;
        Some((key.as_str(), range))
    }
}

/// A submission's two files on disk, the names their sender gave them, and the FASTA limits.
struct Files {
    meta_path: PathBuf,
    meta_label: String,
    fasta_path: PathBuf,
    fasta_label: String,
    fasta_limits: FastaLimits,
}

/// Refuses a file whose decompressed contents exceed `limit` bytes, before anything reads it
/// for real: one streaming pass, constant memory (a 40 KB zstd bomb stops at the limit).
fn check_decompressed_size(path: &Path, label: &str, limit: u64) -> Result<(), ApiError> {
    let unreadable = |e: &dyn std::fmt::Display| {
        ApiError::Unreadable(e.to_string().replace(&path.display().to_string(), label))
    };
    let reader = virion_io::open_path(path).map_err(|e| unreadable(&e))?;
    let copied = std::io::copy(&mut reader.take(limit.saturating_add(1)), &mut std::io::sink())
        .map_err(|e| ApiError::Unreadable(format!("{label}: cannot be read (damaged compression?): {e}")))?;
    if copied > limit {
        return Err(ApiError::TooLarge(format!(
            "{label}: decompressed, it holds more than {limit} bytes, the most this hub takes in one file; \
             split the submission"
        )));
    }
    Ok(())
}

/// Validates the metadata rows and pairs them with the FASTA records. Rows without errors are
/// written as JSON lines to `index_path`.
fn validate(
    config: &OrganismConfig,
    files: &Files,
    index_path: &Path,
    max_records: u64,
    segment_index: Option<&MinimizerIndex>,
) -> Result<RowIndex, ApiError> {
    let Files { meta_path, meta_label, fasta_path, fasta_label, fasta_limits } = files;
    let (meta_label, fasta_label) = (meta_label.as_str(), fasta_label.as_str());
    let too_many = |file: &str| {
        ApiError::TooLarge(format!(
            "{file}: more than {max_records} records, the most this hub takes in one submission; split it"
        ))
    };
    let mut issues: Vec<Issue> = Vec::new();
    let mut error_count = 0usize;
    let mut keep = |issue: &Issue, issues: &mut Vec<Issue>| {
        if issue.severity == Severity::Error {
            error_count += 1;
            if issues.len() < MAX_ISSUES {
                let mut issue = issue.clone();
                issue.file = meta_label.to_owned();
                issues.push(issue);
            }
        }
    };
    let mut out = BufWriter::new(File::create(index_path).map_err(ApiError::internal)?);
    let mut offsets: Vec<(u64, u32)> = Vec::new();
    let mut offset = 0u64;
    let mut write_error: Option<std::io::Error> = None;
    // A segmented organism's FASTA-ids column: record name → the row's submission id.
    let fasta_ids_column = config.fasta_ids_column.as_deref().filter(|_| segment_index.is_some());
    let mut fasta_ids: HashMap<String, String> = HashMap::new();
    let mut fasta_id_issues: Vec<Issue> = Vec::new();
    let read = validate_file(
        meta_path,
        config,
        |v| v.with_max_rows(max_records),
        |row| {
            for issue in &row.issues {
                keep(issue, &mut issues);
            }
            if row.has_errors() || write_error.is_some() {
                return;
            }
            let Some(id) = &row.submission_id else { return };
            if let Some(virion_schema::Value::Text(listed)) = fasta_ids_column.and_then(|c| row.values.get(c))
            {
                for name in listed.split([' ', ',', ';']).filter(|n| !n.is_empty()) {
                    if let Some(other) = fasta_ids.insert(name.to_owned(), id.clone())
                        && other != *id
                    {
                        fasta_id_issues.push(Issue {
                            severity: Severity::Error,
                            kind: virion_schema::IssueKind::DuplicateRecord,
                            file: meta_label.to_owned(),
                            line: Some(row.line),
                            column: fasta_ids_column.map(str::to_owned),
                            value: Some(name.to_owned()),
                            message: format!(
                                "FASTA record {name:?} is listed by the rows of '{other}' and '{id}'; list it once"
                            ),
                        });
                    }
                }
            }
            let line = match serde_json::to_string(&row.values) {
                Ok(line) => line,
                Err(e) => {
                    write_error = Some(std::io::Error::other(e));
                    return;
                }
            };
            if let Err(e) = out.write_all(line.as_bytes()) {
                write_error = Some(e);
                return;
            }
            let at = row.line as usize;
            if offsets.len() <= at {
                offsets.resize(at + 1, (0, 0));
            }
            offsets[at] = (offset, line.len() as u32);
            offset += line.len() as u64;
        },
    );
    let summary = match read {
        Ok((_, summary)) => summary,
        Err(e) => {
            let message = e.to_string().replace(&meta_path.display().to_string(), meta_label);
            return Err(match e {
                virion_schema::ReadError::TooManyRows { .. }
                | virion_schema::ReadError::LineTooLong { .. }
                | virion_schema::ReadError::XlsxTooLarge { .. } => ApiError::TooLarge(message),
                _ => ApiError::Unreadable(message),
            });
        }
    };
    if let Some(e) = write_error {
        return Err(ApiError::internal(e));
    }
    out.flush().map_err(ApiError::internal)?;
    for issue in summary.header_issues.iter().chain(&fasta_id_issues) {
        keep(issue, &mut issues);
    }

    // The FASTA names stream through the cross-check; a read error stops the stream and is
    // reported instead of the cross-check's findings.
    let mut reader = FastaReader::from_path(fasta_path)
        .map_err(|e| fasta_problem(e, fasta_path, fasta_label))?
        .with_limits(*fasta_limits);
    let mut record = FastaRecord::default();
    let mut read_error = None;
    let mut records = 0u64;
    let names = std::iter::from_fn(|| match reader.read(&mut record) {
        Ok(true) if records >= max_records => {
            read_error = Some(Err(too_many(fasta_label)));
            None
        }
        Ok(true) => {
            records += 1;
            // The sequence is only needed to detect a segmented organism's segments.
            let seq = if segment_index.is_some() { std::mem::take(&mut record.seq) } else { Vec::new() };
            Some((std::mem::take(&mut record.name), record.index as u64 + 1, seq))
        }
        Ok(false) => None,
        Err(e) => {
            read_error = Some(Ok(e));
            None
        }
    });
    let mut segments = None;
    let cross_issues = match segment_index {
        None => cross_check(fasta_label, names.map(|(n, r, _)| (n, r)), meta_label, &summary.submission_ids),
        Some(sorter) => {
            let spill = index_path.with_file_name("segments.raw");
            let ids = (&summary.submission_ids, &fasta_ids);
            let (issues, unlisted, pairing) =
                segment_records(config, files, &spill, sorter, names, ids).map_err(ApiError::internal)?;
            error_count += unlisted;
            segments = Some(pairing);
            issues
        }
    };
    match read_error {
        Some(Ok(e)) => return Err(fasta_problem(e, fasta_path, fasta_label)),
        Some(Err(too_many)) => return Err(too_many),
        None => {}
    }
    if records == 0 {
        return Err(ApiError::Unreadable(format!("{fasta_label}: the sequences file holds no FASTA record")));
    }
    for issue in cross_issues {
        if issue.severity == Severity::Error {
            error_count += 1;
            if issues.len() < MAX_ISSUES {
                issues.push(issue);
            }
        }
    }
    if error_count > 0 {
        if error_count > issues.len() {
            tracing::info!(
                listed = issues.len(),
                errors = error_count,
                "submission rejected; issue list truncated"
            );
        }
        return Err(ApiError::Validation(issues));
    }
    Ok(RowIndex { lines: summary.submission_ids, offsets, segments })
}

/// The cross-check of a segmented organism's records: each record's segment detected by
/// minimizer matching against the segments' references (as `nextclade sort` does) and its
/// sequence spilled to `spill`; then the records paired with samples
/// ([`cross_check_segments`]).
fn segment_records(
    config: &OrganismConfig,
    files: &Files,
    spill: &Path,
    sorter: &MinimizerIndex,
    records: impl Iterator<Item = (String, u64, Vec<u8>)>,
    (ids, fasta_ids): (&HashMap<String, u64>, &HashMap<String, String>),
) -> std::io::Result<(Vec<Issue>, usize, SegmentPairing)> {
    let segment_names: Vec<String> = config.segments.iter().map(|s| s.name.clone()).collect();
    let params = SortParams::for_segments();
    let mut out = BufWriter::new(File::create(spill)?);
    let mut ranges: Vec<(u64, u64)> = Vec::new();
    let mut offset = 0u64;
    let mut write_error = None;
    let detected = records.map(|(name, record, seq)| {
        let detected = sorter.search(&seq, &params).best().map(|m| m.name.clone());
        if write_error.is_none()
            && let Err(e) = out.write_all(&seq)
        {
            write_error = Some(e);
        }
        ranges.push((offset, seq.len() as u64));
        offset += seq.len() as u64;
        SegmentRecord { name, record, detected }
    });
    let check = cross_check_segments(
        &files.fasta_label,
        detected,
        &files.meta_label,
        ids,
        fasta_ids,
        &segment_names,
        MAX_ISSUES,
    );
    let (issues, unlisted, pairing) = (check.issues, check.unlisted, check.pairing);
    if let Some(e) = write_error {
        return Err(e);
    }
    out.flush()?;
    // Samples in the order of their first record; segments in the organism's order.
    let mut order: HashMap<&str, usize> = HashMap::new();
    let mut samples: Vec<(String, Vec<SpilledSegment>)> = Vec::new();
    for (pair, range) in pairing.iter().zip(&ranges) {
        let Some((id, segment)) = pair else { continue };
        let at = *order.entry(id.as_str()).or_insert_with(|| {
            samples.push((id.clone(), Vec::new()));
            samples.len() - 1
        });
        samples[at].1.push((segment.clone(), *range));
    }
    for (_, segments) in &mut samples {
        segments.sort_by_key(|(s, _)| segment_names.iter().position(|n| n == s));
    }
    Ok((issues, unlisted, SegmentPairing { spill: spill.to_owned(), samples }))
}

fn fasta_problem(e: virion_io::FastaError, path: &Path, label: &str) -> ApiError {
    let message = e.to_string().replace(&path.display().to_string(), label);
    match e {
        virion_io::FastaError::HeaderTooLong { .. }
        | virion_io::FastaError::RecordTooLong { .. }
        | virion_io::FastaError::FileTooLarge { .. } => ApiError::TooLarge(message),
        _ => ApiError::Unreadable(message),
    }
}

/// Streams FASTA records, each with its validated metadata line, into the store's channel.
fn pair_entries(
    fasta_path: &Path,
    fasta_limits: FastaLimits,
    index_path: &Path,
    index: &RowIndex,
    tx: &mpsc::Sender<Result<NewEntry, std::io::Error>>,
) {
    if let Some(pairing) = &index.segments {
        if let Err(e) = pair_samples(index_path, index, pairing, tx) {
            let _ = tx.blocking_send(Err(e));
        }
        return;
    }
    let result = (|| -> std::io::Result<()> {
        let mut metadata = File::open(index_path)?;
        let mut reader =
            FastaReader::from_path(fasta_path).map_err(std::io::Error::other)?.with_limits(fasta_limits);
        let mut record = FastaRecord::default();
        while reader.read(&mut record).map_err(std::io::Error::other)? {
            // Validation matched every record, by its whole name or its first word.
            let Some((key, (offset, len))) = index.find(&record.name) else {
                let name = &record.name;
                return Err(std::io::Error::other(format!("record {name:?} lost its metadata row")));
            };
            let mut line = vec![0u8; len as usize];
            metadata.seek(SeekFrom::Start(offset))?;
            metadata.read_exact(&mut line)?;
            let metadata_json = String::from_utf8(line).map_err(std::io::Error::other)?;
            let entry = NewEntry {
                submission_key: key.to_owned(),
                metadata_json,
                sequence: std::mem::take(&mut record.seq),
            };
            if tx.blocking_send(Ok(entry)).is_err() {
                return Ok(()); // the store gave up; its error is reported
            }
        }
        Ok(())
    })();
    if let Err(e) = result {
        let _ = tx.blocking_send(Err(e));
    }
}

/// Streams a segmented organism's samples, each with its segments read back from the spill
/// file and stored together ([`virion_core::SegmentedSequence`]), into the store's channel.
fn pair_samples(
    index_path: &Path,
    index: &RowIndex,
    pairing: &SegmentPairing,
    tx: &mpsc::Sender<Result<NewEntry, std::io::Error>>,
) -> std::io::Result<()> {
    let mut metadata = File::open(index_path)?;
    let mut spill = File::open(&pairing.spill)?;
    for (id, segments) in &pairing.samples {
        let Some((key, (offset, len))) = index.metadata_of(id) else {
            return Err(std::io::Error::other(format!("sample {id:?} lost its metadata row")));
        };
        let mut line = vec![0u8; len as usize];
        metadata.seek(SeekFrom::Start(offset))?;
        metadata.read_exact(&mut line)?;
        let metadata_json = String::from_utf8(line).map_err(std::io::Error::other)?;
        let mut sample = virion_core::SegmentedSequence::default();
        for (segment, (at, len)) in segments {
            let mut seq = vec![0u8; *len as usize];
            spill.seek(SeekFrom::Start(*at))?;
            spill.read_exact(&mut seq)?;
            sample.segments.push((segment.clone(), seq));
        }
        let entry = NewEntry { submission_key: key.to_owned(), metadata_json, sequence: sample.encode() };
        if tx.blocking_send(Ok(entry)).is_err() {
            return Ok(()); // the store gave up; its error is reported
        }
    }
    Ok(())
}
