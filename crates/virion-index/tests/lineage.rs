//! Pango lineage queries: a small hand-written alias key (always runs), then the real
//! `alias_key.json` and `lineage_notes.txt` from the shared data, where the sorted-range index is
//! also checked against a plain scan over every designated lineage.

use std::path::Path;

use virion_index::*;

/// A cut of the real alias key: the aliases and recombinants the cases below need.
const SMALL_KEY: &str = r#"{
    "A": "", "B": "",
    "AY": "B.1.617.2", "BA": "B.1.1.529", "BJ": "B.1.1.529.2.10.1", "BM": "B.1.1.529.2.75.3",
    "JN": "B.1.1.529.2.86.1", "KP": "B.1.1.529.2.86.1.1.11.1", "EG": "XBB.1.9.2",
    "XBB": ["BJ.1", "BM.1.1.1"], "XCQ": ["XBB.2.3", "XBB.1.5"], "XD": ["B.1.617.2*", "BA.1*"]
}"#;

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

/// The dictionary values `query` selects.
fn selected(index: &LineageIndex, dictionary: &[String], query: &str) -> Vec<String> {
    let codes = index.matching(query).unwrap_or_else(|e| panic!("{query}: {e}"));
    codes.iter().map(|&c| dictionary[c as usize].clone()).collect()
}

fn small() -> (LineageIndex, Vec<String>) {
    let aliases = PangoAliases::from_json(SMALL_KEY).unwrap();
    let dictionary = names(&[
        "AY.4",
        "B.1.617.2.1",
        "AY.1",
        "B.1.617.2",
        "BA.2.75",
        "JN.1",
        "JN.1.11.1",
        "KP.3",
        "BA.2.86",
        "XBB.1.5",
        "EG.5.1",
        "XBB",
        "XCQ",
        "XD",
        "Unassigned lineage",
        "B.10",
    ]);
    (LineageIndex::build(&aliases, &dictionary), dictionary)
}

#[test]
fn unalias_resolves_the_prefix_and_stops_at_recombinant_roots() {
    let aliases = PangoAliases::from_json(SMALL_KEY).unwrap();
    assert_eq!(aliases.unalias("BA.2.86"), "B.1.1.529.2.86");
    assert_eq!(aliases.unalias("JN.1"), "B.1.1.529.2.86.1.1");
    assert_eq!(aliases.unalias("jn.1"), "B.1.1.529.2.86.1.1");
    assert_eq!(aliases.unalias("XBB.1.5"), "XBB.1.5");
    assert_eq!(aliases.unalias("EG.5"), "XBB.1.9.2.5");
    assert_eq!(aliases.unalias("B.1"), "B.1");
    assert_eq!(aliases.parents_of_recombinant("XBB"), names(&["BJ.1", "BM.1.1.1"]));
    assert_eq!(aliases.parents_of_recombinant("XD"), names(&["B.1.617.2", "BA.1"]));
    assert!(aliases.parents_of_recombinant("BA").is_empty());
}

#[test]
fn sublineages_follow_aliases() {
    let (index, dictionary) = small();
    let q = |query| selected(&index, &dictionary, query);
    assert_eq!(q("BA.2.86*"), names(&["JN.1", "JN.1.11.1", "KP.3", "BA.2.86"]));
    assert_eq!(q("BA.2.86.*"), q("BA.2.86*"));
    assert_eq!(q("B.1.617.2*"), names(&["AY.4", "B.1.617.2.1", "AY.1", "B.1.617.2"]));
    assert_eq!(
        q("B.1*"),
        names(&[
            "AY.4",
            "B.1.617.2.1",
            "AY.1",
            "B.1.617.2",
            "BA.2.75",
            "JN.1",
            "JN.1.11.1",
            "KP.3",
            "BA.2.86"
        ])
    );
    assert_eq!(q("B.1"), Vec::<String>::new(), "no row is B.1 itself; B.10 is not under B.1");
}

