//! An index as one file, so a restart loads it in seconds instead of rebuilding it.
//!
//! Layout: the magic `VIRIONIX`, the format version ([`FORMAT_VERSION`]), a byte-order mark,
//! the caller's own state (opaque bytes, e.g. which releases the index holds), the schema, then
//! every column as flat arrays written as their in-memory bytes (so loading is mostly
//! `read_exact` into the final vectors), and a CRC-32 of everything before it. Files are written
//! to a temporary name and renamed, so a crash never leaves a half-written snapshot in place.
//! Any damage — a wrong magic, another version, a bad checksum, lengths beyond the file — is
//! refused with [`SnapshotError`]; the caller then rebuilds.
//!
//! Version history: 1 — first format; 2 — a phylogenetic tree section after the sequences (a
//! flag, then the tree field's column, the tree as Newick and each row's node). Format 1 files
//! are still read (as indexes without a tree).

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use bytemuck::Pod;
use roaring::RoaringBitmap;

use crate::dictionary::Dictionary;
use crate::index::Index;
use crate::insertions::{Insertion, InsertionColumn};
use crate::metadata::{Codes, Column, ColumnType, Data};
use crate::phylo::PhyloColumn;
use crate::sequence::block::{BlockParts, SeqBlock};
use crate::sequence::{Alphabet, SequenceColumn};

/// The first eight bytes of every snapshot.
pub const MAGIC: &[u8; 8] = b"VIRIONIX";
/// The format this build writes.
pub const FORMAT_VERSION: u32 = 2;
/// The oldest format this build reads.
pub const OLDEST_FORMAT_VERSION: u32 = 1;
const BYTE_ORDER: u32 = 0x0102_0304;

/// Why a snapshot could not be written or loaded (the caller then rebuilds).
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// The file could not be created, read or renamed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// The file does not start with [`MAGIC`].
    #[error("{path} is not a Virion index snapshot")]
    NotASnapshot {
        /// The file.
        path: PathBuf,
    },
    /// A format this build does not read.
    #[error(
        "{path} is snapshot format {found}; this build reads formats {OLDEST_FORMAT_VERSION} to {FORMAT_VERSION}"
    )]
    Version {
        /// The file.
        path: PathBuf,
        /// The file's format version.
        found: u32,
    },
    /// Written on a machine of the other byte order.
    #[error("{path} was written on a machine of the other byte order")]
    ByteOrder {
        /// The file.
        path: PathBuf,
    },
    /// A bad checksum, impossible lengths or inconsistent contents.
    #[error("{path} is damaged: {what}")]
    Damaged {
        /// The file.
        path: PathBuf,
        /// What was found wrong.
        what: String,
    },
}

struct Writer {
    out: BufWriter<File>,
    crc: crc32fast::Hasher,
}

impl Writer {
    fn raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.crc.update(bytes);
        self.out.write_all(bytes)
    }
    fn u8(&mut self, v: u8) -> std::io::Result<()> {
        self.raw(&[v])
    }
    fn u32(&mut self, v: u32) -> std::io::Result<()> {
        self.raw(&v.to_le_bytes())
    }
    fn u64(&mut self, v: u64) -> std::io::Result<()> {
        self.raw(&v.to_le_bytes())
    }
    fn slice<T: Pod>(&mut self, v: &[T]) -> std::io::Result<()> {
        self.u64(v.len() as u64)?;
        self.raw(bytemuck::cast_slice(v))
    }
    fn str(&mut self, s: &str) -> std::io::Result<()> {
        self.slice(s.as_bytes())
    }
    fn bitmap(&mut self, b: &RoaringBitmap) -> std::io::Result<()> {
        let mut bytes = Vec::with_capacity(b.serialized_size());
        b.serialize_into(&mut bytes)?;
        self.slice(&bytes)
    }
    fn bitmaps(&mut self, list: &[RoaringBitmap]) -> std::io::Result<()> {
        self.u64(list.len() as u64)?;
        list.iter().try_for_each(|b| self.bitmap(b))
    }
}

struct Reader {
    input: BufReader<File>,
    crc: crc32fast::Hasher,
    /// Bytes left in the file: no length read from it may promise more.
    left: u64,
    path: PathBuf,
}

