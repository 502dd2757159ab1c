//! `/sample/nucleotideMutations` and `/sample/aminoAcidMutations`: every mutation among the
//! matching rows whose proportion reaches `minProportion`, where proportion = count /
//! coverage and coverage counts the rows with a definite letter at the position (N, X and
//! other ambiguity codes excluded, deletions included), as LAPIS and SILO compute it.
//! Ambiguity codes are never reported as mutations.

use virion_index::{Index, RoaringBitmap};

use crate::error::QueryError;

#[derive(Debug, Clone, PartialEq)]
pub struct MutationProportion {
    /// LAPIS text: `C241T`, `seg:C241T` (several segments) or `S:L455S`.
    pub mutation: String,
    pub sequence_name: String,
    pub mutation_from: char,
    pub mutation_to: char,
    /// 1-based.
    pub position: u32,
    pub count: u64,
    pub coverage: u64,
    pub proportion: f64,
}

/// Mutations of nucleotide segments (`amino_acid: false`) or genes among `rows`, in sequence,
/// position and letter order.
pub fn mutation_proportions(
    index: &Index,
    rows: &RoaringBitmap,
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
    let columns = if amino_acid { &index.genes } else { &index.segments };
    let prefix_names = amino_acid || columns.len() > 1;
    let mut out = Vec::new();
    for column in columns {
        for c in column.symbol_counts(rows) {
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
    Ok(out)
}
