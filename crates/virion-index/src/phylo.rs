//! A metadata column whose values name nodes of a phylogenetic tree (SILO's `isPhyloTreeField`):
//! the tree, the node each row's value names, and the rows naming leaves ordered by node. In
//! pre-order the nodes below a node are one range, so the rows below it (SILO's
//! `phyloDescendantOf`) are one slice of that order, found by two binary searches.

use std::sync::Arc;

use roaring::RoaringBitmap;
use virion_phylo::{NodeId, PhyloTree};

use crate::metadata::Column;

/// `node_of_row` of a row whose value is null or names no node of the tree.
const NO_NODE: u32 = u32::MAX;

/// A descendant slice longer than `rows / SCAN_SHARE` is found by one pass over the rows (which
/// yields them in order) instead of sorting the slice.
const SCAN_SHARE: usize = 16;

/// The tree of one string column and where each row's value sits in it.
#[derive(Clone)]
pub struct PhyloColumn {
    column: usize,
    tree: Arc<PhyloTree>,
    /// Per row: the pre-order index of the node its value names, or `NO_NODE`.
    node_of_row: Vec<u32>,
    /// The rows whose value names a leaf, ordered by (node, row).
    leaf_rows: Vec<u32>,
}

impl std::fmt::Debug for PhyloColumn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PhyloColumn")
            .field("column", &self.column)
            .field("nodes", &self.tree.node_count())
            .field("leaves", &self.tree.leaf_count())
            .field("rows", &self.node_of_row.len())
            .field("rows_on_leaves", &self.leaf_rows.len())
            .finish()
    }
}

impl PhyloColumn {
    /// Places every row of `values` (column number `column` of its index) in `tree`, looking
    /// each distinct value up once.
    pub(crate) fn new(column: usize, values: &Column, tree: Arc<PhyloTree>) -> PhyloColumn {
        let node_of_code: Vec<u32> = values
            .dictionary()
            .map(|d| d.iter().map(|name| tree.node(name).map_or(NO_NODE, NodeId::get)).collect())
            .unwrap_or_default();
        let node_of_row: Vec<u32> = (0..values.len() as u32)
            .map(|row| values.code(row).map_or(NO_NODE, |code| node_of_code[code as usize]))
            .collect();
        PhyloColumn::from_nodes(column, tree, node_of_row)
    }

    /// A column from the node of every row (as a snapshot stores it; see
    /// [`PhyloColumn::nodes_fit`]).
    pub(crate) fn from_nodes(column: usize, tree: Arc<PhyloTree>, node_of_row: Vec<u32>) -> PhyloColumn {
        let leaf_rows = leaf_rows(&tree, &node_of_row);
        PhyloColumn { column, tree, node_of_row, leaf_rows }
    }

    /// This column placed in `tree`, a tree grown from this column's tree by adding nodes
    /// only: `new_of_old[v]` is the index in `tree` of old node `v` (increasing in `v`, as
    /// pre-order keeps the old nodes' order). Rows keep their nodes, renumbered; only rows whose
    /// value named no node are looked up again (one pass over the rows, no hashing of names
    /// already placed).
    pub(crate) fn grown(&self, values: &Column, tree: Arc<PhyloTree>, new_of_old: &[u32]) -> PhyloColumn {
        debug_assert!(new_of_old.windows(2).all(|w| w[0] < w[1]), "renumbering keeps the order");
        debug_assert!(
            (0..new_of_old.len())
                .all(|v| { self.tree.name(NodeId::new(v as u32)) == tree.name(NodeId::new(new_of_old[v])) })
        );
        let node_of_row: Vec<u32> = self
            .node_of_row
            .iter()
            .enumerate()
            .map(|(row, &v)| match v {
                NO_NODE => {
                    values.str(row as u32).and_then(|name| tree.node(name)).map_or(NO_NODE, NodeId::get)
                }
                v => new_of_old[v as usize],
            })
            .collect();
        PhyloColumn::from_nodes(self.column, tree, node_of_row)
    }

    /// Whether every row's node lies in the tree (a snapshot's check).
    pub(crate) fn nodes_fit(tree: &PhyloTree, node_of_row: &[u32]) -> bool {
        let n = tree.node_count();
        node_of_row.iter().all(|&v| v == NO_NODE || (v as usize) < n)
    }

    /// The metadata column (its number in the index) whose values name the tree's nodes.
    pub fn column(&self) -> usize {
        self.column
    }

    /// The tree.
    pub fn tree(&self) -> &Arc<PhyloTree> {
        &self.tree
    }

    /// The node a row's value names (`None`: null, or no node of the tree).
    pub fn node(&self, row: u32) -> Option<NodeId> {
        self.node_of_row.get(row as usize).copied().filter(|&v| v != NO_NODE).map(NodeId::new)
    }

