//! Accumulating branch mutations into each node's full set of differences from the reference.
//!
//! Walks nodes in pre-order (parents first), starting each node from its parent's set and applying
//! its branch mutations one by one, as Nextclade's tree preprocessing does: a mutation back to the
//! reference letter removes the position, and every mutation's origin letter must equal the state
//! inherited along the path (or the reference), otherwise the tree does not fit the reference.

use virion_core::{Aa, Nuc, NucRefPos, NucSub};

use crate::error::TreeError;
use crate::tree::{AaState, Prepared, RefTree, SubDelta};

impl RefTree {
    /// Computes every node's mutations relative to the reference. `ref_peptides` lists the
    /// reference peptide of each CDS (name, letters); only those CDSes are kept, and the tree's
    /// amino-acid mutations are checked against them. With `None`, every CDS named on the tree is
    /// kept and the reference letter of a position is taken from the first mutation at it.
    pub fn prepare(
        &mut self,
        ref_seq: &[Nuc],
        ref_peptides: Option<&[(&str, &[Aa])]>,
    ) -> Result<(), TreeError> {
        let n = self.nodes.len();
        let mut p = Prepared {
            nuc_muts: Vec::with_capacity(n),
            nuc_sub_counts: Vec::with_capacity(n),
            deltas: Vec::new(),
            delta_bounds: Vec::with_capacity(n + 1),
            sites: Vec::new(),
            cds_names: Vec::new(),
            aa_muts: Vec::with_capacity(n),
            prior_weights: self.nodes.iter().map(|node| node.prior_weight()).collect(),
        };

        let peptides: Vec<(String, Option<&[Aa]>)> = match ref_peptides {
            Some(list) => list.iter().map(|(c, s)| ((*c).to_owned(), Some(*s))).collect(),
            None => {
                let mut names: Vec<String> = Vec::new();
                for node in &self.nodes {
                    for cds in node.branch_aa_muts.keys() {
                        if !names.contains(cds) {
                            names.push(cds.clone());
                        }
                    }
                }
                names.into_iter().map(|c| (c, None)).collect()
            }
        };
        p.cds_names = peptides.iter().map(|(c, _)| c.clone()).collect();

        p.delta_bounds.push(0);
        for i in 0..n {
            let node = &self.nodes[i];
            let mut muts = match node.parent {
                Some(parent) => p.nuc_muts[parent].clone(),
                None => Vec::new(),
            };
            for m in &node.branch_nuc_muts {
                apply_nuc_mutation(&mut muts, m, ref_seq, &node.name)?;
            }

            let empty = Vec::new();
            let parent_muts = node.parent.map_or(&empty, |q| &p.nuc_muts[q]);
            for m in &node.branch_nuc_muts {
                let before = sub_state(parent_muts, m.pos);
                let after = sub_state(&muts, m.pos);
                let already = p.deltas[p.delta_bounds[i]..].iter().any(|d| d.pos == m.pos);
                if before != after && !already {
                    p.deltas.push(SubDelta { pos: m.pos, site: 0, before, after });
                }
            }
            p.delta_bounds.push(p.deltas.len());
            p.nuc_sub_counts.push(muts.iter().filter(|m| !m.qry_nuc.is_gap()).count());
            p.nuc_muts.push(muts);

            let mut aa_all = Vec::with_capacity(peptides.len());
            for (ci, (cds, peptide)) in peptides.iter().enumerate() {
                let mut aa = match node.parent {
                    Some(parent) => p.aa_muts[parent][ci].clone(),
                    None => Vec::new(),
                };
                if let Some(branch) = node.branch_aa_muts.get(cds) {
                    for m in branch {
                        apply_aa_mutation(&mut aa, m, *peptide, &node.name)?;
                    }
                }
                aa_all.push(aa);
            }
            p.aa_muts.push(aa_all);
        }

        p.sites = p.deltas.iter().map(|d| d.pos).collect();
        p.sites.sort_unstable();
        p.sites.dedup();
        for d in &mut p.deltas {
            d.site = p.sites.binary_search(&d.pos).expect("every delta's position is a site") as u32;
        }

        self.prepared = Some(p);
        Ok(())
    }
}

/// The node's substitution at `pos` (a deletion or the reference letter count as none).
fn sub_state(muts: &[NucSub], pos: NucRefPos) -> Option<Nuc> {
    muts.binary_search_by_key(&pos, |m| m.pos).ok().map(|i| muts[i].qry_nuc).filter(|n| !n.is_gap())
}

fn apply_nuc_mutation(
    muts: &mut Vec<NucSub>,
    m: &NucSub,
    ref_seq: &[Nuc],
    node: &str,
) -> Result<(), TreeError> {
    let Some(&ref_nuc) = usize::try_from(m.pos.0).ok().and_then(|p| ref_seq.get(p)) else {
        return Err(TreeError::MutationOutOfRange {
            node: node.to_owned(),
            cds: "nuc".to_owned(),
            mutation: m.to_string(),
            len: ref_seq.len(),
        });
    };
    let found = muts.binary_search_by_key(&m.pos, |x| x.pos);
    let inherited = match found {
        Ok(i) => muts[i].qry_nuc,
        Err(_) => ref_nuc,
    };
    if m.ref_nuc != inherited {
        return Err(TreeError::InconsistentNucMutation {
            node: node.to_owned(),
            mutation: m.to_string(),
            expected: inherited,
            found: m.ref_nuc,
        });
    }
    match (found, m.qry_nuc == ref_nuc) {
        (Ok(i), true) => {
            muts.remove(i);
        }
        (Ok(i), false) => muts[i].qry_nuc = m.qry_nuc,
        (Err(_), true) => {}
        (Err(i), false) => muts.insert(i, NucSub { pos: m.pos, ref_nuc, qry_nuc: m.qry_nuc }),
    }
    Ok(())
}

fn apply_aa_mutation(
    muts: &mut Vec<AaState>,
    m: &virion_core::AaSub,
    peptide: Option<&[Aa]>,
    node: &str,
) -> Result<(), TreeError> {
    let found = muts.binary_search_by_key(&m.pos, |x| x.pos);
    let ref_aa = match peptide {
        Some(pep) => match usize::try_from(m.pos.0).ok().and_then(|p| pep.get(p)) {
            Some(&a) => a,
            None => {
                return Err(TreeError::MutationOutOfRange {
                    node: node.to_owned(),
                    cds: m.cds.clone(),
                    mutation: m.to_string(),
                    len: pep.len(),
                });
            }
        },
        // Without the peptide, the first mutation seen at a position starts from the reference.
        None => match found {
            Ok(i) => muts[i].ref_aa,
            Err(_) => m.ref_aa,
        },
    };
    let inherited = match found {
        Ok(i) => muts[i].qry_aa,
        Err(_) => ref_aa,
    };
    if m.ref_aa != inherited {
        return Err(TreeError::InconsistentAaMutation {
            node: node.to_owned(),
            cds: m.cds.clone(),
            mutation: format!("{}{}{}", m.ref_aa, m.pos, m.qry_aa),
            expected: inherited,
            found: m.ref_aa,
        });
    }
    match (found, m.qry_aa == ref_aa) {
        (Ok(i), true) => {
            muts.remove(i);
        }
        (Ok(i), false) => muts[i].qry_aa = m.qry_aa,
        (Err(_), true) => {}
        (Err(i), false) => muts.insert(i, AaState { pos: m.pos, ref_aa, qry_aa: m.qry_aa }),
    }
    Ok(())
}
