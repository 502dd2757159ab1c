//! Errors raised while reading and preparing a reference tree.

use virion_core::{Aa, Nuc};

/// Why a tree.json could not be read, or does not fit the reference it is used with.
#[derive(Debug, thiserror::Error)]
pub enum TreeError {
    /// The text is not JSON, or not shaped like an Auspice v2 tree.
    #[error("tree.json is not valid Auspice v2 JSON: {0}")]
    Json(#[from] serde_json::Error),

    /// The JSON document has no `tree` object at its top level.
    #[error("tree.json has no `tree` object at its top level (not an Auspice v2 tree)")]
    NoTree,

    /// A branch mutation that does not parse (`C241T`, `N501Y`).
    #[error("tree node '{node}': cannot parse mutation '{mutation}' in branch_attrs.mutations.{cds}")]
    InvalidMutation {
        /// The node's name.
        node: String,
        /// `nuc`, or the CDS the mutation is listed under.
        cds: String,
        /// The mutation as written.
        mutation: String,
    },

    /// A branch mutation at a position past the end of the reference genome or peptide.
    #[error(
        "tree node '{node}': mutation {mutation} lies outside the reference \
         ('{cds}', length {len})"
    )]
    MutationOutOfRange {
        /// The node's name.
        node: String,
        /// `nuc`, or the CDS the mutation is listed under.
        cds: String,
        /// The mutation as written.
        mutation: String,
        /// Length of the reference genome or peptide.
        len: usize,
    },

    /// A nucleotide branch mutation whose "from" letter is not the state the node inherits: the tree does
    /// not fit the reference.
    #[error(
        "tree node '{node}': nucleotide mutation {mutation} starts from '{found}', but the state \
         inherited from the root (or the reference) is '{expected}'"
    )]
    InconsistentNucMutation {
        /// The node's name.
        node: String,
        /// The mutation as written.
        mutation: String,
        /// The inherited letter.
        expected: Nuc,
        /// The mutation's "from" letter.
        found: Nuc,
    },

    /// An amino-acid branch mutation whose "from" letter is not the state the node inherits.
    #[error(
        "tree node '{node}': amino-acid mutation {cds}:{mutation} starts from '{found}', but the \
         state inherited from the root (or the reference peptide) is '{expected}'"
    )]
    InconsistentAaMutation {
        /// The node's name.
        node: String,
        /// The CDS the mutation is listed under.
        cds: String,
        /// The mutation as written.
        mutation: String,
        /// The inherited letter.
        expected: Aa,
        /// The mutation's "from" letter.
        found: Aa,
    },

    /// A placement mask range that ends before it begins.
    #[error("meta.extensions.nextclade.placement_mask_ranges[{index}]: begin {begin} > end {end}")]
    InvalidMaskRange {
        /// 0-based index of the range in the list.
        index: usize,
        /// Its begin, as written.
        begin: i64,
        /// Its end, as written.
        end: i64,
    },
}
