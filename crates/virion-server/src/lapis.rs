//! The LAPIS v2 query API over each organism's released data: `/{organism}/sample/…`.
//!
//! Each organism's index is built from the store's released versions (the newest released
//! version of each entry; revoked entries are left out) and rebuilt in the background when
//! the released state changes (a release, a revocation, a terms change, a reprocessing
//! switch); queries always see one complete index, swapped in atomically.
//! Served so far: `aggregated`, `details`, `nucleotideMutations`, `aminoAcidMutations`,
//! `info`, `lineageDefinition/{column}`; GET (query string, comma-separated lists) and POST
//! JSON; JSON, CSV and TSV.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde_json::{Map, Value as JsonValue, json};
use virion_index::{Index, LineageIndex, PangoAliases, RoaringBitmap, Value};
use virion_ingest::SequenceLayout;
use virion_ingest::hub::HubSchema;
use virion_query::{GroupKey, LapisRequest, QueryError, QueryIndex};
use virion_store::Store;

use crate::state::AppState;

/// One organism's index as queries see it.
pub struct OrganismIndex {
    /// The index, its visible rows (each entry's newest release; older releases and
    /// revoked entries are hidden) and its lineage index.
    pub query: QueryIndex,
    /// Unix seconds when this index's content went live (LAPIS's `dataVersion`).
    pub data_version: i64,
    pub(crate) lineage_column: usize,
    row_of: HashMap<String, u32>,
    /// The newest release number applied.
    last_release: i64,
    /// The released state this index reflects, and the part of it (pipeline, terms, day)
    /// whose change needs a rebuild rather than appending.
    built_from: String,
    basis: String,
}

fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// `count|release_seq|pipeline|terms|day` → (release_seq, the rest).
fn split_state(state: &str) -> (i64, String) {
    let parts: Vec<&str> = state.split('|').collect();
    let seq = parts.get(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (seq, parts.iter().skip(2).copied().collect::<Vec<_>>().join("|"))
}

impl std::ops::Deref for OrganismIndex {
    type Target = QueryIndex;
    fn deref(&self) -> &QueryIndex {
        &self.query
    }
}

impl std::ops::DerefMut for OrganismIndex {
    fn deref_mut(&mut self) -> &mut QueryIndex {
        &mut self.query
    }
}

impl OrganismIndex {
    fn lineage(&self) -> &LineageIndex {
        &self.query.lineage.as_ref().expect("hub indexes have a lineage column").1
    }

    fn empty(source: &Source, aliases: &PangoAliases, state: &str) -> OrganismIndex {
        let index = Index::new(&source.schema.schema);
        let lineage_column = source.schema.lineage_column;
        let lineage = LineageIndex::build(aliases, index.columns[lineage_column].dictionary());
        OrganismIndex {
            query: QueryIndex {
                index,
                visible: RoaringBitmap::new(),
                lineage: Some((lineage_column, lineage)),
            },
            data_version: now_secs(),
            lineage_column,
            row_of: HashMap::new(),
            last_release: 0,
            built_from: state.to_owned(),
            basis: split_state(state).1,
        }
    }

    /// Applies one released version (in release order): it replaces its entry's earlier
    /// release; a revocation hides the entry. A record that cannot be indexed is logged and
    /// left out rather than stopping the index.
    fn apply(&mut self, source: &Source, v: &virion_store::ReleasedVersion) {
        let r = &v.record;
        let accession = r.accession_version.accession.as_str();
        self.last_release = self.last_release.max(r.release_seq.unwrap_or(0));
        if let Some(old) = self.row_of.remove(accession) {
            self.visible.remove(old);
        }
        if r.is_revocation {
            return;
        }
        let processed = r.processed.as_ref().map_or("{}", |p| p.processed_json.as_str());
        let row = source.schema.row(
            &source.layout,
            accession,
            r.accession_version.version,
            &r.submitted_metadata_json,
            processed,
        );
        match row.map_err(|e| e.to_string()).and_then(|row| self.index.push(row).map_err(|e| e.to_string())) {
            Ok(row) => {
                self.visible.insert(row);
                self.row_of.insert(accession.to_owned(), row);
            }
            Err(e) => {
                tracing::warn!(version = %r.accession_version, error = %e, "left out of the query index")
            }
        }
    }

    fn finish_batch(&mut self, aliases: &PangoAliases, lineages_before: usize) {
        let column = self.lineage_column;
        if self.index.columns[column].dictionary().len() != lineages_before {
            let lineage = LineageIndex::build(aliases, self.index.columns[column].dictionary());
            self.query.lineage = Some((column, lineage));
        }
        self.data_version = now_secs();
    }
}

/// Rows applied per write-lock hold: queries wait at most one batch.
const APPLY_BATCH: usize = 1000;

/// Appends to `target` what was released after its `last_release`, a batch at a time (the
/// versions are read without holding the lock; each batch is applied under it).
async fn catch_up(
    target: &RwLock<OrganismIndex>,
    store: &Store,
    source: &Source,
    aliases: &PangoAliases,
) -> Result<usize, String> {
    let after = target.read().expect("index lock").last_release;
    let mut stream = std::pin::pin!(store.released_since(source.organism, after));
    let mut batch = Vec::with_capacity(APPLY_BATCH);
    let mut applied = 0;
    loop {
        let next = stream.next().await;
        let done = next.is_none();
        if let Some(item) = next {
            batch.push(item.map_err(|e| e.to_string())?);
        }
        if batch.len() == APPLY_BATCH || (done && !batch.is_empty()) {
            let mut ix = target.write().expect("index lock");
            let lineages_before = ix.index.columns[ix.lineage_column].dictionary().len();
            for v in batch.drain(..) {
                ix.apply(source, &v);
                applied += 1;
            }
            ix.finish_batch(aliases, lineages_before);
        }
        if done {
            return Ok(applied);
        }
    }
}

impl std::fmt::Debug for OrganismIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrganismIndex")
            .field("rows", &self.index.rows())
            .field("data_version", &self.data_version)
            .finish_non_exhaustive()
    }
}

