//! Reference peptides, translated once per dataset.

use virion_align::{AlignParams, gap_open_close_aa};
use virion_core::{Aa, Nuc};

use crate::codon::translate_into;
use crate::extract::extract_cds_from_ref;
use crate::layout::CdsLayout;
use virion_dataset::GeneMap;

/// One CDS of the reference: where it lies and its peptide.
#[derive(Debug, Clone, PartialEq)]
pub struct RefCds {
    /// Where the CDS lies on the reference.
    pub layout: CdsLayout,
    /// The reference peptide (translated from the unaligned reference).
    pub peptide: Vec<Aa>,
    /// Gap-open penalties for aligning query peptides to this one.
    pub gap_open_close: Vec<i32>,
}

/// All reference peptides, in gene-map order, plus the gene names (needed to report
/// `failedCdses` the way Nextclade does).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RefTranslation {
    /// Every CDS's layout and peptide, in gene-map order.
    pub cdses: Vec<RefCds>,
    /// Names of every gene in the gene map, in order.
    pub gene_names: Vec<String>,
}

impl RefTranslation {
    /// Translates every CDS of `layouts` from the unaligned reference.
    pub fn new(
        ref_seq: &[Nuc],
        layouts: Vec<CdsLayout>,
        gene_names: Vec<String>,
        params: &AlignParams,
    ) -> Self {
        let mut nucs = vec![];
        let cdses = layouts
            .into_iter()
            .map(|layout| {
                extract_cds_from_ref(ref_seq, &layout, &mut nucs);
                let mut peptide = vec![];
                translate_into(&nucs, params.no_translate_past_stop, &mut peptide);
                let gap_open_close = gap_open_close_aa(peptide.len(), params);
                RefCds { layout, peptide, gap_open_close }
            })
            .collect();
        Self { cdses, gene_names }
    }

    /// The CDS called `cds_name`, if any.
    pub fn get(&self, cds_name: &str) -> Option<&RefCds> {
        self.cdses.iter().find(|c| c.layout.name == cds_name)
    }
}

/// Translates every CDS of `gene_map` from the reference sequence.
pub fn translate_reference(ref_seq: &[Nuc], gene_map: &GeneMap, params: &AlignParams) -> RefTranslation {
    let layouts = CdsLayout::all_from_gene_map(gene_map);
    let gene_names = gene_map.genes.iter().map(|g| g.name.clone()).collect();
    RefTranslation::new(ref_seq, layouts, gene_names, params)
}
