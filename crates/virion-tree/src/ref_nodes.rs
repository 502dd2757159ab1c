//! Reference nodes of interest (`meta.extensions.nextclade.ref_nodes`): tree nodes, such as a
//! vaccine strain, against which every query's mutations are also listed
//! (`relativeMutations['<displayName>']` columns).
//!
//! A search has criteria tried in order. A criterion applies only if the query's nearest node
//! satisfies one of its `qry` conditions (clade, or every listed clade-like attribute); then its
//! `node` conditions are tried in order, each by its search algorithm, and the first node found is
//! the match. The first criterion with a match wins. A node satisfies a condition if its name, its
//! clade, or all of the listed attributes match.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::tree::RefTree;

/// `ref_nodes` of tree.json.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefNodesDesc {
    /// Name of the search shown by default; kept as written.
    #[serde(default)]
    pub default: Option<String>,
    /// The reference nodes to look for, one output column group each.
    #[serde(default)]
    pub search: Vec<RefNodeSearch>,
}

/// One reference node to look for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefNodeSearch {
    /// The search's name, a key of `relativeMutations`.
    pub name: String,
    /// Name for column headers, when it differs from `name`.
    #[serde(default)]
    pub display_name: Option<String>,
    /// What the reference node is, for documentation.
    #[serde(default)]
    pub description: Option<String>,
    /// Criteria, tried in order; the first with a match wins.
    #[serde(default)]
    pub criteria: Vec<RefNodeCriteria>,
}

impl RefNodeSearch {
    /// The name used in column headers.
    pub fn display_name_or_name(&self) -> &str {
        self.display_name.as_deref().unwrap_or(&self.name)
    }
}

/// When (`qry`) and where (`node`) to look.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefNodeCriteria {
    /// Conditions on the query's nearest node; the criterion applies if any holds.
    #[serde(default)]
    pub qry: Vec<NodeCondition>,
    /// Where to look, tried in order; the first node found is the match.
    #[serde(default)]
    pub node: Vec<NodeSearch>,
}

/// Conditions on a node; empty lists do not match anything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeCondition {
    /// Node names that match.
    #[serde(default)]
    pub name: Vec<String>,
    /// Clades (`clade_membership`) that match.
    #[serde(default)]
    pub clade: Vec<String>,
    /// Attribute key → accepted values.
    #[serde(default, alias = "clade_node_attrs")]
    pub clade_node_attrs: BTreeMap<String, Vec<String>>,
}

/// A node condition and how to search the tree for it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeSearch {
    /// How to search the tree.
    #[serde(default, alias = "search_algo")]
    pub search_algo: SearchAlgo,
    /// What the node must satisfy.
    #[serde(flatten)]
    pub condition: NodeCondition,
}

/// Where to look for a matching node.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SearchAlgo {
    /// The closest ancestor of the nearest node (the nearest node itself excluded).
    AncestorNearest,
    /// The ancestor closest to the root.
    AncestorEarliest,
    /// Any node, in tree order.
    #[default]
    Full,
}

impl RefTree {
    fn node_clade_is_one_of(&self, node: usize, clades: &[String]) -> bool {
        self.nodes[node].clade().is_some_and(|c| clades.iter().any(|x| x == c))
    }

    /// Every listed attribute present with one of its accepted values (none listed: no match).
    fn node_attrs_match(&self, node: usize, attrs: &BTreeMap<String, Vec<String>>) -> bool {
        !attrs.is_empty()
            && attrs.iter().all(|(key, values)| {
                self.nodes[node].attrs.get(key).is_some_and(|v| values.iter().any(|x| x == v))
            })
    }

    fn node_satisfies(&self, node: usize, c: &NodeCondition) -> bool {
        c.name.iter().any(|n| *n == self.nodes[node].name)
            || self.node_clade_is_one_of(node, &c.clade)
            || self.node_attrs_match(node, &c.clade_node_attrs)
    }

    /// Ancestors of `node`, nearest first, the node itself excluded.
    pub fn ancestors(&self, node: usize) -> impl Iterator<Item = usize> + '_ {
        std::iter::successors(self.nodes[node].parent, |&i| self.nodes[i].parent)
    }

    fn search_node(&self, nearest: usize, s: &NodeSearch) -> Option<usize> {
        let ok = |&i: &usize| self.node_satisfies(i, &s.condition);
        match s.search_algo {
            SearchAlgo::AncestorNearest => self.ancestors(nearest).find(ok),
            SearchAlgo::AncestorEarliest => self.ancestors(nearest).filter(ok).last(),
            SearchAlgo::Full => (0..self.nodes.len()).find(ok),
        }
    }

    /// The node `search` designates for a query placed on `nearest`, if any.
    pub fn find_ref_node(&self, nearest: usize, search: &RefNodeSearch) -> Option<usize> {
        search.criteria.iter().find_map(|criteria| {
            let applies = criteria.qry.iter().any(|q| {
                self.node_clade_is_one_of(nearest, &q.clade)
                    || self.node_attrs_match(nearest, &q.clade_node_attrs)
            });
            if !applies {
                return None;
            }
            criteria.node.iter().find_map(|s| self.search_node(nearest, s))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_tree;

    fn search(json: &str) -> RefNodeSearch {
        serde_json::from_str(json).unwrap()
    }

    fn found(t: &RefTree, from: &str, s: &RefNodeSearch) -> Option<String> {
        let i = t.nodes().iter().position(|n| n.name == from).unwrap();
        t.find_ref_node(i, s).map(|j| t.node(j).name.clone())
    }

    #[test]
    fn full_search_by_name_when_query_clade_qualifies() {
        let t = test_tree::tree();
        let s = search(
            r#"{"name": "B", "displayName": "B (vaccine)",
               "criteria": [{"qry": [{"clade": ["A", "A.1"]}], "node": [{"name": ["b"]}]}]}"#,
        );
        assert_eq!(s.display_name_or_name(), "B (vaccine)");
        assert_eq!(s.criteria[0].node[0].search_algo, SearchAlgo::Full);
        // b is not an ancestor of a1, but a full search finds it anywhere.
        assert_eq!(found(&t, "a1", &s).as_deref(), Some("b"));
        assert_eq!(found(&t, "root", &s), None, "root's clade R does not qualify");
    }

    #[test]
    fn ancestor_searches_exclude_the_node_itself() {
        let t = test_tree::tree();
        let nearest = search(
            r#"{"name": "x", "criteria": [{"qry": [{"clade": ["A.1", "A"]}],
               "node": [{"searchAlgo": "ancestorNearest", "clade": ["A", "R"]}]}]}"#,
        );
        let earliest = search(
            r#"{"name": "x", "criteria": [{"qry": [{"clade": ["A.1", "A"]}],
               "node": [{"searchAlgo": "ancestorEarliest", "clade": ["A", "R"]}]}]}"#,
        );
        assert_eq!(found(&t, "a1", &nearest).as_deref(), Some("a"));
        assert_eq!(found(&t, "a1", &earliest).as_deref(), Some("root"));
        assert_eq!(found(&t, "a", &nearest).as_deref(), Some("root"));
    }
}
