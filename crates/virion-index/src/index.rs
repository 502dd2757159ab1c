//! The index of one organism's data: metadata columns, aligned sequence columns and insertion
//! columns over the same rows, and the filters it answers.

use roaring::RoaringBitmap;
use virion_core::{Aa, AaPos, Nuc, NucRefPos};

use crate::insertions::{Insertion, InsertionColumn, InsertionPattern};
use crate::metadata::{Column, ColumnType, Value, ValueError};
use crate::phylo::PhyloColumn;
use crate::sequence::{Alphabet, SequenceColumn, SequenceError, SparseSeq};
use crate::stop::{Interrupted, Stop};

/// What the index holds: its metadata columns and its sequences (segments, then genes).
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    /// (name, type) of each metadata column, in column order.
    pub metadata: Vec<(String, ColumnType)>,
    /// (name, reference) of each nucleotide segment.
    pub segments: Vec<(String, Vec<u8>)>,
    /// (name, reference peptide) of each gene.
    pub genes: Vec<(String, Vec<u8>)>,
}

/// One row's sequence in one column, as a caller has it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SeqInput {
    /// Not sequenced (every position unknown).
    #[default]
    Absent,
    /// The aligned sequence: the reference's length, `-` for deletions, N/X for unknown.
    Aligned(Vec<u8>),
    /// Already relative to the reference.
    Sparse(SparseSeq),
}

impl From<Option<Vec<u8>>> for SeqInput {
    fn from(seq: Option<Vec<u8>>) -> SeqInput {
        seq.map_or(SeqInput::Absent, SeqInput::Aligned)
    }
}

/// One row to append: values in schema order, a sequence per segment and gene, and the
/// insertions per segment and gene (empty lists: no insertions anywhere).
#[derive(Debug, Clone, Default)]
pub struct RowInput {
    /// One value per metadata column, in schema order.
    pub metadata: Vec<Value>,
    /// One sequence per nucleotide segment, in schema order.
    pub segments: Vec<SeqInput>,
    /// One peptide per gene, in schema order.
    pub genes: Vec<SeqInput>,
    /// Insertions per segment (empty: none in any segment).
    pub nucleotide_insertions: Vec<Vec<Insertion>>,
    /// Insertions per gene (empty: none in any gene).
    pub amino_acid_insertions: Vec<Vec<Insertion>>,
}

/// A row checked against the schema, its sequences made relative to their references.
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedRow {
    pub(crate) metadata: Vec<Value>,
    pub(crate) segments: Vec<SparseSeq>,
    pub(crate) genes: Vec<SparseSeq>,
    pub(crate) nucleotide_insertions: Vec<Vec<Insertion>>,
    pub(crate) amino_acid_insertions: Vec<Vec<Insertion>>,
}

/// Why a row or schema was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IndexError {
    /// A metadata value does not fit its column.
    #[error(transparent)]
    Value(#[from] ValueError),
    /// A sequence does not fit its column (length, letters).
    #[error(transparent)]
    Sequence(#[from] SequenceError),
    /// A row with the wrong number of values, segments or genes.
    #[error("row has {got} {what}, the schema {expected}")]
    Shape {
        /// What was counted (`metadata values`, `segments`, ...).
        what: &'static str,
        /// How many the row has.
        got: usize,
        /// How many the schema has.
        expected: usize,
    },
    /// Appending would exceed the largest row count an index can hold.
    #[error("the index would exceed {max} rows")]
    Full {
        /// That row count.
        max: u64,
    },
    /// A tree was attached to a column that is not a string column.
    #[error("column {column:?} cannot hold a phylogenetic tree: only a string column can")]
    NotATreeColumn {
        /// The column's name.
        column: String,
    },
}

/// A filter over rows; evaluated to the bitmap of matching rows.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// Every row.
    True,
    /// String column equals any of the values (`None` in the list: is null).
    StringIn {
        /// Index of the string column.
        column: usize,
        /// The accepted values.
        values: Vec<Option<String>>,
    },
    /// String column value is one of these dictionary codes (regex matches, lineage sets).
    StringCodes {
        /// Index of the string column.
        column: usize,
        /// The accepted codes of the column's dictionary.
        codes: Vec<u32>,
    },
    /// The column's value is null (`null: true`) or is not (`null: false`).
    IsNull {
        /// Index of the column.
        column: usize,
        /// Whether null rows match, or non-null ones.
        null: bool,
    },
    /// Date (day numbers), integer or float in `[from, to]`.
    Range {
        /// Index of the date, integer or float column.
        column: usize,
        /// Lower bound, inclusive; `None`: unbounded.
        from: Option<f64>,
        /// Upper bound, inclusive; `None`: unbounded.
        to: Option<f64>,
    },
    /// Boolean column has the value (null never matches).
    Boolean {
        /// Index of the boolean column.
        column: usize,
        /// The value to match.
        value: bool,
    },
    /// The letter at a site is exactly this one.
    Letter(SiteLetter),
    /// Any letter that cannot be the reference's: neither it, nor an ambiguity code that may
    /// stand for it, nor the missing letter.
    Mutated(Site),
    /// A letter that may be this one (IUPAC ambiguity).
    MaybeLetter(SiteLetter),
    /// An insertion after `position` (1-based, as LAPIS writes it) matching `pattern`.
    Insertion {
        /// Whether `sequence` indexes the genes (else the segments).
        gene: bool,
        /// Index of the segment or gene.
        sequence: usize,
        /// 1-based position the insertion follows.
        position: u32,
        /// The inserted letters; `?` matches any run of letters.
        pattern: String,
    },
    /// Every child matches.
    And(Vec<Filter>),
    /// Any child matches.
    Or(Vec<Filter>),
    /// The child does not match.
    Not(Box<Filter>),
    /// At least `n` (exactly `n` when `exactly`) of the children match.
    NOf {
        /// The count to reach.
        n: usize,
        /// Whether exactly `n` must match rather than at least `n`.
        exactly: bool,
        /// The filters counted.
        children: Vec<Filter>,
    },
    /// The value names a leaf below `node` (a pre-order index) of the tree of `column`
    /// (SILO's `phyloDescendantOf`: a leaf has no descendants; rows naming internal nodes never
    /// match). Nothing matches when the column holds no tree.
    PhyloDescendantOf {
        /// Index of the string column holding the tree.
        column: usize,
        /// The node, as its pre-order index in the tree.
        node: u32,
    },
}

