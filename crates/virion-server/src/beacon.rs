//! GA4GH Beacon v2 over HTTP (`/beacon/v2/…`): the framework endpoints and the entry types
//! `g_variants`, `biosamples` and `datasets`. `virion_beacon` reads the request, maps it onto
//! each dataset and writes the documents; this module asks the nodes (this one and, in a
//! network, its peers, through the federation's typed parts) and caps each node's result set
//! at the granularity the asker may have there.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use serde_json::{Value, json};
use virion_beacon::framework::{self, Node};
use virion_beacon::granularity::{granted, own_ceiling, peer_ceiling};
use virion_beacon::response::{self, EntryType, MutationRow, ResultSet, Withheld};
use virion_beacon::{BeaconError, BeaconRequest, DatasetModel, Field, FieldKind, Granularity};
use virion_federation::wire::{PartBody, Question};
use virion_index::ColumnType;
use virion_query::OrderBy;
use virion_query::execute::Endpoint;

use crate::auth::MaybeUser;
use crate::federation::{self, Network};
use crate::lapis::Methods;
use crate::state::AppState;

/// Where the Beacon is served.
pub const BASE: &str = "/beacon/v2";

/// One Beacon route: its path, methods, what the API document says and its handler. The router
/// and the document are both built from [`table`].
pub(crate) struct BeaconRoute {
    pub(crate) path: &'static str,
    pub(crate) methods: Methods,
    pub(crate) summary: &'static str,
    router: MethodRouter<AppState>,
}

/// What a query route asks.
#[derive(Debug, Clone, Copy)]
enum Ask {
    Variants(Scope),
    Biosamples(Scope),
    Datasets { one: bool },
}

/// Which entries a query route is about (the `{id}` of the path says which one).
#[derive(Debug, Clone, Copy)]
enum Scope {
    All,
    Dataset,
    Sample,
    Variant,
}

/// Every Beacon route.
pub(crate) fn table() -> Vec<BeaconRoute> {
    let doc = |path, summary, router| BeaconRoute { path, methods: Methods::Get, summary, router };
    let query = |path, summary, ask: Ask| BeaconRoute {
        path,
        methods: Methods::GetPost,
        summary,
        router: get(
            move |s: State<AppState>, u: MaybeUser, h: HeaderMap, p: Option<Path<String>>, q: RawQuery| {
                query(s, u, h, p, q, Bytes::new(), ask)
            },
        )
        .post(
            move |s: State<AppState>, u: MaybeUser, h: HeaderMap, p: Option<Path<String>>, body: Bytes| {
                query(s, u, h, p, RawQuery(None), body, ask)
            },
        ),
    };
    vec![
        doc("/beacon/v2", "Beacon information (as /info)", get(info)),
        doc("/beacon/v2/", "Beacon information (as /info)", get(info)),
        doc("/beacon/v2/info", "Beacon information: id, name, organization, API version", get(info)),
        doc("/beacon/v2/service-info", "GA4GH service-info of this Beacon", get(service_info)),
        doc("/beacon/v2/configuration", "Entry types served and their default schemas", get(configuration)),
        doc("/beacon/v2/map", "The Beacon's endpoints per entry type", get(map)),
        doc("/beacon/v2/entry_types", "Entry types served", get(entry_types)),
        doc(
            "/beacon/v2/filtering_terms",
            "Filtering terms: every dataset's categorical (country, lineage, host), date and number fields (alphanumeric; field=value, field>=value, field<=value)",
            get(filtering_terms),
        ),
        query(
            "/beacon/v2/g_variants",
            "Mutations against each dataset's reference (referenceName, 0-based start/end, referenceBases, alternateBases; filters select the genomes); one result set per node and dataset; count for visitors, records for logged-in users and peers sharing records",
            Ask::Variants(Scope::All),
        ),
        query(
            "/beacon/v2/g_variants/{id}",
            "One mutation (its LAPIS name, e.g. C241T)",
            Ask::Variants(Scope::Variant),
        ),
        query(
            "/beacon/v2/g_variants/{id}/biosamples",
            "The samples carrying a mutation",
            Ask::Biosamples(Scope::Variant),
        ),
        query(
            "/beacon/v2/biosamples",
            "Samples (country, collection date, host, lineage) matching the filters; one result set per node and dataset",
            Ask::Biosamples(Scope::All),
        ),
        query(
            "/beacon/v2/biosamples/{id}",
            "One sample by its id (the dataset's primary key)",
            Ask::Biosamples(Scope::Sample),
        ),
        query(
            "/beacon/v2/biosamples/{id}/g_variants",
            "The mutations of one sample",
            Ask::Variants(Scope::Sample),
        ),
        query(
            "/beacon/v2/datasets",
            "The collections served (hub organisms and imported collections)",
            Ask::Datasets { one: false },
        ),
        query("/beacon/v2/datasets/{id}", "One collection", Ask::Datasets { one: true }),
        query(
            "/beacon/v2/datasets/{id}/g_variants",
            "Mutations of one collection",
            Ask::Variants(Scope::Dataset),
        ),
        query(
            "/beacon/v2/datasets/{id}/biosamples",
            "Samples of one collection",
            Ask::Biosamples(Scope::Dataset),
        ),
        doc(
            "/beacon/v2/datasets/{id}/filtering_terms",
            "Filtering terms of one collection",
            get(dataset_filtering_terms),
        ),
    ]
}

