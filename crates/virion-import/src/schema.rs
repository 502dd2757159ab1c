//! The columns of an import: SILO's `database_config.yaml` plus `reference_genomes.json`, or the
//! fixed columns of a Nextclade run.
//!
//! The config is read as LAPIS and SILO read it (`schema: {instanceName, primaryKey, metadata:
//! [{name, type, generateIndex, generateLineageIndex, isPhyloTreeField}], partitionBy,
//! dateToSortBy, features: [{name}]}`); keys this crate has no use for (`opennessLevel`,
//! `defaultNucleotideSequence`, …) are ignored, as LAPIS ignores keys it does not know. The
//! checks are SILO's: unique names, a primary key among the fields, index options only on
//! strings, `partitionBy`/`dateToSortBy` naming fields.

use std::collections::HashSet;
use std::path::Path;

use serde::Deserialize;
use virion_ingest::SequenceLayout;

use crate::alphabet::Alphabet;
use crate::error::{ReferenceProblem, SchemaError};

/// A metadata column's type. SILO's `int` is 32-bit; `int64` (newer SILO) is 64-bit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetadataKind {
    /// SILO's `string`.
    String,
    /// SILO's `int`: 32-bit.
    Int32,
    /// SILO's `int64`.
    Int64,
    /// SILO's `float`.
    Float,
    /// SILO's `date`: `YYYY-MM-DD`.
    Date,
    /// SILO's `boolean`.
    Boolean,
}

/// Where a lineage column's hierarchy comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineageSource {
    /// `generateLineageIndex: pango`: the lineage-definitions file `pango` or `pango.yaml`, found
    /// by [`crate::LineageDefinitions::locate`].
    File(String),
    /// `generateLineageIndex: true` (older SILO): the one lineage-definitions file configured
    /// for the whole instance.
    Default,
}

/// One metadata column of the database config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataField {
    /// The column's name, as the input's keys spell it.
    pub name: String,
    /// The column's type.
    pub kind: MetadataKind,
    /// Keep a row bitmap per distinct value (`generateIndex`; implied by a lineage index).
    pub indexed: bool,
    /// Where the hierarchy of a `generateLineageIndex` column comes from; `None`: no lineage index.
    pub lineage: Option<LineageSource>,
    /// `isPhyloTreeField`: values name nodes of the instance's phylogenetic tree.
    pub phylo_tree: bool,
}

