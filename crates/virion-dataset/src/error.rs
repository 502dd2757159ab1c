//! Errors of dataset loading and download.

use std::path::PathBuf;

use crate::gff3::GffError;

/// Why a dataset could not be loaded, resolved in the dataset index or downloaded.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    /// A dataset file exists but could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A file the dataset needs (or `pathogen.json` names) is not in the directory.
    #[error("dataset file {path} is missing")]
    MissingFile {
        /// Where the file was expected.
        path: PathBuf,
    },
    /// A JSON file (`pathogen.json`, the index) does not parse into its expected shape.
    #[error("invalid JSON in {path}: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// serde_json's error, with line and column.
        #[source]
        source: serde_json::Error,
    },
    /// The genome annotation (GFF3) is invalid.
    #[error(transparent)]
    Gff(#[from] GffError),
    /// The reference FASTA is unusable: not exactly one record, bad letters, or a different
    /// length from what the rest of the dataset expects.
    #[error("reference sequence {path}: {why}")]
    Reference {
        /// The reference FASTA file.
        path: PathBuf,
        /// What is wrong with it, as a sentence fragment.
        why: String,
    },
    /// The reference tree is unusable.
    #[error("reference tree {path}: {why}")]
    Tree {
        /// The tree JSON file.
        path: PathBuf,
        /// What is wrong with it, as a sentence fragment.
        why: String,
    },
    /// No dataset in the server's index has this name or shortcut.
    #[error("dataset {name:?} not found in the index{}", hint_suffix(.suggestions))]
    DatasetNotFound {
        /// The name or shortcut asked for.
        name: String,
        /// Similar dataset names, closest first, offered as "did you mean".
        suggestions: Vec<String>,
    },
    /// The dataset exists but has no version with the requested tag.
    #[error("dataset {name:?} has no version tagged {tag:?} (available: {})", .available.join(", "))]
    TagNotFound {
        /// The dataset's path in the index.
        name: String,
        /// The tag asked for.
        tag: String,
        /// Every tag the index lists for the dataset.
        available: Vec<String>,
    },
    /// Fetching a file from the dataset server (or a local mirror) failed.
    #[error("download of {url} failed: {why}")]
    Download {
        /// The URL or mirror path of the file.
        url: String,
        /// The transport's error, or why the file was refused.
        why: String,
    },
}

fn hint_suffix(suggestions: &[String]) -> String {
    if suggestions.is_empty() {
        String::new()
    } else {
        format!("; did you mean: {}?", suggestions.join(", "))
    }
}
