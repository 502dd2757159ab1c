//! The time-series components (`/component/{nucleotide,aminoAcid}MutationsOverTime`,
//! `/component/queriesOverTime`) and `/query/parse`.
//!
//! Every cell of a time series is a count and a coverage, never only a proportion, so that
//! series from several parts (or nodes) add up.

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde_json::{Value as JsonValue, json};
use virion_query::LapisRequest;
use virion_query::execute::{DateRange, Series};

use super::call::LapisCall;
use super::handlers::target;
use super::respond::{self, Info};

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

/// `POST /{organism}/component/{nucleotide,aminoAcid}MutationsOverTime`.
pub(crate) async fn mutations_over_time(call: LapisCall, amino_acid: bool) -> Response {
    let t = match target(&call).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let req = match series_request(&call.body, "includeMutations") {
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

/// `POST /{organism}/component/queriesOverTime`: `countQuery` and `coverageQuery` are
/// advancedQuery strings.
pub(crate) async fn queries_over_time(call: LapisCall) -> Response {
    let t = match target(&call).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let req = match series_request(&call.body, "queries") {
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

/// `POST /query/parse` (and per organism): translates advancedQuery strings into SILO's filter
/// expressions as LAPIS does, against the organism's schema, without running them; always HTTP
/// 200, failures reported per query. `doFullValidation` also checks positions and names.
pub(crate) async fn query_parse(call: LapisCall) -> Response {
    let t = match target(&call).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let body: JsonValue = match super::decode::body(&call.headers, &call.body) {
        Ok(super::decode::Body::Json(j)) => j,
        Ok(_) => json!({}),
        Err(e) => return respond::problem(StatusCode::BAD_REQUEST, e, &t.info),
    };
    let queries: Option<Vec<String>> = body
        .get("queries")
        .and_then(JsonValue::as_array)
        .and_then(|a| a.iter().map(|q| q.as_str().map(str::to_owned)).collect());
    let Some(queries) = queries else {
        return respond::problem(StatusCode::BAD_REQUEST, "queries must be a list of strings", &t.info);
    };
    let full = body.get("doFullValidation").and_then(JsonValue::as_bool).unwrap_or(false);
    let parsed = virion_query::silo_filter::parse_queries(&t.view.collection().query, &queries, full);
    let data = serde_json::to_value(&parsed).expect("parsed queries serialise");
    axum::Json(json!({ "data": data, "info": t.info.json() })).into_response()
}