impl Filter {
    /// How many filter nodes it holds (itself and all its descendants).
    pub fn size(&self) -> usize {
        match self {
            Filter::And(c) | Filter::Or(c) | Filter::NOf { children: c, .. } => {
                1 + c.iter().map(Filter::size).sum::<usize>()
            }
            Filter::Not(inner) => 1 + inner.size(),
            _ => 1,
        }
    }
}

/// A place in the aligned sequences: a position of a segment or a codon of a gene, each in
/// `virion-core`'s 0-based coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Site {
    /// A reference position of a nucleotide segment (the segment's index in the schema).
    Nuc {
        /// Index of the segment in [`Schema::segments`].
        segment: usize,
        /// 0-based reference position.
        position: NucRefPos,
    },
    /// A codon of a gene's peptide.
    Aa {
        /// Index of the gene in [`Schema::genes`].
        gene: usize,
        /// 0-based codon index.
        position: AaPos,
    },
}

/// A letter at a site, of the site's own alphabet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SiteLetter {
    /// A nucleotide at a segment's position.
    Nuc {
        /// Index of the segment in [`Schema::segments`].
        segment: usize,
        /// 0-based reference position.
        position: NucRefPos,
        /// The letter.
        letter: Nuc,
    },
    /// An amino acid at a gene's codon.
    Aa {
        /// Index of the gene in [`Schema::genes`].
        gene: usize,
        /// 0-based codon index.
        position: AaPos,
        /// The letter.
        letter: Aa,
    },
}

impl Site {
    /// The site's letter `letter` (a byte of the site's alphabet), `None` when it is not one.
    pub fn with_letter(self, letter: u8) -> Option<SiteLetter> {
        Some(match self {
            Site::Nuc { segment, position } => {
                SiteLetter::Nuc { segment, position, letter: Nuc::from_byte(letter)? }
            }
            Site::Aa { gene, position } => SiteLetter::Aa { gene, position, letter: Aa::from_byte(letter)? },
        })
    }

    /// Whether the site is in a gene, which column, and the position as the columns index it.
    pub fn column(self) -> (bool, usize, u32) {
        // Positions were checked against the sequence's length when the site was made, and
        // sequences are shorter than 2^27 (MAX_SEQUENCE_LEN).
        match self {
            Site::Nuc { segment, position } => (false, segment, position.0 as u32),
            Site::Aa { gene, position } => (true, gene, position.0 as u32),
        }
    }
}

impl SiteLetter {
    /// The site the letter is at.
    pub fn site(self) -> Site {
        match self {
            SiteLetter::Nuc { segment, position, .. } => Site::Nuc { segment, position },
            SiteLetter::Aa { gene, position, .. } => Site::Aa { gene, position },
        }
    }

    /// The letter as the columns store it (`virion-core`'s letter byte).
    pub fn byte(self) -> u8 {
        match self {
            SiteLetter::Nuc { letter, .. } => letter.to_byte(),
            SiteLetter::Aa { letter, .. } => letter.to_byte(),
        }
    }
}

