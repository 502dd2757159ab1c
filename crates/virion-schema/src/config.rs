//! Organism configuration: one TOML file per organism naming its dataset, accession prefix,
//! submission-id column and metadata fields. Built-in defaults ship inside the crate; a directory
//! of TOML files adds organisms or replaces built-ins of the same name.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// The built-in organism files, embedded at compile time.
const BUILTIN: &[(&str, &str)] = &[
    ("sars-cov-2.toml", include_str!("../organisms/sars-cov-2.toml")),
    ("rsv-a.toml", include_str!("../organisms/rsv-a.toml")),
    ("mpox.toml", include_str!("../organisms/mpox.toml")),
    ("influenza-a-h3n2.toml", include_str!("../organisms/influenza-a-h3n2.toml")),
];

/// How a field's text is read and normalised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    /// Free text, trimmed.
    String,
    /// A whole number.
    Int,
    /// A decimal number.
    Float,
    /// A date, `YYYY-MM-DD`, possibly partial (`YYYY-MM`, `YYYY`).
    Date,
    /// `true` or `false`.
    Boolean,
    /// One of the terms of the field's vocabulary.
    Enum,
    /// A list of people, separated by `;`.
    Authors,
}

/// Allowed values: written out, or the name of a built-in list (`"insdc-country"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum VocabularySpec {
    /// The name of a built-in list ([`INSDC_COUNTRY`]).
    Builtin(String),
    /// The allowed terms, written out.
    Terms(Vec<String>),
}

/// The one built-in vocabulary name.
pub const INSDC_COUNTRY: &str = "insdc-country";

/// One metadata field of an organism.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    /// The column name, in snake_case (`collection_date`).
    pub name: String,
    /// How the text is read and normalised.
    #[serde(rename = "type")]
    pub field_type: FieldType,
    /// A row without a real value here is an error. Only collection date and country need this.
    #[serde(default)]
    pub required: bool,
    /// Written into an empty cell, with a warning (ENA-mandatory fields use "not provided").
    #[serde(default)]
    pub default: Option<String>,
    /// Allowed values of an `enum` field.
    #[serde(default)]
    pub vocabulary: Option<VocabularySpec>,
    /// How people read the field's name (table headers, filter labels); by default the name
    /// made into words (`host_age` → "Host age").
    #[serde(default)]
    pub display_name: Option<String>,
    /// What the field means, for templates and the portal's help.
    #[serde(default)]
    pub description: String,
    /// A typical value, shown in the metadata template.
    #[serde(default)]
    pub example: Option<String>,
    /// The ENA checklist ERC000033 sample field this maps to.
    #[serde(default)]
    pub ena_tag: Option<String>,
    /// Other column names accepted for this field (e.g. Nextstrain's `date` for collection date).
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Smallest allowed value of a numeric field; smaller values are errors.
    #[serde(default)]
    pub min: Option<f64>,
    /// Largest allowed value of a numeric field; larger values are errors.
    #[serde(default)]
    pub max: Option<f64>,
    /// Offered as a search filter.
    #[serde(default)]
    pub search: bool,
    /// Indexed with per-value bitmaps, so the portal lists its values with counts.
    #[serde(default)]
    pub facet: bool,
    /// Shown as a column of search results.
    #[serde(default)]
    pub display: bool,
}

/// An organism served by the instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganismConfig {
    /// Identifier used in URLs and on the command line.
    pub name: String,
    /// How people read the organism's name.
    pub display_name: String,
    /// Nextclade dataset name or path (empty for a segmented organism: see `segments`).
    #[serde(default)]
    pub dataset: String,
    /// For a segmented organism, the field whose value lists a sample's FASTA record names
    /// (separated by spaces, commas or semicolons), when records are named otherwise than `<id>` or
    /// `<id>_<segment>` (the closest peer's `fastaIds`).
    #[serde(default)]
    pub fasta_ids_column: Option<String>,
    /// The genome segments of a segmented virus (influenza A: 8; CCHF: S, M, L), each with its
    /// own Nextclade dataset, in genome order. Empty for a virus of one segment (`dataset`).
    #[serde(default)]
    pub segments: Vec<SegmentSpec>,
    /// Upper-case letters that begin the organism's accessions (`VRN` in `VRN00001AK.1`).
    pub accession_prefix: String,
    /// The field whose value identifies a row and its FASTA record.
    pub submission_id_column: String,
    /// Cell texts that mean "empty" for this organism's submitters (e.g. Nextstrain's `?`).
    #[serde(default)]
    pub blank_values: Vec<String>,
    /// The metadata fields, in column order.
    pub fields: Vec<FieldSpec>,
    /// How the organism's genomes are deposited at ENA (absent: not offered).
    #[serde(default)]
    pub ena: Option<EnaSettings>,
}

