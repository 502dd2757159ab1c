//! Every supported compression reads back to the same records, and damage is reported by path.

use std::io::Write;

use virion_io::{FastaError, FastaReader, FastaRecord};

const TEXT: &[u8] = b">a\nACGT\n>b\nGG\n";

fn names(path: &std::path::Path) -> Result<Vec<String>, FastaError> {
    let mut reader = FastaReader::from_path(path)?;
    let mut rec = FastaRecord::default();
    let mut out = Vec::new();
    while reader.read(&mut rec)? {
        out.push(format!("{}={}", rec.name, String::from_utf8_lossy(&rec.seq)));
    }
    Ok(out)
}

#[test]
fn plain_gzip_and_zstd_read_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("x.fasta");
    std::fs::write(&plain, TEXT).unwrap();
    let gz = dir.path().join("x.fasta.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(TEXT).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    let zst = dir.path().join("x.fasta.zst");
    std::fs::write(&zst, zstd::encode_all(TEXT, 3).unwrap()).unwrap();
    let expected = vec!["a=ACGT".to_owned(), "b=GG".to_owned()];
    assert_eq!(names(&plain).unwrap(), expected);
    assert_eq!(names(&gz).unwrap(), expected);
    assert_eq!(names(&zst).unwrap(), expected);
}

#[test]
fn truncated_gzip_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("cut.fasta.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    for i in 0..2000 {
        writeln!(enc, ">s{i}\nACGTACGTACGTTTGACCA").unwrap();
    }
    let bytes = enc.finish().unwrap();
    std::fs::write(&gz, &bytes[..bytes.len() / 2]).unwrap();
    let err = names(&gz).unwrap_err().to_string();
    assert!(err.contains("cut.fasta.gz"), "{err}");
}

#[test]
fn missing_file_is_an_error_naming_the_file() {
    let err = names(std::path::Path::new("/nonexistent/x.fa")).unwrap_err().to_string();
    assert!(err.contains("/nonexistent/x.fa"), "{err}");
}
