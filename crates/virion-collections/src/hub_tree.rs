//! A hub organism's phylogenetic tree: the Nextclade dataset's reference tree with each
//! released genome attached as a leaf, named by its accession version (the primary key, the
//! tree field LAPIS queries name), under the node Nextclade's placement found for it during
//! processing (`nearestNodeName` of the stored record).
//!
//! Reference nodes keep their tree.json names; a node without one (or repeating an earlier
//! one) is named `NODE_` and its pre-order index (7 digits), made unique. Branch lengths are
//! differences of `node_attrs.div` (a leaf's: its divergence minus its node's `div`), absent
//! where either is unknown.
//!
//! New releases attach new leaves to the current tree (one pass over the tree's arrays and
//! the index's rows); a revised or revoked version's leaf stays until the next full build, but
//! its row is hidden, so no answer names it. `virion bench phylo` measures this at scale.

use std::sync::Arc;

use virion_ingest::hub::Placement;
use virion_phylo::{BuilderNodeId, NodeId, PhyloTree, PhyloTreeBuilder};
use virion_tree::RefTree;

/// Where a genome attaches: its reference node and its branch length, in 8 bytes (a hub
/// build keeps one per released version until the index is sorted).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Place {
    node: u32,
    /// NaN: unknown.
    length: f32,
}

/// The reference tree of a hub organism, as the base of its phylogenetic tree.
#[derive(Debug, Clone)]
pub struct HubTree {
    /// Node `i` is the reference tree's node `i` (both in pre-order).
    reference: Arc<PhyloTree>,
    /// Each node's `div` (cumulative divergence), if known.
    div: Vec<Option<f64>>,
}

/// The names tried, in order, for reference node `index` named `name` in tree.json: its own
/// (if any), then `NODE_` and its pre-order index, then that with `_1`, `_2`, ….
fn candidate_name(name: &str, index: usize, attempt: usize) -> String {
    match (name.is_empty(), attempt) {
        (false, 0) => name.to_owned(),
        (false, 1) | (true, 0) => format!("NODE_{index:07}"),
        (false, k) => format!("NODE_{index:07}_{}", k - 1),
        (true, k) => format!("NODE_{index:07}_{k}"),
    }
}

impl HubTree {
    /// The reference tree as a phylogenetic tree: node `i` is the reference tree's node `i`.
    pub fn new(tree: &RefTree) -> HubTree {
        let nodes = tree.nodes();
        let div: Vec<Option<f64>> = nodes.iter().map(|n| n.div.filter(|d| d.is_finite())).collect();
        let root_name =
            nodes.first().map_or_else(|| candidate_name("", 0, 0), |n| candidate_name(&n.name, 0, 0));
        let mut builder = PhyloTreeBuilder::new(Some(&root_name));
        builder.reserve(nodes.len());
        let mut ids: Vec<BuilderNodeId> = vec![builder.root()];
        for (i, node) in nodes.iter().enumerate().skip(1) {
            // Pre-order: the parent is already in (tree.json's own order of children kept).
            let parent = node.parent.unwrap_or(0);
            let length = div[i].zip(div[parent]).map(|(at, above)| at - above).filter(|l| l.is_finite());
            let mut attempt = 0;
            let id = loop {
                match builder.add_child(ids[parent], Some(&candidate_name(&node.name, i, attempt)), length) {
                    Ok(id) => break id,
                    Err(virion_phylo::BuildError::DuplicateName(_)) => attempt += 1,
                    Err(e) => unreachable!("a finite length under a known parent is always accepted: {e}"),
                }
            };
            ids.push(id);
        }
        HubTree { reference: Arc::new(builder.build()), div }
    }

    /// The reference tree as a phylogenetic tree (no genomes attached).
    pub fn reference(&self) -> &Arc<PhyloTree> {
        &self.reference
    }

    /// Where a placed genome attaches: `None` on a node this tree does not have (another
    /// dataset's).
    pub fn place(&self, placement: &Placement) -> Option<Place> {
        let node = self.reference.node(&placement.nearest_node)?;
        let length = match (placement.divergence, self.div[node.get() as usize]) {
            (Some(d), Some(at)) if d.is_finite() && d >= at => (d - at) as f32,
            _ => f32::NAN,
        };
        Some(Place { node: node.get(), length })
    }

