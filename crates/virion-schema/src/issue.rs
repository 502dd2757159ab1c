//! A problem found in submitted metadata, located precisely enough to fix it.

use std::fmt;

use serde::Serialize;

/// Errors block a submission; warnings are shown but do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// What kind of problem, for callers that count or filter them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IssueKind {
    UnknownColumn,
    DuplicateColumn,
    TooManyCells,
    MissingRequired,
    DefaultApplied,
    MissingSubmissionId,
    DuplicateSubmissionId,
    UnknownCountry,
    NotInVocabulary,
    Normalised,
    InvalidDate,
    FutureDate,
    InvalidNumber,
    OutOfRange,
    InvalidBoolean,
    InvalidAuthors,
    RecordWithoutMetadata,
    MetadataWithoutRecord,
    DuplicateRecord,
}

/// One finding: where (file, 1-based line, column), the offending value, and what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    pub severity: Severity,
    pub kind: IssueKind,
    pub file: String,
    /// 1-based line of the row (the header is line 1 in TSV/CSV); `None` for whole-file findings.
    pub line: Option<u64>,
    pub column: Option<String>,
    pub value: Option<String>,
    /// The problem and the fix, in one or two sentences.
    pub message: String,
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{severity}: {}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ", line {line}")?;
        }
        if let Some(column) = &self.column {
            write!(f, ", column '{column}'")?;
        }
        if let Some(value) = &self.value {
            write!(f, ", value '{value}'")?;
        }
        write!(f, ": {}", self.message)
    }
}
