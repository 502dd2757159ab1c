//! Amino-acid motifs (pathogen.json `aaMotifs`) in a query's peptides, e.g. glycosylation sites.
//!
//! For each motif kind, each CDS it names (every translated CDS when it names none), each codon
//! range it gives (the whole peptide when none) clipped to the codons the query covers, and each
//! pattern in turn, every non-overlapping match is reported at its first codon — the order and
//! matching rules of Nextclade.

use regex::Regex;
use virion_core::{AaPos, AaRange};
use virion_dataset::AaMotifsDesc;

use crate::query::{CdsTranslation, Translation};

/// One motif found in a query peptide.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct AaMotif {
    /// The motif kind's name (`AaMotifsDesc::name`, the nextclade.tsv column).
    pub name: String,
    /// The CDS whose peptide holds the match.
    pub cds: String,
    /// First codon of the match (0-based).
    pub position: AaPos,
    /// The matched letters.
    pub seq: String,
}

/// A motif pattern that is not a valid regular expression.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("aaMotifs '{name}': invalid pattern '{pattern}': {reason}")]
pub struct InvalidMotif {
    /// The motif kind's name.
    pub name: String,
    /// The pattern as written in pathogen.json.
    pub pattern: String,
    /// The regular-expression compiler's message.
    pub reason: String,
}

/// The dataset's motif descriptions with their patterns compiled once.
#[derive(Debug, Clone, Default)]
pub struct AaMotifFinder {
    kinds: Vec<(AaMotifsDesc, Vec<Regex>)>,
}

impl AaMotifFinder {
    /// Compiles every pattern of every motif description.
    pub fn new(descs: &[AaMotifsDesc]) -> Result<Self, InvalidMotif> {
        let kinds = descs
            .iter()
            .map(|d| {
                let patterns = d
                    .motifs
                    .iter()
                    .map(|m| {
                        Regex::new(m).map_err(|e| InvalidMotif {
                            name: d.name.clone(),
                            pattern: m.clone(),
                            reason: e.to_string(),
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Ok((d.clone(), patterns))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { kinds })
    }

    /// Motif names in declaration order (the nextclade.tsv columns).
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.kinds.iter().map(|(d, _)| d.name.as_str())
    }

    /// Motifs found in `translation`, grouped by name in declaration order; names without a
    /// match are left out.
    pub fn find(&self, translation: &Translation) -> Vec<(String, Vec<AaMotif>)> {
        let mut out: Vec<(String, Vec<AaMotif>)> = Vec::new();
        for (desc, patterns) in &self.kinds {
            let mut found = Vec::new();
            if desc.include_cdses.is_empty() {
                for tr in &translation.cdses {
                    find_in_cds(&desc.name, tr, &[], patterns, &mut found);
                }
            } else {
                for inc in &desc.include_cdses {
                    for tr in translation.cdses.iter().filter(|t| t.name == inc.cds) {
                        find_in_cds(&desc.name, tr, &inc.ranges, patterns, &mut found);
                    }
                }
            }
            if found.is_empty() {
                continue;
            }
            match out.iter_mut().find(|(n, _)| *n == desc.name) {
                Some((_, list)) => list.extend(found),
                None => out.push((desc.name.clone(), found)),
            }
        }
        out
    }
}

fn find_in_cds(
    name: &str,
    tr: &CdsTranslation,
    ranges: &[AaRange],
    patterns: &[Regex],
    out: &mut Vec<AaMotif>,
) {
    let whole = [AaRange::new(AaPos(0), AaPos(tr.seq.len() as i64))];
    let ranges = if ranges.is_empty() { &whole[..] } else { ranges };
    let mut text = String::new();
    for motif_range in ranges {
        for aln in &tr.alignment_ranges {
            let r = aln.intersect(motif_range);
            if r.is_empty() {
                continue;
            }
            text.clear();
            text.extend(tr.seq[r.begin.as_usize()..r.end.as_usize()].iter().map(|a| a.to_char()));
            for re in patterns {
                for m in re.find_iter(&text) {
                    out.push(AaMotif {
                        name: name.to_owned(),
                        cds: tr.name.clone(),
                        // Peptide letters are ASCII, so byte offsets are codon offsets.
                        position: r.begin + m.start() as i64,
                        seq: m.as_str().to_owned(),
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use virion_core::Aa;

    fn cds(name: &str, seq: &str, aligned: (i64, i64)) -> CdsTranslation {
        CdsTranslation {
            name: name.to_owned(),
            seq: seq.bytes().map(|b| Aa::from_byte(b).unwrap()).collect(),
            insertions: vec![],
            frame_shifts: vec![],
            alignment_ranges: vec![AaRange::new(AaPos(aligned.0), AaPos(aligned.1))],
            unsequenced_ranges: vec![],
        }
    }

    fn glyc(include: &str) -> AaMotifFinder {
        let desc: Vec<AaMotifsDesc> = serde_json::from_str(&format!(
            r#"[{{"name": "glycosylation", "includeCdses": {include}, "motifs": ["N[^P][ST]"]}}]"#
        ))
        .unwrap();
        AaMotifFinder::new(&desc).unwrap()
    }

    #[test]
    fn finds_sites_inside_covered_codons_only() {
        // ruler 0123456789012
        // HA1   MNSTANPTQNGSX   -> NST at 1, NGS at 9 (NPT is no site); codons 0..8 covered
        let tr = Translation { cdses: vec![cds("HA1", "MNSTANPTQNGSX", (0, 8))], ..Default::default() };
        let found = glyc(r#"[{"cds": "HA1", "ranges": []}]"#).find(&tr);
        let cells: Vec<String> =
            found[0].1.iter().map(|m| format!("{}:{}:{}", m.cds, m.position.one_based(), m.seq)).collect();
        assert_eq!(cells, ["HA1:2:NST"]);

        let tr = Translation { cdses: vec![cds("HA1", "MNSTANPTQNGSX", (0, 13))], ..Default::default() };
        let found = glyc(r#"[{"cds": "HA1", "ranges": [{"begin": 5, "end": 13}]}]"#).find(&tr);
        assert_eq!(found[0].1.len(), 1);
        assert_eq!(found[0].1[0].position, AaPos(9));
    }

    #[test]
    fn no_cds_named_means_every_cds_and_none_found_means_absent() {
        let tr = Translation {
            cdses: vec![cds("A", "NAS", (0, 3)), cds("B", "QQQ", (0, 3)), cds("C", "NCT", (0, 3))],
            ..Default::default()
        };
        let found = glyc("[]").find(&tr);
        let cdses: Vec<&str> = found[0].1.iter().map(|m| m.cds.as_str()).collect();
        assert_eq!(cdses, ["A", "C"]);
        let tr = Translation { cdses: vec![cds("B", "QQQ", (0, 3))], ..Default::default() };
        assert!(glyc("[]").find(&tr).is_empty());
    }

    #[test]
    fn invalid_pattern_is_an_error() {
        let desc: Vec<AaMotifsDesc> = serde_json::from_str(r#"[{"name": "x", "motifs": ["N["]}]"#).unwrap();
        let err = AaMotifFinder::new(&desc).unwrap_err();
        assert_eq!(err.pattern, "N[");
    }
}
