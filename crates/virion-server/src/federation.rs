//! Federation over HTTP: the federated LAPIS root (`/federation/{organism}/sample/…`), which
//! answers over this node and all its peers, and the route peers ask (`POST
//! /federation/node/part`, signed). `virion_federation` holds the identity, the peers and what
//! is shared with each, the signatures, the parts and their exact merge; this module asks the
//! nodes (this one through its collections, the peers over HTTP, all at once under one
//! deadline) and writes the answer with every node's status in `info.federation`.

// Handlers' errors are finished responses, returned as they are.
#![allow(clippy::result_large_err)]

use std::time::{Duration, Instant};

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, get, on, post};
use serde::Serialize;
use serde_json::json;
use virion_collections::CollectionError;
use virion_federation::client::{self, PeerError};
use virion_federation::merge::{self, Mutations, is_node_field};
use virion_federation::signature::{Refusal, SignedHeaders};
use virion_federation::wire::{
    About, PartAnswer, PartBody, PartProblem, PartRequest, Question, SequenceKind, SeriesItems, Site,
};
use virion_federation::{Identity, Level, Peer, part};
use virion_index::ColumnType;
use virion_query::execute::Endpoint;
use virion_query::{LapisRequest, Table};

use crate::lapis::call::LapisCall;
use crate::lapis::decode;
use crate::lapis::handlers::read_request;
use crate::lapis::respond::{self, Info};
use crate::lapis::series;
use crate::lapis::{Doc, Methods};
use crate::state::AppState;

mod sequences;

/// One federation route: its path, methods, what the API document says and its handler. The
/// router and the document are both built from [`table`].
pub(crate) struct FederationRoute {
    pub(crate) path: &'static str,
    pub(crate) methods: Methods,
    pub(crate) doc: Doc,
    router: MethodRouter<AppState>,
}

/// Every federation route.
pub(crate) fn table() -> Vec<FederationRoute> {
    let rows = |endpoint: Endpoint| move |call: LapisCall| federated_table(call, endpoint);
    let route = |path, methods: Methods, doc, router| FederationRoute { path, methods, doc, router };
    let both = || MethodFilter::GET.or(MethodFilter::POST);
    let sample = |path, endpoint, summary| {
        route(path, Methods::GetPost, Doc::Table(summary), on(both(), rows(endpoint)))
    };
    let seqs = |path, kind: SequenceKind, summary| {
        let handler = move |call: LapisCall| sequences::federated_sequences(call, kind);
        route(path, Methods::GetPost, Doc::Sequences(summary), on(both(), handler))
    };
    vec![
        route(virion_federation::wire::PART_PATH, Methods::Post, Doc::NodePart, post(node_part)),
        sample(
            "/federation/{organism}/sample/aggregated",
            Endpoint::Aggregated,
            "Counts over this node and its peers, added up exactly; `node` can be filtered and grouped by; info.federation lists every node's status (incomplete: a node failed or passed the deadline; requireAllNodes=true makes that a 503).",
        ),
        sample(
            "/federation/{organism}/sample/details",
            Endpoint::Details,
            "Metadata rows of the nodes that share records with this one, ordered and paged over all of them.",
        ),
        sample(
            "/federation/{organism}/sample/nucleotideMutations",
            Endpoint::NucleotideMutations,
            "Nucleotide mutations over the network: counts and coverage added, then proportions and minProportion.",
        ),
        sample(
            "/federation/{organism}/sample/aminoAcidMutations",
            Endpoint::AminoAcidMutations,
            "Amino-acid mutations over the network: counts and coverage added, then proportions and minProportion.",
        ),
        sample(
            "/federation/{organism}/sample/nucleotideInsertions",
            Endpoint::NucleotideInsertions,
            "Nucleotide insertions over the network, counts added.",
        ),
        sample(
            "/federation/{organism}/sample/aminoAcidInsertions",
            Endpoint::AminoAcidInsertions,
            "Amino-acid insertions over the network, counts added.",
        ),
        seqs(
            "/federation/{organism}/sample/alignedNucleotideSequences",
            SequenceKind::AlignedNucleotide,
            "Aligned nucleotide sequences of every segment, of the rows /details lists over the nodes sharing records.",
        ),
        seqs(
            "/federation/{organism}/sample/alignedNucleotideSequences/{name}",
            SequenceKind::AlignedNucleotide,
            "The aligned sequence of one segment, of the rows /details lists over the nodes sharing records.",
        ),
        seqs(
            "/federation/{organism}/sample/unalignedNucleotideSequences",
            SequenceKind::UnalignedNucleotide,
            "Unaligned (as submitted) nucleotide sequences, of the rows /details lists over the nodes sharing records.",
        ),
        seqs(
            "/federation/{organism}/sample/unalignedNucleotideSequences/{name}",
            SequenceKind::UnalignedNucleotide,
            "The unaligned sequence of one segment, of the rows /details lists over the nodes sharing records.",
        ),
        seqs(
            "/federation/{organism}/sample/alignedAminoAcidSequences",
            SequenceKind::AlignedAminoAcid,
            "Aligned amino-acid sequences of every gene, of the rows /details lists over the nodes sharing records.",
        ),
        seqs(
            "/federation/{organism}/sample/alignedAminoAcidSequences/{name}",
            SequenceKind::AlignedAminoAcid,
            "The aligned sequence of one gene, of the rows /details lists over the nodes sharing records.",
        ),
        route(
            "/federation/{organism}/component/nucleotideMutationsOverTime",
            Methods::Post,
            Doc::MutationsOverTime,
            post(|call: LapisCall| federated_series(call, SeriesKind::Mutations { amino_acid: false })),
        ),
        route(
            "/federation/{organism}/component/aminoAcidMutationsOverTime",
            Methods::Post,
            Doc::MutationsOverTime,
            post(|call: LapisCall| federated_series(call, SeriesKind::Mutations { amino_acid: true })),
        ),
        route(
            "/federation/{organism}/component/queriesOverTime",
            Methods::Post,
            Doc::QueriesOverTime,
            post(|call: LapisCall| federated_series(call, SeriesKind::Queries)),
        ),
        // The organism's schema as this node holds it (its own collection's): what LAPIS
        // clients such as GenSpectrum's components read before they ask for data.
        route(
            "/federation/{organism}/sample/referenceGenome",
            Methods::Get,
            Doc::About("The reference genome of this node's collection (the network's must agree)."),
            get(crate::lapis::handlers::reference_genome),
        ),
        route(
            "/federation/{organism}/sample/databaseConfig",
            Methods::Get,
            Doc::About("The database config of this node's collection."),
            get(crate::lapis::handlers::database_config),
        ),
        route(
            "/federation/{organism}/sample/lineageDefinition/{column}",
            Methods::Get,
            Doc::About("The lineage definition of a column of this node's collection."),
            get(crate::lapis::handlers::lineage_definition),
        ),
        route(
            "/federation/{organism}/sample/info",
            Methods::Get,
            Doc::About(
                "Every node of the network: status, data version, level shared, genomes where shared, and the fields all nodes have.",
            ),
            get(federated_info),
        ),
    ]
}

