//! Amino-acid changes of a translated query against the reference peptides, in the forms and
//! orders of nextclade.tsv.

use std::fmt;

use serde::{Deserialize, Serialize};
use virion_core::{Aa, AaDel, AaPos, AaSub, CdsRange, Insertion};

use crate::frame_shift::FrameShift;
use crate::query::Translation;
use crate::ranges::{cds_coverage, unknown_aa_ranges};
use crate::reference::RefTranslation;

/// A peptide insertion in one CDS, `S:214:EPE`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AaInsertion {
    /// The CDS name.
    pub cds: String,
    /// The inserted amino acids and the codon they follow.
    pub ins: Insertion<Aa>,
}

impl fmt::Display for AaInsertion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.cds, self.ins)
    }
}

/// A stop codon before the last codon of a CDS, `ORF8:27`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StopCodon {
    /// The CDS name.
    pub cds: String,
    /// The stop's codon index within the CDS.
    pub codon: AaPos,
}

impl fmt::Display for StopCodon {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.cds, self.codon)
    }
}

/// The amino-acid columns of nextclade.tsv for one query.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AaChanges {
    /// Sorted by CDS name, then codon.
    pub substitutions: Vec<AaSub>,
    /// Sorted by CDS name, then codon.
    pub deletions: Vec<AaDel>,
    /// Sorted by CDS name, position, then length.
    pub insertions: Vec<AaInsertion>,
    /// In gene-map order.
    pub frame_shifts: Vec<FrameShift>,
    /// Runs of `X`, in gene-map order.
    pub unknown_aa_ranges: Vec<CdsRange>,
    /// Codons that are `X`, summed over `unknown_aa_ranges`.
    pub total_unknown_aa: usize,
    /// Per translated CDS, sorted by name: aligned codons that are not `X`, over all codons.
    pub cds_coverage: Vec<(String, f64)>,
    /// Premature stop codons, for the stopCodons QC rule (before its ignore list).
    pub stop_codons: Vec<StopCodon>,
}

/// Compares each translated CDS with its reference peptide. A codon is a change when it lies in
/// the CDS's alignment ranges, differs from the reference, and is not `X`; a gap makes it a
/// deletion.
pub fn find_aa_changes(ref_tr: &RefTranslation, qry_tr: &Translation) -> AaChanges {
    let mut out = AaChanges::default();
    for cds_tr in &qry_tr.cdses {
        let Some(ref_cds) = ref_tr.get(&cds_tr.name) else {
            continue;
        };
        let name = &cds_tr.name;
        for (i, (&q, &r)) in cds_tr.seq.iter().zip(&ref_cds.peptide).enumerate() {
            let pos = AaPos(i as i64);
            if q == r || q == Aa::X || !cds_tr.alignment_ranges.iter().any(|a| a.contains(pos)) {
                continue;
            }
            let change = AaSub { cds: name.clone(), pos, ref_aa: r, qry_aa: q };
            if q.is_gap() {
                out.deletions.push(change);
            } else {
                out.substitutions.push(change);
            }
        }

        out.insertions
            .extend(cds_tr.insertions.iter().map(|ins| AaInsertion { cds: name.clone(), ins: ins.clone() }));
        out.frame_shifts.extend(cds_tr.frame_shifts.iter().cloned());
        for range in unknown_aa_ranges(&cds_tr.seq) {
            out.total_unknown_aa += range.len() as usize;
            out.unknown_aa_ranges.push(CdsRange { cds: name.clone(), range });
        }
        out.cds_coverage.push((name.clone(), cds_coverage(&cds_tr.seq, &cds_tr.alignment_ranges)));
        out.stop_codons.extend(premature_stops(name, &cds_tr.seq));
    }
    out.substitutions.sort();
    out.deletions.sort();
    out.insertions
        .sort_by(|a, b| (&a.cds, a.ins.pos, a.ins.ins.len()).cmp(&(&b.cds, b.ins.pos, b.ins.ins.len())));
    out.cds_coverage.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Stop codons anywhere but the last codon of the aligned peptide.
pub fn premature_stops<'a>(cds: &'a str, peptide: &'a [Aa]) -> impl Iterator<Item = StopCodon> + 'a {
    let body = &peptide[..peptide.len().saturating_sub(1)];
    body.iter()
        .enumerate()
        .filter(|(_, aa)| aa.is_stop())
        .map(move |(i, _)| StopCodon { cds: cds.to_owned(), codon: AaPos(i as i64) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::{CdsLayout, Strand};
    use crate::query::CdsTranslation;
    use crate::reference::RefCds;
    use virion_core::aas_from_str;
    use virion_core::{AaRange, NucRange, NucRefPos};

    fn ref_cds(name: &str, peptide: &str) -> RefCds {
        let len = peptide.len() as i64 * 3;
        RefCds {
            layout: CdsLayout::new(
                name,
                name,
                [(NucRange::new(NucRefPos(0), NucRefPos(len)), Strand::Forward)],
            ),
            peptide: aas_from_str(peptide).unwrap(),
            gap_open_close: vec![],
        }
    }

    fn qry_cds(name: &str, peptide: &str, aligned: (i64, i64)) -> CdsTranslation {
        CdsTranslation {
            name: name.into(),
            seq: aas_from_str(peptide).unwrap(),
            insertions: vec![Insertion { pos: 1, ins: aas_from_str("EPE").unwrap() }],
            frame_shifts: vec![],
            alignment_ranges: vec![AaRange::new(AaPos(aligned.0), AaPos(aligned.1))],
            unsequenced_ranges: vec![],
        }
    }

    #[test]
    fn reports_changes_inside_the_aligned_codons_only() {
        // codon      0123456789
        // ref S      MKLGWHDFP*
        // qry S      --LXXHEF*-     aligned codons 2..9: X is unknown, not a change
        // ref N      MAS*
        // qry N      MV-*
        let ref_tr = RefTranslation {
            cdses: vec![ref_cds("S", "MKLGWHDFP*"), ref_cds("N", "MAS*")],
            gene_names: vec!["S".into(), "N".into()],
        };
        let qry_tr = Translation {
            cdses: vec![qry_cds("S", "--LXXHEF*-", (2, 9)), qry_cds("N", "MV-*", (0, 4))],
            warnings: vec![],
            failed_cdses: vec![],
        };
        let ch = find_aa_changes(&ref_tr, &qry_tr);
        let text = |v: &[AaSub]| v.iter().map(ToString::to_string).collect::<Vec<_>>().join(",");
        assert_eq!(text(&ch.substitutions), "N:A2V,S:D7E,S:P9*");
        assert_eq!(text(&ch.deletions), "N:S3-");
        assert_eq!(ch.insertions[0].to_string(), "N:2:EPE");
        let unknown: Vec<String> = ch.unknown_aa_ranges.iter().map(ToString::to_string).collect();
        assert_eq!(unknown, vec!["S:4-5"]);
        assert_eq!(ch.total_unknown_aa, 2);
        assert_eq!(ch.cds_coverage, vec![("N".into(), 1.0), ("S".into(), 0.5)]);
        // S's peptide ends in `-`, so its `*` at codon 8 is premature
        let stops: Vec<String> = ch.stop_codons.iter().map(ToString::to_string).collect();
        assert_eq!(stops, vec!["S:9"]);
    }
}
