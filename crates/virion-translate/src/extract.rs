//! Cuts a CDS out of a genome or an alignment, joining its segments in reading order and
//! reverse-complementing those on the reverse strand.

use virion_core::Nuc;

use crate::layout::{CdsLayout, SegmentLayout, Strand, WrappingPart};

/// Appends the CDS's nucleotides from the unaligned reference to `out` (cleared first).
pub fn extract_cds_from_ref(ref_seq: &[Nuc], cds: &CdsLayout, out: &mut Vec<Nuc>) {
    out.clear();
    for seg in &cds.segments {
        let begin = out.len();
        out.extend_from_slice(&ref_seq[seg.range.begin.as_usize()..seg.range.end.as_usize()]);
        if seg.strand == Strand::Reverse {
            reverse_complement_in_place(&mut out[begin..]);
        }
    }
}

/// Appends the alignment columns of each CDS segment to `out` (cleared first). A segment spans
/// the columns from its first to its last reference base, so insertions inside it are kept and
/// insertions just before or after it are not. `ref_to_aln` comes from
/// [`crate::coord_map::ref_to_aln_table`] on the aligned reference.
pub fn extract_cds_from_aln(seq_aln: &[Nuc], ref_to_aln: &[usize], cds: &CdsLayout, out: &mut Vec<Nuc>) {
    out.clear();
    for seg in &cds.segments {
        if seg.is_empty() {
            continue;
        }
        let (begin_col, end_col) = segment_columns(seg, ref_to_aln, seq_aln.len());
        let begin = out.len();
        out.extend_from_slice(&seq_aln[begin_col..end_col]);
        if seg.strand == Strand::Reverse {
            reverse_complement_in_place(&mut out[begin..]);
        }
    }
}

/// Alignment columns `[begin, end)` of a segment. Parts of a segment wrapping around the end
/// of a circular genome are cut at the alignment's ends.
fn segment_columns(seg: &SegmentLayout, ref_to_aln: &[usize], aln_len: usize) -> (usize, usize) {
    let first = || ref_to_aln[seg.range.begin.as_usize()];
    let after_last = || ref_to_aln[seg.range.end.as_usize() - 1] + 1;
    match seg.wrapping {
        WrappingPart::NonWrapping => (first(), after_last()),
        WrappingPart::WrappingStart => (first(), aln_len),
        WrappingPart::WrappingCentral(_) => (0, aln_len),
        WrappingPart::WrappingEnd(_) => (0, after_last()),
    }
}

/// Reverses `seq` and complements each letter (ambiguity codes included), for reverse-strand CDSes.
pub fn reverse_complement_in_place(seq: &mut [Nuc]) {
    seq.reverse();
    for n in seq.iter_mut() {
        *n = n.complement();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coord_map::ref_to_aln_table;
    use virion_core::{NucRange, NucRefPos};
    use virion_core::{nuc_to_string, nucs_from_str};

    fn slipping_cds() -> CdsLayout {
        let r = |b, e| NucRange::new(NucRefPos(b), NucRefPos(e));
        CdsLayout::new(
            "c",
            "g",
            [(r(4, 21), Strand::Forward), (r(20, 39), Strand::Forward), (r(45, 51), Strand::Forward)],
        )
    }

    #[test]
    fn joins_segments_of_the_reference() {
        // segments          [4 ........... 21)
        //                                  [20 ............... 39)      [45 51)
        // index   012345678901234567890123456789012345678901234567890123
        let reff = "TGATGCACAATCGTTTTTAAACGGGTTTGCGGTGTAAGTGCAGCCCGTCTTACA";
        let mut out = vec![];
        extract_cds_from_ref(&nucs_from_str(reff).unwrap(), &slipping_cds(), &mut out);
        assert_eq!(nuc_to_string(&out), "GCACAATCGTTTTTAAAACGGGTTTGCGGTGTAAGTCGTCTT");
    }

    #[test]
    fn keeps_insertions_inside_segments() {
        // column   012345678901234567890123456789012345678901234567890123456
        // ref      TGATGCACA---ATCGTTTTTAAACGGGTTTGCGGTGTAAGTGCAGCCCGTCTTACA
        // qry      -GATGCACACGCATC---TTTAAACGGGTTTGCGGTGTCAGT---GCCCGTCTTACA
        let ref_aln = nucs_from_str("TGATGCACA---ATCGTTTTTAAACGGGTTTGCGGTGTAAGTGCAGCCCGTCTTACA").unwrap();
        let qry_aln = nucs_from_str("-GATGCACACGCATC---TTTAAACGGGTTTGCGGTGTCAGT---GCCCGTCTTACA").unwrap();
        let mut r2a = vec![];
        ref_to_aln_table(&ref_aln, &mut r2a);
        let mut out = vec![];
        extract_cds_from_aln(&ref_aln, &r2a, &slipping_cds(), &mut out);
        assert_eq!(nuc_to_string(&out), "GCACA---ATCGTTTTTAAAACGGGTTTGCGGTGTAAGTCGTCTT");
        extract_cds_from_aln(&qry_aln, &r2a, &slipping_cds(), &mut out);
        assert_eq!(nuc_to_string(&out), "GCACACGCATC---TTTAAAACGGGTTTGCGGTGTCAGTCGTCTT");
    }

    #[test]
    fn reverse_strand_is_reverse_complemented() {
        // index  0123456789
        // ref    AAATGCCGTT   CDS on [2, 8) reverse: ATGCCG -> CGGCAT
        let reff = nucs_from_str("AAATGCCGTT").unwrap();
        let cds = CdsLayout::new("c", "g", [(NucRange::new(NucRefPos(2), NucRefPos(8)), Strand::Reverse)]);
        let mut out = vec![];
        extract_cds_from_ref(&reff, &cds, &mut out);
        assert_eq!(nuc_to_string(&out), "CGGCAT");
    }
}
