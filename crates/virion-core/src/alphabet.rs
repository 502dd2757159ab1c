//! Nucleotide and amino-acid letters.
//!
//! Both enums are `repr(u8)` with their IUPAC letter as discriminant, so a sequence converts to
//! text without a lookup and tables can be indexed by the letter byte.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A nucleotide letter: the four bases, the IUPAC ambiguity codes, `N` and the gap `-`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[repr(u8)]
pub enum Nuc {
    /// Adenine.
    A = b'A',
    /// Cytosine.
    C = b'C',
    /// Guanine.
    G = b'G',
    /// Thymine (also read from `U`, uracil).
    T = b'T',
    /// Purine: A or G.
    R = b'R',
    /// Pyrimidine: C or T.
    Y = b'Y',
    /// Strong: C or G.
    S = b'S',
    /// Weak: A or T.
    W = b'W',
    /// Keto: G or T.
    K = b'K',
    /// Amino: A or C.
    M = b'M',
    /// Not A: C, G or T.
    B = b'B',
    /// Not C: A, G or T.
    D = b'D',
    /// Not G: A, C or T.
    H = b'H',
    /// Not T: A, C or G.
    V = b'V',
    /// Any base: unknown or unsequenced.
    N = b'N',
    /// Alignment gap (a deletion relative to the reference), written `-`.
    #[serde(rename = "-")]
    Gap = b'-',
}

/// [`Nuc::from_byte`] of every byte.
const NUC_OF_BYTE: [Option<Nuc>; 256] = {
    let mut t = [None; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = Nuc::parse_byte(b as u8);
        b += 1;
    }
    t
};

impl Nuc {
    /// Every letter, in the order Nextclade lists them in composition tables.
    pub const ALL: [Nuc; 16] = [
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
        Nuc::Gap,
    ];

    /// Parses one letter, case-insensitively; `U` reads as `T` (RNA genomes are written either way).
    /// One table lookup: every genome's letters pass through here.
    #[inline]
    pub const fn from_byte(b: u8) -> Option<Nuc> {
        NUC_OF_BYTE[b as usize]
    }

    /// `from_byte` written out, for building its table.
    const fn parse_byte(b: u8) -> Option<Nuc> {
        Some(match b.to_ascii_uppercase() {
            b'A' => Nuc::A,
            b'C' => Nuc::C,
            b'G' => Nuc::G,
            b'T' | b'U' => Nuc::T,
            b'R' => Nuc::R,
            b'Y' => Nuc::Y,
            b'S' => Nuc::S,
            b'W' => Nuc::W,
            b'K' => Nuc::K,
            b'M' => Nuc::M,
            b'B' => Nuc::B,
            b'D' => Nuc::D,
            b'H' => Nuc::H,
            b'V' => Nuc::V,
            b'N' => Nuc::N,
            b'-' => Nuc::Gap,
            _ => return None,
        })
    }

    /// The IUPAC letter as an ASCII byte (the discriminant).
    pub const fn to_byte(self) -> u8 {
        self as u8
    }

    /// The IUPAC letter as a `char`.
    pub const fn to_char(self) -> char {
        self as u8 as char
    }

    /// One of A, C, G, T.
    pub const fn is_acgt(self) -> bool {
        matches!(self, Nuc::A | Nuc::C | Nuc::G | Nuc::T)
    }

    /// An ambiguity code other than `N` (a "mixed site" in QC terms).
    pub const fn is_ambiguous(self) -> bool {
        !self.is_acgt() && !matches!(self, Nuc::N | Nuc::Gap)
    }

    /// The alignment gap `-`.
    pub const fn is_gap(self) -> bool {
        matches!(self, Nuc::Gap)
    }

    /// `N`, a base of unknown identity (counted as missing data, not as a mutation).
    pub const fn is_unknown(self) -> bool {
        matches!(self, Nuc::N)
    }

