//! The hub's released versions as index rows: the organism's metadata fields (typed as its
//! schema says), the accession columns, the main processing calls, and the aligned genome
//! and peptides rebuilt from the stored Nextclade record.

use chrono::NaiveDate;
use serde_json::Value as Json;
use virion_analyze::output::NextcladeResult;
use virion_index::{ColumnType, RowInput, Schema, SeqInput, Value};
use virion_schema::{FieldType, OrganismConfig};

use crate::{IngestError, OrganismLayout, rebuild};

/// Column names shared by every organism (LAPIS-style camelCase, as Loculus instances use).
pub const ACCESSION: &str = "accession";
/// `accession.version`, the key of one released version.
pub const ACCESSION_VERSION: &str = "accessionVersion";
/// The version number within the accession.
pub const VERSION: &str = "version";
/// The Nextclade clade processing assigned.
pub const CLADE: &str = "nextcladeClade";
/// The Pango lineage processing assigned (the column the lineage index is built on).
pub const LINEAGE: &str = "nextcladePangoLineage";
/// Nextclade's overall QC status (`good`, `mediocre`, `bad`).
pub const QC_STATUS: &str = "qcOverallStatus";
/// Nextclade's coverage: aligned, non-missing, unambiguous bases over the reference length.
pub const COVERAGE: &str = "coverage";
/// `OPEN` or `RESTRICTED` as in force when the index was built (Loculus's LAPIS names).
pub const DATA_USE_TERMS: &str = "dataUseTerms";
/// The date a `RESTRICTED` version becomes open (null for open data).
pub const DATA_USE_TERMS_UNTIL: &str = "dataUseTermsRestrictedUntil";

/// The per-segment columns of a segmented organism: `nextcladeClade_ha`, `subclade_ha` (each
/// clade-like attribute its dataset declares), `qcOverallStatus_ha`, `coverage_ha` (the calls
/// its dataset gave that segment).
pub fn segment_column(column: &str, segment: &str) -> String {
    format!("{column}_{segment}")
}

/// The index schema of an organism and how its configured fields map onto it.
#[derive(Debug, Clone)]
pub struct HubSchema {
    /// The index schema: accession columns, the organism's fields, the processing calls, the
    /// nucleotide segments and the genes.
    pub schema: Schema,
    fields: Vec<(String, FieldType)>,
    /// A segmented organism's segments (none otherwise), each with the clade-like attributes
    /// that have a column (`subclade_ha`).
    segment_attrs: Vec<Vec<String>>,
    /// The column holding Pango lineages (for the lineage index).
    pub lineage_column: usize,
    /// The first date column (collection date): rows are ordered by it within a lineage.
    pub date_column: Option<usize>,
}

impl HubSchema {
    /// The schema for `config`'s fields and `layout`'s segments and genes. A segmented
    /// organism's clade, QC status and coverage are per segment ([`segment_column`]); its
    /// `qcOverallStatus` is its worst segment's.
    pub fn new(config: &OrganismConfig, layout: &OrganismLayout) -> HubSchema {
        let mut metadata = vec![
            (ACCESSION.to_owned(), ColumnType::String { indexed: false }),
            (ACCESSION_VERSION.to_owned(), ColumnType::String { indexed: false }),
            (VERSION.to_owned(), ColumnType::Int),
        ];
        let mut fields = Vec::new();
        for f in &config.fields {
            let kind = match f.field_type {
                FieldType::Int => ColumnType::Int,
                FieldType::Float => ColumnType::Float,
                FieldType::Date => ColumnType::Date,
                FieldType::Boolean => ColumnType::Boolean,
                // Per-value bitmaps for the fields people group and filter by.
                FieldType::Enum => ColumnType::String { indexed: true },
                FieldType::String | FieldType::Authors => ColumnType::String { indexed: f.facet },
            };
            metadata.push((f.name.clone(), kind));
            fields.push((f.name.clone(), f.field_type));
        }
        metadata.push((CLADE.to_owned(), ColumnType::String { indexed: true }));
        let lineage_column = metadata.len();
        metadata.push((LINEAGE.to_owned(), ColumnType::String { indexed: true }));
        metadata.push((QC_STATUS.to_owned(), ColumnType::String { indexed: true }));
        metadata.push((COVERAGE.to_owned(), ColumnType::Float));
        metadata.push((DATA_USE_TERMS.to_owned(), ColumnType::String { indexed: true }));
        metadata.push((DATA_USE_TERMS_UNTIL.to_owned(), ColumnType::Date));
        let segment_names: Vec<String> = if layout.segmented {
            layout.segments.iter().map(|s| s.segment_name.clone()).collect()
        } else {
            Vec::new()
        };
        let segment_attrs: Vec<Vec<String>> = segment_names
            .iter()
            .enumerate()
            .map(|(i, _)| layout.clade_attrs.get(i).cloned().unwrap_or_default())
            .collect();
        for (segment, attrs) in segment_names.iter().zip(&segment_attrs) {
            metadata.push((segment_column(CLADE, segment), ColumnType::String { indexed: true }));
            for attr in attrs {
                metadata.push((segment_column(attr, segment), ColumnType::String { indexed: true }));
            }
            metadata.push((segment_column(QC_STATUS, segment), ColumnType::String { indexed: true }));
            metadata.push((segment_column(COVERAGE, segment), ColumnType::Float));
        }
        let schema = Schema {
            metadata,
            segments: layout.segments.iter().map(|s| (s.segment_name.clone(), s.reference.clone())).collect(),
            genes: layout
                .gene_names()
                .into_iter()
                .zip(layout.genes())
                .map(|(n, (_, g))| (n, g.peptide.clone()))
                .collect(),
        };
        let date_column = schema.metadata.iter().position(|(_, kind)| *kind == ColumnType::Date);
        HubSchema { schema, fields, segment_attrs, lineage_column, date_column }
    }

