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

use serde_json::Value as Json;
use virion_index::Value;
use virion_ingest::hub::{CLADE, COVERAGE, LINEAGE, QC_STATUS};
use virion_ingest::{SequenceLayout, rebuild};

use crate::alphabet::{Alphabet, Insertion};
use crate::error::{FieldProblem, LineProblem};
use crate::record::{ImportRecord, UnknownCounter};
use crate::schema::{ImportSchema, MetadataField, MetadataKind};

pub const SEQ_NAME: &str = "seqName";

/// Column name, type, per-value index, and the path of the value in a Nextclade result.
const COLUMNS: &[(&str, MetadataKind, bool, &[&str])] = &[
    (SEQ_NAME, MetadataKind::String, false, &["seqName"]),
    (CLADE, MetadataKind::String, true, &["clade"]),
    (LINEAGE, MetadataKind::String, true, &["customNodeAttributes", "Nextclade_pango"]),
    (QC_STATUS, MetadataKind::String, true, &["qc", "overallStatus"]),
    ("qcOverallScore", MetadataKind::Float, false, &["qc", "overallScore"]),
    (COVERAGE, MetadataKind::Float, false, &["coverage"]),
    ("length", MetadataKind::Int32, false, &["lenUnaligned"]),
    ("totalSnps", MetadataKind::Int32, false, &["totalSubstitutions"]),
    ("totalDeletedNucs", MetadataKind::Int32, false, &["totalDeletions"]),
    ("totalInsertedNucs", MetadataKind::Int32, false, &["totalInsertions"]),
    ("totalFrameShifts", MetadataKind::Int32, false, &["totalFrameShifts"]),
    ("totalAmbiguousNucs", MetadataKind::Int32, false, &["totalNonACGTNs"]),
    ("totalUnknownNucs", MetadataKind::Int32, false, &["totalMissing"]),
];

pub(crate) fn metadata_fields() -> Vec<MetadataField> {
    COLUMNS
        .iter()
        .map(|&(name, kind, indexed, _)| MetadataField {
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
    // The rebuild reads the whole result, so here the line is parsed into a tree.
    let result: Json = serde_json::from_str(line).map_err(LineProblem::Json)?;
    let mut record = ImportRecord::empty(schema, line_no);
    for (i, &(name, kind, _, path)) in COLUMNS.iter().enumerate() {
        record.metadata[i] =
            value_at(&result, path, kind).map_err(|p| LineProblem::field(path.join("."), p))?;
        if name == SEQ_NAME && record.metadata[i] == Value::Null {
            return Err(LineProblem::NullPrimaryKey { field: SEQ_NAME.to_owned() });
        }
    }
    if result.get("alignmentRange").is_none() {
        return Ok(record);
    }
    let name = result["seqName"].as_str().unwrap_or_default();
    let rebuilt = rebuild(&result, name, layout)?;
    let reference_len = layout.reference.len();
    record.aligned_nucleotides[0] = Some(rebuilt.genome);
    for ins in result.get("insertions").and_then(Json::as_array).into_iter().flatten() {
        record.nucleotide_insertions[0].push(insertion(
            ins,
            Alphabet::Nucleotide,
            reference_len,
            "insertions",
        )?);
    }
    for (slot, peptide) in record.aligned_amino_acids.iter_mut().zip(rebuilt.peptides) {
        *slot = peptide;
    }
    for ins in result.get("aaInsertions").and_then(Json::as_array).into_iter().flatten() {
        // Nextclade 3 writes `cds`; `cdsName` is the name its other aa lists use.
        let cds = ins.get("cds").or_else(|| ins.get("cdsName")).and_then(Json::as_str);
        let Some(cds) = cds else {
            return Err(LineProblem::field(
                "aaInsertions",
                FieldProblem::WrongType { value: ins.to_string(), expected: "an insertion {cds, pos, ins}" },
            ));
        };
        let Some(g) = schema.gene_index(cds) else {
            unknown.saw(&format!("aaInsertions.{cds}"), line_no);
            continue;
        };
        if record.aligned_amino_acids[g].is_none() {
            continue; // the CDS could not be translated: no peptide to sit in
        }
        let ins = insertion(ins, Alphabet::AminoAcid, schema.genes[g].1.len(), "aaInsertions")?;
        record.amino_acid_insertions[g].push(ins);
    }
    Ok(record)
}

/// One `{pos, ins}` as LAPIS's `pos + 1 : ins`.
fn insertion(
    v: &Json,
    alphabet: Alphabet,
    reference_len: usize,
    field: &str,
) -> Result<Insertion, LineProblem> {
    let pos = v.get("pos").and_then(Json::as_i64);
    let symbols = v.get("ins").and_then(Json::as_str);
    let (Some(pos), Some(symbols)) = (pos, symbols) else {
        let problem = FieldProblem::WrongType { value: v.to_string(), expected: "an insertion {pos, ins}" };
        return Err(LineProblem::field(field, problem));
    };
    let bad = |problem| {
        LineProblem::field(field, FieldProblem::Insertion { text: format!("{pos}:{symbols}"), problem })
    };
    let Some(position) = pos.checked_add(1).and_then(|p| u32::try_from(p).ok()) else {
        return Err(bad(crate::error::InsertionProblem::Position(pos.to_string())));
    };
    crate::alphabet::checked_insertion(position, symbols, alphabet, reference_len).map_err(bad)
}

/// The value at `path`, typed; missing or null is null.
fn value_at(result: &Json, path: &[&str], kind: MetadataKind) -> Result<Value, FieldProblem> {
    let mut v = result;
    for key in path {
        match v.get(key) {
            Some(next) => v = next,
            None => return Ok(Value::Null),
        }
    }
    let wrong = |expected| FieldProblem::WrongType { value: v.to_string(), expected };
    Ok(match (kind, v) {
        (_, Json::Null) => Value::Null,
        (MetadataKind::String, Json::String(s)) => Value::String(s.clone()),
        (MetadataKind::Float, Json::Number(n)) => Value::Float(n.as_f64().ok_or_else(|| wrong("a number"))?),
        (MetadataKind::Int32 | MetadataKind::Int64, Json::Number(n)) => {
            Value::Int(n.as_i64().ok_or_else(|| wrong("a whole number"))?)
        }
        (MetadataKind::String, _) => return Err(wrong("a string")),
        _ => return Err(wrong("a number")),
    })
}
