//! A small hand-drawn tree, checked by eye, including the cases of SILO's own
//! `src/rhydb/common/phylo_tree.test.cpp` (its tree and expected subtree strings).

use virion_phylo::{
    BuildError, Found, Location, NewickError, NodeId, PhyloTree, PhyloTreeBuilder, UnaryNodes,
};

//                        R  (pre-order 0)
//             ┌──────────┴──────────────┐
//           A:0.2 (1)                 B:0.5 (7)
//        ┌────┴────────┐           ┌────┴───────┐
//     A1:0.3 (2)    A2:0.4 (5)   B1:0.5 (8)  B2:0.05 (9)
//     ┌──┴───┐          │        leaf #3     ┌───┴────┐
//  A1.1:0.2 A1.2:0.2  A2.1:0            B2.1:0.3  B2.2:0.05
//  (3) #0   (4) #1    (6) #2            (10) #4   (11) #5
//
// (n) = pre-order NodeId, #k = leaf ordinal.
const NEWICK: &str = "(((A1.1:0.2, A1.2:0.2)A1:0.3,(A2.1:0)A2:0.4)A:0.2,\
                      (B1:0.5,(B2.1:0.3,B2.2:0.05)B2:0.05)B:0.5)R;";

fn tree() -> PhyloTree {
    PhyloTree::from_newick(NEWICK).unwrap()
}

fn id(tree: &PhyloTree, name: &str) -> NodeId {
    tree.node(name).unwrap_or_else(|| panic!("{name} is in the tree"))
}

fn ids(tree: &PhyloTree, names: &[&str]) -> Vec<NodeId> {
    names.iter().map(|name| id(tree, name)).collect()
}

fn name(tree: &PhyloTree, node: Option<NodeId>) -> Option<&str> {
    node.map(|node| tree.name(node).unwrap())
}

#[test]
fn structure_is_pre_order() {
    let t = tree();
    assert_eq!(t.node_count(), 12);
    assert_eq!(t.leaf_count(), 6);
    let order: Vec<&str> = t.subtree(t.root()).map(|v| t.name(v).unwrap()).collect();
    assert_eq!(order, ["R", "A", "A1", "A1.1", "A1.2", "A2", "A2.1", "B", "B1", "B2", "B2.1", "B2.2"]);
    assert_eq!(id(&t, "B2"), NodeId::new(9));
    assert_eq!(t.parent(id(&t, "B2.1")), Some(id(&t, "B2")));
    assert_eq!(t.parent(t.root()), None);
    assert_eq!(t.depth(id(&t, "A1.2")), 3);
    assert_eq!(t.depth(t.root()), 0);
    assert_eq!(t.branch_length(id(&t, "B2.2")), Some(0.05));
    assert_eq!(t.branch_length(id(&t, "A2.1")), Some(0.0));
    assert_eq!(t.branch_length(t.root()), None);
    let children: Vec<NodeId> = t.children(id(&t, "B")).collect();
    assert_eq!(children, ids(&t, &["B1", "B2"]));
    assert_eq!(t.children(id(&t, "B1")).count(), 0);
    assert!(t.is_leaf(id(&t, "A2.1")) && !t.is_leaf(id(&t, "A2")));
    assert!(t.is_ancestor_or_self(id(&t, "A"), id(&t, "A2.1")));
    assert!(!t.is_ancestor_or_self(id(&t, "A1"), id(&t, "A2.1")));
}

#[test]
fn descendants_are_leaf_ordinal_ranges() {
    let t = tree();
    assert_eq!(t.leaf_range(t.root()), 0..6);
    assert_eq!(t.leaf_range(id(&t, "A")), 0..3);
    assert_eq!(t.leaf_range(id(&t, "B2")), 4..6);
    assert_eq!(t.leaf_range(id(&t, "B1")), 3..4);
    // SILO: descendants of a leaf are none, not even the leaf.
    assert!(t.phylo_descendant_of(id(&t, "B1")).is_empty());
    assert_eq!(t.phylo_descendant_of(id(&t, "A2")), 2..3);
    assert_eq!(t.leaf_ordinal("B2.1"), Some(4));
    assert_eq!(t.leaf_ordinal("B2"), None);
    assert_eq!(t.leaf_ordinal("nope"), None);
    assert_eq!(t.leaf(4), id(&t, "B2.1"));
    assert_eq!(t.leaf(0), id(&t, "A1.1"));
    assert_eq!(t.leaf(5), id(&t, "B2.2"));
    let under_a: Vec<&str> = t.leaf_names_under(id(&t, "A")).collect();
    assert_eq!(under_a, ["A1.1", "A1.2", "A2.1"]);
    let leaves_b: Vec<NodeId> = t.leaves_under(id(&t, "B")).collect();
    assert_eq!(leaves_b, ids(&t, &["B1", "B2.1", "B2.2"]));
}

