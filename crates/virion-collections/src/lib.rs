//! Every collection a node serves — each hub organism's released genomes, kept current with
//! the store, and each imported LAPIS/SILO instance — and the one typed way to ask them.
//!
//! [`Collections`] owns the query indexes: it builds a hub organism's index from the store's
//! released versions, follows new releases, writes and loads snapshots, serves imported
//! collections read-only, keeps each hub organism's phylogenetic tree (its reference tree with
//! the released genomes attached), builds a hub member's overlay of unreleased data, and
//! bounds how many questions run at once and for how long. A question is asked of a [`View`] (one caller's
//! view of one collection) with a typed [`virion_query::LapisRequest`]; the answer is a typed
//! table or whatever the caller's closure computes from the parts. Errors are
//! [`CollectionError`]s; the LAPIS routes and the portal each map them once.

mod collections;
mod error;
mod hub_tree;
mod members;
mod mirror;
mod slots;
mod view;

pub use collections::{
    Collection, CollectionInfo, Collections, DEFAULT_QUERY_TIMEOUT, ImportedState, SNAPSHOT_EVERY, Unaligned,
    Vocabulary, collection_paths, index_dir, load_imported,
};
pub use error::CollectionError;
pub use hub_tree::{Grown, HubTree, Place};
pub use members::Overlay;
pub use mirror::{MAX_APPENDED_UNALIGNED, MirrorBuildError, MirroredVersion};
pub use slots::{Cost, QuerySlots};
pub use view::{View, count};
