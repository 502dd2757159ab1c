//! Nextclade's `aaChangesGroups` and `nucToAaMuts`: amino-acid changes with their codons' context
//! (neighbouring codons, the triplets, the nucleotide changes under them), for showing a change
//! where it sits in the sequence.
//!
//! Per translated CDS, in order: a mutated codon (a substitution or deletion, not `X`) opens a
//! group, preceded by up to `GROUP_PADDING` sequenced codons; a next mutation at most
//! `GROUP_SPACING` codons further joins it with every sequenced codon between; a further one
//! closes the group with up to `GROUP_PADDING` sequenced codons after it and opens the next.
//! Each group then lists the nucleotide substitutions and deletions inside its codons' reference
//! ranges (within the alignment range; `N` is not a change).

use std::collections::BTreeMap;

use serde::Serialize;
use virion_core::{Aa, AaPos, AaRange, AaSub, Nuc, NucRange, NucRefPos, NucSub};

use crate::layout::{CdsLayout, Strand};
use crate::query::{CdsTranslation, Translation};
use crate::reference::RefTranslation;

/// Mutations this close (in codons) belong to one group (Nextclade's `aa_group_spacing`).
const GROUP_SPACING: i64 = 3;
/// Unchanged codons shown on each side of a group (Nextclade's `aa_group_padding`).
const GROUP_PADDING: i64 = 2;

/// One codon of a group, changed or context.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AaChangeWithContext {
    /// The CDS.
    pub cds_name: String,
    /// The codon.
    pub pos: AaPos,
    /// The reference's amino acid.
    pub ref_aa: Aa,
    /// The query's amino acid.
    pub qry_aa: Aa,
    /// The codon's first reference position.
    pub nuc_pos: NucRefPos,
    /// The reference's three letters, in reading order.
    #[serde(serialize_with = "letters")]
    pub ref_triplet: Vec<Nuc>,
    /// The query's three letters (of the insertion-free alignment), in reading order.
    #[serde(serialize_with = "letters")]
    pub qry_triplet: Vec<Nuc>,
    /// The codon's reference ranges (two where it spans a splice or slippage site).
    pub nuc_ranges: Vec<NucRange>,
}

/// A deleted reference letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NucDel {
    /// The position.
    pub pos: NucRefPos,
    /// The reference's letter there.
    pub ref_nuc: Nuc,
}

/// Adjacent deleted positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct NucDelRangeJson {
    /// The deleted reference range.
    pub range: NucRange,
}

/// Nearby amino-acid changes of one CDS with their context.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AaChangesGroup {
    /// The CDS.
    pub name: String,
    /// The codons the group spans.
    pub range: AaRange,
    /// Its codons, changed and context, in order.
    pub changes: Vec<AaChangeWithContext>,
    /// Nucleotide substitutions under its codons.
    pub nuc_subs: Vec<NucSub>,
    /// Nucleotide deletions under its codons.
    pub nuc_dels: Vec<NucDel>,
    /// The same deletions as ranges.
    pub nuc_del_ranges: Vec<NucDelRangeJson>,
}

/// `aaChangesGroups` and `nucToAaMuts` of a query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AaChangesContext {
    /// Groups of every translated CDS, in translation order.
    pub groups: Vec<AaChangesGroup>,
    /// For each reference position (0-based, as text) under a changed codon, the amino-acid
    /// changes there, sorted.
    pub nuc_to_aa_muts: BTreeMap<String, Vec<AaSub>>,
}

/// The query's alignment as the groups read it: reference and query of reference length.
struct Aln<'a> {
    ref_seq: &'a [Nuc],
    qry_seq: &'a [Nuc],
    alignment_range: NucRange,
}

impl Aln<'_> {
    fn triplet(&self, seq: &[Nuc], ranges: &[(NucRange, Strand)]) -> Vec<Nuc> {
        let mut out = Vec::with_capacity(3);
        for (r, strand) in ranges {
            let b = r.begin.0.clamp(0, seq.len() as i64) as usize;
            let e = r.end.0.clamp(0, seq.len() as i64) as usize;
            let piece = &seq[b..e.max(b)];
            match strand {
                Strand::Forward => out.extend_from_slice(piece),
                Strand::Reverse => out.extend(piece.iter().rev().map(|n| n.complement())),
            }
        }
        out
    }

    /// The change at `pos`: sequenced, different from the reference, and not `N`.
    fn mut_at(&self, pos: NucRefPos) -> Option<(Nuc, Nuc)> {
        if !self.alignment_range.contains(pos) {
            return None;
        }
        let (r, q) = (self.ref_seq[pos.0 as usize], self.qry_seq[pos.0 as usize]);
        (q != r && q != Nuc::N).then_some((r, q))
    }
}

