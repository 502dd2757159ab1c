//! Reading Auspice v2 tree.json into the node arena.
//!
//! Only what placement and clade assignment need is kept: names, branch mutations, string-valued
//! node attributes, `div`, `placement_prior`, and the Nextclade extensions in `meta`.

use indexmap::IndexMap;
use serde::Deserialize;
use virion_core::{Aa, AaPos, AaSub, Nuc, NucRange, NucRefPos, NucSub};

use crate::error::TreeError;
use crate::ref_nodes::RefNodesDesc;
use crate::tree::{CladeNodeAttrDesc, RefTree, TreeNode};

#[derive(Deserialize)]
struct RawTree {
    #[serde(default)]
    meta: RawMeta,
    tree: RawNode,
}

#[derive(Deserialize, Default)]
struct RawMeta {
    #[serde(default)]
    extensions: RawExtensions,
}

#[derive(Deserialize, Default)]
struct RawExtensions {
    #[serde(default)]
    nextclade: RawNextclade,
}

#[derive(Deserialize, Default)]
struct RawNextclade {
    #[serde(default)]
    clade_node_attrs: Vec<RawCladeNodeAttr>,
    #[serde(default)]
    placement_mask_ranges: Vec<RawRange>,
    #[serde(default)]
    ref_nodes: RefNodesDesc,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCladeNodeAttr {
    name: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    hide_in_web: bool,
    #[serde(default)]
    skip_as_reference: bool,
}

#[derive(Deserialize)]
struct RawRange {
    begin: i64,
    end: i64,
}

#[derive(Deserialize)]
struct RawNode {
    #[serde(default)]
    name: String,
    #[serde(default)]
    branch_attrs: RawBranchAttrs,
    #[serde(default)]
    node_attrs: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    children: Vec<RawNode>,
}

#[derive(Deserialize, Default)]
struct RawBranchAttrs {
    #[serde(default)]
    mutations: IndexMap<String, Vec<String>>,
}

impl RefTree {
    /// Parses an Auspice v2 tree.json. Nodes are stored in depth-first pre-order, so the root is
    /// node 0 and a node's index is also its rank in Nextclade's traversal order (which decides
    /// ties in placement). Call [`RefTree::prepare`] before placing queries.
    pub fn from_json_str(json: &str) -> Result<RefTree, TreeError> {
        let mut de = serde_json::Deserializer::from_str(json);
        de.disable_recursion_limit();
        let raw = RawTree::deserialize(&mut de)?;
        de.end()?;

        let ext = raw.meta.extensions.nextclade;
        let clade_node_attr_descs = ext
            .clade_node_attrs
            .into_iter()
            .map(|a| CladeNodeAttrDesc {
                key: a.name,
                display_name: a.display_name,
                description: a.description,
                hide_in_web: a.hide_in_web,
                skip_as_reference: a.skip_as_reference,
            })
            .collect();
        let placement_mask_ranges = ext
            .placement_mask_ranges
            .iter()
            .enumerate()
            .map(|(index, r)| {
                if r.begin > r.end {
                    return Err(TreeError::InvalidMaskRange { index, begin: r.begin, end: r.end });
                }
                Ok(NucRange::new(NucRefPos(r.begin), NucRefPos(r.end)))
            })
            .collect::<Result<Vec<_>, _>>()?;

        let mut nodes = Vec::new();
        flatten(raw.tree, None, &mut nodes)?;
        Ok(RefTree::from_parts(nodes, clade_node_attr_descs, placement_mask_ranges, ext.ref_nodes))
    }
}

/// Appends `raw` and its subtree in pre-order. Recursion depth equals tree depth, which the JSON
/// nesting already bounds.
fn flatten(raw: RawNode, parent: Option<usize>, nodes: &mut Vec<TreeNode>) -> Result<(), TreeError> {
    let index = nodes.len();
    let RawNode { name, branch_attrs, node_attrs, children } = raw;

    let mut branch_nuc_muts = Vec::new();
    let mut branch_aa_muts = IndexMap::new();
    for (cds, muts) in branch_attrs.mutations {
        if cds == "nuc" {
            for m in &muts {
                branch_nuc_muts.push(parse_nuc_mutation(m).ok_or_else(|| TreeError::InvalidMutation {
                    node: name.clone(),
                    cds: cds.clone(),
                    mutation: m.clone(),
                })?);
            }
        } else {
            let parsed = muts
                .iter()
                .map(|m| {
                    parse_aa_mutation(&cds, m).ok_or_else(|| TreeError::InvalidMutation {
                        node: name.clone(),
                        cds: cds.clone(),
                        mutation: m.clone(),
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            branch_aa_muts.insert(cds, parsed);
        }
    }

    let mut attrs = IndexMap::new();
    let mut div = None;
    let mut placement_prior = None;
    for (key, value) in node_attrs {
        match key.as_str() {
            "div" => div = value.as_f64(),
            "placement_prior" => placement_prior = value.get("value").and_then(|v| v.as_f64()),
            _ => {
                // Nextclade reads clade-like attributes as `{ "value": "<string>" }` only.
                if let Some(s) = value.get("value").and_then(|v| v.as_str()) {
                    attrs.insert(key, s.to_owned());
                }
            }
        }
    }

    nodes.push(TreeNode {
        name,
        parent,
        children: Vec::with_capacity(children.len()),
        branch_nuc_muts,
        branch_aa_muts,
        attrs,
        div,
        placement_prior,
    });
    if let Some(p) = parent {
        nodes[p].children.push(index);
    }
    for child in children {
        flatten(child, Some(index), nodes)?;
    }
    Ok(())
}

/// Splits `C241T` into its letters and 1-based number.
fn split_mutation(s: &str) -> Option<(u8, i64, u8)> {
    let b = s.as_bytes();
    if b.len() < 3 {
        return None;
    }
    let digits = std::str::from_utf8(&b[1..b.len() - 1]).ok()?;
    if !digits.bytes().all(|d| d.is_ascii_digit()) {
        return None;
    }
    let pos: i64 = digits.parse().ok()?;
    if pos < 1 {
        return None;
    }
    Some((b[0], pos, b[b.len() - 1]))
}

/// Parses a nucleotide mutation as Auspice writes it: `C241T` (1-based).
pub fn parse_nuc_mutation(s: &str) -> Option<NucSub> {
    let (r, pos, q) = split_mutation(s.trim())?;
    Some(NucSub { pos: NucRefPos(pos - 1), ref_nuc: Nuc::from_byte(r)?, qry_nuc: Nuc::from_byte(q)? })
}

/// Parses an amino-acid mutation of one CDS as Auspice writes it: `L455S`, `Y144-` (1-based).
pub fn parse_aa_mutation(cds: &str, s: &str) -> Option<AaSub> {
    let (r, pos, q) = split_mutation(s.trim())?;
    Some(AaSub {
        cds: cds.to_owned(),
        pos: AaPos(pos - 1),
        ref_aa: Aa::from_byte(r)?,
        qry_aa: Aa::from_byte(q)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TREE: &str = r#"{
      "version": "v2",
      "meta": {"extensions": {"nextclade": {
        "clade_node_attrs": [{"name": "Nextclade_pango", "displayName": "Pango", "description": "d"}],
        "placement_mask_ranges": [{"begin": 0, "end": 2}]
      }}},
      "tree": {"name": "root", "node_attrs": {"div": 0, "clade_membership": {"value": "A"}},
        "branch_attrs": {"mutations": {}},
        "children": [
          {"name": "x", "node_attrs": {"clade_membership": {"value": "B"},
             "Nextclade_pango": {"value": "B.1"}, "placement_prior": {"value": -2.5},
             "n": {"value": 3}},
           "branch_attrs": {"mutations": {"nuc": ["A3G", "C5-"], "S": ["L2F"]}}},
          {"name": "y", "node_attrs": {}}
        ]}
    }"#;

    #[test]
    fn reads_nodes_in_preorder_with_attributes() {
        let t = RefTree::from_json_str(TREE).unwrap();
        assert_eq!(t.len(), 3);
        let x = t.node(1);
        assert_eq!((x.name.as_str(), x.parent), ("x", Some(0)));
        assert_eq!(t.node(0).children, vec![1, 2]);
        assert_eq!(x.branch_nuc_muts[0].to_string(), "A3G");
        assert_eq!(x.branch_nuc_muts[1].qry_nuc, Nuc::Gap);
        assert_eq!(x.branch_aa_muts["S"][0].to_string(), "S:L2F");
        assert_eq!(x.placement_prior, Some(-2.5));
        assert!(!x.attrs.contains_key("n"), "only string values are attributes");
        assert_eq!(t.clade_attributes(1)["Nextclade_pango"], "B.1");
        assert_eq!(t.clade_attributes(1)["clade"], "B");
        assert_eq!(t.placement_mask_ranges()[0].to_string(), "1-2");
    }

    #[test]
    fn errors_name_the_node_and_mutation() {
        let bad = TREE.replace("A3G", "A3");
        let err = RefTree::from_json_str(&bad).unwrap_err().to_string();
        assert!(err.contains("'x'") && err.contains("A3"), "{err}");
    }
}
