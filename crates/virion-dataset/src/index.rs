//! The dataset server's `index.json` and how a dataset name or shortcut resolves in it.
//!
//! As in `nextclade dataset get`: the first dataset (over all collections, in order) whose `path`
//! equals the name or whose `shortcuts` contain it wins; no tag or `latest` means the dataset's
//! current `version.tag`; any other tag must be one of its `versions`.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::DatasetError;
use crate::pathogen::DatasetVersion;

/// `index.json` at the root of a dataset server.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DatasetIndex {
    /// The index format's version, when the server states it.
    #[serde(default)]
    pub schema_version: Option<String>,
    /// Collections of datasets (Nextstrain's, community ones), searched in order.
    pub collections: Vec<DatasetCollection>,
    /// Any other top-level keys, kept so the index round-trips.
    #[serde(flatten)]
    pub other: IndexMap<String, serde_json::Value>,
}

/// A group of datasets from one maintainer.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DatasetCollection {
    /// The collection's descriptive metadata, kept as written.
    #[serde(default)]
    pub meta: serde_json::Value,
    /// The datasets of the collection.
    pub datasets: Vec<IndexDataset>,
}

/// One dataset as the index lists it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IndexDataset {
    /// Server-relative directory, e.g. `nextstrain/sars-cov-2/wuhan-hu-1/orfs`.
    pub path: String,
    /// Short names that also select this dataset (e.g. `sars-cov-2`).
    #[serde(default)]
    pub shortcuts: Vec<String>,
    /// Descriptive attributes (`name`, `reference name`, ...), kept as written.
    #[serde(default)]
    pub attributes: IndexMap<String, serde_json::Value>,
    /// Role → file name (`reference` → `reference.fasta`, …).
    #[serde(default)]
    pub files: IndexMap<String, String>,
    /// Every released version, newest first as the index lists them.
    #[serde(default)]
    pub versions: Vec<DatasetVersion>,
    /// The latest version; Nextclade calls it `unreleased` when absent.
    #[serde(default)]
    pub version: Option<DatasetVersion>,
}

impl IndexDataset {
    /// Tag of the latest version (`unreleased` when the index gives none).
    pub fn latest_tag(&self) -> &str {
        self.version.as_ref().map_or("unreleased", |v| v.tag.as_str())
    }

    fn has_tag(&self, tag: &str) -> bool {
        self.versions.iter().any(|v| {
            v.tag == tag
                || (v.tag == "unreleased" && tag == "latest")
                || (v.tag == "latest" && tag == "unreleased")
        })
    }
}

impl DatasetIndex {
    /// Parses `index.json` text.
    pub fn from_json_str(s: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(s)
    }

    /// Every dataset of every collection, in index order.
    pub fn datasets(&self) -> impl Iterator<Item = &IndexDataset> + '_ {
        self.collections.iter().flat_map(|c| c.datasets.iter())
    }
}

/// A resolved dataset version: where its files live on the server.
#[derive(Debug, Clone)]
pub struct DatasetRef {
    /// The dataset as the index lists it.
    pub dataset: IndexDataset,
    /// The resolved version tag.
    pub tag: String,
}

impl DatasetRef {
    /// Server-relative path of one file of this version: `{path}/{tag}/{file}`.
    pub fn file_path(&self, file: &str) -> String {
        format!("{}/{}/{}", self.dataset.path, self.tag, file)
    }

    /// The version's file names (distinct, in index order).
    pub fn file_names(&self) -> Vec<String> {
        let mut out: Vec<String> = vec![];
        for f in self.dataset.files.values() {
            if !out.contains(f) {
                out.push(f.clone());
            }
        }
        out
    }
}

/// Up to ten names that contain the query or are contained in it, ignoring case and `_`/`-`.
fn similar_names<'a>(names: impl Iterator<Item = &'a str>, query: &str) -> Vec<String> {
    let norm = |s: &str| s.to_lowercase().replace(['_', '-'], "");
    let q = norm(query);
    let mut out: Vec<String> = vec![];
    for n in names {
        let nn = norm(n);
        if !q.is_empty() && (nn.contains(&q) || q.contains(&nn)) && !out.iter().any(|o| o == n) {
            out.push(n.to_owned());
        }
        if out.len() == 10 {
            break;
        }
    }
    out
}

/// Finds a dataset by path or shortcut and picks its version (`None`/`latest` = newest).
pub fn resolve(
    index: &DatasetIndex,
    name_or_shortcut: &str,
    tag: Option<&str>,
) -> Result<DatasetRef, DatasetError> {
    let found = index
        .datasets()
        .find(|d| d.path == name_or_shortcut || d.shortcuts.iter().any(|s| s == name_or_shortcut));
    let Some(dataset) = found else {
        let names = index
            .datasets()
            .flat_map(|d| std::iter::once(d.path.as_str()).chain(d.shortcuts.iter().map(String::as_str)));
        return Err(DatasetError::DatasetNotFound {
            name: name_or_shortcut.to_owned(),
            suggestions: similar_names(names, name_or_shortcut),
        });
    };
    let tag = match tag {
        None | Some("latest") => dataset.latest_tag().to_owned(),
        Some(t) if dataset.has_tag(t) => t.to_owned(),
        Some(t) => {
            return Err(DatasetError::TagNotFound {
                name: dataset.path.clone(),
                tag: t.to_owned(),
                available: dataset.versions.iter().map(|v| v.tag.clone()).collect(),
            });
        }
    };
    Ok(DatasetRef { dataset: dataset.clone(), tag })
}
