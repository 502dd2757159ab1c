//! The `qc` section of pathogen.json: which QC rules run and their thresholds.
//!
//! Defaults follow Nextclade: a rule missing from a present `qc` section is disabled with zero
//! thresholds, except `frameShifts` and `stopCodons`, which default to enabled with weight 75.
//! A pathogen.json without any `qc` section runs no QC at all ([`QcConfig::disabled`]).

use serde::{Deserialize, Serialize};
use virion_core::AaRange;

/// Rule `missingData`: scores the number of `N` bases.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct QcRulesConfigMissingData {
    /// Whether the rule runs.
    pub enabled: bool,
    /// Missing bases (beyond the bias) that make a score of 100.
    pub missing_data_threshold: f64,
    /// Missing bases tolerated before the score starts to rise.
    pub score_bias: f64,
}

/// Rule `mixedSites`: scores the number of ambiguous bases (IUPAC codes other than `N`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct QcRulesConfigMixedSites {
    /// Whether the rule runs.
    pub enabled: bool,
    /// Mixed sites that make a score of 100.
    pub mixed_sites_threshold: usize,
}

fn one() -> f64 {
    1.0
}

/// Weights default to 1 each, unlike the other numbers, which default to 0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct QcRulesConfigPrivateMutations {
    /// Whether the rule runs.
    pub enabled: bool,
    /// Weight of a private substitution that reverts to the reference.
    #[serde(default = "one")]
    pub weight_reversion_substitutions: f64,
    /// Weight of a private deletion that reverts to the reference.
    #[serde(default = "one")]
    pub weight_reversion_deletions: f64,
    /// Weight of a private substitution listed in `mutLabels`.
    #[serde(default = "one")]
    pub weight_labeled_substitutions: f64,
    /// Weight of a private deletion listed in `mutLabels`.
    #[serde(default = "one")]
    pub weight_labeled_deletions: f64,
    /// Weight of any other private substitution.
    #[serde(default = "one")]
    pub weight_unlabeled_substitutions: f64,
    /// Weight of any other private deletion.
    #[serde(default = "one")]
    pub weight_unlabeled_deletions: f64,
    /// Weighted total expected of a typical sequence; only the excess scores.
    pub typical: f64,
    /// Excess over `typical` that makes a score of 100.
    pub cutoff: f64,
}

impl Default for QcRulesConfigPrivateMutations {
    fn default() -> Self {
        Self {
            enabled: false,
            weight_reversion_substitutions: 1.0,
            weight_reversion_deletions: 1.0,
            weight_labeled_substitutions: 1.0,
            weight_labeled_deletions: 1.0,
            weight_unlabeled_substitutions: 1.0,
            weight_unlabeled_deletions: 1.0,
            typical: 0.0,
            cutoff: 0.0,
        }
    }
}

/// Rule `snpClusters`: scores windows dense in private substitutions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct QcRulesConfigSnpClusters {
    /// Whether the rule runs.
    pub enabled: bool,
    /// Width of the sliding window, in bases.
    pub window_size: usize,
    /// A window holding more private substitutions than this is a cluster.
    pub cluster_cut_off: usize,
    /// Score added per cluster.
    pub score_weight: f64,
}

/// A known frame shift that QC forgives: CDS name and codon range (0-based, half-open).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FrameShiftLocation {
    /// The CDS name, as in the genome annotation.
    pub cds_name: String,
    /// The codons where a frame shift is expected; Nextclade's QC results call it `codon`.
    #[serde(alias = "codon")]
    pub codon_range: AaRange,
}

/// Rule `frameShifts`: scores frame shifts in CDSes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct QcRulesConfigFrameShifts {
    /// Whether the rule runs (on by default).
    pub enabled: bool,
    /// Known frame shifts that do not count.
    pub ignored_frame_shifts: Vec<FrameShiftLocation>,
    /// Score added per frame shift (75 by default).
    pub score_weight: f64,
}

impl Default for QcRulesConfigFrameShifts {
    fn default() -> Self {
        Self { enabled: true, ignored_frame_shifts: vec![], score_weight: 75.0 }
    }
}

/// A known premature stop that QC forgives: CDS name and 0-based codon index.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StopCodonLocation {
    /// The CDS name, as in the genome annotation.
    pub cds_name: String,
    /// 0-based codon index of the expected stop.
    pub codon: usize,
}

/// Rule `stopCodons`: scores premature stop codons.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct QcRulesConfigStopCodons {
    /// Whether the rule runs (on by default).
    pub enabled: bool,
    /// Known premature stops that do not count.
    pub ignored_stop_codons: Vec<StopCodonLocation>,
    /// Score added per premature stop (75 by default).
    pub score_weight: f64,
}

impl Default for QcRulesConfigStopCodons {
    fn default() -> Self {
        Self { enabled: true, ignored_stop_codons: vec![], score_weight: 75.0 }
    }
}

/// Recombinant detection (newer Nextclade releases); kept raw apart from the switch and weight.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct QcRulesConfigRecombinants {
    /// Whether the rule runs.
    pub enabled: bool,
    /// Weight of a recombinant call in the overall score.
    pub score_weight: f64,
    /// The rule's other settings, kept as written.
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

/// The `qc` section of pathogen.json: one block per QC rule.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct QcConfig {
    /// Rule `missingData`.
    pub missing_data: QcRulesConfigMissingData,
    /// Rule `mixedSites`.
    pub mixed_sites: QcRulesConfigMixedSites,
    /// Rule `privateMutations`.
    pub private_mutations: QcRulesConfigPrivateMutations,
    /// Rule `snpClusters`.
    pub snp_clusters: QcRulesConfigSnpClusters,
    /// Rule `frameShifts`.
    pub frame_shifts: QcRulesConfigFrameShifts,
    /// Rule `stopCodons`.
    pub stop_codons: QcRulesConfigStopCodons,
    /// Rule `recombinants`.
    pub recombinants: QcRulesConfigRecombinants,
}

impl QcConfig {
    /// Every rule off: what a pathogen.json without a `qc` section means.
    pub fn disabled() -> Self {
        let mut qc = Self::default();
        qc.frame_shifts.enabled = false;
        qc.stop_codons.enabled = false;
        qc
    }

    /// Whether any rule runs.
    pub fn any_enabled(&self) -> bool {
        self.missing_data.enabled
            || self.mixed_sites.enabled
            || self.private_mutations.enabled
            || self.snp_clusters.enabled
            || self.frame_shifts.enabled
            || self.stop_codons.enabled
            || self.recombinants.enabled
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_rules_take_nextclade_defaults() {
        let qc: QcConfig = serde_json::from_str(
            r#"{"privateMutations":{"enabled":true,"typical":5,"cutoff":15,"weightLabeledSubstitutions":2}}"#,
        )
        .unwrap();
        let pm = &qc.private_mutations;
        assert!(pm.enabled);
        assert_eq!((pm.typical, pm.cutoff), (5.0, 15.0));
        assert_eq!(pm.weight_labeled_substitutions, 2.0);
        assert_eq!(pm.weight_unlabeled_deletions, 1.0);
        assert!(!qc.missing_data.enabled);
        assert!(qc.frame_shifts.enabled && qc.stop_codons.enabled);
        assert_eq!(qc.stop_codons.score_weight, 75.0);
        assert!(!QcConfig::disabled().any_enabled());
    }
}
