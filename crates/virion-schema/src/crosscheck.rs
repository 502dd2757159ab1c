//! Pairing FASTA records with metadata rows by submission id. The metadata ids are held in a
//! map; FASTA names stream through, so a million-record FASTA costs one pass and no copy.

use std::collections::{HashMap, HashSet};

use crate::issue::{Issue, IssueKind, Severity};

/// Checks that every FASTA record has a metadata row and every row a record. `fasta_names`
/// yields each record's name (the header line after `>`) with its 1-based record number; a name
/// matches an id exactly, or by its first word when the rest is a description.
/// `metadata_ids` maps each submission id to its line.
pub fn cross_check<S: AsRef<str>>(
    fasta_file: &str,
    fasta_names: impl IntoIterator<Item = (S, u64)>,
    metadata_file: &str,
    metadata_ids: &HashMap<String, u64>,
) -> Vec<Issue> {
    let mut issues = Vec::new();
    let mut matched: HashSet<&str> = HashSet::new();
    let mut record_numbers: HashMap<&str, u64> = HashMap::new();
    for (name, record) in fasta_names {
        let name = name.as_ref().trim();
        let first_word = name.split_whitespace().next().unwrap_or("");
        let id = [name, first_word]
            .into_iter()
            .find_map(|n| metadata_ids.get_key_value(n).map(|(k, _)| k.as_str()));
        let issue = |kind, message: String| record_issue(fasta_file, name, record, kind, message);
        match id {
            Some(id) => {
                if let Some(first) = record_numbers.insert(id, record) {
                    let message = format!(
                        "a second sequence for '{id}' (the first is record {first}); send one sequence per id"
                    );
                    issues.push(issue(IssueKind::DuplicateRecord, message));
                }
                matched.insert(id);
            }
            None => {
                let message = format!(
                    "no row of {metadata_file} has this submission id; add a row or remove the sequence"
                );
                issues.push(issue(IssueKind::RecordWithoutMetadata, message));
            }
        }
    }
    issues.extend(rows_without_record(
        metadata_file,
        metadata_ids,
        |id| matched.contains(id),
        |id| format!("no sequence in {fasta_file} is named '{id}'; add it or remove the row"),
    ));
    issues
}

/// A `MetadataWithoutRecord` error for each row no record matched, in line order.
fn rows_without_record(
    metadata_file: &str,
    metadata_ids: &HashMap<String, u64>,
    matched: impl Fn(&str) -> bool,
    message: impl Fn(&str) -> String,
) -> Vec<Issue> {
    let mut unmatched: Vec<(&String, &u64)> = metadata_ids.iter().filter(|(id, _)| !matched(id)).collect();
    unmatched.sort_by_key(|&(_, line)| *line);
    unmatched
        .into_iter()
        .map(|(id, line)| Issue {
            severity: Severity::Error,
            kind: IssueKind::MetadataWithoutRecord,
            file: metadata_file.to_owned(),
            line: Some(*line),
            column: None,
            value: Some(id.clone()),
            message: message(id),
        })
        .collect()
}

/// One FASTA record of a segmented organism as the cross-check needs it: its name, its
/// 1-based number in the file, and the segment its sequence matched (by minimizer matching;
/// `None`: no segment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentRecord {
    /// The record's name (its header line without `>`).
    pub name: String,
    /// Its 1-based number in the FASTA file.
    pub record: u64,
    /// The segment its sequence belongs to, as detected; `None` when it matches none.
    pub detected: Option<String>,
}

/// An error about FASTA record number `record` (1-based) called `name`.
fn record_issue(fasta_file: &str, name: &str, record: u64, kind: IssueKind, message: String) -> Issue {
    Issue {
        severity: Severity::Error,
        kind,
        file: fasta_file.to_owned(),
        line: None,
        column: None,
        value: Some(name.to_owned()),
        message: format!("record {record}: {message}"),
    }
}

