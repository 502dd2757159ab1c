//! Reading and curating a group's entries: list, get, approve, discard, revise, revoke, terms.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::Digest;
use utoipa::{IntoParams, ToSchema};
use virion_schema::{Issue, Row, Severity, Validator};
use virion_store::{
    Accession, AccessionVersion, DataUseTerms, ListFilter, ProcessingResult, Revision, Scope, Status,
};

use crate::auth::{AuthUser, MaybeUser};
use crate::error::{ApiError, ApiJson, ProblemResponse};
use crate::state::{AppState, HubOrganism};
use crate::views::{TermsJson, VersionView, version_json};

/// An organism the hub serves.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrganismView {
    /// The organism's name in API and LAPIS paths (`/api/{organism}/…`, `/{organism}/sample/…`).
    #[schema(example = "sars-cov-2")]
    name: String,
    /// The name people read, e.g. on the portal.
    display_name: String,
    /// The prefix of its accessions (e.g. `VSC` in `VSC000001X`).
    accession_prefix: String,
    /// The Nextclade dataset its sequences are processed with (a segmented organism's: each
    /// segment's, as `segment=dataset`, comma-separated).
    dataset: String,
    /// Its genome segments, in genome order (`["main"]` for a virus of one segment).
    segments: Vec<String>,
}

/// Every organism the hub serves (those with a dataset), sorted by name.
#[utoipa::path(get, path = "/api/organisms", summary = "Organisms served", security(()),
    responses((status = 200, description = "list", body = Vec<OrganismView>), (status = 400, response = ProblemResponse),
        (status = 500, response = ProblemResponse)))]
pub async fn organisms(State(state): State<AppState>) -> Json<Vec<OrganismView>> {
    let mut list: Vec<OrganismView> = state
        .organisms()
        .map(|o| OrganismView {
            name: o.config.name.clone(),
            display_name: o.config.display_name.clone(),
            accession_prefix: o.config.accession_prefix.clone(),
            dataset: if o.config.is_segmented() {
                o.config
                    .segments
                    .iter()
                    .map(|s| format!("{}={}", s.name, s.dataset))
                    .collect::<Vec<_>>()
                    .join(",")
            } else {
                o.config.dataset.clone()
            },
            segments: o.datasets.segments.iter().map(|(s, _)| s.clone()).collect(),
        })
        .collect();
    list.sort_by(|a, b| a.name.cmp(&b.name));
    Json(list)
}

/// The organism a hub route acts on.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct OrganismPath {
    /// The organism's name, as `/api/organisms` lists it.
    #[param(example = "sars-cov-2")]
    pub(crate) organism: String,
}

/// One version of an organism's entry.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct EntryPath {
    /// The organism's name, as `/api/organisms` lists it.
    #[param(example = "sars-cov-2")]
    pub(crate) organism: String,
    /// The accession and version number, `ACCESSION.VERSION`.
    #[param(example = "VSC000001X.1")]
    accession_version: String,
}

/// Which versions to list, and which page of them.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only this group's versions (the group's name); with a login, the answer also counts
    /// the group's versions by status.
    group: Option<String>,
    /// RECEIVED, IN_PROCESSING, PROCESSED, APPROVED or RELEASED.
    #[param(example = "PROCESSED")]
    status: Option<String>,
    /// Only the entry with this submission id (the submitter's own id for it).
    submission_id: Option<String>,
    /// 1 to 100000; default 1000.
    #[param(default = 1000)]
    limit: Option<i64>,
    /// Versions to skip, for the next page.
    #[serde(default)]
    #[param(default = 0)]
    offset: i64,
}

/// How many of a group's versions are in a status (and processing result).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatusCount {
    /// RECEIVED, IN_PROCESSING, PROCESSED, APPROVED or RELEASED.
    status: &'static str,
    /// OK, WARNINGS or ERRORS for processed versions; null before processing.
    processing_result: Option<&'static str>,
    /// How many of the group's versions are in this status with this result.
    count: i64,
}

/// A page of versions, with status counts for a group.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EntryList {
    /// The versions, without their metadata and processed data (ask for one version for those).
    entries: Vec<VersionView>,
    /// Only when a group is given and the caller is logged in.
    #[serde(skip_serializing_if = "Option::is_none")]
    status_counts: Option<Vec<StatusCount>>,
}

