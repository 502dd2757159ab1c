//! Nextclade's per-sequence result read back: one owned, typed form of a line of
//! `nextclade run --output-ndjson` (Nextclade 3) and of the record [`super::NdjsonRecord`]
//! writes (the hub stores it under `nextclade` in each version's processed data). Ingest,
//! import, the hub's tree and the portal read records through it, so each field's name and
//! shape is spelled out once instead of in every reader.
//!
//! Only what those readers use is typed; every other field (`annotation`, `aaChangesGroups`,
//! `privateNucMutations`, …) is skipped unread. Virion now writes Nextclade's shapes; records it
//! stored before differ in four places, and both forms are read:
//! - amino-acid insertions name their CDS `cds` (Nextclade) or `cdsName` (earlier Virion);
//! - amino-acid deletions have no `qryAa` in Nextclade's output (it is the gap);
//! - `unknownAaRanges` groups a CDS's ranges under `ranges` in Nextclade's output, and had one
//!   `range` per entry in earlier Virion records (a [`CdsRange`]);
//! - the frame shifts in `qc.frameShifts` are whole frame-shift objects with `codon`, and were
//!   `{cdsName, codonRange}` in earlier Virion records.
//!
//! A record Nextclade could not align has only `index`, `seqName` and `errors`, so every other
//! field is optional or empty when absent.

use std::collections::BTreeMap;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer};
use virion_core::{
    Aa, AaDel, AaPos, AaRange, AaSub, CdsRange, Insertion, Nuc, NucDelRange, NucRange, NucSub, SymbolRange,
};

use crate::qc::QcResult;

/// One sequence's Nextclade result.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct NextcladeResult {
    /// The genome's 0-based position in the input (`index`).
    pub index: Option<usize>,
    /// The FASTA record's name (`seqName`).
    pub seq_name: Option<String>,
    /// Why the sequence could not be analysed (then most other fields are absent).
    pub errors: Vec<String>,
    /// Length of the input sequence, before alignment (`lenUnaligned`).
    pub len_unaligned: Option<i64>,
    /// The part of the reference the sequence covers; `None`: not aligned.
    pub alignment_range: Option<NucRange>,
    /// Nucleotide substitutions (`substitutions`).
    pub substitutions: Vec<NucSub>,
    /// `totalSubstitutions`.
    pub total_substitutions: Option<i64>,
    /// Deleted ranges (`deletions`).
    pub deletions: Vec<NucDelRange>,
    /// `totalDeletions`: deleted bases, summed over the ranges.
    pub total_deletions: Option<i64>,
    /// Nucleotide insertions (`insertions`): the letters after a 0-based reference position.
    pub insertions: Vec<Insertion<Nuc>>,
    /// `totalInsertions`: inserted bases, summed.
    pub total_insertions: Option<i64>,
    /// Runs of `N` (`missing`).
    pub missing: Vec<SymbolRange<Nuc>>,
    /// `totalMissing`: bases over all `missing` ranges.
    pub total_missing: Option<i64>,
    /// Runs of ambiguity codes other than `N` (`nonACGTNs`).
    #[serde(rename = "nonACGTNs")]
    pub non_acgtns: Vec<SymbolRange<Nuc>>,
    /// `totalNonACGTNs`: bases over all `nonACGTNs` ranges.
    #[serde(rename = "totalNonACGTNs")]
    pub total_non_acgtns: Option<i64>,
    /// `totalFrameShifts`.
    pub total_frame_shifts: Option<i64>,
    /// Amino-acid substitutions, each with its CDS (`aaSubstitutions`).
    pub aa_substitutions: Vec<AaSub>,
    /// Amino-acid deletions, each with its CDS (`aaDeletions`; `qryAa` may be absent, it is `-`).
    #[serde(deserialize_with = "aa_deletions")]
    pub aa_deletions: Vec<AaDel>,
    /// Amino-acid insertions (`aaInsertions`).
    pub aa_insertions: Vec<AaInsertionRecord>,
    /// Codons translated from unknown letters, per CDS (`unknownAaRanges`), in either form.
    pub unknown_aa_ranges: Vec<UnknownAaRanges>,
    /// CDSs that could not be translated (no peptide).
    pub missing_cdses: Vec<String>,
    /// The nearest node's clade (`clade`); `None` without a tree.
    pub clade: Option<String>,
    /// The other clade-like attributes of the nearest node (`Nextclade_pango`, …).
    pub custom_node_attributes: BTreeMap<String, String>,
    /// The nearest reference-tree node (`nearestNodeName`).
    pub nearest_node_name: Option<String>,
    /// The same node by its index in the tree's pre-order (`nearestNodeId`).
    pub nearest_node_id: Option<usize>,
    /// The query's nucleotide mutations relative to that node (`privateNucMutations`), as far
    /// as read.
    pub private_nuc_mutations: Option<PrivateNucRecord>,
    /// The same per CDS (`privateAaMutations`).
    pub private_aa_mutations: BTreeMap<String, PrivateAaRecord>,
    /// The nearest node's divergence plus the query's own branch (`divergence`).
    pub divergence: Option<f64>,
    /// Aligned, non-missing, unambiguous bases over the reference length (`coverage`).
    pub coverage: Option<f64>,
    /// The QC results (`qc`), read back into the writer's own type.
    pub qc: Option<QcResult>,
}

