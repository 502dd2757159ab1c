//! A query's divergence: the nearest node's `div` plus the length of the query's own branch.
//!
//! The branch counts the query's private substitutions between A, C, G and T outside placement
//! masks; a branch with none of those but with other private substitutions (masked, or to or from
//! a gap or ambiguity code) gets a token 0.06. Trees whose largest `div` is at most 5 measure
//! divergence per site, so the branch is then divided by the reference length — Nextclade's guess,
//! borrowed from Auspice, since tree.json does not say.

use virion_core::NucSub;

use crate::tree::{RefTree, TreeNode};

/// What a tree's `div` values count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DivergenceUnits {
    /// Substitutions per site.
    PerSite,
    /// Substitutions across the whole genome.
    PerGenome,
}

/// Largest `div` at or below which a tree is taken to count per site.
const PER_SITE_MAX_DIVERGENCE: f64 = 5.0;

impl DivergenceUnits {
    pub(crate) fn guess(nodes: &[TreeNode]) -> Self {
        let max = nodes.iter().filter_map(|n| n.div).fold(0.0_f64, f64::max);
        if max <= PER_SITE_MAX_DIVERGENCE { DivergenceUnits::PerSite } else { DivergenceUnits::PerGenome }
    }
}

impl RefTree {
    /// What the tree's `div` values count, guessed from their largest value.
    pub fn divergence_units(&self) -> DivergenceUnits {
        self.divergence_units
    }

    /// Divergence of a query placed on `node` with `private_substitutions`.
    pub fn query_divergence(&self, node: usize, private_substitutions: &[NucSub], ref_len: usize) -> f64 {
        let masks = &self.placement_mask_ranges;
        let (mut counted, mut other) = (0usize, 0usize);
        for s in private_substitutions {
            if s.ref_nuc.is_acgt() && s.qry_nuc.is_acgt() && !masks.iter().any(|r| r.contains(s.pos)) {
                counted += 1;
            } else {
                other += 1;
            }
        }
        let mut branch = counted as f64;
        if counted == 0 && other > 0 {
            branch += 0.06;
        }
        if self.divergence_units() == DivergenceUnits::PerSite {
            branch /= ref_len as f64;
        }
        self.nodes[node].div.unwrap_or(0.0) + branch
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_tree;
    use virion_core::{Nuc, NucRefPos};

    #[test]
    fn branch_counts_acgt_substitutions_per_site() {
        let t = test_tree::tree();
        assert_eq!(t.divergence_units(), DivergenceUnits::PerSite);
        let s = |r, q| NucSub { pos: NucRefPos(3), ref_nuc: r, qry_nuc: q };
        // Reference length 10: two counted substitutions add 0.2; only a gap-born one adds 0.006.
        assert!((t.query_divergence(0, &[s(Nuc::A, Nuc::G), s(Nuc::C, Nuc::T)], 10) - 0.2).abs() < 1e-12);
        assert!((t.query_divergence(0, &[s(Nuc::Gap, Nuc::G)], 10) - 0.006).abs() < 1e-12);
        assert_eq!(t.query_divergence(0, &[], 10), 0.0);
    }
}
