//! The client side of a Virion hub: a streaming `multipart/form-data` body for uploads (the
//! `virion submit` command and tests): text fields, then files read straight from disk, never
//! whole in memory.

use std::io::{self, Cursor, Read};

/// The parts of a form, in order.
#[derive(Debug)]
pub struct FormBody {
    boundary: String,
    parts: Vec<Part>,
}

#[derive(Debug)]
enum Part {
    Text { name: String, value: String },
    File { name: String, file_name: String, len: u64 },
}

impl FormBody {
    /// An empty body with a fresh random boundary.
    pub fn new() -> Self {
        FormBody { boundary: format!("virion-{:032x}", rand::random::<u128>()), parts: Vec::new() }
    }

    /// The `Content-Type` header value, boundary included.
    pub fn content_type(&self) -> String {
        format!("multipart/form-data; boundary={}", self.boundary)
    }

    /// Adds a text field `name` = `value`.
    pub fn text(mut self, name: &str, value: &str) -> Self {
        self.parts.push(Part::Text { name: name.to_owned(), value: value.to_owned() });
        self
    }

    /// A file part of `len` bytes; its content comes from the reader given to [`Self::into_reader`].
    pub fn file(mut self, name: &str, file_name: &str, len: u64) -> Self {
        self.parts.push(Part::File { name: name.to_owned(), file_name: file_name.to_owned(), len });
        self
    }

    fn head(&self, part: &Part) -> String {
        match part {
            Part::Text { name, value } => {
                format!(
                    "--{}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n",
                    self.boundary
                )
            }
            Part::File { name, file_name, .. } => format!(
                "--{}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n",
                self.boundary
            ),
        }
    }

    /// The total body length (for Content-Length and progress bars).
    pub fn len(&self) -> u64 {
        let mut n = 0;
        for part in &self.parts {
            n += self.head(part).len() as u64;
            if let Part::File { len, .. } = part {
                n += len + 2;
            }
        }
        n + format!("--{}--\r\n", self.boundary).len() as u64
    }

    /// Whether the body has no part.
    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// The body as one reader; `files` supplies the file parts' contents in order.
    pub fn into_reader(self, files: Vec<Box<dyn Read + Send>>) -> Box<dyn Read + Send> {
        let mut files = files.into_iter();
        let mut chain: Box<dyn Read + Send> = Box::new(io::empty());
        for part in &self.parts {
            chain = Box::new(chain.chain(Cursor::new(self.head(part).into_bytes())));
            if let Part::File { .. } = part {
                let file = files.next().unwrap_or_else(|| Box::new(io::empty()));
                chain = Box::new(chain.chain(file).chain(Cursor::new(b"\r\n".to_vec())));
            }
        }
        Box::new(chain.chain(Cursor::new(format!("--{}--\r\n", self.boundary).into_bytes())))
    }
}

impl Default for FormBody {
    fn default() -> Self {
        Self::new()
    }
}