/// Metadata, sequence and insertion columns over the same rows.
#[derive(Debug, Clone)]
pub struct Index {
    /// Metadata columns, in schema order.
    pub columns: Vec<Column>,
    /// Aligned nucleotide sequence columns, one per segment.
    pub segments: Vec<SequenceColumn>,
    /// Aligned peptide columns, one per gene.
    pub genes: Vec<SequenceColumn>,
    /// Nucleotide insertions, one column per segment.
    pub nucleotide_insertions: Vec<InsertionColumn>,
    /// Amino-acid insertions, one column per gene.
    pub amino_acid_insertions: Vec<InsertionColumn>,
    pub(crate) rows: u32,
    /// The column whose values name nodes of a phylogenetic tree, with its tree.
    pub(crate) phylo: Option<PhyloColumn>,
}

/// Rows in an AND's running result below which the remaining children are checked row by row
/// instead of being evaluated over the whole index (a metadata probe costs a few
/// nanoseconds, a letter probe a few hundred; a full scan of ten million rows milliseconds).
const PROBE_ROWS: u64 = 4096;

impl Index {
    /// An empty index with `schema`'s columns.
    pub fn new(schema: &Schema) -> Result<Index, IndexError> {
        let seq = |list: &[(String, Vec<u8>)], alphabet| -> Result<Vec<SequenceColumn>, IndexError> {
            list.iter().map(|(n, r)| SequenceColumn::new(n, alphabet, r).map_err(IndexError::from)).collect()
        };
        Ok(Index {
            columns: schema.metadata.iter().map(|(n, t)| Column::new(n, *t)).collect(),
            segments: seq(&schema.segments, Alphabet::Nucleotide)?,
            genes: seq(&schema.genes, Alphabet::AminoAcid)?,
            nucleotide_insertions: schema.segments.iter().map(|(n, _)| InsertionColumn::new(n)).collect(),
            amino_acid_insertions: schema.genes.iter().map(|(n, _)| InsertionColumn::new(n)).collect(),
            rows: 0,
            phylo: None,
        })
    }

    /// Makes `column` (a string column) the index's phylogenetic tree field: its values name
    /// nodes of `tree`; values that name none (and nulls) are not in the tree. Replaces any
    /// earlier tree. Rows appended later are placed as they come.
    pub fn set_phylo_tree(
        &mut self,
        column: usize,
        tree: std::sync::Arc<virion_phylo::PhyloTree>,
    ) -> Result<(), IndexError> {
        let placed = self.place_in_tree(column, tree)?;
        self.set_phylo_column(placed);
        Ok(())
    }

    /// [`Index::set_phylo_tree`] in two steps, so that the rows can be placed in a new tree
    /// while queries go on (this needs only `&self`) and the result swapped in after.
    pub fn place_in_tree(
        &self,
        column: usize,
        tree: std::sync::Arc<virion_phylo::PhyloTree>,
    ) -> Result<PhyloColumn, IndexError> {
        let values = &self.columns[column];
        if !matches!(values.kind, ColumnType::String { .. }) {
            return Err(IndexError::NotATreeColumn { column: values.name.clone() });
        }
        Ok(PhyloColumn::new(column, values, tree))
    }

    /// [`Index::place_in_tree`] for a tree grown from the current one by adding nodes only (new
    /// genomes attached as leaves), with `new_of_old[v]` the index in `tree` of current node
    /// `v`: rows keep their nodes, renumbered, and only rows not in the current tree are looked
    /// up. Without a current tree on `column`, or with a map of another length, every row is
    /// looked up.
    pub fn place_in_grown_tree(
        &self,
        column: usize,
        tree: std::sync::Arc<virion_phylo::PhyloTree>,
        new_of_old: &[u32],
    ) -> Result<PhyloColumn, IndexError> {
        match &self.phylo {
            Some(current)
                if current.column() == column
                    && current.tree().node_count() == new_of_old.len()
                    && current.nodes().len() == self.rows as usize =>
            {
                Ok(current.grown(&self.columns[column], tree, new_of_old))
            }
            _ => self.place_in_tree(column, tree),
        }
    }

    /// Makes a column placed by [`Index::place_in_tree`] of this index its phylogenetic tree
    /// field; rows appended since are placed now.
    pub fn set_phylo_column(&mut self, mut placed: PhyloColumn) {
        placed.extend(&self.columns[placed.column()]);
        self.phylo = Some(placed);
    }

    /// The phylogenetic tree field, if the index has one.
    pub fn phylo(&self) -> Option<&PhyloColumn> {
        self.phylo.as_ref()
    }

    /// Drops the phylogenetic tree.
    pub fn clear_phylo_tree(&mut self) {
        self.phylo = None;
    }

