//! What the crates hold: the zip entries, and the metadata field by field against the bytes.

mod common;

use std::collections::HashMap;
use std::io::{Cursor, Write};

use common::*;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use virion_rocrate::{CrateError, CrateInfo, CrateWriter, RECORDS_FILE};

fn by_id(doc: &Value) -> HashMap<String, Value> {
    let graph = doc["@graph"].as_array().expect("@graph is an array");
    let map: HashMap<String, Value> = graph
        .iter()
        .map(|e| (e["@id"].as_str().expect("every entity has an @id").to_owned(), e.clone()))
        .collect();
    assert_eq!(map.len(), graph.len(), "an @id appears twice");
    map
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Every `{"@id": …}` reference in the graph points at an entity of the graph (the spec link
/// `conformsTo` excepted), so nothing dangles.
fn assert_references_resolve(doc: &Value, entities: &HashMap<String, Value>) {
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) if m.len() == 1 && m.contains_key("@id") => {
                out.push(m["@id"].as_str().unwrap().to_owned())
            }
            Value::Object(m) => m.values().for_each(|v| walk(v, out)),
            Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    for entity in doc["@graph"].as_array().unwrap() {
        let mut refs = Vec::new();
        for (key, value) in entity.as_object().unwrap() {
            if key != "conformsTo" {
                walk(value, &mut refs);
            }
        }
        for r in refs {
            assert!(
                entities.contains_key(&r),
                "{} refers to {r:?}, which is not in the graph",
                entity["@id"]
            );
        }
    }
}

#[test]
fn full_crate_metadata_matches_the_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("download.zip");
    write_full(&path);
    let entries = unzip(&path);
    let names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["sequences.fasta", "metadata.tsv", RECORDS_FILE, "ro-crate-metadata.json"]);
    let bytes: HashMap<&str, &[u8]> = entries.iter().map(|(n, b)| (n.as_str(), b.as_slice())).collect();
    assert_eq!(bytes["sequences.fasta"], FASTA);
    assert_eq!(bytes["metadata.tsv"], TSV);
    assert_eq!(bytes[RECORDS_FILE], b"VRN00001AK.1\nVRN00002AH.3\n");

    let doc = metadata(&path);
    assert_eq!(doc["@context"], "https://w3id.org/ro/crate/1.2/context");
    let e = by_id(&doc);
    assert_references_resolve(&doc, &e);

    let descriptor = &e["ro-crate-metadata.json"];
    assert_eq!(descriptor["@type"], "CreativeWork");
    assert_eq!(descriptor["conformsTo"], json!({"@id": "https://w3id.org/ro/crate/1.2"}));
    assert_eq!(descriptor["about"], json!({"@id": "./"}));

    let root = &e["./"];
    assert_eq!(root["@type"], "Dataset");
    assert_eq!(root["name"], "SARS-CoV-2 sequences, Switzerland and France, March 2024");
    assert_eq!(root["description"], "Consensus sequences and metadata matching the query below.");
    assert_eq!(root["datePublished"], "2026-07-01T10:00:00Z");
    assert_eq!(root["license"], json!({"@id": "https://creativecommons.org/licenses/by/4.0/"}));
    assert!(root["conditionsOfAccess"].as_str().unwrap().starts_with("Restricted until 2027-01-01"));
    assert_eq!(root["publisher"], json!({"@id": "https://node.example/"}));
    assert_eq!(root["isPartOf"], json!({"@id": "https://node.example/collections/VC000042"}));
    assert_eq!(root["cite-as"], "https://doi.org/10.1234/virion.42");
    assert!(root["creditText"].as_str().unwrap().starts_with("Test node (2026)."));
    assert_eq!(
        root["hasPart"],
        json!([{"@id": "sequences.fasta"}, {"@id": "metadata.tsv"}, {"@id": "accessions.txt"}])
    );
    assert_eq!(root["mentions"], json!({"@id": "#download-created"}));

    for (name, media_type) in [
        ("sequences.fasta", "text/x-fasta"),
        ("metadata.tsv", "text/tab-separated-values"),
        (RECORDS_FILE, "text/plain"),
    ] {
        let file = &e[name];
        assert_eq!(file["name"], name);
        assert_eq!(file["encodingFormat"], media_type, "{name}");
        assert_eq!(file["contentSize"], bytes[name].len().to_string(), "{name}");
        assert_eq!(file["sha256"], sha256_hex(bytes[name]), "{name}");
        assert!(!file["description"].as_str().unwrap().is_empty());
    }
    assert_eq!(e["sequences.fasta"]["@type"], "File");
    assert_eq!(e[RECORDS_FILE]["@type"], json!(["File", "ItemList"]));
    assert_eq!(e[RECORDS_FILE]["numberOfItems"], 2);

    let license = &e["https://creativecommons.org/licenses/by/4.0/"];
    assert_eq!((&license["@type"], &license["name"]), (&json!("CreativeWork"), &json!("CC BY 4.0")));
    let node = &e["https://node.example/"];
    assert_eq!(
        (&node["@type"], &node["name"], &node["url"]),
        (&json!("Organization"), &json!("Test node"), &json!("https://node.example/"))
    );
    let software = &e["https://virion.example/software/"];
    assert_eq!(software["@type"], "SoftwareApplication");
    assert_eq!((&software["name"], &software["version"]), (&json!("Virion"), &json!("0.1.0")));
    let collection = &e["https://node.example/collections/VC000042"];
    assert_eq!(collection["@type"], "Collection");
    assert_eq!((&collection["identifier"], &collection["version"]), (&json!("VC000042"), &json!("3")));
    assert_eq!(collection["name"], "March 2024 surveillance");

    let action = &e["#download-created"];
    assert_eq!(action["@type"], "CreateAction");
    assert_eq!(action["name"], "Unaligned sequences and details");
    assert_eq!(action["instrument"], json!({"@id": "https://virion.example/software/"}));
    assert_eq!(action["agent"], json!({"@id": "#download-user"}));
    assert_eq!(e["#download-user"]["@type"], "Person");
    assert_eq!(e["#download-user"]["name"], "Ada Lovelace");
    assert_eq!(action["target"], json!({"@id": "https://node.example/lapis/sample/details"}));
    assert_eq!(e["https://node.example/lapis/sample/details"]["@type"], "EntryPoint");
    assert_eq!(action["result"], root["hasPart"]);
    assert_eq!(action["startTime"], "2026-07-01T09:59:58Z");
    assert_eq!(action["endTime"], "2026-07-01T10:00:00Z");
    assert_eq!(
        action["description"],
        "Query: https://node.example/lapis/sample/details?country=Switzerland&country=France&\
         dateFrom=2024-03-01&nucleotideMutations=C241T%2CA23403G&dataFormat=tsv&versionStatus="
    );
    // The parameters, in the order sent, repeated names and empty values kept.
    let parameters: Vec<(Value, Value)> = action["object"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let p = &e[r["@id"].as_str().unwrap()];
            assert_eq!(p["@type"], "PropertyValue");
            (p["name"].clone(), p["value"].clone())
        })
        .collect();
    let expected = full_info().query.unwrap().parameters;
    assert_eq!(parameters, expected.iter().map(|(n, v)| (json!(n), json!(v))).collect::<Vec<_>>());
}

