//! The LAPIS routes over each organism's index: tables (aggregated, details, mutations,
//! insertions), sequences (aligned and unaligned nucleotides, aligned amino acids), and the
//! descriptive routes (info, databaseConfig, referenceGenome, lineageDefinition). Every data
//! route takes GET, POST JSON and POST form; queries run on blocking threads, a bounded number
//! at a time, each with a deadline, so that one heavy query cannot stall the others.

use std::io::Write;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{Value as JsonValue, json};
use virion_index::{ColumnType, Value};
use virion_query::execute::{Budget, Endpoint, Part, ordered_rows, select_parts};
use virion_query::{LapisRequest, QueryError};

use super::decode::{self, Format};
use super::respond::{self, Info};
use crate::RequestId;
use crate::auth::MaybeUser;
use crate::state::AppState;
use virion_collections::{Collection, Unaligned, View};

/// The collection a route answers for, as the caller sees it, and the `info` of its answers.
pub(crate) struct Target {
    pub name: String,
    pub view: View,
    pub viewer: Option<virion_store::UserId>,
    pub info: Info,
}

/// Finds the collection (`None`: the default organism) and the caller's view of it.
pub(crate) async fn target(
    state: &AppState,
    organism: Option<String>,
    user: &MaybeUser,
    request_id: &RequestId,
) -> Result<Target, Response> {
    let mut info = Info { data_version: None, request_id: request_id.0.clone() };
    let viewer = user.0.as_ref().map(|u| u.id);
    let view = state
        .collections()
        .view(state.store(), organism.as_deref(), viewer)
        .await
        .map_err(|e| respond::collection_problem(&e, &info))?;
    info.data_version = Some(view.data_version());
    Ok(Target { name: view.name().to_owned(), view, viewer, info })
}

impl Target {
    /// Runs `f` over the caller's parts (see [`View::run`]); an error is a finished answer.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&[Part<'_>], &Collection, &Budget) -> Result<T, QueryError> + Send + 'static,
    ) -> Result<T, Response> {
        self.view.run(f).await.map_err(|e| respond::collection_problem(&e, &self.info))
    }
}

/// Decodes a request (query string and body), or answers 400.
pub(crate) fn read_request(
    query: Option<&str>,
    headers: &HeaderMap,
    body: &Bytes,
    info: &Info,
) -> Result<LapisRequest, Response> {
    let bad = |e: String| respond::problem(StatusCode::BAD_REQUEST, e, info);
    let body = decode::body(headers, body).map_err(bad)?;
    decode::request(query, &body).map_err(bad)
}

fn route_name(endpoint: Endpoint) -> &'static str {
    match endpoint {
        Endpoint::Aggregated => "aggregated",
        Endpoint::Details => "details",
        Endpoint::NucleotideMutations => "nucleotideMutations",
        Endpoint::AminoAcidMutations => "aminoAcidMutations",
        Endpoint::NucleotideInsertions => "nucleotideInsertions",
        Endpoint::AminoAcidInsertions => "aminoAcidInsertions",
    }
}

/// A table endpoint.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn table(
    state: AppState,
    organism: Option<String>,
    endpoint: Endpoint,
    user: MaybeUser,
    request_id: RequestId,
    query: Option<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let target = match target(&state, organism, &user, &request_id).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let req = match read_request(query.as_deref(), &headers, &body, &target.info) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let output = match decode::output(&req, &headers, false, route_name(endpoint)) {
        Ok(o) => o,
        Err(e) => return respond::problem(StatusCode::BAD_REQUEST, e, &target.info),
    };
    let info = target.info.clone();
    let shape = output.clone();
    let result = target
        .run(move |parts, _, budget| {
            let table = virion_query::execute::table(parts, endpoint, &req, budget)?;
            Ok(respond::table_bytes(&table, &shape, &info))
        })
        .await;
    match result {
        Ok(bytes) => respond::bytes_response(bytes, &output, target.info.data_version),
        Err(r) => r,
    }
}

/// Which sequences a sequence endpoint returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SequenceKind {
    AlignedNucleotide,
    UnalignedNucleotide,
    AlignedAminoAcid,
}