    /// The schema the index was built with.
    pub fn schema(&self) -> Schema {
        Schema {
            metadata: self.columns.iter().map(|c| (c.name.clone(), c.kind)).collect(),
            segments: self.segments.iter().map(|c| (c.name.clone(), c.reference().to_vec())).collect(),
            genes: self.genes.iter().map(|c| (c.name.clone(), c.reference().to_vec())).collect(),
        }
    }

    /// Number of rows.
    pub fn rows(&self) -> u32 {
        self.rows
    }

    /// Index of the metadata column called `name`, if any.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// Checks a row whole and makes its sequences relative to the references; a refused row
    /// changes nothing. Needs only `&self`, so callers may prepare rows in parallel.
    pub fn prepare(&self, row: RowInput) -> Result<PreparedRow, IndexError> {
        let shape = |what, got: usize, expected: usize| {
            (got != expected).then_some(IndexError::Shape { what, got, expected })
        };
        let optional =
            |what, got: usize, expected: usize| if got == 0 { None } else { shape(what, got, expected) };
        if let Some(e) = shape("metadata values", row.metadata.len(), self.columns.len())
            .or_else(|| shape("segments", row.segments.len(), self.segments.len()))
            .or_else(|| shape("genes", row.genes.len(), self.genes.len()))
            .or_else(|| {
                optional("segment insertion lists", row.nucleotide_insertions.len(), self.segments.len())
            })
            .or_else(|| optional("gene insertion lists", row.amino_acid_insertions.len(), self.genes.len()))
        {
            return Err(e);
        }
        for (column, value) in self.columns.iter().zip(&row.metadata) {
            column.check(value)?;
        }
        let sparse =
            |columns: &[SequenceColumn], seqs: Vec<SeqInput>| -> Result<Vec<SparseSeq>, IndexError> {
                columns
                    .iter()
                    .zip(seqs)
                    .map(|(c, s)| match s {
                        SeqInput::Absent => Ok(c.sparse(None)?),
                        SeqInput::Aligned(a) => Ok(c.sparse(Some(&a))?),
                        SeqInput::Sparse(s) => {
                            c.check(&s)?;
                            Ok(s)
                        }
                    })
                    .collect()
            };
        Ok(PreparedRow {
            segments: sparse(&self.segments, row.segments)?,
            genes: sparse(&self.genes, row.genes)?,
            metadata: row.metadata,
            nucleotide_insertions: row.nucleotide_insertions,
            amino_acid_insertions: row.amino_acid_insertions,
        })
    }

    /// Appends prepared rows; returns the first new row. Sequence columns rebuild only their
    /// last, partial block.
    pub fn append(&mut self, rows: Vec<PreparedRow>) -> Result<u32, IndexError> {
        let first = self.rows;
        if u64::from(first) + rows.len() as u64 >= u64::from(u32::MAX) {
            return Err(IndexError::Full { max: u64::from(u32::MAX) - 1 });
        }
        let mut segments: Vec<Vec<SparseSeq>> = vec![Vec::with_capacity(rows.len()); self.segments.len()];
        let mut genes: Vec<Vec<SparseSeq>> = vec![Vec::with_capacity(rows.len()); self.genes.len()];
        for (i, row) in rows.into_iter().enumerate() {
            let r = first + i as u32;
            for (column, value) in self.columns.iter_mut().zip(row.metadata) {
                column.push(value)?;
            }
            for (c, ins) in self.nucleotide_insertions.iter_mut().zip(&row.nucleotide_insertions) {
                c.push(r, ins);
            }
            for (c, ins) in self.amino_acid_insertions.iter_mut().zip(&row.amino_acid_insertions) {
                c.push(r, ins);
            }
            for (list, s) in segments.iter_mut().zip(row.segments) {
                list.push(s);
            }
            for (list, s) in genes.iter_mut().zip(row.genes) {
                list.push(s);
            }
            self.rows += 1;
        }
        if let Some(p) = self.phylo.as_mut() {
            p.extend(&self.columns[p.column()]);
        }
        use rayon::prelude::*;
        self.segments.par_iter_mut().zip(segments).for_each(|(c, rows)| c.append(&rows));
        self.genes.par_iter_mut().zip(genes).for_each(|(c, rows)| c.append(&rows));
        Ok(first)
    }

    /// Appends one row (checked whole first, so a refused row changes nothing).
    pub fn push(&mut self, row: RowInput) -> Result<u32, IndexError> {
        let prepared = self.prepare(row)?;
        self.append(vec![prepared])
    }

    /// The set of every row.
    pub fn all(&self) -> RoaringBitmap {
        let mut all = RoaringBitmap::new();
        all.insert_range(0..self.rows);
        all
    }

