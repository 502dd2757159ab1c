//! What can be wrong with an input: the file as a whole, one line, or one field of a line.
//!
//! Every error that comes out of a reader names the file and the 1-based line; a field error
//! also names the field and holds the offending value, so that a message reads
//! `silo.ndjson line 1234: field "date": "2021-13-45" is not a date YYYY-MM-DD`.
//!
//! Only what SILO itself refuses is an error here (see [`crate::silo`] for the few places where
//! Virion is more lenient); a value SILO stores without looking at, such as an unaligned
//! sequence, is never one.

use std::path::PathBuf;

use virion_ingest::IngestError;

/// Why reading an input stopped.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Open(#[from] virion_io::OpenError),
    /// The stream broke off: an I/O error, or a compressed stream that is damaged or truncated.
    #[error("{file}: cannot read{}: {source}", after_line(*line))]
    Read {
        file: String,
        /// The last whole line read before the break (0: none).
        line: u64,
        #[source]
        source: std::io::Error,
    },
    #[error("{file} line {line}: {problem}")]
    Line { file: String, line: u64, problem: LineProblem },
    #[error("{file} line {line}: primary key {key:?} already appeared on line {first_line}")]
    DuplicateKey { file: String, line: u64, key: String, first_line: u64 },
}

fn after_line(line: u64) -> String {
    if line == 0 { String::new() } else { format!(" after line {line}") }
}

impl ImportError {
    /// Whether the error is about one record only, so that the records after it can still be
    /// read (what [`crate::ReadOptions::skip_invalid`] skips): a bad line or a repeated primary
    /// key, not a file that cannot be opened or a stream that broke off.
    pub fn is_invalid_record(&self) -> bool {
        matches!(self, ImportError::Line { .. } | ImportError::DuplicateKey { .. })
    }

    /// The 1-based line the error is about, when it is about one.
    pub fn line(&self) -> Option<u64> {
        match self {
            ImportError::Open(_) => None,
            ImportError::Read { line, .. }
            | ImportError::Line { line, .. }
            | ImportError::DuplicateKey { line, .. } => Some(*line),
        }
    }
}

