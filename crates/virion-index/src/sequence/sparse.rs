//! A row's aligned sequence as what differs from the reference: the changed letters and the
//! runs of the unknown letter. This is what the index stores, what builders stage, and what a
//! Nextclade record or a SILO line boils down to (a SARS-CoV-2 genome: ~100 changes and a few
//! runs instead of 29,903 letters).

use crate::sequence::alphabet::Alphabet;

/// One aligned sequence relative to its reference.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SparseSeq {
    /// (position, letter) where the letter differs from the reference's and is not the unknown
    /// letter; increasing positions, upper-case letters of the alphabet.
    pub changes: Vec<(u32, u8)>,
    /// Runs `[start, end)` of the unknown letter: sorted, disjoint and not touching.
    pub missing: Vec<(u32, u32)>,
}

/// Why an aligned sequence was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SparseError {
    /// The aligned sequence is not the reference's length.
    #[error("aligned sequence has {got} letters, the reference {expected}")]
    Length {
        /// Its length.
        got: usize,
        /// The reference's length.
        expected: usize,
    },
    /// A letter outside the alphabet.
    #[error("letter {letter:?} at position {position} is not a valid symbol")]
    Letter {
        /// 0-based position.
        position: u32,
        /// The letter.
        letter: char,
    },
    /// Changes out of order, past the reference's end, or inside a missing run.
    #[error("change at position {position} is out of order, outside the reference or overlaps missing data")]
    Order {
        /// The offending change's position.
        position: u32,
    },
}

impl SparseSeq {
    /// A row without this sequence: every position unknown.
    pub fn unsequenced(len: usize) -> SparseSeq {
        SparseSeq { changes: Vec::new(), missing: if len == 0 { Vec::new() } else { vec![(0, len as u32)] } }
    }

    /// Compares an aligned sequence with the reference. Letters are normalised (upper case,
    /// `U` as `T`); the unknown letter becomes missing runs.
    pub fn from_aligned(seq: &[u8], reference: &[u8], alphabet: Alphabet) -> Result<SparseSeq, SparseError> {
        if seq.len() != reference.len() {
            return Err(SparseError::Length { got: seq.len(), expected: reference.len() });
        }
        let missing_letter = alphabet.missing();
        let mut out = SparseSeq::default();
        let mut run_start: Option<u32> = None;
        let visit = |pos: usize,
                     raw: u8,
                     out: &mut SparseSeq,
                     run_start: &mut Option<u32>|
         -> Result<(), SparseError> {
            let letter = alphabet.normalise(raw);
            let p = pos as u32;
            if letter == missing_letter {
                run_start.get_or_insert(p);
                return Ok(());
            }
            if let Some(s) = run_start.take() {
                out.missing.push((s, p));
            }
            if alphabet.slot(letter).is_none() {
                return Err(SparseError::Letter { position: p, letter: raw as char });
            }
            if letter != reference[pos] {
                out.changes.push((p, letter));
            }
            Ok(())
        };
        // Eight letters at a time: most of a genome equals its reference, and an equal chunk
        // needs no look at its letters (when the reference holds no unknown letter).
        let reference_has_missing = reference.contains(&missing_letter);
        let mut pos = 0;
        if !reference_has_missing {
            while pos + 8 <= seq.len() {
                let a = u64::from_le_bytes(seq[pos..pos + 8].try_into().expect("eight bytes"));
                let b = u64::from_le_bytes(reference[pos..pos + 8].try_into().expect("eight bytes"));
                if a != b || run_start.is_some() {
                    for (i, &l) in seq.iter().enumerate().skip(pos).take(8) {
                        visit(i, l, &mut out, &mut run_start)?;
                    }
                }
                pos += 8;
            }
        }
        for (i, &l) in seq.iter().enumerate().skip(pos) {
            visit(i, l, &mut out, &mut run_start)?;
        }
        if let Some(s) = run_start {
            out.missing.push((s, seq.len() as u32));
        }
        Ok(out)
    }

    /// Checks the invariants (for rows built by callers from mutation lists).
    pub fn check(&self, reference: &[u8], alphabet: Alphabet) -> Result<(), SparseError> {
        let len = reference.len() as u32;
        let mut last: Option<u32> = None;
        for &(p, l) in &self.changes {
            if p >= len || last.is_some_and(|q| q >= p) || self.is_missing(p) {
                return Err(SparseError::Order { position: p });
            }
            if alphabet.slot(l).is_none() || l == alphabet.missing() {
                return Err(SparseError::Letter { position: p, letter: l as char });
            }
            if l == reference[p as usize] {
                return Err(SparseError::Order { position: p });
            }
            last = Some(p);
        }
        let mut end = None;
        for &(s, e) in &self.missing {
            if s >= e || e > len || end.is_some_and(|x| x >= s) {
                return Err(SparseError::Order { position: s });
            }
            end = Some(e);
        }
        Ok(())
    }

