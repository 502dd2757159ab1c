//! Placement on the reference tree, in the shape the outputs and QC need.

use indexmap::IndexMap;
use serde::Serialize;
use virion_core::{AaSub, NucRefPos, NucSub};

/// Private nucleotide mutations: how the query differs from its nearest tree node.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PrivateNucMutations {
    pub private_substitutions: Vec<NucSub>,
    /// Deleted positions, one entry per base.
    pub private_deletions: Vec<NucRefPos>,
    /// Substitutions back to the reference letter where the node carries a mutation.
    pub reversion_substitutions: Vec<NucSub>,
    /// Substitutions the dataset labels (usually with clades they define).
    pub labeled_substitutions: Vec<(NucSub, Vec<String>)>,
    pub unlabeled_substitutions: Vec<NucSub>,
}

impl PrivateNucMutations {
    pub fn total_private_substitutions(&self) -> usize {
        self.private_substitutions.len()
    }
}

/// Private amino-acid mutations over all CDSes.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PrivateAaMutations {
    pub private_substitutions: Vec<AaSub>,
    pub private_deletions: Vec<AaSub>,
    pub reversion_substitutions: Vec<AaSub>,
    pub labeled_substitutions: Vec<(AaSub, Vec<String>)>,
    pub unlabeled_substitutions: Vec<AaSub>,
}

impl PrivateAaMutations {
    pub fn total_private_substitutions(&self) -> usize {
        self.private_substitutions.len()
    }
}

/// Where the query sits on the reference tree.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Placement {
    pub nearest_node_name: String,
    pub clade: Option<String>,
    /// The tree's clade-like attributes (`Nextclade_pango`, `clade_who`, …) of the nearest node.
    pub clade_attrs: IndexMap<String, String>,
    pub private_nuc: PrivateNucMutations,
    pub private_aa: PrivateAaMutations,
}

/// What the QC rules need from placement.
#[derive(Debug, Clone, Default)]
pub struct QcCounts {
    pub substitution_positions: Vec<NucRefPos>,
    pub deletion_positions: Vec<NucRefPos>,
    pub reversions: usize,
    pub labeled: usize,
    pub unlabeled: usize,
}

impl Placement {
    pub fn clade_attr(&self, key: &str) -> Option<&str> {
        self.clade_attrs.get(key).map(String::as_str)
    }

    pub fn qc_counts(&self) -> QcCounts {
        let n = &self.private_nuc;
        QcCounts {
            substitution_positions: n.private_substitutions.iter().map(|s| s.pos).collect(),
            deletion_positions: n.private_deletions.clone(),
            reversions: n.reversion_substitutions.len(),
            labeled: n.labeled_substitutions.len(),
            unlabeled: n.unlabeled_substitutions.len(),
        }
    }
}
#[derive(Debug)]
pub struct TreeStub;
