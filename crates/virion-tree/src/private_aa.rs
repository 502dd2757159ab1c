//! Private amino-acid mutations of one CDS: the peptide-level sister of
//! [`crate::private_nuc`], with the same cases. Differences from the nucleotide version, as in
//! Nextclade: "sequenced" means outside the query's `X` ranges and unsequenced codon ranges (no
//! alignment range, no ambiguity codes), and a node deletion the query lacks *is* reported, as a
//! reversion `-`→reference letter.

use virion_core::{Aa, AaPos, AaRange, AaSub};

use crate::labels::AaMutLabels;
use crate::tree::RefTree;

/// A query's amino-acid changes in one CDS.
#[derive(Debug, Clone, Copy)]
pub struct QueryAaMuts<'a> {
    /// The CDS name.
    pub cds: &'a str,
    /// Substitutions of this CDS (others are ignored).
    pub substitutions: &'a [AaSub],
    /// Deletions of this CDS (`qry_aa` = `-`; others are ignored).
    pub deletions: &'a [AaSub],
    /// Runs of `X` in the query peptide.
    pub unknown: &'a [AaRange],
    /// Codons the query does not cover.
    pub unsequenced: &'a [AaRange],
}

/// The `privateAaMutations[cds]` of a Nextclade result.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PrivateAaMutations {
    /// Substitutions the query has but the nearest node does not, reversions included.
    pub private_substitutions: Vec<AaSub>,
    /// Private deletions (`qry_aa` = `-`, `ref_aa` the node's letter).
    pub private_deletions: Vec<AaSub>,
    /// Private deletions merged into runs of adjacent codons.
    pub private_deletion_ranges: Vec<AaRange>,
    /// The subset of `private_substitutions` that go back to the reference letter.
    pub reversion_substitutions: Vec<AaSub>,
    /// Non-reversion substitutions whose genotype the dataset labels (`aaMutLabelMap`), with
    /// the labels.
    #[serde(serialize_with = "labeled_as_objects")]
    pub labeled_substitutions: Vec<(AaSub, Vec<String>)>,
    /// Non-reversion substitutions without a label.
    pub unlabeled_substitutions: Vec<AaSub>,
}

impl PrivateAaMutations {
    /// Number of private substitutions.
    pub fn total_private_substitutions(&self) -> usize {
        self.private_substitutions.len()
    }
    /// Number of private deletions (codons).
    pub fn total_private_deletions(&self) -> usize {
        self.private_deletions.len()
    }
    /// Number of reversions.
    pub fn total_reversion_substitutions(&self) -> usize {
        self.reversion_substitutions.len()
    }
    /// Number of labeled substitutions.
    pub fn total_labeled_substitutions(&self) -> usize {
        self.labeled_substitutions.len()
    }
    /// Number of unlabeled substitutions.
    pub fn total_unlabeled_substitutions(&self) -> usize {
        self.unlabeled_substitutions.len()
    }
}

fn in_any(ranges: &[AaRange], pos: AaPos) -> bool {
    ranges.iter().any(|r| r.contains(pos))
}

impl RefTree {
    /// Private amino-acid mutations of `query` in one CDS relative to `node`. A CDS the prepared
    /// tree does not know yields nothing (Nextclade skips it too).
    pub fn find_private_aa_mutations(
        &self,
        node: usize,
        query: &QueryAaMuts,
        labels: &AaMutLabels,
    ) -> PrivateAaMutations {
        let cds = query.cds;
        if !self.cds_names().iter().any(|c| c == cds) {
            return PrivateAaMutations::default();
        }
        let node_muts = self.node_aa_mutations(node, cds);
        let node_letter =
            |pos: AaPos| node_muts.binary_search_by_key(&pos, |m| m.pos).ok().map(|i| node_muts[i].qry_aa);
        let mk = |pos, ref_aa, qry_aa| AaSub { cds: cds.to_owned(), pos, ref_aa, qry_aa };

        let mut touched: Vec<AaPos> = Vec::new();
        let mut non_reversion = Vec::new();
        for s in query.substitutions.iter().filter(|s| s.cds == cds) {
            touched.push(s.pos);
            if s.qry_aa.is_unknown() {
                continue;
            }
            match node_letter(s.pos) {
                None => non_reversion.push(mk(s.pos, s.ref_aa, s.qry_aa)),
                Some(n) if n != s.qry_aa => non_reversion.push(mk(s.pos, n, s.qry_aa)),
                Some(_) => {}
            }
        }
        non_reversion.sort();
        non_reversion.dedup();

        let mut private_deletions = Vec::new();
        for d in query.deletions.iter().filter(|d| d.cds == cds) {
            touched.push(d.pos);
            match node_letter(d.pos) {
                None => private_deletions.push(mk(d.pos, d.ref_aa, Aa::Gap)),
                Some(n) if !n.is_gap() => private_deletions.push(mk(d.pos, n, Aa::Gap)),
                Some(_) => {}
            }
        }
        private_deletions.sort();
        private_deletions.dedup();
        touched.sort_unstable();

        let mut reversions = Vec::new();
        for m in node_muts {
            let sequenced = !in_any(query.unknown, m.pos) && !in_any(query.unsequenced, m.pos);
            let reverted_to = m.ref_aa;
            if sequenced
                && touched.binary_search(&m.pos).is_err()
                && m.qry_aa != reverted_to
                && !reverted_to.is_unknown()
            {
                reversions.push(mk(m.pos, m.qry_aa, reverted_to));
            }
        }

        let mut private_substitutions = reversions.clone();
        private_substitutions.extend(non_reversion.iter().cloned());
        let mut labeled: Vec<(AaSub, Vec<String>)> = Vec::new();
        let mut unlabeled: Vec<AaSub> = Vec::new();
        for sub in non_reversion {
            match labels.get(&sub) {
                Some(l) => labeled.push((sub, l.to_vec())),
                None => unlabeled.push(sub),
            }
        }
        labeled.sort();
        private_substitutions.sort();
        private_substitutions.dedup();

        let mut private_deletion_ranges: Vec<AaRange> = Vec::new();
        for d in &private_deletions {
            match private_deletion_ranges.last_mut() {
                Some(r) if r.end == d.pos => r.end = d.pos + 1,
                _ => private_deletion_ranges.push(AaRange::new(d.pos, d.pos + 1)),
            }
        }

        PrivateAaMutations {
            private_substitutions,
            private_deletions,
            private_deletion_ranges,
            reversion_substitutions: reversions,
            labeled_substitutions: labeled,
            unlabeled_substitutions: unlabeled,
        }
    }
}
fn labeled_as_objects<S: serde::Serializer>(v: &[(AaSub, Vec<String>)], s: S) -> Result<S::Ok, S::Error> {
    #[derive(serde::Serialize)]
    struct Labeled<'a> {
        substitution: &'a AaSub,
        labels: &'a [String],
    }
    s.collect_seq(v.iter().map(|(substitution, labels)| Labeled { substitution, labels }))
}
