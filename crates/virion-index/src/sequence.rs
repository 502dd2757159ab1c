//! One aligned sequence column (a genome segment or a gene's peptide) for every row.
//!
//! Rows live in blocks of [`BLOCK_ROWS`]. Within a block each position has a *majority*
//! symbol (the reference until the block is sealed, then whatever most covered rows carry);
//! rows carrying any other symbol there are kept in one roaring bitmap per (position,
//! symbol). Missing data (N for nucleotides, X for amino acids) is never put in those bitmaps:
//! amplicon dropouts and ragged ends are runs of hundreds of positions in a few percent of
//! rows, so they are kept per row as ranges, with a coarse per-bucket bitmap to find the rows
//! whose ranges can touch a position. Majority flipping keeps bitmaps small when nearly every
//! row of a block differs from the reference (any recent SARS-CoV-2 lineage).

use std::collections::{BTreeMap, HashMap};

use roaring::RoaringBitmap;

/// Rows per block: a roaring container's span, so block-local row numbers are `u16`-sized.
pub const BLOCK_ROWS: u32 = 1 << 16;
/// Positions per bucket of the missing-data locator.
const BUCKET: u32 = 256;

/// What the column's letters are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alphabet {
    Nucleotide,
    AminoAcid,
}

impl Alphabet {
    /// The "unknown" letter, stored as missing ranges.
    pub fn missing(self) -> u8 {
        match self {
            Alphabet::Nucleotide => b'N',
            Alphabet::AminoAcid => b'X',
        }
    }

    /// Letters that name one residue (or a deletion): what coverage counts.
    pub fn is_definite(self, symbol: u8) -> bool {
        match self {
            Alphabet::Nucleotide => matches!(symbol, b'A' | b'C' | b'G' | b'T' | b'-'),
            Alphabet::AminoAcid => {
                symbol == b'-'
                    || symbol == b'*'
                    || (symbol.is_ascii_uppercase() && !b"XBZJ".contains(&symbol))
            }
        }
    }

    /// The definite letters an ambiguous letter may stand for (IUPAC), for `MAYBE()`.
    pub fn may_be(self, symbol: u8, definite: u8) -> bool {
        if symbol == definite {
            return true;
        }
        match self {
            Alphabet::Nucleotide => {
                let options: &[u8] = match symbol {
                    b'R' => b"AG",
                    b'Y' => b"CT",
                    b'S' => b"GC",
                    b'W' => b"AT",
                    b'K' => b"GT",
                    b'M' => b"AC",
                    b'B' => b"CGT",
                    b'D' => b"AGT",
                    b'H' => b"ACT",
                    b'V' => b"ACG",
                    b'N' => b"ACGT-",
                    _ => b"",
                };
                options.contains(&definite)
            }
            Alphabet::AminoAcid => match symbol {
                b'X' => definite != b'-',
                b'B' => b"DN".contains(&definite),
                b'Z' => b"EQ".contains(&definite),
                b'J' => b"IL".contains(&definite),
                _ => false,
            },
        }
    }
}

/// Why a row's sequence was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SequenceError {
    #[error("{column}: aligned sequence has {got} letters, the reference {expected}")]
    Length { column: String, got: usize, expected: usize },
}

/// A block's letter counts over some of its rows, and the missing-data difference array
/// (position → change in rows missing) of those rows.
#[derive(Debug, Clone, Default)]
struct Tally {
    counts: Vec<((u32, u8), u64)>,
    missing_deltas: Vec<(u32, i64)>,
}

#[derive(Debug, Clone)]
struct Block {
    rows: u32,
    sealed: bool,
    /// Per position, the symbol rows carry unless listed in `exceptions`.
    majority: Vec<u8>,
    /// (position, symbol) → block-local rows carrying that symbol instead of the majority.
    exceptions: BTreeMap<(u32, u8), RoaringBitmap>,
    /// Missing ranges `[start, end)` of the rows that have any, row after row: the `k`-th such
    /// row (in `ranged_rows` order) owns `ranges[range_start[k]..range_start[k + 1]]`. Rows
    /// without missing data cost nothing (most peptides).
    ranges: Vec<[u32; 2]>,
    ranged_rows: RoaringBitmap,
    range_start: Vec<u32>,
    /// Each row's range group number, kept (at sealing) only when most rows have missing
    /// data (ragged ends: every genome): then a lookup is one load instead of a rank.
    group_of: Option<Vec<u32>>,
    /// Counts over all rows of a sealed block, computed on first use.
    full_tally: std::sync::OnceLock<Tally>,
    /// Per bucket: rows whose missing data touches it, and rows missing all of it.
    touches: Vec<RoaringBitmap>,
    covers: Vec<RoaringBitmap>,
}