/// The codon's reference ranges with their strands, in reading order.
fn codon_ranges(layout: &CdsLayout, codon: AaPos) -> Vec<(NucRange, Strand)> {
    layout.local_range_to_ref_pieces(codon.0 * 3, codon.0 * 3 + 3)
}

/// Nextclade's `aaChangesGroups` and `nucToAaMuts` for a query: `qry_aln` is its alignment
/// without insertions (reference length), `alignment_range` the reference range it covers.
pub fn aa_changes_context(
    ref_seq: &[Nuc],
    qry_aln: &[Nuc],
    alignment_range: NucRange,
    ref_tr: &RefTranslation,
    qry_tr: &Translation,
) -> AaChangesContext {
    let aln = Aln { ref_seq, qry_seq: qry_aln, alignment_range };
    let mut out = AaChangesContext::default();
    for cds_tr in &qry_tr.cdses {
        let Some(ref_cds) = ref_tr.get(&cds_tr.name) else { continue };
        cds_groups(&aln, &ref_cds.layout, &ref_cds.peptide, cds_tr, &mut out.groups);
    }
    for group in &out.groups {
        for change in group.changes.iter().filter(|c| is_change(c.ref_aa, c.qry_aa)) {
            let sub = AaSub {
                cds: change.cds_name.clone(),
                pos: change.pos,
                ref_aa: change.ref_aa,
                qry_aa: change.qry_aa,
            };
            for range in &change.nuc_ranges {
                for p in range.begin.0..range.end.0 {
                    out.nuc_to_aa_muts.entry(p.to_string()).or_default().push(sub.clone());
                }
            }
        }
    }
    for subs in out.nuc_to_aa_muts.values_mut() {
        subs.sort();
        subs.dedup();
    }
    out
}

fn is_change(ref_aa: Aa, qry_aa: Aa) -> bool {
    qry_aa != ref_aa && qry_aa != Aa::X
}

fn cds_groups(
    aln: &Aln<'_>,
    layout: &CdsLayout,
    ref_peptide: &[Aa],
    cds_tr: &CdsTranslation,
    groups: &mut Vec<AaChangesGroup>,
) {
    let len = cds_tr.seq.len().min(ref_peptide.len()) as i64;
    let sequenced = |c: i64| cds_tr.alignment_ranges.iter().any(|r| r.contains(AaPos(c)));
    let changed =
        (0..len).filter(|&c| sequenced(c) && is_change(ref_peptide[c as usize], cds_tr.seq[c as usize]));
    group_changes(aln, layout, ref_peptide, cds_tr, changed, groups);
}

/// Groups the changed `codons` (ascending) of one CDS with their context, `ref_peptide` and
/// `aln.ref_seq` standing for what the query is compared with (the reference, or a tree node).
fn group_changes(
    aln: &Aln<'_>,
    layout: &CdsLayout,
    ref_peptide: &[Aa],
    cds_tr: &CdsTranslation,
    codons: impl Iterator<Item = i64>,
    groups: &mut Vec<AaChangesGroup>,
) {
    let len = cds_tr.seq.len().min(ref_peptide.len()) as i64;
    let sequenced = |c: i64| c >= 0 && cds_tr.alignment_ranges.iter().any(|r| r.contains(AaPos(c)));
    let context = |c: i64| {
        let ranges = codon_ranges(layout, AaPos(c));
        AaChangeWithContext {
            cds_name: cds_tr.name.clone(),
            pos: AaPos(c),
            ref_aa: ref_peptide[c as usize],
            qry_aa: cds_tr.seq[c as usize],
            nuc_pos: ranges.first().map_or(NucRefPos(0), |r| r.0.begin),
            ref_triplet: aln.triplet(aln.ref_seq, &ranges),
            qry_triplet: aln.triplet(aln.qry_seq, &ranges),
            nuc_ranges: ranges.iter().map(|r| r.0).collect(),
        }
    };
    // Context codons are looked up only inside the CDS: `sequenced` is false past its end.
    let in_cds = |c: i64| c < len && sequenced(c);
    // The sequenced codons just before a group's first change, in order.
    let lead_in =
        |codon: i64| (1..=GROUP_PADDING).rev().map(move |o| codon - o).filter(move |&c| c >= 0 && in_cds(c));
    let first = groups.len();
    let mut current: Vec<AaChangeWithContext> = Vec::new();
    for codon in codons.filter(|&c| (0..len).contains(&c)) {
        match current.last().map(|c| c.pos.0) {
            None => current.extend(lead_in(codon).map(context)),
            Some(prev) if codon <= prev + GROUP_SPACING => {
                current.extend((prev + 1..codon).filter(|&c| in_cds(c)).map(context));
            }
            Some(prev) => {
                current.extend((1..=GROUP_PADDING).map(|o| prev + o).filter(|&c| in_cds(c)).map(context));
                groups.push(group_of(&cds_tr.name, std::mem::take(&mut current)));
                current.extend(lead_in(codon).map(context));
            }
        }
        current.push(context(codon));
    }
    if let Some(last) = current.last().map(|c| c.pos.0) {
        current.extend((1..=GROUP_PADDING).map(|o| last + o).filter(|&c| in_cds(c)).map(context));
    }
    groups.push(group_of(&cds_tr.name, current));
    // Empty groups (a CDS without changes) are dropped, as Nextclade does.
    let mut i = first;
    while i < groups.len() {
        if groups[i].changes.is_empty() {
            groups.remove(i);
        } else {
            fill_nuc_changes(aln, layout, &mut groups[i]);
            i += 1;
        }
    }
}

