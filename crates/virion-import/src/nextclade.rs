//! Nextclade's NDJSON output (`nextclade run --output-ndjson`), one result per line.
//!
//! The aligned genome and peptides are rebuilt from each result's changes with
//! [`virion_ingest::rebuild`] (unsequenced ends as N, untranslatable CDSs absent); a result
//! Nextclade could not align (it has `errors` and no `alignmentRange`) keeps its metadata and
//! has no sequences. Unaligned sequences are not in Nextclade's output, so they are absent.
//!
//! # Insertion positions
//! Nextclade writes `insertions: [{pos, ins}]` and `aaInsertions: [{cds, pos, ins}]` with `pos`
//! the 0-based reference position *after which* the symbols sit (`-1`: before the first). LAPIS
//! and SILO write `pos:SYMBOLS` with a 1-based position after which they sit (`0`: before the
//! first), so the position here is `pos + 1`. Nextclade's own TSV applies the same `+ 1`
//! (`ins_S:214:EPE` is TSV `S:214:EPE` and NDJSON `{cds: "S", pos: 213}`); the tests pin it.
//!
//! # Metadata columns
//! | column | from | as in |
//! |---|---|---|
//! | `seqName` (primary key) | `seqName` | Nextclade |
//! | `nextcladeClade` | `clade` | Virion's hub index |
//! | `nextcladePangoLineage` | `customNodeAttributes.Nextclade_pango` | Virion's hub index, GenSpectrum's open SARS-CoV-2 LAPIS |
//! | `qcOverallStatus` | `qc.overallStatus` | Virion's hub index |
//! | `qcOverallScore` | `qc.overallScore` | |
//! | `coverage` | `coverage` | Virion's hub index (Loculus: `completeness`) |
//! | `length` | `lenUnaligned` | Loculus |
//! | `totalSnps` | `totalSubstitutions` | Loculus |
//! | `totalDeletedNucs` | `totalDeletions` | Loculus |
//! | `totalInsertedNucs` | `totalInsertions` | Loculus |
//! | `totalFrameShifts` | `totalFrameShifts` | Loculus |
//! | `totalAmbiguousNucs` | `totalNonACGTNs` | Loculus |
//! | `totalUnknownNucs` | `totalMissing` | Loculus |
//!
//! The hub's names are reused so that an index built from a Nextclade run and one built from
//! the hub's released data have the same columns; the rest are Loculus's.

use virion_analyze::output::{NextcladeResult, NextcladeResultError};
use virion_index::Value;
use virion_ingest::hub::{CLADE, COVERAGE, LINEAGE, QC_STATUS};
use virion_ingest::{SequenceLayout, rebuild};

use crate::alphabet::{Alphabet, Insertion};
use crate::error::{FieldProblem, LineProblem};
use crate::record::{ImportRecord, UnknownCounter};
use crate::schema::{ImportSchema, MetadataField, MetadataKind};

/// The column holding each Nextclade record's `seqName`: the primary key of a Nextclade import.
pub const SEQ_NAME: &str = "seqName";

/// Column name, type and per-value index; [`metadata`] reads the values in this order.
const COLUMNS: [(&str, MetadataKind, bool); 13] = [
    (SEQ_NAME, MetadataKind::String, false),
    (CLADE, MetadataKind::String, true),
    (LINEAGE, MetadataKind::String, true),
    (QC_STATUS, MetadataKind::String, true),
    ("qcOverallScore", MetadataKind::Float, false),
    (COVERAGE, MetadataKind::Float, false),
    ("length", MetadataKind::Int32, false),
    ("totalSnps", MetadataKind::Int32, false),
    ("totalDeletedNucs", MetadataKind::Int32, false),
    ("totalInsertedNucs", MetadataKind::Int32, false),
    ("totalFrameShifts", MetadataKind::Int32, false),
    ("totalAmbiguousNucs", MetadataKind::Int32, false),
    ("totalUnknownNucs", MetadataKind::Int32, false),
];

