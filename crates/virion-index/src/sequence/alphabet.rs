//! The letters of a sequence column and what they mean: which letter is "unknown", which are
//! definite (counted as coverage), which ambiguity codes may stand for which letters (`MAYBE`).
//! Each letter also has a small index (< [`SYMBOL_SLOTS`]) so that a (position, letter) pair
//! packs into one `u32` key. The letters themselves are `virion-core`'s [`Nuc`] and [`Aa`].

use virion_core::{Aa, Nuc};

/// Letter slots per position in a packed key (`position << SYMBOL_BITS | slot`).
pub const SYMBOL_BITS: u32 = 5;
/// How many slots a position has: room for every amino-acid letter.
pub const SYMBOL_SLOTS: usize = 1 << SYMBOL_BITS;

/// Nucleotide letters in slot order: SILO's 16 nucleotide symbols. The letters are
/// `virion-core`'s; the order is the snapshot format's and must not change.
const NUCLEOTIDE_ORDER: [Nuc; 16] = [
    Nuc::Gap,
    Nuc::A,
    Nuc::C,
    Nuc::G,
    Nuc::T,
    Nuc::R,
    Nuc::Y,
    Nuc::S,
    Nuc::W,
    Nuc::K,
    Nuc::M,
    Nuc::B,
    Nuc::D,
    Nuc::H,
    Nuc::V,
    Nuc::N,
];
/// Amino-acid letters in slot order: SILO's 28 amino-acid symbols (snapshot format, as above).
const AMINO_ACID_ORDER: [Aa; 28] = [
    Aa::Gap,
    Aa::A,
    Aa::C,
    Aa::D,
    Aa::E,
    Aa::F,
    Aa::G,
    Aa::H,
    Aa::I,
    Aa::K,
    Aa::L,
    Aa::M,
    Aa::N,
    Aa::P,
    Aa::Q,
    Aa::R,
    Aa::S,
    Aa::T,
    Aa::V,
    Aa::W,
    Aa::Y,
    Aa::O,
    Aa::U,
    Aa::B,
    Aa::J,
    Aa::Z,
    Aa::Stop,
    Aa::X,
];

// A column stores letters as the bytes of `virion-core`'s letters (their `repr(u8)`
// discriminants), so the tables below are the core alphabets written as bytes once.
const NUCLEOTIDES: [u8; 16] = {
    let mut out = [0; 16];
    let mut i = 0;
    while i < out.len() {
        out[i] = NUCLEOTIDE_ORDER[i].to_byte();
        i += 1;
    }
    out
};
const AMINO_ACIDS: [u8; 28] = {
    let mut out = [0; 28];
    let mut i = 0;
    while i < out.len() {
        out[i] = AMINO_ACID_ORDER[i].to_byte();
        i += 1;
    }
    out
};

/// What a column's letters are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Alphabet {
    /// `virion-core`'s [`Nuc`] letters.
    Nucleotide,
    /// `virion-core`'s [`Aa`] letters.
    AminoAcid,
}

const fn slot_table(letters: &[u8]) -> [u8; 256] {
    let mut table = [u8::MAX; 256];
    let mut i = 0;
    while i < letters.len() {
        table[letters[i] as usize] = i as u8;
        i += 1;
    }
    table
}

const NUCLEOTIDE_SLOTS: [u8; 256] = slot_table(&NUCLEOTIDES);
// Which letters are definite, per byte (mutation counts ask it for every position and letter):
// core's A, C, G, T and gap; every amino-acid letter but X and the ambiguity codes.
const NUCLEOTIDE_DEFINITE: [bool; 256] = {
    let mut table = [false; 256];
    let mut i = 0;
    while i < NUCLEOTIDE_ORDER.len() {
        let n = NUCLEOTIDE_ORDER[i];
        table[n.to_byte() as usize] = n.is_acgt() || n.is_gap();
        i += 1;
    }
    table
};
const AMINO_ACID_DEFINITE: [bool; 256] = {
    let mut table = [false; 256];
    let mut i = 0;
    while i < AMINO_ACID_ORDER.len() {
        let a = AMINO_ACID_ORDER[i];
        table[a.to_byte() as usize] = a.is_definite();
        i += 1;
    }
    table
};
/// Each byte's normal form as a nucleotide (`virion-core`'s reading: either case, `U` as `T`;
/// other bytes upper-cased), one lookup per letter while an index is built.
const NUCLEOTIDE_NORMAL: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = match Nuc::from_byte(b as u8) {
            Some(n) => n.to_byte(),
            None => (b as u8).to_ascii_uppercase(),
        };
        b += 1;
    }
    table
};
const AMINO_ACID_SLOTS: [u8; 256] = slot_table(&AMINO_ACIDS);

impl Alphabet {
    /// The "unknown" letter, stored as missing ranges rather than as a letter.
    pub fn missing(self) -> u8 {
        match self {
            Alphabet::Nucleotide => Nuc::N.to_byte(),
            Alphabet::AminoAcid => Aa::X.to_byte(),
        }
    }

