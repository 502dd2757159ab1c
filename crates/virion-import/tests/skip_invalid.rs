//! `ReadOptions::skip_invalid`: each invalid record is handed out as its error (file, line,
//! reason) and reading goes on; without it, the first one ends the input.

mod common;

use std::io::Write;

use common::{schema, small_batches};
use serde_json::{Value as Json, json};
use virion_import::{ImportError, Importer, ReadOptions};

const MAIN: &str = "ATTAAAGGTTTATACCTTCCCAGGTAACAA";

fn line(key: &str) -> Json {
    json!({"accession":key,"date":"2021-03-18","country":"CH","pangoLineage":"B.1","age":1,"reads":2,
           "qcScore":0.5,"isComplete":true,"main":{"sequence":MAIN,"insertions":[]},"unaligned_main":"ACGT",
           "S":{"sequence":"MFVFLVLLPL","insertions":[]},"E":null})
}

/// Twelve lines: bad ones on lines 3 (a type), 6 (a null primary key), 7 (not JSON), 9 (the
/// key of line 1 again) and 11 (a letter); a blank line 10.
fn input() -> String {
    let mut lines: Vec<String> = (1..=12).map(|i| line(&format!("s{i}")).to_string()).collect();
    let mut bad = line("s3");
    bad["age"] = json!("old");
    lines[2] = bad.to_string();
    let mut bad = line("s6");
    bad["accession"] = Json::Null;
    lines[5] = bad.to_string();
    lines[6] = lines[6][..40].to_owned();
    lines[8] = line("s1").to_string();
    lines[9] = String::new();
    let mut bad = line("s11");
    bad["main"]["sequence"] = json!(format!("J{}", &MAIN[1..]));
    lines[10] = bad.to_string();
    lines.join("\n") + "\n"
}

/// Written to a file, so that the reader is the one `virion import` opens.
fn file_with(text: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::Builder::new().suffix(".ndjson").tempfile().unwrap();
    file.write_all(text.as_bytes()).unwrap();
    file
}

fn skipping() -> ReadOptions {
    ReadOptions { skip_invalid: true, ..small_batches() }
}

#[test]
fn invalid_records_are_handed_out_as_errors_and_reading_goes_on() {
    let file = file_with(&input());
    let name = file.path().file_name().unwrap().to_string_lossy().into_owned();
    let importer = Importer::silo(schema()).with_options(skipping());
    let mut reader = importer.open(file.path()).unwrap();
    let (mut loaded, mut skipped) = (Vec::new(), Vec::new());
    for item in reader.by_ref() {
        match item {
            Ok(record) => loaded.push(record.line),
            Err(e) => {
                assert!(e.is_invalid_record(), "{e}");
                skipped.push((e.line().unwrap(), e.to_string()));
            }
        }
    }
    assert_eq!(loaded, [1, 2, 4, 5, 8, 12]);
    let lines: Vec<u64> = skipped.iter().map(|(l, _)| *l).collect();
    assert_eq!(lines, [3, 6, 7, 9, 11]);
    let messages: Vec<&str> = skipped.iter().map(|(_, m)| m.as_str()).collect();
    assert_eq!(messages[0], format!(r#"{name} line 3: field "age": "old" is not a whole number"#));
    assert_eq!(
        messages[1],
        format!(
            r#"{name} line 6: field "accession" is null, but it is the primary key and every record needs one"#
        )
    );
    assert!(messages[2].starts_with(&format!("{name} line 7: not valid JSON")), "{}", messages[2]);
    assert_eq!(messages[3], format!(r#"{name} line 9: primary key "s1" already appeared on line 1"#));
    assert_eq!(
        messages[4],
        format!(r#"{name} line 11: field "main": letter 'J' at position 1 is not a nucleotide symbol"#)
    );
    assert_eq!((reader.valid_records(), reader.invalid_records()), (6, 5));
}

#[test]
fn by_default_the_first_invalid_record_ends_the_input() {
    let importer = Importer::silo(schema()).with_options(small_batches());
    let results: Vec<_> =
        importer.read(std::io::Cursor::new(input().into_bytes()), "input.ndjson").unwrap().collect();
    assert_eq!(results.len(), 3, "two records, then the error, then nothing");
    let e = results[2].as_ref().unwrap_err();
    assert_eq!(e.to_string(), r#"input.ndjson line 3: field "age": "old" is not a whole number"#);
    assert!(!ReadOptions::default().skip_invalid);
}

#[test]
fn a_broken_stream_still_ends_the_input() {
    let mut text = String::new();
    for i in 0..200 {
        text.push_str(&format!("{}\n", line(&format!("t{i}"))));
    }
    let mut packed = common::compress(text.as_bytes(), niffler::Format::Gzip);
    packed.truncate(packed.len() / 2);
    let importer = Importer::silo(schema()).with_options(skipping());
    let results: Vec<_> = importer.read(std::io::Cursor::new(packed), "cut.ndjson.gz").unwrap().collect();
    let errors: Vec<&ImportError> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    // The cut may leave half a line before the break: that one is skipped, the break is not.
    let last = errors.last().expect("an error");
    assert!(matches!(last, ImportError::Read { .. }), "{last}");
    assert!(!last.is_invalid_record());
    assert!(results.last().unwrap().is_err(), "nothing after the break");
}

#[test]
fn null_primary_keys_are_skipped_and_counted_like_any_invalid_record() {
    let loculus = |key: Json| {
        json!({"metadata":{"accession":key,"date":null,"country":null,"pangoLineage":null,"age":null,
                           "reads":null,"qcScore":null,"isComplete":null},
               "alignedNucleotideSequences":{"main":null},"alignedAminoAcidSequences":{"S":null,"E":null}})
    };
    let text = format!("{}\n{}\n{}\n", loculus(Json::Null), loculus(json!("k")), loculus(Json::Null));
    let importer = Importer::loculus(schema()).with_options(skipping());
    let mut reader = importer.read(std::io::Cursor::new(text.into_bytes()), "released.ndjson").unwrap();
    let results: Vec<_> = reader.by_ref().collect();
    assert_eq!(results.len(), 3);
    assert_eq!(
        results[0].as_ref().unwrap_err().to_string(),
        r#"released.ndjson line 1: field "metadata.accession" is null, but it is the primary key and every record needs one"#
    );
    assert_eq!(results[1].as_ref().unwrap().line, 2);
    assert_eq!(results[2].as_ref().unwrap_err().line(), Some(3));
    assert_eq!((reader.valid_records(), reader.invalid_records()), (1, 2));
}
