//! Sorting real influenza A H3N2 genomes to their segment, against an index of the eight segment
//! datasets' references: every example sequence a segment dataset ships goes to that segment,
//! and the SARS-CoV-2 and RSV-A examples to no segment.

use virion_sort::{MinimizerIndex, SortParams};
use virion_testdata::{FLU_H3N2_SEGMENTS, read_fasta, shared_data};

#[test]
fn every_flu_example_sorts_to_its_own_segment() {
    let Some(data) = shared_data() else { return };
    let datasets: Vec<(String, std::path::PathBuf)> = FLU_H3N2_SEGMENTS
        .iter()
        .map(|s| (s.to_string(), data.join("nextclade").join(format!("flu-h3n2-{s}"))))
        .collect();
    let index = MinimizerIndex::from_datasets(&datasets).unwrap();
    let params = SortParams::for_segments();
    let mut sorted = 0;
    let mut fewest_hits = u64::MAX;
    for segment in FLU_H3N2_SEGMENTS {
        let input = data.join("nextclade").join(format!("flu-h3n2-{segment}")).join("sequences.fasta");
        for rec in read_fasta(&input) {
            let result = index.search(&rec.seq, &params);
            let names: Vec<&str> = result.matches.iter().map(|m| m.name.as_str()).collect();
            assert_eq!(names, [*segment], "{} ({segment}): {result:?}", rec.name);
            fewest_hits = fewest_hits.min(result.matches[0].n_hits);
            sorted += 1;
        }
    }
    assert_eq!(sorted, 8 * 48);
    println!("384 flu examples sorted to their segment; fewest shared minimizers: {fewest_hits}");

    for other in ["sars-cov-2", "rsv-a"] {
        for rec in read_fasta(&data.join("nextclade").join(other).join("sequences.fasta")).iter().take(20) {
            let result = index.search(&rec.seq, &params);
            assert!(result.matches.is_empty(), "{other} {} matched {:?}", rec.name, result.matches);
        }
    }
}

#[test]
fn the_shared_datasets_sort_their_own_examples() {
    let Some(data) = shared_data() else { return };
    let index = MinimizerIndex::from_dataset_dirs(&data.join("nextclade")).unwrap();
    let params = SortParams::default();
    for (dataset, input) in [
        ("sars-cov-2", "nextclade/sars-cov-2/sequences.fasta"),
        ("rsv-a", "nextclade/rsv-a/sequences.fasta"),
        ("mpox-clade-iib", "nextclade/mpox-clade-iib/sequences.fasta"),
        ("flu-h3n2-ha", "nextclade/flu-h3n2-ha/sequences.fasta"),
    ] {
        for rec in read_fasta(&data.join(input)) {
            let best = index.search(&rec.seq, &params);
            let best = best.best().unwrap_or_else(|| panic!("{dataset} {}: no match", rec.name));
            // The two SARS-CoV-2 datasets share a reference: either is right for a genome.
            let ok = best.name == dataset || (dataset == "sars-cov-2" && best.name == "sars-cov-2-proteins");
            assert!(ok, "{dataset} {}: best {best:?}", rec.name);
        }
    }
}
