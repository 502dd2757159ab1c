//! The band is widened and the alignment retried while the best path touches the band's edge;
//! a band over `max_band_area` ends the retries, keeping the last alignment whose band fitted,
//! and is an error only on the first attempt.

use rand::{Rng, SeedableRng, rngs::StdRng};
use virion_align::{AlignError, AlignParams, align_nuc, gap_open_close_nuc};
use virion_core::Nuc;

/// A random 3 kb reference and a query with a deletion followed closely by an insertion (seed 9:
/// a case where the first band is too narrow, so retrying changes the score).
fn genome_with_nearby_indels() -> (Vec<Nuc>, Vec<Nuc>) {
    let mut rng = StdRng::seed_from_u64(9);
    let letter = |rng: &mut StdRng| [Nuc::A, Nuc::C, Nuc::G, Nuc::T][rng.random_range(0..4)];
    let rf: Vec<Nuc> = (0..3000).map(|_| letter(&mut rng)).collect();
    let mut qry = rf.clone();
    let del_at = rng.random_range(500..2000);
    let del_len = rng.random_range(20..120);
    qry.drain(del_at..del_at + del_len);
    let ins_at = del_at + rng.random_range(10..60);
    let ins_len = rng.random_range(20..120);
    for _ in 0..ins_len {
        let l = letter(&mut rng);
        qry.insert(ins_at, l);
    }
    (rf, qry)
}

#[test]
fn band_over_max_area_keeps_the_previous_attempt_or_fails_the_first() {
    let (rf, qry) = genome_with_nearby_indels();
    let p = AlignParams::default();
    let goc = gap_open_close_nuc(rf.len(), &[], &p);

    let retried = align_nuc(&qry, &rf, &goc, &p).unwrap();
    let first_only =
        align_nuc(&qry, &rf, &goc, &AlignParams { max_alignment_attempts: 0, ..p.clone() }).unwrap();
    assert_ne!(retried.score, first_only.score, "this case must need a wider band");

    let first_area = match align_nuc(&qry, &rf, &goc, &AlignParams { max_band_area: 0, ..p.clone() }) {
        Err(AlignError::BandTooLarge { band_area, max_band_area: 0 }) => band_area,
        other => panic!("expected BandTooLarge, got {other:?}"),
    };
    // Only the first band fits: the widened ones are refused and the first attempt is kept.
    let capped = align_nuc(&qry, &rf, &goc, &AlignParams { max_band_area: first_area, ..p.clone() }).unwrap();
    assert_eq!(capped.score, first_only.score);
    assert_eq!(capped.qry_seq, first_only.qry_seq);
    assert_eq!(capped.ref_seq, first_only.ref_seq);
    // Not even the first band fits.
    match align_nuc(&qry, &rf, &goc, &AlignParams { max_band_area: first_area - 1, ..p.clone() }) {
        Err(AlignError::BandTooLarge { band_area, .. }) => assert_eq!(band_area, first_area),
        other => panic!("expected BandTooLarge, got {other:?}"),
    }
}
