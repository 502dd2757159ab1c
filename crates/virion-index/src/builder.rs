//! Bulk building with rows ordered by a sort key (lineage, then date): an external merge sort.
//!
//! Rows are checked and encoded compactly as they arrive (in parallel), held in memory up to a
//! budget, then sorted and spilled to a zstd-compressed temporary run; `finish` merges the runs
//! and builds the index block by block, the sequence columns of a block in parallel. Memory stays
//! at the budget plus one block of rows plus the index itself, whatever the number of rows.
//!
//! Ordering by lineage makes each block hold few lineages, so a block's majorities are its
//! lineages' letters and its exception bitmaps are a few row runs; ordering by date within a
//! lineage makes a date range one row range per lineage.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::index::{Index, IndexError, PreparedRow, RowInput, Schema};
use crate::insertions::Insertion;
use crate::metadata::{Value, date_of, day_number};
use crate::sequence::BLOCK_ROWS;
use crate::sequence::sparse::{SparseSeq, get_varint, put_varint};

/// Computes a row's sort key from its metadata values (schema order). Rows with equal keys
/// keep their arrival order.
pub type SortKey = Box<dyn Fn(&[Value]) -> Vec<u8> + Send + Sync>;

/// A lineage's place in its tree, as sortable bytes (see [`crate::PangoAliases::sort_key`]).
pub type LineageKey = std::sync::Arc<dyn Fn(&str) -> Vec<u8> + Send + Sync>;

/// The usual order: by lineage (tree order, so a block holds one lineage family), then by date
/// (so a date range is one row range per lineage). Rows without a lineage come last, rows
/// without a date first within their lineage.
pub fn lineage_then_date(lineage: Option<(usize, LineageKey)>, date: Option<usize>) -> SortKey {
    Box::new(move |values: &[Value]| {
        let mut key = Vec::with_capacity(48);
        if let Some((column, f)) = &lineage {
            match values.get(*column) {
                Some(Value::String(s)) => key.extend_from_slice(&f(s)),
                _ => key.push(0xff),
            }
            key.push(0);
        }
        if let Some(column) = date {
            let day = match values.get(column) {
                Some(Value::Date(d)) => (day_number(*d) as u32) ^ 0x8000_0000,
                _ => 0,
            };
            key.extend_from_slice(&day.to_be_bytes());
        }
        key
    })
}

/// Why rows could not be staged or an index built from them.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The index refused a row or could not be built.
    #[error(transparent)]
    Index(#[from] IndexError),
    /// Row `at` of a batch was refused (nothing of the batch was staged).
    #[error("row {at} of the batch: {source}")]
    Row {
        /// 0-based position of the row in the batch.
        at: usize,
        /// Why the index refused it.
        source: IndexError,
    },
    /// Writing or reading a sorted run spilled to disk failed.
    #[error("temporary run file in {dir}: {source}")]
    Spill {
        /// The spill directory.
        dir: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// A spilled run did not read back as written.
    #[error("temporary run file damaged (record {record})")]
    Corrupt {
        /// 0-based record of the run where reading failed.
        record: u64,
    },
}

/// Staged rows: one arena of encoded records, and (key, record) spans into it.
#[derive(Default)]
struct Chunk {
    arena: Vec<u8>,
    /// (start of key, key length, record length); the record follows its key.
    spans: Vec<(u64, u32, u32)>,
}

impl Chunk {
    fn key(&self, i: usize) -> &[u8] {
        let (s, k, _) = self.spans[i];
        &self.arena[s as usize..s as usize + k as usize]
    }

    fn record(&self, i: usize) -> &[u8] {
        let (s, k, r) = self.spans[i];
        let start = s as usize + k as usize;
        &self.arena[start..start + r as usize]
    }

    /// Record indices in key order (stable: equal keys keep arrival order).
    fn order(&self) -> Vec<u32> {
        let mut order: Vec<u32> = (0..self.spans.len() as u32).collect();
        order.sort_by(|&a, &b| self.key(a as usize).cmp(self.key(b as usize)));
        order
    }
}

/// Builds an [`Index`] whose rows are ordered by a sort key.
pub struct IndexBuilder {
    index: Index,
    sort_key: Option<SortKey>,
    budget: usize,
    spill_dir: PathBuf,
    chunk: Chunk,
    runs: Vec<tempfile::NamedTempFile>,
    rows: u64,
}

impl std::fmt::Debug for IndexBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndexBuilder").field("rows", &self.rows).field("runs", &self.runs.len()).finish()
    }
}