/// What [`cross_check_segments`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentCheck {
    /// The issues, at most the `max_issues` asked for.
    pub issues: Vec<Issue>,
    /// How many more issues there were.
    pub unlisted: usize,
    /// Per record in file order, the (submission id, segment) it is; `None` for a record with
    /// an issue.
    pub pairing: Vec<Option<(String, String)>>,
}

/// The cross-check of a segmented organism's submission: each FASTA record is one segment of
/// one sample. A record is named by the sample's submission id (its segment is the one its
/// sequence matched) or `<submission id>_<segment>` (the closest peer's convention; the
/// sequence must then match that segment), or by a name a row lists in its FASTA-ids column
/// (`fasta_ids`: record name → submission id). A sample may lack segments (real submissions
/// often do); it needs at least one.
pub fn cross_check_segments(
    fasta_file: &str,
    records: impl IntoIterator<Item = SegmentRecord>,
    metadata_file: &str,
    metadata_ids: &HashMap<String, u64>,
    fasta_ids: &HashMap<String, String>,
    segments: &[String],
    max_issues: usize,
) -> SegmentCheck {
    let mut issues = Vec::new();
    let mut unlisted = 0usize;
    // Millions of bad records must not mean millions of issues held: past `max_issues` they
    // are only counted.
    let mut report = |issues: &mut Vec<Issue>, issue: Issue| {
        if issues.len() < max_issues {
            issues.push(issue);
        } else {
            unlisted += 1;
        }
    };
    let mut pairing = Vec::new();
    let mut matched: HashSet<String> = HashSet::new();
    let mut seen: HashMap<(String, String), u64> = HashMap::new();
    let known = segments.join(", ");
    for SegmentRecord { name, record, detected } in records {
        let name = name.trim();
        let first_word = name.split_whitespace().next().unwrap_or("");
        let issue = |kind, message: String| record_issue(fasta_file, name, record, kind, message);
        // The whole name or its first word is listed by a row, or is an id, or either is
        // `<id>_<segment>`.
        let listed =
            [name, first_word].into_iter().find_map(|n| fasta_ids.get(n)).map(|id| (id.as_str(), None));
        let by_id =
            || [name, first_word].into_iter().find(|n| metadata_ids.contains_key(*n)).map(|n| (n, None));
        let by_suffix = || {
            [name, first_word].into_iter().find_map(|n| {
                let (id, suffix) = n.rsplit_once('_')?;
                let segment = segments.iter().find(|s| s.eq_ignore_ascii_case(suffix))?;
                metadata_ids.contains_key(id).then_some((id, Some(segment.as_str())))
            })
        };
        let Some((id, claimed)) = listed.or_else(by_id).or_else(by_suffix) else {
            let message = format!(
                "no row of {metadata_file} has this submission id; name the record by its row's id, or as <id>_<segment> with a segment of {known}"
            );
            report(&mut issues, issue(IssueKind::RecordWithoutMetadata, message));
            pairing.push(None);
            continue;
        };
        matched.insert(id.to_owned());
        let segment = match (claimed, detected.as_deref()) {
            (_, None) => {
                let message = format!(
                    "its sequence matches no segment of this organism ({known}); check that it is this organism's genome, and not too short or too divergent to recognise"
                );
                report(&mut issues, issue(IssueKind::UnknownSegment, message));
                pairing.push(None);
                continue;
            }
            (Some(claimed), Some(detected)) if claimed != detected => {
                let message = format!(
                    "named as segment '{claimed}', but its sequence matches segment '{detected}'; fix the name or the sequence"
                );
                report(&mut issues, issue(IssueKind::SegmentMismatch, message));
                pairing.push(None);
                continue;
            }
            (_, Some(detected)) => detected.to_owned(),
        };
        if let Some(first) = seen.insert((id.to_owned(), segment.clone()), record) {
            let message = format!(
                "a second sequence of segment '{segment}' for '{id}' (the first is record {first}); send one sequence per segment"
            );
            report(&mut issues, issue(IssueKind::DuplicateRecord, message));
            pairing.push(None);
            continue;
        }
        pairing.push(Some((id.to_owned(), segment)));
    }
    let unmatched = rows_without_record(
        metadata_file,
        metadata_ids,
        |id| matched.contains(id),
        |id| {
            format!(
                "no sequence in {fasta_file} is named '{id}' or '{id}_<segment>'; add one or remove the row"
            )
        },
    );
    for issue in unmatched {
        report(&mut issues, issue);
    }
    SegmentCheck { issues, unlisted, pairing }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unmatched_on_both_sides_and_duplicates() {
        let ids: HashMap<String, u64> =
            [("a", 2), ("b", 3), ("c", 4)].into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        let names = [("a", 1), ("b some description", 2), ("x", 3), ("a", 4)];
        let issues = cross_check("s.fasta", names, "m.tsv", &ids);
        let kinds: Vec<_> = issues.iter().map(|i| (i.kind, i.value.clone().unwrap())).collect();
        assert_eq!(
            kinds,
            vec![
                (IssueKind::RecordWithoutMetadata, "x".into()),
                (IssueKind::DuplicateRecord, "a".into()),
                (IssueKind::MetadataWithoutRecord, "c".into()),
            ]
        );
        assert_eq!(issues[2].line, Some(4));
        assert!(issues[0].message.contains("record 3"), "{}", issues[0]);
        assert!(cross_check("s", [("a", 1), ("b", 2), ("c", 3)], "m", &ids).is_empty());
    }

    #[test]
    fn segment_records_pair_by_id_or_suffix_and_must_match_their_segment() {
        let ids: HashMap<String, u64> =
            [("s1", 2), ("s2", 3), ("s3", 4)].into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        let segments: Vec<String> = ["pb2", "ha", "na"].map(String::from).to_vec();
        let rec = |name: &str, record, detected: Option<&str>| SegmentRecord {
            name: name.into(),
            record,
            detected: detected.map(String::from),
        };
        let records = vec![
            rec("s1_ha", 1, Some("ha")),
            rec("s1_NA some text", 2, Some("na")),
            rec("s2", 3, Some("pb2")),
            rec("s2_ha", 4, Some("na")),
            rec("s2_pb2", 5, Some("pb2")),
            rec("s1", 6, None),
            rec("zz_ha", 7, Some("ha")),
        ];
        let listed: HashMap<String, String> = [("seq-9".to_owned(), "s3".to_owned())].into_iter().collect();
        let mut records = records;
        records.push(rec("seq-9", 8, Some("na")));
        let check = cross_check_segments("s.fasta", records.clone(), "m.tsv", &ids, &listed, &segments, 100);
        let (issues, pairing) = (check.issues, check.pairing);
        let capped = cross_check_segments("s.fasta", records, "m.tsv", &ids, &listed, &segments, 2);
        assert_eq!((capped.issues.len(), capped.unlisted), (2, 2));
        let pair = |id: &str, s: &str| Some((id.to_owned(), s.to_owned()));
        assert_eq!(
            pairing,
            vec![
                pair("s1", "ha"),
                pair("s1", "na"),
                pair("s2", "pb2"),
                None,
                None,
                None,
                None,
                pair("s3", "na")
            ]
        );
        let kinds: Vec<_> = issues.iter().map(|i| (i.kind, i.value.clone().unwrap())).collect();
        assert_eq!(
            kinds,
            vec![
                (IssueKind::SegmentMismatch, "s2_ha".into()),
                (IssueKind::DuplicateRecord, "s2_pb2".into()),
                (IssueKind::UnknownSegment, "s1".into()),
                (IssueKind::RecordWithoutMetadata, "zz_ha".into()),
            ]
        );
        assert!(
            issues[2].message.contains("matches no segment of this organism (pb2, ha, na)"),
            "{}",
            issues[2]
        );
    }
}
