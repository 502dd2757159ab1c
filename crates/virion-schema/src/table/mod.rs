//! Metadata tables as rows of text: TSV, CSV, NDJSON or XLSX, each possibly compressed
//! (gzip, zstd, xz, bzip2) or inside a zip. TSV, CSV and NDJSON are read row by row in bounded
//! memory; the format comes from the file name, or from the content when the name does not say.

mod delimited;
mod lines;
pub use lines::MAX_LINE_BYTES;
pub use xlsx::MAX_XLSX_UNPACKED;
mod ndjson;
mod xlsx;

use std::fs::File;
use std::io::{BufRead, Cursor, Read};
use std::path::Path;

use serde::Serialize;

use delimited::DelimitedReader;
use lines::LineSource;
use ndjson::NdjsonReader;
use xlsx::XlsxReader;

/// A table format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TableFormat {
    /// Tab-separated values.
    Tsv,
    /// Comma-separated values.
    Csv,
    /// One JSON object per line, keys naming the columns.
    Ndjson,
    /// An Excel workbook; the first sheet is read.
    Xlsx,
}

impl TableFormat {
    /// The format a file name announces, looking through compression suffixes
    /// (`meta.tsv.zst` → TSV).
    pub fn from_name(name: &str) -> Option<Self> {
        let lower = name.to_ascii_lowercase();
        let mut stem = lower.as_str();
        for suffix in [".gz", ".zst", ".xz", ".bz2", ".zip"] {
            if let Some(s) = stem.strip_suffix(suffix) {
                stem = s;
            }
        }
        let ext = stem.rsplit_once('.').map(|(_, e)| e)?;
        match ext {
            "tsv" | "tab" | "txt" => Some(Self::Tsv),
            "csv" => Some(Self::Csv),
            "ndjson" | "jsonl" | "json" => Some(Self::Ndjson),
            "xlsx" => Some(Self::Xlsx),
            _ => None,
        }
    }
}

/// Why a metadata table could not be read. Each names the file and, where known, the line.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file could not be opened or decompressed.
    #[error(transparent)]
    Open(#[from] virion_io::OpenError),
    /// Reading failed part way through.
    #[error(
        "cannot read {file} after line {after_line}: {source} (is the compressed file truncated or damaged?)"
    )]
    Io {
        /// The file's name.
        file: String,
        /// The last line read completely.
        after_line: u64,
        /// The underlying I/O or decompression error.
        #[source]
        source: std::io::Error,
    },
    /// More rows than the reader's caller takes.
    #[error("{file}: more than {limit} rows, the most taken in one submission; split it into several")]
    TooManyRows {
        /// The file's name.
        file: String,
        /// The limit.
        limit: u64,
    },
    /// A line longer than [`lines::MAX_LINE_BYTES`]: no row of metadata is that long.
    #[error(
        "{file}, line {line}: the line is longer than {limit} bytes, the most one row of metadata may take"
    )]
    LineTooLong {
        /// The file's name.
        file: String,
        /// 1-based number of the line.
        line: u64,
        /// The limit, in bytes.
        limit: usize,
    },
    /// A line that is not UTF-8 text (or is UTF-16).
    #[error("{file}, line {line}: {problem}")]
    Encoding {
        /// The file's name.
        file: String,
        /// 1-based line number.
        line: u64,
        /// What is wrong, and how to fix it.
        problem: String,
    },
    /// A line that breaks the format's rules (unclosed quote, invalid JSON, ...).
    #[error("{file}, line {line}: {problem}")]
    Syntax {
        /// The file's name.
        file: String,
        /// 1-based line number (sheet row for XLSX).
        line: u64,
        /// What is wrong, and how to fix it.
        problem: String,
    },
    /// An XLSX workbook that unpacks to more than [`MAX_XLSX_UNPACKED`] bytes: its
    /// sheet is read whole into memory, so a larger one must come as TSV or CSV.
    #[error(
        "{file}: the workbook unpacks to {bytes} bytes, more than the {limit} a spreadsheet may take; submit the table as TSV or CSV (streamed, no such limit)"
    )]
    XlsxTooLarge {
        /// The file's name.
        file: String,
        /// What its parts declare, unpacked.
        bytes: u64,
        /// The limit.
        limit: u64,
    },
    /// An XLSX file that calamine cannot read.
    #[error("{file}: not a readable XLSX workbook: {source}")]
    Xlsx {
        /// The file's name.
        file: String,
        /// calamine's error.
        #[source]
        source: Box<calamine::XlsxError>,
    },
    /// A zip archive that cannot be read, or does not hold exactly one table.
    #[error("{file}: {problem}")]
    Zip {
        /// The file's name.
        file: String,
        /// What is wrong, and how to fix it.
        problem: String,
    },
    /// No header line: the file is empty or blank.
    #[error("{file}: the table is empty; the first line must name the columns")]
    NoHeader {
        /// The file's name.
        file: String,
    },
}

