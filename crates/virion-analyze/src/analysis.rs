//! One genome in, its `Analysis` out.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

use virion_align::{AlignError, align_nuc_with_index, strip_insertions};
use virion_core::{AaPos, AaRange, AaSub, Insertion, Nuc, SymbolRange};
use virion_translate::{
    AaChanges, AaChangesContext, AaChangesGroup, AaMotif, AaMotifChanges, PhenotypeValue, TranslateBuffers,
    Translation, aa_changes_context, aa_changes_groups_relative, aa_motifs_changes, find_aa_changes,
    phenotype_values, translate_query,
};
use virion_tree::{PrivateAaMutations, RefNodesDesc, RefTree};

use crate::dataset::Dataset;
use crate::nuc_changes::{NucChanges, find_missing, find_non_acgtns, find_nuc_changes, letter_composition};
use crate::placement::{Placement, place};
use crate::qc::{QcInput, QcResult, run_qc};

/// Why one genome could not be analysed. The batch goes on; the genome gets an error row.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AnalyzeError {
    /// A letter that is not an IUPAC nucleotide code, and its 0-based position in the input.
    #[error("sequence contains '{letter}' at position {position}, which is not a nucleotide (IUPAC) letter")]
    InvalidLetter {
        /// The letter as read.
        letter: char,
        /// Its 0-based position in the sequence.
        position: usize,
    },
    /// No alignment could start: too few seeds of the reference match (Nextclade's "When calculating seed matches" error).
    #[error("When calculating seed matches: {0}")]
    Seeds(AlignError),
    /// The alignment itself failed (e.g. the band needed is too wide).
    #[error("{0}")]
    Align(AlignError),
}

impl From<AlignError> for AnalyzeError {
    fn from(e: AlignError) -> Self {
        match e {
            AlignError::NoSeedMatches { .. } | AlignError::SeedCoverTooLow { .. } => AnalyzeError::Seeds(e),
            other => AnalyzeError::Align(other),
        }
    }
}

/// Everything Virion finds about one genome.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// The FASTA record's name (Nextclade's `seqName`).
    pub seq_name: String,
    /// The aligner's score of the best alignment (`alignmentScore`).
    pub alignment_score: i32,
    /// Whether the query aligned only after reverse-complementing (`isReverseComplement`).
    pub is_reverse_complement: bool,
    /// Substitutions, deletions and the aligned range.
    pub nuc: NucChanges,
    /// Nucleotide insertions relative to the reference, removed from `aligned_query` (`insertions`).
    pub insertions: Vec<Insertion<Nuc>>,
    /// Runs of `N` in the aligned query (`missing`).
    pub missing: Vec<SymbolRange<Nuc>>,
    /// Runs of ambiguity codes other than `N` (`nonACGTNs`).
    pub non_acgtns: Vec<SymbolRange<Nuc>>,
    /// Number of `N` bases over all `missing` ranges (`totalMissing`).
    pub total_missing: usize,
    /// Number of bases over all `non_acgtns` ranges (`totalNonACGTNs`).
    pub total_non_acgtns: usize,
    /// Aligned, non-missing, unambiguous bases over the reference length.
    pub coverage: f64,
    /// The query's peptides per CDS, with their insertions, frame shifts and translation warnings.
    pub translation: Translation,
    /// Amino-acid substitutions and deletions per CDS (`aaSubstitutions`, `aaDeletions`).
    pub aa: AaChanges,
    /// Nearest reference-tree node, clade and private mutations (absent without a tree).
    pub placement: Option<Placement>,
    /// Phenotype scores (pathogen.json `phenotypeData`); computed only with a tree, as in Nextclade.
    pub phenotype_values: Option<Vec<PhenotypeValue>>,
    /// Amino-acid motifs found, by motif name (pathogen.json `aaMotifs`).
    pub aa_motifs: Vec<(String, Vec<AaMotif>)>,
    /// The six QC rules' results and the overall score and status (`qc`).
    pub qc: QcResult,
    /// The query aligned to the reference, insertions removed (reference length).
    pub aligned_query: Vec<Nuc>,
    /// Letters of the input sequence (`lenUnaligned`).
    pub len_unaligned: usize,
    /// Columns of the alignment, insertions included (`lenAligned`).
    pub len_aligned: usize,
    /// How often each letter occurs in `aligned_query`, gaps included (`nucleotideComposition`).
    pub nucleotide_composition: Vec<(Nuc, usize)>,
    /// Every CDS of the annotation with the codons the alignment covers and those it does not
    /// (`aaAlignmentRanges`, `aaUnsequencedRanges`); a CDS that could not be translated is
    /// unsequenced segment by segment, as Nextclade reports it.
    pub aa_ranges: Vec<(String, Vec<AaRange>, Vec<AaRange>)>,
    /// Problems that did not stop the analysis (e.g. a name used twice in the input); per-CDS
    /// translation problems are in `translation.warnings`.
    pub warnings: Vec<String>,
}