    /// The node of every row (`u32::MAX`: none), indexed by row.
    pub(crate) fn nodes(&self) -> &[u32] {
        &self.node_of_row
    }

    /// The pre-order range of the leaves SILO's `phyloDescendantOf` selects below `node`:
    /// every node after it in its subtree (a leaf has none, not even itself).
    fn descendant_nodes(&self, node: NodeId) -> std::ops::Range<u32> {
        if self.tree.is_leaf(node) {
            return 0..0;
        }
        let size = self.tree.subtree(node).len() as u32;
        node.get() + 1..node.get() + size
    }

    /// The slice of `leaf_rows` naming leaves below `node`.
    fn descendant_slice(&self, node: NodeId) -> &[u32] {
        let nodes = self.descendant_nodes(node);
        if nodes.is_empty() {
            return &[];
        }
        let node_of = |row: &u32| self.node_of_row[*row as usize];
        let start = self.leaf_rows.partition_point(|r| node_of(r) < nodes.start);
        let end = self.leaf_rows.partition_point(|r| node_of(r) < nodes.end);
        &self.leaf_rows[start..end]
    }

    /// How many rows name a leaf below `node`.
    pub fn descendant_count(&self, node: NodeId) -> u64 {
        self.descendant_slice(node).len() as u64
    }

    /// The rows whose value names a leaf below `node` (SILO's `phyloDescendantOf`): rows naming
    /// internal nodes never match, and a leaf has no descendants.
    pub fn descendant_rows(&self, node: NodeId) -> RoaringBitmap {
        let slice = self.descendant_slice(node);
        if slice.len() > self.node_of_row.len() / SCAN_SHARE {
            let nodes = self.descendant_nodes(node);
            let tree = &self.tree;
            let rows = self.node_of_row.iter().enumerate().filter_map(|(row, &v)| {
                (nodes.contains(&v) && tree.is_leaf(NodeId::new(v))).then_some(row as u32)
            });
            return RoaringBitmap::from_sorted_iter(rows).expect("rows ascend");
        }
        let mut rows = slice.to_vec();
        rows.sort_unstable();
        RoaringBitmap::from_sorted_iter(rows).expect("sorted")
    }

    /// Whether `row`'s value names a leaf below `node`.
    pub fn is_descendant_row(&self, node: NodeId, row: u32) -> bool {
        let nodes = self.descendant_nodes(node);
        self.node_of_row
            .get(row as usize)
            .is_some_and(|&v| nodes.contains(&v) && self.tree.is_leaf(NodeId::new(v)))
    }

    /// Places rows appended to the index (`values` is the column after the append).
    pub(crate) fn extend(&mut self, values: &Column) {
        let first = self.node_of_row.len() as u32;
        let mut added: Vec<(u32, u32)> = Vec::new();
        for row in first..values.len() as u32 {
            let node = values.str(row).and_then(|name| self.tree.node(name)).map_or(NO_NODE, NodeId::get);
            self.node_of_row.push(node);
            if node != NO_NODE && self.tree.is_leaf(NodeId::new(node)) {
                added.push((node, row));
            }
        }
        if added.is_empty() {
            return;
        }
        // New rows come after every old one, so (node, row) order is a merge by node.
        added.sort_unstable();
        let old = std::mem::take(&mut self.leaf_rows);
        let mut merged = Vec::with_capacity(old.len() + added.len());
        let mut new = added.into_iter().peekable();
        for row in old {
            let node = self.node_of_row[row as usize];
            while let Some(&(n, r)) = new.peek()
                && n < node
            {
                merged.push(r);
                new.next();
            }
            merged.push(row);
        }
        merged.extend(new.map(|(_, r)| r));
        self.leaf_rows = merged;
    }

    /// Approximate heap bytes of the mapping (the tree is shared and not counted).
    pub fn heap_bytes(&self) -> usize {
        (self.node_of_row.capacity() + self.leaf_rows.capacity()) * 4
    }
}

/// The rows naming a leaf, ordered by (node, row): a counting sort by node.
fn leaf_rows(tree: &PhyloTree, node_of_row: &[u32]) -> Vec<u32> {
    let is_leaf = |v: u32| v != NO_NODE && tree.is_leaf(NodeId::new(v));
    let mut start = vec![0u32; tree.node_count() + 1];
    for &v in node_of_row {
        if is_leaf(v) {
            start[v as usize + 1] += 1;
        }
    }
    for i in 1..start.len() {
        start[i] += start[i - 1];
    }
    let mut rows = vec![0u32; start[tree.node_count()] as usize];
    for (row, &v) in node_of_row.iter().enumerate() {
        if is_leaf(v) {
            rows[start[v as usize] as usize] = row as u32;
            start[v as usize] += 1;
        }
    }
    rows
}
