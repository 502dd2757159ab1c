//! Validating a whole metadata file: read it row by row and hand each validated row to the
//! caller, keeping only counts and the submission ids.

use std::collections::HashMap;
use std::path::Path;

use serde::Serialize;

use crate::config::OrganismConfig;
use crate::issue::{Issue, Severity};
use crate::table::{MetadataReader, ReadError, Row, TableFormat};
use crate::validate::{ValidatedRow, Validator};

/// What a file held, once validated.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FileSummary {
    /// Data rows read (the header not counted).
    pub rows: u64,
    /// Rows with at least one error.
    pub rows_with_errors: u64,
    /// Rows with warnings but no error.
    pub rows_with_warnings_only: u64,
    /// Errors over all rows.
    pub errors: u64,
    /// Warnings over all rows.
    pub warnings: u64,
    /// Findings about the file as a whole (columns).
    pub header_issues: Vec<Issue>,
    /// Submission id of every row → its 1-based line, for the FASTA cross-check.
    #[serde(skip)]
    pub submission_ids: HashMap<String, u64>,
}

impl FileSummary {
    fn count(&mut self, issues: &[Issue]) {
        for issue in issues {
            match issue.severity {
                Severity::Error => self.errors += 1,
                Severity::Warning => self.warnings += 1,
            }
        }
    }
}

/// Validates every row of `path`, passing each to `on_row`; a read error (encoding, damaged
/// compression, syntax) stops the file. `configure` adjusts the validator (column mapping, today).
pub fn validate_file<'c>(
    path: &Path,
    config: &'c OrganismConfig,
    configure: impl FnOnce(Validator<'c>) -> Validator<'c>,
    on_row: impl FnMut(ValidatedRow),
) -> Result<(TableFormat, FileSummary), ReadError> {
    let reader = MetadataReader::open(path)?;
    let validator = configure(Validator::new(config, reader.file()));
    validate_reader(reader, validator, on_row)
}

/// Like [`validate_file`] for an already open reader and prepared validator.
pub fn validate_reader(
    mut reader: MetadataReader,
    mut validator: Validator<'_>,
    mut on_row: impl FnMut(ValidatedRow),
) -> Result<(TableFormat, FileSummary), ReadError> {
    let mut summary =
        FileSummary { header_issues: validator.set_header(reader.header()), ..FileSummary::default() };
    let header_issues = std::mem::take(&mut summary.header_issues);
    summary.count(&header_issues);
    summary.header_issues = header_issues;
    let mut header_len = reader.header().len();
    let mut row = Row::default();
    while reader.read_row(&mut row)? {
        if let Some(limit) = validator.max_rows().filter(|&m| summary.rows >= m) {
            return Err(ReadError::TooManyRows { file: reader.file().to_owned(), limit });
        }
        if reader.header().len() != header_len {
            header_len = reader.header().len();
            let more = validator.set_header(reader.header());
            summary.count(&more);
            summary.header_issues.extend(more);
        }
        let validated = validator.validate_row(&row);
        summary.rows += 1;
        summary.count(&validated.issues);
        if validated.has_errors() {
            summary.rows_with_errors += 1;
        } else if !validated.issues.is_empty() {
            summary.rows_with_warnings_only += 1;
        }
        on_row(validated);
    }
    summary.submission_ids = validator.take_submission_ids();
    Ok((reader.format(), summary))
}
