//! Any bytes as an uploaded metadata table (TSV, CSV, NDJSON, or a zip holding one, or an XLSX
//! workbook, as the reader sniffs them): rows or an error naming file and line, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use virion_schema::{MetadataReader, Row};

fuzz_target!(|bytes: &[u8]| {
    let input: Box<dyn std::io::BufRead + Send> = Box::new(std::io::Cursor::new(bytes.to_vec()));
    let Ok(mut reader) = MetadataReader::from_reader(input, "fuzz.tsv", None) else { return };
    let mut row = Row::default();
    while let Ok(true) = reader.read_row(&mut row) {}
});
