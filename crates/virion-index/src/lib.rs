//! The query index of one organism's data, held in memory.
//!
//! Rows are genome versions. Metadata is columnar (dictionary-encoded strings with optional
//! per-value bitmaps, dates as day numbers, numbers, booleans). Each aligned segment and gene
//! is a [`SequenceColumn`]: per 65,536-row block and position, a majority letter, the rows
//! carrying any other letter (roaring bitmaps, or packed entries when rare), and missing data
//! (N/X) kept per row as ranges. Insertions are a bitmap per distinct insertion. A [`Filter`]
//! evaluates to the bitmap of matching rows; counts and mutation frequencies are computed over
//! such bitmaps. Counts and coverages stay separate (never only proportions) so that results
//! from several nodes can be added up.
//!
//! [`IndexBuilder`] builds an index with rows ordered by (lineage, date), which keeps
//! mutation bitmaps nearly empty or nearly full and makes date ranges a few row ranges;
//! [`snapshot`] writes and reads an index as one versioned file. One string column may name the
//! nodes of a phylogenetic tree ([`PhyloColumn`], SILO's `isPhyloTreeField`), which answers
//! [`Filter::PhyloDescendantOf`].

pub mod blobs;
mod builder;
mod dictionary;
mod index;
mod insertions;
mod lineage;
mod lineage_dag;
mod metadata;
mod phylo;
mod sequence;
pub mod snapshot;
mod stop;

pub use builder::{BuildError, DEFAULT_BUDGET, IndexBuilder, LineageKey, SortKey, lineage_then_date};
pub use dictionary::Dictionary;
pub use index::{Filter, Index, IndexError, PreparedRow, RowInput, Schema, SeqInput, Site, SiteLetter};
pub use insertions::{Insertion, InsertionColumn, InsertionCount, InsertionPattern};
pub use lineage::{LineageError, LineageIndex, NameProblem, PangoAliases};
pub use lineage_dag::{DagError, LineageDag, LineageDef};
pub use metadata::{Column, ColumnType, Value, ValueError, date_of, day_number};
pub use phylo::PhyloColumn;
pub use roaring::RoaringBitmap;
pub use sequence::{
    Alphabet, BLOCK_ROWS, LetterCounts, SequenceColumn, SequenceError, SparseError, SparseSeq, SymbolCount,
};
pub use stop::{CancelOnDrop, Interrupted, Stop};
