//! Finding the reference-tree node nearest to a query, with Nextclade's distance.
//!
//! For a node with substitution set S (relative to the reference, deletions excluded) and a query
//! with substitutions Q (those inside placement masks dropped), Nextclade's distance is
//!
//! `|S| + |Q| - 2·(same letter at a shared position) - (different letters at a shared position)
//!  - (positions of S the query did not sequence)`
//!
//! where "not sequenced" means outside the alignment range, inside an `N` range, inside a deletion
//! of the query, or inside a placement mask (Nextclade 3.21 counts a node substitution the query
//! deleted as undetermined, like a missing one). Ambiguous letters of the query play no part. The nearest node has
//! the smallest distance; ties go to the larger placement prior, then to the earlier node in
//! depth-first pre-order.
//!
//! The distance is a sum over positions, so a child's distance is its parent's plus the change at
//! the few positions its branch touches: [`RefTree::find_nearest_node_with`] computes every node
//! that way in one pass over the arena. [`RefTree::find_nearest_node_brute_force`] evaluates the
//! formula from scratch per node and is the oracle the fast path is tested against.

use virion_core::{Nuc, NucDelRange, NucRange, NucRefPos, NucSub, SymbolRange};

use crate::tree::RefTree;

/// A query described by its differences from the reference, as the nucleotide analysis reports
/// them (nextclade.tsv columns `substitutions`, `deletions`, `missing`, `nonACGTNs`,
/// `alignmentStart`/`alignmentEnd`).
#[derive(Debug, Clone, Copy)]
pub struct QueryMuts<'a> {
    /// Nucleotide substitutions against the reference.
    pub substitutions: &'a [NucSub],
    /// Deleted reference ranges.
    pub deletions: &'a [NucDelRange],
    /// Runs of `N`.
    pub missing: &'a [NucRange],
    /// Runs of ambiguity codes other than `N`.
    pub non_acgtns: &'a [SymbolRange<Nuc>],
    /// The reference range the alignment covers (outside it the query is unsequenced).
    pub alignment_range: NucRange,
}

/// Where a query attaches to the tree.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placement {
    /// Index of the nearest node (pre-order, root = 0).
    pub node: usize,
    /// Nextclade's placement distance from the query to that node: the node's substitutions plus the
    /// query's (outside placement masks), less 2 per shared position with the same letter and 1 per
    /// shared position with different letters, less 1 per node substitution the query did not
    /// sequence (outside its alignment range, inside an `N` run, a deletion or a placement mask).
    pub distance: i64,
}

/// Buffers reused across queries so placement allocates nothing per node.
#[derive(Debug, Default, Clone)]
pub struct PlacementScratch {
    /// Query substitutions outside placement masks, sorted by position.
    subs: Vec<(NucRefPos, Nuc)>,
    /// Missing ranges, deletions and placement masks, sorted and merged.
    unsequenced: Vec<NucRange>,
    /// Distance of every node.
    distances: Vec<i64>,
    /// Per tree site (`Prepared::sites`): whether the query sequenced it ...
    site_sequenced: Vec<bool>,
    /// ... and the query's letter there, if it has a substitution.
    site_letter: Vec<Option<Nuc>>,
}

/// The query as placement sees it, built in the scratch buffers.
struct PreparedQuery<'s> {
    subs: &'s [(NucRefPos, Nuc)],
    unsequenced: &'s [NucRange],
    alignment_range: NucRange,
}

impl PreparedQuery<'_> {
    fn is_sequenced(&self, pos: NucRefPos) -> bool {
        if !self.alignment_range.contains(pos) {
            return false;
        }
        let i = self.unsequenced.partition_point(|r| r.end <= pos);
        !(i < self.unsequenced.len() && self.unsequenced[i].begin <= pos)
    }

    fn query_letter(&self, pos: NucRefPos) -> Option<Nuc> {
        self.subs.binary_search_by_key(&pos, |s| s.0).ok().map(|i| self.subs[i].1)
    }

    /// `contribution`'s two inputs at every site, in one merge of the sorted sites with the
    /// sorted substitutions and unsequenced ranges.
    fn fill_sites(&self, sites: &[NucRefPos], sequenced: &mut Vec<bool>, letter: &mut Vec<Option<Nuc>>) {
        sequenced.clear();
        letter.clear();
        let (mut s, mut u) = (0, 0);
        for &pos in sites {
            while s < self.subs.len() && self.subs[s].0 < pos {
                s += 1;
            }
            while u < self.unsequenced.len() && self.unsequenced[u].end <= pos {
                u += 1;
            }
            sequenced.push(
                self.alignment_range.contains(pos)
                    && !(u < self.unsequenced.len() && self.unsequenced[u].begin <= pos),
            );
            letter.push((s < self.subs.len() && self.subs[s].0 == pos).then(|| self.subs[s].1));
        }
    }

    /// What a node substitution `node_nuc` at `pos` adds to the distance.
    fn contribution(&self, pos: NucRefPos, node_nuc: Option<Nuc>) -> i64 {
        contribution(self.is_sequenced(pos), self.query_letter(pos), node_nuc)
    }
}

