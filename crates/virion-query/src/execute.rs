//! Answers to the LAPIS data endpoints, over one or several *parts*: an index with the rows a
//! caller may see. A hub member's view is the released index plus the group's unreleased
//! overlay; a federated answer would be several nodes' parts. Counts of parts add up (groups
//! merge by key, mutation counts and coverage add before proportions are taken), rows of parts
//! are concatenated before ordering and paging. The phylogenetic endpoints
//! ([`most_recent_common_ancestor`], [`phylo_subtree`]) read the first part's tree.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};
use virion_index::{Column, RoaringBitmap, Stop, Value};

use crate::aggregate::{GroupKey, aggregate, parse_group_field_named, parse_position_field};
use crate::error::QueryError;
use crate::proportions::mutation_proportions_of;
use crate::request::{LapisRequest, OrderBy};
use crate::select::QueryIndex;
use crate::table::{Cell, Table, mix, seed_of};

pub use crate::phylo::{
    MostRecentCommonAncestor, PhyloSubtree, most_recent_common_ancestor, phylo_subtree, phylo_tree_fields,
};

/// An index and the rows of it the caller may see.
#[derive(Debug, Clone, Copy)]
pub struct Part<'a> {
    /// The index.
    pub index: &'a QueryIndex,
    /// Its rows the caller may see (released, or also the caller's group's unreleased rows).
    pub visible: &'a RoaringBitmap,
}

/// The table endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Endpoint {
    /// `/aggregated`: counts grouped by `fields`.
    Aggregated,
    /// `/details`: the metadata of each row.
    Details,
    /// `/nucleotideMutations`: nucleotide mutations and their proportions.
    NucleotideMutations,
    /// `/aminoAcidMutations`: amino-acid mutations and their proportions.
    AminoAcidMutations,
    /// `/nucleotideInsertions`: nucleotide insertions and their counts.
    NucleotideInsertions,
    /// `/aminoAcidInsertions`: amino-acid insertions and their counts.
    AminoAcidInsertions,
}

/// Time and size limits of one request; checked between steps, inside every filter
/// evaluation loop and every few thousand rows.
#[derive(Debug, Clone)]
pub struct Budget {
    /// When the request must stop: its deadline, or once its client went away.
    pub stop: Stop,
    /// Most rows a request may materialise (ordering, details, sequences).
    pub max_rows: u64,
}

impl Default for Budget {
    fn default() -> Self {
        Budget { stop: Stop::never(), max_rows: 20_000_000 }
    }
}

impl Budget {
    /// Refuses with `OverBudget` once the deadline has passed or the client went away.
    pub fn check(&self) -> Result<(), QueryError> {
        self.stop.check().map_err(QueryError::from)
    }

    pub(crate) fn rows(&self, n: u64, what: &str) -> Result<(), QueryError> {
        if n > self.max_rows {
            return Err(QueryError::OverBudget {
                reason: format!(
                    "{what} would hold {n} rows, more than this server answers at once ({}); add filters or a limit",
                    self.max_rows
                ),
            });
        }
        Ok(())
    }
}

