//! Nucleotide substitutions, deletions, missing and ambiguous ranges of a stripped alignment.
//!
//! Input is the query aligned to the reference with insertions already removed, so column `i`
//! is reference position `i`.

use virion_core::{Nuc, NucDelRange, NucRange, NucRefPos, NucSub, SymbolRange};

/// What `find_nuc_changes` finds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NucChanges {
    /// A/C/G/T query letters that differ from the reference, ascending.
    pub substitutions: Vec<NucSub>,
    /// Runs of gaps strictly inside the alignment range, ascending.
    pub deletions: Vec<NucDelRange>,
    /// From the first to one past the last non-gap query letter; empty if the query is all gaps.
    pub alignment_range: NucRange,
}

/// Substitutions are A/C/G/T query letters differing from the reference (an `N` or ambiguity
/// code is missing or mixed data, not a mutation). Deletions are gap runs strictly inside the
/// aligned range: leading and trailing gaps mean "not sequenced", not "deleted".
pub fn find_nuc_changes(qry: &[Nuc], ref_seq: &[Nuc]) -> NucChanges {
    debug_assert_eq!(qry.len(), ref_seq.len());
    let mut out = NucChanges::default();
    let Some(start) = qry.iter().position(|n| !n.is_gap()) else {
        return out;
    };
    let end = qry.iter().rposition(|n| !n.is_gap()).map_or(start, |e| e + 1);
    out.alignment_range = NucRange::new(NucRefPos(start as i64), NucRefPos(end as i64));

    let mut del_begin: Option<usize> = None;
    for (i, (&q, &r)) in qry.iter().zip(ref_seq).enumerate().take(end).skip(start) {
        if q.is_gap() {
            del_begin.get_or_insert(i);
            continue;
        }
        if let Some(b) = del_begin.take() {
            out.deletions
                .push(NucDelRange { range: NucRange::new(NucRefPos(b as i64), NucRefPos(i as i64)) });
        }
        if q != r && q.is_acgt() {
            out.substitutions.push(NucSub { pos: NucRefPos(i as i64), ref_nuc: r, qry_nuc: q });
        }
    }
    out
}

/// Maximal runs of letters satisfying `pred`, each tagged with its letter (a run never mixes
/// letters: `NNRR` is two ranges).
pub fn find_letter_ranges_by(qry: &[Nuc], pred: impl Fn(Nuc) -> bool) -> Vec<SymbolRange<Nuc>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < qry.len() {
        let letter = qry[i];
        if !pred(letter) {
            i += 1;
            continue;
        }
        let begin = i;
        while i < qry.len() && qry[i] == letter {
            i += 1;
        }
        out.push(SymbolRange {
            range: NucRange::new(NucRefPos(begin as i64), NucRefPos(i as i64)),
            symbol: letter,
        });
    }
    out
}

/// Runs of `N`.
pub fn find_missing(qry: &[Nuc]) -> Vec<SymbolRange<Nuc>> {
    find_letter_ranges_by(qry, |n| n == Nuc::N)
}

/// Runs of ambiguity codes (neither A/C/G/T, `N` nor gap).
pub fn find_non_acgtns(qry: &[Nuc]) -> Vec<SymbolRange<Nuc>> {
    find_letter_ranges_by(qry, Nuc::is_ambiguous)
}

/// Count of each letter, indexed by `Nuc as u8`.
pub fn letter_composition(qry: &[Nuc]) -> [usize; 256] {
    let mut counts = [0usize; 256];
    for &n in qry {
        counts[n as usize] += 1;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;
    use virion_core::nucs_from_str;

    fn s(x: &str) -> Vec<Nuc> {
        nucs_from_str(x).unwrap()
    }

    #[test]
    fn substitutions_deletions_and_range() {
        //              0         1
        //              0123456789012345
        let ref_seq = s("ACGTACGTACGTACGT");
        let qry = s("--GTTCG--CGNRCG-");
        let c = find_nuc_changes(&qry, &ref_seq);
        assert_eq!(c.alignment_range, NucRange::new(NucRefPos(2), NucRefPos(15)));
        // A4T is a substitution; N and R at 11, 12 are not.
        let subs: Vec<String> = c.substitutions.iter().map(ToString::to_string).collect();
        assert_eq!(subs, ["A5T"]);
        let dels: Vec<String> = c.deletions.iter().map(ToString::to_string).collect();
        assert_eq!(dels, ["8-9"]);
        let missing: Vec<String> = find_missing(&qry).iter().map(|r| r.range.to_string()).collect();
        assert_eq!(missing, ["12"]);
        let mixed: Vec<String> = find_non_acgtns(&qry).iter().map(ToString::to_string).collect();
        assert_eq!(mixed, ["R:13"]);
    }

    #[test]
    fn all_gaps_has_empty_range_and_no_changes() {
        let c = find_nuc_changes(&s("----"), &s("ACGT"));
        assert!(c.alignment_range.is_empty());
        assert!(c.substitutions.is_empty() && c.deletions.is_empty());
    }

    #[test]
    fn runs_do_not_mix_letters() {
        let r = find_non_acgtns(&s("ARRYYA"));
        let txt: Vec<String> = r.iter().map(ToString::to_string).collect();
        assert_eq!(txt, ["R:2-3", "Y:4-5"]);
    }
}