/// The substitutions and deletions of `privateNucMutations`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PrivateNucRecord {
    /// `privateSubstitutions`, reversions included.
    pub private_substitutions: Vec<NucSub>,
    /// `privateDeletions`: one deleted position each (`qryNuc`, the gap, is not written).
    pub private_deletions: Vec<PrivateNucDel>,
}

/// One privately deleted position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrivateNucDel {
    /// The position (0-based).
    pub pos: virion_core::NucRefPos,
    /// The nearest node's letter there.
    pub ref_nuc: Nuc,
}

/// The substitutions and deletions of one CDS of `privateAaMutations`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PrivateAaRecord {
    /// `privateSubstitutions`.
    pub private_substitutions: Vec<AaSub>,
    /// `privateDeletions` (earlier Virion records also wrote `qryAa`, the gap).
    pub private_deletions: Vec<PrivateAaDel>,
}

/// One privately deleted codon.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrivateAaDel {
    /// The codon (0-based).
    pub pos: AaPos,
    /// The nearest node's letter there.
    pub ref_aa: Aa,
}

/// An amino-acid insertion: `ins` after codon `pos` of CDS `cds` (0-based; -1: before the
/// first codon), as Nextclade writes it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AaInsertionRecord {
    /// The CDS (`cds` in Nextclade 3, `cdsName` in older records).
    #[serde(alias = "cdsName")]
    pub cds: String,
    /// The 0-based codon after which the letters sit (-1: before the first).
    pub pos: i64,
    /// The inserted amino acids.
    #[serde(deserialize_with = "aa_letters")]
    pub ins: Vec<Aa>,
}

/// Codons of one CDS whose amino acid is unknown (`X`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct UnknownAaRanges {
    /// The CDS (`cdsName`).
    #[serde(rename = "cdsName")]
    pub cds: String,
    /// Nextclade's form: every unknown range of the CDS.
    #[serde(default, deserialize_with = "ranges")]
    pub ranges: Vec<AaRange>,
    /// Virion's form: one range per entry.
    #[serde(default)]
    pub range: Option<AaRange>,
}

/// Why a record could not be read as a [`NextcladeResult`].
#[derive(Debug, thiserror::Error)]
pub enum NextcladeResultError {
    /// The text is not JSON.
    #[error("not valid JSON: {0}")]
    Json(#[source] serde_json::Error),
    /// A field has the wrong shape; `field` is its path, such as `aaInsertions[2].pos` (`.`: the
    /// record itself).
    #[error("field {field}: {}", without_position(source))]
    Field {
        /// The path of the field, such as `aaInsertions[2].pos`.
        field: String,
        /// serde_json's error.
        #[source]
        source: serde_json::Error,
    },
}

impl NextcladeResultError {
    /// The path of the field at fault (`None`: the text is not JSON).
    pub fn field(&self) -> Option<&str> {
        match self {
            NextcladeResultError::Json(_) => None,
            NextcladeResultError::Field { field, .. } => Some(field),
        }
    }