/// The columns every record of one import has, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportSchema {
    /// The instance's name (`schema.instanceName`).
    pub instance_name: String,
    /// The primary-key column (`schema.primaryKey`).
    pub primary_key: String,
    /// The metadata columns, in the database config's order.
    pub metadata: Vec<MetadataField>,
    /// Nucleotide segments: (name, reference letters, upper-case).
    pub segments: Vec<(String, Vec<u8>)>,
    /// Genes: (name, reference peptide, upper-case).
    pub genes: Vec<(String, Vec<u8>)>,
    /// The date column rows are sorted by (`dateToSortBy`).
    pub date_to_sort_by: Option<String>,
    /// The column rows are partitioned by (`partitionBy`).
    pub partition_by: Option<String>,
    /// LAPIS feature names (`sarsCoV2VariantQuery`, `generalizedAdvancedQuery`, …).
    pub features: Vec<String>,
    /// The database config as written, every key kept (`None`: not from a SILO config), so that
    /// `/sample/databaseConfig` answers what the instance declared.
    pub database_config: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct ConfigFile {
    schema: ConfigSchema,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConfigSchema {
    instance_name: String,
    primary_key: String,
    metadata: Vec<ConfigField>,
    #[serde(default)]
    partition_by: Option<String>,
    #[serde(default)]
    date_to_sort_by: Option<String>,
    #[serde(default)]
    features: Vec<ConfigFeature>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConfigField {
    name: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    generate_index: Option<bool>,
    #[serde(default)]
    generate_lineage_index: Option<LineageOption>,
    #[serde(default)]
    is_phylo_tree_field: Option<bool>,
}

/// `generateLineageIndex` is a file name in current SILO and a boolean in older versions.
#[derive(Deserialize)]
#[serde(untagged)]
enum LineageOption {
    Flag(bool),
    File(String),
}

#[derive(Deserialize)]
struct ConfigFeature {
    name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReferenceFile {
    #[serde(default)]
    nucleotide_sequences: Vec<NamedSequence>,
    #[serde(default)]
    genes: Vec<NamedSequence>,
}

#[derive(Deserialize)]
struct NamedSequence {
    name: String,
    sequence: String,
}

fn read(path: &Path) -> Result<String, SchemaError> {
    std::fs::read_to_string(path).map_err(|source| SchemaError::Io { path: path.to_owned(), source })
}

impl ImportSchema {
    /// Reads `database_config.yaml` and `reference_genomes.json`.
    pub fn from_silo_files(
        database_config: &Path,
        reference_genomes: &Path,
    ) -> Result<ImportSchema, SchemaError> {
        ImportSchema::from_silo_config(&read(database_config)?, &read(reference_genomes)?)
    }

    /// Parses the text of `database_config.yaml` and `reference_genomes.json`.
    pub fn from_silo_config(
        database_config: &str,
        reference_genomes: &str,
    ) -> Result<ImportSchema, SchemaError> {
        let config: ConfigFile = yaml_serde::from_str(database_config).map_err(SchemaError::Yaml)?;
        let as_written: serde_json::Value =
            yaml_serde::from_str(database_config).map_err(SchemaError::Yaml)?;
        let refs: ReferenceFile = serde_json::from_str(reference_genomes).map_err(SchemaError::Json)?;
        let c = config.schema;
        let mut metadata = Vec::with_capacity(c.metadata.len());
        for f in c.metadata {
            let kind = match f.kind.as_str() {
                "string" => MetadataKind::String,
                "int" | "int32" => MetadataKind::Int32,
                "int64" => MetadataKind::Int64,
                "float" => MetadataKind::Float,
                "date" => MetadataKind::Date,
                "boolean" => MetadataKind::Boolean,
                _ => return Err(SchemaError::UnknownType { name: f.name, kind: f.kind }),
            };
            let lineage = match f.generate_lineage_index {
                None | Some(LineageOption::Flag(false)) => None,
                Some(LineageOption::Flag(true)) => Some(LineageSource::Default),
                Some(LineageOption::File(name)) => Some(LineageSource::File(name)),
            };
            let generate_index = f.generate_index.unwrap_or(false);
            if kind != MetadataKind::String {
                let option = if lineage.is_some() {
                    Some("generateLineageIndex")
                } else {
                    generate_index.then_some("generateIndex")
                };
                if let Some(option) = option {
                    return Err(SchemaError::StringOnly { name: f.name, option });
                }
            }
            metadata.push(MetadataField {
                name: f.name,
                kind,
                indexed: generate_index || lineage.is_some(),
                lineage,
                phylo_tree: f.is_phylo_tree_field.unwrap_or(false),
            });
        }
        let schema = ImportSchema {
            instance_name: c.instance_name,
            primary_key: c.primary_key,
            metadata,
            segments: reference_list(refs.nucleotide_sequences, Alphabet::Nucleotide, "segment")?,
            genes: reference_list(refs.genes, Alphabet::AminoAcid, "gene")?,
            date_to_sort_by: c.date_to_sort_by,
            partition_by: c.partition_by,
            features: c.features.into_iter().map(|f| f.name).collect(),
            database_config: Some(as_written),
        };
        schema.validate()?;
        Ok(schema)
    }

    /// The columns of a Nextclade NDJSON import with `layout`'s reference: see
    /// [`crate::nextclade`] for the metadata columns and where each comes from.
    pub fn nextclade(layout: &SequenceLayout) -> ImportSchema {
        ImportSchema {
            instance_name: "nextclade".to_owned(),
            primary_key: crate::nextclade::SEQ_NAME.to_owned(),
            metadata: crate::nextclade::metadata_fields(),
            segments: vec![(layout.segment_name.clone(), layout.reference.clone())],
            genes: layout.genes.iter().map(|g| (g.name.clone(), g.peptide.clone())).collect(),
            date_to_sort_by: None,
            partition_by: None,
            features: Vec::new(),
            database_config: None,
        }
    }

    fn validate(&self) -> Result<(), SchemaError> {
        if self.metadata.is_empty() {
            return Err(SchemaError::NoFields);
        }
        let mut names = HashSet::new();
        for f in &self.metadata {
            if !names.insert(f.name.as_str()) {
                return Err(SchemaError::DuplicateField { name: f.name.clone() });
            }
        }
        let field = |option: &'static str, name: &str| {
            self.metadata_index(name)
                .map(|i| &self.metadata[i])
                .ok_or_else(|| SchemaError::NotAField { option, name: name.to_owned() })
        };
        field("primaryKey", &self.primary_key)?;
        if let Some(name) = &self.partition_by {
            field("partitionBy", name)?;
        }
        if let Some(name) = &self.date_to_sort_by
            && field("dateToSortBy", name)?.kind != MetadataKind::Date
        {
            return Err(SchemaError::NotADateField { name: name.clone() });
        }
        // SILO's flat layout puts every column at the top level of a line, so a name may be
        // used only once across metadata, segments, genes and unaligned_<segment>.
        let mut all: HashSet<String> = names.iter().map(|n| n.to_string()).collect();
        let sequence_names = self
            .segments
            .iter()
            .flat_map(|(n, _)| [n.clone(), format!("unaligned_{n}")])
            .chain(self.genes.iter().map(|(n, _)| n.clone()));
        for name in sequence_names {
            if !all.insert(name.clone()) {
                return Err(SchemaError::NameClash { name });
            }
        }
        Ok(())
    }

    /// The position of metadata column `name`.
    pub fn metadata_index(&self, name: &str) -> Option<usize> {
        self.metadata.iter().position(|f| f.name == name)
    }

    /// The position of nucleotide segment `name`.
    pub fn segment_index(&self, name: &str) -> Option<usize> {
        self.segments.iter().position(|(n, _)| n == name)
    }

    /// The position of gene `name`.
    pub fn gene_index(&self, name: &str) -> Option<usize> {
        self.genes.iter().position(|(n, _)| n == name)
    }

    /// The position of the primary key among the metadata columns.
    pub fn primary_key_index(&self) -> usize {
        // `validate` and `nextclade` guarantee it is there.
        self.metadata_index(&self.primary_key).unwrap_or(0)
    }
}

fn reference_list(
    list: Vec<NamedSequence>,
    alphabet: Alphabet,
    what: &'static str,
) -> Result<Vec<(String, Vec<u8>)>, SchemaError> {
    let mut out: Vec<(String, Vec<u8>)> = Vec::with_capacity(list.len());
    for NamedSequence { name, sequence } in list {
        let bad = |problem| SchemaError::Reference { what, name: name.clone(), problem };
        if out.iter().any(|(n, _)| *n == name) {
            return Err(bad(ReferenceProblem::Duplicate));
        }
        if sequence.is_empty() {
            return Err(bad(ReferenceProblem::Empty));
        }
        let letters = alphabet.normalize(&sequence).map_err(|e| match e {
            crate::error::FieldProblem::Letter { letter, position, alphabet } => {
                bad(ReferenceProblem::Letter { letter, position, alphabet })
            }
            _ => bad(ReferenceProblem::Empty),
        })?;
        out.push((name, letters));
    }
    Ok(out)
}