/// Versions the caller may see, newest first per filter, with status counts for a group.
#[utoipa::path(get, path = "/api/{organism}/entries",
    summary = "Versions the caller may see, with status counts when a group is given",
    params(OrganismPath, ListQuery), security((), ("bearer" = [])),
    responses((status = 200, description = "The versions", body = EntryList),
        (status = 400, response = ProblemResponse), (status = 401, response = ProblemResponse),
        (status = 404, response = ProblemResponse), (status = 500, response = ProblemResponse)))]
pub async fn list(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Path(OrganismPath { organism }): Path<OrganismPath>,
    Query(q): Query<ListQuery>,
) -> Result<Json<EntryList>, ApiError> {
    let org = state.organism(&organism)?;
    let store = state.store();
    let group = match &q.group {
        Some(name) => Some(store.group_by_name(name).await?),
        None => None,
    };
    let status = match &q.status {
        Some(s) => Some(Status::parse(s).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "status {s:?} is not one of RECEIVED, IN_PROCESSING, PROCESSED, APPROVED, RELEASED"
            ))
        })?),
        None => None,
    };
    let filter = ListFilter {
        organism: Some(org.id),
        group,
        status,
        submission_key: q.submission_id.clone(),
        limit: Some(q.limit.unwrap_or(1000).clamp(1, 100_000)),
        offset: q.offset.max(0),
    };
    let viewer = user.as_ref().map(|u| u.id);
    let versions = store.list_versions(viewer, &filter).await?;
    let mut body =
        EntryList { entries: versions.iter().map(|r| version_json(r, false)).collect(), status_counts: None };
    if let (Some(user), Some(group)) = (&user, group) {
        let counts = store.status_counts(user.id, group).await?;
        body.status_counts = Some(
            counts
                .iter()
                .map(|(s, r, n)| StatusCount {
                    status: s.as_str(),
                    processing_result: r.map(|r| r.as_str()),
                    count: *n,
                })
                .collect(),
        );
    }
    Ok(Json(body))
}

/// The format of one version's answer.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FormatQuery {
    /// json (default), fasta or tsv.
    #[param(example = "fasta", value_type = Option<EntryFormat>, inline)]
    format: Option<String>,
}

/// The formats of one version (the schema of [`FormatQuery`]'s `format`).
#[derive(ToSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)] // only its schema is used: the handler reads the format as text
enum EntryFormat {
    Json,
    Fasta,
    Tsv,
}

/// An accession.version of the organism. Text that is not one (a wrong prefix, a typo the
/// check character catches) names no entry: 404, saying why, like an accession never issued.
pub(crate) fn parse_av(org: &HubOrganism, text: &str) -> Result<AccessionVersion, ApiError> {
    AccessionVersion::parse(text, &[org.config.accession_prefix.as_str()])
        .map_err(|e| ApiError::NotFound(format!("no such version {text:?}: {e}")))
}

/// An accession of the organism; text that is not one names no entry (404), as in [`parse_av`].
pub(crate) fn parse_accession(org: &HubOrganism, text: &str) -> Result<Accession, ApiError> {
    Accession::parse(text, &[org.config.accession_prefix.as_str()])
        .map_err(|e| ApiError::NotFound(format!("no such accession {text:?}: {e}")))
}

/// One version as JSON (default), FASTA or TSV (`?format=`).
#[utoipa::path(get, path = "/api/{organism}/entries/{accession_version}", summary = "One version as JSON, FASTA or TSV",
    params(EntryPath, FormatQuery), security((), ("bearer" = [])),
    responses((status = 200, description = "the version", content(
            (VersionView = "application/json"), (String = "text/x-fasta"), (String = "text/tab-separated-values"))),
        (status = 400, response = ProblemResponse), (status = 401, response = ProblemResponse),
        (status = 404, response = ProblemResponse), (status = 500, response = ProblemResponse)))]
pub async fn get_one(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Path(EntryPath { organism, accession_version }): Path<EntryPath>,
    Query(q): Query<FormatQuery>,
) -> Result<Response, ApiError> {
    let org = state.organism(&organism)?;
    let av = parse_av(org, &accession_version)?;
    let viewer = user.as_ref().map(|u| u.id);
    let record = state.store().get_version(viewer, &av).await?;
    if record.organism != org.id {
        return Err(ApiError::NotFound(format!("{av} is not a {organism} entry")));
    }
    version_response(&state, viewer, &record, q.format.as_deref().unwrap_or("json")).await
}