impl SequenceKind {
    fn route(self) -> &'static str {
        match self {
            SequenceKind::AlignedNucleotide => "alignedNucleotideSequences",
            SequenceKind::UnalignedNucleotide => "unalignedNucleotideSequences",
            SequenceKind::AlignedAminoAcid => "alignedAminoAcidSequences",
        }
    }
}

/// The sequence columns (indices) asked for: the path's, else `segments`/`genes`, else every
/// segment (nucleotides) — a gene must be named.
fn sequence_columns(
    ix: &Collection,
    kind: SequenceKind,
    path: Option<&str>,
    req: &LapisRequest,
) -> Result<Vec<usize>, String> {
    let aa = kind == SequenceKind::AlignedAminoAcid;
    let columns = if aa { &ix.index().genes } else { &ix.index().segments };
    let names: Vec<String> = match path {
        Some(p) => vec![p.to_owned()],
        None if aa => req.genes.clone(),
        None => req.segments.clone(),
    };
    let known = || columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ");
    if names.is_empty() {
        if aa {
            return Err(format!(
                "name a gene: /sample/alignedAminoAcidSequences/{{gene}} or genes=… (genes: {})",
                known()
            ));
        }
        return Ok((0..columns.len()).collect());
    }
    names
        .iter()
        .map(|n| {
            columns.iter().position(|c| c.name.eq_ignore_ascii_case(n)).ok_or_else(|| {
                format!("{} {n:?} is not known (known: {})", if aa { "gene" } else { "segment" }, known())
            })
        })
        .collect()
}

/// One answer record: the id and the header values of its row.
struct Record {
    part: usize,
    row: u32,
    id: String,
}

/// A sequence endpoint: rows selected, ordered and paged like details, then their sequences
/// streamed as FASTA, JSON or NDJSON.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn sequences(
    state: AppState,
    organism: Option<String>,
    path_name: Option<String>,
    kind: SequenceKind,
    user: MaybeUser,
    request_id: RequestId,
    query: Option<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let target = match target(&state, organism, &user, &request_id).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let req = match read_request(query.as_deref(), &headers, &body, &target.info) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let output = match decode::output(&req, &headers, true, kind.route()) {
        Ok(o) => o,
        Err(e) => return respond::problem(StatusCode::BAD_REQUEST, e, &target.info),
    };
    let columns = {
        let ix = target.view.collection();
        match sequence_columns(&ix, kind, path_name.as_deref(), &req) {
            Ok(c) => c,
            Err(e) => return respond::problem(StatusCode::BAD_REQUEST, e, &target.info),
        }
    };
    if kind == SequenceKind::UnalignedNucleotide
        && matches!(target.view.collection().unaligned, Unaligned::None)
    {
        return respond::problem(
            StatusCode::NOT_FOUND,
            "this collection holds no unaligned sequences",
            &target.info,
        );
    }
    // Select and order now (under the budget); sequences are read afterwards, a few rows per
    // lock hold, so that a long download never holds the index.
    let req_for_select = req.clone();
    let records = target
        .run(move |parts, ix, budget| {
            let selected = select_parts(parts, &req_for_select, budget)?;
            let fields: Vec<String> = ix.index().columns.iter().map(|c| c.name.clone()).collect();
            let order = ordered_rows(parts, &selected, &req_for_select, budget, &fields)?;
            let key = ix.index().column(&ix.info.primary_key);
            Ok(order
                .into_iter()
                .map(|(part, row)| {
                    let id = key.map_or_else(
                        || row.to_string(),
                        |k| cell_text(&parts[part].index.index.columns[k].get(row)),
                    );
                    Record { part, row, id }
                })
                .collect::<Vec<_>>())
        })
        .await;
    let records = match records {
        Ok(r) => r,
        Err(r) => return r,
    };
    let template = req.fasta_header_template.clone();
    let (view, viewer) = (target.view.clone(), target.viewer);
    let store = state.store().clone();
    let format = output.format;
    let runtime = tokio::runtime::Handle::current();
    let hub = state
        .organism(&target.name)
        .ok()
        .map(|o| (store, o.config.accession_prefix.clone(), viewer, runtime));
    respond::streaming_response(&output, target.info.data_version, move |out| {
        write_sequences(out, &records, &columns, kind, format, template.as_deref(), &view, hub.as_ref())
    })
}

fn cell_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Date(d) => d.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Boolean(b) => b.to_string(),
    }
}

