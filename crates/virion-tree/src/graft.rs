//! The reference tree with query genomes grafted where placement put them, as Auspice v2 JSON
//! (`virion process --output-tree`), to look at in Auspice or auspice.us.
//!
//! Each query becomes a tip below its nearest node. Its branch carries its private mutations
//! (nucleotide, and amino-acid per CDS, 1-based as Auspice writes them), its `div` is its
//! divergence, and its node attributes are its clade calls, `Node type: New` and `QC Status`,
//! the names Nextclade gives them. A query placed on a tip would turn that sample into an
//! internal node; instead a new node takes the tip's place and branch, and the sample (on a
//! branch without mutations) and the queries hang below it, so every sample stays a tip, as in
//! Nextclade. Unlike Nextclade's default tree builder, queries are not moved along branches to
//! share mutations with each other: they sit where placement put them, as with Nextclade's
//! `--without-greedy-tree-builder`.
//!
//! Everything else in tree.json (meta, colorings, other attributes) is kept as written; a
//! `Node type` coloring is added when the tree has none, so Auspice can colour the new tips.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::error::TreeError;
use crate::tree::RefTree;

/// One query genome to graft.
#[derive(Debug, Clone, PartialEq)]
pub struct GraftedQuery {
    /// The tip's name (the FASTA record's).
    pub name: String,
    /// Its nearest node, by index in the tree's pre-order (as [`crate::RefTree`] numbers nodes).
    pub node: usize,
    /// Private nucleotide mutations, `C241T`, deletions as `A11288-`.
    pub nuc_mutations: Vec<String>,
    /// Private amino-acid mutations per CDS, `N501Y` (CDSes without any left out).
    pub aa_mutations: Vec<(String, Vec<String>)>,
    /// The query's divergence as the tree counts it: [`RefTree::query_divergence`] over its
    /// private substitutions and deletions.
    pub divergence: f64,
    /// Node attributes: `clade_membership`, the clade-like attributes, `QC Status`.
    pub attrs: Vec<(String, String)>,
}

/// The `div` of the node inserted above tip `leaf`, and of what hangs below it, as Nextclade
/// computes them: the parent's `div` plus the tip's own branch as [`RefTree::query_divergence`]
/// counts a branch, unless that is more than the tip's `div`.
struct LeafDivs {
    inserted: f64,
    leaf: f64,
}

impl RefTree {
    /// Grafts `queries` onto this tree, whose text is `tree_json`, and returns the whole
    /// document. `ref_len` is the reference's length (for trees that count per site).
    pub fn graft_queries(
        &self,
        tree_json: &str,
        queries: &[GraftedQuery],
        ref_len: usize,
    ) -> Result<Value, TreeError> {
        let leaf_divs = |node: usize| {
            let n = self.nodes.get(node)?;
            let leaf = n.div?;
            let parent = n.parent.and_then(|p| self.nodes[p].div)?;
            let branch = self.query_divergence(n.parent?, &n.branch_nuc_muts, ref_len) - parent;
            Some(LeafDivs { inserted: leaf.min(parent + branch), leaf })
        };
        graft_queries(tree_json, queries, &leaf_divs)
    }
}

fn graft_queries(
    tree_json: &str,
    queries: &[GraftedQuery],
    leaf_divs: &dyn Fn(usize) -> Option<LeafDivs>,
) -> Result<Value, TreeError> {
    let mut de = serde_json::Deserializer::from_str(tree_json);
    // Reference trees nest deeper than serde_json's default limit (flu: 113 levels).
    de.disable_recursion_limit();
    let mut doc = Value::deserialize(&mut de)?;
    de.end()?;
    let mut by_node: BTreeMap<usize, Vec<&GraftedQuery>> = BTreeMap::new();
    for q in queries {
        by_node.entry(q.node).or_default().push(q);
    }
    let Some(root) = doc.get_mut("tree").filter(|t| t.is_object()) else {
        return Err(TreeError::NoTree);
    };
    let mut next = 0;
    graft(root, &mut next, &by_node, leaf_divs);
    add_node_type_coloring(&mut doc);
    Ok(doc)
}

