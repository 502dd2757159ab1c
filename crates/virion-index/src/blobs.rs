//! Unaligned sequences kept beside an index (for `/unalignedNucleotideSequences`), when no hub
//! store holds them (imported collections): one data file of zstd frames, each compressed with
//! its segment's reference as a raw-content dictionary (a SARS-CoV-2 genome: a few hundred
//! bytes), and an entry file giving each (row, segment) its frame.
//!
//! Files: `NAME.seqs` (frames, written in arrival order) and `NAME.seqs.idx` (the magic
//! `VIRIONSQ`, format version, segment count, then per row and segment: offset `u64`,
//! compressed length `u32`, raw length `u32`; offset `u64::MAX` for "absent"), written after
//! the index is built, in the index's row order.

use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use zstd::dict::{DecoderDictionary, EncoderDictionary};

const MAGIC: &[u8; 8] = b"VIRIONSQ";
const FORMAT_VERSION: u32 = 1;
const LEVEL: i32 = 3;
const ABSENT: u64 = u64::MAX;

/// Why sequence blobs could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// A file could not be created, read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// The entry file has the wrong magic, format version, segment count or length.
    #[error("{path} is not a Virion sequence index (or another format version)")]
    Format {
        /// The entry file.
        path: PathBuf,
    },
    /// A row past the end of the entry file.
    #[error("{path}: row {row} has no stored sequence entry")]
    Missing {
        /// The data file.
        path: PathBuf,
        /// The row asked for.
        row: u32,
    },
}

#[derive(Debug, Clone, Copy, Default)]
struct Entry {
    offset: u64,
    len: u32,
    raw: u32,
}

/// One sequence compressed, with its raw length (`None`: absent).
pub type Frame = Option<(Vec<u8>, u32)>;

/// Writes sequences as they arrive; [`BlobWriter::finish`] orders the entries by index row.
pub struct BlobWriter {
    data_path: PathBuf,
    out: BufWriter<File>,
    offset: u64,
    encoders: Vec<EncoderDictionary<'static>>,
    /// Per arrival, per segment.
    entries: Vec<Entry>,
}

impl std::fmt::Debug for BlobWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobWriter")
            .field("path", &self.data_path)
            .field("entries", &self.entries.len())
            .finish()
    }
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> BlobError + '_ {
    move |source| BlobError::Io { path: path.to_owned(), source }
}

fn idx_path(data: &Path) -> PathBuf {
    let mut p = data.as_os_str().to_owned();
    p.push(".idx");
    PathBuf::from(p)
}

impl BlobWriter {
    /// Creates (truncates) `path`; `references` are the segments' references, in order.
    pub fn create(path: &Path, references: &[&[u8]]) -> Result<BlobWriter, BlobError> {
        let file = File::create(path).map_err(io(path))?;
        Ok(BlobWriter {
            data_path: path.to_owned(),
            out: BufWriter::with_capacity(1 << 20, file),
            offset: 0,
            encoders: references.iter().map(|r| EncoderDictionary::copy(r, LEVEL)).collect(),
            entries: Vec::new(),
        })
    }

    /// Compresses one arrival's sequences (one per segment, `None`: absent). Compression is
    /// the costly part and needs no `&mut`, so callers may compress in parallel with
    /// [`BlobWriter::compress`] and add the frames with [`BlobWriter::add_compressed`].
    pub fn compress(&self, sequences: &[Option<&[u8]>]) -> std::io::Result<Vec<Frame>> {
        sequences
            .iter()
            .zip(&self.encoders)
            .map(|(s, dict)| match s {
                None => Ok(None),
                Some(seq) => {
                    let mut c = zstd::bulk::Compressor::with_prepared_dictionary(dict)?;
                    Ok(Some((c.compress(seq)?, seq.len() as u32)))
                }
            })
            .collect()
    }

    /// Writes frames made by [`BlobWriter::compress`] and records their entries, in arrival order.
    pub fn add_compressed(&mut self, frames: Vec<Frame>) -> Result<(), BlobError> {
        for frame in frames {
            match frame {
                None => self.entries.push(Entry { offset: ABSENT, len: 0, raw: 0 }),
                Some((bytes, raw)) => {
                    self.out.write_all(&bytes).map_err(io(&self.data_path))?;
                    self.entries.push(Entry { offset: self.offset, len: bytes.len() as u32, raw });
                    self.offset += bytes.len() as u64;
                }
            }
        }
        Ok(())
    }