/// The Beacon routes.
pub(crate) fn routes() -> Router<AppState> {
    table().into_iter().fold(Router::new(), |r, route| r.route(route.path, route.router))
}

/// The Beacon routes' paths and methods (for the API document's completeness check).
pub fn route_paths() -> Vec<(&'static str, &'static [&'static str])> {
    table().into_iter().map(|r| (r.path, r.methods.names())).collect()
}

// ---------------------------------------------------------------------------------------------
// Errors, mapped to HTTP here and nowhere else.

/// Why a Beacon route failed.
#[derive(Debug, thiserror::Error)]
enum Failure {
    /// The request is wrong.
    #[error(transparent)]
    Request(#[from] BeaconError),
    /// No such entry (dataset).
    #[error("{0}")]
    NotFound(String),
    /// The node's federation setup or a collection cannot be used now.
    #[error("{0}")]
    Unavailable(String),
}

impl Failure {
    fn respond(&self, beacon_id: &str) -> Response {
        let status = match self {
            Failure::Request(BeaconError::Answer(_)) => StatusCode::BAD_GATEWAY,
            Failure::Request(_) => StatusCode::BAD_REQUEST,
            Failure::NotFound(_) => StatusCode::NOT_FOUND,
            Failure::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        };
        (status, axum::Json(response::error(beacon_id, status.as_u16(), &self.to_string()))).into_response()
    }
}

// ---------------------------------------------------------------------------------------------
// The framework endpoints.

/// This node as a Beacon; the base URL is its public URL when it has an identity, else the
/// address it was asked at.
fn node(state: &AppState, headers: &HeaderMap) -> Node {
    let (name, url, network) = federation::own_node(state);
    let base = match url {
        Some(u) => format!("{}{BASE}", u.trim_end_matches('/')),
        None => {
            let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
            format!("http://{host}{BASE}")
        }
    };
    Node {
        beacon_id: Node::beacon_id(&name),
        name,
        base_url: base,
        version: env!("CARGO_PKG_VERSION").into(),
        network,
    }
}

async fn info(State(state): State<AppState>, headers: HeaderMap) -> Response {
    axum::Json(framework::info(&node(&state, &headers))).into_response()
}

async fn service_info(State(state): State<AppState>, headers: HeaderMap) -> Response {
    axum::Json(framework::service_info(&node(&state, &headers))).into_response()
}

async fn configuration(State(state): State<AppState>, headers: HeaderMap) -> Response {
    axum::Json(framework::configuration(&node(&state, &headers))).into_response()
}

async fn map(State(state): State<AppState>, headers: HeaderMap) -> Response {
    axum::Json(framework::map(&node(&state, &headers))).into_response()
}

async fn entry_types(State(state): State<AppState>, headers: HeaderMap) -> Response {
    axum::Json(framework::entry_types(&node(&state, &headers))).into_response()
}

async fn filtering_terms(State(state): State<AppState>, headers: HeaderMap) -> Response {
    axum::Json(framework::filtering_terms(&node(&state, &headers), &datasets(&state))).into_response()
}

async fn dataset_filtering_terms(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let node = node(&state, &headers);
    let models: Vec<DatasetModel> = datasets(&state).into_iter().filter(|d| d.id == id).collect();
    if models.is_empty() {
        return Failure::NotFound(format!("no dataset {id:?}")).respond(&node.beacon_id);
    }
    axum::Json(framework::filtering_terms(&node, &models)).into_response()
}

// ---------------------------------------------------------------------------------------------
// The datasets.

/// The reference sequence's name in a Nextclade dataset (the first FASTA header's first word).
fn dataset_reference_name(dir: &std::path::Path) -> Option<String> {
    use std::io::BufRead;
    let file = std::fs::File::open(dir.join("reference.fasta")).ok()?;
    let mut line = String::new();
    std::io::BufReader::new(file).read_line(&mut line).ok()?;
    line.strip_prefix('>')?.split_whitespace().next().map(str::to_owned)
}

/// Every collection served, as a Beacon dataset.
fn datasets(state: &AppState) -> Vec<DatasetModel> {
    let collections = state.collections();
    collections
        .names()
        .into_iter()
        .filter_map(|name| {
            let c = collections.get(&name)?;
            let c = c.read().ok()?;
            let ix = c.index();
            // A hub organism's segments are named by their Nextclade datasets' references; an
            // imported collection's by their own names.
            let hub = state.organisms().find(|o| o.config.name == name);
            let segments = ix
                .segments
                .iter()
                .map(|s| {
                    let dir = hub.and_then(|o| o.datasets.segments.iter().find(|(seg, _)| *seg == s.name));
                    let reference = dir.and_then(|(_, dir)| dataset_reference_name(dir));
                    (s.name.clone(), reference.unwrap_or_else(|| s.name.clone()))
                })
                .collect();
            let fields = ix
                .columns
                .iter()
                .map(|col| Field {
                    name: col.name.clone(),
                    kind: match col.kind {
                        ColumnType::String { indexed: true } => FieldKind::Category,
                        ColumnType::String { indexed: false } => FieldKind::Text,
                        ColumnType::Date => FieldKind::Date,
                        ColumnType::Int | ColumnType::Float => FieldKind::Number,
                        ColumnType::Boolean => FieldKind::Boolean,
                    },
                })
                .collect();
            Some(DatasetModel {
                id: name,
                primary_key: c.info.primary_key.clone(),
                segments,
                fields,
                lineage: c.info.lineage_column.and_then(|i| ix.columns.get(i)).map(|col| col.name.clone()),
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The entry types.

fn read_request(query: Option<&str>, body: &Bytes) -> Result<BeaconRequest, BeaconError> {
    if !body.is_empty() {
        return BeaconRequest::from_body(body);
    }
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(query.unwrap_or("")).map_err(|e| BeaconError::BadValue {
            parameter: "query".into(),
            value: query.unwrap_or("").into(),
            reason: e.to_string(),
        })?;
    BeaconRequest::from_pairs(&pairs)
}

async fn query(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
    id: Option<Path<String>>,
    RawQuery(raw): RawQuery,
    body: Bytes,
    ask: Ask,
) -> Response {
    let node = node(&state, &headers);
    let id = id.map(|Path(id)| id);
    let result = async {
        let req = read_request(raw.as_deref(), &body)?;
        let viewer = user.as_ref().map(|u| u.id);
        match ask {
            Ask::Datasets { one } => datasets_answer(&state, &node, &req, one.then_some(id).flatten()),
            Ask::Variants(scope) => {
                entries(&state, &node, &req, viewer, EntryType::GenomicVariant, scope, id).await
            }
            Ask::Biosamples(scope) => {
                entries(&state, &node, &req, viewer, EntryType::Biosample, scope, id).await
            }
        }
    }
    .await;
    match result {
        Ok(v) => axum::Json(v).into_response(),
        Err(f) => f.respond(&node.beacon_id),
    }
}

fn datasets_answer(
    state: &AppState,
    node: &Node,
    req: &BeaconRequest,
    id: Option<String>,
) -> Result<Value, Failure> {
    let mut records = Vec::new();
    for ds in datasets(state) {
        if id.as_ref().is_some_and(|i| *i != ds.id) {
            continue;
        }
        let (genomes, version) = match state.collections().get(&ds.id) {
            Some(c) => {
                c.read().map(|c| (Some(c.visible.len()), Some(c.data_version))).unwrap_or((None, None))
            }
            None => (None, None),
        };
        records.push(response::dataset_record(&ds, genomes, version));
    }
    if let Some(id) = id
        && records.is_empty()
    {
        return Err(Failure::NotFound(format!("no dataset {id:?}")));
    }
    let records: Vec<Value> = records.into_iter().skip(req.skip).take(req.limit).collect();
    Ok(response::collections(&node.beacon_id, req, records))
}

/// One node's status in `info.nodes`.
fn status(
    node: &str,
    dataset: &str,
    outcome: &str,
    detail: Option<String>,
    millis: u64,
    withheld: u64,
) -> Value {
    let mut v = json!({ "node": node, "dataset": dataset, "status": outcome, "millis": millis });
    if let Some(d) = detail {
        v["detail"] = Value::String(d);
    }
    if withheld > 0 {
        v["withheldGroups"] = json!(withheld);
    }
    v
}

/// `g_variants` or `biosamples` over every dataset in scope and every node of its network.
async fn entries(
    state: &AppState,
    node: &Node,
    req: &BeaconRequest,
    viewer: Option<virion_store::UserId>,
    entry: EntryType,
    scope: Scope,
    id: Option<String>,
) -> Result<Value, Failure> {
    let models = datasets(state);
    let in_scope: Vec<&DatasetModel> = models
        .iter()
        .filter(|d| !matches!(scope, Scope::Dataset) || id.as_deref() == Some(d.id.as_str()))
        .collect();
    if matches!(scope, Scope::Dataset) && in_scope.is_empty() {
        return Err(Failure::NotFound(format!("no dataset {:?}", id.unwrap_or_default())));
    }
    let own_max = own_ceiling(viewer.is_some());
    let mut sets = Vec::new();
    let mut withheld = Vec::new();
    let mut statuses = Vec::new();
    // The granularity returned: the most any node's set may have, capped by what was asked.
    let mut returned = Granularity::Boolean;
    let mut applicable = 0;
    let mut unknown_field = None;
    for ds in in_scope {
        let mut lapis = match ds.lapis_request(&req.filters) {
            Ok(l) => l,
            Err(e) if e.is_not_applicable() => {
                unknown_field.get_or_insert(e);
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        let only_segment = ds.segments.first().map(|s| s.0.clone()).unwrap_or_default();
        let matcher = if entry == EntryType::GenomicVariant {
            match ds.variant_match(&req.sequence) {
                Ok(m) => m,
                Err(e) if e.is_not_applicable() => continue,
                Err(e) => return Err(e.into()),
            }
        } else {
            None
        };
        applicable += 1;
        match (scope, &id) {
            (Scope::Sample, Some(id)) => lapis.filters.extend(ds.sample_request(id).filters),
            (Scope::Variant, Some(id)) if entry == EntryType::Biosample => {
                lapis.filters.push(("nucleotideMutations".into(), vec![Some(id.clone())]));
            }
            _ => {}
        }
        let network = Network::new(state, &ds.id).map_err(Failure::Unavailable)?;
        let nodes = network.nodes();
        let first = match entry {
            EntryType::GenomicVariant => {
                // Every mutation any selected genome carries; the sequence query picks among them.
                let mut r = lapis.clone();
                r.min_proportion = Some(0.0);
                Question::Table { endpoint: Endpoint::NucleotideMutations, request: r }
            }
            _ => Question::Table { endpoint: Endpoint::Aggregated, request: lapis.clone() },
        };
        let answers = network.ask(state, &ds.id, viewer, |_| Some(first.clone())).await;
        // Per node: (count, its ceiling, matching variant rows).
        let mut found: Vec<Option<(u64, Granularity, Vec<MutationRow>)>> = vec![None; nodes.len()];
        for (i, answer) in answers.into_iter().enumerate() {
            let Some((answer, millis)) = answer else { continue };
            let name = &nodes[i].0;
            let answer = match answer {
                Ok(a) => a,
                Err(e) => {
                    statuses.push(status(name, &ds.id, "failed", Some(e.to_string()), millis, 0));
                    continue;
                }
            };
            let ceiling = if nodes[i].1 { Some(own_max) } else { peer_ceiling(answer.level) };
            let (Some(ceiling), PartBody::Table { table, withheld: w }) = (ceiling, answer.body) else {
                statuses.push(status(name, &ds.id, "withheld", None, millis, 0));
                continue;
            };
            statuses.push(status(name, &ds.id, "ok", None, millis, w));
            returned = returned.max(granted(req.granularity, ceiling));
            let (count, rows) = match entry {
                EntryType::GenomicVariant => {
                    let rows: Vec<MutationRow> = MutationRow::rows(&table, &only_segment)?
                        .into_iter()
                        .filter(|r| {
                            matcher.as_ref().is_none_or(|m| m.matches(&r.segment, r.position, r.from, r.to))
                        })
                        .filter(|r| {
                            !matches!(scope, Scope::Variant) || id.as_deref() == Some(r.mutation.as_str())
                        })
                        .collect();
                    (rows.len() as u64, rows)
                }
                _ => {
                    let count = response::total(&table)?;
                    // A count below the minimum cell is withheld by the node: no row, `w` groups.
                    if w > 0 && count == 0 {
                        withheld.push(Withheld { dataset: ds.id.clone(), node: name.clone(), entries: w });
                        continue;
                    }
                    (count, Vec::new())
                }
            };
            found[i] = Some((count, ceiling, rows));
        }
        let wants_records = granted(req.granularity, Granularity::Record) == Granularity::Record;
        // Biosample records: a second round, only of the nodes that may give them.
        let mut details: Vec<Option<Vec<Value>>> = vec![None; nodes.len()];
        if entry == EntryType::Biosample && wants_records {
            let mut r = lapis.clone();
            r.fields = ds.biosample_fields();
            r.order_by = OrderBy::Fields(vec![(ds.primary_key.clone(), false)]);
            r.limit = Some(req.limit);
            r.offset = req.skip;
            let second = Question::Table { endpoint: Endpoint::Details, request: r };
            let asked: Vec<bool> = found
                .iter()
                .map(|f| {
                    f.as_ref()
                        .is_some_and(|(count, ceiling, _)| *ceiling == Granularity::Record && *count > 0)
                })
                .collect();
            let answers = network.ask(state, &ds.id, viewer, |i| asked[i].then(|| second.clone())).await;
            for (i, answer) in answers.into_iter().enumerate() {
                let Some((Ok(answer), _)) = answer else { continue };
                if let PartBody::Table { table, .. } = answer.body {
                    details[i] = Some(response::biosample_records(&table, ds)?);
                }
            }
        }
        for (i, f) in found.into_iter().enumerate() {
            let Some((count, ceiling, rows)) = f else { continue };
            let records = if ceiling == Granularity::Record && wants_records {
                match entry {
                    EntryType::GenomicVariant => Some(
                        rows.iter()
                            .skip(req.skip)
                            .take(req.limit)
                            .map(|r| response::variant_record(r, ds))
                            .collect(),
                    ),
                    _ => details[i].take().or_else(|| (count == 0).then(Vec::new)),
                }
            } else {
                None
            };
            sets.push(ResultSet { dataset: ds.id.clone(), node: nodes[i].0.clone(), count, records });
        }
    }
    if applicable == 0
        && let Some(e) = unknown_field
        && matches!(e, BeaconError::UnknownField(_))
    {
        return Err(e.into());
    }
    if sets.is_empty() && withheld.is_empty() {
        returned = granted(req.granularity, own_max);
    }
    let meta = response::meta(&node.beacon_id, entry, req, returned);
    Ok(response::resultsets(meta, returned, &sets, &withheld, Value::Array(statuses)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_under_the_base() {
        for r in table() {
            assert!(r.path.starts_with(BASE), "{}", r.path);
        }
    }
}
