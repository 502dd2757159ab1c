//! One JSON object per sequence, with Nextclade's NDJSON field names where the meaning is the
//! same (`substitutions`, `aaSubstitutions`, `privateNucMutations`, `qc`, …).

use std::collections::BTreeMap;

use serde::Serialize;
use virion_core::{AaRange, AaSub, CdsRange, Insertion, Nuc, NucDelRange, NucRange, NucSub, SymbolRange};
use virion_translate::{AaChangesContext, AaChangesGroup, AaInsertion, AaMotif, PhenotypeValue};

use crate::analysis::{Analysis, AnalyzeError};
use crate::qc::QcResult;
use virion_tree::{PrivateAaMutations, PrivateNucMutations};

/// A sequence's NDJSON line: the analysis, or its error.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum NdjsonRecord<'a> {
    /// An analysed genome, in Nextclade's NDJSON record shape.
    Ok(Box<Record<'a>>),
    /// A genome that could not be analysed, as Nextclade writes it: index, name and the errors.
    Err {
        /// The record's 0-based position in the input (`index`).
        index: usize,
        /// The FASTA record's name (`seqName`).
        #[serde(rename = "seqName")]
        seq_name: &'a str,
        /// Why the genome could not be analysed (`errors`).
        errors: Vec<String>,
    },
}

/// One analysed genome in the shape of Nextclade 3's NDJSON record (camelCase fields, the
/// same names and nesting); built by [`NdjsonRecord::new`], only to be serialised.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Record<'a> {
    index: usize,
    seq_name: &'a str,
    seq_id: &'a str,
    seq_desc: &'a str,
    len_unaligned: usize,
    len_aligned: usize,
    len_stripped: usize,
    nucleotide_composition: BTreeMap<char, usize>,
    substitutions: &'a [NucSub],
    total_substitutions: usize,
    deletions: &'a [NucDelRange],
    total_deletions: i64,
    insertions: &'a [Insertion<Nuc>],
    total_insertions: usize,
    missing: &'a [SymbolRange<Nuc>],
    total_missing: usize,
    #[serde(rename = "nonACGTNs")]
    non_acgtns: &'a [SymbolRange<Nuc>],
    #[serde(rename = "totalNonACGTNs")]
    total_non_acgtns: usize,
    frame_shifts: Vec<FrameShiftJson<'a>>,
    total_frame_shifts: usize,
    aa_substitutions: &'a [AaSub],
    total_aminoacid_substitutions: usize,
    aa_deletions: &'a [AaSub],
    total_aminoacid_deletions: usize,
    aa_insertions: Vec<AaInsertionJson<'a>>,
    total_aminoacid_insertions: usize,
    unknown_aa_ranges: &'a [CdsRange],
    total_unknown_aa: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    aa_changes_groups: Option<&'a [AaChangesGroup]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nuc_to_aa_muts: Option<&'a BTreeMap<String, Vec<AaSub>>>,
    alignment_range: NucRange,
    alignment_score: i32,
    aa_alignment_ranges: BTreeMap<&'a str, &'a [AaRange]>,
    aa_unsequenced_ranges: BTreeMap<&'a str, &'a [AaRange]>,
    /// Nextclade 3's datasets define no PCR primers (always empty, as in nextclade.tsv).
    pcr_primer_changes: [(); 0],
    total_pcr_primer_changes: usize,
    clade: Option<&'a str>,
    custom_node_attributes: BTreeMap<&'a str, &'a str>,
    nearest_node_name: Option<&'a str>,
    nearest_node_id: Option<usize>,
    private_nuc_mutations: Option<&'a PrivateNucMutations>,
    private_aa_mutations: Option<&'a BTreeMap<String, PrivateAaMutations>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    divergence: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    phenotype_values: Option<&'a [PhenotypeValue]>,
    aa_motifs: BTreeMap<&'a str, &'a [AaMotif]>,
    warnings: Vec<&'a str>,
    missing_cdses: &'a [String],
    coverage: f64,
    cds_coverage: BTreeMap<&'a str, f64>,
    qc: &'a QcResult,
    is_reverse_complement: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct FrameShiftJson<'a> {
    cds_name: &'a str,
    nuc_abs: &'a [NucRange],
    codon: AaRange,
    gaps_leading: AaRange,
    gaps_trailing: AaRange,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct AaInsertionJson<'a> {
    cds_name: &'a str,
    pos: i64,
    ins: String,
}

