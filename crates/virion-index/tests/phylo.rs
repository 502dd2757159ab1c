//! The phylogenetic tree field against its plain statement: a row matches
//! `PhyloDescendantOf(node)` when its value names a leaf whose path to the root passes through
//! `node` (and is not `node` itself). Random trees and random values (leaves, internal nodes,
//! names not in the tree, nulls, repeats), evaluated over the whole index and row by row
//! (`refine` on a small set), after appends, and after a snapshot round trip.

use std::sync::Arc;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use virion_index::*;
use virion_phylo::{NodeId, PhyloTree, PhyloTreeBuilder};

fn schema() -> Schema {
    Schema {
        metadata: vec![
            ("key".into(), ColumnType::String { indexed: false }),
            ("node".into(), ColumnType::String { indexed: false }),
            ("age".into(), ColumnType::Int),
        ],
        segments: vec![],
        genes: vec![],
    }
}

/// A random tree of `n` nodes named `n0`, `n1`, … (node 0 is the root).
fn random_tree(rng: &mut StdRng, n: usize) -> PhyloTree {
    let mut b = PhyloTreeBuilder::new(Some("n0"));
    let mut ids = vec![b.root()];
    for i in 1..n {
        let parent = ids[rng.random_range(0..ids.len())];
        ids.push(b.add_child(parent, Some(&format!("n{i}")), None).unwrap());
    }
    b.build()
}

fn random_value(rng: &mut StdRng, n: usize) -> Value {
    match rng.random_range(0..10) {
        0 => Value::Null,
        1 => Value::String(format!("absent{}", rng.random_range(0..3))),
        _ => Value::String(format!("n{}", rng.random_range(0..n))),
    }
}

fn row(i: usize, value: Value) -> RowInput {
    RowInput {
        metadata: vec![Value::String(format!("k{i}")), value, Value::Int(i as i64 % 7)],
        ..RowInput::default()
    }
}

/// The plain statement: the rows whose value is a leaf strictly below `node`.
fn expected(index: &Index, tree: &PhyloTree, node: NodeId) -> Vec<u32> {
    (0..index.rows())
        .filter(|&r| {
            let Some(v) = index.columns[1].str(r).and_then(|name| tree.node(name)) else { return false };
            if !tree.is_leaf(v) || v == node {
                return false;
            }
            let mut at = tree.parent(v);
            while let Some(a) = at {
                if a == node {
                    return true;
                }
                at = tree.parent(a);
            }
            false
        })
        .collect()
}

fn check(index: &Index, tree: &PhyloTree, rng: &mut StdRng) {
    let phylo = index.phylo().expect("a tree");
    for node in 0..tree.node_count() as u32 {
        let want = expected(index, tree, NodeId::new(node));
        let filter = Filter::PhyloDescendantOf { column: 1, node };
        let got: Vec<u32> = index.evaluate(&filter).iter().collect();
        assert_eq!(got, want, "node {node}");
        assert_eq!(phylo.descendant_count(NodeId::new(node)), want.len() as u64);
        // Row by row inside a small AND.
        let among: RoaringBitmap = (0..index.rows()).filter(|_| rng.random_bool(0.3)).collect();
        let and = Filter::And(vec![Filter::Range { column: 2, from: Some(1.0), to: None }, filter.clone()]);
        let small: Vec<u32> = index.refine(&and, &among).iter().collect();
        let want_small: Vec<u32> =
            want.iter().copied().filter(|r| among.contains(*r) && index.columns[2].raw(*r) >= 1).collect();
        assert_eq!(small, want_small, "node {node} among a sample");
    }
    for r in 0..index.rows() {
        let by_name = index.columns[1].str(r).and_then(|name| tree.node(name));
        assert_eq!(phylo.node(r), by_name, "row {r}");
    }
}