/// A version as `json`, `fasta` or `tsv` (also the record page's downloads).
pub(crate) async fn version_response(
    state: &AppState,
    viewer: Option<virion_store::UserId>,
    record: &virion_store::VersionRecord,
    format: &str,
) -> Result<Response, ApiError> {
    let av = &record.accession_version;
    match format {
        "json" => Ok(Json(version_json(record, true)).into_response()),
        "fasta" => {
            let seq = state.store().get_sequence(viewer, av).await?;
            let segmented =
                state.organisms().find(|o| o.id == record.organism).is_some_and(|o| o.datasets.segmented);
            let mut text = Vec::with_capacity(seq.len() + 64);
            write_version_fasta(&mut text, av, &seq, segmented)?;
            Ok(([(header::CONTENT_TYPE, "text/x-fasta")], text).into_response())
        }
        "tsv" => {
            let metadata: serde_json::Map<String, Value> =
                serde_json::from_str(&record.submitted_metadata_json).unwrap_or_default();
            let mut header_line = vec!["accessionVersion".to_owned(), "status".to_owned()];
            let mut row = vec![av.to_string(), record.status.as_str().to_owned()];
            for (k, v) in &metadata {
                header_line.push(k.clone());
                row.push(tsv_cell(v));
            }
            let text = format!("{}\n{}\n", header_line.join("\t"), row.join("\t"));
            Ok(([(header::CONTENT_TYPE, "text/tab-separated-values")], text).into_response())
        }
        other => Err(ApiError::BadRequest(format!("format {other:?} is not one of json, fasta, tsv"))),
    }
}

pub(crate) fn tsv_cell(v: &Value) -> String {
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        // Stored forms back to text, so a client may send back what it read.
        Value::Object(o) if o.len() == 1 && o.contains_key("missing") => {
            o["missing"].as_str().unwrap_or_default().to_owned()
        }
        Value::Object(o) if o.get("value").is_some_and(Value::is_string) => {
            o["value"].as_str().unwrap_or_default().to_owned()
        }
        // Lists are authors ("Family, Given"): ';' separates them, as a submitted cell does,
        // so a revision sent back from what was read keeps one name per author.
        Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    };
    text.replace(['\t', '\n', '\r'], " ")
}

/// The scopes of a review (the schema of [`ReviewRequest`]'s `scope`).
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)] // only its schema is used: `scope()` reads the text
enum ReviewScope {
    All,
    WithoutWarnings,
    WithErrors,
}

/// Which of a group's versions to approve or discard.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReviewRequest {
    /// The group whose versions are reviewed (its name).
    group: String,
    /// `all` (default) or `withoutWarnings`; discard also takes `withErrors` (approving
    /// versions with errors is refused: 409).
    #[schema(example = "withoutWarnings", value_type = Option<ReviewScope>)]
    scope: Option<String>,
    /// Only these versions; omitted: every version of the group in scope. (`null` is refused:
    /// it must not mean "all" by accident.)
    #[schema(example = json!(["VSC000001X.1"]), nullable = false)]
    #[serde(default, deserialize_with = "present_not_null")]
    accession_versions: Option<Vec<String>>,
}

/// An optional field that, when present, must hold a value: `null` is refused rather than
/// read as "omitted".
fn present_not_null<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

impl ReviewRequest {
    /// Every version of `group` within `scope` (`all`, `withoutWarnings`, `withErrors`).
    pub(crate) fn whole_group(group: String, scope: String) -> ReviewRequest {
        ReviewRequest { group, scope: Some(scope), accession_versions: None }
    }
}

fn scope(text: Option<&str>) -> Result<Scope, ApiError> {
    match text.unwrap_or("all") {
        "all" => Ok(Scope::All),
        "withoutWarnings" => Ok(Scope::WithoutWarnings),
        "withErrors" => Ok(Scope::WithErrors),
        other => Err(ApiError::BadRequest(format!(
            "scope {other:?} is not one of all, withoutWarnings, withErrors"
        ))),
    }
}

