//! LAPIS's phylogenetic queries through the query layer, on a hand-drawn tree, against their
//! plain statements (SILO's, as `virion-phylo` documents them):
//!
//! ```text
//!                 R
//!        ┌────────┼───────────┐
//!        X:1      Z:2         F:3
//!      ┌─┴─┐    ┌─┴──┐
//!     A:1 B:2  C:1   Y:1
//!                  ┌─┴─┐
//!                 D:1 E:1
//! ```
//!
//! Rows name leaves, an internal node (`X`), a leaf twice (`A`), values not in the tree and
//! null. `usherTree.phyloDescendantOf=N` selects the rows naming a leaf strictly below `N`;
//! the most recent common ancestor of a selection is found by SILO's depth lifting over the
//! distinct nodes named; `missingNodeCount` is the null rows plus the distinct values not in
//! the tree. Every subset of the rows is checked, over one part and split over two.

use std::collections::BTreeSet;
use std::sync::Arc;

use virion_index::*;
use virion_phylo::{NodeId, PhyloTree, UnaryNodes};
use virion_query::execute::{
    Budget, MostRecentCommonAncestor, Part, PhyloSubtree, most_recent_common_ancestor, phylo_subtree,
};
use virion_query::silo_filter::parse_queries;
use virion_query::*;

const NEWICK: &str = "((A:1,B:2)X:1,(C:1,(D:1,E:1)Y:1)Z:2,F:3)R;";

/// (key, tree value, country); `None` is null.
const ROWS: [(&str, Option<&str>, &str); 10] = [
    ("k1", Some("A"), "CH"),
    ("k2", Some("B"), "DE"),
    ("k3", Some("C"), "CH"),
    ("k4", Some("D"), "CH"),
    ("k5", Some("E"), "FR"),
    ("k6", None, "CH"),
    ("k7", Some("nope"), "DE"),
    ("k8", Some("X"), "CH"),
    ("k9", Some("A"), "FR"),
    ("k10", Some("other"), "CH"),
];

fn tree() -> Arc<PhyloTree> {
    Arc::new(PhyloTree::from_newick(NEWICK).unwrap())
}

fn index_of(rows: &[(&str, Option<&str>, &str)], tree: Option<&Arc<PhyloTree>>) -> QueryIndex {
    let schema = Schema {
        metadata: vec![
            ("key".into(), ColumnType::String { indexed: false }),
            ("usherTree".into(), ColumnType::String { indexed: false }),
            ("country".into(), ColumnType::String { indexed: true }),
        ],
        segments: vec![("main".into(), b"ACGT".to_vec())],
        genes: vec![],
    };
    let mut index = Index::new(&schema).unwrap();
    for (key, node, country) in rows {
        index
            .push(RowInput {
                metadata: vec![
                    Value::String((*key).into()),
                    node.map_or(Value::Null, |n| Value::String(n.into())),
                    Value::String((*country).into()),
                ],
                segments: vec![SeqInput::Aligned(b"ACGT".to_vec())],
                ..RowInput::default()
            })
            .unwrap();
    }
    if let Some(tree) = tree {
        index.set_phylo_tree(1, tree.clone()).unwrap();
    }
    QueryIndex { index, lineage: None }
}

fn request(pairs: &[(&str, &[&str])]) -> LapisRequest {
    LapisRequest::from_pairs(
        pairs
            .iter()
            .map(|(k, vs)| (k.to_string(), vs.iter().map(|v| Some((*v).to_owned())).collect()))
            .collect(),
    )
    .unwrap()
}

fn keys(q: &QueryIndex, pairs: &[(&str, &[&str])]) -> Result<Vec<String>, QueryError> {
    let rows = q.select(&request(pairs), &q.index.all())?;
    Ok(rows.iter().map(|r| q.index.columns[0].str(r).unwrap().to_owned()).collect())
}

