//! nextclade.tsv-compatible rows: Nextclade's column names and cell formats wherever Virion
//! computes the same thing, so that scripts written for Nextclade read Virion's table unchanged.

use std::io::Write;

use virion_core::{NucRange, NucRefPos, NucSub};

use super::format::{join, qc_number, tsv_cell};
use crate::analysis::{Analysis, AnalyzeError};
use crate::dataset::Dataset;
use crate::placement::{NodeMutations, founder_keys};
use crate::qc::QcStatus;

/// Writes the header once, then one row per sequence.
#[derive(Debug)]
pub struct TsvWriter<W: Write> {
    out: W,
    clade_attr_keys: Vec<String>,
    phenotype_keys: Vec<String>,
    motif_keys: Vec<String>,
    founder_keys: Vec<String>,
    ref_node_searches: usize,
    columns: Vec<String>,
    row: Vec<String>,
}

/// The five columns listing a query's mutations relative to one node.
const RELATIVE_FIELDS: [&str; 5] =
    ["nodeName", "substitutions", "deletions", "aaSubstitutions", "aaDeletions"];

const COLUMNS_AFTER_CLADES: &[&str] = &[
    "qc.overallScore",
    "qc.overallStatus",
    "totalSubstitutions",
    "totalDeletions",
    "totalInsertions",
    "totalFrameShifts",
    "totalMissing",
    "totalNonACGTNs",
    "totalAminoacidSubstitutions",
    "totalAminoacidDeletions",
    "totalAminoacidInsertions",
    "totalUnknownAa",
    "alignmentScore",
    "alignmentStart",
    "alignmentEnd",
    "coverage",
    "cdsCoverage",
    "isReverseComplement",
    "substitutions",
    "deletions",
    "insertions",
    "frameShifts",
    "aaSubstitutions",
    "aaDeletions",
    "aaInsertions",
    "privateNucMutations.reversionSubstitutions",
    "privateNucMutations.labeledSubstitutions",
    "privateNucMutations.unlabeledSubstitutions",
    "privateNucMutations.totalReversionSubstitutions",
    "privateNucMutations.totalLabeledSubstitutions",
    "privateNucMutations.totalUnlabeledSubstitutions",
    "privateNucMutations.totalPrivateSubstitutions",
    "privateAaMutations.reversionSubstitutions",
    "privateAaMutations.labeledSubstitutions",
    "privateAaMutations.unlabeledSubstitutions",
    "privateAaMutations.totalReversionSubstitutions",
    "privateAaMutations.totalLabeledSubstitutions",
    "privateAaMutations.totalUnlabeledSubstitutions",
    "privateAaMutations.totalPrivateSubstitutions",
    "missing",
    "unknownAaRanges",
    "nonACGTNs",
    "qc.missingData.missingDataThreshold",
    "qc.missingData.score",
    "qc.missingData.status",
    "qc.missingData.totalMissing",
    "qc.mixedSites.mixedSitesThreshold",
    "qc.mixedSites.score",
    "qc.mixedSites.status",
    "qc.mixedSites.totalMixedSites",
    "qc.privateMutations.cutoff",
    "qc.privateMutations.excess",
    "qc.privateMutations.score",
    "qc.privateMutations.status",
    "qc.privateMutations.total",
    "qc.snpClusters.clusteredSNPs",
    "qc.snpClusters.score",
    "qc.snpClusters.status",
    "qc.snpClusters.totalSNPs",
    "qc.frameShifts.frameShifts",
    "qc.frameShifts.totalFrameShifts",
    "qc.frameShifts.frameShiftsIgnored",
    "qc.frameShifts.totalFrameShiftsIgnored",
    "qc.frameShifts.score",
    "qc.frameShifts.status",
    "qc.stopCodons.stopCodons",
    "qc.stopCodons.totalStopCodons",
    "qc.stopCodons.score",
    "qc.stopCodons.status",
    "totalPcrPrimerChanges",
    "pcrPrimerChanges",
    "failedCdses",
    "warnings",
    "errors",
];

