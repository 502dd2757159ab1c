//! Translation of one aligned query: per CDS, extract its alignment, detect and mask frame
//! shifts, translate the gap-free query, align the peptide to the reference peptide, and strip
//! the peptide insertions.

use serde::{Deserialize, Serialize};
use virion_align::{AlignParams, align_aa, strip_insertions};
use virion_core::{Aa, AaRange, Insertion, Nuc, NucRange};

use crate::codon::translate_into;
use crate::coord_map::{aln_to_ref_table, ref_to_aln_table};
use crate::error::TranslateError;
use crate::extract::extract_cds_from_aln;
use crate::frame_shift::{
    FrameShift, describe_frame_shift, detect_frame_shifts, mask_shifted_codons, mask_shifted_nucs,
};
use crate::gaps::{GapCounts, peptide_band};
use crate::ranges::{aa_alignment_ranges, aa_unsequenced_ranges};
use crate::reference::{RefCds, RefTranslation};

/// One translated CDS of a query, aligned to the reference peptide.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CdsTranslation {
    /// The CDS name.
    pub name: String,
    /// Query peptide with insertions stripped: one letter per reference codon.
    pub seq: Vec<Aa>,
    /// Peptide insertions; `pos` is the 0-based codon they follow.
    pub insertions: Vec<Insertion<Aa>>,
    /// Frame shifts found in the CDS (the shifted codons are masked with `X` in `seq`).
    pub frame_shifts: Vec<FrameShift>,
    /// Codons inside the nucleotide alignment range (one range per overlapping segment).
    pub alignment_ranges: Vec<AaRange>,
    /// Codons outside it.
    pub unsequenced_ranges: Vec<AaRange>,
}

/// A CDS that could not be translated, reported as Nextclade's warning text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CdsWarning {
    /// The CDS name.
    pub cds: String,
    /// Nextclade's warning text.
    pub message: String,
}

/// Everything translation yields for one query.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Translation {
    /// Translated CDSes, in gene-map order; failed ones are absent.
    pub cdses: Vec<CdsTranslation>,
    /// CDSes that could not be translated, with Nextclade's warning text.
    pub warnings: Vec<CdsWarning>,
    /// Nextclade's `failedCdses`: names of *genes* for which no CDS of the same name was
    /// translated. Where gene and CDS names differ (a gene split into mature peptides) the gene
    /// is always listed; this reproduces Nextclade.
    pub failed_cdses: Vec<String>,
}

impl Translation {
    /// The translation of the CDS called `cds_name`, if it was translated.
    pub fn get(&self, cds_name: &str) -> Option<&CdsTranslation> {
        self.cdses.iter().find(|c| c.name == cds_name)
    }
}

/// Working storage reused from one query to the next.
#[derive(Debug, Default)]
pub struct TranslateBuffers {
    ref_to_aln: Vec<usize>,
    aln_to_ref: Vec<i64>,
    ref_cds: Vec<Nuc>,
    qry_cds: Vec<Nuc>,
    peptide: Vec<Aa>,
}

/// Translates every CDS of an aligned query. `qry_aln` and `ref_aln` are the nucleotide
/// alignment *with* insertions (gaps in the reference); `alignment_range` is the reference range
/// from the first to the last aligned query base.
pub fn translate_query(
    qry_aln: &[Nuc],
    ref_aln: &[Nuc],
    ref_tr: &RefTranslation,
    params: &AlignParams,
    alignment_range: &NucRange,
    buf: &mut TranslateBuffers,
) -> Translation {
    ref_to_aln_table(ref_aln, &mut buf.ref_to_aln);
    let mut out = Translation::default();
    for ref_cds in &ref_tr.cdses {
        match translate_cds(qry_aln, ref_aln, ref_cds, params, buf) {
            Ok(mut tr) => {
                tr.alignment_ranges = aa_alignment_ranges(&ref_cds.layout, alignment_range);
                tr.unsequenced_ranges = aa_unsequenced_ranges(&tr.alignment_ranges, tr.seq.len());
                out.cdses.push(tr);
            }
            Err(err) => {
                out.warnings.push(CdsWarning { cds: ref_cds.layout.name.clone(), message: err.to_string() })
            }
        }
    }
    out.failed_cdses = ref_tr.gene_names.iter().filter(|gene| out.get(gene).is_none()).cloned().collect();
    out
}

