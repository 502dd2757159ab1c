//! Hostile query text: arbitrary Unicode and grammar-shaped strings through every parser of
//! LAPIS input (advancedQuery, variantQuery, mutations, insertions, any parameter), then through
//! evaluation on a small index. Each must answer or refuse with a `QueryError`; none may panic.
//! `PROPTEST_CASES` raises the number of cases for a long run off CI (docs/BENCHMARKS.md).

use proptest::prelude::*;
use virion_index::*;
use virion_query::*;

const REFERENCE: &str = "ACGTACGTACGTACGTACGT";

fn index() -> Index {
    let schema = Schema {
        metadata: vec![
            ("key".into(), ColumnType::String { indexed: false }),
            ("country".into(), ColumnType::String { indexed: true }),
            ("age".into(), ColumnType::Int),
            ("qc".into(), ColumnType::Float),
            ("vaccinated".into(), ColumnType::Boolean),
            ("date".into(), ColumnType::Date),
            ("pangoLineage".into(), ColumnType::String { indexed: true }),
        ],
        segments: vec![("main".into(), REFERENCE.as_bytes().to_vec())],
        genes: vec![("S".into(), b"MFVFLVLLPLVS*".to_vec())],
    };
    let mut index = Index::new(&schema).unwrap();
    for (i, genome) in
        ["ACGTACGTACGTACGTACGT", "ACRTACGTNNNNACGTAC-T", "TCGTACGTACGAACGTACGA"].iter().enumerate()
    {
        index
            .push(RowInput {
                metadata: vec![
                    Value::String(format!("k{i}")),
                    Value::String(["CH", "DE", "Ünïcødé"][i].into()),
                    Value::Int(30 + i as i64),
                    Value::Float(0.5),
                    Value::Boolean(i % 2 == 0),
                    Value::Date(chrono::NaiveDate::from_ymd_opt(2024, 1, 1 + i as u32).unwrap()),
                    Value::String(["B.1.1.7", "JN.1", "XBB.1.5"][i].into()),
                ],
                segments: vec![SeqInput::Aligned(genome.as_bytes().to_vec())],
                genes: vec![SeqInput::Aligned(b"MFVFLVLLPLVS*".to_vec())],
                ..RowInput::default()
            })
            .unwrap();
    }
    index
}

/// Pieces of the advancedQuery / variantQuery grammar, with hostile neighbours (multi-byte
/// letters at keyword boundaries, unbalanced brackets, huge numbers).
fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("[".to_owned()),
        Just("]".to_owned()),
        Just("(".to_owned()),
        Just(")".to_owned()),
        Just("&".to_owned()),
        Just("|".to_owned()),
        Just("!".to_owned()),
        Just(",".to_owned()),
        Just(" AND ".to_owned()),
        Just(" OR ".to_owned()),
        Just("NOT ".to_owned()),
        Just("MAYBE(".to_owned()),
        Just("IsNull(".to_owned()),
        Just("exactly-".to_owned()),
        Just("exactlé-".to_owned()),
        Just("-of:".to_owned()),
        Just("-øf:".to_owned()),
        Just("2-of:".to_owned()),
        Just("99999999999999999999".to_owned()),
        Just("ins_".to_owned()),
        Just("insé".to_owned()),
        Just("ins_S:3:".to_owned()),
        Just("C3T".to_owned()),
        Just("3".to_owned()),
        Just("3-".to_owned()),
        Just("S:2".to_owned()),
        Just("S:2L".to_owned()),
        Just("main:4T".to_owned()),
        Just("country=".to_owned()),
        Just("age>=".to_owned()),
        Just("date<=".to_owned()),
        Just("'quoted \\' value'".to_owned()),
        Just("'".to_owned()),
        Just("JN.1*".to_owned()),
        Just("nextcladePangoLineage:".to_owned()),
        Just("é".to_owned()),
        Just("日本".to_owned()),
        Just("\u{0301}".to_owned()),
        Just("🦠".to_owned()),
        "[A-Za-z0-9_.*:?-]{0,6}".prop_map(|s| s),
        any::<char>().prop_map(|c| c.to_string()),
    ]
}

fn grammar_shaped() -> impl Strategy<Value = String> {
    prop::collection::vec(token(), 0..24).prop_map(|t| t.concat())
}

