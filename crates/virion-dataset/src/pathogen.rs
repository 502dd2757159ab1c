//! pathogen.json: the dataset's configuration (schema 3.0.0).
//!
//! Sections other crates interpret themselves stay raw JSON (`alignmentParams` is parsed by the
//! aligner). Unknown keys are tolerated and kept in `other`.

use std::collections::BTreeMap;
use std::fmt;

use indexmap::IndexMap;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use virion_core::{Aa, AaPos, Nuc, NucRange, NucRefPos};

use crate::aa_motifs::AaMotifsDesc;
use crate::phenotype::PhenotypeData;
use crate::qc_config::QcConfig;

fn default_reference() -> String {
    "reference.fasta".to_owned()
}

fn default_pathogen_json() -> String {
    "pathogen.json".to_owned()
}

/// File names inside a dataset directory. Without a `files` section every standard name is
/// assumed; inside one, an unlisted optional file is absent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DatasetFiles {
    /// Reference genome FASTA (`reference.fasta` by default).
    #[serde(default = "default_reference")]
    pub reference: String,
    /// This file (`pathogen.json`).
    #[serde(default = "default_pathogen_json")]
    pub pathogen_json: String,
    /// Genome annotation GFF3; without it nothing is translated.
    #[serde(default)]
    pub genome_annotation: Option<String>,
    /// Auspice v2 reference tree; without it there is no clade assignment or placement.
    #[serde(default)]
    pub tree_json: Option<String>,
    /// Example sequences FASTA.
    #[serde(default)]
    pub examples: Option<String>,
    /// The dataset's README.
    #[serde(default)]
    pub readme: Option<String>,
    /// The dataset's CHANGELOG.
    #[serde(default)]
    pub changelog: Option<String>,
    /// Other file roles, kept as written.
    #[serde(flatten)]
    pub other: IndexMap<String, serde_json::Value>,
}

impl Default for DatasetFiles {
    fn default() -> Self {
        Self {
            reference: "reference.fasta".to_owned(),
            pathogen_json: "pathogen.json".to_owned(),
            genome_annotation: Some("genome_annotation.gff3".to_owned()),
            tree_json: Some("tree.json".to_owned()),
            examples: Some("sequences.fasta".to_owned()),
            readme: Some("README.md".to_owned()),
            changelog: Some("CHANGELOG.md".to_owned()),
            other: IndexMap::new(),
        }
    }
}

impl DatasetFiles {
    /// Every file name listed, main files first, without repeats.
    pub fn all(&self) -> Vec<&str> {
        let mut out: Vec<&str> = vec![self.pathogen_json.as_str(), self.reference.as_str()];
        for f in [&self.genome_annotation, &self.tree_json, &self.examples, &self.readme, &self.changelog]
            .into_iter()
            .flatten()
        {
            out.push(f);
        }
        for v in self.other.values() {
            if let Some(s) = v.as_str() {
                out.push(s);
            }
        }
        let mut seen = std::collections::HashSet::new();
        out.retain(|f| seen.insert(*f));
        out
    }
}

/// Minimum Nextclade versions a dataset asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DatasetCompatibility {
    /// Minimum Nextclade CLI version.
    pub cli: Option<String>,
    /// Minimum Nextclade Web version.
    pub web: Option<String>,
}

/// One released version of a dataset; `tag` names its directory on the server.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DatasetVersion {
    /// The version's tag (a timestamp, or `unreleased`).
    pub tag: String,
    /// When the version was published, as the server writes it.
    pub updated_at: Option<String>,
    /// Nextclade versions this version needs.
    pub compatibility: Option<DatasetCompatibility>,
}

/// A nucleotide genotype: 0-based position and the query letter, written `23664T` (1-based).
/// A leading reference letter (`C23664T`) is accepted and ignored, as Nextclade does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NucGenotype {
    /// The reference position.
    pub pos: NucRefPos,
    /// The query's letter there.
    pub qry: Nuc,
}

