//! The hand-written fixtures read in both layouts, plain and in every compression, give the
//! records written out by hand; unknown keys are counted per key.

mod common;

use common::{compress, data, fixture_records, read_all, schema, small_batches};
use virion_import::{Importer, Layout, UnknownKey};

#[test]
fn silo_fixture_gives_the_expected_records() {
    let importer = Importer::silo(schema());
    assert_eq!(importer.layout(), Layout::Silo);
    let mut reader = importer.open(&data("silo.ndjson")).unwrap();
    let records: Vec<_> = reader.by_ref().collect::<Result<_, _>>().unwrap();
    assert_eq!(records, fixture_records());
    let unknown = &reader.unknown_keys().0;
    assert_eq!(unknown.len(), 2, "{unknown:?}");
    // Counted once per line it appears on, with the first such line.
    assert_eq!(unknown["submitter"], UnknownKey { lines: 2, first_line: 2 });
    assert_eq!(unknown["note"], UnknownKey { lines: 1, first_line: 4 });
    assert!(reader.total_bytes().is_some_and(|n| n == reader.bytes_read()));
}

#[test]
fn loculus_fixture_gives_the_same_records() {
    let importer = Importer::loculus(schema());
    let mut reader = importer.open(&data("loculus.ndjson")).unwrap();
    let records: Vec<_> = reader.by_ref().collect::<Result<_, _>>().unwrap();
    assert_eq!(records, fixture_records());
    let unknown = &reader.unknown_keys().0;
    let keys: Vec<&str> = unknown.keys().map(String::as_str).collect();
    assert_eq!(keys, ["metadata.note", "metadata.submitter", "version"]);
    assert_eq!(unknown["metadata.submitter"], UnknownKey { lines: 2, first_line: 2 });
    assert_eq!(unknown["version"], UnknownKey { lines: 1, first_line: 5 });
}

#[test]
fn every_compression_is_detected_from_the_content() {
    for (layout, file) in [(Layout::Silo, "silo.ndjson"), (Layout::Loculus, "loculus.ndjson")] {
        let importer = match layout {
            Layout::Silo => Importer::silo(schema()),
            _ => Importer::loculus(schema()),
        };
        let plain = std::fs::read(data(file)).unwrap();
        for format in
            [niffler::Format::Gzip, niffler::Format::Zstd, niffler::Format::Lzma, niffler::Format::Bzip]
        {
            // A misleading name: detection must not rely on it.
            let records = read_all(&importer, compress(&plain, format), "data.ndjson").unwrap();
            assert_eq!(records, fixture_records(), "{file} as {format:?}");
        }
    }
}

#[test]
fn small_batches_and_many_threads_keep_input_order() {
    let importer = Importer::silo(schema()).with_options(small_batches());
    let plain = std::fs::read(data("silo.ndjson")).unwrap();
    // The fixture 50 times over, with primary keys made unique per copy.
    let mut input = Vec::new();
    for copy in 0..50 {
        let text = String::from_utf8(plain.clone()).unwrap();
        let text = text
            .replace("\"accession\":\"s", &format!("\"accession\":\"c{copy}s"))
            .replace("\"acc\\u0065ssion\":\"s", &format!("\"acc\\u0065ssion\":\"c{copy}s"));
        input.extend(text.into_bytes());
    }
    let records = read_all(&importer, input, "many.ndjson").unwrap();
    assert_eq!(records.len(), 200);
    let lines: Vec<u64> = records.iter().map(|r| r.line).collect();
    let expected: Vec<u64> = (0..50).flat_map(|c| [1, 2, 4, 5].map(|l| c * 5 + l)).collect();
    assert_eq!(lines, expected);
    for (i, r) in records.iter().enumerate() {
        let mut want = fixture_records()[i % 4].clone();
        want.line = r.line;
        want.metadata[0] = r.metadata[0].clone();
        assert_eq!(*r, want);
    }
}

#[test]
fn an_empty_input_has_no_records() {
    for importer in [Importer::silo(schema()), Importer::loculus(schema())] {
        assert!(read_all(&importer, Vec::new(), "empty.ndjson").unwrap().is_empty());
        assert!(read_all(&importer, b"\n\n  \n".to_vec(), "blank.ndjson").unwrap().is_empty());
    }
}

#[test]
fn crlf_line_ends_and_a_missing_last_line_break_are_fine() {
    let importer = Importer::silo(schema());
    let text = std::fs::read_to_string(data("silo.ndjson")).unwrap();
    let crlf = text.replace('\n', "\r\n");
    assert_eq!(read_all(&importer, crlf.into_bytes(), "crlf.ndjson").unwrap(), fixture_records());
    let trimmed = text.trim_end().to_owned();
    assert_eq!(read_all(&importer, trimmed.into_bytes(), "cut.ndjson").unwrap(), fixture_records());
}
