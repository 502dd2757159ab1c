//! Frame shifts: stretches of a CDS where the query's indels have moved the reading frame.
//!
//! Detection walks the CDS alignment column by column, tracking the frame offset
//! (`+1` per query deletion, `-1` per query insertion, modulo 3). A shifted stretch starts at the
//! first non-indel column after the frame leaves 0, and ends at the start of the indel run that
//! brings it back (or at the end of the CDS). The codons of the stretch are later masked with
//! `X`, and the gaps the peptide alignment puts right next to it are masked as deletions,
//! because the alignment inside a shifted region is not meaningful.

use std::fmt;

use serde::{Deserialize, Serialize};
use virion_core::{AaRange, Nuc, NucRange};

use crate::coord_map::codon_at_or_after;
use crate::layout::CdsLayout;

/// A half-open range of columns of one CDS's extracted alignment (insertions included).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CdsAlnRange {
    /// First column in the range.
    pub begin: usize,
    /// One past the last column.
    pub end: usize,
}

/// A frame shift in one CDS, with every coordinate Nextclade reports for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameShift {
    /// The CDS name.
    pub cds: String,
    /// Columns of the CDS alignment that are out of frame.
    pub nuc_rel: CdsAlnRange,
    /// The same stretch on the reference, one range per CDS segment it touches.
    pub nuc_abs: Vec<NucRange>,
    /// Codons out of frame.
    pub codon: AaRange,
    /// Codons deleted just before the shifted stretch.
    pub gaps_leading: AaRange,
    /// Codons deleted just after it.
    pub gaps_trailing: AaRange,
}

impl fmt::Display for FrameShift {
    /// `S:27-1274`, as the frameShifts column of nextclade.tsv.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.cds, self.codon)
    }
}

/// Finds out-of-frame stretches of column ranges. `qry` and `ref_` are one CDS's extracted
/// alignment, of equal length.
pub fn detect_frame_shifts(qry: &[Nuc], ref_: &[Nuc]) -> Vec<CdsAlnRange> {
    debug_assert_eq!(qry.len(), ref_.len());
    let mut det = Detector::default();
    for (pos, (q, r)) in (0_i64..).zip(qry.iter().zip(ref_)) {
        if r.is_gap() {
            det.indel(-1, pos);
        } else if q.is_gap() {
            det.indel(1, pos);
        } else {
            det.plain(pos);
        }
    }
    det.finish(qry.len() as i64);
    det.found
}

/// State of the column walk. Positions are `-1` when unset, because "the previous column was an
/// indel" is tested as `pos - last_indel == 1`, which Nextclade also answers `true` at column 0.
#[derive(Debug)]
struct Detector {
    found: Vec<CdsAlnRange>,
    frame: i64,
    begin: i64,
    end: i64,
    last_indel: i64,
    /// A frame transition happened; the next plain column must open or close a range.
    transition: bool,
}

impl Default for Detector {
    fn default() -> Self {
        Self { found: vec![], frame: 0, begin: -1, end: -1, last_indel: -1, transition: false }
    }
}

impl Detector {
    fn indel(&mut self, shift: i64, pos: i64) {
        let old = self.frame;
        self.frame = (self.frame + shift).rem_euclid(3);
        if pos - self.last_indel != 1 {
            // The first indel of a run: if it restores the frame, the shift ends here.
            self.end = pos;
        }
        if (old == 0) != (self.frame == 0) {
            self.transition = true;
        }
        self.last_indel = pos;
    }

    fn plain(&mut self, pos: i64) {
        if !self.transition {
            return;
        }
        if self.frame == 0 && self.begin >= 0 {
            self.push(self.end);
        }
        if self.frame != 0 && self.begin < 0 {
            self.begin = pos;
        }
        self.transition = false;
    }

    fn finish(&mut self, len: i64) {
        if self.begin >= 0 {
            self.push(len);
        }
    }

    fn push(&mut self, end: i64) {
        self.found.push(CdsAlnRange { begin: self.begin as usize, end: end as usize });
        self.begin = -1;
        self.end = -1;
        self.last_indel = -1;
    }
}

/// Completes a detected range with reference and codon coordinates. `qry` is the CDS alignment
/// of the query and `aln_to_ref` the local column-to-reference map of the CDS.
pub fn describe_frame_shift(
    nuc_rel: CdsAlnRange,
    qry: &[Nuc],
    aln_to_ref: &[i64],
    cds: &CdsLayout,
) -> FrameShift {
    let ref_begin = aln_to_ref[nuc_rel.begin];
    let ref_end = aln_to_ref[nuc_rel.end - 1] + 1;
    let codon = AaRange::new(codon_at_or_after(ref_begin), codon_at_or_after(ref_end));
    let nuc_abs = cds.local_range_to_ref_ranges(ref_begin, ref_end);

    // Widen to the deletions adjacent on either side; their codons become plain deletions.
    let mut mask_begin = nuc_rel.begin as i64 - 1;
    if mask_begin > 0 {
        while mask_begin >= 0 && qry[mask_begin as usize].is_gap() {
            mask_begin -= 1;
        }
    }
    let mask_begin = (mask_begin + 1) as usize;
    let mut mask_end = nuc_rel.end;
    while mask_end < qry.len() && qry[mask_end].is_gap() {
        mask_end += 1;
    }
    let mask_codon_begin = codon_at_or_after(aln_to_ref[mask_begin]);
    let mask_codon_end = codon_at_or_after(aln_to_ref[mask_end - 1] + 1);

    FrameShift {
        cds: cds.name.clone(),
        nuc_rel,
        nuc_abs,
        codon,
        gaps_leading: AaRange::new(mask_codon_begin, codon.begin),
        gaps_trailing: AaRange::new(codon.end, mask_codon_end),
    }
}

