//! Seed matching and chaining, as Nextclade 3 does it.
//!
//! k-mers are matched on "codon-spaced" sequences: every third base is dropped (the wobble
//! position, for each of the three possible frames), so synonymous changes do not break seeds.
//! Query k-mers sampled every `kmer_distance` are looked up exactly in the three spaced versions
//! of the reference; each hit is extended base-by-base in both directions while a sliding window
//! holds at most `allowed_mismatches` mismatches, chopped into `min_match_length` pieces, and the
//! pieces are chained (Gusfield's two-dimensional chain) into one co-linear chain.
//!
//! Repeated k-mers report their hits in suffix-array order, like Nextclade's FM index, because
//! hit order decides which overlapping hits get extended and how chaining breaks ties.

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};

use virion_core::Nuc;

use crate::error::AlignError;
use crate::params::AlignParams;

/// An exact-ish match of `length` bases; `offset` is `qry_pos - ref_pos`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedMatch {
    /// 0-based reference position of the first matched base.
    pub ref_pos: usize,
    /// 0-based query position of the first matched base.
    pub qry_pos: usize,
    /// Number of matched bases.
    pub length: usize,
    /// The diagonal, `qry_pos - ref_pos`.
    pub offset: isize,
}

/// Keeps positions 0 and 1 of every codon starting at `start`, dropping position 2.
fn codon_spaced(seq: &[Nuc], start: usize) -> Vec<Nuc> {
    seq.iter().skip(start).enumerate().filter(|(i, _)| i % 3 != 2).map(|(_, n)| *n).collect()
}

/// Spaced index back to the unspaced sequence.
const fn unspace(i: usize) -> usize {
    i * 3 / 2
}

/// A 4-bit code per letter, so a k-mer of up to 32 letters packs into a u128.
fn kmer_key(kmer: &[Nuc]) -> u128 {
    kmer.iter().fold(0u128, |acc, &n| (acc << 4) | u128::from(crate::scoring::nuc_code(n)))
}

/// Exact k-mer lookup in one codon-spaced reference.
#[derive(Debug)]
struct SpacedIndex {
    seq: Vec<Nuc>,
    hits: HashMap<u128, Vec<u32>>,
}

impl SpacedIndex {
    fn new(seq: Vec<Nuc>, k: usize) -> Self {
        let mut hits: HashMap<u128, Vec<u32>> = HashMap::with_capacity(seq.len());
        if k > 0 && seq.len() >= k {
            for i in 0..=seq.len() - k {
                hits.entry(kmer_key(&seq[i..i + k])).or_default().push(i as u32);
            }
        }
        for list in hits.values_mut() {
            if list.len() > 1 {
                // Suffix-array order: the suffixes compared as byte strings, a proper prefix
                // (ended by the index's `$` terminator) sorting first.
                list.sort_by(|&a, &b| {
                    let sa: &[Nuc] = &seq[a as usize..];
                    let sb: &[Nuc] = &seq[b as usize..];
                    sa.iter().map(|n| *n as u8).cmp(sb.iter().map(|n| *n as u8))
                });
            }
        }
        Self { seq, hits }
    }

    fn find(&self, kmer: &[Nuc]) -> &[u32] {
        if kmer.iter().any(|n| n.is_unknown()) {
            return &[];
        }
        match self.hits.get(&kmer_key(kmer)) {
            // Keys are exact for k <= 32; longer k-mers are verified.
            Some(list) if kmer.len() <= 32 => list,
            Some(list) if list.iter().all(|&p| &self.seq[p as usize..p as usize + kmer.len()] == kmer) => {
                list
            }
            _ => &[],
        }
    }
}

/// The reference's three codon-spaced k-mer indexes. Build once per reference and k-mer length.
#[derive(Debug)]
pub struct SeedIndex {
    ref_seq: Vec<Nuc>,
    kmer_length: usize,
    indexes: [SpacedIndex; 3],
}

