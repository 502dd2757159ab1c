//! Seed, band and banded pairwise alignment of a genome or peptide to its reference.
//!
//! A faithful re-implementation of Nextclade 3's aligner: codon-spaced k-mer seeds are extended
//! and chained, a band is built around the chain, and a banded Gotoh alignment with
//! codon-aware gap-opening costs and free terminal gaps fills it. When the optimal path touches
//! the band's edge, the band is widened and the alignment retried. Gap placement and scores
//! follow Nextclade's tie-breaking exactly.

mod band;
mod error;
mod gap_open;
mod matrix;
mod params;
mod scoring;
mod seed;
mod strip;
#[cfg(test)]
mod tests;

use std::cell::RefCell;

use virion_core::{Aa, Nuc};

pub use band::Stripe;
pub use error::AlignError;
pub use gap_open::{CodingSegment, gap_open_close_aa, gap_open_close_nuc};
pub use params::{AlignParams, GapAlignmentSide};
pub use scoring::AlignLetter;
pub use seed::{SeedIndex, SeedMatch, reverse_complement};
pub use strip::{StrippedAlignment, strip_insertions};

use matrix::Workspace;

/// A pairwise alignment: both rows have the same length, gaps are `-`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alignment<L> {
    /// The aligned query, gaps included.
    pub qry_seq: Vec<L>,
    /// The aligned reference, gaps included; same length as `qry_seq`.
    pub ref_seq: Vec<L>,
    /// The alignment's score under the parameters' match, mismatch and gap scores.
    pub score: i32,
    /// The query was aligned as its reverse complement (only with `retry_reverse_complement`).
    pub is_reverse_complement: bool,
}

thread_local! {
    static WORKSPACE: RefCell<Workspace> = RefCell::new(Workspace::default());
    static SEED_INDEX: RefCell<Option<SeedIndex>> = const { RefCell::new(None) };
}

/// Aligns a genome to its reference: seeds, band, banded alignment, band-widening retries.
///
/// `gap_open_close` comes from [`gap_open_close_nuc`]. The reference's seed index is built on
/// first use and cached per thread (rebuilt when a different reference comes along); use
/// [`align_nuc_with_index`] to manage it yourself.
pub fn align_nuc(
    qry: &[Nuc],
    ref_: &[Nuc],
    gap_open_close: &[i32],
    params: &AlignParams,
) -> Result<Alignment<Nuc>, AlignError> {
    SEED_INDEX.with(|cell| {
        let mut cached = cell.borrow_mut();
        if !cached.as_ref().is_some_and(|i| i.is_for(ref_, params.kmer_length)) {
            *cached = Some(SeedIndex::new(ref_, params.kmer_length));
        }
        let index = cached.as_ref().expect("index was just built");
        align_nuc_with_index(qry, ref_, index, gap_open_close, params)
    })
}

/// [`align_nuc`] with a caller-owned seed index (built with [`SeedIndex::new`] for `ref_`).
pub fn align_nuc_with_index(
    qry: &[Nuc],
    ref_: &[Nuc],
    index: &SeedIndex,
    gap_open_close: &[i32],
    params: &AlignParams,
) -> Result<Alignment<Nuc>, AlignError> {
    let qry_len = qry.len();
    let ref_len = ref_.len();
    if qry_len < params.min_length {
        return Err(AlignError::SequenceTooShort { qry_len, min_length: params.min_length });
    }
    WORKSPACE.with(|ws| {
        let ws = &mut *ws.borrow_mut();
        if ref_len + qry_len < 20 * params.kmer_length {
            // Short sequences: the whole matrix is cheap and seeds would be unreliable.
            band::full_matrix(&mut ws.stripes, ref_len, qry_len);
            return Ok(ws.align(qry, ref_, gap_open_close, params).into_alignment(false));
        }

        let (qry, chain, is_reverse_complement) =
            seed::seed_matches_maybe_reverse_complement(qry, ref_, index, params)?;

        let mut terminal_bandwidth = params.terminal_bandwidth as isize;
        let mut excess_bandwidth = params.excess_bandwidth as isize;
        let mut minimal_bandwidth = (params.allowed_mismatches as isize).max(1);
        // A first attempt, then up to `max_alignment_attempts` retries with every bandwidth
        // doubled while the best path runs along the edge of the band.
        let mut aln = None;
        for attempt in 0..=params.max_alignment_attempts {
            if attempt > 0 {
                terminal_bandwidth = (2 * terminal_bandwidth).max(1);
                excess_bandwidth = (2 * excess_bandwidth).max(1);
                minimal_bandwidth = (2 * minimal_bandwidth).max(1);
            }
            let band_area = band::create_alignment_band(
                &mut ws.stripes,
                &chain,
                qry_len as isize,
                ref_len as isize,
                terminal_bandwidth,
                excess_bandwidth,
                minimal_bandwidth,
            );
            if band_area > params.max_band_area {
                if aln.is_some() {
                    // Keep the previous attempt, as Nextclade does.
                    break;
                }
                return Err(AlignError::BandTooLarge { band_area, max_band_area: params.max_band_area });
            }
            let this = ws.align(&qry, ref_, gap_open_close, params);
            let hit_boundary = this.hit_boundary;
            aln = Some(this);
            if !hit_boundary {
                break;
            }
        }
        let aln = aln.expect("the first attempt aligns or returns BandTooLarge");
        Ok(aln.into_alignment(is_reverse_complement))
    })
}

