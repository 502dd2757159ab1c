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
    /// The file cannot be opened, or its compression not told.
    #[error(transparent)]
    Open(#[from] virion_io::OpenError),
    /// The stream broke off: an I/O error, or a compressed stream that is damaged or truncated.
    #[error("{file}: cannot read{}: {source}", after_line(*line))]
    Read {
        /// The input's name.
        file: String,
        /// The last whole line read before the break (0: none).
        line: u64,
        /// The I/O or decompression error.
        #[source]
        source: std::io::Error,
    },
    /// One line is refused.
    #[error("{file} line {line}: {problem}")]
    Line {
        /// The input's name.
        file: String,
        /// The 1-based line.
        line: u64,
        /// What is wrong with it.
        problem: LineProblem,
    },
    /// A primary key appears a second time (SILO refuses the input).
    #[error("{file} line {line}: primary key {key:?} already appeared on line {first_line}")]
    DuplicateKey {
        /// The input's name.
        file: String,
        /// The 1-based line of the repeat.
        line: u64,
        /// The primary key.
        key: String,
        /// The 1-based line where it first appeared.
        first_line: u64,
    },
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
    /// The line is not UTF-8.
    #[error("not valid UTF-8 (byte {offset} of the line)")]
    Utf8 {
        /// The byte offset in the line where valid UTF-8 ends.
        offset: usize,
    },
    /// The line is not JSON.
    #[error("not valid JSON: {0}")]
    Json(#[source] serde_json::Error),
    /// The line is JSON but not an object.
    #[error("expected a JSON object, found {found}")]
    NotAnObject {
        /// What it is instead (`an array`, `a string`, …).
        found: &'static str,
    },
    /// A field the layout requires is absent.
    #[error("field {field:?} is missing")]
    Missing {
        /// The field's name (its path in the line).
        field: String,
    },
    /// A field's value is refused.
    #[error("field {field:?}: {problem}")]
    Field {
        /// The field's name (its path in the line).
        field: String,
        /// What is wrong with the value.
        problem: FieldProblem,
    },
    /// Kept apart from the field problems so that the message says why a null, which every
    /// other column takes, is refused here.
    #[error("field {field:?} is null, but it is the primary key and every record needs one")]
    NullPrimaryKey {
        /// The primary-key field.
        field: String,
    },
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
    /// The value's JSON type does not fit the column.
    #[error("{value} is not {expected}")]
    WrongType {
        /// The value as written.
        value: String,
        /// What the column takes (`a string`, `an integer`, …).
        expected: &'static str,
    },
    /// A date column's value is not a full `YYYY-MM-DD` date.
    #[error("{value:?} is not a date YYYY-MM-DD")]
    NotADate {
        /// The value as written.
        value: String,
    },
    /// An integer too large for the column.
    #[error("{value} does not fit a {bits}-bit integer")]
    OutOfRange {
        /// The value as written.
        value: String,
        /// The column's width in bits (32 or 64).
        bits: u32,
    },
    /// The field is given twice in the line.
    #[error("appears twice in the line")]
    Repeated,
    /// A sequence letter outside the alphabet.
    #[error("letter {letter:?} at position {position} is not {alphabet} symbol")]
    Letter {
        /// The letter.
        letter: char,
        /// Its 0-based position in the sequence.
        position: usize,
        /// The alphabet, as the message words it (`a nucleotide`, `an amino-acid`).
        alphabet: &'static str,
    },
    /// An aligned sequence whose length is not the reference's.
    #[error("{what} {name:?} has {actual} letters{}, the reference has {expected}", offset_note(*offset))]
    Length {
        /// `segment` or `gene`.
        what: &'static str,
        /// The segment's or gene's name.
        name: String,
        /// The sequence's length.
        actual: usize,
        /// Where the sequence starts on the reference, when the layout gives an offset.
        offset: Option<u32>,
        /// The reference's length.
        expected: usize,
    },
    /// An insertion that cannot be read.
    #[error("insertion {text:?}: {problem}")]
    Insertion {
        /// The insertion as written.
        text: String,
        /// What is wrong with it.
        problem: InsertionProblem,
    },
    /// A `sequenceCompressed` value that cannot be decompressed.
    #[error("sequenceCompressed: {problem}")]
    Compressed {
        /// What is wrong with it.
        problem: CompressedProblem,
    },
    /// A sequence object with neither `sequence` nor `sequenceCompressed`.
    #[error("has neither sequence nor sequenceCompressed")]
    NoSequence,
    /// Not the shape of the field in a Nextclade result (the reason as serde words it).
    #[error("{reason}")]
    NotNextclade {
        /// serde's words for what is wrong.
        reason: String,
    },
}

fn offset_note(offset: Option<u32>) -> String {
    offset.map(|o| format!(" from offset {o}")).unwrap_or_default()
}

/// What is wrong with an insertion `"pos:SYMBOLS"`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InsertionProblem {
    /// Not of the form `position:symbols`.
    #[error("expected position:symbols")]
    Shape,
    /// The position is not a whole number from 0 (the text as written).
    #[error("{0:?} is not a position (a whole number from 0)")]
    Position(String),
    /// The position lies past the reference's end.
    #[error("position {position} lies beyond the reference's end ({reference_len})")]
    BeyondReference {
        /// The insertion's position.
        position: u32,
        /// The reference's length.
        reference_len: usize,
    },
    /// No symbols after the colon.
    #[error("no inserted symbols")]
    Empty,
    /// An inserted symbol outside the alphabet.
    #[error("{letter:?} is not {alphabet} symbol")]
    Letter {
        /// The symbol.
        letter: char,
        /// The alphabet, as the message words it.
        alphabet: &'static str,
    },
}