/// The federation routes.
pub(crate) fn routes() -> Router<AppState> {
    table().into_iter().fold(Router::new(), |r, route| r.route(route.path, route.router))
}

/// The federation routes' paths and methods (for the API document's completeness check).
pub fn route_paths() -> Vec<(&'static str, &'static [&'static str])> {
    table().into_iter().map(|r| (r.path, r.methods.names())).collect()
}

// ---------------------------------------------------------------------------------------------
// The route peers ask.

fn part_problem(status: StatusCode, detail: impl Into<String>) -> Response {
    (status, Json(PartProblem { status: status.as_u16(), detail: detail.into() })).into_response()
}

fn header(headers: &HeaderMap, name: &'static str) -> Result<String, Refusal> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned).ok_or(Refusal::Missing(name))
}

/// `POST /federation/node/part`: a peer's signed question; the answer is this node's part, as
/// much as it shares with that peer.
async fn node_part(State(state): State<AppState>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let (identity, peers) = match state.federation_setup() {
        Ok(setup) => (setup.identity, setup.peers),
        Err(e) => {
            tracing::error!(error = %e, "a peer asked, but this node's federation setup is unusable");
            return part_problem(StatusCode::SERVICE_UNAVAILABLE, e.to_string());
        }
    };
    // The signed URI is the one the peer was told: this node's public URL and the path.
    let target = format!("{}{}", identity.url, uri.path_and_query().map_or(uri.path(), |p| p.as_str()));
    let signed = (|| {
        Ok::<_, Refusal>(SignedHeaders {
            content_digest: header(&headers, "content-digest")?,
            signature_input: header(&headers, "signature-input")?,
            signature: header(&headers, "signature")?,
        })
    })();
    let verified = signed.and_then(|signed| {
        state
            .verifier()
            .verify("POST", &target, &body, &signed, |name| peers.get(name).and_then(|p| p.public_key().ok()))
    });
    let peer = match verified {
        Ok(name) => peers.get(&name).cloned().expect("a verified peer is known"),
        Err(refusal) => {
            tracing::warn!(event = "federation.refused", reason = %refusal, "a node request was refused");
            return part_problem(StatusCode::UNAUTHORIZED, refusal.to_string());
        }
    };
    let request: PartRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return part_problem(StatusCode::BAD_REQUEST, format!("the request is not a part request: {e}"));
        }
    };
    let share = peer.share(&request.organism);
    let kind = match &request.question {
        Question::Table { endpoint, .. } => format!("{endpoint:?}"),
        Question::Mutations { mutations, .. } => format!("counts of {} mutations", mutations.len()),
        Question::Series { ranges, .. } => format!("time series over {} ranges", ranges.len()),
        Question::About => "about".into(),
        Question::Sequences { kind, keys, .. } => format!("{kind:?} sequences of {} genomes", keys.len()),
    };
    // What a peer asked is kept in the log with its filters: min-cell suppression does not stop
    // differencing (two questions whose difference is a small group), an audit can.
    let filters = match &request.question {
        Question::Table { request, .. }
        | Question::Mutations { request, .. }
        | Question::Series { request, .. } => {
            serde_json::to_string(&(&request.filters, &request.advanced, &request.fields)).unwrap_or_default()
        }
        Question::About => String::new(),
        Question::Sequences { keys, .. } => serde_json::to_string(keys).unwrap_or_default(),
    };
    let answer = own_part(&state, &identity.name, &request.organism, None, request.question, share).await;
    match answer {
        Ok(answer) => {
            let withheld = match &answer.body {
                PartBody::Table { withheld, .. } => *withheld,
                _ => 0,
            };
            tracing::info!(
                event = "federation.answered",
                peer = %peer.name,
                organism = %request.organism,
                question = %kind,
                filters = %filters,
                level = %share.level,
                withheld,
                "answered a peer"
            );
            Json(answer).into_response()
        }
        Err(PeerError::Answered { status, detail }) => {
            part_problem(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), detail)
        }
        Err(e) => part_problem(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

fn collection_failure(e: &CollectionError) -> PeerError {
    PeerError::Answered { status: respond::collection_status(e).as_u16(), detail: e.to_string() }
}

/// This node's part of `question` about `organism`, for `viewer` (a peer: the public), as
/// `share` allows.
async fn own_part(
    state: &AppState,
    own_name: &str,
    organism: &str,
    viewer: Option<virion_store::UserId>,
    question: Question,
    share: virion_federation::Share,
) -> Result<PartAnswer, PeerError> {
    let view = state
        .collections()
        .view(state.store(), Some(organism), viewer)
        .await
        .map_err(|e| collection_failure(&e))?;
    let body = if share.level == Level::None {
        PartBody::Withheld
    } else if question == Question::About {
        let ix = view.collection();
        let genomes = ix.visible.len();
        let fields = ix
            .index()
            .columns
            .iter()
            .map(|c| {
                let kind = match c.kind {
                    ColumnType::String { .. } => "string",
                    ColumnType::Date => "date",
                    ColumnType::Int => "int",
                    ColumnType::Float => "float",
                    ColumnType::Boolean => "boolean",
                };
                (c.name.clone(), kind.to_owned())
            })
            .collect();
        let shown = share.level == Level::Records || genomes == 0 || genomes >= share.min_cell;
        PartBody::About(About { genomes: shown.then_some(genomes), fields, pipeline: None })
    } else if let Question::Sequences { kind, names, keys } = &question
        && share.level == Level::Records
    {
        sequences::own_sequences(state, &view, organism, viewer, *kind, names, keys).await?
    } else {
        let primary_key = view.collection().info.primary_key.clone();
        view.run(move |parts, _, budget| part::answer(parts, &question, share, &primary_key, budget))
            .await
            .map_err(|e| collection_failure(&e))?
    };
    Ok(PartAnswer { node: own_name.to_owned(), data_version: view.data_version(), level: share.level, body })
}

// ---------------------------------------------------------------------------------------------
// The federated root.

/// One node's status in a federated answer (`info.federation.nodes`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NodeStatus {
    pub(crate) node: String,
    /// `ok`, `withheld` (shares nothing of this kind with this node), `failed` or `timeout`.
    pub(crate) status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) data_version: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) level: Option<Level>,
    /// Groups the node withheld (below its minimum cell for this node).
    pub(crate) withheld_groups: u64,
    pub(crate) millis: u64,
}

