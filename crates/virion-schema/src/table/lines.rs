//! Physical lines of a text table, checked to be UTF-8 as they are read, so that a wrongly
//! encoded file is reported at its first bad line rather than as garbled values.

use std::io::{BufRead, Read};

use super::ReadError;

/// The longest line of a metadata table: far more than any row of metadata needs, and what
/// bounds the memory one row (its cells and their count) can take.
pub const MAX_LINE_BYTES: usize = 4 << 20;

/// Reads one line at a time into a reused buffer.
pub(crate) struct LineSource {
    reader: Box<dyn BufRead + Send>,
    pub(crate) file: String,
    /// 1-based number of the line last read.
    pub(crate) line: u64,
    buf: Vec<u8>,
    /// Where the text starts in `buf` (after a byte-order mark).
    start: usize,
}

impl LineSource {
    pub(crate) fn new(reader: Box<dyn BufRead + Send>, file: String) -> Self {
        Self { reader, file, line: 0, buf: Vec::with_capacity(1024), start: 0 }
    }

    /// Reads the next line (without its line ending) for [`current`](Self::current); `false` at
    /// the end of the input.
    pub(crate) fn next_line(&mut self) -> Result<bool, ReadError> {
        self.buf.clear();
        let mut limited = (&mut self.reader).take(MAX_LINE_BYTES as u64 + 1);
        let n = limited.read_until(b'\n', &mut self.buf).map_err(|source| ReadError::Io {
            file: self.file.clone(),
            after_line: self.line,
            source,
        })?;
        if n == 0 {
            self.start = self.buf.len();
            return Ok(false);
        }
        self.line += 1;
        if n > MAX_LINE_BYTES {
            // Stopped at the limit, the rest of the line unread.
            return Err(ReadError::LineTooLong {
                file: self.file.clone(),
                line: self.line,
                limit: MAX_LINE_BYTES,
            });
        }
        while matches!(self.buf.last(), Some(b'\n' | b'\r')) {
            self.buf.pop();
        }
        let mut start = 0;
        if self.line == 1 {
            if self.buf.starts_with(&[0xFF, 0xFE]) || self.buf.starts_with(&[0xFE, 0xFF]) {
                return Err(self.encoding_error("the file is UTF-16 encoded; save it as UTF-8".into()));
            }
            if self.buf.starts_with(&[0xEF, 0xBB, 0xBF]) {
                start = 3;
            }
        }
        let bytes = &self.buf[start..];
        if bytes.contains(&0) {
            return Err(self.encoding_error(
                "the line contains NUL bytes: the file is binary or UTF-16 encoded; save it as UTF-8 text"
                    .into(),
            ));
        }
        match std::str::from_utf8(bytes) {
            Ok(_) => {}
            Err(e) => {
                let good = &bytes[..e.valid_up_to()];
                let column = String::from_utf8_lossy(good).chars().count() + 1;
                let bad = bytes[e.valid_up_to()];
                return Err(self.encoding_error(format!(
                    "character {column}: byte 0x{bad:02X} is not valid UTF-8 (the file looks like Latin-1 or \
                     Windows-1252 text); save it as UTF-8"
                )));
            }
        }
        self.start = start;
        Ok(true)
    }

    /// The line last read, checked to be UTF-8 by [`next_line`](Self::next_line).
    pub(crate) fn current(&self) -> &str {
        std::str::from_utf8(&self.buf[self.start..]).unwrap_or_default()
    }

    fn encoding_error(&self, problem: String) -> ReadError {
        ReadError::Encoding { file: self.file.clone(), line: self.line, problem }
    }
}
