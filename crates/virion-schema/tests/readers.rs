//! Every table format and compression yields the same rows; broken inputs give errors that name
//! the file and line.

use std::io::Write;
use std::path::{Path, PathBuf};

use virion_schema::{MetadataReader, ReadError, Row, TableFormat};

const TSV: &str =
    "strain\tdate\tcountry\tauthors\nA/1\t2021-03-05\tDenmark\tDoe, J; Roe, R\nA/2\t2021-03\tusa\t\n";
const CSV: &str =
    "strain,date,country,authors\nA/1,2021-03-05,Denmark,\"Doe, J; Roe, R\"\nA/2,2021-03,usa,\n";
const NDJSON: &str = "{\"strain\":\"A/1\",\"date\":\"2021-03-05\",\"country\":\"Denmark\",\"authors\":[\"Doe, J\",\"Roe, R\"]}\n\
                      {\"strain\":\"A/2\",\"date\":\"2021-03\",\"country\":\"usa\",\"authors\":null}\n";

fn expected() -> Rows {
    let rows = [["A/1", "2021-03-05", "Denmark", "Doe, J; Roe, R"], ["A/2", "2021-03", "usa", ""]];
    rows.iter().enumerate().map(|(i, r)| (i as u64 + 2, r.iter().map(|s| s.to_string()).collect())).collect()
}

/// Rows as (line, cells).
type Rows = Vec<(u64, Vec<String>)>;