    /// `current` (the reference tree, or a tree grown from it) with the genomes `leaves`
    /// (name, place; about `expected` of them) attached; a leaf whose name the tree already
    /// has is left out (logged).
    pub fn attach<'a>(
        &self,
        current: &PhyloTree,
        leaves: impl IntoIterator<Item = (&'a str, Place)>,
        expected: usize,
    ) -> Grown {
        let mut builder = PhyloTreeBuilder::from_tree(current);
        builder.reserve(expected);
        let same = std::ptr::eq(current, &*self.reference);
        // New leaves go after their parent's children: in pre-order, right before the node
        // that follows the parent's subtree, so every current node from there on moves up.
        let mut moved_at = vec![0u32; current.node_count() + 1];
        for (name, place) in leaves {
            let node = NodeId::new(place.node);
            let parent = if same {
                Some(BuilderNodeId::from(node))
            } else {
                self.reference.name(node).and_then(|n| builder.node(n))
            };
            let Some(parent) = parent else { continue };
            let length = (!place.length.is_nan()).then_some(f64::from(place.length));
            match builder.add_child(parent, Some(name), length) {
                Ok(_) => {
                    // A builder made from `current` numbers its nodes as `current` does.
                    let p = NodeId::new(parent.get());
                    moved_at[p.get() as usize + current.subtree(p).len()] += 1;
                }
                Err(e) => tracing::warn!(leaf = %name, error = %e, "left out of the phylogenetic tree"),
            }
        }
        let mut shift = 0u32;
        let new_of_old = (0..current.node_count() as u32)
            .map(|v| {
                shift += moved_at[v as usize];
                v + shift
            })
            .collect();
        Grown { tree: builder.build(), new_of_old }
    }
}

/// A tree grown by [`HubTree::attach`], and where the nodes of the tree it grew from went.
#[derive(Debug)]
pub struct Grown {
    /// The grown tree: the tree it grew from with the new genomes attached as leaves.
    pub tree: PhyloTree,
    /// For each node of the tree it grew from, its index in `tree` (for
    /// [`virion_index::Index::place_in_grown_tree`]).
    pub new_of_old: Vec<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Node `i` of the phylogenetic tree is reference node `i`; unnamed and repeated names are
    /// replaced; lengths are `div` differences; leaves attach under their placement, also to a
    /// tree that already has leaves.
    #[test]
    fn reference_tree_with_genomes_attached() {
        let json = r#"{"version": "v2", "meta": {}, "tree": {"name": "root", "node_attrs": {"div": 0},
          "children": [
            {"name": "NODE_0000002", "node_attrs": {"div": 1}, "children": [
               {"name": "", "node_attrs": {"div": 3}}, {"name": "x", "node_attrs": {"div": 2}}]},
            {"name": "NODE_0000002", "node_attrs": {}}
          ]}}"#;
        let hub = HubTree::new(&RefTree::from_json_str(json).unwrap());
        let t = &hub.reference;
        let names: Vec<&str> = (0..t.node_count() as u32).map(|i| t.name(NodeId::new(i)).unwrap()).collect();
        assert_eq!(names, ["root", "NODE_0000002", "NODE_0000002_1", "x", "NODE_0000004"]);
        assert_eq!(t.to_newick(), "((NODE_0000002_1:2,x:1)NODE_0000002:1,NODE_0000004)root;");
        let placed = |node: &str, divergence| Placement { nearest_node: node.into(), divergence };
        let leaves = [
            ("g1.1", hub.place(&placed("NODE_0000002", Some(1.5))).unwrap()),
            ("g2.1", hub.place(&placed("NODE_0000002_1", Some(2.0))).unwrap()),
        ];
        assert!(hub.place(&placed("elsewhere", None)).is_none());
        let grown = hub.attach(&hub.reference, leaves, 2).tree;
        assert_eq!(
            grown.to_newick(),
            "(((g2.1)NODE_0000002_1:2,x:1,g1.1:0.5)NODE_0000002:1,NODE_0000004)root;"
        );
        // More genomes later, onto the grown tree; a name already there is left out.
        let more = [
            ("g4.1", hub.place(&placed("root", None)).unwrap()),
            ("g1.1", hub.place(&placed("x", None)).unwrap()),
        ];
        let Grown { tree: again, new_of_old } = hub.attach(&grown, more, 2);
        assert_eq!(again.leaf_count(), grown.leaf_count() + 1);
        assert_eq!(again.parent(again.node("g4.1").unwrap()), Some(again.root()));
        for v in 0..grown.node_count() as u32 {
            let name = grown.name(NodeId::new(v));
            assert_eq!(again.name(NodeId::new(new_of_old[v as usize])), name, "node {v}");
        }
        // Many leaves at once, under nested nodes: every old node found where the map says.
        let many: Vec<(String, Place)> = (0..40)
            .map(|i| {
                let node = ["root", "NODE_0000002", "NODE_0000002_1", "x", "NODE_0000004"][i % 5];
                (format!("m{i}.1"), hub.place(&placed(node, None)).unwrap())
            })
            .collect();
        let Grown { tree: big, new_of_old } =
            hub.attach(&again, many.iter().map(|(n, p)| (n.as_str(), *p)), 40);
        for v in 0..again.node_count() as u32 {
            assert_eq!(big.name(NodeId::new(new_of_old[v as usize])), again.name(NodeId::new(v)), "node {v}");
        }
    }
}
