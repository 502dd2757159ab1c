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
use crate::reference::RefTranslation;

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

/// One motif kind's differences between the reference and a query (Nextclade's
/// `aaMotifsChanges[name]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct AaMotifChanges {
    /// Motifs at the same place in both.
    pub preserved: Vec<AaMotifMutation>,
    /// Motifs only the query has.
    pub gained: Vec<AaMotifMutation>,
    /// Reference motifs the query lacks where it is sequenced.
    pub lost: Vec<AaMotifMutation>,
    /// Reference motifs the query lacks where it reads `X`.
    pub ambiguous: Vec<AaMotifMutation>,
    /// Gained plus preserved.
    pub total: usize,
}

/// A motif's place with the reference's and the query's letters there.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AaMotifMutation {
    /// The motif kind.
    pub name: String,
    /// The CDS.
    pub cds: String,
    /// First codon (0-based).
    pub position: AaPos,
    /// The reference's letters there.
    pub ref_seq: String,
    /// The query's letters there.
    pub qry_seq: String,
}

impl AaMotifFinder {
    /// Motifs of the reference peptides (every codon counts as sequenced).
    pub fn find_in_reference(&self, ref_tr: &RefTranslation) -> Vec<(String, Vec<AaMotif>)> {
        let translation = Translation {
            cdses: ref_tr
                .cdses
                .iter()
                .map(|c| CdsTranslation {
                    name: c.layout.name.clone(),
                    seq: c.peptide.clone(),
                    insertions: Vec::new(),
                    frame_shifts: Vec::new(),
                    alignment_ranges: vec![AaRange::new(AaPos(0), AaPos(c.peptide.len() as i64))],
                    unsequenced_ranges: Vec::new(),
                })
                .collect(),
            warnings: Vec::new(),
            failed_cdses: Vec::new(),
        };
        self.find(&translation)
    }
}

/// Per motif kind found in the reference or the query: which motifs the query kept, gained,
/// lost, or cannot tell (reads `X`), compared by kind, CDS and position, as Nextclade does.
pub fn aa_motifs_changes(
    ref_motifs: &[(String, Vec<AaMotif>)],
    qry_motifs: &[(String, Vec<AaMotif>)],
    ref_tr: &RefTranslation,
    qry_tr: &Translation,
) -> std::collections::BTreeMap<String, AaMotifChanges> {
    use std::collections::BTreeSet;
    let of = |list: &[(String, Vec<AaMotif>)], name: &str| -> Vec<AaMotif> {
        list.iter().filter(|(n, _)| n == name).flat_map(|(_, m)| m.iter().cloned()).collect()
    };
    let key = |m: &AaMotif| (m.cds.clone(), m.position);
    let letters = |seq: &[virion_core::Aa]| seq.iter().map(|a| a.to_char()).collect::<String>();
    let names: BTreeSet<&str> = ref_motifs.iter().chain(qry_motifs).map(|(n, _)| n.as_str()).collect();
    names
        .into_iter()
        .map(|name| {
            let (in_ref, in_qry) = (of(ref_motifs, name), of(qry_motifs, name));
            let ref_keys: BTreeSet<_> = in_ref.iter().map(key).collect();
            let qry_keys: BTreeSet<_> = in_qry.iter().map(key).collect();
            let mut changes = AaMotifChanges::default();
            let mut seen = BTreeSet::new();
            for m in &in_qry {
                if ref_keys.contains(&key(m)) || !seen.insert(key(m)) {
                    continue;
                }
                let ref_seq = ref_tr.get(&m.cds).map_or_else(String::new, |c| {
                    let b = m.position.as_usize().min(c.peptide.len());
                    letters(&c.peptide[b..(b + m.seq.len()).min(c.peptide.len())])
                });
                changes.gained.push(mutation(m, ref_seq, m.seq.clone()));
            }
            seen.clear();
            for m in &in_ref {
                if qry_keys.contains(&key(m)) || !seen.insert(key(m)) {
                    continue;
                }
                // Only where the query covers the whole motif.
                let Some(tr) = qry_tr.get(&m.cds) else { continue };
                let span = AaRange::new(m.position, m.position + m.seq.len() as i64);
                let Some(r) = tr
                    .alignment_ranges
                    .iter()
                    .map(|a| a.intersect(&span))
                    .find(|r| r.len() >= m.seq.len() as i64)
                else {
                    continue;
                };
                let qry_seq = letters(&tr.seq[r.begin.as_usize()..r.end.as_usize()]);
                let target = if qry_seq.contains('X') { &mut changes.ambiguous } else { &mut changes.lost };
                target.push(mutation(m, m.seq.clone(), qry_seq));
            }
            seen.clear();
            // Nextclade takes both letters of a kept motif from a hash-set intersection, which
            // yields the smaller set's element: where the query has more motifs of the kind,
            // its `qrySeq` is the reference's letters too (and the other way round).
            let (refs_smaller, qrys_smaller) =
                (ref_keys.len() <= qry_keys.len(), qry_keys.len() <= ref_keys.len());
            let kept_qry: std::collections::BTreeMap<_, &AaMotif> =
                in_qry.iter().map(|m| (key(m), m)).collect();
            for m in &in_ref {
                if let Some(q) = kept_qry.get(&key(m)).filter(|_| seen.insert(key(m))) {
                    let ref_seq = if refs_smaller { &m.seq } else { &q.seq };
                    let qry_seq = if qrys_smaller { &q.seq } else { &m.seq };
                    changes.preserved.push(mutation(m, ref_seq.clone(), qry_seq.clone()));
                }
            }
            for list in
                [&mut changes.preserved, &mut changes.gained, &mut changes.lost, &mut changes.ambiguous]
            {
                list.sort();
            }
            changes.total = changes.gained.len() + changes.preserved.len();
            (name.to_owned(), changes)
        })
        .collect()
}

fn mutation(m: &AaMotif, ref_seq: String, qry_seq: String) -> AaMotifMutation {
    AaMotifMutation { name: m.name.clone(), cds: m.cds.clone(), position: m.position, ref_seq, qry_seq }
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