/// Memory for staged rows before a run is spilled (encoded rows are ~300 bytes for a
/// SARS-CoV-2 genome with its peptides, so about three million rows).
pub const DEFAULT_BUDGET: usize = 1 << 30;

impl IndexBuilder {
    /// A builder for `schema`; `sort_key` orders the rows (none: arrival order); runs beyond
    /// `budget` bytes are spilled to `spill_dir`.
    pub fn new(
        schema: &Schema,
        sort_key: Option<SortKey>,
        budget: usize,
        spill_dir: &Path,
    ) -> Result<IndexBuilder, IndexError> {
        Ok(IndexBuilder {
            index: Index::new(schema)?,
            sort_key,
            budget: budget.max(1 << 20),
            spill_dir: spill_dir.to_owned(),
            chunk: Chunk::default(),
            runs: Vec::new(),
            rows: 0,
        })
    }

    /// Rows added so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Checks and stages rows (checked and encoded in parallel). On a refused row nothing of
    /// the batch is staged; the error names the batch position of the first bad row.
    pub fn add_batch(&mut self, rows: Vec<RowInput>) -> Result<(), BuildError> {
        let index = &self.index;
        let sort_key = &self.sort_key;
        let first = self.rows;
        let encoded: Vec<(Vec<u8>, Vec<u8>)> = rows
            .into_par_iter()
            .enumerate()
            .map(|(i, row)| {
                let prepared = index.prepare(row).map_err(|source| BuildError::Row { at: i, source })?;
                let key = sort_key.as_ref().map_or_else(Vec::new, |f| f(&prepared.metadata));
                let mut record = Vec::with_capacity(256);
                put_varint(&mut record, first + i as u64);
                encode_row(&prepared, &mut record);
                Ok::<_, BuildError>((key, record))
            })
            .collect::<Result<_, _>>()?;
        for (key, record) in encoded {
            let start = self.chunk.arena.len() as u64;
            self.chunk.arena.extend_from_slice(&key);
            self.chunk.arena.extend_from_slice(&record);
            self.chunk.spans.push((start, key.len() as u32, record.len() as u32));
            self.rows += 1;
        }
        if self.chunk.arena.len() >= self.budget {
            self.spill()?;
        }
        Ok(())
    }

    /// Stages one row.
    pub fn add(&mut self, row: RowInput) -> Result<(), BuildError> {
        self.add_batch(vec![row])
    }

    /// Sorts the staged rows and writes them to a temporary run.
    fn spill(&mut self) -> Result<(), BuildError> {
        let err = |source| BuildError::Spill { dir: self.spill_dir.clone(), source };
        let file =
            tempfile::Builder::new().prefix("virion-index-run-").tempfile_in(&self.spill_dir).map_err(err)?;
        {
            let mut out = zstd::Encoder::new(BufWriter::new(file.as_file()), 1).map_err(err)?;
            let mut head = Vec::with_capacity(16);
            for i in self.chunk.order() {
                let (key, record) = (self.chunk.key(i as usize), self.chunk.record(i as usize));
                head.clear();
                put_varint(&mut head, key.len() as u64);
                put_varint(&mut head, record.len() as u64);
                out.write_all(&head).map_err(err)?;
                out.write_all(key).map_err(err)?;
                out.write_all(record).map_err(err)?;
            }
            out.finish().map_err(err)?.flush().map_err(err)?;
        }
        self.runs.push(file);
        self.chunk = Chunk::default();
        Ok(())
    }

    /// Merges everything staged into the index, block by block; `progress` is told how many
    /// rows are in.
    pub fn finish(self, progress: &dyn Fn(u64)) -> Result<Index, BuildError> {
        self.finish_with_order(progress).map(|(index, _)| index)
    }

