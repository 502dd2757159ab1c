//! The aligned nucleotide sequence of a synthetic genome: the node's mutations on the reference,
//! a few private substitutions, then the N runs a real amplicon-sequenced genome shows.

use rand::Rng;
use virion_core::{NucRange, NucRefPos, NucSub};

/// Most private (non-lineage) substitutions per genome.
const MAX_PRIVATE_SUBS: usize = 3;
/// Most unsequenced bases at the 5' and 3' ends: primers of the first and last amplicons leave
/// them uncovered, the 3' end more often (poly-A tail).
const MAX_LEADING_N: usize = 60;
const MAX_TRAILING_N: usize = 120;
/// Share of genomes with amplicon dropouts, how many runs and how long they are (one ARTIC
/// amplicon is ~400 bases, minus the overlap with its neighbours).
const DROPOUT_SHARE: f64 = 0.04;
const MAX_DROPOUTS: usize = 3;
const DROPOUT_LEN: std::ops::RangeInclusive<usize> = 200..=400;
const BASES: [u8; 4] = *b"ACGT";

/// Writes the reference with the node's differences (substitutions and deletions) into `out`.
pub(crate) fn apply_node_mutations(out: &mut Vec<u8>, reference: &[u8], muts: &[NucSub]) {
    out.clear();
    out.extend_from_slice(reference);
    for m in muts {
        out[m.pos.as_usize()] = m.qry_nuc.to_byte();
    }
}

/// Adds 0–[`MAX_PRIVATE_SUBS`] substitutions at positions still carrying a plain base, so that a
/// private mutation never hides one of the node's.
pub(crate) fn add_private_substitutions(rng: &mut impl Rng, genome: &mut [u8], reference: &[u8]) {
    let wanted = rng.random_range(0..=MAX_PRIVATE_SUBS);
    let mut added = 0;
    // Bounded retries: a position is skipped if the node already changed or deleted it.
    for _ in 0..wanted * 10 {
        if added == wanted {
            break;
        }
        let pos = rng.random_range(0..genome.len());
        if genome[pos] != reference[pos] || !BASES.contains(&genome[pos]) {
            continue;
        }
        genome[pos] = pick_other_base(rng, genome[pos]);
        added += 1;
    }
}

fn pick_other_base(rng: &mut impl Rng, current: u8) -> u8 {
    let at = BASES.iter().position(|&b| b == current).expect("current is a plain base");
    // A shift of 1–3 around the ring of four bases reaches each other base equally often.
    BASES[(at + rng.random_range(1..4)) % 4]
}

/// Draws the N runs of one genome: ragged ends always, amplicon dropouts sometimes. Runs may
/// overlap; they are sorted by start.
pub(crate) fn draw_n_runs(rng: &mut impl Rng, len: usize) -> Vec<NucRange> {
    let mut runs = vec![
        range(0, rng.random_range(0..=MAX_LEADING_N)),
        range(len - rng.random_range(0..=MAX_TRAILING_N), len),
    ];
    if rng.random_bool(DROPOUT_SHARE) {
        for _ in 0..rng.random_range(1..=MAX_DROPOUTS) {
            let run_len = rng.random_range(DROPOUT_LEN);
            let begin = rng.random_range(0..=len - run_len);
            runs.push(range(begin, begin + run_len));
        }
    }
    runs.retain(|r| !r.is_empty());
    runs.sort_by_key(|r| r.begin);
    runs
}

fn range(begin: usize, end: usize) -> NucRange {
    NucRange::new(NucRefPos::from(begin), NucRefPos::from(end))
}

/// Overwrites every position of `runs` with `N`.
pub(crate) fn mask(genome: &mut [u8], runs: &[NucRange]) {
    for r in runs {
        genome[r.begin.as_usize()..r.end.as_usize()].fill(b'N');
    }
}

/// Shortest reference the ragged ends and dropouts fit in.
pub(crate) const MIN_REFERENCE_LEN: usize = MAX_LEADING_N + MAX_TRAILING_N + 400;

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;
    use virion_core::Nuc;

    #[test]
    fn node_mutations_land_at_their_positions() {
        //            0123456789
        let reference = b"ACGTACGTAC";
        let muts = [
            NucSub { pos: NucRefPos::new(2), ref_nuc: Nuc::G, qry_nuc: Nuc::T },
            NucSub { pos: NucRefPos::new(7), ref_nuc: Nuc::T, qry_nuc: Nuc::Gap },
        ];
        let mut out = Vec::new();
        apply_node_mutations(&mut out, reference, &muts);
        assert_eq!(&out, b"ACTTACG-AC");
    }

    #[test]
    fn private_substitutions_change_at_most_three_plain_bases() {
        let mut rng = StdRng::seed_from_u64(1);
        let reference = b"ACGT".repeat(100);
        for _ in 0..200 {
            let mut genome = reference.clone();
            genome[5] = b'-';
            add_private_substitutions(&mut rng, &mut genome, &reference);
            let changed = genome.iter().zip(&reference).filter(|(a, b)| a != b).count();
            assert!(changed <= 4, "{changed}");
            assert_eq!(genome[5], b'-', "a deletion is never overwritten");
        }
    }

    #[test]
    fn n_runs_cover_ends_within_bounds() {
        let mut rng = StdRng::seed_from_u64(2);
        for _ in 0..500 {
            let runs = draw_n_runs(&mut rng, 1000);
            let mut genome = vec![b'A'; 1000];
            mask(&mut genome, &runs);
            let lead = genome.iter().take_while(|&&b| b == b'N').count();
            let trail = genome.iter().rev().take_while(|&&b| b == b'N').count();
            assert!(runs.len() <= 5);
            assert!(lead <= MAX_LEADING_N || runs.len() > 2);
            assert!(trail <= MAX_TRAILING_N || runs.len() > 2);
        }
    }
}