#[test]
fn mrca_answers_like_silo() {
    let t = tree();
    let mrca = |names: &[&str]| name(&t, t.mrca(&ids(&t, names))).map(str::to_owned);
    assert_eq!(mrca(&[]), None);
    assert_eq!(mrca(&["A2.1"]).as_deref(), Some("A2.1"));
    assert_eq!(mrca(&["A1.1", "A1.1"]).as_deref(), Some("A1.1"));
    assert_eq!(mrca(&["A1.1", "A1.2"]).as_deref(), Some("A1"));
    assert_eq!(mrca(&["A1.2", "A2.1"]).as_deref(), Some("A"));
    assert_eq!(mrca(&["B2.2", "A1.1"]).as_deref(), Some("R"));
    assert_eq!(mrca(&["A1", "A1.2"]).as_deref(), Some("A1"));
    assert_eq!(mrca(&["A2", "B"]).as_deref(), Some("R"));
    assert_eq!(mrca(&["B2.1", "B2.2", "B1"]).as_deref(), Some("B"));
    assert_eq!(mrca(&["R", "B2.1"]).as_deref(), Some("R"));
    assert_eq!(name(&t, Some(t.lca(id(&t, "B2.2"), id(&t, "B1")))), Some("B"));

    // SILO's correctlyReturnsMRCA, with the name lookup it does first.
    let silo = PhyloTree::from_newick("((CHILD2, CHILD3)CHILD, CHILD4)ROOT;").unwrap();
    let lookup = silo.lookup_names(["CHILD2", "NOT_IN_TREE", "CHILD2"]);
    assert_eq!(lookup.missing, ["NOT_IN_TREE"]);
    assert_eq!(name(&silo, silo.mrca(&lookup.found)), Some("CHILD2"));
    let lookup = silo.lookup_names(["CHILD4", "CHILD3", "CHILD2"]);
    assert_eq!(name(&silo, silo.mrca(&lookup.found)), Some("ROOT"));
    let lookup = silo.lookup_names(["NOT_IN_TREE2", "NOT_IN_TREE"]);
    assert_eq!(lookup.missing, ["NOT_IN_TREE", "NOT_IN_TREE2"]);
    assert_eq!(silo.mrca(&lookup.found), None);
}

#[test]
fn subtree_newick_matches_silo_tests() {
    use UnaryNodes::{Contract, Keep};
    let plain = PhyloTree::from_newick("(((A1.1, A1.2)A1,(A2.1)A2)A,(B1,(B2.1,B2.2)B2)B)R;").unwrap();
    let t = tree();
    let all = ["A1.1", "A1.2", "A2.1", "B1", "B2.1", "B2.2"];
    let cases: &[(&PhyloTree, &[&str], UnaryNodes, &str)] = &[
        (&plain, &["A1.1", "A1.2", "A2.1"], Keep, "((A1.1,A1.2)A1,(A2.1)A2)A;"),
        (&plain, &["B1", "B2.1", "B2.2"], Keep, "(B1,(B2.1,B2.2)B2)B;"),
        (&plain, &all, Keep, "(((A1.1,A1.2)A1,(A2.1)A2)A,(B1,(B2.1,B2.2)B2)B)R;"),
        (&plain, &["A1.1"], Keep, "A1.1;"),
        (&plain, &["A1.1", "A1.2", "A2.1"], Contract, "((A1.1,A1.2)A1,A2.1)A;"),
        (&plain, &all, Contract, "(((A1.1,A1.2)A1,A2.1)A,(B1,(B2.1,B2.2)B2)B)R;"),
        (&t, &["A1.1", "A1.2", "A2.1"], Keep, "((A1.1:0.2,A1.2:0.2)A1:0.3,(A2.1:0)A2:0.4)A;"),
        (&t, &["B1", "B2.1"], Keep, "(B1:0.5,(B2.1:0.3)B2:0.05)B;"),
        (
            &t,
            &all,
            Keep,
            "(((A1.1:0.2,A1.2:0.2)A1:0.3,(A2.1:0)A2:0.4)A:0.2,\
             (B1:0.5,(B2.1:0.3,B2.2:0.05)B2:0.05)B:0.5)R;",
        ),
        (&t, &["A1.1", "A1.2", "A2.1"], Contract, "((A1.1:0.2,A1.2:0.2)A1:0.3,A2.1:0.4)A;"),
        (&t, &["B1", "B2.1"], Contract, "(B1:0.5,B2.1:0.35)B;"),
        (
            &t,
            &all,
            Contract,
            "(((A1.1:0.2,A1.2:0.2)A1:0.3,A2.1:0.4)A:0.2,\
             (B1:0.5,(B2.1:0.3,B2.2:0.05)B2:0.05)B:0.5)R;",
        ),
        (&t, &["A1.1"], Contract, "A1.1;"),
        (&t, &[], Contract, ""),
        // One distinct node is printed bare, even an internal one.
        (&t, &["A1", "A1"], Contract, "A1;"),
        // Internal nodes only move the root (the MRCA); no selected leaf leaves nothing.
        (&t, &["A1", "B"], Keep, ""),
        (&t, &["A1.1", "A2"], Keep, "((A1.1:0.2)A1:0.3)A;"),
        (&t, &["A1.1", "A2"], Contract, "A1.1;"),
        // Order of the selection does not matter; children keep input order.
        (&t, &["B2.2", "A1.2", "B2.1"], Contract, "(A1.2:0.7,(B2.1:0.3,B2.2:0.05)B2:0.55)R;"),
        (
            &t,
            &["B2.2", "A1.2", "B2.1"],
            Keep,
            "(((A1.2:0.2)A1:0.3)A:0.2,((B2.1:0.3,B2.2:0.05)B2:0.05)B:0.5)R;",
        ),
    ];
    for &(tree, names, unary, want) in cases {
        assert_eq!(tree.subtree_newick(&ids(tree, names), unary), want, "{names:?} {unary:?}");
    }
}