/// A row's sequences by column name (`None`: absent), and its metadata by field name.
type Sequences = Vec<(String, Option<Vec<u8>>)>;
type Fields = Vec<(String, String)>;

/// Rows per index lock hold while streaming sequences.
const ROWS_PER_HOLD: usize = 256;

#[allow(clippy::too_many_arguments)]
fn write_sequences(
    out: &mut dyn Write,
    records: &[Record],
    columns: &[usize],
    kind: SequenceKind,
    format: Format,
    template: Option<&str>,
    view: &View,
    hub: Option<&(virion_store::Store, String, Option<virion_store::UserId>, tokio::runtime::Handle)>,
) -> std::io::Result<()> {
    if format == Format::Json {
        out.write_all(b"[")?;
    }
    // LAPIS names the id by the schema's primary key, so clients read the same key as in /details.
    let key_name = view.collection().info.primary_key.clone();
    let mut first = true;
    let mut buf = Vec::new();
    for chunk in records.chunks(ROWS_PER_HOLD) {
        // (record, per column: name and sequence)
        let mut batch: Vec<(&Record, Sequences, Fields)> = Vec::with_capacity(chunk.len());
        {
            let ix = view.collection();
            for r in chunk {
                let query = if r.part == 0 {
                    &ix.query
                } else {
                    &view.overlay().expect("overlay rows come from an overlay").query
                };
                let index = &query.index;
                let mut seqs = Vec::with_capacity(columns.len());
                for &c in columns {
                    let column = if kind == SequenceKind::AlignedAminoAcid {
                        &index.genes[c]
                    } else {
                        &index.segments[c]
                    };
                    let seq = match kind {
                        SequenceKind::AlignedNucleotide | SequenceKind::AlignedAminoAcid => {
                            column.aligned(r.row, &mut buf);
                            Some(buf.clone())
                        }
                        SequenceKind::UnalignedNucleotide => None,
                    };
                    seqs.push((column.name.clone(), seq));
                }
                let fields: Vec<(String, String)> = match template {
                    Some(_) => {
                        index.columns.iter().map(|c| (c.name.clone(), cell_text(&c.get(r.row)))).collect()
                    }
                    None => Vec::new(),
                };
                batch.push((r, seqs, fields));
            }
            if kind == SequenceKind::UnalignedNucleotide
                && let Unaligned::Blobs(blobs) = &ix.unaligned
            {
                for (r, seqs, _) in batch.iter_mut() {
                    for (i, &c) in columns.iter().enumerate() {
                        seqs[i].1 = blobs.get(r.row, c).map_err(std::io::Error::other)?;
                    }
                }
            }
        }
        if kind == SequenceKind::UnalignedNucleotide && !batch.is_empty() {
            let from_store = matches!(view.collection().unaligned, Unaligned::Store { .. });
            if let (true, Some((store, prefix, viewer, runtime))) = (from_store, hub) {
                for (r, seqs, _) in batch.iter_mut() {
                    let Ok(av) = virion_store::AccessionVersion::parse(&r.id, &[prefix.as_str()]) else {
                        continue;
                    };
                    let sequence =
                        runtime.block_on(store.get_sequence(*viewer, &av)).map_err(std::io::Error::other)?;
                    // The hub stores one segment per version.
                    if let Some(slot) = seqs.first_mut() {
                        slot.1 = Some(sequence);
                    }
                }
            }
        }
        for (r, seqs, fields) in batch {
            let several = seqs.len() > 1;
            match format {
                Format::Fasta => {
                    for (name, seq) in &seqs {
                        let Some(seq) = seq else { continue };
                        let header = fasta_header(template, &r.id, name, &fields, several);
                        writeln!(out, ">{header}")?;
                        out.write_all(seq)?;
                        out.write_all(b"\n")?;
                    }
                }
                Format::Json | Format::Ndjson => {
                    let mut m = serde_json::Map::new();
                    m.insert(key_name.clone(), json!(r.id));
                    for (name, seq) in &seqs {
                        m.insert(
                            name.clone(),
                            seq.as_ref().map_or(JsonValue::Null, |s| json!(String::from_utf8_lossy(s))),
                        );
                    }
                    let text = serde_json::to_string(&JsonValue::Object(m)).map_err(std::io::Error::other)?;
                    if format == Format::Json {
                        if !first {
                            out.write_all(b",")?;
                        }
                        out.write_all(text.as_bytes())?;
                    } else {
                        out.write_all(text.as_bytes())?;
                        out.write_all(b"\n")?;
                    }
                }
                Format::Csv { .. } | Format::Tsv { .. } => {
                    unreachable!("sequences are FASTA, JSON or NDJSON")
                }
            }
            first = false;
        }
    }
    if format == Format::Json {
        out.write_all(b"]")?;
    }
    Ok(())
}