#[test]
fn minimal_crate_has_nothing_optional() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("download.zip");
    write_minimal(&path);
    let names: Vec<String> = unzip(&path).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["sequences.fasta", "ro-crate-metadata.json"]);
    let doc = metadata(&path);
    let e = by_id(&doc);
    assert_references_resolve(&doc, &e);
    let root = &e["./"];
    for absent in ["conditionsOfAccess", "isPartOf", "cite-as", "creditText"] {
        assert!(root.get(absent).is_none(), "{absent} written without being given");
    }
    assert_eq!(root["hasPart"], json!([{"@id": "sequences.fasta"}]));
    assert_eq!(e["sequences.fasta"]["sha256"], sha256_hex(FASTA));
    let action = &e["#download-created"];
    assert_eq!(action["name"], "Download");
    assert_eq!(action["agent"], json!({"@id": "https://node.example/"}));
    assert_eq!(action["endTime"], "2026-07-01T10:00:00Z");
    for absent in ["object", "target", "startTime", "description"] {
        assert!(action.get(absent).is_none(), "{absent} written without a query");
    }
    // Descriptor, root, licence, node, software, file, action: nothing else.
    assert_eq!(e.len(), 7, "{:?}", e.keys().collect::<Vec<_>>());
}

#[test]
fn same_download_packs_to_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.zip"), dir.path().join("b.zip"));
    write_full(&a);
    write_full(&b);
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
}

#[test]
fn many_records_stream_into_one_file() {
    const N: u64 = 300_000;
    let mut crate_writer = CrateWriter::new(Cursor::new(Vec::new()), minimal_info()).unwrap();
    let written = crate_writer.add_records((1..=N).map(|i| format!("VRN{i:08}X.{}", i % 7 + 1))).unwrap();
    assert_eq!(written, N);
    let bytes = crate_writer.finish().unwrap().into_inner();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("records.zip");
    std::fs::write(&path, &bytes).unwrap();
    let entries = unzip(&path);
    let records = &entries.iter().find(|(n, _)| n == RECORDS_FILE).unwrap().1;
    let text = std::str::from_utf8(records).unwrap();
    assert_eq!(text.lines().count() as u64, N);
    assert_eq!(text.lines().nth(41), Some("VRN00000042X.1"));
    let doc = metadata(&path);
    let e = by_id(&doc);
    assert_eq!(e[RECORDS_FILE]["numberOfItems"], N);
    assert_eq!(e[RECORDS_FILE]["contentSize"], records.len().to_string());
    assert_eq!(e[RECORDS_FILE]["sha256"], sha256_hex(records));
    // Millions of records must not become millions of entities.
    assert_eq!(doc["@graph"].as_array().unwrap().len(), 7);
}

