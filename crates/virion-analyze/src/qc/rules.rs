//! The six QC rules. Each returns `None` when the dataset disables it.

use serde::{Deserialize, Serialize};
use virion_dataset::{
    QcRulesConfigFrameShifts, QcRulesConfigMissingData, QcRulesConfigMixedSites,
    QcRulesConfigPrivateMutations, QcRulesConfigSnpClusters, QcRulesConfigStopCodons,
};

use super::{QcInput, QcStatus, StopCodonLocation};

/// Nextclade's `qc.missingData`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MissingDataResult {
    /// The rule's score (`score`).
    #[serde(deserialize_with = "super::f64_or_nan")]
    pub score: f64,
    /// The score's status (`status`).
    pub status: QcStatus,
    /// Bases in `N` runs (`totalMissing`).
    pub total_missing: usize,
    /// Missing bases at which the score reaches 100, the dataset's threshold plus its bias
    /// (`missingDataThreshold`).
    #[serde(deserialize_with = "super::f64_or_nan")]
    pub missing_data_threshold: f64,
}

/// Ns beyond `scoreBias`, scaled so that `missingDataThreshold` more of them scores 100.
pub fn missing_data(input: &QcInput<'_>, c: &QcRulesConfigMissingData) -> Option<MissingDataResult> {
    c.enabled.then(|| {
        let score = ((input.total_missing as f64 - c.score_bias) * 100.0 / c.missing_data_threshold).max(0.0);
        MissingDataResult {
            score,
            status: QcStatus::from_score(score),
            total_missing: input.total_missing,
            missing_data_threshold: c.missing_data_threshold + c.score_bias,
        }
    })
}

/// Nextclade's `qc.mixedSites`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MixedSitesResult {
    /// The rule's score (`score`).
    #[serde(deserialize_with = "super::f64_or_nan")]
    pub score: f64,
    /// The score's status (`status`).
    pub status: QcStatus,
    /// Ambiguous letters other than `N` (`totalMixedSites`).
    pub total_mixed_sites: usize,
    /// Ambiguous letters at which the score reaches 100 (`mixedSitesThreshold`).
    pub mixed_sites_threshold: usize,
}

/// Ambiguous letters, 100 at `mixedSitesThreshold`.
pub fn mixed_sites(input: &QcInput<'_>, c: &QcRulesConfigMixedSites) -> Option<MixedSitesResult> {
    c.enabled.then(|| {
        // Divided first, as Nextclade does: 100 × (169 / 10) is 1690.0000000000002, which
        // nextclade.tsv writes as `1690.000000`, not `1690`.
        let score = (100.0 * (input.total_mixed_sites as f64 / c.mixed_sites_threshold as f64)).max(0.0);
        MixedSitesResult {
            score,
            status: QcStatus::from_score(score),
            total_mixed_sites: input.total_mixed_sites,
            mixed_sites_threshold: c.mixed_sites_threshold,
        }
    })
}

/// Nextclade's `qc.privateMutations`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrivateMutationsResult {
    /// The rule's score (`score`).
    #[serde(deserialize_with = "super::f64_or_nan")]
    pub score: f64,
    /// The score's status (`status`).
    pub status: QcStatus,
    /// Private reversions (`numReversionSubstitutions`).
    pub num_reversion_substitutions: usize,
    /// Private labeled substitutions (`numLabeledSubstitutions`).
    pub num_labeled_substitutions: usize,
    /// Other private substitutions (`numUnlabeledSubstitutions`).
    pub num_unlabeled_substitutions: usize,
    /// Runs of private deleted bases, each counted once (`totalDeletionRanges`).
    pub total_deletion_ranges: usize,
    /// The substitutions weighted by kind, plus the deletion runs (`weightedTotal`).
    #[serde(deserialize_with = "super::f64_or_nan")]
    pub weighted_total: f64,
    /// `weightedTotal` minus the dataset's typical number (`excess`; negative when below).
    #[serde(deserialize_with = "super::f64_or_nan")]
    pub excess: f64,
    /// The excess that scores 100 (`cutoff`).
    #[serde(deserialize_with = "super::f64_or_nan")]
    pub cutoff: f64,
}

