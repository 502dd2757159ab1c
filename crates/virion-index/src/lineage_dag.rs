//! Lineage systems given as a DAG — SILO's lineage definitions (`{label: {parents, aliases}}`)
//! — for collections whose lineages are not Pango names or come with their own definition
//! (an imported LAPIS instance). `Q*` is `Q` and its descendants; like SILO's default
//! `recombinantFollowingMode: doNotFollow`, a node with several parents (a recombinant) is not
//! reached from its parents, though its own descendants are reached from it.

use std::collections::HashMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

/// One lineage of a definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineageDef {
    /// The lineage's name.
    pub label: String,
    /// Labels of its parents (several for a recombinant; none for a root).
    #[serde(default)]
    pub parents: Vec<String>,
    /// Other names that mean the same lineage.
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// Why a lineage definition was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DagError {
    /// A name defined twice, as a label or an alias; holds the name.
    #[error("lineage {0:?} is defined twice (as a label or an alias)")]
    Duplicate(String),
    /// A parent that is not defined.
    #[error("lineage {label:?} names parent {parent:?}, which is not defined")]
    UnknownParent {
        /// The lineage naming it.
        label: String,
        /// The undefined parent.
        parent: String,
    },
    /// The parents form a cycle; holds a lineage on it.
    #[error("the lineage definition has a cycle through {0:?}")]
    Cycle(String),
}

/// A checked lineage DAG.
#[derive(Debug, Clone, PartialEq)]
pub struct LineageDag {
    defs: Vec<LineageDef>,
    /// Upper-case label or alias → node.
    lookup: HashMap<String, usize>,
    children: Vec<Vec<usize>>,
    parents: Vec<Vec<usize>>,
    /// Each node's depth-first rank from the roots (the sort order of its rows).
    rank: Vec<u32>,
}

impl LineageDag {
    /// Checks `defs` (unique names, known parents, no cycle) and builds the DAG.
    pub fn new(defs: Vec<LineageDef>) -> Result<LineageDag, DagError> {
        let mut lookup = HashMap::new();
        for (i, d) in defs.iter().enumerate() {
            for name in std::iter::once(&d.label).chain(&d.aliases) {
                if lookup.insert(name.to_ascii_uppercase(), i).is_some_and(|j| j != i) {
                    return Err(DagError::Duplicate(name.clone()));
                }
            }
        }
        let mut parents = vec![Vec::new(); defs.len()];
        let mut children = vec![Vec::new(); defs.len()];
        for (i, d) in defs.iter().enumerate() {
            for p in &d.parents {
                let j = *lookup
                    .get(&p.to_ascii_uppercase())
                    .ok_or_else(|| DagError::UnknownParent { label: d.label.clone(), parent: p.clone() })?;
                if !parents[i].contains(&j) {
                    parents[i].push(j);
                    children[j].push(i);
                }
            }
        }
        // Depth-first ranks from the roots, children in definition order; a node left unranked
        // lies on a cycle.
        let mut rank = vec![u32::MAX; defs.len()];
        let mut next = 0u32;
        for root in (0..defs.len()).filter(|&i| parents[i].is_empty()) {
            let mut stack = vec![root];
            while let Some(n) = stack.pop() {
                if rank[n] != u32::MAX {
                    continue;
                }
                rank[n] = next;
                next += 1;
                stack.extend(children[n].iter().rev().copied());
            }
        }
        if let Some(i) = rank.iter().position(|&r| r == u32::MAX) {
            return Err(DagError::Cycle(defs[i].label.clone()));
        }
        Ok(LineageDag { defs, lookup, children, parents, rank })
    }

    /// The definitions, in the order given.
    pub fn defs(&self) -> &[LineageDef] {
        &self.defs
    }

    /// The node of a label or alias (case-insensitive).
    pub fn node(&self, name: &str) -> Option<usize> {
        self.lookup.get(&name.to_ascii_uppercase()).copied()
    }

