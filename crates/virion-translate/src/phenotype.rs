//! Phenotype scores (pathogen.json `phenotypeData`) from a query's amino-acid substitutions.
//!
//! For a phenotype with components k (weight w_k, coefficient c_k(pos, letter)) and the query's
//! substitutions S inside the phenotype's CDS and codon range:
//!
//! `value = -ln( Σ_k w_k · exp(-Σ_{s∈S} c_k(s.pos, s.qry)) )`
//!
//! so a query without relevant substitutions scores 0 when the weights sum to 1.

use virion_core::AaSub;
use virion_dataset::PhenotypeData;

/// A phenotype's value for one query (`phenotypeValues[].value` in Nextclade's NDJSON).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PhenotypeValue {
    /// The phenotype's name (`PhenotypeData::name`, the nextclade.tsv column).
    pub name: String,
    /// The CDS whose substitutions were scored.
    pub cds: String,
    /// The weighted score.
    pub value: f64,
}

/// The phenotype score of a query with `substitutions` (all CDSes; others are ignored).
pub fn phenotype_value(data: &PhenotypeData, substitutions: &[AaSub]) -> f64 {
    let relevant: Vec<&AaSub> =
        substitutions.iter().filter(|s| s.cds == data.cds && data.aa_range.contains(s.pos)).collect();
    let total: f64 = data
        .data
        .iter()
        .map(|entry| {
            let sum: f64 = relevant.iter().map(|s| entry.coeff(s.pos, s.qry_aa)).sum();
            entry.weight * (-sum).exp()
        })
        .sum();
    // `+ 0.0` turns -ln(1) = -0.0 into 0, which is what Nextclade prints.
    -total.ln() + 0.0
}

/// Values of every phenotype of the dataset for a query in `clade`; a phenotype that ignores the
/// clade is left out.
pub fn phenotype_values(
    phenotypes: &[PhenotypeData],
    clade: Option<&str>,
    substitutions: &[AaSub],
) -> Vec<PhenotypeValue> {
    phenotypes
        .iter()
        .filter(|p| clade.is_none_or(|c| !p.ignore.clades.iter().any(|i| i == c)))
        .map(|p| PhenotypeValue {
            name: p.name.clone(),
            cds: p.cds.clone(),
            value: phenotype_value(p, substitutions),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use virion_core::{Aa, AaPos};

    fn sub(cds: &str, pos: i64, q: Aa) -> AaSub {
        AaSub { cds: cds.to_owned(), pos: AaPos(pos), ref_aa: Aa::A, qry_aa: q }
    }

    fn escape() -> PhenotypeData {
        serde_json::from_str(
            r#"{"name": "escape", "cds": "F", "aaRange": {"begin": 0, "end": 100},
              "ignore": {"clades": ["B"]},
              "data": [{"name": "a", "weight": 0.5, "locations": {"10": {"T": 1, "default": 0.5}}},
                       {"name": "b", "weight": 0.5, "locations": {"20": 2}}]}"#,
        )
        .unwrap()
    }

    #[test]
    fn no_relevant_substitution_scores_zero() {
        let p = escape();
        let v = phenotype_value(&p, &[sub("G", 10, Aa::T), sub("F", 150, Aa::T)]);
        assert_eq!(v.to_string(), "0");
    }

    #[test]
    fn weighted_components_combine_as_stated() {
        let p = escape();
        let v = phenotype_value(&p, &[sub("F", 10, Aa::T), sub("F", 20, Aa::C)]);
        let expected = -(0.5 * (-1.0_f64).exp() + 0.5 * (-2.0_f64).exp()).ln();
        assert!((v - expected).abs() < 1e-12);
        let v = phenotype_value(&p, &[sub("F", 10, Aa::C)]);
        let expected = -(0.5 * (-0.5_f64).exp() + 0.5).ln();
        assert!((v - expected).abs() < 1e-12);
    }

    #[test]
    fn ignored_clade_has_no_value() {
        let p = [escape()];
        assert!(phenotype_values(&p, Some("B"), &[]).is_empty());
        assert_eq!(phenotype_values(&p, Some("A"), &[]).len(), 1);
        assert_eq!(phenotype_values(&p, None, &[]).len(), 1);
    }
}
