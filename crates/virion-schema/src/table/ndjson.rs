//! NDJSON rows: one JSON object per line. The header is the union of keys in order of first
//! appearance, so a key first seen on a later line becomes a new column.

use indexmap::IndexMap;
use serde_json::Value;

use super::lines::LineSource;
use super::{ReadError, Row};

pub(crate) struct NdjsonReader {
    lines: LineSource,
    /// Column name → position in the header.
    columns: IndexMap<String, usize>,
    /// Values of the current line by column position; reused.
    values: Vec<Option<String>>,
}

impl NdjsonReader {
    pub(crate) fn new(lines: LineSource) -> Self {
        Self { lines, columns: IndexMap::new(), values: Vec::new() }
    }

    pub(crate) fn header(&self) -> impl Iterator<Item = &String> {
        self.columns.keys()
    }

    pub(crate) fn header_len(&self) -> usize {
        self.columns.len()
    }

    pub(crate) fn file(&self) -> &str {
        &self.lines.file
    }

    pub(crate) fn read(&mut self, row: &mut Row) -> Result<bool, ReadError> {
        loop {
            if !self.lines.next_line()? {
                return Ok(false);
            }
            let text = self.lines.current();
            if text.trim().is_empty() {
                continue;
            }
            let line = self.lines.line;
            let syntax = |problem: String| ReadError::Syntax { file: self.lines.file.clone(), line, problem };
            let object = match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(object)) => object,
                Ok(_) => return Err(syntax("expected a JSON object with one key per column".into())),
                Err(e) => return Err(syntax(format!("invalid JSON: {e}"))),
            };
            self.values.iter_mut().for_each(|v| *v = None);
            for (key, value) in object {
                let cell = cell_text(&value).ok_or_else(|| {
                    syntax(format!("key '{key}' holds an object; use text, a number or a list"))
                })?;
                let next = self.columns.len();
                let index = *self.columns.entry(key).or_insert(next);
                if index >= self.values.len() {
                    self.values.resize(index + 1, None);
                }
                self.values[index] = Some(cell);
            }
            row.clear();
            row.line = line;
            for value in &self.values {
                row.push_cell(value.as_deref().unwrap_or(""));
            }
            return Ok(true);
        }
    }
}

/// The cell text of a JSON value: lists (author lists) are joined with "; ", null is empty.
fn cell_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => Some(String::new()),
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(items) => items.iter().map(cell_text).collect::<Option<Vec<_>>>().map(|v| v.join("; ")),
        Value::Object(_) => None,
    }
}