/// Which versions a review acts on: the listed ones, or else the organism's versions of the
/// group that `keep` admits. (The store acts on a whole group; the path names one organism.)
async fn review_targets(
    state: &AppState,
    user: virion_store::UserId,
    organism: &str,
    req: &ReviewRequest,
    keep: impl Fn(&virion_store::VersionRecord) -> bool,
) -> Result<(virion_store::GroupId, Vec<AccessionVersion>), ApiError> {
    let org = state.organism(organism)?;
    let group = state.store().group_by_name(&req.group).await?;
    let only = match &req.accession_versions {
        Some(list) => list.iter().map(|t| parse_av(org, t)).collect::<Result<Vec<_>, _>>()?,
        None => {
            let filter = ListFilter { organism: Some(org.id), group: Some(group), ..ListFilter::default() };
            let versions = state.store().list_versions(Some(user), &filter).await?;
            versions.into_iter().filter(|r| r.is_latest && keep(r)).map(|r| r.accession_version).collect()
        }
    };
    Ok((group, only))
}

/// One version of an entry, by accession and version number.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VersionRef {
    /// The entry's accession.
    #[schema(example = "VSC000001X")]
    accession: String,
    /// The version number (1 for the first submission, one more for each revision).
    version: i64,
}

fn av_list(list: &[AccessionVersion]) -> Vec<VersionRef> {
    list.iter()
        .map(|av| VersionRef { accession: av.accession.as_str().to_owned(), version: av.version })
        .collect()
}

/// What an approval did.
#[derive(Debug, Serialize, ToSchema)]
pub struct Approved {
    /// The versions approved.
    approved: Vec<VersionRef>,
    /// How many versions were released (all approved ones).
    released: usize,
}

/// Approves processed versions; approved versions are released at once.
#[utoipa::path(post, path = "/api/{organism}/approve",
    summary = "Approve processed versions of a group (all without errors, or only those without warnings); approved versions are released",
    params(OrganismPath, ("Idempotency-Key" = Option<String>, Header, pattern = "^[!-~]{1,255}$", description = "1-255 visible ASCII characters, new for each request (a UUID): a retry with the same key and body gets the first answer (with `idempotency-replayed: true`) and changes nothing again; the key with another body is refused (409).")), request_body = ReviewRequest, security(("bearer" = [])),
    responses((status = 200, description = "The approved versions", body = Approved),
        (status = 400, response = ProblemResponse), (status = 401, response = ProblemResponse),
        (status = 403, response = ProblemResponse), (status = 404, response = ProblemResponse),
        (status = 409, response = ProblemResponse), (status = 415, response = ProblemResponse), (status = 422, response = ProblemResponse),
        (status = 500, response = ProblemResponse)))]
pub async fn approve(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(OrganismPath { organism }): Path<OrganismPath>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<ReviewRequest>,
) -> Result<Response, ApiError> {
    let answer = keyed_action(&state, user.id, &headers, "approve", &organism, &req, async |store| {
        Ok(approve_versions(&state, &store, user.id, &organism, &req).await?.0)
    })
    .await?;
    // Every approved version is released at once (a replay reports the first approval's).
    let released = answer.versions.len();
    Ok(answer.respond(Approved { approved: answer.versions.clone(), released }))
}

/// The versions an approve, revise or revoke made, and whether they are a retry's replay.
struct KeyedAnswer {
    versions: Vec<VersionRef>,
    replayed: bool,
}

impl KeyedAnswer {
    fn respond(&self, body: impl Serialize) -> Response {
        let mut response = Json(body).into_response();
        if self.replayed {
            response.headers_mut().insert("idempotency-replayed", header::HeaderValue::from_static("true"));
        }
        response
    }
}

/// Runs `act` once per `Idempotency-Key`: without a key it simply runs; with one it runs on a
/// store handle that records the key in the action's own transaction, and a retry of the same
/// request (same action, organism and body) gets the versions the first one made. The key
/// with another request is refused (409).
async fn keyed_action(
    state: &AppState,
    user: virion_store::UserId,
    headers: &HeaderMap,
    action: &'static str,
    organism: &str,
    req: &impl Serialize,
    act: impl AsyncFnOnce(virion_store::Store) -> Result<Vec<AccessionVersion>, ApiError>,
) -> Result<KeyedAnswer, ApiError> {
    let Some(key) = crate::submit::idempotency_key(headers)? else {
        let made = act(state.store().clone()).await?;
        return Ok(KeyedAnswer { versions: av_list(&made), replayed: false });
    };
    let body = serde_json::to_vec(req).map_err(ApiError::internal)?;
    let request_hash = format!("{action}:{organism}:{:x}", sha2::Sha256::digest(&body));
    let replay = async || -> Result<Option<KeyedAnswer>, ApiError> {
        let Some(first) = state.store().action_by_key(user, &key).await? else { return Ok(None) };
        if first.request_hash != request_hash {
            return Err(ApiError::KeyReused(format!(
                "Idempotency-Key {key:?} was used for another {} request; use a new key for a new request",
                first.action
            )));
        }
        tracing::info!(action, "request retried: answered from the first");
        let versions = first
            .versions
            .into_iter()
            .map(|(accession, version)| VersionRef { accession, version })
            .collect();
        Ok(Some(KeyedAnswer { versions, replayed: true }))
    };
    if let Some(first) = replay().await? {
        return Ok(first);
    }
    let idempotency = virion_store::Idempotency { key: key.clone(), request_hash: request_hash.clone() };
    match act(state.store().keyed(user, action, idempotency)).await {
        Ok(made) => Ok(KeyedAnswer { versions: av_list(&made), replayed: false }),
        // A concurrent retry committed the key first: answer as it did.
        Err(ApiError::Conflict(_)) if state.store().action_by_key(user, &key).await?.is_some() => {
            replay().await?.ok_or_else(|| ApiError::internal("a keyed action vanished"))
        }
        Err(e) => Err(e),
    }
}

