//! A FASTA reader with Nextclade's leniency and precise error locations.
//!
//! Hand-written rather than noodles-fasta because the rules are Nextclade's, not the format's:
//! blank lines anywhere, CRLF, lowercase, and any character that is not a letter or `*` (gaps,
//! digits, spaces, stray punctuation, non-ASCII bytes) silently dropped from sequence lines; and
//! because errors must name the file and line, which noodles does not track.

use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};

use crate::compression::{OpenError, open_path};

/// One record. Reused across reads: `read` clears it first.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FastaRecord {
    /// The header after `>`, trimmed.
    pub name: String,
    /// Sequence letters, uppercased; only ASCII letters and `*` are kept.
    pub seq: Vec<u8>,
    /// 0-based index of the record in the input.
    pub index: usize,
    /// 1-based line number of the header, for error messages.
    pub line: u64,
}

impl FastaRecord {
    /// Empties the record for reuse, keeping its allocations.
    pub fn clear(&mut self) {
        self.name.clear();
        self.seq.clear();
        self.index = 0;
        self.line = 0;
    }
}

/// A file-level problem; per-record problems (empty sequence, bad letters) are the analyser's.
#[derive(Debug, thiserror::Error)]
pub enum FastaError {
    /// The input could not be opened or decompressed.
    #[error(transparent)]
    Open(#[from] OpenError),
    /// The first non-blank line is not a `>` header, so the input is not FASTA.
    #[error(
        "{path}:{line}: not FASTA: expected a header line starting with '>' but found {found:?}. \
         Is this the right file, and is it plain or gzip/zstd/xz/bzip2-compressed text (not UTF-16)?"
    )]
    NotFasta {
        /// The input as the user named it.
        path: PathBuf,
        /// 1-based line number of the offending line.
        line: u64,
        /// The first 40 characters of that line, lossily decoded, to show what the file holds instead.
        found: String,
    },
    /// A header line is longer than the reader's limit.
    #[error(
        "{path}:{line}: the header line is longer than {limit} bytes, the most taken; shorten the record's name"
    )]
    HeaderTooLong {
        /// The input as the user named it.
        path: PathBuf,
        /// 1-based line number of the header.
        line: u64,
        /// The limit, in bytes.
        limit: usize,
    },
    /// The input, decompressed, is larger than the reader's limit.
    #[error(
        "{path}:{line}: decompressed, the file holds more than {limit} bytes, the most taken in one file; split it"
    )]
    FileTooLarge {
        /// The input as the user named it.
        path: PathBuf,
        /// 1-based line reached.
        line: u64,
        /// The limit, in bytes.
        limit: u64,
    },
    /// A record's sequence is longer than the reader's limit.
    #[error(
        "{path}:{line}: record {name:?} holds more than {limit} bytes of sequence, the most taken for one \
         record here (a few times the reference's length); is it really one genome?"
    )]
    RecordTooLong {
        /// The input as the user named it.
        path: PathBuf,
        /// 1-based line number of the record's header.
        line: u64,
        /// The record's name (its first 100 characters).
        name: String,
        /// The limit, in bytes.
        limit: usize,
    },
    #[error("{path}:{line}: read failed (truncated or damaged file?): {source}")]
    /// Reading failed part way through the file.
    Read {
        /// The input as the user named it.
        path: PathBuf,
        /// 1-based line number reached when the read failed.
        line: u64,
        /// The underlying I/O (or decompression) error.
        #[source]
        source: std::io::Error,
    },
}

/// The most a reader holds in memory for one record: a hostile file (one header of a gigabyte,
/// a billion `N`s) is refused at the limit instead of read whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FastaLimits {
    /// Most bytes of a header line.
    pub header_bytes: usize,
    /// Most sequence bytes of one record, as stored in the file (letters, and the gaps and line
    /// breaks between them).
    pub record_bytes: usize,
    /// Most bytes of the whole input, decompressed: a small compressed file cannot expand
    /// without end.
    pub file_bytes: u64,
}

impl FastaLimits {
    /// No limit (the command line's own files).
    pub const NONE: FastaLimits =
        FastaLimits { header_bytes: usize::MAX, record_bytes: usize::MAX, file_bytes: u64::MAX };
}

impl Default for FastaLimits {
    fn default() -> Self {
        FastaLimits::NONE
    }
}

