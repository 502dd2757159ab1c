//! Which codons of a CDS the query covers: the aligned (sequenced) codon ranges, their
//! complement, runs of unknown `X`, and the per-CDS coverage fraction.

use virion_core::{Aa, AaPos, AaRange, NucRange};

use crate::coord_map::codon_containing;
use crate::layout::CdsLayout;

/// Codon ranges of `cds` inside the query's nucleotide alignment range, one per segment that
/// overlaps it (empty ranges included, as Nextclade keeps them at this stage). A codon counts
/// when its first base is aligned, so a partial codon at the start is in and one at the end is
/// out.
///
/// Nextclade offsets every segment by its forward-strand start, even on the reverse strand; this
/// is reproduced so that results match.
pub fn aa_alignment_ranges(cds: &CdsLayout, alignment_range: &NucRange) -> Vec<AaRange> {
    cds.segments
        .iter()
        .filter_map(|seg| {
            let inside = alignment_range.intersect(&seg.range);
            if inside.is_empty() {
                return None;
            }
            let begin = inside.begin - seg.range.begin + seg.local_begin;
            let end = inside.end - seg.range.begin + seg.local_begin;
            Some(AaRange::new(codon_containing(begin), codon_containing(end)))
        })
        .collect()
}

/// The codons of `[0, len)` not covered by `sequenced`, in order.
pub fn aa_unsequenced_ranges(sequenced: &[AaRange], len: usize) -> Vec<AaRange> {
    let mut sorted = sequenced.to_vec();
    sorted.sort_by_key(|r| r.begin);
    let mut out = vec![];
    let mut prev_end = AaPos(0);
    for r in &sorted {
        if r.begin > prev_end {
            out.push(AaRange::new(prev_end, r.begin));
        }
        // As in Nextclade: the latest range's end, not the furthest end seen so far.
        prev_end = r.end;
    }
    let last = AaPos(len as i64);
    if last > prev_end {
        out.push(AaRange::new(prev_end, last));
    }
    out
}

/// Maximal runs of `X` in an aligned peptide.
pub fn unknown_aa_ranges(peptide: &[Aa]) -> Vec<AaRange> {
    let mut out = vec![];
    let mut i = 0;
    while i < peptide.len() {
        if peptide[i] == Aa::X {
            let begin = i;
            while i < peptide.len() && peptide[i] == Aa::X {
                i += 1;
            }
            out.push(AaRange::new(AaPos(begin as i64), AaPos(i as i64)));
        } else {
            i += 1;
        }
    }
    out
}

/// Fraction of the CDS's codons that are aligned and not `X`.
///
/// As in Nextclade, the `X`s are counted over the whole peptide, also outside the aligned
/// ranges (a codon masked by a frame shift beyond them), and a count below zero is 0.
pub fn cds_coverage(peptide: &[Aa], alignment_ranges: &[AaRange]) -> f64 {
    if peptide.is_empty() {
        return 0.0;
    }
    let aligned: i64 = alignment_ranges.iter().map(AaRange::len).sum();
    let unknown = peptide.iter().filter(|a| **a == Aa::X).count() as i64;
    (aligned - unknown).max(0) as f64 / peptide.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::Strand;
    use virion_core::NucRefPos;
    use virion_core::aas_from_str;

    fn nuc(b: i64, e: i64) -> NucRange {
        NucRange::new(NucRefPos(b), NucRefPos(e))
    }
    fn aa(b: i64, e: i64) -> AaRange {
        AaRange::new(AaPos(b), AaPos(e))
    }

    #[test]
    fn alignment_ranges_round_partial_codons_down() {
        // ref    0         1         2         3
        //        0123456789012345678901234567890123456
        // cds          [6 ................... 27)        codons 0..7
        // aligned          [10 ................... 33)
        let cds = CdsLayout::new("c", "g", [(nuc(6, 27), Strand::Forward)]);
        // local 4..21 -> codons [1, 7)
        assert_eq!(aa_alignment_ranges(&cds, &nuc(10, 33)), vec![aa(1, 7)]);
        // local 0..5 -> codons [0, 1): the partial second codon is not counted
        assert_eq!(aa_alignment_ranges(&cds, &nuc(0, 11)), vec![aa(0, 1)]);
        assert_eq!(aa_alignment_ranges(&cds, &nuc(30, 40)), vec![]);
    }

    #[test]
    fn unsequenced_is_the_complement() {
        assert_eq!(aa_unsequenced_ranges(&[aa(2, 5)], 9), vec![aa(0, 2), aa(5, 9)]);
        assert_eq!(aa_unsequenced_ranges(&[aa(0, 9)], 9), vec![]);
        assert_eq!(aa_unsequenced_ranges(&[], 3), vec![aa(0, 3)]);
    }

    #[test]
    fn unknown_runs_and_coverage() {
        // index  0123456789
        let p = aas_from_str("MXXA-XX*XX").unwrap();
        assert_eq!(unknown_aa_ranges(&p), vec![aa(1, 3), aa(5, 7), aa(8, 10)]);
        assert_eq!(cds_coverage(&p, &[aa(0, 10)]), 0.4);
        assert_eq!(cds_coverage(&p, &[aa(0, 8)]), 0.2);
        // More X than aligned codons (X masked beyond the aligned ranges): 0, never below.
        assert_eq!(cds_coverage(&p, &[aa(0, 1)]), 0.0);
    }
}
