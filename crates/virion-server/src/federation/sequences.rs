//! The federated sequence routes: rows chosen, ordered and paged over the nodes as `/details`
//! does (round one: each records-sharing node's primary keys with the order and header
//! fields), then each node asked for the sequences of its rows on the page (round two), and the
//! answer written in the merged order as FASTA, JSON or NDJSON. A node sharing only aggregates
//! shows no rows in round one and is never asked for sequences.

use std::collections::HashMap;
use std::io::Write;

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;
use virion_federation::merge::{self, NODE_FIELD};
use virion_federation::part;
use virion_federation::wire::{PartAnswer, PartBody, Question, SequenceKind, SequencesPart};
use virion_query::execute::{Endpoint, select_parts};
use virion_query::{Cell, LapisRequest, OrderBy, Table};

use super::{
    Asked, Gathered, Split, ask_all, collection_failure, federation, federation_info, gather, incomplete,
    random_details, read_asked, refuse_incomplete, second_round_failed,
};
use crate::lapis::call::LapisCall;
use crate::lapis::decode::Format;
use crate::lapis::handlers::{
    HeaderPiece, Record, cell_text, read_chunk, route_of, sequence_columns, sequence_output, write_header,
};
use crate::lapis::respond;
use crate::state::AppState;
use virion_collections::View;
use virion_federation::client::PeerError;

/// Rows per second-round question to one node: a long page is asked for in slices so that no
/// part grows past what a node reads from a peer.
const KEYS_PER_QUESTION: usize = 2_000;

/// This node's sequences of the genomes `keys` (a peer's second round, or this node's own),
/// as `viewer` may see them.
pub(super) async fn own_sequences(
    state: &AppState,
    view: &View,
    organism: &str,
    viewer: Option<virion_store::UserId>,
    kind: SequenceKind,
    names: &[String],
    keys: &[String],
) -> Result<PartBody, PeerError> {
    let bad = |detail: String| PeerError::Answered { status: 400, detail };
    let (columns, names_out) = {
        let ix = view.collection();
        let mut req = LapisRequest::default();
        let aa = kind == SequenceKind::AlignedAminoAcid;
        if aa {
            req.genes = names.to_vec();
        } else {
            req.segments = names.to_vec();
        }
        let columns = sequence_columns(&ix, kind, None, &req).map_err(bad)?;
        let sequences = if aa { &ix.index().genes } else { &ix.index().segments };
        let names_out: Vec<String> = columns.iter().map(|&c| sequences[c].name.clone()).collect();
        (columns, names_out)
    };
    let wanted: HashMap<String, usize> = keys.iter().enumerate().map(|(i, k)| (k.clone(), i)).collect();
    // The visible rows whose primary key was asked for (one pass over the key column).
    let found = view
        .run(move |parts, ix, budget| {
            let selected = select_parts(parts, &LapisRequest::default(), budget)?;
            let mut found = Vec::new();
            for (p, rows) in selected.iter().enumerate() {
                let index = &parts[p].index.index;
                let Some(k) = index.column(&ix.info.primary_key) else { continue };
                for (n, row) in rows.iter().enumerate() {
                    if n % 4096 == 0 {
                        budget.check()?;
                    }
                    let id = cell_text(&index.columns[k].get(row));
                    if let Some(&at) = wanted.get(&id) {
                        found.push((at, Record { part: p, row, id }));
                    }
                }
            }
            Ok(found)
        })
        .await
        .map_err(|e| collection_failure(&e))?;
    let hub = state.organism(organism).ok().map(|o| {
        (state.store().clone(), o.config.accession_prefix.clone(), viewer, tokio::runtime::Handle::current())
    });
    let view = view.clone();
    let n = keys.len();
    let rows = tokio::task::spawn_blocking(move || {
        let (at, records): (Vec<usize>, Vec<Record>) = found.into_iter().unzip();
        let mut rows: Vec<Option<Vec<Option<String>>>> = vec![None; n];
        for (chunk_at, chunk) in at.chunks(256).zip(records.chunks(256)) {
            for (&i, (_, seqs, _)) in
                chunk_at.iter().zip(read_chunk(chunk, &columns, kind, &[], &view, hub.as_ref())?)
            {
                rows[i] = Some(
                    seqs.into_iter()
                        .map(|(_, s)| s.map(|b| String::from_utf8_lossy(&b).into_owned()))
                        .collect(),
                );
            }
        }
        Ok::<_, std::io::Error>(rows)
    })
    .await
    .map_err(|e| PeerError::Unreachable(e.to_string()))?
    .map_err(|e| PeerError::Answered { status: 500, detail: e.to_string() })?;
    Ok(PartBody::Sequences(SequencesPart { names: names_out, rows }))
}

