//! From processed records to rows of the query index.
//!
//! A Nextclade result (the hub stores Nextclade's NDJSON record under `nextclade` in each
//! version's processed data; `nextclade run --output-ndjson` writes the same) lists only what
//! differs from the reference, so the aligned genome and peptides are rebuilt from it: the
//! reference, with substitutions, deletions (`-`), ambiguous letters and missing runs (N)
//! applied. Positions outside the alignment range were not sequenced: they are N, not the
//! deletions (`-`) Nextclade's aligned FASTA pads them with, so that they count as missing
//! (not covered) in mutation proportions. Peptides likewise: amino-acid substitutions and
//! deletions applied, unknown ranges as X, codons outside the alignment as X, and a CDS
//! Nextclade could not translate left out (no peptide).

pub mod hub;

use virion_analyze::Dataset;
use virion_analyze::output::NextcladeResult;
use virion_core::{Aa, AaRange, Nuc, NucRange};
use virion_index::Insertion;
use virion_translate::{CdsLayout, Strand};

/// What rebuilding needs of a dataset: the reference and each CDS's reference peptide and
/// nucleotide extent.
#[derive(Debug, Clone)]
pub struct SequenceLayout {
    /// The nucleotide segment's name: `main` for a virus of one segment (a Nextclade dataset
    /// has one), the organism's segment name for a segment of a segmented virus.
    pub segment_name: String,
    /// The reference genome, upper-case letters.
    pub reference: Vec<u8>,
    /// Each CDS of the dataset's annotation, in its order.
    pub genes: Vec<GeneLayout>,
}

/// One CDS: its name, reference peptide and the reference positions each codon reads.
#[derive(Debug, Clone)]
pub struct GeneLayout {
    /// The CDS name, as Nextclade names it in `aaSubstitutions` and the peptide files.
    pub name: String,
    /// The reference peptide, one letter per codon.
    pub peptide: Vec<u8>,
    /// For each codon, the reference range `[first, last]` of the nucleotides it reads.
    codon_extent: Vec<(u32, u32)>,
}

/// Why a Nextclade record could not be rebuilt.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IngestError {
    #[error("record {record}: field {field}: {reason}")]
    /// A field of the record is missing or does not fit the reference.
    Field {
        /// The record's name.
        record: String,
        /// The Nextclade field, such as `alignmentRange` or `aaSubstitutions`.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl SequenceLayout {
    /// The layout of a loaded dataset (single-segment, as Nextclade datasets are).
    pub fn from_dataset(ds: &Dataset) -> SequenceLayout {
        let reference: Vec<u8> = ds.data.reference.iter().map(|&n| n as u8).collect();
        let genes = ds
            .ref_translation
            .cdses
            .iter()
            .map(|cds| GeneLayout {
                name: cds.layout.name.clone(),
                peptide: cds.peptide.iter().map(|&a| a as u8).collect(),
                codon_extent: codon_extents(&cds.layout, cds.peptide.len()),
            })
            .collect();
        SequenceLayout { segment_name: "main".to_owned(), reference, genes }
    }
}

/// The layouts of an organism's segments, in its segment order: one for a virus of one segment
/// (named `main`), one per segment of a segmented virus (named as the organism names them).
#[derive(Debug, Clone)]
pub struct OrganismLayout {
    /// Whether the organism is segmented (processed records hold one Nextclade record per
    /// segment under `segments`).
    pub segmented: bool,
    /// Each segment's layout; its `segment_name` is the segment's name.
    pub segments: Vec<SequenceLayout>,
    /// A segmented organism's clade-like attributes per segment (influenza HA's `subclade`),
    /// as its dataset's tree declares them; empty for a virus of one segment.
    pub clade_attrs: Vec<Vec<String>>,
}

impl OrganismLayout {
    /// The layout of a virus of one segment.
    pub fn single(layout: SequenceLayout) -> OrganismLayout {
        OrganismLayout { segmented: false, segments: vec![layout], clade_attrs: Vec::new() }
    }

