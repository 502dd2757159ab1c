//! `/sample/aggregated` grouped by sequence positions, as LAPIS answers `fields=main[3]`,
//! `fields=S[3]` and the single-segment shorthand `fields=[3]`: LAPIS maps such a field to
//! SILO's `"main".at(3)` (the aligned sequence's letter there, null for a row without the
//! sequence) and names the column after the sequence's own spelling (`MAIN[3]` → `main[3]`,
//! `[3]` stays `[3]`); repeated fields are dropped after resolving. Virion stores an absent
//! sequence as all-unknown, so a row whose sequence is nothing but N/X is null too.

use chrono::NaiveDate;
use virion_index::*;
use virion_query::execute::{Endpoint, Part, table};
use virion_query::*;

const REFERENCE: &str = "ACGTACGTAC";
const S: &str = "MFVL";

/// (key, country, genome, S); `None` is null / no sequence.
type Row = (&'static str, Option<&'static str>, Option<&'static str>, Option<&'static str>);
const ROWS: [Row; 6] = [
    ("k1", Some("CH"), Some("ACGTACGTAC"), Some("MFVL")),
    ("k2", Some("CH"), Some("ACRTACGTAC"), Some("MFXL")),
    ("k3", Some("DE"), Some("acNTACGTAC"), Some("MF*L")),
    ("k4", Some("DE"), None, None),
    ("k5", Some("FR"), Some("AC-TACGTAC"), Some("MF-L")),
    ("k6", None, Some("NNNNNNNNNN"), Some("XXXX")),
];

fn index() -> Index {
    let schema = Schema {
        metadata: vec![
            ("key".into(), ColumnType::String { indexed: false }),
            ("country".into(), ColumnType::String { indexed: true }),
            ("date".into(), ColumnType::Date),
        ],
        segments: vec![("main".into(), REFERENCE.as_bytes().to_vec())],
        genes: vec![("S".into(), S.as_bytes().to_vec())],
    };
    let mut index = Index::new(&schema).unwrap();
    for (i, (key, country, genome, s)) in ROWS.into_iter().enumerate() {
        let date = NaiveDate::from_ymd_opt(2024, 1, 1 + i as u32).unwrap();
        index
            .push(RowInput {
                metadata: vec![
                    Value::String(key.into()),
                    country.map_or(Value::Null, |c| Value::String(c.into())),
                    Value::Date(date),
                ],
                segments: vec![genome.map(|g| g.as_bytes().to_vec()).into()],
                genes: vec![s.map(|g| g.as_bytes().to_vec()).into()],
                ..RowInput::default()
            })
            .unwrap();
    }
    index
}

fn request(pairs: &[(&str, &str)]) -> LapisRequest {
    let mut grouped: Vec<(String, Values)> = Vec::new();
    for (k, v) in pairs {
        match grouped.iter_mut().find(|(g, _)| g == k) {
            Some((_, vs)) => vs.push(Some((*v).to_owned())),
            None => grouped.push(((*k).to_owned(), vec![Some((*v).to_owned())])),
        }
    }
    LapisRequest::from_pairs(grouped).unwrap()
}

fn answer(index: &Index, endpoint: Endpoint, pairs: &[(&str, &str)]) -> Result<Table, QueryError> {
    let q = QueryIndex { index: index.clone(), lineage: None };
    let all = index.all();
    table(&[Part { index: &q, visible: &all }], endpoint, &request(pairs), &Default::default())
}

fn text(c: &Cell) -> String {
    match c {
        Cell::Null => "null".into(),
        other => other.text(),
    }
}

/// Rows as `a|b|count` strings, in the answer's order.
fn rows(t: &Table) -> Vec<String> {
    t.rows.iter().map(|r| r.iter().map(text).collect::<Vec<_>>().join("|")).collect()
}

fn sorted(t: &Table) -> Vec<String> {
    let mut r = rows(t);
    r.sort();
    r
}

#[test]
fn groups_by_the_aligned_symbol_at_a_nucleotide_position() {
    let ix = index();
    // map({"main[3]" := "main".at(3)}).groupBy({count := count()}, {"main[3]"})
    let t = answer(&ix, Endpoint::Aggregated, &[("fields", "main[3]")]).unwrap();
    assert_eq!(t.columns, ["main[3]", "count"]);
    // R stays R, lower case is read upper case, deletions are '-', unknown is N; no
    // sequence (and a sequence of nothing but N) is null.
    assert_eq!(sorted(&t), ["-|1", "G|1", "N|1", "R|1", "null|2"]);
    // The name in any case; the column keeps the segment's own spelling.
    let t = answer(&ix, Endpoint::Aggregated, &[("fields", "MAIN[3]")]).unwrap();
    assert_eq!(t.columns, ["main[3]", "count"]);
    // The single-segment shorthand names its column `[3]`.
    let t = answer(&ix, Endpoint::Aggregated, &[("fields", "[3]")]).unwrap();
    assert_eq!(t.columns, ["[3]", "count"]);
    assert_eq!(sorted(&t), ["-|1", "G|1", "N|1", "R|1", "null|2"]);
}

