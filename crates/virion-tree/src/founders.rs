//! Clade founders: for the nearest node's clade (or a clade-like attribute value), the ancestor
//! closest to the root that carries the same value; the nearest node itself when no ancestor does.
//! As in Nextclade, ancestors between the two need not carry the value.

use crate::tree::{CLADE_ATTR, RefTree};

impl RefTree {
    /// Founder of the value of attribute `key` (`clade_membership` for the clade) that `node`
    /// carries; `None` when the node lacks the attribute.
    pub fn attr_founder(&self, node: usize, key: &str) -> Option<usize> {
        let value = self.nodes[node].attrs.get(key)?;
        let founder = self.ancestors(node).filter(|&a| self.nodes[a].attrs.get(key) == Some(value)).last();
        Some(founder.unwrap_or(node))
    }

    /// Founder of the node's clade.
    pub fn clade_founder(&self, node: usize) -> Option<usize> {
        self.attr_founder(node, CLADE_ATTR)
    }
}

#[cfg(test)]
mod tests {
    use crate::tree::RefTree;

    // root (X) ─ p (Y) ─ q (X) ─ r (X) ; the founder of r's X is root, even though p is Y.
    fn tree() -> RefTree {
        let json = r#"{"meta": {}, "tree": {"name": "root", "node_attrs": {"clade_membership": {"value": "X"}},
          "children": [{"name": "p", "node_attrs": {"clade_membership": {"value": "Y"}, "lin": {"value": "L"}},
            "children": [{"name": "q", "node_attrs": {"clade_membership": {"value": "X"}, "lin": {"value": "L"}},
              "children": [{"name": "r", "node_attrs": {"clade_membership": {"value": "X"}}}]}]}]}}"#;
        RefTree::from_json_str(json).unwrap()
    }

    #[test]
    fn founder_is_the_earliest_ancestor_with_the_value() {
        let t = tree();
        let name = |i: Option<usize>| i.map(|i| t.node(i).name.clone());
        assert_eq!(name(t.clade_founder(3)).as_deref(), Some("root"));
        assert_eq!(name(t.clade_founder(1)).as_deref(), Some("p"), "no ancestor is Y: the node itself");
        assert_eq!(name(t.attr_founder(2, "lin")).as_deref(), Some("p"));
        assert_eq!(t.attr_founder(3, "lin"), None, "r has no lin");
    }
}
