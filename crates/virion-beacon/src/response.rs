//! Beacon answers written from typed parts: the response envelope for each granularity, result
//! sets (one per node and dataset), and the records of variants, biosamples and datasets.

use serde_json::{Value, json};
use virion_query::{Cell, Table};

use crate::request::{BeaconRequest, DatasetModel};
use crate::{API_VERSION, BeaconError, Granularity};

/// The entry types this node serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryType {
    /// `g_variants`: mutations against a dataset's reference.
    GenomicVariant,
    /// `biosamples`: the genomes' sample metadata.
    Biosample,
    /// `datasets`: the collections served.
    Dataset,
}

impl EntryType {
    /// Beacon's id of the entry type.
    pub fn id(self) -> &'static str {
        match self {
            EntryType::GenomicVariant => "genomicVariant",
            EntryType::Biosample => "biosample",
            EntryType::Dataset => "dataset",
        }
    }

    /// The default schema's name in `returnedSchemas`.
    fn schema(self) -> &'static str {
        match self {
            EntryType::GenomicVariant => "beacon-g_variant-v2.0.0",
            EntryType::Biosample => "beacon-biosample-v2.0.0",
            EntryType::Dataset => "beacon-dataset-v2.0.0",
        }
    }
}

/// `meta` of an answer to a query.
pub fn meta(beacon_id: &str, entry: EntryType, req: &BeaconRequest, returned: Granularity) -> Value {
    let schemas = json!([{ "entityType": entry.id(), "schema": entry.schema() }]);
    let filters: Vec<String> =
        req.filters.iter().map(|f| format!("{}{}{}", f.id, f.operator.text(), f.value)).collect();
    json!({
        "beaconId": beacon_id,
        "apiVersion": API_VERSION,
        "returnedGranularity": returned.name(),
        "returnedSchemas": schemas,
        "receivedRequestSummary": {
            "apiVersion": API_VERSION,
            "requestedSchemas": schemas,
            "pagination": { "skip": req.skip, "limit": req.limit },
            "requestedGranularity": req.granularity.unwrap_or(returned).name(),
            "filters": filters,
        },
    })
}

/// One result set: one dataset of one node.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultSet {
    /// The dataset.
    pub dataset: String,
    /// The node that answered.
    pub node: String,
    /// Matching entries (exact).
    pub count: u64,
    /// The records, if the asker may have them for this node.
    pub records: Option<Vec<Value>>,
}

/// A node and dataset that matched, but whose count is below the minimum cell it shares with
/// this node: reported as withheld, never as a number.
#[derive(Debug, Clone, PartialEq)]
pub struct Withheld {
    /// The dataset.
    pub dataset: String,
    /// The node.
    pub node: String,
    /// How many entries were withheld (groups below the minimum cell).
    pub entries: u64,
}

/// The answer to an entry-type query at `granularity`: `responseSummary` over all result sets,
/// the sets themselves (counts only, below `record`), withheld sets and node statuses in `info`.
pub fn resultsets(
    meta: Value,
    granularity: Granularity,
    sets: &[ResultSet],
    withheld: &[Withheld],
    nodes: Value,
) -> Value {
    let total: u64 = sets.iter().map(|s| s.count).sum();
    let exists = total > 0 || !withheld.is_empty();
    let mut info = json!({ "nodes": nodes });
    if !withheld.is_empty() {
        info["withheld"] = withheld
            .iter()
            .map(|w| json!({ "dataset": w.dataset, "node": w.node, "entries": w.entries }))
            .collect();
    }
    if granularity == Granularity::Boolean {
        return json!({ "meta": meta, "responseSummary": { "exists": exists }, "info": info });
    }
    let result_sets: Vec<Value> = sets
        .iter()
        .map(|s| {
            let records = if granularity == Granularity::Record { s.records.clone().unwrap_or_default() } else { Vec::new() };
            json!({
                "id": s.dataset,
                "setType": "dataset",
                "exists": s.count > 0,
                "resultsCount": s.count,
                "results": records,
                "info": { "node": s.node, "records": s.records.is_some() && granularity == Granularity::Record },
            })
        })
        .collect();
    json!({
        "meta": meta,
        "responseSummary": { "exists": exists, "numTotalResults": total },
        "response": { "resultSets": result_sets },
        "info": info,
    })
}

/// A Beacon error answer.
pub fn error(beacon_id: &str, code: u16, message: &str) -> Value {
    json!({
        "meta": { "beaconId": beacon_id, "apiVersion": API_VERSION, "returnedSchemas": [] },
        "error": { "errorCode": code, "errorMessage": message },
    })
}

fn column(table: &Table, name: &str) -> Result<usize, BeaconError> {
    table
        .columns
        .iter()
        .position(|c| c == name)
        .ok_or_else(|| BeaconError::Answer(format!("no column {name}")))
}

fn text(cell: &Cell) -> Option<String> {
    match cell {
        Cell::Null => None,
        Cell::Str(s) => Some(s.clone()),
        Cell::Int(n) => Some(n.to_string()),
        Cell::Float(f) => Some(f.to_string()),
        Cell::Bool(b) => Some(b.to_string()),
    }
}

