//! The tree: a flat arena of nodes in pre-order, so that every subtree is a contiguous range of
//! nodes and the leaves below any node are a contiguous range of leaf ordinals.

use std::ops::Range;

use crate::names::NameTable;

/// Parent index of the root.
pub(crate) const NO_NODE: u32 = u32::MAX;

/// A node of one [`PhyloTree`]: its index in pre-order (the root is 0).
///
/// Ids are only meaningful for the tree that issued them; methods given an id from another
/// (larger) tree panic on the out-of-range index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(u32);

impl NodeId {
    /// The node with pre-order index `index`.
    pub const fn new(index: u32) -> Self {
        Self(index)
    }

    /// The pre-order index.
    pub const fn get(self) -> u32 {
        self.0
    }

    pub(crate) const fn ix(self) -> usize {
        self.0 as usize
    }
}

/// A rooted phylogenetic tree with optionally named nodes and optional branch lengths.
///
/// Layout: one entry per node in several flat `Vec`s (about 32 bytes a node plus its name), one
/// names buffer and a hash table of node indices, so 10 million leaves fit in well under 1 GB.
#[derive(Debug, Clone)]
pub struct PhyloTree {
    /// Parent of each node, `NO_NODE` for the root.
    pub(crate) parent: Vec<u32>,
    /// One past the last node of each node's subtree (pre-order).
    pub(crate) end: Vec<u32>,
    /// Edges from the root.
    pub(crate) depth: Vec<u32>,
    /// Skew-binary jump pointer to an ancestor (Myers 1983), for O(log n) ancestor searches.
    pub(crate) jump: Vec<u32>,
    /// Leaves before each node in pre-order; one extra entry holds the leaf count.
    pub(crate) leaves_before: Vec<u32>,
    /// Branch length to the parent; NaN for none (finite lengths only are accepted).
    pub(crate) branch_length: Vec<f64>,
    pub(crate) names: NameTable,
}

impl PhyloTree {
    /// Completes an arena whose nodes are in pre-order (`parent[v] < v`, `end` filled in).
    pub(crate) fn assemble(
        parent: Vec<u32>,
        end: Vec<u32>,
        branch_length: Vec<f64>,
        mut names: NameTable,
    ) -> Self {
        let n = parent.len();
        debug_assert!(n > 0 && end.len() == n && branch_length.len() == n && names.len() == n);
        let mut depth = vec![0u32; n];
        let mut jump = vec![0u32; n];
        for v in 1..n {
            let p = parent[v] as usize;
            depth[v] = depth[p] + 1;
            let j = jump[p] as usize;
            let jj = jump[j] as usize;
            jump[v] = if depth[p] - depth[j] == depth[j] - depth[jj] { jj as u32 } else { p as u32 };
        }
        let mut leaves_before = Vec::with_capacity(n + 1);
        let mut leaves = 0u32;
        for (v, &e) in end.iter().enumerate() {
            leaves_before.push(leaves);
            if e as usize == v + 1 {
                leaves += 1;
            }
        }
        leaves_before.push(leaves);
        names.shrink_to_fit();
        Self { parent, end, depth, jump, leaves_before, branch_length, names }
    }

    /// Number of nodes, internal and leaves.
    pub fn node_count(&self) -> usize {
        self.parent.len()
    }

    /// Number of leaves.
    pub fn leaf_count(&self) -> u32 {
        self.leaves_before[self.node_count()]
    }

    /// The root (always pre-order index 0).
    pub fn root(&self) -> NodeId {
        NodeId(0)
    }

    /// The node with this name.
    pub fn node(&self, name: &str) -> Option<NodeId> {
        self.names.find(name).map(NodeId)
    }

    /// The node's name; `None` for an unnamed node (an empty label counts as none).
    pub fn name(&self, node: NodeId) -> Option<&str> {
        self.names.get(node.0)
    }

    /// The node's parent; `None` for the root.
    pub fn parent(&self, node: NodeId) -> Option<NodeId> {
        let p = self.parent[node.ix()];
        (p != NO_NODE).then_some(NodeId(p))
    }

    /// Edges between the node and the root (the root has depth 0).
    pub fn depth(&self, node: NodeId) -> u32 {
        self.depth[node.ix()]
    }

    /// Length of the branch to the parent, if the input gave one.
    pub fn branch_length(&self, node: NodeId) -> Option<f64> {
        let len = self.branch_length[node.ix()];
        (!len.is_nan()).then_some(len)
    }

