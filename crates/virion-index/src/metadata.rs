//! Metadata columns: dictionary-encoded strings (with optional per-value row bitmaps), dates as
//! day numbers, integers, floats and booleans, each with nulls.

use std::collections::HashMap;

use chrono::NaiveDate;
use roaring::RoaringBitmap;

/// Null marker for dictionary codes and day numbers.
const NULL_CODE: u32 = u32::MAX;
const NULL_DAY: i32 = i32::MIN;

/// A column's type, as in SILO's `database_config.yaml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// `indexed`: keep a row bitmap per distinct value (fast equality; for low-cardinality
    /// columns such as country or lineage, not for accessions).
    String {
        indexed: bool,
    },
    Date,
    Int,
    Float,
    Boolean,
}

/// One metadata value of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    String(String),
    Date(NaiveDate),
    Int(i64),
    Float(f64),
    Boolean(bool),
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ValueError {
    #[error("column {column}: {value:?} is not a {expected}")]
    Type { column: String, value: Value, expected: &'static str },
}

#[derive(Debug, Clone)]
enum Data {
    String {
        codes: Vec<u32>,
        dict: Vec<String>,
        lookup: HashMap<String, u32>,
        postings: Option<Vec<RoaringBitmap>>,
    },
    Date(Vec<i32>),
    Int(Vec<Option<i64>>),
    Float(Vec<Option<f64>>),
    Boolean(Vec<Option<bool>>),
}

/// A metadata column over all rows.
#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub kind: ColumnType,
    data: Data,
}

