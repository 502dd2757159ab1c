//! Streaming, parallel reading of an NDJSON input in input order with bounded memory.
//!
//! A reader thread cuts the (decompressed) input into batches of whole lines, a few MiB each,
//! and hands each batch to a rayon pool; the batches' results come back through a queue of
//! one-shot channels in the order the batches were read. The queue's capacity bounds how many
//! batches exist at once, so memory stays a few batches' worth whatever the input size. Checks
//! that need the whole input (duplicate primary keys, unknown-key counts) run as records are
//! handed out, in order.
//!
//! The first invalid record ends the input, unless [`ReadOptions::skip_invalid`] is set: then
//! each one is handed out as its error and reading goes on, so that the caller can report it
//! and load the rest.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::BufRead;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crossbeam_channel::{Receiver, bounded};
use virion_index::Value;

use crate::Inner;
use crate::error::ImportError;
use crate::record::{ImportRecord, UnknownCounter, UnknownKey, UnknownKeys};

/// How a reader splits its work, and what it does with an invalid record.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// Hand out an invalid record ([`ImportError::is_invalid_record`]) as its error and go on
    /// reading, instead of ending the input there. A broken stream still ends it.
    pub skip_invalid: bool,
    /// Parsing threads (a rayon pool of this size per reader).
    pub threads: usize,
    /// A batch is closed once it holds this many bytes of lines.
    pub batch_bytes: usize,
    /// Batches read ahead of the consumer, at most.
    pub batches_in_flight: usize,
}

impl Default for ReadOptions {
    fn default() -> ReadOptions {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        ReadOptions { skip_invalid: false, threads, batch_bytes: 4 << 20, batches_in_flight: 2 * threads + 1 }
    }
}

/// Lines `first_line..first_line + ends.len()`, each ending at `ends[i]` in `data`.
struct Batch {
    first_line: u64,
    data: Vec<u8>,
    ends: Vec<usize>,
}

/// One batch's records (up to and including its first error, unless invalid records are
/// skipped) and the unknown keys it saw.
struct Outcome {
    records: Vec<Result<ImportRecord, ImportError>>,
    unknown: HashMap<String, UnknownKey>,
}

/// Yields the records of one input in input order; stops after the first error, or after the
/// first that is not about one record when invalid records are skipped.
pub struct ImportReader {
    file: Arc<str>,
    skip_invalid: bool,
    /// Records handed out, and invalid records handed out as errors.
    valid: u64,
    invalid: u64,
    batches: Receiver<Receiver<Outcome>>,
    current: std::vec::IntoIter<Result<ImportRecord, ImportError>>,
    finished: bool,
    unknown: UnknownKeys,
    primary_key: usize,
    /// 128-bit hash of each primary key seen → its line. A 64-bit hash would make a false
    /// "duplicate" likely enough at 10^7 keys to matter (~10^-5); at 128 bits it is not.
    seen_keys: HashMap<u128, u64>,
    bytes_read: Arc<AtomicU64>,
    total_bytes: Option<u64>,
}

impl std::fmt::Debug for ImportReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportReader").field("file", &self.file).field("finished", &self.finished).finish()
    }
}

impl ImportReader {
    pub(crate) fn open(
        inner: Arc<Inner>,
        options: &ReadOptions,
        path: &Path,
    ) -> Result<ImportReader, ImportError> {
        let input = virion_io::open_path_counted(path)?;
        let name =
            path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
        Ok(ImportReader::start(inner, options, input.reader, &name, input.bytes_read, input.total_bytes))
    }

    pub(crate) fn start(
        inner: Arc<Inner>,
        options: &ReadOptions,
        input: Box<dyn BufRead + Send>,
        name: &str,
        bytes_read: Arc<AtomicU64>,
        total_bytes: Option<u64>,
    ) -> ImportReader {
        let file: Arc<str> = Arc::from(name);
        let (tx, rx) = bounded::<Receiver<Outcome>>(options.batches_in_flight.max(1));
        let primary_key = inner.schema.primary_key_index();
        let skip_invalid = options.skip_invalid;
        let options = options.clone();
        let thread_file = Arc::clone(&file);
        std::thread::spawn(move || read_batches(input, &options, &inner, &thread_file, &tx));
        ImportReader {
            file,
            skip_invalid,
            valid: 0,
            invalid: 0,
            batches: rx,
            current: Vec::new().into_iter(),
            finished: false,
            unknown: UnknownKeys::default(),
            primary_key,
            seen_keys: HashMap::new(),
            bytes_read,
            total_bytes,
        }
    }

    /// The input's name, as errors print it.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// Records handed out so far.
    pub fn valid_records(&self) -> u64 {
        self.valid
    }

    /// Invalid records handed out as errors so far (only when they are skipped).
    pub fn invalid_records(&self) -> u64 {
        self.invalid
    }

    /// Keys the schema does not know, counted over the records handed out so far.
    pub fn unknown_keys(&self) -> &UnknownKeys {
        &self.unknown
    }

    /// Bytes of the stored file (before decompression) read so far, for progress bars; the
    /// reader runs ahead of the records handed out by a few batches.
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read.load(Ordering::Relaxed)
    }

    /// The stored file's size, when it is a regular file.
    pub fn total_bytes(&self) -> Option<u64> {
        self.total_bytes
    }

    /// Ends the input: dropping the queue's receiver lets the reader thread stop instead of
    /// waiting, batches in hand, for a consumer that will not come.
    fn stop(&mut self) {
        self.finished = true;
        self.batches = crossbeam_channel::never();
        self.current = Vec::new().into_iter();
    }

    fn check_duplicate(&mut self, record: &ImportRecord) -> Result<(), ImportError> {
        let key = match &record.metadata[self.primary_key] {
            Value::String(s) => s.clone(),
            Value::Int(i) => i.to_string(),
            other => format!("{other:?}"),
        };
        let hash = key_hash(&key);
        if let Some(&first_line) = self.seen_keys.get(&hash) {
            return Err(ImportError::DuplicateKey {
                file: self.file.to_string(),
                line: record.line,
                key,
                first_line,
            });
        }
        self.seen_keys.insert(hash, record.line);
        Ok(())
    }
}

