//! `/sample/aggregated`: counts of the matching rows grouped by fields, including the derived
//! date fields `date.year`, `date.month` and `date.isoWeek` (e.g. `2024-W03`) and sequence
//! positions (`main[100]`, `S[501]`, `[100]`: the aligned symbol there, null without the
//! sequence).
//!
//! Three ways to count, chosen per request:
//! - one indexed field (country, lineage): each value's row bitmap intersected with the
//!   selection — cost grows with the number of values, not of rows;
//! - one date field or date part over rows ordered by date within runs (the builder's order):
//!   the selection's row ranges are cut where the key changes, found by binary search;
//! - anything else: row by row into a hash map keyed by small integers.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

use chrono::Datelike;
use rayon::prelude::*;
use virion_index::{Column, ColumnType, Index, RoaringBitmap, Value, date_of, day_number};

use crate::error::QueryError;

/// One group-by field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupField {
    /// A metadata column's value.
    Column(usize),
    /// The year of a date column (`date.year`).
    Year(usize),
    /// The year and month of a date column (`date.month`).
    Month(usize),
    /// The ISO week of a date column (`date.isoWeek`).
    IsoWeek(usize),
    /// The aligned symbol of a segment (`gene: false`) or gene at a 0-based position.
    Position {
        /// Whether `sequence` indexes the genes (else the segments).
        gene: bool,
        /// Index of the segment or gene.
        sequence: usize,
        /// 0-based position.
        position: u32,
    },
}

impl GroupField {
    /// The metadata column of a column field. Position fields are split off by [`aggregate`]
    /// before any column grouping.
    fn column(self) -> usize {
        match self {
            GroupField::Column(c) | GroupField::Year(c) | GroupField::Month(c) | GroupField::IsoWeek(c) => c,
            GroupField::Position { .. } => unreachable!("position fields are grouped apart"),
        }
    }
}

/// A group's key value for one field.
#[derive(Debug, Clone, PartialEq)]
pub enum GroupKey {
    /// The column's value.
    Value(Value),
    /// A derived date part, already formatted (`2024`, `2024-03`, `2024-W03`).
    Text(String),
    /// No value.
    Null,
}

/// Parses a `fields` entry: a column name, `DATECOLUMN.year|month|isoWeek`, or a sequence
/// position (see [`parse_position_field`]).
pub fn parse_group_field(index: &Index, text: &str) -> Result<GroupField, QueryError> {
    parse_group_field_named(index, text).map(|(field, _)| field)
}

/// [`parse_group_field`] with the field's column name in the answer, as LAPIS names it: the
/// schema's spelling of a column (`COUNTRY` → `country`), `date.isoWeek`, and for a position
/// the sequence's own name (`s[501]` → `S[501]`) or `[100]` for the shorthand.
pub fn parse_group_field_named(index: &Index, text: &str) -> Result<(GroupField, String), QueryError> {
    if let Some(p) = parse_position_field(index, text)? {
        return Ok((p.field, p.name));
    }
    let unknown = || QueryError::UnknownField {
        field: text.to_owned(),
        known: index.columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", "),
    };
    // Field names are case-insensitive in LAPIS.
    if let Some(c) =
        index.column(text).or_else(|| index.columns.iter().position(|c| c.name.eq_ignore_ascii_case(text)))
    {
        return Ok((GroupField::Column(c), index.columns[c].name.clone()));
    }
    let (base, part) = text.rsplit_once('.').ok_or_else(unknown)?;
    let c = index
        .columns
        .iter()
        .position(|c| c.name.eq_ignore_ascii_case(base))
        .filter(|&c| index.columns[c].kind == ColumnType::Date)
        .ok_or_else(unknown)?;
    let (field, part) = match part {
        "year" => (GroupField::Year(c), "year"),
        "month" => (GroupField::Month(c), "month"),
        // LAPIS matches its scalar functions case-insensitively and names them its own way.
        p if p.eq_ignore_ascii_case("isoWeek") => (GroupField::IsoWeek(c), "isoWeek"),
        _ => return Err(unknown()),
    };
    Ok((field, format!("{}.{part}", index.columns[c].name)))
}