    /// Segment `i` (`gene: false`) or gene `i` (`gene: true`).
    pub fn sequence(&self, gene: bool, i: usize) -> &SequenceColumn {
        if gene { &self.genes[i] } else { &self.segments[i] }
    }

    fn insertions(&self, gene: bool, i: usize) -> &InsertionColumn {
        if gene { &self.amino_acid_insertions[i] } else { &self.nucleotide_insertions[i] }
    }

    /// The rows matching `filter`.
    pub fn evaluate(&self, filter: &Filter) -> RoaringBitmap {
        // `Stop::never()` never interrupts, so there is no error to lose.
        self.evaluate_within(filter, &Stop::never()).unwrap_or_default()
    }

    /// The rows matching `filter`, unless `stop` interrupts the evaluation first.
    pub fn evaluate_within(&self, filter: &Filter, stop: &Stop) -> Result<RoaringBitmap, Interrupted> {
        Ok(match filter {
            Filter::True => self.all(),
            Filter::StringIn { column, values } => {
                let c = &self.columns[*column];
                let codes: Vec<u32> = values.iter().flatten().filter_map(|v| c.code_of(v)).collect();
                let mut rows = c.rows_with_codes(&codes);
                if values.iter().any(Option::is_none) {
                    rows |= c.rows_null(true);
                }
                rows
            }
            Filter::StringCodes { column, codes } => self.columns[*column].rows_with_codes(codes),
            Filter::IsNull { column, null } => self.columns[*column].rows_null(*null),
            Filter::Range { column, from, to } => self.columns[*column].rows_in_range(*from, *to),
            Filter::Boolean { column, value } => self.columns[*column].rows_bool(*value),
            Filter::Letter(l) => {
                let (gene, sequence, position) = l.site().column();
                self.sequence(gene, sequence).rows_with(position, l.byte())
            }
            Filter::Mutated(site) => {
                let (gene, sequence, position) = site.column();
                self.sequence(gene, sequence).rows_mutated(position)
            }
            Filter::MaybeLetter(l) => {
                let (gene, sequence, position) = l.site().column();
                self.sequence(gene, sequence).rows_maybe(position, l.byte())
            }
            Filter::Insertion { gene, sequence, position, pattern } => {
                self.insertions(*gene, *sequence).rows_matching(&InsertionPattern::new(*position, pattern))
            }
            Filter::And(children) => self.and(children, None, stop)?,
            Filter::Or(children) => {
                let mut rows = RoaringBitmap::new();
                for child in children {
                    stop.check()?;
                    rows |= self.evaluate_within(child, stop)?;
                }
                rows
            }
            Filter::Not(inner) => {
                let mut rows = self.all();
                rows -= self.evaluate_within(inner, stop)?;
                rows
            }
            Filter::NOf { n, exactly, children } => self.n_of(*n, *exactly, children, None, stop)?,
            Filter::PhyloDescendantOf { column, node } => match self.phylo_of(*column, *node) {
                Some(p) => p.descendant_rows(virion_phylo::NodeId::new(*node)),
                None => RoaringBitmap::new(),
            },
        })
    }

    /// The tree of `column`, if it is the phylogenetic tree field and `node` lies in it.
    fn phylo_of(&self, column: usize, node: u32) -> Option<&PhyloColumn> {
        self.phylo.as_ref().filter(|p| p.column() == column && (node as usize) < p.tree().node_count())
    }

    /// The rows of `among` matching `filter`: evaluated over the whole index, or, when `among`
    /// is small, checked row by row.
    pub fn refine(&self, filter: &Filter, among: &RoaringBitmap) -> RoaringBitmap {
        // `Stop::never()` never interrupts, so there is no error to lose.
        self.refine_within(filter, among, &Stop::never()).unwrap_or_default()
    }

    /// [`Index::refine`], unless `stop` interrupts the evaluation first.
    pub fn refine_within(
        &self,
        filter: &Filter,
        among: &RoaringBitmap,
        stop: &Stop,
    ) -> Result<RoaringBitmap, Interrupted> {
        if among.is_empty() {
            return Ok(RoaringBitmap::new());
        }
        stop.check()?;
        Ok(match filter {
            Filter::True => among.clone(),
            Filter::And(children) => self.and(children, Some(among), stop)?,
            Filter::NOf { n, exactly, children } => self.n_of(*n, *exactly, children, Some(among), stop)?,
            Filter::Not(inner) => {
                let mut rows = among.clone();
                rows -= self.refine_within(inner, among, stop)?;
                rows
            }
            Filter::Or(children) if among.len() <= PROBE_ROWS => {
                let mut rows = RoaringBitmap::new();
                for child in children {
                    rows |= self.refine_within(child, among, stop)?;
                }
                rows
            }
            _ if among.len() <= PROBE_ROWS
                || (self.scans(filter) && among.len() * 32 <= u64::from(self.rows)) =>
            {
                self.rows_matching(filter, among, stop)?
            }
            _ => {
                let mut rows = self.evaluate_within(filter, stop)?;
                rows &= among;
                rows
            }
        })
    }