    /// Flushes the frames and writes the entry file in index row order (`arrival[row]` is
    /// the arrival position of the index's row `row`).
    pub fn finish(mut self, arrival: &[u32]) -> Result<(), BlobError> {
        self.out.flush().map_err(io(&self.data_path))?;
        self.out.get_ref().sync_all().map_err(io(&self.data_path))?;
        let segments = self.encoders.len();
        let path = idx_path(&self.data_path);
        let tmp = path.with_extension("idx.tmp");
        let mut w = BufWriter::with_capacity(1 << 20, File::create(&tmp).map_err(io(&tmp))?);
        let mut write = |bytes: &[u8]| w.write_all(bytes).map_err(io(&tmp));
        write(MAGIC)?;
        write(&FORMAT_VERSION.to_le_bytes())?;
        write(&(segments as u32).to_le_bytes())?;
        write(&(arrival.len() as u64).to_le_bytes())?;
        for &a in arrival {
            for s in 0..segments {
                let e = self.entries.get(a as usize * segments + s).copied().unwrap_or(Entry {
                    offset: ABSENT,
                    len: 0,
                    raw: 0,
                });
                write(&e.offset.to_le_bytes())?;
                write(&e.len.to_le_bytes())?;
                write(&e.raw.to_le_bytes())?;
            }
        }
        let file = w.into_inner().map_err(|e| BlobError::Io { path: tmp.clone(), source: e.into_error() })?;
        file.sync_all().map_err(io(&tmp))?;
        std::fs::rename(&tmp, &path).map_err(io(&path))?;
        Ok(())
    }
}

/// Reads sequences by index row.
pub struct SequenceBlobs {
    data_path: PathBuf,
    data: Mutex<File>,
    segments: usize,
    entries: Vec<Entry>,
    decoders: Vec<DecoderDictionary<'static>>,
}

impl std::fmt::Debug for SequenceBlobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SequenceBlobs").field("path", &self.data_path).field("rows", &self.rows()).finish()
    }
}

impl SequenceBlobs {
    /// Opens `path` and its entry file `path.idx`; `references` are the segments' references, in the order
    /// used when writing.
    pub fn open(path: &Path, references: &[&[u8]]) -> Result<SequenceBlobs, BlobError> {
        let idx = idx_path(path);
        let mut bytes = Vec::new();
        File::open(&idx).and_then(|mut f| f.read_to_end(&mut bytes)).map_err(io(&idx))?;
        let format = || BlobError::Format { path: idx.clone() };
        if bytes.len() < 24 || &bytes[..8] != MAGIC {
            return Err(format());
        }
        let word = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().expect("four bytes"));
        if word(8) != FORMAT_VERSION || word(12) as usize != references.len() {
            return Err(format());
        }
        let rows = u64::from_le_bytes(bytes[16..24].try_into().expect("eight bytes")) as usize;
        let segments = references.len();
        if bytes.len() != 24 + rows * segments * 16 {
            return Err(format());
        }
        let entries = bytes[24..]
            .chunks_exact(16)
            .map(|c| Entry {
                offset: u64::from_le_bytes(c[..8].try_into().expect("eight bytes")),
                len: u32::from_le_bytes(c[8..12].try_into().expect("four bytes")),
                raw: u32::from_le_bytes(c[12..16].try_into().expect("four bytes")),
            })
            .collect();
        let data = File::open(path).map_err(io(path))?;
        Ok(SequenceBlobs {
            data_path: path.to_owned(),
            data: Mutex::new(data),
            segments,
            entries,
            decoders: references.iter().map(|r| DecoderDictionary::copy(r)).collect(),
        })
    }

    /// Number of index rows the entry file covers.
    pub fn rows(&self) -> usize {
        self.entries.len() / self.segments.max(1)
    }

    /// The unaligned sequence of `row` in `segment` (`None`: the row has none).
    pub fn get(&self, row: u32, segment: usize) -> Result<Option<Vec<u8>>, BlobError> {
        let e = *self
            .entries
            .get(row as usize * self.segments + segment)
            .ok_or_else(|| BlobError::Missing { path: self.data_path.clone(), row })?;
        if e.offset == ABSENT {
            return Ok(None);
        }
        let mut frame = vec![0u8; e.len as usize];
        {
            let mut f = self.data.lock().unwrap_or_else(|p| p.into_inner());
            f.seek(SeekFrom::Start(e.offset)).map_err(io(&self.data_path))?;
            f.read_exact(&mut frame).map_err(io(&self.data_path))?;
        }
        let mut d = zstd::bulk::Decompressor::with_prepared_dictionary(&self.decoders[segment])
            .map_err(io(&self.data_path))?;
        d.decompress(&frame, e.raw as usize).map(Some).map_err(io(&self.data_path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_find_their_sequences_after_reordering() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.seqs");
        let reference = b"ACGTACGTACGTACGTACGT".repeat(10);
        let mut w = BlobWriter::create(&path, &[&reference]).unwrap();
        let seqs: Vec<Option<Vec<u8>>> = vec![Some(b"ACGTTT".to_vec()), None, Some(reference.clone())];
        for s in &seqs {
            let frames = w.compress(&[s.as_deref()]).unwrap();
            w.add_compressed(frames).unwrap();
        }
        // Index rows 0, 1, 2 hold arrivals 2, 0, 1.
        w.finish(&[2, 0, 1]).unwrap();
        let blobs = SequenceBlobs::open(&path, &[&reference]).unwrap();
        assert_eq!(blobs.rows(), 3);
        assert_eq!(blobs.get(0, 0).unwrap(), seqs[2]);
        assert_eq!(blobs.get(1, 0).unwrap(), seqs[0]);
        assert_eq!(blobs.get(2, 0).unwrap(), None);
        assert!(blobs.get(3, 0).is_err());
        assert!(SequenceBlobs::open(&path, &[&reference, &reference]).is_err(), "segment count checked");
    }
}
