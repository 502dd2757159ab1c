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
use serde_json::{Map, Value};

use crate::tree::RefTree;

/// `ref_nodes` of tree.json. Written back (Nextclade's NDJSON `refNodes`) as read, empty lists
/// left out and keys this crate does not use (`builtins`, …) kept.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefNodesDesc {
    /// Name of the search shown by default; kept as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// The reference nodes to look for, one output column group each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub search: Vec<RefNodeSearch>,
    /// Other keys, kept as written.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// One reference node to look for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefNodeSearch {
    /// The search's name, a key of `relativeMutations`.
    pub name: String,
    /// Name for column headers, when it differs from `name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// What the reference node is, for documentation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Criteria, tried in order; the first with a match wins.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub criteria: Vec<RefNodeCriteria>,
    /// Other keys, kept as written.
    #[serde(flatten)]
    pub other: Map<String, Value>,
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
    /// Conditions on the query's nearest node; the criterion applies if any holds, or if there
    /// are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub qry: Vec<NodeCondition>,
    /// Where to look, tried in order; the first node found is the match.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub node: Vec<NodeSearch>,
    /// Other keys, kept as written.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// Conditions on a node; empty lists do not match anything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeCondition {
    /// Node names that match.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub name: Vec<String>,
    /// Clades (`clade_membership`) that match.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clade: Vec<String>,
    /// Attribute key → accepted values.
    #[serde(default, alias = "clade_node_attrs", skip_serializing_if = "BTreeMap::is_empty")]
    pub clade_node_attrs: BTreeMap<String, Vec<String>>,
    /// Other keys, kept as written.
    #[serde(flatten)]
    pub other: Map<String, Value>,
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

/// Where to look for a matching node; written `ancestor-nearest`, `ancestor-earliest`, `full`
/// as in Nextclade (the camel-case spelling is read too).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SearchAlgo {
    /// The closest ancestor of the nearest node (the nearest node itself excluded).
    #[serde(alias = "ancestorNearest")]
    AncestorNearest,
    /// The ancestor closest to the root.
    #[serde(alias = "ancestorEarliest")]
    AncestorEarliest,
    /// Any node, in tree order.
    #[default]
    Full,
}

/// The node a reference-node search found, and why it matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefNodeMatch {
    /// Index of the criterion (in [`RefNodeSearch::criteria`]) that found it.
    pub criterion: usize,
    /// The node, by index in the tree.
    pub node: usize,
    /// The condition's name equal to the node's name, if that matched.
    pub name: Option<String>,
    /// The condition's clade equal to the node's clade, if that matched.
    pub clade: Option<String>,
    /// Each attribute of the condition with the node's value, if they all matched.
    pub clade_like_attrs: Option<Vec<(String, String)>>,
}

impl RefTree {
    fn node_clade_among(&self, node: usize, clades: &[String]) -> Option<String> {
        let clade = self.nodes[node].clade()?;
        clades.iter().find(|c| *c == clade).cloned()
    }

    /// Every listed attribute present with one of its accepted values (none listed: no match).
    fn node_attrs_matching(
        &self,
        node: usize,
        attrs: &BTreeMap<String, Vec<String>>,
    ) -> Option<Vec<(String, String)>> {
        if attrs.is_empty() {
            return None;
        }
        let pairs: Vec<(String, String)> = attrs
            .iter()
            .filter_map(|(key, values)| {
                let v = self.nodes[node].attrs.get(key)?;
                values.iter().any(|x| x == v).then(|| (key.clone(), v.clone()))
            })
            .collect();
        (pairs.len() == attrs.len()).then_some(pairs)
    }

    /// The match of `node` against `c`: any of name, clade or attributes.
    fn node_match(&self, node: usize, c: &NodeCondition, criterion: usize) -> Option<RefNodeMatch> {
        let name = c.name.iter().find(|n| **n == self.nodes[node].name).cloned();
        let clade = self.node_clade_among(node, &c.clade);
        let clade_like_attrs = self.node_attrs_matching(node, &c.clade_node_attrs);
        (name.is_some() || clade.is_some() || clade_like_attrs.is_some()).then_some(RefNodeMatch {
            criterion,
            node,
            name,
            clade,
            clade_like_attrs,
        })
    }

    /// Ancestors of `node`, nearest first, the node itself excluded.
    pub fn ancestors(&self, node: usize) -> impl Iterator<Item = usize> + '_ {
        std::iter::successors(self.nodes[node].parent, |&i| self.nodes[i].parent)
    }

    fn search_node(&self, nearest: usize, s: &NodeSearch, criterion: usize) -> Option<RefNodeMatch> {
        let found = |i: usize| self.node_match(i, &s.condition, criterion);
        match s.search_algo {
            SearchAlgo::AncestorNearest => self.ancestors(nearest).find_map(found),
            SearchAlgo::AncestorEarliest => self.ancestors(nearest).filter_map(found).last(),
            SearchAlgo::Full => (0..self.nodes.len()).find_map(found),
        }
    }

    /// The node `search` designates for a query placed on `nearest`, if any.
    pub fn find_ref_node(&self, nearest: usize, search: &RefNodeSearch) -> Option<RefNodeMatch> {
        search.criteria.iter().enumerate().find_map(|(i, criteria)| {
            // A criterion without query conditions applies to every query.
            let applies = criteria.qry.is_empty()
                || criteria.qry.iter().any(|q| {
                    self.node_clade_among(nearest, &q.clade).is_some()
                        || self.node_attrs_matching(nearest, &q.clade_node_attrs).is_some()
                });
            if !applies {
                return None;
            }
            criteria.node.iter().find_map(|s| self.search_node(nearest, s, i))
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
        t.find_ref_node(i, s).map(|m| t.node(m.node).name.clone())
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

    #[test]
    fn criteria_without_query_conditions_apply_and_matches_say_why() {
        let t = test_tree::tree();
        let s = search(
            r#"{"name": "x", "criteria": [{"node": [{"searchAlgo": "ancestor-nearest", "clade": ["R"], "name": ["zz"]}]}]}"#,
        );
        let i = t.nodes().iter().position(|n| n.name == "a1").unwrap();
        let m = t.find_ref_node(i, &s).expect("no query condition: applies to every query");
        assert_eq!((t.node(m.node).name.as_str(), m.criterion), ("root", 0));
        assert_eq!((m.name, m.clade.as_deref(), m.clade_like_attrs), (None, Some("R"), None));
        // Written back as Nextclade writes it: kebab-case algorithm, no empty lists.
        assert_eq!(
            serde_json::to_value(&s.criteria[0]).unwrap(),
            serde_json::json!({"node": [{"searchAlgo": "ancestor-nearest", "name": ["zz"], "clade": ["R"]}]})
        );
    }
}
