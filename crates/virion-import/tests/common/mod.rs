//! Fixtures shared by the tests: the small instance under tests/data and ways to feed it in.

#![allow(dead_code)] // each test file uses a different part

use std::io::Write;
use std::path::PathBuf;

use serde_json::{Value as Json, json};
use virion_import::{ImportError, ImportRecord, ImportSchema, Importer, Insertion, ReadOptions, Value};

/// The aligned `main` of the test instance's one good record.
pub const MAIN: &str = "ATTAAAGGTTTATACCTTCCCAGGTAACAA";

/// One good record in SILO's flat layout.
pub fn silo_line() -> Json {
    json!({"accession":"s1","date":"2021-03-18","country":"CH","pangoLineage":"B.1","age":1,"reads":2,
           "qcScore":0.5,"isComplete":true,"main":{"sequence":MAIN,"insertions":[]},"unaligned_main":"ACGT",
           "S":{"sequence":"MFVFLVLLPL","insertions":[]},"E":null})
}

/// The same record in Loculus's layout.
pub fn loculus_line() -> Json {
    json!({"metadata":{"accession":"s1","date":"2021-03-18","country":"CH","pangoLineage":"B.1","age":1,"reads":2,
                       "qcScore":0.5,"isComplete":true},
           "unalignedNucleotideSequences":{"main":"ACGT"},"alignedNucleotideSequences":{"main":MAIN},
           "nucleotideInsertions":{"main":[]},"alignedAminoAcidSequences":{"S":"MFVFLVLLPL","E":null},
           "aminoAcidInsertions":{"S":[],"E":[]}})
}

pub fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

/// The test instance: metadata of every type, segment `main` (30 nt), genes S (10) and E (8).
pub fn schema() -> ImportSchema {
    ImportSchema::from_silo_files(&data("database_config.yaml"), &data("reference_genomes.json")).unwrap()
}

/// Small batches and two threads, so that even the fixtures cross batch boundaries.
pub fn small_batches() -> ReadOptions {
    ReadOptions { skip_invalid: false, threads: 2, batch_bytes: 200, batches_in_flight: 3 }
}

/// Every record of `input`, or the first error.
pub fn read_all(importer: &Importer, input: Vec<u8>, name: &str) -> Result<Vec<ImportRecord>, ImportError> {
    importer.read(std::io::Cursor::new(input), name).unwrap().collect()
}

/// The first error reading `input`, as its message.
pub fn first_error(importer: &Importer, input: &str) -> String {
    match read_all(importer, input.as_bytes().to_vec(), "input.ndjson") {
        Ok(records) => panic!("expected an error, read {} records", records.len()),
        Err(e) => e.to_string(),
    }
}

pub fn compress(bytes: &[u8], format: niffler::Format) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut w = niffler::get_writer(Box::new(&mut out), format, niffler::Level::Three).unwrap();
        w.write_all(bytes).unwrap();
    }
    out
}

pub fn ins(position: u32, symbols: &str) -> Insertion {
    Insertion { position, symbols: symbols.to_owned() }
}

fn s(text: &str) -> Value {
    Value::String(text.to_owned())
}

fn date(y: i32, m: u32, d: u32) -> Value {
    Value::Date(chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap())
}

fn seq(text: &str) -> Option<Vec<u8>> {
    Some(text.as_bytes().to_vec())
}

/// What tests/data/silo.ndjson and loculus.ndjson hold, written out by hand.
pub fn fixture_records() -> Vec<ImportRecord> {
    vec![
        ImportRecord {
            line: 1,
            metadata: vec![
                s("s1"),
                date(2021, 3, 18),
                s("CH"),
                s("B.1.1.7"),
                Value::Int(54),
                Value::Int(3_000_000_000),
                Value::Float(0.98),
                Value::Boolean(true),
            ],
            aligned_nucleotides: vec![seq("ATTAAAGGTTTATACCTTCCCAGGTAACAA")],
            unaligned_nucleotides: vec![seq("ATTAAAGGTTTATAACGCCTTCCCAGGTAACAA")],
            aligned_amino_acids: vec![seq("MFVFLVLLPL"), seq("MYSFVSE*")],
            nucleotide_insertions: vec![vec![ins(10, "ACG"), ins(0, "T")]],
            amino_acid_insertions: vec![vec![ins(5, "EPE")], vec![]],
        },
        ImportRecord {
            line: 2,
            metadata: vec![
                s("s2"),
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Float(1.0),
                Value::Boolean(false),
            ],
            //                                0     6         16            30
            aligned_nucleotides: vec![seq("NNNNNNGGTTTATACCNNNNNNNNNNNNNN")],
            unaligned_nucleotides: vec![None],
            aligned_amino_acids: vec![None, None],
            nucleotide_insertions: vec![vec![]],
            amino_acid_insertions: vec![vec![], vec![]],
        },
        ImportRecord {
            line: 4,
            metadata: vec![
                s("s3"),
                Value::Null,
                s("DE"),
                s("BA.2"),
                Value::Int(-1),
                Value::Int(0),
                Value::Null,
                Value::Null,
            ],
            aligned_nucleotides: vec![seq("ATTAAAGG-TTATACCTTCCCAGGTAACNN")],
            unaligned_nucleotides: vec![None],
            aligned_amino_acids: vec![seq("MFV-LVLLPX"), None],
            nucleotide_insertions: vec![vec![]],
            amino_acid_insertions: vec![vec![], vec![]],
        },
        ImportRecord {
            line: 5,
            metadata: vec![
                s("s4"),
                date(2020, 2, 29),
                s("Café \"1\""),
                s("A"),
                Value::Int(0),
                Value::Int(1),
                Value::Float(-0.5),
                Value::Boolean(true),
            ],
            aligned_nucleotides: vec![None],
            // Unaligned sequences are kept as written: no U for T.
            unaligned_nucleotides: vec![seq("ACGU")],
            aligned_amino_acids: vec![None, None],
            nucleotide_insertions: vec![vec![]],
            amino_acid_insertions: vec![vec![], vec![]],
        },
    ]
}