    /// The rows of `among` that match `filter`, checked one by one; `stop` is asked about every
    /// 65,536 filter nodes visited, so a huge n-of over few rows stops as promptly as a
    /// one-letter filter over many.
    fn rows_matching(
        &self,
        filter: &Filter,
        among: &RoaringBitmap,
        stop: &Stop,
    ) -> Result<RoaringBitmap, Interrupted> {
        let every = (65_536 / filter.size()).max(1);
        let mut rows = RoaringBitmap::new();
        for (i, r) in among.iter().enumerate() {
            if i % every == 0 {
                stop.check()?;
            }
            if self.matches(filter, r) {
                // `among` iterates in ascending order: appending is the cheap insert (and
                // cannot fail, so its answer says nothing).
                let _ = rows.try_push(r);
            }
        }
        Ok(rows)
    }

    /// Whether evaluating `filter` over the whole index reads every row.
    fn scans(&self, filter: &Filter) -> bool {
        match filter {
            Filter::StringIn { column, .. } | Filter::StringCodes { column, .. } => {
                !self.columns[*column].is_indexed()
            }
            Filter::IsNull { column, .. } => self.columns[*column].kind != ColumnType::Boolean,
            Filter::Range { column, .. } => {
                let c = &self.columns[*column];
                c.runs.len() * 32 > c.len()
            }
            _ => false,
        }
    }

    /// Whether one row matches (the row-by-row path of [`Index::refine`]).
    pub fn matches(&self, filter: &Filter, row: u32) -> bool {
        match filter {
            Filter::True => true,
            Filter::StringIn { column, values } => {
                let c = &self.columns[*column];
                match c.str(row) {
                    None => values.iter().any(Option::is_none),
                    Some(s) => values.iter().flatten().any(|v| v == s),
                }
            }
            Filter::StringCodes { column, codes } => {
                self.columns[*column].code(row).is_some_and(|c| codes.contains(&c))
            }
            Filter::IsNull { column, null } => self.columns[*column].is_null(row) == *null,
            Filter::Range { column, from, to } => self.columns[*column].in_range(row, *from, *to),
            Filter::Boolean { column, value } => self.columns[*column].boolean(row) == Some(*value),
            Filter::Letter(l) => {
                let (gene, sequence, position) = l.site().column();
                self.sequence(gene, sequence).symbol(row, position) == l.byte()
            }
            Filter::Mutated(site) => {
                let (gene, sequence, position) = site.column();
                let c = self.sequence(gene, sequence);
                let l = c.symbol(row, position);
                !c.alphabet.may_be(l, c.reference()[position as usize]) && l != c.alphabet.missing()
            }
            Filter::MaybeLetter(l) => {
                let (gene, sequence, position) = l.site().column();
                let c = self.sequence(gene, sequence);
                c.alphabet.may_be(c.symbol(row, position), l.byte())
            }
            Filter::Insertion { gene, sequence, position, pattern } => {
                let p = InsertionPattern::new(*position, pattern);
                self.insertions(*gene, *sequence)
                    .of_row(row)
                    .iter()
                    .any(|i| i.position == *position && p.matches(&i.symbols))
            }
            Filter::And(c) => c.iter().all(|f| self.matches(f, row)),
            Filter::Or(c) => c.iter().any(|f| self.matches(f, row)),
            Filter::Not(f) => !self.matches(f, row),
            Filter::NOf { n, exactly, children } => {
                let k = children.iter().filter(|f| self.matches(f, row)).count();
                if *exactly { k == *n } else { k >= *n }
            }
            Filter::PhyloDescendantOf { column, node } => self
                .phylo_of(*column, *node)
                .is_some_and(|p| p.is_descendant_row(virion_phylo::NodeId::new(*node), row)),
        }
    }

    /// AND: children in order of expected cost (indexed lookups and letters before scans and
    /// negations); once the running result is small, the rest are checked row by row.
    fn and(
        &self,
        children: &[Filter],
        among: Option<&RoaringBitmap>,
        stop: &Stop,
    ) -> Result<RoaringBitmap, Interrupted> {
        let merged = merge_ranges(children);
        let mut ordered: Vec<(u64, &Filter)> = merged.iter().map(|f| (self.cost(f), f)).collect();
        ordered.sort_by_key(|&(c, _)| c);
        let mut rows = match among {
            Some(a) => a.clone(),
            None => match ordered.first() {
                Some((_, first)) if !matches!(first, Filter::Not(_)) => {
                    let r = self.evaluate_within(first, stop)?;
                    ordered.remove(0);
                    r
                }
                _ => self.all(),
            },
        };
        for (_, child) in ordered {
            if rows.is_empty() {
                break;
            }
            rows = self.refine_within(child, &rows, stop)?;
        }
        Ok(rows)
    }

