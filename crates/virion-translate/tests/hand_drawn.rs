//! Whole-pipeline cases on short hand-drawn genomes: translate, align peptides, find changes.

use virion_align::AlignParams;
use virion_core::{Nuc, NucRange, NucRefPos};
use virion_core::{aa_to_string, nucs_from_str};
use virion_translate::{
    AaChanges, CdsLayout, RefTranslation, Strand, TranslateBuffers, Translation, find_aa_changes,
    translate_query,
};

// The forward CDS of most cases: 12 codons at reference [3, 39).
// index   0         1         2         3         4
//         012345678901234567890123456789012345678901234
// ref     CCCATGGCTAAACTTGGGTGGCACGATTTCCCAAGTTAAGGGCCC
// codon      0  1  2  3  4  5  6  7  8  9  10 11
// aa         M  A  K  L  G  W  H  D  F  P  S  *
const GENOME: &str = "CCCATGGCTAAACTTGGGTGGCACGATTTCCCAAGTTAAGGGCCC";

fn nucs(s: &str) -> Vec<Nuc> {
    nucs_from_str(s).unwrap()
}

fn range(b: i64, e: i64) -> NucRange {
    NucRange::new(NucRefPos(b), NucRefPos(e))
}

fn reference(genome: &str, segments: &[(i64, i64, Strand)]) -> RefTranslation {
    let layout = CdsLayout::new("c", "c", segments.iter().map(|&(b, e, s)| (range(b, e), s)));
    RefTranslation::new(&nucs(genome), vec![layout], vec!["c".into()], &AlignParams::default())
}

/// Runs translation for an alignment given as (query, reference) rows.
fn run(ref_tr: &RefTranslation, qry_aln: &str, ref_aln: &str) -> (Translation, AaChanges) {
    let (q, r) = (nucs(qry_aln), nucs(ref_aln));
    // Alignment range: first to last query base, in reference coordinates.
    let stripped: Vec<Nuc> = q.iter().zip(&r).filter(|(_, r)| !r.is_gap()).map(|(q, _)| *q).collect();
    let begin = stripped.iter().position(|n| !n.is_gap()).unwrap() as i64;
    let end = stripped.iter().rposition(|n| !n.is_gap()).unwrap() as i64 + 1;
    let tr = translate_query(
        &q,
        &r,
        ref_tr,
        &AlignParams::default(),
        &range(begin, end),
        &mut TranslateBuffers::default(),
    );
    let changes = find_aa_changes(ref_tr, &tr);
    (tr, changes)
}

fn texts<T: ToString>(v: &[T]) -> Vec<String> {
    v.iter().map(ToString::to_string).collect()
}

#[test]
fn codon_substitution() {
    let ref_tr = reference(GENOME, &[(3, 39, Strand::Forward)]);
    assert_eq!(aa_to_string(&ref_tr.cdses[0].peptide), "MAKLGWHDFPS*");
    //                 CTT -> CCT at index 13
    let qry = "CCCATGGCTAAACCTGGGTGGCACGATTTCCCAAGTTAAGGGCCC";
    let (tr, ch) = run(&ref_tr, qry, GENOME);
    assert_eq!(aa_to_string(&tr.cdses[0].seq), "MAKPGWHDFPS*");
    assert_eq!(texts(&ch.substitutions), vec!["c:L4P"]);
    assert!(ch.deletions.is_empty() && ch.frame_shifts.is_empty());
    assert_eq!(ch.cds_coverage, vec![("c".to_owned(), 1.0)]);
}

#[test]
fn in_frame_deletion() {
    let ref_tr = reference(GENOME, &[(3, 39, Strand::Forward)]);
    //                    AAA (codon 2) deleted
    let qry = "CCCATGGCT---CTTGGGTGGCACGATTTCCCAAGTTAAGGGCCC";
    let (tr, ch) = run(&ref_tr, qry, GENOME);
    assert_eq!(aa_to_string(&tr.cdses[0].seq), "MA-LGWHDFPS*");
    assert_eq!(texts(&ch.deletions), vec!["c:K3-"]);
    assert!(ch.substitutions.is_empty() && ch.frame_shifts.is_empty());
}

#[test]
fn in_frame_insertion() {
    // column  0         1         2         3         4
    //         012345678901234567890123456789012345678901234567
    let ref_aln = "CCCATGGCTAAACTTGGG---TGGCACGATTTCCCAAGTTAAGGGCCC";
    let qry_aln = "CCCATGGCTAAACTTGGGGAGTGGCACGATTTCCCAAGTTAAGGGCCC";
    let ref_tr = reference(GENOME, &[(3, 39, Strand::Forward)]);
    let (tr, ch) = run(&ref_tr, qry_aln, ref_aln);
    assert_eq!(aa_to_string(&tr.cdses[0].seq), "MAKLGWHDFPS*");
    assert_eq!(texts(&ch.insertions), vec!["c:5:E"]);
    assert!(ch.substitutions.is_empty() && ch.deletions.is_empty());
}

