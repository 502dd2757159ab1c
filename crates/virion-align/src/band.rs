//! The band: for each reference row, the half-open range of query columns the aligner may visit.
//!
//! Built from chained seeds as a sequence of trapezoids (a diagonal offset range over a span of
//! reference rows): one at each end, one per seed body and one across each gap between seeds,
//! widened so that indels between seeds fit. Rows are then trimmed to reachable cells.

use crate::seed::SeedMatch;

/// Query columns `[begin, end)` of one row of the band.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stripe {
    /// First query column of the row the aligner may visit.
    pub begin: usize,
    /// One past the last such column.
    pub end: usize,
}

/// Every cell of a `(ref_len + 1) x (qry_len + 1)` matrix.
pub fn full_matrix(out: &mut Vec<Stripe>, ref_len: usize, qry_len: usize) {
    out.clear();
    out.resize(ref_len + 1, Stripe { begin: 0, end: qry_len + 1 });
}

/// A fixed-width diagonal band around `mean_shift` (query offset of -mean_shift), for peptides.
pub fn simple_stripes(
    out: &mut Vec<Stripe>,
    mean_shift: i32,
    band_width: usize,
    ref_len: usize,
    qry_len: usize,
) {
    out.clear();
    let bw = band_width as i64;
    let ms = mean_shift as i64;
    let ql = qry_len as i64;
    for i in 0..=ref_len as i64 {
        let begin = (-ms - bw + i).clamp(0, ql);
        let end = (-ms + bw + i + 1).clamp(1, ql + 1);
        out.push(Stripe { begin: begin as usize, end: end as usize });
    }
    out[0].begin = 0;
    out[ref_len].end = qry_len + 1;
}

#[derive(Debug, Clone, Copy)]
struct Trapezoid {
    ref_start: isize,
    ref_end: isize,
    min_offset: isize,
    max_offset: isize,
}

/// Closes the band in progress at the current seed, opens one for the seed's body, and pops
/// earlier trapezoids when the look-back needed for the next junction reaches into them.
/// Returns the updated look-back length and where the last kept trapezoid ends.
#[allow(clippy::too_many_arguments)]
fn extend_and_rewind(
    seed: &SeedMatch,
    mut band: Trapezoid,
    bands: &mut Vec<Trapezoid>,
    mean_offset: isize,
    look_forward: isize,
    mut look_back: isize,
    minimal_bandwidth: isize,
    ref_len: isize,
) -> (isize, isize) {
    let seed_end = (seed.ref_pos + seed.length) as isize;
    if seed_end > band.ref_end {
        bands.push(band);
        band = Trapezoid {
            ref_start: band.ref_end,
            ref_end: seed_end,
            min_offset: seed.offset - minimal_bandwidth,
            max_offset: seed.offset + minimal_bandwidth,
        };
    }
    look_back = look_back.max(mean_offset - band.min_offset).max(band.max_offset - mean_offset);
    while band.ref_start > (seed_end - look_back - 1).max(0) {
        band = bands.pop().unwrap_or(Trapezoid {
            ref_start: 0,
            ref_end: (seed.ref_pos as isize + look_forward).min(ref_len + 1),
            min_offset: seed.offset - look_back,
            max_offset: seed.offset + look_back,
        });
        look_back = look_back.max(mean_offset - band.min_offset).max(band.max_offset - mean_offset);
    }
    band.ref_end = (seed_end - look_back).max(0);
    if band.ref_end > band.ref_start {
        bands.push(band);
    }
    (look_back, band.ref_end)
}

