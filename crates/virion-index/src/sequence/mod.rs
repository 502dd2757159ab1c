//! One aligned sequence column (a genome segment or a gene's peptide) for every row.
//!
//! Rows live in blocks of [`BLOCK_ROWS`] (a roaring container's span, so a block's rows are one
//! container of any row set). Blocks are immutable ([`block`]); appending rows rebuilds only the
//! last, partial block. Filters are answered block by block and united; letter counts are
//! accumulated block by block, a block mostly selected being its cached whole count minus the
//! rows left out.

pub(crate) mod alphabet;
pub(crate) mod block;
mod missing;
pub(crate) mod sparse;
pub(crate) mod tally;

use std::sync::OnceLock;

use rayon::prelude::*;
use roaring::{MultiOps, RoaringBitmap};

pub use alphabet::{Alphabet, MAX_SEQUENCE_LEN};
use block::SeqBlock;
pub use sparse::{SparseError, SparseSeq};
use tally::Accumulator;

/// The first index at or after `from` whose entry is not `before` (entries from `from` on are
/// `before` up to some index, then not), found by galloping from `from`: walking a block's
/// per-row lists for rows in increasing order costs the log of each gap, not of the list,
/// and stays in cache.
pub(crate) fn seek<T>(v: &[T], from: usize, before: impl Fn(&T) -> bool) -> usize {
    let (mut lo, mut step) = (from, 1);
    let mut hi = from;
    while hi < v.len() && before(&v[hi]) {
        lo = hi + 1;
        hi = from + step;
        step *= 2;
    }
    let hi = hi.min(v.len());
    lo + v[lo..hi].partition_point(before)
}

/// Rows per block: a roaring container's span, so block-local row numbers are `u16`-sized.
pub const BLOCK_ROWS: u32 = 1 << 16;

/// Why a column or a row's sequence was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SequenceError {
    /// A row's sequence does not fit the column.
    #[error("{column}: {source}")]
    Row {
        /// The column's name.
        column: String,
        /// What is wrong with the sequence.
        #[source]
        source: SparseError,
    },
    /// The reference has a letter outside the alphabet.
    #[error("{column}: the reference has {letter:?} at position {position}, not a letter of its alphabet")]
    Reference {
        /// The column's name.
        column: String,
        /// 0-based position of the letter.
        position: usize,
        /// The letter.
        letter: char,
    },
    /// The reference is longer than `MAX_SEQUENCE_LEN`.
    #[error("{column}: the reference is longer than {MAX_SEQUENCE_LEN} letters")]
    TooLong {
        /// The column's name.
        column: String,
    },
}

/// Counts of one letter at one position among a set of rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SymbolCount {
    /// 0-based position.
    pub position: u32,
    /// The letter, as an upper-case ASCII byte.
    pub symbol: u8,
    /// Rows of the set with that letter there.
    pub count: u64,
    /// Rows of the set with a definite letter (not missing, not ambiguous) at the position.
    pub coverage: u64,
}

/// Letter counts and coverage over a set of rows (additive: counts of several indexes of the
/// same organism add up).
#[derive(Debug, Clone)]
pub struct LetterCounts {
    acc: Accumulator,
}

impl LetterCounts {
    /// Adds `other` (counts over the same reference).
    pub fn add(&mut self, other: LetterCounts) {
        let acc = std::mem::replace(&mut self.acc, other.acc);
        self.acc = std::mem::replace(&mut self.acc, Accumulator::new(0, Alphabet::Nucleotide)).merge(acc);
    }

    /// Rows counted.
    pub fn rows(&self) -> u64 {
        self.acc.total.max(0) as u64
    }
}

/// An aligned sequence column over all rows.
#[derive(Debug)]
pub struct SequenceColumn {
    /// The segment or gene's name.
    pub name: String,
    /// Nucleotides or amino acids.
    pub alphabet: Alphabet,
    reference: Vec<u8>,
    blocks: Vec<SeqBlock>,
    /// Rows of the partial last block, kept after an append so that the next append needs no
    /// decoding (empty after bulk builds and loads: decoded on demand).
    staged: Vec<SparseSeq>,
    /// Letter counts over every row of the full blocks, computed on first use.
    full: OnceLock<Accumulator>,
}

