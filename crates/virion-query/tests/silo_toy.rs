//! The same five genomes loaded into SILO (PyPI `rhydb` 0.16.0) and into Virion's index: every
//! answer below is the one SILO gave for the equivalent query (the SaneQL is in each comment).

use chrono::NaiveDate;
use virion_index::*;
use virion_query::*;

const REFERENCE: &str = "ATGTTTGTTTTTCTTGTTTTATTGCCACTA";
const S: &str = "MFVFLVLLPL";

/// (accession, country, date, aligned genome, aligned S)
const ROWS: [(&str, &str, &str, &str, &str); 5] = [
    ("s1", "Switzerland", "2021-01-04", "ATGTTTGTTTTTCTTGTTTTATTGCCACTA", "MFVFLVLLPL"),
    ("s2", "Switzerland", "2022-01-05", "ATGCTTGTTTTTCTTGTTTTATTGCCACTA", "MLVFLVLLPL"),
    ("s3", "Germany", "2024-01-03", "ATGCTTATTTTTCTTGTTTTATTGCCACTA", "MLIFLVLLPL"),
    ("s4", "Germany", "2024-01-10", "ATGCTTNTTTTT---GTTTYATTGCCACTA", "MLXF-VLLPL"),
    ("s5", "USA", "2021-07-01", "ATGCTTATTTTTCTTGTTTTATTGCCACTA", "MLIFLVLLPL"),
];

fn index() -> Index {
    let schema = Schema {
        metadata: vec![
            ("accession".into(), ColumnType::String { indexed: false }),
            ("country".into(), ColumnType::String { indexed: true }),
            ("date".into(), ColumnType::Date),
        ],
        segments: vec![("main".into(), REFERENCE.as_bytes().to_vec())],
        genes: vec![("S".into(), S.as_bytes().to_vec())],
    };
    let mut index = Index::new(&schema).unwrap();
    for (acc, country, date, genome, s) in ROWS {
        let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
        index
            .push(RowInput {
                metadata: vec![Value::String(acc.into()), Value::String(country.into()), Value::Date(date)],
                segments: vec![SeqInput::Aligned(genome.as_bytes().to_vec())],
                genes: vec![SeqInput::Aligned(s.as_bytes().to_vec())],
                ..RowInput::default()
            })
            .unwrap();
    }
    index
}

/// Accessions matching LAPIS parameters.
fn matching(index: &Index, params: &[(&str, &str)]) -> Vec<String> {
    let params: Vec<(String, virion_query::Values)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.split(',').map(|v| Some(v.to_owned())).collect()))
        .collect();
    let rows = index.evaluate(&sequence_filter(index, &params).unwrap());
    rows.iter()
        .map(|r| match index.columns[0].get(r) {
            Value::String(s) => s,
            other => panic!("{other:?}"),
        })
        .collect()
}

#[test]
fn filters_match_silo() {
    let index = index();
    // filter(nucleotideEquals(position:=4, symbol:='C', sequenceName:='main'))
    assert_eq!(matching(&index, &[("nucleotideMutations", "T4C")]), ["s2", "s3", "s4", "s5"]);
    // filter(hasMutation(position:=7, …)): N is not a mutation
    assert_eq!(matching(&index, &[("nucleotideMutations", "7")]), ["s3", "s5"]);
    // nucleotideEquals(position:=7, symbol:='.'), symbol 'N', and a deletion
    assert_eq!(matching(&index, &[("nucleotideMutations", "7.")]), ["s1", "s2"]);
    assert_eq!(matching(&index, &[("nucleotideMutations", "7N")]), ["s4"]);
    assert_eq!(matching(&index, &[("nucleotideMutations", "C13-")]), ["s4"]);
    // nucleotideEquals(20,'C'): the Y of s4 is not C
    assert!(matching(&index, &[("nucleotideMutations", "20C")]).is_empty());
    // aminoAcidEquals(position:=2, symbol:='L', sequenceName:='S'); hasAAMutation(3)
    assert_eq!(matching(&index, &[("aminoAcidMutations", "S:F2L")]), ["s2", "s3", "s4", "s5"]);
    assert_eq!(matching(&index, &[("aminoAcidMutations", "S:3")]), ["s3", "s5"]);
    // country.like('man'): a partial match
    assert_eq!(matching(&index, &[("country.regex", "man")]), ["s3", "s4"]);
    // date.between('2022-01-01'::date, '2024-01-05'::date)
    assert_eq!(matching(&index, &[("dateFrom", "2022-01-01"), ("dateTo", "2024-01-05")]), ["s2", "s3"]);
    // several values of one field are ORed; different fields ANDed
    assert_eq!(matching(&index, &[("country", "Germany,USA"), ("nucleotideMutations", "G7A")]), ["s3", "s5"]);
    // maybe(nucleotideEquals(20,'C')) matches the Y
    let maybe = Filter::MaybeLetter(SiteLetter::Nuc {
        segment: 0,
        position: virion_core::NucRefPos(19),
        letter: virion_core::Nuc::C,
    });
    assert_eq!(index.evaluate(&maybe).iter().collect::<Vec<_>>(), [3]);
    // nOf(2, {4C, 7A, S:5-}) and nOf(1, {7A, S:5-}, matchExactly:=true)
    let m =
        |p: &str| sequence_filter(&index, &[("nucleotideMutations".into(), vec![Some(p.into())])]).unwrap();
    let del = sequence_filter(&index, &[("aminoAcidMutations".into(), vec![Some("S:5-".into())])]).unwrap();
    let two_of = Filter::NOf { n: 2, exactly: false, children: vec![m("4C"), m("7A"), del.clone()] };
    assert_eq!(index.evaluate(&two_of).iter().collect::<Vec<_>>(), [2, 3, 4]);
    let exactly_one = Filter::NOf { n: 1, exactly: true, children: vec![m("7A"), del] };
    assert_eq!(index.evaluate(&exactly_one).iter().collect::<Vec<_>>(), [2, 3, 4]);
}