/// One genome segment of a segmented organism.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentSpec {
    /// The segment's name as submitters suffix record names (`ha` in `A/Texas/1/2024_ha`) and as
    /// LAPIS names it (`/alignedNucleotideSequences/ha`, `ha:1700T`): a letter, then letters,
    /// digits or `_` (CCHF's `S`, `M`, `L` as well as influenza's `ha`); never `main`.
    pub name: String,
    /// The Nextclade dataset of this segment (a directory name under the dataset root).
    pub dataset: String,
}

/// The segment name of a virus of one segment (LAPIS's and Nextclade's `main`).
pub const SINGLE_SEGMENT: &str = "main";

/// Where an organism's Nextclade datasets are: one per segment, in the organism's segment
/// order; a virus of one segment has one, named [`SINGLE_SEGMENT`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganismDatasets {
    /// Whether the organism is segmented (its samples are stored as several named segments).
    pub segmented: bool,
    /// (segment name, dataset directory), in genome order.
    pub segments: Vec<(String, PathBuf)>,
}

impl OrganismDatasets {
    /// The one dataset of a virus of one segment.
    pub fn single(dir: impl Into<PathBuf>) -> Self {
        OrganismDatasets { segmented: false, segments: vec![(SINGLE_SEGMENT.to_owned(), dir.into())] }
    }

    /// The dataset directories, one per segment.
    pub fn dirs(&self) -> impl Iterator<Item = &Path> {
        self.segments.iter().map(|(_, d)| d.as_path())
    }
}

/// What ENA needs to know about an organism beyond its samples' metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnaSettings {
    /// The organism's scientific name as in the NCBI taxonomy (a sample's SCIENTIFIC_NAME; an
    /// assembly name must not contain it).
    pub scientific_name: String,
    /// Its NCBI taxonomy id (a sample's TAXON_ID when the row has none).
    pub taxon_id: u32,
    /// Webin-CLI's ASSEMBLY_TYPE (`COVID-19 outbreak` for SARS-CoV-2, else `clone or isolate`).
    pub assembly_type: String,
    /// Webin-CLI's MOLECULETYPE (`genomic RNA` for RNA viruses, `genomic DNA` for mpox).
    pub molecule_type: String,
}

/// Why an organism configuration is unusable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file or directory could not be read.
    #[error("cannot read organism config {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML, or not shaped like an organism configuration.
    #[error("organism config {file}: {source}")]
    Toml {
        /// The file's name.
        file: String,
        /// The TOML parser's error, with line and column.
        #[source]
        source: Box<toml::de::Error>,
    },
    /// A field definition breaks a rule (bad name, vocabulary on a non-enum field, ...).
    #[error("organism config {file}: field '{field}', key '{key}': {problem}")]
    Field {
        /// The file's name.
        file: String,
        /// The field's name.
        field: String,
        /// The offending key of the field's table.
        key: &'static str,
        /// What is wrong, as a sentence fragment.
        problem: String,
    },
    /// An organism-level key breaks a rule (bad name or accession prefix, unknown submission-id column,
    /// ...).
    #[error("organism config {file}: key '{key}': {problem}")]
    Organism {
        /// The file's name.
        file: String,
        /// The offending key.
        key: &'static str,
        /// What is wrong, as a sentence fragment.
        problem: String,
    },
}

impl OrganismConfig {
    /// Parses and checks one organism file; `file` names it in errors.
    pub fn from_toml(text: &str, file: &str) -> Result<Self, ConfigError> {
        let config: Self = toml::from_str(text)
            .map_err(|e| ConfigError::Toml { file: file.to_owned(), source: Box::new(e) })?;
        config.check(file)?;
        Ok(config)
    }

