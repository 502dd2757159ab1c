//! One JSON object per sequence, with Nextclade's NDJSON field names where the meaning is the
//! same (`substitutions`, `aaSubstitutions`, `privateNucMutations`, `qc`, …).

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Serialize;
use virion_core::{
    Aa, AaPos, AaRange, AaSub, CdsRange, Insertion, Nuc, NucDelRange, NucRange, NucSub, SymbolRange,
};
use virion_translate::{AaChangesGroup, AaInsertion, AaMotif, AaMotifChanges, CdsAlnRange, PhenotypeValue};
use virion_tree::{PrivateAaMutations, PrivateNucMutations, RefNodeCriteria, RefNodeSearch, RefNodesDesc};

use crate::analysis::{Analysis, AnalyzeError, NdjsonContext};
use crate::placement::{Founder, Placement, RefNodeResult};
use crate::qc::QcResult;

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
    aa_deletions: Vec<AaDelJson<'a>>,
    total_aminoacid_deletions: usize,
    aa_insertions: Vec<AaInsertionJson<'a>>,
    total_aminoacid_insertions: usize,
    unknown_aa_ranges: Vec<UnknownAaJson<'a>>,
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
    /// Absent where the tree defines no clades (flu's internal segments), as in Nextclade.
    #[serde(skip_serializing_if = "Option::is_none")]
    clade: Option<&'a str>,
    custom_node_attributes: BTreeMap<&'a str, &'a str>,
    nearest_node_name: Option<&'a str>,
    nearest_node_id: Option<usize>,
    private_nuc_mutations: Option<&'a PrivateNucMutations>,
    private_aa_mutations: Option<BTreeMap<&'a str, PrivateAaJson<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    divergence: Option<f64>,
    /// `null` when the dataset defines no phenotypes.
    phenotype_values: Option<&'a [PhenotypeValue]>,
    aa_motifs: BTreeMap<&'a str, &'a [AaMotif]>,
    warnings: Vec<WarningJson<'a>>,
    missing_cdses: &'a [String],
    coverage: f64,
    cds_coverage: BTreeMap<&'a str, f64>,
    qc: &'a QcResult,
    is_reverse_complement: bool,
    /// What only `--output-ndjson` writes (see [`NdjsonContext`]).
    #[serde(flatten)]
    tree_context: Option<TreeContext<'a>>,
}

/// A record's reference name and its comparisons with tree nodes other than the nearest.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct TreeContext<'a> {
    ref_name: &'a str,
    aa_motifs_changes: &'a BTreeMap<String, AaMotifChanges>,
    clade_founder_info: Option<FounderJson<'a>>,
    clade_node_attr_founder_info: BTreeMap<&'a str, FounderJson<'a>>,
    ref_nodes: Cow<'a, RefNodesDesc>,
    ref_node_search_results: Vec<SearchResultJson<'a>>,
    relative_nuc_mutations: Vec<RelativeJson<'a, &'a PrivateNucMutations>>,
    relative_aa_mutations: Vec<RelativeJson<'a, BTreeMap<&'a str, PrivateAaJson<'a>>>>,
}

/// One CDS's mutations relative to a node, in Nextclade's shape: named, counted, and with the
/// change groups relative to that node when the record has its [`NdjsonContext`].
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct PrivateAaJson<'a> {
    cds_name: &'a str,
    private_substitutions: &'a [AaSub],
    private_deletions: Vec<AaDelJson<'a>>,
    private_deletion_ranges: Vec<RangeJson>,
    reversion_substitutions: &'a [AaSub],
    labeled_substitutions: Vec<LabeledJson<'a>>,
    unlabeled_substitutions: &'a [AaSub],
    total_private_substitutions: usize,
    total_private_deletions: usize,
    total_reversion_substitutions: usize,
    total_labeled_substitutions: usize,
    total_unlabeled_substitutions: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    aa_changes_groups: Option<&'a [AaChangesGroup]>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct AaDelJson<'a> {
    cds_name: &'a str,
    pos: AaPos,
    ref_aa: Aa,
}

#[derive(Debug, Serialize)]
struct RangeJson {
    range: AaRange,
}

#[derive(Debug, Serialize)]
struct LabeledJson<'a> {
    substitution: &'a AaSub,
    labels: &'a [String],
}

/// `cladeFounderInfo` and the values of `cladeNodeAttrFounderInfo`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct FounderJson<'a> {
    key: &'a str,
    value: &'a str,
    node_key: usize,
    node_name: &'a str,
    nuc_mutations: &'a PrivateNucMutations,
    aa_mutations: BTreeMap<&'a str, PrivateAaJson<'a>>,
}

/// One reference-node search and, if it found a node, which criterion found which node.
#[derive(Debug, Clone, Serialize)]
struct SearchResultJson<'a> {
    search: &'a RefNodeSearch,
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<SearchMatchJson<'a>>,
}

#[derive(Debug, Clone, Serialize)]
struct SearchMatchJson<'a> {
    criterion: &'a RefNodeCriteria,
    #[serde(rename = "match")]
    found: MatchJson<'a>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct MatchJson<'a> {
    node_key: usize,
    node_name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    clade: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    clade_like_attrs: Option<Vec<AttrPairJson<'a>>>,
}

