//! Letter compatibility used by the aligner: IUPAC-aware for nucleotides, ambiguity-code-aware
//! for amino acids. Unknown letters (`N`, `X`) are handled by the aligner itself.

use virion_core::{Aa, Letter, Nuc};

/// A letter the aligner can score.
pub trait AlignLetter: Letter {
    /// Number of distinct letters; `code` is below it.
    const ALPHABET_SIZE: usize;
    /// Every letter of the alphabet.
    const ALL_LETTERS: &'static [Self];
    /// A dense index for score tables.
    fn code(self) -> usize;
    /// Whether the two letters can stand for the same residue.
    fn is_match(self, other: Self) -> bool;
}

impl AlignLetter for Nuc {
    const ALPHABET_SIZE: usize = 16;
    const ALL_LETTERS: &'static [Self] = &Nuc::ALL;
    #[inline]
    fn code(self) -> usize {
        usize::from(nuc_code(self))
    }
    fn is_match(self, other: Self) -> bool {
        if self.is_gap() || other.is_gap() {
            return self == other;
        }
        self.is_compatible(other)
    }
}

/// The letter's base set (A=1, C=2, G=4, T=8; gap 0), unique per letter, from a table so it
/// inlines in hot loops.
#[inline]
pub(crate) fn nuc_code(n: Nuc) -> u8 {
    NUC_CODES[n as usize]
}

static NUC_CODES: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < Nuc::ALL.len() {
        t[Nuc::ALL[i] as usize] = Nuc::ALL[i].bases();
        i += 1;
    }
    t
};

const AA_LETTERS: [Aa; 28] = [
    Aa::A,
    Aa::B,
    Aa::C,
    Aa::D,
    Aa::E,
    Aa::F,
    Aa::G,
    Aa::H,
    Aa::I,
    Aa::J,
    Aa::K,
    Aa::L,
    Aa::M,
    Aa::N,
    Aa::O,
    Aa::P,
    Aa::Q,
    Aa::R,
    Aa::S,
    Aa::T,
    Aa::U,
    Aa::V,
    Aa::W,
    Aa::Y,
    Aa::Z,
    Aa::X,
    Aa::Stop,
    Aa::Gap,
];

/// Residues an ambiguity code stands for: B = D/N, J = I/L, Z = E/Q.
fn aa_expands_to(code: Aa, aa: Aa) -> bool {
    matches!((code, aa), (Aa::B, Aa::D | Aa::N) | (Aa::J, Aa::I | Aa::L) | (Aa::Z, Aa::E | Aa::Q))
}

impl AlignLetter for Aa {
    const ALPHABET_SIZE: usize = 28;
    const ALL_LETTERS: &'static [Self] = &AA_LETTERS;
    fn code(self) -> usize {
        AA_LETTERS.iter().position(|&a| a == self).unwrap_or(25)
    }
    fn is_match(self, other: Self) -> bool {
        if self == other {
            return true;
        }
        if self.is_gap() || other.is_gap() || self.is_stop() || other.is_stop() {
            return false;
        }
        self == Aa::X || other == Aa::X || aa_expands_to(self, other) || aa_expands_to(other, self)
    }
}

/// Diagonal-move scores for every letter pair, indexed `ref_code * size + qry_code`.
pub fn substitution_table<L: AlignLetter>(score_match: i32, penalty_mismatch: i32, out: &mut Vec<i32>) {
    let n = L::ALPHABET_SIZE;
    out.clear();
    out.resize(n * n, 0);
    for &r in L::ALL_LETTERS {
        for &q in L::ALL_LETTERS {
            out[r.code() * n + q.code()] = if r.is_unknown() || q.is_unknown() {
                // Unknown matches anything, one point less so that real matches are preferred.
                score_match - 1
            } else if r.is_match(q) {
                score_match
            } else {
                -penalty_mismatch
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iupac_and_ambiguity_codes_match() {
        assert!(Nuc::R.is_match(Nuc::G) && !Nuc::R.is_match(Nuc::T) && !Nuc::A.is_match(Nuc::Gap));
        assert!(Aa::B.is_match(Aa::N) && Aa::J.is_match(Aa::L) && !Aa::Z.is_match(Aa::D));
        let mut t = Vec::new();
        substitution_table::<Nuc>(3, 1, &mut t);
        let at = |r: Nuc, q: Nuc| t[r.code() * 16 + q.code()];
        assert_eq!(
            (at(Nuc::A, Nuc::A), at(Nuc::A, Nuc::C), at(Nuc::N, Nuc::C), at(Nuc::Y, Nuc::C)),
            (3, -1, 2, 3)
        );
        substitution_table::<Aa>(3, 1, &mut t);
        assert_eq!(t[Aa::X.code() * 28 + Aa::Stop.code()], 2);
        let codes: std::collections::HashSet<usize> = AA_LETTERS.iter().map(|a| a.code()).collect();
        assert_eq!(codes.len(), 28);
    }
}
