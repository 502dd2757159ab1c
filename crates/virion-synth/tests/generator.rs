//! The generator against the shared SARS-CoV-2 dataset: determinism, shapes, and the model's
//! promises (lineage mutations present, D614G in S, dropout share, country skew).

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::Instant;

use virion_analyze::Dataset;
use virion_synth::{Generator, SynthGenome, silo_ndjson_line};

/// The dataset, loaded once for all tests of this file; `None` when the shared data is absent.
fn dataset() -> Option<&'static Dataset> {
    static DATASET: OnceLock<Option<Dataset>> = OnceLock::new();
    DATASET
        .get_or_init(|| {
            let dir = virion_testdata::shared_data()?.join("nextclade/sars-cov-2");
            Some(Dataset::load(&dir).expect("sars-cov-2 dataset loads"))
        })
        .as_ref()
}

fn draw(ds: &Dataset, seed: u64, n: usize) -> Vec<SynthGenome> {
    let mut g = Generator::new(ds, seed).expect("dataset has a tree");
    (0..n).map(|_| g.next_genome()).collect()
}

/// S:D614G is 0-based codon 613.
const S_614: usize = 613;

#[test]
fn same_seed_same_genomes_other_seed_others() {
    let Some(ds) = dataset() else { return };
    assert_eq!(draw(ds, 42, 50), draw(ds, 42, 50));
    assert_ne!(draw(ds, 42, 50), draw(ds, 43, 50));
}

#[test]
fn genomes_and_peptides_have_reference_lengths() {
    let Some(ds) = dataset() else { return };
    for g in draw(ds, 1, 200) {
        assert_eq!(g.genome.len(), ds.data.reference.len(), "{}", g.accession);
        assert!(g.genome.iter().all(|b| b"ACGTN-".contains(b)), "{}", g.accession);
        assert_eq!(g.peptides.len(), ds.ref_translation.cdses.len());
        for ((name, pep), cds) in g.peptides.iter().zip(&ds.ref_translation.cdses) {
            assert_eq!(name, &cds.layout.name);
            assert_eq!(pep.len(), cds.peptide.len(), "{} {name}", g.accession);
        }
    }
}

#[test]
fn accessions_count_up_and_partial_dates_have_no_date() {
    let Some(ds) = dataset() else { return };
    let genomes = draw(ds, 2, 2000);
    assert_eq!(genomes[0].accession, "SYN0000001");
    assert_eq!(genomes[1999].accession, "SYN0002000");
    let partial = genomes.iter().filter(|g| g.date.is_none()).count();
    assert!((20..=200).contains(&partial), "{partial} partial dates of 2000");
    for g in &genomes {
        match g.date {
            Some(d) => assert_eq!(g.date_text, d.format("%Y-%m-%d").to_string()),
            None => assert!(matches!(g.date_text.len(), 4 | 7), "{}", g.date_text),
        }
    }
}

/// Longest run of `N` in a genome.
fn longest_n_run(genome: &[u8]) -> usize {
    genome.split(|&b| b != b'N').map(<[u8]>::len).max().unwrap_or(0)
}

#[test]
fn dropouts_affect_a_few_percent_of_genomes() {
    let Some(ds) = dataset() else { return };
    let genomes = draw(ds, 3, 3000);
    // Ragged ends are at most 120 bases, so a run of 200 or more is a dropout.
    let with_dropout = genomes.iter().filter(|g| longest_n_run(&g.genome) >= 200).count();
    let share = with_dropout as f64 / genomes.len() as f64;
    assert!((0.01..=0.10).contains(&share), "dropout share {share}");
    let ragged = genomes.iter().filter(|g| g.genome[0] == b'N' && g.genome.last() == Some(&b'N')).count();
    assert!(ragged > genomes.len() * 9 / 10, "most genomes start and end unsequenced: {ragged}");
}

#[test]
fn every_genome_carries_its_nodes_mutations() {
    let Some(ds) = dataset() else { return };
    let tree = ds.tree.as_ref().expect("tree");
    let mut generator = Generator::new(ds, 4).expect("generator");
    // The deepest node (most mutations) plus a spread of others.
    let deepest = (0..tree.len()).max_by_key(|&n| tree.node_nuc_mutations(n).len()).expect("nodes");
    let mut checked_mutations = 0;
    for node in std::iter::once(deepest).chain((0..tree.len()).step_by(97)) {
        for _ in 0..5 {
            let g = generator.next_genome_at(node);
            for m in tree.node_nuc_mutations(node) {
                let got = g.genome[m.pos.as_usize()];
                assert!(
                    got == m.qry_nuc.to_byte() || got == b'N',
                    "{} node {node}: {m} but {}",
                    g.accession,
                    got as char
                );
                checked_mutations += 1;
            }
            let want = tree.node(node).attrs.get("Nextclade_pango").map(String::as_str);
            assert_eq!(g.lineage.as_deref(), want.or(tree.node(node).clade()));
            assert_eq!(g.clade.as_deref(), tree.node(node).clade());
        }
    }
    assert!(checked_mutations > 1000, "only {checked_mutations} mutations checked");
}

