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
        let issue = |kind, message: String| Issue {
            severity: Severity::Error,
            kind,
            file: fasta_file.to_owned(),
            line: None,
            column: None,
            value: Some(name.to_owned()),
            message: format!("record {record}: {message}"),
        };
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
    let mut unmatched: Vec<(&String, &u64)> =
        metadata_ids.iter().filter(|(id, _)| !matched.contains(id.as_str())).collect();
    unmatched.sort_by_key(|&(_, line)| *line);
    for (id, line) in unmatched {
        issues.push(Issue {
            severity: Severity::Error,
            kind: IssueKind::MetadataWithoutRecord,
            file: metadata_file.to_owned(),
            line: Some(*line),
            column: None,
            value: Some(id.clone()),
            message: format!("no sequence in {fasta_file} is named '{id}'; add it or remove the row"),
        });
    }
    issues
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
}