/// The `count` of an aggregated table without fields (0 when it has no row).
pub fn total(table: &Table) -> Result<u64, BeaconError> {
    let at = column(table, "count")?;
    table.rows.iter().try_fold(0u64, |sum, r| match r[at] {
        Cell::Int(n) => Ok(sum + n.max(0) as u64),
        ref other => Err(BeaconError::Answer(format!("count is {other:?}"))),
    })
}

/// One row of a nucleotide mutation table.
#[derive(Debug, Clone, PartialEq)]
pub struct MutationRow {
    /// The mutation as LAPIS writes it (the variant's id).
    pub mutation: String,
    /// Its segment.
    pub segment: String,
    /// 1-based position.
    pub position: u32,
    /// Reference letter.
    pub from: u8,
    /// New letter (`-`: deleted).
    pub to: u8,
    /// Genomes with it.
    pub count: u64,
    /// Genomes with a known letter at its site.
    pub coverage: u64,
}

impl MutationRow {
    /// The rows of a nucleotide mutation table (`sequenceName` null: the only segment).
    pub fn rows(table: &Table, only_segment: &str) -> Result<Vec<MutationRow>, BeaconError> {
        let at = |n| column(table, n);
        let (m, s, p, f, t, c, v) = (
            at("mutation")?,
            at("sequenceName")?,
            at("position")?,
            at("mutationFrom")?,
            at("mutationTo")?,
            at("count")?,
            at("coverage")?,
        );
        let int = |cell: &Cell| match cell {
            Cell::Int(n) if *n >= 0 => Ok(*n as u64),
            other => Err(BeaconError::Answer(format!("{other:?} is not a count or position"))),
        };
        let letter = |cell: &Cell| {
            text(cell).and_then(|t| t.bytes().next()).ok_or_else(|| BeaconError::Answer("no letter".into()))
        };
        table
            .rows
            .iter()
            .map(|r| {
                Ok(MutationRow {
                    mutation: text(&r[m]).ok_or_else(|| BeaconError::Answer("no mutation".into()))?,
                    segment: text(&r[s]).unwrap_or_else(|| only_segment.to_owned()),
                    position: int(&r[p])? as u32,
                    from: letter(&r[f])?,
                    to: letter(&r[t])?,
                    count: int(&r[c])?,
                    coverage: int(&r[v])?,
                })
            })
            .collect()
    }
}

/// A variant record (the default model's genomicVariation with a legacy variation; VRS's
/// interval is 0-based and end-exclusive).
pub fn variant_record(row: &MutationRow, ds: &DatasetModel) -> Value {
    let reference_name = ds.reference_name(&row.segment);
    let deleted = row.to == b'-';
    let start = row.position.saturating_sub(1);
    json!({
        "variantInternalId": row.mutation,
        "variation": {
            "referenceBases": (row.from as char).to_string(),
            "alternateBases": if deleted { String::new() } else { (row.to as char).to_string() },
            "variantType": if deleted { "DEL" } else { "SNP" },
            "location": {
                "type": "SequenceLocation",
                "sequence_id": sequence_curie(&ds.id, &reference_name),
                "interval": {
                    "type": "SequenceInterval",
                    "start": { "type": "Number", "value": start },
                    "end": { "type": "Number", "value": start + 1 },
                },
            },
        },
        "identifiers": { "genomicHGVSId": format!("{reference_name}:g.{}{}", row.position, hgvs_change(row)) },
        "info": {
            "dataset": ds.id,
            "referenceName": reference_name,
            "count": row.count,
            "coverage": row.coverage,
            "proportion": if row.coverage == 0 { 0.0 } else { row.count as f64 / row.coverage as f64 },
        },
    })
}

fn hgvs_change(row: &MutationRow) -> String {
    if row.to == b'-' { "del".into() } else { format!("{}>{}", row.from as char, row.to as char) }
}

/// A CURIE naming a reference sequence: INSDC accessions (`MN908947.3`) as `insdc:`, other names
/// under the dataset.
fn sequence_curie(dataset: &str, reference_name: &str) -> String {
    let accession = reference_name.split_once('.').is_some_and(|(a, v)| {
        a.len() >= 6
            && a.bytes().any(|b| b.is_ascii_digit())
            && a.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            && v.bytes().all(|b| b.is_ascii_digit())
    });
    if accession { format!("insdc:{reference_name}") } else { format!("{dataset}:{reference_name}") }
}

