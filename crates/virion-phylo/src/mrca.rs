//! Most recent common ancestor in O(k + log n) for k nodes.
//!
//! In pre-order, the MRCA of a set is the lowest common ancestor of its first and last member:
//! that ancestor's subtree is a pre-order interval holding both, hence everything between them.
//! The lowest ancestor of `u` whose interval holds `v` is found with skew-binary jump pointers
//! (one `u32` a node), skipping any run of ancestors that do not hold it.

use crate::tree::{NodeId, PhyloTree};

impl PhyloTree {
    /// The most recent common ancestor of `nodes` (any nodes, leaves or internal; repeats are
    /// fine): `None` for none, the node itself for one, and an ancestor of another given node
    /// when one is given. Same answer as SILO's depth-lifting `getMRCA`.
    pub fn mrca(&self, nodes: &[NodeId]) -> Option<NodeId> {
        let first = *nodes.iter().min()?;
        let last = *nodes.iter().max()?;
        Some(self.lowest_ancestor_holding(first, last))
    }

    /// The lowest common ancestor of two nodes.
    pub fn lca(&self, a: NodeId, b: NodeId) -> NodeId {
        self.lowest_ancestor_holding(a.min(b), a.max(b))
    }

    /// The deepest ancestor-or-self of `from` whose subtree contains `target`.
    fn lowest_ancestor_holding(&self, from: NodeId, target: NodeId) -> NodeId {
        let holds = |a: u32| a <= target.get() && target.get() < self.end[a as usize];
        let mut at = from.get();
        while !holds(at) {
            let jump = self.jump[at as usize];
            // Holding is monotone along the path to the root: if the jump target does not hold
            // `target`, neither does anything between, so the jump is safe.
            at = if holds(jump) { self.parent[at as usize] } else { jump };
        }
        NodeId::new(at)
    }
}
