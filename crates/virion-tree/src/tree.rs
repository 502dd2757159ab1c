//! The node arena and what each node knows: name, branch mutations, attributes, clade.

use indexmap::IndexMap;
use virion_core::{Aa, AaPos, AaSub, NucRange, NucSub};

use crate::divergence::DivergenceUnits;
use crate::ref_nodes::RefNodesDesc;

/// Node attribute holding the clade (`clade` column of nextclade.tsv).
pub const CLADE_ATTR: &str = "clade_membership";

/// A clade-like node attribute declared in `meta.extensions.nextclade.clade_node_attrs`
/// (e.g. `Nextclade_pango`); each becomes an output column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CladeNodeAttrDesc {
    /// The node attribute's key (`Nextclade_pango`).
    pub key: String,
    /// Name for column headers.
    pub display_name: String,
    /// What the attribute means.
    pub description: Option<String>,
    /// Whether Nextclade Web hides the column.
    pub hide_in_web: bool,
    /// Nextclade's `skipAsReference` flag of the attribute, kept as read from tree.json.
    pub skip_as_reference: bool,
}

/// One amino-acid position of a node that differs from the reference peptide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct AaState {
    /// Codon index within the CDS.
    pub pos: AaPos,
    /// The reference peptide's letter there.
    pub ref_aa: Aa,
    /// The node's letter; `-` for a deletion.
    pub qry_aa: Aa,
}

/// One node of the reference tree.
#[derive(Debug, Clone)]
pub struct TreeNode {
    /// The node's name (`name` in tree.json).
    pub name: String,
    /// Index of the parent node; `None` for the root.
    pub parent: Option<usize>,
    /// Indices of the child nodes, in tree.json order.
    pub children: Vec<usize>,
    /// Mutations on the branch leading to this node, as written in `branch_attrs.mutations.nuc`.
    pub branch_nuc_muts: Vec<NucSub>,
    /// Amino-acid mutations on the branch, per CDS, as written in `branch_attrs.mutations`.
    pub branch_aa_muts: IndexMap<String, Vec<AaSub>>,
    /// String-valued node attributes (`{"value": "..."}`), including `clade_membership`.
    pub attrs: IndexMap<String, String>,
    /// Divergence from the root (`node_attrs.div`), in the tree's units.
    pub div: Option<f64>,
    /// log10 placement prior (`node_attrs.placement_prior.value`), when the tree provides one.
    pub placement_prior: Option<f64>,
}

impl TreeNode {
    /// The clade, from `clade_membership`.
    pub fn clade(&self) -> Option<&str> {
        self.attrs.get(CLADE_ATTR).map(String::as_str)
    }

    /// Prior weight used to break distance ties, as Nextclade computes it (10^prior, with a
    /// tiny 10^-10 for nodes without one).
    pub fn prior_weight(&self) -> f64 {
        10.0_f64.powf(self.placement_prior.unwrap_or(-10.0))
    }
}

/// Per-node mutations relative to the reference, filled by [`RefTree::prepare`].
#[derive(Debug, Clone, Default)]
pub(crate) struct Prepared {
    /// Per node: every position where the node differs from the reference (deletions included),
    /// sorted by position; `ref_nuc` is the reference letter, `qry_nuc` the node's.
    pub nuc_muts: Vec<Vec<NucSub>>,
    /// Per node: number of entries of `nuc_muts` that are not deletions.
    pub nuc_sub_counts: Vec<usize>,
    /// Per node: positions whose substitution state differs from the parent's, in
    /// `deltas[delta_bounds[i]..delta_bounds[i + 1]]`.
    pub deltas: Vec<SubDelta>,
    pub delta_bounds: Vec<usize>,
    /// Every position of `deltas`, sorted and unique; `SubDelta::site` indexes it, so that
    /// placement looks a query up once per position instead of twice per delta.
    pub sites: Vec<virion_core::NucRefPos>,
    pub cds_names: Vec<String>,
    /// Per node, per CDS (index into `cds_names`): positions differing from the reference peptide.
    pub aa_muts: Vec<Vec<Vec<AaState>>>,
    /// Per node: [`TreeNode::prior_weight`], computed once.
    pub prior_weights: Vec<f64>,
}

/// The substitution state of one position before (parent) and after (child) a branch; `None` means
/// "no substitution" (reference letter or deletion), as placement counts only substitutions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SubDelta {
    pub pos: virion_core::NucRefPos,
    /// Index of `pos` in `Prepared::sites`.
    pub site: u32,
    pub before: Option<virion_core::Nuc>,
    pub after: Option<virion_core::Nuc>,
}

