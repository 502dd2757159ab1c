//! The LAPIS routes over each organism's index: tables (aggregated, details, mutations,
//! insertions), sequences (aligned and unaligned nucleotides, aligned amino acids), and the
//! descriptive routes (info, databaseConfig, referenceGenome, lineageDefinition). Every data
//! route takes GET, POST JSON and POST form; queries run on blocking threads, a bounded number
//! at a time, each with a deadline, so that one heavy query cannot stall the others.

use std::io::Write;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value as JsonValue, json};
use virion_index::{ColumnType, Value};
use virion_query::execute::{Budget, Endpoint, Part, ordered_rows, select_parts};
use virion_query::{Cell, LapisRequest, QueryError, Table};

use super::call::LapisCall;
use super::decode::{self, Format, Output};
use super::respond::{self, Info};
use crate::state::AppState;
use virion_collections::{Collection, Unaligned, View};

/// The collection a route answers for, as the caller sees it, and the `info` of its answers.
pub(crate) struct Target {
    /// The collection's name (the organism, or the default organism's for `/sample/…`).
    pub name: String,
    /// The caller's view of it.
    pub view: View,
    /// The caller, if logged in.
    pub viewer: Option<virion_store::UserId>,
    /// The `info` of the answer, with the collection's data version.
    pub info: Info,
}

