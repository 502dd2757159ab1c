//! Loculus's released-data layout (`GET /{organism}/get-released-data`), one object per line:
//!
//! ```json
//! {"metadata":{"accessionVersion":"LOC_1.1","date":"2021-03-18",…},
//!  "unalignedNucleotideSequences":{"main":"ACGT…"},
//!  "alignedNucleotideSequences":{"main":"NNACGT…"},
//!  "nucleotideInsertions":{"main":["214:AC"]},
//!  "alignedAminoAcidSequences":{"S":"MFV…","ORF1a":null},
//!  "aminoAcidInsertions":{"S":["214:EPE"]}}
//! ```
//!
//! Values follow the same rules as SILO's flat layout (LAPIS's `legacyNdjsonTransformer` turns
//! one into the other), with aligned sequences plain strings read from reference position 1
//! (no longer than the reference) and unaligned ones any string. Unknown
//! keys (top level or inside a section) are warnings, named `section.key`; a missing metadata
//! field, aligned segment or gene is an error; a missing unaligned sequence is null and missing
//! insertions are none, as in the transformer.

use std::collections::HashMap;

use serde_json::value::RawValue;

use crate::alphabet::{Alphabet, Insertion};
use crate::error::{FieldProblem, LineProblem};
use crate::json::{self, Fields};
use crate::record::{ImportRecord, UnknownCounter};
use crate::schema::ImportSchema;
use crate::sequence::{self, Column};

const METADATA: &str = "metadata";
const UNALIGNED: &str = "unalignedNucleotideSequences";
const ALIGNED_NUC: &str = "alignedNucleotideSequences";
const NUC_INSERTIONS: &str = "nucleotideInsertions";
const ALIGNED_AA: &str = "alignedAminoAcidSequences";
const AA_INSERTIONS: &str = "aminoAcidInsertions";
const SECTIONS: [&str; 6] = [METADATA, UNALIGNED, ALIGNED_NUC, NUC_INSERTIONS, ALIGNED_AA, AA_INSERTIONS];

/// Name → column index for each kind of section, prepared once per import.
#[derive(Debug)]
pub(crate) struct LoculusLayout {
    metadata: HashMap<String, usize>,
    segments: HashMap<String, usize>,
    genes: HashMap<String, usize>,
}

impl LoculusLayout {
    pub(crate) fn new(schema: &ImportSchema) -> LoculusLayout {
        let index =
            |names: Vec<&String>| names.into_iter().enumerate().map(|(i, n)| (n.clone(), i)).collect();
        LoculusLayout {
            metadata: index(schema.metadata.iter().map(|f| &f.name).collect()),
            segments: index(schema.segments.iter().map(|(n, _)| n).collect()),
            genes: index(schema.genes.iter().map(|(n, _)| n).collect()),
        }
    }