/// What the answer's writer needs of each merged row.
struct Row {
    node: usize,
    id: String,
    /// Header fields by this node's column index.
    fields: Vec<(usize, String)>,
}

fn header_text(cell: &Cell) -> String {
    match cell {
        Cell::Null => "null".into(),
        Cell::Str(s) => s.clone(),
        Cell::Int(i) => i.to_string(),
        Cell::Float(f) => respond::java_double(*f),
        Cell::Bool(b) => b.to_string(),
    }
}

/// A federated sequence route.
pub(super) async fn federated_sequences(call: LapisCall, kind: SequenceKind) -> Response {
    let Asked { mut info, organism, output, split: Split { request: asked, nodes, require_all } } =
        match read_asked(&call, true, route_of(kind)) {
            Ok(a) => a,
            Err(r) => return r,
        };
    // The schema as this node holds it names the primary key, the sequences and the header's
    // fields (the network's nodes must agree on them).
    let Some(own) = call.state.collections().get(&organism) else {
        return respond::problem(
            StatusCode::NOT_FOUND,
            format!(
                "sequences over the network are answered by nodes holding {organism:?}; this one holds none"
            ),
            &info,
        );
    };
    let schema = {
        let ix = own.read().expect("index lock");
        (|| {
            let (columns, header) = sequence_output(&ix, kind, &call, &asked, output.format)?;
            let aa = kind == SequenceKind::AlignedAminoAcid;
            let sequences = if aa { &ix.index().genes } else { &ix.index().segments };
            let names: Vec<String> = columns.iter().map(|&c| sequences[c].name.clone()).collect();
            let field_names: Vec<(usize, String)> = header
                .iter()
                .filter_map(|p| match p {
                    HeaderPiece::Field(c) => Some((*c, ix.index().columns[*c].name.clone())),
                    _ => None,
                })
                .collect();
            Ok((ix.info.primary_key.clone(), names, header, field_names))
        })()
    };
    let (primary_key, names, header, field_names) = match schema {
        Ok(s) => s,
        Err((status, e)) => return respond::problem(status, e, &info),
    };
    let fed = match federation(&call.state, &organism, nodes.as_deref()) {
        Ok(f) => f,
        Err(e) => return respond::problem(StatusCode::SERVICE_UNAVAILABLE, e, &info),
    };
    let viewer = call.user.0.as_ref().map(|u| u.id);

    // Round one: the rows, as /details would list them, with what ordering and headers need.
    let mut fields = vec![NODE_FIELD.to_owned(), primary_key.clone()];
    if let OrderBy::Fields(order) = &asked.order_by {
        fields.extend(order.iter().map(|(f, _)| f.clone()));
    }
    fields.extend(field_names.iter().map(|(_, n)| n.clone()));
    let mut seen = std::collections::HashSet::new();
    fields.retain(|f| seen.insert(f.to_ascii_lowercase()));
    let listing = LapisRequest { fields, ..asked.clone() };
    let mut node_request = listing.clone();
    node_request.fields.retain(|f| !merge::is_node_field(f));
    // A random order is drawn over the pooled rows as /details draws it: the same seed lists
    // the same genomes on both routes.
    let (mut statuses, merged) = if matches!(asked.order_by, OrderBy::Random(_)) {
        random_details(&call.state, &fed, &organism, viewer, &listing, &node_request).await
    } else {
        let question = Question::Table {
            endpoint: Endpoint::Details,
            request: part::part_request(Endpoint::Details, &node_request),
        };
        let results = ask_all(&call.state, &fed, &organism, viewer, |_| Some(question.clone())).await;
        let Gathered { tables, statuses, bad_request } = gather(&fed, results);
        if let Some((node, detail)) = bad_request {
            return respond::problem(StatusCode::BAD_REQUEST, format!("node {node}: {detail}"), &info);
        }
        let named: Vec<(String, Table)> = fed
            .nodes
            .iter()
            .zip(&tables)
            .filter_map(|((n, _), t)| t.clone().map(|t| (n.clone(), t)))
            .collect();
        (statuses, merge::details(&named, &listing).map_err(|e| e.to_string()))
    };
    let merged = match merged {
        Ok(t) => t,
        Err(e) => return respond::problem(StatusCode::BAD_REQUEST, e, &info),
    };
    let column = |name: &str| merged.columns.iter().position(|c| c.eq_ignore_ascii_case(name));
    let (Some(node_at), Some(key_at)) = (column(NODE_FIELD), column(&primary_key)) else {
        return respond::problem(StatusCode::BAD_GATEWAY, "the nodes' rows lack the primary key", &info);
    };
    let node_index: HashMap<&str, usize> =
        fed.nodes.iter().enumerate().map(|(i, (n, _))| (n.as_str(), i)).collect();
    let mut rows = Vec::with_capacity(merged.rows.len());
    let mut keys: Vec<Vec<String>> = vec![Vec::new(); fed.nodes.len()];
    for cells in &merged.rows {
        let (Cell::Str(node), id) = (&cells[node_at], header_text(&cells[key_at])) else { continue };
        let Some(&node) = node_index.get(node.as_str()) else { continue };
        let fields = field_names
            .iter()
            .map(|(c, name)| (*c, column(name).map_or_else(|| "null".into(), |i| header_text(&cells[i]))))
            .collect();
        keys[node].push(id.clone());
        rows.push(Row { node, id, fields });
    }

    // Round two: each node's sequences of its rows on the page, a slice of keys at a time.
    let mut got: Vec<HashMap<String, Vec<Option<String>>>> = vec![HashMap::new(); fed.nodes.len()];
    let slices = keys.iter().map(|k| k.len().div_ceil(KEYS_PER_QUESTION)).max().unwrap_or(0);
    for s in 0..slices {
        let slice = |i: usize| -> &[String] {
            let k = &keys[i];
            &k[(s * KEYS_PER_QUESTION).min(k.len())..((s + 1) * KEYS_PER_QUESTION).min(k.len())]
        };
        let answers = ask_all(&call.state, &fed, &organism, viewer, |i| {
            (!slice(i).is_empty()).then(|| Question::Sequences {
                kind,
                names: names.clone(),
                keys: slice(i).to_vec(),
            })
        })
        .await;
        for (i, answer) in answers.into_iter().enumerate() {
            let Some((answer, _)) = answer else { continue };
            match answer {
                Ok(PartAnswer { body: PartBody::Sequences(part), .. })
                    if part.rows.len() == slice(i).len() =>
                {
                    for (key, seqs) in slice(i).iter().zip(part.rows) {
                        if let Some(seqs) = seqs {
                            got[i].insert(key.clone(), seqs);
                        }
                    }
                }
                other => second_round_failed(&mut statuses, &fed.nodes[i].0, other),
            }
        }
    }
    federation_info(&mut info, &statuses, 0);
    let missing = incomplete(&statuses);
    if require_all && !missing.is_empty() {
        return refuse_incomplete(&missing, &info);
    }
    let format = output.format;
    let mut response = respond::streaming_response(&output, info.data_version, move |out| {
        write_answer(out, &rows, &got, &names, &header, &primary_key, format)
    });
    if !missing.is_empty()
        && let Ok(v) = axum::http::HeaderValue::from_str(&missing.join(","))
    {
        // FASTA has no `info`: say it in a header, as CSV answers do.
        response.headers_mut().insert("virion-federation-incomplete", v);
    }
    response
}

