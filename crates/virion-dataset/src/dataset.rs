//! A dataset directory loaded and checked as a whole.

use std::path::{Path, PathBuf};

use virion_core::Nuc;

use crate::DatasetError;
use crate::gene_map::GeneMap;
use crate::pathogen::PathogenJson;
use crate::reference::read_reference_fasta;

/// Everything analysis needs from a dataset directory.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// The dataset directory.
    pub path: PathBuf,
    /// `pathogen.json`: file names, QC rules, labels and other settings.
    pub pathogen: PathogenJson,
    /// Name of the reference record (header up to the first whitespace).
    pub reference_name: String,
    /// The reference's whole FASTA header (Nextclade's `refName`).
    pub reference_header: String,
    /// The reference genome's letters.
    pub reference: Vec<Nuc>,
    /// Empty when the dataset has no genome annotation (then nothing is translated).
    pub gene_map: GeneMap,
    /// The tree file's text, kept for the tree crate (and for writing the output tree).
    pub tree_json_raw: Option<String>,
}

fn read_text(path: &Path) -> Result<String, DatasetError> {
    std::fs::read_to_string(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            DatasetError::MissingFile { path: path.to_owned() }
        } else {
            DatasetError::Io { path: path.to_owned(), source }
        }
    })
}

impl Dataset {
    /// Loads `dir/pathogen.json` and the files it lists (standard names when it lists none).
    ///
    /// Checks: the reference is one non-empty record; the annotation parses under Nextclade's
    /// rules and every CDS lies within the reference.
    pub fn load(dir: &Path) -> Result<Dataset, DatasetError> {
        let pathogen_path = dir.join("pathogen.json");
        let text = read_text(&pathogen_path)?;
        let pathogen = PathogenJson::from_json_str(&text)
            .map_err(|source| DatasetError::Json { path: pathogen_path.clone(), source })?;
        let files = &pathogen.files;

        let reference_path = dir.join(&files.reference);
        let reference = read_reference_fasta(&reference_path)?;

        let gene_map = match &files.genome_annotation {
            Some(name) => GeneMap::from_gff3_file(&dir.join(name)).map_err(|e| match e {
                DatasetError::Io { path, source } if source.kind() == std::io::ErrorKind::NotFound => {
                    DatasetError::MissingFile { path }
                }
                other => other,
            })?,
            None => GeneMap::default(),
        };
        let ref_len = reference.seq.len() as i64;
        for cds in gene_map.cdses() {
            if cds.end().0 > ref_len {
                return Err(DatasetError::Reference {
                    path: reference_path,
                    why: format!(
                        "CDS '{}' ends at {} but the reference has only {ref_len} nucleotides",
                        cds.name,
                        cds.end()
                    ),
                });
            }
        }

        let tree_json_raw = match &files.tree_json {
            Some(name) => Some(read_text(&dir.join(name))?),
            None => None,
        };

        Ok(Dataset {
            path: dir.to_owned(),
            pathogen,
            reference_name: reference.name,
            reference_header: reference.header,
            reference: reference.seq,
            gene_map,
            tree_json_raw,
        })
    }
}