/// What building needs, per organism.
struct Source {
    organism: virion_store::OrganismId,
    layout: SequenceLayout,
    schema: HubSchema,
}

/// Every organism's current index.
#[derive(Clone, Default)]
pub struct LapisIndexes {
    current: Arc<RwLock<HashMap<String, Arc<RwLock<OrganismIndex>>>>>,
    sources: Arc<HashMap<String, Source>>,
    aliases: Arc<PangoAliases>,
}

impl std::fmt::Debug for LapisIndexes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LapisIndexes").finish_non_exhaustive()
    }
}

impl LapisIndexes {
    /// Prepares the layouts (loading each organism's dataset) without building anything.
    pub fn prepare(
        organisms: &[(String, virion_store::OrganismId, std::path::PathBuf, virion_schema::OrganismConfig)],
        aliases: PangoAliases,
    ) -> LapisIndexes {
        let mut sources = HashMap::new();
        for (name, id, dir, config) in organisms {
            match virion_analyze::Dataset::load(dir) {
                Ok(ds) => {
                    let layout = SequenceLayout::from_dataset(&ds);
                    let schema = HubSchema::new(config, &layout);
                    sources.insert(name.clone(), Source { organism: *id, layout, schema });
                }
                Err(e) => tracing::warn!(organism = %name, error = %e, "no query index: dataset unusable"),
            }
        }
        LapisIndexes { current: Arc::default(), sources: Arc::new(sources), aliases: Arc::new(aliases) }
    }

    pub fn get(&self, organism: &str) -> Option<Arc<RwLock<OrganismIndex>>> {
        self.current.read().expect("index lock").get(organism).cloned()
    }

