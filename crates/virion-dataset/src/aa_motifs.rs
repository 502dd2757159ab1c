//! pathogen.json `aaMotifs`: named amino-acid patterns (regular expressions) to list in each
//! query's peptides, e.g. flu's N-linked glycosylation sites `N[^P][ST]`. Each name becomes a
//! column.

use serde::{Deserialize, Serialize};
use virion_core::AaRange;

/// One kind of motif and where to look for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AaMotifsDesc {
    /// Column name in nextclade.tsv.
    pub name: String,
    #[serde(default)]
    pub name_short: String,
    #[serde(default)]
    pub name_friendly: String,
    #[serde(default)]
    pub description: String,
    /// CDSes to search; empty means every translated CDS.
    #[serde(default)]
    pub include_cdses: Vec<AaMotifsCds>,
    /// Regular expressions, searched one after another.
    pub motifs: Vec<String>,
}

/// A CDS to search, restricted to codon ranges (empty: the whole peptide).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AaMotifsCds {
    pub cds: String,
    #[serde(default)]
    pub ranges: Vec<AaRange>,
}
