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

pub(crate) mod decode;
pub mod handlers;
pub(crate) mod respond;
pub mod series;

use axum::Router;
use axum::routing::{any, get, post};

use crate::state::AppState;

/// Every LAPIS route.
pub(crate) fn routes() -> Router<AppState> {
    use handlers as h;
    use series as s;
    let mut r = Router::new();
    // (path under the root, with-organism handler, default-organism handler)
    macro_rules! both {
        ($path:literal, $with:expr, $default:expr) => {
            r = r
                .route(concat!("/{organism}", $path), get($with).post($with))
                .route($path, get($default).post($default));
        };
    }
    both!("/sample/aggregated", h::aggregated, h::aggregated_default);
    both!("/sample/details", h::details, h::details_default);
    both!("/sample/nucleotideMutations", h::nucleotide_mutations, h::nucleotide_mutations_default);
    both!("/sample/aminoAcidMutations", h::amino_acid_mutations, h::amino_acid_mutations_default);
    both!("/sample/nucleotideInsertions", h::nucleotide_insertions, h::nucleotide_insertions_default);
    both!("/sample/aminoAcidInsertions", h::amino_acid_insertions, h::amino_acid_insertions_default);
    both!("/sample/alignedNucleotideSequences", h::aligned_nucleotides, h::aligned_nucleotides_default);
    both!(
        "/sample/alignedNucleotideSequences/{name}",
        h::aligned_nucleotides_named,
        h::aligned_nucleotides_default_named
    );
    both!("/sample/unalignedNucleotideSequences", h::unaligned_nucleotides, h::unaligned_nucleotides_default);
    both!(
        "/sample/unalignedNucleotideSequences/{name}",
        h::unaligned_nucleotides_named,
        h::unaligned_nucleotides_default_named
    );
    both!("/sample/alignedAminoAcidSequences", h::aligned_amino_acids, h::aligned_amino_acids_default);
    both!(
        "/sample/alignedAminoAcidSequences/{name}",
        h::aligned_amino_acids_named,
        h::aligned_amino_acids_default_named
    );
    r.route("/{organism}/sample/info", get(h::info_route))
        .route("/sample/info", get(h::info_default))
        .route("/{organism}/sample/databaseConfig", get(h::config_route))
        .route("/sample/databaseConfig", get(h::config_default))
        .route("/{organism}/sample/referenceGenome", get(h::reference_route))
        .route("/sample/referenceGenome", get(h::reference_default))
        .route("/{organism}/sample/lineageDefinition/{column}", get(h::lineage_route))
        .route("/sample/lineageDefinition/{column}", get(h::lineage_default))
        .route("/{organism}/component/nucleotideMutationsOverTime", post(s::nucleotide_mutations_over_time))
        .route("/component/nucleotideMutationsOverTime", post(s::nucleotide_mutations_over_time_default))
        .route("/{organism}/component/aminoAcidMutationsOverTime", post(s::amino_acid_mutations_over_time))
        .route("/component/aminoAcidMutationsOverTime", post(s::amino_acid_mutations_over_time_default))
        .route("/{organism}/component/queriesOverTime", post(s::queries_over_time))
        .route("/component/queriesOverTime", post(s::queries_over_time_default))
        .route("/query/parse", post(s::query_parse))
        .route("/{organism}/query/parse", post(s::query_parse_for))
        .route("/actuator/health", get(h::health))
        .route("/{organism}/actuator/health", get(h::health))
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