impl NodeStatus {
    fn new(node: &str, millis: u64) -> NodeStatus {
        NodeStatus {
            node: node.to_owned(),
            status: "ok",
            detail: None,
            data_version: None,
            level: None,
            withheld_groups: 0,
            millis,
        }
    }

    fn failed(&mut self, detail: String) {
        self.status = "failed";
        self.detail = Some(detail);
    }

    /// Takes a node's answer: its data version and level into the status and its body out, or
    /// its failure into the status (logged) and out.
    fn take(&mut self, result: Result<PartAnswer, PeerError>) -> Result<PartBody, PeerError> {
        match result {
            Ok(answer) => {
                self.data_version = Some(answer.data_version);
                self.level = Some(answer.level);
                Ok(answer.body)
            }
            Err(e) => {
                self.failed(e.to_string());
                if matches!(e, PeerError::Timeout(_)) {
                    self.status = "timeout";
                }
                tracing::warn!(event = "federation.node_failed", node = %self.node, error = %e, "a node gave no part");
                Err(e)
            }
        }
    }
}

/// Marks a node that answered a first round and not the second as failed.
fn second_round_failed(statuses: &mut [NodeStatus], node: &str, answer: Result<PartAnswer, PeerError>) {
    let detail = match answer {
        Err(e) => e.to_string(),
        Ok(_) => "it answered another question".into(),
    };
    if let Some(s) = statuses.iter_mut().find(|s| s.node == node) {
        s.failed(format!("second round: {detail}"));
    }
}

/// Who answers a federated request.
#[derive(Debug, Clone)]
enum Node {
    /// This node, through its own collections, as the caller sees them.
    Own,
    Peer(Peer),
}

/// A federated request's setup: who asks, which nodes, until when.
struct Federation {
    /// This node's identity; `None` for a node outside any network (it asks only itself).
    identity: Option<std::sync::Arc<Identity>>,
    /// This node's name in answers.
    own_name: String,
    nodes: Vec<(String, Node)>,
    deadline: Instant,
    deadline_len: Duration,
}

/// The parts of a federated request: the asker's filters without `node` and
/// `requireAllNodes`, which name the nodes asked and whether all must answer.
struct Split {
    request: LapisRequest,
    nodes: Option<Vec<String>>,
    require_all: bool,
}

