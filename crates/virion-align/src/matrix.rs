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
    /// Substitution scores per alphabet and scoring, computed once (nucleotides and peptides
    /// alternate for every genome).
    tables: Vec<Substitutions>,
    qry_codes: Vec<u8>,
    /// Fill every cell with the one-cell-at-a-time recurrence (tests compare the two fills).
    pub(crate) cell_by_cell: bool,
}

/// The diagonal-move scores of one alphabet under one match and mismatch score.
#[derive(Debug)]
struct Substitutions {
    /// Alphabet size, match score, mismatch penalty.
    key: (usize, i32, i32),
    /// One row per reference letter, indexed by the query letter's code, padded to 32 letters so that a lane's lookup needs no
    /// bounds check.
    rows: Vec<[i32; 32]>,
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

/// Cells per step of `Row::lanes`: eight 32-bit scores, one AVX2 register.
const LANES: usize = 8;

/// Padding after every row buffer, so that a step of `LANES` cells may run past a stripe's end.
const PAD: usize = 3 * LANES;

/// Below every score the fill can produce (`NO_ALIGN` minus penalties), for "no such move" in
/// the lane kernel's running maximum.
const NEG_INF: i32 = i32::MIN / 2;

/// The first column of a row's backtrace flags: the stripe's begin rounded down to a multiple
/// of `LANES`, so that `Row::lanes` reads and writes whole aligned steps, and the next row's
/// reads of a step meet this row's writes of the same step (a read spanning two writes would
/// wait for both to reach the cache).
fn row_base(s: &Stripe) -> usize {
    s.begin - s.begin % LANES
}

/// What every row of one fill shares.
struct FillConstants {
    ext: i32,
    left_free: bool,
    right_free: bool,
    /// 1 when gaps go left (a gap wins a tie against the move considered before it), else 0.
    left_align: i32,
    qry_len: usize,
    n_rows: usize,
    goc0: i32,
    /// Letter codes are below this.
    alphabet_size: usize,
}

/// One reference row of the fill: its stripe, its neighbours' stripes and the rows it reads
/// and writes.
struct Row<'a> {
    c: &'a FillConstants,
    s: Stripe,
    sp: Stripe,
    spp_end: usize,
    ri: usize,
    goc_here: i32,
    goc_above: i32,
    row_table: &'a [i32; 32],
    codes: &'a [u8],
    prev: &'a [i32],
    cur: &'a mut [i32],
    qry_gaps: &'a mut [i32],
    /// The row's backtrace flags, from column `base` to the end of the buffer.
    paths: &'a mut [u8],
    /// The first column of the row's flags (`row_base`).
    base: usize,
}

/// The vectors `Row::lanes` uses on every row of a fill, built once per fill.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
struct LaneKit {
    /// 0, 1, ..., 7.
    lane: std::arch::x86_64::__m256i,
    lane_before: std::arch::x86_64::__m256i,
    ext: std::arch::x86_64::__m256i,
    la: std::arch::x86_64::__m256i,
    no_align: std::arch::x86_64::__m256i,
    neg_inf: std::arch::x86_64::__m256i,
    boundary: std::arch::x86_64::__m256i,
    match_: std::arch::x86_64::__m256i,
    ref_gap: std::arch::x86_64::__m256i,
    qry_gap: std::arch::x86_64::__m256i,
    ref_extend: std::arch::x86_64::__m256i,
    qry_extend: std::arch::x86_64::__m256i,
    right_free: std::arch::x86_64::__m256i,
    /// For k = 1, 2, 4: the permutation taking lane l - k into lane l, the mask of lanes below
    /// k, and `k * ext`.
    shifts: [(std::arch::x86_64::__m256i, std::arch::x86_64::__m256i, std::arch::x86_64::__m256i); 3],
    last_lane: std::arch::x86_64::__m256i,
    /// `(l + 1) * ext` in lane l.
    carry_decay: std::arch::x86_64::__m256i,
}

