//! Row validation: each cell is read as its field's type, normalised, and every problem is
//! reported as an [`Issue`] naming file, line, column and value. Rows stream through one at a
//! time; only the submission ids seen so far are kept (to find duplicates).

use std::collections::{HashMap, HashSet};

use indexmap::IndexMap;
use serde::Serialize;

use crate::config::{FieldSpec, FieldType, INSDC_COUNTRY, OrganismConfig, VocabularySpec};
use crate::date::{Date, DateError, parse_date};
use crate::issue::{Issue, IssueKind, Severity};
use crate::table::Row;
use crate::value::{MissingTerm, Value};
use crate::vocabulary::{VocabMatch, Vocabulary, country_vocabulary, ena_missing_term};

/// Dates before this year are taken for typing mistakes.
const EARLIEST_PLAUSIBLE_YEAR: i32 = 1900;

/// A row after validation: normalised values by field name, plus what was found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ValidatedRow {
    /// 1-based line of the row in its file.
    pub line: u64,
    /// The row's submission id, when present.
    pub submission_id: Option<String>,
    /// Normalised values of the organism's fields present in the row, by field name.
    pub values: IndexMap<String, Value>,
    /// Everything found in the row.
    pub issues: Vec<Issue>,
}

impl ValidatedRow {
    /// Whether any issue is an error (the row cannot be submitted).
    pub fn has_errors(&self) -> bool {
        self.issues.iter().any(|i| i.severity == Severity::Error)
    }
}

/// Validates the rows of one metadata file against an organism's schema.
#[derive(Debug)]
pub struct Validator<'c> {
    config: &'c OrganismConfig,
    file: String,
    today: Date,
    /// Explicit column → field choices that override name matching.
    mapping: HashMap<String, String>,
    vocabularies: Vec<Option<Vocabulary>>,
    blank_values: HashSet<String>,
    header: Vec<String>,
    /// For each field (in config order), the header column it reads.
    field_columns: Vec<Option<usize>>,
    /// First line of each submission id.
    ids: HashMap<String, u64>,
    /// Most rows a file may hold (`None`: any number).
    max_rows: Option<u64>,
}

/// Column names compare ignoring case, and `_`, `-` and runs of spaces count as one space.
fn column_key(name: &str) -> String {
    name.to_lowercase().replace(['_', '-'], " ").split_whitespace().collect::<Vec<_>>().join(" ")
}

impl<'c> Validator<'c> {
    /// `file` is the name used in issues.
    pub fn new(config: &'c OrganismConfig, file: &str) -> Self {
        let vocabularies = config
            .fields
            .iter()
            .map(|f| match &f.vocabulary {
                Some(VocabularySpec::Terms(terms)) => Some(Vocabulary::new(terms.iter().cloned())),
                _ => None,
            })
            .collect();
        Self {
            config,
            file: file.to_owned(),
            today: Date::today_utc(),
            mapping: HashMap::new(),
            vocabularies,
            blank_values: config.blank_values.iter().map(|b| b.trim().to_owned()).collect(),
            header: Vec::new(),
            field_columns: vec![None; config.fields.len()],
            ids: HashMap::new(),
            max_rows: None,
        }
    }

    /// Refuses files of more than `rows` rows (their ids are held in memory): reading stops
    /// with [`crate::ReadError::TooManyRows`] at the first row over.
    pub fn with_max_rows(mut self, rows: u64) -> Self {
        self.max_rows = Some(rows);
        self
    }

    /// The most rows a file may hold, if limited.
    pub fn max_rows(&self) -> Option<u64> {
        self.max_rows
    }

    /// Sets the day after which collection dates are in the future (default: today, UTC).
    pub fn with_today(mut self, today: Date) -> Self {
        self.today = today;
        self
    }

    /// Reads `column` as `field`, whatever the names say (e.g. `("date", "collection_date")`).
    pub fn with_column_mapping<I, C, F>(mut self, mapping: I) -> Self
    where
        I: IntoIterator<Item = (C, F)>,
        C: AsRef<str>,
        F: Into<String>,
    {
        self.mapping.extend(mapping.into_iter().map(|(c, f)| (column_key(c.as_ref()), f.into())));
        self
    }

