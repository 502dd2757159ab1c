//! Placement on the reference tree: nearest node, clade and clade-like attributes, private
//! mutations — assembled from the tree crate in the shape the outputs and QC need.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use serde::Serialize;
use virion_core::{AaRange, Nuc, NucRange, NucRefPos, SymbolRange};
use virion_translate::{AaChanges, Translation};
use virion_tree::{PrivateAaMutations, PrivateNucMutations, QueryAaMuts, QueryMuts, RefTree};

use crate::dataset::Dataset;
use crate::nuc_changes::NucChanges;

/// Where the query sits on the reference tree.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Placement {
    pub nearest_node_name: String,
    /// Index of the node in the tree's pre-order.
    pub nearest_node: usize,
    /// Nextclade's placement distance to that node.
    pub distance: i64,
    pub clade: Option<String>,
    /// The tree's clade-like attributes (`Nextclade_pango`, `clade_who`, …) of the nearest node,
    /// in the tree's declaration order.
    pub clade_attrs: IndexMap<String, String>,
    pub private_nuc: PrivateNucMutations,
    /// Per CDS, sorted by name (the order nextclade.tsv lists them in).
    pub private_aa: BTreeMap<String, PrivateAaMutations>,
}

impl Placement {
    pub fn clade_attr(&self, key: &str) -> Option<&str> {
        self.clade_attrs.get(key).map(String::as_str)
    }

    /// Amino-acid private mutations of every CDS, one list after another.
    pub fn private_aa_all<'a, T: 'a>(
        &'a self,
        field: impl Fn(&'a PrivateAaMutations) -> &'a [T] + 'a,
    ) -> impl Iterator<Item = &'a T> + 'a {
        self.private_aa.values().flat_map(field)
    }
}

/// Places a query, given what the earlier steps found about it.
pub fn place(
    ds: &Dataset,
    tree: &RefTree,
    nuc: &NucChanges,
    missing: &[SymbolRange<Nuc>],
    non_acgtns: &[SymbolRange<Nuc>],
    aa: &AaChanges,
    translation: &Translation,
) -> Placement {
    let missing_ranges: Vec<NucRange> = missing.iter().map(|m| m.range).collect();
    let query = QueryMuts {
        substitutions: &nuc.substitutions,
        deletions: &nuc.deletions,
        missing: &missing_ranges,
        non_acgtns,
        alignment_range: nuc.alignment_range,
    };
    let nearest = tree.find_nearest_node(&query);
    let node = tree.node(nearest.node);
    let mut clade_attrs = tree.clade_attributes(nearest.node);
    let clade = clade_attrs.shift_remove("clade");
    let private_nuc =
        tree.find_private_nuc_mutations(nearest.node, &query, &ds.data.reference, &ds.nuc_labels);

    // Only CDSes translated for this query take part, as in Nextclade.
    let mut private_aa = BTreeMap::new();
    for cds in &translation.cdses {
        let name = cds.name.as_str();
        let substitutions: Vec<_> = aa.substitutions.iter().filter(|s| s.cds == name).cloned().collect();
        let deletions: Vec<_> = aa.deletions.iter().filter(|s| s.cds == name).cloned().collect();
        let unknown: Vec<AaRange> =
            aa.unknown_aa_ranges.iter().filter(|r| r.cds == name).map(|r| r.range).collect();
        let query_aa = QueryAaMuts {
            cds: name,
            substitutions: &substitutions,
            deletions: &deletions,
            unknown: &unknown,
            unsequenced: &cds.unsequenced_ranges,
        };
        private_aa.insert(name.to_owned(), tree.find_private_aa_mutations(nearest.node, &query_aa));
    }

    Placement {
        nearest_node_name: node.name.clone(),
        nearest_node: nearest.node,
        distance: nearest.distance,
        clade,
        clade_attrs,
        private_nuc,
        private_aa,
    }
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
    pub fn qc_counts(&self) -> QcCounts {
        let n = &self.private_nuc;
        QcCounts {
            substitution_positions: n.private_substitutions.iter().map(|s| s.pos).collect(),
            deletion_positions: n.private_deletions.iter().map(|d| d.pos).collect(),
            reversions: n.reversion_substitutions.len(),
            labeled: n.labeled_substitutions.len(),
            unlabeled: n.unlabeled_substitutions.len(),
        }
    }
}