/// An amino-acid genotype in a CDS, written `S:501Y` (a reference letter may precede the number),
/// or `NA:119` for any amino acid at that codon (as in Nextclade's `AaGenotype`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AaGenotype {
    /// The CDS name, as in the genome annotation.
    pub cds: String,
    /// The codon index within the CDS.
    pub pos: AaPos,
    /// The query's amino acid there; `None` matches any.
    pub qry: Option<Aa>,
}

/// Finds the first `<digits><letter>` in `s` (1-based), like Nextclade's unanchored genotype regex.
fn parse_pos_letter(s: &str) -> Option<(i64, u8)> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() {
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i < b.len() && (b[i].is_ascii_uppercase() || b[i] == b'-' || b[i] == b'*') {
                let pos: i64 = s[start..i].parse().ok()?;
                return (pos >= 1).then_some((pos - 1, b[i]));
            }
        } else {
            i += 1;
        }
    }
    None
}

impl std::str::FromStr for NucGenotype {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (pos, letter) = parse_pos_letter(s).ok_or_else(|| format!("unable to parse genotype '{s}'"))?;
        let qry =
            Nuc::from_byte(letter).ok_or_else(|| format!("unable to parse genotype '{s}': bad letter"))?;
        Ok(Self { pos: NucRefPos(pos), qry })
    }
}

impl std::str::FromStr for AaGenotype {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (cds, rest) = s
            .split_once(':')
            .ok_or_else(|| format!("unable to parse amino-acid genotype '{s}': no 'CDS:' prefix"))?;
        if let Some((pos, letter)) = parse_pos_letter(rest) {
            let qry = Aa::from_byte(letter)
                .ok_or_else(|| format!("unable to parse amino-acid genotype '{s}': bad letter"))?;
            return Ok(Self { cds: cds.to_owned(), pos: AaPos(pos), qry: Some(qry) });
        }
        // A position alone (`NA:119`): any amino acid there.
        let pos = rest
            .parse::<i64>()
            .ok()
            .filter(|p| *p >= 1)
            .ok_or_else(|| format!("unable to parse amino-acid genotype '{s}'"))?;
        Ok(Self { cds: cds.to_owned(), pos: AaPos(pos - 1), qry: None })
    }
}

impl fmt::Display for NucGenotype {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.pos, self.qry)
    }
}

impl fmt::Display for AaGenotype {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.cds, self.pos)?;
        match self.qry {
            Some(qry) => write!(f, "{qry}"),
            None => Ok(()),
        }
    }
}

macro_rules! string_serde {
    ($t:ty) => {
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(D::Error::custom)
            }
        }
    };
}
string_serde!(NucGenotype);
string_serde!(AaGenotype);

/// Labels (usually clade names) attached to mutations, for "labeled" private mutations.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MutLabels {
    /// Labels by nucleotide genotype.
    pub nuc_mut_label_map: BTreeMap<NucGenotype, Vec<String>>,
    /// Labels by amino-acid genotype.
    pub aa_mut_label_map: BTreeMap<AaGenotype, Vec<String>>,
}

impl MutLabels {
    /// Labels of the nucleotide `qry` at 0-based `pos`, if any.
    pub fn nuc_labels(&self, pos: NucRefPos, qry: Nuc) -> Option<&[String]> {
        self.nuc_mut_label_map.get(&NucGenotype { pos, qry }).map(Vec::as_slice)
    }
}