/// Numbers `node` and its subtree in pre-order (original children only) and grafts the queries
/// of each node below it.
fn graft(
    node: &mut Value,
    next: &mut usize,
    by_node: &BTreeMap<usize, Vec<&GraftedQuery>>,
    leaf_divs: &dyn Fn(usize) -> Option<LeafDivs>,
) {
    let index = *next;
    *next += 1;
    if let Some(children) = node.get_mut("children").and_then(Value::as_array_mut) {
        for child in children {
            graft(child, next, by_node, leaf_divs);
        }
    }
    let Some(queries) = by_node.get(&index) else { return };
    match node.get_mut("children").and_then(Value::as_array_mut).filter(|c| !c.is_empty()) {
        Some(children) => children.extend(queries.iter().map(|q| query_tip(q, 0.0))),
        None => {
            // The inserted node may sit a little above the tip (Nextclade recounts the tip's
            // branch without masked sites); the queries hang from it by their own branches.
            let divs = leaf_divs(index);
            let shift = divs.as_ref().map_or(0.0, |d| d.inserted - d.leaf);
            let tips = queries.iter().map(|q| query_tip(q, shift));
            let mut sample = node.take();
            let mut parent = sample.clone();
            let name = sample.get("name").and_then(Value::as_str).unwrap_or_default();
            parent["name"] = json!(format!("{name}__with_placed_queries"));
            if let Some(d) = &divs
                && let Some(attrs) = parent.get_mut("node_attrs").and_then(Value::as_object_mut)
            {
                attrs.insert("div".into(), json!(d.inserted));
            }
            sample["branch_attrs"] = json!({ "mutations": {} });
            parent["children"] = Value::Array(std::iter::once(sample).chain(tips).collect());
            *node = parent;
        }
    }
}

fn query_tip(q: &GraftedQuery, div_shift: f64) -> Value {
    let mut mutations = Map::new();
    mutations.insert("nuc".into(), json!(q.nuc_mutations));
    for (cds, muts) in q.aa_mutations.iter().filter(|(_, m)| !m.is_empty()) {
        mutations.insert(cds.clone(), json!(muts));
    }
    let mut attrs = Map::new();
    attrs.insert("div".into(), json!(q.divergence + div_shift));
    for (key, value) in &q.attrs {
        attrs.insert(key.clone(), json!({ "value": value }));
    }
    attrs.insert("Node type".into(), json!({ "value": "New" }));
    json!({ "name": q.name, "node_attrs": attrs, "branch_attrs": { "mutations": mutations } })
}

fn add_node_type_coloring(doc: &mut Value) {
    let Some(meta) = doc.get_mut("meta").and_then(Value::as_object_mut) else { return };
    let colorings = meta.entry("colorings").or_insert_with(|| json!([]));
    let Some(list) = colorings.as_array_mut() else { return };
    if !list.iter().any(|c| c.get("key").and_then(Value::as_str) == Some("Node type")) {
        list.push(json!({ "key": "Node type", "title": "Node type", "type": "categorical" }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TREE: &str = r#"{"version": "v2", "meta": {"colorings": []}, "tree": {"name": "root",
        "node_attrs": {"div": 0}, "children": [
          {"name": "a", "node_attrs": {"div": 1}, "branch_attrs": {"mutations": {"nuc": ["A1G"]}},
           "children": [{"name": "a1", "node_attrs": {"div": 2}, "branch_attrs": {"mutations": {"nuc": ["C2T"]}}}]},
          {"name": "b", "node_attrs": {"div": 1}}]}}"#;

    fn query(name: &str, node: usize) -> GraftedQuery {
        GraftedQuery {
            name: name.into(),
            node,
            nuc_mutations: vec!["G3A".into()],
            aa_mutations: vec![("S".into(), vec!["N1Y".into()]), ("E".into(), vec![])],
            divergence: 3.0,
            attrs: vec![("clade_membership".into(), "A".into())],
        }
    }

    #[test]
    fn queries_hang_below_their_nodes_and_samples_stay_tips() {
        // Pre-order: root 0, a 1, a1 2, b 3.
        let doc = graft_queries(TREE, &[query("q1", 1), query("q2", 2)], &|_| None).unwrap();
        let a = &doc["tree"]["children"][0];
        assert_eq!(a["children"][1]["name"], "q1");
        assert_eq!(a["children"][1]["branch_attrs"]["mutations"], json!({"nuc": ["G3A"], "S": ["N1Y"]}));
        assert_eq!(a["children"][1]["node_attrs"]["Node type"]["value"], "New");
        assert_eq!(a["children"][1]["node_attrs"]["clade_membership"]["value"], "A");
        // a1 was a tip: a new node took its place and branch; a1 and q2 hang below it.
        let parent = &a["children"][0];
        assert_eq!(parent["name"], "a1__with_placed_queries");
        assert_eq!(parent["branch_attrs"]["mutations"]["nuc"], json!(["C2T"]));
        assert_eq!(parent["children"][0]["name"], "a1");
        assert_eq!(parent["children"][0]["branch_attrs"]["mutations"], json!({}));
        assert_eq!(parent["children"][1]["name"], "q2");
        assert_eq!(doc["meta"]["colorings"][0]["key"], "Node type");
    }

    #[test]
    fn a_document_without_a_tree_is_refused() {
        assert!(graft_queries(r#"{"meta": {}}"#, &[], &|_| None).is_err());
        assert!(graft_queries("not json", &[], &|_| None).is_err());
    }
}
