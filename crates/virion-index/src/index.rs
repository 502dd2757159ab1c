//! The index of one organism's released data: metadata columns and aligned sequence columns
//! over the same rows, and the filters it answers.

use roaring::RoaringBitmap;

use crate::metadata::{Column, ColumnType, Value, ValueError};
use crate::sequence::{Alphabet, SequenceColumn, SequenceError};

/// What the index holds: its metadata columns and its sequences (segments, then genes).
#[derive(Debug, Clone)]
pub struct Schema {
    pub metadata: Vec<(String, ColumnType)>,
    /// (name, reference) of each nucleotide segment.
    pub segments: Vec<(String, Vec<u8>)>,
    /// (name, reference peptide) of each gene.
    pub genes: Vec<(String, Vec<u8>)>,
}

/// One row to append: values in schema order; aligned sequences per segment and gene
/// (`None`: not sequenced).
#[derive(Debug, Clone, Default)]
pub struct RowInput {
    pub metadata: Vec<Value>,
    pub segments: Vec<Option<Vec<u8>>>,
    pub genes: Vec<Option<Vec<u8>>>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IndexError {
    #[error(transparent)]
    Value(#[from] ValueError),
    #[error(transparent)]
    Sequence(#[from] SequenceError),
    #[error("row has {got} {what}, the schema {expected}")]
    Shape { what: &'static str, got: usize, expected: usize },
}

/// A filter over rows; evaluated to the bitmap of matching rows.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    True,
    /// String column equals any of the values (`None` in the list: is null).
    StringIn {
        column: usize,
        values: Vec<Option<String>>,
    },
    /// String column value satisfies a predicate chosen by the caller (regex, lineage set).
    StringCodes {
        column: usize,
        codes: Vec<u32>,
    },
    IsNull {
        column: usize,
        null: bool,
    },
    /// Date (day numbers), integer or float in `[from, to]`.
    Range {
        column: usize,
        from: Option<f64>,
        to: Option<f64>,
    },
    Boolean {
        column: usize,
        value: bool,
    },
    /// Nucleotide (`gene: false`) or amino-acid letter at a 0-based position.
    Symbol {
        gene: bool,
        sequence: usize,
        position: u32,
        symbol: u8,
    },
    /// Any letter other than the reference's and the missing letter.
    Mutated {
        gene: bool,
        sequence: usize,
        position: u32,
    },
    /// A letter that may be `symbol` (IUPAC ambiguity).
    MaybeSymbol {
        gene: bool,
        sequence: usize,
        position: u32,
        symbol: u8,
    },
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Not(Box<Filter>),
    /// At least `n` (exactly `n` when `exactly`) of the children match.
    NOf {
        n: usize,
        exactly: bool,
        children: Vec<Filter>,
    },
}

/// Metadata and sequence columns over the same rows.
#[derive(Debug, Clone)]
pub struct Index {
    pub columns: Vec<Column>,
    pub segments: Vec<SequenceColumn>,
    pub genes: Vec<SequenceColumn>,
    rows: u32,
}

impl Index {
    pub fn new(schema: &Schema) -> Index {
        Index {
            columns: schema.metadata.iter().map(|(n, t)| Column::new(n, *t)).collect(),
            segments: schema
                .segments
                .iter()
                .map(|(n, r)| SequenceColumn::new(n, Alphabet::Nucleotide, r))
                .collect(),
            genes: schema.genes.iter().map(|(n, r)| SequenceColumn::new(n, Alphabet::AminoAcid, r)).collect(),
            rows: 0,
        }
    }

    pub fn rows(&self) -> u32 {
        self.rows
    }

    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// Appends a row. The row is checked whole first, so a refused row changes nothing.
    pub fn push(&mut self, row: RowInput) -> Result<u32, IndexError> {
        let shape = |what, got: usize, expected: usize| {
            (got != expected).then_some(IndexError::Shape { what, got, expected })
        };
        if let Some(e) = shape("metadata values", row.metadata.len(), self.columns.len())
            .or_else(|| shape("segments", row.segments.len(), self.segments.len()))
            .or_else(|| shape("genes", row.genes.len(), self.genes.len()))
        {
            return Err(e);
        }
        for (column, value) in self.columns.iter().zip(&row.metadata) {
            column.check(value)?;
        }
        for (column, seq) in
            self.segments.iter().chain(&self.genes).zip(row.segments.iter().chain(&row.genes))
        {
            if let Some(seq) = seq
                && seq.len() != column.reference().len()
            {
                return Err(SequenceError::Length {
                    column: column.name.clone(),
                    got: seq.len(),
                    expected: column.reference().len(),
                }
                .into());
            }
        }
        for (column, value) in self.columns.iter_mut().zip(row.metadata) {
            column.push(value)?;
        }
        for (column, seq) in self.segments.iter_mut().zip(&row.segments) {
            column.push(seq.as_deref())?;
        }
        for (column, seq) in self.genes.iter_mut().zip(&row.genes) {
            column.push(seq.as_deref())?;
        }
        self.rows += 1;
        Ok(self.rows - 1)
    }

    pub fn all(&self) -> RoaringBitmap {
        let mut all = RoaringBitmap::new();
        all.insert_range(0..self.rows);
        all
    }

    fn sequence(&self, gene: bool, i: usize) -> &SequenceColumn {
        if gene { &self.genes[i] } else { &self.segments[i] }
    }

    /// The rows matching `filter`. `And` evaluates its cheapest-looking children first and
    /// stops as soon as the intersection is empty.
    pub fn evaluate(&self, filter: &Filter) -> RoaringBitmap {
        match filter {
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
            Filter::Symbol { gene, sequence, position, symbol } => {
                self.sequence(*gene, *sequence).rows_with(*position, *symbol)
            }
            Filter::Mutated { gene, sequence, position } => {
                self.sequence(*gene, *sequence).rows_mutated(*position)
            }
            Filter::MaybeSymbol { gene, sequence, position, symbol } => {
                self.sequence(*gene, *sequence).rows_maybe(*position, *symbol)
            }
            Filter::And(children) => {
                let mut ordered: Vec<&Filter> = children.iter().collect();
                ordered.sort_by_key(|f| cost_rank(f));
                let mut rows = self.all();
                for child in ordered {
                    if rows.is_empty() {
                        break;
                    }
                    match child {
                        Filter::Not(inner) => rows -= self.evaluate(inner),
                        other => rows &= self.evaluate(other),
                    }
                }
                rows
            }
            Filter::Or(children) => {
                let mut rows = RoaringBitmap::new();
                for child in children {
                    rows |= self.evaluate(child);
                }
                rows
            }
            Filter::Not(inner) => {
                let mut rows = self.all();
                rows -= self.evaluate(inner);
                rows
            }
            Filter::NOf { n, exactly, children } => self.n_of(*n, *exactly, children),
        }
    }

    /// Counts, per row, how many children match, with one bitmap per count level (so memory
    /// stays at `n + 1` bitmaps whatever the number of children).
    fn n_of(&self, n: usize, exactly: bool, children: &[Filter]) -> RoaringBitmap {
        if n == 0 && !exactly {
            return self.all();
        }
        // at_least[k]: rows matched by at least k+1 children so far (k < n + 1).
        let levels = n + 1;
        let mut at_least: Vec<RoaringBitmap> = vec![RoaringBitmap::new(); levels];
        for child in children {
            let matched = self.evaluate(child);
            for k in (1..levels).rev() {
                let promoted = &at_least[k - 1] & &matched;
                at_least[k] |= promoted;
            }
            at_least[0] |= matched;
        }
        let rows_at_least = |k: usize| if k == 0 { self.all() } else { at_least[k - 1].clone() };
        if exactly {
            let mut rows = rows_at_least(n);
            rows -= &at_least[n];
            rows
        } else {
            rows_at_least(n)
        }
    }
}

/// A rough order for AND: narrow, cheap filters first (mutation bitmaps and indexed strings
/// are usually small; negations and ranges scan).
fn cost_rank(filter: &Filter) -> u8 {
    match filter {
        Filter::Symbol { .. } | Filter::StringCodes { .. } | Filter::StringIn { .. } => 0,
        Filter::Mutated { .. } | Filter::MaybeSymbol { .. } | Filter::Boolean { .. } => 1,
        Filter::Range { .. } | Filter::IsNull { .. } => 2,
        Filter::And(_) | Filter::Or(_) | Filter::NOf { .. } | Filter::True => 3,
        Filter::Not(_) => 4,
    }
}