    /// A rough cost of evaluating `filter` over the whole index, in row visits (a pass over
    /// every row costs [`Index::rows`]): what query slots are chosen by.
    pub fn estimated_cost(&self, filter: &Filter) -> u64 {
        // The planner's `cost` estimates what a filter selects (an AND costs its cheapest
        // child, which it evaluates first); the work of a whole evaluation is bounded by what
        // every child may take: an AND of "everything" and a 5,000-child n-of is heavy.
        match filter {
            Filter::True => 0,
            Filter::And(c) => c.iter().fold(0, |sum, f| sum.saturating_add(self.estimated_cost(f))),
            Filter::Or(c) | Filter::NOf { children: c, .. } => {
                c.iter().fold(u64::from(self.rows), |sum, f| sum.saturating_add(self.estimated_cost(f)))
            }
            Filter::Not(inner) => self.estimated_cost(inner).saturating_add(u64::from(self.rows)),
            leaf => self.cost(leaf),
        }
    }

    /// A rough cost of evaluating a filter over the whole index; for indexed values and
    /// booleans the exact number of rows.
    fn cost(&self, filter: &Filter) -> u64 {
        let rows = u64::from(self.rows);
        match filter {
            Filter::StringCodes { column, codes } if self.columns[*column].is_indexed() => {
                let p = self.columns[*column].postings().unwrap_or_default();
                codes.iter().filter_map(|&c| p.get(c as usize)).map(RoaringBitmap::len).sum()
            }
            Filter::StringIn { column, values } if self.columns[*column].is_indexed() => {
                let c = &self.columns[*column];
                let p = c.postings().unwrap_or_default();
                values
                    .iter()
                    .map(|v| match v {
                        Some(v) => {
                            c.code_of(v).and_then(|code| p.get(code as usize)).map_or(0, RoaringBitmap::len)
                        }
                        None => rows / 8,
                    })
                    .sum()
            }
            Filter::Boolean { column, value } => self.columns[*column].rows_bool(*value).len(),
            Filter::PhyloDescendantOf { column, node } => self
                .phylo_of(*column, *node)
                .map_or(0, |p| p.descendant_count(virion_phylo::NodeId::new(*node))),
            Filter::Insertion { .. } => rows / 1000,
            Filter::Letter(_) | Filter::MaybeLetter(_) | Filter::Mutated(_) => rows / 20,
            f if self.scans(f) => rows * 4,
            Filter::Range { .. } => rows / 2,
            Filter::IsNull { .. } => rows,
            Filter::And(c) => c.iter().map(|f| self.cost(f)).min().unwrap_or(rows),
            Filter::True => rows,
            // Every child is evaluated: a 5,000-child n-of costs 5,000 children.
            Filter::Or(c) | Filter::NOf { children: c, .. } => {
                c.iter().fold(rows, |sum, f| sum.saturating_add(self.cost(f)))
            }
            Filter::Not(_) => rows * 8,
            _ => rows,
        }
    }

    /// Counts, per row, how many children match, with one bitmap per count level (so memory
    /// stays at `n + 1` bitmaps whatever the number of children).
    fn n_of(
        &self,
        n: usize,
        exactly: bool,
        children: &[Filter],
        among: Option<&RoaringBitmap>,
        stop: &Stop,
    ) -> Result<RoaringBitmap, Interrupted> {
        let scope = among.cloned().unwrap_or_else(|| self.all());
        if n == 0 && !exactly {
            return Ok(scope);
        }
        if n > children.len() {
            // More matches asked for than there are children: no row can have them.
            return Ok(RoaringBitmap::new());
        }
        // at_least[k]: rows matched by at least k+1 children so far (k < n + 1).
        let levels = n + 1;
        let mut at_least: Vec<RoaringBitmap> = vec![RoaringBitmap::new(); levels];
        for (i, child) in children.iter().enumerate() {
            stop.check()?;
            let matched = self.refine_within(child, &scope, stop)?;
            // Before child i only levels below i can hold rows: promoting from empty levels is
            // skipped, which keeps a many-child n-of from costing children × n bitmap steps.
            for k in (1..levels.min(i + 1)).rev() {
                if k % 64 == 0 {
                    stop.check()?;
                }
                if at_least[k - 1].is_empty() {
                    continue;
                }
                let promoted = &at_least[k - 1] & &matched;
                at_least[k] |= promoted;
            }
            at_least[0] |= matched;
        }
        let rows_at_least = |k: usize| if k == 0 { scope.clone() } else { at_least[k - 1].clone() };
        Ok(if exactly {
            let mut rows = rows_at_least(n);
            rows -= &at_least[n];
            rows
        } else {
            rows_at_least(n)
        })
    }

