//! The LAPIS v2 query API: one root per organism (`/{organism}/sample/…`,
//! `/{organism}/component/…`) and the default organism's at `/sample/…`.
//!
//! `virion_collections` keeps each collection's index current and runs the questions;
//! `decode` reads requests and decides the answer's format and compression; [`handlers`]
//! answers the sample routes; [`series`] the time-series components; `respond` writes answers
//! and maps a `CollectionError` to a LAPIS problem.

// Handlers' errors are finished responses (a LAPIS problem with its `info`), returned as they
// are: boxing them would only move the size.
#![allow(clippy::result_large_err)]

pub(crate) mod call;
pub(crate) mod decode;
pub mod handlers;
pub(crate) mod package;
pub(crate) mod respond;
pub mod series;

use axum::Router;
use axum::handler::Handler;
use axum::routing::{MethodFilter, MethodRouter, any, on};
use virion_query::execute::Endpoint;

use crate::state::AppState;
use call::LapisCall;
use handlers::SequenceKind;

/// The methods a LAPIS route answers: one value serves the router and the API document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Methods {
    Get,
    Post,
    GetPost,
}

impl Methods {
    fn filter(self) -> MethodFilter {
        match self {
            Methods::Get => MethodFilter::GET,
            Methods::Post => MethodFilter::POST,
            Methods::GetPost => MethodFilter::GET.or(MethodFilter::POST),
        }
    }

    /// Lower-case names, as the OpenAPI document keys operations.
    pub(crate) fn names(self) -> &'static [&'static str] {
        match self {
            Methods::Get => &["get"],
            Methods::Post => &["post"],
            Methods::GetPost => &["get", "post"],
        }
    }
}

