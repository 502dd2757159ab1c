//! A query's mutations relative to any node of the tree — the nearest node (private mutations),
//! a clade founder, or a reference node of interest — computed by the same private-mutation rules.

use std::collections::BTreeMap;

use virion_core::Nuc;

use crate::labels::{AaMutLabels, NucMutLabels};
use crate::placement::QueryMuts;
use crate::private_aa::{PrivateAaMutations, QueryAaMuts};
use crate::private_nuc::PrivateNucMutations;
use crate::tree::RefTree;

/// Everything about a query that relative mutations need.
#[derive(Debug, Clone)]
pub struct QueryAllMuts<'a> {
    /// The query's nucleotide changes.
    pub nuc: QueryMuts<'a>,
    /// One entry per translated CDS.
    pub aa: Vec<QueryAaMuts<'a>>,
    /// The reference genome, to tell reversions.
    pub ref_seq: &'a [Nuc],
    /// Labels of known nucleotide genotypes, to classify substitutions.
    pub labels: &'a NucMutLabels,
    /// Labels of known amino-acid genotypes.
    pub aa_labels: &'a AaMutLabels,
}

/// The query's mutations relative to `node`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RelativeMutations {
    /// Index of the reference node in the tree's arena.
    pub node: usize,
    /// Nucleotide mutations of the query relative to the node.
    pub nuc: PrivateNucMutations,
    /// Per CDS, sorted by name (the order nextclade.tsv lists them in).
    pub aa: BTreeMap<String, PrivateAaMutations>,
}

impl RelativeMutations {
    /// Amino-acid lists of every CDS, one after another.
    pub fn aa_all<'a, T: 'a>(
        &'a self,
        field: impl Fn(&'a PrivateAaMutations) -> &'a [T] + 'a,
    ) -> impl Iterator<Item = &'a T> + 'a {
        self.aa.values().flat_map(field)
    }
}

impl RefTree {
    /// The query's nucleotide and amino-acid mutations relative to `node`.
    pub fn relative_mutations(&self, node: usize, query: &QueryAllMuts) -> RelativeMutations {
        let nuc = self.find_private_nuc_mutations(node, &query.nuc, query.ref_seq, query.labels);
        let aa = query
            .aa
            .iter()
            .map(|q| (q.cds.to_owned(), self.find_private_aa_mutations(node, q, query.aa_labels)))
            .collect();
        RelativeMutations { node, nuc, aa }
    }
}