fn split(mut req: LapisRequest) -> Result<Split, String> {
    let (mut nodes, mut require_all) = (None, false);
    let mut kept = Vec::new();
    for (name, values) in std::mem::take(&mut req.filters) {
        if is_node_field(&name) {
            nodes.get_or_insert_with(Vec::new).extend(values.into_iter().flatten());
        } else if name.eq_ignore_ascii_case("requireAllNodes") {
            require_all = match values.first().cloned().flatten().as_deref() {
                Some("true") => true,
                Some("false") | None => false,
                Some(other) => return Err(format!("requireAllNodes={other:?} is not true or false")),
            };
        } else {
            kept.push((name, values));
        }
    }
    req.filters = kept;
    Ok(Split { request: req, nodes, require_all })
}

fn federation(state: &AppState, organism: &str, only: Option<&[String]>) -> Result<Federation, String> {
    let setup = state.federation_setup().map_err(|e| e.to_string())?;
    let identity = setup.identity;
    let mut nodes = Vec::new();
    // A node without the organism is an aggregator over its peers (it holds none of its own).
    if state.collections().get(organism).is_some() || state.collections().is_hub_organism(organism) {
        nodes.push((identity.name.clone(), Node::Own));
    }
    nodes.extend(setup.peers.peers.iter().map(|p| (p.name.clone(), Node::Peer(p.clone()))));
    if let Some(only) = only {
        let unknown: Vec<&String> = only.iter().filter(|n| !nodes.iter().any(|(m, _)| m == *n)).collect();
        if !unknown.is_empty() {
            let known: Vec<&str> = nodes.iter().map(|(n, _)| n.as_str()).collect();
            return Err(format!("node {unknown:?} is not in this network (nodes: {})", known.join(", ")));
        }
        nodes.retain(|(n, _)| only.contains(n));
    }
    let deadline_len = state.federation_deadline();
    Ok(Federation {
        own_name: identity.name.clone(),
        identity: Some(identity),
        nodes,
        deadline: Instant::now() + deadline_len,
        deadline_len,
    })
}

/// The nodes a Beacon query about one organism asks: this node (if it holds the organism) and
/// its peers; only this node when it has no identity (it is in no network).
pub(crate) struct Network(Federation);

impl Network {
    /// The network of `organism` as this node knows it.
    pub(crate) fn new(state: &AppState, organism: &str) -> Result<Network, String> {
        match federation(state, organism, None) {
            Ok(f) => Ok(Network(f)),
            Err(_)
                if matches!(
                    state.federation_setup(),
                    Err(virion_federation::FederationError::NoIdentity)
                ) =>
            {
                let own = state.collections().get(organism).is_some()
                    || state.collections().is_hub_organism(organism);
                let deadline_len = state.federation_deadline();
                Ok(Network(Federation {
                    identity: None,
                    own_name: "local".into(),
                    nodes: if own { vec![("local".into(), Node::Own)] } else { Vec::new() },
                    deadline: Instant::now() + deadline_len,
                    deadline_len,
                }))
            }
            Err(e) => Err(e),
        }
    }

    /// Each node's name and whether it is this node, in the order answers come back.
    pub(crate) fn nodes(&self) -> Vec<(String, bool)> {
        self.0.nodes.iter().map(|(n, node)| (n.clone(), matches!(node, Node::Own))).collect()
    }

    /// Asks each node its part of `question(i)` (`None`: not asked) under one deadline.
    pub(crate) async fn ask(
        &self,
        state: &AppState,
        organism: &str,
        viewer: Option<virion_store::UserId>,
        question: impl Fn(usize) -> Option<Question>,
    ) -> Vec<Option<(Result<PartAnswer, PeerError>, u64)>> {
        ask_all(state, &self.0, organism, viewer, question).await
    }
}

/// Counts over the network for the portal's search page: `aggregated` of `request` over every
/// node, merged as the federated route merges it (the public's view: no user), and the nodes
/// that failed or passed the deadline.
pub(crate) async fn network_aggregated(
    state: &AppState,
    organism: &str,
    request: LapisRequest,
) -> Result<(Table, Vec<String>), String> {
    let fed = federation(state, organism, None)?;
    let question = Question::Table {
        endpoint: Endpoint::Aggregated,
        request: part::part_request(Endpoint::Aggregated, &request),
    };
    let results = ask_all(state, &fed, organism, None, |_| Some(question.clone())).await;
    let g = gather(&fed, results);
    if let Some((node, detail)) = g.bad_request {
        return Err(format!("node {node}: {detail}"));
    }
    let named: Vec<(String, Table)> =
        fed.nodes.iter().zip(&g.tables).filter_map(|((n, _), t)| t.clone().map(|t| (n.clone(), t))).collect();
    let table = merge::aggregated(&named, &request).map_err(|e| e.to_string())?;
    Ok((table, incomplete(&g.statuses)))
}

/// This node's name in the network (`local` outside any network), its public URL if it has an
/// identity, and whether it has peers.
pub(crate) fn own_node(state: &AppState) -> (String, Option<String>, bool) {
    match state.federation_setup() {
        Ok(setup) => {
            (setup.identity.name.clone(), Some(setup.identity.url.clone()), !setup.peers.peers.is_empty())
        }
        Err(_) => ("local".to_owned(), None, false),
    }
}

