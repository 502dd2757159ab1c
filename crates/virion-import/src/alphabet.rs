//! The letters SILO accepts in aligned sequences and insertions, and their normal form.
//!
//! Nucleotides: `-`, A, C, G, T, the IUPAC ambiguity codes R Y S W K M B D H V, and N; `U` is
//! read as `T`. Amino acids: `-`, the 20 standard ones, O, U, B, J, Z, `*` (stop) and X. Both
//! accept lower case (upper-cased on reading), as SILO does (`nucleotide_symbols.h`,
//! `aa_symbols.h`). Anything else is an error naming the letter and its position.

use virion_core::{Aa, Nuc};

use crate::error::{FieldProblem, InsertionProblem};

/// Which letters a sequence may hold, and which one stands for "unknown".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alphabet {
    /// Nucleotides as `virion-core` reads them (IUPAC codes and gap, `U` as `T`); `N` is unknown.
    Nucleotide,
    /// Amino acids as `virion-core` reads them (with stop and gap); `X` is unknown.
    AminoAcid,
}

/// Byte → normal form; 0 = not a symbol.
type Table = [u8; 256];

// The tables are `virion-core`'s letters (`Nuc::from_byte`, `Aa::from_byte`: either case, `U`
// read as `T`), laid out once for a lookup per byte.
const fn letter_table(amino_acid: bool) -> Table {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = if amino_acid {
            match Aa::from_byte(b as u8) {
                Some(a) => a.to_byte(),
                None => 0,
            }
        } else {
            match Nuc::from_byte(b as u8) {
                Some(n) => n.to_byte(),
                None => 0,
            }
        };
        b += 1;
    }
    t
}
const NUC: Table = letter_table(false);
const AA: Table = letter_table(true);

impl Alphabet {
    fn table(self) -> &'static Table {
        match self {
            Alphabet::Nucleotide => &NUC,
            Alphabet::AminoAcid => &AA,
        }
    }

    /// The letter for "not known" (outside an `offset` range, or not sequenced).
    pub fn unknown(self) -> u8 {
        match self {
            Alphabet::Nucleotide => Nuc::N.to_byte(),
            Alphabet::AminoAcid => Aa::X.to_byte(),
        }
    }

    /// As the messages say it: "a nucleotide", "an amino-acid".
    pub(crate) fn article_name(self) -> &'static str {
        match self {
            Alphabet::Nucleotide => "a nucleotide",
            Alphabet::AminoAcid => "an amino-acid",
        }
    }

    /// Writes the normal form of `text` into `out` (same length). On a byte that is not a
    /// symbol, the error names the character and its 1-based position in `text`.
    pub(crate) fn normalize_into(self, text: &str, out: &mut [u8]) -> Result<(), FieldProblem> {
        let t = self.table();
        debug_assert_eq!(text.len(), out.len());
        // One lookup per byte and no branch in the loop: invalid bytes map to 0 and are found
        // afterwards, so the common (valid) case runs at memory speed.
        let mut any_bad = false;
        for (o, &b) in out.iter_mut().zip(text.as_bytes()) {
            let m = t[b as usize];
            *o = m;
            any_bad |= m == 0;
        }
        if any_bad {
            let index = out.iter().position(|&m| m == 0).unwrap_or(0);
            return Err(self.bad_letter(text, index));
        }
        Ok(())
    }

    /// The normal form of `text` as a new string.
    pub(crate) fn normalize(self, text: &str) -> Result<Vec<u8>, FieldProblem> {
        let mut out = vec![0u8; text.len()];
        self.normalize_into(text, &mut out)?;
        Ok(out)
    }

    fn bad_letter(self, text: &str, index: usize) -> FieldProblem {
        // `index` may fall inside a multi-byte character; report the whole character.
        let start = (0..=index).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
        let letter = text[start..].chars().next().unwrap_or('\u{fffd}');
        let position = text[..start].chars().count() + 1;
        FieldProblem::Letter { letter, position, alphabet: self.article_name() }
    }
}

/// One insertion as LAPIS prints it (`ins_S:214:EPE` → position 214, symbols `EPE`): the
/// symbols sit after reference position `position` (1-based), so 0 means before the first.
/// The index's own type, so records feed it without conversion.
pub use virion_index::Insertion;

/// Parses SILO's `"position:symbols"`; the position may be 0 ..= the reference length.
pub(crate) fn parse_insertion(
    text: &str,
    alphabet: Alphabet,
    reference_len: usize,
) -> Result<Insertion, FieldProblem> {
    let bad = |problem| FieldProblem::Insertion { text: text.to_owned(), problem };
    let (pos, symbols) = text.split_once(':').ok_or_else(|| bad(InsertionProblem::Shape))?;
    if !pos.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad(InsertionProblem::Position(pos.to_owned())));
    }
    let position: u32 = pos.parse().map_err(|_| bad(InsertionProblem::Position(pos.to_owned())))?;
    checked_insertion(position, symbols, alphabet, reference_len).map_err(bad)
}

/// An insertion from its parts, checked as [`parse_insertion`] checks them.
pub(crate) fn checked_insertion(
    position: u32,
    symbols: &str,
    alphabet: Alphabet,
    reference_len: usize,
) -> Result<Insertion, InsertionProblem> {
    if position as usize > reference_len {
        return Err(InsertionProblem::BeyondReference { position, reference_len });
    }
    if symbols.is_empty() {
        return Err(InsertionProblem::Empty);
    }
    let normal = alphabet.normalize(symbols).map_err(|e| match e {
        FieldProblem::Letter { letter, alphabet, .. } => InsertionProblem::Letter { letter, alphabet },
        _ => InsertionProblem::Shape,
    })?;
    // The table maps ASCII to ASCII only, so this cannot fail.
    let symbols = String::from_utf8(normal).unwrap_or_default();
    Ok(Insertion { position, symbols })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nucleotides_are_upper_cased_and_u_is_t() {
        assert_eq!(Alphabet::Nucleotide.normalize("acgU-nRy").unwrap(), b"ACGT-NRY");
    }

    #[test]
    fn amino_acids_keep_u_and_stop() {
        assert_eq!(Alphabet::AminoAcid.normalize("mfU*x-").unwrap(), b"MFU*X-");
    }

    #[test]
    fn a_bad_letter_is_named_with_its_position() {
        //                                          1234567
        let e = Alphabet::Nucleotide.normalize("ACGTAéC").unwrap_err();
        assert_eq!(e, FieldProblem::Letter { letter: 'é', position: 6, alphabet: "a nucleotide" });
        let e = Alphabet::AminoAcid.normalize("MF1").unwrap_err();
        assert_eq!(e, FieldProblem::Letter { letter: '1', position: 3, alphabet: "an amino-acid" });
    }

    #[test]
    fn insertions_parse_and_check() {
        let ins = parse_insertion("214:epe", Alphabet::AminoAcid, 1273).unwrap();
        assert_eq!(ins, Insertion { position: 214, symbols: "EPE".into() });
        assert!(parse_insertion("0:A", Alphabet::Nucleotide, 10).is_ok());
        assert!(parse_insertion("10:A", Alphabet::Nucleotide, 10).is_ok());
        for bad in ["11:A", "-1:A", "x:A", "3", "3:", "3:AZ", "+3:A", ":A"] {
            assert!(parse_insertion(bad, Alphabet::Nucleotide, 10).is_err(), "{bad}");
        }
    }
}