    /// One released version as a row. `metadata_json` is the submitted metadata as stored,
    /// `processed_json` the worker's result (`{"nextclade": …, "clade": …, …}`),
    /// `restricted_until` the end of a restriction in force (`None`: open data).
    pub fn row(
        &self,
        layout: &OrganismLayout,
        accession: &str,
        version: i64,
        metadata_json: &str,
        processed_json: &str,
        restricted_until: Option<NaiveDate>,
    ) -> Result<RowInput, IngestError> {
        self.row_and_placement(layout, accession, version, metadata_json, processed_json, restricted_until)
            .map(|(row, _)| row)
    }

    /// [`HubSchema::row`], with where processing placed the genome on the reference tree (a
    /// virus of one segment: the hub's tree is its dataset's).
    pub fn row_and_placement(
        &self,
        layout: &OrganismLayout,
        accession: &str,
        version: i64,
        metadata_json: &str,
        processed_json: &str,
        restricted_until: Option<NaiveDate>,
    ) -> Result<(RowInput, Option<Placement>), IngestError> {
        let name = format!("{accession}.{version}");
        let parse = |text: &str, what: &str| -> Result<Json, IngestError> {
            serde_json::from_str(text).map_err(|e| IngestError::Field {
                record: name.clone(),
                field: what.to_owned(),
                reason: e.to_string(),
            })
        };
        let metadata = parse(metadata_json, "metadata")?;
        let processed = parse(processed_json, "processed data")?;
        let mut values =
            vec![Value::String(accession.to_owned()), Value::String(name.clone()), Value::Int(version)];
        for (field, kind) in &self.fields {
            values.push(typed(metadata.get(field), *kind));
        }
        let text = |calls: &Json, key: &str| {
            calls.get(key).and_then(Json::as_str).map_or(Value::Null, |s| Value::String(s.to_owned()))
        };
        let coverage =
            |calls: &Json| calls.get(COVERAGE).and_then(Json::as_f64).map_or(Value::Null, Value::Float);
        values.push(text(&processed, "clade"));
        values.push(text(&processed, "lineage"));
        values.push(text(&processed, QC_STATUS));
        values.push(coverage(&processed));
        values.push(Value::String(if restricted_until.is_some() { "RESTRICTED" } else { "OPEN" }.to_owned()));
        values.push(restricted_until.map_or(Value::Null, Value::Date));
        // Each segment's calls: the record itself for a virus of one segment, `segments.<name>`
        // of a segmented one (absent: the sample lacks that segment).
        let calls: Vec<Option<&Json>> = if layout.segmented {
            let per_segment = processed.get("segments");
            layout.segments.iter().map(|s| per_segment.and_then(|p| p.get(&s.segment_name))).collect()
        } else {
            vec![Some(&processed)]
        };
        // Per-segment columns exist only for a segmented organism.
        for (calls, attrs) in calls.iter().zip(&self.segment_attrs) {
            let calls = calls.unwrap_or(&Json::Null);
            values.push(text(calls, "clade"));
            for attr in attrs {
                values.push(text(&calls["cladeAttributes"], attr));
            }
            values.push(text(calls, QC_STATUS));
            values.push(coverage(calls));
        }
        let mut row = RowInput { metadata: values, ..RowInput::default() };
        let mut placement = None;
        for (layout_segment, calls) in layout.segments.iter().zip(&calls) {
            let field = |path: &str| {
                if layout.segmented {
                    format!("segments.{}.{path}", layout_segment.segment_name)
                } else {
                    path.to_owned()
                }
            };
            // Null when the worker could not write the record: as good as none.
            let nextclade = match calls.and_then(|c| c.get("nextclade")) {
                None | Some(Json::Null) => None,
                Some(v) => Some(NextcladeResult::from_value(v).map_err(|e| IngestError::Field {
                    record: name.clone(),
                    field: match e.field() {
                        Some(".") | None => field("nextclade"),
                        Some(path) => field(&format!("nextclade.{path}")),
                    },
                    reason: e.reason(),
                })?),
            };
            if !layout.segmented {
                placement = nextclade.as_ref().and_then(Placement::of_record);
            }
            let genes = layout_segment.genes.len();
            match &nextclade {
                Some(record) if record.alignment_range.is_some() => {
                    let rebuilt = rebuild(record, &name, layout_segment)?;
                    let (nucleotide, amino_acid) = crate::insertions(record, layout_segment);
                    row.segments.push(SeqInput::Aligned(rebuilt.genome));
                    row.genes.extend(rebuilt.peptides.into_iter().map(SeqInput::from));
                    row.nucleotide_insertions.push(nucleotide);
                    row.amino_acid_insertions.extend(amino_acid);
                }
                // Not aligned (processing failed) or not sent: no sequence.
                _ => {
                    row.segments.push(SeqInput::Absent);
                    row.genes.extend(std::iter::repeat_n(SeqInput::Absent, genes));
                    row.nucleotide_insertions.push(Vec::new());
                    row.amino_acid_insertions.extend(std::iter::repeat_n(Vec::new(), genes));
                }
            }
        }
        Ok((row, placement))
    }
}