thread_local! {
    static BUFFERS: RefCell<(Vec<Nuc>, TranslateBuffers)> = RefCell::new(Default::default());
}

/// Analyses one genome: alignment, nucleotide calls, translation, placement and QC, with the
/// results Nextclade gives. `seq` is raw letters as read from FASTA (any case, `U` for `T`).
pub fn analyze(ds: &Dataset, name: &str, seq: &[u8]) -> Result<Analysis, AnalyzeError> {
    BUFFERS.with(|cell| {
        let (qry, tr_buf) = &mut *cell.borrow_mut();
        to_nucs(seq, qry)?;
        analyze_nucs(ds, name, qry, tr_buf)
    })
}

fn to_nucs(seq: &[u8], out: &mut Vec<Nuc>) -> Result<(), AnalyzeError> {
    out.clear();
    if let Some(position) = seq.iter().position(|&b| Nuc::from_byte(b).is_none()) {
        return Err(AnalyzeError::InvalidLetter { letter: seq[position] as char, position: position + 1 });
    }
    // Checked above: one pass that only converts, with no check or push per letter.
    out.extend(seq.iter().map(|&b| Nuc::from_byte(b).unwrap_or(Nuc::N)));
    Ok(())
}

fn analyze_nucs(
    ds: &Dataset,
    name: &str,
    qry: &[Nuc],
    tr_buf: &mut TranslateBuffers,
) -> Result<Analysis, AnalyzeError> {
    let reference = &ds.data.reference;
    let alignment =
        align_nuc_with_index(qry, reference, &ds.seed_index, &ds.gap_open_close, &ds.align_params)?;
    let stripped = strip_insertions(&alignment.qry_seq, &alignment.ref_seq);
    let aligned_query = stripped.qry_seq;

    let nuc = find_nuc_changes(&aligned_query, reference);
    let missing = find_missing(&aligned_query);
    let non_acgtns = find_non_acgtns(&aligned_query);
    let total_missing: usize = missing.iter().map(|r| r.range.len() as usize).sum();
    let total_non_acgtns: usize = non_acgtns.iter().map(|r| r.range.len() as usize).sum();
    let covered = (nuc.alignment_range.len() as usize).saturating_sub(total_missing + total_non_acgtns);
    let coverage = covered as f64 / reference.len() as f64;

    let translation = translate_query(
        &alignment.qry_seq,
        &alignment.ref_seq,
        &ds.ref_translation,
        &ds.align_params,
        &nuc.alignment_range,
        tr_buf,
    );
    let aa = find_aa_changes(&ds.ref_translation, &translation);
    let aa_ranges = cds_aa_ranges(ds, &translation);

    let placement =
        ds.tree.as_ref().map(|tree| place(ds, tree, &nuc, &missing, &non_acgtns, &aa, &translation));

    // `None` (Nextclade's `null`) when the dataset defines no phenotypes.
    let phenotype_values = placement
        .as_ref()
        .zip(ds.data.pathogen.phenotype_data.as_deref())
        .map(|(p, phenotypes)| phenotype_values(phenotypes, p.clade.as_deref(), &aa.substitutions));
    let aa_motifs = ds.aa_motifs.find(&translation);

    let composition = letter_composition(&aligned_query);
    let nucleotide_composition: Vec<(Nuc, usize)> =
        Nuc::ALL.iter().map(|&n| (n, composition[n as usize])).filter(|&(_, c)| c > 0).collect();
    let total_mixed_sites: usize =
        Nuc::ALL.iter().filter(|n| n.is_ambiguous()).map(|&n| composition[n as usize]).sum();
    let qc = run_qc_for(ds, &aa, &translation, placement.as_ref(), total_missing, total_mixed_sites);

    Ok(Analysis {
        seq_name: name.to_owned(),
        alignment_score: alignment.score,
        is_reverse_complement: alignment.is_reverse_complement,
        nuc,
        insertions: stripped.insertions,
        missing,
        non_acgtns,
        total_missing,
        total_non_acgtns,
        coverage,
        translation,
        aa,
        placement,
        phenotype_values,
        aa_motifs,
        qc,
        aa_ranges,
        len_unaligned: qry.len(),
        len_aligned: alignment.qry_seq.len(),
        nucleotide_composition,
        aligned_query,
        warnings: Vec::new(),
    })
}