#[derive(Debug, Clone, Serialize)]
struct AttrPairJson<'a> {
    key: &'a str,
    value: &'a str,
}

/// `relativeNucMutations` / `relativeAaMutations` entries: the search, and the mutations
/// relative to the node it found.
#[derive(Debug, Serialize)]
struct RelativeJson<'a, T> {
    search: SearchResultJson<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<RelativeResultJson<'a, T>>,
}

#[derive(Debug, Serialize)]
struct RelativeResultJson<'a, T> {
    criterion: &'a RefNodeCriteria,
    #[serde(rename = "match")]
    found: MatchJson<'a>,
    muts: T,
}

/// A problem that did not stop the analysis: a CDS's (Nextclade's shape) or the record's.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct WarningJson<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    cds_name: Option<&'a str>,
    warning: &'a str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct FrameShiftJson<'a> {
    cds_name: &'a str,
    nuc_rel: CdsAlnRange,
    nuc_abs: &'a [NucRange],
    codon: AaRange,
    gaps_leading: AaRange,
    gaps_trailing: AaRange,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct AaInsertionJson<'a> {
    cds: &'a str,
    pos: i64,
    ins: String,
}

impl<'a> NdjsonRecord<'a> {
    /// The record for the `index`-th input genome named `name`, from its analysis or its error;
    /// with `context` ([`crate::ndjson_context`]) it is the whole of Nextclade's record (change
    /// groups, `refName`, founders, reference nodes); without, the part a hub stores.
    pub fn new(
        index: usize,
        name: &'a str,
        result: &'a Result<Analysis, AnalyzeError>,
        context: Option<&'a NdjsonContext<'a>>,
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
    fn new(index: usize, name: &'a str, a: &'a Analysis, context: Option<&'a NdjsonContext<'a>>) -> Self {
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
                    nuc_rel: f.nuc_rel,
                    nuc_abs: &f.nuc_abs,
                    codon: f.codon,
                    gaps_leading: f.gaps_leading,
                    gaps_trailing: f.gaps_trailing,
                })
                .collect(),
            total_frame_shifts: a.aa.frame_shifts.len(),
            aa_substitutions: &a.aa.substitutions,
            total_aminoacid_substitutions: a.aa.substitutions.len(),
            aa_deletions: a.aa.deletions.iter().map(aa_del_json).collect(),
            total_aminoacid_deletions: a.aa.deletions.len(),
            aa_insertions: a.aa.insertions.iter().map(aa_insertion_json).collect(),
            total_aminoacid_insertions: a.aa.insertions.len(),
            unknown_aa_ranges: unknown_aa_json(&a.aa.unknown_aa_ranges),
            total_unknown_aa: a.aa.total_unknown_aa,
            aa_changes_groups: context.map(|c| c.changes.groups.as_slice()),
            nuc_to_aa_muts: context.map(|c| &c.changes.nuc_to_aa_muts),
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
            private_aa_mutations: p.map(|p| private_aa_json(&p.private_aa, context, p.nearest_node)),
            divergence: p.map(|p| p.divergence),
            phenotype_values: a.phenotype_values.as_deref(),
            aa_motifs: a.aa_motifs.iter().map(|(name, m)| (name.as_str(), m.as_slice())).collect(),
            warnings: a
                .translation
                .warnings
                .iter()
                .map(|w| WarningJson { cds_name: Some(&w.cds), warning: &w.message })
                .chain(a.warnings.iter().map(|w| WarningJson { cds_name: None, warning: w }))
                .collect(),
            missing_cdses: &a.translation.failed_cdses,
            coverage: a.coverage,
            cds_coverage: a.aa.cds_coverage.iter().map(|(k, v)| (k.as_str(), *v)).collect(),
            qc: &a.qc,
            is_reverse_complement: a.is_reverse_complement,
            tree_context: context.map(|c| tree_context(c, p)),
        }
    }
}