/// What the API document says about a LAPIS route; its path parameters come from its path
/// (see `crate::openapi`).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Doc {
    /// Rows as JSON, CSV or TSV under LAPIS's filters.
    Table(&'static str),
    /// Sequences as FASTA, JSON or NDJSON under LAPIS's filters.
    Sequences(&'static str),
    MostRecentCommonAncestor,
    PhyloSubtree,
    /// JSON or YAML about the organism's data, without filters.
    About(&'static str),
    /// A time series; its body is read as `series::MutationsOverTimeRequest` or
    /// `series::QueriesOverTimeRequest`.
    MutationsOverTime,
    QueriesOverTime,
    /// Its body is read as `series::QueryParseRequest`.
    QueryParse,
    Health,
    /// The node-to-node route of federation (a signed part request).
    NodePart,
}

/// One LAPIS route: its path under a root, the methods it answers and its handler, and what
/// the API document says about it. The router and the document are both built from
/// [`table`], so they cannot disagree.
pub(crate) struct LapisRoute {
    pub(crate) path: &'static str,
    pub(crate) methods: Methods,
    pub(crate) doc: Doc,
    router: MethodRouter<AppState>,
}

fn route<H, T>(path: &'static str, methods: Methods, handler: H, doc: Doc) -> LapisRoute
where
    H: Handler<T, AppState>,
    T: 'static,
{
    LapisRoute { path, methods, doc, router: on(methods.filter(), handler) }
}

/// Every LAPIS route, as served under each root.
pub(crate) fn table() -> Vec<LapisRoute> {
    use Methods::{Get, GetPost, Post};
    use handlers as h;
    // Data routes answer `package=ro-crate` too (see `package`).
    let rows = |endpoint: Endpoint| {
        move |call: LapisCall| {
            let kind =
                if endpoint == Endpoint::Details { package::Rows::Listed } else { package::Rows::Aggregated };
            package::maybe(call, kind, move |call| h::table(call, endpoint))
        }
    };
    let sequences = |kind: SequenceKind| {
        move |call: LapisCall| {
            package::maybe(call, package::Rows::Listed, move |call| h::sequences(call, kind))
        }
    };
    vec![
        route(
            "/sample/aggregated",
            GetPost,
            rows(Endpoint::Aggregated),
            Doc::Table(
                "Counts of the matching genomes, grouped by `fields` (date.year, date.month, date.isoWeek too).",
            ),
        ),
        route(
            "/sample/details",
            GetPost,
            rows(Endpoint::Details),
            Doc::Table("Metadata of the matching genomes."),
        ),
        route(
            "/sample/nucleotideMutations",
            GetPost,
            rows(Endpoint::NucleotideMutations),
            Doc::Table(
                "Nucleotide mutations with count, coverage and proportion ≥ minProportion (default 0.05).",
            ),
        ),
        route(
            "/sample/aminoAcidMutations",
            GetPost,
            rows(Endpoint::AminoAcidMutations),
            Doc::Table(
                "Amino-acid mutations with count, coverage and proportion ≥ minProportion (default 0.05).",
            ),
        ),
        route(
            "/sample/nucleotideInsertions",
            GetPost,
            rows(Endpoint::NucleotideInsertions),
            Doc::Table("Nucleotide insertions (ins_[segment:]pos:bases) with counts."),
        ),
        route(
            "/sample/aminoAcidInsertions",
            GetPost,
            rows(Endpoint::AminoAcidInsertions),
            Doc::Table("Amino-acid insertions (ins_gene:pos:residues) with counts."),
        ),
        route("/sample/mostRecentCommonAncestor", GetPost, h::mrca, Doc::MostRecentCommonAncestor),
        route("/sample/phyloSubtree", GetPost, h::phylo_subtree, Doc::PhyloSubtree),
        route(
            "/sample/alignedNucleotideSequences",
            GetPost,
            sequences(SequenceKind::AlignedNucleotide),
            Doc::Sequences("Aligned nucleotide sequences of every segment."),
        ),
        route(
            "/sample/alignedNucleotideSequences/{name}",
            GetPost,
            sequences(SequenceKind::AlignedNucleotide),
            Doc::Sequences("The aligned sequence of one segment."),
        ),
        route(
            "/sample/unalignedNucleotideSequences",
            GetPost,
            sequences(SequenceKind::UnalignedNucleotide),
            Doc::Sequences("Unaligned (as submitted) nucleotide sequences."),
        ),
        route(
            "/sample/unalignedNucleotideSequences/{name}",
            GetPost,
            sequences(SequenceKind::UnalignedNucleotide),
            Doc::Sequences("The unaligned sequence of one segment."),
        ),
        route(
            "/sample/alignedAminoAcidSequences",
            GetPost,
            sequences(SequenceKind::AlignedAminoAcid),
            Doc::Sequences("Aligned peptides of every gene."),
        ),
        route(
            "/sample/alignedAminoAcidSequences/{name}",
            GetPost,
            sequences(SequenceKind::AlignedAminoAcid),
            Doc::Sequences("The aligned peptide of one gene."),
        ),
        route(
            "/sample/info",
            Get,
            h::sample_info,
            Doc::About("Data version and genome count of the query index."),
        ),
        route(
            "/sample/databaseConfig",
            Get,
            h::database_config,
            Doc::About("The query schema (fields and types), as SILO's database_config."),
        ),
        route(
            "/sample/referenceGenome",
            Get,
            h::reference_genome,
            Doc::About("Reference segments and gene peptides."),
        ),
        route(
            "/sample/lineageDefinition/{column}",
            Get,
            h::lineage_definition,
            Doc::About("The lineage DAG of a lineage column as YAML {label: {parents, aliases}}."),
        ),
        route(
            "/component/nucleotideMutationsOverTime",
            Post,
            |c: LapisCall| series::mutations_over_time(c, false),
            Doc::MutationsOverTime,
        ),
        route(
            "/component/aminoAcidMutationsOverTime",
            Post,
            |c: LapisCall| series::mutations_over_time(c, true),
            Doc::MutationsOverTime,
        ),
        route("/component/queriesOverTime", Post, series::queries_over_time, Doc::QueriesOverTime),
        route("/query/parse", Post, series::query_parse, Doc::QueryParse),
        route("/actuator/health", Get, h::health, Doc::Health),
    ]
}

/// Every LAPIS route's path (under a root) and methods, for checks of the API document.
pub fn route_paths() -> Vec<(&'static str, &'static [&'static str])> {
    table().into_iter().map(|r| (r.path, r.methods.names())).collect()
}

/// Every LAPIS route, each under the default organism's root and under `/{organism}`.
pub(crate) fn routes() -> Router<AppState> {
    table()
        .into_iter()
        .fold(Router::new(), |r, route| {
            r.route(&format!("/{{organism}}{}", route.path), route.router.clone())
                .route(route.path, route.router)
        })
        .merge(unknown_under_roots())
}

/// Under a LAPIS root an unknown path is a 404 problem, never a portal page. These catch-alls
/// are no routes a client uses, so the API document does not list them.
fn unknown_under_roots() -> Router<AppState> {
    const ROOTS: [&str; 4] = ["/sample/", "/{organism}/sample/", "/component/", "/{organism}/component/"];
    ROOTS
        .iter()
        .fold(Router::new(), |r, root| r.route(&format!("{root}{{*rest}}"), any(handlers::unknown_route)))
}