    /// Approximate heap bytes of every column.
    pub fn heap_bytes(&self) -> usize {
        self.columns.iter().map(Column::heap_bytes).sum::<usize>()
            + self.segments.iter().chain(&self.genes).map(SequenceColumn::bytes).sum::<usize>()
            + self
                .nucleotide_insertions
                .iter()
                .chain(&self.amino_acid_insertions)
                .map(InsertionColumn::heap_bytes)
                .sum::<usize>()
            + self.phylo.as_ref().map_or(0, PhyloColumn::heap_bytes)
    }
}

/// The children of an AND with the ranges on one column made one range (`dateFrom` and
/// `dateTo` arrive as two filters but are one search).
fn merge_ranges(children: &[Filter]) -> std::borrow::Cow<'_, [Filter]> {
    let column_of = |f: &Filter| match f {
        Filter::Range { column, .. } => Some(*column),
        _ => None,
    };
    let ranged: Vec<usize> = children.iter().filter_map(column_of).collect();
    if (1..ranged.len()).all(|i| !ranged[..i].contains(&ranged[i])) {
        return children.into();
    }
    let mut out: Vec<Filter> = Vec::with_capacity(children.len());
    for child in children {
        if let Filter::Range { column, from, to } = child
            && let Some(Filter::Range { from: f, to: t, .. }) =
                out.iter_mut().find(|o| matches!(o, Filter::Range { column: c, .. } if c == column))
        {
            *f = match (*f, *from) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            };
            *t = match (*t, *to) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            continue;
        }
        out.push(child.clone());
    }
    out.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two ranges on one column become one; ranges on other columns and other filters stay.
    #[test]
    fn ranges_on_one_column_merge() {
        let range = |column, from, to| Filter::Range { column, from, to };
        let children = [
            range(0, Some(1.0), None),
            Filter::Boolean { column: 2, value: true },
            range(1, None, Some(3.0)),
            range(0, None, Some(9.0)),
            range(0, Some(4.0), Some(20.0)),
        ];
        let merged = merge_ranges(&children);
        assert_eq!(
            merged.as_ref(),
            [
                range(0, Some(4.0), Some(9.0)),
                Filter::Boolean { column: 2, value: true },
                range(1, None, Some(3.0))
            ]
        );
        assert!(matches!(merge_ranges(&merged), std::borrow::Cow::Borrowed(_)));
    }

    fn tiny() -> Index {
        let schema = Schema {
            metadata: vec![("k".into(), ColumnType::String { indexed: false })],
            segments: vec![("main".into(), b"ACGT".to_vec())],
            genes: vec![],
        };
        let mut ix = Index::new(&schema).unwrap();
        for (k, g) in [("a", "ACGT"), ("b", "ACGA"), ("c", "TCGT")] {
            ix.push(RowInput {
                metadata: vec![Value::String(k.into())],
                segments: vec![SeqInput::Aligned(g.as_bytes().to_vec())],
                genes: vec![],
                ..RowInput::default()
            })
            .unwrap();
        }
        ix
    }

    fn many_of(n: usize, children: usize) -> Filter {
        Filter::NOf { n, exactly: false, children: vec![Filter::IsNull { column: 0, null: false }; children] }
    }

    #[test]
    fn evaluation_stops_at_the_deadline_inside_an_n_of() {
        let ix = tiny();
        let past = Stop::new(Some(std::time::Instant::now() - std::time::Duration::from_millis(1)), None);
        let filter = Filter::And(vec![Filter::True, many_of(2, 3000)]);
        assert_eq!(ix.evaluate_within(&filter, &past), Err(Interrupted::Deadline));
        assert_eq!(ix.refine_within(&filter, &ix.all(), &past), Err(Interrupted::Deadline));
        // Without a deadline it answers; more matches asked for than children: none.
        assert_eq!(ix.evaluate(&filter).len(), 3);
        assert!(ix.evaluate(&many_of(3001, 3000)).is_empty());
    }

    #[test]
    fn the_work_of_an_and_counts_every_child() {
        let ix = tiny();
        let rows = u64::from(ix.rows());
        let heavy = Filter::And(vec![Filter::True, many_of(2, 3000)]);
        assert!(ix.estimated_cost(&heavy) > 1000 * rows, "{}", ix.estimated_cost(&heavy));
        let cheap =
            Filter::And(vec![Filter::True, Filter::StringIn { column: 0, values: vec![Some("a".into())] }]);
        assert!(ix.estimated_cost(&cheap) <= 4 * rows, "{}", ix.estimated_cost(&cheap));
    }
}
