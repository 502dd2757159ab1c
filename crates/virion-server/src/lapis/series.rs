//! The time-series components (`/component/{nucleotide,aminoAcid}MutationsOverTime`,
//! `/component/queriesOverTime`) and `/query/parse`.
//!
//! Every cell of a time series is a count and a coverage, never only a proportion, so that
//! series from several parts (or nodes) add up.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde_json::{Value as JsonValue, json};
use virion_query::{DateRange, Expr, LapisRequest, Series};

use super::handlers::target;
use super::respond::{self, Info};
use crate::RequestId;
use crate::auth::MaybeUser;
use crate::state::AppState;

/// More cells than this in one time series are refused (a request must not pin the server).
const MAX_CELLS: usize = 100_000;

struct SeriesRequest {
    filters: LapisRequest,
    items: Vec<JsonValue>,
    date_ranges: Vec<JsonValue>,
    ranges: Vec<DateRange>,
    date_field: String,
}

fn series_request(body: &Bytes, items_key: &str) -> Result<SeriesRequest, String> {
    let body: JsonValue =
        serde_json::from_slice(body).map_err(|e| format!("the request body is not JSON: {e}"))?;
    let array = |key: &str| -> Result<Vec<JsonValue>, String> {
        body.get(key).and_then(JsonValue::as_array).cloned().ok_or_else(|| format!("{key} must be a list"))
    };
    let filters = body.get("filters").cloned().unwrap_or_else(|| json!({}));
    let filters = super::decode::request(None, &super::decode::Body::Json(filters))?;
    let date_ranges = array("dateRanges")?;
    let bound = |range: &JsonValue, key: &str| -> Result<Option<NaiveDate>, String> {
        match range.get(key) {
            None | Some(JsonValue::Null) => Ok(None),
            Some(v) => v
                .as_str()
                .and_then(|t| NaiveDate::parse_from_str(t, "%Y-%m-%d").ok())
                .map(Some)
                .ok_or_else(|| format!("dateRanges.{key}: {v} is not a date YYYY-MM-DD")),
        }
    };
    let ranges = date_ranges
        .iter()
        .map(|r| Ok((bound(r, "dateFrom")?, bound(r, "dateTo")?)))
        .collect::<Result<_, String>>()?;
    let req = SeriesRequest {
        filters,
        items: array(items_key)?,
        date_ranges,
        ranges,
        date_field: body.get("dateField").and_then(JsonValue::as_str).unwrap_or("date").to_owned(),
    };
    if req.items.len() * req.ranges.len().max(1) > MAX_CELLS {
        return Err(format!("more than {MAX_CELLS} cells asked for"));
    }
    Ok(req)
}

fn series_body(label_key: &str, series: Series, ranges: &[JsonValue], info: &Info) -> Response {
    let data: Vec<JsonValue> = series
        .cells
        .into_iter()
        .map(|row| {
            JsonValue::Array(row.into_iter().map(|(c, v)| json!({ "count": c, "coverage": v })).collect())
        })
        .collect();
    let body = json!({
        "data": { label_key: series.labels, "dateRanges": ranges, "data": data, "totalCountsByDateRange": series.totals },
        "info": info.json(),
    });
    respond::with_version(axum::Json(body).into_response(), info.data_version)
}

async fn mutations_over_time(
    state: AppState,
    organism: Option<String>,
    user: MaybeUser,
    id: RequestId,
    body: Bytes,
    amino_acid: bool,
) -> Response {
    let t = match target(&state, organism, &user, &id).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let req = match series_request(&body, "includeMutations") {
        Ok(r) => r,
        Err(e) => return respond::problem(StatusCode::BAD_REQUEST, e, &t.info),
    };
    let Some(mutations) =
        req.items.iter().map(|m| m.as_str().map(str::to_owned)).collect::<Option<Vec<String>>>()
    else {
        return respond::problem(
            StatusCode::BAD_REQUEST,
            "includeMutations must be a list of strings",
            &t.info,
        );
    };
    let info = t.info.clone();
    let result = t
        .run(move |parts, _, budget| {
            let series = virion_query::execute::mutations_over_time(
                parts,
                &req.filters,
                &mutations,
                &req.date_field,
                &req.ranges,
                amino_acid,
                budget,
            )?;
            Ok(series_body("mutations", series, &req.date_ranges, &info))
        })
        .await;
    result.unwrap_or_else(|r| r)
}

pub async fn nucleotide_mutations_over_time(
    State(state): State<AppState>,
    Path(organism): Path<String>,
    user: MaybeUser,
    Extension(id): Extension<RequestId>,
    body: Bytes,
) -> Response {
    mutations_over_time(state, Some(organism), user, id, body, false).await
}

pub async fn amino_acid_mutations_over_time(
    State(state): State<AppState>,
    Path(organism): Path<String>,
    user: MaybeUser,
    Extension(id): Extension<RequestId>,
    body: Bytes,
) -> Response {
    mutations_over_time(state, Some(organism), user, id, body, true).await
}