fn tree_context<'a>(c: &'a NdjsonContext<'a>, p: Option<&'a Placement>) -> TreeContext<'a> {
    let founder = |f: &'a Founder| FounderJson {
        key: &f.key,
        value: &f.value,
        node_key: f.muts.muts.node,
        node_name: &f.muts.node_name,
        nuc_mutations: &f.muts.muts.nuc,
        aa_mutations: private_aa_json(&f.muts.muts.aa, Some(c), f.muts.muts.node),
    };
    let founders = p.map(|p| p.founders.as_slice()).unwrap_or_default();
    let searches = c.ref_nodes.map(|r| r.search.as_slice()).unwrap_or_default();
    let search_results: Vec<SearchResultJson> = searches
        .iter()
        .enumerate()
        .map(|(i, search)| {
            let found = p.and_then(|p| p.ref_node_mutations.get(i)).and_then(Option::as_ref);
            SearchResultJson {
                search,
                result: found.map(|r| SearchMatchJson {
                    criterion: &search.criteria[r.found.criterion],
                    found: MatchJson {
                        node_key: r.found.node,
                        node_name: &r.muts.node_name,
                        name: r.found.name.as_deref(),
                        clade: r.found.clade.as_deref(),
                        clade_like_attrs: r.found.clade_like_attrs.as_ref().map(|attrs| {
                            attrs.iter().map(|(key, value)| AttrPairJson { key, value }).collect()
                        }),
                    },
                }),
            }
        })
        .collect();
    TreeContext {
        ref_name: c.ref_name,
        aa_motifs_changes: &c.aa_motifs_changes,
        clade_founder_info: founders.iter().find(|f| f.key == "clade").map(founder),
        clade_node_attr_founder_info: founders
            .iter()
            .filter(|f| f.key != "clade")
            .map(|f| (f.key.as_str(), founder(f)))
            .collect(),
        ref_nodes: c.ref_nodes.map_or_else(|| Cow::Owned(RefNodesDesc::default()), Cow::Borrowed),
        relative_nuc_mutations: relative_to_ref_nodes(&search_results, p, |r| &r.muts.muts.nuc),
        relative_aa_mutations: relative_to_ref_nodes(&search_results, p, |r| {
            private_aa_json(&r.muts.muts.aa, Some(c), r.muts.muts.node)
        }),
        ref_node_search_results: search_results,
    }
}

/// `relativeNucMutations` or `relativeAaMutations`: per reference-node search, the search and,
/// where it found a node, the query's mutations relative to it (`muts`).
fn relative_to_ref_nodes<'a, T>(
    searches: &[SearchResultJson<'a>],
    p: Option<&'a Placement>,
    muts: impl Fn(&'a RefNodeResult) -> T,
) -> Vec<RelativeJson<'a, T>> {
    searches
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let found = p.and_then(|p| p.ref_node_mutations.get(i)).and_then(Option::as_ref);
            RelativeJson {
                search: s.clone(),
                result: s.result.clone().zip(found).map(|(m, r)| RelativeResultJson {
                    criterion: m.criterion,
                    found: m.found,
                    muts: muts(r),
                }),
            }
        })
        .collect()
}

/// Each CDS's mutations relative to tree node `node`, with the node's change groups if known.
fn private_aa_json<'a>(
    aa: &'a BTreeMap<String, PrivateAaMutations>,
    context: Option<&'a NdjsonContext<'a>>,
    node: usize,
) -> BTreeMap<&'a str, PrivateAaJson<'a>> {
    let groups = context.and_then(|c| c.node_groups.get(&node));
    aa.iter()
        .map(|(cds, m)| {
            let json = PrivateAaJson {
                cds_name: cds,
                private_substitutions: &m.private_substitutions,
                private_deletions: m.private_deletions.iter().map(aa_del_json).collect(),
                private_deletion_ranges: m
                    .private_deletion_ranges
                    .iter()
                    .map(|&range| RangeJson { range })
                    .collect(),
                reversion_substitutions: &m.reversion_substitutions,
                labeled_substitutions: m
                    .labeled_substitutions
                    .iter()
                    .map(|(substitution, labels)| LabeledJson { substitution, labels })
                    .collect(),
                unlabeled_substitutions: &m.unlabeled_substitutions,
                total_private_substitutions: m.total_private_substitutions(),
                total_private_deletions: m.total_private_deletions(),
                total_reversion_substitutions: m.total_reversion_substitutions(),
                total_labeled_substitutions: m.total_labeled_substitutions(),
                total_unlabeled_substitutions: m.total_unlabeled_substitutions(),
                aa_changes_groups: context
                    .map(|_| groups.and_then(|g| g.get(cds)).map(Vec::as_slice).unwrap_or_default()),
            };
            (cds.as_str(), json)
        })
        .collect()
}

fn aa_del_json(d: &AaSub) -> AaDelJson<'_> {
    AaDelJson { cds_name: &d.cds, pos: d.pos, ref_aa: d.ref_aa }
}

/// One CDS's runs of `X`, as Nextclade groups them.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct UnknownAaJson<'a> {
    cds_name: &'a str,
    character: Aa,
    ranges: Vec<UnknownRangeJson>,
    length: i64,
}

#[derive(Debug, Serialize)]
struct UnknownRangeJson {
    range: AaRange,
    character: Aa,
}

/// Consecutive ranges of one CDS become one entry, in the order found.
fn unknown_aa_json(ranges: &[CdsRange]) -> Vec<UnknownAaJson<'_>> {
    let mut out: Vec<UnknownAaJson> = Vec::new();
    for r in ranges {
        let entry = match out.last_mut() {
            Some(e) if e.cds_name == r.cds => e,
            _ => {
                out.push(UnknownAaJson { cds_name: &r.cds, character: Aa::X, ranges: Vec::new(), length: 0 });
                out.last_mut().expect("just pushed")
            }
        };
        entry.ranges.push(UnknownRangeJson { range: r.range, character: Aa::X });
        entry.length += r.range.len();
    }
    out
}

fn aa_insertion_json(i: &AaInsertion) -> AaInsertionJson<'_> {
    AaInsertionJson { cds: &i.cds, pos: i.ins.pos, ins: i.ins.ins.iter().map(|a| a.to_char()).collect() }
}