    /// Rebuilds every organism whose released state changed since its index was built.
    pub async fn refresh(&self, store: &Store) {
        for (name, source) in self.sources.iter() {
            let state = match store.released_state(source.organism).await {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(organism = %name, error = %e, "reading the released state failed");
                    continue;
                }
            };
            let started = std::time::Instant::now();
            let (_, basis) = split_state(&state);
            if let Some(current) = self.get(name) {
                let (built_from, same_basis) = {
                    let ix = current.read().expect("index lock");
                    (ix.built_from.clone(), ix.basis == basis)
                };
                if built_from == state {
                    continue;
                }
                if same_basis {
                    // New releases only: append them.
                    let result = catch_up(&current, store, source, &self.aliases).await;
                    let rows = {
                        let mut ix = current.write().expect("index lock");
                        ix.built_from = state.clone();
                        ix.visible.len()
                    };
                    match result {
                        Ok(n) => {
                            tracing::info!(organism = %name, appended = n, rows, ms = started.elapsed().as_millis() as u64, "query index updated")
                        }
                        Err(e) => {
                            tracing::error!(organism = %name, error = %e, "updating the query index failed")
                        }
                    }
                    continue;
                }
            }
            // First build, or the pipeline, terms or day changed: build a new index aside and
            // swap it in whole.
            let fresh = Arc::new(RwLock::new(OrganismIndex::empty(source, &self.aliases, &state)));
            match catch_up(&fresh, store, source, &self.aliases).await {
                Ok(n) => {
                    tracing::info!(organism = %name, versions = n, ms = started.elapsed().as_millis() as u64, "query index built");
                    self.current.write().expect("index lock").insert(name.clone(), fresh);
                }
                Err(e) => tracing::error!(organism = %name, error = %e, "building the query index failed"),
            }
        }
    }

    /// Refreshes every `every` until the process ends.
    pub fn spawn_refresher(&self, store: Store, every: Duration) {
        let me = self.clone();
        tokio::spawn(async move {
            loop {
                me.refresh(&store).await;
                tokio::time::sleep(every).await;
            }
        });
    }
}

pub(crate) fn lapis_error(status: StatusCode, detail: String, index: Option<&OrganismIndex>) -> Response {
    let body = json!({
        "error": { "type": "about:blank", "title": status.canonical_reason().unwrap_or("Error"), "status": status.as_u16(), "detail": detail },
        "info": info(index),
    });
    let mut response = (status, Json(body)).into_response();
    if let Some(i) = index {
        response.headers_mut().insert("lapis-data-version", HeaderValue::from(i.data_version));
    }
    response
}

pub(crate) fn bad_request(e: impl std::fmt::Display, index: &OrganismIndex) -> Response {
    lapis_error(StatusCode::BAD_REQUEST, e.to_string(), Some(index))
}

pub(crate) fn info(index: Option<&OrganismIndex>) -> JsonValue {
    json!({
        "dataVersion": index.map(|i| i.data_version.to_string()),
        "lapisVersion": concat!("virion ", env!("CARGO_PKG_VERSION")),
        "siloVersion": JsonValue::Null,
    })
}

/// Reads the request from the query string (lists comma-separated) or a JSON body.
pub(crate) fn parse_request(
    query: &HashMap<String, String>,
    body: Option<&JsonValue>,
) -> Result<LapisRequest, String> {
    let mut pairs: Vec<(String, Vec<String>)> = Vec::new();
    for (k, v) in query {
        pairs
            .push((k.clone(), v.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect()));
    }
    if let Some(body) = body {
        let object = body.as_object().ok_or("the request body must be a JSON object")?;
        for (k, v) in object {
            let values = match v {
                JsonValue::Array(items) => items.iter().map(json_text).collect::<Result<Vec<_>, _>>()?,
                JsonValue::Null => continue,
                other => vec![json_text(other)?],
            };
            pairs.push((k.clone(), values));
        }
    }
    LapisRequest::from_pairs(pairs).map_err(|e| e.to_string())
}

fn json_text(v: &JsonValue) -> Result<String, String> {
    Ok(match v {
        JsonValue::String(s) => s.clone(),
        JsonValue::Number(n) => n.to_string(),
        JsonValue::Bool(b) => b.to_string(),
        JsonValue::Object(_) => v.to_string(),
        _ => return Err(format!("unsupported value {v}")),
    })
}