    /// Every letter of the alphabet, in slot order.
    pub fn letters(self) -> &'static [u8] {
        match self {
            Alphabet::Nucleotide => &NUCLEOTIDES,
            Alphabet::AminoAcid => &AMINO_ACIDS,
        }
    }

    /// The slot of an upper-case letter, `None` when it is not in the alphabet.
    #[inline]
    pub fn slot(self, letter: u8) -> Option<u8> {
        let s = match self {
            Alphabet::Nucleotide => NUCLEOTIDE_SLOTS[letter as usize],
            Alphabet::AminoAcid => AMINO_ACID_SLOTS[letter as usize],
        };
        (s != u8::MAX).then_some(s)
    }

    /// The letter of a slot.
    #[inline]
    pub fn letter(self, slot: u8) -> u8 {
        self.letters()[slot as usize]
    }

    /// Letters that name one residue (or a deletion): what coverage counts.
    #[inline]
    pub fn is_definite(self, symbol: u8) -> bool {
        match self {
            Alphabet::Nucleotide => NUCLEOTIDE_DEFINITE[symbol as usize],
            Alphabet::AminoAcid => AMINO_ACID_DEFINITE[symbol as usize],
        }
    }

    /// Whether `symbol` may stand for the definite letter `definite` (IUPAC ambiguity, for
    /// `MAYBE()`); every letter may stand for itself.
    pub fn may_be(self, symbol: u8, definite: u8) -> bool {
        if symbol == definite {
            return true;
        }
        match self {
            Alphabet::Nucleotide => {
                let (Some(symbol), Some(definite)) = (Nuc::from_byte(symbol), Nuc::from_byte(definite))
                else {
                    return false;
                };
                // `N` is missing data here, which may hide a deletion as well as any base.
                (symbol.is_unknown() && definite.is_gap())
                    || (definite.is_acgt() && symbol.is_compatible(definite))
            }
            Alphabet::AminoAcid => match (Aa::from_byte(symbol), Aa::from_byte(definite)) {
                (Some(symbol), Some(definite)) => symbol.may_stand_for(definite),
                _ => false,
            },
        }
    }

    /// Normalises an input letter: upper case, and `U` read as `T` for nucleotides.
    #[inline]
    pub fn normalise(self, letter: u8) -> u8 {
        match self {
            Alphabet::Nucleotide => NUCLEOTIDE_NORMAL[letter as usize],
            Alphabet::AminoAcid => letter.to_ascii_uppercase(),
        }
    }
}

/// The packed key of a letter at a position.
#[inline]
pub(crate) fn key(position: u32, slot: u8) -> u32 {
    position << SYMBOL_BITS | u32::from(slot)
}

#[inline]
pub(crate) fn key_position(key: u32) -> u32 {
    key >> SYMBOL_BITS
}

#[inline]
pub(crate) fn key_slot(key: u32) -> u8 {
    (key & (SYMBOL_SLOTS as u32 - 1)) as u8
}

/// Longest sequence a column may hold: positions must fit a packed key.
pub const MAX_SEQUENCE_LEN: usize = 1 << (32 - SYMBOL_BITS);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_round_trip_and_fit() {
        for alphabet in [Alphabet::Nucleotide, Alphabet::AminoAcid] {
            assert!(alphabet.letters().len() <= SYMBOL_SLOTS);
            for (i, &l) in alphabet.letters().iter().enumerate() {
                assert_eq!(alphabet.slot(l), Some(i as u8));
                assert_eq!(alphabet.letter(i as u8), l);
            }
            assert_eq!(alphabet.slot(b'a'), None, "letters are upper-cased before lookup");
        }
        assert_eq!(Alphabet::Nucleotide.slot(b'E'), None);
        // The slot order is the snapshot format: snapshots written before must read the same.
        assert_eq!(Alphabet::Nucleotide.letters(), b"-ACGTRYSWKMBDHVN");
        assert_eq!(Alphabet::AminoAcid.letters(), b"-ACDEFGHIKLMNPQRSTVWYOUBJZ*X");
        assert_eq!(Alphabet::Nucleotide.normalise(b'u'), b'T');
        let k = key(29_902, 4);
        assert_eq!((key_position(k), key_slot(k)), (29_902, 4));
    }

    #[test]
    fn definite_and_ambiguous() {
        let n = Alphabet::Nucleotide;
        assert!(n.is_definite(b'-') && n.is_definite(b'T') && !n.is_definite(b'R') && !n.is_definite(b'N'));
        assert!(n.may_be(b'R', b'G') && !n.may_be(b'R', b'C') && n.may_be(b'N', b'-'));
        let a = Alphabet::AminoAcid;
        assert!(a.is_definite(b'*') && !a.is_definite(b'X') && !a.is_definite(b'B'));
        assert!(a.may_be(b'X', b'K') && !a.may_be(b'X', b'-') && a.may_be(b'J', b'L'));
    }
}
