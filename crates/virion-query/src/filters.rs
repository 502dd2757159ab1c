//! LAPIS sequence filters (request parameters) → one index filter.
//!
//! For each metadata field `f`, by type: string `f`, `f.regex` (RE2 syntax, partial match,
//! size-limited), `f.isNull`; date/int/float `f`, `fFrom`, `fTo` (inclusive, but a float's
//! upper bound is excluded, as SILO answers), `f.isNull`; boolean `f`, `f.isNull`. Several
//! values for `f` mean any of them, for every type; a `null` value (JSON) means "is null"; the
//! phylogenetic tree field `f.phyloDescendantOf` (one node: rows naming a leaf below it). Plus `nucleotideMutations`
//! and `aminoAcidMutations` (every listed mutation must hold). Different parameters combine
//! with AND.

use chrono::NaiveDate;
use virion_index::{ColumnType, Filter, Index, day_number};

use crate::error::QueryError;
use crate::mutation;
use crate::request::Values;

/// Largest compiled regex accepted (bytes of program); larger patterns are refused, not run.
pub(crate) const REGEX_SIZE_LIMIT: usize = 1 << 20;

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
pub fn sequence_filter(index: &Index, params: &[(String, Values)]) -> Result<Filter, QueryError> {
    filter_of_params(&crate::advanced::Context { index, lineage: None }, params)
}

/// [`sequence_filter`] with a lineage column resolved through its lineage index.
pub(crate) fn filter_of_params(
    cx: &crate::advanced::Context<'_>,
    params: &[(String, Values)],
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
            for value in non_null(name, values)? {
                // `MAYBE(C241T)` in the list lets ambiguity codes match, as in an advancedQuery.
                let (text, maybe) = match strip_maybe(value) {
                    Some(inner) => (inner, true),
                    None => (value.as_str(), false),
                };
                let q = mutation::parse(text, amino_acid, name)?;
                parts.push(mutation::to_filter(index, &q, amino_acid, maybe, name)?);
            }
            continue;
        }
        if let Some(amino_acid) = match name.as_str() {
            "nucleotideInsertions" => Some(false),
            "aminoAcidInsertions" => Some(true),
            _ => None,
        } {
            for value in non_null(name, values)? {
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

/// The mutation inside `MAYBE(…)` (any case), if the value is one.
fn strip_maybe(value: &str) -> Option<&str> {
    let t = value.trim();
    let head = t.get(..6)?;
    (head.eq_ignore_ascii_case("MAYBE(") && t.ends_with(')')).then(|| t[6..t.len() - 1].trim())
}

/// The operator suffixes of filter parameters.
const OPERATORS: [&str; 5] = [".regex", ".isNull", "From", "To", ".phyloDescendantOf"];

/// Splits `parameter` into a known column and its operator suffix.
fn resolve<'a>(index: &Index, parameter: &'a str) -> Option<(usize, &'a str)> {
    // Longest match first: a field may itself end in "From".
    if let Some(c) = index.column(parameter) {
        return Some((c, ""));
    }
    for suffix in OPERATORS {
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
        OPERATORS.into_iter().find(|s| lower == format!("{name}{}", s.to_ascii_lowercase())).map(|s| (i, s))
    })
}

/// The values of a parameter that takes no null (mutations, insertions, ranges, operators).
fn non_null<'v>(parameter: &str, values: &'v [Option<String>]) -> Result<Vec<&'v String>, QueryError> {
    values.iter().map(|v| v.as_ref().ok_or_else(|| bad(parameter, "null", "takes no null value"))).collect()
}

fn shown(values: &[Option<String>]) -> String {
    values.iter().map(|v| v.as_deref().unwrap_or("null")).collect::<Vec<_>>().join(",")
}

/// Several filters on one field: any of them (LAPIS's OR, for every type).
fn any_of(mut parts: Vec<Filter>) -> Filter {
    if parts.len() == 1 { parts.pop().expect("one part") } else { Filter::Or(parts) }
}

pub(crate) fn field_filter(
    index: &Index,
    parameter: &str,
    values: &[Option<String>],
) -> Result<Filter, QueryError> {
    let (column, op) = resolve(index, parameter).ok_or_else(|| QueryError::UnknownParameter {
        parameter: parameter.to_owned(),
        known: index.columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", "),
    })?;
    let kind = index.columns[column].kind;
    let single = || -> Result<&str, QueryError> {
        match values {
            [Some(one)] => Ok(one.as_str()),
            [None] => Err(bad(parameter, "null", "takes a value, not null")),
            _ => Err(bad(parameter, &shown(values), "takes one value")),
        }
    };
    match (op, kind) {
        (".phyloDescendantOf", _) => phylo_descendant_of(index, column, parameter, values),
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
        ("", ColumnType::String { .. }) => Ok(Filter::StringIn { column, values: values.to_vec() }),
        ("", ColumnType::Boolean | ColumnType::Date | ColumnType::Int | ColumnType::Float) => {
            let parts = values
                .iter()
                .map(|v| match v {
                    None => Ok(Filter::IsNull { column, null: true }),
                    Some(v) if kind == ColumnType::Boolean => {
                        Ok(Filter::Boolean { column, value: parse_bool(parameter, v)? })
                    }
                    Some(v) => {
                        let v = parse_bound(kind, parameter, v)?;
                        Ok(Filter::Range { column, from: Some(v), to: Some(v) })
                    }
                })
                .collect::<Result<Vec<_>, QueryError>>()?;
            Ok(any_of(parts))
        }
        ("From", ColumnType::Date | ColumnType::Int | ColumnType::Float) => {
            Ok(Filter::Range { column, from: Some(parse_bound(kind, parameter, single()?)?), to: None })
        }
        ("To", ColumnType::Date | ColumnType::Int | ColumnType::Float) => {
            let mut to = parse_bound(kind, parameter, single()?)?;
            // SILO's float range excludes its upper bound (dates and integers include it): the
            // largest float below it is the inclusive bound the index compares with.
            if kind == ColumnType::Float {
                to = to.next_down();
            }
            Ok(Filter::Range { column, from: None, to: Some(to) })
        }
        _ => Err(bad(parameter, &shown(values), "this operator does not apply to the field's type")),
    }
}

/// `f.phyloDescendantOf=node`: the rows whose value names a leaf below `node` in the tree of
/// `f`, which must be the index's phylogenetic tree field; one node, which must be in the tree
/// (LAPIS's and SILO's messages otherwise).
fn phylo_descendant_of(
    index: &Index,
    column: usize,
    parameter: &str,
    values: &[Option<String>],
) -> Result<Filter, QueryError> {
    let c = &index.columns[column];
    let Some(phylo) = index.phylo().filter(|p| p.column() == column) else {
        return Err(bad(
            parameter,
            &shown(values),
            format!(
                "Metadata field '{}' of type {} does not support PhyloDescendantOf queries.",
                c.name,
                crate::silo_filter::type_name(c.kind)
            ),
        ));
    };
    let [Some(name)] = values else {
        return Err(bad(
            parameter,
            &shown(values),
            format!(
                "Expected exactly one value for internal node '{}' but got {} values.",
                c.name,
                values.len()
            ),
        ));
    };
    let node = phylo.tree().node(name).ok_or_else(|| {
        bad(
            parameter,
            name,
            format!(
                "Error from SILO: The node '{name}' does not exist in the phylogenetic tree of column '{}'",
                c.name
            ),
        )
    })?;
    Ok(Filter::PhyloDescendantOf { column, node: node.get() })
}