#[test]
fn empty_records_file_says_zero() {
    let mut crate_writer = CrateWriter::new(Cursor::new(Vec::new()), minimal_info()).unwrap();
    assert_eq!(crate_writer.add_records(Vec::<String>::new()).unwrap(), 0);
    let bytes = crate_writer.finish().unwrap().into_inner();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.zip");
    std::fs::write(&path, bytes).unwrap();
    let e = by_id(&metadata(&path));
    assert_eq!(e[RECORDS_FILE]["numberOfItems"], 0);
    assert_eq!(e[RECORDS_FILE]["contentSize"], "0");
    assert_eq!(e[RECORDS_FILE]["sha256"], sha256_hex(b""));
}

fn new_error(info: CrateInfo) -> CrateError {
    CrateWriter::new(Cursor::new(Vec::new()), info).expect_err("bad info accepted")
}

#[test]
fn bad_info_is_refused_naming_the_field() {
    let mut info = full_info();
    info.license.uri = "CC-BY-4.0".to_owned();
    assert!(matches!(new_error(info), CrateError::BadUrl { field, .. } if field == "license.uri"));

    let mut info = full_info();
    info.node.url = "ftp://node.example/".to_owned();
    assert!(matches!(new_error(info), CrateError::BadUrl { field, .. } if field == "node.url"));

    let mut info = full_info();
    info.citation.as_mut().unwrap().cite_as = Some("doi:10.1234/x".to_owned());
    assert!(matches!(new_error(info), CrateError::BadUrl { field, .. } if field == "citation.cite_as"));

    let mut info = full_info();
    info.name = "  ".to_owned();
    assert!(matches!(new_error(info), CrateError::Empty { field } if field == "name"));

    let mut info = full_info();
    info.query.as_mut().unwrap().parameters.push((String::new(), "x".to_owned()));
    assert!(matches!(new_error(info), CrateError::Empty { field } if field == "query.parameters[6] name"));

    let mut info = full_info();
    let query = info.query.as_mut().unwrap();
    std::mem::swap(&mut query.start_time, &mut query.end_time);
    assert!(matches!(new_error(info), CrateError::QueryTimes { .. }));

    // Normalised URLs are compared, so "https://node.example" and ".../" clash.
    let mut info = full_info();
    info.software.url = "https://node.example".to_owned();
    let e = new_error(info);
    assert!(
        matches!(&e, CrateError::DuplicateId { id, first, second }
            if id == "https://node.example/" && first == "node" && second == "software"),
        "{e}"
    );
}

#[test]
fn bad_files_and_records_are_refused() {
    let mut crate_writer = CrateWriter::new(Cursor::new(Vec::new()), minimal_info()).unwrap();
    for name in ["../evil.txt", "/etc/passwd", "dir/file.txt", ".hidden", "", "a b.txt"] {
        let e = crate_writer.start_file(name, "text/plain", "x").unwrap_err();
        assert!(matches!(e, CrateError::BadFileName { .. }), "{name:?}: {e}");
    }
    for reserved in
        ["ro-crate-metadata.json", "RO-CRATE-METADATA.JSON", "accessions.txt", "ro-crate-preview.html"]
    {
        let e = crate_writer.start_file(reserved, "text/plain", "x").unwrap_err();
        assert!(matches!(e, CrateError::BadFileName { .. }), "{reserved:?}: {e}");
    }
    let e = crate_writer.start_file("a.fasta", "fasta", "x").unwrap_err();
    assert!(matches!(e, CrateError::BadMediaType { file, .. } if file == "a.fasta"));
    let e = crate_writer.start_file("a.fasta", "text/x-fasta", " ").unwrap_err();
    assert!(matches!(e, CrateError::Empty { .. }));

    crate_writer.start_file("a.fasta", "text/x-fasta", "x").unwrap().write_all(b">a\nA\n").unwrap();
    let e = crate_writer.start_file("A.FASTA", "text/x-fasta", "x").unwrap_err();
    assert!(matches!(e, CrateError::DuplicateFile { name } if name == "A.FASTA"));

    let e = crate_writer.add_records(["VRN00001AK.1", "VRN00002AH .1"]).unwrap_err();
    assert!(
        matches!(e, CrateError::BadRecord { number: 2, ref record, .. } if record == "VRN00002AH .1"),
        "{e}"
    );
    assert!(matches!(crate_writer.add_records(["VRN00001AK.1"]), Err(CrateError::RecordsAlreadyWritten)));
    // Half a records list is in the zip, so the crate cannot be finished as if it were whole.
    assert!(matches!(crate_writer.start_file("b.fasta", "text/x-fasta", "x"), Err(CrateError::Broken)));
    assert!(matches!(crate_writer.finish(), Err(CrateError::Broken)));
}
