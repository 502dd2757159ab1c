//! `/sample/nucleotideMutations` and `/sample/aminoAcidMutations`: every mutation among the
//! matching rows whose proportion reaches `minProportion`, where proportion = count /
//! coverage and coverage counts the rows with a definite letter at the position (N, X and
//! other ambiguity codes excluded, deletions included), as LAPIS and SILO compute it.
//! Ambiguity codes are never reported as mutations. Counts of several parts (an index and a
//! group's unreleased overlay, or other nodes) are added before proportions are taken.

use virion_index::{Index, LetterCounts, RoaringBitmap};

use crate::error::QueryError;

/// One mutation with its count and proportion among the selected rows, a row of `/nucleotideMutations` or
/// `/aminoAcidMutations`.
#[derive(Debug, Clone, PartialEq)]
pub struct MutationProportion {
    /// LAPIS text: `C241T`, `seg:C241T` (several segments) or `S:L455S`.
    pub mutation: String,
    /// The segment or gene (`sequenceName` in LAPIS's answer).
    pub sequence_name: String,
    /// The reference's letter.
    pub mutation_from: char,
    /// The mutated letter (`-` for a deletion).
    pub mutation_to: char,
    /// 1-based.
    pub position: u32,
    /// Selected rows with the mutated letter.
    pub count: u64,
    /// Selected rows with a definite letter at the position (not N, X or an ambiguity code).
    pub coverage: u64,
    /// `count / coverage`.
    pub proportion: f64,
}

/// Mutations of nucleotide segments (`amino_acid: false`) or genes among `rows`, in SILO's
/// order (what a LAPIS client sees without `orderBy`): see [`silo_order`].
pub fn mutation_proportions(
    index: &Index,
    rows: &RoaringBitmap,
    amino_acid: bool,
    min_proportion: f64,
) -> Result<Vec<MutationProportion>, QueryError> {
    mutation_proportions_of(&[(index, rows)], amino_acid, min_proportion)
}

/// As [`mutation_proportions`] over several parts with the same sequences (counts added).
pub fn mutation_proportions_of(
    parts: &[(&Index, &RoaringBitmap)],
    amino_acid: bool,
    min_proportion: f64,
) -> Result<Vec<MutationProportion>, QueryError> {
    if !(0.0..=1.0).contains(&min_proportion) {
        return Err(QueryError::BadValue {
            parameter: "minProportion".into(),
            value: min_proportion.to_string(),
            reason: "must lie in [0, 1]".into(),
        });
    }
    let Some(&(first, _)) = parts.first() else { return Ok(Vec::new()) };
    let columns = if amino_acid { &first.genes } else { &first.segments };
    let prefix_names = amino_acid || columns.len() > 1;
    let mut out = Vec::new();
    for (i, column) in columns.iter().enumerate() {
        let mut counts: Option<LetterCounts> = None;
        for &(index, rows) in parts {
            let c = if amino_acid { &index.genes[i] } else { &index.segments[i] };
            let part = c.letter_counts(rows);
            match counts.as_mut() {
                Some(total) => total.add(part),
                None => counts = Some(part),
            }
        }
        let Some(counts) = counts else { continue };
        for c in column.symbol_counts_of(&counts) {
            if !column.alphabet.is_definite(c.symbol) || c.coverage == 0 {
                continue;
            }
            let proportion = c.count as f64 / c.coverage as f64;
            if proportion < min_proportion {
                continue;
            }
            let from = column.reference()[c.position as usize] as char;
            let to = c.symbol as char;
            let position = c.position + 1;
            let text = format!("{from}{position}{to}");
            out.push(MutationProportion {
                mutation: if prefix_names { format!("{}:{text}", column.name) } else { text },
                sequence_name: column.name.clone(),
                mutation_from: from,
                mutation_to: to,
                position,
                count: c.count,
                coverage: c.coverage,
                proportion,
            });
        }
    }
    out.sort_by(silo_order);
    Ok(out)
}

