//! Tabular answers (aggregated counts, details, mutations, insertions): named columns, typed
//! cells, ordered and paged as the request asks.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};
use virion_index::Value;

use crate::error::QueryError;
use crate::request::{LapisRequest, OrderBy};

/// One cell of an answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Cell {
    /// No value (`null`).
    Null,
    /// Text.
    Str(String),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A boolean.
    Bool(bool),
}

impl From<Value> for Cell {
    fn from(v: Value) -> Cell {
        match v {
            Value::Null => Cell::Null,
            Value::String(s) => Cell::Str(s),
            Value::Date(d) => Cell::Str(d.format("%Y-%m-%d").to_string()),
            Value::Int(i) => Cell::Int(i),
            Value::Float(f) => Cell::Float(f),
            Value::Boolean(b) => Cell::Bool(b),
        }
    }
}

impl Cell {
    /// Nulls first (SILO orders a null as the smallest value: first ascending, last
    /// descending); numbers by value; otherwise text.
    pub fn compare(&self, other: &Cell) -> Ordering {
        use Cell::*;
        match (self, other) {
            (Null, Null) => Ordering::Equal,
            (Null, _) => Ordering::Less,
            (_, Null) => Ordering::Greater,
            (Int(a), Int(b)) => a.cmp(b),
            (Int(a), Float(b)) => (*a as f64).total_cmp(b),
            (Float(a), Int(b)) => a.total_cmp(&(*b as f64)),
            (Float(a), Float(b)) => a.total_cmp(b),
            (Bool(a), Bool(b)) => a.cmp(b),
            (Str(a), Str(b)) => a.cmp(b),
            (a, b) => a.text().cmp(&b.text()),
        }
    }

    /// The cell as CSV/TSV text (null: empty).
    pub fn text(&self) -> String {
        match self {
            Cell::Null => String::new(),
            Cell::Str(s) => s.clone(),
            Cell::Int(i) => i.to_string(),
            Cell::Float(f) => f.to_string(),
            Cell::Bool(b) => b.to_string(),
        }
    }
}

/// An answer table (federated nodes send each other their parts of an answer in this form).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Table {
    /// Column names, in order.
    pub columns: Vec<String>,
    /// Rows, each with one cell per column.
    pub rows: Vec<Vec<Cell>>,
}

/// The columns an ordering field stands for: LAPIS orders by `mutation` as by its sequence,
/// reference letter, position and new letter, and by `insertion` as by its sequence, position
/// and inserted letters.
fn expand_order(field: &str) -> impl Iterator<Item = &str> {
    let expanded: &[&str] = if field.eq_ignore_ascii_case("mutation") {
        &["sequenceName", "mutationFrom", "position", "mutationTo"]
    } else if field.eq_ignore_ascii_case("insertion") {
        &["sequenceName", "position", "insertedSymbols"]
    } else {
        &[]
    };
    let own = expanded.is_empty().then_some(field);
    expanded.iter().copied().chain(own)
}

/// A 64-bit mix (SplitMix64's finaliser): random order keys from (seed, row).
pub fn mix(seed: u64, value: u64) -> u64 {
    let mut z = seed ^ value.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The seed of a random order (`random` without a seed draws one).
pub fn seed_of(order: &OrderBy) -> Option<u64> {
    match order {
        OrderBy::Random(Some(s)) => Some(*s),
        OrderBy::Random(None) => Some(rand_seed()),
        OrderBy::Fields(_) => None,
    }
}

fn rand_seed() -> u64 {
    let t =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
    mix(t, u64::from(std::process::id()))
}

impl Table {
    /// Orders and pages the rows as `req` asks. Ordering fields must be columns of the table
    /// (LAPIS refuses others).
    pub fn order_and_page(&mut self, req: &LapisRequest) -> Result<(), QueryError> {
        match &req.order_by {
            OrderBy::Fields(fields) if !fields.is_empty() => {
                let mut keys = Vec::with_capacity(fields.len());
                for (name, descending) in
                    fields.iter().flat_map(|(n, d)| expand_order(n).map(move |n| (n, d)))
                {
                    let i =
                        self.columns.iter().position(|c| c.eq_ignore_ascii_case(name)).ok_or_else(|| {
                            QueryError::BadValue {
                                parameter: "orderBy".into(),
                                value: name.to_owned(),
                                reason: format!("not a field of the answer ({})", self.columns.join(", ")),
                            }
                        })?;
                    keys.push((i, *descending));
                }
                self.rows.sort_by(|a, b| {
                    for &(i, desc) in &keys {
                        let o = a[i].compare(&b[i]);
                        if o != Ordering::Equal {
                            return if desc { o.reverse() } else { o };
                        }
                    }
                    Ordering::Equal
                });
            }
            OrderBy::Fields(_) => {}
            order @ OrderBy::Random(_) => {
                let seed = seed_of(order).unwrap_or(0);
                let mut keyed: Vec<(u64, Vec<Cell>)> = std::mem::take(&mut self.rows)
                    .into_iter()
                    .enumerate()
                    .map(|(i, r)| (mix(seed, i as u64), r))
                    .collect();
                keyed.sort_by_key(|k| k.0);
                self.rows = keyed.into_iter().map(|k| k.1).collect();
            }
        }
        let rows = std::mem::take(&mut self.rows);
        self.rows = rows.into_iter().skip(req.offset).take(req.limit.unwrap_or(usize::MAX)).collect();
        Ok(())
    }
}
