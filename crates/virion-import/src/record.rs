//! One imported genome, and the warnings collected while reading.

use std::collections::{BTreeMap, HashMap};

use virion_index::Value;

use crate::alphabet::Insertion;
use crate::schema::ImportSchema;

/// One input line as typed columns, in the schema's order.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportRecord {
    /// 1-based line of the input it came from.
    pub line: u64,
    /// One value per schema metadata field.
    pub metadata: Vec<Value>,
    /// Per schema segment: upper-case letters, the reference's length, unknown as N.
    pub aligned_nucleotides: Vec<Option<Vec<u8>>>,
    /// Per schema segment: the string as submitted, byte for byte (any length, any letters).
    pub unaligned_nucleotides: Vec<Option<Vec<u8>>>,
    /// Per schema gene: upper-case letters, the reference peptide's length, unknown as X.
    pub aligned_amino_acids: Vec<Option<Vec<u8>>>,
    /// Per schema segment, in input order.
    pub nucleotide_insertions: Vec<Vec<Insertion>>,
    /// Per schema gene, in input order.
    pub amino_acid_insertions: Vec<Vec<Insertion>>,
}

impl ImportRecord {
    /// A record with every column null or empty, to be filled in.
    pub(crate) fn empty(schema: &ImportSchema, line: u64) -> ImportRecord {
        let (s, g) = (schema.segments.len(), schema.genes.len());
        ImportRecord {
            line,
            metadata: vec![Value::Null; schema.metadata.len()],
            aligned_nucleotides: vec![None; s],
            unaligned_nucleotides: vec![None; s],
            aligned_amino_acids: vec![None; g],
            nucleotide_insertions: vec![Vec::new(); s],
            amino_acid_insertions: vec![Vec::new(); g],
        }
    }
}

/// A key of the input that the schema does not know, counted once per line it appears on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownKey {
    /// On how many lines the key appears.
    pub lines: u64,
    /// The 1-based first line it appears on.
    pub first_line: u64,
}

/// Unknown keys seen so far, by key (nested keys as `section.key`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnknownKeys(pub BTreeMap<String, UnknownKey>);

impl UnknownKeys {
    pub(crate) fn merge(&mut self, other: &HashMap<String, UnknownKey>) {
        for (key, seen) in other {
            self.0
                .entry(key.clone())
                .and_modify(|k| {
                    k.lines += seen.lines;
                    k.first_line = k.first_line.min(seen.first_line);
                })
                .or_insert(*seen);
        }
    }
}

/// Per-batch collector of unknown keys (merged into [`UnknownKeys`] in input order).
#[derive(Debug, Default)]
pub(crate) struct UnknownCounter(pub HashMap<String, UnknownKey>);

impl UnknownCounter {
    pub(crate) fn saw(&mut self, key: &str, line: u64) {
        match self.0.get_mut(key) {
            Some(k) => k.lines += 1,
            None => {
                self.0.insert(key.to_owned(), UnknownKey { lines: 1, first_line: line });
            }
        }
    }
}