/// Aligns a peptide to its reference peptide in a fixed diagonal band of half-width `band_width`
/// around `mean_shift` (both estimated from the nucleotide alignment by the caller). Terminal
/// gaps are free only if `params` says so; Nextclade sets both `*_terminal_gaps_free` to false
/// for peptides.
pub fn align_aa(
    qry: &[Aa],
    ref_: &[Aa],
    gap_open_close: &[i32],
    params: &AlignParams,
    band_width: usize,
    mean_shift: i32,
) -> Alignment<Aa> {
    WORKSPACE.with(|ws| {
        let ws = &mut *ws.borrow_mut();
        let table = ws.substitution_scores::<Aa>(params);
        if let Some(aln) =
            ungapped_if_sole_optimum(qry, ref_, table, gap_open_close, params, band_width, mean_shift)
        {
            return aln;
        }
        band::simple_stripes(&mut ws.stripes, mean_shift, band_width, ref_.len(), qry.len());
        ws.align(qry, ref_, gap_open_close, params).into_alignment(false)
    })
}

/// The alignment without gaps of two peptides of equal length, when no alignment with gaps
/// can score as much: then it is the banded fill's only optimum, and so what the fill would
/// return, without filling the band.
///
/// Any other path through the matrix has at least one gap in each peptide, so at most
/// `n - 1` letter pairs (each scoring at most the best substitution score) and two gap
/// openings (each costing at least the cheapest one; extensions cost no less than nothing).
/// The ungapped alignment must beat that bound strictly, so that no tie is left for the
/// fill's tie-breaking to decide. Free terminal gaps would void the bound, so they rule the
/// shortcut out, as does a band that does not hold the diagonal.
fn ungapped_if_sole_optimum<L: AlignLetter>(
    qry: &[L],
    ref_: &[L],
    table: &[[i32; 32]],
    gap_open_close: &[i32],
    params: &AlignParams,
    band_width: usize,
    mean_shift: i32,
) -> Option<Alignment<L>> {
    let n = ref_.len();
    if n == 0
        || qry.len() != n
        || mean_shift != 0
        || band_width == 0
        || params.left_terminal_gaps_free
        || params.right_terminal_gaps_free
        || params.penalty_gap_extend < 0
        || gap_open_close.len() <= n
    {
        return None;
    }
    let cheapest_open = i64::from(*gap_open_close[..=n].iter().min()?);
    let size = L::ALPHABET_SIZE;
    let best_pair = i64::from(table.iter().flat_map(|row| &row[..size]).copied().max()?);
    if cheapest_open < 0 || best_pair < 0 {
        return None;
    }
    let score: i64 = ref_.iter().zip(qry).map(|(r, q)| i64::from(table[r.code()][q.code()])).sum();
    let best_gapped = best_pair * (n as i64 - 1) - 2 * cheapest_open;
    (score > best_gapped).then(|| Alignment {
        qry_seq: qry.to_vec(),
        ref_seq: ref_.to_vec(),
        score: score as i32,
        is_reverse_complement: false,
    })
}

/// Aligns within an explicit band (one stripe per reference row plus one); for tests and tools.
pub fn align_in_band<L: AlignLetter>(
    qry: &[L],
    ref_: &[L],
    gap_open_close: &[i32],
    params: &AlignParams,
    stripes: &[Stripe],
) -> (Alignment<L>, bool) {
    WORKSPACE.with(|ws| {
        let ws = &mut *ws.borrow_mut();
        ws.stripes.clear();
        ws.stripes.extend_from_slice(stripes);
        let aln = ws.align(qry, ref_, gap_open_close, params);
        let hit_boundary = aln.hit_boundary;
        (aln.into_alignment(false), hit_boundary)
    })
}

/// The full `(ref_len + 1) x (qry_len + 1)` band.
pub fn full_band(ref_len: usize, qry_len: usize) -> Vec<Stripe> {
    let mut v = Vec::new();
    band::full_matrix(&mut v, ref_len, qry_len);
    v
}