    /// As [`IndexBuilder::finish`], also returning for each row of the index the position in
    /// which it was added (so that data kept beside the index, in arrival order, can be found).
    pub fn finish_with_order(mut self, progress: &dyn Fn(u64)) -> Result<(Index, Vec<u32>), BuildError> {
        if self.chunk.arena.len() >= self.budget {
            self.spill()?;
        }
        let mut batch: Vec<PreparedRow> = Vec::with_capacity(BLOCK_ROWS as usize);
        let mut done = 0u64;
        let mut arrival: Vec<u32> = Vec::with_capacity(self.rows as usize);
        let mut take =
            |mut record: &[u8], index: &mut Index, batch: &mut Vec<PreparedRow>| -> Result<(), BuildError> {
                let corrupt = BuildError::Corrupt { record: done };
                let ordinal = get_varint(&mut record).ok_or(BuildError::Corrupt { record: done })?;
                arrival.push(ordinal as u32);
                let row = decode_row(record, index).ok_or(corrupt)?;
                batch.push(row);
                done += 1;
                if batch.len() == BLOCK_ROWS as usize {
                    append_block(index, std::mem::take(batch))?;
                    progress(done);
                }
                Ok(())
            };
        if self.runs.is_empty() {
            let chunk = std::mem::take(&mut self.chunk);
            for i in chunk.order() {
                take(chunk.record(i as usize), &mut self.index, &mut batch)?;
            }
        } else {
            if !self.chunk.spans.is_empty() {
                self.spill()?;
            }
            let dir = self.spill_dir.clone();
            let err = |source| BuildError::Spill { dir: dir.clone(), source };
            let mut readers: Vec<RunReader> = Vec::with_capacity(self.runs.len());
            for run in &self.runs {
                let file = File::open(run.path()).map_err(err)?;
                readers.push(RunReader::new(zstd::Decoder::new(file).map_err(err)?));
            }
            let mut heap = BinaryHeap::new();
            for (i, r) in readers.iter_mut().enumerate() {
                if r.advance().map_err(err)? {
                    heap.push(Reverse((r.key.clone(), i)));
                }
            }
            while let Some(Reverse((_, i))) = heap.pop() {
                let record = std::mem::take(&mut readers[i].record);
                take(&record, &mut self.index, &mut batch)?;
                if readers[i].advance().map_err(err)? {
                    heap.push(Reverse((readers[i].key.clone(), i)));
                }
            }
        }
        if !batch.is_empty() {
            append_block(&mut self.index, batch)?;
        }
        progress(done);
        for c in self.index.segments.iter_mut().chain(self.index.genes.iter_mut()) {
            c.drop_staged();
        }
        Ok((self.index, arrival))
    }
}

/// Appends one block of rows: metadata and insertions in order, then each sequence column's
/// block built in parallel.
fn append_block(index: &mut Index, rows: Vec<PreparedRow>) -> Result<(), BuildError> {
    let base = index.rows;
    let n = rows.len();
    let mut segs: Vec<Vec<SparseSeq>> = vec![Vec::with_capacity(n); index.segments.len()];
    let mut genes: Vec<Vec<SparseSeq>> = vec![Vec::with_capacity(n); index.genes.len()];
    for (i, row) in rows.into_iter().enumerate() {
        let r = base + i as u32;
        for (column, value) in index.columns.iter_mut().zip(row.metadata) {
            column.push(value).map_err(IndexError::from)?;
        }
        for (c, ins) in index.nucleotide_insertions.iter_mut().zip(&row.nucleotide_insertions) {
            c.push(r, ins);
        }
        for (c, ins) in index.amino_acid_insertions.iter_mut().zip(&row.amino_acid_insertions) {
            c.push(r, ins);
        }
        for (list, s) in segs.iter_mut().zip(row.segments) {
            list.push(s);
        }
        for (list, s) in genes.iter_mut().zip(row.genes) {
            list.push(s);
        }
    }
    index.rows += n as u32;
    let build = |column: &mut crate::sequence::SequenceColumn, rows: Vec<SparseSeq>| {
        let refs: Vec<&SparseSeq> = rows.iter().collect();
        let block = column.build_block(base, &refs);
        column.push_built(block);
    };
    index
        .segments
        .par_iter_mut()
        .zip(segs)
        .chain(index.genes.par_iter_mut().zip(genes))
        .for_each(|(c, rows)| build(c, rows));
    Ok(())
}

/// Reads (key, record) pairs from a spilled run.
struct RunReader {
    input: BufReader<zstd::Decoder<'static, BufReader<File>>>,
    key: Vec<u8>,
    record: Vec<u8>,
}

impl RunReader {
    fn new(decoder: zstd::Decoder<'static, BufReader<File>>) -> RunReader {
        RunReader { input: BufReader::with_capacity(1 << 16, decoder), key: Vec::new(), record: Vec::new() }
    }

