//! The time-series components (`/component/{nucleotide,aminoAcid}MutationsOverTime`,
//! `/component/queriesOverTime`) and `/query/parse`.
//!
//! Every cell of a time series is a count and a coverage, never only a proportion, so that
//! series from several parts (or nodes) add up.

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value as JsonValue, json};
use utoipa::ToSchema;
use virion_query::LapisRequest;
use virion_query::execute::{DateRange, Series};

use super::call::LapisCall;
use super::handlers::target;
use super::respond::{self, Info};

/// More cells than this in one time series are refused (a request must not pin the server).
const MAX_CELLS: usize = 100_000;

/// The body of `/component/{nucleotide,aminoAcid}MutationsOverTime`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MutationsOverTimeRequest {
    #[serde(flatten)]
    common: SeriesCommon,
    /// The mutations, one row each.
    #[schema(example = json!(["C241T"]))]
    include_mutations: Vec<String>,
}

/// The body of `/component/queriesOverTime`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct QueriesOverTimeRequest {
    #[serde(flatten)]
    common: SeriesCommon,
    /// The queries, one row each.
    queries: Vec<QueryOverTime>,
}

/// What every time series reads besides its items.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SeriesCommon {
    /// LAPIS filters as in a sample route's JSON body (metadata fields, mutations,
    /// advancedQuery, …); none: every genome.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    filters: Option<JsonValue>,
    /// The columns of the series.
    date_ranges: Vec<DateRangeBody>,
    /// The date field the ranges apply to; default `date`.
    #[schema(example = "date")]
    date_field: Option<String>,
}

/// A date range of a time series; a missing bound is open. Echoed in the answer as sent.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DateRangeBody {
    /// First day of the range, YYYY-MM-DD; omitted: open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(format = Date, example = "2020-01-01")]
    pub(crate) date_from: Option<String>,
    /// Last day of the range (included), YYYY-MM-DD; omitted: open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(format = Date, example = "2020-03-31")]
    pub(crate) date_to: Option<String>,
}

/// One row of `/component/queriesOverTime`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct QueryOverTime {
    /// The row's label; default: the countQuery.
    display_label: Option<String>,
    /// An advancedQuery: the genomes counted.
    #[schema(example = "S:D614G", min_length = 1)]
    count_query: String,
    /// An advancedQuery: the genomes with coverage.
    #[schema(example = "S:614G | S:614D", min_length = 1)]
    coverage_query: String,
}

/// The body of `/query/parse`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct QueryParseRequest {
    /// advancedQuery strings.
    #[schema(example = json!(["S:D614G & country=USA"]))]
    queries: Vec<String>,
    /// Also check positions and names, as SILO would.
    #[serde(default)]
    do_full_validation: bool,
}

/// A typed body, or why not: JSON that is not JSON, or JSON of the wrong shape.
fn typed_body<T: DeserializeOwned>(body: &Bytes) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|e| {
        if e.is_data() {
            format!("the request body: {e}")
        } else {
            format!("the request body is not JSON: {e}")
        }
    })
}

/// A time series request as read: its filters, ranges (as sent and parsed) and date field.
pub(crate) struct SeriesRequest {
    pub(crate) filters: LapisRequest,
    pub(crate) date_ranges: Vec<DateRangeBody>,
    pub(crate) ranges: Vec<DateRange>,
    pub(crate) date_field: String,
}

/// A row of `queriesOverTime`: (display label, countQuery, coverageQuery).
pub(crate) type QueryItem = (String, String, String);

/// Reads a `…MutationsOverTime` body: the series request and its mutations.
pub(crate) fn read_mutations_series(body: &Bytes) -> Result<(SeriesRequest, Vec<String>), String> {
    let body = typed_body::<MutationsOverTimeRequest>(body)?;
    let n = body.include_mutations.len();
    Ok((series_request(body.common, n)?, body.include_mutations))
}

/// Reads a `queriesOverTime` body: the series request and its queries as (display label,
/// countQuery, coverageQuery).
pub(crate) fn read_queries_series(body: &Bytes) -> Result<(SeriesRequest, Vec<QueryItem>), String> {
    let body = typed_body::<QueriesOverTimeRequest>(body)?;
    let n = body.queries.len();
    let queries = body
        .queries
        .into_iter()
        .map(|q| (q.display_label.unwrap_or_else(|| q.count_query.clone()), q.count_query, q.coverage_query))
        .collect();
    Ok((series_request(body.common, n)?, queries))
}

fn series_request(common: SeriesCommon, items: usize) -> Result<SeriesRequest, String> {
    let filters = common.filters.unwrap_or_else(|| json!({}));
    let filters = super::decode::request(None, &super::decode::Body::Json(filters))?;
    let bound = |value: &Option<String>, key: &str| -> Result<Option<NaiveDate>, String> {
        value
            .as_deref()
            .map(|t| {
                NaiveDate::parse_from_str(t, "%Y-%m-%d")
                    .map_err(|_| format!("dateRanges.{key}: {t:?} is not a date YYYY-MM-DD"))
            })
            .transpose()
    };
    let ranges = common
        .date_ranges
        .iter()
        .map(|r| Ok((bound(&r.date_from, "dateFrom")?, bound(&r.date_to, "dateTo")?)))
        .collect::<Result<Vec<_>, String>>()?;
    if items * ranges.len().max(1) > MAX_CELLS {
        return Err(format!("more than {MAX_CELLS} cells asked for"));
    }
    Ok(SeriesRequest {
        filters,
        date_ranges: common.date_ranges,
        ranges,
        date_field: common.date_field.unwrap_or_else(|| "date".to_owned()),
    })
}

pub(crate) fn series_body(
    label_key: &str,
    series: Series,
    ranges: &[DateRangeBody],
    info: &Info,
) -> Response {
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
    let (req, mutations) = match read_mutations_series(&call.body) {
        Ok(r) => r,
        Err(e) => return respond::problem(StatusCode::BAD_REQUEST, e, &t.info),
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
    let (req, queries) = match read_queries_series(&call.body) {
        Ok(r) => r,
        Err(e) => return respond::problem(StatusCode::BAD_REQUEST, e, &t.info),
    };
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
    let body = match super::decode::body(&call.headers, &call.body) {
        Ok(super::decode::Body::Json(j)) => {
            serde_json::from_value::<QueryParseRequest>(j).map_err(|e| format!("the request body: {e}"))
        }
        Ok(_) => Err("queries must be a list of strings".to_owned()),
        Err(e) => Err(e),
    };
    let body = match body {
        Ok(b) => b,
        Err(e) => return respond::problem(StatusCode::BAD_REQUEST, e, &t.info),
    };
    let parsed = virion_query::silo_filter::parse_queries(
        &t.view.collection().query,
        &body.queries,
        body.do_full_validation,
    );
    let data = serde_json::to_value(&parsed).expect("parsed queries serialise");
    axum::Json(json!({ "data": data, "info": t.info.json() })).into_response()
}