    /// The node and its descendants, not following edges into recombinants.
    pub fn with_descendants(&self, node: usize) -> Vec<usize> {
        let mut out = vec![node];
        let mut seen = vec![false; self.defs.len()];
        seen[node] = true;
        let mut i = 0;
        while i < out.len() {
            for &c in &self.children[out[i]] {
                if !seen[c] && self.parents[c].len() == 1 {
                    seen[c] = true;
                    out.push(c);
                }
            }
            i += 1;
        }
        out
    }

    /// Sortable bytes: the node's depth-first rank; unknown values after every lineage.
    pub fn sort_key(&self, name: &str) -> Vec<u8> {
        match self.node(name) {
            Some(n) => self.rank[n].to_be_bytes().to_vec(),
            None => {
                let mut key = vec![0xff, 0xff, 0xff, 0xff];
                key.extend_from_slice(name.as_bytes());
                key
            }
        }
    }

    /// The definition as SILO's YAML.
    /// The entries, in the order given.
    pub fn definitions(&self) -> &[LineageDef] {
        &self.defs
    }

    /// The definition as YAML, in SILO's lineage-definition layout (`label: {parents, aliases}`).
    pub fn yaml(&self) -> String {
        let mut out = String::new();
        let quote = |s: &str| serde_json::to_string(s).unwrap_or_default();
        for d in &self.defs {
            let _ = writeln!(out, "{}:", quote(&d.label));
            for (key, list) in [("parents", &d.parents), ("aliases", &d.aliases)] {
                if list.is_empty() {
                    let _ = writeln!(out, "  {key}: []");
                } else {
                    let _ = writeln!(out, "  {key}:");
                    for item in list {
                        let _ = writeln!(out, "  - {}", quote(item));
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(label: &str, parents: &[&str], aliases: &[&str]) -> LineageDef {
        LineageDef {
            label: label.into(),
            parents: parents.iter().map(|s| s.to_string()).collect(),
            aliases: aliases.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn descendants_skip_recombinants_and_ranks_follow_the_tree() {
        let dag = LineageDag::new(vec![
            def("A", &[], &[]),
            def("A.1", &["A"], &["a1"]),
            def("B", &[], &[]),
            def("A.1.1", &["A.1"], &[]),
            def("X", &["A.1", "B"], &[]),
            def("X.1", &["X"], &[]),
        ])
        .unwrap();
        let names = |v: Vec<usize>| v.into_iter().map(|n| dag.defs()[n].label.clone()).collect::<Vec<_>>();
        assert_eq!(names(dag.with_descendants(dag.node("a").unwrap())), ["A", "A.1", "A.1.1"]);
        assert_eq!(names(dag.with_descendants(dag.node("A1").unwrap())), ["A.1", "A.1.1"]);
        assert_eq!(names(dag.with_descendants(dag.node("X").unwrap())), ["X", "X.1"]);
        assert!(dag.sort_key("A.1.1") < dag.sort_key("B") && dag.sort_key("A") < dag.sort_key("A.1"));
        assert!(dag.sort_key("zzz") > dag.sort_key("X.1"));
        let yaml = dag.yaml();
        assert!(yaml.contains("\"X\":\n  parents:\n  - \"A.1\"\n  - \"B\"\n"), "{yaml}");
    }

    #[test]
    fn bad_definitions_are_refused() {
        assert_eq!(
            LineageDag::new(vec![def("A", &[], &[]), def("B", &[], &["a"])]),
            Err(DagError::Duplicate("a".into()))
        );
        assert!(matches!(LineageDag::new(vec![def("A", &["Z"], &[])]), Err(DagError::UnknownParent { .. })));
        assert!(matches!(
            LineageDag::new(vec![def("A", &["B"], &[]), def("B", &["A"], &[])]),
            Err(DagError::Cycle(_))
        ));
    }
}
