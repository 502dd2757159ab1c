//! Metadata columns: dictionary-encoded strings (codes one, two or four bytes wide as the
//! dictionary grows; optional per-value row bitmaps), dates as day numbers, integers, floats
//! and booleans, each with nulls.
//!
//! Dates and numbers also keep their *runs*: maximal stretches of rows whose values do not
//! decrease. Rows ordered by (lineage, date) make a date column a few thousand runs, so a date
//! range is a binary search per run instead of a scan of every row. Date columns also keep
//! each day's rows (built on first use): a narrow range — a year out of a pandemic — is then
//! the union of a few hundred small bitmaps, cheaper than searching every run.

use std::sync::OnceLock;

use chrono::NaiveDate;
use roaring::RoaringBitmap;

use crate::dictionary::Dictionary;

const NULL_DAY: i32 = i32::MIN;
const NULL_INT: i64 = i64::MIN;
/// JSON cannot carry infinities, so minus infinity is free to mean null (and sorts first).
const NULL_FLOAT: f64 = f64::NEG_INFINITY;

/// A column's type, as in SILO's `database_config.yaml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// `indexed`: keep a row bitmap per distinct value (fast equality and grouping; for
    /// low-cardinality columns such as country or lineage, not for accessions).
    String {
        /// Whether a row bitmap is kept per distinct value.
        indexed: bool,
    },
    /// A calendar date, stored as a day number.
    Date,
    /// A 64-bit integer.
    Int,
    /// A 64-bit float.
    Float,
    /// `true` or `false`.
    Boolean,
}

/// One metadata value of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// No value.
    Null,
    /// Text (a string column).
    String(String),
    /// A date (a date column).
    Date(NaiveDate),
    /// An integer (an integer column).
    Int(i64),
    /// A float (a float column; integers are accepted too).
    Float(f64),
    /// A boolean (a boolean column).
    Boolean(bool),
}

/// Why a value does not fit its column.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ValueError {
    /// The value's type differs from the column's.
    #[error("column {column}: {value:?} is not a {expected}")]
    Type {
        /// The column's name.
        column: String,
        /// The value given.
        value: Value,
        /// The column's type, in words.
        expected: &'static str,
    },
}

/// Dictionary codes, as narrow as the dictionary allows; the widest value means null.
#[derive(Debug, Clone)]
pub(crate) enum Codes {
    U8(Vec<u8>),
    U16(Vec<u16>),
    U32(Vec<u32>),
}

impl Codes {
    fn len(&self) -> usize {
        match self {
            Codes::U8(v) => v.len(),
            Codes::U16(v) => v.len(),
            Codes::U32(v) => v.len(),
        }
    }

    #[inline]
    fn get(&self, row: usize) -> Option<u32> {
        match self {
            Codes::U8(v) => Some(v[row]).filter(|&c| c != u8::MAX).map(u32::from),
            Codes::U16(v) => Some(v[row]).filter(|&c| c != u16::MAX).map(u32::from),
            Codes::U32(v) => Some(v[row]).filter(|&c| c != u32::MAX),
        }
    }

    /// Makes room for `code` (one below the width's null marker).
    fn fit(&mut self, code: u32) {
        let widen = match self {
            Codes::U8(_) => code >= u32::from(u8::MAX),
            Codes::U16(_) => code >= u32::from(u16::MAX),
            Codes::U32(_) => false,
        };
        if !widen {
            return;
        }
        *self = match std::mem::replace(self, Codes::U8(Vec::new())) {
            Codes::U8(v) if code < u32::from(u16::MAX) => Codes::U16(
                v.into_iter().map(|c| if c == u8::MAX { u16::MAX } else { u16::from(c) }).collect(),
            ),
            Codes::U8(v) => Codes::U32(
                v.into_iter().map(|c| if c == u8::MAX { u32::MAX } else { u32::from(c) }).collect(),
            ),
            Codes::U16(v) => Codes::U32(
                v.into_iter().map(|c| if c == u16::MAX { u32::MAX } else { u32::from(c) }).collect(),
            ),
            wide => wide,
        };
    }

    fn push(&mut self, code: Option<u32>) {
        if let Some(c) = code {
            self.fit(c);
        }
        match self {
            Codes::U8(v) => v.push(code.map_or(u8::MAX, |c| c as u8)),
            Codes::U16(v) => v.push(code.map_or(u16::MAX, |c| c as u16)),
            Codes::U32(v) => v.push(code.unwrap_or(u32::MAX)),
        }
    }

