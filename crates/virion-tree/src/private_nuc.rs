//! Private nucleotide mutations: what separates a query from the node it was placed on.
//!
//! With the node's and the query's differences from the reference:
//!
//! | case | query            | node            | private mutation        |
//! |------|------------------|-----------------|-------------------------|
//! | 1    | X at p           | X at p          | none                    |
//! | 2    | X at p           | Y at p          | Y→X                     |
//! | 3    | X at p           | reference at p  | ref→X                   |
//! | 4    | reference at p   | Y at p          | Y→ref (a reversion)     |
//! | 5, 6 | `N` at p         | anything        | none                    |
//!
//! Deletions follow the same cases with `-` as the letter. A reversion is only claimed where the
//! query was sequenced (inside the alignment, not `N`, not an ambiguity code); a node deletion the
//! query lacks ("undeletion") is not reported. Placement masks do not apply here.

use virion_core::{Nuc, NucDelRange, NucRange, NucRefPos, NucSub};

use crate::labels::NucMutLabels;
use crate::placement::QueryMuts;
use crate::tree::RefTree;

/// The `privateNucMutations` of a Nextclade result; serialised in Nextclade's NDJSON shape
/// (deletions as `{pos, refNuc}`, the totals after the lists).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrivateNucMutations {
    /// Reversions and non-reversion substitutions, sorted.
    pub private_substitutions: Vec<NucSub>,
    /// Private deletions, one per position (`qry_nuc` is `-`, `ref_nuc` the node's letter).
    pub private_deletions: Vec<NucSub>,
    /// Private deletions merged into runs of adjacent positions.
    pub private_deletion_ranges: Vec<NucDelRange>,
    /// The subset of `private_substitutions` that go back to the reference letter.
    pub reversion_substitutions: Vec<NucSub>,
    /// Non-reversion substitutions whose genotype carries labels, with those labels.
    pub labeled_substitutions: Vec<(NucSub, Vec<String>)>,
    /// Non-reversion substitutions without labels.
    pub unlabeled_substitutions: Vec<NucSub>,
}

