//! The fast paths against plain statements, on random trees built in random order:
//! jump-pointer MRCA vs ancestor-set intersection, the stack-based subtree writer vs a recursive
//! transliteration of SILO's `partialNewickString`, pre-order leaf ranges vs enumeration, and
//! Newick round trips.

use std::collections::HashSet;

use proptest::prelude::*;
use virion_phylo::{NodeId, PhyloTree, PhyloTreeBuilder, UnaryNodes};

const LENGTHS: [f64; 6] = [0.1, 0.25, 1.0, 1e-6, 3.5e7, 0.0];

/// A random tree: node `i > 0` hangs under `parent[i - 1] % i`, named `n{i}`.
#[derive(Debug, Clone)]
struct Spec {
    parent: Vec<usize>,
    length: Vec<Option<f64>>,
}

fn spec() -> impl Strategy<Value = Spec> {
    (1usize..48, any::<bool>()).prop_flat_map(|(n, with_lengths)| {
        (proptest::collection::vec(any::<u32>(), n - 1), proptest::collection::vec(0..=LENGTHS.len(), n))
            .prop_map(move |(choices, lengths)| Spec {
                parent: choices.iter().enumerate().map(|(i, &c)| c as usize % (i + 1)).collect(),
                length: lengths.iter().map(|&l| LENGTHS.get(l).copied().filter(|_| with_lengths)).collect(),
            })
    })
}

fn build(spec: &Spec) -> PhyloTree {
    let mut b = PhyloTreeBuilder::new(Some("n0"));
    b.set_root_branch_length(spec.length[0]).unwrap();
    let mut ids = vec![b.root()];
    for (i, &p) in spec.parent.iter().enumerate() {
        let name = format!("n{}", i + 1);
        ids.push(b.add_child(ids[p], Some(&name), spec.length[i + 1]).unwrap());
    }
    b.build()
}

fn selection(tree: &PhyloTree, picks: &[u32]) -> Vec<NodeId> {
    let n = tree.node_count() as u32;
    picks.iter().map(|&p| NodeId::new(p % n)).collect()
}

fn naive_mrca(tree: &PhyloTree, nodes: &[NodeId]) -> Option<NodeId> {
    let ancestors = |mut v: NodeId| {
        let mut set = HashSet::from([v]);
        while let Some(p) = tree.parent(v) {
            set.insert(p);
            v = p;
        }
        set
    };
    let (first, rest) = nodes.split_first()?;
    let mut common = ancestors(*first);
    for &v in rest {
        let theirs = ancestors(v);
        common.retain(|a| theirs.contains(a));
    }
    common.into_iter().max_by_key(|&a| tree.depth(a))
}

/// SILO's `toNewickString`, recursively; lengths printed in full (compared approximately).
fn naive_subtree(tree: &PhyloTree, nodes: &[NodeId], contract: bool) -> String {
    let set: HashSet<NodeId> = nodes.iter().copied().collect();
    match set.len() {
        0 => return String::new(),
        1 => return format!("{};", tree.name(nodes[0]).unwrap()),
        _ => {}
    }
    let mrca = naive_mrca(tree, nodes).unwrap();
    partial(tree, &set, mrca, contract).map_or_else(String::new, |(text, _)| text + ";")
}

fn partial(
    tree: &PhyloTree,
    set: &HashSet<NodeId>,
    v: NodeId,
    contract: bool,
) -> Option<(String, Option<f32>)> {
    let own = tree.branch_length(v).map(|l| l as f32);
    let name = tree.name(v).unwrap();
    if tree.is_leaf(v) {
        return set.contains(&v).then(|| (name.to_owned(), own));
    }
    let kept: Vec<_> = tree.children(v).filter_map(|c| partial(tree, set, c, contract)).collect();
    match kept.as_slice() {
        [] => None,
        [(text, len)] if contract => Some((
            text.clone(),
            match (len, own) {
                (Some(a), Some(b)) => Some(a + b),
                (a, b) => a.or(b),
            },
        )),
        _ => {
            let inner: Vec<String> = kept
                .iter()
                .map(|(text, len)| match len {
                    Some(len) => format!("{text}:{len}"),
                    None => text.clone(),
                })
                .collect();
            Some((format!("({}){name}", inner.join(",")), own))
        }
    }
}