/// The visible rows a request selects.
pub(crate) fn select(ix: &OrganismIndex, req: &LapisRequest) -> Result<RoaringBitmap, QueryError> {
    ix.query.select(req)
}

fn value_json(v: &Value) -> JsonValue {
    match v {
        Value::Null => JsonValue::Null,
        Value::String(s) => json!(s),
        Value::Date(d) => json!(d.to_string()),
        Value::Int(i) => json!(i),
        Value::Float(f) => json!(f),
        Value::Boolean(b) => json!(b),
    }
}

/// Orders, pages and formats table rows (each a JSON object with `columns` in order).
fn respond_table(
    ix: &OrganismIndex,
    req: &LapisRequest,
    columns: &[String],
    mut rows: Vec<Map<String, JsonValue>>,
) -> Response {
    for (field, descending) in req.order_by.iter().rev() {
        rows.sort_by(|a, b| {
            let o = compare(a.get(field), b.get(field));
            if *descending { o.reverse() } else { o }
        });
    }
    let rows: Vec<_> = rows.into_iter().skip(req.offset).take(req.limit.unwrap_or(usize::MAX)).collect();
    let format = req.data_format.as_deref().unwrap_or("JSON").to_ascii_uppercase();
    let mut response = match format.as_str() {
        "JSON" => Json(json!({ "data": rows, "info": info(Some(ix)) })).into_response(),
        "CSV" | "CSV-WITHOUT-HEADERS" | "TSV" => {
            let sep = if format == "TSV" { '\t' } else { ',' };
            let mut out = String::new();
            if format != "CSV-WITHOUT-HEADERS" && !rows.is_empty() {
                out.push_str(
                    &columns.iter().map(|c| cell(c, sep)).collect::<Vec<_>>().join(&sep.to_string()),
                );
                out.push('\n');
            }
            for r in &rows {
                let line: Vec<String> = columns
                    .iter()
                    .map(|c| match r.get(c) {
                        None | Some(JsonValue::Null) => String::new(),
                        Some(JsonValue::String(s)) => cell(s, sep),
                        Some(other) => other.to_string(),
                    })
                    .collect();
                out.push_str(&line.join(&sep.to_string()));
                out.push('\n');
            }
            let content_type = if sep == '\t' { "text/tab-separated-values" } else { "text/csv" };
            ([(header::CONTENT_TYPE, content_type)], out).into_response()
        }
        other => {
            return bad_request(
                format!("dataFormat={other:?} is not JSON, CSV, CSV-WITHOUT-HEADERS or TSV"),
                ix,
            );
        }
    };
    response.headers_mut().insert("lapis-data-version", HeaderValue::from(ix.data_version));
    response
}