/// A `fields` entry naming a sequence position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PositionField {
    /// The field to group by (always a `GroupField::Position`).
    pub field: GroupField,
    /// The answer's column: `S[501]`, `main[100]`, or `[100]` for the shorthand.
    pub name: String,
}

/// Reads LAPIS's sequence position syntax: `NAME[POSITION]` (a segment, else a gene, named in
/// any case; 1-based) or `[POSITION]` (the only segment of a single-segment organism). Not
/// that syntax: `Ok(None)`. That syntax with an unknown name, a position of 0 or beyond the
/// sequence, or the shorthand on a multi-segment organism: an error naming the field and what
/// would be valid.
pub fn parse_position_field(index: &Index, text: &str) -> Result<Option<PositionField>, QueryError> {
    let Some((name, digits)) = text.strip_suffix(']').and_then(|t| t.rsplit_once('[')) else {
        return Ok(None);
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    let known_name =
        |n: &str| index.segments.iter().chain(&index.genes).any(|c| c.name.eq_ignore_ascii_case(n));
    // LAPIS's syntax: a letter, then letters, digits and '_' (other names when they are known).
    let plain = name.is_empty()
        || (name.starts_with(|c: char| c.is_ascii_alphabetic())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
    if !plain && !known_name(name) {
        return Ok(None);
    }
    let bad =
        |reason: String| QueryError::BadValue { parameter: "fields".into(), value: text.to_owned(), reason };
    // LAPIS reads the position as a 32-bit integer.
    let position: u32 = match digits.parse::<i32>() {
        Ok(0) => return Err(bad(format!("Invalid position in '{text}': must be a positive integer, got 0"))),
        Ok(p) => p as u32,
        Err(_) => return Err(bad(format!("Invalid position in '{text}': must be a positive integer"))),
    };
    let (gene, sequence) = if name.is_empty() {
        if index.segments.len() != 1 {
            return Err(bad(
                "Shorthand position syntax '[N]' can only be used for single-segmented genomes".into()
            ));
        }
        (false, 0)
    } else if let Some(s) = index.segments.iter().position(|c| c.name.eq_ignore_ascii_case(name)) {
        // A segment first, then a gene (LAPIS's getSequenceNameFromCaseInsensitiveName).
        (false, s)
    } else if let Some(g) = index.genes.iter().position(|c| c.name.eq_ignore_ascii_case(name)) {
        (true, g)
    } else {
        let known: Vec<&str> = index.segments.iter().chain(&index.genes).map(|c| c.name.as_str()).collect();
        return Err(bad(format!(
            "Unknown sequence '{name}' in '{text}', known sequences are: {}",
            known.join(", ")
        )));
    };
    let column = index.sequence(gene, sequence);
    let len = column.reference().len();
    if position as usize > len {
        return Err(bad(format!(
            "Position {position} in '{text}' is beyond the end of {} {}: valid positions are 1 to {len}",
            if gene { "gene" } else { "segment" },
            column.name
        )));
    }
    let name = if name.is_empty() { format!("[{position}]") } else { format!("{}[{position}]", column.name) };
    Ok(Some(PositionField { field: GroupField::Position { gene, sequence, position: position - 1 }, name }))
}

const NULL: i64 = i64::MIN;

/// Date parts of every day from 1900 to 2199, computed once (a date part is then one load).
struct DateParts {
    first: i32,
    year: Vec<i32>,
    month: Vec<i32>,
    iso_week: Vec<i32>,
}

fn date_parts() -> &'static DateParts {
    static PARTS: OnceLock<DateParts> = OnceLock::new();
    PARTS.get_or_init(|| {
        let first = day_number(chrono::NaiveDate::from_ymd_opt(1900, 1, 1).expect("valid date"));
        let last = day_number(chrono::NaiveDate::from_ymd_opt(2199, 12, 31).expect("valid date"));
        let mut p = DateParts { first, year: Vec::new(), month: Vec::new(), iso_week: Vec::new() };
        for day in first..=last {
            let (y, m, w) = parts_of(day);
            p.year.push(y);
            p.month.push(m);
            p.iso_week.push(w);
        }
        p
    })
}

fn parts_of(day: i32) -> (i32, i32, i32) {
    let d = date_of(day);
    let w = d.iso_week();
    (d.year(), d.year() * 100 + d.month() as i32, w.year() * 100 + w.week() as i32)
}

/// A row's key part as a small integer (codes, day numbers, date parts, float bits).
#[inline]
fn raw_key(column: &Column, field: GroupField, row: u32) -> i64 {
    match field {
        GroupField::Column(_) => column.raw(row),
        GroupField::Year(_) | GroupField::Month(_) | GroupField::IsoWeek(_) => {
            let Some(day) = column.day(row) else { return NULL };
            let parts = date_parts();
            let i = (day - parts.first) as usize;
            let (y, m, w) = if i < parts.year.len() {
                (parts.year[i], parts.month[i], parts.iso_week[i])
            } else {
                parts_of(day)
            };
            i64::from(match field {
                GroupField::Year(_) => y,
                GroupField::Month(_) => m,
                _ => w,
            })
        }
        GroupField::Position { .. } => unreachable!("position fields are grouped apart"),
    }
}

fn key_value(index: &Index, field: GroupField, raw: i64) -> GroupKey {
    if raw == NULL {
        return GroupKey::Null;
    }
    let column = &index.columns[field.column()];
    match field {
        GroupField::Column(_) => GroupKey::Value(match column.kind {
            ColumnType::String { .. } => {
                Value::String(column.dictionary().map_or("", |d| d.get(raw as u32)).to_owned())
            }
            ColumnType::Date => Value::Date(date_of(raw as i32)),
            ColumnType::Int => Value::Int(raw),
            ColumnType::Float => Value::Float(f64::from_bits(raw as u64)),
            ColumnType::Boolean => Value::Boolean(raw == 1),
        }),
        GroupField::Year(_) => GroupKey::Text(raw.to_string()),
        GroupField::Month(_) => GroupKey::Text(format!("{}-{:02}", raw / 100, raw % 100)),
        GroupField::IsoWeek(_) => GroupKey::Text(format!("{}-W{:02}", raw / 100, raw % 100)),
        GroupField::Position { .. } => unreachable!("position fields are grouped apart"),
    }
}

/// A multiply-and-fold hasher for integer keys (the std SipHash costs more than the rest of a
/// row's work).
#[derive(Default)]
struct IntHasher(u64);

impl Hasher for IntHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u64(&mut self, v: u64) {
        let m = (self.0 ^ v).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 = m ^ (m >> 29);
    }
    fn write_i64(&mut self, v: i64) {
        self.write_u64(v as u64);
    }
    fn write_usize(&mut self, v: usize) {
        self.write_u64(v as u64);
    }
}

