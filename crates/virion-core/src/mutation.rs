//! Mutations and their text forms, as nextclade.tsv and LAPIS write them.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::alphabet::{Aa, Nuc};
use crate::coord::{AaPos, AaRange, NucRange, NucRefPos};
use crate::letter::Letter;

/// A nucleotide substitution, `C241T`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NucSub {
    /// The reference position substituted.
    pub pos: NucRefPos,
    /// The reference's letter there.
    pub ref_nuc: Nuc,
    /// The query's letter there (never the gap: deletions are `NucDelRange`).
    pub qry_nuc: Nuc,
}

impl fmt::Display for NucSub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}{}", self.ref_nuc, self.pos, self.qry_nuc)
    }
}

/// A run of deleted reference positions, `11288-11296`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct NucDelRange {
    /// The deleted reference positions.
    pub range: NucRange,
}

impl fmt::Display for NucDelRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.range)
    }
}

/// Letters inserted after a reference position, `22204:GAG` (the position is the 1-based base the
/// insertion follows; `0:` means before the first base). Generic over the alphabet so the same
/// type carries nucleotide and amino-acid insertions.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Insertion<L: Letter> {
    /// 0-based position of the base the insertion follows; -1 when it precedes the first base.
    pub pos: i64,
    /// Serialised as a string (`"GAG"`), as Nextclade's JSON does.
    #[serde(serialize_with = "letters_as_string", deserialize_with = "letters_from_string")]
    pub ins: Vec<L>,
}

fn letters_as_string<L: Letter, S: serde::Serializer>(ins: &[L], s: S) -> Result<S::Ok, S::Error> {
    let text: String = ins.iter().map(|l| l.to_byte() as char).collect();
    s.serialize_str(&text)
}

fn letters_from_string<'de, L: Letter, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<L>, D::Error> {
    let text = String::deserialize(d)?;
    text.bytes()
        .map(|b| {
            L::from_byte(b).ok_or_else(|| serde::de::Error::custom(format!("invalid letter '{}'", b as char)))
        })
        .collect()
}

impl fmt::Display for Insertion<Nuc> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.pos + 1)?;
        self.ins.iter().try_for_each(|n| write!(f, "{n}"))
    }
}

impl fmt::Display for Insertion<Aa> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.pos + 1)?;
        self.ins.iter().try_for_each(|a| write!(f, "{a}"))
    }
}

/// A run of one symbol on the reference, such as `N` (missing) or an ambiguity code: `1-7` /
/// `Y:44` in nextclade.tsv.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SymbolRange<L> {
    /// The reference positions the run covers.
    pub range: NucRange,
    /// The letter repeated over the range.
    #[serde(rename = "character")]
    pub symbol: L,
}

impl fmt::Display for SymbolRange<Nuc> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.symbol, self.range)
    }
}

/// An amino-acid substitution in one CDS, `S:L455S`. Deletions use the same type with `qry_aa`
/// `-` (`S:Y144-`), which is how Nextclade reports them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AaSub {
    /// Name of the CDS, as in the dataset's genome annotation (`S`, `ORF1a`).
    #[serde(rename = "cdsName")]
    pub cds: String,
    /// Codon index within the CDS.
    pub pos: AaPos,
    /// The reference's amino acid at that codon.
    pub ref_aa: Aa,
    /// The query's amino acid there; the gap `-` for a deletion.
    pub qry_aa: Aa,
}

impl fmt::Display for AaSub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}{}{}", self.cds, self.ref_aa, self.pos, self.qry_aa)
    }
}

/// An amino-acid deletion is an `AaSub` whose query letter is the gap.
pub type AaDel = AaSub;

/// A range of codons in one CDS, `S:229-254` (unknown amino-acid ranges, frame shifts).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CdsRange {
    /// Name of the CDS, as in the dataset's genome annotation.
    #[serde(rename = "cdsName")]
    pub cds: String,
    /// The codons covered.
    pub range: AaRange,
}

impl fmt::Display for CdsRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.cds, self.range)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_forms_match_nextclade_tsv() {
        let sub = NucSub { pos: NucRefPos(240), ref_nuc: Nuc::C, qry_nuc: Nuc::T };
        assert_eq!(sub.to_string(), "C241T");
        let del = NucDelRange { range: NucRange::new(NucRefPos(11287), NucRefPos(11296)) };
        assert_eq!(del.to_string(), "11288-11296");
        let ins = Insertion { pos: 22203, ins: vec![Nuc::G, Nuc::A, Nuc::G] };
        assert_eq!(ins.to_string(), "22204:GAG");
        let aa = AaSub { cds: "S".into(), pos: AaPos(454), ref_aa: Aa::L, qry_aa: Aa::S };
        assert_eq!(aa.to_string(), "S:L455S");
        let amb = SymbolRange { range: NucRange::new(NucRefPos(43), NucRefPos(44)), symbol: Nuc::Y };
        assert_eq!(amb.to_string(), "Y:44");
    }

    #[test]
    fn json_forms_match_nextclade_ndjson() {
        let sub = NucSub { pos: NucRefPos(240), ref_nuc: Nuc::C, qry_nuc: Nuc::T };
        assert_eq!(serde_json::to_string(&sub).unwrap(), r#"{"pos":240,"refNuc":"C","qryNuc":"T"}"#);
        let ins = Insertion { pos: 22203, ins: vec![Nuc::G, Nuc::A, Nuc::G] };
        let json = serde_json::to_string(&ins).unwrap();
        assert_eq!(json, r#"{"pos":22203,"ins":"GAG"}"#);
        assert_eq!(serde_json::from_str::<Insertion<Nuc>>(&json).unwrap(), ins);
        let aa = AaSub { cds: "S".into(), pos: AaPos(454), ref_aa: Aa::L, qry_aa: Aa::S };
        assert_eq!(
            serde_json::to_string(&aa).unwrap(),
            r#"{"cdsName":"S","pos":454,"refAa":"L","qryAa":"S"}"#
        );
        let del = AaSub { cds: "S".into(), pos: AaPos(143), ref_aa: Aa::Y, qry_aa: Aa::Gap };
        assert!(serde_json::to_string(&del).unwrap().ends_with(r#""qryAa":"-"}"#));
        let missing = SymbolRange { range: NucRange::new(NucRefPos(0), NucRefPos(7)), symbol: Nuc::N };
        assert_eq!(
            serde_json::to_string(&missing).unwrap(),
            r#"{"range":{"begin":0,"end":7},"character":"N"}"#
        );
    }
}