#[cfg(target_arch = "x86_64")]
impl LaneKit {
    #[inline(always)]
    fn new(simd: pulp::x86::V3, c: &FillConstants) -> LaneKit {
        use std::arch::x86_64::__m256i;
        let (x, avx) = (simd.avx2, simd.avx);
        let splat = |v: i32| avx._mm256_set1_epi32(v);
        let lane = avx._mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        let shift = |k: i32| {
            let idx: [i32; LANES] = std::array::from_fn(|l| (l as i32 - k).max(0));
            (pulp::cast::<[i32; LANES], __m256i>(idx), x._mm256_cmpgt_epi32(splat(k), lane), splat(k * c.ext))
        };
        let decay: [i32; LANES] = std::array::from_fn(|l| (l as i32 + 1) * c.ext);
        LaneKit {
            lane,
            lane_before: x._mm256_sub_epi32(lane, splat(1)),
            ext: splat(c.ext),
            la: splat(c.left_align),
            no_align: splat(NO_ALIGN),
            neg_inf: splat(NEG_INF),
            boundary: splat(i32::from(BOUNDARY)),
            match_: splat(i32::from(MATCH)),
            ref_gap: splat(i32::from(REF_GAP_MATRIX)),
            qry_gap: splat(i32::from(QRY_GAP_MATRIX)),
            ref_extend: splat(i32::from(REF_GAP_EXTEND)),
            qry_extend: splat(i32::from(QRY_GAP_EXTEND)),
            right_free: splat(if c.right_free { -1 } else { 0 }),
            shifts: [shift(1), shift(2), shift(4)],
            last_lane: splat(LANES as i32 - 1),
            carry_decay: pulp::cast(decay),
        }
    }
}