/// Translates one CDS. `buf.ref_to_aln` must already hold the global reference-to-column map.
fn translate_cds(
    qry_aln: &[Nuc],
    ref_aln: &[Nuc],
    ref_cds: &RefCds,
    params: &AlignParams,
    buf: &mut TranslateBuffers,
) -> Result<CdsTranslation, TranslateError> {
    let cds = &ref_cds.layout;
    extract_cds_from_aln(ref_aln, &buf.ref_to_aln, cds, &mut buf.ref_cds);
    extract_cds_from_aln(qry_aln, &buf.ref_to_aln, cds, &mut buf.qry_cds);
    aln_to_ref_table(&buf.ref_cds, &mut buf.aln_to_ref);

    let ref_gaps = GapCounts::new(&buf.ref_cds);
    let qry_gaps = GapCounts::new(&buf.qry_cds);
    if buf.qry_cds.is_empty() || qry_gaps.is_all_gaps() {
        return Err(TranslateError::EmptyCds { cds: cds.name.clone() });
    }

    // Terminal gaps of a CDS that the query does not reach are free in the peptide alignment.
    let aa_params = AlignParams {
        left_terminal_gaps_free: buf.qry_cds[0].is_gap(),
        right_terminal_gaps_free: buf.qry_cds[buf.qry_cds.len() - 1].is_gap(),
        ..params.clone()
    };

    protect_first_codon(&mut buf.ref_cds);
    protect_first_codon(&mut buf.qry_cds);

    let frame_shifts: Vec<FrameShift> = detect_frame_shifts(&buf.qry_cds, &buf.ref_cds)
        .into_iter()
        .map(|r| describe_frame_shift(r, &buf.qry_cds, &buf.aln_to_ref, cds))
        .collect();
    mask_shifted_nucs(&mut buf.qry_cds, &frame_shifts);

    // Forget the nucleotide alignment's gaps: the peptide is aligned afresh.
    buf.qry_cds.retain(|n| !n.is_gap());
    translate_into(&buf.qry_cds, params.no_translate_past_stop, &mut buf.peptide);

    let (band_width, mean_shift) = peptide_band(&qry_gaps, &ref_gaps);
    let alignment =
        align_aa(&buf.peptide, &ref_cds.peptide, &ref_cds.gap_open_close, &aa_params, band_width, mean_shift);
    let stripped = strip_insertions(&alignment.qry_seq, &alignment.ref_seq);
    let mut seq = stripped.qry_seq;
    mask_shifted_codons(&mut seq, &frame_shifts);

    Ok(CdsTranslation {
        name: cds.name.clone(),
        seq,
        insertions: stripped.insertions,
        frame_shifts,
        alignment_ranges: vec![],
        unsequenced_ranges: vec![],
    })
}

/// Replaces leading gaps of the first codon holding a base with `N`, so that removing gaps
/// later cannot pull the next bases into that codon and shift the frame.
fn protect_first_codon(seq: &mut [Nuc]) {
    let whole_codons = seq.len() - seq.len() % 3;
    if let Some(i) = seq[..whole_codons].iter().position(|n| !n.is_gap()) {
        let c = i - i % 3;
        if seq[c].is_gap() {
            seq[c] = Nuc::N;
            if seq[c + 1].is_gap() {
                seq[c + 1] = Nuc::N;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use virion_core::{nuc_to_string, nucs_from_str};

    #[test]
    fn protects_the_first_codon_with_a_base() {
        let check = |input: &str, expected: &str| {
            let mut s = nucs_from_str(input).unwrap();
            protect_first_codon(&mut s);
            assert_eq!(nuc_to_string(&s), expected);
        };
        //     codons |--|--|--|
        check("-----AGGG", "---NNAGGG");
        check("----A-GGG", "---NA-GGG");
        check("---A--GGG", "---A--GGG");
        check("--------A", "------NNA");
        check("AAA------", "AAA------");
    }
}
