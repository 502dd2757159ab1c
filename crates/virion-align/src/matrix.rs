//! Banded global alignment (affine gaps with position-dependent opening cost, optionally free
//! terminal gaps) and its backtrace, with Nextclade's exact tie-breaking.
//!
//! Only two rows of scores are kept; the band stores one byte of backtrace flags per cell.

use crate::band::Stripe;
use crate::params::{AlignParams, GapAlignmentSide};
use crate::scoring::{AlignLetter, substitution_table};

const MATCH: u8 = 1 << 0;
const REF_GAP_MATRIX: u8 = 1 << 1;
const QRY_GAP_MATRIX: u8 = 1 << 2;
const REF_GAP_EXTEND: u8 = 1 << 3;
const QRY_GAP_EXTEND: u8 = 1 << 4;
const BOUNDARY: u8 = 1 << 5;

/// Very negative, yet far from overflow when penalties are subtracted.
const NO_ALIGN: i32 = -1_000_000_000;

/// Buffers reused from one alignment to the next.
#[derive(Debug, Default)]
pub struct Workspace {
    pub stripes: Vec<Stripe>,
    paths: Vec<u8>,
    row_start: Vec<usize>,
    prev: Vec<i32>,
    cur: Vec<i32>,
    qry_gaps: Vec<i32>,
    table: Vec<i32>,
    qry_codes: Vec<u8>,
}

/// Result of one banded alignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BandedAlignment<L> {
    pub qry_seq: Vec<L>,
    pub ref_seq: Vec<L>,
    pub score: i32,
    /// The optimal path touched the edge of the band (the band may have been too narrow).
    pub hit_boundary: bool,
}

impl<L> BandedAlignment<L> {
    /// The public result, once the caller is done with `hit_boundary`.
    pub fn into_alignment(self, is_reverse_complement: bool) -> crate::Alignment<L> {
        crate::Alignment {
            qry_seq: self.qry_seq,
            ref_seq: self.ref_seq,
            score: self.score,
            is_reverse_complement,
        }
    }
}

impl Workspace {
    /// Aligns within `self.stripes` (one stripe per reference row, `ref.len() + 1` of them).
    pub fn align<L: AlignLetter>(
        &mut self,
        qry: &[L],
        ref_: &[L],
        gap_open_close: &[i32],
        params: &AlignParams,
    ) -> BandedAlignment<L> {
        self.fill(qry, ref_, gap_open_close, params);
        self.backtrace(qry, ref_)
    }

    fn fill<L: AlignLetter>(&mut self, qry: &[L], ref_: &[L], goc: &[i32], params: &AlignParams) {
        let stripes = &self.stripes;
        let qry_len = qry.len();
        let ref_len = ref_.len();
        assert_eq!(stripes.len(), ref_len + 1, "one stripe per reference row");
        assert!(goc.len() > ref_len, "gap_open_close shorter than the reference");
        let n_rows = ref_len + 1;
        let n_cols = qry_len + 1;
        let ext = params.penalty_gap_extend;
        let left_free = params.left_terminal_gaps_free;
        let right_free = params.right_terminal_gaps_free;
        // Turns `<` into `<=` so that a gap wins ties against the move considered before it.
        let left_align = i32::from(params.gap_alignment_side == GapAlignmentSide::Left);

        let size = L::ALPHABET_SIZE;
        substitution_table::<L>(params.score_match, params.penalty_mismatch, &mut self.table);
        self.qry_codes.clear();
        self.qry_codes.extend(qry.iter().map(|l| l.code() as u8));

        self.row_start.clear();
        let mut total = 0;
        for s in stripes {
            self.row_start.push(total);
            total += s.end - s.begin;
        }
        self.row_start.push(total);
        self.paths.clear();
        self.paths.resize(total, 0);
        for v in [&mut self.prev, &mut self.cur, &mut self.qry_gaps] {
            v.clear();
            v.resize(n_cols, NO_ALIGN);
        }

        // Row 0: leading query letters against nothing.
        let s0 = stripes[0];
        self.prev[0] = 0;
        self.paths[0] = 0;
        for qpos in (s0.begin + 1)..s0.end {
            self.paths[self.row_start[0] + qpos - s0.begin] = REF_GAP_EXTEND + REF_GAP_MATRIX;
            self.prev[qpos] = if left_free {
                0
            } else if qpos == 1 {
                -goc[0]
            } else {
                self.prev[qpos - 1] - ext
            };
        }

        for ri in 1..=ref_len {
            let s = stripes[ri];
            let sp = stripes[ri - 1];
            let spp_end = if ri >= 2 { stripes[ri - 2].end } else { 0 };
            let row_table = &self.table[ref_[ri - 1].code() * size..][..size];
            let goc_here = goc[ri];
            let goc_above = goc[ri - 1];
            let last_row = ri == ref_len;
            let row_paths = &mut self.paths[self.row_start[ri]..self.row_start[ri + 1]];
            let prev = &self.prev;
            let cur = &mut self.cur;
            let qry_gaps = &mut self.qry_gaps;
            let mut ref_gaps = NO_ALIGN;
            // The score of the cell to the left, carried in a register: read back from `cur`,
            // it would wait on the store of the previous iteration (the row's serial chain).
            let mut left = NO_ALIGN;

            for qpos in s.begin..s.end {
                let mut path = 0u8;
                let mut score = NO_ALIGN;
                let mut origin = 0u8;
                if qpos == 0 {
                    path = QRY_GAP_EXTEND;
                    origin = QRY_GAP_MATRIX;
                    score = if left_free {
                        0
                    } else if ri == 1 {
                        -goc[0]
                    } else {
                        prev[0] - ext
                    };
                } else {
                    if qpos > sp.begin && qpos - 1 < sp.end {
                        score = prev[qpos - 1] + row_table[usize::from(self.qry_codes[qpos - 1])];
                        origin = MATCH;
                    } else {
                        path |= BOUNDARY;
                    }

                    if qpos > s.begin {
                        let (extend, open) = if !last_row || !right_free {
                            (ref_gaps - ext, left - goc_here)
                        } else {
                            (ref_gaps, left)
                        };
                        let t = if extend >= open && qpos > s.begin + 1 {
                            path += REF_GAP_EXTEND;
                            extend
                        } else {
                            open
                        };
                        ref_gaps = t;
                        if score - left_align < t {
                            score = t;
                            origin = REF_GAP_MATRIX;
                        }
                    } else if ri < n_rows - 1 {
                        path |= BOUNDARY;
                    }

                    if qpos < sp.end {
                        let (extend, open) = if qpos != qry_len || !right_free {
                            (qry_gaps[qpos] - ext, prev[qpos] - goc_above)
                        } else {
                            (qry_gaps[qpos], prev[qpos])
                        };
                        let t = if extend >= open && ri >= 2 && qpos < spp_end {
                            path += QRY_GAP_EXTEND;
                            extend
                        } else {
                            open
                        };
                        qry_gaps[qpos] = t;
                        if score - left_align < t {
                            score = t;
                            origin = QRY_GAP_MATRIX;
                        }
                    } else if qpos < n_cols - 1 {
                        qry_gaps[qpos] = NO_ALIGN;
                        path |= BOUNDARY;
                    }
                }
                row_paths[qpos - s.begin] = path + origin;
                cur[qpos] = score;
                left = score;
            }
            std::mem::swap(&mut self.prev, &mut self.cur);
        }
        // After the last swap the final row is in `prev`.
    }

