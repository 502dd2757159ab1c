//! Errors raised while reading and preparing a reference tree.

use virion_core::{Aa, Nuc};

/// Why a tree.json could not be read, or does not fit the reference it is used with.
#[derive(Debug, thiserror::Error)]
pub enum TreeError {
    #[error("tree.json is not valid Auspice v2 JSON: {0}")]
    Json(#[from] serde_json::Error),

    #[error("tree node '{node}': cannot parse mutation '{mutation}' in branch_attrs.mutations.{cds}")]
    InvalidMutation { node: String, cds: String, mutation: String },

    #[error(
        "tree node '{node}': mutation {mutation} lies outside the reference \
         ('{cds}', length {len})"
    )]
    MutationOutOfRange { node: String, cds: String, mutation: String, len: usize },

    #[error(
        "tree node '{node}': nucleotide mutation {mutation} starts from '{found}', but the state \
         inherited from the root (or the reference) is '{expected}'"
    )]
    InconsistentNucMutation { node: String, mutation: String, expected: Nuc, found: Nuc },

    #[error(
        "tree node '{node}': amino-acid mutation {cds}:{mutation} starts from '{found}', but the \
         state inherited from the root (or the reference peptide) is '{expected}'"
    )]
    InconsistentAaMutation { node: String, cds: String, mutation: String, expected: Aa, found: Aa },

    #[error("meta.extensions.nextclade.placement_mask_ranges[{index}]: begin {begin} > end {end}")]
    InvalidMaskRange { index: usize, begin: i64, end: i64 },
}
