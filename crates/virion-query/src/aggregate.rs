//! `/sample/aggregated`: counts of the matching rows grouped by fields, including the derived
//! date fields `date.year`, `date.month` and `date.isoWeek` (e.g. `2024-W03`).

use std::collections::HashMap;

use chrono::Datelike;
use virion_index::{ColumnType, Index, RoaringBitmap, Value, date_of};

use crate::error::QueryError;

/// One group-by field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupField {
    Column(usize),
    Year(usize),
    Month(usize),
    IsoWeek(usize),
}

/// A group's key value for one field.
#[derive(Debug, Clone, PartialEq)]
pub enum GroupKey {
    Value(Value),
    /// A derived date part, already formatted (`2024`, `2024-03`, `2024-W03`).
    Text(String),
    Null,
}

/// Parses a `fields` entry: a column name, or `DATECOLUMN.year|month|isoWeek`.
pub fn parse_group_field(index: &Index, text: &str) -> Result<GroupField, QueryError> {
    let unknown = || QueryError::UnknownField {
        field: text.to_owned(),
        known: index.columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", "),
    };
    if let Some(c) = index.column(text) {
        return Ok(GroupField::Column(c));
    }
    let (base, part) = text.rsplit_once('.').ok_or_else(unknown)?;
    let c = index.column(base).ok_or_else(unknown)?;
    if index.columns[c].kind != ColumnType::Date {
        return Err(unknown());
    }
    match part {
        "year" => Ok(GroupField::Year(c)),
        "month" => Ok(GroupField::Month(c)),
        "isoWeek" => Ok(GroupField::IsoWeek(c)),
        _ => Err(unknown()),
    }
}

/// A row's key part, as a small integer that is cheap to hash (codes, day numbers, …).
fn raw_key(index: &Index, field: GroupField, row: u32) -> i64 {
    const NULL: i64 = i64::MIN;
    match field {
        GroupField::Column(c) => {
            let column = &index.columns[c];
            match column.kind {
                ColumnType::String { .. } => column.code(row).map_or(NULL, i64::from),
                ColumnType::Date => column.day(row).map_or(NULL, i64::from),
                _ => match column.get(row) {
                    Value::Int(i) => i,
                    Value::Float(f) => f.to_bits() as i64,
                    Value::Boolean(b) => i64::from(b),
                    _ => NULL,
                },
            }
        }
        GroupField::Year(c) | GroupField::Month(c) | GroupField::IsoWeek(c) => {
            let Some(day) = index.columns[c].day(row) else { return NULL };
            let date = date_of(day);
            match field {
                GroupField::Year(_) => i64::from(date.year()),
                GroupField::Month(_) => i64::from(date.year()) * 100 + i64::from(date.month()),
                _ => {
                    let w = date.iso_week();
                    i64::from(w.year()) * 100 + i64::from(w.week())
                }
            }
        }
    }
}

fn key_value(index: &Index, field: GroupField, raw: i64, example_row: u32) -> GroupKey {
    if raw == i64::MIN {
        return GroupKey::Null;
    }
    match field {
        GroupField::Column(c) => GroupKey::Value(index.columns[c].get(example_row)),
        GroupField::Year(_) => GroupKey::Text(raw.to_string()),
        GroupField::Month(_) => GroupKey::Text(format!("{}-{:02}", raw / 100, raw % 100)),
        GroupField::IsoWeek(_) => GroupKey::Text(format!("{}-W{:02}", raw / 100, raw % 100)),
    }
}

/// Counts `rows` per distinct combination of `fields` (no fields: one total). Groups come
/// in order of first appearance; callers sort as the request asks.
pub fn aggregate(index: &Index, rows: &RoaringBitmap, fields: &[GroupField]) -> Vec<(Vec<GroupKey>, u64)> {
    if fields.is_empty() {
        return vec![(Vec::new(), rows.len())];
    }
    let mut groups: HashMap<Vec<i64>, (u32, u64)> = HashMap::new();
    let mut order: Vec<Vec<i64>> = Vec::new();
    let mut key = Vec::with_capacity(fields.len());
    for row in rows.iter() {
        key.clear();
        key.extend(fields.iter().map(|&f| raw_key(index, f, row)));
        match groups.get_mut(&key) {
            Some((_, n)) => *n += 1,
            None => {
                groups.insert(key.clone(), (row, 1));
                order.push(key.clone());
            }
        }
    }
    order
        .into_iter()
        .map(|k| {
            let (example, n) = groups[&k];
            let values = fields.iter().zip(&k).map(|(&f, &raw)| key_value(index, f, raw, example)).collect();
            (values, n)
        })
        .collect()
}