/// Approves what `req` selects (and releases it) through `store` (the state's, or a keyed
/// handle); also the portal's review page.
pub(crate) async fn approve_versions(
    state: &AppState,
    store: &virion_store::Store,
    user: virion_store::UserId,
    organism: &str,
    req: &ReviewRequest,
) -> Result<(Vec<AccessionVersion>, usize), ApiError> {
    let scope = scope(req.scope.as_deref())?;
    if scope == Scope::WithErrors {
        // A state the versions are in, not a malformed request: as approving one listed
        // version with errors is (the store's HasErrors).
        return Err(ApiError::Conflict(
            "versions with errors cannot be approved: edit them to fix the errors, or discard them".into(),
        ));
    }
    let (group, only) = review_targets(state, user, organism, req, |r| {
        let result = r.processed.as_ref().map(|p| p.result);
        r.status == Status::Processed
            && (r.is_revocation
                || result == Some(ProcessingResult::Ok)
                || (scope == Scope::All && result == Some(ProcessingResult::Warnings)))
    })
    .await?;
    let approved = store.approve(user, group, Some(&only), scope).await?;
    let released = state.store().release_approved().await?;
    Ok((approved, released.len()))
}

/// What a discard did.
#[derive(Debug, Serialize, ToSchema)]
pub struct Discarded {
    /// The versions deleted (an entry left without versions goes with its accession).
    discarded: Vec<VersionRef>,
}

/// Deletes unreleased versions of a group: the listed ones, or every one in scope (`all`
/// unapproved, `withErrors`, `withoutWarnings`). Approved and released versions are never
/// touched.
#[utoipa::path(post, path = "/api/{organism}/discard", summary = "Discard unreleased versions of a group",
    params(OrganismPath), request_body = ReviewRequest, security(("bearer" = [])),
    responses((status = 200, description = "The discarded versions", body = Discarded),
        (status = 400, response = ProblemResponse), (status = 401, response = ProblemResponse),
        (status = 403, response = ProblemResponse), (status = 404, response = ProblemResponse),
        (status = 409, response = ProblemResponse), (status = 415, response = ProblemResponse), (status = 422, response = ProblemResponse),
        (status = 500, response = ProblemResponse)))]
pub async fn discard(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(OrganismPath { organism }): Path<OrganismPath>,
    ApiJson(req): ApiJson<ReviewRequest>,
) -> Result<Json<Discarded>, ApiError> {
    let discarded = discard_versions(&state, user.id, &organism, &req).await?;
    Ok(Json(Discarded { discarded: av_list(&discarded) }))
}

/// Discards what `req` selects; also the portal's review page.
pub(crate) async fn discard_versions(
    state: &AppState,
    user: virion_store::UserId,
    organism: &str,
    req: &ReviewRequest,
) -> Result<Vec<AccessionVersion>, ApiError> {
    let scope = scope(req.scope.as_deref())?;
    let (group, only) = review_targets(state, user, organism, req, |r| {
        !matches!(r.status, Status::Approved | Status::Released)
            && (scope != Scope::WithErrors
                || r.processed.as_ref().is_some_and(|p| p.result == ProcessingResult::Errors))
    })
    .await?;
    Ok(state.store().discard(user, group, Some(&only), scope).await?)
}

/// Revisions of released entries, checked as a whole: one invalid revision stores none.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct ReviseRequest {
    /// One new version per entry.
    revisions: Vec<RevisionJson>,
}

