//! Mutation labels from pathogen.json (`mutLabels.nucMutLabelMap`): a genotype such as `23664T`
//! (1-based position and query letter) mapped to the clades it is characteristic of.

use std::collections::HashMap;

use virion_core::{Nuc, NucRefPos, NucSub};

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