/// The rows each part's request selects.
pub fn select_parts(
    parts: &[Part<'_>],
    req: &LapisRequest,
    budget: &Budget,
) -> Result<Vec<RoaringBitmap>, QueryError> {
    parts
        .iter()
        .map(|p| {
            budget.check()?;
            p.index.select_within(req, p.visible, &budget.stop)
        })
        .collect()
}

/// Answers a table endpoint.
pub fn table(
    parts: &[Part<'_>],
    endpoint: Endpoint,
    req: &LapisRequest,
    budget: &Budget,
) -> Result<Table, QueryError> {
    let selected = select_parts(parts, req, budget)?;
    budget.check()?;
    let table = match endpoint {
        Endpoint::Aggregated => aggregated(parts, &selected, req)?,
        Endpoint::Details => return details(parts, &selected, req, budget),
        Endpoint::NucleotideMutations | Endpoint::AminoAcidMutations => {
            keep_fields(&MUTATION_FIELDS, req)?;
            mutations(parts, &selected, req, endpoint == Endpoint::AminoAcidMutations)?
        }
        Endpoint::NucleotideInsertions | Endpoint::AminoAcidInsertions => {
            keep_fields(&INSERTION_FIELDS, req)?;
            insertions(parts, &selected, endpoint == Endpoint::AminoAcidInsertions)
        }
    };
    budget.check()?;
    finish(endpoint, table, req)
}

/// Orders, pages and projects a whole answer table as `req` asks: the last step of
/// [`table`], also taken by a federated answer once the nodes' parts are merged. A mutation or
/// insertion table holds all of [`MUTATION_FIELDS`] or [`INSERTION_FIELDS`]: its rows are
/// ordered on every column (`orderBy=mutation` means its sequence, reference letter, position
/// and new letter, as LAPIS expands it), then the fields asked for are kept.
pub fn finish(endpoint: Endpoint, mut table: Table, req: &LapisRequest) -> Result<Table, QueryError> {
    let keep = match endpoint {
        Endpoint::Aggregated | Endpoint::Details => None,
        Endpoint::NucleotideMutations | Endpoint::AminoAcidMutations => {
            Some(keep_fields(&MUTATION_FIELDS, req)?)
        }
        Endpoint::NucleotideInsertions | Endpoint::AminoAcidInsertions => {
            Some(keep_fields(&INSERTION_FIELDS, req)?)
        }
    };
    table.order_and_page(req)?;
    Ok(match keep {
        Some(keep) => project(table, &keep),
        None => table,
    })
}

fn group_cell(key: GroupKey) -> Cell {
    match key {
        GroupKey::Value(v) => v.into(),
        GroupKey::Text(t) => Cell::Str(t),
        GroupKey::Null => Cell::Null,
    }
}

fn aggregated(
    parts: &[Part<'_>],
    selected: &[RoaringBitmap],
    req: &LapisRequest,
) -> Result<Table, QueryError> {
    // Each field once (LAPIS drops repeated fields after resolving them: `S[501]`, `s[501]`),
    // named as LAPIS names it.
    let mut columns: Vec<String> = Vec::new();
    let mut merged: Vec<(Vec<Cell>, u64)> = Vec::new();
    let mut at: HashMap<String, usize> = HashMap::new();
    for (part, rows) in parts.iter().zip(selected) {
        let index = &part.index.index;
        let (mut fields, mut names) = (Vec::with_capacity(req.fields.len()), Vec::new());
        for text in &req.fields {
            let (field, name) = parse_group_field_named(index, text)?;
            if !names.contains(&name) {
                names.push(name);
                fields.push(field);
            }
        }
        columns = names;
        for (keys, n) in aggregate(index, rows, &fields) {
            let cells: Vec<Cell> = keys.into_iter().map(group_cell).collect();
            if parts.len() == 1 {
                merged.push((cells, n));
                continue;
            }
            let id = format!("{cells:?}");
            match at.get(&id) {
                Some(&i) => merged[i].1 += n,
                None => {
                    at.insert(id, merged.len());
                    merged.push((cells, n));
                }
            }
        }
    }
    if parts.is_empty() {
        columns = req.fields.clone();
        merged.push((vec![Cell::Null; req.fields.len()], 0));
    }
    // A total of nothing is a count of 0, not an empty answer.
    if req.fields.is_empty() && merged.len() > 1 {
        let total = merged.iter().map(|m| m.1).sum();
        merged = vec![(Vec::new(), total)];
    }
    columns.push("count".into());
    let rows = merged
        .into_iter()
        .filter(|(_, n)| *n > 0 || req.fields.is_empty())
        .map(|(mut cells, n)| {
            cells.push(Cell::Int(n as i64));
            cells
        })
        .collect();
    Ok(Table { columns, rows })
}

/// The fields of a table endpoint that a request keeps (LAPIS: `fields` ⊆ the endpoint's).
fn keep_fields(all: &[&str], req: &LapisRequest) -> Result<Vec<usize>, QueryError> {
    if req.fields.is_empty() {
        return Ok((0..all.len()).collect());
    }
    req.fields
        .iter()
        .map(|f| {
            all.iter()
                .position(|a| a.eq_ignore_ascii_case(f))
                .ok_or_else(|| QueryError::UnknownField { field: f.clone(), known: all.join(", ") })
        })
        .collect()
}

/// The table with only the columns `keep` (indices, in the order asked for).
fn project(table: Table, keep: &[usize]) -> Table {
    Table {
        columns: keep.iter().map(|&i| table.columns[i].clone()).collect(),
        rows: table.rows.into_iter().map(|r| keep.iter().map(|&i| r[i].clone()).collect()).collect(),
    }
}

fn full(all: &[&str], rows: Vec<Vec<Cell>>) -> Table {
    Table { columns: all.iter().map(|c| (*c).to_owned()).collect(), rows }
}

/// The columns of a mutation table, in LAPIS's order.
pub const MUTATION_FIELDS: [&str; 8] =
    ["mutation", "count", "coverage", "proportion", "sequenceName", "mutationFrom", "mutationTo", "position"];

/// LAPIS's `minProportion` when a request gives none.
pub const DEFAULT_MIN_PROPORTION: f64 = 0.05;

fn mutations(
    parts: &[Part<'_>],
    selected: &[RoaringBitmap],
    req: &LapisRequest,
    amino_acid: bool,
) -> Result<Table, QueryError> {
    let pairs: Vec<_> = parts.iter().zip(selected).map(|(p, r)| (&p.index.index, r)).collect();
    let found =
        mutation_proportions_of(&pairs, amino_acid, req.min_proportion.unwrap_or(DEFAULT_MIN_PROPORTION))?;
    Ok(mutation_table(found, segment_named(parts, amino_acid)))
}

/// The whole mutation table (all of [`MUTATION_FIELDS`]) of mutations in the order given;
/// `named`: rows name their sequence (see LAPIS: not the one segment of a single-segment
/// organism).
pub fn mutation_table(found: Vec<crate::MutationProportion>, named: bool) -> Table {
    let rows = found
        .into_iter()
        .map(|m| {
            vec![
                Cell::Str(m.mutation),
                Cell::Int(m.count as i64),
                Cell::Int(m.coverage as i64),
                Cell::Float(m.proportion),
                if named { Cell::Str(m.sequence_name) } else { Cell::Null },
                Cell::Str(m.mutation_from.to_string()),
                Cell::Str(m.mutation_to.to_string()),
                Cell::Int(i64::from(m.position)),
            ]
        })
        .collect();
    full(&MUTATION_FIELDS, rows)
}

/// Whether rows name their sequence: LAPIS answers `sequenceName: null` (and writes mutations
/// without a prefix) for the one segment of a single-segment organism; genes are always named.
fn segment_named(parts: &[Part<'_>], amino_acid: bool) -> bool {
    amino_acid || parts.iter().any(|p| p.index.index.segments.len() > 1)
}

/// The columns of an insertion table, in LAPIS's order.
pub const INSERTION_FIELDS: [&str; 5] = ["insertion", "count", "insertedSymbols", "position", "sequenceName"];

fn insertions(parts: &[Part<'_>], selected: &[RoaringBitmap], amino_acid: bool) -> Table {
    let mut merged: Vec<(String, String, u32, String, u64)> = Vec::new();
    let mut at: HashMap<String, usize> = HashMap::new();
    // A single segment's insertions are written without its name, as LAPIS does.
    let named = segment_named(parts, amino_acid);
    for (part, rows) in parts.iter().zip(selected) {
        let index = &part.index.index;
        let columns = if amino_acid { &index.amino_acid_insertions } else { &index.nucleotide_insertions };
        for column in columns {
            for c in column.counts(rows) {
                let text = if named {
                    format!("ins_{}:{}:{}", column.name, c.insertion.position, c.insertion.symbols)
                } else {
                    format!("ins_{}:{}", c.insertion.position, c.insertion.symbols)
                };
                match at.get(&text) {
                    Some(&i) => merged[i].4 += c.count,
                    None => {
                        at.insert(text.clone(), merged.len());
                        merged.push((
                            text,
                            c.insertion.symbols,
                            c.insertion.position,
                            column.name.clone(),
                            c.count,
                        ));
                    }
                }
            }
        }
    }
    let rows = merged
        .into_iter()
        .map(|(text, symbols, position, name, count)| {
            vec![
                Cell::Str(text),
                Cell::Int(count as i64),
                Cell::Str(symbols),
                Cell::Int(i64::from(position)),
                if named { Cell::Str(name) } else { Cell::Null },
            ]
        })
        .collect();
    full(&INSERTION_FIELDS, rows)
}

/// The metadata columns a details request returns (all when `fields` is empty), by index.
pub fn detail_columns(index: &virion_index::Index, fields: &[String]) -> Result<Vec<usize>, QueryError> {
    if fields.is_empty() {
        return Ok((0..index.columns.len()).collect());
    }
    fields
        .iter()
        .map(|f| {
            // LAPIS groups by sequence positions on /aggregated only.
            if let Some(p) = parse_position_field(index, f)? {
                return Err(QueryError::BadValue {
                    parameter: "fields".into(),
                    value: f.clone(),
                    reason: format!("Sequence position fields are not supported here: {}", p.name),
                });
            }
            index.columns.iter().position(|c| c.name.eq_ignore_ascii_case(f)).ok_or_else(|| {
                QueryError::UnknownField {
                    field: f.clone(),
                    known: index.columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", "),
                }
            })
        })
        // Each field once, as LAPIS keeps them.
        .try_fold(Vec::new(), |mut kept: Vec<usize>, c| {
            let c = c?;
            if !kept.contains(&c) {
                kept.push(c);
            }
            Ok(kept)
        })
}

fn details(
    parts: &[Part<'_>],
    selected: &[RoaringBitmap],
    req: &LapisRequest,
    budget: &Budget,
) -> Result<Table, QueryError> {
    let Some(first) = parts.first() else { return Ok(Table::default()) };
    let columns = detail_columns(&first.index.index, &req.fields)?;
    let names: Vec<String> = columns.iter().map(|&c| first.index.index.columns[c].name.clone()).collect();
    let order = ordered_rows(parts, selected, req, budget, &names)?;
    budget.rows(order.len() as u64 * columns.len().max(1) as u64 / 4, "the answer")?;
    let mut rows = Vec::with_capacity(order.len());
    for (i, (part, row)) in order.into_iter().enumerate() {
        if i % 65_536 == 0 {
            budget.check()?;
        }
        let index = &parts[part].index.index;
        rows.push(columns.iter().map(|&c| Cell::from(index.columns[c].get(row))).collect());
    }
    Ok(Table { columns: names, rows })
}

/// Sort key of a row for field ordering: per field, the cell to compare.
fn row_key(columns: &[(&Column, bool)], row: u32) -> Vec<Cell> {
    columns.iter().map(|(c, _)| Cell::from(c.get(row))).collect()
}

fn compare_keys(a: &[Cell], b: &[Cell], desc: &[bool]) -> Ordering {
    for ((x, y), &d) in a.iter().zip(b).zip(desc) {
        let o = x.compare(y);
        if o != Ordering::Equal {
            return if d { o.reverse() } else { o };
        }
    }
    Ordering::Equal
}

/// A row with its random sort key: (key, block-part index, row).
type KeyedRow = (u64, usize, u32);

/// A row's key in the random order of `seed` (rows of different parts get different keys).
fn random_key(seed: u64, part: usize, row: u32) -> KeyedRow {
    (mix(seed, u64::from(row) | (part as u64) << 32), part, row)
}

/// Keeps the `keep` smallest of `keyed` (in no order).
fn keep_smallest(keyed: &mut Vec<KeyedRow>, keep: usize) {
    if keep == 0 {
        keyed.clear();
    } else if keep < keyed.len() {
        keyed.select_nth_unstable(keep - 1);
        keyed.truncate(keep);
    }
}

/// Rows per slice when a random sample is drawn on several cores.
const SAMPLE_SLICE: u32 = 1 << 20;

/// The `keep` rows with the smallest random keys of a seed (a small sample of a big answer),
/// without a key per row kept: the keys are uniform, so the smallest `keep` lie below a
/// threshold a few times `keep / total` of the key space. Every row's key is compared with it
/// (slices on every core) and the few below are kept. `None` in the rare case fewer than
/// `keep` fall below it; the caller then orders every key.
fn smallest_keys(
    selected: &[RoaringBitmap],
    seed: u64,
    keep: usize,
    budget: &Budget,
) -> Result<Option<Vec<KeyedRow>>, QueryError> {
    use rayon::prelude::*;
    let total: u64 = selected.iter().map(RoaringBitmap::len).sum();
    if keep == 0 || total == 0 {
        return Ok(Some(Vec::new()));
    }
    // Expected keys below: 4 × keep + 64; fewer than `keep` is then very unlikely.
    let share = ((4 * keep as u64 + 64) as f64 / total as f64).min(1.0);
    let threshold = if share >= 1.0 { u64::MAX } else { (share * u64::MAX as f64) as u64 };
    let slices: Vec<(usize, u32)> = selected
        .iter()
        .enumerate()
        .flat_map(|(p, rows)| {
            let (lo, hi) = (rows.min().unwrap_or(0), rows.max().unwrap_or(0));
            (lo / SAMPLE_SLICE..=hi / SAMPLE_SLICE).filter(move |_| !rows.is_empty()).map(move |s| (p, s))
        })
        .collect();
    let found: Vec<Vec<KeyedRow>> = slices
        .par_iter()
        .map(|&(p, s)| {
            budget.check()?;
            let start = s * SAMPLE_SLICE;
            let end = start.saturating_add(SAMPLE_SLICE);
            Ok(selected[p]
                .range(start..end)
                .map(|r| random_key(seed, p, r))
                .filter(|k| k.0 <= threshold)
                .collect())
        })
        .collect::<Result<_, QueryError>>()?;
    let mut keyed: Vec<KeyedRow> = found.into_iter().flatten().collect();
    if keyed.len() < keep {
        return Ok(None);
    }
    keep_smallest(&mut keyed, keep);
    Ok(Some(keyed))
}

/// The selected rows of every part in answer order, after `offset` and `limit`: as stored
/// (no order asked), by fields (top-k with a heap when a page is asked for), or in the random
/// order of a seed (the same order for every endpoint).
pub fn ordered_rows(
    parts: &[Part<'_>],
    selected: &[RoaringBitmap],
    req: &LapisRequest,
    budget: &Budget,
    output_fields: &[String],
) -> Result<Vec<(usize, u32)>, QueryError> {
    let total: u64 = selected.iter().map(RoaringBitmap::len).sum();
    let wanted = req.limit.map_or(u64::MAX, |l| (req.offset as u64).saturating_add(l as u64));
    match &req.order_by {
        OrderBy::Fields(fields) if fields.is_empty() => {
            budget.rows(total.min(wanted).saturating_sub(req.offset as u64), "the answer")?;
            Ok(selected
                .iter()
                .enumerate()
                .flat_map(|(p, rows)| rows.iter().map(move |r| (p, r)))
                .skip(req.offset)
                .take(req.limit.unwrap_or(usize::MAX))
                .collect())
        }
        order @ OrderBy::Random(_) => {
            budget.rows(total, "ordering")?;
            let seed = seed_of(order).unwrap_or(0);
            let keep = wanted.min(total) as usize;
            let sampled =
                if keep as u64 <= total / 8 { smallest_keys(selected, seed, keep, budget)? } else { None };
            let mut keyed: Vec<KeyedRow> = match sampled {
                Some(keyed) => keyed,
                None => {
                    let mut keyed = Vec::with_capacity(total as usize);
                    for (p, rows) in selected.iter().enumerate() {
                        budget.check()?;
                        keyed.extend(rows.iter().map(|r| random_key(seed, p, r)));
                    }
                    keep_smallest(&mut keyed, keep);
                    keyed
                }
            };
            keyed.sort_unstable();
            Ok(keyed
                .into_iter()
                .skip(req.offset)
                .take(req.limit.unwrap_or(usize::MAX))
                .map(|(_, p, r)| (p, r))
                .collect())
        }
        OrderBy::Fields(fields) => {
            for (f, _) in fields {
                if !output_fields.iter().any(|o| o.eq_ignore_ascii_case(f)) {
                    return Err(QueryError::BadValue {
                        parameter: "orderBy".into(),
                        value: f.clone(),
                        reason: format!("not a field of the answer ({})", output_fields.join(", ")),
                    });
                }
            }
            budget.rows(total, "ordering")?;
            let desc: Vec<bool> = fields.iter().map(|f| f.1).collect();
            fn resolve<'p>(part: &Part<'p>, fields: &[(String, bool)]) -> Vec<(&'p Column, bool)> {
                let index: &'p virion_index::Index = &part.index.index;
                fields
                    .iter()
                    .filter_map(|(f, d)| {
                        index.columns.iter().find(|c| c.name.eq_ignore_ascii_case(f)).map(|c| (c, *d))
                    })
                    .collect()
            }
            if wanted < total / 2 {
                // A page of a big answer: keep the best `wanted` rows in a heap.
                struct Entry(Vec<Cell>, usize, u32, std::sync::Arc<Vec<bool>>);
                impl PartialEq for Entry {
                    fn eq(&self, o: &Self) -> bool {
                        self.cmp(o) == Ordering::Equal
                    }
                }
                impl Eq for Entry {}
                impl PartialOrd for Entry {
                    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
                        Some(self.cmp(o))
                    }
                }
                impl Ord for Entry {
                    fn cmp(&self, o: &Self) -> Ordering {
                        compare_keys(&self.0, &o.0, &self.3).then((self.1, self.2).cmp(&(o.1, o.2)))
                    }
                }
                let desc = std::sync::Arc::new(desc);
                let mut heap: BinaryHeap<Entry> = BinaryHeap::with_capacity(wanted as usize + 1);
                for (p, rows) in selected.iter().enumerate() {
                    let cols = resolve(&parts[p], fields);
                    for (i, r) in rows.iter().enumerate() {
                        if i % 65_536 == 0 {
                            budget.check()?;
                        }
                        let e = Entry(row_key(&cols, r), p, r, desc.clone());
                        if (heap.len() as u64) < wanted {
                            heap.push(e);
                        } else if heap.peek().is_some_and(|top| e < *top) {
                            heap.pop();
                            heap.push(e);
                        }
                    }
                }
                let sorted = heap.into_sorted_vec();
                return Ok(sorted.into_iter().skip(req.offset).map(|e| (e.1, e.2)).collect());
            }
            let mut keyed: Vec<(Vec<Cell>, usize, u32)> = Vec::with_capacity(total as usize);
            for (p, rows) in selected.iter().enumerate() {
                let cols = resolve(&parts[p], fields);
                budget.check()?;
                keyed.extend(rows.iter().map(|r| (row_key(&cols, r), p, r)));
            }
            keyed.sort_by(|a, b| compare_keys(&a.0, &b.0, &desc).then((a.1, a.2).cmp(&(b.1, b.2))));
            Ok(keyed
                .into_iter()
                .skip(req.offset)
                .take(req.limit.unwrap_or(usize::MAX))
                .map(|(_, p, r)| (p, r))
                .collect())
        }
    }
}

/// Convenience for callers holding one index: its value of `column` at `row`.
pub fn value(part: &Part<'_>, column: usize, row: u32) -> Value {
    part.index.index.columns[column].get(row)
}

/// A time series: per item (mutation or query), per date range, a count and a coverage.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Series {
    /// One label per item: the mutation or the query's display name.
    pub labels: Vec<String>,
    /// `cells[item][range]` = (count, coverage).
    pub cells: Vec<Vec<(u64, u64)>>,
    /// Rows per date range.
    pub totals: Vec<u64>,
}

/// One date range of a series (inclusive bounds, either open).
pub type DateRange = (Option<chrono::NaiveDate>, Option<chrono::NaiveDate>);

/// Per part, the rows of each date range among the filtered rows.
fn rows_per_range(
    parts: &[Part<'_>],
    filters: &LapisRequest,
    date_field: &str,
    ranges: &[DateRange],
    budget: &Budget,
) -> Result<Vec<Vec<RoaringBitmap>>, QueryError> {
    parts
        .iter()
        .map(|p| {
            budget.check()?;
            let index = &p.index.index;
            let column = index
                .columns
                .iter()
                .position(|c| c.name.eq_ignore_ascii_case(date_field))
                .filter(|&c| index.columns[c].kind == virion_index::ColumnType::Date)
                .ok_or_else(|| QueryError::BadValue {
                    parameter: "dateField".into(),
                    value: date_field.to_owned(),
                    reason: "not a date field".into(),
                })?;
            let base = p.index.select(filters, p.visible)?;
            let day = |d: &Option<chrono::NaiveDate>| d.map(|d| f64::from(virion_index::day_number(d)));
            Ok(ranges
                .iter()
                .map(|(from, to)| {
                    index.refine(&virion_index::Filter::Range { column, from: day(from), to: day(to) }, &base)
                })
                .collect())
        })
        .collect()
}

fn totals(per_part: &[Vec<RoaringBitmap>], ranges: usize) -> Vec<u64> {
    (0..ranges).map(|i| per_part.iter().map(|p| p[i].len()).sum()).collect()
}

/// `/component/{nucleotide,aminoAcid}MutationsOverTime`: for each mutation and date range,
/// the rows carrying it and the rows covered at its position.
pub fn mutations_over_time(
    parts: &[Part<'_>],
    filters: &LapisRequest,
    mutations: &[String],
    date_field: &str,
    ranges: &[DateRange],
    amino_acid: bool,
    budget: &Budget,
) -> Result<Series, QueryError> {
    let per_part = rows_per_range(parts, filters, date_field, ranges, budget)?;
    let mut cells = Vec::with_capacity(mutations.len());
    for text in mutations {
        let mut row = vec![(0u64, 0u64); ranges.len()];
        for (p, rows) in parts.iter().zip(&per_part) {
            budget.check()?;
            let index = &p.index.index;
            let q = crate::mutation::parse(text, amino_acid, "includeMutations")?;
            let filter = crate::mutation::to_filter(index, &q, amino_acid, false, "includeMutations")?;
            let (gene, sequence, position) = match &filter {
                virion_index::Filter::Letter(l) => l.site().column(),
                virion_index::Filter::Mutated(site) => site.column(),
                _ => {
                    return Err(QueryError::Mutation {
                        parameter: "includeMutations".into(),
                        value: text.clone(),
                        reason: "MAYBE() is not allowed here".into(),
                    });
                }
            };
            let column = index.sequence(gene, sequence);
            let matched = index.evaluate(&filter);
            let alphabet = column.alphabet;
            let covered = column.rows_where(position, move |l| alphabet.is_definite(l));
            for (cell, r) in row.iter_mut().zip(rows) {
                cell.0 += r.intersection_len(&matched);
                cell.1 += r.intersection_len(&covered);
            }
        }
        cells.push(row);
    }
    Ok(Series { labels: mutations.to_vec(), cells, totals: totals(&per_part, ranges.len()) })
}

/// `/component/queriesOverTime`: for each (label, countQuery, coverageQuery) and date range,
/// the rows matching each advancedQuery.
pub fn queries_over_time(
    parts: &[Part<'_>],
    filters: &LapisRequest,
    queries: &[(String, String, String)],
    date_field: &str,
    ranges: &[DateRange],
    budget: &Budget,
) -> Result<Series, QueryError> {
    let per_part = rows_per_range(parts, filters, date_field, ranges, budget)?;
    let mut cells = Vec::with_capacity(queries.len());
    for (_, count_query, coverage_query) in queries {
        let mut row = vec![(0u64, 0u64); ranges.len()];
        for (p, rows) in parts.iter().zip(&per_part) {
            budget.check()?;
            let cx = p.index.context();
            let count = p.index.index.evaluate(&cx.convert(&crate::parse_advanced(count_query)?, false)?);
            let coverage =
                p.index.index.evaluate(&cx.convert(&crate::parse_advanced(coverage_query)?, false)?);
            for (cell, r) in row.iter_mut().zip(rows) {
                cell.0 += r.intersection_len(&count);
                cell.1 += r.intersection_len(&coverage);
            }
        }
        cells.push(row);
    }
    Ok(Series {
        labels: queries.iter().map(|q| q.0.clone()).collect(),
        cells,
        totals: totals(&per_part, ranges.len()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The thresholded sample is exactly the `keep` smallest keys of a full sort, over several
    /// parts and slices.
    #[test]
    fn sample_matches_full_order() {
        let parts = vec![
            (0..3_000_000u32).filter(|r| r % 3 != 1).collect::<RoaringBitmap>(),
            (0..5000u32).collect::<RoaringBitmap>(),
        ];
        for (seed, keep) in [(1u64, 1usize), (42, 100), (7, 5000)] {
            let mut all: Vec<KeyedRow> = parts
                .iter()
                .enumerate()
                .flat_map(|(p, rows)| rows.iter().map(move |r| random_key(seed, p, r)))
                .collect();
            all.sort_unstable();
            all.truncate(keep);
            let mut got = smallest_keys(&parts, seed, keep, &Budget::default()).unwrap().unwrap();
            got.sort_unstable();
            assert_eq!(got, all, "seed {seed}, keep {keep}");
        }
        assert_eq!(smallest_keys(&parts, 3, 0, &Budget::default()).unwrap(), Some(Vec::new()));
    }
}