/// What an NDJSON record adds to the analysis. Computed only where NDJSON is written, not by
/// [`analyze`]: a hub does not keep it (the change groups alone are 51 of a SARS-CoV-2 record's
/// 56 KB, and all of it follows from the sequence and the dataset).
#[derive(Debug, Clone)]
pub struct NdjsonContext<'d> {
    /// The reference sequence's FASTA name (`refName`).
    pub ref_name: &'d str,
    /// The tree's reference-node searches (`refNodes`); `None` without a tree.
    pub ref_nodes: Option<&'d RefNodesDesc>,
    /// `aaChangesGroups` and `nucToAaMuts`, relative to the reference.
    pub changes: AaChangesContext,
    /// Per tree node the query is compared with (the nearest node, the founders, the reference
    /// nodes), per CDS: the change groups relative to that node.
    pub node_groups: HashMap<usize, BTreeMap<String, Vec<AaChangesGroup>>>,
    /// Per motif kind, the query's motifs against the reference's (`aaMotifsChanges`).
    pub aa_motifs_changes: BTreeMap<String, AaMotifChanges>,
}

/// The [`NdjsonContext`] of an analysed genome.
pub fn ndjson_context<'d>(ds: &'d Dataset, a: &Analysis) -> NdjsonContext<'d> {
    let changes = aa_changes_context(
        &ds.data.reference,
        &a.aligned_query,
        a.nuc.alignment_range,
        &ds.ref_translation,
        &a.translation,
    );
    let mut node_groups = HashMap::new();
    if let (Some(tree), Some(p)) = (&ds.tree, &a.placement) {
        let compared = std::iter::once((p.nearest_node, &p.private_aa))
            .chain(p.founders.iter().map(|f| (f.muts.muts.node, &f.muts.muts.aa)))
            .chain(p.ref_node_mutations.iter().flatten().map(|r| (r.muts.muts.node, &r.muts.muts.aa)));
        for (node, aa) in compared {
            node_groups.entry(node).or_insert_with(|| groups_relative_to_node(ds, tree, a, node, aa));
        }
    }
    NdjsonContext {
        ref_name: &ds.data.reference_header,
        ref_nodes: ds.tree.as_ref().map(|t| t.ref_nodes()),
        changes,
        node_groups,
        aa_motifs_changes: aa_motifs_changes(
            &ds.aa_motifs_ref,
            &a.aa_motifs,
            &ds.ref_translation,
            &a.translation,
        ),
    }
}

