//! The genome annotation as analysis sees it: genes, their CDSes and the CDS segments.
//!
//! Built from GFF3 by [`crate::gff3`]. Coordinates are 0-based half-open reference positions; a
//! CDS on the reverse strand keeps its segments' forward-strand ranges (translation reverses them).

use std::fmt;

use serde::{Deserialize, Serialize};
use virion_core::{NucRange, NucRefPos};

/// Which strand a feature is read from. GFF3's `.` and `?` read as forward, as in Nextclade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Strand {
    /// Read left to right (`+`, also `.` and `?`).
    #[default]
    #[serde(rename = "+")]
    Forward,
    /// Read right to left, reverse-complemented (`-`).
    #[serde(rename = "-")]
    Reverse,
}

impl fmt::Display for Strand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Strand::Forward => "+",
            Strand::Reverse => "-",
        })
    }
}

/// Where a segment sits relative to a circular genome's end (most segments are `NonWrapping`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum WrappingPart {
    /// The segment does not cross the genome's end.
    #[default]
    NonWrapping,
    /// The part before the first wrap-around.
    WrappingStart,
    /// A middle part spanning the whole genome, numbered from 1.
    WrappingCentral(usize),
    /// The last part, numbered like the central parts.
    WrappingEnd(usize),
}

/// One contiguous stretch of a CDS on the reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CdsSegment {
    /// GFF `ID` of the row (or a name-derived one), for messages.
    pub id: String,
    /// The CDS's name, as in `aaSubstitutions`.
    pub name: String,
    /// Position on the reference genome.
    pub range: NucRange,
    /// Position of the segment within the CDS's concatenated nucleotides (`0..cds.len()`).
    pub range_local: std::ops::Range<usize>,
    /// The strand the segment is read from.
    pub strand: Strand,
    /// `range.begin % 3`.
    pub frame: u8,
    /// Nucleotides to skip before the first full codon of this segment, from its local start:
    /// `(3 - range_local.start % 3) % 3`.
    pub phase: u8,
    /// GFF column 1 (sequence id) of the row.
    pub landmark: Option<String>,
    /// Where the segment sits relative to a circular genome's end.
    pub wrapping: WrappingPart,
}

impl CdsSegment {
    /// Nucleotides in the segment.
    pub fn len(&self) -> usize {
        self.range.len() as usize
    }

    /// Whether the segment covers no nucleotide.
    pub fn is_empty(&self) -> bool {
        self.range.is_empty()
    }
}

/// A mature protein (`mature_protein_region_of_CDS`) nested in a CDS; informational only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Protein {
    /// GFF `ID` of the row (or its name when it has none).
    pub id: String,
    /// The protein's name (`nsp1`, ...).
    pub name: String,
    /// GFF `product` attribute, or the name when absent.
    pub product: String,
    /// Reference ranges of the protein's segments.
    pub ranges: Vec<NucRange>,
}

/// A coding sequence: the unit Nextclade translates and names in `aaSubstitutions` (`S:N501Y`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cds {
    /// GFF `ID` of the first row (or a name-derived one).
    pub id: String,
    /// The name analysis uses: `S` in `S:N501Y`.
    pub name: String,
    /// GFF `product` attribute, or the name when absent.
    pub product: String,
    /// In annotation order (for ORF1ab: the part before the slippage site, then the part after).
    pub segments: Vec<CdsSegment>,
    /// Mature proteins nested in this CDS.
    pub proteins: Vec<Protein>,
    /// Exceptions declared in the annotation (e.g. `ribosomal slippage`).
    pub exceptions: Vec<String>,
    /// Set when the CDS was made from a `gene` row because the gene had no CDS rows.
    pub compat_is_gene: bool,
}

impl Cds {
    /// Nucleotides in the CDS: the sum of its segments' lengths.
    pub fn len(&self) -> usize {
        self.segments.iter().map(CdsSegment::len).sum()
    }

    /// Whether the CDS has no nucleotides.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of whole codons.
    pub fn len_codons(&self) -> usize {
        self.len() / 3
    }

    /// Leftmost reference position covered by any segment.
    pub fn start(&self) -> NucRefPos {
        self.segments.iter().map(|s| s.range.begin).min().unwrap_or_default()
    }

    /// One past the rightmost reference position covered by any segment.
    pub fn end(&self) -> NucRefPos {
        self.segments.iter().map(|s| s.range.end).max().unwrap_or_default()
    }

    /// The span from [`Cds::start`] to [`Cds::end`], gaps between segments included.
    pub fn range(&self) -> NucRange {
        NucRange::new(self.start(), self.end())
    }

    /// The strand of the first segment (the GFF3 checks make all segments agree).
    pub fn strand(&self) -> Strand {
        self.segments.first().map(|s| s.strand).unwrap_or_default()
    }
}

/// A gene and the CDSes nested in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gene {
    /// GFF `ID` of the row (or a name-derived one).
    pub id: String,
    /// The gene's name.
    pub name: String,
    /// The gene's span on the reference.
    pub range: NucRange,
    /// The strand the gene is read from.
    pub strand: Strand,
    /// Its CDSes, in annotation order.
    pub cdses: Vec<Cds>,
    /// Set when the gene was made from a CDS because the annotation has no `gene` rows.
    pub compat_is_cds: bool,
}

/// All genes of a genome annotation, in the order Nextclade holds them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeneMap {
    /// Genes in annotation order.
    pub genes: Vec<Gene>,
}

impl GeneMap {
    /// Whether the annotation has no gene (then nothing is translated).
    pub fn is_empty(&self) -> bool {
        self.genes.is_empty()
    }

    /// Number of genes.
    pub fn len(&self) -> usize {
        self.genes.len()
    }

    /// CDSes gene by gene, each gene's in annotation order: the order Nextclade translates them.
    pub fn cdses(&self) -> impl Iterator<Item = &Cds> + '_ {
        self.genes.iter().flat_map(|g| g.cdses.iter())
    }

    /// Number of CDSes over all genes.
    pub fn cds_count(&self) -> usize {
        self.genes.iter().map(|g| g.cdses.len()).sum()
    }

    /// The gene called `name`, if any.
    pub fn gene(&self, name: &str) -> Option<&Gene> {
        self.genes.iter().find(|g| g.name == name)
    }

    /// The CDS called `name`, if any (CDS names are unique across genes).
    pub fn cds(&self, name: &str) -> Option<&Cds> {
        self.cdses().find(|c| c.name == name)
    }

    /// CDSes for display: first those named in `preference` (in that order), then the rest in
    /// annotation order. This is how Nextclade Web orders its CDS menu from `cdsOrderPreference`.
    pub fn cdses_by_preference<'a>(&'a self, preference: &[String]) -> Vec<&'a Cds> {
        let mut out: Vec<&Cds> = preference.iter().filter_map(|p| self.cds(p)).collect();
        out.extend(self.cdses().filter(|c| !preference.contains(&c.name)));
        out
    }
}
