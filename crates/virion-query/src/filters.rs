//! LAPIS sequence filters (request parameters) → one index filter.
//!
//! For each metadata field `f`, by type: string `f` (several values: any of them),
//! `f.regex` (RE2 syntax, partial match, size-limited), `f.isNull`; date/int/float `f`,
//! `fFrom`, `fTo` (inclusive), `f.isNull`; boolean `f`, `f.isNull`. Plus `nucleotideMutations`
//! and `aminoAcidMutations` (every listed mutation must hold). Different parameters combine
//! with AND.

use chrono::NaiveDate;
use virion_index::{ColumnType, Filter, Index, day_number};

use crate::error::QueryError;
use crate::mutation;

/// Largest compiled regex accepted (bytes of program); larger patterns are refused, not run.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

fn bad(parameter: &str, value: &str, reason: impl Into<String>) -> QueryError {
    QueryError::BadValue { parameter: parameter.to_owned(), value: value.to_owned(), reason: reason.into() }
}

fn parse_bool(parameter: &str, value: &str) -> Result<bool, QueryError> {
    match value.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(bad(parameter, value, "expected true or false")),
    }
}

fn parse_bound(kind: ColumnType, parameter: &str, value: &str) -> Result<f64, QueryError> {
    match kind {
        ColumnType::Date => NaiveDate::parse_from_str(value, "%Y-%m-%d")
            .map(|d| f64::from(day_number(d)))
            .map_err(|_| bad(parameter, value, "expected a date YYYY-MM-DD")),
        ColumnType::Int => {
            value.parse::<i64>().map(|v| v as f64).map_err(|_| bad(parameter, value, "expected an integer"))
        }
        _ => value
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| bad(parameter, value, "expected a number")),
    }
}

/// Builds the filter for `params` (name → values, as decoded from GET, JSON or a form).
/// Special properties (fields, orderBy, limit, …) must already be taken out by the caller.
pub fn sequence_filter(index: &Index, params: &[(String, Vec<String>)]) -> Result<Filter, QueryError> {
    filter_of_params(&crate::advanced::Context { index, lineage: None }, params)
}

/// [`sequence_filter`] with a lineage column resolved through its lineage index.
pub(crate) fn filter_of_params(
    cx: &crate::advanced::Context<'_>,
    params: &[(String, Vec<String>)],
) -> Result<Filter, QueryError> {
    let index = cx.index;
    let mut parts = Vec::new();
    for (name, values) in params {
        if values.is_empty() {
            continue;
        }
        let (amino_acid, is_mutation) = match name.as_str() {
            "nucleotideMutations" => (false, true),
            "aminoAcidMutations" => (true, true),
            _ => (false, false),
        };
        if is_mutation {
            for value in values {
                let q = mutation::parse(value, amino_acid, name)?;
                parts.push(mutation::to_filter(index, &q, amino_acid, false, name)?);
            }
            continue;
        }
        if let Some(amino_acid) = match name.as_str() {
            "nucleotideInsertions" => Some(false),
            "aminoAcidInsertions" => Some(true),
            _ => None,
        } {
            for value in values {
                let (seq, position, pattern) = crate::advanced::parse_insertion(value, name)?;
                parts.push(crate::advanced::insertion_filter(
                    index,
                    seq.as_deref(),
                    position,
                    &pattern,
                    Some(amino_acid),
                    name,
                )?);
            }
            continue;
        }
        parts.push(cx.equals(name, values)?);
    }
    Ok(match parts.len() {
        0 => Filter::True,
        1 => parts.pop().expect("one part"),
        _ => Filter::And(parts),
    })
}

/// Splits `parameter` into a known column and its operator suffix.
fn resolve<'a>(index: &Index, parameter: &'a str) -> Option<(usize, &'a str)> {
    // Longest match first: a field may itself end in "From".
    if let Some(c) = index.column(parameter) {
        return Some((c, ""));
    }
    for suffix in [".regex", ".isNull", "From", "To"] {
        if let Some(base) = parameter.strip_suffix(suffix)
            && let Some(c) = index.column(base)
        {
            return Some((c, suffix));
        }
    }
    // LAPIS field names are case-insensitive.
    let lower = parameter.to_ascii_lowercase();
    index.columns.iter().enumerate().find_map(|(i, c)| {
        let name = c.name.to_ascii_lowercase();
        if lower == name {
            return Some((i, ""));
        }
        [".regex", ".isNull", "From", "To"]
            .into_iter()
            .find(|s| lower == format!("{name}{}", s.to_ascii_lowercase()))
            .map(|s| (i, s))
    })
}

pub(crate) fn field_filter(index: &Index, parameter: &str, values: &[String]) -> Result<Filter, QueryError> {
    let (column, op) = resolve(index, parameter).ok_or_else(|| QueryError::UnknownParameter {
        parameter: parameter.to_owned(),
        known: index.columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", "),
    })?;
    let kind = index.columns[column].kind;
    let single = || -> Result<&str, QueryError> {
        match values {
            [one] => Ok(one.as_str()),
            _ => Err(bad(parameter, &values.join(","), "takes one value")),
        }
    };
    match (op, kind) {
        (".isNull", _) => {
            let v = single()?;
            Ok(Filter::IsNull { column, null: parse_bool(parameter, v)? })
        }
        (".regex", ColumnType::String { .. }) => {
            let v = single()?;
            let re = regex::RegexBuilder::new(v)
                .size_limit(REGEX_SIZE_LIMIT)
                .build()
                .map_err(|e| bad(parameter, v, format!("not a valid regular expression: {e}")))?;
            let codes = index.columns[column].codes_matching(|s| re.is_match(s));
            Ok(Filter::StringCodes { column, codes })
        }
        ("", ColumnType::String { .. }) => {
            Ok(Filter::StringIn { column, values: values.iter().map(|v| Some(v.clone())).collect() })
        }
        ("", ColumnType::Boolean) => Ok(Filter::Boolean { column, value: parse_bool(parameter, single()?)? }),
        ("", ColumnType::Date | ColumnType::Int | ColumnType::Float) => {
            let v = parse_bound(kind, parameter, single()?)?;
            Ok(Filter::Range { column, from: Some(v), to: Some(v) })
        }
        ("From", ColumnType::Date | ColumnType::Int | ColumnType::Float) => {
            Ok(Filter::Range { column, from: Some(parse_bound(kind, parameter, single()?)?), to: None })
        }
        ("To", ColumnType::Date | ColumnType::Int | ColumnType::Float) => {
            Ok(Filter::Range { column, from: None, to: Some(parse_bound(kind, parameter, single()?)?) })
        }
        _ => Err(bad(parameter, &values.join(","), "this operator does not apply to the field's type")),
    }
}
