//! The LAPIS routes beyond the sample tables: the time-series components
//! (`/component/{nucleotide,aminoAcid}MutationsOverTime`, `/component/queriesOverTime`),
//! `/query/parse`, `/sample/referenceGenome` and `/sample/databaseConfig`.
//!
//! Every cell of a time series is a count and a coverage, never only a proportion, so that
//! series from several nodes add up.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde_json::{Value as JsonValue, json};
use virion_index::{ColumnType, Filter, RoaringBitmap, day_number};
use virion_query::{Expr, QueryError};

use crate::lapis::{OrganismIndex, bad_request, info, lapis_error, parse_request, select};
use crate::state::AppState;

/// More cells than this in one time series are refused (a request must not pin the server).
const MAX_CELLS: usize = 100_000;

fn with_version(mut r: Response, ix: &OrganismIndex) -> Response {
    r.headers_mut().insert("lapis-data-version", HeaderValue::from(ix.data_version));
    r
}

/// The rows of each date range (inclusive bounds, either open) among `base`.
fn rows_per_range(
    ix: &OrganismIndex,
    base: &RoaringBitmap,
    date_field: &str,
    ranges: &[JsonValue],
) -> Result<Vec<RoaringBitmap>, QueryError> {
    let column =
        ix.index.column(date_field).filter(|&c| ix.index.columns[c].kind == ColumnType::Date).ok_or_else(
            || QueryError::BadValue {
                parameter: "dateField".into(),
                value: date_field.to_owned(),
                reason: "not a date field".into(),
            },
        )?;
    let bound = |range: &JsonValue, key: &str| -> Result<Option<f64>, QueryError> {
        match range.get(key).and_then(JsonValue::as_str) {
            None => Ok(None),
            Some(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map(|d| Some(f64::from(day_number(d))))
                .map_err(|_| QueryError::BadValue {
                    parameter: format!("dateRanges.{key}"),
                    value: text.to_owned(),
                    reason: "expected YYYY-MM-DD".into(),
                }),
        }
    };
    ranges
        .iter()
        .map(|r| {
            let f = Filter::Range { column, from: bound(r, "dateFrom")?, to: bound(r, "dateTo")? };
            Ok(ix.index.evaluate(&f) & base)
        })
        .collect()
}

struct SeriesRequest {
    filters: JsonValue,
    items: Vec<JsonValue>,
    date_ranges: Vec<JsonValue>,
    date_field: String,
}

fn series_request(body: &JsonValue, items_key: &str) -> Result<SeriesRequest, String> {
    let array = |key: &str| -> Result<Vec<JsonValue>, String> {
        body.get(key).and_then(JsonValue::as_array).cloned().ok_or_else(|| format!("{key} must be a list"))
    };
    Ok(SeriesRequest {
        filters: body.get("filters").cloned().unwrap_or_else(|| json!({})),
        items: array(items_key)?,
        date_ranges: array("dateRanges")?,
        date_field: body.get("dateField").and_then(JsonValue::as_str).unwrap_or("date").to_owned(),
    })
}

/// The matrix answer: one row per item, one cell per date range.
fn series_response(
    ix: &OrganismIndex,
    label_key: &str,
    labels: Vec<String>,
    ranges: &[JsonValue],
    cells: Vec<Vec<(u64, u64)>>,
    totals: Vec<u64>,
) -> Response {
    let data: Vec<JsonValue> = cells
        .into_iter()
        .map(|row| {
            JsonValue::Array(row.into_iter().map(|(c, v)| json!({ "count": c, "coverage": v })).collect())
        })
        .collect();
    let body = json!({
        "data": { label_key: labels, "dateRanges": ranges, "data": data, "totalCountsByDateRange": totals },
        "info": info(Some(ix)),
    });
    with_version(Json(body).into_response(), ix)
}

fn no_index(organism: &str) -> Response {
    lapis_error(StatusCode::NOT_FOUND, format!("no query index for {organism:?}"), None)
}

/// The filter and the coverage position of one `includeMutations` entry.
fn mutation_item(
    ix: &OrganismIndex,
    text: &str,
    amino_acid: bool,
) -> Result<(Filter, bool, usize, u32), QueryError> {
    let q = virion_query::mutation::parse(text, amino_acid, "includeMutations")?;
    let f = virion_query::mutation::to_filter(&ix.index, &q, amino_acid, false, "includeMutations")?;
    match f {
        Filter::Symbol { gene, sequence, position, .. } | Filter::Mutated { gene, sequence, position } => {
            Ok((f, gene, sequence, position))
        }
        _ => Err(QueryError::Mutation {
            parameter: "includeMutations".into(),
            value: text.to_owned(),
            reason: "MAYBE() is not allowed here".into(),
        }),
    }
}

fn base_rows(ix: &OrganismIndex, filters: &JsonValue) -> Result<RoaringBitmap, String> {
    let req = parse_request(&HashMap::new(), Some(filters))?;
    select(ix, &req).map_err(|e| e.to_string())
}

/// Decodes a time-series request and selects its rows per date range (boxed error: a full
/// response).
fn prepare_series(
    ix: &OrganismIndex,
    body: &JsonValue,
    items_key: &str,
) -> Result<(SeriesRequest, Vec<RoaringBitmap>), Box<Response>> {
    let fail = |e: String| Box::new(bad_request(e, ix));
    let req = series_request(body, items_key).map_err(fail)?;
    if req.items.len() * req.date_ranges.len() > MAX_CELLS {
        return Err(fail(format!("more than {MAX_CELLS} cells asked for")));
    }
    let base = base_rows(ix, &req.filters).map_err(fail)?;
    let per_range =
        rows_per_range(ix, &base, &req.date_field, &req.date_ranges).map_err(|e| fail(e.to_string()))?;
    Ok((req, per_range))
}

async fn mutations_over_time(
    state: AppState,
    organism: String,
    body: JsonValue,
    amino_acid: bool,
) -> Response {
    let Some(slot) = state.lapis().get(&organism) else { return no_index(&organism) };
    let ix = slot.read().expect("index lock");
    let (req, per_range) = match prepare_series(&ix, &body, "includeMutations") {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let mut labels = Vec::new();
    let mut cells = Vec::new();
    for item in &req.items {
        let Some(text) = item.as_str() else { return bad_request("includeMutations must be strings", &ix) };
        let (filter, gene, sequence, position) = match mutation_item(&ix, text, amino_acid) {
            Ok(m) => m,
            Err(e) => return bad_request(e, &ix),
        };
        let matched = ix.index.evaluate(&filter);
        let column = if gene { &ix.index.genes[sequence] } else { &ix.index.segments[sequence] };
        let row =
            per_range.iter().map(|rows| ((rows & &matched).len(), column.coverage(position, rows))).collect();
        labels.push(text.to_owned());
        cells.push(row);
    }
    let totals = per_range.iter().map(RoaringBitmap::len).collect();
    series_response(&ix, "mutations", labels, &req.date_ranges, cells, totals)
}

pub async fn nucleotide_mutations_over_time(
    State(state): State<AppState>,
    Path(organism): Path<String>,
    Json(body): Json<JsonValue>,
) -> Response {
    mutations_over_time(state, organism, body, false).await
}

pub async fn amino_acid_mutations_over_time(
    State(state): State<AppState>,
    Path(organism): Path<String>,
    Json(body): Json<JsonValue>,
) -> Response {
    mutations_over_time(state, organism, body, true).await
}

/// `POST /{organism}/component/queriesOverTime`: `countQuery` and `coverageQuery` are
/// advancedQuery strings.
pub async fn queries_over_time(
    State(state): State<AppState>,
    Path(organism): Path<String>,
    Json(body): Json<JsonValue>,
) -> Response {
    let Some(slot) = state.lapis().get(&organism) else { return no_index(&organism) };
    let ix = slot.read().expect("index lock");
    let (req, per_range) = match prepare_series(&ix, &body, "queries") {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let evaluate = |text: &str| -> Result<RoaringBitmap, QueryError> {
        let expr = virion_query::parse_advanced(text)?;
        Ok(ix.index.evaluate(&virion_query::advanced_filter(&ix.index, &expr)?))
    };
    let mut labels = Vec::new();
    let mut cells = Vec::new();
    for q in &req.items {
        let count_query = q.get("countQuery").and_then(JsonValue::as_str).unwrap_or("");
        let coverage_query = q.get("coverageQuery").and_then(JsonValue::as_str).unwrap_or("");
        let (count, coverage) = match (evaluate(count_query), evaluate(coverage_query)) {
            (Ok(a), Ok(b)) => (a, b),
            (Err(e), _) | (_, Err(e)) => return bad_request(e, &ix),
        };
        labels.push(q.get("displayLabel").and_then(JsonValue::as_str).unwrap_or(count_query).to_owned());
        cells.push(per_range.iter().map(|rows| ((rows & &count).len(), (rows & &coverage).len())).collect());
    }
    let totals = per_range.iter().map(RoaringBitmap::len).collect();
    series_response(&ix, "queries", labels, &req.date_ranges, cells, totals)
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
    }
}

/// `POST /query/parse` (and per organism): parses advancedQuery strings without running
/// them; always HTTP 200, failures reported per query.
pub async fn query_parse(Json(body): Json<JsonValue>) -> Response {
    let queries = body.get("queries").and_then(JsonValue::as_array).cloned().unwrap_or_default();
    let data: Vec<JsonValue> = queries
        .iter()
        .map(|q| match virion_query::parse_advanced(q.as_str().unwrap_or("")) {
            Ok(expr) => json!({ "type": "success", "filter": expr_json(&expr) }),
            Err(e) => json!({ "type": "failure", "error": e.to_string() }),
        })
        .collect();
    Json(json!({ "data": data, "info": info(None) })).into_response()
}

/// `GET /{organism}/sample/referenceGenome`.
pub async fn reference_genome(State(state): State<AppState>, Path(organism): Path<String>) -> Response {
    let Some(slot) = state.lapis().get(&organism) else { return no_index(&organism) };
    let ix = slot.read().expect("index lock");
    let seqs = |cols: &[virion_index::SequenceColumn]| -> Vec<JsonValue> {
        cols.iter()
            .map(|c| json!({ "name": c.name, "sequence": String::from_utf8_lossy(c.reference()) }))
            .collect()
    };
    let body = json!({ "nucleotideSequences": seqs(&ix.index.segments), "genes": seqs(&ix.index.genes) });
    with_version(Json(body).into_response(), &ix)
}

/// `GET /{organism}/sample/databaseConfig`: the schema as SILO's database_config describes it.
pub async fn database_config(State(state): State<AppState>, Path(organism): Path<String>) -> Response {
    let Some(slot) = state.lapis().get(&organism) else { return no_index(&organism) };
    let ix = slot.read().expect("index lock");
    let metadata: Vec<JsonValue> = ix
        .index
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let (kind, indexed) = match c.kind {
                ColumnType::String { indexed } => ("string", indexed),
                ColumnType::Date => ("date", false),
                ColumnType::Int => ("int", false),
                ColumnType::Float => ("float", false),
                ColumnType::Boolean => ("boolean", false),
            };
            let mut m = json!({ "name": c.name, "type": kind, "generateIndex": indexed });
            if i == ix.lineage_column {
                m["generateLineageIndex"] = json!("pango");
            }
            m
        })
        .collect();
    let body = json!({ "schema": { "instanceName": organism, "primaryKey": "accessionVersion", "metadata": metadata,
                                   "features": [{ "name": "generalizedAdvancedQuery" }] } });
    with_version(Json(body).into_response(), &ix)
}