impl Block {
    fn new(reference: &[u8]) -> Block {
        let buckets = (reference.len() as u32).div_ceil(BUCKET) as usize;
        Block {
            rows: 0,
            sealed: false,
            majority: reference.to_vec(),
            exceptions: BTreeMap::new(),
            ranges: Vec::new(),
            ranged_rows: RoaringBitmap::new(),
            range_start: vec![0],
            group_of: None,
            full_tally: std::sync::OnceLock::new(),
            touches: vec![RoaringBitmap::new(); buckets],
            covers: vec![RoaringBitmap::new(); buckets],
        }
    }

    fn row_ranges(&self, row: u32) -> &[[u32; 2]] {
        let k = match &self.group_of {
            Some(groups) => match groups[row as usize] {
                u32::MAX => return &[],
                k => k as usize,
            },
            None if !self.ranged_rows.contains(row) => return &[],
            None => (self.ranged_rows.rank(row) - 1) as usize,
        };
        let (a, b) = (self.range_start[k], self.range_start[k + 1]);
        &self.ranges[a as usize..b as usize]
    }

    fn is_missing(&self, row: u32, pos: u32) -> bool {
        let ranges = self.row_ranges(row);
        // The last range starting at or before `pos`.
        let i = ranges.partition_point(|r| r[0] <= pos);
        i > 0 && ranges[i - 1][1] > pos
    }

    /// Block-local rows missing `pos`.
    fn missing_at(&self, pos: u32) -> RoaringBitmap {
        let b = (pos / BUCKET) as usize;
        let mut out = self.covers[b].clone();
        for row in self.touches[b].iter() {
            if !out.contains(row) && self.is_missing(row, pos) {
                out.insert(row);
            }
        }
        out
    }

    fn all_rows(&self) -> RoaringBitmap {
        let mut all = RoaringBitmap::new();
        all.insert_range(0..self.rows);
        all
    }

    fn push(&mut self, seq: Option<&[u8]>, alphabet: Alphabet) {
        let row = self.rows;
        let len = self.majority.len() as u32;
        let missing = alphabet.missing();
        let add_range = |block: &mut Block, start: u32, end: u32| {
            block.ranges.push([start, end]);
            let (first, last) = (start / BUCKET, (end - 1) / BUCKET);
            for bucket in first..=last {
                let (lo, hi) = (bucket * BUCKET, ((bucket + 1) * BUCKET).min(len));
                block.touches[bucket as usize].insert(row);
                if start <= lo && end >= hi {
                    block.covers[bucket as usize].insert(row);
                }
            }
        };
        match seq {
            None => {
                if len > 0 {
                    add_range(self, 0, len);
                }
            }
            Some(seq) => {
                let mut run_start: Option<u32> = None;
                for (pos, &symbol) in seq.iter().enumerate() {
                    let pos = pos as u32;
                    if symbol == missing {
                        run_start.get_or_insert(pos);
                        continue;
                    }
                    if let Some(start) = run_start.take() {
                        add_range(self, start, pos);
                    }
                    if symbol != self.majority[pos as usize] {
                        self.exceptions.entry((pos, symbol)).or_default().insert(row);
                    }
                }
                if let Some(start) = run_start {
                    add_range(self, start, len);
                }
            }
        }
        if self.ranges.len() as u32 != *self.range_start.last().expect("starts with 0") {
            self.ranged_rows.insert(row);
            self.range_start.push(self.ranges.len() as u32);
        }
        self.rows += 1;
    }