impl Row<'_> {
    /// Whether `lanes` can fill this row: not the first column (its cells follow other rules),
    /// not a last row with free trailing gaps, and opening a gap after a gap from the left
    /// never beats extending it (the running maximum in `lanes` relies on it).
    fn lanes_apply(&self) -> bool {
        let c = self.c;
        let last_row = self.ri == c.n_rows - 1;
        self.s.begin > 0
            && !(last_row && c.right_free)
            && (0..=1_000_000).contains(&c.ext)
            && self.goc_here >= c.ext
            && self.goc_here <= 1_000_000
    }

    /// Fills the row one cell at a time, with Nextclade's recurrence as written.
    #[inline(always)]
    fn cells(&mut self) {
        let c = self.c;
        let (s, sp, ri) = (self.s, self.sp, self.ri);
        let last_row = ri == c.n_rows - 1;
        let ext = c.ext;
        let prev = self.prev;
        // The gap from the left and the score of the cell to the left, carried in registers:
        // read back from `cur`, the next cell would wait on this cell's store.
        let mut ref_gaps = NO_ALIGN;
        let mut left = NO_ALIGN;
        for qpos in s.begin..s.end {
            let mut path = 0u8;
            let mut score = NO_ALIGN;
            let mut origin = 0u8;
            if qpos == 0 {
                path = QRY_GAP_EXTEND;
                origin = QRY_GAP_MATRIX;
                score = if c.left_free {
                    0
                } else if ri == 1 {
                    -c.goc0
                } else {
                    prev[0] - ext
                };
            } else {
                if qpos > sp.begin && qpos - 1 < sp.end {
                    score = prev[qpos - 1] + self.row_table[usize::from(self.codes[qpos])];
                    origin = MATCH;
                } else {
                    path |= BOUNDARY;
                }

                if qpos > s.begin {
                    let (extend, open) = if !last_row || !c.right_free {
                        (ref_gaps - ext, left - self.goc_here)
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
                    if score - c.left_align < t {
                        score = t;
                        origin = REF_GAP_MATRIX;
                    }
                } else if ri < c.n_rows - 1 {
                    path |= BOUNDARY;
                }

                if qpos < sp.end {
                    let (extend, open) = if qpos != c.qry_len || !c.right_free {
                        (self.qry_gaps[qpos] - ext, prev[qpos] - self.goc_above)
                    } else {
                        (self.qry_gaps[qpos], prev[qpos])
                    };
                    let t = if extend >= open && ri >= 2 && qpos < self.spp_end {
                        path += QRY_GAP_EXTEND;
                        extend
                    } else {
                        open
                    };
                    self.qry_gaps[qpos] = t;
                    if score - c.left_align < t {
                        score = t;
                        origin = QRY_GAP_MATRIX;
                    }
                } else if qpos < c.qry_len {
                    self.qry_gaps[qpos] = NO_ALIGN;
                    path |= BOUNDARY;
                }
            }
            self.paths[qpos - self.base] = path + origin;
            self.cur[qpos] = score;
            left = score;
        }
    }

    /// Fills the whole row `LANES` cells at a time with AVX2, with the same scores and flags as
    /// `cells` (where `lanes_apply`), and without a branch that depends on the cell.
    ///
    /// One cell's three moves are independent of its neighbours in the row except the gap from
    /// the left, `E[q] = max(E[q-1] - ext, H[q-1] - open)`. Because opening after a gap from
    /// the left never beats extending it, `H[q-1]` may be replaced there by `D[q-1]`, the best
    /// of cell q-1's two other moves; `E` is then a running maximum of
    /// `D[k] - open - (q-1-k) * ext`, computed for eight cells in three shifted steps. The left gap was extended
    /// exactly when `E[q] == E[q-1] - ext`. Every other condition of `cells` (a move outside
    /// the band, an extension not allowed at the band's edge, free trailing gaps in the last
    /// column) is a per-lane mask. Steps start at `row_base`; lanes before the stripe's begin
    /// or past its end write scores and gaps no later row reads (rows read only inside the
    /// band), and flags before the row's first cell or where the next row's flags will be
    /// written (or into the padding).
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn lanes(&mut self, simd: pulp::x86::V3, kit: &LaneKit) {
        use std::arch::x86_64::{__m128i, __m256i};
        let (x, avx) = (simd.avx2, simd.avx);
        let c = self.c;
        let (s, sp) = (self.s, self.sp);
        // Macros, not closures: a closure is compiled without the enclosing function's AVX2
        // and would call every intrinsic instead of inlining it.
        macro_rules! splat {
            ($v:expr) => {
                avx._mm256_set1_epi32($v)
            };
        }
        macro_rules! all {
            ($b:expr) => {
                splat!(if $b { -1 } else { 0 })
            };
        }
        macro_rules! load {
            ($xs:expr) => {
                pulp::cast::<[i32; LANES], __m256i>($xs[..LANES].try_into().expect("LANES long"))
            };
        }
        macro_rules! or {
            ($a:expr, $b:expr) => {
                x._mm256_or_si256($a, $b)
            };
        }
        macro_rules! and {
            ($a:expr, $b:expr) => {
                x._mm256_and_si256($a, $b)
            };
        }
        // `a & !b`
        macro_rules! and_not {
            ($a:expr, $b:expr) => {
                x._mm256_andnot_si256($b, $a)
            };
        }
        macro_rules! gt {
            ($a:expr, $b:expr) => {
                x._mm256_cmpgt_epi32($a, $b)
            };
        }
        macro_rules! eq {
            ($a:expr, $b:expr) => {
                x._mm256_cmpeq_epi32($a, $b)
            };
        }
        macro_rules! select {
            ($m:expr, $yes:expr, $no:expr) => {
                x._mm256_blendv_epi8($no, $yes, $m)
            };
        }
        macro_rules! add {
            ($a:expr, $b:expr) => {
                x._mm256_add_epi32($a, $b)
            };
        }
        macro_rules! sub {
            ($a:expr, $b:expr) => {
                x._mm256_sub_epi32($a, $b)
            };
        }
        macro_rules! max {
            ($a:expr, $b:expr) => {
                x._mm256_max_epi32($a, $b)
            };
        }
        macro_rules! shuffle {
            ($a:expr, $idx:expr) => {
                x._mm256_permutevar8x32_epi32($a, $idx)
            };
        }

        let LaneKit {
            lane,
            lane_before,
            ext,
            la,
            no_align,
            neg_inf,
            boundary,
            match_,
            ref_gap,
            qry_gap,
            ref_extend,
            qry_extend,
            right_free,
            shifts,
            last_lane,
            carry_decay,
        } = *kit;
        let (shift1, first_lane) = (shifts[0].0, shifts[0].1);
        let (goc, goc_above) = (splat!(self.goc_here), splat!(self.goc_above));
        let not_last_row = all!(self.ri < c.n_rows - 1);
        let extend_above_row = all!(self.ri >= 2);
        // The substitution row, looked up by letter code: codes below 8 from the first
        // register, the others by their bits 3 and 4.
        let rt = self.row_table;
        let table = [load!(rt[..]), load!(rt[LANES..]), load!(rt[2 * LANES..]), load!(rt[3 * LANES..])];
        let (bit3, bit4) = (splat!(8), splat!(16));
        let small_alphabet = c.alphabet_size <= 2 * LANES;

        let mut carry_e = neg_inf;
        let mut carry_d = neg_inf;
        let mut q0 = self.base;
        // The previous row's scores one column to the left come from the step before.
        let mut carry_above =
            if q0 >= LANES { shuffle!(load!(self.prev[q0 - LANES..]), last_lane) } else { no_align };
        while q0 < s.end {
            let rel = |col: usize| (col as i64 - q0 as i64).clamp(-1, 2 * LANES as i64) as i32;
            let (diag_lo, above_hi, spp_hi, qry_hi, e_lo) = (
                splat!(rel(sp.begin)),
                splat!(rel(sp.end)),
                splat!(rel(self.spp_end)),
                splat!(rel(c.qry_len)),
                splat!(rel(s.begin)),
            );
            let diag_ok = and!(gt!(lane, diag_lo), gt!(above_hi, lane_before));
            let above_ok = gt!(above_hi, lane);
            let extend_allowed = and!(gt!(spp_hi, lane), extend_above_row);
            let e_ok = gt!(lane, e_lo);
            let below_qry = gt!(qry_hi, lane);
            let last_col = and!(eq!(lane, qry_hi), right_free);

            let code_bytes: [u8; 16] = self.codes[q0..q0 + 16].try_into().expect("16 codes");
            let codes = x._mm256_cvtepu8_epi32(pulp::cast::<_, __m128i>(code_bytes));
            let upper8 = gt!(and!(codes, bit3), splat!(0));
            let low = select!(upper8, shuffle!(table[1], codes), shuffle!(table[0], codes));
            // Nucleotide codes are below 16: the second half of the table is never needed.
            let subst = if small_alphabet {
                low
            } else {
                let high = select!(upper8, shuffle!(table[3], codes), shuffle!(table[2], codes));
                select!(gt!(and!(codes, bit4), splat!(0)), high, low)
            };

            let above = load!(self.prev[q0..]);
            let above_left = select!(first_lane, carry_above, shuffle!(above, shift1));
            carry_above = shuffle!(above, last_lane);
            let diag = select!(diag_ok, add!(above_left, subst), no_align);
            let qg = load!(self.qry_gaps[q0..]);
            let extend = sub!(qg, and_not!(ext, last_col));
            let open = sub!(above, and_not!(goc_above, last_col));
            let extended_above = and_not!(extend_allowed, gt!(open, extend));
            let from_above = select!(extended_above, extend, open);
            let mut flags = and_not!(boundary, diag_ok);
            flags = or!(flags, and!(and!(above_ok, extended_above), qry_extend));
            flags = or!(flags, and!(and_not!(below_qry, above_ok), boundary));
            flags = or!(flags, and!(and_not!(not_last_row, e_ok), boundary));
            let best_other = max!(select!(above_ok, max!(diag, from_above), diag), no_align);
            // What `cells` leaves in the gap row: the new gap, "none" where the cell above is
            // outside the band, the old value in the last column.
            let qg_new = select!(above_ok, from_above, select!(below_qry, no_align, qg));
            let out: [i32; LANES] = pulp::cast(qg_new);
            self.qry_gaps[q0..q0 + LANES].copy_from_slice(&out);

            // The gap from the left: opened from the cell before (D shifted by one lane) ...
            let d_before = select!(first_lane, carry_d, shuffle!(best_other, shift1));
            let mut e = select!(e_ok, sub!(d_before, goc), neg_inf);
            // ... or extended: a running maximum, with `ext` lost per cell.
            for (idx, below, decay) in shifts {
                e = max!(e, select!(below, neg_inf, sub!(shuffle!(e, idx), decay)));
            }
            e = max!(e, sub!(carry_e, carry_decay));
            let e_before = select!(first_lane, carry_e, shuffle!(e, shift1));
            let extended_left = and!(e_ok, eq!(e, sub!(e_before, ext)));

            let mut score = diag;
            let mut origin = and!(diag_ok, match_);
            let take = and!(e_ok, gt!(e, sub!(score, la)));
            score = select!(take, e, score);
            origin = select!(take, ref_gap, origin);
            let take = and!(above_ok, gt!(from_above, sub!(score, la)));
            score = select!(take, from_above, score);
            origin = select!(take, qry_gap, origin);
            flags = or!(or!(flags, origin), and!(extended_left, ref_extend));

            let out: [i32; LANES] = pulp::cast(score);
            self.cur[q0..q0 + LANES].copy_from_slice(&out);
            // Eight flags to eight bytes: pack to 16 and 8 bits (within 128-bit halves), then
            // gather each half's first four bytes.
            let words = x._mm256_packs_epi32(flags, flags);
            let packed = x._mm256_packus_epi16(words, words);
            let packed = shuffle!(packed, avx._mm256_setr_epi32(0, 4, 0, 0, 0, 0, 0, 0));
            let bytes: [u8; 32] = pulp::cast(packed);
            self.paths[q0 - self.base..q0 - self.base + LANES].copy_from_slice(&bytes[..LANES]);

            carry_e = shuffle!(select!(e_ok, e, neg_inf), last_lane);
            carry_d = shuffle!(best_other, last_lane);
            q0 += LANES;
        }
    }
}

