//! LAPIS's phylogenetic endpoints over the rows a request selects in one or several parts:
//! `mostRecentCommonAncestor` and `phyloSubtree`, with SILO's semantics (see `virion-phylo`):
//! the distinct non-null values of the `phyloTreeField` column are looked up in the tree;
//! `missingNodeCount` is the selected rows whose value is null plus the distinct values not in
//! the tree, `missingFromTree` those values sorted and joined by `,` (only when
//! `printNodesNotInTree`).
//!
//! The tree is the first part's; a part sharing it (the hub's member overlay) is read through
//! its own row → node mapping, another part by looking its values up by name.

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

use virion_index::{Index, RoaringBitmap};
use virion_phylo::{NodeId, PhyloTree, UnaryNodes};

use crate::error::QueryError;
use crate::execute::{Budget, Part, select_parts};
use crate::request::LapisRequest;

/// The answer of `mostRecentCommonAncestor` (one row in LAPIS's `data`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MostRecentCommonAncestor {
    /// The most recent common ancestor's name; `None` when no selected value is in the tree.
    pub mrca_node: Option<String>,
    /// Selected rows whose value is null, plus the distinct values not in the tree.
    pub missing_node_count: u64,
    /// The values not in the tree, sorted and joined by `,`; only when `printNodesNotInTree`.
    pub missing_from_tree: Option<String>,
}

/// The answer of `phyloSubtree`: the Newick text SILO writes, and what was left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhyloSubtree {
    /// The subtree spanning the selected values' nodes (`""` for none, `name;` for one).
    pub newick: String,
    /// As for [`MostRecentCommonAncestor::missing_node_count`]: selected rows with a null value plus the
    /// distinct values not in the tree.
    pub missing_node_count: u64,
    /// As for [`MostRecentCommonAncestor::missing_from_tree`].
    pub missing_from_tree: Option<String>,
}

/// The names of the columns holding a phylogenetic tree (in the first part), as LAPIS lists
/// its `isPhyloTreeField`s.
pub fn phylo_tree_fields(parts: &[Part<'_>]) -> Vec<String> {
    parts
        .first()
        .and_then(|p| p.index.index.phylo().map(|t| p.index.index.columns[t.column()].name.clone()))
        .into_iter()
        .collect()
}

/// The request's `phyloTreeField`, checked as LAPIS does (required; a tree field, matched
/// without regard to case): its column in the first part and the tree.
fn tree_field(parts: &[Part<'_>], req: &LapisRequest) -> Result<(String, Arc<PhyloTree>), QueryError> {
    let bad = |value: &str, reason: String| QueryError::BadValue {
        parameter: "phyloTreeField".into(),
        value: value.to_owned(),
        reason,
    };
    let Some(field) = req.phylo_tree_field.as_deref() else {
        return Err(bad(
            "",
            "phyloTreeField is required and must be a string representing a phylo tree field".into(),
        ));
    };
    let tree = parts.first().and_then(|p| {
        let index = &p.index.index;
        index
            .phylo()
            .filter(|t| index.columns[t.column()].name.eq_ignore_ascii_case(field))
            .map(|t| (index.columns[t.column()].name.clone(), t.tree().clone()))
    });
    tree.ok_or_else(|| {
        bad(
            field,
            format!(
                "'{field}' is not a phylo tree field, known phylo tree fields are [{}]",
                phylo_tree_fields(parts).join(", ")
            ),
        )
    })
}

/// Where the selected rows' values sit in the tree.
struct Placed {
    nulls: u64,
    /// Distinct values not in the tree, sorted.
    missing: BTreeSet<String>,
}

impl Placed {
    fn missing_node_count(&self) -> u64 {
        self.nulls + self.missing.len() as u64
    }

    fn missing_from_tree(&self, print: bool) -> Option<String> {
        print.then(|| self.missing.iter().map(String::as_str).collect::<Vec<_>>().join(","))
    }
}

/// Walks the selected rows of every part, calling `found` with each row's node (repeats
/// included), counting nulls and collecting the values not in the tree.
fn place(
    parts: &[Part<'_>],
    selected: &[RoaringBitmap],
    field: &str,
    tree: &Arc<PhyloTree>,
    budget: &Budget,
    mut found: impl FnMut(u32),
) -> Result<Placed, QueryError> {
    let mut placed = Placed { nulls: 0, missing: BTreeSet::new() };
    for (part, rows) in parts.iter().zip(selected) {
        let index: &Index = &part.index.index;
        let column = index
            .columns
            .iter()
            .position(|c| c.name == field)
            .ok_or_else(|| QueryError::UnknownField { field: field.to_owned(), known: String::new() })?;
        let values = &index.columns[column];
        let shared = index.phylo().filter(|t| t.column() == column && Arc::ptr_eq(t.tree(), tree));
        let mut missing_codes: HashSet<u32> = HashSet::new();
        for (i, row) in rows.iter().enumerate() {
            if i % 65_536 == 0 {
                budget.check()?;
            }
            let node = match shared {
                Some(t) => t.node(row),
                None => values.str(row).and_then(|name| tree.node(name)),
            };
            match (node, values.code(row)) {
                (Some(node), _) => found(node.get()),
                (None, Some(code)) => {
                    missing_codes.insert(code);
                }
                (None, None) => placed.nulls += 1,
            }
        }
        if let Some(dict) = values.dictionary() {
            placed.missing.extend(missing_codes.into_iter().map(|c| dict.get(c).to_owned()));
        }
    }
    Ok(placed)
}

/// `/sample/mostRecentCommonAncestor`: the most recent common ancestor of the nodes the
/// selected rows name (in pre-order, the lowest common ancestor of the first and the last).
pub fn most_recent_common_ancestor(
    parts: &[Part<'_>],
    req: &LapisRequest,
    budget: &Budget,
) -> Result<MostRecentCommonAncestor, QueryError> {
    let (field, tree) = tree_field(parts, req)?;
    let selected = select_parts(parts, req, budget)?;
    let (mut first, mut last) = (u32::MAX, 0u32);
    let placed = place(parts, &selected, &field, &tree, budget, |node| {
        first = first.min(node);
        last = last.max(node);
    })?;
    let mrca = (first != u32::MAX).then(|| tree.lca(NodeId::new(first), NodeId::new(last)));
    Ok(MostRecentCommonAncestor {
        mrca_node: mrca.and_then(|node| tree.name(node)).map(str::to_owned),
        missing_node_count: placed.missing_node_count(),
        missing_from_tree: placed.missing_from_tree(req.print_nodes_not_in_tree),
    })
}

/// `/sample/phyloSubtree`: the subtree spanning the selected rows' nodes, as SILO writes it
/// (unary nodes contracted, SILO's default).
pub fn phylo_subtree(
    parts: &[Part<'_>],
    req: &LapisRequest,
    budget: &Budget,
) -> Result<PhyloSubtree, QueryError> {
    let (field, tree) = tree_field(parts, req)?;
    let selected = select_parts(parts, req, budget)?;
    let mut nodes = RoaringBitmap::new();
    let placed = place(parts, &selected, &field, &tree, budget, |node| {
        nodes.insert(node);
    })?;
    budget.rows(nodes.len(), "the subtree")?;
    budget.check()?;
    let nodes: Vec<NodeId> = nodes.iter().map(NodeId::new).collect();
    Ok(PhyloSubtree {
        newick: tree.subtree_newick(&nodes, UnaryNodes::Contract),
        missing_node_count: placed.missing_node_count(),
        missing_from_tree: placed.missing_from_tree(req.print_nodes_not_in_tree),
    })
}