/// Days since 1970-01-01 (the form dates are compared in).
pub fn day_number(date: NaiveDate) -> i32 {
    (date - NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid epoch")).num_days() as i32
}

pub fn date_of(day: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid epoch") + chrono::Days::new(day as u64)
}

impl Column {
    pub fn new(name: &str, kind: ColumnType) -> Column {
        let data = match kind {
            ColumnType::String { indexed } => Data::String {
                codes: Vec::new(),
                dict: Vec::new(),
                lookup: HashMap::new(),
                postings: indexed.then(Vec::new),
            },
            ColumnType::Date => Data::Date(Vec::new()),
            ColumnType::Int => Data::Int(Vec::new()),
            ColumnType::Float => Data::Float(Vec::new()),
            ColumnType::Boolean => Data::Boolean(Vec::new()),
        };
        Column { name: name.to_owned(), kind, data }
    }

    pub fn len(&self) -> usize {
        match &self.data {
            Data::String { codes, .. } => codes.len(),
            Data::Date(v) => v.len(),
            Data::Int(v) => v.len(),
            Data::Float(v) => v.len(),
            Data::Boolean(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `value` fits this column (`Null` fits every type; an integer fits a float
    /// column), without storing it.
    pub fn check(&self, value: &Value) -> Result<(), ValueError> {
        let expected = match (self.kind, value) {
            (_, Value::Null)
            | (ColumnType::String { .. }, Value::String(_))
            | (ColumnType::Date, Value::Date(_))
            | (ColumnType::Int, Value::Int(_))
            | (ColumnType::Float, Value::Float(_) | Value::Int(_))
            | (ColumnType::Boolean, Value::Boolean(_)) => return Ok(()),
            (ColumnType::String { .. }, _) => "string",
            (ColumnType::Date, _) => "date",
            (ColumnType::Int, _) => "integer",
            (ColumnType::Float, _) => "number",
            (ColumnType::Boolean, _) => "boolean",
        };
        Err(ValueError::Type { column: self.name.clone(), value: value.clone(), expected })
    }

    /// Appends the next row's value (`Null` fits every type).
    pub fn push(&mut self, value: Value) -> Result<(), ValueError> {
        let row = self.len() as u32;
        self.check(&value)?;
        match (&mut self.data, &value) {
            (Data::String { codes, dict, lookup, postings }, Value::String(s)) => {
                let code = match lookup.get(s) {
                    Some(&c) => c,
                    None => {
                        let c = dict.len() as u32;
                        dict.push(s.clone());
                        lookup.insert(s.clone(), c);
                        if let Some(p) = postings {
                            p.push(RoaringBitmap::new());
                        }
                        c
                    }
                };
                codes.push(code);
                if let Some(p) = postings {
                    p[code as usize].insert(row);
                }
            }
            (Data::String { codes, .. }, Value::Null) => codes.push(NULL_CODE),
            (Data::Date(v), Value::Date(d)) => v.push(day_number(*d)),
            (Data::Date(v), Value::Null) => v.push(NULL_DAY),
            (Data::Int(v), Value::Int(i)) => v.push(Some(*i)),
            (Data::Int(v), Value::Null) => v.push(None),
            (Data::Float(v), Value::Float(f)) => v.push(Some(*f)),
            (Data::Float(v), Value::Int(i)) => v.push(Some(*i as f64)),
            (Data::Float(v), Value::Null) => v.push(None),
            (Data::Boolean(v), Value::Boolean(b)) => v.push(Some(*b)),
            (Data::Boolean(v), Value::Null) => v.push(None),
            _ => unreachable!("check() accepted the value"),
        }
        Ok(())
    }

    pub fn get(&self, row: u32) -> Value {
        let r = row as usize;
        match &self.data {
            Data::String { codes, dict, .. } => match codes[r] {
                NULL_CODE => Value::Null,
                c => Value::String(dict[c as usize].clone()),
            },
            Data::Date(v) => match v[r] {
                NULL_DAY => Value::Null,
                d => Value::Date(date_of(d)),
            },
            Data::Int(v) => v[r].map_or(Value::Null, Value::Int),
            Data::Float(v) => v[r].map_or(Value::Null, Value::Float),
            Data::Boolean(v) => v[r].map_or(Value::Null, Value::Boolean),
        }
    }

    /// The distinct strings of a string column (for lineage and facet listings).
    pub fn dictionary(&self) -> &[String] {
        match &self.data {
            Data::String { dict, .. } => dict,
            _ => &[],
        }
    }

    /// The dictionary code of `row` in a string column (`None`: null or not a string column).
    pub fn code(&self, row: u32) -> Option<u32> {
        match &self.data {
            Data::String { codes, .. } => Some(codes[row as usize]).filter(|&c| c != NULL_CODE),
            _ => None,
        }
    }

    /// The day number of `row` in a date column.
    pub fn day(&self, row: u32) -> Option<i32> {
        match &self.data {
            Data::Date(v) => Some(v[row as usize]).filter(|&d| d != NULL_DAY),
            _ => None,
        }
    }

    fn scan(&self, keep: impl Fn(u32) -> bool) -> RoaringBitmap {
        let mut out = RoaringBitmap::new();
        out.extend((0..self.len() as u32).filter(|&r| keep(r)));
        out
    }

    /// Rows whose string value is any of `codes` (dictionary codes).
    pub fn rows_with_codes(&self, wanted: &[u32]) -> RoaringBitmap {
        match &self.data {
            Data::String { postings: Some(p), .. } => {
                let mut out = RoaringBitmap::new();
                for &c in wanted {
                    if let Some(rows) = p.get(c as usize) {
                        out |= rows;
                    }
                }
                out
            }
            Data::String { .. } if wanted.is_empty() => RoaringBitmap::new(),
            Data::String { codes, .. } => {
                if wanted.len() == 1 {
                    let w = wanted[0];
                    self.scan(|r| codes[r as usize] == w)
                } else {
                    let set: std::collections::HashSet<u32> = wanted.iter().copied().collect();
                    self.scan(|r| set.contains(&codes[r as usize]))
                }
            }
            _ => RoaringBitmap::new(),
        }
    }

    /// The dictionary code of `value` in a string column.
    pub fn code_of(&self, value: &str) -> Option<u32> {
        match &self.data {
            Data::String { lookup, .. } => lookup.get(value).copied(),
            _ => None,
        }
    }

    /// Rows where the value is null (`true`) or present (`false`).
    pub fn rows_null(&self, null: bool) -> RoaringBitmap {
        self.scan(|r| matches!(self.get_is_null(r), n if n == null))
    }

    fn get_is_null(&self, row: u32) -> bool {
        let r = row as usize;
        match &self.data {
            Data::String { codes, .. } => codes[r] == NULL_CODE,
            Data::Date(v) => v[r] == NULL_DAY,
            Data::Int(v) => v[r].is_none(),
            Data::Float(v) => v[r].is_none(),
            Data::Boolean(v) => v[r].is_none(),
        }
    }

    /// Rows whose value lies in `[from, to]` (either bound open). Dates compare as day
    /// numbers, integers and floats as numbers; nulls never match.
    pub fn rows_in_range(&self, from: Option<f64>, to: Option<f64>) -> RoaringBitmap {
        let inside = |x: f64| from.is_none_or(|f| x >= f) && to.is_none_or(|t| x <= t);
        match &self.data {
            Data::Date(v) => self.scan(|r| v[r as usize] != NULL_DAY && inside(f64::from(v[r as usize]))),
            Data::Int(v) => self.scan(|r| v[r as usize].is_some_and(|x| inside(x as f64))),
            Data::Float(v) => self.scan(|r| v[r as usize].is_some_and(inside)),
            _ => RoaringBitmap::new(),
        }
    }

    /// Rows whose boolean value is `value`.
    pub fn rows_bool(&self, value: bool) -> RoaringBitmap {
        match &self.data {
            Data::Boolean(v) => self.scan(|r| v[r as usize] == Some(value)),
            _ => RoaringBitmap::new(),
        }
    }

    /// Rows whose string value satisfies `keep` (each distinct value is tested once).
    pub fn rows_matching(&self, keep: impl Fn(&str) -> bool) -> RoaringBitmap {
        match &self.data {
            Data::String { dict, .. } => {
                let codes: Vec<u32> =
                    dict.iter().enumerate().filter(|(_, s)| keep(s)).map(|(c, _)| c as u32).collect();
                self.rows_with_codes(&codes)
            }
            _ => RoaringBitmap::new(),
        }
    }
}
