//! Any bytes through the FASTA reader with an upload's limits: records or an error naming the
//! record, never a panic, never more memory than the limits allow.
#![no_main]

use libfuzzer_sys::fuzz_target;
use virion_io::{FastaLimits, FastaReader, FastaRecord};

fuzz_target!(|bytes: &[u8]| {
    let limits = FastaLimits { header_bytes: 256, record_bytes: 4096, file_bytes: 1 << 20 };
    let mut reader = FastaReader::new(bytes, std::path::Path::new("fuzz.fasta")).with_limits(limits);
    let mut record = FastaRecord::default();
    while let Ok(true) = reader.read(&mut record) {}
});