/// What is wrong with a `sequenceCompressed` value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompressedProblem {
    /// Not base64 (the decoder's message).
    #[error("not valid base64: {0}")]
    Base64(String),
    /// Not a zstd frame compressed with the reference as its dictionary (zstd's message).
    #[error("not a zstd frame compressed with the reference as dictionary: {0}")]
    Zstd(String),
    /// Decompresses to more letters than the reference has.
    #[error("decompresses to more letters than the reference has ({reference_len})")]
    TooLong {
        /// The reference's length.
        reference_len: usize,
    },
    /// Decompresses to bytes that are not UTF-8 text.
    #[error("decompresses to bytes that are not text")]
    NotText,
}

/// Why a `database_config.yaml` / `reference_genomes.json` pair cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// A configuration file cannot be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The database config is not valid YAML of SILO's form.
    #[error("database config: not valid: {0}")]
    Yaml(#[source] yaml_serde::Error),
    /// reference_genomes.json is not valid JSON.
    #[error("reference genomes: not valid: {0}")]
    Json(#[source] serde_json::Error),
    /// A metadata field's `type` is not one SILO knows.
    #[error(
        "database config: metadata field {name:?}: unknown type {kind:?} (string, int, int32, int64, float, date or boolean)"
    )]
    UnknownType {
        /// The field's name.
        name: String,
        /// The type as written.
        kind: String,
    },
    /// Two metadata fields have the same name.
    #[error("database config: metadata field {name:?} is defined twice")]
    DuplicateField {
        /// The name.
        name: String,
    },
    /// An option only string fields take (`generateIndex`, `generateLineageIndex`) on another type.
    #[error("database config: metadata field {name:?}: {option} is only allowed on string fields")]
    StringOnly {
        /// The field's name.
        name: String,
        /// The option.
        option: &'static str,
    },
    /// The database config lists no metadata fields.
    #[error("database config: has no metadata fields")]
    NoFields,
    /// `primaryKey`, `dateToSortBy` or `partitionBy` names no metadata field.
    #[error("database config: {option} {name:?} is not a metadata field")]
    NotAField {
        /// The option.
        option: &'static str,
        /// The name it gives.
        name: String,
    },
    /// `dateToSortBy` names a field that is not a date.
    #[error("database config: dateToSortBy {name:?} is not a date field")]
    NotADateField {
        /// The field's name.
        name: String,
    },
    /// A sequence of reference_genomes.json is refused.
    #[error("reference genomes: {what} {name:?}: {problem}")]
    Reference {
        /// `nucleotide sequence` or `gene`.
        what: &'static str,
        /// Its name.
        name: String,
        /// What is wrong with it.
        problem: ReferenceProblem,
    },
    /// Two columns (metadata field, segment, gene or unaligned segment) share a name.
    #[error(
        "the name {name:?} is used by more than one column (metadata, segment, gene or unaligned_ segment)"
    )]
    NameClash {
        /// The name.
        name: String,
    },
}

/// What is wrong with one reference sequence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceProblem {
    /// The sequence is empty.
    #[error("the sequence is empty")]
    Empty,
    /// A sequence letter outside the alphabet.
    #[error("letter {letter:?} at position {position} is not {alphabet} symbol")]
    Letter {
        /// The letter.
        letter: char,
        /// Its 0-based position in the sequence.
        position: usize,
        /// The alphabet, as the message words it (`a nucleotide`, `an amino-acid`).
        alphabet: &'static str,
    },
    /// Two sequences of the same kind have the same name.
    #[error("the name is used twice")]
    Duplicate,
}

/// Why a SILO lineage-definitions file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum LineageFileError {
    /// The lineage-definitions file cannot be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Not YAML of the form `{label: {parents: [..], aliases: [..]}}`.
    #[error(
        "lineage definitions: not valid YAML of the form {{label: {{parents: [..], aliases: [..]}}}}: {0}"
    )]
    Yaml(#[source] yaml_serde::Error),
    /// A lineage is defined twice.
    #[error("lineage definitions: lineage {label:?} is defined twice")]
    DuplicateLabel {
        /// The lineage.
        label: String,
    },
    /// A name is both a lineage and an alias, or an alias of two lineages.
    #[error("lineage definitions: {name:?} is both a lineage and an alias (or an alias twice)")]
    AliasClash {
        /// The name.
        name: String,
    },
    /// A lineage names a parent that is not defined.
    #[error("lineage definitions: lineage {label:?} names parent {parent:?}, which is not defined")]
    UnknownParent {
        /// The lineage.
        label: String,
        /// The parent it names.
        parent: String,
    },
    /// Following parents leads back to a lineage.
    #[error("lineage definitions: the parents form a cycle through {label:?}")]
    Cycle {
        /// A lineage on the cycle.
        label: String,
    },
    /// No lineage-definitions file of that name (or with `.yaml` added) in the directory.
    #[error("no lineage definitions file {name:?} or \"{name}.yaml\" in {}", dir.display())]
    NotFound {
        /// The name the database config gives.
        name: String,
        /// The directory searched.
        dir: PathBuf,
    },
    /// SILO matches the name against the file names of its lineage-definition files, so a name
    /// with a directory in it never matches.
    #[error("{name:?} is not a file name (SILO matches it against file names only)")]
    NotAFileName {
        /// The name as given.
        name: String,
    },
}