/// A new version of a released entry.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[schema(as = Revision)]
pub struct RevisionJson {
    /// The released entry to revise.
    #[schema(example = "VSC000001X")]
    accession: String,
    /// The metadata as a submission's row, one key per column.
    #[schema(value_type = Object)]
    metadata: serde_json::Map<String, Value>,
    /// Omitted: a metadata-only revision keeping the current sequence.
    sequence: Option<String>,
}

/// Checks one entry's metadata as a submission's row would be checked (`line` numbers it in
/// the problems) and returns it as stored JSON, or every error found.
pub(crate) fn validated_metadata(
    org: &HubOrganism,
    source: &str,
    line: u64,
    metadata: &serde_json::Map<String, Value>,
) -> Result<String, Vec<Issue>> {
    let mut validator = Validator::new(&org.config, source);
    let header: Vec<String> = metadata.keys().cloned().collect();
    let mut issues: Vec<Issue> =
        validator.set_header(&header).into_iter().filter(|i| i.severity == Severity::Error).collect();
    let mut row = Row::default();
    row.line = line;
    for v in metadata.values() {
        row.push_cell(&tsv_cell(v));
    }
    let validated = validator.validate_row(&row);
    issues.extend(validated.issues.iter().filter(|i| i.severity == Severity::Error).cloned());
    if !issues.is_empty() {
        return Err(issues);
    }
    // Plain JSON values: serialising cannot fail.
    Ok(serde_json::to_string(&validated.values).expect("validated values serialise"))
}

/// A version's stored sequence as FASTA: one record `>{av}`, or for a segmented organism one
/// record per segment, `>{av}_{segment}` (named as submitters name them).
pub(crate) fn write_version_fasta(
    out: &mut impl std::io::Write,
    av: &virion_store::AccessionVersion,
    stored: &[u8],
    segmented: bool,
) -> Result<(), ApiError> {
    let io = |e: std::io::Error| ApiError::Internal(format!("writing FASTA: {e}"));
    if !segmented {
        writeln!(out, ">{av}").map_err(io)?;
        out.write_all(stored).map_err(io)?;
        return writeln!(out).map_err(io);
    }
    let sample = virion_core::SegmentedSequence::decode(stored).map_err(ApiError::internal)?;
    for (segment, seq) in &sample.segments {
        writeln!(out, ">{av}_{segment}").map_err(io)?;
        out.write_all(seq).map_err(io)?;
        writeln!(out).map_err(io)?;
    }
    Ok(())
}

/// A sequence as sent: whitespace dropped, letters upper-cased.
fn cleaned_sequence(text: &str) -> Vec<u8> {
    text.bytes().filter(|b| !b.is_ascii_whitespace()).map(|b| b.to_ascii_uppercase()).collect()
}

/// What a revision did.
#[derive(Debug, Serialize, ToSchema)]
pub struct Revised {
    /// The new versions, waiting for processing and approval like a submission's.
    revised: Vec<VersionRef>,
}

/// New versions of released entries; metadata is validated like a submission's.
#[utoipa::path(post, path = "/api/{organism}/revise",
    summary = "New versions of released entries; omit `sequence` for a metadata-only revision",
    params(OrganismPath, ("Idempotency-Key" = Option<String>, Header, pattern = "^[!-~]{1,255}$", description = "1-255 visible ASCII characters, new for each request (a UUID): a retry with the same key and body gets the first answer (with `idempotency-replayed: true`) and changes nothing again; the key with another body is refused (409).")), request_body = ReviseRequest, security(("bearer" = [])),
    responses((status = 200, description = "The new versions", body = Revised),
        (status = 400, response = ProblemResponse), (status = 401, response = ProblemResponse),
        (status = 403, response = ProblemResponse), (status = 404, response = ProblemResponse),
        (status = 409, response = ProblemResponse), (status = 422, response = ProblemResponse),
        (status = 415, response = ProblemResponse),
        (status = 500, response = ProblemResponse)))]
