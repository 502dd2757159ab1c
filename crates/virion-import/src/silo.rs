//! SILO's flat input layout: one object per line, metadata columns at the top level, each
//! aligned segment and gene an object, unaligned sequences as `unaligned_<segment>` strings.
//!
//! ```json
//! {"primaryKey":"s1","date":"2021-03-18","main":{"sequence":"ACGT…","insertions":["214:EPE"]},
//!  "unaligned_main":"ACGT…","S":{"sequenceCompressed":"KLUv/…","insertions":[],"offset":3}}
//! ```
//!
//! A line is refused only where SILO refuses it (`src/silo/append/database_inserter.cpp`,
//! `src/silo/storage/column_group.cpp`, `src/silo/storage/column/sequence_column.cpp`): a
//! missing metadata, segment or gene column; a value of the wrong type; an aligned sequence or
//! insertion with a letter outside its alphabet, or running past the reference's end; a
//! sequence object with no sequence. A key the schema does not know is a warning, also inside
//! a sequence object (SILO looks up `sequence`, `sequenceCompressed`, `offset` and
//! `insertions` there and never sees other keys). An unaligned sequence is any string, stored
//! as it is. A sequence object with both `sequenceCompressed` and `sequence` is read from
//! `sequenceCompressed`, which SILO tries first.
//!
//! Where Virion is more lenient than SILO: a missing `unaligned_<segment>` is null (it is no
//! queryable column, and Virion's own synthetic SILO lines leave it out), as are missing
//! `insertions`, a null `offset` or `sequenceCompressed`, and a date `""`. Where it is
//! stricter: a primary key must not be null, and a key may not appear twice in a line (SILO
//! would read one of the two, which one depending on the key order of the file's first line).

use std::collections::HashMap;

use zstd::dict::DecoderDictionary;

use crate::alphabet::{Alphabet, Insertion};
use crate::error::{FieldProblem, LineProblem};
use crate::json::{self, Fields};
use crate::record::{ImportRecord, UnknownCounter};
use crate::schema::ImportSchema;
use crate::sequence::{self, Column};

#[derive(Debug, Clone, Copy)]
enum Slot {
    Metadata(usize),
    Segment(usize),
    Gene(usize),
    Unaligned(usize),
}

/// Where each top-level key of a line goes, prepared once per import.
pub(crate) struct SiloLayout {
    slots: HashMap<String, (usize, Slot)>,
    slot_count: usize,
    segment_dicts: Vec<DecoderDictionary<'static>>,
    gene_dicts: Vec<DecoderDictionary<'static>>,
}

impl std::fmt::Debug for SiloLayout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SiloLayout").field("slot_count", &self.slot_count).finish()
    }
}

impl SiloLayout {
    pub(crate) fn new(schema: &ImportSchema) -> SiloLayout {
        let mut slots = HashMap::new();
        let mut add = |name: String, slot: Slot| {
            let id = slots.len();
            slots.insert(name, (id, slot));
        };
        for (i, f) in schema.metadata.iter().enumerate() {
            add(f.name.clone(), Slot::Metadata(i));
        }
        for (i, (name, _)) in schema.segments.iter().enumerate() {
            add(name.clone(), Slot::Segment(i));
            add(format!("unaligned_{name}"), Slot::Unaligned(i));
        }
        for (i, (name, _)) in schema.genes.iter().enumerate() {
            add(name.clone(), Slot::Gene(i));
        }
        SiloLayout {
            slot_count: slots.len(),
            slots,
            segment_dicts: schema.segments.iter().map(|(_, r)| sequence::dictionary(r)).collect(),
            gene_dicts: schema.genes.iter().map(|(_, r)| sequence::dictionary(r)).collect(),
        }
    }