/// The fill's rows 1 and on, as a pulp operation so that it is compiled once per instruction
/// set and dispatched at run time.
struct FillRows<'a, I> {
    ws: &'a mut Workspace,
    constants: &'a FillConstants,
    ref_codes: I,
    goc: &'a [i32],
    /// Index in `Workspace::tables`.
    table: usize,
    /// The instructions `Row::lanes` needs, where the CPU has them.
    simd: Option<LaneSimd>,
}

/// The instruction set of `Row::lanes` (AVX2); elsewhere every row is filled cell by cell.
#[cfg(target_arch = "x86_64")]
type LaneSimd = pulp::x86::V3;
#[cfg(not(target_arch = "x86_64"))]
type LaneSimd = std::convert::Infallible;

impl<I: Iterator<Item = usize>> pulp::WithSimd for FillRows<'_, I> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        let FillRows { ws, constants, ref_codes, goc, table, simd } = self;
        let Workspace { stripes, paths, row_start, prev, cur, qry_gaps, tables, qry_codes, .. } = ws;
        let table_rows = &tables[table].rows;
        #[cfg(target_arch = "x86_64")]
        let kit = simd.map(|simd| LaneKit::new(simd, constants));
        for (ri, code) in (1..).zip(ref_codes) {
            let mut row = Row {
                c: constants,
                s: stripes[ri],
                sp: stripes[ri - 1],
                spp_end: if ri >= 2 { stripes[ri - 2].end } else { 0 },
                ri,
                goc_here: goc[ri],
                goc_above: goc[ri - 1],
                row_table: &table_rows[code],
                codes: qry_codes,
                prev,
                cur,
                qry_gaps,
                paths: &mut paths[row_start[ri]..],
                base: row_base(&stripes[ri]),
            };
            match simd {
                #[cfg(target_arch = "x86_64")]
                Some(simd) if row.lanes_apply() => row.lanes(simd, kit.as_ref().expect("built with simd")),
                _ => row.cells(),
            }
            std::mem::swap(prev, cur);
        }
    }
}