    /// Matches columns to fields. Call before the first row and again whenever the header grows
    /// (NDJSON); returns the findings about columns not reported before.
    pub fn set_header(&mut self, header: &[String]) -> Vec<Issue> {
        let already = self.header.len();
        self.header = header.to_vec();
        let keys: Vec<String> = header.iter().map(|h| column_key(h)).collect();
        let mut issues = Vec::new();
        for (i, key) in keys.iter().enumerate().skip(already) {
            if keys[..i].contains(key) {
                issues.push(self.header_issue(
                    Severity::Error,
                    IssueKind::DuplicateColumn,
                    i,
                    "this column appears twice; remove or rename one",
                ));
            }
        }
        for (f, field) in self.config.fields.iter().enumerate() {
            let mapped =
                keys.iter().position(|k| self.mapping.get(k).is_some_and(|target| *target == field.name));
            let by_name = std::iter::once(&field.name)
                .chain(&field.aliases)
                .chain(&field.ena_tag)
                .find_map(|name| keys.iter().position(|k| *k == column_key(name)));
            self.field_columns[f] = mapped.or(by_name);
        }
        for (i, name) in header.iter().enumerate().skip(already) {
            if !self.field_columns.contains(&Some(i)) && !name.trim().is_empty() {
                let message = format!(
                    "not a {} metadata field, so it is ignored; rename it to a field of the template or remove it",
                    self.config.display_name
                );
                issues.push(self.header_issue(Severity::Warning, IssueKind::UnknownColumn, i, &message));
            }
        }
        issues
    }

    fn header_issue(&self, severity: Severity, kind: IssueKind, column: usize, message: &str) -> Issue {
        Issue {
            severity,
            kind,
            file: self.file.clone(),
            line: None,
            column: Some(self.header[column].clone()),
            value: None,
            message: message.to_owned(),
        }
    }

    /// The submission ids accepted so far, with the line each was first seen on.
    pub fn submission_ids(&self) -> &HashMap<String, u64> {
        &self.ids
    }

    /// Takes the submission ids out (for the FASTA cross-check), leaving none.
    pub fn take_submission_ids(&mut self) -> HashMap<String, u64> {
        std::mem::take(&mut self.ids)
    }

    /// Validates one row against the organism's fields; submission ids are remembered to find duplicates.
    pub fn validate_row(&mut self, row: &Row) -> ValidatedRow {
        let mut out =
            ValidatedRow { line: row.line, submission_id: None, values: IndexMap::new(), issues: Vec::new() };
        if row.cells().len() > self.header.len() {
            let extra = row.cells()[self.header.len()..].iter().find(|c| !c.trim().is_empty());
            if let Some(extra) = extra {
                let message = format!(
                    "the row has {} cells but the header names {} columns; quote cells that contain the separator",
                    row.cells().len(),
                    self.header.len()
                );
                out.issues.push(self.issue(
                    Severity::Error,
                    IssueKind::TooManyCells,
                    row.line,
                    None,
                    Some(extra),
                    message,
                ));
            }
        }
        // Taken out for the loop so cells can borrow column names while ids are recorded.
        let header = std::mem::take(&mut self.header);
        let config = self.config;
        for (f, field) in config.fields.iter().enumerate() {
            let column = self.field_columns[f];
            let raw = column.map_or("", |c| row.cell(c).trim());
            let blank = raw.is_empty() || self.blank_values.contains(raw);
            let cell = CellRef {
                line: row.line,
                column: column.map_or(field.name.as_str(), |c| header[c].as_str()),
                raw,
            };
            if field.name == self.config.submission_id_column {
                self.check_submission_id(&cell, blank, &mut out);
            }
            let value = if blank {
                self.empty_value(field, &cell, column.is_none(), &mut out.issues)
            } else {
                self.parse_value(f, field, &cell, &mut out.issues)
            };
            if let Some(value) = value {
                out.values.insert(field.name.clone(), value);
            }
        }
        self.header = header;
        out
    }

    fn check_submission_id(&mut self, cell: &CellRef<'_>, blank: bool, out: &mut ValidatedRow) {
        if blank {
            let message = "every row needs a submission id, equal to the name of its FASTA record".to_owned();
            out.issues.push(self.issue(
                Severity::Error,
                IssueKind::MissingSubmissionId,
                cell.line,
                Some(cell.column),
                None,
                message,
            ));
            return;
        }
        if cell.raw.len() > crate::MAX_SUBMISSION_ID_BYTES {
            // Every id is held in memory for the whole submission: their length is bounded.
            let shown: String = cell.raw.chars().take(60).collect();
            let message = format!(
                "a submission id is at most {} bytes long; this one has {}",
                crate::MAX_SUBMISSION_ID_BYTES,
                cell.raw.len()
            );
            out.issues.push(self.issue(
                Severity::Error,
                IssueKind::SubmissionIdTooLong,
                cell.line,
                Some(cell.column),
                Some(&format!("{shown}…")),
                message,
            ));
            return;
        }
        out.submission_id = Some(cell.raw.to_owned());
        if let Some(&first) = self.ids.get(cell.raw) {
            let message =
                format!("the same submission id is already used on line {first}; give every row its own id");
            out.issues.push(self.issue(
                Severity::Error,
                IssueKind::DuplicateSubmissionId,
                cell.line,
                Some(cell.column),
                Some(cell.raw),
                message,
            ));
        } else {
            self.ids.insert(cell.raw.to_owned(), cell.line);
        }
    }