#[test]
fn exact_queries_compare_unaliased_names_case_insensitively() {
    let (index, dictionary) = small();
    let q = |query| selected(&index, &dictionary, query);
    assert_eq!(q("AY.1"), names(&["B.1.617.2.1", "AY.1"]));
    assert_eq!(q("B.1.617.2.1"), q("AY.1"));
    assert_eq!(q("ay.1"), q("AY.1"));
    assert_eq!(q("b.1.1.529.2.86.1.1*"), q("JN.1*"));
    assert_eq!(q("jn.1*"), names(&["JN.1", "JN.1.11.1", "KP.3"]));
}

#[test]
fn recombinants_are_not_followed_from_their_parents() {
    let (index, dictionary) = small();
    let q = |query| selected(&index, &dictionary, query);
    // XBB's own sublineages, aliased ones included; XCQ (XBB.2.3 × XBB.1.5) is not followed.
    assert_eq!(q("XBB*"), names(&["XBB.1.5", "EG.5.1", "XBB"]));
    assert_eq!(q("XBB.1.9.2*"), names(&["EG.5.1"]));
    // Both parents of XBB lie under BA.2, and of XD under B.1: still not followed.
    assert_eq!(q("BA.2*"), names(&["BA.2.75", "JN.1", "JN.1.11.1", "KP.3", "BA.2.86"]));
    assert!(!q("B*").contains(&"XD".to_owned()));
    assert_eq!(q("XCQ*"), names(&["XCQ"]));
}

#[test]
fn unknown_lineages_match_nothing_and_malformed_queries_fail() {
    let (index, _) = small();
    for unknown in ["BA.99", "ZZZ.1*", "XZZ", "A*"] {
        assert_eq!(index.matching(unknown).unwrap(), Vec::<u32>::new(), "{unknown}");
    }
    for (bad, problem) in [
        ("", NameProblem::Empty),
        ("*", NameProblem::Empty),
        ("BA.2.", NameProblem::EmptyComponent),
        ("BA..2", NameProblem::EmptyComponent),
        (".BA", NameProblem::EmptyComponent),
        ("BA.2**", NameProblem::NotANumber),
        ("BA.x", NameProblem::NotANumber),
        ("BA.2; drop", NameProblem::NotANumber),
        ("2.1", NameProblem::NoLetters),
        (" BA.2", NameProblem::NoLetters),
    ] {
        match index.matching(bad) {
            Err(LineageError::Malformed { value, problem: got }) => {
                assert_eq!((value.as_str(), got), (bad, problem));
            }
            other => panic!("{bad:?}: {other:?}"),
        }
    }
    let message = index.matching("BA.2.").unwrap_err().to_string();
    assert!(message.contains("\"BA.2.\""), "{message}");
}