/// Runs a request through selection and every table endpoint; refusals are fine, panics are not.
fn run(index: &QueryIndex, request: &LapisRequest) {
    let visible = index.index.all();
    let part = execute::Part { index, visible: &visible };
    let _ = index.select(request, &visible);
    for endpoint in [
        execute::Endpoint::Aggregated,
        execute::Endpoint::Details,
        execute::Endpoint::NucleotideMutations,
        execute::Endpoint::AminoAcidMutations,
        execute::Endpoint::NucleotideInsertions,
        execute::Endpoint::AminoAcidInsertions,
    ] {
        let _ = execute::table(&[part], endpoint, request, &execute::Budget::default());
    }
}

fn lapis_key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("advancedQuery".to_owned()),
        Just("variantQuery".to_owned()),
        Just("nucleotideMutations".to_owned()),
        Just("aminoAcidMutations".to_owned()),
        Just("nucleotideInsertions".to_owned()),
        Just("aminoAcidInsertions".to_owned()),
        Just("fields".to_owned()),
        Just("orderBy".to_owned()),
        Just("limit".to_owned()),
        Just("offset".to_owned()),
        Just("minProportion".to_owned()),
        Just("dataFormat".to_owned()),
        Just("country".to_owned()),
        Just("ageFrom".to_owned()),
        Just("qcTo".to_owned()),
        Just("dateFrom".to_owned()),
        Just("vaccinated".to_owned()),
        Just("pangoLineage".to_owned()),
        Just("key.regex".to_owned()),
        Just("country$regex".to_owned()),
        Just("fastaHeaderTemplate".to_owned()),
        Just("phyloTreeField".to_owned()),
        Just("compression".to_owned()),
        "[a-zA-Z.$]{0,12}".prop_map(|s| s),
        any::<String>(),
    ]
}

fn lapis_value() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        1 => Just(None),
        3 => grammar_shaped().prop_map(Some),
        1 => any::<String>().prop_map(Some),
        1 => prop_oneof![
            Just("-1"), Just("18446744073709551616"), Just("NaN"), Just("inf"), Just("1e400"),
            Just("2024-02-30"), Just("random"), Just("mutation"), Just("S[2]"), Just("main[999999]"),
            Just("date.isoWeek"), Just("(((((((("), Just("[0-of:"), Just("JN.1*"),
        ]
        .prop_map(|s| Some(s.to_owned())),
    ]
}

proptest! {
    #[test]
    fn any_text_is_parsed_or_refused(text in any::<String>()) {
        let _ = parse_advanced(&text);
        let _ = parse_variant_query(&text);
        let _ = mutation::parse(&text, false, "nucleotideMutations");
        let _ = mutation::parse(&text, true, "aminoAcidMutations");
        let _ = parse_insertion(&text, "nucleotideInsertions");
        let _ = parse_group_field(&index(), &text);
    }

    #[test]
    fn grammar_shaped_queries_are_answered_or_refused(text in grammar_shaped()) {
        let index = QueryIndex { index: index(), lineage: None };
        for key in ["advancedQuery", "variantQuery"] {
            match LapisRequest::from_pairs(vec![(key.to_owned(), vec![Some(text.clone())])]) {
                Ok(request) => run(&index, &request),
                Err(e) => prop_assert!(!e.to_string().is_empty()),
            }
        }
    }

    #[test]
    fn any_parameters_are_answered_or_refused(
        pairs in prop::collection::vec((lapis_key(), prop::collection::vec(lapis_value(), 0..3)), 0..5)
    ) {
        let index = QueryIndex { index: index(), lineage: None };
        if let Ok(request) = LapisRequest::from_pairs(pairs) {
            run(&index, &request);
        }
    }
}

/// The inputs that panicked a worker before (byte slicing inside a multi-byte letter).
#[test]
fn multi_byte_letters_at_keyword_boundaries_are_refused_not_panics() {
    for text in ["[exactlé-2-of: C3T, A4G]", "[2-øf: C3T]", "insé", "C3T & é", "[日本", "NOTé", "ANDé"]
    {
        let outcome = parse_advanced(text);
        if let Err(e) = outcome {
            assert!(e.to_string().contains("advancedQuery"), "{text}: {e}");
        }
    }
}