impl Clone for SequenceColumn {
    fn clone(&self) -> Self {
        SequenceColumn {
            name: self.name.clone(),
            alphabet: self.alphabet,
            reference: self.reference.clone(),
            blocks: self.blocks.clone(),
            staged: self.staged.clone(),
            full: OnceLock::new(),
        }
    }
}

impl SequenceColumn {
    /// A column over `reference` (upper-cased; every letter must belong to the alphabet).
    pub fn new(name: &str, alphabet: Alphabet, reference: &[u8]) -> Result<SequenceColumn, SequenceError> {
        if reference.len() >= MAX_SEQUENCE_LEN {
            return Err(SequenceError::TooLong { column: name.to_owned() });
        }
        let reference: Vec<u8> = reference.iter().map(|&l| alphabet.normalise(l)).collect();
        if let Some(position) = reference.iter().position(|&l| alphabet.slot(l).is_none()) {
            return Err(SequenceError::Reference {
                column: name.to_owned(),
                position,
                letter: reference[position] as char,
            });
        }
        Ok(SequenceColumn {
            name: name.to_owned(),
            alphabet,
            reference,
            blocks: Vec::new(),
            staged: Vec::new(),
            full: OnceLock::new(),
        })
    }

    /// The reference (sequence or peptide) the rows are stored against.
    pub fn reference(&self) -> &[u8] {
        &self.reference
    }

    /// Number of rows.
    pub fn rows(&self) -> u32 {
        self.blocks.last().map_or(0, |b| b.base + b.rows)
    }

    /// Reads an aligned sequence of this column (`None`: not sequenced) into a sparse row.
    pub fn sparse(&self, aligned: Option<&[u8]>) -> Result<SparseSeq, SequenceError> {
        match aligned {
            None => Ok(SparseSeq::unsequenced(self.reference.len())),
            Some(seq) => SparseSeq::from_aligned(seq, &self.reference, self.alphabet)
                .map_err(|source| SequenceError::Row { column: self.name.clone(), source }),
        }
    }

    /// Checks a sparse row built by a caller.
    pub fn check(&self, row: &SparseSeq) -> Result<(), SequenceError> {
        row.check(&self.reference, self.alphabet)
            .map_err(|source| SequenceError::Row { column: self.name.clone(), source })
    }

    /// Appends rows (already checked). Only the last block is rebuilt; full blocks are final.
    pub fn append(&mut self, rows: &[SparseSeq]) {
        let mut rest = rows;
        if let Some(last) = self.blocks.last()
            && last.rows < BLOCK_ROWS
            && !rest.is_empty()
        {
            if self.staged.len() != last.rows as usize {
                self.staged = last.decode_all(&self.reference, self.alphabet);
            }
            let take = rest.len().min((BLOCK_ROWS - last.rows) as usize);
            self.staged.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            let base = last.base;
            self.blocks.pop();
            let refs: Vec<&SparseSeq> = self.staged.iter().collect();
            self.blocks.push(SeqBlock::build(base, &refs, &self.reference, self.alphabet));
            if self.staged.len() == BLOCK_ROWS as usize {
                self.staged.clear();
                self.full = OnceLock::new();
            }
        }
        while !rest.is_empty() {
            let take = rest.len().min(BLOCK_ROWS as usize);
            let refs: Vec<&SparseSeq> = rest[..take].iter().collect();
            let base = self.rows();
            self.blocks.push(SeqBlock::build(base, &refs, &self.reference, self.alphabet));
            if take < BLOCK_ROWS as usize {
                self.staged = rest[..take].to_vec();
            } else {
                self.full = OnceLock::new();
            }
            rest = &rest[take..];
        }
    }

    /// Appends one full or final block built elsewhere (the bulk builder builds blocks of
    /// several columns in parallel).
    pub(crate) fn push_built(&mut self, block: SeqBlock) {
        debug_assert_eq!(block.base, self.rows());
        debug_assert!(self.blocks.last().is_none_or(|b| b.rows == BLOCK_ROWS));
        if block.rows == BLOCK_ROWS {
            self.full = OnceLock::new();
        }
        self.staged.clear();
        self.blocks.push(block);
    }

    pub(crate) fn build_block(&self, base: u32, rows: &[&SparseSeq]) -> SeqBlock {
        SeqBlock::build(base, rows, &self.reference, self.alphabet)
    }

    /// Forgets the decoded rows of the partial last block (they are rebuilt on demand).
    pub fn drop_staged(&mut self) {
        self.staged = Vec::new();
    }

