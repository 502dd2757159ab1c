//! Genomes rebuilt from Nextclade 3.21's NDJSON records equal Nextclade's own aligned FASTA for
//! the same genomes, letter for letter (outside the alignment range, where Nextclade pads with
//! `-`, the rebuild has N: not sequenced is not deleted).

use std::collections::HashMap;
use std::io::BufRead;

use virion_analyze::output::NextcladeResult;
use virion_ingest::{SequenceLayout, rebuild};

#[test]
fn rebuilt_genomes_equal_nextclade_aligned_fasta() {
    let Some(shared) = virion_testdata::shared_data() else { return };
    let ds = virion_analyze::Dataset::load(&shared.join("nextclade/sars-cov-2")).unwrap();
    let layout = SequenceLayout::from_dataset(&ds);
    let mut checked = 0;
    for set in ["ncov-open-example", "nextclade-test-sequences"] {
        let dir = shared.join("nextclade-out").join(set);
        let aligned: HashMap<String, Vec<u8>> =
            virion_testdata::read_aligned_fasta(&dir.join("nextclade.aligned.fasta.zst"))
                .into_iter()
                .collect();
        let reader = virion_io::open_path(&dir.join("nextclade.ndjson.zst")).unwrap();
        for line in reader.lines() {
            let line = line.unwrap();
            let record: serde_json::Value = serde_json::from_str(&line).unwrap();
            let name = record["seqName"].as_str().unwrap().to_owned();
            if record.get("alignmentRange").is_none() {
                continue; // Nextclade could not align it: no aligned sequence either
            }
            let typed = NextcladeResult::from_json(&line).unwrap();
            let virion_ingest::Rebuilt { genome, peptides } = rebuild(&typed, &name, &layout).unwrap();
            let expected = &aligned[&name];
            let (b, e) = (
                record["alignmentRange"]["begin"].as_u64().unwrap() as usize,
                record["alignmentRange"]["end"].as_u64().unwrap() as usize,
            );
            assert_eq!(genome.len(), expected.len(), "{name}");
            assert_eq!(&genome[b..e], &expected[b..e], "{name}: inside the alignment");
            assert!(genome[..b].iter().chain(&genome[e..]).all(|&c| c == b'N'), "{name}");
            assert!(expected[..b].iter().chain(&expected[e..]).all(|&c| c == b'-'), "{name}");
            // Every amino-acid substitution Nextclade reports is in the rebuilt peptide.
            for s in record["aaSubstitutions"].as_array().unwrap() {
                let g = layout.genes.iter().position(|g| g.name == s["cdsName"]).unwrap();
                let pos = s["pos"].as_u64().unwrap() as usize;
                let got = peptides[g].as_ref().unwrap()[pos];
                assert_eq!(got, s["qryAa"].as_str().unwrap().as_bytes()[0], "{name} {}", s["cdsName"]);
            }
            checked += 1;
        }
    }
    assert!(checked > 400, "{checked} genomes compared");
    eprintln!("{checked} genomes rebuilt identical to Nextclade's aligned FASTA");
}

/// Codons Nextclade could not read (`unknownAaRanges`) are X in the rebuilt peptides whichever
/// form the record lists them in: Nextclade's (one entry per CDS with its `ranges`) or Virion's
/// writer's, which the hub stores (one entry per range).
#[test]
fn unknown_codons_are_x_in_either_form() {
    let Some(shared) = virion_testdata::shared_data() else { return };
    let ds = virion_analyze::Dataset::load(&shared.join("nextclade/sars-cov-2")).unwrap();
    let layout = SequenceLayout::from_dataset(&ds);
    let dir = shared.join("nextclade-out/ncov-open-example");
    let reader = virion_io::open_path(&dir.join("nextclade.ndjson.zst")).unwrap();
    let mut compared = 0;
    for line in reader.lines() {
        let mut record: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap();
        let Some(grouped) = record["unknownAaRanges"].as_array().filter(|u| !u.is_empty()).cloned() else {
            continue;
        };
        let name = record["seqName"].as_str().unwrap().to_owned();
        let nextclade = rebuild(&NextcladeResult::from_value(&record).unwrap(), &name, &layout).unwrap();
        let mut x = 0;
        for u in &grouped {
            let g = layout.genes.iter().position(|g| g.name == u["cdsName"]).unwrap();
            for r in u["ranges"].as_array().unwrap() {
                let r = &r["range"];
                let (b, e) = (r["begin"].as_u64().unwrap() as usize, r["end"].as_u64().unwrap() as usize);
                let peptide = nextclade.peptides[g].as_ref().unwrap();
                assert!(peptide[b..e].iter().all(|&a| a == b'X'), "{name} {}", u["cdsName"]);
                x += e - b;
            }
        }
        assert!(x > 0, "{name}");
        let one_per_range: Vec<serde_json::Value> = grouped
            .iter()
            .flat_map(|u| {
                let cds = u["cdsName"].clone();
                u["ranges"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(move |r| serde_json::json!({"cdsName": cds, "range": r["range"]}))
            })
            .collect();
        record["unknownAaRanges"] = serde_json::Value::Array(one_per_range);
        let virion = rebuild(&NextcladeResult::from_value(&record).unwrap(), &name, &layout).unwrap();
        assert_eq!(virion.peptides, nextclade.peptides, "{name}");
        compared += 1;
    }
    assert!(compared > 10, "{compared} records with unknown codons");
}
