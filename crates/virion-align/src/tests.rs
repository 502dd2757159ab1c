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

/// Wherever the ungapped shortcut answers, the banded fill gives the same alignment and score;
/// random peptides with a few substitutions and unknown letters, where it answers often.
#[test]
fn ungapped_peptide_shortcut_equals_the_fill() {
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};
    use virion_core::Aa;
    let mut rng = StdRng::seed_from_u64(7);
    let letters = [Aa::A, Aa::C, Aa::D, Aa::E, Aa::F, Aa::G, Aa::L, Aa::K, Aa::X, Aa::Stop, Aa::B];
    let mut answered = 0;
    for round in 0..4000 {
        let n = rng.random_range(1..200);
        // Unknown letters cost a point each: the reference has none, substitutions may add some.
        // Every other round, short runs of one letter: shifted alignments score close to the
        // bound there, so ties with it occur.
        let rf: Vec<Aa> = if round % 2 == 0 {
            (0..n).map(|_| letters[rng.random_range(0..8)]).collect()
        } else {
            (0..n % 12 + 1).map(|_| if rng.random_range(0..6) == 0 { Aa::L } else { Aa::A }).collect()
        };
        let n = rf.len();
        let mut qry = rf.clone();
        for _ in 0..rng.random_range(0..4) {
            qry[rng.random_range(0..n)] = letters[rng.random_range(0..letters.len())];
        }
        let p = AlignParams {
            left_terminal_gaps_free: round % 7 == 0,
            right_terminal_gaps_free: false,
            penalty_gap_extend: rng.random_range(0..2),
            gap_alignment_side: if rng.random_bool(0.5) {
                GapAlignmentSide::Left
            } else {
                GapAlignmentSide::Right
            },
            ..AlignParams::default()
        };
        let goc: Vec<i32> = (0..n + 2).map(|_| rng.random_range(2..9)).collect();
        let bw = rng.random_range(1..8);
        let mut ws = matrix::Workspace::default();
        let table = ws.substitution_scores::<Aa>(&p);
        let Some(short) = ungapped_if_sole_optimum(&qry, &rf, table, &goc, &p, bw, 0) else { continue };
        answered += 1;
        let mut stripes = Vec::new();
        band::simple_stripes(&mut stripes, 0, bw, n, n);
        let (filled, _) = align_in_band(&qry, &rf, &goc, &p, &stripes);
        assert_eq!(short, filled, "round {round}");
    }
    assert!(answered > 1000, "the shortcut answered only {answered} times");
}
