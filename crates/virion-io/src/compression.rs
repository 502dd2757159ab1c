//! Opening files whose compression is known only from their first bytes.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// Why an input could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot open {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "cannot read {path}: the compressed stream is damaged or of an unsupported kind: {source}"
    )]
    Decompress {
        path: PathBuf,
        #[source]
        source: niffler::Error,
    },
}

/// Opens `path` for buffered reading, decompressing gzip, zstd, xz or bzip2 on the fly (detected
/// from magic bytes, not the file name, so a mislabelled file still reads). `-` reads stdin.
pub fn open_path(path: &Path) -> Result<Box<dyn BufRead + Send>, OpenError> {
    let raw: Box<dyn Read + Send> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin())
    } else {
        let file = File::open(path).map_err(|source| OpenError::Io {
            path: path.to_owned(),
            source,
        })?;
        Box::new(file)
    };
    decompress(raw, path)
}

/// Wraps an already-open stream in the matching decompressor.
pub fn decompress(
    raw: Box<dyn Read + Send>,
    path: &Path,
) -> Result<Box<dyn BufRead + Send>, OpenError> {
    match niffler::send::get_reader(raw) {
        Ok((reader, _format)) => Ok(Box::new(BufReader::with_capacity(1 << 16, reader))),
        // An empty file has no magic bytes; it is a valid, empty input.
        Err(niffler::Error::FileTooShort) => Ok(Box::new(BufReader::new(std::io::empty()))),
        Err(source) => Err(OpenError::Decompress {
            path: path.to_owned(),
            source,
        }),
    }
}
