//! Opening files whose compression is known only from their first bytes.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Why an input could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The file could not be opened or read.
    #[error("cannot open {path}: {source}")]
    Io {
        /// The input as the user named it (`-` for stdin).
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The magic bytes named a compression format but the stream did not decompress.
    #[error("cannot read {path}: the compressed stream is damaged or of an unsupported kind: {source}")]
    Decompress {
        /// The input as the user named it (`-` for stdin).
        path: PathBuf,
        /// What the decompressor reported.
        #[source]
        source: niffler::Error,
    },
}

/// Opens `path` for buffered reading, decompressing gzip, zstd, xz or bzip2 on the fly (detected
/// from magic bytes, not the file name, so a mislabelled file still reads). `-` reads stdin.
pub fn open_path(path: &Path) -> Result<Box<dyn BufRead + Send>, OpenError> {
    Ok(open_path_counted(path)?.reader)
}

/// An open input plus what a progress bar needs: the bytes consumed so far from the file as
/// stored (before decompression) and its size, when it is a regular file.
pub struct CountedInput {
    /// The decompressed contents.
    pub reader: Box<dyn BufRead + Send>,
    /// Stored (still compressed) bytes consumed so far; shared so another thread can poll it.
    pub bytes_read: Arc<AtomicU64>,
    /// Size of the stored file; `None` for stdin or anything that is not a regular file.
    pub total_bytes: Option<u64>,
}

impl std::fmt::Debug for CountedInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CountedInput").field("total_bytes", &self.total_bytes).finish()
    }
}

/// Like [`open_path`], counting the stored bytes consumed so that progress and ETA are right for
/// compressed input too.
pub fn open_path_counted(path: &Path) -> Result<CountedInput, OpenError> {
    let bytes_read = Arc::new(AtomicU64::new(0));
    let (raw, total_bytes): (Box<dyn Read + Send>, Option<u64>) = if path.as_os_str() == "-" {
        (Box::new(std::io::stdin()), None)
    } else {
        let file = File::open(path).map_err(|source| OpenError::Io { path: path.to_owned(), source })?;
        let size = file.metadata().ok().filter(|m| m.is_file()).map(|m| m.len());
        (Box::new(file), size)
    };
    let counting = CountingReader { inner: raw, count: Arc::clone(&bytes_read) };
    Ok(CountedInput { reader: decompress(Box::new(counting), path)?, bytes_read, total_bytes })
}

struct CountingReader {
    inner: Box<dyn Read + Send>,
    count: Arc<AtomicU64>,
}

impl Read for CountingReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Wraps an already-open stream in the matching decompressor.
pub fn decompress(raw: Box<dyn Read + Send>, path: &Path) -> Result<Box<dyn BufRead + Send>, OpenError> {
    match niffler::send::get_reader(raw) {
        Ok((reader, _format)) => Ok(Box::new(BufReader::with_capacity(1 << 16, reader))),
        // An empty file has no magic bytes; it is a valid, empty input.
        Err(niffler::Error::FileTooShort) => Ok(Box::new(BufReader::new(std::io::empty()))),
        Err(source) => Err(OpenError::Decompress { path: path.to_owned(), source }),
    }
}