/// A reference tree: nodes in depth-first pre-order (root = 0) plus the Nextclade extensions.
#[derive(Debug, Clone)]
pub struct RefTree {
    pub(crate) nodes: Vec<TreeNode>,
    pub(crate) clade_node_attr_descs: Vec<CladeNodeAttrDesc>,
    pub(crate) placement_mask_ranges: Vec<NucRange>,
    pub(crate) ref_nodes: RefNodesDesc,
    pub(crate) divergence_units: DivergenceUnits,
    pub(crate) prepared: Option<Prepared>,
}

impl RefTree {
    pub(crate) fn from_parts(
        nodes: Vec<TreeNode>,
        clade_node_attr_descs: Vec<CladeNodeAttrDesc>,
        placement_mask_ranges: Vec<NucRange>,
        ref_nodes: RefNodesDesc,
    ) -> Self {
        let divergence_units = DivergenceUnits::guess(&nodes);
        Self {
            nodes,
            clade_node_attr_descs,
            placement_mask_ranges,
            ref_nodes,
            divergence_units,
            prepared: None,
        }
    }

    /// Reference nodes of interest (`meta.extensions.nextclade.ref_nodes`).
    pub fn ref_nodes(&self) -> &RefNodesDesc {
        &self.ref_nodes
    }

    /// Every node, in depth-first pre-order (root first).
    pub fn nodes(&self) -> &[TreeNode] {
        &self.nodes
    }

    /// The node at arena index `index`; panics if out of range.
    pub fn node(&self, index: usize) -> &TreeNode {
        &self.nodes[index]
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the tree has no node.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Clade-like attribute definitions, in tree.json order.
    pub fn clade_node_attr_descs(&self) -> &[CladeNodeAttrDesc] {
        &self.clade_node_attr_descs
    }

    /// Regions whose substitutions placement ignores (`placement_mask_ranges`, 0-based half-open).
    pub fn placement_mask_ranges(&self) -> &[NucRange] {
        &self.placement_mask_ranges
    }

    /// Whether [`RefTree::prepare`] has been run (placement and private mutations need it).
    pub fn is_prepared(&self) -> bool {
        self.prepared.is_some()
    }

    pub(crate) fn prepared(&self) -> &Prepared {
        self.prepared.as_ref().expect("RefTree::prepare must be called before placement or private mutations")
    }

    /// The node's full set of nucleotide differences from the reference (deletions included,
    /// `qry_nuc` = `-`), sorted by position. Empty before [`RefTree::prepare`].
    pub fn node_nuc_mutations(&self, node: usize) -> &[NucSub] {
        self.prepared.as_ref().map_or(&[][..], |p| p.nuc_muts[node].as_slice())
    }

    /// The node's substitutions relative to the reference (its mutations without deletions).
    pub fn node_nuc_substitutions(&self, node: usize) -> impl Iterator<Item = &NucSub> {
        self.node_nuc_mutations(node).iter().filter(|m| !m.qry_nuc.is_gap())
    }

    /// CDS names known to the prepared tree, in preparation order.
    pub fn cds_names(&self) -> &[String] {
        self.prepared.as_ref().map_or(&[][..], |p| &p.cds_names)
    }

    /// The node's amino-acid differences from the reference peptide of `cds` (deletions
    /// included), sorted by position. Empty for an unknown CDS or before [`RefTree::prepare`].
    pub fn node_aa_mutations(&self, node: usize, cds: &str) -> &[AaState] {
        let Some(p) = self.prepared.as_ref() else {
            return &[];
        };
        match p.cds_names.iter().position(|c| c == cds) {
            Some(i) => &p.aa_muts[node][i],
            None => &[],
        }
    }

    /// `clade` followed by every clade-like attribute the node carries, in the order of
    /// `clade_node_attrs` (attributes the node lacks are left out, as Nextclade does). The values
    /// fill nextclade.tsv's `clade` column and the custom attribute columns (the TSV writer lists
    /// those columns in reverse declaration order).
    pub fn clade_attributes(&self, node: usize) -> IndexMap<String, String> {
        let n = &self.nodes[node];
        let mut out = IndexMap::with_capacity(self.clade_node_attr_descs.len() + 1);
        if let Some(clade) = n.clade() {
            out.insert("clade".to_owned(), clade.to_owned());
        }
        for desc in &self.clade_node_attr_descs {
            if let Some(v) = n.attrs.get(&desc.key) {
                out.insert(desc.key.clone(), v.clone());
            }
        }
        out
    }
}