/// RFC 4180 quoting for CSV; TSV cells lose tabs and newlines.
fn cell(s: &str, sep: char) -> String {
    if sep == '\t' {
        s.replace(['\t', '\n', '\r'], " ")
    } else if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

fn compare(a: Option<&JsonValue>, b: Option<&JsonValue>) -> std::cmp::Ordering {
    use std::cmp::Ordering::*;
    match (a, b) {
        (Some(JsonValue::Number(x)), Some(JsonValue::Number(y))) => {
            x.as_f64().unwrap_or(0.0).partial_cmp(&y.as_f64().unwrap_or(0.0)).unwrap_or(Equal)
        }
        (Some(JsonValue::String(x)), Some(JsonValue::String(y))) => x.cmp(y),
        (None | Some(JsonValue::Null), None | Some(JsonValue::Null)) => Equal,
        // Nulls last, as LAPIS orders them.
        (None | Some(JsonValue::Null), _) => Greater,
        (_, None | Some(JsonValue::Null)) => Less,
        (Some(x), Some(y)) => x.to_string().cmp(&y.to_string()),
    }
}

#[derive(Clone, Copy)]
enum Endpoint {
    Aggregated,
    Details,
    NucleotideMutations,
    AminoAcidMutations,
}

fn answer(
    state: &AppState,
    organism: &str,
    endpoint: Endpoint,
    query: &HashMap<String, String>,
    body: Option<JsonValue>,
) -> Response {
    let Some(slot) = state.lapis().get(organism) else {
        let status = if state.organism(organism).is_ok() {
            StatusCode::SERVICE_UNAVAILABLE
        } else {
            StatusCode::NOT_FOUND
        };
        return lapis_error(status, format!("no query index for {organism:?} (yet)"), None);
    };
    // One consistent index for the whole request.
    let ix = slot.read().expect("index lock");
    let req = match parse_request(query, body.as_ref()) {
        Ok(r) => r,
        Err(e) => return bad_request(e, &ix),
    };
    let rows = match select(&ix, &req) {
        Ok(r) => r,
        Err(e) => return bad_request(e, &ix),
    };
    match endpoint {
        Endpoint::Aggregated => {
            let fields = match req
                .fields
                .iter()
                .map(|f| virion_query::parse_group_field(&ix.index, f))
                .collect::<Result<Vec<_>, _>>()
            {
                Ok(f) => f,
                Err(e) => return bad_request(e, &ix),
            };
            let groups = virion_query::aggregate(&ix.index, &rows, &fields);
            let out = groups
                .into_iter()
                .map(|(keys, count)| {
                    let mut m = Map::new();
                    for (name, key) in req.fields.iter().zip(keys) {
                        let v = match key {
                            GroupKey::Value(v) => value_json(&v),
                            GroupKey::Text(t) => json!(t),
                            GroupKey::Null => JsonValue::Null,
                        };
                        m.insert(name.clone(), v);
                    }
                    m.insert("count".into(), json!(count));
                    m
                })
                .collect();
            let mut columns = req.fields.clone();
            columns.push("count".into());
            respond_table(&ix, &req, &columns, out)
        }
        Endpoint::Details => {
            let columns: Vec<String> = if req.fields.is_empty() {
                ix.index.columns.iter().map(|c| c.name.clone()).collect()
            } else {
                req.fields.clone()
            };
            let mut idx = Vec::new();
            for f in &columns {
                match ix.index.column(f) {
                    Some(i) => idx.push(i),
                    None => {
                        return bad_request(
                            QueryError::UnknownField {
                                field: f.clone(),
                                known: ix
                                    .index
                                    .columns
                                    .iter()
                                    .map(|c| c.name.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", "),
                            },
                            &ix,
                        );
                    }
                }
            }
            // Paging before materialising when no order is asked for: a million-row answer
            // is built only as far as the page goes.
            let (skip, take) = if req.order_by.is_empty() {
                (req.offset, req.limit.unwrap_or(usize::MAX))
            } else {
                (0, usize::MAX)
            };
            let out: Vec<Map<String, JsonValue>> = rows
                .iter()
                .skip(skip)
                .take(take)
                .map(|r| {
                    columns
                        .iter()
                        .zip(&idx)
                        .map(|(n, &i)| (n.clone(), value_json(&ix.index.columns[i].get(r))))
                        .collect()
                })
                .collect();
            let req =
                if req.order_by.is_empty() { LapisRequest { offset: 0, limit: None, ..req } } else { req };
            respond_table(&ix, &req, &columns, out)
        }
        Endpoint::NucleotideMutations | Endpoint::AminoAcidMutations => {
            let amino_acid = matches!(endpoint, Endpoint::AminoAcidMutations);
            let found = match virion_query::mutation_proportions(
                &ix.index,
                &rows,
                amino_acid,
                req.min_proportion.unwrap_or(0.05),
            ) {
                Ok(f) => f,
                Err(e) => return bad_request(e, &ix),
            };
            let out = found
                .into_iter()
                .map(|m| {
                    let mut o = Map::new();
                    o.insert("mutation".into(), json!(m.mutation));
                    o.insert("count".into(), json!(m.count));
                    o.insert("coverage".into(), json!(m.coverage));
                    o.insert("proportion".into(), json!(m.proportion));
                    o.insert("sequenceName".into(), json!(m.sequence_name));
                    o.insert("mutationFrom".into(), json!(m.mutation_from.to_string()));
                    o.insert("mutationTo".into(), json!(m.mutation_to.to_string()));
                    o.insert("position".into(), json!(m.position));
                    o
                })
                .collect();
            let columns: Vec<String> = [
                "mutation",
                "count",
                "coverage",
                "proportion",
                "sequenceName",
                "mutationFrom",
                "mutationTo",
                "position",
            ]
            .map(str::to_owned)
            .to_vec();
            respond_table(&ix, &req, &columns, out)
        }
    }
}

fn body_json(headers: &HeaderMap, body: &Bytes) -> Result<Option<JsonValue>, String> {
    if body.is_empty() {
        return Ok(None);
    }
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if ct.starts_with("application/x-www-form-urlencoded") {
        let mut map: Map<String, JsonValue> = Map::new();
        for (k, v) in form_urlencoded_pairs(body) {
            match map.get_mut(&k) {
                Some(JsonValue::Array(a)) => a.push(json!(v)),
                _ => {
                    map.insert(k, json!([v]));
                }
            }
        }
        return Ok(Some(JsonValue::Object(map)));
    }
    serde_json::from_slice(body).map(Some).map_err(|e| format!("the request body is not JSON: {e}"))
}

fn form_urlencoded_pairs(body: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body).unwrap_or_default()
}