type IntMap<K, V> = HashMap<K, V, BuildHasherDefault<IntHasher>>;

/// Counts `rows` per distinct combination of `fields` (no fields: one total), in order of
/// the keys (nulls first).
pub fn aggregate(index: &Index, rows: &RoaringBitmap, fields: &[GroupField]) -> Vec<(Vec<GroupKey>, u64)> {
    if fields.iter().any(|f| matches!(f, GroupField::Position { .. })) {
        return by_positions(index, rows, fields);
    }
    if fields.is_empty() {
        return vec![(Vec::new(), rows.len())];
    }
    let mut counts: Vec<(Vec<i64>, u64)> = match fields {
        [field] => single(index, rows, *field),
        _ => by_rows(index, rows, fields),
    };
    counts.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    counts
        .into_iter()
        .map(|(keys, n)| (fields.iter().zip(keys).map(|(&f, raw)| key_value(index, f, raw)).collect(), n))
        .collect()
}

/// Selections up to this many rows (plus [`PER_ROW_PER_BLOCK`] per block of the sequence
/// column) read a position's symbol row by row; larger ones take each symbol's rows from the
/// column (a few bitmap operations per block and symbol) and intersect.
const PER_ROW_MAX: u64 = 4096;
const PER_ROW_PER_BLOCK: u64 = 256;

