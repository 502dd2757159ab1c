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

use serde_json::Value as Json;
use virion_analyze::Dataset;
use virion_index::Insertion;
use virion_translate::{CdsLayout, Strand};

/// What rebuilding needs of a dataset: the reference and each CDS's reference peptide and
/// nucleotide extent.
#[derive(Debug, Clone)]
pub struct SequenceLayout {
    pub segment_name: String,
    pub reference: Vec<u8>,
    pub genes: Vec<GeneLayout>,
}

#[derive(Debug, Clone)]
pub struct GeneLayout {
    pub name: String,
    pub peptide: Vec<u8>,
    /// For each codon, the reference range `[first, last]` of the nucleotides it reads.
    codon_extent: Vec<(u32, u32)>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IngestError {
    #[error("record {record}: field {field}: {reason}")]
    Field { record: String, field: String, reason: String },
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

fn field<'a>(record: &'a Json, name: &str, key: &str) -> Result<&'a Json, IngestError> {
    record.get(key).ok_or_else(|| IngestError::Field {
        record: name.to_owned(),
        field: key.to_owned(),
        reason: "missing".into(),
    })
}

fn range_of(v: &Json) -> Option<(usize, usize)> {
    let r = v.get("range").unwrap_or(v);
    Some((r.get("begin")?.as_u64()? as usize, r.get("end")?.as_u64()? as usize))
}

fn letter(v: &Json, key: &str) -> Option<u8> {
    v.get(key)?.as_str()?.bytes().next()
}

/// One record's aligned genome and peptides (in the layout's gene order; `None` for a CDS
/// Nextclade could not translate).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rebuilt {
    pub genome: Vec<u8>,
    pub peptides: Vec<Option<Vec<u8>>>,
}

/// The insertions of one Nextclade record as LAPIS numbers them: Nextclade's `pos` is the
/// 0-based reference position after which the letters sit (-1: before the first), LAPIS's
/// `ins_214:…` is 1-based, so LAPIS position = `pos + 1` (Nextclade's own TSV writes the same).
/// Amino-acid insertions are listed per gene in the layout's order.
pub fn insertions(record: &Json, layout: &SequenceLayout) -> (Vec<Insertion>, Vec<Vec<Insertion>>) {
    let one = |v: &Json| -> Option<(u32, String)> {
        let pos = v.get("pos")?.as_i64()?;
        let ins = v.get("ins")?.as_str()?;
        (pos >= -1 && !ins.is_empty()).then(|| ((pos + 1) as u32, ins.to_ascii_uppercase()))
    };
    let nucleotide = record
        .get("insertions")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(one)
        .map(|(position, symbols)| Insertion { position, symbols })
        .collect();
    let mut amino_acid = vec![Vec::new(); layout.genes.len()];
    for v in record.get("aaInsertions").and_then(Json::as_array).into_iter().flatten() {
        let cds = v.get("cds").or_else(|| v.get("cdsName")).and_then(Json::as_str);
        let gene = cds.and_then(|c| layout.genes.iter().position(|g| g.name == c));
        if let (Some(g), Some((position, symbols))) = (gene, one(v)) {
            amino_acid[g].push(Insertion { position, symbols });
        }
    }
    (nucleotide, amino_acid)
}

/// Rebuilds the aligned genome and peptides of one Nextclade record.
pub fn rebuild(record: &Json, name: &str, layout: &SequenceLayout) -> Result<Rebuilt, IngestError> {
    let bad = |field: &str, reason: &str| IngestError::Field {
        record: name.to_owned(),
        field: field.to_owned(),
        reason: reason.to_owned(),
    };
    let len = layout.reference.len();
    let (begin, end) = range_of(field(record, name, "alignmentRange")?)
        .ok_or_else(|| bad("alignmentRange", "no begin/end"))?;
    if begin > end || end > len {
        return Err(bad("alignmentRange", "outside the reference"));
    }
    let mut seq = layout.reference.clone();
    seq[..begin].fill(b'N');
    seq[end..].fill(b'N');
    let mut put = |range: (usize, usize), ch: u8, what: &str| -> Result<(), IngestError> {
        if range.0 > range.1 || range.1 > len {
            return Err(bad(what, "range outside the reference"));
        }
        seq[range.0..range.1].fill(ch);
        Ok(())
    };
    for s in field(record, name, "substitutions")?.as_array().into_iter().flatten() {
        let pos = s.get("pos").and_then(Json::as_u64).ok_or_else(|| bad("substitutions", "no pos"))? as usize;
        let to = letter(s, "qryNuc").ok_or_else(|| bad("substitutions", "no qryNuc"))?;
        put((pos, pos + 1), to, "substitutions")?;
    }
    for d in field(record, name, "deletions")?.as_array().into_iter().flatten() {
        put(range_of(d).ok_or_else(|| bad("deletions", "no range"))?, b'-', "deletions")?;
    }
    for key in ["missing", "nonACGTNs"] {
        for m in field(record, name, key)?.as_array().into_iter().flatten() {
            let ch = letter(m, "character").unwrap_or(b'N');
            put(range_of(m).ok_or_else(|| bad(key, "no range"))?, ch, key)?;
        }
    }

    let missing_cdses: Vec<&str> = record
        .get("missingCdses")
        .and_then(Json::as_array)
        .map(|a| a.iter().filter_map(Json::as_str).collect())
        .unwrap_or_default();
    let mut peptides: Vec<Option<Vec<u8>>> = Vec::with_capacity(layout.genes.len());
    for gene in &layout.genes {
        if missing_cdses.contains(&gene.name.as_str()) {
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
    let mut set = |cds: &str, range: (usize, usize), ch: Option<u8>, what: &str| -> Result<(), IngestError> {
        let Some(g) = gene_index(cds) else { return Ok(()) };
        let Some(p) = peptides[g].as_mut() else { return Ok(()) };
        if range.0 > range.1 || range.1 > p.len() {
            return Err(bad(what, "range outside the peptide"));
        }
        p[range.0..range.1].fill(ch.unwrap_or(b'X'));
        Ok(())
    };
    for key in ["aaSubstitutions", "aaDeletions"] {
        for s in field(record, name, key)?.as_array().into_iter().flatten() {
            let cds = s.get("cdsName").and_then(Json::as_str).ok_or_else(|| bad(key, "no cdsName"))?;
            let pos = s.get("pos").and_then(Json::as_u64).ok_or_else(|| bad(key, "no pos"))? as usize;
            // Nextclade writes no qryAa for a deletion.
            let to = match key {
                "aaDeletions" => letter(s, "qryAa").unwrap_or(b'-'),
                _ => letter(s, "qryAa").ok_or_else(|| bad(key, "no qryAa"))?,
            };
            set(cds, (pos, pos + 1), Some(to), key)?;
        }
    }
    for u in field(record, name, "unknownAaRanges")?.as_array().into_iter().flatten() {
        let cds =
            u.get("cdsName").and_then(Json::as_str).ok_or_else(|| bad("unknownAaRanges", "no cdsName"))?;
        for r in u.get("ranges").and_then(Json::as_array).into_iter().flatten() {
            set(
                cds,
                range_of(r).ok_or_else(|| bad("unknownAaRanges", "no range"))?,
                None,
                "unknownAaRanges",
            )?;
        }
    }
    Ok(Rebuilt { genome: seq, peptides })
}
