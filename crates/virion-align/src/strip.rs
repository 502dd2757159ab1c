//! Removing insertions (query letters facing reference gaps) to get a reference-length sequence.

use virion_core::{Insertion, Letter};

/// A query in reference coordinates plus what was cut out of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StrippedAlignment<L: Letter> {
    /// The query with insertions removed: exactly as long as the reference.
    pub qry_seq: Vec<L>,
    /// Sorted by position, then length.
    pub insertions: Vec<Insertion<L>>,
}

/// Drops alignment columns where the reference has a gap, recording each run as an insertion
/// after the preceding reference base (-1 before the first).
pub fn strip_insertions<L: Letter>(qry_aln: &[L], ref_aln: &[L]) -> StrippedAlignment<L> {
    debug_assert_eq!(qry_aln.len(), ref_aln.len());
    let mut qry_seq = Vec::with_capacity(ref_aln.len());
    let mut insertions: Vec<Insertion<L>> = Vec::new();
    let mut ref_pos: i64 = -1;
    let mut current: Option<Insertion<L>> = None;
    for (&q, &r) in qry_aln.iter().zip(ref_aln) {
        if r.is_gap() {
            current.get_or_insert_with(|| Insertion { pos: ref_pos, ins: Vec::new() }).ins.push(q);
        } else {
            qry_seq.push(q);
            ref_pos += 1;
            insertions.extend(current.take());
        }
    }
    insertions.extend(current.take());
    insertions.sort_by_key(|ins| (ins.pos, ins.ins.len()));
    StrippedAlignment { qry_seq, insertions }
}

#[cfg(test)]
mod tests {
    use super::*;
    use virion_core::Nuc;
    use virion_core::nucs_from_str;

    #[test]
    fn strips_terminal_and_internal_insertions() {
        //                              0123 45678 9
        let qry = nucs_from_str("ACCACGCTTTCGCATCATC").unwrap();
        let rf = nucs_from_str("---ACGC--TCGCAT----").unwrap();
        let s = strip_insertions(&qry, &rf);
        assert_eq!(s.qry_seq, nucs_from_str("ACGCTCGCAT").unwrap());
        let ins: Vec<(i64, Vec<Nuc>)> = s.insertions.into_iter().map(|i| (i.pos, i.ins)).collect();
        assert_eq!(
            ins,
            [
                (-1, nucs_from_str("ACC").unwrap()),
                (3, nucs_from_str("TT").unwrap()),
                (9, nucs_from_str("CATC").unwrap())
            ]
        );
    }
}