/// The selected rows by their symbol at a position: `None` for rows without the sequence
/// (SILO's null), else the aligned letter (the unknown letter N/X included), in that order.
fn rows_by_symbol(
    index: &Index,
    rows: &RoaringBitmap,
    field: GroupField,
) -> Vec<(Option<u8>, RoaringBitmap)> {
    let GroupField::Position { gene, sequence, position } = field else {
        unreachable!("only position fields are split by symbol")
    };
    let column = index.sequence(gene, sequence);
    let missing = column.alphabet.missing();
    let mut classes: Vec<(Option<u8>, RoaringBitmap)> = Vec::new();
    if rows.len() <= PER_ROW_MAX + PER_ROW_PER_BLOCK * column.block_count() as u64 {
        let mut by: std::collections::BTreeMap<Option<u8>, RoaringBitmap> = std::collections::BTreeMap::new();
        for row in rows {
            let symbol = column.symbol(row, position);
            let key = if symbol == missing && column.is_unsequenced(row) { None } else { Some(symbol) };
            by.entry(key).or_default().insert(row);
        }
        return by.into_iter().collect();
    }
    let mut unknown = column.rows_missing(position);
    unknown &= rows;
    let mut covered = unknown.len();
    if !unknown.is_empty() {
        let mut absent = column.rows_unsequenced();
        absent &= &unknown;
        unknown -= &absent;
        if !absent.is_empty() {
            classes.push((None, absent));
        }
    }
    let mut letters: Vec<(Option<u8>, RoaringBitmap)> = Vec::new();
    if !unknown.is_empty() {
        letters.push((Some(missing), unknown));
    }
    for &letter in column.alphabet.letters() {
        if covered == rows.len() {
            break;
        }
        if letter == missing {
            continue;
        }
        let mut with = column.rows_with(position, letter);
        with &= rows;
        if !with.is_empty() {
            covered += with.len();
            letters.push((Some(letter), with));
        }
    }
    letters.sort_unstable_by_key(|(l, _)| *l);
    classes.extend(letters);
    classes
}

/// Counts with position fields: the selection is split by the symbol at each position (every
/// combination that occurs), and each part is grouped by the other fields. Keys come in the
/// order of `fields`; groups ordered by symbols (null first), then by the other fields.
fn by_positions(index: &Index, rows: &RoaringBitmap, fields: &[GroupField]) -> Vec<(Vec<GroupKey>, u64)> {
    let mut parts: Vec<(Vec<Option<u8>>, RoaringBitmap)> = vec![(Vec::new(), rows.clone())];
    for &field in fields.iter().filter(|f| matches!(f, GroupField::Position { .. })) {
        let classes = rows_by_symbol(index, rows, field);
        let mut next = Vec::with_capacity(parts.len() * classes.len());
        for (symbols, part) in &parts {
            for (symbol, class) in &classes {
                let both = part & class;
                if !both.is_empty() {
                    let mut symbols = symbols.clone();
                    symbols.push(*symbol);
                    next.push((symbols, both));
                }
            }
        }
        parts = next;
    }
    let others: Vec<GroupField> =
        fields.iter().copied().filter(|f| !matches!(f, GroupField::Position { .. })).collect();
    let mut out = Vec::new();
    for (symbols, part) in parts {
        for (keys, n) in aggregate(index, &part, &others) {
            let (mut symbols, mut keys) = (symbols.iter(), keys.into_iter());
            let row = fields
                .iter()
                .map(|f| match f {
                    GroupField::Position { .. } => match symbols.next().copied().flatten() {
                        Some(letter) => GroupKey::Text((letter as char).to_string()),
                        None => GroupKey::Null,
                    },
                    _ => keys.next().unwrap_or(GroupKey::Null),
                })
                .collect();
            out.push((row, n));
        }
    }
    out
}

fn single(index: &Index, rows: &RoaringBitmap, field: GroupField) -> Vec<(Vec<i64>, u64)> {
    let column = &index.columns[field.column()];
    if let (GroupField::Column(_), Some(postings)) = (field, column.postings())
        && postings.len() as u64 * 16 <= rows.len()
    {
        let mut out: Vec<(Vec<i64>, u64)> = Vec::new();
        let mut listed = 0;
        for (code, posting) in postings.iter().enumerate() {
            let n = posting.intersection_len(rows);
            if n > 0 {
                listed += n;
                out.push((vec![code as i64], n));
            }
        }
        if listed < rows.len() {
            out.push((vec![NULL], rows.len() - listed));
        }
        return out;
    }
    // Float keys are bit patterns, not ordered like the values: no run path for them.
    let dated = matches!(column.kind, ColumnType::Date | ColumnType::Int);
    if dated && column.runs().len() * 32 <= column.len() {
        return by_runs(column, rows, field);
    }
    by_rows(index, rows, &[field])
}

