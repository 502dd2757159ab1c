//! Mutations and their text forms, as nextclade.tsv and LAPIS write them.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::alphabet::{Aa, Nuc};
use crate::coord::{AaPos, AaRange, NucRange, NucRefPos};

/// A nucleotide substitution, `C241T`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct NucSub {
    pub pos: NucRefPos,
    pub ref_nuc: Nuc,
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
pub struct Insertion<L> {
    /// 0-based position of the base the insertion follows; -1 when it precedes the first base.
    pub pos: i64,
    pub ins: Vec<L>,
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
    pub range: NucRange,
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
pub struct AaSub {
    pub cds: String,
    pub pos: AaPos,
    pub ref_aa: Aa,
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
    pub cds: String,
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
        let sub = NucSub {
            pos: NucRefPos(240),
            ref_nuc: Nuc::C,
            qry_nuc: Nuc::T,
        };
        assert_eq!(sub.to_string(), "C241T");
        let del = NucDelRange {
            range: NucRange::new(NucRefPos(11287), NucRefPos(11296)),
        };
        assert_eq!(del.to_string(), "11288-11296");
        let ins = Insertion {
            pos: 22203,
            ins: vec![Nuc::G, Nuc::A, Nuc::G],
        };
        assert_eq!(ins.to_string(), "22204:GAG");
        let aa = AaSub {
            cds: "S".into(),
            pos: AaPos(454),
            ref_aa: Aa::L,
            qry_aa: Aa::S,
        };
        assert_eq!(aa.to_string(), "S:L455S");
        let amb = SymbolRange {
            range: NucRange::new(NucRefPos(43), NucRefPos(44)),
            symbol: Nuc::Y,
        };
        assert_eq!(amb.to_string(), "Y:44");
    }
}
