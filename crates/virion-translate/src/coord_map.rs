//! Maps between alignment columns and reference positions, and from nucleotides to codons.

use virion_core::{AaPos, Nuc};

/// For each reference position, the alignment column holding it (`ref_aln` is the aligned
/// reference with gaps where the query has insertions). Fills `out`, reusing its storage.
pub fn ref_to_aln_table(ref_aln: &[Nuc], out: &mut Vec<usize>) {
    out.clear();
    out.extend(ref_aln.iter().enumerate().filter(|(_, n)| !n.is_gap()).map(|(i, _)| i));
}

/// For each alignment column, the reference position it falls on. An inserted column (gap in
/// the reference) takes the position of the reference base before it, or 0 before the first.
pub fn aln_to_ref_table(ref_aln: &[Nuc], out: &mut Vec<i64>) {
    out.clear();
    out.reserve(ref_aln.len());
    let mut next_ref = 0_i64;
    for nuc in ref_aln {
        if nuc.is_gap() {
            out.push((next_ref - 1).max(0));
        } else {
            out.push(next_ref);
            next_ref += 1;
        }
    }
}

/// The first codon starting at or after local nucleotide `pos` (rounds up).
pub const fn codon_at_or_after(pos: i64) -> AaPos {
    AaPos((pos + 2).div_euclid(3))
}

/// The codon containing local nucleotide `pos` (rounds down).
pub const fn codon_containing(pos: i64) -> AaPos {
    AaPos(pos.div_euclid(3))
}

#[cfg(test)]
mod tests {
    use super::*;
    use virion_core::nucs_from_str;

    #[test]
    fn maps_columns_both_ways() {
        // column   0123456789012
        // ref      --ACTC---CGTG
        // ref pos    0123   4567
        let ref_aln = nucs_from_str("--ACTC---CGTG").unwrap();
        let mut r2a = vec![];
        ref_to_aln_table(&ref_aln, &mut r2a);
        assert_eq!(r2a, vec![2, 3, 4, 5, 9, 10, 11, 12]);
        let mut a2r = vec![];
        aln_to_ref_table(&ref_aln, &mut a2r);
        assert_eq!(a2r, vec![0, 0, 0, 1, 2, 3, 3, 3, 3, 4, 5, 6, 7]);
    }

    #[test]
    fn rounds_nucleotides_to_codons() {
        let up: Vec<i64> = (0..7).map(|p| codon_at_or_after(p).0).collect();
        assert_eq!(up, vec![0, 1, 1, 1, 2, 2, 2]);
        let down: Vec<i64> = (0..7).map(|p| codon_containing(p).0).collect();
        assert_eq!(down, vec![0, 0, 0, 1, 1, 1, 2]);
    }
}