/// Asks every node of `fed` its part of `question(node)` at once; each result with its time.
async fn ask_all(
    state: &AppState,
    fed: &Federation,
    organism: &str,
    viewer: Option<virion_store::UserId>,
    question: impl Fn(usize) -> Option<Question>,
) -> Vec<Option<(Result<PartAnswer, PeerError>, u64)>> {
    let mut tasks = Vec::new();
    for (i, (_, node)) in fed.nodes.iter().enumerate() {
        let Some(question) = question(i) else {
            tasks.push(None);
            continue;
        };
        let started = Instant::now();
        let (state, identity, own_name, organism, node, deadline, len) = (
            state.clone(),
            fed.identity.clone(),
            fed.own_name.clone(),
            organism.to_owned(),
            node.clone(),
            fed.deadline,
            fed.deadline_len,
        );
        tasks.push(Some(tokio::spawn(async move {
            let result = match node {
                Node::Own => {
                    let own = own_part(&state, &own_name, &organism, viewer, question, part::OWN);
                    match tokio::time::timeout_at(deadline.into(), own).await {
                        Ok(r) => r,
                        Err(_) => Err(PeerError::Timeout(len)),
                    }
                }
                Node::Peer(peer) => match identity {
                    Some(identity) => {
                        let request = PartRequest { organism, question };
                        tokio::task::spawn_blocking(move || client::ask(&identity, &peer, &request, deadline))
                            .await
                            .unwrap_or_else(|e| Err(PeerError::Unreachable(e.to_string())))
                    }
                    None => Err(PeerError::Unreachable("this node has no identity to sign with".into())),
                },
            };
            (result, started.elapsed().as_millis() as u64)
        })));
    }
    let mut out = Vec::with_capacity(tasks.len());
    for task in tasks {
        out.push(match task {
            Some(t) => Some(t.await.unwrap_or_else(|e| (Err(PeerError::Unreachable(e.to_string())), 0))),
            None => None,
        });
    }
    out
}

/// What came back from the nodes: each node's table (if it gave one) and status.
struct Gathered {
    tables: Vec<Option<Table>>,
    statuses: Vec<NodeStatus>,
    /// A node judged the request wrong: (node, its words).
    bad_request: Option<(String, String)>,
}

fn gather(fed: &Federation, results: Vec<Option<(Result<PartAnswer, PeerError>, u64)>>) -> Gathered {
    let mut g = Gathered { tables: Vec::new(), statuses: Vec::new(), bad_request: None };
    for ((name, _), result) in fed.nodes.iter().zip(results) {
        let Some((result, millis)) = result else {
            g.tables.push(None);
            continue;
        };
        let mut status = NodeStatus::new(name, millis);
        let table = match status.take(result) {
            Ok(PartBody::Table { table, withheld }) => {
                status.withheld_groups = withheld;
                Some(table)
            }
            Ok(PartBody::Withheld) => {
                status.status = "withheld";
                None
            }
            Ok(_) => {
                status.failed("it answered another question".into());
                None
            }
            Err(e) => {
                if e.is_bad_request() && g.bad_request.is_none() {
                    g.bad_request = Some((name.clone(), e.to_string()));
                }
                None
            }
        };
        g.tables.push(table);
        g.statuses.push(status);
    }
    g
}

fn incomplete(statuses: &[NodeStatus]) -> Vec<String> {
    statuses
        .iter()
        .filter(|s| s.status == "failed" || s.status == "timeout")
        .map(|s| s.node.clone())
        .collect()
}

fn federation_info(info: &mut Info, statuses: &[NodeStatus], withheld_sites: usize) {
    let missing = incomplete(statuses);
    let mut value = json!({
        "incomplete": !missing.is_empty(),
        "nodes": statuses,
    });
    if !missing.is_empty() {
        value["missingNodes"] = json!(missing);
    }
    if withheld_sites > 0 {
        value["withheldMutations"] = json!(withheld_sites);
    }
    info.federation = Some(value);
    info.data_version = statuses.iter().filter_map(|s| s.data_version).max();
}

/// What every federated LAPIS route reads first: the answer's info, the organism, the output
/// format, and the request with `node` and `requireAllNodes` taken out.
struct Asked {
    info: Info,
    organism: String,
    output: decode::Output,
    split: Split,
}

/// Reads a federated request (`sequences`: a sequence route's formats) or answers its problem.
fn read_asked(call: &LapisCall, sequences: bool, route: &str) -> Result<Asked, Response> {
    let mut info = Info { request_id: call.request_id.0.clone(), ..Info::default() };
    let Some(organism) = call.organism.clone() else {
        return Err(respond::problem(StatusCode::NOT_FOUND, "no organism", &info));
    };
    info.request_info = Some(respond::request_info(&format!("federation of {organism}"), &call.headers));
    let req = read_request(call.query.as_deref(), &call.headers, &call.body, &info)?;
    let output = decode::output(&req, &call.headers, sequences, route)
        .map_err(|e| respond::problem(StatusCode::BAD_REQUEST, e, &info))?;
    let split = split(req).map_err(|e| respond::problem(StatusCode::BAD_REQUEST, e, &info))?;
    Ok(Asked { info, organism, output, split })
}

