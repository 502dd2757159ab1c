//! The reference sequence: a FASTA file with exactly one record.

use std::path::Path;

use virion_core::Nuc;

use crate::DatasetError;

/// A reference genome's name (the header up to the first whitespace) and letters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// The FASTA header up to the first whitespace.
    pub name: String,
    /// The whole FASTA header, description included (Nextclade's `refName`).
    pub header: String,
    /// The genome's letters, upper-cased.
    pub seq: Vec<Nuc>,
}

/// Parses FASTA text holding one record; letters are upper-cased, `U` reads as `T`, whitespace
/// inside the sequence is skipped. `path` only labels errors.
pub fn parse_reference_fasta(content: &str, path: &Path) -> Result<Reference, DatasetError> {
    let err = |why: String| DatasetError::Reference { path: path.to_owned(), why };
    let mut name: Option<String> = None;
    let mut header_line = String::new();
    let mut seq = Vec::new();
    for (i, line) in content.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if let Some(header) = line.strip_prefix('>') {
            if name.is_some() {
                return Err(err(format!(
                    "expected exactly one record, found a second header at line {}",
                    i + 1
                )));
            }
            name = Some(header.split_whitespace().next().unwrap_or("").to_owned());
            header_line = header.trim().to_owned();
            continue;
        }
        if line.trim().is_empty() || line.starts_with(';') {
            continue;
        }
        if name.is_none() {
            return Err(err(format!("line {} holds sequence before any '>' header", i + 1)));
        }
        for (col, b) in line.bytes().enumerate() {
            if b.is_ascii_whitespace() {
                continue;
            }
            let nuc = Nuc::from_byte(b).ok_or_else(|| {
                err(format!("invalid nucleotide '{}' at line {}, column {}", b as char, i + 1, col + 1))
            })?;
            seq.push(nuc);
        }
    }
    let name = name.ok_or_else(|| err("no FASTA record found".to_owned()))?;
    if seq.is_empty() {
        return Err(err(format!("record '{name}' has an empty sequence")));
    }
    Ok(Reference { name, header: header_line, seq })
}

/// Reads a reference FASTA file.
pub fn read_reference_fasta(path: &Path) -> Result<Reference, DatasetError> {
    let content =
        std::fs::read_to_string(path).map_err(|source| DatasetError::Io { path: path.to_owned(), source })?;
    parse_reference_fasta(&content, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use virion_core::nuc_to_string;

    #[test]
    fn one_record_upper_cased() {
        let r = parse_reference_fasta(">ref desc\nacgu\nNN-\n", Path::new("r.fa")).unwrap();
        assert_eq!((r.name.as_str(), r.header.as_str()), ("ref", "ref desc"));
        assert_eq!(nuc_to_string(&r.seq), "ACGTNN-");
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let p = Path::new("r.fa");
        let e = parse_reference_fasta(">a\nAC\n>b\nGT\n", p).unwrap_err().to_string();
        assert!(e.contains("r.fa") && e.contains("second header at line 3"), "{e}");
        let e = parse_reference_fasta(">a\nACXZ\n", p).unwrap_err().to_string();
        assert!(e.contains("invalid nucleotide 'X' at line 2, column 3"), "{e}");
        assert!(parse_reference_fasta("", p).unwrap_err().to_string().contains("no FASTA record"));
        assert!(parse_reference_fasta(">a\n", p).unwrap_err().to_string().contains("empty sequence"));
    }
}