#[test]
fn aggregates_match_silo() {
    let index = index();
    let all = index.all();
    // group(by:={}, aggs:={count:=count()})
    assert_eq!(aggregate(&index, &all, &[]), vec![(vec![], 5)]);
    // group(by:={country}): Germany 2, Switzerland 2, USA 1
    let country = parse_group_field(&index, "country").unwrap();
    let mut by_country: Vec<(String, u64)> = aggregate(&index, &all, &[country])
        .into_iter()
        .map(|(k, n)| match &k[0] {
            GroupKey::Value(Value::String(s)) => (s.clone(), n),
            other => panic!("{other:?}"),
        })
        .collect();
    by_country.sort();
    assert_eq!(by_country, [("Germany".into(), 2), ("Switzerland".into(), 2), ("USA".into(), 1)]);
    // date.isoWeek: 2024-01-03 and 2024-01-10 are W01 and W02; 2021-01-04 is 2021-W01
    let week = parse_group_field(&index, "date.isoWeek").unwrap();
    let weeks: Vec<String> = aggregate(&index, &all, &[week])
        .into_iter()
        .map(|(k, _)| match &k[0] {
            GroupKey::Text(t) => t.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(weeks, ["2021-W01", "2021-W26", "2022-W01", "2024-W01", "2024-W02"]);
    assert!(matches!(parse_group_field(&index, "country.isoWeek"), Err(QueryError::UnknownField { .. })));
}

fn table(rows: &[MutationProportion]) -> Vec<(String, u64, u64)> {
    rows.iter().map(|m| (m.mutation.clone(), m.count, m.coverage)).collect()
}

#[test]
fn mutation_proportions_match_silo() {
    let index = index();
    // sequences.mutations(minProportion:=0.05)
    let all = mutation_proportions(&index, &index.all(), false, 0.05).unwrap();
    let expected = [("T4C", 4, 5), ("G7A", 2, 4), ("C13-", 1, 5), ("T14-", 1, 5), ("T15-", 1, 5)];
    assert_eq!(table(&all), expected.map(|(m, c, v)| (m.to_owned(), c, v)));
    assert_eq!(all[1].proportion, 0.5);
    // filter(country.in({'Germany','USA'})).mutations(minProportion:=0.6)
    let some = index.evaluate(
        &sequence_filter(&index, &[("country".into(), vec![Some("Germany".into()), Some("USA".into())])])
            .unwrap(),
    );
    let found = mutation_proportions(&index, &some, false, 0.6).unwrap();
    assert_eq!(table(&found), [("T4C".to_owned(), 3, 3), ("G7A".to_owned(), 2, 2)]);
    // sequences.aminoAcidMutations(minProportion:=0.05)
    let aa = mutation_proportions(&index, &index.all(), true, 0.05).unwrap();
    let expected = [("S:F2L", 4, 5), ("S:V3I", 2, 4), ("S:L5-", 1, 5)];
    assert_eq!(table(&aa), expected.map(|(m, c, v)| (m.to_owned(), c, v)));
    // mutations(minProportion:=2) → refused
    assert!(matches!(
        mutation_proportions(&index, &index.all(), false, 2.0),
        Err(QueryError::BadValue { .. })
    ));
}

#[test]
fn bad_parameters_are_named() {
    let index = index();
    let err = |params: &[(&str, &str)]| {
        let params: Vec<(String, virion_query::Values)> =
            params.iter().map(|(k, v)| (k.to_string(), vec![Some(v.to_string())])).collect();
        sequence_filter(&index, &params).unwrap_err().to_string()
    };
    assert!(err(&[("nosuch", "x")]).contains("\"nosuch\""));
    assert!(err(&[("dateFrom", "2021-13-01")]).contains("dateFrom"));
    assert!(err(&[("country.regex", "(")]).contains("country.regex"));
    assert!(err(&[("nucleotideMutations", "C31T")]).contains("beyond main's 30 positions"));
    assert!(err(&[("aminoAcidMutations", "ORF9:1A")]).contains("unknown gene \"ORF9\""));
    // A pattern whose compiled program exceeds the size limit is refused, not run.
    let huge = format!("({})", "a{1000}".repeat(50));
    assert!(err(&[("country.regex", &huge)]).contains("country.regex"));
}

fn advanced(index: &Index, text: &str) -> Vec<u32> {
    let expr = parse_advanced(text).unwrap_or_else(|e| panic!("{text}: {e}"));
    index.evaluate(&advanced_filter(index, &expr).unwrap_or_else(|e| panic!("{text}: {e}"))).iter().collect()
}

#[test]
fn advanced_queries_match_silo() {
    let index = index();
    // nOf(2, {4C, 7A, S:5-}) → s3 s4 s5; nOf(1, {7A, S:5-}, matchExactly:=true) → s3 s4 s5
    assert_eq!(advanced(&index, "[2-of: 4C, 7A, S:5-]"), [2, 3, 4]);
    assert_eq!(advanced(&index, "[exactly-1-of: 7A, S:5-]"), [2, 3, 4]);
    // maybe(nucleotideEquals(20,'C')) → s4
    assert_eq!(advanced(&index, "MAYBE(20C)"), [3]);
    assert!(advanced(&index, "20C").is_empty());
    // ! binds tightest, then &, then |; keywords and symbols mix; case-insensitive keywords
    assert_eq!(advanced(&index, "T4C & !G7A"), [1, 3]);
    assert_eq!(advanced(&index, "4C and not 7A or country='USA'"), [1, 3, 4]);
    assert_eq!(advanced(&index, "country=Germany | country=USA & S:F2L"), [2, 3, 4]);
    assert_eq!(advanced(&index, "(country=Germany | country=USA) & !(S:5-)"), [2, 4]);
    assert_eq!(advanced(&index, "date>=2022-01-01 & date<=2024-01-05"), [1, 2]);
    assert_eq!(advanced(&index, "country.regex='^Sw' & !IsNull(date) | 13-"), [0, 1, 3]);
    assert_eq!(advanced(&index, "main:C13- | S:3I"), [2, 3, 4]);
    // nested n-of with boolean children
    assert_eq!(advanced(&index, "[exactly-2-of: 4C & 7A, !7A, [1-of: S:5-, 13-]]"), [3]);
}

#[test]
fn advanced_query_errors_name_the_place() {
    let index = index();
    let err = |t: &str| match parse_advanced(t) {
        Err(e) => e.to_string(),
        Ok(expr) => advanced_filter(&index, &expr).unwrap_err().to_string(),
    };
    assert!(err("4C &").contains("ends where a term was expected"), "{}", err("4C &"));
    assert!(err("(4C").contains("expected ')'"));
    assert!(err("MAYBE(country=USA)").contains("MAYBE"));
    assert!(err("[2-off: 4C]").contains("-of:"));
    assert!(err("country='USA").contains("unterminated"));
    assert!(err("ORF9:1A").contains("not a known segment or gene"));
    assert!(err("4C 7A").contains("unexpected text"));
    assert!(err("ins_99:GGG").contains("position beyond"), "{}", err("ins_99:GGG"));
    assert!(err("ins_ORF9:1:GGG").contains("ORF9"));
    let deep = format!("{}4C{}", "(".repeat(500), ")".repeat(500));
    assert!(err(&deep).contains("nested deeper"));
    let deep_not = format!("{}4C", "!".repeat(500));
    assert!(err(&deep_not).contains("nested deeper"));
}