    /// Makes each position's most common covered symbol its majority (a full block only:
    /// later rows are compared with the majority, so it must not change under them).
    fn seal(&mut self) {
        let mut by_position: BTreeMap<u32, Vec<(u8, u64)>> = BTreeMap::new();
        for (&(pos, symbol), rows) in &self.exceptions {
            by_position.entry(pos).or_default().push((symbol, rows.len()));
        }
        for (pos, symbols) in by_position {
            let covered = u64::from(self.rows) - self.missing_at(pos).len();
            let Some(&(top, count)) = symbols.iter().max_by_key(|(_, n)| *n) else { continue };
            if count * 2 <= covered {
                continue;
            }
            // The old majority's rows: covered rows carrying none of the listed symbols.
            let mut old = self.all_rows();
            old -= self.missing_at(pos);
            for &(symbol, _) in &symbols {
                old -= &self.exceptions[&(pos, symbol)];
            }
            let old_symbol = self.majority[pos as usize];
            self.exceptions.remove(&(pos, top));
            if !old.is_empty() {
                self.exceptions.insert((pos, old_symbol), old);
            }
            self.majority[pos as usize] = top;
        }
        for rows in self.exceptions.values_mut() {
            rows.optimize();
        }
        self.ranged_rows.optimize();
        if self.ranged_rows.len() * 2 > u64::from(self.rows) {
            let mut groups = vec![u32::MAX; self.rows as usize];
            for (k, row) in self.ranged_rows.iter().enumerate() {
                groups[row as usize] = k as u32;
            }
            self.group_of = Some(groups);
        }
        for rows in self.touches.iter_mut().chain(self.covers.iter_mut()) {
            rows.optimize();
        }
        self.sealed = true;
    }

    /// Block-local rows carrying `symbol` at `pos` (`symbol` may be the missing letter).
    fn rows_with(&self, pos: u32, symbol: u8, alphabet: Alphabet) -> RoaringBitmap {
        if symbol == alphabet.missing() {
            return self.missing_at(pos);
        }
        if symbol != self.majority[pos as usize] {
            return self.exceptions.get(&(pos, symbol)).cloned().unwrap_or_default();
        }
        let mut rows = self.all_rows();
        rows -= self.missing_at(pos);
        for (_, other) in self.exceptions.range((pos, 0)..=(pos, u8::MAX)) {
            rows -= other;
        }
        rows
    }

    /// Block-local rows whose symbol at `pos` satisfies `keep` (missing rows never do).
    fn rows_where(&self, pos: u32, keep: impl Fn(u8) -> bool) -> RoaringBitmap {
        let mut rows = RoaringBitmap::new();
        if keep(self.majority[pos as usize]) {
            rows = self.all_rows();
            rows -= self.missing_at(pos);
            for ((_, symbol), other) in self.exceptions.range((pos, 0)..=(pos, u8::MAX)) {
                if !keep(*symbol) {
                    rows -= other;
                }
            }
        } else {
            for ((_, symbol), other) in self.exceptions.range((pos, 0)..=(pos, u8::MAX)) {
                if keep(*symbol) {
                    rows |= other;
                }
            }
        }
        rows
    }

    fn bytes(&self) -> usize {
        self.majority.len()
            + self.exceptions.values().map(|b| b.serialized_size() + 16).sum::<usize>()
            + self.ranges.len() * 8
            + self.range_start.len() * 4
            + self.ranged_rows.serialized_size()
            + self.group_of.as_ref().map_or(0, |g| g.len() * 4)
            + self.touches.iter().chain(&self.covers).map(RoaringBitmap::serialized_size).sum::<usize>()
    }
}

/// Counts of one symbol at one position among a set of rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SymbolCount {
    pub position: u32,
    pub symbol: u8,
    pub count: u64,
    /// Rows of the set with a definite letter (not missing, not ambiguous) at the position.
    pub coverage: u64,
}

/// An aligned sequence column over all rows.
#[derive(Debug, Clone)]
pub struct SequenceColumn {
    pub name: String,
    pub alphabet: Alphabet,
    reference: Vec<u8>,
    blocks: Vec<Block>,
}

impl SequenceColumn {
    pub fn new(name: &str, alphabet: Alphabet, reference: &[u8]) -> SequenceColumn {
        let reference = reference.to_ascii_uppercase();
        SequenceColumn { name: name.to_owned(), alphabet, blocks: Vec::new(), reference }
    }

    pub fn reference(&self) -> &[u8] {
        &self.reference
    }

    pub fn rows(&self) -> u32 {
        self.blocks.iter().map(|b| b.rows).sum()
    }