/// Whether `ancestor` lies on the path from `node` to the root (`node` itself excluded).
fn strictly_below(tree: &PhyloTree, node: NodeId, ancestor: NodeId) -> bool {
    let mut at = tree.parent(node);
    while let Some(a) = at {
        if a == ancestor {
            return true;
        }
        at = tree.parent(a);
    }
    false
}

/// SILO's `getMRCA`: lift every node to the least depth among them, then all one level at a
/// time until one node is left.
fn silo_mrca(tree: &PhyloTree, nodes: &BTreeSet<NodeId>) -> Option<NodeId> {
    let min_depth = nodes.iter().map(|&n| tree.depth(n)).min()?;
    let mut level: BTreeSet<NodeId> = nodes
        .iter()
        .map(|&n| {
            let mut n = n;
            while tree.depth(n) > min_depth {
                n = tree.parent(n).unwrap();
            }
            n
        })
        .collect();
    while level.len() > 1 {
        level = level.iter().map(|&n| tree.parent(n).unwrap()).collect();
    }
    level.into_iter().next()
}

#[test]
fn descendant_filter_matches_its_plain_statement() {
    let tree = tree();
    let q = index_of(&ROWS, Some(&tree));
    for node in 0..tree.node_count() as u32 {
        let node = NodeId::new(node);
        let name = tree.name(node).unwrap();
        let want: Vec<String> = ROWS
            .iter()
            .filter(|(_, v, _)| {
                v.and_then(|v| tree.node(v))
                    .is_some_and(|v| tree.is_leaf(v) && strictly_below(&tree, v, node))
            })
            .map(|(k, _, _)| (*k).to_owned())
            .collect();
        assert_eq!(keys(&q, &[("usherTree.phyloDescendantOf", &[name])]).unwrap(), want, "{name}");
        // The same in an advancedQuery (any case), and in a variantQuery.
        let advanced = format!("usherTree.PhyloDescendantOf='{name}'");
        assert_eq!(keys(&q, &[("advancedQuery", &[advanced.as_str()])]).unwrap(), want, "{advanced}");
        let variant = format!("usherTree.DescendantOf:{name}");
        assert_eq!(keys(&q, &[("variantQuery", &[variant.as_str()])]).unwrap(), want, "{variant}");
    }
    // Spelled hands-on: X holds A (twice) and B; a leaf has no descendants; rows naming the
    // internal node X never match; other filters combine with AND.
    assert_eq!(keys(&q, &[("usherTree.phyloDescendantOf", &["X"])]).unwrap(), ["k1", "k2", "k9"]);
    assert_eq!(keys(&q, &[("USHERTREE.PHYLODESCENDANTOF", &["Z"])]).unwrap(), ["k3", "k4", "k5"]);
    assert!(keys(&q, &[("usherTree.phyloDescendantOf", &["A"])]).unwrap().is_empty());
    assert_eq!(
        keys(&q, &[("usherTree.phyloDescendantOf", &["R"]), ("country", &["CH"])]).unwrap(),
        ["k1", "k3", "k4"]
    );
    assert_eq!(
        keys(&q, &[("advancedQuery", &["usherTree.phyloDescendantOf=Z & !country=CH"])]).unwrap(),
        ["k5"]
    );
}

#[test]
fn descendant_filter_refusals_carry_lapis_and_silo_messages() {
    let q = index_of(&ROWS, Some(&tree()));
    let err = keys(&q, &[("usherTree.phyloDescendantOf", &["nowhere"])]).unwrap_err().to_string();
    assert!(
        err.contains("The node 'nowhere' does not exist in the phylogenetic tree of column 'usherTree'"),
        "{err}"
    );
    let err = keys(&q, &[("usherTree.phyloDescendantOf", &["X", "Z"])]).unwrap_err().to_string();
    assert!(
        err.contains("Expected exactly one value for internal node 'usherTree' but got 2 values."),
        "{err}"
    );
    let err = keys(&q, &[("country.phyloDescendantOf", &["X"])]).unwrap_err().to_string();
    assert!(
        err.contains("Metadata field 'country' of type STRING does not support PhyloDescendantOf"),
        "{err}"
    );
    // Without a tree the column is a plain string column.
    let plain = index_of(&ROWS, None);
    let err = keys(&plain, &[("usherTree.phyloDescendantOf", &["X"])]).unwrap_err().to_string();
    assert!(err.contains("does not support PhyloDescendantOf"), "{err}");
}

