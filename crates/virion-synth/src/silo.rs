//! Synthetic genomes as reference engines read them: SILO's NDJSON input (with its
//! `database_config.yaml` and `reference_genomes.json`), and a compact per-genome mutation
//! list that DuckDB loads without a genome-by-genome comparison in Python.

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

/// Runs `[start, end)` of `unknown` in `seq`.
fn runs_of(seq: &[u8], unknown: u8) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, &l) in seq.iter().enumerate() {
        match (l == unknown, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, seq.len()));
    }
    out
}

/// The genome as mutation lists: `nucleotideMutations` (`C241T`, `C21765-`: letters that
/// differ from the reference, N excluded), `aminoAcidMutations` (`S:D614G`), and the unknown
/// runs (0-based, half-open) that decide coverage. `genes` are the reference peptides in the
/// genome's CDS order.
pub fn mutations_ndjson_line(g: &SynthGenome, reference: &[u8], genes: &[(String, Vec<u8>)]) -> String {
    let nuc: Vec<String> = g
        .genome
        .iter()
        .zip(reference)
        .enumerate()
        .filter(|(_, (q, r))| q != r && **q != b'N')
        .map(|(i, (q, r))| format!("{}{}{}", *r as char, i + 1, *q as char))
        .collect();
    let mut aa = Vec::new();
    let mut aa_unknown = Vec::new();
    for (name, peptide) in &g.peptides {
        let Some((_, reference)) = genes.iter().find(|(n, _)| n == name) else { continue };
        for (i, (q, r)) in peptide.iter().zip(reference).enumerate() {
            if q != r && *q != b'X' {
                aa.push(format!("{name}:{}{}{}", *r as char, i + 1, *q as char));
            }
        }
        for (s, e) in runs_of(peptide, b'X') {
            aa_unknown.push(json!([name, s, e]));
        }
    }
    let nuc_unknown: Vec<Value> = runs_of(&g.genome, b'N').into_iter().map(|(s, e)| json!([s, e])).collect();
    json!({
        "accession": g.accession,
        "country": g.country,
        "date": g.date.map(|d| d.format("%Y-%m-%d").to_string()),
        "pangoLineage": g.lineage,
        "nucleotideMutations": nuc,
        "aminoAcidMutations": aa,
        "nucleotideUnknown": nuc_unknown,
        "aminoAcidUnknown": aa_unknown,
    })
    .to_string()
}

/// SILO's `database_config.yaml` for these lines (`lineage_file`: the lineage definitions file
/// name for `pangoLineage`).
pub fn silo_database_config(lineage_file: &str) -> String {
    format!(
        "schema:\n  instanceName: virion-synthetic\n  primaryKey: accession\n  dateToSortBy: date\n  partitionBy: pangoLineage\n  \
         metadata:\n  - name: accession\n    type: string\n  - name: country\n    type: string\n    generateIndex: true\n  \
         - name: date\n    type: date\n  - name: pangoLineage\n    type: string\n    generateIndex: true\n    \
         generateLineageIndex: {lineage_file}\n  features:\n  - name: generalizedAdvancedQuery\n"
    )
}

/// SILO's `reference_genomes.json`.
pub fn silo_reference_genomes(reference: &[u8], genes: &[(String, Vec<u8>)]) -> String {
    json!({
        "nucleotideSequences": [{ "name": "main", "sequence": String::from_utf8_lossy(reference) }],
        "genes": genes.iter().map(|(n, p)| json!({ "name": n, "sequence": String::from_utf8_lossy(p) })).collect::<Vec<_>>(),
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutation_lists_skip_unknown_and_keep_runs() {
        let g = SynthGenome {
            accession: "SYN1".into(),
            country: "CH".into(),
            date: None,
            date_text: "2021".into(),
            lineage: Some("B.1".into()),
            clade: None,
            genome: b"NNGT-CGA".to_vec(),
            peptides: vec![("S".into(), b"MXK".to_vec())],
        };
        let line: Value =
            serde_json::from_str(&mutations_ndjson_line(&g, b"ACGTACGT", &[("S".into(), b"MFV".to_vec())]))
                .unwrap();
        assert_eq!(line["nucleotideMutations"], json!(["A5-", "T8A"]));
        assert_eq!(line["nucleotideUnknown"], json!([[0, 2]]));
        assert_eq!(line["aminoAcidMutations"], json!(["S:V3K"]));
        assert_eq!(line["aminoAcidUnknown"], json!([["S", 1, 2]]));
        assert!(silo_database_config("l.yaml").contains("generateLineageIndex: l.yaml"));
    }
}