#[test]
fn whole_tree_round_trips() {
    let t = tree();
    let text = t.to_newick();
    assert_eq!(
        text,
        "(((A1.1:0.2,A1.2:0.2)A1:0.3,(A2.1:0)A2:0.4)A:0.2,(B1:0.5,(B2.1:0.3,B2.2:0.05)B2:0.05)B:0.5)R;"
    );
    assert_eq!(PhyloTree::from_newick(&text).unwrap().to_newick(), text);
    let odd = PhyloTree::from_newick("(a:1e-300,b:-2.5,(c:123456789012345680000)d:0)e:7;").unwrap();
    assert_eq!(odd.to_newick(), "(a:1e-300,b:-2.5,(c:1.2345678901234568e20)d:0)e:7;");
}

#[test]
fn quoted_labels_and_comments() {
    let t = PhyloTree::from_newick(
        " [&R] ('hCoV-19/Wales/x y|2020':1, 'it''s'[c[nested]]:2 ,B.1.1.7 , (,)'':0.5) 'root node' ;\n",
    )
    .unwrap();
    assert!(t.node("hCoV-19/Wales/x y|2020").is_some());
    assert!(t.node("it's").is_some());
    assert_eq!(t.name(t.root()), Some("root node"));
    assert_eq!(t.leaf_count(), 5);
    let unnamed = NodeId::new(4);
    assert_eq!((t.name(unnamed), t.branch_length(unnamed)), (None, Some(0.5)));
    let text = t.to_newick();
    assert_eq!(text, "('hCoV-19/Wales/x y|2020':1,'it''s':2,B.1.1.7,(,):0.5)'root node';");
    assert_eq!(PhyloTree::from_newick(&text).unwrap().to_newick(), text);
    // SILO's comment placements.
    for ok in [
        "(A [c] :0.1)R;",
        "(A: [c] 0.1)R;",
        "((A)C [c] :0.3)R;",
        "((A)C:0.3 [c] )R;",
        "(A [c] ,B)R;",
        "( [c] A)R;",
        "((CHILD2:0.5[leaf comment], CHILD3:1)[internal comment]CHILD:0.1, CHILD4:1.5)ROOT[x];",
        "A;",
    ] {
        PhyloTree::from_newick(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
    }
}

fn at(line: usize, column: usize, offset: usize) -> Location {
    Location { line, column, offset }
}

#[test]
fn parse_errors_say_where_and_what() {
    use NewickError as E;
    let cases: Vec<(&str, NewickError)> = vec![
        ("", E::Empty),
        (" \n [just a comment] ", E::Empty),
        ("((A,B)C;", E::UnclosedParen { at: at(1, 1, 0) }),
        ("((A,B)C", E::UnclosedParen { at: at(1, 1, 0) }),
        ("(A,B))C;", E::UnmatchedCloseParen { at: at(1, 6, 5) }),
        ("(A,B)", E::MissingSemicolon { at: at(1, 6, 5) }),
        ("(A,B); (C);", E::TrailingInput { at: at(1, 8, 7) }),
        ("(A:x1,B);", E::InvalidBranchLength { at: at(1, 4, 3), text: "x1".into() }),
        ("(A,\n  Bé:1e999);", E::InvalidBranchLength { at: at(2, 6, 10), text: "1e999".into() }),
        ("(A:nan);", E::InvalidBranchLength { at: at(1, 4, 3), text: "nan".into() }),
        ("(A:,B);", E::Unexpected { at: at(1, 4, 3), expected: "a branch length", found: Found::Char(',') }),
        ("(A,A);", E::DuplicateName { at: at(1, 4, 3), name: "A".into() }),
        ("((CHILD)CHILD)ROOT;", E::DuplicateName { at: at(1, 9, 8), name: "CHILD".into() }),
        ("(A,'B);", E::UnclosedQuote { at: at(1, 4, 3) }),
        ("(CHILD[comment)ROOT;", E::UnclosedComment { at: at(1, 7, 6) }),
        ("(CHILD]comment)ROOT;", E::UnmatchedCloseBracket { at: at(1, 7, 6) }),
        ("(A B);", E::Unexpected { at: at(1, 4, 3), expected: "',', ')' or ';'", found: Found::Char('B') }),
        ("A,B;", E::Unexpected { at: at(1, 2, 1), expected: "';'", found: Found::Char(',') }),
        (";", E::Unexpected { at: at(1, 1, 0), expected: "'(' or a node name", found: Found::Char(';') }),
        ("(A,(B", E::UnclosedParen { at: at(1, 4, 3) }),
    ];
    for (text, want) in cases {
        assert_eq!(PhyloTree::from_newick(text).err(), Some(want), "{text:?}");
    }
    let message = PhyloTree::from_newick("(A,\n  A);").unwrap_err().to_string();
    assert_eq!(message, "line 2, column 3: node name \"A\" occurs twice");
}

#[test]
fn deep_nesting_needs_no_call_stack() {
    const DEPTH: usize = 300_000;
    let text = format!("{}leaf{};", "(".repeat(DEPTH), ")".repeat(DEPTH));
    let t = PhyloTree::from_newick(&text).unwrap();
    let leaf = id(&t, "leaf");
    assert_eq!(t.depth(leaf), DEPTH as u32);
    assert_eq!(t.to_newick(), text);
    assert_eq!(t.mrca(&[leaf, NodeId::new(17)]), Some(NodeId::new(17)));
    assert_eq!(t.subtree_newick(&[leaf, NodeId::new(5)], UnaryNodes::Contract), "leaf;");
    let unclosed = "(".repeat(1_000_000);
    assert_eq!(
        PhyloTree::from_newick(&unclosed).err(),
        Some(NewickError::UnclosedParen { at: at(1, 1_000_000, 999_999) })
    );
}

#[test]
fn builder_attaches_leaves_under_reference_nodes() {
    // The hub's use: a named reference tree, genomes attached under their placement nodes.
    let mut b = PhyloTreeBuilder::new(Some("root"));
    let clade = b.add_child(b.root(), Some("21K"), Some(0.001)).unwrap();
    let other = b.add_child(b.root(), Some("21L"), None).unwrap();
    b.attach_leaves(clade, ["EPI_1", "EPI_2"]).unwrap();
    b.attach_leaves(b.root(), ["EPI_3"]).unwrap();
    b.attach_leaves(other, ["EPI_4"]).unwrap();
    b.attach_leaves(clade, ["EPI_5"]).unwrap();
    assert_eq!(b.attach_leaves(other, ["EPI_6", "EPI_2"]), Err(BuildError::DuplicateName("EPI_2".into())));
    assert_eq!(b.node("EPI_6").map(|n| n.get()), Some(8));
    assert_eq!(
        b.add_child(b.root(), Some("x"), Some(f64::INFINITY)),
        Err(BuildError::InvalidBranchLength(f64::INFINITY))
    );
    let t = b.build();
    assert_eq!(t.to_newick(), "((EPI_1,EPI_2,EPI_5)21K:0.001,(EPI_4,EPI_6)21L,EPI_3)root;");
    assert_eq!(t.leaf_range(id(&t, "21K")), 0..3);
    assert_eq!(name(&t, t.mrca(&ids(&t, &["EPI_5", "EPI_1"]))), Some("21K"));

    // From a parsed tree: ids carry over, and the result re-parses to the same tree.
    let parsed = tree();
    let mut b = PhyloTreeBuilder::from_tree(&parsed);
    b.attach_leaves(id(&parsed, "A2").into(), ["new"]).unwrap();
    b.attach_leaves(b.node("B1").unwrap(), ["under-leaf"]).unwrap();
    assert_eq!(
        b.add_child(b.node("A").unwrap(), Some("B2.2"), None),
        Err(BuildError::DuplicateName("B2.2".into()))
    );
    let grown = b.build();
    assert_eq!(
        grown.to_newick(),
        "(((A1.1:0.2,A1.2:0.2)A1:0.3,(A2.1:0,new)A2:0.4)A:0.2,\
         ((under-leaf)B1:0.5,(B2.1:0.3,B2.2:0.05)B2:0.05)B:0.5)R;"
    );
    assert_eq!(PhyloTreeBuilder::from_tree(&parsed).build().to_newick(), parsed.to_newick());
}