/// Same shape, names and (to 6 digits) lengths.
fn assert_same_newick(got: &str, want: &str) {
    if got.is_empty() || want.is_empty() {
        assert_eq!(got, want);
        return;
    }
    let (g, w) = (PhyloTree::from_newick(got).unwrap(), PhyloTree::from_newick(want).unwrap());
    assert_eq!(g.node_count(), w.node_count(), "{got} vs {want}");
    for (a, b) in g.subtree(g.root()).zip(w.subtree(w.root())) {
        assert_eq!(g.name(a), w.name(b), "{got} vs {want}");
        assert_eq!(g.parent(a), w.parent(b), "{got} vs {want}");
        match (g.branch_length(a), w.branch_length(b)) {
            (Some(x), Some(y)) => assert!((x - y).abs() <= 1e-5 * y.abs().max(1e-3), "{got} vs {want}"),
            (x, y) => assert_eq!(x, y, "{got} vs {want}"),
        }
    }
}

proptest! {
    #[test]
    fn mrca_is_the_deepest_common_ancestor(spec in spec(), picks in proptest::collection::vec(any::<u32>(), 0..8)) {
        let tree = build(&spec);
        let nodes = selection(&tree, &picks);
        prop_assert_eq!(tree.mrca(&nodes), naive_mrca(&tree, &nodes));
        if let [a, b, ..] = nodes[..] {
            prop_assert_eq!(Some(tree.lca(a, b)), naive_mrca(&tree, &[a, b]));
        }
    }

    #[test]
    fn subtree_newick_is_silos(spec in spec(), picks in proptest::collection::vec(any::<u32>(), 0..10)) {
        let tree = build(&spec);
        let nodes = selection(&tree, &picks);
        let has_lengths = spec.length.iter().any(Option::is_some);
        for (unary, contract) in [(UnaryNodes::Contract, true), (UnaryNodes::Keep, false)] {
            let got = tree.subtree_newick(&nodes, unary);
            let want = naive_subtree(&tree, &nodes, contract);
            if has_lengths {
                assert_same_newick(&got, &want);
            } else {
                prop_assert_eq!(got, want);
            }
        }
    }

    #[test]
    fn builder_keeps_parents_and_child_order(spec in spec()) {
        let tree = build(&spec);
        prop_assert_eq!(tree.node_count(), spec.parent.len() + 1);
        let node = |i: usize| tree.node(&format!("n{i}")).unwrap();
        for (i, &p) in spec.parent.iter().enumerate() {
            prop_assert_eq!(tree.parent(node(i + 1)), Some(node(p)));
            prop_assert_eq!(tree.branch_length(node(i + 1)), spec.length[i + 1]);
        }
        for p in 0..=spec.parent.len() {
            let want: Vec<NodeId> = (0..spec.parent.len())
                .filter(|&i| spec.parent[i] == p)
                .map(|i| node(i + 1))
                .collect();
            prop_assert_eq!(tree.children(node(p)).collect::<Vec<_>>(), want);
        }
    }

    #[test]
    fn leaf_ranges_are_the_leaves_below(spec in spec()) {
        let tree = build(&spec);
        let mut ordinal = 0;
        for v in tree.subtree(tree.root()) {
            if tree.is_leaf(v) {
                prop_assert_eq!(tree.leaf_ordinal_of(v), Some(ordinal));
                prop_assert_eq!(tree.leaf(ordinal), v);
                ordinal += 1;
            }
            let below: Vec<u32> = tree
                .subtree(tree.root())
                .filter(|&u| tree.is_leaf(u) && naive_mrca(&tree, &[u, v]) == Some(v))
                .map(|u| tree.leaf_ordinal_of(u).unwrap())
                .collect();
            prop_assert_eq!(tree.leaf_range(v).collect::<Vec<_>>(), below);
        }
        prop_assert_eq!(tree.leaf_count(), ordinal);
    }

    #[test]
    fn newick_round_trips(spec in spec()) {
        let tree = build(&spec);
        let text = tree.to_newick();
        let again = PhyloTree::from_newick(&text).unwrap();
        prop_assert_eq!(again.to_newick(), text);
        for v in tree.subtree(tree.root()) {
            prop_assert_eq!(again.name(v), tree.name(v));
            prop_assert_eq!(again.parent(v), tree.parent(v));
            prop_assert_eq!(again.branch_length(v), tree.branch_length(v));
        }
    }

    #[test]
    fn hostile_text_never_panics(text in "[(),;:'\\[\\] a-c0-9.e-]{0,40}") {
        let _ = PhyloTree::from_newick(&text);
    }
}
