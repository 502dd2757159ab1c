//! Turns one genome into its Analysis: calls, translation, placement and QC.
//!
//! [`analyze`] is the whole per-genome pipeline; [`batch::run_batch`] runs it over a FASTA
//! stream on many threads; [`output`] writes the results in Nextclade's formats.

mod analysis;
pub mod batch;
mod dataset;
pub mod nuc_changes;
pub mod output;
pub mod placement;
pub mod qc;

pub use analysis::{Analysis, AnalyzeError, NdjsonContext, analyze, ndjson_context};
pub use dataset::{Dataset, LoadError};
