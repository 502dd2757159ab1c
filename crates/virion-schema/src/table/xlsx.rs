//! The first worksheet of an XLSX workbook as rows of text. The sheet is held in memory (the
//! format is a zip of XML and cannot be streamed row by row); spreadsheets are the small-upload
//! path, bounded by their unpacked size ([`MAX_XLSX_UNPACKED`]).

use std::io::{Read, Seek, SeekFrom};

use calamine::{Data, Reader, Xlsx};

use super::{ReadError, Row};

/// Most bytes an XLSX workbook may unpack to (every part together). A sheet of 64 MiB of XML
/// holds some 100,000 rows of metadata; in memory it takes several times that.
pub const MAX_XLSX_UNPACKED: u64 = 64 << 20;

/// The sum of the unpacked sizes the zip's parts declare (in its central directory), read
/// before anything is unpacked. The zip reader refuses a part that unpacks to more than it
/// declares, so a lying size cannot get past the limit.
fn unpacked_size<RS: Read + Seek>(source: &mut RS, file: &str) -> Result<u64, ReadError> {
    let not_zip = |e: zip::result::ZipError| ReadError::Syntax {
        file: file.to_owned(),
        line: 0,
        problem: format!("not an XLSX workbook (a zip archive): {e}"),
    };
    let mut archive = zip::ZipArchive::new(&mut *source).map_err(not_zip)?;
    let mut total = 0u64;
    for i in 0..archive.len() {
        total = total.saturating_add(archive.by_index_raw(i).map_err(not_zip)?.size());
    }
    Ok(total)
}

pub(crate) struct XlsxReader {
    file: String,
    rows: Vec<(u64, Vec<String>)>,
    next: usize,
}

impl XlsxReader {
    pub(crate) fn new<RS: Read + Seek>(source: RS, file: String) -> Result<Self, ReadError> {
        let xlsx_error = |e: calamine::XlsxError| ReadError::Xlsx { file: file.clone(), source: Box::new(e) };
        let mut source = source;
        let bytes = unpacked_size(&mut source, &file)?;
        if bytes > MAX_XLSX_UNPACKED {
            return Err(ReadError::XlsxTooLarge { file, bytes, limit: MAX_XLSX_UNPACKED });
        }
        let rewind = |e: std::io::Error| ReadError::Io { file: file.clone(), after_line: 0, source: e };
        source.seek(SeekFrom::Start(0)).map_err(rewind)?;
        let mut workbook: Xlsx<RS> = Xlsx::new(source).map_err(xlsx_error)?;
        let range = match workbook.worksheet_range_at(0) {
            Some(range) => range.map_err(xlsx_error)?,
            None => {
                return Err(ReadError::Syntax {
                    file,
                    line: 0,
                    problem: "the workbook has no worksheet".into(),
                });
            }
        };
        let first_row = range.start().map_or(0, |(r, _)| u64::from(r));
        let first_col = range.start().map_or(0, |(_, c)| c as usize);
        let rows = range
            .rows()
            .enumerate()
            .map(|(i, cells)| {
                // Columns left of the used range are empty; keep them so letters stay aligned.
                let mut text = vec![String::new(); first_col];
                text.extend(cells.iter().map(cell_text));
                while text.last().is_some_and(String::is_empty) {
                    text.pop();
                }
                (first_row + i as u64 + 1, text)
            })
            .filter(|(_, cells)| !cells.is_empty())
            .collect();
        Ok(Self { file, rows, next: 0 })
    }

    pub(crate) fn file(&self) -> &str {
        &self.file
    }

    pub(crate) fn read(&mut self, row: &mut Row) -> Result<bool, ReadError> {
        let Some((line, cells)) = self.rows.get(self.next) else { return Ok(false) };
        self.next += 1;
        row.clear();
        row.line = *line;
        for cell in cells {
            row.push_cell(cell);
        }
        Ok(true)
    }
}

/// Spreadsheet cells as a submitter would have typed them: whole numbers without ".0", dates as
/// YYYY-MM-DD.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.trim().to_owned(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) if dt.is_datetime() => {
            let (y, m, d, hh, mm, ss, _) = dt.to_ymd_hms_milli();
            if (hh, mm, ss) == (0, 0, 0) {
                format!("{y:04}-{m:02}-{d:02}")
            } else {
                format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}")
            }
        }
        Data::DateTime(dt) => dt.as_f64().to_string(),
        Data::Error(e) => e.to_string(),
    }
}