impl SeedIndex {
    /// Indexes `ref_seq`'s three codon-spaced versions for k-mers of `kmer_length`.
    pub fn new(ref_seq: &[Nuc], kmer_length: usize) -> Self {
        let indexes = [0, 1, 2].map(|s| SpacedIndex::new(codon_spaced(ref_seq, s), kmer_length));
        Self { ref_seq: ref_seq.to_vec(), kmer_length, indexes }
    }

    /// Whether this index was built for `ref_seq` with `kmer_length`.
    pub fn is_for(&self, ref_seq: &[Nuc], kmer_length: usize) -> bool {
        self.kmer_length == kmer_length && self.ref_seq == ref_seq
    }

    /// Raw k-mer hits in unspaced coordinates, in Nextclade's order.
    fn index_matches(&self, qry: &[Nuc], params: &AlignParams, out: &mut Vec<SeedMatch>) {
        out.clear();
        let k = params.kmer_length;
        let step = params.kmer_distance.max(1);
        for q_start in 0..3 {
            let spaced_qry = codon_spaced(qry, q_start);
            for (r_start, index) in self.indexes.iter().enumerate() {
                let mut i = 0;
                while i + k < spaced_qry.len() {
                    for &hit in index.find(&spaced_qry[i..i + k]) {
                        let qry_pos = unspace(i) + q_start;
                        let ref_pos = unspace(hit as usize) + r_start;
                        out.push(SeedMatch {
                            qry_pos,
                            ref_pos,
                            length: 0,
                            offset: qry_pos as isize - ref_pos as isize,
                        });
                    }
                    i += step;
                }
            }
        }
    }
}

/// Index of the end of the longest run of matches in the window (0 if none), counting the
/// window's initial padding as matches.
fn crop_point(window: impl Iterator<Item = bool>) -> usize {
    let (mut crop, mut longest, mut run) = (0, 0, 0);
    for (pos, mismatch) in window.enumerate() {
        run = if mismatch { 0 } else { run + 1 };
        if run > longest {
            longest = run;
            crop = pos + 1;
        }
    }
    crop
}

/// One way of a seed's extension, as Nextclade walks it: step `i` compares the i-th pair of
/// letters away from the seed, and the walk stops after the step that leaves more than
/// `allowed` mismatches among the last `w` steps, or after `max_steps`. `next_mismatch(i)` is
/// the first mismatching step at or after `i`. The walk jumps from mismatch to mismatch
/// (only a mismatch can stop it) keeping the steps of the window's mismatches in `recent`.
/// Returns the steps taken and how many of them to give back: those after the end of the
/// longest run of matches among the last `w` steps (before the first step all matches).
fn walk(
    max_steps: usize,
    w: usize,
    allowed: usize,
    next_mismatch: impl Fn(usize) -> Option<usize>,
    recent: &mut VecDeque<usize>,
) -> (usize, usize) {
    recent.clear();
    let mut steps = 0;
    while recent.len() <= allowed && steps < max_steps {
        match next_mismatch(steps) {
            None => steps = max_steps,
            Some(p) => {
                while recent.front().is_some_and(|&f| f + w <= p) {
                    recent.pop_front();
                }
                recent.push_back(p);
                steps = p + 1;
            }
        }
    }
    let window = (0..w).map(|k| {
        // The window's k-th step, oldest first; before the first step, padding (a match).
        (steps + k).checked_sub(w).is_some_and(|step| recent.contains(&step))
    });
    (steps, w - crop_point(window))
}

/// Whether two runs of letters differ, without a branch per letter.
fn differ(a: &[Nuc], b: &[Nuc]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (&x, &y)| acc | (x as u8 ^ y as u8)) != 0
}

/// The first index below `a.len()` (and `b.len()`) from `from` on where `a` and `b` differ.
fn first_difference(a: &[Nuc], b: &[Nuc], from: usize) -> Option<usize> {
    const CHUNK: usize = 16;
    let n = a.len().min(b.len());
    let mut i = from;
    while i + CHUNK <= n && !differ(&a[i..i + CHUNK], &b[i..i + CHUNK]) {
        i += CHUNK;
    }
    (i..n).find(|&j| a[j] != b[j])
}