impl<W: Write> TsvWriter<W> {
    /// Writes the header row: Nextclade's fixed columns with the dataset's clade-like attributes,
    /// phenotypes, founders and reference nodes in Nextclade's places.
    pub fn new(mut out: W, ds: &Dataset) -> std::io::Result<Self> {
        // Nextclade lists the dynamic columns after `clade`: clade-like attributes, phenotypes and
        // motifs, each group last defined first; then founder and reference-node columns after
        // `missing`, in declaration order.
        let tree = ds.tree.as_ref();
        let clade_attr_keys: Vec<String> = tree
            .map(|t| t.clade_node_attr_descs().iter().rev().map(|d| d.key.clone()).collect())
            .unwrap_or_default();
        let phenotype_keys: Vec<String> =
            ds.data.pathogen.phenotype_data.iter().flatten().rev().map(|p| p.name.clone()).collect();
        let motif_keys: Vec<String> =
            ds.data.pathogen.aa_motifs.iter().rev().map(|m| m.name.clone()).collect();
        let founder_keys = tree.map(founder_keys).unwrap_or_default();
        let searches = tree.map(|t| t.ref_nodes().search.as_slice()).unwrap_or_default();

        let mut columns: Vec<String> = vec!["index".into(), "seqName".into(), "clade".into()];
        columns.extend(clade_attr_keys.iter().chain(&phenotype_keys).chain(&motif_keys).cloned());
        for &c in COLUMNS_AFTER_CLADES {
            columns.push(c.to_owned());
            if c == "missing" {
                for key in &founder_keys {
                    columns.extend(RELATIVE_FIELDS.iter().map(|f| format!("founderMuts['{key}'].{f}")));
                }
                for s in searches {
                    let name = s.display_name_or_name();
                    columns
                        .extend(RELATIVE_FIELDS.iter().map(|f| format!("relativeMutations['{name}'].{f}")));
                }
            }
        }
        writeln!(out, "{}", columns.join("\t"))?;
        Ok(Self {
            out,
            clade_attr_keys,
            phenotype_keys,
            motif_keys,
            founder_keys,
            ref_node_searches: searches.len(),
            row: Vec::with_capacity(columns.len()),
            columns,
        })
    }

    /// The column names, in the order rows are written.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// Writes one row: the genome's analysis, or its error in the `errors` column.
    pub fn write(
        &mut self,
        index: usize,
        name: &str,
        result: &Result<Analysis, AnalyzeError>,
    ) -> std::io::Result<()> {
        self.row.clear();
        self.row.push(index.to_string());
        self.row.push(name.to_owned());
        match result {
            Ok(a) => self.fill(a),
            Err(e) => {
                let blanks = self.columns.len() - 3;
                self.row.extend(std::iter::repeat_n(String::new(), blanks));
                self.row.push(format!("When processing sequence #{index} '{name}': {e}"));
            }
        }
        debug_assert_eq!(self.row.len(), self.columns.len(), "a row must fill every column");
        for (i, cell) in self.row.iter().enumerate() {
            if i > 0 {
                self.out.write_all(b"\t")?;
            }
            self.out.write_all(tsv_cell(cell).as_bytes())?;
        }
        self.out.write_all(b"\n")
    }