/// Weighted private mutations beyond the `typical` number; 100 when the excess reaches `cutoff`.
/// Substitutions count one by one but a run of deleted bases counts once, since one event
/// deletes many bases.
pub fn private_mutations(
    input: &QcInput<'_>,
    c: &QcRulesConfigPrivateMutations,
) -> Option<PrivateMutationsResult> {
    c.enabled.then(|| {
        let total_deletion_ranges = count_runs(input.private_deletions.iter().map(|p| p.0));
        let weighted_total = c.weight_reversion_substitutions * input.total_reversion_substitutions as f64
            + c.weight_labeled_substitutions * input.total_labeled_substitutions as f64
            + c.weight_unlabeled_substitutions * input.total_unlabeled_substitutions as f64
            + total_deletion_ranges as f64;
        let excess = weighted_total - c.typical;
        let score = excess.max(0.0) * 100.0 / c.cutoff;
        PrivateMutationsResult {
            score,
            status: QcStatus::from_score(score),
            num_reversion_substitutions: input.total_reversion_substitutions,
            num_labeled_substitutions: input.total_labeled_substitutions,
            num_unlabeled_substitutions: input.total_unlabeled_substitutions,
            total_deletion_ranges,
            weighted_total,
            excess,
            cutoff: c.cutoff,
        }
    })
}

/// Number of maximal runs of consecutive integers in an ascending sequence.
fn count_runs(positions: impl Iterator<Item = i64>) -> usize {
    let mut prev: Option<i64> = None;
    let mut runs = 0;
    for p in positions {
        if prev != Some(p - 1) {
            runs += 1;
        }
        prev = Some(p);
    }
    runs
}

/// One cluster of private substitutions (an entry of `qc.snpClusters.clusteredSNPs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusteredSnp {
    /// Position of the cluster's first substitution (0-based).
    pub start: usize,
    /// Position of its last substitution (0-based).
    pub end: usize,
    /// Private substitutions in the cluster.
    pub number_of_snps: usize,
}

/// Nextclade's `qc.snpClusters`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnpClustersResult {
    /// The rule's score (`score`): the number of clusters times the rule's weight.
    #[serde(deserialize_with = "super::f64_or_nan")]
    pub score: f64,
    /// The score's status (`status`).
    pub status: QcStatus,
    /// Private substitutions over all clusters (`totalSNPs`).
    #[serde(rename = "totalSNPs")]
    pub total_snps: usize,
    /// The clusters (`clusteredSNPs`).
    #[serde(rename = "clusteredSNPs")]
    pub clustered_snps: Vec<ClusteredSnp>,
}

/// Windows of `windowSize` bases holding more than `clusterCutOff` private substitutions.
pub fn snp_clusters(input: &QcInput<'_>, c: &QcRulesConfigSnpClusters) -> Option<SnpClustersResult> {
    c.enabled.then(|| {
        let positions: Vec<i64> = input.private_substitutions.iter().map(|p| p.0).collect();
        let clustered_snps = find_clusters(&positions, c.window_size as i64, c.cluster_cut_off);
        let total_snps = clustered_snps.iter().map(|c| c.number_of_snps).sum();
        let score = (clustered_snps.len() as f64 * c.score_weight).max(0.0);
        SnpClustersResult { score, status: QcStatus::from_score(score), total_snps, clustered_snps }
    })
}