#[test]
fn frame_shift_is_masked() {
    // One base deleted at column 13 and one inserted at column 29: codons between are shifted.
    // column  0         1         2         3         4
    //         0123456789012345678901234567890123456789012345
    let ref_aln = "CCCATGGCTAAACTTGGGTGGCACGATTT-CCCAAGTTAAGGGCCC";
    let qry_aln = "CCCATGGCTAAAC-TGGGTGGCACGATTTACCCAAGTTAAGGGCCC";
    let ref_tr = reference(GENOME, &[(3, 39, Strand::Forward)]);
    let (tr, ch) = run(&ref_tr, qry_aln, ref_aln);
    let cds = &tr.cdses[0];
    // Shifted ref bases 11..26 of the CDS -> codons [4, 9); codon 3 (C + two masked Ns) is X.
    assert_eq!(aa_to_string(&cds.seq), "MAKXXXXXXPS*");
    assert_eq!(texts(&ch.frame_shifts), vec!["c:5-9"]);
    let fs = &cds.frame_shifts[0];
    assert_eq!(fs.nuc_abs, vec![range(14, 29)]);
    assert!(fs.gaps_leading.is_empty() && fs.gaps_trailing.is_empty());
    assert!(ch.substitutions.is_empty() && ch.deletions.is_empty());
    assert_eq!(texts(&ch.unknown_aa_ranges), vec!["c:4-9"]);
    assert_eq!(ch.total_unknown_aa, 6);
}

#[test]
fn reverse_strand_cds() {
    // The same CDS written reverse-complemented on [3, 39).
    // index    0         1         2         3         4
    //          012345678901234567890123456789012345678901234
    let genome = "CCCTTAACTTGGGAAATCGTGCCACCCAAGTTTAGCCATGGGCCC";
    //  index 28: A -> G is CTT -> CCT on the coding strand (codon 3)
    let qry = "CCCTTAACTTGGGAAATCGTGCCACCCAGGTTTAGCCATGGGCCC";
    let ref_tr = reference(genome, &[(3, 39, Strand::Reverse)]);
    assert_eq!(aa_to_string(&ref_tr.cdses[0].peptide), "MAKLGWHDFPS*");
    let (_, ch) = run(&ref_tr, qry, genome);
    assert_eq!(texts(&ch.substitutions), vec!["c:L4P"]);
}

#[test]
fn slippage_reads_a_base_twice() {
    // segment 1 [3, 16), segment 2 [15, 38): base 15 is read twice.
    // CDS nucs ATGGCTAAACTTG|GGGTGGCACGATTTCCCAAGTTA -> M A K L G V A R F P K L
    // index 20 G -> A lies in segment 2 at CDS position 13 + 5 = 18, codon 6: A -> T
    let qry = "CCCATGGCTAAACTTGGGTGACACGATTTCCCAAGTTAAGGGCCC";
    let ref_tr = reference(GENOME, &[(3, 16, Strand::Forward), (15, 38, Strand::Forward)]);
    assert_eq!(aa_to_string(&ref_tr.cdses[0].peptide), "MAKLGVARFPKL");
    let (tr, ch) = run(&ref_tr, qry, GENOME);
    assert_eq!(aa_to_string(&tr.cdses[0].seq), "MAKLGVTRFPKL");
    assert_eq!(texts(&ch.substitutions), vec!["c:A7T"]);
}

#[test]
fn n_runs_are_unknown_not_changes() {
    // index   0         1         2         3         4
    //         012345678901234567890123456789012345678901234
    let qry = "CCCATGGCTAAANNNNNNNNNCACGATTTCCCAAGTTAAGGGCCC";
    let ref_tr = reference(GENOME, &[(3, 39, Strand::Forward)]);
    let (tr, ch) = run(&ref_tr, qry, GENOME);
    assert_eq!(aa_to_string(&tr.cdses[0].seq), "MAKXXXHDFPS*");
    assert!(ch.substitutions.is_empty() && ch.deletions.is_empty());
    assert_eq!(texts(&ch.unknown_aa_ranges), vec!["c:4-6"]);
    assert_eq!(ch.cds_coverage, vec![("c".to_owned(), 0.75)]);
}

#[test]
fn unsequenced_codons_are_not_deletions() {
    // The query starts at index 9: codons 0 and 1 are outside the alignment range.
    let qry = "---------AAACTTGGGTGGCACGATTTCCCAAGTTAAGGGCCC";
    let ref_tr = reference(GENOME, &[(3, 39, Strand::Forward)]);
    let (tr, ch) = run(&ref_tr, qry, GENOME);
    let cds = &tr.cdses[0];
    assert_eq!(texts(&cds.alignment_ranges), vec!["3-12"]);
    assert_eq!(texts(&cds.unsequenced_ranges), vec!["1-2"]);
    assert!(ch.deletions.is_empty() && ch.substitutions.is_empty());
    assert_eq!(ch.cds_coverage, vec![("c".to_owned(), 10.0 / 12.0)]);
}

#[test]
fn a_cds_without_query_bases_is_a_warning() {
    let qry = "CCC------------------------------------GGGCCC";
    let ref_tr = reference(GENOME, &[(3, 39, Strand::Forward)]);
    let (tr, ch) = run(&ref_tr, qry, GENOME);
    assert!(tr.cdses.is_empty());
    assert_eq!(tr.failed_cdses, vec!["c"]);
    assert_eq!(
        tr.warnings[0].message,
        "When processing gene \"c\": The extracted gene sequence is empty or consists entirely from gaps"
    );
    assert!(ch.cds_coverage.is_empty());
}
