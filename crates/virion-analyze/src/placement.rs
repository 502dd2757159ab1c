//! Placement on the reference tree: nearest node, clade and clade-like attributes, private
//! mutations, divergence, clade founders and reference nodes with the mutations relative to them
//! — assembled from the tree crate in the shape the outputs and QC need.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use serde::Serialize;
use virion_core::{AaRange, AaSub, Nuc, NucRange, NucRefPos, SymbolRange};
use virion_translate::{AaChanges, Translation};
use virion_tree::{
    PrivateAaMutations, PrivateNucMutations, QueryAaMuts, QueryAllMuts, QueryMuts, RefNodeMatch, RefTree,
    RelativeMutations,
};

use crate::dataset::Dataset;
use crate::nuc_changes::NucChanges;

/// Where the query sits on the reference tree.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Placement {
    /// The nearest node's name (`nearestNodeName`).
    pub nearest_node_name: String,
    /// Index of the node in the tree's pre-order.
    pub nearest_node: usize,
    /// Nextclade's placement distance to that node.
    pub distance: i64,
    /// The nearest node's clade (`clade`); `None` if the tree has no clade attribute.
    pub clade: Option<String>,
    /// The tree's clade-like attributes (`Nextclade_pango`, `clade_who`, …) of the nearest node,
    /// in the tree's declaration order.
    pub clade_attrs: IndexMap<String, String>,
    /// Private nucleotide mutations: the query's mutations not on the path to the nearest node,
    /// split into reversions, labeled and unlabeled (`privateNucMutations`).
    pub private_nuc: PrivateNucMutations,
    /// Per CDS, sorted by name (the order nextclade.tsv lists them in).
    pub private_aa: BTreeMap<String, PrivateAaMutations>,
    /// The nearest node's `div` plus the query's own branch.
    pub divergence: f64,
    /// Founders of the clade and of each clade-like attribute used as a reference, for the values
    /// the nearest node carries, in nextclade.tsv column order.
    #[serde(skip)]
    pub founders: Vec<Founder>,
    /// Per reference-node search of the tree (`ref_nodes`), in order: the matched node and the
    /// query's mutations relative to it, or `None` when nothing matched.
    #[serde(skip)]
    pub ref_node_mutations: Vec<Option<RefNodeResult>>,
}

/// A reference-node search's match and the query's mutations relative to the node found.
#[derive(Debug, Clone)]
pub struct RefNodeResult {
    /// Which criterion found which node, and why.
    pub found: RefNodeMatch,
    /// The query's mutations relative to that node.
    pub muts: NodeMutations,
}

/// The founder of one attribute value and the query's mutations relative to it.
#[derive(Debug, Clone)]
pub struct Founder {
    /// `clade` or the attribute key.
    pub key: String,
    /// The attribute's value at the nearest node (a clade, a lineage).
    pub value: String,
    /// The founder node and the query's mutations relative to it.
    pub muts: NodeMutations,
}

/// A tree node by name and the query's mutations relative to it.
#[derive(Debug, Clone)]
pub struct NodeMutations {
    /// The node's name in the tree.
    pub node_name: String,
    /// The query's substitutions and deletions relative to the node.
    pub muts: RelativeMutations,
}

impl Placement {
    /// The nearest node's value of clade-like attribute `key`.
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

    /// The founder for `clade` or attribute `key`, if the nearest node has a value for it.
    pub fn founder(&self, key: &str) -> Option<&Founder> {
        self.founders.iter().find(|f| f.key == key)
    }
}

/// Keys whose founders nextclade.tsv lists: `clade`, then every clade-like attribute not marked
/// `skipAsReference`, in declaration order.
pub fn founder_keys(tree: &RefTree) -> Vec<String> {
    std::iter::once("clade".to_owned())
        .chain(tree.clade_node_attr_descs().iter().filter(|d| !d.skip_as_reference).map(|d| d.key.clone()))
        .collect()
}

/// One CDS's name, substitutions, deletions and unknown codon ranges.
type CdsChanges<'a> = (&'a str, Vec<AaSub>, Vec<AaSub>, Vec<AaRange>);

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

    // Only CDSes translated for this query take part, as in Nextclade.
    let per_cds: Vec<CdsChanges> = translation
        .cdses
        .iter()
        .map(|cds| {
            let name = cds.name.as_str();
            let subs = aa.substitutions.iter().filter(|s| s.cds == name).cloned().collect();
            let dels = aa.deletions.iter().filter(|s| s.cds == name).cloned().collect();
            let unknown = aa.unknown_aa_ranges.iter().filter(|r| r.cds == name).map(|r| r.range).collect();
            (name, subs, dels, unknown)
        })
        .collect();
    let all = QueryAllMuts {
        nuc: query,
        aa: per_cds
            .iter()
            .zip(&translation.cdses)
            .map(|((name, subs, dels, unknown), cds)| QueryAaMuts {
                cds: name,
                substitutions: subs,
                deletions: dels,
                unknown,
                unsequenced: &cds.unsequenced_ranges,
            })
            .collect(),
        ref_seq: &ds.data.reference,
        labels: &ds.nuc_labels,
        aa_labels: &ds.aa_labels,
    };
    let relative_to = |i: usize| NodeMutations {
        node_name: tree.node(i).name.clone(),
        muts: tree.relative_mutations(i, &all),
    };

    let private = tree.relative_mutations(nearest.node, &all);
    let divergence =
        tree.query_divergence(nearest.node, &private.nuc.private_substitutions, ds.data.reference.len());

    let mut founders = Vec::new();
    for key in founder_keys(tree) {
        let attr = if key == "clade" { virion_tree::CLADE_ATTR } else { key.as_str() };
        if let (Some(value), Some(f)) = (node.attrs.get(attr), tree.attr_founder(nearest.node, attr)) {
            founders.push(Founder { value: value.clone(), muts: relative_to(f), key });
        }
    }
    let ref_node_mutations = tree
        .ref_nodes()
        .search
        .iter()
        .map(|s| {
            tree.find_ref_node(nearest.node, s)
                .map(|found| RefNodeResult { muts: relative_to(found.node), found })
        })
        .collect();

    Placement {
        nearest_node_name: node.name.clone(),
        nearest_node: nearest.node,
        distance: nearest.distance,
        clade,
        clade_attrs,
        private_nuc: private.nuc,
        private_aa: private.aa,
        divergence,
        founders,
        ref_node_mutations,
    }
}

/// What the QC rules need from placement.
#[derive(Debug, Clone, Default)]
pub struct QcCounts {
    /// Private substitution positions, ascending.
    pub substitution_positions: Vec<NucRefPos>,
    /// Private deleted positions, ascending (one per base).
    pub deletion_positions: Vec<NucRefPos>,
    /// Private substitutions that revert to the root's letter.
    pub reversions: usize,
    /// Private substitutions the dataset labels (pathogen.json's `nucMutLabelMap`).
    pub labeled: usize,
    /// The other private substitutions.
    pub unlabeled: usize,
}

impl Placement {
    /// The private-mutation counts and positions the QC rules score.
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