pub async fn revise(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(OrganismPath { organism }): Path<OrganismPath>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<ReviseRequest>,
) -> Result<Response, ApiError> {
    let org = state.organism(&organism)?;
    let mut revisions = Vec::with_capacity(req.revisions.len());
    let mut issues: Vec<Issue> = Vec::new();
    for (i, r) in req.revisions.iter().enumerate() {
        let accession = parse_accession(org, &r.accession)?;
        match validated_metadata(org, "revisions", i as u64 + 1, &r.metadata) {
            Ok(metadata_json) => {
                let sequence = match r.sequence.as_deref() {
                    Some(text) if org.datasets.segmented => {
                        // Segments not sent stay as the newest version has them.
                        let newest = state.store().newest_version(Some(user.id), &accession).await?;
                        let kept = state.store().sequence_of(&newest).await?;
                        Some(org.segments_from_fasta(text, &kept).map_err(ApiError::BadRequest)?)
                    }
                    Some(text) => Some(cleaned_sequence(text)),
                    None => None,
                };
                revisions.push(Ok::<_, std::io::Error>(Revision { accession, metadata_json, sequence }));
            }
            Err(found) => issues.extend(found),
        }
    }
    if !issues.is_empty() {
        return Err(ApiError::Validation(issues));
    }
    let answer = keyed_action(&state, user.id, &headers, "revise", &organism, &req, async |store| {
        Ok(store.revise(user.id, futures_util::stream::iter(revisions)).await?)
    })
    .await?;
    Ok(answer.respond(Revised { revised: answer.versions.clone() }))
}

/// New submitted data for an unreleased version.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EditRequest {
    /// The version to edit: the entry's newest, awaiting processing or review.
    #[schema(example = "VSC000001X.1")]
    accession_version: String,
    /// The metadata as a submission's row, one key per column.
    #[schema(value_type = Object)]
    metadata: serde_json::Map<String, Value>,
    /// Omitted: keep the stored sequence.
    sequence: Option<String>,
}

/// What an edit did.
#[derive(Debug, Serialize, ToSchema)]
pub struct Edited {
    /// The edited version (same accession and version), now queued for processing again.
    #[schema(example = "VSC000001X.1")]
    edited: String,
}

/// Replaces the submitted data of an unreleased version (a row that failed validation or
/// processing) and sends it back to processing.
#[utoipa::path(post, path = "/api/{organism}/edit",
    summary = "Replace the submitted metadata (and optionally the sequence) of an unreleased version awaiting processing or review; it is processed again",
    params(OrganismPath), request_body = EditRequest, security(("bearer" = [])),
    responses((status = 200, description = "The edited version", body = Edited),
        (status = 400, response = ProblemResponse), (status = 401, response = ProblemResponse),
        (status = 403, response = ProblemResponse), (status = 404, response = ProblemResponse),
        (status = 409, response = ProblemResponse), (status = 422, response = ProblemResponse),
        (status = 415, response = ProblemResponse),
        (status = 500, response = ProblemResponse)))]
pub async fn edit(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(OrganismPath { organism }): Path<OrganismPath>,
    ApiJson(req): ApiJson<EditRequest>,
) -> Result<Json<Edited>, ApiError> {
    let org = state.organism(&organism)?;
    let av = parse_av(org, &req.accession_version)?;
    let metadata_json = validated_metadata(org, "edit", 1, &req.metadata).map_err(ApiError::Validation)?;
    let sequence = match req.sequence.as_deref() {
        Some(text) if org.datasets.segmented => {
            // Segments not sent stay as stored.
            let kept = state.store().get_sequence(Some(user.id), &av).await?;
            Some(org.segments_from_fasta(text, &kept).map_err(ApiError::BadRequest)?)
        }
        Some(text) => Some(cleaned_sequence(text)),
        None => None,
    };
    state.store().edit(user.id, &av, &metadata_json, sequence.as_deref()).await?;
    Ok(Json(Edited { edited: av.to_string() }))
}

/// Entries to revoke, and why.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct RevokeRequest {
    /// The released entries to revoke.
    #[schema(example = json!(["VSC000001X"]))]
    accessions: Vec<String>,
    /// Why they are revoked; kept as the revocation version's comment.
    #[serde(default)]
    comment: String,
}

/// What a revocation did.
#[derive(Debug, Serialize, ToSchema)]
pub struct Revoked {
    /// The revocation versions.
    revoked: Vec<VersionRef>,
}