    /// Whether the node has no children.
    pub fn is_leaf(&self, node: NodeId) -> bool {
        self.end[node.ix()] == node.0 + 1
    }

    /// The node's children, in input order.
    pub fn children(&self, node: NodeId) -> Children<'_> {
        Children { end: &self.end, next: node.0 + 1, stop: self.end[node.ix()] }
    }

    /// The node and every node below it, in pre-order.
    pub fn subtree(&self, node: NodeId) -> impl ExactSizeIterator<Item = NodeId> + use<> {
        (node.0..self.end[node.ix()]).map(NodeId)
    }

    /// Whether `ancestor` is `node` or one of its ancestors.
    pub fn is_ancestor_or_self(&self, ancestor: NodeId, node: NodeId) -> bool {
        ancestor.0 <= node.0 && node.0 < self.end[ancestor.ix()]
    }

    /// Ordinals (0-based, pre-order) of the leaves in the node's subtree; a leaf's range holds
    /// just itself.
    pub fn leaf_range(&self, node: NodeId) -> Range<u32> {
        self.leaves_before[node.ix()]..self.leaves_before[self.end[node.ix()] as usize]
    }

    /// The leaves SILO's `phyloDescendantOf` filter selects for `node`: those of
    /// [`leaf_range`](Self::leaf_range), except that a leaf has none (not even itself).
    pub fn phylo_descendant_of(&self, node: NodeId) -> Range<u32> {
        if self.is_leaf(node) {
            let at = self.leaves_before[node.ix()];
            return at..at;
        }
        self.leaf_range(node)
    }

    /// The leaf ordinal of a leaf node; `None` for an internal node.
    pub fn leaf_ordinal_of(&self, node: NodeId) -> Option<u32> {
        self.is_leaf(node).then_some(self.leaves_before[node.ix()])
    }

    /// The leaf ordinal of the leaf with this name; `None` if no node has the name or it is an
    /// internal node.
    pub fn leaf_ordinal(&self, name: &str) -> Option<u32> {
        self.leaf_ordinal_of(self.node(name)?)
    }

    /// The leaf with this ordinal (binary search, O(log n)). Panics if `ordinal >= leaf_count()`.
    pub fn leaf(&self, ordinal: u32) -> NodeId {
        assert!(ordinal < self.leaf_count(), "leaf ordinal {ordinal} out of range");
        // The leaf is the last node with `ordinal` leaves before it.
        let after = self.leaves_before.partition_point(|&before| before <= ordinal);
        NodeId(after as u32 - 1)
    }

    /// The leaves in the node's subtree, in pre-order.
    pub fn leaves_under(&self, node: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        self.subtree(node).filter(|&v| self.is_leaf(v))
    }

    /// Names of the leaves in the node's subtree, in pre-order; unnamed leaves are skipped.
    pub fn leaf_names_under(&self, node: NodeId) -> impl Iterator<Item = &str> + '_ {
        self.leaves_under(node).filter_map(|v| self.name(v))
    }

    /// Looks names up as SILO does for the MRCA and subtree queries: the distinct names found
    /// (as nodes, in first-seen order) and the distinct names not in the tree, sorted.
    pub fn lookup_names<'a, I>(&self, names: I) -> NameLookup<'a>
    where
        I: IntoIterator<Item = &'a str>,
    {
        let mut found = Vec::new();
        let mut missing = Vec::new();
        for name in names {
            match self.node(name) {
                Some(node) => found.push(node),
                None => missing.push(name),
            }
        }
        let mut seen = hashbrown::HashSet::with_capacity(found.len());
        found.retain(|&node| seen.insert(node));
        missing.sort_unstable();
        missing.dedup();
        NameLookup { found, missing }
    }
}

/// Names resolved against a tree; see [`PhyloTree::lookup_names`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NameLookup<'a> {
    /// The distinct nodes found.
    pub found: Vec<NodeId>,
    /// The distinct names not in the tree, sorted (SILO's `missingFromTree`, joined by `,`).
    pub missing: Vec<&'a str>,
}

/// Iterator over a node's children; see [`PhyloTree::children`].
#[derive(Debug, Clone)]
pub struct Children<'a> {
    end: &'a [u32],
    next: u32,
    stop: u32,
}

impl Iterator for Children<'_> {
    type Item = NodeId;

    fn next(&mut self) -> Option<NodeId> {
        if self.next >= self.stop {
            return None;
        }
        let child = self.next;
        self.next = self.end[child as usize];
        Some(NodeId(child))
    }
}