/// Streams records from any buffered reader.
pub struct FastaReader<R> {
    reader: R,
    path: PathBuf,
    limits: FastaLimits,
    /// Bytes read so far (decompressed).
    consumed: u64,
    /// The line read ahead: the next record's header once a record has been read.
    line: Vec<u8>,
    line_no: u64,
    index: usize,
    started: bool,
}

impl<R> std::fmt::Debug for FastaReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FastaReader").field("path", &self.path).field("line", &self.line_no).finish()
    }
}

impl FastaReader<Box<dyn BufRead + Send>> {
    /// Opens a possibly compressed FASTA file (`-` for stdin).
    pub fn from_path(path: &Path) -> Result<Self, FastaError> {
        Ok(Self::new(open_path(path)?, path))
    }
}

impl<R: BufRead> FastaReader<R> {
    /// `path` is only used to name the input in errors.
    pub fn new(reader: R, path: &Path) -> Self {
        Self {
            reader,
            path: path.to_owned(),
            limits: FastaLimits::NONE,
            consumed: 0,
            line: Vec::new(),
            line_no: 0,
            index: 0,
            started: false,
        }
    }

    /// The same reader, refusing headers and records over `limits`.
    pub fn with_limits(mut self, limits: FastaLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The input's name, as given to [`FastaReader::new`].
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the next line, at most `most` bytes of it (the rest of a longer line stays unread:
    /// the caller sees a line without its `\n` and refuses it).
    fn next_line(&mut self, most: usize) -> Result<bool, FastaError> {
        self.line.clear();
        let mut limited = (&mut self.reader).take(u64::try_from(most).unwrap_or(u64::MAX).saturating_add(1));
        let n = limited.read_until(b'\n', &mut self.line).map_err(|source| FastaError::Read {
            path: self.path.clone(),
            line: self.line_no + 1,
            source,
        })?;
        if n > 0 {
            self.line_no += 1;
        }
        self.consumed += n as u64;
        if self.consumed > self.limits.file_bytes {
            return Err(FastaError::FileTooLarge {
                path: self.path.clone(),
                line: self.line_no,
                limit: self.limits.file_bytes,
            });
        }
        Ok(n > 0)
    }

    /// The most bytes of one line worth reading: a header's limit, or a sequence line as long
    /// as a whole record may be.
    fn line_limit(&self) -> usize {
        self.limits.header_bytes.max(self.limits.record_bytes).saturating_add(2)
    }

    fn header_too_long(&self) -> FastaError {
        FastaError::HeaderTooLong {
            path: self.path.clone(),
            line: self.line_no,
            limit: self.limits.header_bytes,
        }
    }

    /// Reads the next record into `record`. Returns `Ok(false)` at the end of the input.
    pub fn read(&mut self, record: &mut FastaRecord) -> Result<bool, FastaError> {
        record.clear();
        if !self.started {
            self.started = true;
            // Skip blank lines (and a UTF-8 byte-order mark) before the first header.
            loop {
                if !self.next_line(self.line_limit())? {
                    return Ok(false);
                }
                if self.line_no == 1 && self.line.starts_with(b"\xEF\xBB\xBF") {
                    self.line.drain(..3);
                }
                if !self.line.trim_ascii().is_empty() {
                    break;
                }
            }
            if self.line.first() != Some(&b'>') {
                let found = String::from_utf8_lossy(self.line.trim_ascii_end()).chars().take(40).collect();
                return Err(FastaError::NotFasta { path: self.path.clone(), line: self.line_no, found });
            }
        }
        if self.line.first() != Some(&b'>') {
            return Ok(false);
        }
        if self.line.trim_ascii_end().len() > self.limits.header_bytes.saturating_add(1) {
            return Err(self.header_too_long());
        }
        record.name = String::from_utf8_lossy(self.line[1..].trim_ascii()).into_owned();
        record.line = self.line_no;
        record.index = self.index;
        self.index += 1;
        let mut stored = 0usize;
        loop {
            if !self.next_line(self.line_limit())? {
                self.line.clear();
                break;
            }
            if self.line.first() == Some(&b'>') {
                if self.line.trim_ascii_end().len() > self.limits.header_bytes.saturating_add(1) {
                    return Err(self.header_too_long());
                }
                break;
            }
            stored = stored.saturating_add(self.line.trim_ascii_end().len());
            if stored > self.limits.record_bytes {
                return Err(FastaError::RecordTooLong {
                    path: self.path.clone(),
                    line: record.line,
                    name: record.name.chars().take(100).collect(),
                    limit: self.limits.record_bytes,
                });
            }
            record.seq.extend(
                self.line
                    .iter()
                    .filter(|b| b.is_ascii_alphabetic() || **b == b'*')
                    .map(u8::to_ascii_uppercase),
            );
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_and_headers_over_the_limits_are_refused_naming_line_and_record() {
        let limits = FastaLimits { header_bytes: 10, record_bytes: 8, file_bytes: 1000 };
        let read = |data: &[u8]| {
            let mut reader = FastaReader::new(data, Path::new("up.fasta")).with_limits(limits);
            let mut rec = FastaRecord::default();
            let mut n = 0;
            while reader.read(&mut rec)? {
                n += 1;
            }
            Ok::<_, FastaError>(n)
        };
        assert_eq!(read(b">a\nACGT\nACGT\n>b\nAC\n").unwrap(), 2);
        let e = read(b">a\nACGT\n>big\nACGTACGT\nA\n").unwrap_err();
        assert!(
            matches!(e, FastaError::RecordTooLong { line: 3, ref name, limit: 8, .. } if name == "big"),
            "{e}"
        );
        // One endless line: refused at the limit, not read whole.
        let endless = [b">n\n".as_slice(), &[b'N'; 100_000]].concat();
        assert!(matches!(read(&endless).unwrap_err(), FastaError::RecordTooLong { .. }));
        let e = read(b">a-very-long-name\nAC\n").unwrap_err();
        assert!(e.to_string().starts_with("up.fasta:1: the header line is longer than 10 bytes"), "{e}");
        let e = read(b">a\nAC\n>another-long-name\nAC\n").unwrap_err();
        assert!(matches!(e, FastaError::HeaderTooLong { line: 3, .. }), "{e}");
        let many = b">a\nACGT\n".repeat(200);
        assert!(matches!(read(&many).unwrap_err(), FastaError::FileTooLarge { limit: 1000, .. }));
    }

    fn read_all(data: &[u8]) -> Result<Vec<FastaRecord>, FastaError> {
        let mut reader = FastaReader::new(data, Path::new("test.fasta"));
        let mut out = Vec::new();
        let mut rec = FastaRecord::default();
        while reader.read(&mut rec)? {
            out.push(rec.clone());
        }
        Ok(out)
    }

    #[test]
    fn reads_records_with_nextclade_leniency() {
        let recs = read_all(b"\n\n>seq 1 desc \r\nac-gt\r\n\nNN 12 nn*\n>seq2\n>seq3\nuuu").unwrap();
        let names: Vec<_> = recs.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["seq 1 desc", "seq2", "seq3"]);
        assert_eq!(recs[0].seq, b"ACGTNNNN*");
        assert_eq!(recs[0].line, 3);
        assert!(recs[1].seq.is_empty());
        assert_eq!(recs[2].seq, b"UUU");
        assert_eq!(recs[2].index, 2);
        assert_eq!(recs[2].line, 8);
    }

    #[test]
    fn empty_and_blank_inputs_have_no_records() {
        assert!(read_all(b"").unwrap().is_empty());
        assert!(read_all(b"\n \n\t\n").unwrap().is_empty());
    }

    #[test]
    fn non_fasta_names_file_and_line() {
        let err = read_all(b"\nseqname,date\nfoo,2021\n").unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("test.fasta:2: not FASTA"), "{msg}");
        assert!(msg.contains("seqname,date"), "{msg}");
        // UTF-16 text starts with a byte-order mark and interleaved NULs.
        assert!(matches!(read_all(b"\xFF\xFE>\0a\0"), Err(FastaError::NotFasta { line: 1, .. })));
    }

    #[test]
    fn utf8_bom_is_skipped() {
        let recs = read_all(b"\xEF\xBB\xBF>a\nAC\n").unwrap();
        assert_eq!(recs[0].name, "a");
    }

    proptest::proptest! {
        #[test]
        fn never_panics_and_keeps_only_letters(data in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            if let Ok(recs) = read_all(&data) {
                for r in recs {
                    proptest::prop_assert!(r.seq.iter().all(|b| b.is_ascii_uppercase() || *b == b'*'));
                }
            }
        }
    }
}