/// A mutation asked for by site: the segment or gene by name (`None`: the only segment of a
/// single-segment organism), the 1-based position and the mutated letter.
pub type MutationSite<'a> = (Option<&'a str>, u32, u8);

/// The count and coverage among `rows` of each of `mutations`: rows with that letter at the
/// position, and rows with a definite letter there. A federated mutation answer asks a node
/// for them where another node found a mutation over the threshold and this one did not, so
/// that the sums of count and coverage are exact; one bitmap per mutation, not a count of
/// every letter at every position.
pub fn counts_at(
    index: &Index,
    rows: &RoaringBitmap,
    amino_acid: bool,
    mutations: &[MutationSite<'_>],
) -> Result<Vec<(u64, u64)>, QueryError> {
    let columns = if amino_acid { &index.genes } else { &index.segments };
    mutations
        .iter()
        .map(|&(name, position, symbol)| {
            let column = match name {
                Some(name) => columns.iter().find(|c| c.name.eq_ignore_ascii_case(name)),
                None if columns.len() == 1 => columns.first(),
                None => None,
            };
            let unknown = || QueryError::BadValue {
                parameter: "mutations".into(),
                value: format!("{}:{position}{}", name.unwrap_or(""), symbol as char),
                reason: format!("no such {} position here", if amino_acid { "gene" } else { "segment" }),
            };
            let column = column.ok_or_else(unknown)?;
            if position == 0 || position as usize > column.reference().len() {
                return Err(unknown());
            }
            let count = column.rows_with(position - 1, symbol.to_ascii_uppercase()).intersection_len(rows);
            Ok((count, column.coverage(position - 1, rows)))
        })
        .collect()
}

/// SILO's order of mutations: by sequence name (its schema is a map keyed by name, so byte
/// order, not the reference's order), then position, then the letter in SILO's symbol order
/// (the gap first, letters alphabetically, the stop `*` last).
pub fn silo_order(a: &MutationProportion, b: &MutationProportion) -> std::cmp::Ordering {
    let rank = |c: char| match c {
        '-' => 0,
        '*' => u32::MAX,
        c => c as u32,
    };
    (a.sequence_name.as_bytes(), a.position, rank(a.mutation_to)).cmp(&(
        b.sequence_name.as_bytes(),
        b.position,
        rank(b.mutation_to),
    ))
}

#[cfg(test)]
mod tests {
    use virion_index::{ColumnType, RowInput, Schema, SeqInput};

    use super::*;

    /// Two segments listed against SILO's name order, and two mutations at one position.
    #[test]
    fn without_order_by_mutations_come_in_silo_order() {
        let schema = Schema {
            metadata: vec![("id".into(), ColumnType::String { indexed: false })],
            segments: vec![("S".into(), b"ACGT".to_vec()), ("L".into(), b"ACGT".to_vec())],
            genes: vec![("P".into(), b"MKW".to_vec())],
        };
        let mut index = Index::new(&schema).unwrap();
        for (s, l, p) in [("ACGT", "ATGA", "MK*"), ("A-GT", "AGGA", "M-*"), ("ACGT", "ACGT", "MKW")] {
            index
                .push(RowInput {
                    metadata: vec![virion_index::Value::String("x".into())],
                    segments: vec![SeqInput::Aligned(s.into()), SeqInput::Aligned(l.into())],
                    genes: vec![SeqInput::Aligned(p.into())],
                    ..RowInput::default()
                })
                .unwrap();
        }
        let names = |amino_acid| -> Vec<String> {
            let found = mutation_proportions(&index, &index.all(), amino_acid, 0.0).unwrap();
            found.into_iter().map(|m| m.mutation).collect()
        };
        assert_eq!(names(false), ["L:C2G", "L:C2T", "L:T4A", "S:C2-"]);
        assert_eq!(names(true), ["P:K2-", "P:W3*"]);
    }
}