/// One CDS's `aaChangesGroups` relative to a tree node, as Nextclade lists them beside the
/// query's mutations relative to that node (`privateAaMutations`, founders, reference nodes):
/// `node_seq` is the reference with the node's nucleotide mutations applied, `node_peptide`
/// the CDS's reference peptide with the node's amino-acid mutations, `changed` the query's
/// substitutions and deletions relative to the node (any order).
pub fn aa_changes_groups_relative(
    node_seq: &[Nuc],
    qry_aln: &[Nuc],
    alignment_range: NucRange,
    ref_tr: &RefTranslation,
    node_peptide: &[Aa],
    cds_tr: &CdsTranslation,
    changed: &[&AaSub],
) -> Vec<AaChangesGroup> {
    let Some(ref_cds) = ref_tr.get(&cds_tr.name) else { return Vec::new() };
    let aln = Aln { ref_seq: node_seq, qry_seq: qry_aln, alignment_range };
    let mut codons: Vec<i64> = changed
        .iter()
        .filter(|m| m.cds == cds_tr.name && is_change(m.ref_aa, m.qry_aa))
        .map(|m| m.pos.0)
        .collect();
    codons.sort_unstable();
    codons.dedup();
    let mut groups = Vec::new();
    group_changes(&aln, &ref_cds.layout, node_peptide, cds_tr, codons.into_iter(), &mut groups);
    groups
}

fn group_of(name: &str, changes: Vec<AaChangeWithContext>) -> AaChangesGroup {
    let begin = changes.iter().map(|c| c.pos).min().unwrap_or(AaPos(0));
    let end = changes.iter().map(|c| c.pos + 1).max().unwrap_or(AaPos(0));
    AaChangesGroup {
        name: name.to_owned(),
        range: AaRange::new(begin, end),
        changes,
        nuc_subs: Vec::new(),
        nuc_dels: Vec::new(),
        nuc_del_ranges: Vec::new(),
    }
}

/// The nucleotide changes under every codon of the group's range, codon by codon.
fn fill_nuc_changes(aln: &Aln<'_>, layout: &CdsLayout, group: &mut AaChangesGroup) {
    for codon in group.range.begin.0..group.range.end.0 {
        for (range, _) in codon_ranges(layout, AaPos(codon)) {
            for p in range.begin.0..range.end.0 {
                let pos = NucRefPos(p);
                match aln.mut_at(pos) {
                    Some((ref_nuc, Nuc::Gap)) => group.nuc_dels.push(NucDel { pos, ref_nuc }),
                    Some((ref_nuc, qry_nuc)) => group.nuc_subs.push(NucSub { pos, ref_nuc, qry_nuc }),
                    None => {}
                }
            }
        }
    }
    // Adjacent deleted positions, in the order listed, make one range.
    for d in &group.nuc_dels {
        match group.nuc_del_ranges.last_mut() {
            Some(r) if r.range.end == d.pos => r.range.end = d.pos + 1,
            _ => group.nuc_del_ranges.push(NucDelRangeJson { range: NucRange::new(d.pos, d.pos + 1) }),
        }
    }
}

fn letters<S: serde::Serializer>(v: &[Nuc], s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&v.iter().map(|n| n.to_char()).collect::<String>())
}
