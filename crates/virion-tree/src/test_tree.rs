//! A hand-drawn tree shared by unit tests.
//!
//! ```text
//! ruler     0123456789
//! reference ACGTACGTAC
//!
//! root (no mutations)
//! ├── a: A1G (pos 0)            prior -1
//! │   └── a1: C2T, T4-           (pos 1, deletion at 3)
//! └── b: A1G (pos 0), G7C (6)   prior -5
//! ```

use crate::tree::RefTree;
use virion_core::{Nuc, nucs_from_str};

pub(crate) fn reference() -> Vec<Nuc> {
    nucs_from_str("ACGTACGTAC").unwrap()
}

pub(crate) fn tree() -> RefTree {
    let json = r#"{"meta": {}, "tree": {"name": "root", "node_attrs": {"clade_membership": {"value": "R"}},
      "children": [
        {"name": "a", "node_attrs": {"clade_membership": {"value": "A"}, "placement_prior": {"value": -1}},
         "branch_attrs": {"mutations": {"nuc": ["A1G"]}},
         "children": [{"name": "a1", "node_attrs": {"clade_membership": {"value": "A.1"}},
                       "branch_attrs": {"mutations": {"nuc": ["C2T", "T4-"]}}}]},
        {"name": "b", "node_attrs": {"clade_membership": {"value": "B"}, "placement_prior": {"value": -5}},
         "branch_attrs": {"mutations": {"nuc": ["A1G", "G7C"]}}}
      ]}}"#;
    let mut t = RefTree::from_json_str(json).unwrap();
    t.prepare(&reference(), None).unwrap();
    t
}