    /// Flushes the underlying writer.
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }

    fn fill(&mut self, a: &Analysis) {
        let r = &mut self.row;
        let p = a.placement.as_ref();
        r.push(p.and_then(|p| p.clade.clone()).unwrap_or_default());
        for key in &self.clade_attr_keys {
            r.push(p.and_then(|p| p.clade_attr(key)).unwrap_or_default().to_owned());
        }
        for key in &self.phenotype_keys {
            let value = a.phenotype_values.iter().flatten().find(|v| v.name == *key);
            r.push(value.map(|v| v.value.to_string()).unwrap_or_default());
        }
        for key in &self.motif_keys {
            let motifs = a.aa_motifs.iter().find(|(name, _)| name == key).map(|(_, m)| m.as_slice());
            let cells =
                motifs.unwrap_or_default().iter().map(|m| format!("{}:{}:{}", m.cds, m.position, m.seq));
            r.push(join(cells, ";"));
        }
        let qc = &a.qc;
        r.push(qc_number(qc.overall_score));
        r.push(qc.overall_status.as_str().to_owned());
        r.push(a.nuc.substitutions.len().to_string());
        r.push(a.nuc.deletions.iter().map(|d| d.range.len()).sum::<i64>().to_string());
        r.push(a.insertions.iter().map(|i| i.ins.len()).sum::<usize>().to_string());
        r.push(a.aa.frame_shifts.len().to_string());
        r.push(a.total_missing.to_string());
        r.push(a.total_non_acgtns.to_string());
        r.push(a.aa.substitutions.len().to_string());
        r.push(a.aa.deletions.len().to_string());
        r.push(a.aa.insertions.len().to_string());
        r.push(a.aa.total_unknown_aa.to_string());
        r.push(a.alignment_score.to_string());
        r.push(a.nuc.alignment_range.begin.one_based().to_string());
        r.push(a.nuc.alignment_range.end.0.to_string());
        r.push(a.coverage.to_string());
        r.push(join(a.aa.cds_coverage.iter().map(|(cds, c)| format!("{cds}:{c}")), ","));
        r.push(a.is_reverse_complement.to_string());
        r.push(join(&a.nuc.substitutions, ","));
        r.push(join(&a.nuc.deletions, ","));
        r.push(join(&a.insertions, ","));
        r.push(join(&a.aa.frame_shifts, ","));
        r.push(join(&a.aa.substitutions, ","));
        r.push(join(&a.aa.deletions, ","));
        r.push(join(&a.aa.insertions, ","));
        match p {
            Some(p) => {
                let n = &p.private_nuc;
                r.push(join(&n.reversion_substitutions, ","));
                r.push(join(n.labeled_substitutions.iter().map(|(s, l)| labeled(s, l)), ","));
                r.push(join(&n.unlabeled_substitutions, ","));
                r.push(n.reversion_substitutions.len().to_string());
                r.push(n.labeled_substitutions.len().to_string());
                r.push(n.unlabeled_substitutions.len().to_string());
                r.push(n.total_private_substitutions().to_string());
                let reversions: Vec<_> = p.private_aa_all(|m| &m.reversion_substitutions).collect();
                let unlabeled: Vec<_> = p.private_aa_all(|m| &m.unlabeled_substitutions).collect();
                let labeled_aa: Vec<_> = p.private_aa_all(|m| &m.labeled_substitutions).collect();
                r.push(join(&reversions, ","));
                r.push(join(labeled_aa.iter().map(|(s, l)| format!("{s}|{}", l.join("&"))), ","));
                r.push(join(&unlabeled, ","));
                r.push(reversions.len().to_string());
                r.push(labeled_aa.len().to_string());
                r.push(unlabeled.len().to_string());
                r.push(p.private_aa_all(|m| &m.private_substitutions).count().to_string());
            }
            None => r.extend(std::iter::repeat_n(String::new(), 14)),
        }
        r.push(join(a.missing.iter().map(|m| m.range), ","));
        for key in &self.founder_keys {
            match p.and_then(|p| p.founder(key)) {
                Some(f) => r.extend(relative_cells(&f.muts)),
                None => r.extend(std::iter::repeat_n(String::new(), RELATIVE_FIELDS.len())),
            }
        }
        for i in 0..self.ref_node_searches {
            match p.and_then(|p| p.ref_node_mutations.get(i)).and_then(Option::as_ref) {
                Some(m) => r.extend(relative_cells(&m.muts)),
                // Nextclade's marker for "no such node for this query".
                None => r.extend(std::iter::repeat_n("N/A".to_owned(), RELATIVE_FIELDS.len())),
            }
        }
        r.push(join(&a.aa.unknown_aa_ranges, ","));
        r.push(join(&a.non_acgtns, ","));
        push_rule(r, qc.missing_data.as_ref(), 4, |x| {
            vec![
                qc_number(x.missing_data_threshold),
                qc_number(x.score),
                status(x.status),
                x.total_missing.to_string(),
            ]
        });
        push_rule(r, qc.mixed_sites.as_ref(), 4, |x| {
            vec![
                x.mixed_sites_threshold.to_string(),
                qc_number(x.score),
                status(x.status),
                x.total_mixed_sites.to_string(),
            ]
        });
        push_rule(r, qc.private_mutations.as_ref(), 5, |x| {
            vec![
                qc_number(x.cutoff),
                qc_number(x.excess),
                qc_number(x.score),
                status(x.status),
                qc_number(x.weighted_total),
            ]
        });
        push_rule(r, qc.snp_clusters.as_ref(), 4, |x| {
            let clusters =
                x.clustered_snps.iter().map(|c| format!("{}:{}", snp_cluster_range(c), c.number_of_snps));
            vec![join(clusters, ","), qc_number(x.score), status(x.status), x.total_snps.to_string()]
        });
        push_rule(r, qc.frame_shifts.as_ref(), 6, |x| {
            let fmt = |v: &[crate::qc::QcFrameShift]| {
                join(v.iter().map(|f| format!("{}:{}", f.cds_name, f.codon)), ",")
            };
            vec![
                fmt(&x.frame_shifts),
                x.total_frame_shifts.to_string(),
                fmt(&x.frame_shifts_ignored),
                x.total_frame_shifts_ignored.to_string(),
                qc_number(x.score),
                status(x.status),
            ]
        });
        push_rule(r, qc.stop_codons.as_ref(), 4, |x| {
            // Nextclade writes this column's codons 0-based (its `StopCodonLocation` printed as
            // is), unlike every other position in the table.
            let stops = x.stop_codons.iter().map(|s| format!("{}:{}", s.cds_name, s.codon));
            vec![join(stops, ","), x.total_stop_codons.to_string(), qc_number(x.score), status(x.status)]
        });
        // Datasets of Nextclade 3 define no PCR primers: no changes.
        r.push("0".to_owned());
        r.push(String::new());
        r.push(join(&a.translation.failed_cdses, ","));
        let warnings = a
            .translation
            .warnings
            .iter()
            .map(|w| w.message.as_str())
            .chain(a.warnings.iter().map(String::as_str));
        r.push(join(warnings, ";"));
        r.push(String::new());
    }
}