impl PrivateNucMutations {
    /// Number of private substitutions, reversions included.
    pub fn total_private_substitutions(&self) -> usize {
        self.private_substitutions.len()
    }
    /// Number of privately deleted positions.
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

fn in_sorted_ranges(ranges: &[NucRange], pos: NucRefPos) -> bool {
    let i = ranges.partition_point(|r| r.end <= pos);
    i < ranges.len() && ranges[i].begin <= pos
}

impl RefTree {
    /// Private nucleotide mutations of `query` relative to `node`. `ref_seq` supplies the
    /// reference letter of newly deleted positions.
    pub fn find_private_nuc_mutations(
        &self,
        node: usize,
        query: &QueryMuts,
        ref_seq: &[Nuc],
        labels: &NucMutLabels,
    ) -> PrivateNucMutations {
        let node_muts = &self.prepared().nuc_muts[node];
        let node_letter = |pos: NucRefPos| {
            node_muts.binary_search_by_key(&pos, |m| m.pos).ok().map(|i| node_muts[i].qry_nuc)
        };

        // Positions the query changes (substitution of any letter, or deletion) are never
        // reversions.
        let mut touched: Vec<NucRange> =
            Vec::with_capacity(query.substitutions.len() + query.deletions.len());

        let mut non_reversion = Vec::new();
        for s in query.substitutions {
            touched.push(NucRange::new(s.pos, s.pos + 1));
            if s.qry_nuc.is_unknown() {
                continue;
            }
            match node_letter(s.pos) {
                None => non_reversion.push(*s),
                Some(n) if n != s.qry_nuc => {
                    non_reversion.push(NucSub { pos: s.pos, ref_nuc: n, qry_nuc: s.qry_nuc })
                }
                Some(_) => {}
            }
        }
        non_reversion.sort();
        non_reversion.dedup();

        let mut private_deletions = Vec::new();
        for del in query.deletions {
            touched.push(del.range);
            for p in del.range.begin.0..del.range.end.0 {
                let pos = NucRefPos(p);
                let from = match node_letter(pos) {
                    None => ref_seq.get(pos.as_usize()).copied().unwrap_or(Nuc::N),
                    Some(n) if !n.is_gap() => n,
                    Some(_) => continue,
                };
                private_deletions.push(NucSub { pos, ref_nuc: from, qry_nuc: Nuc::Gap });
            }
        }
        private_deletions.sort();
        private_deletions.dedup();

        touched.sort_unstable_by_key(|r| r.begin);
        let mut missing: Vec<NucRange> = query.missing.to_vec();
        missing.sort_unstable_by_key(|r| r.begin);
        let mut ambiguous: Vec<NucRange> =
            query.non_acgtns.iter().filter(|r| !r.symbol.is_gap()).map(|r| r.range).collect();
        ambiguous.sort_unstable_by_key(|r| r.begin);
        let overlaps = |ranges: &[NucRange], pos| {
            // Touched ranges may overlap each other, so scan back over candidates.
            ranges[..ranges.partition_point(|r| r.begin <= pos)]
                .iter()
                .rev()
                .any(|r: &NucRange| r.contains(pos))
        };

        let mut reversions = Vec::new();
        for m in node_muts {
            let sequenced = query.alignment_range.contains(m.pos) && !in_sorted_ranges(&missing, m.pos);
            if sequenced
                && !overlaps(&ambiguous, m.pos)
                && !overlaps(&touched, m.pos)
                // A node deletion absent from the query is an undeletion, not reported.
                && !m.qry_nuc.is_gap()
            {
                reversions.push(NucSub { pos: m.pos, ref_nuc: m.qry_nuc, qry_nuc: m.ref_nuc });
            }
        }

        let mut labeled_substitutions = Vec::new();
        let mut unlabeled_substitutions = Vec::new();
        for s in &non_reversion {
            match labels.get(s) {
                Some(l) => labeled_substitutions.push((*s, l.to_vec())),
                None => unlabeled_substitutions.push(*s),
            }
        }
        labeled_substitutions.sort();

        let mut private_substitutions = reversions.clone();
        private_substitutions.extend_from_slice(&non_reversion);
        private_substitutions.sort();
        private_substitutions.dedup();

        let private_deletion_ranges = group_adjacent(&private_deletions);
        PrivateNucMutations {
            private_substitutions,
            private_deletions,
            private_deletion_ranges,
            reversion_substitutions: reversions,
            labeled_substitutions,
            unlabeled_substitutions,
        }
    }
}

/// Consecutive deleted positions as ranges.
fn group_adjacent(dels: &[NucSub]) -> Vec<NucDelRange> {
    let mut out: Vec<NucDelRange> = Vec::new();
    for d in dels {
        match out.last_mut() {
            Some(last) if last.range.end == d.pos => last.range.end = d.pos + 1,
            Some(last) if last.range.end > d.pos => {}
            _ => out.push(NucDelRange { range: NucRange::new(d.pos, d.pos + 1) }),
        }
    }
    out
}

/// `{"substitution": …, "labels": […]}` objects, as Nextclade's JSON writes them.
impl serde::Serialize for PrivateNucMutations {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        #[derive(serde::Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Deletion {
            pos: virion_core::NucRefPos,
            ref_nuc: virion_core::Nuc,
        }
        #[derive(serde::Serialize)]
        struct Labeled<'a> {
            substitution: &'a NucSub,
            labels: &'a [String],
        }
        let mut st = s.serialize_struct("PrivateNucMutations", 11)?;
        st.serialize_field("privateSubstitutions", &self.private_substitutions)?;
        let deletions: Vec<Deletion> =
            self.private_deletions.iter().map(|d| Deletion { pos: d.pos, ref_nuc: d.ref_nuc }).collect();
        st.serialize_field("privateDeletions", &deletions)?;
        st.serialize_field("privateDeletionRanges", &self.private_deletion_ranges)?;
        st.serialize_field("reversionSubstitutions", &self.reversion_substitutions)?;
        let labeled: Vec<Labeled> = self
            .labeled_substitutions
            .iter()
            .map(|(substitution, labels)| Labeled { substitution, labels })
            .collect();
        st.serialize_field("labeledSubstitutions", &labeled)?;
        st.serialize_field("unlabeledSubstitutions", &self.unlabeled_substitutions)?;
        st.serialize_field("totalPrivateSubstitutions", &self.total_private_substitutions())?;
        st.serialize_field("totalPrivateDeletions", &self.total_private_deletions())?;
        st.serialize_field("totalReversionSubstitutions", &self.total_reversion_substitutions())?;
        st.serialize_field("totalLabeledSubstitutions", &self.total_labeled_substitutions())?;
        st.serialize_field("totalUnlabeledSubstitutions", &self.total_unlabeled_substitutions())?;
        st.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_tree;

    #[test]
    fn substitutions_deletions_and_reversions() {
        let t = test_tree::tree();
        let ref_seq = test_tree::reference();
        let a1 = t.nodes().iter().position(|n| n.name == "a1").unwrap();
        // ruler     0123456789
        // reference ACGTACGTAC
        // node a1   GTG-ACGTAC
        // query     GCGTA-GTAT  (C2 back to ref: reversion T2C; T4 present: undeletion, unreported;
        //                        deletion at 5; C10T new)
        let subs = [
            NucSub { pos: NucRefPos(0), ref_nuc: Nuc::A, qry_nuc: Nuc::G },
            NucSub { pos: NucRefPos(9), ref_nuc: Nuc::C, qry_nuc: Nuc::T },
        ];
        let dels = [NucDelRange { range: NucRange::new(NucRefPos(5), NucRefPos(6)) }];
        let q = QueryMuts {
            substitutions: &subs,
            deletions: &dels,
            missing: &[],
            non_acgtns: &[],
            alignment_range: NucRange::new(NucRefPos(0), NucRefPos(10)),
        };
        let labels = NucMutLabels::from_entries([("10T", vec!["X".to_owned()])]).unwrap();
        let p = t.find_private_nuc_mutations(a1, &q, &ref_seq, &labels);
        let s = |v: &[NucSub]| v.iter().map(ToString::to_string).collect::<Vec<_>>();
        assert_eq!(s(&p.reversion_substitutions), ["T2C"]);
        assert_eq!(s(&p.private_substitutions), ["T2C", "C10T"]);
        assert_eq!(s(&p.private_deletions), ["C6-"]);
        assert_eq!(p.private_deletion_ranges[0].to_string(), "6");
        assert_eq!(p.labeled_substitutions, vec![(subs[1], vec!["X".to_owned()])]);
        assert!(p.unlabeled_substitutions.is_empty());

        // With position 2 unknown (N) the reversion cannot be claimed.
        let n = [NucRange::new(NucRefPos(1), NucRefPos(2))];
        let p = t.find_private_nuc_mutations(a1, &QueryMuts { missing: &n, ..q }, &ref_seq, &labels);
        assert!(p.reversion_substitutions.is_empty());
    }
}
