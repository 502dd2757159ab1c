//! LAPIS mutation syntax: `[segment:]?[from]?position[to]?` for nucleotides and
//! `gene:[from]?position[to]?` for amino acids. Positions are 1-based; `to` is a letter, `-`
//! (deletion), `N`/`X` (unknown) or `.` (the reference's letter); without `to` the query means
//! "any mutation". The `from` letter is accepted and ignored, as LAPIS does.
//!
//! Letters are `virion-core`'s [`Nuc`] and [`Aa`]; a query becomes an index filter over a
//! typed [`Site`] (0-based `virion-core` coordinates) in [`to_filter`], the one place where
//! the 1-based text position is converted.

use virion_core::{Aa, Nuc};
use virion_index::{Filter, Index, Site};

use crate::error::QueryError;

/// What letter a mutation query asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Any letter but the reference's and the unknown letter.
    AnyMutation,
    /// The reference's letter (`.`).
    Reference,
    /// A nucleotide letter (`U` reads as `T`).
    Nuc(Nuc),
    /// An amino-acid letter.
    Aa(Aa),
}

impl Target {
    /// The letter asked for, as written (`None` for any mutation and the reference's letter).
    pub fn letter(self) -> Option<u8> {
        match self {
            Target::Nuc(n) => Some(n.to_byte()),
            Target::Aa(a) => Some(a.to_byte()),
            Target::AnyMutation | Target::Reference => None,
        }
    }
}

/// A parsed mutation query, not yet tied to an index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MutationQuery {
    /// Segment (nucleotides; `None`: the only one) or gene (amino acids).
    pub sequence: Option<String>,
    /// The position as written: 1-based (see [`to_filter`]).
    pub position: u32,
    /// The letter asked for.
    pub target: Target,
}

/// The letter `ch` of the alphabet asked for, `None` when it is not one of its letters.
fn letter(amino_acid: bool, ch: u8) -> Option<Target> {
    if amino_acid { Aa::from_byte(ch).map(Target::Aa) } else { Nuc::from_byte(ch).map(Target::Nuc) }
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
    if digits_start == 1 && letter(amino_acid, bytes[0]).is_none() && bytes[0] != b'.' {
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
        [ch] => letter(amino_acid, *ch).ok_or_else(|| bad("expected one symbol after the position"))?,
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
    let len = column.reference().len();
    if query.position as usize > len {
        return Err(QueryError::Mutation {
            parameter: parameter.to_owned(),
            value: query.position.to_string(),
            reason: format!("position beyond {}'s {len} positions", column.name),
        });
    }
    // The one conversion from the 1-based text position to virion-core's 0-based coordinates.
    let zero_based = query.position as usize - 1;
    let site = if amino_acid {
        Site::Aa { gene: sequence, position: zero_based.into() }
    } else {
        Site::Nuc { segment: sequence, position: zero_based.into() }
    };
    let reference = column.reference()[zero_based];
    let at = |letter: u8| {
        site.with_letter(letter).ok_or_else(|| QueryError::Mutation {
            parameter: parameter.to_owned(),
            value: (letter as char).to_string(),
            reason: format!("not a letter of {}", column.name),
        })
    };
    Ok(match query.target {
        // Under MAYBE(), "any mutation" is any letter but the reference's itself (an N may hide
        // one); plainly, a letter that cannot be the reference's (SILO's hasMutation).
        Target::AnyMutation if maybe => Filter::Not(Box::new(Filter::Letter(at(reference)?))),
        Target::AnyMutation => Filter::Mutated(site),
        Target::Reference if maybe => Filter::MaybeLetter(at(reference)?),
        Target::Reference => Filter::Letter(at(reference)?),
        Target::Nuc(_) | Target::Aa(_) => {
            let letter = at(query.target.letter().expect("a letter target"))?;
            if maybe { Filter::MaybeLetter(letter) } else { Filter::Letter(letter) }
        }
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
        assert_eq!(nuc("C241T").unwrap(), q(None, 241, Target::Nuc(Nuc::T)));
        assert_eq!(nuc("C241u").unwrap(), q(None, 241, Target::Nuc(Nuc::T)));
        assert_eq!(nuc("241").unwrap(), q(None, 241, Target::AnyMutation));
        assert_eq!(nuc("241.").unwrap(), q(None, 241, Target::Reference));
        assert_eq!(nuc("c241-").unwrap(), q(None, 241, Target::Nuc(Nuc::Gap)));
        assert_eq!(nuc("L:A10N").unwrap(), q(Some("L"), 10, Target::Nuc(Nuc::N)));
        let aa = parse("S:L455S", true, "aminoAcidMutations").unwrap();
        assert_eq!(aa, q(Some("S"), 455, Target::Aa(Aa::S)));
        assert_eq!(parse("ORF1a:3606", true, "x").unwrap(), q(Some("ORF1a"), 3606, Target::AnyMutation));
        assert_eq!(parse("S:5*", true, "x").unwrap(), q(Some("S"), 5, Target::Aa(Aa::Stop)));
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