#[test]
fn bad_alias_keys_are_refused_with_the_entry() {
    assert!(matches!(PangoAliases::from_json("[1]"), Err(LineageError::NotAnObject)));
    assert!(matches!(PangoAliases::from_json("{"), Err(LineageError::Json(_))));
    assert!(matches!(
        PangoAliases::from_json(r#"{"BA": 5}"#),
        Err(LineageError::ValueType { alias }) if alias == "BA"
    ));
    assert!(matches!(
        PangoAliases::from_json(r#"{"BA": "B.1..529"}"#),
        Err(LineageError::BadEntry { alias, problem: NameProblem::EmptyComponent, .. }) if alias == "BA"
    ));
    assert!(matches!(
        PangoAliases::from_json(r#"{"XA": ["B.1.1.7", "BA.x"]}"#),
        Err(LineageError::BadEntry { alias, value, .. }) if alias == "XA" && value == "BA.x"
    ));
}

#[test]
fn codes_select_rows_through_the_index() {
    let schema = Schema {
        metadata: vec![("pangoLineage".into(), ColumnType::String { indexed: true })],
        segments: vec![],
        genes: vec![],
    };
    let mut index = Index::new(&schema).unwrap();
    for lineage in [Some("AY.4"), Some("BA.2.86"), None, Some("JN.1"), Some("AY.4"), Some("BA.2.75")] {
        let value = lineage.map_or(Value::Null, |l| Value::String(l.to_owned()));
        index.push(RowInput { metadata: vec![value], ..RowInput::default() }).unwrap();
    }
    let column = index.column("pangoLineage").unwrap();
    let aliases = PangoAliases::from_json(SMALL_KEY).unwrap();
    let lineages = LineageIndex::build(&aliases, &index.columns[column].distinct());
    let rows = |query| {
        let codes = lineages.matching(query).unwrap();
        index.evaluate(&Filter::StringCodes { column, codes }).iter().collect::<Vec<u32>>()
    };
    assert_eq!(rows("BA.2.86*"), [1, 3]);
    assert_eq!(rows("B.1.617.2*"), [0, 4]);
    assert_eq!(rows("XBB*"), Vec::<u32>::new());
}

#[test]
fn lineage_definition_lists_implied_ancestors_and_other_spellings() {
    let aliases = PangoAliases::from_json(SMALL_KEY).unwrap();
    let dictionary = names(&["AY.4", "B.1.617.2.1", "XBB.1.5", "EG.5.1", "Y"]);
    let yaml = LineageIndex::build(&aliases, &dictionary).lineage_definition_yaml();
    for block in [
        "B:\n  parents: []\n  aliases: []\n",
        "B.1.617.2:\n  parents:\n  - B.1.617\n  aliases: []\n",
        "AY.1:\n  parents:\n  - B.1.617.2\n  aliases:\n  - B.1.617.2.1\n",
        "AY.4:\n  parents:\n  - B.1.617.2\n  aliases:\n  - B.1.617.2.4\n",
        "XBB:\n  parents:\n  - BJ.1\n  - BM.1.1.1\n  aliases: []\n",
        "EG.5.1:\n  parents:\n  - EG.5\n  aliases:\n  - XBB.1.9.2.5.1\n",
        "XBB.1.9.2:\n  parents:\n  - XBB.1.9\n  aliases: []\n",
        "BA.2.10.1:\n",
        "\"Y\":\n  parents: []\n  aliases: []\n",
    ] {
        assert!(yaml.contains(block), "missing\n{block}in\n{yaml}");
    }
    assert!(!yaml.contains("EG:\n"), "EG is an alias, not a lineage");
    check_closed(&yaml);
}

/// Every parent is itself a label listed before its child (guaranteed for Pango parents; for
/// recombinant parents it holds in the real key, whose recombinants name earlier lineages).
fn check_closed(yaml: &str) {
    let mut seen: Vec<&str> = Vec::new();
    let mut in_parents = false;
    for line in yaml.lines() {
        if let Some(label) = line.strip_suffix(':').filter(|l| !l.starts_with(' ')) {
            assert!(!seen.contains(&label), "{label} twice");
            seen.push(label);
        } else if line.starts_with("  parents:") {
            in_parents = true;
        } else if line.starts_with("  aliases:") {
            in_parents = false;
        } else if let Some(parent) = line.strip_prefix("  - ").filter(|_| in_parents) {
            let label = seen.last().expect("a label first");
            assert!(seen.contains(&parent), "{label}: parent {parent} is not listed before it");
        }
    }
}

/// The real alias key and the designated lineages of `lineage_notes.txt` (withdrawn ones, marked
/// `*`, left out), or `None` when the shared data is absent.
fn real() -> Option<(PangoAliases, Vec<String>)> {
    let data = virion_testdata::shared_data()?;
    let dir = data.join("pango");
    let read = |name: &str| {
        let path: &Path = &dir.join(name);
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    };
    let aliases = PangoAliases::from_json(&read("alias_key.json")).expect("real alias key parses");
    let lineages = read("lineage_notes.txt")
        .lines()
        .skip(1)
        .filter_map(|line| line.split('\t').next())
        .filter(|name| !name.is_empty() && !name.starts_with('*'))
        .map(str::to_owned)
        .collect();
    Some((aliases, lineages))
}

#[test]
fn real_alias_key_answers_the_lapis_examples() {
    let Some((aliases, lineages)) = real() else { return };
    assert_eq!(aliases.unalias("BA.2.86"), "B.1.1.529.2.86");
    assert_eq!(aliases.unalias("JN.1"), "B.1.1.529.2.86.1.1");
    assert_eq!(aliases.unalias("EG.5"), "XBB.1.9.2.5");
    assert_eq!(aliases.unalias("XBB.1.5"), "XBB.1.5");
    assert_eq!(aliases.parents_of_recombinant("XBB"), names(&["BJ.1", "BM.1.1.1"]));

    let index = LineageIndex::build(&aliases, &lineages);
    let q = |query| selected(&index, &lineages, query);
    let has = |list: &[String], name: &str| list.iter().any(|l| l == name);

    let ba_2_86 = q("BA.2.86*");
    assert!(has(&ba_2_86, "JN.1") && has(&ba_2_86, "JN.1.11.1") && has(&ba_2_86, "KP.3"));
    assert!(!has(&ba_2_86, "BA.2.75") && !has(&ba_2_86, "BA.2"));
    assert_eq!(q("ba.2.86*"), ba_2_86);
    assert_eq!(q("B.1.1.529.2.86*"), ba_2_86);

    let delta = q("B.1.617.2*");
    assert!(has(&delta, "AY.4") && has(&delta, "AY.1") && has(&delta, "B.1.617.2"));
    assert!(!has(&delta, "XD"), "recombinants are not followed");
    assert_eq!(q("B.1.617.2.1"), ["AY.1"]);
    assert_eq!(q("ay.1"), ["AY.1"]);

    let xbb = q("XBB*");
    assert!(has(&xbb, "XBB") && has(&xbb, "XBB.1.5") && has(&xbb, "EG.5") && has(&xbb, "HK.3"));
    for not_followed in ["XCQ", "XBW", "XDB", "BA.2"] {
        assert!(!has(&xbb, not_followed), "{not_followed}");
    }
    assert!(!has(&q("BA.2*"), "XBB"));

    assert_eq!(index.matching("BA.2.999").unwrap(), Vec::<u32>::new());
    assert!(matches!(index.matching("BA.2.*.1"), Err(LineageError::Malformed { .. })));
}

/// The sorted-range answer against a scan that unaliases every value and compares by hand, for
/// every designated lineage (exact and with `*`) over a dictionary that also holds unaliased and
/// lower-case spellings.
#[test]
fn real_lineages_agree_with_a_plain_scan() {
    let Some((aliases, designated)) = real() else { return };
    let mut dictionary = designated.clone();
    dictionary.extend(designated.iter().step_by(7).map(|l| aliases.unalias(l)));
    dictionary.extend(designated.iter().step_by(11).map(|l| l.to_lowercase()));
    dictionary.push("Unassigned".to_owned());
    let index = LineageIndex::build(&aliases, &dictionary);
    let full: Vec<String> = dictionary.iter().map(|v| aliases.unalias(v)).collect();
    let mut checked = 0;
    for lineage in designated.iter().step_by(3) {
        let target = aliases.unalias(lineage);
        let under = format!("{target}.");
        for (query, with_sublineages) in [(lineage.clone(), false), (format!("{lineage}*"), true)] {
            let scan: Vec<u32> = (0..dictionary.len() as u32)
                .filter(|&c| {
                    let f = &full[c as usize];
                    *f == target || (with_sublineages && f.starts_with(&under))
                })
                .collect();
            assert_eq!(index.matching(&query).unwrap(), scan, "{query}");
            checked += 1;
        }
    }
    assert!(checked > 3000, "{checked}");
}

#[test]
fn real_lineage_definition_is_closed() {
    let Some((aliases, lineages)) = real() else { return };
    let yaml = LineageIndex::build(&aliases, &lineages).lineage_definition_yaml();
    check_closed(&yaml);
    assert!(yaml.contains(
        "\nJN.1:\n  parents:\n  - BA.2.86.1\n  aliases:\n  - B.1.1.529.2.86.1.1\n  - BA.2.86.1.1\n"
    ));
    assert!(yaml.contains("\nXBB:\n  parents:\n  - BJ.1\n  - BM.1.1.1\n"));
}
