//! An empty metadata template for an organism: the header and one example row, as TSV.

use crate::config::OrganismConfig;

/// A TSV with one column per field (in config order) and a row of the fields' examples.
pub fn template_tsv(config: &OrganismConfig) -> String {
    let clean = |s: &str| s.replace(['\t', '\n', '\r'], " ");
    let header: Vec<String> = config.fields.iter().map(|f| clean(&f.name)).collect();
    let example: Vec<String> =
        config.fields.iter().map(|f| clean(f.example.as_deref().unwrap_or(""))).collect();
    format!("{}\n{}\n", header.join("\t"), example.join("\t"))
}