    /// The layout of a segmented virus from its segments' datasets, in genome order.
    pub fn segmented<'a>(segments: impl IntoIterator<Item = (&'a str, &'a Dataset)>) -> OrganismLayout {
        let (segments, clade_attrs) = segments
            .into_iter()
            .map(|(name, ds)| {
                let attrs = ds
                    .tree
                    .as_ref()
                    .map(|t| t.clade_node_attr_descs().iter().map(|d| d.key.clone()).collect())
                    .unwrap_or_default();
                (SequenceLayout { segment_name: name.to_owned(), ..SequenceLayout::from_dataset(ds) }, attrs)
            })
            .unzip();
        OrganismLayout { segmented: true, segments, clade_attrs }
    }

    /// Every gene of every segment, in segment then annotation order: (segment index, gene).
    pub fn genes(&self) -> impl Iterator<Item = (usize, &GeneLayout)> {
        self.segments.iter().enumerate().flat_map(|(i, s)| s.genes.iter().map(move |g| (i, g)))
    }

    /// The genes' names as the index and LAPIS know them, in [`OrganismLayout::genes`] order:
    /// the CDS name, or `<segment>-<CDS>` for a name two segments share (LAPIS gene names are
    /// unique across segments).
    pub fn gene_names(&self) -> Vec<String> {
        let mut count: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        for (_, g) in self.genes() {
            *count.entry(g.name.as_str()).or_default() += 1;
        }
        self.genes()
            .map(|(i, g)| {
                if count[g.name.as_str()] > 1 {
                    format!("{}-{}", self.segments[i].segment_name, g.name)
                } else {
                    g.name.clone()
                }
            })
            .collect()
    }
}

/// Reference positions read by each codon: the CDS's nucleotides in reading order, three at a
/// time (segments may be on either strand, may overlap at a slippage site).
fn codon_extents(layout: &CdsLayout, codons: usize) -> Vec<(u32, u32)> {
    let mut positions: Vec<u32> = Vec::new();
    for seg in &layout.segments {
        let (b, e) = (seg.range.begin.0 as u32, seg.range.end.0 as u32);
        match seg.strand {
            Strand::Forward => positions.extend(b..e),
            Strand::Reverse => positions.extend((b..e).rev()),
        }
    }
    positions
        .chunks(3)
        .take(codons)
        .map(|c| (c.iter().copied().min().unwrap_or(0), c.iter().copied().max().unwrap_or(0)))
        .collect()
}

/// A range on the reference as `(begin, end)` indices (`None`: a negative bound).
fn span(r: NucRange) -> Option<(usize, usize)> {
    Some((usize::try_from(r.begin.0).ok()?, usize::try_from(r.end.0).ok()?))
}

/// One record's aligned genome and peptides (in the layout's gene order; `None` for a CDS
/// Nextclade could not translate).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rebuilt {
    /// The aligned genome, reference length; `N` outside the alignment range.
    pub genome: Vec<u8>,
    /// One peptide per gene of the layout, `None` where Nextclade could not translate the CDS.
    pub peptides: Vec<Option<Vec<u8>>>,
}

/// The insertions of one Nextclade record as LAPIS numbers them: Nextclade's `pos` is the
/// 0-based reference position after which the letters sit (-1: before the first), LAPIS's
/// `ins_214:…` is 1-based, so LAPIS position = `pos + 1` (Nextclade's own TSV writes the same).
/// Amino-acid insertions are listed per gene in the layout's order.
pub fn insertions(
    record: &NextcladeResult,
    layout: &SequenceLayout,
) -> (Vec<Insertion>, Vec<Vec<Insertion>>) {
    let one = |pos: i64, symbols: String| {
        (pos >= -1 && !symbols.is_empty()).then(|| Insertion { position: (pos + 1) as u32, symbols })
    };
    let nucleotide = record
        .insertions
        .iter()
        .filter_map(|i| one(i.pos, i.ins.iter().map(|n| n.to_char()).collect()))
        .collect();
    let mut amino_acid = vec![Vec::new(); layout.genes.len()];
    for i in &record.aa_insertions {
        let gene = layout.genes.iter().position(|g| g.name == i.cds);
        if let (Some(g), Some(ins)) = (gene, one(i.pos, i.ins.iter().map(|a| a.to_char()).collect())) {
            amino_acid[g].push(ins);
        }
    }
    (nucleotide, amino_acid)
}

