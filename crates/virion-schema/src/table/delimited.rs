//! TSV and CSV rows, read one at a time. A cell may be quoted (`"a, b"`, `""` for a quote) and
//! then span lines.

use super::lines::LineSource;
use super::{ReadError, Row};

pub(crate) struct DelimitedReader {
    lines: LineSource,
    delimiter: char,
    cell: String,
}

impl DelimitedReader {
    pub(crate) fn new(lines: LineSource, delimiter: char) -> Self {
        Self { lines, delimiter, cell: String::new() }
    }

    /// Fills `row` with the next non-blank record; `false` at the end.
    pub(crate) fn read(&mut self, row: &mut Row) -> Result<bool, ReadError> {
        loop {
            row.clear();
            if !self.lines.next_line()? {
                return Ok(false);
            }
            if self.lines.current().trim().is_empty() {
                continue;
            }
            row.line = self.lines.line;
            let mut text = self.lines.current().to_owned();
            let mut in_quotes = false;
            let mut at_cell_start = true;
            self.cell.clear();
            loop {
                let mut chars = text.chars().peekable();
                while let Some(c) = chars.next() {
                    if in_quotes {
                        if c == '"' {
                            if chars.peek() == Some(&'"') {
                                chars.next();
                                self.cell.push('"');
                            } else {
                                in_quotes = false;
                            }
                        } else {
                            self.cell.push(c);
                        }
                    } else if c == self.delimiter {
                        row.push_cell(&self.cell);
                        self.cell.clear();
                        at_cell_start = true;
                        continue;
                    } else if c == '"' && at_cell_start {
                        in_quotes = true;
                    } else {
                        self.cell.push(c);
                    }
                    at_cell_start = false;
                }
                if !in_quotes {
                    break;
                }
                // A quoted cell continues on the next physical line.
                self.cell.push('\n');
                if !self.lines.next_line()? {
                    return Err(ReadError::Syntax {
                        file: self.lines.file.clone(),
                        line: row.line,
                        problem: "a quoted cell opened on this line is never closed".into(),
                    });
                }
                text.clear();
                text.push_str(self.lines.current());
            }
            row.push_cell(&self.cell);
            return Ok(true);
        }
    }

    pub(crate) fn file(&self) -> &str {
        &self.lines.file
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str, delimiter: char) -> Result<Vec<(u64, Vec<String>)>, ReadError> {
        let lines = LineSource::new(Box::new(std::io::Cursor::new(text.as_bytes().to_vec())), "t".into());
        let mut reader = DelimitedReader::new(lines, delimiter);
        let mut row = Row::default();
        let mut out = Vec::new();
        while reader.read(&mut row)? {
            out.push((row.line, row.cells().to_vec()));
        }
        Ok(out)
    }

    #[test]
    fn csv_quotes_and_multiline_cells() {
        let got = rows("a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\n\n\"two\nlines\",2,3\n", ',').unwrap();
        assert_eq!(got[0], (1, vec!["a".into(), "b".into(), "c".into()]));
        assert_eq!(got[1], (2, vec!["x, y".into(), "say \"hi\"".into(), String::new()]));
        assert_eq!(got[2], (4, vec!["two\nlines".into(), "2".into(), "3".into()]));
    }

    #[test]
    fn tsv_keeps_inner_quotes_and_commas() {
        let got = rows("a\tb\nsay 5\" long\tx, y\n", '\t').unwrap();
        assert_eq!(got[1].1, vec!["say 5\" long".to_owned(), "x, y".to_owned()]);
    }

    #[test]
    fn unclosed_quote_names_its_line() {
        let e = rows("a,b\n1,\"open\n2,3\n", ',').unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("never closed"), "{e}");
    }
}
