//! Nextclade 3.21's NDJSON outputs for the shared genomes (../shared/data/nextclade-out), read
//! as imports: the rebuilt genomes equal Nextclade's aligned FASTA (outside the alignment,
//! where Nextclade pads with `-`, the import has N: not sequenced is not deleted), and the
//! metadata and insertions equal Nextclade's own TSV of the same run.

use std::collections::{BTreeSet, HashMap};

use virion_import::{ImportRecord, Importer, Insertion, Value};
use virion_ingest::SequenceLayout;
use virion_testdata::{OTHER_PATHOGEN_SETS, SARS_COV_2_SETS, Table, read_aligned_fasta};

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => panic!("not a string: {other:?}"),
    }
}

/// The TSV's `insertions` / `aaInsertions` cells as the import prints them.
fn insertion_cells(record: &ImportRecord, importer: &Importer) -> (BTreeSet<String>, BTreeSet<String>) {
    let nuc = record.nucleotide_insertions[0].iter().map(Insertion::to_string).collect();
    let aa = importer
        .schema()
        .genes
        .iter()
        .zip(&record.amino_acid_insertions)
        .flat_map(|((gene, _), list)| list.iter().map(move |i| format!("{gene}:{i}")))
        .collect();
    (nuc, aa)
}

fn cell_set(cell: &str) -> BTreeSet<String> {
    cell.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

#[test]
fn nextclade_outputs_import_as_nextclade_wrote_them() {
    let Some(shared) = virion_testdata::shared_data() else { return };
    let mut layouts: HashMap<&str, SequenceLayout> = HashMap::new();
    let mut checked = (0, 0, 0);
    for set in SARS_COV_2_SETS.iter().chain(OTHER_PATHOGEN_SETS) {
        let layout = layouts.entry(set.dataset).or_insert_with(|| {
            let ds = virion_analyze::Dataset::load(&shared.join("nextclade").join(set.dataset)).unwrap();
            SequenceLayout::from_dataset(&ds)
        });
        let importer = Importer::nextclade(layout.clone());
        let dir = shared.join("nextclade-out").join(set.out_dir);
        let aligned: HashMap<String, Vec<u8>> =
            read_aligned_fasta(&dir.join("nextclade.aligned.fasta.zst")).into_iter().collect();
        let table = Table::read(&dir.join("nextclade.tsv"));
        let mut reader = importer.open(&dir.join("nextclade.ndjson.zst")).unwrap();
        let records: Vec<ImportRecord> = reader.by_ref().collect::<Result<_, _>>().unwrap();
        assert!(reader.unknown_keys().0.is_empty(), "{:?}", reader.unknown_keys());
        assert_eq!(records.len(), table.rows.len(), "{}", set.out_dir);
        let schema = importer.schema();
        let column = |name: &str| schema.metadata_index(name).unwrap();
        for (record, row) in records.iter().zip(&table.rows) {
            let name = text(&record.metadata[0]);
            assert_eq!(name, row["seqName"]);
            assert_eq!(text(&record.metadata[column("nextcladeClade")]), row["clade"], "{name}");
            if table.has_column("Nextclade_pango") {
                assert_eq!(
                    text(&record.metadata[column("nextcladePangoLineage")]),
                    row["Nextclade_pango"],
                    "{name}"
                );
            }
            assert_eq!(text(&record.metadata[column("qcOverallStatus")]), row["qc.overallStatus"], "{name}");
            match &record.metadata[column("coverage")] {
                Value::Float(c) => {
                    assert!((c - row["coverage"].parse::<f64>().unwrap()).abs() < 1e-9, "{name}")
                }
                Value::Null => assert_eq!(row["coverage"], "", "{name}"),
                other => panic!("{other:?}"),
            }
            match &record.metadata[column("totalSnps")] {
                Value::Int(n) => assert_eq!(n.to_string(), row["totalSubstitutions"], "{name}"),
                other => {
                    assert_eq!((other, row["totalSubstitutions"].as_str()), (&Value::Null, ""), "{name}")
                }
            }
            let (nuc, aa) = insertion_cells(record, &importer);
            assert_eq!(nuc, cell_set(&row["insertions"]), "{name}: nucleotide insertions");
            assert_eq!(aa, cell_set(&row["aaInsertions"]), "{name}: amino-acid insertions");
            assert_eq!(record.unaligned_nucleotides, [None]);

            let Some(genome) = &record.aligned_nucleotides[0] else {
                assert!(!aligned.contains_key(&name), "{name}: Nextclade aligned it");
                checked.2 += 1;
                continue;
            };
            let theirs = &aligned[&name];
            assert_eq!(genome.len(), theirs.len(), "{name}");
            let lead = theirs.iter().take_while(|&&b| b == b'-').count();
            let trail = theirs.iter().rev().take_while(|&&b| b == b'-').count();
            let end = theirs.len() - trail;
            assert!(genome[..lead].iter().all(|&b| b == b'N'), "{name}: unsequenced start");
            assert!(genome[end..].iter().all(|&b| b == b'N'), "{name}: unsequenced end");
            if let Some(i) = (lead..end).find(|&i| genome[i] != theirs[i]) {
                panic!(
                    "{name}: position {} is {} here, {} in Nextclade's FASTA",
                    i + 1,
                    genome[i] as char,
                    theirs[i] as char
                );
            }
            for (peptide, (gene, reference)) in record.aligned_amino_acids.iter().zip(&schema.genes) {
                if let Some(p) = peptide {
                    assert_eq!(p.len(), reference.len(), "{name} {gene}");
                }
            }
            checked.0 += 1;
            checked.1 += record.nucleotide_insertions[0].len();
        }
    }
    eprintln!(
        "{} genomes equal Nextclade's aligned FASTA, {} insertions, {} unaligned",
        checked.0, checked.1, checked.2
    );
    assert!(checked.0 > 800 && checked.1 > 50 && checked.2 > 0, "{checked:?}");
}

/// LAPIS's `ins_S:214:EPE` (BA.1's spike insertion) and `ins_22204:GAGCCAGAA` (the same, in
/// nucleotides) are Nextclade NDJSON `{cds: "S", pos: 213}` and `{pos: 22203}`: Nextclade's
/// `pos` is the 0-based position after which the symbols sit, LAPIS's the 1-based one, so
/// position = pos + 1, and an insertion before the first base (`pos: -1`) is LAPIS's `0:…`.
#[test]
fn insertion_positions_are_nextclade_pos_plus_one() {
    let Some(shared) = virion_testdata::shared_data() else { return };
    let ds = virion_analyze::Dataset::load(&shared.join("nextclade/sars-cov-2")).unwrap();
    let importer = Importer::nextclade(SequenceLayout::from_dataset(&ds));
    let find = |set: &str, name: &str| -> (ImportRecord, serde_json::Value) {
        let path = shared.join("nextclade-out").join(set).join("nextclade.ndjson.zst");
        let raw = virion_testdata::read_ndjson(&path).into_iter().find(|r| r["seqName"] == name).unwrap();
        let record = importer
            .open(&path)
            .unwrap()
            .map(Result::unwrap)
            .find(|r| r.metadata[0] == Value::String(name.into()))
            .unwrap();
        (record, raw)
    };
    let (ba1, raw) = find("sars-cov-2-dataset-examples", "ON626380");
    assert_eq!(raw["insertions"][0]["pos"], 22203);
    assert_eq!(raw["aaInsertions"][0]["pos"], 213);
    assert_eq!(raw["aaInsertions"][0]["cds"], "S");
    assert_eq!(ba1.nucleotide_insertions[0], [Insertion { position: 22204, symbols: "GAGCCAGAA".into() }]);
    let s = importer.schema().gene_index("S").unwrap();
    assert_eq!(ba1.amino_acid_insertions[s], [Insertion { position: 214, symbols: "EPE".into() }]);

    let (before_first, raw) = find("ncov-open-example", "ENV/USA/UF-11/2020");
    assert_eq!(raw["insertions"][0]["pos"], -1);
    assert_eq!(before_first.nucleotide_insertions[0], [Insertion { position: 0, symbols: "TTAAAGG".into() }]);
}

#[test]
fn a_result_nextclade_could_not_align_keeps_its_metadata() {
    let Some(shared) = virion_testdata::shared_data() else { return };
    let ds = virion_analyze::Dataset::load(&shared.join("nextclade/sars-cov-2")).unwrap();
    let importer = Importer::nextclade(SequenceLayout::from_dataset(&ds));
    let path = shared.join("nextclade-out/pangolin-test-seqs/nextclade.ndjson.zst");
    let failed: Vec<ImportRecord> = importer
        .open(&path)
        .unwrap()
        .map(Result::unwrap)
        .filter(|r| r.aligned_nucleotides[0].is_none())
        .collect();
    assert!(!failed.is_empty());
    for r in failed {
        assert!(matches!(&r.metadata[0], Value::String(s) if !s.is_empty()));
        assert!(r.metadata[1..].iter().all(|v| *v == Value::Null), "{r:?}");
        assert!(r.aligned_amino_acids.iter().all(Option::is_none));
    }
}
