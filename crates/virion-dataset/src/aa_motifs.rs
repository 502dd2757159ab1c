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
    /// Short column name, for narrow tables.
    #[serde(default)]
    pub name_short: String,
    /// Human-readable name, for display.
    #[serde(default)]
    pub name_friendly: String,
    /// What the motif means, for documentation and tooltips.
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
    /// The CDS name, as in the genome annotation.
    pub cds: String,
    /// Codon ranges to search; empty means the whole peptide.
    #[serde(default)]
    pub ranges: Vec<AaRange>,
}