/// A FASTA header: the template with `{field}`, `{.segment}`/`{.gene}` filled in, else the id
/// (and `|segment` when a row has several sequences).
fn fasta_header(
    template: Option<&str>,
    id: &str,
    name: &str,
    fields: &[(String, String)],
    several: bool,
) -> String {
    match template {
        Some(t) => {
            let mut h = t.replace("{.segment}", name).replace("{.gene}", name);
            for (k, v) in fields {
                h = h.replace(&format!("{{{k}}}"), v);
            }
            h.replace("{primaryKey}", id)
        }
        None if several => format!("{id}|{name}"),
        None => id.to_owned(),
    }
}

/// `GET /actuator/health` (also under an organism's root): the node is up, with each
/// collection's data version and size, in the shape of LAPIS's Spring health answer.
pub(crate) async fn health(State(state): State<AppState>) -> Response {
    let collections = state.collections();
    let details: serde_json::Map<String, JsonValue> = collections
        .names()
        .into_iter()
        .filter_map(|name| {
            let slot = collections.get(&name)?;
            let ix = slot.read().expect("index lock");
            let detail =
                json!({ "dataVersion": ix.data_version.to_string(), "sequenceCount": ix.visible.len() });
            Some((name, detail))
        })
        .collect();
    let body = json!({
        "components": { "collections": { "details": details, "status": "UP" } },
        "status": "UP",
    });
    Json(body).into_response()
}

/// Any other path under a LAPIS root: 404 as an RFC 7807 problem (as LAPIS answers an unknown
/// URL), so a client never receives a portal page.
pub(crate) async fn unknown_route(uri: axum::http::Uri) -> Response {
    let body = json!({
        "detail": format!("No LAPIS route at {}; the routes are listed at /api/openapi.json.", uri.path()),
        "instance": uri.path(),
        "status": 404,
        "title": "Not Found",
    });
    let mut r = (StatusCode::NOT_FOUND, Json(body)).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, axum::http::HeaderValue::from_static("application/problem+json"));
    r
}

/// `GET /{organism}/sample/info`.
pub(crate) async fn sample_info(
    state: AppState,
    organism: Option<String>,
    user: MaybeUser,
    request_id: RequestId,
) -> Response {
    let target = match target(&state, organism, &user, &request_id).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let ix = target.view.collection();
    let mut body = target.info.json();
    body["sequenceCount"] = json!(ix.visible.len());
    body["instanceName"] = json!(ix.info.instance_name);
    respond::with_version(Json(body).into_response(), target.info.data_version)
}

/// `GET /{organism}/sample/databaseConfig`: the schema as SILO's database_config says it
/// (JSON, or YAML when asked for with `Accept: application/yaml`).
pub(crate) async fn database_config(
    state: AppState,
    organism: Option<String>,
    user: MaybeUser,
    request_id: RequestId,
    headers: HeaderMap,
) -> Response {
    let target = match target(&state, organism, &user, &request_id).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let ix = target.view.collection();
    let metadata: Vec<JsonValue> = ix
        .index()
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
            if ix.info.lineage_column == Some(i) {
                m["generateLineageIndex"] = json!(true);
            }
            m
        })
        .collect();
    let features: Vec<JsonValue> = ix.info.features.iter().map(|f| json!({ "name": f })).collect();
    let body = json!({ "schema": {
        "instanceName": ix.info.instance_name, "opennessLevel": "OPEN", "primaryKey": ix.info.primary_key,
        "metadata": metadata, "features": features,
    } });
    let wants_yaml =
        headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("yaml"));
    let r = if wants_yaml {
        ([(header::CONTENT_TYPE, "application/yaml")], json_to_yaml(&body, 0)).into_response()
    } else {
        Json(body).into_response()
    };
    respond::with_version(r, target.info.data_version)
}