/// The first `i >= from` where `a[end - 1 - i]` and `b[end_b - 1 - i]` differ, walking down
/// from the ends of `a` and `b`, at most `max` letters.
fn first_difference_backwards(a: &[Nuc], b: &[Nuc], from: usize, max: usize) -> Option<usize> {
    const CHUNK: usize = 16;
    let (ea, eb) = (a.len(), b.len());
    let mut i = from;
    while i + CHUNK <= max && !differ(&a[ea - i - CHUNK..ea - i], &b[eb - i - CHUNK..eb - i]) {
        i += CHUNK;
    }
    (i..max).find(|&j| a[ea - 1 - j] != b[eb - 1 - j])
}

/// Extends a raw hit both ways and chops it into `min_match_length` pieces (appended to `out`).
/// Returns the extended query range `[begin, end)`, or None when it is too short.
fn extend_seed(
    seed: &SeedMatch,
    qry: &[Nuc],
    ref_seq: &[Nuc],
    params: &AlignParams,
    recent: &mut VecDeque<usize>,
    out: &mut Vec<SeedMatch>,
) -> Option<(usize, usize)> {
    let w = params.window_size;
    let allowed = params.allowed_mismatches;
    let (mut ref_pos, mut qry_pos, mut length) = (seed.ref_pos, seed.qry_pos, seed.length);

    // Forward from the seed's end.
    let max_length = (ref_seq.len() - ref_pos).min(qry.len() - qry_pos);
    let (ahead_r, ahead_q) = (&ref_seq[ref_pos + length..], &qry[qry_pos + length..]);
    let ahead = max_length.saturating_sub(length);
    let (steps, give_back) =
        walk(ahead, w, allowed, |i| first_difference(&ahead_r[..ahead], &ahead_q[..ahead], i), recent);
    length += steps;
    length -= give_back;

    // Backward from the seed's start.
    let behind = ref_pos.min(qry_pos);
    let (behind_r, behind_q) = (&ref_seq[..ref_pos], &qry[..qry_pos]);
    let (steps, back_crop) =
        walk(behind, w, allowed, |i| first_difference_backwards(behind_r, behind_q, i, behind), recent);
    ref_pos -= steps;
    qry_pos -= steps;
    length += steps;
    length -= back_crop;
    ref_pos += back_crop;
    qry_pos += back_crop;

    let m = params.min_match_length;
    if length < m || m == 0 {
        return None;
    }
    let last_ref = ref_pos + length - m;
    let (mut r, mut q) = (ref_pos, qry_pos);
    while r < last_ref {
        out.push(SeedMatch { ref_pos: r, qry_pos: q, length: m, offset: seed.offset });
        r += m;
        q += m;
    }
    out.push(SeedMatch { ref_pos: last_ref, qry_pos: qry_pos + length - m, length: m, offset: seed.offset });
    Some((qry_pos, (qry_pos + length).min(qry.len())))
}

/// Extended, chopped matches; hits inside an already extended range of the same diagonal are
/// skipped.
fn extended_matches(index: &SeedIndex, qry: &[Nuc], ref_seq: &[Nuc], params: &AlignParams) -> Vec<SeedMatch> {
    let mut raw = Vec::new();
    index.index_matches(qry, params, &mut raw);
    // Per diagonal: covered query ranges, closed intervals as in Nextclade's interval sets.
    let mut covered: HashMap<isize, Vec<(usize, usize)>> = HashMap::new();
    let mut recent = VecDeque::with_capacity(params.allowed_mismatches + 2);
    let mut out = Vec::new();
    for hit in &raw {
        let (a, b) = (hit.qry_pos, hit.qry_pos + params.kmer_length);
        if let Some(ranges) = covered.get(&hit.offset)
            && ranges.iter().any(|&(s, e)| s <= b && a <= e)
        {
            continue;
        }
        if let Some(range) = extend_seed(hit, qry, ref_seq, params, &mut recent, &mut out) {
            covered.entry(hit.offset).or_default().push(range);
        }
    }
    out
}