    /// What is wrong, without the field's path or the position in the text.
    pub fn reason(&self) -> String {
        match self {
            NextcladeResultError::Json(e) | NextcladeResultError::Field { source: e, .. } => {
                without_position(e)
            }
        }
    }
}

/// serde_json's message without its ` at line 1 column 812`: the field's path says where, and
/// a caller reading a file numbers its lines itself.
fn without_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let position = format!(" at line {} column {}", e.line(), e.column());
    text.strip_suffix(&position).map_or_else(|| text.clone(), str::to_owned)
}

impl NextcladeResult {
    /// Reads one NDJSON line straight into the record (no JSON tree in between: an import reads
    /// hundreds of thousands).
    pub fn from_json(text: &str) -> Result<NextcladeResult, NextcladeResultError> {
        serde_json::from_str(text).map_err(|e| {
            if !e.is_data() {
                return NextcladeResultError::Json(e);
            }
            // Only a failed record is read again, tracking the path, so that the error names
            // the field; the path costs nothing on the records that read.
            let mut de = serde_json::Deserializer::from_str(text);
            field_error(serde_path_to_error::deserialize::<_, NextcladeResult>(&mut de).err(), e)
        })
    }

    /// Reads a record already parsed into JSON (the hub's stored processed data).
    pub fn from_value(value: &serde_json::Value) -> Result<NextcladeResult, NextcladeResultError> {
        NextcladeResult::deserialize(value)
            .map_err(|e| field_error(serde_path_to_error::deserialize::<_, NextcladeResult>(value).err(), e))
    }

    /// The `(CDS, range)` of every unknown amino-acid range in Nextclade's grouped form
    /// (`ranges`); Virion's one-`range` entries are in [`NextcladeResult::unknown_aa_ranges`].
    pub fn grouped_unknown_aa_ranges(&self) -> impl Iterator<Item = (&str, AaRange)> {
        self.unknown_aa_ranges.iter().flat_map(|u| u.ranges.iter().map(move |r| (u.cds.as_str(), *r)))
    }

    /// Every unknown amino-acid range, in either form, one per entry as [`CdsRange`]s (the
    /// form the writer takes).
    pub fn unknown_aa_cds_ranges(&self) -> Vec<CdsRange> {
        self.unknown_aa_ranges
            .iter()
            .flat_map(|u| u.ranges.iter().chain(&u.range).map(|r| CdsRange { cds: u.cds.clone(), range: *r }))
            .collect()
    }
}

fn field_error(
    traced: Option<serde_path_to_error::Error<serde_json::Error>>,
    untraced: serde_json::Error,
) -> NextcladeResultError {
    match traced {
        Some(e) => NextcladeResultError::Field { field: e.path().to_string(), source: e.into_inner() },
        None => NextcladeResultError::Field { field: ".".to_owned(), source: untraced },
    }
}

/// Amino-acid deletions, whose `qryAa` Nextclade leaves out (Virion writes `-`).
fn aa_deletions<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<AaDel>, D::Error> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Deletion {
        #[serde(rename = "cdsName")]
        cds: String,
        pos: AaPos,
        ref_aa: Aa,
        qry_aa: Option<Aa>,
    }
    let list = Vec::<Deletion>::deserialize(d)?;
    Ok(list
        .into_iter()
        .map(|x| AaSub { cds: x.cds, pos: x.pos, ref_aa: x.ref_aa, qry_aa: x.qry_aa.unwrap_or(Aa::Gap) })
        .collect())
}

/// Nextclade's `ranges: [{range, character}]` (the character is always `X`).
fn ranges<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<AaRange>, D::Error> {
    #[derive(Deserialize)]
    struct Ranged {
        range: AaRange,
    }
    Ok(Vec::<Ranged>::deserialize(d)?.into_iter().map(|r| r.range).collect())
}

