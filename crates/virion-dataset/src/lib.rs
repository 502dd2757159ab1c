//! Loads and checks a pathogen dataset in the Nextclade v3 layout.
//!
//! A dataset directory holds `pathogen.json` ([`PathogenJson`]), a one-record reference FASTA, a
//! GFF3 genome annotation ([`GeneMap`]) and an Auspice tree; [`Dataset::load`] reads and checks
//! them together. The `download` module fetches a dataset from a Nextclade dataset server.

pub mod gene_map;
pub mod pathogen;
pub mod qc_config;

pub use gene_map::{Cds, CdsSegment, Gene, GeneMap, Protein, Strand, WrappingPart};
pub use pathogen::{
    AaGenotype, DatasetCompatibility, DatasetFiles, DatasetVersion, MutLabels, NucGenotype, PathogenJson,
};
pub use qc_config::{
    FrameShiftLocation, QcConfig, QcRulesConfigFrameShifts, QcRulesConfigMissingData,
    QcRulesConfigMixedSites, QcRulesConfigPrivateMutations, QcRulesConfigRecombinants,
    QcRulesConfigSnpClusters, QcRulesConfigStopCodons, StopCodonLocation,
};
