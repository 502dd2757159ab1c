//! Letter counts and coverage over a set of rows, accumulated block by block.
//!
//! Counts are kept per (position, letter) in a dense array (a SARS-CoV-2 genome has 29,903
//! positions × 16 letters: 1.9 MB of `i32`), missing data as a difference array over positions.
//! Blocks add their counts, or subtract them: a selection covering most of a block is the
//! block's cached whole count minus the count of the rows left out.

use crate::sequence::alphabet::{Alphabet, key_position, key_slot};

#[derive(Debug, Clone)]
pub(crate) struct Accumulator {
    stride: usize,
    /// `position * stride + slot` → rows carrying that letter.
    pub(crate) counts: Vec<i32>,
    /// Difference array of rows missing each position (`len + 1` entries).
    pub(crate) missing: Vec<i32>,
    /// Rows counted.
    pub(crate) total: i64,
}

impl Accumulator {
    pub(crate) fn new(len: usize, alphabet: Alphabet) -> Accumulator {
        let stride = alphabet.letters().len();
        Accumulator { stride, counts: vec![0; len * stride], missing: vec![0; len + 1], total: 0 }
    }

    #[inline]
    pub(crate) fn add(&mut self, key: u32, delta: i32) {
        let i = key_position(key) as usize * self.stride + key_slot(key) as usize;
        self.counts[i] += delta;
    }

    #[inline]
    pub(crate) fn add_missing(&mut self, start: u32, end: u32, sign: i32) {
        self.missing[start as usize] += sign;
        self.missing[end as usize] -= sign;
    }

    pub(crate) fn merge(mut self, other: Accumulator) -> Accumulator {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        for (a, b) in self.missing.iter_mut().zip(&other.missing) {
            *a += b;
        }
        self.total += other.total;
        self
    }

    pub(crate) fn stride(&self) -> usize {
        self.stride
    }
}

/// An [`Accumulator`]'s non-zero entries, kept per block (a block's whole count).
#[derive(Debug, Clone, Default)]
pub(crate) struct Tally {
    counts: Vec<(u32, i32)>,
    missing: Vec<(u32, i32)>,
    total: i64,
}

impl Tally {
    pub(crate) fn from_accumulator(acc: &Accumulator) -> Tally {
        let nonzero = |v: &[i32]| -> Vec<(u32, i32)> {
            v.iter().enumerate().filter(|(_, c)| **c != 0).map(|(i, &c)| (i as u32, c)).collect()
        };
        Tally { counts: nonzero(&acc.counts), missing: nonzero(&acc.missing), total: acc.total }
    }

    pub(crate) fn apply(&self, acc: &mut Accumulator, sign: i32) {
        for &(i, c) in &self.counts {
            acc.counts[i as usize] += sign * c;
        }
        for &(i, c) in &self.missing {
            acc.missing[i as usize] += sign * c;
        }
        acc.total += i64::from(sign) * self.total;
    }
}