fn key_hash(key: &str) -> u128 {
    let half = |salt: u8| {
        let mut h = DefaultHasher::new();
        salt.hash(&mut h);
        key.hash(&mut h);
        h.finish()
    };
    (u128::from(half(1)) << 64) | u128::from(half(2))
}

impl Iterator for ImportReader {
    type Item = Result<ImportRecord, ImportError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.finished {
                return None;
            }
            if let Some(item) = self.current.next() {
                let item = item.and_then(|record| self.check_duplicate(&record).map(|()| record));
                match &item {
                    Ok(_) => self.valid += 1,
                    Err(e) if self.skip_invalid && e.is_invalid_record() => self.invalid += 1,
                    Err(_) => self.stop(),
                }
                return Some(item);
            }
            // The sender is dropped after the last batch: the end of the input.
            let Ok(outcome) = self.batches.recv() else {
                self.finished = true;
                return None;
            };
            let Ok(outcome) = outcome.recv() else {
                // A parsing task ended without answering; it cannot (parsing returns errors,
                // never panics), but the input must not end silently if it does.
                self.stop();
                let source = std::io::Error::other("a parsing thread stopped unexpectedly");
                let line = self.seen_keys.values().max().copied().unwrap_or(0);
                return Some(Err(ImportError::Read { file: self.file.to_string(), line, source }));
            };
            self.unknown.merge(&outcome.unknown);
            self.current = outcome.records.into_iter();
        }
    }
}

/// The reader thread: cuts the input into batches and starts one parsing task per batch.
fn read_batches(
    mut input: Box<dyn BufRead + Send>,
    options: &ReadOptions,
    inner: &Arc<Inner>,
    file: &Arc<str>,
    tx: &crossbeam_channel::Sender<Receiver<Outcome>>,
) {
    let pool = match rayon::ThreadPoolBuilder::new()
        .num_threads(options.threads.max(1))
        .thread_name(|i| format!("virion-import-{i}"))
        .build()
    {
        Ok(pool) => pool,
        Err(e) => {
            let source = std::io::Error::other(format!("cannot start parsing threads: {e}"));
            send_error(tx, ImportError::Read { file: file.to_string(), line: 0, source });
            return;
        }
    };
    // Parsed batches hand their buffers back: fresh multi-MiB allocations are mapped anew by
    // the allocator and cost a page fault per 4 KiB when first written.
    let (recycle_tx, recycle_rx) = bounded::<Vec<u8>>(options.batches_in_flight.max(1) + 1);
    let mut next_line = 1u64;
    loop {
        let data =
            recycle_rx.try_recv().unwrap_or_else(|_| Vec::with_capacity(options.batch_bytes + (64 << 10)));
        let mut batch = Batch { first_line: next_line, data, ends: Vec::new() };
        let (mut read_error, mut eof) = (None, false);
        while batch.data.len() < options.batch_bytes {
            match input.read_until(b'\n', &mut batch.data) {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(_) => batch.ends.push(batch.data.len()),
                Err(source) => {
                    // Whole lines read so far are still good; a partial one is dropped.
                    batch.data.truncate(batch.ends.last().copied().unwrap_or(0));
                    read_error = Some(source);
                    break;
                }
            }
        }
        next_line += batch.ends.len() as u64;
        if !batch.ends.is_empty() {
            let (otx, orx) = bounded(1);
            if tx.send(orx).is_err() {
                return; // the consumer is gone
            }
            let (inner, file, recycle) = (Arc::clone(inner), Arc::clone(file), recycle_tx.clone());
            let skip_invalid = options.skip_invalid;
            pool.spawn(move || {
                let (outcome, mut data) = parse_batch(&inner, &file, batch, skip_invalid);
                let _ = otx.send(outcome);
                data.clear();
                let _ = recycle.try_send(data);
            });
        }
        if let Some(source) = read_error {
            send_error(tx, ImportError::Read { file: file.to_string(), line: next_line - 1, source });
            return;
        }
        if eof {
            return;
        }
    }
}

fn send_error(tx: &crossbeam_channel::Sender<Receiver<Outcome>>, error: ImportError) {
    let (otx, orx) = bounded(1);
    let _ = otx.send(Outcome { records: vec![Err(error)], unknown: HashMap::new() });
    let _ = tx.send(orx);
}

/// Parses a batch's lines in order, stopping at the first bad one unless they are skipped;
/// gives back its buffer.
fn parse_batch(inner: &Inner, file: &str, batch: Batch, skip_invalid: bool) -> (Outcome, Vec<u8>) {
    let mut unknown = UnknownCounter::default();
    let mut records = Vec::with_capacity(batch.ends.len());
    let mut start = 0;
    for (k, &end) in batch.ends.iter().enumerate() {
        let line_no = batch.first_line + k as u64;
        let bytes = &batch.data[start..end];
        start = end;
        let bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
        let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
        if bytes.trim_ascii().is_empty() {
            continue;
        }
        match inner.parse_bytes(bytes, line_no, &mut unknown) {
            Ok(record) => records.push(Ok(record)),
            Err(problem) => {
                records.push(Err(ImportError::Line { file: file.to_owned(), line: line_no, problem }));
                if !skip_invalid {
                    break;
                }
            }
        }
    }
    (Outcome { records, unknown: unknown.0 }, batch.data)
}