    /// Rows whose code satisfies `keep` (`None`: null).
    fn scan(&self, keep: impl Fn(Option<u32>) -> bool) -> RoaringBitmap {
        rows_where(self.len(), |r| keep(self.get(r as usize)))
    }

    pub(crate) fn to_u32(&self) -> Vec<u32> {
        (0..self.len()).map(|r| self.get(r).unwrap_or(u32::MAX)).collect()
    }

    pub(crate) fn from_u32(codes: Vec<u32>, dict_len: usize) -> Codes {
        let mut c = if dict_len < usize::from(u8::MAX) {
            Codes::U8(Vec::with_capacity(codes.len()))
        } else if dict_len < usize::from(u16::MAX) {
            Codes::U16(Vec::with_capacity(codes.len()))
        } else {
            Codes::U32(Vec::with_capacity(codes.len()))
        };
        for code in codes {
            c.push((code != u32::MAX).then_some(code));
        }
        c
    }

    fn heap_bytes(&self) -> usize {
        match self {
            Codes::U8(v) => v.capacity(),
            Codes::U16(v) => v.capacity() * 2,
            Codes::U32(v) => v.capacity() * 4,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) enum Data {
    String { codes: Codes, dict: Dictionary, postings: Option<Vec<RoaringBitmap>> },
    Date(Vec<i32>),
    Int(Vec<i64>),
    Float(Vec<f64>),
    Boolean { trues: RoaringBitmap, falses: RoaringBitmap, len: u32 },
}

/// A metadata column over all rows.
#[derive(Debug, Clone)]
pub struct Column {
    /// The column's name.
    pub name: String,
    /// The column's type.
    pub kind: ColumnType,
    pub(crate) data: Data,
    /// For dates and numbers: `[start, end)` row stretches whose values never decrease.
    pub(crate) runs: Vec<(u32, u32)>,
    /// The null rows, computed on first use (`isNull` filters are common); [`Column::push`]
    /// keeps it current.
    nulls: OnceLock<RoaringBitmap>,
    /// For dates: the earliest and latest day, computed on first use, kept current like `nulls`.
    day_bounds: OnceLock<Option<(i32, i32)>>,
    /// For dates: the rows of each day, computed on first use, kept current like `nulls`.
    day_rows: OnceLock<DayRows>,
}

/// The rows of each day of a date column: `days[d - first]` holds the rows dated `d`.
#[derive(Debug, Clone, Default)]
struct DayRows {
    first: i32,
    days: Vec<RoaringBitmap>,
}

impl DayRows {
    fn build(values: &[i32], bounds: Option<(i32, i32)>) -> DayRows {
        let Some((lo, hi)) = bounds else { return DayRows::default() };
        // Rows are visited in order, so each day's list comes out sorted: one pass, no inserts.
        let mut lists = vec![Vec::new(); (hi - lo) as usize + 1];
        for (row, &d) in values.iter().enumerate() {
            if d != NULL_DAY {
                lists[(d - lo) as usize].push(row as u32);
            }
        }
        let days =
            lists.into_iter().map(|l| RoaringBitmap::from_sorted_iter(l).expect("rows ascend")).collect();
        DayRows { first: lo, days }
    }

    fn add(&mut self, day: i32, row: u32) {
        if self.days.is_empty() {
            self.first = day;
        }
        if day < self.first {
            let missing = (self.first - day) as usize;
            self.days.splice(0..0, std::iter::repeat_n(RoaringBitmap::new(), missing));
            self.first = day;
        }
        let i = (day - self.first) as usize;
        if i >= self.days.len() {
            self.days.resize(i + 1, RoaringBitmap::new());
        }
        push_row(&mut self.days[i], row);
    }

    /// The day lists of `[from, to]` (either open).
    fn between(&self, from: Option<f64>, to: Option<f64>) -> &[RoaringBitmap] {
        let last = self.first as f64 + self.days.len() as f64 - 1.0;
        let lo = from.map_or(self.first as f64, |f| f.ceil().max(self.first as f64));
        let hi = to.map_or(last, |t| t.floor().min(last));
        if self.days.is_empty() || lo > hi {
            return &[];
        }
        &self.days[(lo - self.first as f64) as usize..=(hi - self.first as f64) as usize]
    }
}

/// Days since 1970-01-01 (the form dates are compared in).
pub fn day_number(date: NaiveDate) -> i32 {
    (date - NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid epoch")).num_days() as i32
}

/// The date `day` days after 1970-01-01 (negative: before it); the inverse of [`day_number`].
pub fn date_of(day: i32) -> NaiveDate {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid epoch");
    if day >= 0 {
        epoch + chrono::Days::new(day as u64)
    } else {
        epoch - chrono::Days::new(day.unsigned_abs() as u64)
    }
}

/// A row's sortable number for a date or number column (nulls lowest).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
enum Num {
    Day(i32),
    Int(i64),
    Float(f64),
}

impl Column {
    /// An empty column.
    pub fn new(name: &str, kind: ColumnType) -> Column {
        let data = match kind {
            ColumnType::String { indexed } => Data::String {
                codes: Codes::U8(Vec::new()),
                dict: Dictionary::new(),
                postings: indexed.then(Vec::new),
            },
            ColumnType::Date => Data::Date(Vec::new()),
            ColumnType::Int => Data::Int(Vec::new()),
            ColumnType::Float => Data::Float(Vec::new()),
            ColumnType::Boolean => {
                Data::Boolean { trues: RoaringBitmap::new(), falses: RoaringBitmap::new(), len: 0 }
            }
        };
        Column::from_parts(name.to_owned(), kind, data, Vec::new())
    }

    pub(crate) fn from_parts(name: String, kind: ColumnType, data: Data, runs: Vec<(u32, u32)>) -> Column {
        Column {
            name,
            kind,
            data,
            runs,
            nulls: OnceLock::new(),
            day_bounds: OnceLock::new(),
            day_rows: OnceLock::new(),
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        match &self.data {
            Data::String { codes, .. } => codes.len(),
            Data::Date(v) => v.len(),
            Data::Int(v) => v.len(),
            Data::Float(v) => v.len(),
            Data::Boolean { len, .. } => *len as usize,
        }
    }

    /// Whether the column has no row.
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
        self.check(&value)?;
        let row = self.len() as u32;
        match (&mut self.data, value) {
            (Data::String { codes, dict, postings }, Value::String(s)) => {
                let code = dict.intern(&s);
                codes.push(Some(code));
                if let Some(p) = postings {
                    if p.len() <= code as usize {
                        p.resize(code as usize + 1, RoaringBitmap::new());
                    }
                    push_row(&mut p[code as usize], row);
                }
            }
            (Data::String { codes, .. }, Value::Null) => codes.push(None),
            (Data::Date(v), Value::Date(d)) => v.push(day_number(d)),
            (Data::Date(v), Value::Null) => v.push(NULL_DAY),
            (Data::Int(v), Value::Int(i)) => v.push(if i == NULL_INT { NULL_INT + 1 } else { i }),
            (Data::Int(v), Value::Null) => v.push(NULL_INT),
            // `+ 0.0` turns -0.0 into 0.0, whose bits cannot be mistaken for the null marker.
            (Data::Float(v), Value::Float(f)) => v.push(if f.is_finite() { f + 0.0 } else { NULL_FLOAT }),
            (Data::Float(v), Value::Int(i)) => v.push(i as f64),
            (Data::Float(v), Value::Null) => v.push(NULL_FLOAT),
            (Data::Boolean { trues, len, .. }, Value::Boolean(true)) => {
                push_row(trues, row);
                *len += 1;
            }
            (Data::Boolean { falses, len, .. }, Value::Boolean(false)) => {
                push_row(falses, row);
                *len += 1;
            }
            (Data::Boolean { len, .. }, Value::Null) => *len += 1,
            _ => unreachable!("check() accepted the value"),
        }
        self.extend_runs(row);
        // Cached summaries follow the new row rather than being recomputed after each append.
        let (null, day) = (self.is_null(row), self.day(row));
        if null && let Some(nulls) = self.nulls.get_mut() {
            nulls.insert(row);
        }
        if let (Some(bounds), Some(d)) = (self.day_bounds.get_mut(), day) {
            *bounds = Some(bounds.map_or((d, d), |(lo, hi)| (lo.min(d), hi.max(d))));
        }
        if let (Some(days), Some(d)) = (self.day_rows.get_mut(), day) {
            days.add(d, row);
        }
        Ok(())
    }

    fn num(&self, row: u32) -> Option<Num> {
        let r = row as usize;
        match &self.data {
            Data::Date(v) => Some(Num::Day(v[r])),
            Data::Int(v) => Some(Num::Int(v[r])),
            Data::Float(v) => Some(Num::Float(v[r])),
            _ => None,
        }
    }

    fn extend_runs(&mut self, row: u32) {
        let Some(value) = self.num(row) else { return };
        let continues = row > 0
            && self.runs.last().is_some_and(|r| r.1 == row)
            && self.num(row - 1).is_some_and(|prev| prev <= value);
        match self.runs.last_mut() {
            Some(run) if continues => run.1 = row + 1,
            _ => self.runs.push((row, row + 1)),
        }
    }

    /// The value of `row`; panics if the row is out of range.
    pub fn get(&self, row: u32) -> Value {
        let r = row as usize;
        match &self.data {
            Data::String { codes, dict, .. } => match codes.get(r) {
                None => Value::Null,
                Some(c) => Value::String(dict.get(c).to_owned()),
            },
            Data::Date(v) => match v[r] {
                NULL_DAY => Value::Null,
                d => Value::Date(date_of(d)),
            },
            Data::Int(v) => match v[r] {
                NULL_INT => Value::Null,
                i => Value::Int(i),
            },
            Data::Float(v) => match v[r] {
                f if f == NULL_FLOAT => Value::Null,
                f => Value::Float(f),
            },
            Data::Boolean { trues, falses, .. } => {
                if trues.contains(row) {
                    Value::Boolean(true)
                } else if falses.contains(row) {
                    Value::Boolean(false)
                } else {
                    Value::Null
                }
            }
        }
    }

    /// The string of `row` in a string column, without copying.
    pub fn str(&self, row: u32) -> Option<&str> {
        match &self.data {
            Data::String { codes, dict, .. } => codes.get(row as usize).map(|c| dict.get(c)),
            _ => None,
        }
    }

    /// The distinct strings of a string column (for lineage and facet listings).
    pub fn dictionary(&self) -> Option<&Dictionary> {
        match &self.data {
            Data::String { dict, .. } => Some(dict),
            _ => None,
        }
    }

    /// The distinct strings, in code order.
    pub fn distinct(&self) -> Vec<&str> {
        self.dictionary().map_or_else(Vec::new, |d| d.iter().collect())
    }

    /// The dictionary code of `row` in a string column (`None`: null or not a string column).
    #[inline]
    pub fn code(&self, row: u32) -> Option<u32> {
        match &self.data {
            Data::String { codes, .. } => codes.get(row as usize),
            _ => None,
        }
    }

    /// The day number of `row` in a date column.
    #[inline]
    pub fn day(&self, row: u32) -> Option<i32> {
        match &self.data {
            Data::Date(v) => Some(v[row as usize]).filter(|&d| d != NULL_DAY),
            _ => None,
        }
    }

    /// A cheap, hashable stand-in for the row's value (dictionary codes, day numbers, float
    /// bits); `i64::MIN` for null.
    #[inline]
    pub fn raw(&self, row: u32) -> i64 {
        let r = row as usize;
        match &self.data {
            Data::String { codes, .. } => codes.get(r).map_or(i64::MIN, i64::from),
            Data::Date(v) => {
                if v[r] == NULL_DAY {
                    i64::MIN
                } else {
                    i64::from(v[r])
                }
            }
            Data::Int(v) => v[r],
            Data::Float(v) => {
                if v[r] == NULL_FLOAT {
                    i64::MIN
                } else {
                    v[r].to_bits() as i64
                }
            }
            Data::Boolean { trues, falses, .. } => {
                if trues.contains(row) {
                    1
                } else if falses.contains(row) {
                    0
                } else {
                    i64::MIN
                }
            }
        }
    }

    /// The `[start, end)` row stretches whose values never decrease (dates and numbers; nulls
    /// sort first).
    pub fn runs(&self) -> &[(u32, u32)] {
        &self.runs
    }

    /// How many stretches of non-decreasing values the column has (dates and numbers).
    pub fn runs_count(&self) -> usize {
        self.runs.len()
    }

    /// Whether the column keeps a row bitmap per value.
    pub fn is_indexed(&self) -> bool {
        matches!(&self.data, Data::String { postings: Some(_), .. })
    }

    /// The row bitmap of each value of an indexed string column, in code order.
    pub fn postings(&self) -> Option<&[RoaringBitmap]> {
        match &self.data {
            Data::String { postings: Some(p), .. } => Some(p),
            _ => None,
        }
    }

    /// Rows whose string value is any of `codes` (dictionary codes).
    pub fn rows_with_codes(&self, wanted: &[u32]) -> RoaringBitmap {
        match &self.data {
            Data::String { postings: Some(p), .. } => {
                use roaring::MultiOps;
                wanted.iter().filter_map(|&c| p.get(c as usize)).union()
            }
            Data::String { .. } if wanted.is_empty() => RoaringBitmap::new(),
            Data::String { codes, .. } => {
                if wanted.len() == 1 {
                    let w = wanted[0];
                    codes.scan(|c| c == Some(w))
                } else {
                    let set: std::collections::HashSet<u32> = wanted.iter().copied().collect();
                    codes.scan(|c| c.is_some_and(|c| set.contains(&c)))
                }
            }
            _ => RoaringBitmap::new(),
        }
    }

    /// The dictionary code of `value` in a string column.
    pub fn code_of(&self, value: &str) -> Option<u32> {
        self.dictionary().and_then(|d| d.code(value))
    }

    /// Rows where the value is null (`true`) or present (`false`).
    pub fn rows_null(&self, null: bool) -> RoaringBitmap {
        let mut rows = self.nulls.get_or_init(|| self.scan_nulls()).clone();
        if !null {
            let mut all = RoaringBitmap::new();
            all.insert_range(0..self.len() as u32);
            all -= rows;
            rows = all;
        }
        rows
    }

    fn scan_nulls(&self) -> RoaringBitmap {
        match &self.data {
            Data::String { codes, .. } => codes.scan(|c| c.is_none()),
            Data::Boolean { trues, falses, len } => {
                let mut all = RoaringBitmap::new();
                all.insert_range(0..*len);
                all -= trues;
                all -= falses;
                all
            }
            // Nulls sort first within each run: one binary search per run.
            Data::Date(_) | Data::Int(_) | Data::Float(_) if self.runs.len() * 32 <= self.len() => {
                let mut out = RoaringBitmap::new();
                for &(start, end) in &self.runs {
                    let nulls = partition(start, end, |r| self.is_null(r));
                    if nulls > 0 {
                        out.insert_range(start..start + nulls);
                    }
                }
                out
            }
            _ => rows_where(self.len(), |r| self.is_null(r)),
        }
    }

    /// The earliest and latest date of a date column (`None`: no dates, or not a date column).
    pub fn day_bounds(&self) -> Option<(i32, i32)> {
        *self.day_bounds.get_or_init(|| match &self.data {
            Data::Date(v) => v.iter().filter(|&&d| d != NULL_DAY).fold(None, |b, &d| match b {
                None => Some((d, d)),
                Some((lo, hi)) => Some((lo.min(d), hi.max(d))),
            }),
            _ => None,
        })
    }

    /// Whether the row's value is null.
    pub fn is_null(&self, row: u32) -> bool {
        self.raw(row) == i64::MIN
    }

    /// Whether the row's value lies in `[from, to]` (as [`Column::rows_in_range`]).
    #[inline]
    pub fn in_range(&self, row: u32, from: Option<f64>, to: Option<f64>) -> bool {
        let inside = |x: f64| from.is_none_or(|f| x >= f) && to.is_none_or(|t| x <= t);
        let r = row as usize;
        match &self.data {
            Data::Date(v) => v[r] != NULL_DAY && inside(f64::from(v[r])),
            Data::Int(v) => v[r] != NULL_INT && inside(v[r] as f64),
            Data::Float(v) => v[r] != NULL_FLOAT && inside(v[r]),
            _ => false,
        }
    }

    /// Rows whose value lies in `[from, to]` (either bound open). Dates compare as day
    /// numbers, integers and floats as numbers; nulls never match.
    pub fn rows_in_range(&self, from: Option<f64>, to: Option<f64>) -> RoaringBitmap {
        if !matches!(self.data, Data::Date(_) | Data::Int(_) | Data::Float(_)) {
            return RoaringBitmap::new();
        }
        // Few long runs: binary searches, about 100 ns a run (two cache-missing searches).
        // Many short ones (unordered rows): a scan, about a nanosecond a row.
        let scan = self.runs.len() * 32 > self.len();
        let cost = if scan { self.len() as u64 } else { self.runs.len() as u64 * 100 };
        // Dates: or the union of the range's day lists, about a nanosecond per row gathered
        // and a little per day.
        if let Data::Date(v) = &self.data {
            let days = self.day_rows.get_or_init(|| DayRows::build(v, self.day_bounds())).between(from, to);
            if (days.len() as u64) * 20 < cost
                && days.iter().map(RoaringBitmap::len).sum::<u64>() + days.len() as u64 * 20 < cost
            {
                use roaring::MultiOps;
                return days.iter().union();
            }
        }
        if scan {
            return rows_where(self.len(), |r| self.in_range(r, from, to));
        }
        // Within a run values never decrease and nulls (lowest) come first. The searches run
        // on the typed slice: thousands of runs (one per lineage and block) make a per-probe
        // type dispatch the cost of a date range.
        fn in_runs<T: Copy + PartialEq>(
            values: &[T],
            runs: &[(u32, u32)],
            null: T,
            number: impl Fn(T) -> f64,
            from: Option<f64>,
            to: Option<f64>,
        ) -> RoaringBitmap {
            let mut out = RoaringBitmap::new();
            for &(start, end) in runs {
                let run = &values[start as usize..end as usize];
                let lo = run.partition_point(|&x| x == null || from.is_some_and(|f| number(x) < f));
                let hi = run.partition_point(|&x| x == null || to.is_none_or(|t| number(x) <= t));
                if lo < hi {
                    out.insert_range(start + lo as u32..start + hi as u32);
                }
            }
            out
        }
        match &self.data {
            Data::Date(v) => in_runs(v, &self.runs, NULL_DAY, f64::from, from, to),
            Data::Int(v) => in_runs(v, &self.runs, NULL_INT, |x| x as f64, from, to),
            Data::Float(v) => in_runs(v, &self.runs, NULL_FLOAT, |x| x, from, to),
            _ => RoaringBitmap::new(),
        }
    }

    /// Rows whose boolean value is `value`.
    pub fn rows_bool(&self, value: bool) -> RoaringBitmap {
        match &self.data {
            Data::Boolean { trues, falses, .. } => {
                if value {
                    trues.clone()
                } else {
                    falses.clone()
                }
            }
            _ => RoaringBitmap::new(),
        }
    }

    /// The boolean of `row` (`None`: null or not a boolean column).
    pub fn boolean(&self, row: u32) -> Option<bool> {
        match &self.data {
            Data::Boolean { trues, falses, .. } => {
                if trues.contains(row) {
                    Some(true)
                } else if falses.contains(row) {
                    Some(false)
                } else {
                    None
                }
            }
            _ => None,
        }
    }

    /// Rows whose string value satisfies `keep` (each distinct value is tested once).
    pub fn rows_matching(&self, keep: impl Fn(&str) -> bool) -> RoaringBitmap {
        self.rows_with_codes(&self.codes_matching(keep))
    }

    /// The codes of the distinct values satisfying `keep`.
    pub fn codes_matching(&self, keep: impl Fn(&str) -> bool) -> Vec<u32> {
        match self.dictionary() {
            Some(d) => (0..d.len() as u32).filter(|&c| keep(d.get(c))).collect(),
            None => Vec::new(),
        }
    }

    /// Heap bytes held, approximately, for memory reports.
    pub fn heap_bytes(&self) -> usize {
        let data = match &self.data {
            Data::String { codes, dict, postings } => {
                codes.heap_bytes()
                    + dict.heap_bytes()
                    + postings.as_ref().map_or(0, |p| p.iter().map(|b| b.serialized_size() + 32).sum())
            }
            Data::Date(v) => {
                v.capacity() * 4
                    + self.day_rows.get().map_or(0, |d| d.days.iter().map(|b| b.serialized_size() + 32).sum())
            }
            Data::Int(v) => v.capacity() * 8,
            Data::Float(v) => v.capacity() * 8,
            Data::Boolean { trues, falses, .. } => trues.serialized_size() + falses.serialized_size(),
        };
        data + self.runs.capacity() * 8
    }
}

/// Rows `0..len` for which `keep` holds: tested into 64-bit words, then turned into a bitmap
/// at once (a scan of ten million rows costs the tests, not ten million bitmap inserts).
pub(crate) fn rows_where(len: usize, keep: impl Fn(u32) -> bool) -> RoaringBitmap {
    let mut words = vec![0u64; len.div_ceil(64)];
    for (w, word) in words.iter_mut().enumerate() {
        let base = (w * 64) as u32;
        let end = (len as u32 - base).min(64);
        let mut bits = 0u64;
        for i in 0..end {
            bits |= u64::from(keep(base + i)) << i;
        }
        *word = bits;
    }
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    RoaringBitmap::from_lsb0_bytes(0, &bytes)
}

/// Appends `row` to a bitmap whose rows so far are all smaller (inserts otherwise).
pub(crate) fn push_row(bitmap: &mut RoaringBitmap, row: u32) {
    if bitmap.try_push(row).is_err() {
        bitmap.insert(row);
    }
}

/// The number of rows of `[start, end)` (a stretch where `pred` is true then false) for which
/// `pred` holds.
fn partition(start: u32, end: u32, pred: impl Fn(u32) -> bool) -> u32 {
    let (mut lo, mut hi) = (start, end);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if pred(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo - start
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Date bounds follow appends too.
    #[test]
    fn day_bounds_follow_appends() {
        let mut c = Column::new("date", ColumnType::Date);
        assert_eq!(c.day_bounds(), None);
        c.push(date("2021-01-02")).unwrap();
        c.push(Value::Null).unwrap();
        let d = |s: &str| day_number(NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap());
        assert_eq!(c.day_bounds(), Some((d("2021-01-02"), d("2021-01-02"))));
        c.push(date("2020-05-01")).unwrap();
        assert_eq!(c.day_bounds(), Some((d("2020-05-01"), d("2021-01-02"))));
    }

    /// Ranges over long sorted runs follow appends that extend
    /// the last run or start new ones, nulls included, and agree with a row-by-row check.
    #[test]
    fn ranges_follow_appends() {
        let mut c = Column::new("n", ColumnType::Int);
        let values: Vec<Option<i64>> = (0..100)
            .map(Some)
            .chain([None, None])
            .chain((50..150).map(Some))
            .chain((0..40).map(|x| Some(x * 3)))
            .collect();
        let bounds =
            [(None, Some(20.0)), (Some(30.0), Some(60.5)), (Some(99.0), None), (Some(140.0), Some(500.0))];
        let check = |c: &Column| {
            assert!(c.runs.len() * 32 <= c.len(), "the run path is what is tested");
            for &(from, to) in &bounds {
                let scanned: Vec<u32> = (0..c.len() as u32).filter(|&r| c.in_range(r, from, to)).collect();
                assert_eq!(c.rows_in_range(from, to).iter().collect::<Vec<_>>(), scanned, "{from:?}..{to:?}");
            }
        };
        for (i, v) in values.iter().enumerate() {
            c.push(v.map_or(Value::Null, Value::Int)).unwrap();
            if i == 99 || i == 180 || i == values.len() - 1 {
                check(&c);
            }
        }
    }

    /// The cached null rows follow appends.
    #[test]
    fn null_rows_follow_appends() {
        let mut c = Column::new("date", ColumnType::Date);
        c.push(Value::Null).unwrap();
        c.push(date("2021-01-02")).unwrap();
        assert_eq!(c.rows_null(true).iter().collect::<Vec<_>>(), [0]);
        c.push(Value::Null).unwrap();
        assert_eq!(c.rows_null(true).iter().collect::<Vec<_>>(), [0, 2]);
        assert_eq!(c.rows_null(false).iter().collect::<Vec<_>>(), [1]);
    }

    fn date(s: &str) -> Value {
        Value::Date(NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap())
    }

    #[test]
    fn codes_widen_and_keep_nulls() {
        let mut c = Column::new("accession", ColumnType::String { indexed: false });
        c.push(Value::Null).unwrap();
        for i in 0..70_000 {
            c.push(Value::String(format!("A{i}"))).unwrap();
        }
        assert!(matches!(c.data, Data::String { codes: Codes::U32(_), .. }));
        assert_eq!(c.get(0), Value::Null);
        assert_eq!(c.get(70_000), Value::String("A69999".into()));
        assert_eq!(c.rows_null(true).len(), 1);
        assert_eq!(c.rows_with_codes(&[c.code_of("A254").unwrap()]).iter().collect::<Vec<_>>(), vec![255]);
    }

    #[test]
    fn date_ranges_by_days_equal_a_scan() {
        // Unordered dates (every row its own run) over three years: a range of a few days is
        // cheaper as a union of day lists than as a scan, and the lists follow appends,
        // including days before the first one seen.
        let mut c = Column::new("date", ColumnType::Date);
        let start = day_number(NaiveDate::from_ymd_opt(2021, 1, 1).unwrap());
        let day_of =
            |i: u32| if i.is_multiple_of(17) { None } else { Some(start + ((i * 7919) % 1000) as i32) };
        let push = |c: &mut Column, i: u32| {
            c.push(day_of(i).map_or(Value::Null, |d| Value::Date(date_of(d)))).unwrap();
        };
        let ranges = |lo: i32| {
            let lo = f64::from(lo);
            [
                (Some(lo + 3.0), Some(lo + 5.0)),
                (Some(lo + 999.5), None),
                (None, Some(lo + 0.5)),
                (Some(lo), Some(lo)),
            ]
        };
        let check = |c: &Column, lo: i32| {
            for (from, to) in ranges(lo) {
                let scan: RoaringBitmap = (0..c.len() as u32).filter(|&r| c.in_range(r, from, to)).collect();
                assert_eq!(c.rows_in_range(from, to), scan, "{from:?}..{to:?}");
            }
        };
        for i in 0..2000 {
            push(&mut c, i);
        }
        check(&c, start);
        assert!(c.day_rows.get().is_some(), "the day lists are what is tested");
        c.push(Value::Date(date_of(start - 10))).unwrap();
        c.push(Value::Date(date_of(start + 2000))).unwrap();
        push(&mut c, 2000);
        check(&c, start - 10);
        check(&c, start);
        assert_eq!(c.rows_in_range(Some(f64::from(start - 10)), Some(f64::from(start - 10))).len(), 1);
    }

    #[test]
    fn date_ranges_by_runs_equal_a_scan() {
        let mut c = Column::new("date", ColumnType::Date);
        // Two sorted stretches, nulls first in each, as rows ordered by (lineage, date) are.
        let days =
            ["", "2021-01-05", "2021-02-01", "2021-02-01", "2021-03-01", "", "2020-12-31", "2021-02-02"];
        for d in days {
            c.push(if d.is_empty() { Value::Null } else { date(d) }).unwrap();
        }
        assert_eq!(c.runs, vec![(0, 5), (5, 8)]);
        let day = |s: &str| Some(f64::from(day_number(NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap())));
        for (from, to) in [
            (day("2021-02-01"), day("2021-02-01")),
            (None, day("2021-02-01")),
            (day("2021-01-01"), None),
            (None, None),
            (day("2022-01-01"), None),
        ] {
            let scan: RoaringBitmap = (0..8).filter(|&r| c.in_range(r, from, to)).collect();
            assert_eq!(c.rows_in_range(from, to), scan, "{from:?}..{to:?}");
        }
    }

    #[test]
    fn numbers_booleans_and_nulls() {
        let mut i = Column::new("age", ColumnType::Int);
        let mut f = Column::new("coverage", ColumnType::Float);
        let mut b = Column::new("flag", ColumnType::Boolean);
        for (a, x, y) in
            [(Some(3), Some(0.5), Some(true)), (None, None, None), (Some(-1), Some(2.0), Some(false))]
        {
            i.push(a.map_or(Value::Null, Value::Int)).unwrap();
            f.push(x.map_or(Value::Null, Value::Float)).unwrap();
            b.push(y.map_or(Value::Null, Value::Boolean)).unwrap();
        }
        assert_eq!(i.rows_in_range(Some(-5.0), Some(5.0)).iter().collect::<Vec<_>>(), vec![0, 2]);
        assert_eq!(i.rows_null(true).iter().collect::<Vec<_>>(), vec![1]);
        assert_eq!(f.rows_null(false).iter().collect::<Vec<_>>(), vec![0, 2]);
        assert_eq!(f.get(1), Value::Null);
        assert_eq!(b.rows_bool(false).iter().collect::<Vec<_>>(), vec![2]);
        assert_eq!(b.rows_null(true).iter().collect::<Vec<_>>(), vec![1]);
        assert_eq!(b.get(0), Value::Boolean(true));
        assert!(i.check(&Value::String("x".into())).is_err());
    }
}
