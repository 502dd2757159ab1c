//! Aligned peptides of a synthetic genome: the reference peptide with the node's amino-acid
//! differences, and `X` wherever a codon reads an unsequenced base.

use virion_analyze::Dataset;
use virion_tree::AaState;

/// One CDS as peptide synthesis needs it, computed once per dataset.
#[derive(Debug, Clone)]
pub(crate) struct CdsPlan {
    pub name: String,
    ref_peptide: Vec<u8>,
    /// Reference position of each nucleotide of the CDS in reading order, three per codon, so a
    /// codon's coverage is three look-ups whatever the segments and strands.
    codon_positions: Vec<usize>,
}

impl CdsPlan {
    pub(crate) fn all(dataset: &Dataset) -> Vec<CdsPlan> {
        dataset
            .ref_translation
            .cdses
            .iter()
            .map(|cds| {
                let codon_positions = (0..cds.peptide.len() as i64 * 3)
                    .map(|local| cds.layout.local_to_ref(local).map_or(usize::MAX, |p| p.as_usize()))
                    .collect();
                CdsPlan {
                    name: cds.layout.name.clone(),
                    ref_peptide: cds.peptide.iter().map(|aa| aa.to_byte()).collect(),
                    codon_positions,
                }
            })
            .collect()
    }

    /// The peptide of a genome whose node differs from the reference by `node_aas` in this CDS;
    /// `genome` is the masked aligned sequence, whose `N`s become `X`.
    pub(crate) fn peptide(&self, node_aas: &[AaState], genome: &[u8]) -> Vec<u8> {
        let mut out = self.ref_peptide.clone();
        for s in node_aas {
            if let Some(aa) = out.get_mut(s.pos.as_usize()) {
                *aa = s.qry_aa.to_byte();
            }
        }
        for (codon, aa) in self.codon_positions.chunks_exact(3).zip(out.iter_mut()) {
            if codon.iter().any(|&p| genome.get(p).is_none_or(|&b| b == b'N')) {
                *aa = b'X';
            }
        }
        out
    }
}