    /// The set of bases this letter stands for, as bits A=1, C=2, G=4, T=8 (gap = 0).
    pub const fn bases(self) -> u8 {
        match self {
            Nuc::A => 1,
            Nuc::C => 2,
            Nuc::G => 4,
            Nuc::T => 8,
            Nuc::R => 1 | 4,
            Nuc::Y => 2 | 8,
            Nuc::S => 2 | 4,
            Nuc::W => 1 | 8,
            Nuc::K => 4 | 8,
            Nuc::M => 1 | 2,
            Nuc::B => 2 | 4 | 8,
            Nuc::D => 1 | 4 | 8,
            Nuc::H => 1 | 2 | 8,
            Nuc::V => 1 | 2 | 4,
            Nuc::N => 15,
            Nuc::Gap => 0,
        }
    }

    /// Whether two letters can stand for the same base (IUPAC-aware identity).
    pub const fn is_compatible(self, other: Nuc) -> bool {
        self.bases() & other.bases() != 0
    }

    /// Watson-Crick complement, ambiguity codes included.
    pub const fn complement(self) -> Nuc {
        match self {
            Nuc::A => Nuc::T,
            Nuc::C => Nuc::G,
            Nuc::G => Nuc::C,
            Nuc::T => Nuc::A,
            Nuc::R => Nuc::Y,
            Nuc::Y => Nuc::R,
            Nuc::S => Nuc::S,
            Nuc::W => Nuc::W,
            Nuc::K => Nuc::M,
            Nuc::M => Nuc::K,
            Nuc::B => Nuc::V,
            Nuc::D => Nuc::H,
            Nuc::H => Nuc::D,
            Nuc::V => Nuc::B,
            Nuc::N => Nuc::N,
            Nuc::Gap => Nuc::Gap,
        }
    }
}

impl fmt::Display for Nuc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_char())
    }
}

/// An amino-acid letter: the 20 standard residues, the ambiguity codes, `X`, stop `*` and gap `-`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[repr(u8)]
pub enum Aa {
    /// Alanine.
    A = b'A',
    /// Aspartic acid or asparagine (Asx).
    B = b'B',
    /// Cysteine.
    C = b'C',
    /// Aspartic acid.
    D = b'D',
    /// Glutamic acid.
    E = b'E',
    /// Phenylalanine.
    F = b'F',
    /// Glycine.
    G = b'G',
    /// Histidine.
    H = b'H',
    /// Isoleucine.
    I = b'I',
    /// Leucine or isoleucine.
    J = b'J',
    /// Lysine.
    K = b'K',
    /// Leucine.
    L = b'L',
    /// Methionine.
    M = b'M',
    /// Asparagine.
    N = b'N',
    /// Pyrrolysine.
    O = b'O',
    /// Proline.
    P = b'P',
    /// Glutamine.
    Q = b'Q',
    /// Arginine.
    R = b'R',
    /// Serine.
    S = b'S',
    /// Threonine.
    T = b'T',
    /// Selenocysteine.
    U = b'U',
    /// Valine.
    V = b'V',
    /// Tryptophan.
    W = b'W',
    /// Tyrosine.
    Y = b'Y',
    /// Glutamic acid or glutamine (Glx).
    Z = b'Z',
    /// Unknown amino acid, e.g. from a codon containing `N` (missing data, not a mutation).
    X = b'X',
    /// Stop codon, written `*`.
    #[serde(rename = "*")]
    Stop = b'*',
    /// Alignment gap (a deleted codon relative to the reference), written `-`.
    #[serde(rename = "-")]
    Gap = b'-',
}

impl Aa {
    /// Parses one letter, case-insensitively; `None` outside the alphabet.
    pub const fn from_byte(b: u8) -> Option<Aa> {
        Some(match b.to_ascii_uppercase() {
            b'A' => Aa::A,
            b'B' => Aa::B,
            b'C' => Aa::C,
            b'D' => Aa::D,
            b'E' => Aa::E,
            b'F' => Aa::F,
            b'G' => Aa::G,
            b'H' => Aa::H,
            b'I' => Aa::I,
            b'J' => Aa::J,
            b'K' => Aa::K,
            b'L' => Aa::L,
            b'M' => Aa::M,
            b'N' => Aa::N,
            b'O' => Aa::O,
            b'P' => Aa::P,
            b'Q' => Aa::Q,
            b'R' => Aa::R,
            b'S' => Aa::S,
            b'T' => Aa::T,
            b'U' => Aa::U,
            b'V' => Aa::V,
            b'W' => Aa::W,
            b'Y' => Aa::Y,
            b'Z' => Aa::Z,
            b'X' => Aa::X,
            b'*' => Aa::Stop,
            b'-' => Aa::Gap,
            _ => return None,
        })
    }

