//! The portal's submission and review pages, over the same validation, store and lifecycle as
//! the JSON API (`submit::store_submission`, `entries::{approve,discard}_versions`).

use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::Value as Json;
use virion_io::{FastaReader, FastaRecord};
use virion_portal::submission::{EditEntry, EditField, EntryRow, IssueRow, Review, Upload};
use virion_store::{AccessionVersion, ListFilter, Revision, Role, Status, VersionRecord};

use super::accounts::{Session, same, session};
use super::{chrome_for, field_issues, html_page, issue_messages, problem_page};
use crate::entries::{
    ReviewRequest, approve_versions, discard_versions, parse_av, tsv_cell, validated_metadata,
};
use crate::error::ApiError;
use crate::state::AppState;

fn login_first(path: &str) -> Response {
    Redirect::to(&format!("/login?next={path}")).into_response()
}

/// The groups `s` may submit to (submitter or curator) and all the groups it is in.
async fn groups_of(state: &AppState, s: &Session) -> (Vec<String>, Vec<String>) {
    let all = state.store().memberships(Some(s.user.id), None).await.unwrap_or_default();
    let submit = all.iter().filter(|m| m.role != Role::Consumer).map(|m| m.group_name.clone()).collect();
    (submit, all.into_iter().map(|m| m.group_name).collect())
}

