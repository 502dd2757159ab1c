//! Where a CDS lies on the reference: its segments, their strands, and conversions between
//! positions inside the CDS ("local", 0 at the first base of the first segment) and reference
//! positions ("global").

use virion_align::CodingSegment;
use virion_core::{NucRange, NucRefPos};
use virion_dataset::{Cds, GeneMap};
pub use virion_dataset::{Strand, WrappingPart};

/// One contiguous piece of a CDS on the reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentLayout {
    /// Reference range, always `begin < end` whatever the strand.
    pub range: NucRange,
    /// The strand the segment is read from.
    pub strand: Strand,
    /// Where the segment sits relative to the end of a circular genome.
    pub wrapping: WrappingPart,
    /// Local position of this segment's first base read (its `end - 1` on the reverse strand).
    pub local_begin: i64,
}

impl SegmentLayout {
    /// Nucleotides in the segment.
    pub fn len(&self) -> i64 {
        self.range.len()
    }

    /// Whether the segment has no nucleotide.
    pub fn is_empty(&self) -> bool {
        self.range.is_empty()
    }

    fn local_end(&self) -> i64 {
        self.local_begin + self.len()
    }
}

/// A CDS as translation needs it: a name, the gene it belongs to, and its segments in reading
/// order. Segments may overlap on the reference (ribosomal slippage reads a base twice).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CdsLayout {
    /// The CDS name (`S`, `ORF1a`).
    pub name: String,
    /// Name of the gene the CDS belongs to.
    pub gene: String,
    /// Segments in reading order.
    pub segments: Vec<SegmentLayout>,
}

impl CdsLayout {
    /// Builds a layout from segments in reading order, computing their local offsets.
    pub fn new(
        name: impl Into<String>,
        gene: impl Into<String>,
        segments: impl IntoIterator<Item = (NucRange, Strand)>,
    ) -> Self {
        let mut local_begin = 0;
        let segments = segments
            .into_iter()
            .map(|(range, strand)| {
                let seg = SegmentLayout { range, strand, wrapping: WrappingPart::NonWrapping, local_begin };
                local_begin += range.len();
                seg
            })
            .collect();
        Self { name: name.into(), gene: gene.into(), segments }
    }

    /// The layout of an annotated CDS of gene `gene`.
    pub fn from_cds(cds: &Cds, gene: &str) -> Self {
        let mut layout = Self::new(cds.name.clone(), gene, cds.segments.iter().map(|s| (s.range, s.strand)));
        for (seg, src) in layout.segments.iter_mut().zip(&cds.segments) {
            seg.wrapping = src.wrapping;
        }
        layout
    }

    /// Layouts of every CDS of a gene map, in its order.
    pub fn all_from_gene_map(gene_map: &GeneMap) -> Vec<Self> {
        gene_map.genes.iter().flat_map(|g| g.cdses.iter().map(|c| Self::from_cds(c, &g.name))).collect()
    }

    /// Total length in nucleotides (segments summed, overlaps counted twice).
    pub fn len(&self) -> i64 {
        self.segments.iter().map(SegmentLayout::len).sum()
    }

    /// Whether the CDS has no nucleotide.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Reference position of a local position, or `None` past the end of the CDS.
    pub fn local_to_ref(&self, local: i64) -> Option<NucRefPos> {
        let seg = self.segments.iter().find(|s| s.local_begin <= local && local < s.local_end())?;
        let offset = local - seg.local_begin;
        Some(match seg.strand {
            Strand::Forward => seg.range.begin + offset,
            Strand::Reverse => seg.range.end - 1 - offset,
        })
    }

    /// Reference ranges covered by the local range `[begin, end)`, one per segment it touches,
    /// each oriented low-to-high.
    pub fn local_range_to_ref_ranges(&self, begin: i64, end: i64) -> Vec<NucRange> {
        self.local_range_to_ref_pieces(begin, end).into_iter().map(|(r, _)| r).collect()
    }

    /// [`CdsLayout::local_range_to_ref_ranges`] with each piece's strand, in reading order.
    pub fn local_range_to_ref_pieces(&self, begin: i64, end: i64) -> Vec<(NucRange, Strand)> {
        self.segments
            .iter()
            .filter_map(|seg| {
                let b = begin.max(seg.local_begin);
                let e = end.min(seg.local_end());
                if b >= e {
                    return None;
                }
                let first = self.local_to_ref(b)?;
                let last = self.local_to_ref(e - 1)?;
                Some(match seg.strand {
                    Strand::Forward => (NucRange::new(first, last + 1), seg.strand),
                    Strand::Reverse => (NucRange::new(last, first + 1), seg.strand),
                })
            })
            .collect()
    }
}

/// Every CDS segment of a gene map with its phase (bases of its CDS before it, mod 3), in gene
/// map order: what codon-aware gap-open costs ([`virion_align::gap_open_close_nuc`]) are built
/// from. The order matters there: where CDSes overlap, the later one wins.
pub fn coding_segments(gene_map: &GeneMap) -> Vec<CodingSegment> {
    let mut out = Vec::new();
    for cds in gene_map.cdses() {
        let mut phase = 0;
        for seg in &cds.segments {
            out.push(CodingSegment {
                range: seg.range,
                reverse: seg.strand == Strand::Reverse,
                phase: phase % 3,
            });
            phase += seg.len();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(b: i64, e: i64) -> NucRange {
        NucRange::new(NucRefPos(b), NucRefPos(e))
    }

    #[test]
    fn slippage_reads_a_base_twice() {
        // ref index  0123456789012345678901234567890123456789012345678901
        // segment 1      [4 ............. 21)
        // segment 2                      [20 .............. 39)
        // segment 3                                                [45..51)
        let cds = CdsLayout::new(
            "c",
            "g",
            [
                (range(4, 21), Strand::Forward),
                (range(20, 39), Strand::Forward),
                (range(45, 51), Strand::Forward),
            ],
        );
        assert_eq!(cds.len(), 17 + 19 + 6);
        assert_eq!(cds.local_to_ref(16), Some(NucRefPos(20)));
        assert_eq!(cds.local_to_ref(17), Some(NucRefPos(20)));
        assert_eq!(cds.local_to_ref(25), Some(NucRefPos(28)));
        assert_eq!(cds.local_to_ref(42), None);
        assert_eq!(cds.local_range_to_ref_ranges(15, 38), vec![range(19, 21), range(20, 39), range(45, 47)]);
    }

    #[test]
    fn reverse_strand_counts_from_the_segment_end() {
        let cds =
            CdsLayout::new("c", "g", [(range(45, 51), Strand::Reverse), (range(4, 21), Strand::Reverse)]);
        assert_eq!(cds.local_to_ref(0), Some(NucRefPos(50)));
        assert_eq!(cds.local_to_ref(7), Some(NucRefPos(19)));
        assert_eq!(cds.local_range_to_ref_ranges(4, 9), vec![range(45, 47), range(18, 21)]);
    }
}
