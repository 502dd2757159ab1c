//! Gap counts of a CDS alignment, and the peptide alignment band Nextclade derives from them
//! (instead of seed matching, which peptides do not get).

use virion_core::Nuc;

/// Leading, internal and trailing gaps of an aligned sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GapCounts {
    /// Gaps before the first letter.
    pub leading: usize,
    /// Gaps between the first and last letter.
    pub internal: usize,
    /// Gaps after the last letter.
    pub trailing: usize,
    /// Length of the aligned sequence.
    pub len: usize,
}

impl GapCounts {
    /// Counts the gaps of `seq`.
    pub fn new(seq: &[Nuc]) -> Self {
        let leading = seq.iter().take_while(|n| n.is_gap()).count();
        if leading == seq.len() {
            return Self { leading, internal: 0, trailing: 0, len: seq.len() };
        }
        let trailing = seq.iter().rev().take_while(|n| n.is_gap()).count();
        let total = seq.iter().filter(|n| n.is_gap()).count();
        Self { leading, internal: total - leading - trailing, trailing, len: seq.len() }
    }

    /// Whether the sequence is nothing but gaps (also true when it is empty).
    pub fn is_all_gaps(&self) -> bool {
        self.leading == self.len
    }
}

/// Band width and mean diagonal shift for aligning a CDS's peptide: 5 codons of slack plus a
/// third of the internal gaps, shifted by the difference in leading gaps (in codons) and half
/// the difference in internal gaps.
pub fn peptide_band(qry: &GapCounts, ref_: &GapCounts) -> (usize, i32) {
    const BASE_BAND_WIDTH: usize = 5;
    let band_width = (qry.internal + ref_.internal) / 3 + BASE_BAND_WIDTH;
    let mean_shift =
        (qry.leading as i32 - ref_.leading as i32) / 3 + (qry.internal as i32 - ref_.internal as i32) / 6;
    (band_width, mean_shift)
}

#[cfg(test)]
mod tests {
    use super::*;
    use virion_core::nucs_from_str;

    #[test]
    fn counts_gaps_by_place() {
        // index  0123456789012
        let g = GapCounts::new(&nucs_from_str("---AC--GT-A--").unwrap());
        assert_eq!((g.leading, g.internal, g.trailing), (3, 3, 2));
        assert!(!g.is_all_gaps());
        assert!(GapCounts::new(&nucs_from_str("----").unwrap()).is_all_gaps());
    }

    #[test]
    fn band_follows_gap_counts() {
        let q = GapCounts::new(&nucs_from_str("------ACG---T").unwrap());
        let r = GapCounts::new(&nucs_from_str("ACGTTTACGAAAT").unwrap());
        // internal 3+0 -> width 1 + 5; shift 6/3 + 3/6 = 2 + 0
        assert_eq!(peptide_band(&q, &r), (6, 2));
        // integer division truncates toward zero for negative shifts too
        assert_eq!(peptide_band(&r, &q), (6, -2));
    }
}