#[test]
fn groups_by_the_amino_acid_at_a_gene_position() {
    let ix = index();
    let t = answer(&ix, Endpoint::Aggregated, &[("fields", "s[3]")]).unwrap();
    assert_eq!(t.columns, ["S[3]", "count"]);
    assert_eq!(sorted(&t), ["*|1", "-|1", "V|1", "X|1", "null|2"]);
    // A position holding the reference everywhere sequenced.
    let t = answer(&ix, Endpoint::Aggregated, &[("fields", "S[4]")]).unwrap();
    assert_eq!(sorted(&t), ["L|4", "null|2"]);
}

#[test]
fn combines_with_metadata_fields_filters_and_order() {
    let ix = index();
    let t = answer(&ix, Endpoint::Aggregated, &[("fields", "country"), ("fields", "main[3]")]).unwrap();
    assert_eq!(t.columns, ["country", "main[3]", "count"]);
    assert_eq!(sorted(&t), ["CH|G|1", "CH|R|1", "DE|N|1", "DE|null|1", "FR|-|1", "null|null|1"]);
    // Position first, two positions, a date part: keys in the order asked.
    let t = answer(
        &ix,
        Endpoint::Aggregated,
        &[("fields", "S[3]"), ("fields", "COUNTRY"), ("fields", "main[3]"), ("fields", "date.isoweek")],
    )
    .unwrap();
    assert_eq!(t.columns, ["S[3]", "country", "main[3]", "date.isoWeek", "count"]);
    assert_eq!(
        sorted(&t),
        [
            "*|DE|N|2024-W01|1",
            "-|FR|-|2024-W01|1",
            "V|CH|G|2024-W01|1",
            "X|CH|R|2024-W01|1",
            "null|DE|null|2024-W01|1",
            "null|null|null|2024-W01|1"
        ]
    );
    // Filters narrow the rows first.
    let t = answer(&ix, Endpoint::Aggregated, &[("fields", "main[3]"), ("country", "CH")]).unwrap();
    assert_eq!(sorted(&t), ["G|1", "R|1"]);
    let t =
        answer(&ix, Endpoint::Aggregated, &[("fields", "main[3]"), ("advancedQuery", "S:3V | 3R")]).unwrap();
    assert_eq!(sorted(&t), ["G|1", "R|1"]);
    // Ordered by the position's column (nulls smallest), then by count, descending.
    let t = answer(
        &ix,
        Endpoint::Aggregated,
        &[
            ("fields", "main[3]"),
            ("orderBy", "main[3]"),
            ("orderBy", r#"{"field":"count","type":"descending"}"#),
        ],
    )
    .unwrap();
    assert_eq!(rows(&t), ["null|2", "-|1", "G|1", "N|1", "R|1"]);
    let t = answer(
        &ix,
        Endpoint::Aggregated,
        &[
            ("fields", "main[3]"),
            ("orderBy", r#"{"field":"count","type":"descending"}"#),
            ("orderBy", "main[3]"),
            ("limit", "2"),
        ],
    )
    .unwrap();
    assert_eq!(rows(&t), ["null|2", "-|1"]);
}

#[test]
fn repeated_fields_are_dropped_after_resolving() {
    let ix = index();
    let t = answer(
        &ix,
        Endpoint::Aggregated,
        &[("fields", "main[3]"), ("fields", "MAIN[3]"), ("fields", "country"), ("fields", "Country")],
    )
    .unwrap();
    assert_eq!(t.columns, ["main[3]", "country", "count"]);
    // `[3]` and `main[3]` are two fields to LAPIS (two column names).
    let t = answer(&ix, Endpoint::Aggregated, &[("fields", "main[3]"), ("fields", "[3]")]).unwrap();
    assert_eq!(t.columns, ["main[3]", "[3]", "count"]);
    assert_eq!(sorted(&t), ["-|-|1", "G|G|1", "N|N|1", "R|R|1", "null|null|2"]);
}

#[test]
fn bad_positions_and_names_are_refused_naming_the_field() {
    let ix = index();
    let refused =
        |field: &str| answer(&ix, Endpoint::Aggregated, &[("fields", field)]).unwrap_err().to_string();
    let e = refused("main[11]");
    assert!(e.contains("main[11]") && e.contains("1 to 10"), "{e}");
    let e = refused("S[5]");
    assert!(e.contains("S[5]") && e.contains("1 to 4"), "{e}");
    let e = refused("main[0]");
    assert!(e.contains("Invalid position in 'main[0]': must be a positive integer, got 0"), "{e}");
    let e = refused("main[99999999999]");
    assert!(e.contains("Invalid position in 'main[99999999999]': must be a positive integer"), "{e}");
    let e = refused("ORF1a[3]");
    assert!(e.contains("Unknown sequence 'ORF1a' in 'ORF1a[3]', known sequences are: main, S"), "{e}");
    assert!(e.starts_with("fields="), "{e}");
    // Not position syntax: an unknown field as before.
    assert!(matches!(
        answer(&ix, Endpoint::Aggregated, &[("fields", "main[x]")]),
        Err(QueryError::UnknownField { .. })
    ));
    // Other endpoints take no position fields (LAPIS: only /aggregated).
    let e = answer(&ix, Endpoint::Details, &[("fields", "main[3]")]).unwrap_err().to_string();
    assert!(e.contains("Sequence position fields are not supported here: main[3]"), "{e}");
}

#[test]
fn the_shorthand_needs_a_single_segment() {
    let schema = Schema {
        metadata: vec![("key".into(), ColumnType::String { indexed: false })],
        segments: vec![("L".into(), b"ACGT".to_vec()), ("S".into(), b"GGCC".to_vec())],
        genes: vec![("S".into(), b"MK".to_vec())],
    };
    let mut ix = Index::new(&schema).unwrap();
    ix.push(RowInput {
        metadata: vec![Value::String("a".into())],
        segments: vec![SeqInput::Aligned(b"ACTT".to_vec()), SeqInput::Absent],
        genes: vec![SeqInput::Aligned(b"MR".to_vec())],
        ..RowInput::default()
    })
    .unwrap();
    let e = answer(&ix, Endpoint::Aggregated, &[("fields", "[1]")]).unwrap_err().to_string();
    assert!(
        e.contains("Shorthand position syntax '[N]' can only be used for single-segmented genomes"),
        "{e}"
    );
    // A name that is a segment and a gene is the segment (LAPIS looks segments up first).
    let t = answer(&ix, Endpoint::Aggregated, &[("fields", "s[2]"), ("fields", "L[3]")]).unwrap();
    assert_eq!(t.columns, ["S[2]", "L[3]", "count"]);
    assert_eq!(rows(&t), ["null|T|1"]);
}

/// A selection large enough to take each symbol's rows from the column gives the counts that
/// reading every row's symbol gives.
#[test]
fn large_selections_agree_with_row_by_row() {
    let schema = Schema {
        metadata: vec![("country".into(), ColumnType::String { indexed: true })],
        segments: vec![("main".into(), REFERENCE.as_bytes().to_vec())],
        genes: vec![],
    };
    let mut ix = Index::new(&schema).unwrap();
    let letters = b"ACGTRN-";
    let mut prepared = Vec::new();
    for i in 0..70_000u32 {
        let mut genome = REFERENCE.as_bytes().to_vec();
        // Mostly the reference, some other letters, some rows without a sequence.
        let x = (i.wrapping_mul(2_654_435_761) >> 7) % 97;
        if x < 20 {
            genome[2] = letters[(x % 7) as usize];
            genome[5] = letters[(x % 5) as usize];
        }
        let seq = if x == 50 { SeqInput::Absent } else { SeqInput::Aligned(genome) };
        prepared.push(
            ix.prepare(RowInput {
                metadata: vec![Value::String(["CH", "DE", "FR"][(i % 3) as usize].into())],
                segments: vec![seq],
                ..RowInput::default()
            })
            .unwrap(),
        );
    }
    ix.append(prepared).unwrap();
    let rows: RoaringBitmap = (0..70_000).filter(|r| r % 5 != 1).collect();
    let fields = [
        parse_group_field(&ix, "main[3]").unwrap(),
        parse_group_field(&ix, "country").unwrap(),
        parse_group_field(&ix, "main[6]").unwrap(),
    ];
    let mut got: Vec<(Vec<String>, u64)> = aggregate(&ix, &rows, &fields)
        .into_iter()
        .map(|(keys, n)| {
            let keys = keys
                .into_iter()
                .map(|k| match k {
                    GroupKey::Null => "null".to_owned(),
                    GroupKey::Text(t) => t,
                    GroupKey::Value(Value::String(s)) => s,
                    other => panic!("{other:?}"),
                })
                .collect();
            (keys, n)
        })
        .collect();
    got.sort();
    let column = &ix.segments[0];
    let symbol = |row: u32, pos: u32| {
        if column.is_unsequenced(row) {
            "null".to_owned()
        } else {
            (column.symbol(row, pos) as char).to_string()
        }
    };
    let mut expected: std::collections::BTreeMap<Vec<String>, u64> = Default::default();
    for row in &rows {
        let country = ix.columns[0].str(row).unwrap().to_owned();
        *expected.entry(vec![symbol(row, 2), country, symbol(row, 5)]).or_default() += 1;
    }
    let expected: Vec<(Vec<String>, u64)> = expected.into_iter().collect();
    assert_eq!(got, expected);
    assert!(got.iter().any(|(k, _)| k[0] == "null") && got.iter().any(|(k, _)| k[0] == "N"));
}