/// The 503 of `requireAllNodes=true` when `missing` nodes gave no part.
fn refuse_incomplete(missing: &[String], info: &Info) -> Response {
    let mut r = respond::problem(
        StatusCode::SERVICE_UNAVAILABLE,
        format!("requireAllNodes: no complete answer from {}", missing.join(", ")),
        info,
    );
    r.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from_static("5"));
    r
}

/// A federated table endpoint.
async fn federated_table(call: LapisCall, endpoint: Endpoint) -> Response {
    let Asked { mut info, organism, output, split: Split { request: asked, nodes, require_all } } =
        match read_asked(&call, false, &format!("{endpoint:?}")) {
            Ok(a) => a,
            Err(r) => return r,
        };
    let fed = match federation(&call.state, &organism, nodes.as_deref()) {
        Ok(f) => f,
        Err(e) => return respond::problem(StatusCode::SERVICE_UNAVAILABLE, e, &info),
    };
    let viewer = call.user.0.as_ref().map(|u| u.id);
    // Nodes are asked without `node` among the fields; the merge puts it back.
    let mut node_request = asked.clone();
    node_request.fields.retain(|f| !is_node_field(f));
    if endpoint == Endpoint::Details && matches!(asked.order_by, virion_query::OrderBy::Random(_)) {
        let (statuses, merged) =
            random_details(&call.state, &fed, &organism, viewer, &asked, &node_request).await;
        let table = match merged {
            Ok(t) => t,
            Err(detail) => return respond::problem(StatusCode::BAD_REQUEST, detail, &info),
        };
        federation_info(&mut info, &statuses, 0);
        return table_answer(info, &statuses, require_all, Ok(table), &output);
    }
    let question = Question::Table { endpoint, request: part::part_request(endpoint, &node_request) };
    let results = ask_all(&call.state, &fed, &organism, viewer, |_| Some(question.clone())).await;
    let mut g = gather(&fed, results);
    if let Some((node, detail)) = g.bad_request {
        return respond::problem(StatusCode::BAD_REQUEST, format!("node {node}: {detail}"), &info);
    }
    let named = |g: &Gathered| -> Vec<(String, Table)> {
        fed.nodes.iter().zip(&g.tables).filter_map(|((n, _), t)| t.clone().map(|t| (n.clone(), t))).collect()
    };
    let mut withheld_sites = 0;
    let merged = match endpoint {
        Endpoint::Aggregated => merge::aggregated(&named(&g), &asked),
        Endpoint::Details => merge::details(&named(&g), &asked),
        Endpoint::NucleotideInsertions | Endpoint::AminoAcidInsertions => {
            merge::insertions(&named(&g), endpoint, &asked)
        }
        Endpoint::NucleotideMutations | Endpoint::AminoAcidMutations => {
            let mut sums = Mutations::default();
            let mut number = vec![None; fed.nodes.len()];
            for (i, t) in g.tables.iter().enumerate() {
                if let Some(t) = t {
                    match sums.add(t) {
                        Ok(k) => number[i] = Some(k),
                        Err(e) => return respond::problem(StatusCode::BAD_GATEWAY, e.to_string(), &info),
                    }
                }
            }
            // Round two: each node's count and coverage of the candidates it did not report.
            let missing: Vec<Vec<(String, Site, char)>> =
                number.iter().map(|k| k.map(|k| sums.missing(k)).unwrap_or_default()).collect();
            let amino_acid = endpoint == Endpoint::AminoAcidMutations;
            let second = ask_all(&call.state, &fed, &organism, viewer, |i| {
                (!missing[i].is_empty()).then(|| Question::Mutations {
                    amino_acid,
                    request: node_request.clone(),
                    mutations: missing[i].clone(),
                })
            })
            .await;
            for (i, result) in second.into_iter().enumerate() {
                let (Some((result, _)), Some(k)) = (result, number[i]) else { continue };
                match result {
                    Ok(PartAnswer { body: PartBody::Counts(counts), .. }) => {
                        sums.add_counts(k, &missing[i], &counts);
                    }
                    other => {
                        // A node that answered round one and failed round two leaves the
                        // answer incomplete like one that failed at once.
                        second_round_failed(&mut g.statuses, &fed.nodes[i].0, other);
                        g.tables[i] = None;
                    }
                }
            }
            withheld_sites = sums.withheld();
            sums.finish(endpoint, &asked)
        }
    };
    federation_info(&mut info, &g.statuses, withheld_sites);
    table_answer(info, &g.statuses, require_all, merged, &output)
}

/// A merged table as the asked format, with every node's status in `info`; a 503 when all
/// nodes were required and some are missing.
fn table_answer(
    info: Info,
    statuses: &[NodeStatus],
    require_all: bool,
    merged: Result<Table, virion_query::QueryError>,
    output: &decode::Output,
) -> Response {
    let missing = incomplete(statuses);
    if require_all && !missing.is_empty() {
        return refuse_incomplete(&missing, &info);
    }
    match merged {
        Ok(table) => {
            let mut r = respond::bytes_response(
                respond::table_bytes(&table, output, &info),
                output,
                info.data_version,
            );
            if !missing.is_empty()
                && let Ok(v) = axum::http::HeaderValue::from_str(&missing.join(","))
            {
                // CSV and TSV have no `info`: say it in a header.
                r.headers_mut().insert("virion-federation-incomplete", v);
            }
            r
        }
        Err(e) => respond::problem(StatusCode::BAD_REQUEST, e.to_string(), &info),
    }
}

