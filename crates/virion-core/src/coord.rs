//! Typed 0-based coordinates.
//!
//! Three spaces meet in genome analysis and are easy to confuse: a position on the reference
//! (`NucRefPos`), a column of a pairwise alignment before insertions are stripped (`AlnPos`), and a
//! codon index inside one CDS (`AaPos`). Each is its own type; converting between them is explicit.

use std::fmt;
use std::ops::{Add, Sub};

use serde::{Deserialize, Serialize};

macro_rules! position_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl $name {
            /// Wraps a 0-based position.
            pub const fn new(p: i64) -> Self {
                Self(p)
            }
            /// The 0-based value as an index; callers check the position is not negative.
            pub const fn as_usize(self) -> usize {
                self.0 as usize
            }
            /// The 1-based number people read.
            pub const fn one_based(self) -> i64 {
                self.0 + 1
            }
        }

        impl Add<i64> for $name {
            type Output = Self;
            fn add(self, rhs: i64) -> Self {
                Self(self.0 + rhs)
            }
        }

        impl Sub<i64> for $name {
            type Output = Self;
            fn sub(self, rhs: i64) -> Self {
                Self(self.0 - rhs)
            }
        }

        impl Sub for $name {
            type Output = i64;
            fn sub(self, rhs: Self) -> i64 {
                self.0 - rhs.0
            }
        }

        impl From<usize> for $name {
            fn from(p: usize) -> Self {
                Self(p as i64)
            }
        }

        impl fmt::Display for $name {
            /// Displays 1-based, as every tool in the field prints positions.
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.one_based())
            }
        }
    };
}

position_type!(
    /// 0-based position on the reference genome.
    NucRefPos
);
position_type!(
    /// 0-based column of a pairwise alignment (reference and query may both have gaps).
    AlnPos
);
position_type!(
    /// 0-based codon index within one CDS.
    AaPos
);

/// A half-open range `[begin, end)` in one coordinate space.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
pub struct Range<P> {
    /// First position in the range (inclusive).
    pub begin: P,
    /// One past the last position (exclusive).
    pub end: P,
}

impl<P> Range<P> {
    /// The range `[begin, end)`; not checked, an `end` before `begin` reads as empty.
    pub const fn new(begin: P, end: P) -> Self {
        Self { begin, end }
    }
}

impl<P: Copy + Sub<Output = i64> + Ord> Range<P> {
    /// Number of positions covered; 0 when `end <= begin`.
    pub fn len(&self) -> i64 {
        (self.end - self.begin).max(0)
    }

    /// Whether the range covers no position.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `p` lies in `[begin, end)`.
    pub fn contains(&self, p: P) -> bool {
        self.begin <= p && p < self.end
    }

    /// The overlap of two ranges; an empty range at the later `begin` when they do not overlap.
    pub fn intersect(&self, other: &Self) -> Self {
        let begin = self.begin.max(other.begin);
        let end = self.end.min(other.end).max(begin);
        Self { begin, end }
    }
}

/// A half-open range of reference positions.
pub type NucRange = Range<NucRefPos>;
/// A half-open range of codon indices within one CDS.
pub type AaRange = Range<AaPos>;

impl fmt::Display for NucRange {
    /// `1-7` (1-based, inclusive), or `44` for a single position, as in nextclade.tsv.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_range_1based(f, self.begin.0, self.end.0)
    }
}

impl fmt::Display for AaRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_range_1based(f, self.begin.0, self.end.0)
    }
}

/// Nextclade's text for a range, `empty range` included (a frame shift whose codons are all
/// masked prints so in nextclade.tsv).
fn fmt_range_1based(f: &mut fmt::Formatter<'_>, begin: i64, end: i64) -> fmt::Result {
    match end - begin {
        ..=0 => write!(f, "empty range"),
        1 => write!(f, "{}", begin + 1),
        _ => write!(f, "{}-{}", begin + 1, end),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_print_one_based_inclusive() {
        assert_eq!(NucRange::new(NucRefPos(0), NucRefPos(7)).to_string(), "1-7");
        assert_eq!(NucRange::new(NucRefPos(43), NucRefPos(44)).to_string(), "44");
        assert_eq!(NucRefPos(240).to_string(), "241");
        assert_eq!(AaRange::new(AaPos(89), AaPos(89)).to_string(), "empty range");
    }

    #[test]
    fn range_arithmetic() {
        let a = NucRange::new(NucRefPos(10), NucRefPos(20));
        let b = NucRange::new(NucRefPos(15), NucRefPos(30));
        assert_eq!(a.intersect(&b), NucRange::new(NucRefPos(15), NucRefPos(20)));
        assert_eq!(a.len(), 10);
        assert!(a.contains(NucRefPos(19)) && !a.contains(NucRefPos(20)));
        let disjoint = NucRange::new(NucRefPos(40), NucRefPos(50));
        assert!(a.intersect(&disjoint).is_empty());
    }
}