impl Workspace {
    /// The substitution scores for `L` under `params`, built on first use; an index into
    /// `self.tables`.
    fn substitutions<L: AlignLetter>(&mut self, params: &AlignParams) -> usize {
        let key = (L::ALPHABET_SIZE, params.score_match, params.penalty_mismatch);
        if let Some(i) = self.tables.iter().position(|t| t.key == key) {
            return i;
        }
        let mut flat = Vec::new();
        substitution_table::<L>(params.score_match, params.penalty_mismatch, &mut flat);
        let rows = flat
            .chunks(L::ALPHABET_SIZE)
            .map(|row| {
                let mut padded = [0; 32];
                padded[..row.len()].copy_from_slice(row);
                padded
            })
            .collect();
        self.tables.push(Substitutions { key, rows });
        self.tables.len() - 1
    }

    /// The substitution scores for `L` under `params`: one row per reference letter code,
    /// indexed by the query letter's code (entries from `L::ALPHABET_SIZE` on are 0).
    pub fn substitution_scores<L: AlignLetter>(&mut self, params: &AlignParams) -> &[[i32; 32]] {
        let i = self.substitutions::<L>(params);
        &self.tables[i].rows
    }

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
        let table = self.substitutions::<L>(params);
        let stripes = &self.stripes;
        let qry_len = qry.len();
        let ref_len = ref_.len();
        assert_eq!(stripes.len(), ref_len + 1, "one stripe per reference row");
        assert!(goc.len() > ref_len, "gap_open_close shorter than the reference");
        let n_cols = qry_len + 1;
        let ext = params.penalty_gap_extend;
        let left_free = params.left_terminal_gaps_free;