    fn path_at(&self, r: usize, q: usize) -> u8 {
        let s = self.stripes[r];
        debug_assert!(s.begin <= q && q < s.end, "backtrace left the band at ({r}, {q})");
        self.paths[self.row_start[r] + q - s.begin]
    }

    fn backtrace<L: AlignLetter>(&self, qry: &[L], ref_: &[L]) -> BandedAlignment<L> {
        let mut r = ref_.len();
        let mut q = qry.len();
        let score = self.prev[q];
        let mut aln_qry = Vec::with_capacity(r + q);
        let mut aln_ref = Vec::with_capacity(r + q);
        let mut matrix = 0u8;
        let mut hit_boundary = false;
        while r > 0 || q > 0 {
            let origin = self.path_at(r, q);
            hit_boundary |= origin & BOUNDARY != 0;
            let take_ref_gap = (origin & REF_GAP_MATRIX != 0 && matrix == 0) || matrix == REF_GAP_MATRIX;
            let take_qry_gap = (origin & QRY_GAP_MATRIX != 0 && matrix == 0) || matrix == QRY_GAP_MATRIX;
            if origin & MATCH != 0 && matrix == 0 {
                q -= 1;
                r -= 1;
                aln_qry.push(qry[q]);
                aln_ref.push(ref_[r]);
            } else if take_ref_gap && q > 0 {
                q -= 1;
                aln_qry.push(qry[q]);
                aln_ref.push(L::GAP);
                matrix = if origin & REF_GAP_EXTEND != 0 { REF_GAP_MATRIX } else { 0 };
            } else if take_qry_gap && r > 0 {
                r -= 1;
                aln_qry.push(L::GAP);
                aln_ref.push(ref_[r]);
                matrix = if origin & QRY_GAP_EXTEND != 0 { QRY_GAP_MATRIX } else { 0 };
            } else {
                // Not reachable with a well-formed band; finish along the edge rather than panic.
                debug_assert!(false, "backtrace stuck at ({r}, {q}), origin {origin}, matrix {matrix}");
                if q > 0 {
                    q -= 1;
                    aln_qry.push(qry[q]);
                    aln_ref.push(L::GAP);
                } else {
                    r -= 1;
                    aln_qry.push(L::GAP);
                    aln_ref.push(ref_[r]);
                }
                matrix = 0;
            }
        }
        aln_qry.reverse();
        aln_ref.reverse();
        BandedAlignment { qry_seq: aln_qry, ref_seq: aln_ref, score, hit_boundary }
    }
}