macro_rules! route {
    ($get:ident, $post:ident, $endpoint:expr) => {
        pub async fn $get(
            State(state): State<AppState>,
            Path(organism): Path<String>,
            Query(q): Query<HashMap<String, String>>,
        ) -> Response {
            answer(&state, &organism, $endpoint, &q, None)
        }
        pub async fn $post(
            State(state): State<AppState>,
            Path(organism): Path<String>,
            Query(q): Query<HashMap<String, String>>,
            headers: HeaderMap,
            body: Bytes,
        ) -> Response {
            match body_json(&headers, &body) {
                Ok(json) => answer(&state, &organism, $endpoint, &q, json),
                Err(e) => lapis_error(StatusCode::BAD_REQUEST, e, None),
            }
        }
    };
}

route!(aggregated_get, aggregated_post, Endpoint::Aggregated);
route!(details_get, details_post, Endpoint::Details);
route!(nuc_mutations_get, nuc_mutations_post, Endpoint::NucleotideMutations);
route!(aa_mutations_get, aa_mutations_post, Endpoint::AminoAcidMutations);

/// `GET /{organism}/sample/info`.
pub async fn sample_info(State(state): State<AppState>, Path(organism): Path<String>) -> Response {
    let Some(slot) = state.lapis().get(&organism) else {
        return lapis_error(StatusCode::NOT_FOUND, format!("no query index for {organism:?}"), None);
    };
    let ix = slot.read().expect("index lock");
    let body = json!({
        "dataVersion": ix.data_version.to_string(),
        "lapisVersion": concat!("virion ", env!("CARGO_PKG_VERSION")),
        "sequenceCount": ix.visible.len(),
    });
    let mut r = Json(body).into_response();
    r.headers_mut().insert("lapis-data-version", HeaderValue::from(ix.data_version));
    r
}

/// `GET /{organism}/sample/lineageDefinition/{column}`: the lineage DAG as YAML.
pub async fn lineage_definition(
    State(state): State<AppState>,
    Path((organism, column)): Path<(String, String)>,
) -> Response {
    let Some(slot) = state.lapis().get(&organism) else {
        return lapis_error(StatusCode::NOT_FOUND, format!("no query index for {organism:?}"), None);
    };
    let ix = slot.read().expect("index lock");
    if !ix.index.columns[ix.lineage_column].name.eq_ignore_ascii_case(&column) {
        return lapis_error(
            StatusCode::NOT_FOUND,
            format!("{column:?} has no lineage definition"),
            Some(&ix),
        );
    }
    ([(header::CONTENT_TYPE, "application/yaml")], ix.lineage().lineage_definition_yaml()).into_response()
}
