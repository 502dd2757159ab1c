//! The LAPIS v2 query API: one root per organism (`/{organism}/sample/…`,
//! `/{organism}/component/…`) and the default organism's at `/sample/…`.
//!
//! `virion_collections` keeps each collection's index current and runs the questions;
//! [`decode`] reads requests and decides the answer's format and compression; [`handlers`]
//! answers the sample routes; [`series`] the time-series components; [`respond`] writes answers
//! and maps a `CollectionError` to a LAPIS problem.

// Handlers' errors are finished responses (a LAPIS problem with its `info`), returned as they
// are: boxing them would only move the size.
#![allow(clippy::result_large_err)]

mod call;
pub(crate) mod decode;
pub mod handlers;
pub(crate) mod respond;
pub mod series;

use axum::Router;
use axum::routing::{MethodRouter, any, get, post};
use virion_query::execute::Endpoint;

use crate::state::AppState;
use call::LapisCall;
use handlers::SequenceKind;

/// Every LAPIS route, each under the default organism's root and under `/{organism}`.
pub(crate) fn routes() -> Router<AppState> {
    use handlers as h;
    let table = |endpoint: Endpoint| {
        let answer = move |call: LapisCall| h::table(call, endpoint);
        get(answer).post(answer)
    };
    let sequences = |kind: SequenceKind| {
        let answer = move |call: LapisCall| h::sequences(call, kind);
        get(answer).post(answer)
    };
    let routes: Vec<(&str, MethodRouter<AppState>)> = vec![
        ("/sample/aggregated", table(Endpoint::Aggregated)),
        ("/sample/details", table(Endpoint::Details)),
        ("/sample/nucleotideMutations", table(Endpoint::NucleotideMutations)),
        ("/sample/aminoAcidMutations", table(Endpoint::AminoAcidMutations)),
        ("/sample/nucleotideInsertions", table(Endpoint::NucleotideInsertions)),
        ("/sample/aminoAcidInsertions", table(Endpoint::AminoAcidInsertions)),
        ("/sample/mostRecentCommonAncestor", get(h::mrca).post(h::mrca)),
        ("/sample/phyloSubtree", get(h::phylo_subtree).post(h::phylo_subtree)),
        ("/sample/alignedNucleotideSequences", sequences(SequenceKind::AlignedNucleotide)),
        ("/sample/alignedNucleotideSequences/{name}", sequences(SequenceKind::AlignedNucleotide)),
        ("/sample/unalignedNucleotideSequences", sequences(SequenceKind::UnalignedNucleotide)),
        ("/sample/unalignedNucleotideSequences/{name}", sequences(SequenceKind::UnalignedNucleotide)),
        ("/sample/alignedAminoAcidSequences", sequences(SequenceKind::AlignedAminoAcid)),
        ("/sample/alignedAminoAcidSequences/{name}", sequences(SequenceKind::AlignedAminoAcid)),
        ("/sample/info", get(h::sample_info)),
        ("/sample/databaseConfig", get(h::database_config)),
        ("/sample/referenceGenome", get(h::reference_genome)),
        ("/sample/lineageDefinition/{column}", get(h::lineage_definition)),
        (
            "/component/nucleotideMutationsOverTime",
            post(|c: LapisCall| series::mutations_over_time(c, false)),
        ),
        ("/component/aminoAcidMutationsOverTime", post(|c: LapisCall| series::mutations_over_time(c, true))),
        ("/component/queriesOverTime", post(series::queries_over_time)),
        ("/query/parse", post(series::query_parse)),
        ("/actuator/health", get(h::health)),
    ];
    routes
        .into_iter()
        .fold(Router::new(), |r, (path, method)| {
            r.route(&format!("/{{organism}}{path}"), method.clone()).route(path, method)
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