/// Counts per raw key: in a flat array when the field has few possible keys (see [`Dense`]),
/// else in a hash map. Keys outside the array's range go to the map.
struct KeyCounter {
    dense: Option<(Dense, Vec<u64>)>,
    map: IntMap<i64, u64>,
}

impl KeyCounter {
    fn new(column: &Column, field: GroupField, rows: u64) -> KeyCounter {
        let dense = Dense::new(column, field).filter(|d| u64::from(d.ids) <= rows * 16 + 4096).map(|d| {
            let cells = vec![0u64; d.ids as usize];
            (d, cells)
        });
        KeyCounter { dense, map: IntMap::default() }
    }

    #[inline]
    fn add(&mut self, key: i64, n: u64) {
        match &mut self.dense {
            Some((d, cells)) => match d.id(key) {
                Some(id) => cells[id as usize] += n,
                None => *self.map.entry(key).or_default() += n,
            },
            None => *self.map.entry(key).or_default() += n,
        }
    }

    fn into_counts(self) -> Vec<(Vec<i64>, u64)> {
        let mut out: Vec<(Vec<i64>, u64)> = self.map.into_iter().map(|(k, n)| (vec![k], n)).collect();
        if let Some((d, cells)) = self.dense {
            out.extend(
                cells.iter().enumerate().filter(|(_, n)| **n > 0).map(|(id, &n)| (vec![d.raw(id as u32)], n)),
            );
        }
        out
    }
}