/// What a node substitution `node_nuc` adds to the distance where the query has `query`
/// (its substitution, if any) and did or did not sequence the site.
fn contribution(sequenced: bool, query: Option<Nuc>, node_nuc: Option<Nuc>) -> i64 {
    let Some(n) = node_nuc else { return 0 };
    let mut c = 1;
    if !sequenced {
        c -= 1;
    }
    match query {
        Some(q) if q == n => c -= 2,
        Some(_) => c -= 1,
        None => {}
    }
    c
}

fn in_any(ranges: &[NucRange], pos: NucRefPos) -> bool {
    ranges.iter().any(|r| r.contains(pos))
}

impl RefTree {
    /// Nearest node to the query; see [`Placement::distance`] for the distance.
    pub fn find_nearest_node(&self, query: &QueryMuts) -> Placement {
        self.find_nearest_node_with(query, &mut PlacementScratch::default())
    }

    /// [`RefTree::find_nearest_node`] with caller-owned buffers.
    pub fn find_nearest_node_with(&self, query: &QueryMuts, scratch: &mut PlacementScratch) -> Placement {
        let prepared = self.prepared();
        let masks = &self.placement_mask_ranges;

        scratch.subs.clear();
        scratch
            .subs
            .extend(query.substitutions.iter().filter(|s| !in_any(masks, s.pos)).map(|s| (s.pos, s.qry_nuc)));
        scratch.subs.sort_unstable_by_key(|s| s.0);

        scratch.unsequenced.clear();
        // A deleted site and an unsequenced one both leave the node's letter undetermined, and a
        // site that is both counts once: one merged list of ranges says exactly that.
        scratch.unsequenced.extend(
            query
                .missing
                .iter()
                .chain(masks)
                .copied()
                .chain(query.deletions.iter().map(|d| d.range))
                .filter(|r| !r.is_empty()),
        );
        scratch.unsequenced.sort_unstable_by_key(|r| r.begin);
        merge_sorted_ranges(&mut scratch.unsequenced);

        let q = PreparedQuery {
            subs: &scratch.subs,
            unsequenced: &scratch.unsequenced,
            alignment_range: query.alignment_range,
        };
        let total_query_subs = q.subs.len() as i64;

        q.fill_sites(&prepared.sites, &mut scratch.site_sequenced, &mut scratch.site_letter);
        let (site_sequenced, site_letter) = (&scratch.site_sequenced, &scratch.site_letter);
        let at_site = |site: u32, node_nuc| {
            contribution(site_sequenced[site as usize], site_letter[site as usize], node_nuc)
        };
        let dist = &mut scratch.distances;
        dist.clear();
        dist.resize(self.nodes.len(), 0);
        let mut best = Placement { node: 0, distance: i64::MAX };
        let mut best_prior = f64::NEG_INFINITY;
        for (i, node) in self.nodes.iter().enumerate() {
            let d = match node.parent {
                // The root's differences from the reference all count.
                None => {
                    total_query_subs
                        + prepared.nuc_muts[i]
                            .iter()
                            .filter(|m| !m.qry_nuc.is_gap())
                            .map(|m| q.contribution(m.pos, Some(m.qry_nuc)))
                            .sum::<i64>()
                }
                Some(p) => {
                    let deltas = &prepared.deltas[prepared.delta_bounds[i]..prepared.delta_bounds[i + 1]];
                    dist[p]
                        + deltas
                            .iter()
                            .map(|d| at_site(d.site, d.after) - at_site(d.site, d.before))
                            .sum::<i64>()
                }
            };
            dist[i] = d;
            if d < best.distance {
                best = Placement { node: i, distance: d };
                best_prior = prepared.prior_weights[i];
            } else if d == best.distance {
                let prior = prepared.prior_weights[i];
                if prior.total_cmp(&best_prior).is_gt() {
                    best = Placement { node: i, distance: d };
                    best_prior = prior;
                }
            }
        }
        if self.nodes.is_empty() {
            best.distance = 0;
        }
        best
    }