/// Adds a revocation version to each entry; like any version it awaits approval, and once
/// released it hides the entry from the released data.
#[utoipa::path(post, path = "/api/{organism}/revoke", summary = "Add a revocation version to entries",
    params(OrganismPath, ("Idempotency-Key" = Option<String>, Header, pattern = "^[!-~]{1,255}$", description = "1-255 visible ASCII characters, new for each request (a UUID): a retry with the same key and body gets the first answer (with `idempotency-replayed: true`) and changes nothing again; the key with another body is refused (409).")), request_body = RevokeRequest, security(("bearer" = [])),
    responses((status = 200, description = "The revocation versions", body = Revoked),
        (status = 400, response = ProblemResponse), (status = 401, response = ProblemResponse),
        (status = 403, response = ProblemResponse), (status = 404, response = ProblemResponse),
        (status = 409, response = ProblemResponse), (status = 415, response = ProblemResponse), (status = 422, response = ProblemResponse),
        (status = 500, response = ProblemResponse)))]
pub async fn revoke(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(OrganismPath { organism }): Path<OrganismPath>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<RevokeRequest>,
) -> Result<Response, ApiError> {
    let org = state.organism(&organism)?;
    let accessions = req.accessions.iter().map(|a| parse_accession(org, a)).collect::<Result<Vec<_>, _>>()?;
    let answer = keyed_action(&state, user.id, &headers, "revoke", &organism, &req, async |store| {
        Ok(store.revoke(user.id, &accessions, &req.comment).await?)
    })
    .await?;
    Ok(answer.respond(Revoked { revoked: answer.versions.clone() }))
}

/// Reads `{"type": "OPEN"}` or `{"type": "RESTRICTED", "restrictedUntil": "YYYY-MM-DD"}`.
pub fn parse_terms(kind: &str, until: Option<&str>) -> Result<DataUseTerms, ApiError> {
    match kind {
        "OPEN" => Ok(DataUseTerms::Open),
        "RESTRICTED" => {
            let text =
                until.ok_or_else(|| ApiError::BadRequest("RESTRICTED terms need restrictedUntil".into()))?;
            let until = NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map_err(|e| ApiError::BadRequest(format!("restrictedUntil {text:?}: {e}")))?;
            Ok(DataUseTerms::Restricted { until })
        }
        other => Err(ApiError::BadRequest(format!("data use terms {other:?} are not OPEN or RESTRICTED"))),
    }
}

/// New data use terms for entries.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TermsRequest {
    /// The entries whose terms change.
    #[schema(example = json!(["VSC000001X"]))]
    accessions: Vec<String>,
    /// The new terms: OPEN, or RESTRICTED until a day no later than the current restriction's
    /// end.
    data_use_terms: TermsJson,
}

/// What a change of terms did.
#[derive(Debug, Serialize, ToSchema)]
pub struct TermsChanged {
    /// How many entries have the new terms.
    changed: usize,
}

/// Changes the data use terms of entries; terms may only open up (OPEN, or an earlier end of
/// the restriction).
#[utoipa::path(post, path = "/api/{organism}/data-use-terms", summary = "Change data use terms (only towards more open)",
    params(OrganismPath), request_body = TermsRequest, security(("bearer" = [])),
    responses((status = 200, description = "How many entries changed", body = TermsChanged),
        (status = 400, response = ProblemResponse), (status = 401, response = ProblemResponse),
        (status = 403, response = ProblemResponse), (status = 404, response = ProblemResponse),
        (status = 409, response = ProblemResponse), (status = 415, response = ProblemResponse), (status = 422, response = ProblemResponse),
        (status = 500, response = ProblemResponse)))]
pub async fn change_terms(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(OrganismPath { organism }): Path<OrganismPath>,
    ApiJson(req): ApiJson<TermsRequest>,
) -> Result<Json<TermsChanged>, ApiError> {
    let org = state.organism(&organism)?;
    let accessions = req.accessions.iter().map(|a| parse_accession(org, a)).collect::<Result<Vec<_>, _>>()?;
    let terms = parse_terms(&req.data_use_terms.kind, req.data_use_terms.restricted_until.as_deref())?;
    state.store().change_terms(user.id, &accessions, terms).await?;
    Ok(Json(TermsChanged { changed: accessions.len() }))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn stored_values_read_back_as_the_cells_they_came_from() {
        assert_eq!(tsv_cell(&json!(["Zhang, Wei", "Li, Ming"])), "Zhang, Wei; Li, Ming");
        assert_eq!(tsv_cell(&json!({ "missing": "not provided" })), "not provided");
        assert_eq!(tsv_cell(&json!({ "value": "2020-03", "earliest": "2020-03-01" })), "2020-03");
        assert_eq!(tsv_cell(&json!("a\tb\nc")), "a b c");
        assert_eq!(tsv_cell(&json!(null)), "");
    }
}
