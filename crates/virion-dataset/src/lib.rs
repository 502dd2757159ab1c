//! Loads and checks a pathogen dataset in the Nextclade v3 layout.
//!
//! A dataset directory holds `pathogen.json` ([`PathogenJson`]), a one-record reference FASTA, a
//! GFF3 genome annotation ([`GeneMap`]) and an Auspice tree; [`Dataset::load`] reads and checks
//! them together. [`download`] fetches a dataset from a Nextclade dataset server.

mod aa_motifs;
mod dataset;
mod download;
mod error;
mod gene_map;
mod gff3;
pub mod gff3_record;
mod index;
mod pathogen;
mod phenotype;
mod qc_config;
mod reference;

pub use aa_motifs::{AaMotifsCds, AaMotifsDesc};
pub use dataset::Dataset;
pub use download::{DEFAULT_SERVER, DownloadProgress, download, fetch_index};
pub use error::DatasetError;
pub use gene_map::{Cds, CdsSegment, Gene, GeneMap, Protein, Strand, WrappingPart};
pub use gff3::{GffError, parse_gff3};
pub use index::{DatasetCollection, DatasetIndex, DatasetRef, IndexDataset, resolve};
pub use pathogen::{
    AaGenotype, DatasetCompatibility, DatasetFiles, DatasetVersion, MutLabels, NucGenotype, PathogenJson,
};
pub use phenotype::{PhenotypeCoeff, PhenotypeData, PhenotypeDataEntry, PhenotypeIgnore};
pub use qc_config::{
    FrameShiftLocation, QcConfig, QcRulesConfigFrameShifts, QcRulesConfigMissingData,
    QcRulesConfigMixedSites, QcRulesConfigPrivateMutations, QcRulesConfigRecombinants,
    QcRulesConfigSnpClusters, QcRulesConfigStopCodons, StopCodonLocation,
};
pub use reference::{Reference, parse_reference_fasta, read_reference_fasta};