#[test]
fn query_parse_emits_lapis_phylo_filter() {
    let q = index_of(&ROWS, Some(&tree()));
    let parsed = |query: &str, full: bool| {
        serde_json::to_value(&parse_queries(&q, &[query.to_owned()], full)[0]).unwrap()
    };
    assert_eq!(
        parsed("usherTree.PhyloDescendantOf=Z", false)["filter"],
        serde_json::json!({ "column": "usherTree", "internalNode": "Z", "type": "PhyloDescendantOf" })
    );
    let checked = parsed("usherTree.phyloDescendantOf=nowhere", true);
    assert_eq!(checked["type"], "failure");
    assert_eq!(
        checked["error"],
        "Error from SILO: The node 'nowhere' does not exist in the phylogenetic tree of column 'usherTree'"
    );
    let refused = parsed("country.phyloDescendantOf=Z", false);
    assert_eq!(refused["type"], "failure", "{refused}");
    assert!(refused["error"].as_str().unwrap().contains("does not support PhyloDescendantOf"), "{refused}");
}

/// Both answers for the rows of `subset` (bit i: row i), over `parts`.
fn answers(parts: &[Part<'_>], subset: u32, print: bool) -> (MostRecentCommonAncestor, PhyloSubtree) {
    let wanted: Vec<&str> =
        ROWS.iter().enumerate().filter(|(i, _)| subset >> i & 1 == 1).map(|r| r.1.0).collect();
    let mut req = request(&[("key", &wanted), ("phyloTreeField", &["usherTree"])]);
    req.print_nodes_not_in_tree = print;
    let budget = Budget::default();
    (most_recent_common_ancestor(parts, &req, &budget).unwrap(), phylo_subtree(parts, &req, &budget).unwrap())
}

#[test]
fn mrca_and_subtree_of_every_selection() {
    let tree = tree();
    let whole = index_of(&ROWS, Some(&tree));
    let all = whole.index.all();
    // The same rows split over two parts: the second sharing the tree (as a hub member's
    // overlay does), or without one (its values looked up by name).
    let first = index_of(&ROWS[..6], Some(&tree));
    let shared = index_of(&ROWS[6..], Some(&tree));
    let unshared = index_of(&ROWS[6..], None);
    let (first_rows, second_rows) = (first.index.all(), shared.index.all());
    for subset in 1..(1u32 << ROWS.len()) {
        let chosen: Vec<_> =
            ROWS.iter().enumerate().filter(|(i, _)| subset >> i & 1 == 1).map(|r| r.1).collect();
        let nodes: BTreeSet<NodeId> = chosen.iter().filter_map(|r| r.1.and_then(|v| tree.node(v))).collect();
        let missing: BTreeSet<&str> =
            chosen.iter().filter_map(|r| r.1).filter(|v| tree.node(v).is_none()).collect();
        let nulls = chosen.iter().filter(|r| r.1.is_none()).count() as u64;
        let want_mrca = MostRecentCommonAncestor {
            mrca_node: silo_mrca(&tree, &nodes).map(|n| tree.name(n).unwrap().to_owned()),
            missing_node_count: nulls + missing.len() as u64,
            missing_from_tree: Some(missing.iter().copied().collect::<Vec<_>>().join(",")),
        };
        let node_list: Vec<NodeId> = nodes.iter().copied().collect();
        let want_tree = PhyloSubtree {
            newick: tree.subtree_newick(&node_list, UnaryNodes::Contract),
            missing_node_count: want_mrca.missing_node_count,
            missing_from_tree: want_mrca.missing_from_tree.clone(),
        };
        let one = [Part { index: &whole, visible: &all }];
        let (mrca, subtree) = answers(&one, subset, true);
        assert_eq!((&mrca, &subtree), (&want_mrca, &want_tree), "rows {subset:b}");
        for second in [&shared, &unshared] {
            let two =
                [Part { index: &first, visible: &first_rows }, Part { index: second, visible: &second_rows }];
            assert_eq!(
                answers(&two, subset, true),
                (want_mrca.clone(), want_tree.clone()),
                "rows {subset:b}"
            );
        }
        // Without printNodesNotInTree the names are left out, the count stays.
        let (quiet, _) = answers(&one, subset, false);
        assert_eq!(quiet, MostRecentCommonAncestor { missing_from_tree: None, ..want_mrca });
    }
}

#[test]
fn hand_checked_answers_and_refusals() {
    let tree = tree();
    let q = index_of(&ROWS, Some(&tree));
    let all = q.index.all();
    let parts = [Part { index: &q, visible: &all }];
    let run = |pairs: &[(&str, &[&str])]| {
        let mut req = request(pairs);
        req.print_nodes_not_in_tree = true;
        let budget = Budget::default();
        (most_recent_common_ancestor(&parts, &req, &budget), phylo_subtree(&parts, &req, &budget))
    };
    let field: (&str, &[&str]) = ("phyloTreeField", &["usherTree"]);
    // Everything: R; a null and two names not in the tree.
    let (m, t) = run(&[field]);
    let m = m.unwrap();
    assert_eq!(
        (m.mrca_node.as_deref(), m.missing_node_count, m.missing_from_tree.as_deref()),
        (Some("R"), 3, Some("nope,other"))
    );
    assert_eq!(t.unwrap().newick, "((A:1,B:2)X:1,(C:1,(D:1,E:1)Y:1)Z:2)R;");
    // C and D: Z, with Y contracted into D (lengths added).
    let (m, t) = run(&[field, ("key", &["k3", "k4"])]);
    assert_eq!(m.unwrap().mrca_node.as_deref(), Some("Z"));
    assert_eq!(t.unwrap().newick, "(C:1,D:2)Z;");
    // One leaf: itself; an internal node and a leaf below it: the internal node.
    let (m, t) = run(&[field, ("key", &["k1"])]);
    assert_eq!((m.unwrap().mrca_node.as_deref(), t.unwrap().newick.as_str()), (Some("A"), "A;"));
    assert_eq!(run(&[field, ("key", &["k8", "k2"])]).0.unwrap().mrca_node.as_deref(), Some("X"));
    // Nothing in the tree: no node, the empty Newick.
    let (m, t) = run(&[field, ("key", &["k6", "k7"])]);
    let m = m.unwrap();
    assert_eq!((m.mrca_node, m.missing_node_count, m.missing_from_tree.as_deref()), (None, 2, Some("nope")));
    assert_eq!(t.unwrap().newick, "");
    // The field is matched without regard to case; it must be the tree field.
    assert_eq!(run(&[("phyloTreeField", &["USHERTREE"])]).0.unwrap().mrca_node.as_deref(), Some("R"));
    let err = run(&[("phyloTreeField", &["country"])]).0.unwrap_err().to_string();
    assert!(
        err.contains("'country' is not a phylo tree field, known phylo tree fields are [usherTree]"),
        "{err}"
    );
    let err = run(&[]).1.unwrap_err().to_string();
    assert!(err.contains("phyloTreeField is required"), "{err}");
    // printNodesNotInTree is a special property, read as a boolean.
    let req = request(&[("phyloTreeField", &["usherTree"]), ("printNodesNotInTree", &["true"])]);
    assert!(req.print_nodes_not_in_tree && req.filters.is_empty());
    assert!(
        LapisRequest::from_pairs(vec![("printNodesNotInTree".into(), vec![Some("yes".into())])]).is_err()
    );
}