    fn empty_value(
        &self,
        field: &FieldSpec,
        cell: &CellRef<'_>,
        absent: bool,
        issues: &mut Vec<Issue>,
    ) -> Option<Value> {
        if field.required {
            let message = if absent {
                format!("'{}' is required but the file has no such column; add it", field.name)
            } else {
                format!("'{}' is required; fill it in", field.name)
            };
            issues.push(self.issue(
                Severity::Error,
                IssueKind::MissingRequired,
                cell.line,
                Some(cell.column),
                None,
                message,
            ));
            return None;
        }
        let default = field.default.as_deref()?;
        if let Some(term) = ena_missing_term(default) {
            let message =
                format!("empty, so recorded as '{term}' (ENA requires a value); fill it in if it is known");
            issues.push(self.issue(
                Severity::Warning,
                IssueKind::DefaultApplied,
                cell.line,
                Some(cell.column),
                None,
                message,
            ));
            return Some(Value::Missing(MissingTerm { missing: term }));
        }
        // A constant of the organism (e.g. its taxon id): nothing for the submitter to do.
        let default_cell = CellRef { raw: default, ..*cell };
        let index = self.config.fields.iter().position(|f| f.name == field.name)?;
        self.parse_value(index, field, &default_cell, issues)
    }

    fn parse_value(
        &self,
        index: usize,
        field: &FieldSpec,
        cell: &CellRef<'_>,
        issues: &mut Vec<Issue>,
    ) -> Option<Value> {
        let raw = cell.raw;
        let error = |kind, message: String| {
            self.issue(Severity::Error, kind, cell.line, Some(cell.column), Some(raw), message)
        };
        if let Some(term) = ena_missing_term(raw) {
            if field.required {
                issues.push(error(
                    IssueKind::MissingRequired,
                    format!("'{}' is required; a real value is needed, not '{term}'", field.name),
                ));
                return None;
            }
            return Some(Value::Missing(MissingTerm { missing: term }));
        }
        match field.field_type {
            FieldType::String | FieldType::Enum => self.parse_term(index, field, cell, issues),
            FieldType::Int => match raw.parse::<i64>() {
                Ok(n) => self.check_range(field, n as f64, cell, issues).then_some(Value::Int(n)),
                Err(_) => {
                    issues.push(error(
                        IssueKind::InvalidNumber,
                        "not a whole number; write digits only, e.g. 42".into(),
                    ));
                    None
                }
            },
            FieldType::Float => match raw.parse::<f64>() {
                Ok(x) if x.is_finite() => self.check_range(field, x, cell, issues).then_some(Value::Float(x)),
                _ => {
                    issues.push(error(
                        IssueKind::InvalidNumber,
                        "not a number; write e.g. 42 or 3.5 with a '.' decimal point".into(),
                    ));
                    None
                }
            },
            FieldType::Boolean => match raw.to_ascii_lowercase().as_str() {
                "true" | "yes" | "y" | "1" => Some(Value::Bool(true)),
                "false" | "no" | "n" | "0" => Some(Value::Bool(false)),
                _ => {
                    issues.push(error(IssueKind::InvalidBoolean, "write yes or no (or true / false)".into()));
                    None
                }
            },
            FieldType::Date => self.parse_date_cell(cell, issues),
            FieldType::Authors => {
                let authors: Vec<String> =
                    raw.split(';').map(str::trim).filter(|a| !a.is_empty()).map(str::to_owned).collect();
                if authors.is_empty() {
                    issues.push(error(
                        IssueKind::InvalidAuthors,
                        "no author names; separate authors with ';'".into(),
                    ));
                    return None;
                }
                Some(Value::Authors(authors))
            }
        }
    }

