//! The query index of one organism's released data, held in memory.
//!
//! Rows are genome versions. Metadata is columnar (dictionary-encoded strings with optional
//! per-value bitmaps, dates as day numbers, numbers, booleans). Each aligned segment and gene
//! is a [`SequenceColumn`]: per 65,536-row block and position, a majority letter plus one
//! roaring bitmap per other letter, and missing data (N/X) kept per row as ranges. A
//! [`Filter`] evaluates to the bitmap of matching rows; counts and mutation frequencies are
//! computed over such bitmaps. Counts and coverages stay separate (never only proportions) so
//! that results from several nodes can be added up.

mod index;
mod lineage;
mod metadata;
mod sequence;

pub use index::{Filter, Index, IndexError, RowInput, Schema};
pub use lineage::{LineageError, LineageIndex, NameProblem, PangoAliases};
pub use metadata::{Column, ColumnType, Value, ValueError, date_of, day_number};
pub use roaring::RoaringBitmap;
pub use sequence::{Alphabet, BLOCK_ROWS, SequenceColumn, SequenceError, SymbolCount};
