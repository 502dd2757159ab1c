//! Hostile metadata: arbitrary bytes and table-shaped text in every format hint, validated
//! against the SARS-CoV-2 schema. Each must read, or fail with a `ReadError` naming the file;
//! none may panic. `PROPTEST_CASES` raises the number of cases for a long run off CI.

use std::io::{BufRead, Cursor};

use proptest::prelude::*;
use virion_schema::{MetadataReader, OrganismRegistry, TableFormat, Validator, validate_reader};

fn validate(bytes: Vec<u8>, hint: Option<TableFormat>) {
    let registry = OrganismRegistry::builtin();
    let config = registry.get("sars-cov-2").expect("the built-in organism");
    let reader: Box<dyn BufRead + Send> = Box::new(Cursor::new(bytes));
    match MetadataReader::from_reader(reader, "upload.tsv", hint) {
        Ok(reader) => {
            let validator = Validator::new(config, "upload.tsv").with_max_rows(1000);
            if let Err(e) = validate_reader(reader, validator, |_| {}) {
                assert!(e.to_string().contains("upload.tsv"), "{e}");
            }
        }
        Err(e) => assert!(e.to_string().contains("upload.tsv"), "{e}"),
    }
}

fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("\"".to_owned()),
        Just("\"a\"\"b\"".to_owned()),
        Just("2021-02-30".to_owned()),
        Just("Zürich".to_owned()),
        Just("1e400".to_owned()),
        Just("{\"a\":".to_owned()),
        Just("\u{feff}".to_owned()),
        Just("\r".to_owned()),
        any::<String>(),
        "[a-zA-Z0-9 ,;/.-]{0,12}".prop_map(|s| s),
    ]
}

fn table_shaped() -> impl Strategy<Value = Vec<u8>> {
    let sep = prop_oneof![Just('\t'), Just(','), Just(';')];
    (sep, prop::collection::vec(prop::collection::vec(cell(), 0..6), 0..8)).prop_map(|(sep, rows)| {
        let header = "submissionId\tdate\tcountry\tauthors".replace('\t', &sep.to_string());
        let mut text = header + "\n";
        for row in rows {
            text += &row.join(&sep.to_string());
            text.push('\n');
        }
        text.into_bytes()
    })
}

fn hint() -> impl Strategy<Value = Option<TableFormat>> {
    prop_oneof![
        Just(None),
        Just(Some(TableFormat::Tsv)),
        Just(Some(TableFormat::Csv)),
        Just(Some(TableFormat::Ndjson)),
        Just(Some(TableFormat::Xlsx)),
    ]
}

proptest! {
    #[test]
    fn any_bytes_are_read_or_refused(bytes in prop::collection::vec(any::<u8>(), 0..600), hint in hint()) {
        validate(bytes, hint);
    }

    #[test]
    fn table_shaped_text_is_read_or_refused(bytes in table_shaped(), hint in hint()) {
        validate(bytes, hint);
    }

    #[test]
    fn ndjson_shaped_text_is_read_or_refused(lines in prop::collection::vec(cell(), 0..8)) {
        let text: String = lines.iter().map(|l| format!("{{\"submissionId\": {l:?}, \"date\": {l}}}\n")).collect();
        validate(text.into_bytes(), Some(TableFormat::Ndjson));
    }
}