    fn block_of(&self, row: u32) -> &SeqBlock {
        &self.blocks[(row / BLOCK_ROWS) as usize]
    }

    fn per_block(&self, f: impl Fn(&SeqBlock) -> RoaringBitmap + Sync + Send) -> RoaringBitmap {
        if self.blocks.len() <= 4 {
            return self.blocks.iter().map(f).union();
        }
        let parts: Vec<RoaringBitmap> = self.blocks.par_iter().map(f).collect();
        parts.union()
    }

    /// Rows carrying exactly `symbol` at 0-based `pos` (`pos` must be in range).
    pub fn rows_with(&self, pos: u32, symbol: u8) -> RoaringBitmap {
        self.per_block(|b| b.rows_with(pos, symbol, &self.reference, self.alphabet))
    }

    /// Rows whose letter at `pos` satisfies `keep` (rows missing `pos` never do).
    pub fn rows_where(&self, pos: u32, keep: impl Fn(u8) -> bool + Sync + Send) -> RoaringBitmap {
        self.per_block(|b| b.rows_where(pos, &self.reference, self.alphabet, &keep))
    }

    /// Rows whose letter at `pos` cannot be the reference's: not it, not the missing letter,
    /// not an ambiguity code that may stand for it (LAPIS "any mutation", SILO's hasMutation:
    /// at a reference C, `Y` and `N` are no mutation, `R` is).
    pub fn rows_mutated(&self, pos: u32) -> RoaringBitmap {
        let reference = self.reference[pos as usize];
        let alphabet = self.alphabet;
        // An ambiguity code that may stand for the reference's letter is no mutation (SILO).
        self.rows_where(pos, move |s| !alphabet.may_be(s, reference))
    }

    /// Rows whose letter at `pos` may be `symbol` (IUPAC ambiguity, `MAYBE()`), missing rows
    /// included when the unknown letter may stand for it.
    pub fn rows_maybe(&self, pos: u32, symbol: u8) -> RoaringBitmap {
        let alphabet = self.alphabet;
        let mut rows = self.rows_where(pos, move |s| alphabet.may_be(s, symbol));
        if alphabet.may_be(alphabet.missing(), symbol) {
            rows |= self.rows_with(pos, alphabet.missing());
        }
        rows
    }

    /// Rows missing `pos`.
    pub fn rows_missing(&self, pos: u32) -> RoaringBitmap {
        self.rows_with(pos, self.alphabet.missing())
    }

    /// The letter of `row` at `pos`.
    pub fn symbol(&self, row: u32, pos: u32) -> u8 {
        self.block_of(row).symbol(row, pos, &self.reference, self.alphabet)
    }

    /// Whether `row` has no such sequence: every position is missing (an absent sequence is
    /// stored as one missing run; an aligned sequence of nothing but the unknown letter reads
    /// the same).
    pub fn is_unsequenced(&self, row: u32) -> bool {
        self.block_of(row).is_unsequenced(row)
    }

    /// The rows with no such sequence (see [`SequenceColumn::is_unsequenced`]).
    pub fn rows_unsequenced(&self) -> RoaringBitmap {
        self.per_block(|b| b.unsequenced_rows())
    }

    /// The row's sequence relative to the reference.
    pub fn row(&self, row: u32) -> SparseSeq {
        self.block_of(row).decode_row(row, &self.reference, self.alphabet)
    }

    /// The row's aligned sequence, written into `out`.
    pub fn aligned(&self, row: u32, out: &mut Vec<u8>) {
        self.row(row).to_aligned(&self.reference, self.alphabet, out);
    }

    /// Every row of block `block`, decoded (bulk sequence output).
    pub fn block_rows(&self, block: usize) -> Vec<SparseSeq> {
        self.blocks[block].decode_all(&self.reference, self.alphabet)
    }

    /// Number of blocks of [`BLOCK_ROWS`] rows (the last one possibly partial).
    pub fn block_count(&self) -> usize {
        self.blocks.len()
    }

    /// Rows among `among` with a definite letter at `pos`.
    pub fn coverage(&self, pos: u32, among: &RoaringBitmap) -> u64 {
        let alphabet = self.alphabet;
        self.rows_where(pos, move |s| alphabet.is_definite(s)).intersection_len(among)
    }

