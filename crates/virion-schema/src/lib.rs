//! Per-organism metadata schemas, and validation of submitted metadata rows against them.
//!
//! An [`OrganismConfig`] (one TOML file per organism; SARS-CoV-2, RSV-A and mpox are built in)
//! lists the metadata fields with their types, vocabularies and ENA checklist ERC000033 tags. A
//! [`MetadataReader`] streams rows out of TSV, CSV, NDJSON or XLSX files, compressed or not; a
//! [`Validator`] turns each row into normalised typed [`Value`]s plus [`Issue`]s (errors block a
//! submission, warnings do not), each naming file, line, column and value. [`cross_check`] pairs
//! FASTA records with rows, and [`template_tsv`] gives submitters an empty sheet to fill in.

mod config;
mod crosscheck;
mod date;
mod file;
mod issue;
mod table;
mod template;
mod validate;
mod value;
mod vocabulary;

pub use config::{
    ConfigError, EnaSettings, FieldSpec, FieldType, INSDC_COUNTRY, OrganismConfig, OrganismDatasets,
    OrganismRegistry, SINGLE_SEGMENT, SegmentSpec, VocabularySpec,
};
pub use crosscheck::{SegmentCheck, SegmentRecord, cross_check, cross_check_segments};
pub use date::{Date, DateError, DateRange, parse_date};
pub use file::{FileSummary, validate_file, validate_reader};
pub use issue::{Issue, IssueKind, Severity};
pub use table::{MAX_LINE_BYTES, MAX_XLSX_UNPACKED, MetadataReader, ReadError, Row, TableFormat};

/// The longest submission id (bytes): every id of a submission is held in memory while it is
/// checked, so a hostile file cannot make them unbounded.
pub const MAX_SUBMISSION_ID_BYTES: usize = 256;
pub use template::{template_tsv, template_xlsx};
pub use validate::{ValidatedRow, Validator};
pub use value::{MissingTerm, Value};
pub use vocabulary::{
    ENA_MISSING_TERMS, VocabMatch, Vocabulary, country_vocabulary, ena_missing_term, insdc_countries,
};