    /// Reads, parses and checks one organism file.
    pub fn from_path(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| ConfigError::Io { path: path.to_owned(), source })?;
        Self::from_toml(&text, &path.display().to_string())
    }

    /// Whether samples of this organism come as several segments.
    pub fn is_segmented(&self) -> bool {
        !self.segments.is_empty()
    }

    /// The organism's datasets under `root` (a directory of datasets named as the config
    /// names them): `root/<dataset>` for a virus of one segment, `root/<segment dataset>` for
    /// each segment of a segmented one.
    pub fn datasets_in(&self, root: &Path) -> OrganismDatasets {
        if self.is_segmented() {
            OrganismDatasets {
                segmented: true,
                segments: self.segments.iter().map(|s| (s.name.clone(), root.join(&s.dataset))).collect(),
            }
        } else {
            OrganismDatasets::single(root.join(&self.dataset))
        }
    }

    /// The field called `name`, if any.
    pub fn field(&self, name: &str) -> Option<&FieldSpec> {
        self.fields.iter().find(|f| f.name == name)
    }

    fn check(&self, file: &str) -> Result<(), ConfigError> {
        let organism = |key, problem: String| ConfigError::Organism { file: file.to_owned(), key, problem };
        if self.name.is_empty()
            || !self.name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(organism(
                "name",
                format!("'{}' must be lower-case letters, digits and '-'", self.name),
            ));
        }
        if self.accession_prefix.is_empty() || !self.accession_prefix.bytes().all(|b| b.is_ascii_uppercase())
        {
            return Err(organism(
                "accession_prefix",
                format!("'{}' must be upper-case letters", self.accession_prefix),
            ));
        }
        match (self.dataset.is_empty(), self.segments.is_empty()) {
            (true, true) => {
                return Err(organism("dataset", "name the Nextclade dataset (or list `segments`)".into()));
            }
            (false, false) => {
                return Err(organism(
                    "dataset",
                    "a segmented organism names a dataset per segment, not one `dataset`".into(),
                ));
            }
            _ => {}
        }
        let mut segment_names = HashSet::new();
        for segment in &self.segments {
            let name = &segment.name;
            // A segment name becomes part of LAPIS field names (`coverage_ha`), mutation syntax
            // (`ha:A12G`) and ENA's chromosome list, so it follows the strictest of their rules.
            let lower = name.to_ascii_lowercase();
            let word = ["chr", "plasmid", "linkage"].into_iter().find(|w| lower.contains(w));
            if !name.starts_with(|c: char| c.is_ascii_alphabetic())
                || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                || name.len() > 32
            {
                return Err(organism(
                    "segments",
                    format!(
                        "segment name '{name}' must be a letter then letters, digits or '_', at most 32 of them"
                    ),
                ));
            }
            if lower == SINGLE_SEGMENT || word.is_some() {
                let why = word.map_or("names the one segment of an unsegmented virus".to_owned(), |w| {
                    format!("contains '{w}', which ENA refuses in chromosome names")
                });
                return Err(organism("segments", format!("segment name '{name}' {why}")));
            }
            if !segment_names.insert(name.as_str()) {
                return Err(organism("segments", format!("segment '{name}' is listed twice")));
            }
            if segment.dataset.is_empty() {
                return Err(organism("segments", format!("segment '{name}' names no dataset")));
            }
        }
        if let Some(column) = &self.fasta_ids_column {
            match self.field(column) {
                None => {
                    return Err(organism("fasta_ids_column", format!("'{column}' is not one of the fields")));
                }
                Some(f) if f.field_type != FieldType::String => {
                    return Err(organism("fasta_ids_column", format!("'{column}' must be a string field")));
                }
                Some(_) => {}
            }
            if !self.is_segmented() {
                return Err(organism("fasta_ids_column", "only a segmented organism maps FASTA ids".into()));
            }
        }
        if self.field(&self.submission_id_column).is_none() {
            return Err(organism(
                "submission_id_column",
                format!("'{}' is not one of the fields", self.submission_id_column),
            ));
        }
        let mut seen = HashSet::new();
        for f in &self.fields {
            let field = |key, problem: String| ConfigError::Field {
                file: file.to_owned(),
                field: f.name.clone(),
                key,
                problem,
            };
            if !seen.insert(f.name.as_str()) {
                return Err(field("name", "defined twice".into()));
            }
            match (&f.vocabulary, f.field_type) {
                (None, FieldType::Enum) => {
                    return Err(field("vocabulary", "an enum field needs a vocabulary".into()));
                }
                (Some(VocabularySpec::Builtin(name)), _) if name != INSDC_COUNTRY => {
                    return Err(field(
                        "vocabulary",
                        format!("unknown built-in vocabulary '{name}' (known: {INSDC_COUNTRY})"),
                    ));
                }
                (Some(VocabularySpec::Terms(terms)), _) if terms.is_empty() => {
                    return Err(field("vocabulary", "the list of terms is empty".into()));
                }
                _ => {}
            }
            if f.required && f.default.is_some() {
                return Err(field("default", "a required field cannot have a default".into()));
            }
        }
        Ok(())
    }
}

/// The organisms of an instance, by name, in load order.
#[derive(Debug, Clone, Default)]
pub struct OrganismRegistry {
    organisms: IndexMap<String, OrganismConfig>,
}