fn read_all(path: &Path) -> Result<(TableFormat, Vec<String>, Rows), ReadError> {
    let mut reader = MetadataReader::open(path)?;
    let mut row = Row::default();
    let mut rows = Vec::new();
    while reader.read_row(&mut row)? {
        let mut cells = row.cells().to_vec();
        cells.resize(reader.header().len(), String::new());
        rows.push((row.line, cells));
    }
    Ok((reader.format(), reader.header().to_vec(), rows))
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in members {
        w.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// A minimal XLSX workbook holding `rows` as inline strings (numbers where `numeric` says so).
fn xlsx_of(rows: &[Vec<&str>], numeric: &[(usize, usize, f64)]) -> Vec<u8> {
    let mut sheet = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
    );
    for (r, cells) in rows.iter().enumerate() {
        sheet += &format!("<row r=\"{}\">", r + 1);
        for (c, text) in cells.iter().enumerate() {
            let reference = format!("{}{}", (b'A' + c as u8) as char, r + 1);
            if let Some((_, _, x)) = numeric.iter().find(|(nr, nc, _)| (*nr, *nc) == (r, c)) {
                sheet += &format!("<c r=\"{reference}\"><v>{x}</v></c>");
            } else if !text.is_empty() {
                sheet += &format!("<c r=\"{reference}\" t=\"inlineStr\"><is><t>{text}</t></is></c>");
            }
        }
        sheet += "</row>";
    }
    sheet += "</sheetData></worksheet>";
    zip_of(&[
        (
            "[Content_Types].xml",
            br#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#,
        ),
        (
            "_rels/.rels",
            br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
        ),
        (
            "xl/workbook.xml",
            br#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="metadata" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
        ),
        (
            "xl/_rels/workbook.xml.rels",
            br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#,
        ),
        ("xl/worksheets/sheet1.xml", sheet.as_bytes()),
    ])
}

#[test]
fn every_format_and_compression_reads_the_same_rows() {
    let dir = tempfile::tempdir().unwrap();
    let header: Vec<String> =
        ["strain", "date", "country", "authors"].iter().map(|s| s.to_string()).collect();
    let zstd_tsv = zstd::encode_all(TSV.as_bytes(), 3).unwrap();
    let cases: Vec<(PathBuf, TableFormat)> = vec![
        (write(dir.path(), "m.tsv", TSV.as_bytes()), TableFormat::Tsv),
        (write(dir.path(), "m.csv", CSV.as_bytes()), TableFormat::Csv),
        (write(dir.path(), "m.ndjson", NDJSON.as_bytes()), TableFormat::Ndjson),
        (write(dir.path(), "m.tsv.gz", &gzip(TSV.as_bytes())), TableFormat::Tsv),
        (write(dir.path(), "m.csv.gz", &gzip(CSV.as_bytes())), TableFormat::Csv),
        (write(dir.path(), "m.tsv.zst", &zstd_tsv), TableFormat::Tsv),
        (write(dir.path(), "m.jsonl.gz", &gzip(NDJSON.as_bytes())), TableFormat::Ndjson),
        // No telling name: the content decides.
        (write(dir.path(), "upload-1", TSV.as_bytes()), TableFormat::Tsv),
        (write(dir.path(), "upload-2", CSV.as_bytes()), TableFormat::Csv),
        (write(dir.path(), "upload-3.gz", &gzip(NDJSON.as_bytes())), TableFormat::Ndjson),
        (
            write(dir.path(), "with-bom.csv", &[b"\xEF\xBB\xBF".as_slice(), CSV.as_bytes()].concat()),
            TableFormat::Csv,
        ),
        (write(dir.path(), "m.zip", &zip_of(&[("inner/meta.csv", CSV.as_bytes())])), TableFormat::Csv),
        (write(dir.path(), "m2.zip", &zip_of(&[("meta.tsv", TSV.as_bytes())])), TableFormat::Tsv),
    ];
    for (path, format) in cases {
        let (got_format, got_header, rows) =
            read_all(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(got_format, format, "{}", path.display());
        assert_eq!(got_header, header, "{}", path.display());
        // NDJSON has no header line, so its rows start on line 1.
        let shift = u64::from(format == TableFormat::Ndjson);
        let want: Vec<_> = expected().into_iter().map(|(line, cells)| (line - shift, cells)).collect();
        assert_eq!(rows, want, "{}", path.display());
    }
}

#[test]
fn xlsx_first_sheet_with_numbers_and_dates() {
    let dir = tempfile::tempdir().unwrap();
    let rows = vec![
        vec!["strain", "date", "country", "age"],
        vec!["A/1", "2021-03-05", "Denmark", ""],
        vec!["A/2", "2021-03", "usa", "4.5"],
    ];
    let bytes = xlsx_of(&rows, &[(1, 3, 42.0), (2, 3, 4.5)]);
    for (name, bytes) in [("m.xlsx", bytes.clone()), ("m.xlsx.gz", gzip(&bytes))] {
        let path = write(dir.path(), name, &bytes);
        let (format, header, got) = read_all(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(format, TableFormat::Xlsx);
        assert_eq!(header, ["strain", "date", "country", "age"]);
        assert_eq!(got[0], (2, vec!["A/1".into(), "2021-03-05".into(), "Denmark".into(), "42".into()]));
        assert_eq!(got[1], (3, vec!["A/2".into(), "2021-03".into(), "usa".into(), "4.5".into()]));
    }
}

#[test]
fn ndjson_keys_seen_late_extend_the_header() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "m.ndjson", b"{\"a\":\"1\"}\n\n{\"b\":2,\"a\":\"3\"}\n");
    let (_, header, rows) = read_all(&path).unwrap();
    assert_eq!(header, ["a", "b"]);
    // The first row was read before "b" was known.
    assert_eq!(rows, vec![(1, vec!["1".into()]), (3, vec!["3".into(), "2".into()])]);
}

fn error_of(name: &str, bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), name, bytes);
    let err = read_all(&path).expect_err(name).to_string();
    assert!(err.contains(name), "the error names the file: {err}");
    err
}

