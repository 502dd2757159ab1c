//! Position-dependent gap-opening penalties: opening a gap inside a codon costs more than at a
//! codon boundary, which costs more than outside genes, so indels land in frame.

use virion_core::NucRange;

use crate::params::AlignParams;

/// One contiguous piece of a CDS on the reference.
///
/// `range` is in reference coordinates (0-based, half-open). `phase` is the position within the
/// CDS (counted in transcription order, modulo 3) of the segment's first transcribed base, i.e.
/// the summed length of the CDS's preceding segments mod 3 (0 for single-segment CDSs).
/// On the reverse strand the first transcribed base is the last one of `range`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodingSegment {
    /// The segment's reference positions.
    pub range: NucRange,
    /// Whether the CDS is on the reverse strand.
    pub reverse: bool,
    /// Position within the codon (0, 1 or 2) of the segment's first transcribed base.
    pub phase: usize,
}

/// Gap-open penalty for every reference position (plus two trailing entries), as Nextclade builds
/// it. Segments are applied in order; where CDSs overlap the later one wins.
pub fn gap_open_close_nuc(ref_len: usize, coding: &[CodingSegment], params: &AlignParams) -> Vec<i32> {
    let mut scores = vec![params.penalty_gap_open; ref_len + 2];
    for seg in coding {
        let begin = (seg.range.begin.0.max(0) as usize).min(ref_len + 2);
        let end = (seg.range.end.0.max(0) as usize).clamp(begin, ref_len + 2);
        // Nextclade marks the in-frame base as cds_pos % 3 == 0 on the forward strand and
        // cds_pos % 3 == 2 on the reverse strand (the codon's first base in reference order).
        let codon_start = if seg.reverse { 2 } else { 0 };
        let penalty = |cds_pos: usize| {
            if cds_pos % 3 == codon_start {
                params.penalty_gap_open_in_frame
            } else {
                params.penalty_gap_open_out_of_frame
            }
        };
        if seg.reverse {
            for (k, i) in (begin..end).rev().enumerate() {
                scores[i] = penalty(seg.phase + k);
            }
        } else {
            for (k, i) in (begin..end).enumerate() {
                scores[i] = penalty(seg.phase + k);
            }
        }
    }
    scores
}

/// Peptide gap-open penalties are flat (codon awareness is nucleotide-only).
pub fn gap_open_close_aa(ref_peptide_len: usize, params: &AlignParams) -> Vec<i32> {
    vec![params.penalty_gap_open; ref_peptide_len + 2]
}

#[cfg(test)]
mod tests {
    use super::*;
    use virion_core::NucRefPos;

    fn seg(b: i64, e: i64, reverse: bool, phase: usize) -> CodingSegment {
        CodingSegment { range: NucRange::new(NucRefPos(b), NucRefPos(e)), reverse, phase }
    }

    #[test]
    fn codon_aware_penalties() {
        let p = AlignParams::default();
        //                 0  1  2  3  4  5  6  7  8  9 10 11 12 13 14 15 16 17 18 .. 24 +2
        let two_segments = [seg(3, 12, false, 0), seg(12, 18, false, 0)];
        let expect = [6, 6, 6, 7, 8, 8, 7, 8, 8, 7, 8, 8, 7, 8, 8, 7, 8, 8, 6, 6, 6, 6, 6, 6, 6, 6, 6];
        assert_eq!(gap_open_close_nuc(25, &two_segments, &p), expect);

        // A reverse segment of 8 followed by a forward one continuing the same CDS (phase 8 % 3).
        let mixed = [seg(3, 11, false, 0), seg(11, 18, true, 2)];
        let expect = [6, 6, 6, 7, 8, 8, 7, 8, 8, 7, 8, 7, 8, 8, 7, 8, 8, 7, 6, 6, 6, 6, 6, 6, 6, 6, 6];
        assert_eq!(gap_open_close_nuc(25, &mixed, &p), expect);

        let reverse = [seg(3, 9, true, 0)];
        let expect = [6, 6, 6, 7, 8, 8, 7, 8, 8, 6, 6];
        assert_eq!(gap_open_close_nuc(9, &reverse, &p), expect);
        assert_eq!(gap_open_close_aa(3, &p), vec![6; 5]);
    }
}