    pub(crate) fn parse(
        &self,
        schema: &ImportSchema,
        line: &str,
        line_no: u64,
        unknown: &mut UnknownCounter,
    ) -> Result<ImportRecord, LineProblem> {
        let fields = json::line_fields(line)?;
        let mut record = ImportRecord::empty(schema, line_no);
        let mut seen = vec![false; self.slot_count];
        for (key, raw) in &fields.0 {
            let Some(&(id, slot)) = self.slots.get(key.as_ref()) else {
                unknown.saw(key, line_no);
                continue;
            };
            let at = |problem| LineProblem::field(key.as_ref(), problem);
            if std::mem::replace(&mut seen[id], true) {
                return Err(at(FieldProblem::Repeated));
            }
            match slot {
                Slot::Metadata(i) => {
                    record.metadata[i] = json::metadata_value(raw, schema.metadata[i].kind).map_err(at)?;
                }
                Slot::Segment(i) => {
                    let (name, reference) = &schema.segments[i];
                    let column = Column { what: "segment", name, reference, alphabet: Alphabet::Nucleotide };
                    let mut ignored = |k: &str| unknown.saw(&format!("{key}.{k}"), line_no);
                    let (seq, ins) =
                        sequence_object(raw, &column, &self.segment_dicts[i], &mut ignored).map_err(at)?;
                    record.aligned_nucleotides[i] = seq;
                    record.nucleotide_insertions[i] = ins;
                }
                Slot::Gene(i) => {
                    let (name, reference) = &schema.genes[i];
                    let column = Column { what: "gene", name, reference, alphabet: Alphabet::AminoAcid };
                    let mut ignored = |k: &str| unknown.saw(&format!("{key}.{k}"), line_no);
                    let (seq, ins) =
                        sequence_object(raw, &column, &self.gene_dicts[i], &mut ignored).map_err(at)?;
                    record.aligned_amino_acids[i] = seq;
                    record.amino_acid_insertions[i] = ins;
                }
                Slot::Unaligned(i) => {
                    record.unaligned_nucleotides[i] = json::string(raw, "a string or null")
                        .map_err(at)?
                        .and_then(|t| sequence::unaligned(&t));
                }
            }
        }
        if seen.iter().any(|s| !s) {
            // Name the first missing column in schema order, so the message is stable.
            let missing = schema
                .metadata
                .iter()
                .map(|f| f.name.clone())
                .chain(schema.segments.iter().map(|(n, _)| n.clone()))
                .chain(schema.genes.iter().map(|(n, _)| n.clone()))
                .find(|name| !seen[self.slots[name].0]);
            if let Some(field) = missing {
                return Err(LineProblem::Missing { field });
            }
        }
        check_primary_key(schema, &record, &schema.primary_key)?;
        Ok(record)
    }
}

/// `field` is the primary key as the line spells it (`metadata.accession` in Loculus's layout).
pub(crate) fn check_primary_key(
    schema: &ImportSchema,
    record: &ImportRecord,
    field: &str,
) -> Result<(), LineProblem> {
    if record.metadata[schema.primary_key_index()] == virion_index::Value::Null {
        return Err(LineProblem::NullPrimaryKey { field: field.to_owned() });
    }
    Ok(())
}

/// `{sequence | sequenceCompressed, insertions, offset}` or null; other keys go to `ignored`.
/// Insertions of an absent sequence are dropped: there is nothing for them to sit in.
fn sequence_object(
    raw: &serde_json::value::RawValue,
    column: &Column<'_>,
    dict: &DecoderDictionary<'_>,
    ignored: &mut dyn FnMut(&str),
) -> Result<(Option<Vec<u8>>, Vec<Insertion>), FieldProblem> {
    if json::is_null(raw) {
        return Ok((None, Vec::new()));
    }
    let Fields(fields) = json::object_fields(raw, "a sequence object or null")?;
    let (mut plain, mut compressed, mut offset) = (None, None, None);
    let mut insertions = Vec::new();
    for (key, value) in &fields {
        match key.as_ref() {
            "sequence" => plain = Some(json::string(value, "a string or null")?),
            "sequenceCompressed" => compressed = Some(json::string(value, "a base64 string or null")?),
            "insertions" => insertions = json::strings(value, "a list of \"position:symbols\" strings")?,
            "offset" => offset = offset_value(value)?,
            other => ignored(other),
        }
    }
    let text = match (compressed, plain) {
        (None, None) => return Err(FieldProblem::NoSequence),
        (Some(Some(b64)), _) => Some(column.decompress(&b64, dict)?.into()),
        (_, Some(text)) => text,
        (Some(None), None) => None,
    };
    let Some(sequence) = text.map(|t| column.aligned(&t, offset)).transpose()?.flatten() else {
        return Ok((None, Vec::new()));
    };
    let insertions = insertions
        .iter()
        .map(|t| crate::alphabet::parse_insertion(t, column.alphabet, column.reference.len()))
        .collect::<Result<_, _>>()?;
    Ok((Some(sequence), insertions))
}

fn offset_value(raw: &serde_json::value::RawValue) -> Result<Option<u32>, FieldProblem> {
    let s = raw.get();
    if s == "null" {
        return Ok(None);
    }
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(json::wrong_type(raw, "a whole number from 0"));
    }
    s.parse().map(Some).map_err(|_| json::wrong_type(raw, "a whole number that fits 32 bits"))
}
