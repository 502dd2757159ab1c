//! `/query/parse` answers LAPIS's SILO filter expressions. The expectations are those of
//! LAPIS's own tests (`lapis/src/test/kotlin/org/genspectrum/lapis/model/AdvancedQueryFacadeTest.kt`,
//! `…/silo/SiloQueryTest.kt` for the JSON shapes, `lapis-e2e/test/queryParse.spec.ts` for full
//! validation) over the same schema: one segment `main`, genes `S` and `ORF1a`, a lineage
//! column `pangoLineage`. JSON is compared as text: fields in LAPIS's order, `"type"` last.

use serde_json::json;
use virion_index::*;
use virion_query::silo_filter::{SiloFilter, parse_queries, parse_silo_filter};
use virion_query::*;

fn query_index(segments: &[(&str, usize)]) -> QueryIndex {
    let schema = Schema {
        metadata: vec![
            ("primaryKey".into(), ColumnType::String { indexed: false }),
            ("pangoLineage".into(), ColumnType::String { indexed: true }),
            ("some_metadata".into(), ColumnType::String { indexed: false }),
            ("date".into(), ColumnType::Date),
            ("intField".into(), ColumnType::Int),
            ("floatField".into(), ColumnType::Float),
            ("test_boolean_column".into(), ColumnType::Boolean),
            ("country".into(), ColumnType::String { indexed: true }),
        ],
        segments: segments.iter().map(|(n, len)| ((*n).to_owned(), b"ACGT".repeat(len / 4))).collect(),
        genes: vec![("S".into(), b"MFVFLVLLPL".to_vec()), ("ORF1a".into(), b"MESLV".to_vec())],
    };
    let index = Index::new(&schema).unwrap();
    let lineage = LineageIndex::build(&PangoAliases::default(), &["B.1.1.7", "JN.1"]);
    QueryIndex { index, lineage: Some((1, lineage)) }
}

/// Single-segmented: `main` of 2,000 nucleotides.
fn single() -> QueryIndex {
    query_index(&[("main", 2000)])
}

/// The `/query/parse` entry for one query, as JSON text.
fn entry(ix: &QueryIndex, query: &str, full: bool) -> String {
    serde_json::to_string(&parse_queries(ix, &[query.to_owned()], full)[0]).unwrap()
}

fn success(ix: &QueryIndex, query: &str) -> String {
    let e = entry(ix, query, false);
    let v: serde_json::Value = serde_json::from_str(&e).unwrap();
    assert_eq!(v["type"], "success", "{query}: {e}");
    serde_json::to_string(&v["filter"]).unwrap()
}

fn failure(ix: &QueryIndex, query: &str, full: bool) -> String {
    let e = entry(ix, query, full);
    let v: serde_json::Value = serde_json::from_str(&e).unwrap();
    assert_eq!(v["type"], "failure", "{query}: {e}");
    v["error"].as_str().unwrap().to_owned()
}

fn nuc(position: u32, symbol: &str) -> serde_json::Value {
    json!({"sequenceName": "main", "position": position, "symbol": symbol, "type": "NucleotideEquals"})
}

#[track_caller]
fn same(query: &str, got: String, expected: serde_json::Value) {
    assert_eq!(got, serde_json::to_string(&expected).unwrap(), "{query}");
}

