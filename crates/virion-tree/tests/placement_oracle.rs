//! The incremental placement walk must pick the same node, at the same distance, as the
//! brute-force oracle, for queries made by perturbing real tree nodes' mutation sets.

use std::sync::OnceLock;

use proptest::prelude::*;
use virion_core::{Nuc, NucRange, NucRefPos, NucSub};
use virion_testdata::{read_reference, shared_data};
use virion_tree::{PlacementScratch, QueryMuts, RefTree};

/// (tree, reference) of a dataset, loaded once.
fn load(dataset: &str) -> Option<(RefTree, Vec<Nuc>)> {
    let ds = shared_data()?.join("nextclade").join(dataset);
    let mut tree = RefTree::from_json_str(&std::fs::read_to_string(ds.join("tree.json")).unwrap()).unwrap();
    let ref_seq = read_reference(&ds.join("reference.fasta"));
    tree.prepare(&ref_seq, None).unwrap();
    Some((tree, ref_seq))
}

fn sars() -> &'static Option<(RefTree, Vec<Nuc>)> {
    static T: OnceLock<Option<(RefTree, Vec<Nuc>)>> = OnceLock::new();
    T.get_or_init(|| load("sars-cov-2"))
}

fn mpox() -> &'static Option<(RefTree, Vec<Nuc>)> {
    static T: OnceLock<Option<(RefTree, Vec<Nuc>)>> = OnceLock::new();
    T.get_or_init(|| load("mpox-clade-iib"))
}

#[derive(Debug, Clone)]
struct Perturbation {
    node_pick: usize,
    keep_mask: Vec<bool>,
    extra: Vec<(usize, u8)>,
    missing: Vec<(usize, usize)>,
    aln: (usize, usize),
}

fn perturbation() -> impl Strategy<Value = Perturbation> {
    (
        any::<usize>(),
        proptest::collection::vec(prop::bool::weighted(0.85), 0..200),
        proptest::collection::vec((any::<usize>(), 0u8..5), 0..15),
        proptest::collection::vec((any::<usize>(), 1usize..3000), 0..6),
        (0usize..500, 0usize..500),
    )
        .prop_map(|(node_pick, keep_mask, extra, missing, aln)| Perturbation {
            node_pick,
            keep_mask,
            extra,
            missing,
            aln,
        })
}

/// Builds a query from a node's substitutions: some dropped, some added (letters may repeat the
/// node's, differ from it, or be `N`), a few `N` ranges and a clipped alignment range.
fn build_query(tree: &RefTree, ref_seq: &[Nuc], p: &Perturbation) -> (Vec<NucSub>, Vec<NucRange>, NucRange) {
    let len = ref_seq.len();
    let node = p.node_pick % tree.len();
    let mut subs: Vec<NucSub> = tree
        .node_nuc_substitutions(node)
        .zip(p.keep_mask.iter().chain(std::iter::repeat(&true)))
        .filter(|(_, keep)| **keep)
        .map(|(s, _)| *s)
        .collect();
    for &(pos, l) in &p.extra {
        let pos = NucRefPos((pos % len) as i64);
        let qry = [Nuc::A, Nuc::C, Nuc::G, Nuc::T, Nuc::N][l as usize];
        let ref_nuc = ref_seq[pos.as_usize()];
        if qry != ref_nuc && !subs.iter().any(|s| s.pos == pos) {
            subs.push(NucSub { pos, ref_nuc, qry_nuc: qry });
        }
    }
    subs.sort();
    let missing: Vec<NucRange> = p
        .missing
        .iter()
        .map(|&(b, l)| {
            let b = b % len;
            NucRange::new(NucRefPos(b as i64), NucRefPos((b + l).min(len) as i64))
        })
        .collect();
    // Substitutions inside N runs cannot exist in a real query.
    subs.retain(|s| !missing.iter().any(|m| m.contains(s.pos)));
    let aln = NucRange::new(NucRefPos(p.aln.0 as i64), NucRefPos((len - p.aln.1) as i64));
    (subs, missing, aln)
}

fn check(data: &Option<(RefTree, Vec<Nuc>)>, p: &Perturbation) -> Result<(), TestCaseError> {
    let Some((tree, ref_seq)) = data else { return Ok(()) };
    let (subs, missing, aln) = build_query(tree, ref_seq, p);
    let q = QueryMuts {
        substitutions: &subs,
        deletions: &[],
        missing: &missing,
        non_acgtns: &[],
        alignment_range: aln,
    };
    let mut scratch = PlacementScratch::default();
    prop_assert_eq!(tree.find_nearest_node_with(&q, &mut scratch), tree.find_nearest_node_brute_force(&q));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn incremental_matches_oracle_on_sars_cov_2(p in perturbation()) {
        check(sars(), &p)?;
    }

    #[test]
    fn incremental_matches_oracle_on_mpox_with_masks(p in perturbation()) {
        check(mpox(), &p)?;
    }
}

/// An unperturbed node's own mutation set places the query at distance 0.
#[test]
fn every_sampled_node_places_onto_an_identical_node() {
    let Some((tree, ref_seq)) = sars() else { return };
    let mut scratch = PlacementScratch::default();
    for node in (0..tree.len()).step_by(97) {
        let subs: Vec<NucSub> = tree.node_nuc_substitutions(node).copied().collect();
        let q = QueryMuts {
            substitutions: &subs,
            deletions: &[],
            missing: &[],
            non_acgtns: &[],
            alignment_range: NucRange::new(NucRefPos(0), NucRefPos(ref_seq.len() as i64)),
        };
        let fast = tree.find_nearest_node_with(&q, &mut scratch);
        assert_eq!(fast.distance, 0, "node {}", tree.node(node).name);
        assert_eq!(fast, tree.find_nearest_node_brute_force(&q));
    }
}

/// Prints parse/prepare and per-query placement times (fast walk vs oracle).
#[test]
fn timing_report() {
    let Some(data) = shared_data() else { return };
    let json = std::fs::read_to_string(data.join("nextclade/sars-cov-2/tree.json")).unwrap();
    let t0 = std::time::Instant::now();
    let mut tree = RefTree::from_json_str(&json).unwrap();
    let t_parse = t0.elapsed();
    let Some((_, ref_seq)) = sars() else { return };
    let t1 = std::time::Instant::now();
    tree.prepare(ref_seq, None).unwrap();
    let t_prep = t1.elapsed();

    let queries: Vec<Vec<NucSub>> =
        (0..tree.len()).step_by(25).map(|n| tree.node_nuc_substitutions(n).copied().collect()).collect();
    let aln = NucRange::new(NucRefPos(0), NucRefPos(ref_seq.len() as i64));
    fn q(s: &[NucSub], aln: NucRange) -> QueryMuts<'_> {
        QueryMuts { substitutions: s, deletions: &[], missing: &[], non_acgtns: &[], alignment_range: aln }
    }
    let mut scratch = PlacementScratch::default();
    let t2 = std::time::Instant::now();
    for s in &queries {
        std::hint::black_box(tree.find_nearest_node_with(&q(s, aln), &mut scratch));
    }
    let fast = t2.elapsed() / queries.len() as u32;
    let t3 = std::time::Instant::now();
    for s in queries.iter().take(10) {
        std::hint::black_box(tree.find_nearest_node_brute_force(&q(s, aln)));
    }
    let slow = t3.elapsed() / 10;
    println!(
        "sars-cov-2 tree ({} nodes): parse {t_parse:?}, prepare {t_prep:?}; placement per query: \
         incremental {fast:?}, brute force {slow:?}",
        tree.len()
    );
}