/// The metadata template, `template.tsv` or `template.xlsx`, generated from the schema.
pub(crate) async fn template(
    State(state): State<AppState>,
    Path((organism, file)): Path<(String, String)>,
) -> Response {
    let org = match state.organism(&organism) {
        Ok(org) => org,
        Err(e) => return e.into_response(),
    };
    let (content_type, body) = match file.as_str() {
        "template.tsv" => (
            "text/tab-separated-values; charset=utf-8",
            virion_schema::template_tsv(&org.config).into_bytes(),
        ),
        "template.xlsx" => match virion_schema::template_xlsx(&org.config) {
            Ok(bytes) => ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", bytes),
            Err(e) => return ApiError::internal(e).into_response(),
        },
        _ => {
            return problem_page(
                &state,
                StatusCode::NOT_FOUND,
                "No such file",
                &format!("{file:?}: try template.tsv or template.xlsx."),
            );
        }
    };
    let extension = file.rsplit('.').next().unwrap_or("tsv");
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{organism}-metadata-template.{extension}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// What the last upload attempt left to show.
#[derive(Default)]
struct Attempt {
    group: Option<String>,
    issues: Vec<IssueRow>,
    error: Option<String>,
}

async fn upload_page(
    state: &AppState,
    headers: &HeaderMap,
    s: &Session,
    organism: &str,
    status: StatusCode,
    attempt: Attempt,
) -> Response {
    let Attempt { group, issues, error } = attempt;
    let display = super::display_name(state, organism);
    let (groups, _) = groups_of(state, s).await;
    let u = Upload {
        organism: organism.to_owned(),
        display_name: display.clone(),
        csrf: s.csrf.clone(),
        groups,
        group,
        issues,
        more_issues: 0,
        error,
    };
    let chrome = chrome_for(state, headers, format!("Submit {display}"), Some(organism)).await;
    html_page(status, virion_portal::submission::upload(&chrome, &u))
}

pub(crate) async fn upload_form(
    State(state): State<AppState>,
    Path(organism): Path<String>,
    headers: HeaderMap,
) -> Response {
    if state.organism(&organism).is_err() {
        return problem_page(
            &state,
            StatusCode::NOT_FOUND,
            "No such organism",
            &format!("{organism:?} takes no submissions here."),
        );
    }
    match session(&state, &headers).await {
        Some(s) => upload_page(&state, &headers, &s, &organism, StatusCode::OK, Attempt::default()).await,
        None => login_first(&format!("/{organism}/submit")),
    }
}

pub(crate) async fn upload(
    State(state): State<AppState>,
    Path(organism): Path<String>,
    headers: HeaderMap,
    multipart: Multipart,
) -> Response {
    let Some(s) = session(&state, &headers).await else { return login_first(&format!("/{organism}/submit")) };
    let (dir, form) = match crate::submit::receive(&state, multipart).await {
        Ok(v) => v,
        Err(e) => {
            return upload_page(
                &state,
                &headers,
                &s,
                &organism,
                StatusCode::BAD_REQUEST,
                Attempt { error: Some(e.to_string()), ..Attempt::default() },
            )
            .await;
        }
    };
    let group = form.group.clone();
    if !form.csrf.as_deref().is_some_and(|c| same(c, &s.csrf)) {
        let e = "The form expired; please choose the files again.".to_owned();
        return upload_page(
            &state,
            &headers,
            &s,
            &organism,
            StatusCode::FORBIDDEN,
            Attempt { group, error: Some(e), ..Attempt::default() },
        )
        .await;
    }
    match crate::submit::store_submission(&state, &s.user, &organism, dir, form, None).await {
        Ok(receipt) => {
            let group = group.unwrap_or_default();
            let message = format!("{} genomes received; processing them now.", receipt.entry_count);
            let q = virion_portal::query_string(&[("group", group.as_str()), ("message", message.as_str())]);
            Redirect::to(&format!("/{organism}/review?{q}")).into_response()
        }
        Err(ApiError::Validation(issues)) => {
            let rows = issues
                .into_iter()
                .map(|i| IssueRow {
                    severity: format!("{:?}", i.severity).to_lowercase(),
                    file: i.file,
                    line: i.line,
                    column: i.column,
                    value: i.value,
                    message: i.message,
                })
                .collect();
            upload_page(
                &state,
                &headers,
                &s,
                &organism,
                StatusCode::UNPROCESSABLE_ENTITY,
                Attempt { group, issues: rows, error: None },
            )
            .await
        }
        Err(e) => {
            let status = e.status();
            upload_page(
                &state,
                &headers,
                &s,
                &organism,
                status,
                Attempt { group, error: Some(e.to_string()), ..Attempt::default() },
            )
            .await
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct ReviewQuery {
    group: Option<String>,
    only: Option<String>,
    message: Option<String>,
}

pub(crate) async fn review(
    State(state): State<AppState>,
    Path(organism): Path<String>,
    Query(q): Query<ReviewQuery>,
    headers: HeaderMap,
) -> Response {
    let Some(s) = session(&state, &headers).await else { return login_first(&format!("/{organism}/review")) };
    let Ok(org) = state.organism(&organism) else {
        return problem_page(
            &state,
            StatusCode::NOT_FOUND,
            "No such organism",
            &format!("{organism:?} is not served here."),
        );
    };
    let (_, groups) = groups_of(&state, &s).await;
    let Some(group) = q.group.or_else(|| groups.first().cloned()) else {
        return upload_page(&state, &headers, &s, &organism, StatusCode::OK, Attempt::default()).await;
    };
    let store = state.store();
    let Ok(group_id) = store.group_by_name(&group).await else {
        return problem_page(
            &state,
            StatusCode::NOT_FOUND,
            "No such group",
            &format!("There is no group {group:?}."),
        );
    };
    let counts = match store.status_counts(s.user.id, group_id).await {
        Ok(c) => c,
        Err(e) => return problem_page(&state, StatusCode::FORBIDDEN, "Not a member", &e.to_string()),
    };
    let filter = ListFilter {
        organism: Some(org.id),
        group: Some(group_id),
        limit: Some(2000),
        ..ListFilter::default()
    };
    let versions = store.list_versions(Some(s.user.id), &filter).await.unwrap_or_default();
    let entries = versions
        .iter()
        .map(|v| EntryRow {
            accession_version: v.accession_version.to_string(),
            submission_id: v.submission_key.clone(),
            status: v.status.as_str().to_owned(),
            result: v.processed.as_ref().map(|p| p.result.as_str().to_owned()),
            errors: v.processed.as_ref().map(|p| issue_messages(&p.errors_json)).unwrap_or_default(),
            warnings: v.processed.as_ref().map(|p| issue_messages(&p.warnings_json)).unwrap_or_default(),
            editable: !v.is_revocation && matches!(v.status, Status::Received | Status::Processed),
        })
        .filter(|e| match q.only.as_deref() {
            Some("errors") => !e.errors.is_empty(),
            Some("warnings") => !e.warnings.is_empty(),
            _ => true,
        })
        .collect();
    let display = super::display_name(&state, &organism);
    let r = Review {
        organism: organism.clone(),
        display_name: display.clone(),
        csrf: s.csrf.clone(),
        group,
        groups,
        counts: counts
            .into_iter()
            .map(|(st, res, n)| (st.as_str().to_owned(), res.map(|r| r.as_str().to_owned()), n))
            .collect(),
        entries,
        only: q.only,
        message: q.message,
        error: None,
        ena: None,
    };
    let mut r = r;
    if let Ok(org) = state.organism(&organism)
        && org.config.ena.is_some()
        && let Ok(group) = state.store().group_by_name(&r.group).await
    {
        r.ena = state.store().ena_counts(org.id, group).await.ok();
    }
    let chrome = chrome_for(&state, &headers, format!("Review {display}"), Some(&organism)).await;
    html_page(StatusCode::OK, virion_portal::submission::review(&chrome, &r))
}

#[derive(Debug, Deserialize)]
pub(crate) struct ReviewForm {
    group: String,
    scope: String,
    csrf: String,
}

pub(crate) async fn review_action(
    State(state): State<AppState>,
    Path((organism, action)): Path<(String, String)>,
    headers: HeaderMap,
    Form(f): Form<ReviewForm>,
) -> Response {
    let Some(s) = session(&state, &headers).await else { return login_first(&format!("/{organism}/review")) };
    let back = |message: String| {
        let q = virion_portal::query_string(&[("group", f.group.as_str()), ("message", message.as_str())]);
        Redirect::to(&format!("/{organism}/review?{q}")).into_response()
    };
    if !same(&f.csrf, &s.csrf) {
        return back("The form expired; please try again.".into());
    }
    let req = ReviewRequest::whole_group(f.group.clone(), f.scope.clone());
    let done = match action.as_str() {
        "approve" => approve_versions(&state, state.store(), s.user.id, &organism, &req)
            .await
            .map(|(a, released)| format!("{} approved, {released} released.", a.len())),
        "discard" => discard_versions(&state, s.user.id, &organism, &req)
            .await
            .map(|d| format!("{} discarded.", d.len())),
        other => return problem_page(&state, StatusCode::NOT_FOUND, "No such action", &format!("{other:?}")),
    };
    back(match done {
        Ok(m) => m,
        Err(e) => format!("Nothing changed: {e}"),
    })
}

#[derive(Debug, Deserialize)]
pub(crate) struct RevokeForm {
    comment: String,
    csrf: String,
}

/// Revokes a sequence from its record page: a revocation version, which then awaits approval
/// on the group's review page (where this redirects).
pub(crate) async fn revoke(
    State(state): State<AppState>,
    Path(accession): Path<String>,
    headers: HeaderMap,
    Form(f): Form<RevokeForm>,
) -> Response {
    let Some(s) = session(&state, &headers).await else { return login_first(&format!("/seq/{accession}")) };
    if !same(&f.csrf, &s.csrf) {
        return problem_page(
            &state,
            StatusCode::FORBIDDEN,
            "The form expired",
            "Reload the record page and try again.",
        );
    }
    let Ok(acc) = virion_store::Accession::parse(&accession, &super::accession_prefixes(&state)) else {
        return problem_page(
            &state,
            StatusCode::NOT_FOUND,
            "No such sequence",
            &format!("{accession:?} is not an accession."),
        );
    };
    let store = state.store();
    let result = async {
        let created = store.revoke(s.user.id, std::slice::from_ref(&acc), f.comment.trim()).await?;
        let av = created.first().ok_or_else(|| ApiError::BadRequest("nothing to revoke".into()))?;
        let record = store.get_version(Some(s.user.id), av).await?;
        let organism = state
            .organisms()
            .find(|o| o.id == record.organism)
            .map(|o| o.config.name.clone())
            .unwrap_or_default();
        let group = store.group_name(record.group).await?;
        Ok::<_, ApiError>((organism, group, av.to_string()))
    }
    .await;
    match result {
        Ok((organism, group, av)) => {
            let message = format!("{av} revokes {accession}; approve it to publish the revocation.");
            let q = virion_portal::query_string(&[("group", group.as_str()), ("message", message.as_str())]);
            Redirect::to(&format!("/{organism}/review?{q}")).into_response()
        }
        Err(e) => problem_page(&state, e.status(), "Could not revoke", &e.to_string()),
    }
}

/// The edit form's page: every schema field filled from `values`, problems beside their fields.
struct EditAttempt {
    values: serde_json::Map<String, Json>,
    /// (field or "", message) pairs: validation problems or the stored processing errors.
    problems: Vec<(String, String)>,
    sequence: String,
    error: Option<String>,
}

async fn edit_page(
    state: &AppState,
    headers: &HeaderMap,
    s: &Session,
    organism: &str,
    record: &VersionRecord,
    status: StatusCode,
    attempt: EditAttempt,
) -> Response {
    let Ok(org) = state.organism(organism) else {
        return problem_page(state, StatusCode::NOT_FOUND, "No such organism", organism);
    };
    let group = state.store().group_name(record.group).await.unwrap_or_default();
    // The record was read for this viewer already: its blob's recorded length is enough.
    let length = match &record.sequence_blob_id {
        Some(blob) => state.store().blob_length(blob).await.unwrap_or(0) as usize,
        None => 0,
    };
    let segments = if org.datasets.segmented {
        let stored = state.store().sequence_of(record).await.unwrap_or_default();
        virion_core::SegmentedSequence::decode(&stored)
            .map(|s| s.segments.into_iter().map(|(name, seq)| (name, seq.len())).collect())
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let mut problems = attempt.problems;
    let fields = org
        .config
        .fields
        .iter()
        .map(|f| {
            let mine: Vec<String> =
                problems.iter().filter(|(k, _)| *k == f.name).map(|(_, m)| m.clone()).collect();
            EditField {
                name: f.name.clone(),
                description: f.description.clone(),
                example: f.example.clone(),
                required: f.required,
                read_only: f.name == org.config.submission_id_column,
                value: attempt.values.get(&f.name).map(tsv_cell).unwrap_or_default(),
                problems: mine,
            }
        })
        .collect::<Vec<_>>();
    problems.retain(|(k, _)| !fields.iter().any(|f| f.name == *k));
    let warnings = record.processed.as_ref().map(|p| issue_messages(&p.warnings_json)).unwrap_or_default();
    let view = EditEntry {
        organism: organism.to_owned(),
        csrf: s.csrf.clone(),
        accession_version: record.accession_version.to_string(),
        revise: record.status == Status::Released,
        group,
        fields,
        problems: problems.into_iter().map(|(_, m)| m).collect(),
        warnings,
        sequence_length: length,
        segments,
        sequence: attempt.sequence,
        error: attempt.error,
    };
    let title = format!("Edit {}", record.accession_version);
    let chrome = chrome_for(state, headers, title, Some(organism)).await;
    html_page(status, virion_portal::submission::edit(&chrome, &view))
}

/// The session and the version named in an edit URL, or the page to show instead: the log-in
/// page, or why the version cannot be edited.
async fn editable(
    state: &AppState,
    headers: &HeaderMap,
    organism: &str,
    text: &str,
) -> Result<(Session, VersionRecord), Response> {
    let Some(s) = session(state, headers).await else {
        return Err(login_first(&format!("/{organism}/edit/{text}")));
    };
    match editable_version(state, &s, organism, text).await {
        Ok(record) => Ok((s, record)),
        Err((status, why)) => Err(problem_page(state, status, "Cannot edit this version", &why)),
    }
}

/// The version named in an edit URL, as the signed-in member sees it (unreleased included),
/// if it can still be changed: the newest version, not a revocation, not in processing.
async fn editable_version(
    state: &AppState,
    s: &Session,
    organism: &str,
    text: &str,
) -> Result<VersionRecord, (StatusCode, String)> {
    let org = state.organism(organism).map_err(|e| (StatusCode::NOT_FOUND, e.to_string()))?;
    let av: AccessionVersion = parse_av(org, text).map_err(|e| (StatusCode::NOT_FOUND, e.to_string()))?;
    let record = state
        .store()
        .get_version(Some(s.user.id), &av)
        .await
        .map_err(|_| (StatusCode::NOT_FOUND, format!("{text} is not a version you can see.")))?;
    let action = if record.status == Status::Released {
        virion_store::Action::Revise
    } else {
        virion_store::Action::Submit
    };
    if !state.store().can(s.user.id, action, record.group).await.unwrap_or(false) {
        return Err((
            StatusCode::FORBIDDEN,
            format!("Your account may not change {av}: ask a curator of its group."),
        ));
    }
    if !record.is_latest || record.is_revocation {
        return Err((
            StatusCode::CONFLICT,
            format!("{av} is not the newest version of a sequence; open the newest one."),
        ));
    }
    if matches!(record.status, Status::InProcessing | Status::Approved) {
        return Err((
            StatusCode::CONFLICT,
            format!(
                "{av} is {}; wait until it is processed or released.",
                record.status.as_str().to_lowercase()
            ),
        ));
    }
    Ok(record)
}

/// `GET /{organism}/edit/{accession.version}`.
pub(crate) async fn edit_form(
    State(state): State<AppState>,
    Path((organism, av)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let (s, record) = match editable(&state, &headers, &organism, &av).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let values = serde_json::from_str(&record.submitted_metadata_json).unwrap_or_default();
    let problems = record.processed.as_ref().map(|p| field_issues(&p.errors_json)).unwrap_or_default();
    let attempt = EditAttempt { values, problems, sequence: String::new(), error: None };
    edit_page(&state, &headers, &s, &organism, &record, StatusCode::OK, attempt).await
}

/// A pasted sequence: a single FASTA record or bare letters, read by the same reader (and
/// Nextclade's leniency) as an uploaded FASTA file.
fn pasted_sequence(text: &str) -> Result<Option<Vec<u8>>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let fasta = if text.starts_with('>') { text.to_owned() } else { format!(">pasted\n{text}") };
    let mut reader = FastaReader::new(fasta.as_bytes(), std::path::Path::new("the sequence box"));
    let mut record = FastaRecord::default();
    reader.read(&mut record).map_err(|e| e.to_string())?;
    let seq = std::mem::take(&mut record.seq);
    if reader.read(&mut record).map_err(|e| e.to_string())? {
        return Err("The sequence box holds more than one FASTA record; paste only this entry's.".into());
    }
    if seq.is_empty() {
        return Err("The FASTA record has no sequence letters.".into());
    }
    Ok(Some(seq))
}

/// `POST /{organism}/edit/{accession.version}`: validated like a submission's row, then the
/// unreleased version is replaced and processed again, or a released one revised.
pub(crate) async fn edit_save(
    State(state): State<AppState>,
    Path((organism, av)): Path<(String, String)>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let (s, record) = match editable(&state, &headers, &organism, &av).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map_or("", |(_, v)| v.as_str());
    let values: serde_json::Map<String, Json> = form
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("field:").map(|name| (name.to_owned(), Json::String(v.clone()))))
        .collect();
    let sequence_text = get("sequence").to_owned();
    let retry = |problems, error| EditAttempt {
        values: values.clone(),
        problems,
        sequence: sequence_text.clone(),
        error,
    };
    if !same(get("csrf"), &s.csrf) {
        let attempt = retry(Vec::new(), Some("The form expired; please save again.".into()));
        return edit_page(&state, &headers, &s, &organism, &record, StatusCode::FORBIDDEN, attempt).await;
    }
    let Ok(org) = state.organism(&organism) else {
        return problem_page(&state, StatusCode::NOT_FOUND, "No such organism", &organism);
    };
    // Both checks run before anything is stored; either sends the form back with its problems.
    let pasted = if org.datasets.segmented && !sequence_text.trim().is_empty() {
        // Segments not pasted stay as stored.
        match state.store().sequence_of(&record).await {
            Ok(kept) => org.segments_from_fasta(&sequence_text, &kept).map(Some),
            Err(e) => Err(format!("the stored segments cannot be read: {e}")),
        }
    } else {
        pasted_sequence(&sequence_text)
    };
    let checked = pasted.map_err(|why| (vec![(String::new(), why)], None)).and_then(|seq| {
        validated_metadata(org, "form", 1, &values).map(|json| (seq, json)).map_err(|issues| {
            let problems =
                issues.into_iter().map(|i| (i.column.clone().unwrap_or_default(), i.message)).collect();
            (problems, Some("Nothing was saved: fix the fields marked below.".to_owned()))
        })
    });
    let (sequence, metadata_json) = match checked {
        Ok(v) => v,
        Err((problems, error)) => {
            let attempt = retry(problems, error);
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return edit_page(&state, &headers, &s, &organism, &record, status, attempt).await;
        }
    };
    let store = state.store();
    let av = record.accession_version.clone();
    let outcome = if record.status == Status::Released {
        let revision = Revision { accession: av.accession.clone(), metadata_json, sequence };
        store.revise(s.user.id, futures_util::stream::iter([Ok::<_, std::io::Error>(revision)])).await.map(
            |made| {
                format!(
                    "{} was submitted as a revision; it is processed, then awaits approval.",
                    made.first().map(ToString::to_string).unwrap_or_default()
                )
            },
        )
    } else {
        store
            .edit(s.user.id, &av, &metadata_json, sequence.as_deref())
            .await
            .map(|()| format!("{av} was saved and is being processed again."))
    };
    match outcome {
        Ok(message) => {
            let group = store.group_name(record.group).await.unwrap_or_default();
            let q = virion_portal::query_string(&[("group", group.as_str()), ("message", message.as_str())]);
            Redirect::to(&format!("/{organism}/review?{q}")).into_response()
        }
        Err(e) => {
            let e = ApiError::from(e);
            let attempt = retry(Vec::new(), Some(format!("Nothing was saved: {e}")));
            edit_page(&state, &headers, &s, &organism, &record, e.status(), attempt).await
        }
    }
}

/// `POST /{organism}/ena/export`: the review page's deposition form; answers the zip.
pub(crate) async fn ena_export(
    State(state): State<AppState>,
    Path(organism): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let get = |name: &str| pairs.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str());
    let group = get("group").to_owned();
    let back = |message: String| {
        let q = virion_portal::query_string(&[("group", group.as_str()), ("message", message.as_str())]);
        Redirect::to(&format!("/{organism}/review?{q}")).into_response()
    };
    let Some(s) = session(&state, &headers).await else { return login_first(&format!("/{organism}/review")) };
    if !same(get("csrf"), &s.csrf) {
        return back("The form expired; please try again.".into());
    }
    let result = match crate::ena::EnaExportRequest::from_form(&pairs) {
        Ok(req) => crate::ena::export_zip(&state, s.user.id, &organism, req).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(zip) => zip,
        Err(e) => back(format!("Nothing exported: {e}")),
    }
}

/// `POST /{organism}/ena/receipt`: the review page's receipt upload (several files at once).
pub(crate) async fn ena_receipt(
    State(state): State<AppState>,
    Path(organism): Path<String>,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> Response {
    let Some(s) = session(&state, &headers).await else { return login_first(&format!("/{organism}/review")) };
    let (mut csrf, mut group) = (String::new(), String::new());
    let mut receipts = Vec::new();
    let mut problem = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                problem = Some(format!("the upload could not be read: {}", e.body_text()));
                break;
            }
        };
        let name = field.name().unwrap_or_default().to_owned();
        let file = field.file_name().unwrap_or("receipt.xml").to_owned();
        let bytes = match field.bytes().await {
            Ok(b) => b,
            Err(e) => {
                problem = Some(format!("{file}: {}", e.body_text()));
                break;
            }
        };
        match name.as_str() {
            "csrf" => csrf = String::from_utf8_lossy(&bytes).into_owned(),
            "group" => group = String::from_utf8_lossy(&bytes).into_owned(),
            "receipt" if bytes.len() > crate::ena::MAX_RECEIPT_BYTES => {
                problem =
                    Some(format!("{file}: a receipt may be at most {} bytes", crate::ena::MAX_RECEIPT_BYTES));
            }
            "receipt" => match virion_ena::parse_receipt(&bytes) {
                Ok(r) => receipts.push((file, r)),
                Err(e) => problem = Some(format!("{file}: {e}")),
            },
            _ => {}
        }
    }
    let back = |message: String| {
        let q = virion_portal::query_string(&[("group", group.as_str()), ("message", message.as_str())]);
        Redirect::to(&format!("/{organism}/review?{q}")).into_response()
    };
    if !same(&csrf, &s.csrf) {
        return back("The form expired; please try again.".into());
    }
    if let Some(p) = problem {
        return back(format!("Nothing recorded: {p}"));
    }
    match crate::ena::record_receipts(&state, s.user.id, &organism, &receipts).await {
        Ok(done) => back(format!(
            "Recorded INSDC accessions on {} entries as new versions; approve them to release them.",
            done.recorded.len()
        )),
        Err(e) => back(format!("Nothing recorded: {e}")),
    }
}
