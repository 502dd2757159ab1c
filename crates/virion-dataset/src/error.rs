//! Errors of dataset loading and download.

use std::path::PathBuf;

use crate::gff3::GffError;

#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("dataset file {path} is missing")]
    MissingFile { path: PathBuf },
    #[error("invalid JSON in {path}: {source}")]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error(transparent)]
    Gff(#[from] GffError),
    #[error("reference sequence {path}: {why}")]
    Reference { path: PathBuf, why: String },
    #[error("reference tree {path}: {why}")]
    Tree { path: PathBuf, why: String },
    #[error("dataset {name:?} not found in the index{}", hint_suffix(.suggestions))]
    DatasetNotFound { name: String, suggestions: Vec<String> },
    #[error("dataset {name:?} has no version tagged {tag:?} (available: {})", .available.join(", "))]
    TagNotFound { name: String, tag: String, available: Vec<String> },
    #[error("download of {url} failed: {why}")]
    Download { url: String, why: String },
}

fn hint_suffix(suggestions: &[String]) -> String {
    if suggestions.is_empty() {
        String::new()
    } else {
        format!("; did you mean: {}?", suggestions.join(", "))
    }
}