impl Reader {
    fn damaged(&self, what: impl Into<String>) -> SnapshotError {
        SnapshotError::Damaged { path: self.path.clone(), what: what.into() }
    }
    fn io(&self, source: std::io::Error) -> SnapshotError {
        if source.kind() == std::io::ErrorKind::UnexpectedEof {
            return self.damaged("it ends early");
        }
        SnapshotError::Io { path: self.path.clone(), source }
    }
    fn raw(&mut self, buf: &mut [u8]) -> Result<(), SnapshotError> {
        if buf.len() as u64 > self.left {
            return Err(self.damaged("a length runs past the end of the file"));
        }
        self.input.read_exact(buf).map_err(|e| self.io(e))?;
        self.left -= buf.len() as u64;
        self.crc.update(buf);
        Ok(())
    }
    fn u8(&mut self) -> Result<u8, SnapshotError> {
        let mut b = [0u8; 1];
        self.raw(&mut b)?;
        Ok(b[0])
    }
    fn u32(&mut self) -> Result<u32, SnapshotError> {
        let mut b = [0u8; 4];
        self.raw(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    fn u64(&mut self) -> Result<u64, SnapshotError> {
        let mut b = [0u8; 8];
        self.raw(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }
    fn len(&mut self, item: usize) -> Result<usize, SnapshotError> {
        let n = self.u64()?;
        if n.saturating_mul(item as u64) > self.left {
            return Err(self.damaged("a length runs past the end of the file"));
        }
        Ok(n as usize)
    }
    fn slice<T: Pod>(&mut self) -> Result<Vec<T>, SnapshotError> {
        let n = self.len(std::mem::size_of::<T>())?;
        let mut v = vec![T::zeroed(); n];
        self.raw(bytemuck::cast_slice_mut(&mut v))?;
        Ok(v)
    }
    fn str(&mut self) -> Result<String, SnapshotError> {
        let bytes: Vec<u8> = self.slice()?;
        String::from_utf8(bytes).map_err(|_| self.damaged("a name is not UTF-8"))
    }
    fn bitmap(&mut self) -> Result<RoaringBitmap, SnapshotError> {
        let bytes: Vec<u8> = self.slice()?;
        RoaringBitmap::deserialize_from(bytes.as_slice())
            .map_err(|_| self.damaged("a row bitmap does not decode"))
    }
    fn bitmaps(&mut self) -> Result<Vec<RoaringBitmap>, SnapshotError> {
        let n = self.len(8)?;
        (0..n).map(|_| self.bitmap()).collect()
    }
}

fn kind_tag(kind: ColumnType) -> u8 {
    match kind {
        ColumnType::String { indexed: false } => 0,
        ColumnType::String { indexed: true } => 1,
        ColumnType::Date => 2,
        ColumnType::Int => 3,
        ColumnType::Float => 4,
        ColumnType::Boolean => 5,
    }
}

fn kind_of(tag: u8) -> Option<ColumnType> {
    Some(match tag {
        0 => ColumnType::String { indexed: false },
        1 => ColumnType::String { indexed: true },
        2 => ColumnType::Date,
        3 => ColumnType::Int,
        4 => ColumnType::Float,
        5 => ColumnType::Boolean,
        _ => return None,
    })
}

fn flatten(pairs: &[(u32, u32)]) -> Vec<u32> {
    pairs.iter().flat_map(|&(a, b)| [a, b]).collect()
}

fn pairs(flat: Vec<u32>) -> Vec<(u32, u32)> {
    flat.chunks_exact(2).map(|c| (c[0], c[1])).collect()
}

/// Writes `index` and the caller's `state` to `path` (via a temporary file and a rename).
pub fn write(path: &Path, index: &Index, state: &[u8]) -> Result<(), SnapshotError> {
    let io = |source| SnapshotError::Io { path: path.to_owned(), source };
    let tmp = path.with_extension("tmp");
    let file = File::create(&tmp).map_err(io)?;
    let mut w = Writer { out: BufWriter::with_capacity(1 << 20, file), crc: crc32fast::Hasher::new() };
    write_all(&mut w, index, state).map_err(io)?;
    let crc = w.crc.clone().finalize();
    w.out.write_all(&crc.to_le_bytes()).map_err(io)?;
    let file = w.out.into_inner().map_err(|e| io(e.into_error()))?;
    file.sync_all().map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)?;
    Ok(())
}

fn write_all(w: &mut Writer, index: &Index, state: &[u8]) -> std::io::Result<()> {
    w.raw(MAGIC)?;
    w.u32(FORMAT_VERSION)?;
    w.u32(BYTE_ORDER)?;
    w.slice(state)?;
    w.u32(index.rows)?;
    w.u64(index.columns.len() as u64)?;
    for c in &index.columns {
        w.str(&c.name)?;
        w.u8(kind_tag(c.kind))?;
        w.slice(&flatten(&c.runs))?;
        match &c.data {
            Data::String { codes, dict, postings } => {
                w.slice(&codes.to_u32())?;
                let (bytes, ends) = dict.parts();
                w.slice(bytes)?;
                w.slice(ends)?;
                match postings {
                    Some(p) => {
                        w.u8(1)?;
                        w.bitmaps(p)?;
                    }
                    None => w.u8(0)?,
                }
            }
            Data::Date(v) => w.slice(v)?,
            Data::Int(v) => w.slice(v)?,
            Data::Float(v) => w.slice(v)?,
            Data::Boolean { trues, falses, len } => {
                w.u32(*len)?;
                w.bitmap(trues)?;
                w.bitmap(falses)?;
            }
        }
    }
    for (columns, insertions) in
        [(&index.segments, &index.nucleotide_insertions), (&index.genes, &index.amino_acid_insertions)]
    {
        w.u64(columns.len() as u64)?;
        for (c, ins) in columns.iter().zip(insertions) {
            w.str(&c.name)?;
            w.slice(c.reference())?;
            w.u64(c.blocks().len() as u64)?;
            for b in c.blocks() {
                let p = b.parts();
                w.u32(p.base)?;
                w.u32(p.rows)?;
                w.slice(&p.majority.iter().map(|m| m.0).collect::<Vec<u32>>())?;
                w.slice(&p.majority.iter().map(|m| m.1).collect::<Vec<u8>>())?;
                w.slice(&p.common_keys)?;
                w.bitmaps(&p.common_rows)?;
                w.slice(&p.rare_by_key)?;
                w.slice(&p.run_rows)?;
                w.slice(&flatten(&p.runs))?;
            }
            let (distinct, rows) = ins.parts();
            w.u64(distinct.len() as u64)?;
            for i in distinct {
                w.u32(i.position)?;
                w.str(&i.symbols)?;
            }
            w.bitmaps(rows)?;
        }
    }
    match &index.phylo {
        None => w.u8(0)?,
        Some(p) => {
            w.u8(1)?;
            w.u64(p.column() as u64)?;
            w.str(&p.tree().to_newick())?;
            w.slice(p.nodes())?;
        }
    }
    Ok(())
}

/// Reads a snapshot: the index and the caller's state.
pub fn read(path: &Path) -> Result<(Index, Vec<u8>), SnapshotError> {
    let io = |source| SnapshotError::Io { path: path.to_owned(), source };
    let file = File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    if size < 8 + 4 + 4 + 4 {
        return Err(SnapshotError::NotASnapshot { path: path.to_owned() });
    }
    let mut r = Reader {
        input: BufReader::with_capacity(1 << 20, file),
        crc: crc32fast::Hasher::new(),
        left: size - 4,
        path: path.to_owned(),
    };
    let mut magic = [0u8; 8];
    r.raw(&mut magic)?;
    if &magic != MAGIC {
        return Err(SnapshotError::NotASnapshot { path: path.to_owned() });
    }
    let version = r.u32()?;
    if !(OLDEST_FORMAT_VERSION..=FORMAT_VERSION).contains(&version) {
        return Err(SnapshotError::Version { path: path.to_owned(), found: version });
    }
    if r.u32()? != BYTE_ORDER {
        return Err(SnapshotError::ByteOrder { path: path.to_owned() });
    }
    let state: Vec<u8> = r.slice()?;
    let mut index = read_index(&mut r)?;
    if version >= 2 {
        index.phylo = read_phylo(&mut r, &index)?;
    }
    let expected = r.crc.clone().finalize();
    let mut stored = [0u8; 4];
    r.input.read_exact(&mut stored).map_err(|e| r.io(e))?;
    if u32::from_le_bytes(stored) != expected {
        return Err(r.damaged("its checksum does not match its content"));
    }
    Ok((index, state))
}

fn read_index(r: &mut Reader) -> Result<Index, SnapshotError> {
    let rows = r.u32()?;
    let n_columns = r.len(16)?;
    let mut columns = Vec::with_capacity(n_columns);
    for _ in 0..n_columns {
        let name = r.str()?;
        let kind = kind_of(r.u8()?).ok_or_else(|| r.damaged(format!("column {name} has an unknown type")))?;
        let runs = pairs(r.slice()?);
        let data = match kind {
            ColumnType::String { .. } => {
                let codes: Vec<u32> = r.slice()?;
                let bytes: Vec<u8> = r.slice()?;
                let ends: Vec<u64> = r.slice()?;
                let dict = Dictionary::from_parts(bytes, ends)
                    .ok_or_else(|| r.damaged(format!("column {name}'s dictionary is inconsistent")))?;
                if codes.iter().any(|&c| c != u32::MAX && c as usize >= dict.len()) {
                    return Err(r.damaged(format!("column {name} has codes beyond its dictionary")));
                }
                let postings = match r.u8()? {
                    0 => None,
                    _ => Some(r.bitmaps()?),
                };
                Data::String { codes: Codes::from_u32(codes, dict.len()), dict, postings }
            }
            ColumnType::Date => Data::Date(r.slice()?),
            ColumnType::Int => Data::Int(r.slice()?),
            ColumnType::Float => Data::Float(r.slice()?),
            ColumnType::Boolean => {
                let len = r.u32()?;
                Data::Boolean { len, trues: r.bitmap()?, falses: r.bitmap()? }
            }
        };
        let column = Column::from_parts(name, kind, data, runs);
        if column.len() != rows as usize {
            return Err(r.damaged(format!(
                "column {} has {} rows, the index {rows}",
                column.name,
                column.len()
            )));
        }
        columns.push(column);
    }
    let mut sequences: [(Vec<SequenceColumn>, Vec<InsertionColumn>); 2] = Default::default();
    for (alphabet, out) in [Alphabet::Nucleotide, Alphabet::AminoAcid].into_iter().zip(sequences.iter_mut()) {
        let n = r.len(16)?;
        for _ in 0..n {
            let name = r.str()?;
            let reference: Vec<u8> = r.slice()?;
            let n_blocks = r.len(8)?;
            let mut blocks = Vec::with_capacity(n_blocks);
            let mut expected_base = 0u32;
            for _ in 0..n_blocks {
                let base = r.u32()?;
                let block_rows = r.u32()?;
                let positions: Vec<u32> = r.slice()?;
                let letters: Vec<u8> = r.slice()?;
                let parts = BlockParts {
                    base,
                    rows: block_rows,
                    majority: positions.into_iter().zip(letters).collect(),
                    common_keys: r.slice()?,
                    common_rows: r.bitmaps()?,
                    rare_by_key: r.slice()?,
                    run_rows: r.slice()?,
                    runs: pairs(r.slice()?),
                };
                if base != expected_base
                    || parts.common_keys.len() != parts.common_rows.len()
                    || parts.run_rows.len() != parts.runs.len()
                    || parts.runs.iter().any(|&(s, e)| s >= e || e as usize > reference.len())
                    || parts
                        .majority
                        .iter()
                        .any(|&(p, l)| p as usize >= reference.len() || alphabet.slot(l).is_none())
                {
                    return Err(r.damaged(format!("a block of {name} is inconsistent")));
                }
                expected_base = base + block_rows;
                blocks.push(SeqBlock::from_parts(parts, reference.len() as u32));
            }
            if expected_base != rows {
                return Err(r.damaged(format!("{name} holds {expected_base} rows, the index {rows}")));
            }
            let n_ins = r.len(12)?;
            let mut distinct = Vec::with_capacity(n_ins);
            for _ in 0..n_ins {
                let position = r.u32()?;
                distinct.push(Insertion { position, symbols: r.str()? });
            }
            let ins_rows = r.bitmaps()?;
            if ins_rows.len() != distinct.len() {
                return Err(r.damaged(format!("the insertions of {name} are inconsistent")));
            }
            out.1.push(InsertionColumn::from_parts(&name, distinct, ins_rows));
            out.0.push(SequenceColumn::from_blocks(&name, alphabet, reference, blocks));
        }
    }
    let [(segments, nucleotide_insertions), (genes, amino_acid_insertions)] = sequences;
    Ok(Index { columns, segments, genes, nucleotide_insertions, amino_acid_insertions, rows, phylo: None })
}

fn read_phylo(r: &mut Reader, index: &Index) -> Result<Option<PhyloColumn>, SnapshotError> {
    if r.u8()? == 0 {
        return Ok(None);
    }
    let column = r.u64()? as usize;
    if !matches!(index.columns.get(column).map(|c| c.kind), Some(ColumnType::String { .. })) {
        return Err(r.damaged("the phylogenetic tree names no string column"));
    }
    let newick = r.str()?;
    let tree = virion_phylo::PhyloTree::from_newick(&newick)
        .map_err(|e| r.damaged(format!("its phylogenetic tree does not read back: {e}")))?;
    drop(newick);
    let nodes: Vec<u32> = r.slice()?;
    if nodes.len() != index.rows as usize || !PhyloColumn::nodes_fit(&tree, &nodes) {
        return Err(r.damaged("the rows' places in the phylogenetic tree are inconsistent"));
    }
    Ok(Some(PhyloColumn::from_nodes(column, std::sync::Arc::new(tree), nodes)))
}