        let size = L::ALPHABET_SIZE;
        // Column q's diagonal move reads query letter q - 1: one letter of padding in front
        // lets column q read `qry_codes[q]`.
        self.qry_codes.clear();
        self.qry_codes.push(0);
        self.qry_codes.extend(qry.iter().map(|l| l.code() as u8));
        self.qry_codes.resize(qry_len + 1 + PAD, 0);

        self.row_start.clear();
        let mut total = 0;
        for s in stripes {
            self.row_start.push(total);
            total += s.end - row_base(s);
        }
        self.row_start.push(total);
        self.paths.clear();
        self.paths.resize(total + PAD, 0);
        for v in [&mut self.prev, &mut self.cur, &mut self.qry_gaps] {
            v.clear();
            v.resize(n_cols + PAD, NO_ALIGN);
        }

        // Row 0: leading query letters against nothing.
        let s0 = stripes[0];
        self.prev[0] = 0;
        self.paths[self.row_start[0]] = 0;
        for qpos in (s0.begin + 1)..s0.end {
            self.paths[self.row_start[0] + qpos - row_base(&s0)] = REF_GAP_EXTEND + REF_GAP_MATRIX;
            self.prev[qpos] = if left_free {
                0
            } else if qpos == 1 {
                -goc[0]
            } else {
                self.prev[qpos - 1] - ext
            };
        }