#[test]
fn spike_carries_d614g_below_that_mutation_only() {
    let Some(ds) = dataset() else { return };
    let tree = ds.tree.as_ref().expect("tree");
    let has_g614 = |n: usize| {
        tree.node_aa_mutations(n, "S").iter().any(|s| s.pos.as_usize() == S_614 && s.qry_aa.to_byte() == b'G')
    };
    let below: Vec<usize> = (0..tree.len()).filter(|&n| has_g614(n)).collect();
    assert!(below.len() > tree.len() / 2, "most of the tree descends from D614G");
    let mut generator = Generator::new(ds, 5).expect("generator");
    let mut seen_g = 0;
    for &node in below.iter().step_by(50) {
        let g = generator.next_genome_at(node);
        let aa = spike(&g)[S_614];
        assert!(aa == b'G' || aa == b'X', "{} from node {node}: S:614 {}", g.accession, aa as char);
        seen_g += usize::from(aa == b'G');
    }
    assert!(seen_g * 10 > below.len() / 50 * 9, "G at S:614 is masked only by rare dropouts");
    let root = generator.next_genome_at(0);
    assert!(matches!(spike(&root)[S_614], b'D' | b'X'), "the root keeps D614");
}

fn spike(g: &SynthGenome) -> &[u8] {
    &g.peptides.iter().find(|(name, _)| name == "S").expect("S peptide").1
}

#[test]
fn a_few_countries_and_lineages_dominate() {
    let Some(ds) = dataset() else { return };
    let genomes = draw(ds, 6, 3000);
    let mut countries: HashMap<&str, usize> = HashMap::new();
    for g in &genomes {
        *countries.entry(g.country.as_str()).or_default() += 1;
    }
    let mut counts: Vec<usize> = countries.values().copied().collect();
    counts.sort_unstable();
    let median = counts[counts.len() / 2];
    assert!(counts.len() >= 25, "{} countries", counts.len());
    assert!(counts[counts.len() - 1] > 3 * median, "top {} vs median {median}", counts[counts.len() - 1]);
    let mut lineages: HashMap<Option<&str>, usize> = HashMap::new();
    for g in &genomes {
        *lineages.entry(g.lineage.as_deref()).or_default() += 1;
    }
    let top = lineages.values().max().copied().unwrap_or(0);
    assert!(top > genomes.len() / 20, "the top lineage has {top} of {}", genomes.len());
}

#[test]
fn silo_line_is_json_with_the_input_layout() {
    let Some(ds) = dataset() else { return };
    for g in draw(ds, 7, 100) {
        let line = silo_ndjson_line(&g);
        assert!(!line.contains('\n'));
        let v: serde_json::Value = serde_json::from_str(&line).expect("valid JSON");
        assert_eq!(v["accession"], g.accession.as_str());
        assert_eq!(v["country"], g.country.as_str());
        match g.date {
            Some(d) => assert_eq!(v["date"], d.format("%Y-%m-%d").to_string().as_str()),
            None => assert!(v["date"].is_null()),
        }
        assert_eq!(v["pangoLineage"].as_str(), g.lineage.as_deref());
        assert_eq!(v["main"]["sequence"].as_str().map(str::len), Some(g.genome.len()));
        assert_eq!(v["main"]["insertions"], serde_json::json!([]));
        for (name, pep) in &g.peptides {
            assert_eq!(v[name]["sequence"].as_str().map(str::as_bytes), Some(pep.as_slice()), "{name}");
            assert_eq!(v[name]["insertions"], serde_json::json!([]));
        }
        let keys = v.as_object().expect("object").len();
        assert_eq!(keys, 5 + g.peptides.len());
    }
}

#[test]
fn reports_generation_speed() {
    let Some(ds) = dataset() else { return };
    let mut generator = Generator::new(ds, 8).expect("generator");
    let n = 2000;
    let start = Instant::now();
    let bytes: usize = (0..n).map(|_| silo_ndjson_line(&generator.next_genome()).len()).sum();
    let secs = start.elapsed().as_secs_f64();
    eprintln!(
        "generated {n} genomes + SILO lines in {secs:.2} s: {:.0} genomes/s, {} bytes",
        n as f64 / secs,
        bytes
    );
    assert!(bytes > n * ds.data.reference.len());
}