/// Per CDS, the query's change groups relative to tree node `node`, whose relative amino-acid
/// mutations are `aa`: the reference with the node's mutations stands for the reference.
fn groups_relative_to_node(
    ds: &Dataset,
    tree: &RefTree,
    a: &Analysis,
    node: usize,
    aa: &BTreeMap<String, PrivateAaMutations>,
) -> BTreeMap<String, Vec<AaChangesGroup>> {
    let mut node_seq = ds.data.reference.clone();
    for m in tree.node_nuc_mutations(node) {
        if let Some(slot) = usize::try_from(m.pos.0).ok().and_then(|i| node_seq.get_mut(i)) {
            *slot = m.qry_nuc;
        }
    }
    let mut out = BTreeMap::new();
    for cds_tr in &a.translation.cdses {
        let (Some(muts), Some(ref_cds)) = (aa.get(&cds_tr.name), ds.ref_translation.get(&cds_tr.name)) else {
            continue;
        };
        let mut node_peptide = ref_cds.peptide.clone();
        for m in tree.node_aa_mutations(node, &cds_tr.name) {
            if let Some(slot) = usize::try_from(m.pos.0).ok().and_then(|i| node_peptide.get_mut(i)) {
                *slot = m.qry_aa;
            }
        }
        let changed: Vec<&AaSub> = muts.private_substitutions.iter().chain(&muts.private_deletions).collect();
        let groups = aa_changes_groups_relative(
            &node_seq,
            &a.aligned_query,
            a.nuc.alignment_range,
            &ds.ref_translation,
            &node_peptide,
            cds_tr,
            &changed,
        );
        out.insert(cds_tr.name.clone(), groups);
    }
    out
}

fn cds_aa_ranges(ds: &Dataset, translation: &Translation) -> Vec<(String, Vec<AaRange>, Vec<AaRange>)> {
    let non_empty = |r: &[AaRange]| r.iter().filter(|r| !r.is_empty()).copied().collect::<Vec<_>>();
    ds.ref_translation
        .cdses
        .iter()
        .map(|ref_cds| {
            let name = ref_cds.layout.name.clone();
            match translation.get(&name) {
                Some(tr) => (name, non_empty(&tr.alignment_ranges), non_empty(&tr.unsequenced_ranges)),
                None => {
                    // Whole codons of each segment (a partial codon at either end left out).
                    let unsequenced = ref_cds
                        .layout
                        .segments
                        .iter()
                        .map(|seg| {
                            let begin = seg.local_begin.div_euclid(3);
                            let end = (seg.local_begin + seg.len()).div_euclid(3);
                            AaRange::new(AaPos(begin), AaPos(end))
                        })
                        .collect();
                    (name, Vec::new(), unsequenced)
                }
            }
        })
        .collect()
}

fn run_qc_for(
    ds: &Dataset,
    aa: &AaChanges,
    translation: &Translation,
    placement: Option<&Placement>,
    total_missing: usize,
    total_mixed_sites: usize,
) -> QcResult {
    let frame_shifts: Vec<crate::qc::QcFrameShift> = aa.frame_shifts.iter().map(Into::into).collect();
    let peptides: Vec<(&str, &[virion_core::Aa])> =
        translation.cdses.iter().map(|c| (c.name.as_str(), c.seq.as_slice())).collect();
    let private = placement.map(Placement::qc_counts).unwrap_or_default();
    let input = QcInput {
        total_missing,
        total_mixed_sites,
        private_substitutions: &private.substitution_positions,
        total_reversion_substitutions: private.reversions,
        total_labeled_substitutions: private.labeled,
        total_unlabeled_substitutions: private.unlabeled,
        private_deletions: &private.deletion_positions,
        frame_shifts: &frame_shifts,
        peptides: &peptides,
    };
    run_qc(&input, &ds.data.pathogen.qc)
}
