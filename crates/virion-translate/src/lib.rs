//! Translates each CDS of an aligned genome and finds its amino-acid changes, as Nextclade 3
//! does.
//!
//! The pipeline per query, per CDS: cut the CDS out of the nucleotide alignment (insertions
//! included) → detect frame shifts on that alignment → mask shifted bases with `N` → drop gaps
//! and translate → align the peptide to the reference peptide in a band estimated from the gap
//! counts → strip peptide insertions → mask shifted codons with `X`. Afterwards the codons
//! inside the nucleotide alignment range are compared with the reference peptide
//! ([`find_aa_changes`]).
//!
//! Coordinates: [`virion_core::AaPos`] is a codon of a CDS, counted from its start in reading
//! order; CDS-local nucleotide positions are plain `i64` offsets from the first base read.

mod aa_motifs;
mod changes;
mod changes_groups;
mod codon;
pub mod coord_map;
mod error;
pub mod extract;
mod frame_shift;
pub mod gaps;
mod layout;
mod phenotype;
mod query;
pub mod ranges;
mod reference;

pub use aa_motifs::{
    AaMotif, AaMotifChanges, AaMotifFinder, AaMotifMutation, InvalidMotif, aa_motifs_changes,
};
pub use changes::{AaChanges, AaInsertion, StopCodon, find_aa_changes, premature_stops};
pub use changes_groups::{
    AaChangeWithContext, AaChangesContext, AaChangesGroup, NucDel, NucDelRangeJson, aa_changes_context,
    aa_changes_groups_relative,
};
pub use codon::{translate_codon, translate_into};
pub use error::TranslateError;
pub use frame_shift::{
    CdsAlnRange, FrameShift, describe_frame_shift, detect_frame_shifts, mask_shifted_codons,
    mask_shifted_nucs,
};
pub use layout::{CdsLayout, SegmentLayout, Strand, coding_segments};
pub use phenotype::{PhenotypeValue, phenotype_value, phenotype_values};
pub use query::{CdsTranslation, CdsWarning, TranslateBuffers, Translation, translate_query};
pub use reference::{RefCds, RefTranslation, translate_reference};
