//! Turns one genome into its Analysis: calls, translation, placement and QC.

pub mod batch;
pub mod nuc_changes;
pub mod output;
pub mod qc;
