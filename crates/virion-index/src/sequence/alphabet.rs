//! The letters of a sequence column and what they mean: which letter is "unknown", which are
//! definite (counted as coverage), which ambiguity codes may stand for which letters (`MAYBE`).
//! Each letter also has a small index (< [`SYMBOL_SLOTS`]) so that a (position, letter) pair
//! packs into one `u32` key.

/// Letter slots per position in a packed key (`position << SYMBOL_BITS | slot`).
pub const SYMBOL_BITS: u32 = 5;
pub const SYMBOL_SLOTS: usize = 1 << SYMBOL_BITS;

/// Nucleotide letters in slot order (SILO's 16 nucleotide symbols; `U` is read as `T`).
const NUCLEOTIDES: &[u8] = b"-ACGTRYSWKMBDHVN";
/// Amino-acid letters in slot order (SILO's 28 amino-acid symbols).
const AMINO_ACIDS: &[u8] = b"-ACDEFGHIKLMNPQRSTVWYOUBJZ*X";

/// What a column's letters are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Alphabet {
    /// SILO's 16 nucleotide symbols (`-ACGTRYSWKMBDHVN`); `N` is the unknown letter.
    Nucleotide,
    /// SILO's 28 amino-acid symbols; `X` is the unknown letter.
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

const NUCLEOTIDE_SLOTS: [u8; 256] = slot_table(NUCLEOTIDES);
const AMINO_ACID_SLOTS: [u8; 256] = slot_table(AMINO_ACIDS);

impl Alphabet {
    /// The "unknown" letter, stored as missing ranges rather than as a letter.
    pub fn missing(self) -> u8 {
        match self {
            Alphabet::Nucleotide => b'N',
            Alphabet::AminoAcid => b'X',
        }
    }

    /// Every letter of the alphabet, in slot order.
    pub fn letters(self) -> &'static [u8] {
        match self {
            Alphabet::Nucleotide => NUCLEOTIDES,
            Alphabet::AminoAcid => AMINO_ACIDS,
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
    pub fn is_definite(self, symbol: u8) -> bool {
        match self {
            Alphabet::Nucleotide => matches!(symbol, b'A' | b'C' | b'G' | b'T' | b'-'),
            Alphabet::AminoAcid => {
                self.slot(symbol).is_some() && !matches!(symbol, b'X' | b'B' | b'Z' | b'J')
            }
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

    /// Normalises an input letter: upper case, and `U` read as `T` for nucleotides.
    #[inline]
    pub fn normalise(self, letter: u8) -> u8 {
        let upper = letter.to_ascii_uppercase();
        if self == Alphabet::Nucleotide && upper == b'U' { b'T' } else { upper }
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