/// Best co-linear chain of matches (Gusfield, "two-dimensional chain"), adjacent pieces merged.
fn chain_seeds(matches: &[SeedMatch]) -> Vec<SeedMatch> {
    #[derive(Clone, Copy)]
    struct Triplet {
        ref_end: usize,
        score: usize,
        j: usize,
    }
    let mut scores = vec![0usize; matches.len()];
    let mut previous: Vec<Option<usize>> = vec![None; matches.len()];
    // (qry_pos, is_end, match index); the stable sort keeps construction order among ties.
    let mut endpoints: Vec<(usize, bool, usize)> = Vec::with_capacity(2 * matches.len());
    for (j, m) in matches.iter().enumerate() {
        endpoints.push((m.qry_pos, false, j));
        endpoints.push((m.qry_pos + m.length, true, j));
    }
    endpoints.sort_by_key(|e| e.0);

    // Best chains so far. Nextclade keeps them by decreasing ref_end, a newcomer after those of
    // equal ref_end; this list is that order reversed (increasing ref_end, a newcomer before
    // its equals), so that the usual newcomer, the furthest piece yet, is pushed at the end
    // instead of shifting the whole list, and every lookup is a binary search.
    let mut triplets: Vec<Triplet> = Vec::with_capacity(matches.len());
    for &(_, is_end, j) in &endpoints {
        let m = &matches[j];
        if !is_end {
            // Nextclade's first triplet with ref_end <= ref_pos: the last one here.
            let k = triplets.partition_point(|t| t.ref_end <= m.ref_pos);
            let best = k.checked_sub(1).map(|i| triplets[i]);
            scores[j] = m.length + best.map_or(0, |t| t.score);
            previous[j] = best.map(|t| t.j);
        } else {
            let ref_end = m.ref_pos + m.length;
            let below = triplets.partition_point(|t| t.ref_end < ref_end);
            let add = below.checked_sub(1).is_none_or(|i| triplets[i].score <= scores[j]);
            if add {
                let added = Triplet { ref_end, score: scores[j], j };
                triplets.insert(below, added);
                // Triplets reaching as far or further with a lower score can no longer start
                // the best chain: all of them lie after the newcomer.
                let mut w = below + 1;
                for r in below + 1..triplets.len() {
                    if triplets[r].score >= added.score {
                        triplets[w] = triplets[r];
                        w += 1;
                    }
                }
                triplets.truncate(w);
            }
        }
    }

    let mut chain = Vec::new();
    let mut at = triplets.last().map(|t| t.j);
    while let Some(j) = at {
        chain.push(matches[j]);
        at = previous[j];
    }
    chain.reverse();

    let mut merged: Vec<SeedMatch> = Vec::with_capacity(chain.len());
    for seed in chain {
        match merged.last_mut() {
            Some(cur)
                if seed.qry_pos == cur.qry_pos + cur.length && seed.ref_pos == cur.ref_pos + cur.length =>
            {
                cur.length += seed.length;
            }
            _ => merged.push(seed),
        }
    }
    merged
}

/// Chained seeds for one strand, or why there are not enough of them.
pub fn seed_matches(
    qry: &[Nuc],
    ref_seq: &[Nuc],
    index: &SeedIndex,
    params: &AlignParams,
) -> Result<Vec<SeedMatch>, AlignError> {
    let matches = extended_matches(index, qry, ref_seq, params);
    if matches.is_empty() {
        return Err(AlignError::NoSeedMatches { min_match_length: params.min_match_length });
    }
    let chain = chain_seeds(&matches);
    let covered: usize = chain.iter().map(|s| s.length).sum();
    let max_cover = qry.len().min(ref_seq.len()) as f64;
    if (covered as f64 / max_cover) < params.min_seed_cover {
        let known = qry.iter().filter(|n| n.is_acgt()).count().min(ref_seq.len()) as f64;
        if (covered as f64 / known) < params.min_seed_cover {
            return Err(AlignError::SeedCoverTooLow {
                cover_percent: 100.0 * covered as f64 / known,
                min_cover_percent: 100.0 * params.min_seed_cover,
            });
        }
    }
    Ok(chain)
}

