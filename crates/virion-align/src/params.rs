//! Alignment parameters with Nextclade's defaults, read from a dataset's `alignmentParams`.

use serde::{Deserialize, Serialize};

use crate::error::AlignError;

/// Which of several equally good gap placements wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GapAlignmentSide {
    /// The leftmost placement (Nextclade's default).
    #[default]
    Left,
    /// The rightmost placement.
    Right,
}

/// Every pairwise-alignment parameter Nextclade 3 has, with its defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AlignParams {
    /// Nextclade's preset name (`default`, `high-diversity`, `short-sequences`); informational, the numbers
    /// below are what count.
    pub alignment_preset: String,
    /// Queries shorter than this are not aligned.
    pub min_length: usize,
    /// Penalty per gap position after the first.
    pub penalty_gap_extend: i32,
    /// Gap opening outside coding regions.
    pub penalty_gap_open: i32,
    /// Gap opening at the first base of a codon.
    pub penalty_gap_open_in_frame: i32,
    /// Gap opening inside a codon.
    pub penalty_gap_open_out_of_frame: i32,
    /// Penalty for aligning two incompatible letters.
    pub penalty_mismatch: i32,
    /// Score for aligning two compatible letters.
    pub score_match: i32,
    /// Largest band (cells) attempted.
    pub max_band_area: u64,
    /// Retry seed matching on the reverse complement when the forward strand fails.
    pub retry_reverse_complement: bool,
    /// End each peptide after its first stop codon (Nextclade's `noTranslatePastStop`).
    pub no_translate_past_stop: bool,
    /// Internal: leading gaps cost nothing (false for peptides).
    #[serde(skip)]
    pub left_terminal_gaps_free: bool,
    /// Internal: trailing gaps cost nothing (false for peptides).
    #[serde(skip)]
    pub right_terminal_gaps_free: bool,
    /// Extra band width around each seed chain segment, for indels between seeds.
    pub excess_bandwidth: i32,
    /// Band width at the ends of the alignment, before the first and after the last seed.
    pub terminal_bandwidth: i32,
    /// Where equally good gaps go.
    pub gap_alignment_side: GapAlignmentSide,
    /// Length of the seed k-mers (on codon-spaced sequence).
    pub kmer_length: usize,
    /// Distance between query positions whose k-mers are looked up.
    pub kmer_distance: usize,
    /// Mismatches a seed extension tolerates inside one sliding window.
    pub allowed_mismatches: usize,
    /// Width of the sliding window that limits mismatches during seed extension.
    pub window_size: usize,
    /// Seeds are cut into pieces of this length; a query with no piece this long is not aligned.
    pub min_match_length: usize,
    /// Fraction (0 to 1) of the query the seed chain must cover, else the query is not aligned.
    pub min_seed_cover: f64,
    /// Retries with doubled band widths when the best path runs along the band's edge.
    pub max_alignment_attempts: usize,
}

impl Default for AlignParams {
    fn default() -> Self {
        Self {
            alignment_preset: "default".to_owned(),
            min_length: 100,
            penalty_gap_extend: 0,
            penalty_gap_open: 6,
            penalty_gap_open_in_frame: 7,
            penalty_gap_open_out_of_frame: 8,
            penalty_mismatch: 1,
            score_match: 3,
            max_band_area: 500_000_000,
            retry_reverse_complement: false,
            no_translate_past_stop: false,
            left_terminal_gaps_free: true,
            right_terminal_gaps_free: true,
            excess_bandwidth: 9,
            terminal_bandwidth: 50,
            gap_alignment_side: GapAlignmentSide::Left,
            kmer_length: 10,
            kmer_distance: 50,
            allowed_mismatches: 8,
            window_size: 30,
            min_match_length: 40,
            min_seed_cover: 0.33,
            max_alignment_attempts: 3,
        }
    }
}

impl AlignParams {
    /// Reads the `alignmentParams` object of a pathogen.json; missing keys keep their defaults and
    /// unknown keys are ignored.
    pub fn from_json(value: &serde_json::Value) -> Result<AlignParams, AlignError> {
        if value.is_null() {
            return Ok(AlignParams::default());
        }
        serde_json::from_value(value.clone())
            .map_err(|e| AlignError::InvalidParams { message: e.to_string() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_dataset_params_and_keeps_defaults() {
        let json = serde_json::json!({
            "excessBandwidth": 12, "terminalBandwidth": 100, "allowedMismatches": 4,
            "gapAlignmentSide": "right", "minSeedCover": 0.1, "someFutureKey": [1, 2]
        });
        let p = AlignParams::from_json(&json).unwrap();
        assert_eq!(p.excess_bandwidth, 12);
        assert_eq!(p.terminal_bandwidth, 100);
        assert_eq!(p.allowed_mismatches, 4);
        assert_eq!(p.gap_alignment_side, GapAlignmentSide::Right);
        assert_eq!(p.min_seed_cover, 0.1);
        assert_eq!(p.kmer_length, 10);
        assert_eq!(p.penalty_gap_open_out_of_frame, 8);
        assert!(p.left_terminal_gaps_free && p.right_terminal_gaps_free);
        assert!(AlignParams::from_json(&serde_json::json!({"kmerLength": "x"})).is_err());
    }
}