/// Rebuilds the aligned genome and peptides of one Nextclade record.
pub fn rebuild(
    record: &NextcladeResult,
    name: &str,
    layout: &SequenceLayout,
) -> Result<Rebuilt, IngestError> {
    let bad = |field: &str, reason: &str| IngestError::Field {
        record: name.to_owned(),
        field: field.to_owned(),
        reason: reason.to_owned(),
    };
    let len = layout.reference.len();
    let range = record.alignment_range.ok_or_else(|| bad("alignmentRange", "missing"))?;
    let (begin, end) = span(range).ok_or_else(|| bad("alignmentRange", "outside the reference"))?;
    if begin > end || end > len {
        return Err(bad("alignmentRange", "outside the reference"));
    }
    let mut seq = layout.reference.clone();
    seq[..begin].fill(b'N');
    seq[end..].fill(b'N');
    let mut put = |range: NucRange, ch: Nuc, what: &str| -> Result<(), IngestError> {
        match span(range) {
            Some((b, e)) if b <= e && e <= len => {
                seq[b..e].fill(ch.to_byte());
                Ok(())
            }
            _ => Err(bad(what, "range outside the reference")),
        }
    };
    for s in &record.substitutions {
        put(NucRange::new(s.pos, s.pos + 1), s.qry_nuc, "substitutions")?;
    }
    for d in &record.deletions {
        put(d.range, Nuc::Gap, "deletions")?;
    }
    for (key, list) in [("missing", &record.missing), ("nonACGTNs", &record.non_acgtns)] {
        for m in list {
            put(m.range, m.symbol, key)?;
        }
    }

    let mut peptides: Vec<Option<Vec<u8>>> = Vec::with_capacity(layout.genes.len());
    for gene in &layout.genes {
        if record.missing_cdses.contains(&gene.name) {
            peptides.push(None);
            continue;
        }
        let mut p = gene.peptide.clone();
        for (i, &(first, last)) in gene.codon_extent.iter().enumerate() {
            if (first as usize) < begin || (last as usize) >= end {
                p[i] = b'X';
            }
        }
        peptides.push(Some(p));
    }
    let gene_index = |cds: &str| layout.genes.iter().position(|g| g.name == cds);
    let mut set = |cds: &str, range: AaRange, ch: Aa, what: &str| -> Result<(), IngestError> {
        let Some(g) = gene_index(cds) else { return Ok(()) };
        let Some(p) = peptides[g].as_mut() else { return Ok(()) };
        let b = usize::try_from(range.begin.0).ok();
        let e = usize::try_from(range.end.0).ok();
        match (b, e) {
            (Some(b), Some(e)) if b <= e && e <= p.len() => {
                p[b..e].fill(ch.to_byte());
                Ok(())
            }
            _ => Err(bad(what, "range outside the peptide")),
        }
    };
    for (key, list) in [("aaSubstitutions", &record.aa_substitutions), ("aaDeletions", &record.aa_deletions)]
    {
        for s in list {
            set(&s.cds, AaRange::new(s.pos, s.pos + 1), s.qry_aa, key)?;
        }
    }
    // Both forms: Nextclade's grouped `ranges` and the one-`range` entries Virion's own writer
    // produces (the hub's records), so codons translated from N are X, as in Nextclade's peptides.
    for unknown in record.unknown_aa_cds_ranges() {
        set(&unknown.cds, unknown.range, Aa::X, "unknownAaRanges")?;
    }
    Ok(Rebuilt { genome: seq, peptides })
}