/// YAML of a JSON value (block style; strings quoted as JSON, which YAML reads).
fn json_to_yaml(v: &JsonValue, indent: usize) -> String {
    let pad = " ".repeat(indent);
    match v {
        JsonValue::Object(m) => m
            .iter()
            .map(|(k, v)| match v {
                JsonValue::Object(o) if !o.is_empty() => {
                    format!("{pad}{k}:\n{}", json_to_yaml(v, indent + 2))
                }
                JsonValue::Array(a) if !a.is_empty() => format!("{pad}{k}:\n{}", json_to_yaml(v, indent)),
                other => format!("{pad}{k}: {}\n", scalar(other)),
            })
            .collect(),
        JsonValue::Array(a) => a
            .iter()
            .map(|item| match item {
                JsonValue::Object(_) => {
                    let inner = json_to_yaml(item, indent + 2);
                    format!("{pad}- {}", inner.trim_start())
                }
                other => format!("{pad}- {}\n", scalar(other)),
            })
            .collect(),
        other => format!("{pad}{}\n", scalar(other)),
    }
}

fn scalar(v: &JsonValue) -> String {
    match v {
        JsonValue::Object(_) => "{}".into(),
        JsonValue::Array(_) => "[]".into(),
        other => other.to_string(),
    }
}

/// `GET /{organism}/sample/referenceGenome`.
pub(crate) async fn reference_genome(
    state: AppState,
    organism: Option<String>,
    user: MaybeUser,
    request_id: RequestId,
) -> Response {
    let target = match target(&state, organism, &user, &request_id).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let ix = target.view.collection();
    let seqs = |cols: &[virion_index::SequenceColumn]| -> Vec<JsonValue> {
        cols.iter()
            .map(|c| json!({ "name": c.name, "sequence": String::from_utf8_lossy(c.reference()) }))
            .collect()
    };
    let body = json!({ "nucleotideSequences": seqs(&ix.index().segments), "genes": seqs(&ix.index().genes) });
    respond::with_version(Json(body).into_response(), target.info.data_version)
}

/// `GET /{organism}/sample/lineageDefinition/{column}`: the lineage DAG as YAML.
pub(crate) async fn lineage_definition(
    state: AppState,
    organism: Option<String>,
    column: String,
    user: MaybeUser,
    request_id: RequestId,
) -> Response {
    let target = match target(&state, organism, &user, &request_id).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let ix = target.view.collection();
    match &ix.query.lineage {
        Some((c, lineage)) if ix.index().columns[*c].name.eq_ignore_ascii_case(&column) => {
            let r = ([(header::CONTENT_TYPE, "application/yaml")], lineage.lineage_definition_yaml())
                .into_response();
            respond::with_version(r, target.info.data_version)
        }
        _ => respond::problem(
            StatusCode::NOT_FOUND,
            format!("{column:?} has no lineage definition"),
            &target.info,
        ),
    }
}

// Route wrappers: each data route with and without the organism in the path, GET and POST
// through one handler (a GET's body is empty).
macro_rules! table_routes {
    ($($with:ident, $default:ident => $endpoint:expr;)*) => {$(
        pub async fn $with(
            State(state): State<AppState>,
            Path(organism): Path<String>,
            user: MaybeUser,
            Extension(id): Extension<RequestId>,
            RawQuery(query): RawQuery,
            headers: HeaderMap,
            body: Bytes,
        ) -> Response {
            table(state, Some(organism), $endpoint, user, id, query, headers, body).await
        }
        pub async fn $default(
            State(state): State<AppState>,
            user: MaybeUser,
            Extension(id): Extension<RequestId>,
            RawQuery(query): RawQuery,
            headers: HeaderMap,
            body: Bytes,
        ) -> Response {
            table(state, None, $endpoint, user, id, query, headers, body).await
        }
    )*};
}

table_routes! {
    aggregated, aggregated_default => Endpoint::Aggregated;
    details, details_default => Endpoint::Details;
    nucleotide_mutations, nucleotide_mutations_default => Endpoint::NucleotideMutations;
    amino_acid_mutations, amino_acid_mutations_default => Endpoint::AminoAcidMutations;
    nucleotide_insertions, nucleotide_insertions_default => Endpoint::NucleotideInsertions;
    amino_acid_insertions, amino_acid_insertions_default => Endpoint::AminoAcidInsertions;
}