/// Every node's facts about `organism`, as `viewer` on this node sees them: each node's status
/// and, where it answered, its facts.
pub(crate) async fn about_nodes(
    state: &AppState,
    organism: &str,
    viewer: Option<virion_store::UserId>,
) -> Result<Vec<(NodeStatus, Option<About>)>, String> {
    let fed = federation(state, organism, None)?;
    let results = ask_all(state, &fed, organism, viewer, |_| Some(Question::About)).await;
    let mut out = Vec::new();
    for ((name, _), result) in fed.nodes.iter().zip(results) {
        let Some((result, millis)) = result else { continue };
        let mut status = NodeStatus::new(name, millis);
        let about = match status.take(result) {
            Ok(PartBody::About(a)) => Some(a),
            Ok(_) => {
                status.status = "withheld";
                None
            }
            Err(_) => None,
        };
        out.push((status, about));
    }
    Ok(out)
}

/// `GET /federation/{organism}/sample/info`: every node asked, its status, data version,
/// genome count (where shared) and fields; `fields` the nodes have in common.
async fn federated_info(call: LapisCall) -> Response {
    let mut info = Info { request_id: call.request_id.0.clone(), ..Info::default() };
    let Some(organism) = call.organism.clone() else {
        return respond::problem(StatusCode::NOT_FOUND, "no organism", &info);
    };
    let viewer = call.user.0.as_ref().map(|u| u.id);
    let nodes = match about_nodes(&call.state, &organism, viewer).await {
        Ok(n) => n,
        Err(e) => return respond::problem(StatusCode::SERVICE_UNAVAILABLE, e, &info),
    };
    let asker = call.state.federation_setup().map(|s| s.identity.name.clone()).unwrap_or_default();
    let mut common: Option<Vec<(String, String)>> = None;
    let mut genomes = Vec::new();
    let mut statuses = Vec::new();
    for (status, about) in nodes {
        if let Some(about) = about {
            genomes.push(json!({ "node": status.node, "genomes": about.genomes }));
            common = Some(match common {
                None => about.fields,
                Some(c) => c.into_iter().filter(|f| about.fields.contains(f)).collect(),
            });
        }
        statuses.push(status);
    }
    federation_info(&mut info, &statuses, 0);
    let fields: Vec<serde_json::Value> = common
        .unwrap_or_default()
        .into_iter()
        .map(|(name, kind)| json!({ "name": name, "type": kind }))
        .collect();
    let body = json!({
        "organism": organism,
        "asker": asker,
        "fields": fields,
        "genomes": genomes,
        "info": info.json(),
    });
    respond::with_version(Json(body).into_response(), info.data_version)
}

/// Which time series.
#[derive(Debug, Clone, Copy)]
enum SeriesKind {
    Mutations { amino_acid: bool },
    Queries,
}

/// `POST /federation/{organism}/component/…OverTime`: every node's counts and coverages per
/// item and date range, added cell by cell.
async fn federated_series(call: LapisCall, kind: SeriesKind) -> Response {
    let mut info = Info { request_id: call.request_id.0.clone(), ..Info::default() };
    let Some(organism) = call.organism.clone() else {
        return respond::problem(StatusCode::NOT_FOUND, "no organism", &info);
    };
    info.request_info = Some(respond::request_info(&format!("federation of {organism}"), &call.headers));
    let read = match kind {
        SeriesKind::Mutations { amino_acid } => series::read_mutations_series(&call.body)
            .map(|(req, mutations)| (req, SeriesItems::Mutations { amino_acid, mutations })),
        SeriesKind::Queries => {
            series::read_queries_series(&call.body).map(|(req, queries)| (req, SeriesItems::Queries(queries)))
        }
    };
    let (req, items) = match read {
        Ok(r) => r,
        Err(e) => return respond::problem(StatusCode::BAD_REQUEST, e, &info),
    };
    let Split { request: filters, nodes, require_all } = match split(req.filters.clone()) {
        Ok(s) => s,
        Err(e) => return respond::problem(StatusCode::BAD_REQUEST, e, &info),
    };
    let fed = match federation(&call.state, &organism, nodes.as_deref()) {
        Ok(f) => f,
        Err(e) => return respond::problem(StatusCode::SERVICE_UNAVAILABLE, e, &info),
    };
    let question = Question::Series {
        request: filters,
        date_field: req.date_field.clone(),
        ranges: req.date_ranges.iter().map(|r| (r.date_from.clone(), r.date_to.clone())).collect(),
        items,
    };
    let viewer = call.user.0.as_ref().map(|u| u.id);
    let results = ask_all(&call.state, &fed, &organism, viewer, |_| Some(question.clone())).await;
    let mut parts = Vec::new();
    let mut statuses = Vec::new();
    let mut bad_request = None;
    for ((name, _), result) in fed.nodes.iter().zip(results) {
        let Some((result, millis)) = result else { continue };
        let mut status = NodeStatus::new(name, millis);
        match status.take(result) {
            Ok(PartBody::Series(part)) => {
                status.withheld_groups = part.cells.iter().flatten().filter(|c| c.is_none()).count() as u64;
                parts.push(part);
            }
            Ok(PartBody::Withheld) => status.status = "withheld",
            Ok(_) => status.failed("it answered another question".into()),
            Err(e) => {
                if e.is_bad_request() && bad_request.is_none() {
                    bad_request = Some(format!("node {name}: {e}"));
                }
            }
        }
        statuses.push(status);
    }
    if let Some(detail) = bad_request {
        return respond::problem(StatusCode::BAD_REQUEST, detail, &info);
    }
    federation_info(&mut info, &statuses, 0);
    let missing = incomplete(&statuses);
    if require_all && !missing.is_empty() {
        let detail = format!("requireAllNodes: no complete answer from {}", missing.join(", "));
        return respond::problem(StatusCode::SERVICE_UNAVAILABLE, detail, &info);
    }
    let mut merged = merge::series(&parts);
    if parts.is_empty() {
        // No node answered: every cell is an empty count, labelled as asked.
        merged.series.labels = match &question {
            Question::Series { items: SeriesItems::Mutations { mutations, .. }, .. } => mutations.clone(),
            Question::Series { items: SeriesItems::Queries(q), .. } => {
                q.iter().map(|q| q.0.clone()).collect()
            }
            _ => Vec::new(),
        };
        merged.series.cells = vec![vec![(0, 0); req.ranges.len()]; merged.series.labels.len()];
        merged.series.totals = vec![0; req.ranges.len()];
    }
    let label_key = if matches!(kind, SeriesKind::Queries) { "queries" } else { "mutations" };
    series::series_body(label_key, merged.series, &req.date_ranges, &info)
}