    /// For every position, each letter other than the reference and the missing letter
    /// carried by rows of `among`, with its count and the position's coverage among them.
    /// Coverage counts definite letters only (LAPIS's proportion denominator).
    pub fn symbol_counts(&self, among: &RoaringBitmap) -> Vec<SymbolCount> {
        let acc = self.accumulate(among);
        self.counts_of(&acc)
    }

    /// The letter counts of `among`, to be added to other columns' counts over the same
    /// reference (another index of the same organism) before reading mutations out.
    pub fn letter_counts(&self, among: &RoaringBitmap) -> LetterCounts {
        LetterCounts { acc: self.accumulate(among) }
    }

    /// The mutations of counts made by [`SequenceColumn::letter_counts`] (of this column or of
    /// a column with the same reference).
    pub fn symbol_counts_of(&self, counts: &LetterCounts) -> Vec<SymbolCount> {
        self.counts_of(&counts.acc)
    }

    /// The selection's letter counts, block by block: a block mostly selected is its whole
    /// count minus the rows left out; when every block is, the column's cached whole count
    /// minus all rows left out.
    fn accumulate(&self, among: &RoaringBitmap) -> Accumulator {
        let len = self.reference.len();
        let (reference, alphabet) = (&self.reference, self.alphabet);
        let selected: Vec<(usize, RoaringBitmap)> = self
            .blocks
            .iter()
            .enumerate()
            .filter_map(|(i, b)| {
                // By reference: cloning `among` for every block would copy it once per block.
                let s = among & &b.all_rows();
                (!s.is_empty()).then_some((i, s))
            })
            .collect();
        let mostly = |i: usize, s: &RoaringBitmap| s.len() * 2 >= u64::from(self.blocks[i].rows);
        let every_full_block_mostly = selected.len() == self.blocks.len()
            && selected.iter().all(|(i, s)| mostly(*i, s))
            && self.blocks.iter().filter(|b| b.rows == BLOCK_ROWS).count() > 1;
        // Each fold part allocates (and the merge walks) a dense accumulator of ~2 MB, so
        // blocks are handed out a few to a part, not one by one.
        let per_part = selected.len().div_ceil(4 * rayon::current_num_threads()).max(1);
        if every_full_block_mostly {
            let mut acc = self.full_counts().clone();
            let parts: Vec<Accumulator> = selected
                .par_iter()
                .with_min_len(per_part)
                .fold(
                    || Accumulator::new(len, alphabet),
                    |mut acc, (i, s)| {
                        let b = &self.blocks[*i];
                        if b.rows == BLOCK_ROWS {
                            let mut left_out = b.all_rows();
                            left_out -= s;
                            b.tally_into(&mut acc, &left_out, -1, reference, alphabet);
                        } else {
                            b.tally_into(&mut acc, s, 1, reference, alphabet);
                        }
                        acc
                    },
                )
                .collect();
            for p in parts {
                acc = acc.merge(p);
            }
            return acc;
        }
        selected
            .par_iter()
            .with_min_len(per_part)
            .fold(
                || Accumulator::new(len, alphabet),
                |mut acc, (i, s)| {
                    let b = &self.blocks[*i];
                    if s.len() == u64::from(b.rows) || !mostly(*i, s) {
                        b.tally_into(&mut acc, s, 1, reference, alphabet);
                    } else {
                        b.tally_into(&mut acc, &b.all_rows(), 1, reference, alphabet);
                        let mut left_out = b.all_rows();
                        left_out -= s;
                        b.tally_into(&mut acc, &left_out, -1, reference, alphabet);
                    }
                    acc
                },
            )
            .reduce_with(Accumulator::merge)
            .unwrap_or_else(|| Accumulator::new(len, alphabet))
    }

    /// Counts over every row of the full blocks.
    fn full_counts(&self) -> &Accumulator {
        self.full.get_or_init(|| {
            let (len, reference, alphabet) = (self.reference.len(), &self.reference, self.alphabet);
            self.blocks
                .par_iter()
                .filter(|b| b.rows == BLOCK_ROWS)
                .fold(
                    || Accumulator::new(len, alphabet),
                    |mut acc, b| {
                        b.tally_into(&mut acc, &b.all_rows(), 1, reference, alphabet);
                        acc
                    },
                )
                .reduce(|| Accumulator::new(len, alphabet), Accumulator::merge)
        })
    }