macro_rules! sequence_routes {
    ($($with:ident, $with_name:ident, $default:ident, $default_name:ident => $kind:expr;)*) => {$(
        pub async fn $with(
            State(state): State<AppState>,
            Path(organism): Path<String>,
            user: MaybeUser,
            Extension(id): Extension<RequestId>,
            RawQuery(query): RawQuery,
            headers: HeaderMap,
            body: Bytes,
        ) -> Response {
            sequences(state, Some(organism), None, $kind, user, id, query, headers, body).await
        }
        pub async fn $with_name(
            State(state): State<AppState>,
            Path((organism, name)): Path<(String, String)>,
            user: MaybeUser,
            Extension(id): Extension<RequestId>,
            RawQuery(query): RawQuery,
            headers: HeaderMap,
            body: Bytes,
        ) -> Response {
            sequences(state, Some(organism), Some(name), $kind, user, id, query, headers, body).await
        }
        pub async fn $default(
            State(state): State<AppState>,
            user: MaybeUser,
            Extension(id): Extension<RequestId>,
            RawQuery(query): RawQuery,
            headers: HeaderMap,
            body: Bytes,
        ) -> Response {
            sequences(state, None, None, $kind, user, id, query, headers, body).await
        }
        pub async fn $default_name(
            State(state): State<AppState>,
            Path(name): Path<String>,
            user: MaybeUser,
            Extension(id): Extension<RequestId>,
            RawQuery(query): RawQuery,
            headers: HeaderMap,
            body: Bytes,
        ) -> Response {
            sequences(state, None, Some(name), $kind, user, id, query, headers, body).await
        }
    )*};
}

sequence_routes! {
    aligned_nucleotides, aligned_nucleotides_named, aligned_nucleotides_default, aligned_nucleotides_default_named
        => SequenceKind::AlignedNucleotide;
    unaligned_nucleotides, unaligned_nucleotides_named, unaligned_nucleotides_default, unaligned_nucleotides_default_named
        => SequenceKind::UnalignedNucleotide;
    aligned_amino_acids, aligned_amino_acids_named, aligned_amino_acids_default, aligned_amino_acids_default_named
        => SequenceKind::AlignedAminoAcid;
}

pub async fn info_route(
    State(state): State<AppState>,
    Path(organism): Path<String>,
    user: MaybeUser,
    Extension(id): Extension<RequestId>,
) -> Response {
    sample_info(state, Some(organism), user, id).await
}
pub async fn info_default(
    State(state): State<AppState>,
    user: MaybeUser,
    Extension(id): Extension<RequestId>,
) -> Response {
    sample_info(state, None, user, id).await
}
pub async fn config_route(
    State(state): State<AppState>,
    Path(organism): Path<String>,
    user: MaybeUser,
    Extension(id): Extension<RequestId>,
    headers: HeaderMap,
) -> Response {
    database_config(state, Some(organism), user, id, headers).await
}
pub async fn config_default(
    State(state): State<AppState>,
    user: MaybeUser,
    Extension(id): Extension<RequestId>,
    headers: HeaderMap,
) -> Response {
    database_config(state, None, user, id, headers).await
}
pub async fn reference_route(
    State(state): State<AppState>,
    Path(organism): Path<String>,
    user: MaybeUser,
    Extension(id): Extension<RequestId>,
) -> Response {
    reference_genome(state, Some(organism), user, id).await
}
pub async fn reference_default(
    State(state): State<AppState>,
    user: MaybeUser,
    Extension(id): Extension<RequestId>,
) -> Response {
    reference_genome(state, None, user, id).await
}
pub async fn lineage_route(
    State(state): State<AppState>,
    Path((organism, column)): Path<(String, String)>,
    user: MaybeUser,
    Extension(id): Extension<RequestId>,
) -> Response {
    lineage_definition(state, Some(organism), column, user, id).await
}
pub async fn lineage_default(
    State(state): State<AppState>,
    Path(column): Path<String>,
    user: MaybeUser,
    Extension(id): Extension<RequestId>,
) -> Response {
    lineage_definition(state, None, column, user, id).await
}
