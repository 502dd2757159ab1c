//! Mutation labels from pathogen.json (`mutLabels.nucMutLabelMap`, `mutLabels.aaMutLabelMap`): a
//! genotype such as `23664T` (1-based position and query letter) or `NA:119` (a codon, any amino
//! acid) mapped to the clades or properties it is characteristic of.

use std::collections::{BTreeMap, HashMap};

use virion_core::{Aa, AaPos, AaSub, Nuc, NucRefPos, NucSub};

/// A genotype key that is not `<1-based position><letter>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid mutation label key '{0}' (expected e.g. 23664T)")]
pub struct InvalidLabelKey(pub String);

/// Labels of nucleotide genotypes, looked up by position and query letter.
#[derive(Debug, Clone, Default)]
pub struct NucMutLabels {
    map: HashMap<(NucRefPos, Nuc), Vec<String>>,
}

impl NucMutLabels {
    /// Builds the lookup from `nucMutLabelMap` entries; labels keep their listed order.
    pub fn from_entries<K: AsRef<str>>(
        entries: impl IntoIterator<Item = (K, Vec<String>)>,
    ) -> Result<Self, InvalidLabelKey> {
        let mut map = HashMap::new();
        for (key, labels) in entries {
            let k = key.as_ref();
            let b = k.as_bytes();
            let parsed = (b.len() >= 2)
                .then(|| {
                    let pos: i64 = k[..k.len() - 1].parse().ok()?;
                    let nuc = Nuc::from_byte(b[b.len() - 1])?;
                    (pos >= 1).then_some((NucRefPos(pos - 1), nuc))
                })
                .flatten()
                .ok_or_else(|| InvalidLabelKey(k.to_owned()))?;
            map.insert(parsed, labels);
        }
        Ok(Self { map })
    }

    /// Builds the lookup from already parsed genotypes (0-based position, letter).
    pub fn from_genotypes(entries: impl IntoIterator<Item = (NucRefPos, Nuc, Vec<String>)>) -> Self {
        Self { map: entries.into_iter().map(|(pos, nuc, labels)| ((pos, nuc), labels)).collect() }
    }

    /// Labels of the genotype this substitution produces, if any.
    pub fn get(&self, sub: &NucSub) -> Option<&[String]> {
        self.map.get(&(sub.pos, sub.qry_nuc)).map(Vec::as_slice)
    }

    /// Whether no genotype has a label.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// Labels of amino-acid genotypes. A key without a letter (`NA:119`) matches any amino acid at
/// its codon and, as in Nextclade (the first match in its ordered map), wins over a key with one.
#[derive(Debug, Clone, Default)]
pub struct AaMutLabels {
    map: BTreeMap<(String, AaPos, Option<Aa>), Vec<String>>,
}

impl AaMutLabels {
    /// Builds the lookup from parsed genotypes (CDS, codon, letter or any); labels keep their
    /// listed order.
    pub fn from_genotypes(
        entries: impl IntoIterator<Item = (String, AaPos, Option<Aa>, Vec<String>)>,
    ) -> Self {
        Self { map: entries.into_iter().map(|(cds, pos, qry, labels)| ((cds, pos, qry), labels)).collect() }
    }

    /// Labels of the genotype this substitution produces, if any.
    pub fn get(&self, sub: &AaSub) -> Option<&[String]> {
        if self.map.is_empty() {
            return None;
        }
        let mut key = (sub.cds.clone(), sub.pos, None);
        if let Some(labels) = self.map.get(&key) {
            return Some(labels);
        }
        key.2 = Some(sub.qry_aa);
        self.map.get(&key).map(Vec::as_slice)
    }

    /// Whether no genotype has a label.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(pos: i64, qry_aa: Aa) -> AaSub {
        AaSub { cds: "NA".to_owned(), pos: AaPos(pos), ref_aa: Aa::E, qry_aa }
    }

    #[test]
    fn any_letter_key_matches_every_amino_acid_and_comes_first() {
        let labels = AaMutLabels::from_genotypes([
            ("NA".to_owned(), AaPos(118), None, vec!["NAI".to_owned()]),
            ("NA".to_owned(), AaPos(118), Some(Aa::V), vec!["other".to_owned()]),
            ("NA".to_owned(), AaPos(135), Some(Aa::K), vec!["K136".to_owned()]),
        ]);
        assert_eq!(labels.get(&sub(118, Aa::V)).unwrap(), ["NAI"]);
        assert_eq!(labels.get(&sub(118, Aa::D)).unwrap(), ["NAI"]);
        assert_eq!(labels.get(&sub(135, Aa::K)).unwrap(), ["K136"]);
        assert!(labels.get(&sub(135, Aa::Q)).is_none());
        assert!(labels.get(&AaSub { cds: "HA".to_owned(), ..sub(118, Aa::V) }).is_none());
    }
}