    fn counts_of(&self, acc: &Accumulator) -> Vec<SymbolCount> {
        let stride = acc.stride();
        let missing_letter = self.alphabet.missing();
        let mut out = Vec::new();
        let mut missing = 0i64;
        for (pos, &reference) in self.reference.iter().enumerate() {
            missing += i64::from(acc.missing[pos]);
            let cells = &acc.counts[pos * stride..(pos + 1) * stride];
            if cells.iter().all(|&c| c == 0) {
                continue;
            }
            let ambiguous: i64 = cells
                .iter()
                .enumerate()
                .filter(|&(s, &c)| c != 0 && !self.alphabet.is_definite(self.alphabet.letter(s as u8)))
                .map(|(_, &c)| i64::from(c))
                .sum();
            let coverage = (acc.total - missing - ambiguous).max(0) as u64;
            for (slot, &count) in cells.iter().enumerate() {
                let letter = self.alphabet.letter(slot as u8);
                if count > 0 && letter != reference && letter != missing_letter {
                    out.push(SymbolCount {
                        position: pos as u32,
                        symbol: letter,
                        count: count as u64,
                        coverage,
                    });
                }
            }
        }
        // Slots are not in letter order; answers are (position, letter).
        out.sort_unstable_by_key(|c| (c.position, c.symbol));
        out
    }

    /// Approximate heap bytes (for the benchmark's memory accounting).
    pub fn bytes(&self) -> usize {
        self.blocks.iter().map(SeqBlock::heap_bytes).sum()
    }

    /// Rows listed as exceptions at `pos`, over all blocks (how far the position strays from
    /// its block majorities; a storage diagnostic).
    pub fn exception_count(&self, pos: u32) -> u64 {
        self.blocks.iter().map(|b| b.exception_count(pos)).sum()
    }

    /// How many blocks are full (majorities final whatever is appended).
    pub fn sealed_blocks(&self) -> usize {
        self.blocks.iter().filter(|b| b.rows == BLOCK_ROWS).count()
    }

    pub(crate) fn blocks(&self) -> &[SeqBlock] {
        &self.blocks
    }

    pub(crate) fn from_blocks(
        name: &str,
        alphabet: Alphabet,
        reference: Vec<u8>,
        blocks: Vec<SeqBlock>,
    ) -> SequenceColumn {
        SequenceColumn {
            name: name.to_owned(),
            alphabet,
            reference,
            blocks,
            staged: Vec::new(),
            full: OnceLock::new(),
        }
    }
}

#[cfg(test)]
mod seek_tests {
    use super::seek;

    #[test]
    fn seek_agrees_with_partition_point_from_every_start() {
        let v: Vec<u32> = vec![0, 0, 1, 3, 3, 3, 3, 4, 7, 7, 8, 9, 9, 9, 9, 9, 9, 9, 12];
        for from in 0..=v.len() {
            for x in 0..14 {
                let expected = from + v[from..].partition_point(|&e| e < x);
                assert_eq!(seek(&v, from, |&e| e < x), expected, "from {from}, x {x}");
            }
        }
    }
}

#[cfg(test)]
mod unsequenced_tests {
    use super::*;

    /// A row without the sequence, a row of nothing but N and rows with some N: only the
    /// first two read as unsequenced, in the last, partial block as in full ones.
    #[test]
    fn unsequenced_rows_are_those_missing_everything() {
        let mut column = SequenceColumn::new("main", Alphabet::Nucleotide, b"ACGT").unwrap();
        let rows: Vec<SparseSeq> = (0..BLOCK_ROWS + 5)
            .map(|i| match i % 4 {
                0 => column.sparse(None).unwrap(),
                1 => column.sparse(Some(b"NNNN")).unwrap(),
                2 => column.sparse(Some(b"ANNT")).unwrap(),
                _ => column.sparse(Some(b"ACGA")).unwrap(),
            })
            .collect();
        column.append(&rows);
        let expected: RoaringBitmap = (0..BLOCK_ROWS + 5).filter(|i| i % 4 < 2).collect();
        assert_eq!(column.rows_unsequenced(), expected);
        for row in [0, 1, 2, 3, BLOCK_ROWS, BLOCK_ROWS + 1, BLOCK_ROWS + 2, BLOCK_ROWS + 3] {
            assert_eq!(column.is_unsequenced(row), row % 4 < 2, "row {row}");
        }
    }
}