        let constants = FillConstants {
            ext,
            left_free,
            right_free: params.right_terminal_gaps_free,
            // Turns `<` into `<=` so that a gap wins ties against the move considered before it.
            left_align: i32::from(params.gap_alignment_side == GapAlignmentSide::Left),
            qry_len,
            n_rows: ref_len + 1,
            goc0: goc[0],
            alphabet_size: size,
        };
        let codes = ref_.iter().map(|l| l.code());
        // AVX2 is checked for at run time (pulp); the rows are then compiled for it, so that
        // `Row::lanes` runs eight cells per instruction.
        #[cfg(target_arch = "x86_64")]
        let simd = if self.cell_by_cell { None } else { pulp::x86::V3::try_new() };
        #[cfg(not(target_arch = "x86_64"))]
        let simd = None;
        let fill = FillRows { ws: self, constants: &constants, ref_codes: codes, goc, table, simd };
        match simd {
            #[cfg(target_arch = "x86_64")]
            Some(simd) => pulp::Simd::vectorize(simd, fill),
            _ => pulp::WithSimd::with_simd(fill, pulp::Scalar),
        }
        // After the last swap the final row is in `prev`.
    }

    fn path_at(&self, r: usize, q: usize) -> u8 {
        let s = self.stripes[r];
        debug_assert!(s.begin <= q && q < s.end, "backtrace left the band at ({r}, {q})");
        self.paths[self.row_start[r] + q - row_base(&s)]
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

#[cfg(test)]
mod tests {
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};
    use virion_core::{Aa, Nuc};

    use super::*;

    /// A band of random stripes: each row's range drifts along the diagonal with random widths,
    /// as seeded bands do, with the first and last rows reaching the matrix corners.
    fn random_band(rng: &mut StdRng, ref_len: usize, qry_len: usize) -> Vec<Stripe> {
        let shift = rng.random_range(-10i64..=10);
        let mut out = Vec::with_capacity(ref_len + 1);
        for i in 0..=ref_len as i64 {
            let centre = i + shift;
            let lo = rng.random_range(3i64..40);
            let hi = rng.random_range(3i64..40);
            let begin = (centre - lo).clamp(0, qry_len as i64) as usize;
            let end = (centre + hi + 1).clamp(begin as i64 + 1, qry_len as i64 + 1) as usize;
            out.push(Stripe { begin, end });
        }
        // Stripes never move backwards.
        for i in 1..out.len() {
            out[i].begin = out[i].begin.max(out[i - 1].begin);
            out[i].end = out[i].end.max(out[i - 1].end).max(out[i].begin + 1);
        }
        out[0].begin = 0;
        out[ref_len].end = qry_len + 1;
        out
    }

    fn mutate<L: AlignLetter>(rng: &mut StdRng, seq: &[L]) -> Vec<L> {
        let mut out = Vec::with_capacity(seq.len() + 8);
        for &l in seq {
            match rng.random_range(0..40) {
                0 => {}
                1 => {
                    out.push(l);
                    out.push(L::ALL_LETTERS[rng.random_range(0..L::ALL_LETTERS.len())]);
                }
                2..=4 => out.push(L::ALL_LETTERS[rng.random_range(0..L::ALL_LETTERS.len())]),
                _ => out.push(l),
            }
        }
        out
    }

    fn compare<L: AlignLetter>(rng: &mut StdRng, letters: &[L]) {
        let ref_len = rng.random_range(1..300);
        let ref_: Vec<L> = (0..ref_len).map(|_| letters[rng.random_range(0..letters.len())]).collect();
        let qry = mutate(rng, &ref_);
        if qry.is_empty() {
            return;
        }
        let ext = rng.random_range(0..3);
        let goc: Vec<i32> = (0..=ref_len).map(|_| rng.random_range(0..12)).collect();
        let params = AlignParams {
            penalty_gap_extend: ext,
            left_terminal_gaps_free: rng.random_bool(0.5),
            right_terminal_gaps_free: rng.random_bool(0.5),
            gap_alignment_side: if rng.random_bool(0.5) {
                GapAlignmentSide::Left
            } else {
                GapAlignmentSide::Right
            },
            ..AlignParams::default()
        };
        let band = if rng.random_bool(0.1) {
            let mut v = Vec::new();
            crate::band::full_matrix(&mut v, ref_len, qry.len());
            v
        } else {
            random_band(rng, ref_len, qry.len())
        };
        let run = |cell_by_cell: bool| {
            let mut ws = Workspace { cell_by_cell, ..Workspace::default() };
            ws.stripes = band.clone();
            let aln = ws.align(&qry, &ref_, &goc, &params);
            // Cells outside the band hold whatever each fill left there; compare the band.
            let flags: Vec<Vec<u8>> = (0..=ref_len)
                .map(|r| (band[r].begin..band[r].end).map(|q| ws.path_at(r, q)).collect())
                .collect();
            let last = band[ref_len];
            (aln, flags, ws.prev[last.begin..last.end].to_vec())
        };
        let (by_cell, by_pass) = (run(true), run(false));
        assert!(
            by_cell == by_pass,
            "fills differ: ref {ref_len}, qry {}, {params:?}, goc {goc:?}",
            qry.len()
        );
    }

    /// The lane kernel gives the one-cell-at-a-time recurrence's every score, flag and
    /// alignment, on random bands, sequences and parameters.
    #[test]
    fn lanes_equal_the_cell_recurrence() {
        let mut rng = StdRng::seed_from_u64(20261207);
        let nucs = [Nuc::A, Nuc::C, Nuc::G, Nuc::T, Nuc::N, Nuc::R];
        let aas = [Aa::A, Aa::C, Aa::D, Aa::L, Aa::X, Aa::Stop, Aa::B];
        for _ in 0..3000 {
            compare(&mut rng, &nucs);
            compare(&mut rng, &aas);
        }
    }
}
