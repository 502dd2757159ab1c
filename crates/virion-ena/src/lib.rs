//! Prepares a deposition at ENA and reads ENA's answer back.
//!
//! The hub hands this crate typed values; it checks them against ENA's rules and writes files:
//! Webin XML for the study, the samples (checklist ERC000033, [`checklist`]) and the submission
//! ([`xml`]), the Webin-CLI genome manifest with its gzipped FASTA and chromosome list
//! ([`genome`]), and it parses the RECEIPT XML that ENA returns ([`receipt`]). No network and no
//! database: a value ENA would refuse becomes an [`EnaError`] naming the record and the field
//! before anything is sent.

pub mod checklist;
pub mod genome;
pub mod receipt;
pub mod xml;

pub use checklist::{CHECKLIST_ID, checklist_attributes, checklist_sample};
pub use genome::{
    AssemblyType, ChromosomeLocation, ChromosomeType, GenomeFiles, GenomeManifest, MoleculeType,
    ParsedManifest, Replicon, TrimmedEnds, parse_manifest, write_genome,
};
pub use receipt::{ExtId, ObjectKind, Receipt, ReceiptError, ReceiptObject, parse_receipt};
pub use xml::{Attribute, Sample, Study, SubmissionAction, project_set_xml, sample_set_xml, submission_xml};

/// Why a study, sample, submission or genome cannot be deposited as given.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum EnaError {
    /// A value is outside the field's controlled vocabulary.
    #[error("{record}: field '{field}' = '{value}' is not in ENA's vocabulary ({hint})")]
    NotInVocabulary {
        /// Record alias (or assembly name).
        record: String,
        /// Field or tag name.
        field: String,
        /// The refused value.
        value: String,
        /// A few allowed values, for the message.
        hint: String,
    },
    /// A value does not have the form the field requires.
    #[error("{record}: field '{field}' = '{value}' is invalid: {reason}")]
    InvalidValue {
        /// Record alias (or assembly name).
        record: String,
        /// Field or tag name.
        field: String,
        /// The refused value.
        value: String,
        /// What rule it breaks.
        reason: String,
    },
    /// A required value is missing or blank.
    #[error("{record}: field '{field}' is required")]
    Missing {
        /// Record alias (or assembly name).
        record: String,
        /// Field name.
        field: String,
    },
    /// The same tag was given twice for one record.
    #[error("{record}: field '{field}' is given more than once")]
    Duplicate {
        /// Record alias (or assembly name).
        record: String,
        /// Field or tag name.
        field: String,
    },
    /// A structural sample field (alias, title, taxon id, …) was passed as an attribute.
    #[error("{record}: '{field}' is part of the SAMPLE element itself, not a SAMPLE_ATTRIBUTE")]
    StructuralField {
        /// Record alias.
        record: String,
        /// Field name.
        field: String,
    },
    /// A value holds a character XML 1.0 cannot carry (a control character).
    #[error("{record}: field '{field}' holds character U+{code:04X}, which XML cannot carry")]
    InvalidCharacter {
        /// Record alias (or assembly name).
        record: String,
        /// Field name.
        field: String,
        /// The character's code point.
        code: u32,
    },
    /// A text is shorter or longer than the XSD allows.
    #[error("{record}: {field} has {len} characters; ENA requires {min} to {max}")]
    Length {
        /// Record alias.
        record: String,
        /// Element name.
        field: String,
        /// Length found, in characters.
        len: usize,
        /// Minimum allowed.
        min: usize,
        /// Maximum allowed.
        max: usize,
    },
    /// Nothing to write (no samples, no actions, no sequences).
    #[error("{0}: nothing to write")]
    Empty(&'static str),
    /// A sequence breaks ENA's rules (length, letters).
    #[error("{record}: sequence '{object}' {reason}")]
    Sequence {
        /// Assembly name.
        record: String,
        /// FASTA header of the sequence.
        object: String,
        /// What is wrong.
        reason: String,
    },
    /// A manifest line cannot be read.
    #[error("manifest line {line}: {reason}")]
    Manifest {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// Writing a file failed.
    #[error("{path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error's text.
        message: String,
    },
}

/// Refuses characters that XML 1.0 cannot represent, so every writer emits well-formed XML.
pub(crate) fn check_xml_chars(record: &str, field: &str, value: &str) -> Result<(), EnaError> {
    match value
        .chars()
        .find(|&c| c < ' ' && !matches!(c, '\t' | '\n' | '\r') || matches!(c, '\u{FFFE}' | '\u{FFFF}'))
    {
        Some(c) => Err(EnaError::InvalidCharacter {
            record: record.to_owned(),
            field: field.to_owned(),
            code: c as u32,
        }),
        None => Ok(()),
    }
}
