//! The reference tree: parse Auspice v2 JSON and place a query on its nearest node.
//!
//! [`RefTree::from_json_str`] reads tree.json into an arena of nodes in depth-first pre-order;
//! [`RefTree::prepare`] gives every node its full set of mutations relative to the reference;
//! placement then finds the node nearest to a query described by its mutations, exactly as
//! Nextclade 3 does, and the private-mutation functions describe what separates the query from it.
//! The same functions, applied to other nodes, give mutations relative to clade founders
//! ([`RefTree::attr_founder`]) and to reference nodes of interest ([`RefTree::find_ref_node`]).

mod divergence;
mod error;
mod founders;
mod graft;
mod labels;
mod parse;
mod placement;
mod prepare;
mod private_aa;
mod private_nuc;
mod ref_nodes;
mod relative;
mod tree;

#[cfg(test)]
mod test_tree;

pub use divergence::DivergenceUnits;
pub use error::TreeError;
pub use graft::GraftedQuery;
pub use labels::{AaMutLabels, InvalidLabelKey, NucMutLabels};
pub use parse::{parse_aa_mutation, parse_nuc_mutation};
pub use placement::{Placement, PlacementScratch, QueryMuts};
pub use private_aa::{PrivateAaMutations, QueryAaMuts};
pub use private_nuc::PrivateNucMutations;
pub use ref_nodes::{
    NodeCondition, NodeSearch, RefNodeCriteria, RefNodeMatch, RefNodeSearch, RefNodesDesc, SearchAlgo,
};
pub use relative::{QueryAllMuts, RelativeMutations};
pub use tree::{AaState, CLADE_ATTR, CladeNodeAttrDesc, RefTree, TreeNode};