/// The first row of `[pos, end)` whose key differs from `key` (the row at `pos`), where keys
/// never decrease over the range: gallop, then bisect.
#[inline]
fn stretch_end(pos: u32, end: u32, key: i64, key_at: impl Fn(u32) -> i64) -> u32 {
    let mut step = 1;
    let mut lo = pos + 1;
    while pos + step < end && key_at(pos + step) == key {
        lo = pos + step + 1;
        step *= 2;
    }
    let mut hi = (pos + step).min(end).max(lo);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if key_at(mid) == key {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// Counts a key that never decreases within the column's runs (see [`stretches`]).
fn by_runs(column: &Column, rows: &RoaringBitmap, field: GroupField) -> Vec<(Vec<i64>, u64)> {
    let mut counts = KeyCounter::new(column, field, rows.len());
    stretches(
        rows,
        column.runs(),
        |r| raw_key(column, field, r),
        |key, from, to| {
            counts.add(key, u64::from(to - from));
            Some(())
        },
    );
    counts.into_counts()
}

/// Visits the selected rows as `[from, to)` stretches of one key, for a key that never
/// decreases within each of `runs`: each selected row range is cut where the key changes
/// (gallop, then bisect), so a range of a million rows spanning 50 weeks costs 50 searches.
/// Short ranges (a selection scattered over the rows) are visited row by row. Stops at the
/// first `None` from `visit`.
fn stretches(
    rows: &RoaringBitmap,
    runs: &[(u32, u32)],
    key_at: impl Fn(u32) -> i64,
    mut visit: impl FnMut(i64, u32, u32) -> Option<()>,
) -> Option<()> {
    /// Below this many rows a range is cheaper to visit row by row than to search.
    const SHORT: u32 = 16;
    // Rows spread thinly (a country's rows in a year: one in ten or fewer) come one per range;
    // asking the bitmap for ranges then costs a search per row, so they are visited directly.
    if let (Some(first), Some(last)) = (rows.min(), rows.max())
        && rows.len() * u64::from(SHORT) < u64::from(last - first) + 1
    {
        for row in rows {
            visit(key_at(row), row, row + 1)?;
        }
        return Some(());
    }
    let mut iter = rows.iter();
    let mut run = 0usize;
    while let Some(range) = iter.next_range() {
        let (mut a, end) = (*range.start(), *range.end() + 1);
        if end - a < SHORT {
            for row in a..end {
                visit(key_at(row), row, row + 1)?;
            }
            continue;
        }
        while a < end {
            // Ranges ascend, so the run holding row `a` is at or after the last one.
            while run < runs.len() && runs[run].1 <= a {
                run += 1;
            }
            let b = runs.get(run).map_or(end, |&(_, e)| e.min(end)).max(a + 1);
            let mut pos = a;
            while pos < b {
                let key = key_at(pos);
                let lo = stretch_end(pos, b, key, &key_at);
                visit(key, pos, lo)?;
                pos = lo;
            }
            a = b;
        }
    }
    Some(())
}

/// A field's values as small dense numbers (0: null), for counting in an array: the number of
/// ids and the raw key of each id. `None` when the field has too many values.
struct Dense {
    ids: u32,
    first_year: i64,
    field: GroupField,
}

const DENSE_FIRST_YEAR: i64 = 1900;
const DENSE_YEARS: i64 = 300;

impl Dense {
    fn new(column: &Column, field: GroupField) -> Option<Dense> {
        // The years the column's dates span (one more each side: an ISO week's year may be the
        // neighbouring one), so that the array is as small as the data allows.
        let (first_year, years) = match column.day_bounds() {
            Some((lo, hi)) if !matches!(field, GroupField::Column(_)) => {
                let (a, b) = (i64::from(date_of(lo).year()) - 1, i64::from(date_of(hi).year()) + 1);
                (a, (b - a + 1).min(DENSE_YEARS))
            }
            _ => (DENSE_FIRST_YEAR, DENSE_YEARS),
        };
        let ids = match (field, column.kind) {
            (GroupField::Column(_), ColumnType::String { .. }) => {
                column.dictionary().map_or(0, |d| d.len()) as u32 + 1
            }
            (GroupField::Column(_), ColumnType::Boolean) => 3,
            (GroupField::Year(_), _) => years as u32 + 1,
            (GroupField::Month(_), _) => (years * 12) as u32 + 1,
            (GroupField::IsoWeek(_), _) => (years * 53) as u32 + 1,
            _ => return None,
        };
        Some(Dense { ids, first_year, field })
    }

    /// The id of a raw key (`None`: outside the dense range, e.g. a date after 2199).
    #[inline]
    fn id(&self, raw: i64) -> Option<u32> {
        if raw == NULL {
            return Some(0);
        }
        let id = match self.field {
            GroupField::Column(_) | GroupField::Position { .. } => raw + 1,
            GroupField::Year(_) => raw - self.first_year + 1,
            GroupField::Month(_) => (raw / 100 - self.first_year) * 12 + raw % 100,
            GroupField::IsoWeek(_) => (raw / 100 - self.first_year) * 53 + raw % 100,
        };
        (id >= 1 && id < i64::from(self.ids)).then_some(id as u32)
    }

    fn raw(&self, id: u32) -> i64 {
        if id == 0 {
            return NULL;
        }
        let i = i64::from(id);
        match self.field {
            GroupField::Column(_) | GroupField::Position { .. } => i - 1,
            GroupField::Year(_) => i - 1 + self.first_year,
            GroupField::Month(_) => ((i - 1) / 12 + self.first_year) * 100 + (i - 1) % 12 + 1,
            GroupField::IsoWeek(_) => ((i - 1) / 53 + self.first_year) * 100 + (i - 1) % 53 + 1,
        }
    }
}

/// Selections at least this large are grouped on several cores.
const PARALLEL_ROWS: u64 = 1 << 17;
/// Rows per slice of a parallel grouping (one index block).
const PARALLEL_SLICE: u32 = 1 << 16;

/// Two fields with few values each (country × week): counted in a flat array.
fn by_rows_dense(
    index: &Index,
    rows: &RoaringBitmap,
    f: GroupField,
    g: GroupField,
) -> Option<Vec<(Vec<i64>, u64)>> {
    let ids = |field: GroupField| {
        Dense::new(&index.columns[field.column()], field).map_or(u64::MAX, |d| u64::from(d.ids))
    };
    let cells = ids(f).saturating_mul(ids(g));
    // The array must be small, and not much larger than the rows counted into it.
    if cells > 1 << 22 || cells > rows.len() * 16 + 4096 {
        return None;
    }
    count_dense(index, rows, f, g)
}

fn count_dense(
    index: &Index,
    rows: &RoaringBitmap,
    f: GroupField,
    g: GroupField,
) -> Option<Vec<(Vec<i64>, u64)>> {
    count_dense_in(index, rows, f, g, PARALLEL_ROWS, PARALLEL_SLICE)
}

/// [`count_dense`] with the parallel threshold and slice size as parameters (for tests).
fn count_dense_in(
    index: &Index,
    rows: &RoaringBitmap,
    f: GroupField,
    g: GroupField,
    parallel_rows: u64,
    slice_rows: u32,
) -> Option<Vec<(Vec<i64>, u64)>> {
    let (cf, cg) = (&index.columns[f.column()], &index.columns[g.column()]);
    let (df, dg) = (Dense::new(cf, f)?, Dense::new(cg, g)?);
    let cells = (u64::from(df.ids) * u64::from(dg.ids)) as usize;
    // When the second field's key never decreases within its column's runs (a date column of
    // rows sorted by lineage, then date), a selected row range is cut into stretches of one
    // key (gallop, then bisect) and only the first field is read per row.
    let sorted_g = matches!(cg.kind, ColumnType::Date | ColumnType::Int)
        && !matches!(g, GroupField::Column(_))
        && cg.runs().len() * 32 <= cg.len();
    let count_into = |counts: &mut Vec<u32>, rows: &RoaringBitmap| -> Option<()> {
        if !sorted_g {
            for row in rows {
                let (a, b) = (df.id(raw_key(cf, f, row))?, dg.id(raw_key(cg, g, row))?);
                counts[(a * dg.ids + b) as usize] += 1;
            }
            return Some(());
        }
        stretches(
            rows,
            cg.runs(),
            |r| raw_key(cg, g, r),
            |key, from, to| {
                let gid = dg.id(key)?;
                for row in from..to {
                    counts[(df.id(raw_key(cf, f, row))? * dg.ids + gid) as usize] += 1;
                }
                Some(())
            },
        )
    };
    let counts = if rows.len() < parallel_rows {
        let mut counts = vec![0u32; cells];
        count_into(&mut counts, rows)?;
        counts
    } else {
        // Large selections are counted in row slices on every core (each with its own array,
        // added up at the end): the grouping loop is the whole cost of such a query.
        let max = rows.max().unwrap_or(0);
        let slices: Vec<RoaringBitmap> = (0..=max / slice_rows)
            .map(|i| {
                let mut slice = RoaringBitmap::new();
                slice.insert_range(i * slice_rows..(i * slice_rows).saturating_add(slice_rows));
                slice &= rows;
                slice
            })
            .filter(|s| !s.is_empty())
            .collect();
        slices
            .par_iter()
            .map(|slice| {
                let mut counts = vec![0u32; cells];
                count_into(&mut counts, slice).map(|()| counts)
            })
            .try_reduce(
                || vec![0u32; cells],
                |mut a, b| {
                    a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
                    Some(a)
                },
            )?
    };
    Some(
        counts
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(i, &n)| {
                let (a, b) = (i as u32 / dg.ids, i as u32 % dg.ids);
                (vec![df.raw(a), dg.raw(b)], u64::from(n))
            })
            .collect(),
    )
}

/// Row by row into a hash map.
fn by_rows(index: &Index, rows: &RoaringBitmap, fields: &[GroupField]) -> Vec<(Vec<i64>, u64)> {
    if let [f, g] = fields
        && let Some(counts) = by_rows_dense(index, rows, *f, *g)
    {
        return counts;
    }
    let columns: Vec<&Column> = fields.iter().map(|f| &index.columns[f.column()]).collect();
    match fields {
        [f] => {
            let mut counts = KeyCounter::new(columns[0], *f, rows.len());
            for row in rows {
                counts.add(raw_key(columns[0], *f, row), 1);
            }
            counts.into_counts()
        }
        [f, g] => {
            let mut counts: IntMap<(i64, i64), u64> = IntMap::default();
            for row in rows {
                *counts.entry((raw_key(columns[0], *f, row), raw_key(columns[1], *g, row))).or_default() += 1;
            }
            counts.into_iter().map(|((a, b), n)| (vec![a, b], n)).collect()
        }
        _ => {
            let mut counts: IntMap<Vec<i64>, u64> = IntMap::default();
            let mut key = Vec::with_capacity(fields.len());
            for row in rows {
                key.clear();
                key.extend(fields.iter().zip(&columns).map(|(&f, c)| raw_key(c, f, row)));
                match counts.get_mut(&key) {
                    Some(n) => *n += 1,
                    None => {
                        counts.insert(key.clone(), 1);
                    }
                }
            }
            counts.into_iter().collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use virion_index::{RowInput, Schema};

    /// Every path gives what counting row by row gives.
    #[test]
    fn paths_agree() {
        let schema = Schema {
            metadata: vec![
                ("country".into(), ColumnType::String { indexed: true }),
                ("date".into(), ColumnType::Date),
            ],
            segments: vec![],
            genes: vec![],
        };
        let mut index = Index::new(&schema).unwrap();
        // Dates ascending within blocks of 50 rows (like rows sorted by lineage, then date).
        for i in 0..1000u32 {
            let country = ["CH", "DE", "FR"][(i % 3) as usize];
            let day = 18_000 + (i % 50) * 3;
            let date = if i % 50 == 0 { Value::Null } else { Value::Date(date_of(day as i32)) };
            let metadata = vec![if i % 11 == 0 { Value::Null } else { Value::String(country.into()) }, date];
            index.push(RowInput { metadata, ..RowInput::default() }).unwrap();
        }
        assert!(index.columns[1].runs_count() <= 40);
        // Few enough runs that the run-segmented paths are the ones taken below.
        assert!(index.columns[1].runs_count() * 32 <= index.columns[1].len());
        let rows: RoaringBitmap = (0..1000).filter(|r| r % 7 != 2).collect();
        for field in [
            GroupField::Column(0),
            GroupField::Column(1),
            GroupField::IsoWeek(1),
            GroupField::Month(1),
            GroupField::Year(1),
        ] {
            let mut fast = single(&index, &rows, field);
            let mut rowwise = by_rows(&index, &rows, &[field]);
            // Independent of both: a plain map, row by row.
            let mut map: IntMap<i64, u64> = IntMap::default();
            for row in &rows {
                *map.entry(raw_key(&index.columns[field.column()], field, row)).or_default() += 1;
            }
            let mut slow: Vec<(Vec<i64>, u64)> = map.into_iter().map(|(k, n)| (vec![k], n)).collect();
            fast.sort();
            rowwise.sort();
            slow.sort();
            assert_eq!(fast, slow, "{field:?}");
            assert_eq!(rowwise, slow, "{field:?} row by row");
        }
        for g in [GroupField::IsoWeek(1), GroupField::Month(1), GroupField::Year(1)] {
            let mut dense = count_dense(&index, &rows, GroupField::Column(0), g).unwrap();
            let columns = [&index.columns[0], &index.columns[1]];
            let mut hashed: IntMap<(i64, i64), u64> = IntMap::default();
            for row in &rows {
                *hashed
                    .entry((raw_key(columns[0], GroupField::Column(0), row), raw_key(columns[1], g, row)))
                    .or_default() += 1;
            }
            let mut hashed: Vec<(Vec<i64>, u64)> =
                hashed.into_iter().map(|((a, b), n)| (vec![a, b], n)).collect();
            dense.sort();
            hashed.sort();
            assert_eq!(dense, hashed, "{g:?}");
            // The same counts when slices of 64 rows are counted on several cores.
            let mut parallel = count_dense_in(&index, &rows, GroupField::Column(0), g, 0, 64).unwrap();
            parallel.sort();
            assert_eq!(parallel, hashed, "{g:?} in parallel");
            // The date field first: counted row by row (the second field is not dated).
            let mut swapped = count_dense(&index, &rows, g, GroupField::Column(0)).unwrap();
            swapped.sort();
            let mut expected: Vec<(Vec<i64>, u64)> =
                hashed.iter().map(|(k, n)| (vec![k[1], k[0]], *n)).collect();
            expected.sort();
            assert_eq!(swapped, expected, "{g:?} first");
        }
        let both = aggregate(&index, &rows, &[GroupField::Column(0), GroupField::IsoWeek(1)]);
        assert_eq!(both.iter().map(|g| g.1).sum::<u64>(), rows.len());
        assert!(matches!(&both[0].0[0], GroupKey::Null));
    }
}