/// Slides a window over the ascending positions. A window over the cut-off opens a cluster;
/// while following positions keep the window over the cut-off they extend the same cluster
/// (this is Nextclade's rule: a cluster grows only from the position just before).
fn find_clusters(positions: &[i64], window: i64, cut_off: usize) -> Vec<ClusteredSnp> {
    let mut clusters: Vec<(i64, i64, usize)> = Vec::new();
    let mut window_start = 0usize;
    let mut prev: Option<i64> = None;
    for (i, &pos) in positions.iter().enumerate() {
        while positions[window_start] < pos - window {
            window_start += 1;
        }
        let in_window = i + 1 - window_start;
        if in_window > cut_off {
            match clusters.last_mut() {
                Some(last) if in_window > 1 && Some(last.1) == prev => {
                    last.1 = pos;
                    last.2 += 1;
                }
                _ => clusters.push((positions[window_start], pos, in_window)),
            }
        }
        prev = Some(pos);
    }
    clusters
        .into_iter()
        .map(|(start, end, n)| ClusteredSnp { start: start as usize, end: end as usize, number_of_snps: n })
        .collect()
}

/// One frame shift as `qc.frameShifts` lists it: Nextclade's whole frame-shift object. Records
/// Virion stored before it kept the whole object have only the CDS and the codons (then named
/// `codonRange`); the other coordinates are absent from them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QcFrameShift {
    /// The CDS (`cdsName`).
    pub cds_name: String,
    /// Columns of the CDS's alignment out of frame (`nucRel`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nuc_rel: Option<virion_translate::CdsAlnRange>,
    /// The same stretch on the reference (`nucAbs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nuc_abs: Option<Vec<virion_core::NucRange>>,
    /// Codons out of frame (`codon`).
    #[serde(alias = "codonRange")]
    pub codon: virion_core::AaRange,
    /// Codons deleted just before (`gapsLeading`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gaps_leading: Option<virion_core::AaRange>,
    /// Codons deleted just after (`gapsTrailing`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gaps_trailing: Option<virion_core::AaRange>,
}

impl From<&virion_translate::FrameShift> for QcFrameShift {
    fn from(f: &virion_translate::FrameShift) -> Self {
        QcFrameShift {
            cds_name: f.cds.clone(),
            nuc_rel: Some(f.nuc_rel),
            nuc_abs: Some(f.nuc_abs.clone()),
            codon: f.codon,
            gaps_leading: Some(f.gaps_leading),
            gaps_trailing: Some(f.gaps_trailing),
        }
    }
}

/// Nextclade's `qc.frameShifts`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FrameShiftsResult {
    /// The rule's score (`score`).
    #[serde(deserialize_with = "super::f64_or_nan")]
    pub score: f64,
    /// The score's status (`status`).
    pub status: QcStatus,
    /// Frame shifts counted (not listed as known by the dataset) (`frameShifts`).
    pub frame_shifts: Vec<QcFrameShift>,
    /// `totalFrameShifts`.
    pub total_frame_shifts: usize,
    /// Frame shifts the dataset lists as known, not counted (`frameShiftsIgnored`).
    pub frame_shifts_ignored: Vec<QcFrameShift>,
    /// `totalFrameShiftsIgnored`.
    pub total_frame_shifts_ignored: usize,
}

/// Frame shifts not listed as known in the dataset, each worth `scoreWeight`.
pub fn frame_shifts(input: &QcInput<'_>, c: &QcRulesConfigFrameShifts) -> Option<FrameShiftsResult> {
    c.enabled.then(|| {
        let (ignored, counted): (Vec<_>, Vec<_>) = input.frame_shifts.iter().cloned().partition(|fs| {
            c.ignored_frame_shifts.iter().any(|ig| ig.cds_name == fs.cds_name && ig.codon_range == fs.codon)
        });
        let score = counted.len() as f64 * c.score_weight;
        FrameShiftsResult {
            score,
            status: QcStatus::from_score(score),
            total_frame_shifts: counted.len(),
            frame_shifts: counted,
            total_frame_shifts_ignored: ignored.len(),
            frame_shifts_ignored: ignored,
        }
    })
}

/// Nextclade's `qc.stopCodons`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StopCodonsResult {
    /// The rule's score (`score`).
    #[serde(deserialize_with = "super::f64_or_nan")]
    pub score: f64,
    /// The score's status (`status`).
    pub status: QcStatus,
    /// Premature stop codons counted (`stopCodons`).
    pub stop_codons: Vec<StopCodonLocation>,
    /// `totalStopCodons`.
    pub total_stop_codons: usize,
    /// Premature stop codons the dataset lists as known, not counted (`stopCodonsIgnored`).
    pub stop_codons_ignored: Vec<StopCodonLocation>,
    /// `totalStopCodonsIgnored`.
    pub total_stop_codons_ignored: usize,
}

