//! Adding up the nodes' parts into one answer, exactly as one node holding all their data
//! would answer: group counts add by key; mutation counts add, and so do coverages (each
//! node's coverage of a site once, with a second round asking the nodes that saw no mutation
//! at a site for their coverage there), before proportions are taken and `minProportion`
//! applied; insertion counts add; detail rows are pooled; then the merged table is ordered,
//! paged and projected as on one node ([`virion_query::execute::finish`]). The virtual field
//! `node` is the answering node's name.

use std::collections::{BTreeSet, HashMap};

use virion_query::execute::{DEFAULT_MIN_PROPORTION, Endpoint, finish, mutation_table};
use virion_query::{Cell, LapisRequest, MutationProportion, QueryError, Table, mix, silo_order};

use crate::wire::{SeriesPart, Site};

/// The name of the virtual field holding the answering node.
pub const NODE_FIELD: &str = "node";

/// Whether a field name is the virtual `node` field.
pub fn is_node_field(name: &str) -> bool {
    name.eq_ignore_ascii_case(NODE_FIELD)
}

fn key(cells: &[Cell]) -> String {
    format!("{cells:?}")
}

fn int(cell: &Cell) -> u64 {
    match cell {
        Cell::Int(n) => (*n).max(0) as u64,
        _ => 0,
    }
}

fn text(cell: &Cell) -> Option<&str> {
    match cell {
        Cell::Str(s) => Some(s),
        _ => None,
    }
}

fn column(table: &Table, name: &str) -> Result<usize, QueryError> {
    table.columns.iter().position(|c| c == name).ok_or_else(|| QueryError::BadValue {
        parameter: "part".into(),
        value: table.columns.join(","),
        reason: format!("a node's part has no {name} column"),
    })
}

