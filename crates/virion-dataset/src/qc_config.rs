//! The `qc` section of pathogen.json: which QC rules run and their thresholds.
//!
//! Defaults follow Nextclade: a rule missing from a present `qc` section is disabled with zero
//! thresholds, except `frameShifts` and `stopCodons`, which default to enabled with weight 75.
//! A pathogen.json without any `qc` section runs no QC at all ([`QcConfig::disabled`]).

use serde::{Deserialize, Serialize};
use virion_core::AaRange;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct QcRulesConfigMissingData {
    pub enabled: bool,
    pub missing_data_threshold: f64,
    pub score_bias: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct QcRulesConfigMixedSites {
    pub enabled: bool,
    pub mixed_sites_threshold: usize,
}

fn one() -> f64 {
    1.0
}

/// Weights default to 1 each, unlike the other numbers, which default to 0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct QcRulesConfigPrivateMutations {
    pub enabled: bool,
    #[serde(default = "one")]
    pub weight_reversion_substitutions: f64,
    #[serde(default = "one")]
    pub weight_reversion_deletions: f64,
    #[serde(default = "one")]
    pub weight_labeled_substitutions: f64,
    #[serde(default = "one")]
    pub weight_labeled_deletions: f64,
    #[serde(default = "one")]
    pub weight_unlabeled_substitutions: f64,
    #[serde(default = "one")]
    pub weight_unlabeled_deletions: f64,
    pub typical: f64,
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

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct QcRulesConfigSnpClusters {
    pub enabled: bool,
    pub window_size: usize,
    pub cluster_cut_off: usize,
    pub score_weight: f64,
}

/// A known frame shift that QC forgives: CDS name and codon range (0-based, half-open).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FrameShiftLocation {
    pub cds_name: String,
    /// `codon` in the frame shifts of Nextclade's QC results (same range, other name).
    #[serde(alias = "codon")]
    pub codon_range: AaRange,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct QcRulesConfigFrameShifts {
    pub enabled: bool,
    pub ignored_frame_shifts: Vec<FrameShiftLocation>,
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
    pub cds_name: String,
    pub codon: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct QcRulesConfigStopCodons {
    pub enabled: bool,
    pub ignored_stop_codons: Vec<StopCodonLocation>,
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
    pub enabled: bool,
    pub score_weight: f64,
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct QcConfig {
    pub missing_data: QcRulesConfigMissingData,
    pub mixed_sites: QcRulesConfigMixedSites,
    pub private_mutations: QcRulesConfigPrivateMutations,
    pub snp_clusters: QcRulesConfigSnpClusters,
    pub frame_shifts: QcRulesConfigFrameShifts,
    pub stop_codons: QcRulesConfigStopCodons,
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