#[test]
fn descendants_match_the_plain_statement() {
    let mut rng = StdRng::seed_from_u64(5);
    for round in 0..20 {
        let n = rng.random_range(1..40);
        let tree = Arc::new(random_tree(&mut rng, n));
        let mut index = Index::new(&schema()).unwrap();
        let rows = rng.random_range(0..120);
        for i in 0..rows {
            index.push(row(i, random_value(&mut rng, n))).unwrap();
        }
        index.set_phylo_tree(1, tree.clone()).unwrap();
        check(&index, &tree, &mut rng);
        // Appended rows are placed too.
        let more: Vec<PreparedRow> =
            (rows..rows + 30).map(|i| index.prepare(row(i, random_value(&mut rng, n))).unwrap()).collect();
        index.append(more).unwrap();
        check(&index, &tree, &mut rng);
        if round % 5 == 0 {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("index.vix");
            snapshot::write(&path, &index, b"s").unwrap();
            let (back, _) = snapshot::read(&path).unwrap();
            let back_tree = back.phylo().unwrap().tree().clone();
            assert_eq!(back_tree.to_newick(), tree.to_newick());
            check(&back, &back_tree, &mut rng);
        }
    }
}

#[test]
fn only_string_columns_hold_trees_and_other_columns_match_nothing() {
    let tree = Arc::new(PhyloTree::from_newick("((a,b)x,c)r;").unwrap());
    let mut index = Index::new(&schema()).unwrap();
    for (i, v) in ["a", "b", "c", "x"].into_iter().enumerate() {
        index.push(row(i, Value::String(v.into()))).unwrap();
    }
    assert!(matches!(index.set_phylo_tree(2, tree.clone()), Err(IndexError::NotATreeColumn { .. })));
    index.set_phylo_tree(1, tree.clone()).unwrap();
    let root = tree.root().get();
    assert_eq!(index.evaluate(&Filter::PhyloDescendantOf { column: 1, node: root }).len(), 3);
    // Another column, or a node beyond the tree: nothing.
    assert!(index.evaluate(&Filter::PhyloDescendantOf { column: 0, node: root }).is_empty());
    assert!(index.evaluate(&Filter::PhyloDescendantOf { column: 1, node: 99 }).is_empty());
    // Without a tree the snapshot has none either.
    index.clear_phylo_tree();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index.vix");
    snapshot::write(&path, &index, b"").unwrap();
    assert!(snapshot::read(&path).unwrap().0.phylo().is_none());
}

/// A tree grown by attaching leaves (as a hub attaches new genomes): placing the rows by
/// renumbering the current nodes gives the same column as placing every row by name.
#[test]
fn grown_trees_place_rows_as_a_full_placement_does() {
    let mut rng = StdRng::seed_from_u64(11);
    for _ in 0..20 {
        let n = rng.random_range(1..30);
        let tree = Arc::new(random_tree(&mut rng, n));
        let mut index = Index::new(&schema()).unwrap();
        for i in 0..rng.random_range(0..80) {
            // Values naming leaves still to come (`g…`) are not in the tree yet.
            let value = if rng.random_bool(0.3) {
                Value::String(format!("g{}", rng.random_range(0..20)))
            } else {
                random_value(&mut rng, n)
            };
            index.push(row(i, value)).unwrap();
        }
        index.set_phylo_tree(1, tree.clone()).unwrap();
        let mut b = PhyloTreeBuilder::from_tree(&tree);
        for g in 0..rng.random_range(0..20) {
            let parent = NodeId::new(rng.random_range(0..tree.node_count() as u32));
            b.add_child(parent.into(), Some(&format!("g{g}")), None).unwrap();
        }
        let grown = Arc::new(b.build());
        let new_of_old: Vec<u32> = (0..tree.node_count() as u32)
            .map(|v| grown.node(tree.name(NodeId::new(v)).unwrap()).unwrap().get())
            .collect();
        let fast = index.place_in_grown_tree(1, grown.clone(), &new_of_old).unwrap();
        let full = index.place_in_tree(1, grown.clone()).unwrap();
        for r in 0..index.rows() {
            assert_eq!(fast.node(r), full.node(r), "row {r}");
        }
        index.set_phylo_column(fast);
        check(&index, &grown, &mut rng);
    }
}