/// Masks the out-of-frame query nucleotides with `N`, leaving gaps alone.
pub fn mask_shifted_nucs(qry: &mut [Nuc], frame_shifts: &[FrameShift]) {
    for fs in frame_shifts {
        for n in &mut qry[fs.nuc_rel.begin..fs.nuc_rel.end] {
            if !n.is_gap() {
                *n = Nuc::N;
            }
        }
    }
}

/// Masks the aligned query peptide: shifted codons become `X`, adjacent deleted codons `-`.
pub fn mask_shifted_codons(peptide: &mut [virion_core::Aa], frame_shifts: &[FrameShift]) {
    use virion_core::Aa;
    let mut fill = |range: &AaRange, aa: Aa| {
        let end = (range.end.0.max(0) as usize).min(peptide.len());
        let begin = (range.begin.0.max(0) as usize).min(end);
        peptide[begin..end].fill(aa);
    };
    for fs in frame_shifts {
        fill(&fs.gaps_leading, Aa::Gap);
        fill(&fs.codon, Aa::X);
        fill(&fs.gaps_trailing, Aa::Gap);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coord_map::aln_to_ref_table;
    use crate::layout::Strand;
    use virion_core::nucs_from_str;
    use virion_core::{AaPos, NucRefPos};

    fn aa_range(begin: i64, end: i64) -> AaRange {
        AaRange::new(AaPos(begin), AaPos(end))
    }

    fn ranges(qry: &str, reff: &str) -> Vec<(usize, usize)> {
        let q = nucs_from_str(qry).unwrap();
        let r = nucs_from_str(reff).unwrap();
        detect_frame_shifts(&q, &r).into_iter().map(|x| (x.begin, x.end)).collect()
    }

    #[test]
    fn in_frame_indels_are_not_shifts() {
        // column  012345678901234
        assert_eq!(ranges("ATG---AAACCCGGG", "ATGTTTAAACCCGGG"), vec![]);
        assert_eq!(ranges("ATGTTTAAACCCGGG", "ATG---AAACCCGGG"), vec![]);
        // a deletion and an insertion side by side cancel out
        assert_eq!(ranges("ATG-TAAACCCGGG", "ATGT-AAACCCGGG"), vec![]);
    }

    #[test]
    fn a_shift_spans_from_the_indel_to_the_compensating_indel() {
        // column  012345678901234
        // qry     ATG-TTAAACCCGGG   one deletion, never compensated: shifted to the end
        // ref     ATGTTTAAACCCGGG
        assert_eq!(ranges("ATG-TTAAACCCGGG", "ATGTTTAAACCCGGG"), vec![(4, 15)]);
        // column  0123456789012345
        // qry     ATG-TTAAACCCAGGG
        // ref     ATGTTTAAACC-CGGG   deletion at 3, insertion at 11 restores the frame
        assert_eq!(ranges("ATG-TTAAACCCAGGG", "ATGTTTAAACC-CGGG"), vec![(4, 11)]);
    }

    #[test]
    fn describes_codons_and_masks_adjacent_deletions() {
        // column     0123456789012345678
        // ref        ATGAAAGGTCC-CAGGGTT   query lacks ref base 6 (frame leaves 0) and
        // qry        ATGAAA-GTCCACAGGGTT   has an extra A at column 11 (frame back to 0)
        // ref local  0123456789000123456   (an inserted column maps to the base before it)
        //                   ^^^^ shifted columns 7..11 = ref 7..11 = codons [3, 4)
        let qry = nucs_from_str("ATGAAA-GTCCACAGGGTT").unwrap();
        let reff = nucs_from_str("ATGAAAGGTCC-CAGGGTT").unwrap();
        let found = detect_frame_shifts(&qry, &reff);
        assert_eq!(found, vec![CdsAlnRange { begin: 7, end: 11 }]);
        let mut a2r = vec![];
        aln_to_ref_table(&reff, &mut a2r);
        let cds = CdsLayout::new(
            "c",
            "g",
            [(virion_core::NucRange::new(NucRefPos(100), NucRefPos(118)), Strand::Forward)],
        );
        let fs = describe_frame_shift(found[0], &qry, &a2r, &cds);
        assert_eq!(fs.codon, aa_range(3, 4));
        // widened over the deletion at column 6 -> ref 6 -> codon 2
        assert_eq!(fs.gaps_leading, aa_range(2, 3));
        assert_eq!(fs.gaps_trailing, aa_range(4, 4));
        assert_eq!(fs.nuc_abs, vec![virion_core::NucRange::new(NucRefPos(107), NucRefPos(111))]);
        assert_eq!(fs.to_string(), "c:4");
    }
}
