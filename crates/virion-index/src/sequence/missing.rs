//! Missing data (runs of the unknown letter) of one block's rows.
//!
//! Kept per row as ranges, never as per-position bitmaps: amplicon dropouts are runs of
//! hundreds of positions in a few percent of genomes, and nearly every genome has unsequenced
//! ends. Three locators answer "which rows are missing position p": leading runs (starting at
//! 0) sorted by their end, trailing runs (ending at the sequence's end) sorted by their start,
//! and the other runs listed per 256-position bucket. For a position in the middle of a genome
//! only the few dropouts near it are looked at, whatever the ragged ends.

use roaring::RoaringBitmap;

use super::seek;

/// Positions per bucket of the internal-run locator.
const BUCKET: u32 = 256;

/// Lead ends and trail starts of some of a block's rows, each sorted: with them
/// [`MissingRanges::count_at`] counts those rows missing a position in two binary searches
/// plus the dropouts near it, where listing the rows would sort every ragged end.
#[derive(Default)]
pub(crate) struct RowEnds {
    lead_ends: Vec<u32>,
    trail_starts: Vec<u32>,
}

impl RowEnds {
    /// Sorts what [`MissingRanges::note_end`] collected.
    pub(crate) fn sorted(mut self) -> RowEnds {
        self.lead_ends.sort_unstable();
        self.trail_starts.sort_unstable();
        self
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct MissingRanges {
    /// Positions in the sequence.
    len: u32,
    /// Block-local row of each run, in row order (a row's runs are consecutive and sorted).
    pub(crate) run_rows: Vec<u16>,
    pub(crate) runs: Vec<(u32, u32)>,
    /// Runs starting at 0: (end, row), sorted by end.
    leads: Vec<(u32, u16)>,
    /// Runs ending at the sequence's end (and not starting at 0): (start, row), sorted by start.
    trails: Vec<(u32, u16)>,
    /// Other runs, by bucket: `internal[bucket_start[b]..bucket_start[b + 1]]` are the indices
    /// (into `runs`) of the runs that touch bucket `b`.
    bucket_start: Vec<u32>,
    internal: Vec<u32>,
}

impl MissingRanges {
    /// Builds the locators over `runs_of_rows` (one list per block-local row, in row order).
    pub(crate) fn build<'a>(len: u32, runs_of_rows: impl Iterator<Item = &'a [(u32, u32)]>) -> MissingRanges {
        let mut m = MissingRanges { len, ..MissingRanges::default() };
        let buckets = len.div_ceil(BUCKET) as usize;
        let mut per_bucket: Vec<u32> = vec![0; buckets + 1];
        for (row, runs) in runs_of_rows.enumerate() {
            for &(s, e) in runs {
                m.run_rows.push(row as u16);
                m.runs.push((s, e));
                if s == 0 {
                    m.leads.push((e, row as u16));
                } else if e == len {
                    m.trails.push((s, row as u16));
                } else {
                    for b in s / BUCKET..=(e - 1) / BUCKET {
                        per_bucket[b as usize + 1] += 1;
                    }
                }
            }
        }
        for b in 0..buckets {
            per_bucket[b + 1] += per_bucket[b];
        }
        let mut fill = per_bucket.clone();
        m.internal = vec![0; per_bucket[buckets] as usize];
        for (i, &(s, e)) in m.runs.iter().enumerate() {
            if s == 0 || e == len {
                continue;
            }
            for b in s / BUCKET..=(e - 1) / BUCKET {
                m.internal[fill[b as usize] as usize] = i as u32;
                fill[b as usize] += 1;
            }
        }
        m.bucket_start = per_bucket;
        m.leads.sort_unstable();
        m.trails.sort_unstable();
        m
    }

    /// The runs of one block-local row, looked up from `cursor` (0, or where the previous,
    /// smaller row's runs ended; moved past this row's).
    pub(crate) fn of_row_from(&self, row: u16, cursor: &mut usize) -> &[(u32, u32)] {
        let a = seek(&self.run_rows, *cursor, |&r| r < row);
        let b = seek(&self.run_rows, a, |&r| r <= row);
        *cursor = b;
        &self.runs[a..b]
    }

    /// The runs of one block-local row.
    pub(crate) fn of_row(&self, row: u16) -> &[(u32, u32)] {
        let a = self.run_rows.partition_point(|&r| r < row);
        let b = a + self.run_rows[a..].partition_point(|&r| r <= row);
        &self.runs[a..b]
    }

    pub(crate) fn is_missing(&self, row: u16, pos: u32) -> bool {
        let runs = self.of_row(row);
        let i = runs.partition_point(|r| r.0 <= pos);
        i > 0 && runs[i - 1].1 > pos
    }

    /// Whether a block-local row misses every position (one run over the whole sequence: a
    /// row without this sequence).
    pub(crate) fn is_entirely_missing(&self, row: u16) -> bool {
        self.len > 0 && self.of_row(row) == [(0, self.len)]
    }

    /// Global rows (block rows offset by `base`) missing every position.
    pub(crate) fn rows_entirely_missing(&self, base: u32) -> RoaringBitmap {
        let from = self.leads.partition_point(|&(end, _)| end < self.len);
        let mut rows: Vec<u32> = self.leads[from..].iter().map(|&(_, r)| base + u32::from(r)).collect();
        rows.sort_unstable();
        RoaringBitmap::from_sorted_iter(rows).expect("sorted, one lead run per row")
    }

    /// Global rows (block rows offset by `base`) missing `pos`.
    pub(crate) fn rows_at(&self, pos: u32, base: u32) -> RoaringBitmap {
        let mut rows: Vec<u32> = Vec::new();
        let lead_from = self.leads.partition_point(|&(end, _)| end <= pos);
        rows.extend(self.leads[lead_from..].iter().map(|&(_, r)| base + u32::from(r)));
        let trail_to = self.trails.partition_point(|&(start, _)| start <= pos);
        rows.extend(self.trails[..trail_to].iter().map(|&(_, r)| base + u32::from(r)));
        let b = (pos / BUCKET) as usize;
        if b + 1 < self.bucket_start.len() {
            let (a, z) = (self.bucket_start[b] as usize, self.bucket_start[b + 1] as usize);
            for &i in &self.internal[a..z] {
                let (s, e) = self.runs[i as usize];
                if s <= pos && pos < e {
                    rows.push(base + u32::from(self.run_rows[i as usize]));
                }
            }
        }
        rows.sort_unstable();
        rows.dedup();
        RoaringBitmap::from_sorted_iter(rows).expect("sorted and deduplicated")
    }

    /// Adds a run `(start, end)` of a kept row to `ends` if it is a lead or a trail;
    /// [`RowEnds::sorted`] then orders them.
    #[inline]
    pub(crate) fn note_end(&self, ends: &mut RowEnds, start: u32, end: u32) {
        if start == 0 {
            ends.lead_ends.push(end);
        } else if end == self.len {
            ends.trail_starts.push(start);
        }
    }

    /// Rows missing `pos` among those `ends` was made for (`keep` accepts the same rows). A
    /// row's runs are disjoint, so each missing row is met once.
    pub(crate) fn count_at(&self, pos: u32, ends: &RowEnds, keep: impl Fn(u16) -> bool) -> u64 {
        let leads = ends.lead_ends.len() - ends.lead_ends.partition_point(|&e| e <= pos);
        let trails = ends.trail_starts.partition_point(|&s| s <= pos);
        let mut internal = 0;
        let b = (pos / BUCKET) as usize;
        if b + 1 < self.bucket_start.len() {
            let (a, z) = (self.bucket_start[b] as usize, self.bucket_start[b + 1] as usize);
            for &i in &self.internal[a..z] {
                let (s, e) = self.runs[i as usize];
                if s <= pos && pos < e && keep(self.run_rows[i as usize]) {
                    internal += 1;
                }
            }
        }
        (leads + trails + internal) as u64
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.run_rows.len() * 2
            + self.runs.len() * 8
            + (self.leads.len() + self.trails.len()) * 8
            + self.bucket_start.len() * 4
            + self.internal.len() * 4
    }

    /// The parts, for snapshots.
    pub(crate) fn parts(&self) -> (&[u16], &[(u32, u32)]) {
        (&self.run_rows, &self.runs)
    }

    /// Rebuilds the locators from stored parts.
    pub(crate) fn from_parts(
        len: u32,
        rows: u32,
        run_rows: Vec<u16>,
        runs: Vec<(u32, u32)>,
    ) -> MissingRanges {
        let mut per_row: Vec<&[(u32, u32)]> = vec![&[]; rows as usize];
        let mut i = 0;
        while i < runs.len() {
            let r = run_rows[i];
            let j = i + run_rows[i..].partition_point(|&x| x == r);
            if let Some(slot) = per_row.get_mut(r as usize) {
                *slot = &runs[i..j];
            }
            i = j;
        }
        MissingRanges::build(len, per_row.into_iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_locators_agree_with_the_runs() {
        let len = 1000;
        let rows: Vec<Vec<(u32, u32)>> = vec![
            vec![(0, 30), (970, 1000)],
            vec![],
            vec![(0, 1000)],
            vec![(10, 20), (300, 700), (990, 1000)],
            vec![(0, 5), (255, 257)],
        ];
        let m = MissingRanges::build(len, rows.iter().map(Vec::as_slice));
        for pos in 0..len {
            let expected: Vec<u32> = rows
                .iter()
                .enumerate()
                .filter(|(_, runs)| runs.iter().any(|&(s, e)| s <= pos && pos < e))
                .map(|(r, _)| 100 + r as u32)
                .collect();
            assert_eq!(m.rows_at(pos, 100).iter().collect::<Vec<_>>(), expected, "pos {pos}");
            let ends_of = |keep: &dyn Fn(u16) -> bool| {
                let mut ends = RowEnds::default();
                for r in (0..rows.len() as u16).filter(|&r| keep(r)) {
                    for &(s, e) in m.of_row(r) {
                        m.note_end(&mut ends, s, e);
                    }
                }
                ends.sorted()
            };
            let mut cursor = 0;
            for r in 0..rows.len() as u16 {
                assert_eq!(m.of_row_from(r, &mut cursor), m.of_row(r), "row {r} from a cursor");
            }
            let odd = |r: u16| r % 2 == 1;
            let kept = expected.iter().filter(|&&r| odd((r - 100) as u16)).count() as u64;
            assert_eq!(m.count_at(pos, &ends_of(&odd), odd), kept, "pos {pos}, odd rows");
            assert_eq!(m.count_at(pos, &ends_of(&|_| true), |_| true), expected.len() as u64);
            for (r, runs) in rows.iter().enumerate() {
                assert_eq!(m.is_missing(r as u16, pos), runs.iter().any(|&(s, e)| s <= pos && pos < e));
            }
        }
        assert_eq!(m.of_row(3), &[(10, 20), (300, 700), (990, 1000)]);
        assert_eq!(m.of_row(1), &[]);
        let (run_rows, runs) = m.parts();
        assert_eq!(MissingRanges::from_parts(len, 5, run_rows.to_vec(), runs.to_vec()), m);
    }
}
