//! Quality control: six rules, each scored, summed as Nextclade does into an overall status.
//!
//! Each rule's score is on a scale where 30 is "mediocre" and 100 is "bad"; the overall score
//! adds the squares of the rule scores divided by 100, so one bad rule makes a bad sequence but
//! several slightly raised rules do not.

mod rules;

use serde::{Deserialize, Deserializer, Serialize};
use virion_core::NucRefPos;
pub use virion_dataset::{FrameShiftLocation, StopCodonLocation};

pub use rules::*;

/// The status Nextclade derives from a score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QcStatus {
    /// Score below 30.
    #[default]
    Good,
    /// Score from 30 up to 100.
    Mediocre,
    /// Score 100 or more.
    Bad,
}

impl QcStatus {
    /// The status of a score: bad from 100, mediocre from 30.
    pub fn from_score(score: f64) -> Self {
        if score >= 100.0 {
            QcStatus::Bad
        } else if score >= 30.0 {
            QcStatus::Mediocre
        } else {
            QcStatus::Good
        }
    }

    /// Nextclade's name of the status: `good`, `mediocre` or `bad`.
    pub fn as_str(self) -> &'static str {
        match self {
            QcStatus::Good => "good",
            QcStatus::Mediocre => "mediocre",
            QcStatus::Bad => "bad",
        }
    }
}

/// Everything the rules look at, gathered from the earlier steps.
#[derive(Debug, Clone, Copy)]
pub struct QcInput<'a> {
    /// Bases in `N` runs.
    pub total_missing: usize,
    /// Ambiguity codes other than N in the aligned query.
    pub total_mixed_sites: usize,
    /// Private substitutions' positions, ascending.
    pub private_substitutions: &'a [NucRefPos],
    /// Private substitutions that revert to the root's letter.
    pub total_reversion_substitutions: usize,
    /// Private substitutions the dataset labels.
    pub total_labeled_substitutions: usize,
    /// The other private substitutions.
    pub total_unlabeled_substitutions: usize,
    /// Private deleted positions, ascending (one entry per base).
    pub private_deletions: &'a [NucRefPos],
    /// Frame shifts found by translation, every CDS.
    pub frame_shifts: &'a [QcFrameShift],
    /// Each translated CDS: its name and peptide (aligned, insertions stripped).
    pub peptides: &'a [(&'a str, &'a [virion_core::Aa])],
}

/// All rule results plus the overall verdict; disabled rules are `None`. Also read back from
/// NDJSON records (Nextclade's and Virion's), see [`crate::output::NextcladeResult`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QcResult {
    /// `qc.missingData`; `None` if the dataset disables the rule.
    pub missing_data: Option<MissingDataResult>,
    /// `qc.mixedSites`; `None` if disabled.
    pub mixed_sites: Option<MixedSitesResult>,
    /// `qc.privateMutations`; `None` if disabled.
    pub private_mutations: Option<PrivateMutationsResult>,
    /// `qc.snpClusters`; `None` if disabled.
    pub snp_clusters: Option<SnpClustersResult>,
    /// `qc.frameShifts`; `None` if disabled.
    pub frame_shifts: Option<FrameShiftsResult>,
    /// `qc.stopCodons`; `None` if disabled.
    pub stop_codons: Option<StopCodonsResult>,
    /// `qc.overallScore`: the sum of the rule scores' squares over 100 (NaN read from `null`).
    #[serde(deserialize_with = "f64_or_nan")]
    pub overall_score: f64,
    /// `qc.overallStatus`.
    pub overall_status: QcStatus,
}

/// serde_json writes a score that is not a finite number as `null`; read back, it is NaN (a
/// record holding one still reads).
fn f64_or_nan<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

/// Runs every enabled rule of `config` on `input`.
pub fn run_qc(input: &QcInput<'_>, config: &virion_dataset::QcConfig) -> QcResult {
    let mut result = QcResult {
        missing_data: missing_data(input, &config.missing_data),
        mixed_sites: mixed_sites(input, &config.mixed_sites),
        private_mutations: private_mutations(input, &config.private_mutations),
        snp_clusters: snp_clusters(input, &config.snp_clusters),
        frame_shifts: frame_shifts(input, &config.frame_shifts),
        stop_codons: stop_codons(input, &config.stop_codons),
        ..QcResult::default()
    };
    let scores = [
        result.missing_data.as_ref().map(|r| r.score),
        result.mixed_sites.as_ref().map(|r| r.score),
        result.private_mutations.as_ref().map(|r| r.score),
        result.snp_clusters.as_ref().map(|r| r.score),
        result.frame_shifts.as_ref().map(|r| r.score),
        result.stop_codons.as_ref().map(|r| r.score),
    ];
    result.overall_score = scores.iter().flatten().map(|s| s * s * 0.01).sum();
    result.overall_status = QcStatus::from_score(result.overall_score);
    result
}