    fn parse_term(
        &self,
        index: usize,
        field: &FieldSpec,
        cell: &CellRef<'_>,
        issues: &mut Vec<Issue>,
    ) -> Option<Value> {
        let is_country =
            matches!(&field.vocabulary, Some(VocabularySpec::Builtin(name)) if name == INSDC_COUNTRY);
        let vocabulary =
            if is_country { Some(country_vocabulary()) } else { self.vocabularies[index].as_ref() };
        let Some(vocabulary) = vocabulary else { return Some(Value::Text(cell.raw.to_owned())) };
        match vocabulary.lookup(cell.raw) {
            VocabMatch::Exact(term) => Some(Value::Text(term.to_owned())),
            VocabMatch::Normalised(term) => {
                let message = format!("recorded as '{term}', the standard spelling");
                issues.push(self.issue(
                    Severity::Warning,
                    IssueKind::Normalised,
                    cell.line,
                    Some(cell.column),
                    Some(cell.raw),
                    message,
                ));
                Some(Value::Text(term.to_owned()))
            }
            VocabMatch::Unknown { suggestion } => {
                let (kind, what) = if is_country {
                    (IssueKind::UnknownCountry, "not an INSDC country or sea name".to_owned())
                } else {
                    (IssueKind::NotInVocabulary, format!("not one of the allowed values of '{}'", field.name))
                };
                let hint = match suggestion {
                    Some(s) => format!("did you mean '{s}'?"),
                    None if vocabulary.terms().len() <= 12 => {
                        format!("use one of: {}", vocabulary.terms().join(", "))
                    }
                    None => "see the list of allowed values in the template's documentation".to_owned(),
                };
                // Free-text fields only suggest; enum fields insist.
                let severity =
                    if field.field_type == FieldType::Enum { Severity::Error } else { Severity::Warning };
                issues.push(self.issue(
                    severity,
                    kind,
                    cell.line,
                    Some(cell.column),
                    Some(cell.raw),
                    format!("{what}; {hint}"),
                ));
                (severity == Severity::Warning).then(|| Value::Text(cell.raw.to_owned()))
            }
        }
    }

    fn parse_date_cell(&self, cell: &CellRef<'_>, issues: &mut Vec<Issue>) -> Option<Value> {
        let error = |kind, message: String| {
            self.issue(Severity::Error, kind, cell.line, Some(cell.column), Some(cell.raw), message)
        };
        match parse_date(cell.raw) {
            Ok(mut range) => {
                if range.earliest > self.today {
                    issues.push(error(
                        IssueKind::FutureDate,
                        format!("the date is after today ({}); check the year", self.today),
                    ));
                    None
                } else if range.earliest.year < EARLIEST_PLAUSIBLE_YEAR {
                    issues.push(error(
                        IssueKind::InvalidDate,
                        format!("a date before {EARLIEST_PLAUSIBLE_YEAR} is implausible; check the year"),
                    ));
                    None
                } else {
                    // A partial date that includes today cannot extend past it.
                    range.latest = range.latest.min(self.today);
                    Some(Value::Date(range))
                }
            }
            Err(e @ (DateError::Format(_) | DateError::Impossible(_) | DateError::Reversed(_))) => {
                issues.push(error(IssueKind::InvalidDate, e.to_string()));
                None
            }
        }
    }

    fn check_range(&self, field: &FieldSpec, x: f64, cell: &CellRef<'_>, issues: &mut Vec<Issue>) -> bool {
        let below = field.min.is_some_and(|min| x < min);
        let above = field.max.is_some_and(|max| x > max);
        if below || above {
            let bounds = format!(
                "{} to {}",
                field.min.map_or("-∞".into(), |m| m.to_string()),
                field.max.map_or("∞".into(), |m| m.to_string())
            );
            let message = format!("outside the allowed range {bounds}");
            issues.push(self.issue(
                Severity::Error,
                IssueKind::OutOfRange,
                cell.line,
                Some(cell.column),
                Some(cell.raw),
                message,
            ));
        }
        !(below || above)
    }

    fn issue(
        &self,
        severity: Severity,
        kind: IssueKind,
        line: u64,
        column: Option<&str>,
        value: Option<&str>,
        message: String,
    ) -> Issue {
        Issue {
            severity,
            kind,
            file: self.file.clone(),
            line: Some(line),
            column: column.map(str::to_owned),
            value: value.map(str::to_owned),
            message,
        }
    }
}

/// The cell being validated: its line, the column name to report, and its trimmed text.
#[derive(Clone, Copy)]
struct CellRef<'a> {
    line: u64,
    column: &'a str,
    raw: &'a str,
}