/// `/aggregated`: `parts` are (node, table grouped by `req.fields` without `node`); `req` is
/// the asker's request (its `fields` may name `node`).
pub fn aggregated(parts: &[(String, Table)], req: &LapisRequest) -> Result<Table, QueryError> {
    let node_at = req.fields.iter().position(|f| is_node_field(f));
    let mut columns: Vec<String> = req.fields.iter().filter(|f| !is_node_field(f)).cloned().collect();
    let mut merged: Vec<(Vec<Cell>, u64)> = Vec::new();
    let mut at: HashMap<String, usize> = HashMap::new();
    for (node, table) in parts {
        let count = column(table, "count")?;
        // The node's names (LAPIS's spelling of the fields it resolved) win over the asker's.
        columns = table.columns.iter().filter(|c| *c != "count").cloned().collect();
        for row in &table.rows {
            let mut cells: Vec<Cell> =
                row.iter().enumerate().filter(|&(i, _)| i != count).map(|(_, c)| c.clone()).collect();
            if let Some(i) = node_at {
                cells.insert(i.min(cells.len()), Cell::Str(node.clone()));
            }
            let n = int(&row[count]);
            match at.get(&key(&cells)) {
                Some(&i) => merged[i].1 += n,
                None => {
                    at.insert(key(&cells), merged.len());
                    merged.push((cells, n));
                }
            }
        }
    }
    if let Some(i) = node_at {
        columns.insert(i.min(columns.len()), NODE_FIELD.to_owned());
    }
    if req.fields.is_empty() {
        merged = vec![(Vec::new(), merged.iter().map(|m| m.1).sum())];
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
    finish(Endpoint::Aggregated, Table { columns, rows }, req)
}

/// The sums of the mutation endpoints' parts, kept between the two rounds.
///
/// Round one: each node reports the mutations at or over `minProportion` among its rows, with
/// count and coverage. A mutation over the threshold overall is over it on at least one node
/// (the overall proportion is the nodes' proportions averaged with their coverages as weights,
/// never above the largest), so the union of the reports holds every mutation of the answer.
/// Round two: each node gives count and coverage of the candidates it did not report (under
/// the threshold there, or absent: count 0 and its coverage of the site). Coverage is a
/// property of a site, so each node's coverage of a site is added once.
#[derive(Debug, Default)]
pub struct Mutations {
    /// By mutation text: (sequence name, from, to, position, count).
    found: HashMap<String, (Option<String>, String, String, u32, u64)>,
    /// By site: the coverage summed over the nodes that told it.
    coverage: HashMap<Site, u64>,
    /// Per node (in the order added), the sites it told the coverage of.
    told: Vec<BTreeSet<Site>>,
    /// Per node, the mutations it gave a count of.
    counted: Vec<BTreeSet<String>>,
    /// Mutations a node withheld its count or coverage of: not exact.
    withheld: BTreeSet<String>,
}

impl Mutations {
    /// Adds one node's part (a whole mutation table of the mutations at or over the
    /// threshold there); returns the node's number for [`Mutations::missing`].
    pub fn add(&mut self, table: &Table) -> Result<usize, QueryError> {
        let [mutation, count, coverage, sequence, from, to, position] =
            ["mutation", "count", "coverage", "sequenceName", "mutationFrom", "mutationTo", "position"]
                .map(|c| column(table, c));
        let (mutation, count, coverage, sequence, from, to, position) =
            (mutation?, count?, coverage?, sequence?, from?, to?, position?);
        let (mut told, mut counted) = (BTreeSet::new(), BTreeSet::new());
        for row in &table.rows {
            let name = text(&row[sequence]).map(str::to_owned);
            let site =
                Site { sequence: name.clone().unwrap_or_default(), position: int(&row[position]) as u32 };
            if told.insert(site.clone()) {
                *self.coverage.entry(site).or_default() += int(&row[coverage]);
            }
            let id = text(&row[mutation]).unwrap_or_default().to_owned();
            counted.insert(id.clone());
            let entry = self.found.entry(id).or_insert_with(|| {
                (
                    name,
                    text(&row[from]).unwrap_or_default().to_owned(),
                    text(&row[to]).unwrap_or_default().to_owned(),
                    int(&row[position]) as u32,
                    0,
                )
            });
            entry.4 += int(&row[count]);
        }
        self.told.push(told);
        self.counted.push(counted);
        Ok(self.told.len() - 1)
    }

    /// The candidates node `node` did not report, with their sites, in a fixed order.
    pub fn missing(&self, node: usize) -> Vec<(String, Site)> {
        let mut out: Vec<(String, Site)> = self
            .found
            .iter()
            .filter(|(m, _)| !self.counted[node].contains(*m))
            .map(|(m, (sequence, _, _, position, _))| {
                (m.clone(), Site { sequence: sequence.clone().unwrap_or_default(), position: *position })
            })
            .collect();
        out.sort();
        out
    }

    /// Adds node `node`'s (count, coverage) of `asked` (the second round); `None`: withheld.
    pub fn add_counts(&mut self, node: usize, asked: &[(String, Site)], answers: &[Option<(u64, u64)>]) {
        for ((mutation, site), answer) in asked.iter().zip(answers) {
            let Some((count, coverage)) = answer else {
                self.withheld.insert(mutation.clone());
                continue;
            };
            if let Some(entry) = self.found.get_mut(mutation) {
                entry.4 += count;
            }
            self.counted[node].insert(mutation.clone());
            if self.told[node].insert(site.clone()) {
                *self.coverage.entry(site.clone()).or_default() += coverage;
            }
        }
    }

    /// Mutations whose count or coverage a node withheld (below its minimum cell): their
    /// figures lack that node's.
    pub fn withheld(&self) -> usize {
        self.withheld.len()
    }

    /// The merged answer: proportions from the summed count and coverage, `minProportion`
    /// applied to them, SILO's order, then ordered, paged and projected as `req` asks.
    pub fn finish(self, endpoint: Endpoint, req: &LapisRequest) -> Result<Table, QueryError> {
        let min = req.min_proportion.unwrap_or(DEFAULT_MIN_PROPORTION);
        let mut named = endpoint == Endpoint::AminoAcidMutations;
        let mut found = Vec::new();
        for (mutation, (sequence, from, to, position, count)) in self.found {
            let site = Site { sequence: sequence.clone().unwrap_or_default(), position };
            let coverage = self.coverage.get(&site).copied().unwrap_or(0);
            if coverage == 0 || count == 0 {
                continue;
            }
            let proportion = count as f64 / coverage as f64;
            if proportion < min {
                continue;
            }
            named |= sequence.is_some();
            found.push(MutationProportion {
                mutation,
                sequence_name: sequence.unwrap_or_default(),
                mutation_from: from.chars().next().unwrap_or('?'),
                mutation_to: to.chars().next().unwrap_or('?'),
                position,
                count,
                coverage,
                proportion,
            });
        }
        found.sort_by(silo_order);
        finish(endpoint, mutation_table(found, named), req)
    }
}

/// The insertion endpoints: counts add by insertion.
pub fn insertions(
    parts: &[(String, Table)],
    endpoint: Endpoint,
    req: &LapisRequest,
) -> Result<Table, QueryError> {
    let mut columns = virion_query::execute::INSERTION_FIELDS.map(str::to_owned).to_vec();
    let mut merged: Vec<Vec<Cell>> = Vec::new();
    let mut at: HashMap<String, usize> = HashMap::new();
    for (_, table) in parts {
        let insertion = column(table, "insertion")?;
        let count = column(table, "count")?;
        columns.clone_from(&table.columns);
        for row in &table.rows {
            let id = text(&row[insertion]).unwrap_or_default().to_owned();
            match at.get(&id) {
                Some(&i) => {
                    let n = int(&merged[i][count]) + int(&row[count]);
                    merged[i][count] = Cell::Int(n as i64);
                }
                None => {
                    at.insert(id, merged.len());
                    merged.push(row.clone());
                }
            }
        }
    }
    // Without an order, SILO's: by sequence, position, inserted letters.
    let (sequence, position, symbols) = (4, 3, 2);
    merged.sort_by(|a, b| {
        (text(&a[sequence]), int(&a[position]), text(&a[symbols])).cmp(&(
            text(&b[sequence]),
            int(&b[position]),
            text(&b[symbols]),
        ))
    });
    finish(endpoint, Table { columns, rows: merged }, req)
}

/// A merged time series and how many cells a node withheld.
#[derive(Debug, Clone, PartialEq)]
pub struct MergedSeries {
    /// The series: per item and range, counts and coverages added.
    pub series: virion_query::execute::Series,
    /// Cells (and totals) a node withheld: those sums lack that node's small counts.
    pub withheld: u64,
}

/// The time-series parts of the nodes, added cell by cell (every node answers the same items
/// and ranges, in the order asked).
pub fn series(parts: &[SeriesPart]) -> MergedSeries {
    let mut merged =
        virion_query::execute::Series { labels: Vec::new(), cells: Vec::new(), totals: Vec::new() };
    let mut withheld = 0;
    for SeriesPart { labels, cells, totals } in parts {
        if merged.labels.is_empty() {
            merged.labels.clone_from(labels);
            merged.cells = cells.iter().map(|row| vec![(0, 0); row.len()]).collect();
            merged.totals = vec![0; totals.len()];
        }
        for (sum, row) in merged.cells.iter_mut().zip(cells) {
            for (s, cell) in sum.iter_mut().zip(row) {
                match cell {
                    Some((c, v)) => {
                        s.0 += c;
                        s.1 += v;
                    }
                    None => withheld += 1,
                }
            }
        }
        for (sum, t) in merged.totals.iter_mut().zip(totals) {
            match t {
                Some(t) => *sum += t,
                None => withheld += 1,
            }
        }
    }
    MergedSeries { series: merged, withheld }
}

/// The nodes' detail rows on the columns they all have, `node` inserted where asked: per node,
/// its rows in its order; and the columns.
fn common_rows(parts: &[(String, Table)], req: &LapisRequest) -> (Vec<String>, Vec<Vec<Vec<Cell>>>) {
    let node_at = req.fields.iter().position(|f| is_node_field(f));
    let Some((_, first)) = parts.first() else { return (req.fields.clone(), Vec::new()) };
    let mut columns: Vec<String> =
        first.columns.iter().filter(|c| parts.iter().all(|(_, t)| t.columns.contains(c))).cloned().collect();
    let mut per_node = Vec::with_capacity(parts.len());
    for (node, table) in parts {
        let at: Vec<usize> = columns
            .iter()
            .map(|c| table.columns.iter().position(|t| t == c).expect("a common column"))
            .collect();
        let rows = table
            .rows
            .iter()
            .map(|row| {
                let mut cells: Vec<Cell> = at.iter().map(|&i| row[i].clone()).collect();
                if let Some(i) = node_at {
                    cells.insert(i.min(cells.len()), Cell::Str(node.clone()));
                }
                cells
            })
            .collect();
        per_node.push(rows);
    }
    if let Some(i) = node_at {
        columns.insert(i.min(columns.len()), NODE_FIELD.to_owned());
    }
    (columns, per_node)
}

/// `/details`: rows of the nodes that share records, on the columns they all have (plus
/// `node` where asked), ordered and paged over all of them.
pub fn details(parts: &[(String, Table)], req: &LapisRequest) -> Result<Table, QueryError> {
    let (columns, per_node) = common_rows(parts, req);
    let rows = per_node.into_iter().flatten().collect();
    finish(Endpoint::Details, Table { columns, rows }, req)
}

/// For a random order over nodes holding `counts` matching rows: for each of the first `n`
/// rows of the pooled order, the node it comes from. Drawing each next row's node with
/// probability (its rows left) / (all rows left), then taking that node's next row in its own
/// uniformly random order, reads a uniformly random permutation of the pooled rows; so each
/// node sends only its share of the page, never all its rows.
pub fn random_draw(seed: u64, counts: &[u64], n: usize) -> Vec<usize> {
    let mut left = counts.to_vec();
    let mut total: u64 = left.iter().sum();
    let mut out = Vec::with_capacity(n.min(total as usize));
    while out.len() < n && total > 0 {
        let mut r = mix(seed, out.len() as u64) % total;
        let node = left
            .iter()
            .position(|&l| {
                if r < l {
                    true
                } else {
                    r -= l;
                    false
                }
            })
            .expect("r < total");
        left[node] -= 1;
        total -= 1;
        out.push(node);
    }
    out
}

/// `/details` in a random order: `parts` hold each node's first rows in its own random order
/// (as many as `draw` takes from it), `draw` is [`random_draw`]'s; `offset` and `limit` of
/// `req` apply to the drawn order.
pub fn details_random(parts: &[(String, Table)], draw: &[usize], req: &LapisRequest) -> Table {
    let (columns, per_node) = common_rows(parts, req);
    let mut next: Vec<std::vec::IntoIter<Vec<Cell>>> = per_node.into_iter().map(Vec::into_iter).collect();
    let rows = draw
        .iter()
        .filter_map(|&node| next.get_mut(node).and_then(Iterator::next))
        .skip(req.offset)
        .take(req.limit.unwrap_or(usize::MAX))
        .collect();
    Table { columns, rows }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mutations(rows: &[(&str, u32, i64, i64)]) -> Table {
        Table {
            columns: virion_query::execute::MUTATION_FIELDS.map(str::to_owned).to_vec(),
            rows: rows
                .iter()
                .map(|&(to, position, count, coverage)| {
                    vec![
                        Cell::Str(format!("C{position}{to}")),
                        Cell::Int(count),
                        Cell::Int(coverage),
                        Cell::Float(count as f64 / coverage as f64),
                        Cell::Null,
                        Cell::Str("C".into()),
                        Cell::Str(to.into()),
                        Cell::Int(position.into()),
                    ]
                })
                .collect(),
        }
    }

    /// Candidates come from the nodes where a mutation reaches the threshold; the second round
    /// adds the others' counts, and the threshold applies to the sums.
    #[test]
    fn min_proportion_applies_to_the_merged_count_and_coverage() {
        let mut m = Mutations::default();
        // At 5%: node 0 reports nothing (C10T, C20T at 4% there); node 1 reports C20T (8%) and
        // C30T (6%). C20T: 4 + 8 of 200 = 6%: in. C30T: 0 + 6 of 200 = 3%: out. C10T is 4% on
        // both, so 4% overall: never a candidate, rightly.
        let a = m.add(&mutations(&[])).unwrap();
        let b = m.add(&mutations(&[("T", 20, 8, 100), ("T", 30, 6, 100)])).unwrap();
        assert!(m.missing(b).is_empty());
        let missing = m.missing(a);
        let site = |position| Site { sequence: String::new(), position };
        assert_eq!(missing, [("C20T".to_owned(), site(20)), ("C30T".to_owned(), site(30))]);
        m.add_counts(a, &missing, &[Some((4, 100)), Some((0, 100))]);
        let req = LapisRequest { min_proportion: Some(0.05), ..LapisRequest::default() };
        let table = m.finish(Endpoint::NucleotideMutations, &req).unwrap();
        let rows: Vec<(Cell, Cell, Cell)> =
            table.rows.iter().map(|r| (r[0].clone(), r[1].clone(), r[2].clone())).collect();
        assert_eq!(rows, [(Cell::Str("C20T".into()), Cell::Int(12), Cell::Int(200))]);
    }

    /// The pooled random order takes from each node in proportion to what it holds, and as
    /// many rows as asked, never more than there are.
    #[test]
    fn random_draws_follow_the_counts() {
        let draw = random_draw(7, &[900, 100, 0], 10_000);
        assert_eq!(draw.len(), 1000);
        assert_eq!(draw.iter().filter(|&&n| n == 1).count(), 100);
        let first: Vec<usize> = random_draw(7, &[900, 100, 0], 500);
        let from_second = first.iter().filter(|&&n| n == 1).count();
        assert!((25..=75).contains(&from_second), "{from_second} of 500 from the node with a tenth");
        assert_eq!(random_draw(7, &[900, 100, 0], 500), first, "a seed fixes the order");
        assert_ne!(random_draw(8, &[900, 100, 0], 500), first);
    }

    #[test]
    fn groups_add_up_and_node_is_a_field() {
        let part = |rows: &[(&str, i64)]| Table {
            columns: vec!["country".into(), "count".into()],
            rows: rows.iter().map(|&(c, n)| vec![Cell::Str(c.into()), Cell::Int(n)]).collect(),
        };
        let parts =
            vec![("de".to_owned(), part(&[("DE", 5), ("FR", 1)])), ("fr".to_owned(), part(&[("FR", 7)]))];
        let req = LapisRequest { fields: vec!["country".into()], ..LapisRequest::default() };
        let t = aggregated(&parts, &req).unwrap();
        assert_eq!(
            t.rows,
            [vec![Cell::Str("DE".into()), Cell::Int(5)], vec![Cell::Str("FR".into()), Cell::Int(8)]]
        );
        let req = LapisRequest { fields: vec!["node".into(), "country".into()], ..LapisRequest::default() };
        let t = aggregated(&parts, &req).unwrap();
        assert_eq!(t.columns, ["node", "country", "count"]);
        assert_eq!(t.rows.len(), 3);
        let total = aggregated(&parts, &LapisRequest::default()).unwrap();
        assert_eq!(total.rows, [vec![Cell::Int(13)]]);
        let none = aggregated(&[], &LapisRequest::default()).unwrap();
        assert_eq!(none.rows, [vec![Cell::Int(0)]]);
    }
}