    pub(crate) fn parse(
        &self,
        schema: &ImportSchema,
        line: &str,
        line_no: u64,
        unknown: &mut UnknownCounter,
    ) -> Result<ImportRecord, LineProblem> {
        let Fields(top) = json::line_fields(line)?;
        let mut sections: [Option<&RawValue>; 6] = [None; 6];
        for (key, raw) in &top {
            match SECTIONS.iter().position(|s| *s == key.as_ref()) {
                Some(i) if sections[i].is_some() => {
                    return Err(LineProblem::field(key.as_ref(), FieldProblem::Repeated));
                }
                Some(i) => sections[i] = Some(raw),
                None => unknown.saw(key, line_no),
            }
        }
        let mut record = ImportRecord::empty(schema, line_no);
        let mut section =
            |i: usize,
             names: &HashMap<String, usize>,
             put: &mut dyn FnMut(usize, &str, &RawValue) -> Result<(), FieldProblem>| {
                section_entries(SECTIONS[i], sections[i], names, line_no, unknown, put)
            };

        let seen_metadata = section(0, &self.metadata, &mut |i, _, raw| {
            record.metadata[i] = json::metadata_value(raw, schema.metadata[i].kind)?;
            Ok(())
        })?;
        section(1, &self.segments, &mut |i, _, raw| {
            record.unaligned_nucleotides[i] =
                json::string(raw, "a string or null")?.and_then(|t| sequence::unaligned(&t));
            Ok(())
        })?;
        let seen_segments = section(2, &self.segments, &mut |i, name, raw| {
            let column = Column {
                what: "segment",
                name,
                reference: &schema.segments[i].1,
                alphabet: Alphabet::Nucleotide,
            };
            record.aligned_nucleotides[i] = aligned(raw, &column)?;
            Ok(())
        })?;
        section(3, &self.segments, &mut |i, _, raw| {
            record.nucleotide_insertions[i] =
                insertions(raw, Alphabet::Nucleotide, schema.segments[i].1.len())?;
            Ok(())
        })?;
        let seen_genes = section(4, &self.genes, &mut |i, name, raw| {
            let column =
                Column { what: "gene", name, reference: &schema.genes[i].1, alphabet: Alphabet::AminoAcid };
            record.aligned_amino_acids[i] = aligned(raw, &column)?;
            Ok(())
        })?;
        section(5, &self.genes, &mut |i, _, raw| {
            record.amino_acid_insertions[i] = insertions(raw, Alphabet::AminoAcid, schema.genes[i].1.len())?;
            Ok(())
        })?;

        let missing = |seen: &[bool], names: &mut dyn Iterator<Item = &String>, section: &str| {
            names
                .zip(seen)
                .find(|(_, s)| !**s)
                .map(|(n, _)| LineProblem::Missing { field: format!("{section}.{n}") })
        };
        let checks = [
            missing(&seen_metadata, &mut schema.metadata.iter().map(|f| &f.name), METADATA),
            missing(&seen_segments, &mut schema.segments.iter().map(|(n, _)| n), ALIGNED_NUC),
            missing(&seen_genes, &mut schema.genes.iter().map(|(n, _)| n), ALIGNED_AA),
        ];
        if let Some(problem) = checks.into_iter().flatten().next() {
            return Err(problem);
        }
        // Insertions of an absent sequence have nothing to sit in.
        for (seq, ins) in record.aligned_nucleotides.iter().zip(&mut record.nucleotide_insertions) {
            if seq.is_none() {
                ins.clear();
            }
        }
        for (seq, ins) in record.aligned_amino_acids.iter().zip(&mut record.amino_acid_insertions) {
            if seq.is_none() {
                ins.clear();
            }
        }
        crate::silo::check_primary_key(schema, &record, &format!("{METADATA}.{}", schema.primary_key))?;
        Ok(record)
    }
}

/// Visits the entries of one section object, calling `put` for each known name; returns which
/// names were seen. A missing or null section has no entries.
fn section_entries(
    section: &str,
    raw: Option<&RawValue>,
    names: &HashMap<String, usize>,
    line_no: u64,
    unknown: &mut UnknownCounter,
    put: &mut dyn FnMut(usize, &str, &RawValue) -> Result<(), FieldProblem>,
) -> Result<Vec<bool>, LineProblem> {
    let mut seen = vec![false; names.len()];
    let Some(raw) = raw.filter(|r| !json::is_null(r)) else { return Ok(seen) };
    let Fields(entries) =
        json::object_fields(raw, "an object").map_err(|p| LineProblem::field(section, p))?;
    for (key, value) in &entries {
        let Some(&i) = names.get(key.as_ref()) else {
            unknown.saw(&format!("{section}.{key}"), line_no);
            continue;
        };
        let at = |problem| LineProblem::field(format!("{section}.{key}"), problem);
        if std::mem::replace(&mut seen[i], true) {
            return Err(at(FieldProblem::Repeated));
        }
        put(i, key, value).map_err(at)?;
    }
    Ok(seen)
}

fn aligned(raw: &RawValue, column: &Column<'_>) -> Result<Option<Vec<u8>>, FieldProblem> {
    match json::string(raw, "a string or null")? {
        Some(text) => column.aligned(&text, None),
        None => Ok(None),
    }
}

fn insertions(
    raw: &RawValue,
    alphabet: Alphabet,
    reference_len: usize,
) -> Result<Vec<Insertion>, FieldProblem> {
    json::strings(raw, "a list of \"position:symbols\" strings")?
        .iter()
        .map(|t| crate::alphabet::parse_insertion(t, alphabet, reference_len))
        .collect()
}
