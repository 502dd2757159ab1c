//! The standard genetic code, with Nextclade's rule for incomplete codons.
//!
//! A codon of three gaps is a gap (`-`). A codon with ambiguity codes (`N` included) translates
//! to the one amino acid all its readings agree on (`GTN` is `V`), and to `X` when they
//! disagree. Any other codon with a gap is `X`.

use std::sync::OnceLock;

use virion_core::{Aa, Nuc};

/// Amino acids of the 64 codons, first base slowest, bases ordered T, C, A, G.
const CODE_TCAG: &[u8; 64] = b"FFLLSSSSYY**CC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG";

/// Codon table indexed by `16 * i + 4 * j + k`, with `i, j, k` the T/C/A/G ranks of the bases.
static CODON_TABLE: [Aa; 64] = {
    let mut table = [Aa::X; 64];
    let mut i = 0;
    while i < 64 {
        table[i] = match Aa::from_byte(CODE_TCAG[i]) {
            Some(aa) => aa,
            None => Aa::X,
        };
        i += 1;
    }
    table
};

/// Rank of a plain base in T, C, A, G order; `None` for anything else.
const fn base_rank(nuc: Nuc) -> Option<usize> {
    match nuc {
        Nuc::T => Some(0),
        Nuc::C => Some(1),
        Nuc::A => Some(2),
        Nuc::G => Some(3),
        _ => None,
    }
}

/// Translates one codon: one lookup in the table of every triplet of the 16 letters.
#[inline]
pub fn translate_codon(codon: [Nuc; 3]) -> Aa {
    let table = CODON_TABLE_ALL_LETTERS.get_or_init(build_table_all_letters);
    table[256 * letter_rank(codon[0]) + 16 * letter_rank(codon[1]) + letter_rank(codon[2])]
}

/// Translation of every triplet of the 16 nucleotide letters, indexed by [`letter_rank`];
/// the plain codons read [`CODON_TABLE`], the others are resolved by [`resolve_codon`].
static CODON_TABLE_ALL_LETTERS: OnceLock<Vec<Aa>> = OnceLock::new();

/// A letter's index in [`Nuc::ALL`], by its byte (the enums are `repr(u8)`).
static LETTER_RANK: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < Nuc::ALL.len() {
        t[Nuc::ALL[i] as usize] = i as u8;
        i += 1;
    }
    t
};

#[inline]
fn letter_rank(nuc: Nuc) -> usize {
    usize::from(LETTER_RANK[nuc as usize])
}

fn build_table_all_letters() -> Vec<Aa> {
    let mut table = Vec::with_capacity(16 * 16 * 16);
    for a in Nuc::ALL {
        for b in Nuc::ALL {
            for c in Nuc::ALL {
                table.push(match (base_rank(a), base_rank(b), base_rank(c)) {
                    (Some(i), Some(j), Some(k)) => CODON_TABLE[16 * i + 4 * j + k],
                    _ => resolve_codon([a, b, c]),
                });
            }
        }
    }
    table
}

/// The simple oracle: expand each letter to the bases it stands for and translate every reading.
fn resolve_codon(codon: [Nuc; 3]) -> Aa {
    if codon.iter().all(|n| n.is_gap()) {
        return Aa::Gap;
    }
    if codon.iter().any(|n| n.is_gap()) {
        return Aa::X;
    }
    let bases = [Nuc::T, Nuc::C, Nuc::A, Nuc::G];
    let mut agreed = None;
    for (i, x) in bases.iter().enumerate() {
        for (j, y) in bases.iter().enumerate() {
            for (k, z) in bases.iter().enumerate() {
                if codon[0].is_compatible(*x) && codon[1].is_compatible(*y) && codon[2].is_compatible(*z) {
                    let aa = CODON_TABLE[16 * i + 4 * j + k];
                    match agreed {
                        None => agreed = Some(aa),
                        Some(prev) if prev != aa => return Aa::X,
                        Some(_) => {}
                    }
                }
            }
        }
    }
    agreed.unwrap_or(Aa::X)
}

/// Translates `nucs` codon by codon into `out` (cleared first). A trailing partial codon is
/// dropped. With `stop_at_first_stop`, translation ends after the first stop codon.
pub fn translate_into(nucs: &[Nuc], stop_at_first_stop: bool, out: &mut Vec<Aa>) {
    out.clear();
    out.reserve(nucs.len() / 3);
    for codon in nucs.chunks_exact(3) {
        let aa = translate_codon([codon[0], codon[1], codon[2]]);
        out.push(aa);
        if stop_at_first_stop && aa.is_stop() {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use virion_core::{aa_to_string, nucs_from_str};

    fn tr(s: &str) -> String {
        let mut out = vec![];
        translate_into(&nucs_from_str(s).unwrap(), false, &mut out);
        aa_to_string(&out)
    }

    #[test]
    fn translates_standard_codons() {
        assert_eq!(tr("ATGTTTGGATAA"), "MFG*");
        assert_eq!(tr("TGGTGATAGTAATAC"), "W***Y");
        assert_eq!(tr("GCAGCCGCGGCT"), "AAAA");
    }

    #[test]
    fn incomplete_codons_are_x_and_full_gaps_are_gaps() {
        // codons:   |--|--|--|--|--|--|  the last lone `A` is partial and dropped
        assert_eq!(tr("---ATNA-GRTG--AAC-A"), "-XXXXX");
    }

    #[test]
    fn ambiguity_codes_resolve_when_all_readings_agree() {
        // TTR: TTA/TTG both L; CTN: all L; GTN: all V; TAR: both stop; TTN: F or L; NNN: anything
        assert_eq!(tr("TTRCTNGTNTARTTNNNN"), "LLV*XX");
        assert_eq!(tr("A-NRT-"), "XX");
    }

    #[test]
    fn lookup_table_matches_the_expanding_oracle() {
        for a in Nuc::ALL {
            for b in Nuc::ALL {
                for c in Nuc::ALL {
                    assert_eq!(translate_codon([a, b, c]), resolve_codon([a, b, c]));
                }
            }
        }
    }

    #[test]
    fn stops_after_first_stop_when_asked() {
        let mut out = vec![];
        translate_into(&nucs_from_str("ATGTAAATG").unwrap(), true, &mut out);
        assert_eq!(aa_to_string(&out), "M*");
    }

    #[test]
    fn table_matches_a_direct_lookup_of_every_codon() {
        let bases = [Nuc::T, Nuc::C, Nuc::A, Nuc::G];
        let mut n = 0;
        for a in bases {
            for b in bases {
                for c in bases {
                    let aa = translate_codon([a, b, c]);
                    assert_eq!(aa.to_byte(), CODE_TCAG[n]);
                    n += 1;
                }
            }
        }
    }
}