pub async fn nucleotide_mutations_over_time_default(
    State(state): State<AppState>,
    user: MaybeUser,
    Extension(id): Extension<RequestId>,
    body: Bytes,
) -> Response {
    mutations_over_time(state, None, user, id, body, false).await
}

pub async fn amino_acid_mutations_over_time_default(
    State(state): State<AppState>,
    user: MaybeUser,
    Extension(id): Extension<RequestId>,
    body: Bytes,
) -> Response {
    mutations_over_time(state, None, user, id, body, true).await
}

async fn queries_over_time_inner(
    state: AppState,
    organism: Option<String>,
    user: MaybeUser,
    id: RequestId,
    body: Bytes,
) -> Response {
    let t = match target(&state, organism, &user, &id).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let req = match series_request(&body, "queries") {
        Ok(r) => r,
        Err(e) => return respond::problem(StatusCode::BAD_REQUEST, e, &t.info),
    };
    let queries: Vec<(String, String, String)> = req
        .items
        .iter()
        .map(|q| {
            let text = |k: &str| q.get(k).and_then(JsonValue::as_str).unwrap_or("").to_owned();
            let count = text("countQuery");
            let label = q
                .get("displayLabel")
                .and_then(JsonValue::as_str)
                .map_or_else(|| count.clone(), str::to_owned);
            (label, count, text("coverageQuery"))
        })
        .collect();
    let info = t.info.clone();
    let result = t
        .run(move |parts, _, budget| {
            let series = virion_query::execute::queries_over_time(
                parts,
                &req.filters,
                &queries,
                &req.date_field,
                &req.ranges,
                budget,
            )?;
            Ok(series_body("queries", series, &req.date_ranges, &info))
        })
        .await;
    result.unwrap_or_else(|r| r)
}

/// `POST /{organism}/component/queriesOverTime`: `countQuery` and `coverageQuery` are
/// advancedQuery strings.
pub async fn queries_over_time(
    State(state): State<AppState>,
    Path(organism): Path<String>,
    user: MaybeUser,
    Extension(id): Extension<RequestId>,
    body: Bytes,
) -> Response {
    queries_over_time_inner(state, Some(organism), user, id, body).await
}

pub async fn queries_over_time_default(
    State(state): State<AppState>,
    user: MaybeUser,
    Extension(id): Extension<RequestId>,
    body: Bytes,
) -> Response {
    queries_over_time_inner(state, None, user, id, body).await
}

fn expr_json(e: &Expr) -> JsonValue {
    match e {
        Expr::And(c) => json!({ "type": "And", "children": c.iter().map(expr_json).collect::<Vec<_>>() }),
        Expr::Or(c) => json!({ "type": "Or", "children": c.iter().map(expr_json).collect::<Vec<_>>() }),
        Expr::Not(i) => json!({ "type": "Not", "child": expr_json(i) }),
        Expr::Maybe(i) => json!({ "type": "Maybe", "child": expr_json(i) }),
        Expr::NOf { n, exactly, children } => json!({
            "type": "N-Of", "numberOfMatchers": n, "matchExactly": exactly,
            "children": children.iter().map(expr_json).collect::<Vec<_>>(),
        }),
        Expr::Mutation { name, position, target } => json!({
            "type": "Mutation", "sequenceName": name, "position": position, "symbol": format!("{target:?}"),
        }),
        Expr::Insertion { name, position, pattern } => json!({
            "type": "Insertion", "sequenceName": name, "position": position, "value": pattern,
        }),
        Expr::Metadata { field, op, value } => {
            json!({ "type": "Metadata", "column": field, "operator": op, "value": value })
        }
        Expr::IsNull(field) => json!({ "type": "IsNull", "column": field }),
        Expr::Lineage(name) => json!({ "type": "Lineage", "value": name }),
    }
}

/// `POST /query/parse` (and per organism): parses advancedQuery strings without running
/// them; always HTTP 200, failures reported per query.
pub async fn query_parse(Extension(id): Extension<RequestId>, headers: HeaderMap, body: Bytes) -> Response {
    let info = Info { data_version: None, request_id: id.0 };
    let body: JsonValue = match super::decode::body(&headers, &body) {
        Ok(super::decode::Body::Json(j)) => j,
        Ok(_) => json!({}),
        Err(e) => return respond::problem(StatusCode::BAD_REQUEST, e, &info),
    };
    let queries = body.get("queries").and_then(JsonValue::as_array).cloned().unwrap_or_default();
    let data: Vec<JsonValue> = queries
        .iter()
        .map(|q| match virion_query::parse_advanced(q.as_str().unwrap_or("")) {
            Ok(expr) => json!({ "type": "success", "filter": expr_json(&expr) }),
            Err(e) => json!({ "type": "failure", "error": e.to_string() }),
        })
        .collect();
    axum::Json(json!({ "data": data, "info": info.json() })).into_response()
}

pub async fn query_parse_for(
    Path(_organism): Path<String>,
    id: Extension<RequestId>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    query_parse(id, headers, body).await
}