/// Reverse complement of a sequence.
pub fn reverse_complement(seq: &[Nuc]) -> Vec<Nuc> {
    seq.iter().rev().map(|n| n.complement()).collect()
}

/// The query as aligned (possibly reverse-complemented), its seed chain, and whether it was
/// reverse-complemented.
pub type StrandSeeds<'a> = (Cow<'a, [Nuc]>, Vec<SeedMatch>, bool);

/// Seeds on the forward strand, else (when enabled) on the reverse complement; the error of the
/// forward attempt is reported when both fail.
pub fn seed_matches_maybe_reverse_complement<'a>(
    qry: &'a [Nuc],
    ref_seq: &[Nuc],
    index: &SeedIndex,
    params: &AlignParams,
) -> Result<StrandSeeds<'a>, AlignError> {
    match seed_matches(qry, ref_seq, index, params) {
        Ok(chain) => Ok((Cow::Borrowed(qry), chain, false)),
        Err(err) if params.retry_reverse_complement => {
            let rc = reverse_complement(qry);
            let chain = seed_matches(&rc, ref_seq, index, params).map_err(|_| err)?;
            Ok((Cow::Owned(rc), chain, true))
        }
        Err(err) => Err(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use virion_core::nucs_from_str;

    /// The extension as first written, one letter per step: the oracle for `walk`.
    fn extend_by_steps(
        seed: &SeedMatch,
        qry: &[Nuc],
        ref_seq: &[Nuc],
        params: &AlignParams,
        window: &mut VecDeque<bool>,
    ) -> (usize, usize, usize) {
        let w = params.window_size;
        let (mut ref_pos, mut qry_pos, mut length) = (seed.ref_pos, seed.qry_pos, seed.length);
        let max_length = (ref_seq.len() - ref_pos).min(qry.len() - qry_pos);

        window.clear();
        window.resize(w, false);
        let mut mismatches = 0usize;
        while mismatches <= params.allowed_mismatches && length < max_length {
            if window.pop_front() == Some(true) {
                mismatches = mismatches.saturating_sub(1);
            }
            let mismatch = ref_seq[ref_pos + length] != qry[qry_pos + length];
            mismatches += usize::from(mismatch);
            window.push_back(mismatch);
            length += 1;
        }
        length -= w - crop_point(window.iter().copied());

        window.clear();
        window.resize(w, false);
        mismatches = 0;
        while mismatches <= params.allowed_mismatches && ref_pos > 0 && qry_pos > 0 {
            if window.pop_front() == Some(true) {
                mismatches = mismatches.saturating_sub(1);
            }
            let mismatch = ref_seq[ref_pos - 1] != qry[qry_pos - 1];
            mismatches += usize::from(mismatch);
            window.push_back(mismatch);
            ref_pos -= 1;
            qry_pos -= 1;
            length += 1;
        }
        let back_crop = w - crop_point(window.iter().copied());
        length -= back_crop;
        ref_pos += back_crop;
        qry_pos += back_crop;

        (ref_pos, qry_pos, length)
    }

    /// The jumping walk extends every seed exactly as the letter-by-letter walk does, on random
    /// sequence pairs with mismatches scattered and clustered.
    #[test]
    fn walk_equals_the_letter_by_letter_extension() {
        use rand::rngs::StdRng;
        use rand::{Rng, SeedableRng};
        let mut rng = StdRng::seed_from_u64(11);
        let bases = [Nuc::A, Nuc::C, Nuc::G, Nuc::T];
        for round in 0..3000 {
            let n = rng.random_range(1..400);
            let r: Vec<Nuc> = (0..n).map(|_| bases[rng.random_range(0..4)]).collect();
            let rate = [2, 10, 40][round % 3];
            // The query: a few extra letters in front (the seed off the main diagonal), then
            // the reference with substitutions.
            let shift = rng.random_range(0..5);
            let mut q: Vec<Nuc> = (0..shift).map(|_| bases[rng.random_range(0..4)]).collect();
            for &b in &r {
                q.push(if rng.random_range(0..rate) == 0 { bases[rng.random_range(0..4)] } else { b });
            }
            let params = AlignParams {
                window_size: rng.random_range(1..40),
                allowed_mismatches: rng.random_range(0..10),
                min_match_length: 1,
                ..AlignParams::default()
            };
            let pos = rng.random_range(0..n);
            let length = rng.random_range(0..=(n - pos).min(12));
            let seed = SeedMatch { ref_pos: pos, qry_pos: pos + shift, length, offset: shift as isize };
            let mut out = Vec::new();
            let got = extend_seed(&seed, &q, &r, &params, &mut VecDeque::new(), &mut out);
            let (rp, qp, len) = extend_by_steps(&seed, &q, &r, &params, &mut VecDeque::new());
            let expect = (len >= 1).then(|| (qp, (qp + len).min(q.len())));
            assert_eq!(got, expect, "round {round}: {seed:?} {params:?}");
            if let Some(first) = out.first() {
                assert_eq!((first.ref_pos, first.qry_pos), (rp, qp), "round {round}");
            }
        }
    }

    #[test]
    fn extends_and_chops_like_nextclade() {
        // Nextclade's own example: a seed at ref 40 / qry 37 extends to ref 20..73, chopped into
        // two 40-base pieces.
        //          0         1         2         3         4         5         6         7         8         9
        //          0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789
        let r = "CGCATCGCTGATCGTACGATCGTACTGGTACTGCACTCTAAAAAAAAAACGTGCTGACTGCACTGCATTTATACGATTCTCTCTTCCGACTGTCGACTG";
        let q =
            "TCGCTGATCGTACGATCCGTACTGGTACTGCACTCAAAAAAAAAAAGGTGCTGACTGCACTGCATTTATAGATTCTCTCTTCCGACTGTCGA";
        let (r, q) = (nucs_from_str(r).unwrap(), nucs_from_str(q).unwrap());
        let seed = SeedMatch { ref_pos: 40, qry_pos: 37, length: 8, offset: 0 };
        let mut out = Vec::new();
        let mut window = VecDeque::new();
        extend_seed(&seed, &q, &r, &AlignParams::default(), &mut window, &mut out);
        assert_eq!(
            out,
            [
                SeedMatch { ref_pos: 20, qry_pos: 17, length: 40, offset: 0 },
                SeedMatch { ref_pos: 33, qry_pos: 30, length: 40, offset: 0 }
            ]
        );
    }

    #[test]
    fn codon_spacing_drops_every_third_base() {
        let s = nucs_from_str("ACGTACGTA").unwrap();
        assert_eq!(codon_spaced(&s, 0), nucs_from_str("ACTAGT").unwrap());
        assert_eq!(codon_spaced(&s, 1), nucs_from_str("CGACTA").unwrap());
        assert_eq!(unspace(3), 4);
    }

    #[test]
    fn chain_prefers_colinear_matches() {
        let m = |r, q, l| SeedMatch { ref_pos: r, qry_pos: q, length: l, offset: q as isize - r as isize };
        let matches = [m(0, 0, 40), m(40, 40, 40), m(500, 45, 40), m(100, 100, 40)];
        let chain = chain_seeds(&matches);
        assert_eq!(chain, [m(0, 0, 80), m(100, 100, 40)]);
    }
}