    /// Whether `pos` lies in a missing run.
    pub fn is_missing(&self, pos: u32) -> bool {
        let i = self.missing.partition_point(|r| r.0 <= pos);
        i > 0 && self.missing[i - 1].1 > pos
    }

    /// Writes the aligned sequence into `out` (cleared first).
    pub fn to_aligned(&self, reference: &[u8], alphabet: Alphabet, out: &mut Vec<u8>) {
        out.clear();
        out.extend_from_slice(reference);
        for &(p, l) in &self.changes {
            out[p as usize] = l;
        }
        for &(s, e) in &self.missing {
            out[s as usize..e as usize].fill(alphabet.missing());
        }
    }

    /// Appends a compact encoding (varint deltas) to `buf`.
    pub fn encode(&self, buf: &mut Vec<u8>) {
        put_varint(buf, self.changes.len() as u64);
        let mut last = 0;
        for &(p, l) in &self.changes {
            put_varint(buf, u64::from(p - last));
            buf.push(l);
            last = p;
        }
        put_varint(buf, self.missing.len() as u64);
        let mut last = 0;
        for &(s, e) in &self.missing {
            put_varint(buf, u64::from(s - last));
            put_varint(buf, u64::from(e - s));
            last = e;
        }
    }

    /// Decodes what [`SparseSeq::encode`] wrote, advancing `input`.
    pub fn decode(input: &mut &[u8]) -> Option<SparseSeq> {
        let n = get_varint(input)? as usize;
        let mut changes = Vec::with_capacity(n);
        let mut last = 0u32;
        for _ in 0..n {
            let p = last + get_varint(input)? as u32;
            let (&l, rest) = input.split_first()?;
            *input = rest;
            changes.push((p, l));
            last = p;
        }
        let m = get_varint(input)? as usize;
        let mut missing = Vec::with_capacity(m);
        let mut last = 0u32;
        for _ in 0..m {
            let s = last + get_varint(input)? as u32;
            let e = s + get_varint(input)? as u32;
            missing.push((s, e));
            last = e;
        }
        Some(SparseSeq { changes, missing })
    }
}

/// LEB128 unsigned varint.
pub(crate) fn put_varint(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push((v as u8) | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

pub(crate) fn get_varint(input: &mut &[u8]) -> Option<u64> {
    let mut v = 0u64;
    let mut shift = 0;
    loop {
        let (&b, rest) = input.split_first()?;
        *input = rest;
        if shift > 63 {
            return None;
        }
        v |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Some(v);
        }
        shift += 7;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    //                         0         1         2
    //                         0123456789012345678901234
    const REFERENCE: &[u8] = b"ACGTACGTACGTACGTACGTACGTA";

    #[test]
    fn differences_and_runs() {
        let seq = b"NNGTACGTACTTACgTAC-TNNNNN";
        let s = SparseSeq::from_aligned(seq, REFERENCE, Alphabet::Nucleotide).unwrap();
        assert_eq!(s.changes, vec![(10, b'T'), (18, b'-')]);
        assert_eq!(s.missing, vec![(0, 2), (20, 25)]);
        let mut back = Vec::new();
        s.to_aligned(REFERENCE, Alphabet::Nucleotide, &mut back);
        assert_eq!(back, b"NNGTACGTACTTACGTAC-TNNNNN");
        s.check(REFERENCE, Alphabet::Nucleotide).unwrap();
        let mut buf = Vec::new();
        s.encode(&mut buf);
        assert_eq!(SparseSeq::decode(&mut buf.as_slice()), Some(s));
    }

    #[test]
    fn refusals_name_the_position() {
        let bad = b"ACGTACGTACGTACGTACGTAEGTA";
        assert_eq!(
            SparseSeq::from_aligned(bad, REFERENCE, Alphabet::Nucleotide),
            Err(SparseError::Letter { position: 21, letter: 'E' })
        );
        assert!(matches!(
            SparseSeq::from_aligned(b"ACGT", REFERENCE, Alphabet::Nucleotide),
            Err(SparseError::Length { got: 4, expected: 25 })
        ));
        let unordered = SparseSeq { changes: vec![(5, b'T'), (3, b'A')], missing: vec![] };
        assert!(unordered.check(REFERENCE, Alphabet::Nucleotide).is_err());
        let same_as_reference = SparseSeq { changes: vec![(0, b'A')], missing: vec![] };
        assert!(same_as_reference.check(REFERENCE, Alphabet::Nucleotide).is_err());
    }

    #[test]
    fn whole_chunks_of_changes_and_a_reference_with_n() {
        let reference = b"ACGTNNACGTACGTACGTAC";
        let seq = b"TTTTNNTTGTACGTACGTAN";
        let s = SparseSeq::from_aligned(seq, reference, Alphabet::Nucleotide).unwrap();
        let mut back = Vec::new();
        s.to_aligned(reference, Alphabet::Nucleotide, &mut back);
        assert_eq!(back, seq);
        assert_eq!(s.missing, vec![(4, 6), (19, 20)]);
    }
}