fn write_answer(
    out: &mut dyn Write,
    rows: &[Row],
    got: &[HashMap<String, Vec<Option<String>>>],
    names: &[String],
    header: &[HeaderPiece],
    primary_key: &str,
    format: Format,
) -> std::io::Result<()> {
    if format == Format::Json {
        out.write_all(b"[")?;
    }
    let mut first = true;
    for row in rows {
        let Some(seqs) = got[row.node].get(&row.id) else { continue };
        match format {
            Format::Fasta => {
                for (name, seq) in names.iter().zip(seqs) {
                    let Some(seq) = seq else { continue };
                    out.write_all(b">")?;
                    write_header(out, header, &row.id, name, &row.fields)?;
                    out.write_all(b"\n")?;
                    out.write_all(seq.as_bytes())?;
                    out.write_all(b"\n")?;
                }
            }
            _ => {
                let mut m = serde_json::Map::new();
                m.insert(primary_key.to_owned(), json!(row.id));
                for (name, seq) in names.iter().zip(seqs) {
                    m.insert(name.clone(), json!(seq));
                }
                let text = serde_json::Value::Object(m).to_string();
                if format == Format::Json && !first {
                    out.write_all(b",")?;
                }
                out.write_all(text.as_bytes())?;
                if format != Format::Json {
                    out.write_all(b"\n")?;
                }
            }
        }
        first = false;
    }
    if format == Format::Json {
        out.write_all(b"]")?;
    }
    Ok(())
}
