//! A problem found in submitted metadata, located precisely enough to fix it.

use std::fmt;

use serde::Serialize;

/// Errors block a submission; warnings are shown but do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Shown to the submitter; the row is accepted.
    Warning,
    /// The row, and so the submission, is refused until fixed.
    Error,
}

/// What kind of problem, for callers that count or filter them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IssueKind {
    /// A column that is not a field of the organism (ignored).
    UnknownColumn,
    /// A column name that appears twice in the header.
    DuplicateColumn,
    /// A row with more non-empty cells than the header has columns.
    TooManyCells,
    /// A required field's column is absent, or its cell is empty or a missing-value term.
    MissingRequired,
    /// An empty cell filled with the field's default (such as "not provided").
    DefaultApplied,
    /// A row with no submission id.
    MissingSubmissionId,
    /// A submission id already used on an earlier row.
    DuplicateSubmissionId,
    /// A submission id longer than [`crate::MAX_SUBMISSION_ID_BYTES`].
    SubmissionIdTooLong,
    /// A country that is not an INSDC country or sea name.
    UnknownCountry,
    /// A value that is not one of the field's allowed terms.
    NotInVocabulary,
    /// A value recorded in its standard spelling (other case, spacing or a synonym).
    Normalised,
    /// A date that does not parse, does not exist, or is implausibly early.
    InvalidDate,
    /// A date after today.
    FutureDate,
    /// Not a number, or not a whole number where one is needed.
    InvalidNumber,
    /// A number outside the field's `min`..`max`.
    OutOfRange,
    /// Not yes/no or true/false.
    InvalidBoolean,
    /// An authors field with no names.
    InvalidAuthors,
    /// A FASTA record whose name is no row's submission id.
    RecordWithoutMetadata,
    /// A row whose submission id names no FASTA record.
    MetadataWithoutRecord,
    /// Two FASTA records with the same name (or, for a segmented organism, two records of the
    /// same segment of one sample).
    DuplicateRecord,
    /// A record of a segmented organism whose sequence matches none of its segments.
    UnknownSegment,
    /// A record named as one segment (`<id>_<segment>`) whose sequence matches another.
    SegmentMismatch,
}

/// One finding: where (file, 1-based line, column), the offending value, and what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    /// Whether the issue blocks the submission.
    pub severity: Severity,
    /// What kind of problem it is.
    pub kind: IssueKind,
    /// Name of the file the issue is in.
    pub file: String,
    /// 1-based line of the row (the header is line 1 in TSV/CSV); `None` for whole-file findings.
    pub line: Option<u64>,
    /// The column's name as written in the header; `None` for whole-row findings.
    pub column: Option<String>,
    /// The offending cell text, when there is one.
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