/// nodeName, substitutions, deletions, aaSubstitutions, aaDeletions relative to one node.
fn relative_cells(m: &NodeMutations) -> [String; 5] {
    let muts = &m.muts;
    [
        m.node_name.clone(),
        join(&muts.nuc.private_substitutions, ","),
        join(&muts.nuc.private_deletion_ranges, ","),
        join(muts.aa_all(|x| &x.private_substitutions), ","),
        join(muts.aa_all(|x| &x.private_deletions), ","),
    ]
}

/// Nextclade prints a cluster's `start..end` as a half-open range, so its last SNP is not shown.
fn snp_cluster_range(c: &crate::qc::ClusteredSnp) -> NucRange {
    NucRange::new(NucRefPos::from(c.start), NucRefPos::from(c.end))
}

fn status(s: QcStatus) -> String {
    s.as_str().to_owned()
}

/// Pushes a rule's `width` cells, or as many blanks when the dataset disables the rule.
fn push_rule<T>(row: &mut Vec<String>, rule: Option<&T>, width: usize, cells: impl Fn(&T) -> Vec<String>) {
    match rule {
        Some(x) => {
            let cells = cells(x);
            debug_assert_eq!(cells.len(), width);
            row.extend(cells);
        }
        None => row.extend(std::iter::repeat_n(String::new(), width)),
    }
}

fn labeled(sub: &NucSub, labels: &[String]) -> String {
    format!("{sub}|{}", labels.join("&"))
}