    /// Appends the next row's aligned sequence (upper case, the reference's length), or
    /// `None` when the row has none (every position missing).
    pub fn push(&mut self, seq: Option<&[u8]>) -> Result<(), SequenceError> {
        if let Some(seq) = seq
            && seq.len() != self.reference.len()
        {
            return Err(SequenceError::Length {
                column: self.name.clone(),
                got: seq.len(),
                expected: self.reference.len(),
            });
        }
        if self.blocks.last().is_none_or(|b| b.rows == BLOCK_ROWS) {
            if let Some(full) = self.blocks.last_mut() {
                full.seal();
            }
            self.blocks.push(Block::new(&self.reference));
        }
        let alphabet = self.alphabet;
        self.blocks.last_mut().expect("a block was just ensured").push(seq, alphabet);
        Ok(())
    }

    fn per_block(&self, f: impl Fn(&Block) -> RoaringBitmap) -> RoaringBitmap {
        let mut out = RoaringBitmap::new();
        for (i, block) in self.blocks.iter().enumerate() {
            let base = i as u32 * BLOCK_ROWS;
            out.extend(f(block).iter().map(|r| base + r));
        }
        out
    }

    /// Rows carrying exactly `symbol` at 0-based `pos` (`pos` must be in range).
    pub fn rows_with(&self, pos: u32, symbol: u8) -> RoaringBitmap {
        self.per_block(|b| b.rows_with(pos, symbol, self.alphabet))
    }

    /// Rows whose letter at `pos` is neither the reference's nor the missing letter
    /// (LAPIS "any mutation"; ambiguity codes count, as in SILO).
    pub fn rows_mutated(&self, pos: u32) -> RoaringBitmap {
        let (reference, missing) = (self.reference[pos as usize], self.alphabet.missing());
        self.per_block(|b| b.rows_where(pos, |s| s != reference && s != missing))
    }

    /// Rows whose letter at `pos` may be `symbol` (IUPAC ambiguity, `MAYBE()`).
    pub fn rows_maybe(&self, pos: u32, symbol: u8) -> RoaringBitmap {
        let alphabet = self.alphabet;
        let mut rows = self.per_block(|b| b.rows_where(pos, |s| alphabet.may_be(s, symbol)));
        if alphabet.may_be(alphabet.missing(), symbol) {
            rows |= self.rows_with(pos, alphabet.missing());
        }
        rows
    }

    /// For every position, each letter other than the reference and the missing letter
    /// carried by rows of `among`, with its count and the position's coverage among them.
    /// Coverage counts definite letters only (LAPIS's proportion denominator).
    pub fn symbol_counts(&self, among: &RoaringBitmap) -> Vec<SymbolCount> {
        let len = self.reference.len();
        // Hash maps: a block holds ~one exception bitmap per private mutation, most with a
        // single row, so this loop runs 10^5 times per block.
        let mut counts: HashMap<(u32, u8), u64> = HashMap::new();
        let mut missing_rows = vec![0i64; len + 1];
        let mut ambiguous = vec![0u64; len];
        let mut total = 0u64;
        for (i, block) in self.blocks.iter().enumerate() {
            let base = i as u32 * BLOCK_ROWS;
            let mut local = RoaringBitmap::new();
            local.extend(among.range(base..base + block.rows).map(|r| r - base));
            if local.is_empty() {
                continue;
            }
            total += local.len();
            // A whole sealed block (a query over everything, or a dashboard's default view)
            // reuses its counts, computed once.
            let fresh;
            let tally = if block.sealed && local.len() == u64::from(block.rows) {
                block.full_tally.get_or_init(|| self.tally(block, &local))
            } else {
                fresh = self.tally(block, &local);
                &fresh
            };
            for &(key, c) in &tally.counts {
                *counts.entry(key).or_default() += c;
            }
            for &(pos, d) in &tally.missing_deltas {
                missing_rows[pos as usize] += d;
            }
        }
        // Ambiguous letters reduce coverage.
        for (&(pos, symbol), &c) in &counts {
            if !self.alphabet.is_definite(symbol) {
                ambiguous[pos as usize] += c;
            }
        }
        let mut missing_at = Vec::with_capacity(len);
        let mut running = 0i64;
        for d in &missing_rows[..len] {
            running += d;
            missing_at.push(running as u64);
        }
        let mut counts: Vec<((u32, u8), u64)> = counts.into_iter().collect();
        counts.sort_unstable();
        counts
            .into_iter()
            .filter(|&((pos, symbol), _)| symbol != self.reference[pos as usize])
            .map(|((pos, symbol), count)| SymbolCount {
                position: pos,
                symbol,
                count,
                coverage: total - missing_at[pos as usize] - ambiguous[pos as usize],
            })
            .collect()
    }