/// Finds the call's collection and the caller's view of it.
pub(crate) async fn target(call: &LapisCall) -> Result<Target, Response> {
    let mut info = Info { request_id: call.request_id.0.clone(), ..Info::default() };
    let viewer = call.user.0.as_ref().map(|u| u.id);
    let view = call
        .state
        .collections()
        .view(call.state.store(), call.organism.as_deref(), viewer)
        .await
        .map_err(|e| respond::collection_problem(&e, &info))?;
    info.data_version = Some(view.data_version());
    info.request_info = Some(respond::request_info(&view.collection().info.instance_name, &call.headers));
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

    /// [`Target::run`] in a query slot of `cost`'s class (see [`View::run_as`]).
    pub(crate) async fn run_as<T: Send + 'static>(
        &self,
        cost: virion_collections::Cost,
        f: impl FnOnce(&[Part<'_>], &Collection, &Budget) -> Result<T, QueryError> + Send + 'static,
    ) -> Result<T, Response> {
        self.view.run_as(cost, f).await.map_err(|e| respond::collection_problem(&e, &self.info))
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

/// The start every data route shares: the caller's collection, the request read, the
/// answer's format decided (`output`); any refusal is a finished answer.
async fn prepare(
    call: &LapisCall,
    output: impl FnOnce(&LapisRequest, &HeaderMap) -> Result<Output, String>,
) -> Result<(Target, LapisRequest, Output), Response> {
    let target = target(call).await?;
    let mut req = read_request(call.query.as_deref(), &call.headers, &call.body, &target.info)?;
    // `collection=ID.VERSION` becomes its members, a typed accessionVersion filter.
    crate::citable::resolve_filter(&call.state, &mut req)
        .await
        .map_err(|e| respond::problem(e.status(), e.to_string(), &target.info))?;
    let output = output(&req, &call.headers)
        .map_err(|e| respond::problem(StatusCode::BAD_REQUEST, e, &target.info))?;
    Ok((target, req, output))
}

/// A route answering one body made under the query budget (`make`), in the asked format;
/// `endpoint` (if it is a table endpoint) decides the query slot's class.
async fn answer(
    call: LapisCall,
    endpoint: Option<Endpoint>,
    output: impl FnOnce(&LapisRequest, &HeaderMap) -> Result<Output, String>,
    make: impl FnOnce(&[Part<'_>], &LapisRequest, &Budget, &Output, &Info) -> Result<Vec<u8>, QueryError>
    + Send
    + 'static,
) -> Response {
    let (target, req, output) = match prepare(&call, output).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let (info, shape) = (target.info.clone(), output.clone());
    let cost = target.view.cost_of(endpoint, &req);
    let result = target.run_as(cost, move |parts, _, budget| make(parts, &req, budget, &shape, &info)).await;
    match result {
        Ok(bytes) => respond::bytes_response(bytes, &output, target.info.data_version),
        Err(r) => r,
    }
}

/// A table endpoint.
pub(crate) async fn table(call: LapisCall, endpoint: Endpoint) -> Response {
    let route = route_name(endpoint);
    answer(
        call,
        Some(endpoint),
        |req, headers| decode::output(req, headers, false, route),
        move |parts, req, budget, shape, info| {
            let table = virion_query::execute::table(parts, endpoint, req, budget)?;
            Ok(respond::table_bytes(&table, shape, info))
        },
    )
    .await
}

/// `/sample/mostRecentCommonAncestor`: the most recent common ancestor of the selected
/// genomes in the tree of `phyloTreeField`, one row (`mrcaNode`, `missingNodeCount`,
/// `missingFromTree`) as JSON, CSV or TSV.
pub(crate) async fn mrca(call: LapisCall) -> Response {
    answer(
        call,
        None,
        |req, headers| decode::output(req, headers, false, "mostRecentCommonAncestor"),
        |parts, req, budget, shape, info| {
            let m = virion_query::execute::most_recent_common_ancestor(parts, req, budget)?;
            let text = |s: Option<String>| s.map_or(Cell::Null, Cell::Str);
            let table = Table {
                columns: vec!["mrcaNode".into(), "missingNodeCount".into(), "missingFromTree".into()],
                rows: vec![vec![
                    text(m.mrca_node),
                    Cell::Int(m.missing_node_count as i64),
                    text(m.missing_from_tree),
                ]],
            };
            Ok(respond::table_bytes(&table, shape, info))
        },
    )
    .await
}

/// `/sample/phyloSubtree`: the subtree of the tree of `phyloTreeField` spanning the selected
/// genomes, as Newick (`text/x-nh`; empty when none is in the tree).
pub(crate) async fn phylo_subtree(call: LapisCall) -> Response {
    answer(
        call,
        None,
        |req, headers| decode::tree_output(req, headers, "phyloSubtree"),
        |parts, req, budget, _, _| {
            Ok(virion_query::execute::phylo_subtree(parts, req, budget)?.newick.into_bytes())
        },
    )
    .await
}

/// Which sequences a sequence endpoint returns.
pub(crate) use virion_federation::wire::SequenceKind;

/// The route of a sequence kind, as errors name it.
pub(crate) fn route_of(kind: SequenceKind) -> &'static str {
    match kind {
        SequenceKind::AlignedNucleotide => "alignedNucleotideSequences",
        SequenceKind::UnalignedNucleotide => "unalignedNucleotideSequences",
        SequenceKind::AlignedAminoAcid => "alignedAminoAcidSequences",
    }
}

/// The sequence columns (indices) asked for: the path's, else `segments`/`genes`, else every
/// segment or gene, in the reference's order (as LAPIS answers without a name).
pub(crate) fn sequence_columns(
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
    if names.is_empty() {
        return Ok((0..columns.len()).collect());
    }
    let known = || columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ");
    names
        .iter()
        .map(|n| {
            columns.iter().position(|c| c.name.eq_ignore_ascii_case(n)).ok_or_else(|| {
                format!("{} {n:?} is not known (known: {})", if aa { "gene" } else { "segment" }, known())
            })
        })
        .collect()
}

/// What a sequence route writes, checked against the collection: the sequence columns (the
/// path's name, `segments`/`genes`, or all) and the FASTA header template. An unknown name in
/// the path is a 404, any other mistake a 400.
pub(crate) fn sequence_output(
    ix: &Collection,
    kind: SequenceKind,
    call: &LapisCall,
    req: &LapisRequest,
    format: Format,
) -> Result<(Vec<usize>, Vec<HeaderPiece>), (StatusCode, String)> {
    let columns =
        sequence_columns(ix, kind, call.name.as_deref(), req).map_err(|e| (path_name_status(call), e))?;
    let template = req.fasta_header_template.as_deref();
    if format != Format::Fasta
        && let Some(t) = template
    {
        return Err((
            StatusCode::BAD_REQUEST,
            format!("fastaHeaderTemplate is only applicable for FASTA format, but received: {t}"),
        ));
    }
    let all =
        call.name.is_none() && (kind == SequenceKind::AlignedAminoAcid || ix.index().segments.len() > 1);
    let header = header_template(template, ix, kind, all).map_err(|e| (StatusCode::BAD_REQUEST, e))?;
    Ok((columns, header))
}

/// The status of an unknown segment or gene: named in the path it is a route that does not
/// exist (LAPIS has one route per segment and gene), so 404; named in `segments`/`genes` it
/// is a bad parameter, 400.
fn path_name_status(call: &LapisCall) -> StatusCode {
    if call.name.is_some() { StatusCode::NOT_FOUND } else { StatusCode::BAD_REQUEST }
}

/// One piece of a FASTA header template.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum HeaderPiece {
    Text(String),
    /// A metadata column (its index), written as LAPIS writes the value (`null` when null).
    Field(usize),
    /// `{.segment}` or `{.gene}`: the sequence's name.
    SequenceName,
    /// The record's primary key (the default header).
    Key,
}

/// Reads a `fastaHeaderTemplate` as LAPIS does: `{name}` is a metadata field, matched without
/// regard to case; `{.segment}` is allowed for nucleotides only and `{.gene}` for amino acids.
/// Without a template the header is the primary key, followed by `|` and the sequence's name
/// when the answer holds every segment or gene.
pub(crate) fn header_template(
    template: Option<&str>,
    ix: &Collection,
    kind: SequenceKind,
    all_sequences: bool,
) -> Result<Vec<HeaderPiece>, String> {
    let columns = &ix.index().columns;
    let Some(template) = template else {
        let mut pieces = vec![HeaderPiece::Key];
        if all_sequences {
            pieces.extend([HeaderPiece::Text("|".into()), HeaderPiece::SequenceName]);
        }
        return Ok(pieces);
    };
    let amino_acids = kind == SequenceKind::AlignedAminoAcid;
    let mut pieces = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(len) = rest[open + 1..].find('}') else { break };
        if len == 0 {
            // `{}` names nothing: LAPIS leaves it as text.
            pieces.push(HeaderPiece::Text(rest[..open + 2].to_owned()));
            rest = &rest[open + 2..];
            continue;
        }
        if open > 0 {
            pieces.push(HeaderPiece::Text(rest[..open].to_owned()));
        }
        let name = rest[open + 1..open + 1 + len].to_lowercase();
        let piece = match name.as_str() {
            ".segment" if amino_acids => {
                return Err(
                    "Invalid FASTA header template: '.segment' is only valid for nucleotide sequences."
                        .into(),
                );
            }
            ".gene" if !amino_acids => {
                return Err(
                    "Invalid FASTA header template: '.gene' is only valid for amino acid sequences.".into()
                );
            }
            ".segment" | ".gene" => HeaderPiece::SequenceName,
            _ => match columns.iter().position(|c| c.name.to_lowercase() == name) {
                Some(i) => HeaderPiece::Field(i),
                None => {
                    let known = columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ");
                    let placeholder = if amino_acids {
                        "Use {.gene} as a placeholder for gene name."
                    } else {
                        "Use {.segment} as a placeholder for segment name."
                    };
                    return Err(format!(
                        "Invalid FASTA header template: '{name}' is not a valid metadata field. \
                         Available fields: {known}. {placeholder}"
                    ));
                }
            },
        };
        pieces.push(piece);
        rest = &rest[open + len + 2..];
    }
    if !rest.is_empty() {
        pieces.push(HeaderPiece::Text(rest.to_owned()));
    }
    Ok(pieces)
}

/// One answer record: where its row is (the collection's part: 0, or a member's overlay) and
/// its primary key.
pub(crate) struct Record {
    pub(crate) part: usize,
    pub(crate) row: u32,
    pub(crate) id: String,
}

/// A sequence endpoint: rows selected, ordered and paged like details, then their sequences
/// streamed as FASTA, JSON or NDJSON.
pub(crate) async fn sequences(call: LapisCall, kind: SequenceKind) -> Response {
    let (target, req, output) =
        match prepare(&call, |req, headers| decode::output(req, headers, true, route_of(kind))).await {
            Ok(x) => x,
            Err(r) => return r,
        };
    let checked = sequence_output(&target.view.collection(), kind, &call, &req, output.format);
    let (columns, header) = match checked {
        Ok(c) => c,
        Err((status, e)) => return respond::problem(status, e, &target.info),
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
    let (view, viewer) = (target.view.clone(), target.viewer);
    let store = call.state.store().clone();
    let format = output.format;
    let runtime = tokio::runtime::Handle::current();
    let hub = call
        .state
        .organism(&target.name)
        .ok()
        .map(|o| (store, o.config.accession_prefix.clone(), viewer, runtime));
    respond::streaming_response(&output, target.info.data_version, move |out| {
        write_sequences(out, &records, &columns, kind, format, &header, &view, hub.as_ref())
    })
}

pub(crate) fn cell_text(v: &Value) -> String {
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
type Fields = Vec<(usize, String)>;

/// Rows per index lock hold while streaming sequences.
const ROWS_PER_HOLD: usize = 256;

#[allow(clippy::too_many_arguments)]
fn write_sequences(
    out: &mut dyn Write,
    records: &[Record],
    columns: &[usize],
    kind: SequenceKind,
    format: Format,
    header: &[HeaderPiece],
    view: &View,
    hub: Option<&Hub>,
) -> std::io::Result<()> {
    if format == Format::Json {
        out.write_all(b"[")?;
    }
    // LAPIS names the id by the schema's primary key, so clients read the same key as in /details.
    let key_name = view.collection().info.primary_key.clone();
    let mut first = true;
    for chunk in records.chunks(ROWS_PER_HOLD) {
        let batch = read_chunk(chunk, columns, kind, header, view, hub)?;
        for (r, seqs, fields) in batch {
            match format {
                Format::Fasta => {
                    for (name, seq) in &seqs {
                        let Some(seq) = seq else { continue };
                        out.write_all(b">")?;
                        write_header(out, header, &r.id, name, &fields)?;
                        out.write_all(b"\n")?;
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
                Format::Csv { .. } | Format::Tsv { .. } | Format::Newick => {
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

/// The hub's store, accession prefix, viewer and runtime: where a hub organism's unaligned
/// sequences are read from.
pub(crate) type Hub = (virion_store::Store, String, Option<virion_store::UserId>, tokio::runtime::Handle);

/// Reads the sequences of `chunk`'s rows in `columns` (and the values its header needs), under
/// one hold of the index lock; unaligned sequences of a hub organism come from its store.
pub(crate) fn read_chunk<'r>(
    chunk: &'r [Record],
    columns: &[usize],
    kind: SequenceKind,
    header: &[HeaderPiece],
    view: &View,
    hub: Option<&Hub>,
) -> std::io::Result<Vec<(&'r Record, Sequences, Fields)>> {
    let mut buf = Vec::new();
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
                let column =
                    if kind == SequenceKind::AlignedAminoAcid { &index.genes[c] } else { &index.segments[c] };
                let seq = match kind {
                    SequenceKind::AlignedNucleotide | SequenceKind::AlignedAminoAcid => {
                        column.aligned(r.row, &mut buf);
                        Some(buf.clone())
                    }
                    SequenceKind::UnalignedNucleotide => None,
                };
                seqs.push((column.name.clone(), seq));
            }
            let fields: Fields = header
                .iter()
                .filter_map(|p| match p {
                    HeaderPiece::Field(c) => Some((*c, header_value(&index.columns[*c].get(r.row)))),
                    _ => None,
                })
                .collect();
            batch.push((r, seqs, fields));
        }
        if kind == SequenceKind::UnalignedNucleotide
            && let Unaligned::Blobs(blobs) = &ix.unaligned
        {
            let segmented = hub_segmented(view);
            for (r, seqs, _) in batch.iter_mut() {
                // A row appended to a mirror since its blob file was written: the sequence as
                // the peer's hub stored it (checked when appended).
                let appended = ix.appended_unaligned.get(&r.row);
                let sample = match appended {
                    Some(seq) if segmented => Some(
                        virion_core::SegmentedSequence::decode(seq)
                            .map_err(|e| std::io::Error::other(format!("{}: stored segments: {e}", r.id)))?,
                    ),
                    _ => None,
                };
                for (i, &c) in columns.iter().enumerate() {
                    seqs[i].1 = match (appended, &sample) {
                        (Some(_), Some(sample)) => sample.get(&seqs[i].0).map(<[u8]>::to_vec),
                        (Some(seq), None) => Some(seq.clone()),
                        (None, _) => blobs.get(r.row, c).map_err(std::io::Error::other)?,
                    };
                }
            }
        }
    }
    if kind == SequenceKind::UnalignedNucleotide && !batch.is_empty() {
        let from_store = matches!(view.collection().unaligned, Unaligned::Store { .. });
        let segmented = hub_segmented(view);
        if let (true, Some((store, prefix, viewer, runtime))) = (from_store, hub) {
            for (r, seqs, _) in batch.iter_mut() {
                let Ok(av) = virion_store::AccessionVersion::parse(&r.id, &[prefix.as_str()]) else {
                    continue;
                };
                let sequence =
                    runtime.block_on(store.get_sequence(*viewer, &av)).map_err(std::io::Error::other)?;
                if !segmented {
                    if let Some(slot) = seqs.first_mut() {
                        slot.1 = Some(sequence);
                    }
                    continue;
                }
                let sample = virion_core::SegmentedSequence::decode(&sequence)
                    .map_err(|e| std::io::Error::other(format!("{}: stored segments: {e}", r.id)))?;
                // A sample lacking a segment has no sequence for it (the entry is left out).
                for (name, slot) in seqs.iter_mut() {
                    *slot = sample.get(name).map(<[u8]>::to_vec);
                }
            }
        }
    }
    Ok(batch)
}

/// Whether a hub collection (an organism of this hub, or a mirror of a peer's) holds a
/// segmented organism: the hub stores a virus of one segment (`main`) as its bare sequence, a
/// segmented one's segments together ([`virion_core::SegmentedSequence`]).
fn hub_segmented(view: &View) -> bool {
    let segments = &view.collection().query.index.segments;
    !(segments.len() == 1 && segments[0].name == virion_schema::SINGLE_SEGMENT)
}

/// Writes a FASTA header from its pieces.
pub(crate) fn write_header(
    out: &mut dyn Write,
    header: &[HeaderPiece],
    id: &str,
    name: &str,
    fields: &[(usize, String)],
) -> std::io::Result<()> {
    for piece in header {
        match piece {
            HeaderPiece::Text(t) => out.write_all(t.as_bytes())?,
            HeaderPiece::Key => out.write_all(id.as_bytes())?,
            HeaderPiece::SequenceName => out.write_all(name.as_bytes())?,
            HeaderPiece::Field(c) => {
                let value = fields.iter().find(|(k, _)| k == c).map_or("", |(_, v)| v.as_str());
                out.write_all(value.as_bytes())?
            }
        }
    }
    Ok(())
}

/// A value in a FASTA header as LAPIS writes it (Jackson's `asText`: `null` for a null, Java's
/// form of a float).
fn header_value(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Float(f) => respond::java_double(*f),
        other => cell_text(other),
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
pub(crate) async fn sample_info(call: LapisCall) -> Response {
    let target = match target(&call).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let ix = target.view.collection();
    let mut body = target.info.json();
    body["sequenceCount"] = json!(ix.visible.len());
    body["instanceName"] = json!(ix.info.instance_name);
    // Where an imported or mirrored collection's rows come from (a mirror names its home node).
    if let Some(source) = &ix.source {
        body["dataSource"] = json!(source);
    }
    respond::with_version(Json(body).into_response(), target.info.data_version)
}

/// `GET /{organism}/sample/databaseConfig`: the schema as SILO's database_config says it
/// (JSON, or YAML when asked for with `Accept: application/yaml`).
pub(crate) async fn database_config(call: LapisCall) -> Response {
    let target = match target(&call).await {
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
            if ix.index().phylo().is_some_and(|p| p.column() == i) {
                m["isPhyloTreeField"] = json!(true);
            }
            m
        })
        .collect();
    let features: Vec<JsonValue> = ix.info.features.iter().map(|f| json!({ "name": f })).collect();
    // An imported instance answers its own config, every key as written.
    let body = ix.info.database_config.clone().unwrap_or_else(|| {
        json!({ "schema": {
            "instanceName": ix.info.instance_name, "opennessLevel": "OPEN", "primaryKey": ix.info.primary_key,
            "metadata": metadata, "features": features,
        } })
    });
    let wants_yaml =
        call.headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("yaml"));
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
pub(crate) async fn reference_genome(call: LapisCall) -> Response {
    let target = match target(&call).await {
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

/// `GET /{organism}/sample/lineageDefinition/{column}`: the lineage DAG as LAPIS writes it, YAML
/// unless JSON is asked for (`Accept: application/json`).
pub(crate) async fn lineage_definition(call: LapisCall) -> Response {
    let column = call.name.clone().unwrap_or_default();
    let target = match target(&call).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let ix = target.view.collection();
    let Some((_, lineage)) =
        ix.query.lineage.as_ref().filter(|(c, _)| ix.index().columns[*c].name.eq_ignore_ascii_case(&column))
    else {
        return respond::problem(
            StatusCode::NOT_FOUND,
            format!("{column:?} has no lineage definition"),
            &target.info,
        );
    };
    let defs = lineage.lineage_definition();
    let wants_json = call
        .headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json"));
    let r = if wants_json {
        let body: serde_json::Map<String, JsonValue> = defs
            .into_iter()
            .map(|d| {
                let mut node = serde_json::Map::new();
                if !d.parents.is_empty() {
                    node.insert("parents".into(), json!(d.parents));
                }
                if !d.aliases.is_empty() {
                    node.insert("aliases".into(), json!(d.aliases));
                }
                (d.label, JsonValue::Object(node))
            })
            .collect();
        Json(body).into_response()
    } else {
        ([(header::CONTENT_TYPE, "application/yaml")], lineage_yaml(&defs)).into_response()
    };
    respond::with_version(r, target.info.data_version)
}

/// A lineage definition as Jackson's YAML mapper writes LAPIS's: a document start, plain keys,
/// quoted values, list items at their key's indentation, `{}` for a lineage with neither
/// parents nor aliases.
fn lineage_yaml(defs: &[virion_index::LineageDef]) -> String {
    let key = |k: &str| {
        let plain = k.starts_with(|c: char| c.is_ascii_alphanumeric())
            && k.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if plain { k.to_owned() } else { serde_json::to_string(k).unwrap_or_default() }
    };
    let mut out = String::from("---\n");
    for d in defs {
        if d.parents.is_empty() && d.aliases.is_empty() {
            out.push_str(&format!("{}: {{}}\n", key(&d.label)));
            continue;
        }
        out.push_str(&format!("{}:\n", key(&d.label)));
        for (name, list) in [("parents", &d.parents), ("aliases", &d.aliases)] {
            if list.is_empty() {
                continue;
            }
            out.push_str(&format!("  {name}:\n"));
            for item in list {
                out.push_str(&format!("  - {}\n", serde_json::to_string(item).unwrap_or_default()));
            }
        }
    }
    out
}