#[test]
fn entries_are_filter_or_error_then_type() {
    let ix = single();
    assert_eq!(
        entry(&ix, "country = 'USA'", false),
        r#"{"filter":{"column":"country","value":"USA","type":"StringEquals"},"type":"success"}"#
    );
    let e = entry(&ix, "invalid syntax !!!", false);
    assert!(e.starts_with(r#"{"error":"Failed to parse advanced query (line 1:"#), "{e}");
    assert!(e.ends_with(r#"","type":"failure"}"#), "{e}");
    // Several queries, each answered on its own.
    let all = parse_queries(
        &ix,
        &["country = Switzerland".into(), "bad query".into(), "intField >= 30".into()],
        false,
    );
    let kinds: Vec<String> = all.iter().map(|p| p.to_json()["type"].as_str().unwrap().to_owned()).collect();
    assert_eq!(kinds, ["success", "failure", "success"]);
    assert!(parse_queries(&ix, &[], true).is_empty());
}

#[test]
fn the_complex_query_of_lapis_tests() {
    let ix = single();
    let q = "300G & (400- | 500B) & !600 & MAYBE(700B | 800-) & [3-of: 123A, 234T, 345G] & \
             pangoLineage=jn.1* & some_metadata.regex='^Democratic.*'";
    same(
        q,
        success(&ix, q),
        json!({"children": [
            {"column": "some_metadata", "searchExpression": "^Democratic.*", "type": "StringSearch"},
            {"column": "pangoLineage", "value": "jn.1", "includeSublineages": true, "type": "Lineage"},
            {"numberOfMatchers": 3, "matchExactly": false,
             "children": [nuc(123, "A"), nuc(234, "T"), nuc(345, "G")], "type": "N-Of"},
            {"child": {"children": [nuc(800, "-"), nuc(700, "B")], "type": "Or"}, "type": "Maybe"},
            {"child": {"sequenceName": "main", "position": 600, "type": "HasNucleotideMutation"}, "type": "Not"},
            {"children": [nuc(500, "B"), nuc(400, "-")], "type": "Or"},
            nuc(300, "G"),
        ], "type": "And"}),
    );
    // MAYBE around an And keeps it whole.
    let q = "MAYBE((700B | 800-) & !600 & [exactly-2-of: 123A, !234G]) & 300G";
    same(
        q,
        success(&ix, q),
        json!({"children": [
            nuc(300, "G"),
            {"child": {"children": [
                {"numberOfMatchers": 2, "matchExactly": true,
                 "children": [nuc(123, "A"), {"child": nuc(234, "G"), "type": "Not"}], "type": "N-Of"},
                {"child": {"sequenceName": "main", "position": 600, "type": "HasNucleotideMutation"}, "type": "Not"},
                {"children": [nuc(800, "-"), nuc(700, "B")], "type": "Or"},
            ], "type": "And"}, "type": "Maybe"},
        ], "type": "And"}),
    );
    // Words and symbols alike; nested ANDs in parentheses are flattened, reversed.
    let q = "(some_metadata='Turks and Caicos' AND 300G)&(some_metadata.regex='BANGAL' OR NOT S:501Y)";
    same(
        q,
        success(&ix, q),
        json!({"children": [
            {"children": [
                {"child": {"sequenceName": "S", "position": 501, "symbol": "Y", "type": "AminoAcidEquals"}, "type": "Not"},
                {"column": "some_metadata", "searchExpression": "BANGAL", "type": "StringSearch"},
            ], "type": "Or"},
            nuc(300, "G"),
            {"column": "some_metadata", "value": "Turks and Caicos", "type": "StringEquals"},
        ], "type": "And"}),
    );
}

#[test]
fn metadata_filters_follow_the_column_type() {
    let ix = single();
    let cases = [
        (
            "intField>=1 AND intField<=18",
            json!({"children": [
                {"column": "intField", "from": null, "to": 18, "type": "IntBetween"},
                {"column": "intField", "from": 1, "to": null, "type": "IntBetween"},
            ], "type": "And"}),
        ),
        (
            "floatField>=0 AND floatField<=10e-1",
            json!({"children": [
                {"column": "floatField", "from": null, "to": 1.0, "type": "FloatBetween"},
                {"column": "floatField", "from": 0.0, "to": null, "type": "FloatBetween"},
            ], "type": "And"}),
        ),
        (
            "date>=2020-01-01 AND date<=2021-01-01",
            json!({"children": [
                {"column": "date", "from": null, "to": "2021-01-01", "type": "DateBetween"},
                {"column": "date", "from": "2020-01-01", "to": null, "type": "DateBetween"},
            ], "type": "And"}),
        ),
        (
            "date=2020-01-01",
            json!({"column": "date", "from": "2020-01-01", "to": "2020-01-01", "type": "DateBetween"}),
        ),
        ("intField=1", json!({"column": "intField", "value": 1, "type": "IntEquals"})),
        ("floatField=0", json!({"column": "floatField", "value": 0.0, "type": "FloatEquals"})),
        (
            "test_boolean_column=TRUE",
            json!({"column": "test_boolean_column", "value": true, "type": "BooleanEquals"}),
        ),
        (
            "some_metadata='Côte d\\'Ivoire'",
            json!({"column": "some_metadata", "value": "Côte d'Ivoire", "type": "StringEquals"}),
        ),
        (
            "SOME_METADATA.ReGeX='value'",
            json!({"column": "some_metadata", "searchExpression": "value", "type": "StringSearch"}),
        ),
        (
            "PangoLineage=A.1.2.3",
            json!({"column": "pangoLineage", "value": "A.1.2.3", "includeSublineages": false, "type": "Lineage"}),
        ),
        (
            "pangolineage=A.1.2.3.*",
            json!({"column": "pangoLineage", "value": "A.1.2.3", "includeSublineages": true, "type": "Lineage"}),
        ),
        (
            "isNull(some_metadata) OR some_metadata='country'",
            json!({"children": [
                {"column": "some_metadata", "value": "country", "type": "StringEquals"},
                {"column": "some_metadata", "value": null, "type": "StringEquals"},
            ], "type": "Or"}),
        ),
        (
            "isNull(PangoLineage)",
            json!({"column": "pangoLineage", "value": null, "includeSublineages": false, "type": "Lineage"}),
        ),
        ("isNull(date)", json!({"column": "date", "type": "IsNull"})),
        (
            "isNull(intField) OR intField=5",
            json!({"children": [
                {"column": "intField", "value": 5, "type": "IntEquals"},
                {"column": "intField", "value": null, "type": "IntEquals"},
            ], "type": "Or"}),
        ),
        ("isNull(floatField)", json!({"column": "floatField", "value": null, "type": "FloatEquals"})),
        (
            "isNull(test_boolean_column)",
            json!({"column": "test_boolean_column", "value": null, "type": "BooleanEquals"}),
        ),
        (
            "NOT some_metadata = 'Switzerland'",
            json!({"child": {"column": "some_metadata", "value": "Switzerland", "type": "StringEquals"}, "type": "Not"}),
        ),
    ];
    for (q, expected) in cases {
        same(q, success(&ix, q), expected);
    }
}

#[test]
fn mutations_and_insertions() {
    let ix = single();
    let cases = [
        ("A300.", nuc(300, ".")),
        ("A300-", nuc(300, "-")),
        ("n300n", nuc(300, "N")),
        ("400", json!({"sequenceName": "main", "position": 400, "type": "HasNucleotideMutation"})),
        ("main:C241T", nuc(241, "T")),
        ("S:n501y", json!({"sequenceName": "S", "position": 501, "symbol": "Y", "type": "AminoAcidEquals"})),
        (
            "orf1a:N501Y",
            json!({"sequenceName": "ORF1a", "position": 501, "symbol": "Y", "type": "AminoAcidEquals"}),
        ),
        ("S:501*", json!({"sequenceName": "S", "position": 501, "symbol": "*", "type": "AminoAcidEquals"})),
        ("S:N501", json!({"sequenceName": "S", "position": 501, "type": "HasAminoAcidMutation"})),
        (
            "ins_1234:gAG",
            json!({"position": 1234, "value": "GAG", "sequenceName": "main", "type": "InsertionContains"}),
        ),
        (
            "iNs_1234:G?A?G",
            json!({"position": 1234, "value": "G.*A.*G", "sequenceName": "main", "type": "InsertionContains"}),
        ),
        (
            "ins_S:501:E?*E",
            json!({"position": 501, "value": "E.*\\*E", "sequenceName": "S", "type": "AminoAcidInsertionContains"}),
        ),
        (
            "ins_orF1a:501:EPE",
            json!({"position": 501, "value": "EPE", "sequenceName": "ORF1a", "type": "AminoAcidInsertionContains"}),
        ),
        (
            "ins_main:10:AC",
            json!({"position": 10, "value": "AC", "sequenceName": "main", "type": "InsertionContains"}),
        ),
    ];
    for (q, expected) in cases {
        same(q, success(&ix, q), expected);
    }
    // Multi-segmented: mutations and insertions name their segment.
    let multi = query_index(&[("L", 100), ("M", 40)]);
    same(
        "m:A12T",
        success(&multi, "m:A12T"),
        json!({"sequenceName": "M", "position": 12, "symbol": "T", "type": "NucleotideEquals"}),
    );
    for q in ["300G", "ins_12:A"] {
        assert_eq!(
            failure(&multi, q, false),
            "Reference genome is multi-segmented, you must specify segment as part of mutation query"
        );
    }
}

#[test]
fn lapis_errors() {
    let ix = single();
    let cases = [
        (
            "date<=2021.01.01",
            "'2021.01.01' is not a valid date: Text '2021.01.01' could not be parsed at index 4",
        ),
        (
            "date='jn.1* thisIsInvalid'",
            "'jn.1* thisIsInvalid' is not a valid date: Text 'jn.1* thisIsInvalid' could not be parsed at index 0",
        ),
        (
            "date=2021-02-30",
            "'2021-02-30' is not a valid date: Text '2021-02-30' could not be parsed: Invalid date 'FEBRUARY 30'",
        ),
        ("some_metadata<=2021.01.01", "expression <= cannot be used for field some_metadata of type STRING"),
        ("intField>=One", "'One' is not a valid integer"),
        ("intField=3000000000", "'3000000000' is not a valid integer"),
        ("floatField>=One", "'One' is not a valid float"),
        ("test_boolean_column=maybe", "'maybe' is not a valid boolean"),
        (
            "date.regex = 'this should not be allowed'",
            "Metadata field 'date' of type DATE does not support regex search. Only string fields do.",
        ),
        (
            "dateFrom=2020-01-01",
            "Metadata field dateFrom does not exist. Known fields: primarykey, pangolineage, some_metadata, date, \
             intfield, floatfield, test_boolean_column, country.",
        ),
        ("IsNull(some_metadata.regex)", "Metadata field some_metadata.regex does not exist"),
        (
            "invalidGene:501Y",
            "invalidGene is not a known segment or gene, known segments are [main], known genes are [S, ORF1a]",
        ),
        ("ins_invalidGene:501:EPE", "invalidGene is not a known segment or gene"),
        ("main:123E", "Invalid nucleotide symbol: E"),
        ("ins_main:12:A*", "Invalid nucleotide symbol: *"),
        ("pangoLineage=A.1.", "Invalid lineage: A.1. must not end with a dot. Did you mean 'A.1.*'?"),
        (
            "pangoLineage=''",
            "Invalid lineage:  is NULL - to search for NULL values use `IsNull(pangoLineage)`?",
        ),
    ];
    for (q, expected) in cases {
        let e = failure(&ix, q, false);
        assert!(e.starts_with(expected), "{q}: {e}");
    }
    let e = failure(&ix, "PangoLineage=jn.1* AND thisIsInvalid", false);
    assert!(e.starts_with("Failed to parse advanced query (line 1:"), "{e}");
    let e = failure(&ix, "country=CH &\n  & 300G", false);
    assert!(e.starts_with("Failed to parse advanced query (line 2:2): "), "{e}");
}

#[test]
fn full_validation_asks_what_silo_would_refuse() {
    let ix = single();
    // LAPIS's e2e test: out of bounds only with full validation.
    assert_eq!(
        failure(&ix, "A999999T", true),
        "Error from SILO: SymbolEquals<Nucleotide> position is out of bounds 999999 > 2000"
    );
    same("A999999T", success(&ix, "A999999T"), nuc(999_999, "T"));
    let cases = [
        ("S:11", "Error from SILO: HasAminoAcidMutation position is out of bounds 11 > 10"),
        ("ORF1a:6K", "Error from SILO: SymbolEquals<AminoAcid> position is out of bounds 6 > 5"),
        ("2001", "Error from SILO: HasNucleotideMutation position is out of bounds 2001 > 2000"),
        (
            "ins_2001:A",
            "Error from SILO: the requested insertion position (2001) is larger than the length of the reference \
             sequence (2000) for sequence 'main'",
        ),
        // SILO sees And's children in LAPIS's (reversed) order.
        ("main:3000A & S:20", "Error from SILO: HasAminoAcidMutation position is out of bounds 20 > 10"),
        (
            "!MAYBE([2-of: 1A, 2C, ORF1a:9])",
            "Error from SILO: HasAminoAcidMutation position is out of bounds 9 > 5",
        ),
        (
            "pangoLineage=1.2",
            "Error from SILO: The lineage '1.2' is not a valid lineage for column 'pangoLineage'.",
        ),
    ];
    for (q, expected) in cases {
        assert_eq!(failure(&ix, q, true), expected, "{q}");
        assert!(entry(&ix, q, false).contains("\"success\""), "{q}");
    }
    let e = failure(&ix, "some_metadata.regex='('", true);
    assert!(
        e.starts_with(
            "Error from SILO: Invalid Regular Expression. The parsing of the regular expression failed"
        ),
        "{e}"
    );
    // In bounds: success, the same filter as without validation.
    for q in ["A2000T", "ins_2000:A", "S:10", "country = 'USA'", "intField >= 30", "pangoLineage=JN.1*"] {
        assert_eq!(entry(&ix, q, true), entry(&ix, q, false), "{q}");
        assert!(entry(&ix, q, true).contains("\"success\""), "{q}");
    }
}

#[test]
fn every_shape_serialises_as_lapis_does() {
    let f = |filter: SiloFilter| serde_json::to_string(&filter).unwrap();
    assert_eq!(f(SiloFilter::True), r#"{"type":"True"}"#);
    assert_eq!(
        f(SiloFilter::PhyloDescendantOf { column: "c".into(), internal_node: "n".into() }),
        r#"{"column":"c","internalNode":"n","type":"PhyloDescendantOf"}"#
    );
    assert_eq!(f(SiloFilter::IsNotNull { column: "c".into() }), r#"{"column":"c","type":"IsNotNull"}"#);
    assert_eq!(
        f(SiloFilter::FloatBetween { column: "c".into(), from: Some(0.5), to: None }),
        r#"{"column":"c","from":0.5,"to":null,"type":"FloatBetween"}"#
    );
    // The same through the crate root.
    let ix = single();
    assert_eq!(
        parse_silo_filter(&ix, "S:501Y").unwrap(),
        SiloFilter::AminoAcidEquals { sequence_name: "S".into(), position: 501, symbol: "Y".into() }
    );
}