/// Biosample records from a details table with [`DatasetModel::biosample_fields`].
pub fn biosample_records(table: &Table, ds: &DatasetModel) -> Result<Vec<Value>, BeaconError> {
    let id = column(table, &ds.primary_key)?;
    let optional = |name: Option<&str>| name.and_then(|n| table.columns.iter().position(|c| c == n));
    let (country, date, host, lineage) = (
        optional(ds.country()),
        optional(ds.collection_date()),
        optional(ds.host()),
        optional(ds.lineage.as_deref()),
    );
    table
        .rows
        .iter()
        .map(|r| {
            let get = |at: Option<usize>| at.and_then(|i| text(&r[i]));
            let mut record = json!({
                "id": get(Some(id)).ok_or_else(|| BeaconError::Answer("a genome without an id".into()))?,
                // A pathogen genome is sequenced from an infected host's specimen.
                "biosampleStatus": { "id": "EFO:0009655", "label": "abnormal sample" },
                "sampleOriginType": { "id": "OBI:0001479", "label": "specimen from organism" },
                "info": {
                    "dataset": ds.id,
                    "country": get(country),
                    "host": get(host),
                    "lineage": get(lineage),
                },
            });
            if let Some(d) = get(date) {
                record["collectionDate"] = Value::String(d);
            }
            Ok(record)
        })
        .collect()
}

/// A dataset record.
pub fn dataset_record(ds: &DatasetModel, genomes: Option<u64>, data_version: Option<i64>) -> Value {
    let references: Vec<&str> = ds.segments.iter().map(|(_, r)| r.as_str()).collect();
    json!({
        "id": ds.id,
        "name": ds.id,
        "description": format!("The {} collection: genomes, their mutations against {} and their sample metadata", ds.id, references.join(", ")),
        "info": { "referenceNames": references, "genomes": genomes, "dataVersion": data_version },
    })
}

/// The answer of `/datasets`: every dataset as a collection record.
pub fn collections(beacon_id: &str, req: &BeaconRequest, records: Vec<Value>) -> Value {
    json!({
        "meta": meta(beacon_id, EntryType::Dataset, req, Granularity::Record),
        "responseSummary": { "exists": !records.is_empty(), "numTotalResults": records.len() },
        "response": { "collections": records },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::{Field, FieldKind};

    fn ds() -> DatasetModel {
        DatasetModel {
            id: "covid".into(),
            primary_key: "accession".into(),
            segments: vec![("main".into(), "MN908947.3".into())],
            fields: vec![
                Field { name: "accession".into(), kind: FieldKind::Text },
                Field { name: "country".into(), kind: FieldKind::Category },
            ],
            lineage: None,
        }
    }

    #[test]
    fn variant_records_are_zero_based_intervals() {
        let row = MutationRow {
            mutation: "C241T".into(),
            segment: "main".into(),
            position: 241,
            from: b'C',
            to: b'T',
            count: 3,
            coverage: 4,
        };
        let r = variant_record(&row, &ds());
        assert_eq!(r["variation"]["location"]["interval"]["start"]["value"], 240);
        assert_eq!(r["variation"]["location"]["interval"]["end"]["value"], 241);
        assert_eq!(r["variation"]["location"]["sequence_id"], "insdc:MN908947.3");
        assert_eq!(r["identifiers"]["genomicHGVSId"], "MN908947.3:g.241C>T");
        assert_eq!(sequence_curie("flu", "HA"), "flu:HA");
    }

    #[test]
    fn withheld_sets_are_not_numbers_and_counts_carry_no_records() {
        let sets = [ResultSet {
            dataset: "covid".into(),
            node: "a".into(),
            count: 7,
            records: Some(vec![json!({"id": "x"})]),
        }];
        let withheld = [Withheld { dataset: "covid".into(), node: "b".into(), entries: 1 }];
        let m = json!({});
        let count = resultsets(m.clone(), Granularity::Count, &sets, &withheld, json!([]));
        assert_eq!(count["responseSummary"]["numTotalResults"], 7);
        assert_eq!(count["response"]["resultSets"][0]["results"], json!([]));
        assert_eq!(count["info"]["withheld"][0]["node"], "b");
        assert!(count["response"]["resultSets"].as_array().unwrap().iter().all(|s| s["info"]["node"] != "b"));
        let boolean = resultsets(m.clone(), Granularity::Boolean, &[], &withheld, json!([]));
        assert_eq!(boolean["responseSummary"], json!({"exists": true}));
        let record = resultsets(m, Granularity::Record, &sets, &[], json!([]));
        assert_eq!(record["response"]["resultSets"][0]["results"][0]["id"], "x");
    }

    #[test]
    fn mutation_tables_become_rows() {
        let table = Table {
            columns: [
                "mutation",
                "count",
                "coverage",
                "proportion",
                "sequenceName",
                "mutationFrom",
                "mutationTo",
                "position",
            ]
            .map(String::from)
            .to_vec(),
            rows: vec![vec![
                Cell::Str("C241T".into()),
                Cell::Int(3),
                Cell::Int(4),
                Cell::Float(0.75),
                Cell::Null,
                Cell::Str("C".into()),
                Cell::Str("T".into()),
                Cell::Int(241),
            ]],
        };
        let rows = MutationRow::rows(&table, "main").unwrap();
        assert_eq!((rows[0].segment.as_str(), rows[0].position, rows[0].to), ("main", 241, b'T'));
        assert!(MutationRow::rows(&Table { columns: vec![], rows: vec![] }, "main").is_err());
    }
}