    /// The letter as an ASCII byte (the discriminant).
    pub const fn to_byte(self) -> u8 {
        self as u8
    }

    /// The letter as a `char`.
    pub const fn to_char(self) -> char {
        self as u8 as char
    }

    /// The alignment gap `-`.
    pub const fn is_gap(self) -> bool {
        matches!(self, Aa::Gap)
    }

    /// `X`, an amino acid of unknown identity.
    pub const fn is_unknown(self) -> bool {
        matches!(self, Aa::X)
    }

    /// The stop codon `*`.
    pub const fn is_stop(self) -> bool {
        matches!(self, Aa::Stop)
    }

    /// Whether the letter names one residue, a stop or a gap: not `X` and not an ambiguity code
    /// (`B`, `Z`, `J`).
    pub const fn is_definite(self) -> bool {
        !matches!(self, Aa::X | Aa::B | Aa::Z | Aa::J)
    }

    /// Whether this letter may stand for `residue`: itself, a residue its ambiguity code covers
    /// (`B`: D or N, `Z`: E or Q, `J`: I or L), or anything but a gap for `X`.
    pub const fn may_stand_for(self, residue: Aa) -> bool {
        match self {
            Aa::X => !matches!(residue, Aa::Gap),
            Aa::B => matches!(residue, Aa::D | Aa::N),
            Aa::Z => matches!(residue, Aa::E | Aa::Q),
            Aa::J => matches!(residue, Aa::I | Aa::L),
            _ => self as u8 == residue as u8,
        }
    }
}

impl fmt::Display for Aa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_char())
    }
}

/// Renders a nucleotide slice as text.
pub fn nuc_to_string(seq: &[Nuc]) -> String {
    seq.iter().map(|n| n.to_char()).collect()
}

/// Renders an amino-acid slice as text.
pub fn aa_to_string(seq: &[Aa]) -> String {
    seq.iter().map(|a| a.to_char()).collect()
}

/// Parses text into nucleotides, failing on the first letter that is not IUPAC.
pub fn nucs_from_str(s: &str) -> Result<Vec<Nuc>, InvalidLetter> {
    s.bytes()
        .enumerate()
        .map(|(i, b)| Nuc::from_byte(b).ok_or(InvalidLetter { letter: b as char, index: i }))
        .collect()
}

/// Parses text into amino acids.
pub fn aas_from_str(s: &str) -> Result<Vec<Aa>, InvalidLetter> {
    s.bytes()
        .enumerate()
        .map(|(i, b)| Aa::from_byte(b).ok_or(InvalidLetter { letter: b as char, index: i }))
        .collect()
}

/// A letter outside the alphabet, with its 0-based index in the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid letter '{letter}' at index {index}")]
pub struct InvalidLetter {
    /// The offending character (one byte of the input, as a `char`).
    pub letter: char,
    /// Its 0-based index in the input.
    pub index: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_round_trip_through_bytes() {
        for n in Nuc::ALL {
            assert_eq!(Nuc::from_byte(n.to_byte()), Some(n));
            assert_eq!(Nuc::from_byte(n.to_byte().to_ascii_lowercase()), Some(n));
        }
        assert_eq!(Nuc::from_byte(b'u'), Some(Nuc::T));
        assert_eq!(Nuc::from_byte(b'1'), None);
        assert_eq!(aa_to_string(&aas_from_str("MFV*-X").unwrap()), "MFV*-X");
    }

    #[test]
    fn iupac_compatibility_and_complement() {
        assert!(Nuc::R.is_compatible(Nuc::A));
        assert!(!Nuc::R.is_compatible(Nuc::C));
        assert!(Nuc::N.is_compatible(Nuc::T));
        assert!(!Nuc::Gap.is_compatible(Nuc::N));
        for n in Nuc::ALL {
            assert_eq!(n.complement().complement(), n);
            assert_eq!(n.complement().bases().count_ones(), n.bases().count_ones());
        }
        assert!(Nuc::R.is_ambiguous() && !Nuc::N.is_ambiguous() && !Nuc::A.is_ambiguous());
    }
}
