//! Bad input never panics and always yields a per-sequence result naming what went wrong.
//!
//! Uses a small synthetic dataset written to a temporary directory, so it runs on a fresh clone
//! without ../shared.

use proptest::prelude::*;
use rand::{Rng, SeedableRng, rngs::StdRng};
use virion_analyze::{AnalyzeError, Dataset, analyze};

/// A 3 kb random reference with two genes, no tree.
fn synthetic_dataset() -> (tempfile::TempDir, Dataset, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = StdRng::seed_from_u64(7);
    let reference: Vec<u8> = (0..3000).map(|_| b"ACGT"[rng.random_range(0..4)]).collect();
    let mut fasta = b">ref\n".to_vec();
    fasta.extend_from_slice(&reference);
    fasta.push(b'\n');
    std::fs::write(dir.path().join("reference.fasta"), fasta).unwrap();
    std::fs::write(
        dir.path().join("genome_annotation.gff3"),
        "##gff-version 3\nref\t.\tgene\t101\t1000\t.\t+\t.\tgene_name=G1\nref\t.\tgene\t1201\t2400\t.\t+\t.\tgene_name=G2\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("pathogen.json"),
        r#"{"schemaVersion":"3.0.0","attributes":{"name":"synthetic"},
            "files":{"reference":"reference.fasta","pathogenJson":"pathogen.json","genomeAnnotation":"genome_annotation.gff3"},
            "qc":{"missingData":{"enabled":true,"missingDataThreshold":300,"scoreBias":30},
                  "mixedSites":{"enabled":true,"mixedSitesThreshold":10}}}"#,
    )
    .unwrap();
    let ds = Dataset::load(dir.path()).unwrap();
    (dir, ds, reference)
}

#[test]
fn edge_cases_give_results_or_named_errors() {
    let (_dir, ds, reference) = synthetic_dataset();
    // Identical to the reference: nothing to report.
    let a = analyze(&ds, "same", &reference).unwrap();
    assert!(a.nuc.substitutions.is_empty() && a.nuc.deletions.is_empty());
    assert_eq!(a.coverage, 1.0);

    // Lowercase and U for T read as the same genome.
    let lower: Vec<u8> =
        reference.iter().map(|b| if *b == b'T' { b'u' } else { b.to_ascii_lowercase() }).collect();
    assert!(analyze(&ds, "lower", &lower).unwrap().nuc.substitutions.is_empty());

    // IUPAC codes are mixed sites, not substitutions.
    let mut mixed = reference.clone();
    mixed[500] = b'R';
    mixed[501] = b'N';
    let a = analyze(&ds, "mixed", &mixed).unwrap();
    assert!(a.nuc.substitutions.is_empty());
    assert_eq!(a.total_non_acgtns, 1);
    assert_eq!(a.total_missing, 1);

    // Empty and too short: the aligner's own explanation.
    let err = analyze(&ds, "empty", b"").unwrap_err();
    assert!(err.to_string().contains("sequence is too short"), "{err}");

    // A letter that is no nucleotide: named with its position.
    let mut bad = reference.clone();
    bad[10] = b'E';
    assert_eq!(
        analyze(&ds, "bad", &bad).unwrap_err(),
        AnalyzeError::InvalidLetter { letter: 'E', position: 11 }
    );

    // Another organism entirely: no seeds.
    let mut rng = StdRng::seed_from_u64(99);
    let other: Vec<u8> = (0..3000).map(|_| b"ACGT"[rng.random_range(0..4)]).collect();
    let err = analyze(&ds, "other", &other).unwrap_err();
    assert!(err.to_string().contains("seed"), "{err}");

    // Much longer than the reference (flanked by foreign sequence): aligned, with insertions.
    let mut long = other[..1000].to_vec();
    long.extend_from_slice(&reference);
    let a = analyze(&ds, "long", &long).unwrap();
    assert_eq!(a.insertions.iter().map(|i| i.ins.len()).sum::<usize>(), 1000);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    /// Random edits of the reference, and random bytes, never panic.
    #[test]
    fn analyze_never_panics(
        seed in any::<u64>(),
        n_edits in 0usize..60,
        garbage in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        let (_dir, ds, reference) = synthetic_dataset();
        let mut rng = StdRng::seed_from_u64(seed);
        let mut q = reference.clone();
        for _ in 0..n_edits {
            let i = rng.random_range(0..q.len());
            match rng.random_range(0..4) {
                0 => q[i] = b"ACGTNRYKM"[rng.random_range(0..9)],
                1 => { q.remove(i); }
                2 => q.insert(i, b"ACGT"[rng.random_range(0..4)]),
                _ => { let end = (i + rng.random_range(1..300)).min(q.len()); q[i..end].fill(b'N'); }
            }
        }
        let _ = analyze(&ds, "edited", &q);
        let _ = analyze(&ds, "garbage", &garbage);
        let mut spliced = q.clone();
        let at = rng.random_range(0..spliced.len());
        spliced.splice(at..at, garbage.iter().copied().filter(u8::is_ascii_alphabetic));
        let _ = analyze(&ds, "spliced", &spliced);
    }
}