/// One data row: its 1-based line (sheet row for XLSX) and its cells. Cell buffers are reused
/// from row to row.
#[derive(Debug, Clone, Default)]
pub struct Row {
    /// 1-based line of the row in the file (sheet row for XLSX).
    pub line: u64,
    cells: Vec<String>,
    used: usize,
}

impl Row {
    /// The row's cells, in column order.
    pub fn cells(&self) -> &[String] {
        &self.cells[..self.used]
    }

    /// The cell in column `index`; empty past the end of a short row.
    pub fn cell(&self, index: usize) -> &str {
        self.cells().get(index).map_or("", String::as_str)
    }

    /// Empties the row for reuse, keeping the cell buffers.
    pub fn clear(&mut self) {
        self.used = 0;
    }

    /// Appends a cell holding `text`, reusing a buffer when one is free.
    pub fn push_cell(&mut self, text: &str) {
        if self.used == self.cells.len() {
            self.cells.push(String::new());
        }
        let cell = &mut self.cells[self.used];
        cell.clear();
        cell.push_str(text);
        self.used += 1;
    }
}

enum Inner {
    Delimited(DelimitedReader),
    Ndjson(NdjsonReader),
    Xlsx(XlsxReader),
}

/// Reads a metadata table: [`header`](Self::header) then [`read_row`](Self::read_row) until it
/// returns `false`.
pub struct MetadataReader {
    format: TableFormat,
    header: Vec<String>,
    inner: Inner,
    /// The first data row of NDJSON, read early to learn the header.
    pending: Option<Row>,
}

impl std::fmt::Debug for MetadataReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetadataReader").field("format", &self.format).field("header", &self.header).finish()
    }
}

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";

/// How much of a text input is inspected to guess its format.
const HEAD_LIMIT: u64 = 1 << 16;

impl MetadataReader {
    /// Opens a metadata file of any supported format and compression.
    pub fn open(path: &Path) -> Result<Self, ReadError> {
        let file_label = path.display().to_string();
        let mut magic = [0u8; 4];
        let is_zip =
            File::open(path).and_then(|mut f| f.read_exact(&mut magic)).is_ok_and(|()| magic == ZIP_MAGIC);
        if is_zip {
            let file = File::open(path)
                .map_err(|source| virion_io::OpenError::Io { path: path.to_owned(), source })?;
            return Self::open_zip(file, file_label);
        }
        let reader = virion_io::open_path(path)?;
        Self::from_reader(reader, &file_label, TableFormat::from_name(&file_label))
    }

    /// Reads an already decompressed stream (for example an upload); `file` names it in errors and
    /// `hint` is the format its name announces, if any.
    pub fn from_reader(
        mut reader: Box<dyn BufRead + Send>,
        file: &str,
        hint: Option<TableFormat>,
    ) -> Result<Self, ReadError> {
        let io = |source| ReadError::Io { file: file.to_owned(), after_line: 0, source };
        // A decompressor may hand out only a few bytes per read, so gather the first line (up to
        // a limit) before guessing, then put those bytes back in front of the stream.
        let mut head = Vec::new();
        (&mut reader).take(HEAD_LIMIT).read_until(b'\n', &mut head).map_err(io)?;
        let mut reader: Box<dyn BufRead + Send> = Box::new(Cursor::new(head.clone()).chain(reader));
        if head.starts_with(ZIP_MAGIC) {
            // A zip inside a compressed file: zip needs seeking, so hold it in memory.
            let mut bytes = Vec::new();
            reader.read_to_end(&mut bytes).map_err(io)?;
            return Self::open_zip(Cursor::new(bytes), file.to_owned());
        }
        let format = match hint {
            Some(TableFormat::Xlsx) | None => sniff_text_format(&head),
            Some(format) => format,
        };
        let lines = LineSource::new(reader, file.to_owned());
        let inner = match format {
            TableFormat::Tsv => Inner::Delimited(DelimitedReader::new(lines, '\t')),
            TableFormat::Csv => Inner::Delimited(DelimitedReader::new(lines, ',')),
            TableFormat::Ndjson | TableFormat::Xlsx => Inner::Ndjson(NdjsonReader::new(lines)),
        };
        Self::start(format, inner)
    }