#[test]
fn wrong_encodings_name_file_and_line() {
    let latin1 = b"strain\tcountry\nA/1\tDenmark\nA/2\tC\xf4te d'Ivoire\n";
    let e = error_of("latin1.tsv", latin1);
    assert!(
        e.contains("line 3") && e.contains("character 6") && e.contains("0xF4") && e.contains("UTF-8"),
        "{e}"
    );

    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain("strain\tcountry\n".encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let e = error_of("utf16.tsv", &utf16);
    assert!(e.contains("line 1") && e.contains("UTF-16"), "{e}");

    let utf16_no_bom: Vec<u8> = "strain\tcountry\n".encode_utf16().flat_map(u16::to_le_bytes).collect();
    let e = error_of("utf16-nobom.tsv", &utf16_no_bom);
    assert!(e.contains("NUL"), "{e}");
}

#[test]
fn damaged_inputs_are_errors_not_short_tables() {
    // Enough rows that the cut falls well inside the compressed data.
    let big: String = std::iter::once("strain\tdate\n".to_owned())
        .chain((0..5000).map(|i| format!("s{i}\t2021-01-01\n")))
        .collect();
    let gz = gzip(big.as_bytes());
    let e = error_of("cut.tsv.gz", &gz[..gz.len() / 2]);
    assert!(e.contains("truncated or damaged"), "{e}");

    let e = error_of("bad.ndjson", b"{\"a\":1}\n{\"a\":\n");
    assert!(e.contains("line 2") && e.contains("invalid JSON"), "{e}");
    let e = error_of("array.ndjson", b"[1,2]\n");
    assert!(e.contains("line 1") && e.contains("JSON object"), "{e}");
    let e = error_of("empty.tsv", b"");
    assert!(e.contains("empty"), "{e}");
    let e = error_of("two.zip", &zip_of(&[("a.tsv", TSV.as_bytes()), ("b.tsv", TSV.as_bytes())]));
    assert!(e.contains("exactly one"), "{e}");
    let e = error_of("unclosed.csv", b"a,b\n1,\"2\n");
    assert!(e.contains("line 2") && e.contains("never closed"), "{e}");
}

#[test]
fn from_reader_streams_an_upload() {
    let reader = Box::new(std::io::Cursor::new(CSV.as_bytes().to_vec()));
    let mut table =
        MetadataReader::from_reader(reader, "upload.csv", TableFormat::from_name("upload.csv")).unwrap();
    let mut row = Row::default();
    let mut n = 0;
    while table.read_row(&mut row).unwrap() {
        n += 1;
    }
    assert_eq!((table.format(), n), (TableFormat::Csv, 2));
    assert_eq!(TableFormat::from_name("META.TSV.ZST"), Some(TableFormat::Tsv));
    assert_eq!(TableFormat::from_name("x.bin"), None);
}

/// A workbook whose sheet unpacks to far more than a spreadsheet may take (a zip bomb: 96 MiB of
/// XML in a few hundred kilobytes) is refused by its declared size, before it is unpacked.
#[test]
fn xlsx_bombs_are_refused_before_unpacking() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    w.start_file("xl/workbook.xml", zip::write::SimpleFileOptions::default()).unwrap();
    w.write_all(br#"<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>"#).unwrap();
    w.start_file("xl/worksheets/sheet1.xml", zip::write::SimpleFileOptions::default()).unwrap();
    let block = vec![b' '; 1 << 20];
    for _ in 0..96 {
        w.write_all(&block).unwrap();
    }
    let bomb = w.finish().unwrap().into_inner();
    assert!(bomb.len() < 1 << 20, "{} bytes", bomb.len());
    let path = write(dir.path(), "bomb.xlsx", &bomb);
    match read_all(&path) {
        Err(ReadError::XlsxTooLarge { file, bytes, limit }) => {
            assert!(file.ends_with("bomb.xlsx"), "{file}");
            assert!(bytes > 96 << 20, "{bytes}");
            assert_eq!(limit, virion_schema::MAX_XLSX_UNPACKED);
        }
        other => panic!("not refused by size: {other:?}"),
    }
}
