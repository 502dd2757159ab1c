//! Alignment parameters with Nextclade's defaults, read from a dataset's `alignmentParams`.

use serde::{Deserialize, Serialize};

use crate::error::AlignError;

/// Which of several equally good gap placements wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GapAlignmentSide {
    #[default]
    Left,
    Right,
}

/// Every pairwise-alignment parameter Nextclade 3 has, with its defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AlignParams {
    pub alignment_preset: String,
    /// Queries shorter than this are not aligned.
    pub min_length: usize,
    pub penalty_gap_extend: i32,
    /// Gap opening outside coding regions.
    pub penalty_gap_open: i32,
    /// Gap opening at the first base of a codon.
    pub penalty_gap_open_in_frame: i32,
    /// Gap opening inside a codon.
    pub penalty_gap_open_out_of_frame: i32,
    pub penalty_mismatch: i32,
    pub score_match: i32,
    /// Largest band (cells) attempted.
    pub max_band_area: u64,
    /// Retry seed matching on the reverse complement when the forward strand fails.
    pub retry_reverse_complement: bool,
    pub no_translate_past_stop: bool,
    /// Internal: leading gaps cost nothing (false for peptides).
    #[serde(skip)]
    pub left_terminal_gaps_free: bool,
    /// Internal: trailing gaps cost nothing (false for peptides).
    #[serde(skip)]
    pub right_terminal_gaps_free: bool,
    pub excess_bandwidth: i32,
    pub terminal_bandwidth: i32,
    pub gap_alignment_side: GapAlignmentSide,
    pub kmer_length: usize,
    pub kmer_distance: usize,
    pub allowed_mismatches: usize,
    pub window_size: usize,
    pub min_match_length: usize,
    pub min_seed_cover: f64,
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