    fn open_zip<RS: Read + std::io::Seek>(source: RS, file: String) -> Result<Self, ReadError> {
        let zip_error = |problem: String| ReadError::Zip { file: file.clone(), problem };
        let mut archive = zip::ZipArchive::new(source)
            .map_err(|e| zip_error(format!("not a readable zip archive: {e}")))?;
        if archive.index_for_name("xl/workbook.xml").is_some() {
            let source = archive.into_inner();
            return Self::start(TableFormat::Xlsx, Inner::Xlsx(XlsxReader::new(source, file.clone())?));
        }
        let members: Vec<String> = archive
            .file_names()
            .filter_map(Result::ok)
            .filter(|n| !n.ends_with('/') && !n.starts_with("__MACOSX/"))
            .map(|n| n.into_owned())
            .collect();
        let [member] = members.as_slice() else {
            return Err(zip_error(format!(
                "a zip must hold exactly one TSV, CSV or NDJSON table (or be an XLSX workbook); it holds {}",
                members.len()
            )));
        };
        // Spool the member to an unnamed temporary file so it streams like any other input
        // without holding it in memory.
        let mut spool =
            tempfile::tempfile().map_err(|e| zip_error(format!("cannot create a temporary file: {e}")))?;
        let mut entry =
            archive.by_name(member).map_err(|e| zip_error(format!("cannot read '{member}': {e}")))?;
        std::io::copy(&mut entry, &mut spool)
            .map_err(|e| zip_error(format!("cannot extract '{member}': {e}")))?;
        drop(entry);
        let label = format!("{file}:{member}");
        std::io::Seek::rewind(&mut spool)
            .map_err(|e| zip_error(format!("cannot rewind the extracted table: {e}")))?;
        let reader = virion_io::decompress(Box::new(spool), Path::new(&label))?;
        Self::from_reader(reader, &label, TableFormat::from_name(member))
    }

    fn start(format: TableFormat, mut inner: Inner) -> Result<Self, ReadError> {
        let mut first = Row::default();
        let got = match &mut inner {
            Inner::Delimited(r) => r.read(&mut first)?,
            Inner::Xlsx(r) => r.read(&mut first)?,
            Inner::Ndjson(r) => r.read(&mut first)?,
        };
        let file = match &inner {
            Inner::Delimited(r) => r.file(),
            Inner::Xlsx(r) => r.file(),
            Inner::Ndjson(r) => r.file(),
        };
        if !got {
            return Err(ReadError::NoHeader { file: file.to_owned() });
        }
        let (header, pending) = match &inner {
            Inner::Ndjson(r) => (r.header().cloned().collect(), Some(first)),
            _ => (first.cells().iter().map(|c| c.trim().to_owned()).collect(), None),
        };
        Ok(Self { format, header, inner, pending })
    }

    /// The format being read.
    pub fn format(&self) -> TableFormat {
        self.format
    }

    /// The column names. For NDJSON it grows when a line brings a key not seen before.
    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// The name used for this input in messages.
    pub fn file(&self) -> &str {
        match &self.inner {
            Inner::Delimited(r) => r.file(),
            Inner::Xlsx(r) => r.file(),
            Inner::Ndjson(r) => r.file(),
        }
    }

    /// Fills `row` with the next data row; `false` at the end.
    pub fn read_row(&mut self, row: &mut Row) -> Result<bool, ReadError> {
        if let Some(pending) = self.pending.take() {
            *row = pending;
            return Ok(true);
        }
        match &mut self.inner {
            Inner::Delimited(r) => r.read(row),
            Inner::Xlsx(r) => r.read(row),
            Inner::Ndjson(r) => {
                let got = r.read(row)?;
                if got && r.header_len() > self.header.len() {
                    self.header.extend(r.header().skip(self.header.len()).cloned());
                }
                Ok(got)
            }
        }
    }
}

/// Guesses a text format from its first bytes: `{` starts NDJSON, a tab in the first line TSV,
/// otherwise CSV.
fn sniff_text_format(head: &[u8]) -> TableFormat {
    let text = head.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(head);
    let first_line = text.split(|&b| b == b'\n').next().unwrap_or_default();
    if text.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
        TableFormat::Ndjson
    } else if first_line.contains(&b'\t') || !first_line.contains(&b',') {
        TableFormat::Tsv
    } else {
        TableFormat::Csv
    }
}
