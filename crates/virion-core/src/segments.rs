//! The sequences of one sample of a segmented virus (influenza: 8 segments; CCHF: S, M, L), as
//! the hub stores them in one blob: each segment present as a FASTA record named by the segment
//! (`>ha\nACGT…\n`), in the organism's segment order. FASTA, not a private binary layout,
//! because the blob is compressed against a dictionary of the references written the same way,
//! and because a person reading a stored blob can tell what it holds.

/// One sample's segments: (segment name, its unaligned sequence), in the organism's order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SegmentedSequence {
    /// The segments present; a segment missing from the sample has no entry.
    pub segments: Vec<(String, Vec<u8>)>,
}

/// Why a stored blob is not a segmented sequence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SegmentsError {
    /// The blob does not begin with a `>segment` line.
    #[error("a segmented sequence must begin with '>' and a segment name")]
    NoHeader,
    /// The same segment appears twice.
    #[error("segment {0:?} appears twice")]
    Repeated(String),
}

impl SegmentedSequence {
    /// The sequence of `segment`, if the sample has it.
    pub fn get(&self, segment: &str) -> Option<&[u8]> {
        self.segments.iter().find(|(s, _)| s == segment).map(|(_, seq)| seq.as_slice())
    }

    /// The blob the hub stores.
    pub fn encode(&self) -> Vec<u8> {
        let len = self.segments.iter().map(|(s, q)| s.len() + q.len() + 3).sum();
        let mut out = Vec::with_capacity(len);
        for (segment, seq) in &self.segments {
            out.push(b'>');
            out.extend_from_slice(segment.as_bytes());
            out.push(b'\n');
            out.extend_from_slice(seq);
            out.push(b'\n');
        }
        out
    }

    /// Reads a blob [`SegmentedSequence::encode`] wrote.
    pub fn decode(blob: &[u8]) -> Result<Self, SegmentsError> {
        let mut segments: Vec<(String, Vec<u8>)> = Vec::new();
        if blob.is_empty() {
            return Ok(SegmentedSequence { segments });
        }
        if blob[0] != b'>' {
            return Err(SegmentsError::NoHeader);
        }
        // Each record is `name\nsequence\n` after its '>'; sequences hold no '>' or newline.
        for record in blob[1..].split(|&b| b == b'>') {
            let mut lines = record.splitn(2, |&b| b == b'\n');
            let name = String::from_utf8_lossy(lines.next().unwrap_or_default()).into_owned();
            let mut seq = lines.next().unwrap_or_default().to_vec();
            if seq.last() == Some(&b'\n') {
                seq.pop();
            }
            if segments.iter().any(|(s, _)| *s == name) {
                return Err(SegmentsError::Repeated(name));
            }
            segments.push((name, seq));
        }
        Ok(SegmentedSequence { segments })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_reads_segments_by_name() {
        let s = SegmentedSequence {
            segments: vec![("pb2".into(), b"ACGT".to_vec()), ("ha".into(), b"NNAC".to_vec())],
        };
        let blob = s.encode();
        assert_eq!(blob, b">pb2\nACGT\n>ha\nNNAC\n");
        let back = SegmentedSequence::decode(&blob).unwrap();
        assert_eq!(back, s);
        assert_eq!(back.get("ha"), Some(&b"NNAC"[..]));
        assert_eq!(back.get("na"), None);
        assert_eq!(SegmentedSequence::decode(b"").unwrap().segments.len(), 0);
    }

    #[test]
    fn refuses_blobs_it_did_not_write() {
        assert_eq!(SegmentedSequence::decode(b"ACGT"), Err(SegmentsError::NoHeader));
        assert_eq!(
            SegmentedSequence::decode(b">ha\nAC\n>ha\nGT\n"),
            Err(SegmentsError::Repeated("ha".into()))
        );
    }
}
