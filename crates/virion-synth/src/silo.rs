//! One synthetic genome as a line of SILO's NDJSON input.

use serde_json::{Map, Value, json};

use crate::SynthGenome;

/// SILO's flat input record: metadata columns, `main` for the nucleotide sequence and one object
/// per CDS, each sequence with its (here always empty) insertions. Partial dates become `null`,
/// as SILO's date columns hold full dates only.
pub fn silo_ndjson_line(g: &SynthGenome) -> String {
    let mut record = Map::new();
    record.insert("accession".into(), json!(g.accession));
    record.insert("country".into(), json!(g.country));
    record.insert("date".into(), json!(g.date.map(|d| d.format("%Y-%m-%d").to_string())));
    record.insert("pangoLineage".into(), json!(g.lineage));
    record.insert("main".into(), sequence(&g.genome));
    for (name, peptide) in &g.peptides {
        record.insert(name.clone(), sequence(peptide));
    }
    Value::Object(record).to_string()
}

fn sequence(letters: &[u8]) -> Value {
    json!({ "sequence": String::from_utf8_lossy(letters), "insertions": [] })
}