    fn varint(&mut self) -> std::io::Result<Option<u64>> {
        let mut v = 0u64;
        let mut shift = 0;
        loop {
            let mut byte = [0u8];
            if self.input.read(&mut byte)? == 0 {
                return if shift == 0 {
                    Ok(None)
                } else {
                    Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "truncated run"))
                };
            }
            v |= u64::from(byte[0] & 0x7f) << shift;
            if byte[0] < 0x80 {
                return Ok(Some(v));
            }
            shift += 7;
            if shift > 63 {
                return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "bad varint"));
            }
        }
    }

    /// Reads the next pair; `false` at the end of the run.
    fn advance(&mut self) -> std::io::Result<bool> {
        let Some(key_len) = self.varint()? else { return Ok(false) };
        let record_len = self
            .varint()?
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "truncated run"))?;
        self.key.resize(key_len as usize, 0);
        self.input.read_exact(&mut self.key)?;
        self.record.resize(record_len as usize, 0);
        self.input.read_exact(&mut self.record)?;
        Ok(true)
    }
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

fn encode_row(row: &PreparedRow, out: &mut Vec<u8>) {
    for v in &row.metadata {
        match v {
            Value::Null => out.push(0),
            Value::String(s) => {
                out.push(1);
                put_varint(out, s.len() as u64);
                out.extend_from_slice(s.as_bytes());
            }
            Value::Date(d) => {
                out.push(2);
                put_varint(out, zigzag(i64::from(day_number(*d))));
            }
            Value::Int(i) => {
                out.push(3);
                put_varint(out, zigzag(*i));
            }
            Value::Float(f) => {
                out.push(4);
                out.extend_from_slice(&f.to_le_bytes());
            }
            Value::Boolean(b) => out.push(if *b { 5 } else { 6 }),
        }
    }
    for s in row.segments.iter().chain(&row.genes) {
        s.encode(out);
    }
    for lists in [&row.nucleotide_insertions, &row.amino_acid_insertions] {
        put_varint(out, lists.len() as u64);
        for list in lists {
            put_varint(out, list.len() as u64);
            for ins in list {
                put_varint(out, u64::from(ins.position));
                put_varint(out, ins.symbols.len() as u64);
                out.extend_from_slice(ins.symbols.as_bytes());
            }
        }
    }
}

fn take_bytes<'a>(input: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    if input.len() < n {
        return None;
    }
    let (head, rest) = input.split_at(n);
    *input = rest;
    Some(head)
}

fn decode_row(mut input: &[u8], index: &Index) -> Option<PreparedRow> {
    let input = &mut input;
    let mut metadata = Vec::with_capacity(index.columns.len());
    for _ in 0..index.columns.len() {
        let (&tag, rest) = input.split_first()?;
        *input = rest;
        metadata.push(match tag {
            0 => Value::Null,
            1 => {
                let n = get_varint(input)? as usize;
                Value::String(String::from_utf8(take_bytes(input, n)?.to_vec()).ok()?)
            }
            2 => Value::Date(date_of(i32::try_from(unzigzag(get_varint(input)?)).ok()?)),
            3 => Value::Int(unzigzag(get_varint(input)?)),
            4 => Value::Float(f64::from_le_bytes(take_bytes(input, 8)?.try_into().ok()?)),
            5 => Value::Boolean(true),
            6 => Value::Boolean(false),
            _ => return None,
        });
    }
    let mut seqs =
        |n: usize| -> Option<Vec<SparseSeq>> { (0..n).map(|_| SparseSeq::decode(input)).collect() };
    let segments = seqs(index.segments.len())?;
    let genes = seqs(index.genes.len())?;
    let mut insertion_lists = || -> Option<Vec<Vec<Insertion>>> {
        let lists = get_varint(input)? as usize;
        (0..lists)
            .map(|_| {
                let n = get_varint(input)? as usize;
                (0..n)
                    .map(|_| {
                        let position = get_varint(input)? as u32;
                        let len = get_varint(input)? as usize;
                        let symbols = String::from_utf8(take_bytes(input, len)?.to_vec()).ok()?;
                        Some(Insertion { position, symbols })
                    })
                    .collect()
            })
            .collect()
    };
    let nucleotide_insertions = insertion_lists()?;
    let amino_acid_insertions = insertion_lists()?;
    Some(PreparedRow { metadata, segments, genes, nucleotide_insertions, amino_acid_insertions })
}
