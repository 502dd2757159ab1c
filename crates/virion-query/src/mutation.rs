//! LAPIS mutation syntax: `[segment:]?[from]?position[to]?` for nucleotides and
//! `gene:[from]?position[to]?` for amino acids. Positions are 1-based; `to` is a letter, `-`
//! (deletion), `N`/`X` (unknown) or `.` (the reference's letter); without `to` the query means
//! "any mutation". The `from` letter is accepted and ignored, as LAPIS does.

use virion_index::{Filter, Index};

use crate::error::QueryError;

/// What letter a mutation query asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Any letter but the reference's and the unknown letter.
    AnyMutation,
    /// The reference's letter (`.`).
    Reference,
    /// This letter, as an upper-case ASCII byte (`-`: a deletion, `N`/`X`: unknown).
    Letter(u8),
}

/// A parsed mutation query, not yet tied to an index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MutationQuery {
    /// Segment (nucleotides; `None`: the only one) or gene (amino acids).
    pub sequence: Option<String>,
    /// 1-based.
    pub position: u32,
    /// The letter asked for.
    pub target: Target,
}

fn valid_letter(amino_acid: bool, ch: u8) -> bool {
    if amino_acid {
        ch.is_ascii_uppercase() || ch == b'*' || ch == b'-'
    } else {
        b"ACGTURYSWKMBDHVN-".contains(&ch)
    }
}

/// Parses one mutation; `parameter` names the request field in errors.
pub fn parse(text: &str, amino_acid: bool, parameter: &str) -> Result<MutationQuery, QueryError> {
    let bad = |reason: &str| QueryError::Mutation {
        parameter: parameter.to_owned(),
        value: text.to_owned(),
        reason: reason.to_owned(),
    };
    let trimmed = text.trim();
    let (sequence, rest) = match trimmed.rsplit_once(':') {
        Some((name, rest)) if !name.is_empty() => (Some(name.to_owned()), rest),
        Some(_) => return Err(bad("nothing before ':'")),
        None if amino_acid => {
            return Err(bad("an amino-acid mutation names its gene: GENE:POSITION[TO], e.g. S:L455S"));
        }
        None => (None, trimmed),
    };
    let upper = rest.to_ascii_uppercase();
    let bytes = upper.as_bytes();
    let digits_start = bytes.iter().position(u8::is_ascii_digit).ok_or_else(|| bad("no position"))?;
    if digits_start > 1 {
        return Err(bad("at most one letter may precede the position"));
    }
    if digits_start == 1 && !valid_letter(amino_acid, bytes[0]) && bytes[0] != b'.' {
        return Err(bad("the letter before the position is not a valid symbol"));
    }
    let digits_end = digits_start + bytes[digits_start..].iter().take_while(|b| b.is_ascii_digit()).count();
    let position: u32 = upper[digits_start..digits_end].parse().map_err(|_| bad("position too large"))?;
    if position == 0 {
        return Err(bad("positions start at 1"));
    }
    let target = match &bytes[digits_end..] {
        [] => Target::AnyMutation,
        [b'.'] => Target::Reference,
        [b'U'] if !amino_acid => Target::Letter(b'T'),
        [ch] if valid_letter(amino_acid, *ch) => Target::Letter(*ch),
        _ => return Err(bad("expected one symbol after the position")),
    };
    Ok(MutationQuery { sequence, position, target })
}

/// The index filter for a mutation query; `maybe` matches ambiguity codes too (`MAYBE()`).
pub fn to_filter(
    index: &Index,
    query: &MutationQuery,
    amino_acid: bool,
    maybe: bool,
    parameter: &str,
) -> Result<Filter, QueryError> {
    let columns = if amino_acid { &index.genes } else { &index.segments };
    let what = if amino_acid { "gene" } else { "segment" };
    let sequence = match &query.sequence {
        Some(name) => columns.iter().position(|c| c.name.eq_ignore_ascii_case(name)).ok_or_else(|| {
            QueryError::UnknownSequence {
                parameter: parameter.to_owned(),
                kind: what,
                name: name.clone(),
                known: columns.iter().map(|c| c.name.clone()).collect::<Vec<_>>().join(", "),
            }
        })?,
        None if columns.len() == 1 => 0,
        None => {
            return Err(QueryError::Mutation {
                parameter: parameter.to_owned(),
                value: format!("{}", query.position),
                reason: format!("this organism has several segments; name one ({what}:POSITION)"),
            });
        }
    };
    let column = &columns[sequence];
    let len = column.reference().len() as u32;
    if query.position > len {
        return Err(QueryError::Mutation {
            parameter: parameter.to_owned(),
            value: query.position.to_string(),
            reason: format!("position beyond {}'s {len} positions", column.name),
        });
    }
    let position = query.position - 1;
    let gene = amino_acid;
    Ok(match query.target {
        // Under MAYBE(), "any mutation" is any letter but the reference's itself (an N may hide
        // one); plainly, a letter that cannot be the reference's (SILO's hasMutation).
        Target::AnyMutation if maybe => Filter::Not(Box::new(Filter::Symbol {
            gene,
            sequence,
            position,
            symbol: column.reference()[position as usize],
        })),
        Target::AnyMutation => Filter::Mutated { gene, sequence, position },
        Target::Reference => {
            let symbol = column.reference()[position as usize];
            if maybe {
                Filter::MaybeSymbol { gene, sequence, position, symbol }
            } else {
                Filter::Symbol { gene, sequence, position, symbol }
            }
        }
        Target::Letter(symbol) if maybe => Filter::MaybeSymbol { gene, sequence, position, symbol },
        Target::Letter(symbol) => Filter::Symbol { gene, sequence, position, symbol },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nuc(t: &str) -> Result<MutationQuery, QueryError> {
        parse(t, false, "nucleotideMutations")
    }

    #[test]
    fn lapis_forms() {
        let q = |sequence: Option<&str>, position, target| MutationQuery {
            sequence: sequence.map(str::to_owned),
            position,
            target,
        };
        assert_eq!(nuc("C241T").unwrap(), q(None, 241, Target::Letter(b'T')));
        assert_eq!(nuc("241").unwrap(), q(None, 241, Target::AnyMutation));
        assert_eq!(nuc("241.").unwrap(), q(None, 241, Target::Reference));
        assert_eq!(nuc("c241-").unwrap(), q(None, 241, Target::Letter(b'-')));
        assert_eq!(nuc("L:A10N").unwrap(), q(Some("L"), 10, Target::Letter(b'N')));
        let aa = parse("S:L455S", true, "aminoAcidMutations").unwrap();
        assert_eq!(aa, q(Some("S"), 455, Target::Letter(b'S')));
        assert_eq!(parse("ORF1a:3606", true, "x").unwrap(), q(Some("ORF1a"), 3606, Target::AnyMutation));
        assert_eq!(parse("S:5*", true, "x").unwrap(), q(Some("S"), 5, Target::Letter(b'*')));
    }

    #[test]
    fn malformed_named() {
        for bad in ["", "C", "CC241T", "241TT", "0A", ":241T", "C241Z", "99999999999999T"] {
            let err = nuc(bad).unwrap_err().to_string();
            assert!(err.contains("nucleotideMutations"), "{bad}: {err}");
        }
        assert!(
            parse("L455S", true, "aminoAcidMutations").unwrap_err().to_string().contains("names its gene")
        );
    }
}