impl OrganismRegistry {
    /// The organisms shipped with Virion.
    pub fn builtin() -> Self {
        let mut registry = Self::default();
        for (file, text) in BUILTIN {
            // The built-in files are checked by this crate's tests; failing here is a build defect.
            let config = OrganismConfig::from_toml(text, file).unwrap_or_else(|e| panic!("built-in {e}"));
            registry.insert(config);
        }
        registry
    }

    /// The built-ins, then every `*.toml` in `dir` (sorted by file name) added or replacing by name.
    pub fn builtin_with_dir(dir: &Path) -> Result<Self, ConfigError> {
        let mut registry = Self::builtin();
        let io = |source| ConfigError::Io { path: dir.to_owned(), source };
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(io)?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()
            .map_err(io)?;
        paths.retain(|p| p.extension().is_some_and(|e| e == "toml"));
        paths.sort();
        for path in paths {
            registry.insert(OrganismConfig::from_path(&path)?);
        }
        Ok(registry)
    }

    /// Adds `config`, replacing an organism of the same name (keeping its place in the order).
    pub fn insert(&mut self, config: OrganismConfig) {
        self.organisms.insert(config.name.clone(), config);
    }

    /// The organism called `name`, if any.
    pub fn get(&self, name: &str) -> Option<&OrganismConfig> {
        self.organisms.get(name)
    }

    /// Every organism, in load order.
    pub fn iter(&self) -> impl Iterator<Item = &OrganismConfig> {
        self.organisms.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
name = "toy"
display_name = "Toy virus"
dataset = "toy"
accession_prefix = "TOY"
submission_id_column = "id"
[[fields]]
name = "id"
type = "string"
"#;

    #[test]
    fn minimal_config_parses_with_defaults() {
        let c = OrganismConfig::from_toml(MINIMAL, "toy.toml").unwrap();
        let id = c.field("id").unwrap();
        assert_eq!((id.field_type, id.required, id.search), (FieldType::String, false, false));
    }

    #[test]
    fn errors_name_file_and_key() {
        let bad_type = MINIMAL.replace("type = \"string\"", "type = \"text\"");
        let e = OrganismConfig::from_toml(&bad_type, "toy.toml").unwrap_err().to_string();
        assert!(e.contains("toy.toml") && e.contains("text"), "{e}");

        let bad_id = MINIMAL.replace("submission_id_column = \"id\"", "submission_id_column = \"sid\"");
        let e = OrganismConfig::from_toml(&bad_id, "toy.toml").unwrap_err().to_string();
        assert!(e.contains("toy.toml") && e.contains("submission_id_column") && e.contains("sid"), "{e}");

        let enum_without_vocab = format!("{MINIMAL}[[fields]]\nname = \"sex\"\ntype = \"enum\"\n");
        let e = OrganismConfig::from_toml(&enum_without_vocab, "toy.toml").unwrap_err().to_string();
        assert!(e.contains("field 'sex'") && e.contains("vocabulary"), "{e}");

        let unknown_builtin =
            format!("{MINIMAL}[[fields]]\nname = \"c\"\ntype = \"enum\"\nvocabulary = \"planets\"\n");
        let e = OrganismConfig::from_toml(&unknown_builtin, "toy.toml").unwrap_err().to_string();
        assert!(e.contains("planets"), "{e}");

        let unknown_key = format!("{MINIMAL}colour = \"red\"\n");
        let e = OrganismConfig::from_toml(&unknown_key, "toy.toml").unwrap_err().to_string();
        assert!(e.contains("colour"), "{e}");
    }

    #[test]
    fn directory_overrides_and_adds() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("toy.toml"), MINIMAL).unwrap();
        let renamed = MINIMAL.replace("name = \"toy\"", "name = \"mpox\"").replace("Toy virus", "Local mpox");
        std::fs::write(dir.path().join("mpox.toml"), renamed).unwrap();
        std::fs::write(dir.path().join("notes.txt"), "ignored").unwrap();
        let registry = OrganismRegistry::builtin_with_dir(dir.path()).unwrap();
        assert_eq!(registry.get("mpox").unwrap().display_name, "Local mpox");
        assert!(registry.get("toy").is_some() && registry.get("sars-cov-2").is_some());

        std::fs::write(dir.path().join("broken.toml"), "name = ").unwrap();
        let e = OrganismRegistry::builtin_with_dir(dir.path()).unwrap_err().to_string();
        assert!(e.contains("broken.toml"), "{e}");
    }
}