/// pathogen.json, typed where Virion uses it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PathogenJson {
    /// The pathogen.json format's version, when stated.
    #[serde(default)]
    pub schema_version: Option<String>,
    /// Free-form attributes: `name`, `reference name`, `reference accession`, `segment`, …
    #[serde(default)]
    pub attributes: IndexMap<String, serde_json::Value>,
    /// Short names that select the dataset (`nextclade dataset get --name`).
    #[serde(default)]
    pub shortcuts: Vec<String>,
    /// Names of the dataset's files.
    #[serde(default)]
    pub files: DatasetFiles,
    /// The CDS Nextclade Web shows first.
    #[serde(default)]
    pub default_cds: Option<String>,
    /// CDS names in display order (see [`crate::GeneMap::cdses_by_preference`]).
    #[serde(default)]
    pub cds_order_preference: Vec<String>,
    /// Labels of known mutations, for classifying private mutations.
    #[serde(default)]
    pub mut_labels: MutLabels,
    /// `qc` absent means no QC, not the per-rule defaults.
    #[serde(default = "QcConfig::disabled")]
    pub qc: QcConfig,
    /// Raw; the aligner parses it (`null` when absent).
    #[serde(default)]
    pub alignment_params: serde_json::Value,
    /// Raw `generalParams` (includeReference, inOrder, replaceUnknown, …).
    #[serde(default)]
    pub general_params: serde_json::Value,
    /// Raw `treeBuilderParams`, unused by Virion and kept as written.
    #[serde(default)]
    pub tree_builder_params: serde_json::Value,
    /// Raw `aaChangesParams`, unused by Virion and kept as written.
    #[serde(default)]
    pub aa_changes_params: serde_json::Value,
    /// Phenotype scores, one nextclade.tsv column each (absent: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phenotype_data: Option<Vec<PhenotypeData>>,
    /// Amino-acid motifs to list, one nextclade.tsv column each.
    #[serde(default)]
    pub aa_motifs: Vec<AaMotifsDesc>,
    /// Nextclade 3 reads placement masks from tree.json (`meta.extensions.nextclade`) and ignores
    /// this key in pathogen.json; it is parsed for inspection only.
    #[serde(default)]
    pub placement_mask_ranges: Vec<NucRange>,
    /// The dataset version this directory holds.
    #[serde(default)]
    pub version: Option<DatasetVersion>,
    /// Nextclade versions the dataset needs.
    #[serde(default)]
    pub compatibility: Option<DatasetCompatibility>,
    /// Any other keys, kept so the file round-trips.
    #[serde(flatten)]
    pub other: IndexMap<String, serde_json::Value>,
}

impl PathogenJson {
    /// Parses pathogen.json text.
    pub fn from_json_str(s: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(s)
    }

    fn attribute_str(&self, key: &str) -> Option<&str> {
        self.attributes.get(key).and_then(|v| v.as_str())
    }

    /// `attributes.name`, e.g. "SARS-CoV-2".
    pub fn name(&self) -> Option<&str> {
        self.attribute_str("name")
    }

    /// `attributes["reference name"]`.
    pub fn reference_name(&self) -> Option<&str> {
        self.attribute_str("reference name")
    }

    /// `attributes["reference accession"]`.
    pub fn reference_accession(&self) -> Option<&str> {
        self.attribute_str("reference accession")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn genotypes_parse_with_or_without_reference_letter() {
        let g: NucGenotype = "C23664T".parse().unwrap();
        assert_eq!((g.pos, g.qry), (NucRefPos(23663), Nuc::T));
        assert_eq!(g.to_string(), "23664T");
        let g: NucGenotype = "241T".parse().unwrap();
        assert_eq!(g.pos, NucRefPos(240));
        let g: NucGenotype = "100-".parse().unwrap();
        assert_eq!(g.qry, Nuc::Gap);
        let a: AaGenotype = "S:N501Y".parse().unwrap();
        assert_eq!((a.cds.as_str(), a.pos, a.qry), ("S", AaPos(500), Some(Aa::Y)));
        assert_eq!(a.to_string(), "S:501Y");
        let any: AaGenotype = "NA:119".parse().unwrap();
        assert_eq!((any.cds.as_str(), any.pos, any.qry), ("NA", AaPos(118), None));
        assert_eq!(any.to_string(), "NA:119");
        assert!("NA:0".parse::<AaGenotype>().is_err());
        assert!("XYZ".parse::<NucGenotype>().is_err());
    }

    #[test]
    fn minimal_pathogen_json_takes_defaults_and_keeps_unknown_keys() {
        let p = PathogenJson::from_json_str(r#"{"schemaVersion":"3.0.0","futureKey":{"a":1}}"#).unwrap();
        assert_eq!(p.files.reference, "reference.fasta");
        assert_eq!(p.files.tree_json.as_deref(), Some("tree.json"));
        assert!(!p.qc.any_enabled());
        assert!(p.alignment_params.is_null());
        assert!(p.other.contains_key("futureKey"));
    }
}
