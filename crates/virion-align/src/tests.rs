//! Hand-drawn alignments through the public entry points (short sequences use the full matrix).

use virion_core::{Nuc, NucRange, NucRefPos};
use virion_core::{aas_from_str, nuc_to_string, nucs_from_str};

use crate::*;

fn params(side: GapAlignmentSide) -> AlignParams {
    AlignParams { min_length: 3, gap_alignment_side: side, ..AlignParams::default() }
}

fn nucs(s: &str) -> Vec<Nuc> {
    nucs_from_str(s).unwrap()
}

/// Aligns and returns (aligned ref, aligned query, score).
fn aln(qry: &str, rf: &str, coding: &[CodingSegment], p: &AlignParams) -> (String, String, i32) {
    let goc = gap_open_close_nuc(rf.len(), coding, p);
    let a = align_nuc(&nucs(qry), &nucs(rf), &goc, p).unwrap();
    (nuc_to_string(&a.ref_seq), nuc_to_string(&a.qry_seq), a.score)
}

fn whole_cds(len: usize) -> CodingSegment {
    CodingSegment { range: NucRange::new(NucRefPos(0), NucRefPos(len as i64)), reverse: false, phase: 0 }
}

#[test]
fn mismatches_stay_in_place() {
    let p = params(GapAlignmentSide::Right);
    //            0123456789
    let rf = "ACGTTGCAAG";
    let qry = "ACGATGCTAG";
    //            ^   ^
    let (r, q, score) = aln(qry, rf, &[], &p);
    assert_eq!((r.as_str(), q.as_str()), (rf, qry));
    assert_eq!(score, 8 * 3 - 2);
}

#[test]
fn iupac_codes_match_and_n_scores_one_less() {
    let p = params(GapAlignmentSide::Right);
    //            0123456789
    let rf = "ACGTTGCAAG";
    let qry = "ACRTTNCAAG";
    //            ^  ^  R~G matches, N matches anything at score_match - 1
    let (_, q, score) = aln(qry, rf, &[], &p);
    assert_eq!(q, qry);
    assert_eq!(score, 9 * 3 + 2);
}

#[test]
fn deletion_and_insertion() {
    let p = params(GapAlignmentSide::Right);
    //          0         1         2
    //          0123456789012345678901234
    let rf = "ACGTTGCAAGGCTTACCGATGCAGT";
    let (r, q, _) = aln("ACGTTGCAAGGTTACCGATGCAGT", rf, &[], &p);
    assert_eq!(r, rf);
    assert_eq!(q, "ACGTTGCAAGG-TTACCGATGCAGT");
    //                       ^ 11 deleted

    let (r, q, _) = aln("ACGTTGCAAGGCTTAAACCGATGCAGT", rf, &[], &p);
    assert_eq!(r, "ACGTTGCAAGGCTT--ACCGATGCAGT");
    assert_eq!(q, "ACGTTGCAAGGCTTAAACCGATGCAGT");
    //                           ^^ "AA" after ref 13 (or 14: equal score; the right gap side,
    //                              which backtracks from the end, puts it leftmost)
}

#[test]
fn gap_side_decides_between_equal_placements() {
    // Nextclade's own example: the deletion could start at 3 or 4.
    //            0123456789A
    let rf = "ACATAGTCTTC";
    let qry = "ACATCTTC";
    let right = AlignParams { penalty_gap_open: 5, ..params(GapAlignmentSide::Right) };
    let left = AlignParams { penalty_gap_open: 5, ..params(GapAlignmentSide::Left) };
    assert_eq!(aln(qry, rf, &[], &right).1, "ACA---TCTTC");
    assert_eq!(aln(qry, rf, &[], &left).1, "ACAT---CTTC");
}

#[test]
fn codon_aware_gap_lands_in_frame() {
    //          0         1
    //          0123456789012345678
    //          ATG|CAA|AAA|ATT|TGG|GTA|A   codons of the CDS
    let rf = "ATGCAAAAAATTTGGGTAA";
    let qry = "ATGCAAATTTGGGTAA";
    let cds = [whole_cds(rf.len())];
    for side in [GapAlignmentSide::Left, GapAlignmentSide::Right] {
        let (_, q, score) = aln(qry, rf, &cds, &params(side));
        assert_eq!(q, "ATGCAA---ATTTGGGTAA", "{side:?}");
        //                   ^ gap opens at 6, a codon start: in-frame penalty 7
        assert_eq!(score, 16 * 3 - 7);
    }
    // Without the CDS the same deletion slides to either end of the A run.
    assert_eq!(aln(qry, rf, &[], &params(GapAlignmentSide::Left)).1, "ATGCAAA---TTTGGGTAA");
    assert_eq!(aln(qry, rf, &[], &params(GapAlignmentSide::Right)).1, "ATGC---AAATTTGGGTAA");
}

#[test]
fn terminal_gaps_are_free() {
    let p = params(GapAlignmentSide::Right);
    //            0123456789AB
    let rf = "GCCACGCTCGCT";
    let (r, q, score) = aln("ACGCTC", rf, &[], &p);
    assert_eq!((r.as_str(), q.as_str()), (rf, "---ACGCTC---"));
    assert_eq!(score, 6 * 3);
    // The reference contained in the query: the overhangs are insertions.
    let (r, q, _) = aln(rf, "ACGCTC", &[], &p);
    assert_eq!((r.as_str(), q.as_str()), ("---ACGCTC---", rf));
}

#[test]
fn short_query_is_an_error() {
    let p = AlignParams::default();
    let err = align_nuc(&nucs("ACGT"), &nucs("ACGTACGT"), &[6; 10], &p).unwrap_err();
    assert_eq!(err, AlignError::SequenceTooShort { qry_len: 4, min_length: 100 });
    assert!(err.to_string().starts_with("Unable to align: sequence is too short."));
}

#[test]
fn peptides_align_with_penalised_terminal_gaps() {
    let p = AlignParams {
        left_terminal_gaps_free: false,
        right_terminal_gaps_free: false,
        ..AlignParams::default()
    };
    //                       0123456789
    let rf = aas_from_str("MFVFLVLLPL").unwrap();
    let qry = aas_from_str("MFVLVLLPLX").unwrap();
    let goc = gap_open_close_aa(rf.len(), &p);
    let a = align_aa(&qry, &rf, &goc, &p, 3, 0);
    assert_eq!(virion_core::aa_to_string(&a.ref_seq), "MFVFLVLLPL-");
    assert_eq!(virion_core::aa_to_string(&a.qry_seq), "MFV-LVLLPLX");
}