impl<'a> NdjsonRecord<'a> {
    /// The record for the `index`-th input genome named `name`, from its analysis or its error;
    /// with `context` ([`crate::change_context`]) it has `aaChangesGroups` and `nucToAaMuts`.
    pub fn new(
        index: usize,
        name: &'a str,
        result: &'a Result<Analysis, AnalyzeError>,
        context: Option<&'a AaChangesContext>,
    ) -> Self {
        match result {
            Err(e) => NdjsonRecord::Err {
                index,
                seq_name: name,
                errors: vec![format!("When processing sequence #{index} '{name}': {e}")],
            },
            Ok(a) => NdjsonRecord::Ok(Box::new(Record::new(index, name, a, context))),
        }
    }
}

impl<'a> Record<'a> {
    fn new(index: usize, name: &'a str, a: &'a Analysis, context: Option<&'a AaChangesContext>) -> Self {
        let p = a.placement.as_ref();
        Record {
            index,
            seq_name: name,
            // Nextclade splits the header at its first space: the id, then the description.
            seq_id: name.split_once(' ').map_or(name, |(id, _)| id),
            seq_desc: name.split_once(' ').map_or("", |(_, desc)| desc),
            len_unaligned: a.len_unaligned,
            len_aligned: a.len_aligned,
            len_stripped: a.aligned_query.len(),
            nucleotide_composition: a.nucleotide_composition.iter().map(|&(n, c)| (n.to_char(), c)).collect(),
            substitutions: &a.nuc.substitutions,
            total_substitutions: a.nuc.substitutions.len(),
            deletions: &a.nuc.deletions,
            total_deletions: a.nuc.deletions.iter().map(|d| d.range.len()).sum(),
            insertions: &a.insertions,
            total_insertions: a.insertions.iter().map(|i| i.ins.len()).sum(),
            missing: &a.missing,
            total_missing: a.total_missing,
            non_acgtns: &a.non_acgtns,
            total_non_acgtns: a.total_non_acgtns,
            frame_shifts: a
                .aa
                .frame_shifts
                .iter()
                .map(|f| FrameShiftJson {
                    cds_name: &f.cds,
                    nuc_abs: &f.nuc_abs,
                    codon: f.codon,
                    gaps_leading: f.gaps_leading,
                    gaps_trailing: f.gaps_trailing,
                })
                .collect(),
            total_frame_shifts: a.aa.frame_shifts.len(),
            aa_substitutions: &a.aa.substitutions,
            total_aminoacid_substitutions: a.aa.substitutions.len(),
            aa_deletions: &a.aa.deletions,
            total_aminoacid_deletions: a.aa.deletions.len(),
            aa_insertions: a.aa.insertions.iter().map(aa_insertion_json).collect(),
            total_aminoacid_insertions: a.aa.insertions.len(),
            unknown_aa_ranges: &a.aa.unknown_aa_ranges,
            total_unknown_aa: a.aa.total_unknown_aa,
            aa_changes_groups: context.map(|c| c.groups.as_slice()),
            nuc_to_aa_muts: context.map(|c| &c.nuc_to_aa_muts),
            alignment_range: a.nuc.alignment_range,
            alignment_score: a.alignment_score,
            aa_alignment_ranges: a
                .aa_ranges
                .iter()
                .map(|(n, aligned, _)| (n.as_str(), aligned.as_slice()))
                .collect(),
            aa_unsequenced_ranges: a
                .aa_ranges
                .iter()
                .map(|(n, _, uns)| (n.as_str(), uns.as_slice()))
                .collect(),
            pcr_primer_changes: [],
            total_pcr_primer_changes: 0,
            clade: p.and_then(|p| p.clade.as_deref()),
            custom_node_attributes: p
                .map(|p| p.clade_attrs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect())
                .unwrap_or_default(),
            nearest_node_name: p.map(|p| p.nearest_node_name.as_str()),
            nearest_node_id: p.map(|p| p.nearest_node),
            private_nuc_mutations: p.map(|p| &p.private_nuc),
            private_aa_mutations: p.map(|p| &p.private_aa),
            divergence: p.map(|p| p.divergence),
            phenotype_values: a.phenotype_values.as_deref(),
            aa_motifs: a.aa_motifs.iter().map(|(name, m)| (name.as_str(), m.as_slice())).collect(),
            warnings: a
                .translation
                .warnings
                .iter()
                .map(|w| w.message.as_str())
                .chain(a.warnings.iter().map(String::as_str))
                .collect(),
            missing_cdses: &a.translation.failed_cdses,
            coverage: a.coverage,
            cds_coverage: a.aa.cds_coverage.iter().map(|(k, v)| (k.as_str(), *v)).collect(),
            qc: &a.qc,
            is_reverse_complement: a.is_reverse_complement,
        }
    }
}

fn aa_insertion_json(i: &AaInsertion) -> AaInsertionJson<'_> {
    AaInsertionJson { cds_name: &i.cds, pos: i.ins.pos, ins: i.ins.ins.iter().map(|a| a.to_char()).collect() }
}
