//! pathogen.json `phenotypeData`: per-position coefficients that turn a query's amino-acid
//! substitutions into a score (e.g. RSV's antibody `escape`). Each entry becomes a column.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use virion_core::{Aa, AaPos, AaRange};

/// One phenotype: a named score computed from substitutions in one CDS.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhenotypeData {
    /// Column name in nextclade.tsv.
    pub name: String,
    /// Human-readable name, for display.
    #[serde(default)]
    pub name_friendly: String,
    /// What the score measures.
    #[serde(default)]
    pub description: String,
    /// The CDS whose substitutions count (`gene` in older datasets).
    #[serde(alias = "gene")]
    pub cds: String,
    /// Only substitutions at these codons count (0-based, half-open).
    pub aa_range: AaRange,
    /// Clades for which the phenotype is not computed.
    #[serde(default)]
    pub ignore: PhenotypeIgnore,
    /// Components (e.g. one per antibody), combined by their weights.
    pub data: Vec<PhenotypeDataEntry>,
}

/// Queries whose clade is listed get no value for the phenotype.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhenotypeIgnore {
    /// Clade names, compared with the query's clade.
    #[serde(default)]
    pub clades: Vec<String>,
}

/// One weighted component of a phenotype.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhenotypeDataEntry {
    /// The component's name (e.g. an antibody or antibody class).
    pub name: String,
    /// Factor applied to the component's sum before adding it to the phenotype.
    pub weight: f64,
    /// Coefficients by 0-based codon (JSON keys are the numbers as strings).
    pub locations: BTreeMap<AaPos, PhenotypeCoeff>,
}

/// The coefficient at one position: the same for every letter, or per letter with an optional
/// `default`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PhenotypeCoeff {
    /// One coefficient for any query letter at the position.
    ByPosition(f64),
    /// Coefficient per one-letter amino acid, with a `default` key for letters not listed.
    ByLetter(BTreeMap<String, f64>),
    /// Anything else counts as 0, as Nextclade tolerates it.
    Other(serde_json::Value),
}

impl PhenotypeCoeff {
    /// Coefficient for query letter `aa`; 0 when neither the letter nor `default` is listed.
    pub fn coeff(&self, aa: Aa) -> f64 {
        match self {
            PhenotypeCoeff::ByPosition(c) => *c,
            PhenotypeCoeff::ByLetter(map) => {
                let mut buf = [0u8; 4];
                let letter: &str = aa.to_char().encode_utf8(&mut buf);
                map.get(letter).or_else(|| map.get("default")).copied().unwrap_or(0.0)
            }
            PhenotypeCoeff::Other(_) => 0.0,
        }
    }
}

impl PhenotypeDataEntry {
    /// Coefficient of letter `aa` at codon `pos` (0 where the entry says nothing).
    pub fn coeff(&self, pos: AaPos, aa: Aa) -> f64 {
        self.locations.get(&pos).map_or(0.0, |c| c.coeff(aa))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rsv_style_entry() {
        let json = r#"{"name": "escape", "nameFriendly": "Escape", "description": "d", "cds": "F",
          "aaRange": {"begin": 0, "end": 600},
          "data": [{"name": "m", "weight": 1, "locations": {"66": {"T": 1, "default": 0.5}, "70": 2}}]}"#;
        let p: PhenotypeData = serde_json::from_str(json).unwrap();
        assert_eq!(p.cds, "F");
        assert_eq!(p.aa_range, AaRange::new(AaPos(0), AaPos(600)));
        let e = &p.data[0];
        assert_eq!(e.coeff(AaPos(66), Aa::T), 1.0);
        assert_eq!(e.coeff(AaPos(66), Aa::A), 0.5);
        assert_eq!(e.coeff(AaPos(70), Aa::A), 2.0);
        assert_eq!(e.coeff(AaPos(1), Aa::A), 0.0);
    }
}