/// Stop codons before the last codon of each CDS, except those the dataset lists as known.
pub fn stop_codons(input: &QcInput<'_>, c: &QcRulesConfigStopCodons) -> Option<StopCodonsResult> {
    c.enabled.then(|| {
        let mut counted = Vec::new();
        let mut ignored = Vec::new();
        for (cds, peptide) in input.peptides {
            let body = &peptide[..peptide.len().saturating_sub(1)];
            for (codon, aa) in body.iter().enumerate() {
                if !aa.is_stop() {
                    continue;
                }
                let loc = StopCodonLocation { cds_name: (*cds).to_owned(), codon };
                if c.ignored_stop_codons.iter().any(|ig| ig.cds_name == *cds && ig.codon == codon) {
                    ignored.push(loc);
                } else {
                    counted.push(loc);
                }
            }
        }
        let score = counted.len() as f64 * c.score_weight;
        StopCodonsResult {
            score,
            status: QcStatus::from_score(score),
            total_stop_codons: counted.len(),
            stop_codons: counted,
            total_stop_codons_ignored: ignored.len(),
            stop_codons_ignored: ignored,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clusters(pos: &[i64], window: i64, cut: usize) -> Vec<(usize, usize, usize)> {
        find_clusters(pos, window, cut).into_iter().map(|c| (c.start, c.end, c.number_of_snps)).collect()
    }

    /// The straightforward statement of the rule: keep the window as a list, copy it out when it
    /// first exceeds the cut-off, append when the cluster's last member is the previous position.
    fn clusters_oracle(pos: &[i64], window: i64, cut: usize) -> Vec<(usize, usize, usize)> {
        let mut win: std::collections::VecDeque<i64> = Default::default();
        let mut all: Vec<Vec<i64>> = Vec::new();
        let mut prev = -1;
        for &p in pos {
            win.push_back(p);
            while win[0] < p - window {
                win.pop_front();
            }
            if win.len() > cut {
                match all.last_mut() {
                    Some(last) if win.len() > 1 && *last.last().unwrap() == prev => last.push(p),
                    _ => all.push(win.iter().copied().collect()),
                }
            }
            prev = p;
        }
        all.iter().map(|c| (c[0] as usize, *c.last().unwrap() as usize, c.len())).collect()
    }

    #[test]
    fn snp_clusters_by_hand() {
        assert_eq!(clusters(&[100, 200, 300], 10, 2), []);
        assert_eq!(clusters(&[100, 105, 109], 10, 2), [(100, 109, 3)]);
        assert_eq!(clusters(&[100, 105, 109, 500, 503, 506, 509], 10, 2), [(100, 109, 3), (500, 509, 4)]);
        assert_eq!(clusters(&[4, 12], 5, 0), [(4, 4, 1), (12, 12, 1)]);
    }

    proptest::proptest! {
        #[test]
        fn snp_clusters_match_oracle(
            set in proptest::collection::btree_set(0i64..600, 0..80),
            window in 0i64..150,
            cut in 0usize..8,
        ) {
            let pos: Vec<i64> = set.into_iter().collect();
            proptest::prop_assert_eq!(clusters(&pos, window, cut), clusters_oracle(&pos, window, cut));
        }
    }

    #[test]
    fn deletion_runs_count_once() {
        assert_eq!(count_runs([3, 4, 5, 9, 11, 12].into_iter()), 3);
        assert_eq!(count_runs(std::iter::empty()), 0);
    }

    #[test]
    fn status_thresholds() {
        assert_eq!(QcStatus::from_score(29.9), QcStatus::Good);
        assert_eq!(QcStatus::from_score(30.0), QcStatus::Mediocre);
        assert_eq!(QcStatus::from_score(100.0), QcStatus::Bad);
    }
}