/// Inserted amino acids written as one string (`"EPE"`), as [`Insertion`] reads them.
fn aa_letters<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Aa>, D::Error> {
    let text = String::deserialize(d)?;
    text.bytes()
        .map(|b| Aa::from_byte(b).ok_or_else(|| D::Error::custom(format!("invalid letter '{}'", b as char))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qc::QcStatus;

    /// The shape of a record Nextclade 3.21 could not align, and of one it could (trimmed).
    #[test]
    fn reads_nextclade_records() {
        let failed =
            NextcladeResult::from_json(r#"{"index":3,"seqName":"x","errors":["no seeds"]}"#).unwrap();
        assert_eq!(failed.seq_name.as_deref(), Some("x"));
        assert_eq!(failed.errors, ["no seeds"]);
        assert!(failed.alignment_range.is_none() && failed.qc.is_none());

        let r = NextcladeResult::from_json(
            r#"{"seqName":"a","alignmentRange":{"begin":0,"end":30},"annotation":{"genes":[]},
            "aaDeletions":[{"cdsName":"S","pos":143,"refAa":"Y"}],
            "aaInsertions":[{"cds":"S","pos":213,"ins":"EPE"}],
            "unknownAaRanges":[{"cdsName":"S","character":"X","ranges":[{"range":{"begin":1,"end":3},"character":"X"}],"length":2}],
            "qc":{"missingData":null,"mixedSites":{"score":0.0,"status":"good","totalMixedSites":0,"mixedSitesThreshold":10},
                  "frameShifts":{"score":75.0,"status":"mediocre","frameShifts":[{"cdsName":"S","nucRel":{"begin":3,"end":6},
                  "nucAbs":[{"begin":3,"end":6}],"codon":{"begin":1,"end":2},"gapsLeading":{"begin":1,"end":1},
                  "gapsTrailing":{"begin":2,"end":2}}],"totalFrameShifts":1,"frameShiftsIgnored":[],"totalFrameShiftsIgnored":0},
                  "overallScore":56.25,"overallStatus":"mediocre"},
            "customNodeAttributes":{"Nextclade_pango":"BA.1"},"nearestNodeName":"n"}"#,
        )
        .unwrap();
        assert_eq!(r.aa_deletions[0].to_string(), "S:Y144-");
        assert_eq!(
            r.aa_insertions[0],
            AaInsertionRecord { cds: "S".into(), pos: 213, ins: vec![Aa::E, Aa::P, Aa::E] }
        );
        assert_eq!(
            r.grouped_unknown_aa_ranges().collect::<Vec<_>>(),
            [("S", AaRange::new(AaPos(1), AaPos(3)))]
        );
        let qc = r.qc.unwrap();
        assert!(qc.missing_data.is_none());
        assert_eq!(qc.overall_status, QcStatus::Mediocre);
        assert_eq!(qc.frame_shifts.unwrap().frame_shifts[0].codon, AaRange::new(AaPos(1), AaPos(2)));
        assert_eq!(r.custom_node_attributes["Nextclade_pango"], "BA.1");
    }

    #[test]
    fn errors_name_the_field() {
        let e =
            NextcladeResult::from_json(r#"{"seqName":"a","aaInsertions":[{"cds":"S","pos":"x","ins":"A"}]}"#)
                .unwrap_err();
        assert_eq!(e.field(), Some("aaInsertions[0].pos"));
        assert_eq!(e.to_string(), r#"field aaInsertions[0].pos: invalid type: string "x", expected i64"#);
        let e =
            NextcladeResult::from_value(&serde_json::json!({"substitutions": [{"pos": 1, "refNuc": "C"}]}))
                .unwrap_err();
        assert_eq!(e.to_string(), "field substitutions[0]: missing field `qryNuc`");
        let e = NextcladeResult::from_json(r#"{"seqName":"#).unwrap_err();
        assert!(matches!(e, NextcladeResultError::Json(_)), "{e}");
    }
}
