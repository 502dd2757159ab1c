//! What alignment, insertion stripping and range finding need from any alphabet.

use crate::alphabet::{Aa, Nuc};

/// A letter of a sequence alphabet, so one aligner and one insertion stripper serve genomes and
/// peptides alike.
pub trait Letter: Copy + Eq + std::fmt::Debug + Send + Sync + 'static {
    /// The gap `-`.
    const GAP: Self;
    /// The "anything" letter: `N` for nucleotides, `X` for amino acids.
    const UNKNOWN: Self;
    /// Whether this is the gap letter.
    fn is_gap(self) -> bool {
        self == Self::GAP
    }
    /// Whether this is the "anything" letter (`N` or `X`), i.e. missing data.
    fn is_unknown(self) -> bool {
        self == Self::UNKNOWN
    }
    /// The letter as its ASCII byte.
    fn to_byte(self) -> u8;
    /// Parses one ASCII letter, case-insensitively; `None` outside the alphabet.
    fn from_byte(b: u8) -> Option<Self>;
}

impl Letter for Nuc {
    const GAP: Self = Nuc::Gap;
    const UNKNOWN: Self = Nuc::N;
    fn to_byte(self) -> u8 {
        self as u8
    }
    fn from_byte(b: u8) -> Option<Self> {
        Nuc::from_byte(b)
    }
}

impl Letter for Aa {
    const GAP: Self = Aa::Gap;
    const UNKNOWN: Self = Aa::X;
    fn to_byte(self) -> u8 {
        self as u8
    }
    fn from_byte(b: u8) -> Option<Self> {
        Aa::from_byte(b)
    }
}