/// Where processing placed a genome on the dataset's reference tree: Nextclade's nearest node
/// and the genome's divergence (the node's `div` plus its private mutations, in the tree's
/// units).
#[derive(Debug, Clone, PartialEq)]
pub struct Placement {
    /// Nextclade's `nearestNodeName`.
    pub nearest_node: String,
    /// Nextclade's `divergence`; `None` when the record has none.
    pub divergence: Option<f64>,
}

impl Placement {
    /// From a Nextclade NDJSON record (`nearestNodeName`, `divergence`); `None` when it was not
    /// placed.
    pub fn of_record(record: &NextcladeResult) -> Option<Placement> {
        let nearest_node = record.nearest_node_name.as_deref().filter(|n| !n.is_empty())?;
        Some(Placement { nearest_node: nearest_node.to_owned(), divergence: record.divergence })
    }
}

/// A stored metadata value as the column's type wants it. Dates are stored as
/// `{"value", "earliest", "latest"}`; only a complete date is a date here (a partial one is
/// null, as LAPIS date columns hold days).
fn typed(value: Option<&Json>, kind: FieldType) -> Value {
    let Some(v) = value else { return Value::Null };
    // A submitter's "not provided" / "not collected" (`{"missing": …}`) is no value to query.
    if v.get("missing").is_some() {
        return Value::Null;
    }
    match kind {
        FieldType::Date => {
            let text = v.get("value").unwrap_or(v).as_str().unwrap_or("");
            NaiveDate::parse_from_str(text, "%Y-%m-%d").map_or(Value::Null, Value::Date)
        }
        FieldType::Int => v.as_i64().map_or(Value::Null, Value::Int),
        FieldType::Float => v.as_f64().map_or(Value::Null, Value::Float),
        FieldType::Boolean => v.as_bool().map_or(Value::Null, Value::Boolean),
        _ => match v {
            Json::Null => Value::Null,
            Json::String(s) => Value::String(s.clone()),
            Json::Array(items) => Value::String(
                items
                    .iter()
                    .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            other => Value::String(
                other.get("value").and_then(Json::as_str).map_or_else(|| other.to_string(), str::to_owned),
            ),
        },
    }
}