    /// One block's letter counts (other than the majority's remainder being folded in) and
    /// missing-data deltas over the block-local rows `local`.
    fn tally(&self, block: &Block, local: &RoaringBitmap) -> Tally {
        let n = local.len();
        let mut missing: HashMap<u32, i64> = HashMap::new();
        let mut add = |ranges: &[[u32; 2]]| {
            for r in ranges {
                *missing.entry(r[0]).or_default() += 1;
                *missing.entry(r[1]).or_default() -= 1;
            }
        };
        // Walking all ranged rows in order (the k-th owns range group k) beats ranking each
        // selected row once most rows are selected.
        if n * 8 >= block.ranged_rows.len() {
            for (k, row) in block.ranged_rows.iter().enumerate() {
                if local.contains(row) {
                    let (a, b) = (block.range_start[k], block.range_start[k + 1]);
                    add(&block.ranges[a as usize..b as usize]);
                }
            }
        } else {
            for row in (local & &block.ranged_rows).iter() {
                add(block.row_ranges(row));
            }
        }
        let mut counts: HashMap<(u32, u8), u64> = HashMap::new();
        let mut listed: HashMap<u32, u64> = HashMap::new();
        for (&(pos, symbol), rows) in &block.exceptions {
            let c = if rows.len() <= 4 {
                rows.iter().filter(|r| local.contains(*r)).count() as u64
            } else {
                rows.intersection_len(local)
            };
            if c > 0 {
                *listed.entry(pos).or_default() += c;
                *counts.entry((pos, symbol)).or_default() += c;
            }
        }
        // Majority letters that differ from the reference get the remainder, which needs each
        // such position's missing rows among `local`.
        for (pos, &symbol) in block.majority.iter().enumerate() {
            if symbol == self.reference[pos] {
                continue;
            }
            let pos = pos as u32;
            let absent = block.missing_at(pos).intersection_len(local);
            let c = n - absent - listed.get(&pos).copied().unwrap_or(0);
            if c > 0 {
                *counts.entry((pos, symbol)).or_default() += c;
            }
        }
        Tally { counts: counts.into_iter().collect(), missing_deltas: missing.into_iter().collect() }
    }

    /// Rows among `among` with a definite letter at `pos`.
    pub fn coverage(&self, pos: u32, among: &RoaringBitmap) -> u64 {
        let alphabet = self.alphabet;
        self.per_block(|b| b.rows_where(pos, |s| alphabet.is_definite(s))).intersection_len(among)
    }

    /// The letter of `row` at `pos` (for details, sequence output and tests).
    pub fn symbol(&self, row: u32, pos: u32) -> u8 {
        let block = &self.blocks[(row / BLOCK_ROWS) as usize];
        let local = row % BLOCK_ROWS;
        if block.is_missing(local, pos) {
            return self.alphabet.missing();
        }
        for ((_, symbol), rows) in block.exceptions.range((pos, 0)..=(pos, u8::MAX)) {
            if rows.contains(local) {
                return *symbol;
            }
        }
        block.majority[pos as usize]
    }

    /// Approximate heap bytes (for the benchmark's memory accounting).
    pub fn bytes(&self) -> usize {
        self.blocks.iter().map(Block::bytes).sum()
    }

    /// Rows listed in exception bitmaps at `pos`, over all blocks (how far the position
    /// strays from its block majorities; a diagnostic for storage statistics).
    pub fn exception_count(&self, pos: u32) -> u64 {
        self.blocks
            .iter()
            .flat_map(|b| b.exceptions.range((pos, 0)..=(pos, u8::MAX)).map(|(_, rows)| rows.len()))
            .sum()
    }

    /// How many blocks are sealed (full, majorities final).
    pub fn sealed_blocks(&self) -> usize {
        self.blocks.iter().filter(|b| b.sealed).count()
    }
}
