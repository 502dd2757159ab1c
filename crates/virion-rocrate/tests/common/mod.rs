//! Crates built the same way by the content tests and the validator tests.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::path::Path;

use chrono::{DateTime, Utc};
use serde_json::Value;
use virion_rocrate::{Citation, CollectionRef, CrateInfo, CrateWriter, License, Node, QueryAction, Software};

pub const FASTA: &[u8] = b">VRN00001AK.1\nACGTACGTNNACGT\n>VRN00002AH.3\nTTGACCA\n";
pub const TSV: &[u8] = b"accessionVersion\tcountry\tdate\nVRN00001AK.1\tSwitzerland\t2024-03-01\nVRN00002AH.3\tFrance\t2024-03-04\n";
pub const RECORDS: [&str; 2] = ["VRN00001AK.1", "VRN00002AH.3"];

pub fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
}

pub fn minimal_info() -> CrateInfo {
    CrateInfo {
        name: "Virion download".to_owned(),
        description: "Sequences from a Virion node.".to_owned(),
        date_published: at("2026-07-01T10:00:00Z"),
        license: License {
            uri: "https://creativecommons.org/licenses/by/4.0/".to_owned(),
            name: "CC BY 4.0".to_owned(),
        },
        conditions_of_access: None,
        software: Software {
            name: "Virion".to_owned(),
            version: "0.1.0".to_owned(),
            url: "https://virion.example/software/".to_owned(),
        },
        node: Node { name: "Test node".to_owned(), url: "https://node.example".to_owned() },
        query: None,
        citation: None,
        collection: None,
    }
}

pub fn full_info() -> CrateInfo {
    CrateInfo {
        name: "SARS-CoV-2 sequences, Switzerland and France, March 2024".to_owned(),
        description: "Consensus sequences and metadata matching the query below.".to_owned(),
        conditions_of_access: Some(
            "Restricted until 2027-01-01: no publication of analyses of these data before then \
             without the submitters' consent."
                .to_owned(),
        ),
        query: Some(QueryAction {
            name: "Unaligned sequences and details".to_owned(),
            endpoint: "https://node.example/lapis/sample/details".to_owned(),
            parameters: vec![
                ("country".to_owned(), "Switzerland".to_owned()),
                ("country".to_owned(), "France".to_owned()),
                ("dateFrom".to_owned(), "2024-03-01".to_owned()),
                ("nucleotideMutations".to_owned(), "C241T,A23403G".to_owned()),
                ("dataFormat".to_owned(), "tsv".to_owned()),
                ("versionStatus".to_owned(), "".to_owned()),
            ],
            start_time: at("2026-07-01T09:59:58Z"),
            end_time: at("2026-07-01T10:00:00Z"),
            agent: Some("Ada Lovelace".to_owned()),
        }),
        citation: Some(Citation {
            text: "Test node (2026). SARS-CoV-2 sequences, March 2024. https://doi.org/10.1234/virion.42"
                .to_owned(),
            cite_as: Some("https://doi.org/10.1234/virion.42".to_owned()),
        }),
        collection: Some(CollectionRef {
            id: "VC000042".to_owned(),
            url: "https://node.example/collections/VC000042".to_owned(),
            name: "March 2024 surveillance".to_owned(),
            version: "3".to_owned(),
        }),
        ..minimal_info()
    }
}

/// The full crate: a FASTA and a TSV file (the FASTA written in uneven pieces), the records,
/// the query, restricted terms, a collection and a citation.
pub fn write_full(path: &Path) {
    let file = std::fs::File::create(path).unwrap();
    let mut crate_writer = CrateWriter::new(file, full_info()).unwrap();
    let mut fasta =
        crate_writer.start_file("sequences.fasta", "text/x-fasta", "Consensus sequences").unwrap();
    for piece in FASTA.chunks(7) {
        fasta.write_all(piece).unwrap();
    }
    let mut tsv = crate_writer
        .start_file("metadata.tsv", "text/tab-separated-values", "Metadata of the sequences")
        .unwrap();
    tsv.write_all(TSV).unwrap();
    assert_eq!(crate_writer.add_records(RECORDS).unwrap(), 2);
    crate_writer.finish().unwrap().sync_all().unwrap();
}

/// The minimal crate: one file, nothing optional.
pub fn write_minimal(path: &Path) {
    let file = std::fs::File::create(path).unwrap();
    let mut crate_writer = CrateWriter::new(file, minimal_info()).unwrap();
    crate_writer
        .start_file("sequences.fasta", "text/x-fasta", "Consensus sequences")
        .unwrap()
        .write_all(FASTA)
        .unwrap();
    crate_writer.finish().unwrap();
}

/// Every entry of a zip as (name, bytes), in archive order.
pub fn unzip(path: &Path) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut entry = archive.by_index(i).unwrap();
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).unwrap();
            (entry.name().unwrap().into_owned(), bytes)
        })
        .collect()
}

pub fn metadata(path: &Path) -> Value {
    let entries = unzip(path);
    let (_, bytes) = entries.iter().find(|(n, _)| n == "ro-crate-metadata.json").expect("metadata file");
    serde_json::from_slice(bytes).unwrap()
}