/// What is wrong with one line.
#[derive(Debug, thiserror::Error)]
pub enum LineProblem {
    #[error("not valid UTF-8 (byte {offset} of the line)")]
    Utf8 { offset: usize },
    #[error("not valid JSON: {0}")]
    Json(#[source] serde_json::Error),
    #[error("expected a JSON object, found {found}")]
    NotAnObject { found: &'static str },
    #[error("field {field:?} is missing")]
    Missing { field: String },
    #[error("field {field:?}: {problem}")]
    Field { field: String, problem: FieldProblem },
    /// Kept apart from the field problems so that the message says why a null, which every
    /// other column takes, is refused here.
    #[error("field {field:?} is null, but it is the primary key and every record needs one")]
    NullPrimaryKey { field: String },
    /// A Nextclade record whose changes cannot be applied to the dataset's reference.
    #[error(transparent)]
    Rebuild(#[from] IngestError),
}

impl LineProblem {
    pub(crate) fn field(field: impl Into<String>, problem: FieldProblem) -> LineProblem {
        LineProblem::Field { field: field.into(), problem }
    }
}

/// What is wrong with one field's value. Values are held as their JSON text (shortened when
/// long) so that the message shows exactly what the file says.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldProblem {
    #[error("{value} is not {expected}")]
    WrongType { value: String, expected: &'static str },
    #[error("{value:?} is not a date YYYY-MM-DD")]
    NotADate { value: String },
    #[error("{value} does not fit a {bits}-bit integer")]
    OutOfRange { value: String, bits: u32 },
    #[error("appears twice in the line")]
    Repeated,
    #[error("letter {letter:?} at position {position} is not {alphabet} symbol")]
    Letter { letter: char, position: usize, alphabet: &'static str },
    #[error("{what} {name:?} has {actual} letters{}, the reference has {expected}", offset_note(*offset))]
    Length { what: &'static str, name: String, actual: usize, offset: Option<u32>, expected: usize },
    #[error("insertion {text:?}: {problem}")]
    Insertion { text: String, problem: InsertionProblem },
    #[error("sequenceCompressed: {problem}")]
    Compressed { problem: CompressedProblem },
    #[error("has neither sequence nor sequenceCompressed")]
    NoSequence,
    /// Not the shape of the field in a Nextclade result (the reason as serde words it).
    #[error("{reason}")]
    NotNextclade { reason: String },
}

fn offset_note(offset: Option<u32>) -> String {
    offset.map(|o| format!(" from offset {o}")).unwrap_or_default()
}

/// What is wrong with an insertion `"pos:SYMBOLS"`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InsertionProblem {
    #[error("expected position:symbols")]
    Shape,
    #[error("{0:?} is not a position (a whole number from 0)")]
    Position(String),
    #[error("position {position} lies beyond the reference's end ({reference_len})")]
    BeyondReference { position: u32, reference_len: usize },
    #[error("no inserted symbols")]
    Empty,
    #[error("{letter:?} is not {alphabet} symbol")]
    Letter { letter: char, alphabet: &'static str },
}

/// What is wrong with a `sequenceCompressed` value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompressedProblem {
    #[error("not valid base64: {0}")]
    Base64(String),
    #[error("not a zstd frame compressed with the reference as dictionary: {0}")]
    Zstd(String),
    #[error("decompresses to more letters than the reference has ({reference_len})")]
    TooLong { reference_len: usize },
    #[error("decompresses to bytes that are not text")]
    NotText,
}

/// Why a `database_config.yaml` / `reference_genomes.json` pair cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("database config: not valid: {0}")]
    Yaml(#[source] yaml_serde::Error),
    #[error("reference genomes: not valid: {0}")]
    Json(#[source] serde_json::Error),
    #[error(
        "database config: metadata field {name:?}: unknown type {kind:?} (string, int, int32, int64, float, date or boolean)"
    )]
    UnknownType { name: String, kind: String },
    #[error("database config: metadata field {name:?} is defined twice")]
    DuplicateField { name: String },
    #[error("database config: metadata field {name:?}: {option} is only allowed on string fields")]
    StringOnly { name: String, option: &'static str },
    #[error("database config: has no metadata fields")]
    NoFields,
    #[error("database config: {option} {name:?} is not a metadata field")]
    NotAField { option: &'static str, name: String },
    #[error("database config: dateToSortBy {name:?} is not a date field")]
    NotADateField { name: String },
    #[error("reference genomes: {what} {name:?}: {problem}")]
    Reference { what: &'static str, name: String, problem: ReferenceProblem },
    #[error(
        "the name {name:?} is used by more than one column (metadata, segment, gene or unaligned_ segment)"
    )]
    NameClash { name: String },
}

/// What is wrong with one reference sequence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceProblem {
    #[error("the sequence is empty")]
    Empty,
    #[error("letter {letter:?} at position {position} is not {alphabet} symbol")]
    Letter { letter: char, position: usize, alphabet: &'static str },
    #[error("the name is used twice")]
    Duplicate,
}

/// Why a SILO lineage-definitions file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum LineageFileError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "lineage definitions: not valid YAML of the form {{label: {{parents: [..], aliases: [..]}}}}: {0}"
    )]
    Yaml(#[source] yaml_serde::Error),
    #[error("lineage definitions: lineage {label:?} is defined twice")]
    DuplicateLabel { label: String },
    #[error("lineage definitions: {name:?} is both a lineage and an alias (or an alias twice)")]
    AliasClash { name: String },
    #[error("lineage definitions: lineage {label:?} names parent {parent:?}, which is not defined")]
    UnknownParent { label: String, parent: String },
    #[error("lineage definitions: the parents form a cycle through {label:?}")]
    Cycle { label: String },
    #[error("no lineage definitions file {name:?} or \"{name}.yaml\" in {}", dir.display())]
    NotFound { name: String, dir: PathBuf },
    /// SILO matches the name against the file names of its lineage-definition files, so a name
    /// with a directory in it never matches.
    #[error("{name:?} is not a file name (SILO matches it against file names only)")]
    NotAFileName { name: String },
}