    /// Oracle for [`RefTree::find_nearest_node`]: Nextclade's formula evaluated from scratch for
    /// every node, then a stable sort by (distance, larger prior first).
    pub fn find_nearest_node_brute_force(&self, query: &QueryMuts) -> Placement {
        let masks = &self.placement_mask_ranges;
        let subs: Vec<&NucSub> = query.substitutions.iter().filter(|s| !in_any(masks, s.pos)).collect();
        let unsequenced: Vec<NucRange> = masks.iter().chain(query.missing).copied().collect();
        let deleted = |pos: NucRefPos| query.deletions.iter().any(|d| d.range.contains(pos));

        let mut scored: Vec<(usize, i64, f64)> = (0..self.nodes.len())
            .map(|i| {
                let node_subs: Vec<&NucSub> = self.node_nuc_substitutions(i).collect();
                let mut shared_differences = 0;
                let mut shared_sites = 0;
                for s in &subs {
                    if let Some(m) = node_subs.iter().find(|m| m.pos == s.pos) {
                        if m.qry_nuc == s.qry_nuc {
                            shared_differences += 1;
                        } else {
                            shared_sites += 1;
                        }
                    }
                }
                let undetermined = node_subs
                    .iter()
                    .filter(|m| {
                        !query.alignment_range.contains(m.pos)
                            || in_any(&unsequenced, m.pos)
                            || deleted(m.pos)
                    })
                    .count() as i64;
                let d = node_subs.len() as i64 + subs.len() as i64
                    - 2 * shared_differences
                    - shared_sites
                    - undetermined;
                (i, d, self.nodes[i].prior_weight())
            })
            .collect();
        scored.sort_by(|a, b| a.1.cmp(&b.1).then(b.2.total_cmp(&a.2)));
        scored
            .first()
            .map_or(Placement { node: 0, distance: 0 }, |&(node, distance, _)| Placement { node, distance })
    }
}

/// Merges overlapping or touching ranges of a list sorted by `begin`, in place.
fn merge_sorted_ranges(ranges: &mut Vec<NucRange>) {
    let mut w = 0;
    for r in 0..ranges.len() {
        let cur = ranges[r];
        if w > 0 && cur.begin <= ranges[w - 1].end {
            ranges[w - 1].end = ranges[w - 1].end.max(cur.end);
        } else {
            ranges[w] = cur;
            w += 1;
        }
    }
    ranges.truncate(w);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_tree;

    fn sub(pos: i64, r: Nuc, q: Nuc) -> NucSub {
        NucSub { pos: NucRefPos(pos), ref_nuc: r, qry_nuc: q }
    }

    fn place(t: &RefTree, subs: &[NucSub], missing: &[NucRange]) -> Placement {
        place_with_deletions(t, subs, missing, &[])
    }

    fn place_with_deletions(
        t: &RefTree,
        subs: &[NucSub],
        missing: &[NucRange],
        deletions: &[NucDelRange],
    ) -> Placement {
        let q = QueryMuts {
            substitutions: subs,
            deletions,
            missing,
            non_acgtns: &[],
            alignment_range: NucRange::new(NucRefPos(0), NucRefPos(10)),
        };
        let fast = t.find_nearest_node(&q);
        assert_eq!(fast, t.find_nearest_node_brute_force(&q));
        fast
    }

    #[test]
    fn picks_node_sharing_most_substitutions() {
        let t = test_tree::tree();
        // ruler 0123456789 ; query GTGTACGTAC = A1G C2T -> node a1 exactly (its deletion is ignored)
        let p = place(&t, &[sub(0, Nuc::A, Nuc::G), sub(1, Nuc::C, Nuc::T)], &[]);
        assert_eq!((t.node(p.node).name.as_str(), p.distance), ("a1", 0));
    }

    #[test]
    fn equal_distance_goes_to_larger_prior() {
        let t = test_tree::tree();
        // ruler 0123456789 ; query GCGTACNTAC = A1G with N at 6: a and b both at distance 0
        // (b's G7C is not sequenced); a has the larger prior (-1 > -5).
        let n6 = [NucRange::new(NucRefPos(6), NucRefPos(7))];
        let p = place(&t, &[sub(0, Nuc::A, Nuc::G)], &n6);
        assert_eq!((t.node(p.node).name.as_str(), p.distance), ("a", 0));
    }

    #[test]
    fn different_letter_at_shared_site_costs_one() {
        let t = test_tree::tree();
        // ruler 0123456789 ; query TCGTACGTAC = A1T: root at 1, a at 1 (shared site), tie ->
        // a (root has the default prior 1e-10)
        let p = place(&t, &[sub(0, Nuc::A, Nuc::T)], &[]);
        assert_eq!((t.node(p.node).name.as_str(), p.distance), ("a", 1));
    }

    #[test]
    fn node_substitution_the_query_deleted_is_undetermined() {
        let t = test_tree::tree();
        // ruler 0123456789 ; query -CGTACGTAC: position 1 deleted, no substitution. Nextclade
        // 3.21 counts a's A1G as undetermined (deletion_covering_node_mutations_reduces_distance),
        // so a ties with the root at 0 and wins on its larger prior.
        let del0 = [NucDelRange { range: NucRange::new(NucRefPos(0), NucRefPos(1)) }];
        let p = place_with_deletions(&t, &[], &[], &del0);
        assert_eq!((t.node(p.node).name.as_str(), p.distance), ("a", 0));
        // Without the deletion the query is the reference itself.
        let p = place(&t, &[], &[]);
        assert_eq!((t.node(p.node).name.as_str(), p.distance), ("root", 0));
    }
}
