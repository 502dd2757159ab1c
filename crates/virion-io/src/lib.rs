//! Streaming sequence readers and writers with transparent decompression.
//!
//! Every reader takes a caller-owned record buffer so that reading a million genomes allocates
//! once; `open_path` detects gzip, zstd, xz and bzip2 from the file's magic bytes.

mod compression;
mod fasta;

pub use compression::{CountedInput, OpenError, decompress, open_path, open_path_counted};
pub use fasta::{FastaError, FastaLimits, FastaReader, FastaRecord};