/// Builds the band from a non-empty seed chain into `out`; returns its area in cells.
pub fn create_alignment_band(
    out: &mut Vec<Stripe>,
    chain: &[SeedMatch],
    qry_len: isize,
    ref_len: isize,
    terminal_bandwidth: isize,
    excess_bandwidth: isize,
    minimal_bandwidth: isize,
) -> u64 {
    let mut bands = Vec::<Trapezoid>::with_capacity(2 * chain.len() + 2);
    let mut current = &chain[0];
    let mut look_back = terminal_bandwidth;
    let mut look_forward = terminal_bandwidth;
    let mut band = Trapezoid {
        ref_start: 0,
        ref_end: (current.ref_pos as isize + look_forward).min(ref_len + 1),
        min_offset: current.offset - terminal_bandwidth,
        max_offset: current.offset + terminal_bandwidth,
    };
    let mut current_ref_end;

    for next in &chain[1..] {
        let mean_offset = isize::midpoint(next.offset, current.offset);
        let shift = (next.offset - current.offset).abs() / 2;
        look_forward = shift + excess_bandwidth;
        (look_back, current_ref_end) = extend_and_rewind(
            current,
            band,
            &mut bands,
            mean_offset,
            look_forward,
            shift + excess_bandwidth,
            minimal_bandwidth,
            ref_len,
        );
        band = Trapezoid {
            ref_start: current_ref_end,
            ref_end: next.ref_pos as isize + look_forward,
            min_offset: mean_offset - look_back.max(excess_bandwidth),
            max_offset: mean_offset + look_back.max(excess_bandwidth),
        };
        current = next;
    }

    (look_back, current_ref_end) = extend_and_rewind(
        current,
        band,
        &mut bands,
        current.offset,
        look_forward,
        terminal_bandwidth.max(look_back),
        minimal_bandwidth,
        ref_len,
    );
    bands.push(Trapezoid {
        ref_start: current_ref_end,
        ref_end: ref_len + 1,
        min_offset: current.offset - look_back,
        max_offset: current.offset + look_back,
    });

    out.clear();
    for b in &bands {
        for ref_pos in b.ref_start..b.ref_end {
            out.push(Stripe {
                begin: (ref_pos + b.min_offset).min(qry_len - minimal_bandwidth).max(0) as usize,
                end: (ref_pos + b.max_offset).clamp(0, qry_len) as usize + 1,
            });
        }
    }
    regularize_stripes(out, qry_len as usize)
}

/// Makes begins and ends non-decreasing (other cells are unreachable); returns the area.
fn regularize_stripes(stripes: &mut [Stripe], qry_len: usize) -> u64 {
    let n = stripes.len();
    stripes[0].begin = 0;
    for i in 1..n {
        stripes[i].begin = clamp_loose(stripes[i].begin, stripes[i - 1].begin, qry_len);
    }
    stripes[n - 1].end = qry_len + 1;
    let mut area = (stripes[n - 1].end - stripes[n - 1].begin) as u64;
    for i in (0..n - 1).rev() {
        stripes[i].end = clamp_loose(stripes[i].end, stripes[i].begin + 1, stripes[i + 1].end);
        area += (stripes[i].end - stripes[i].begin) as u64;
    }
    area
}

/// `num_traits::clamp` semantics (no panic when min > max: the lower bound wins last).
fn clamp_loose(x: usize, lo: usize, hi: usize) -> usize {
    if x < lo {
        lo
    } else if x > hi {
        hi
    } else {
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_stripes_follow_the_diagonal() {
        let mut s = Vec::new();
        simple_stripes(&mut s, 0, 2, 5, 7);
        let got: Vec<(usize, usize)> = s.iter().map(|s| (s.begin, s.end)).collect();
        assert_eq!(got, [(0, 3), (0, 4), (0, 5), (1, 6), (2, 7), (3, 8)]);
        simple_stripes(&mut s, 2, 1, 5, 5);
        let got: Vec<(usize, usize)> = s.iter().map(|s| (s.begin, s.end)).collect();
        assert_eq!(got, [(0, 1), (0, 1), (0, 2), (0, 3), (1, 4), (2, 6)]);
    }

    #[test]
    fn band_covers_a_single_seed_with_terminal_width() {
        let chain = [SeedMatch { ref_pos: 10, qry_pos: 10, length: 20, offset: 0 }];
        let mut s = Vec::new();
        let area = create_alignment_band(&mut s, &chain, 40, 40, 5, 2, 1);
        assert_eq!(s.len(), 41);
        assert_eq!(s[0], Stripe { begin: 0, end: 6 });
        assert_eq!(s[40].end, 41);
        assert!(s.windows(2).all(|w| w[0].begin <= w[1].begin && w[0].end <= w[1].end));
        assert_eq!(area, s.iter().map(|s| (s.end - s.begin) as u64).sum::<u64>());
    }
}
