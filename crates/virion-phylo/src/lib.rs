//! Phylogenetic trees for LAPIS's phylogenetic queries: Newick in and out, leaf descendants,
//! most recent common ancestor and spanning subtree, with SILO's semantics.
//!
//! # SILO's semantics, and where we differ
//!
//! Read in GenSpectrum/LAPIS-SILO (HEAD `70a1bdd9`, where `src/silo/` is now `src/rhydb/`):
//! `src/rhydb/common/phylo_tree.{h,cpp,test.cpp}`, `documentation/phylogenetic_queries.md`,
//! `src/rhydb/query_engine/scalar_expressions/phylo_child_filter.cpp`,
//! `src/rhydb/storage/column/string_column.cpp`,
//! `src/rhydb/query_engine/operators/{most_recent_common_ancestor_node,phylo_subtree_node}.cpp`.
//!
//! - **Newick** (`fromNewickString`): whitespace trimmed; must end in `;` (nothing after it);
//!   parsed recursively from the end. Unquoted labels only, of `[A-Za-z0-9_.\-|/\\=@]`; `:length`
//!   read by `stof` into a `float`; `[...]` comments (nested) and whitespace skipped between
//!   tokens. Every node, internal or leaf, is keyed by its label and a repeated label is refused,
//!   so unnamed nodes share the key `""` and at most one may exist. Depth = edges from the root.
//!   Auspice JSON trees need `name` on every node and take `node_attrs.div` as branch length.
//!   *We* accept more: quoted labels (`'a b'`, `''` for a quote), any unquoted character but
//!   whitespace and `()[]':;,`, any number of unnamed nodes (not addressable by name), a bare
//!   one-leaf tree `A;` (SILO HEAD refuses it); we refuse branch lengths that are not a whole,
//!   finite number (`stof` reads a prefix), and we never recurse.
//! - **`phyloDescendantOf`** (`getDescendants`): the node must exist (else a 400 "does not exist in
//!   the phylogenetic tree"); matches rows whose value is a *leaf* below it. A leaf node matches
//!   nothing, not even itself; rows naming internal nodes never match.
//!   [`PhyloTree::phylo_descendant_of`] gives that leaf-ordinal range.
//! - **`mostRecentCommonAncestor`** (`getMRCA`): over the distinct non-null values of the selected
//!   rows; values not in the tree are skipped, `missingNodeCount` = null rows + distinct values
//!   not in the tree, `missingFromTree` = those values sorted, joined by `,`. MRCA by lifting all
//!   nodes to the least depth among them, then one level at a time until one node is left: none →
//!   `null`, one node → itself (a leaf too), a node and its ancestor → the ancestor. Newer SILO
//!   adds `mrcaParent` and `mrcaDepth`. [`PhyloTree::mrca`] gives the same node in O(k + log n)
//!   and [`PhyloTree::lookup_names`] the found/missing split.
//! - **`phyloSubtree`** (`toNewickString`): same value lookup; none in the tree → `""`; one →
//!   `name;`; otherwise the tree below their MRCA keeping the selected *leaves* and the internal
//!   nodes on their paths, children in input order, names as parsed, `:length` after each node
//!   except the root, printed by `ostream << float` (`%g`), ending in `;` with no newline.
//!   `contractUnaryNodes` (default `true` at HEAD, `false` in older releases) replaces a node left
//!   with one child by that child, adding the lengths (a missing one counts as absent, not 0).
//!   See [`PhyloTree::subtree_newick`].
//!
//! # Layout
//!
//! Nodes live in flat `Vec`s in pre-order ([`NodeId`] is the pre-order index), so a subtree is an
//! index range and the leaves below a node a range of leaf ordinals ([`PhyloTree::leaf_range`]).
//! Names share one buffer, found through a hash table of node indices.

mod builder;
mod error;
mod mrca;
mod names;
mod parse;
mod tree;
mod write;

pub use builder::{BuilderNodeId, PhyloTreeBuilder};
pub use error::{BuildError, Found, Location, NewickError};
pub use tree::{Children, NameLookup, NodeId, PhyloTree};
pub use write::UnaryNodes;