/// A seed of its own for each node, from the request's seed and the node's name: the nodes'
/// random orders are independent.
fn node_seed(seed: u64, name: &str) -> u64 {
    name.bytes().fold(seed, |h, b| virion_query::mix(h, u64::from(b)))
}

/// `details` in a random order without every node sending every row: round one counts each
/// node's matching rows (nodes sharing records only), [`merge::random_draw`] decides from which
/// node each row of the page comes, round two asks each node for that many rows in its own
/// random order. `Err`: a node judged the request wrong (its words, naming it).
async fn random_details(
    state: &AppState,
    fed: &Federation,
    organism: &str,
    viewer: Option<virion_store::UserId>,
    asked: &LapisRequest,
    node_request: &LapisRequest,
) -> (Vec<NodeStatus>, Result<Table, String>) {
    let seed = virion_query::seed_of(&asked.order_by).unwrap_or(0);
    let counting = Question::Table {
        endpoint: Endpoint::Aggregated,
        request: part::part_request(
            Endpoint::Aggregated,
            &LapisRequest { fields: Vec::new(), ..node_request.clone() },
        ),
    };
    let results = ask_all(state, fed, organism, viewer, |_| Some(counting.clone())).await;
    let mut g = gather(fed, results);
    if let Some((node, detail)) = g.bad_request {
        return (g.statuses, Err(format!("node {node}: {detail}")));
    }
    let counts: Vec<u64> =
        g.tables
            .iter()
            .zip(&mut g.statuses)
            .map(|(t, status)| match t {
                Some(t) if status.level == Some(Level::Records) => {
                    t.rows.first().and_then(|r| r.last()).map_or(0, |c| {
                        if let virion_query::Cell::Int(n) = c { (*n).max(0) as u64 } else { 0 }
                    })
                }
                Some(_) => {
                    // Counts are shared, rows are not.
                    status.status = "withheld";
                    0
                }
                None => 0,
            })
            .collect();
    let total: u64 = counts.iter().sum();
    let wanted = asked.limit.map_or(total as usize, |l| l.saturating_add(asked.offset));
    let draw = merge::random_draw(seed, &counts, wanted);
    let mut take = vec![0usize; counts.len()];
    for &n in &draw {
        take[n] += 1;
    }
    let results = ask_all(state, fed, organism, viewer, |i| {
        (take[i] > 0).then(|| Question::Table {
            endpoint: Endpoint::Details,
            request: LapisRequest {
                order_by: virion_query::OrderBy::Random(Some(node_seed(seed, &fed.nodes[i].0))),
                limit: Some(take[i]),
                offset: 0,
                ..node_request.clone()
            },
        })
    })
    .await;
    // The parts that came, and where each node's rows sit among them.
    let mut parts = Vec::new();
    let mut at = vec![None; fed.nodes.len()];
    for (i, result) in results.into_iter().enumerate() {
        let Some((result, _)) = result else { continue };
        match result {
            Ok(PartAnswer { body: PartBody::Table { table, .. }, .. }) => {
                at[i] = Some(parts.len());
                parts.push((fed.nodes[i].0.clone(), table));
            }
            other => second_round_failed(&mut g.statuses, &fed.nodes[i].0, other),
        }
    }
    // Rows of a node that failed round two are left out: the answer says it is incomplete.
    let draw: Vec<usize> = draw.into_iter().filter_map(|n| at[n]).collect();
    let table = merge::details_random(&parts, &draw, asked);
    (g.statuses, Ok(table))
}