/// The values of [`COLUMNS`] in a Nextclade result (see the table above); absent is null.
fn metadata(r: &NextcladeResult) -> [Value; COLUMNS.len()] {
    let text = |s: Option<&str>| s.map_or(Value::Null, |s| Value::String(s.to_owned()));
    let float = |x: Option<f64>| x.map_or(Value::Null, Value::Float);
    let int = |n: Option<i64>| n.map_or(Value::Null, Value::Int);
    let qc = r.qc.as_ref();
    [
        text(r.seq_name.as_deref()),
        text(r.clade.as_deref()),
        text(r.custom_node_attributes.get("Nextclade_pango").map(String::as_str)),
        text(qc.map(|q| q.overall_status.as_str())),
        // A score written as null (not a finite number) reads as NaN: null here, as written.
        float(qc.map(|q| q.overall_score).filter(|s| !s.is_nan())),
        float(r.coverage),
        int(r.len_unaligned),
        int(r.total_substitutions),
        int(r.total_deletions),
        int(r.total_insertions),
        int(r.total_frame_shifts),
        int(r.total_non_acgtns),
        int(r.total_missing),
    ]
}

pub(crate) fn metadata_fields() -> Vec<MetadataField> {
    COLUMNS
        .iter()
        .map(|&(name, kind, indexed)| MetadataField {
            name: name.to_owned(),
            kind,
            indexed,
            lineage: None,
            phylo_tree: false,
        })
        .collect()
}

pub(crate) fn parse(
    schema: &ImportSchema,
    layout: &SequenceLayout,
    line: &str,
    line_no: u64,
    unknown: &mut UnknownCounter,
) -> Result<ImportRecord, LineProblem> {
    crate::json::expect_object(line)?;
    let result = NextcladeResult::from_json(line).map_err(|e| match e {
        NextcladeResultError::Json(e) => LineProblem::Json(e),
        NextcladeResultError::Field { ref field, .. } => {
            LineProblem::field(field.clone(), FieldProblem::NotNextclade { reason: e.reason() })
        }
    })?;
    let Some(name) = result.seq_name.as_deref() else {
        return Err(LineProblem::NullPrimaryKey { field: SEQ_NAME.to_owned() });
    };
    let mut record = ImportRecord::empty(schema, line_no);
    for (slot, value) in record.metadata.iter_mut().zip(metadata(&result)) {
        *slot = value;
    }
    if result.alignment_range.is_none() {
        return Ok(record);
    }
    let rebuilt = rebuild(&result, name, layout)?;
    let reference_len = layout.reference.len();
    record.aligned_nucleotides[0] = Some(rebuilt.genome);
    for ins in &result.insertions {
        let symbols: String = ins.ins.iter().map(|n| n.to_char()).collect();
        record.nucleotide_insertions[0].push(insertion(
            ins.pos,
            &symbols,
            Alphabet::Nucleotide,
            reference_len,
            "insertions",
        )?);
    }
    for (slot, peptide) in record.aligned_amino_acids.iter_mut().zip(rebuilt.peptides) {
        *slot = peptide;
    }
    for ins in &result.aa_insertions {
        let Some(g) = schema.gene_index(&ins.cds) else {
            unknown.saw(&format!("aaInsertions.{}", ins.cds), line_no);
            continue;
        };
        if record.aligned_amino_acids[g].is_none() {
            continue; // the CDS could not be translated: no peptide to sit in
        }
        let symbols: String = ins.ins.iter().map(|a| a.to_char()).collect();
        let ins = insertion(ins.pos, &symbols, Alphabet::AminoAcid, schema.genes[g].1.len(), "aaInsertions")?;
        record.amino_acid_insertions[g].push(ins);
    }
    Ok(record)
}

/// One `{pos, ins}` as LAPIS's `pos + 1 : ins`.
fn insertion(
    pos: i64,
    symbols: &str,
    alphabet: Alphabet,
    reference_len: usize,
    field: &str,
) -> Result<Insertion, LineProblem> {
    let bad = |problem| {
        LineProblem::field(field, FieldProblem::Insertion { text: format!("{pos}:{symbols}"), problem })
    };
    let Some(position) = pos.checked_add(1).and_then(|p| u32::try_from(p).ok()) else {
        return Err(bad(crate::error::InsertionProblem::Position(pos.to_string())));
    };
    crate::alphabet::checked_insertion(position, symbols, alphabet, reference_len).map_err(bad)
}
