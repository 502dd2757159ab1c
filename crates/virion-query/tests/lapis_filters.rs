//! LAPIS's filter semantics on every column type, on six rows: several values for one field
//! mean any of them (ints, floats, dates, booleans too), a JSON `null` asks for null, an empty
//! string is a value, a float range excludes its upper bound while int and date ranges include
//! theirs, and a position-only mutation leaves out N and ambiguity codes that may be the
//! reference's letter. Each filter's expected answer is SILO's (PyPI `rhydb` 0.16.0, the same
//! six rows, asked as the SaneQL in the comment); the orderings are those SILO's sources and
//! LAPIS's tests state (a null is the smallest value; `orderBy=mutation` expands to sequence,
//! reference letter, position, new letter).

use chrono::NaiveDate;
use virion_index::*;
use virion_query::*;

const REFERENCE: &str = "ACGTACGTAC";

/// (key, country, age, qc, vaccinated, date, genome); `None` is null.
type Row =
    (&'static str, Option<&'static str>, Option<i64>, Option<f64>, Option<bool>, &'static str, &'static str);
const ROWS: [Row; 6] = [
    ("k1", Some("CH"), Some(30), Some(0.5), Some(true), "2024-01-01", "ACGTACGTAC"),
    ("k2", Some(""), Some(40), Some(0.9), Some(false), "2024-01-02", "ACRTACGTAC"),
    ("k3", None, None, None, None, "2024-01-03", "ACYTACGTAC"),
    ("k4", Some("DE"), Some(50), Some(1.0), Some(true), "2024-01-04", "ACNTACGTAC"),
    ("k5", Some("CH"), Some(30), Some(0.25), Some(false), "2024-01-05", "ACTTACGTAC"),
    ("k6", Some("FR"), Some(60), Some(0.9), None, "2024-01-06", "AC-TACGTAC"),
];

fn index() -> Index {
    let schema = Schema {
        metadata: vec![
            ("key".into(), ColumnType::String { indexed: false }),
            ("country".into(), ColumnType::String { indexed: true }),
            ("age".into(), ColumnType::Int),
            ("qc".into(), ColumnType::Float),
            ("vaccinated".into(), ColumnType::Boolean),
            ("date".into(), ColumnType::Date),
        ],
        segments: vec![("main".into(), REFERENCE.as_bytes().to_vec())],
        genes: vec![],
    };
    let mut index = Index::new(&schema).unwrap();
    for (key, country, age, qc, vaccinated, date, genome) in ROWS {
        let opt = |v: Option<Value>| v.unwrap_or(Value::Null);
        index
            .push(RowInput {
                metadata: vec![
                    Value::String(key.into()),
                    opt(country.map(|c| Value::String(c.into()))),
                    opt(age.map(Value::Int)),
                    opt(qc.map(Value::Float)),
                    opt(vaccinated.map(Value::Boolean)),
                    Value::Date(NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap()),
                ],
                segments: vec![SeqInput::Aligned(genome.as_bytes().to_vec())],
                genes: vec![],
                ..RowInput::default()
            })
            .unwrap();
    }
    index
}

/// The rows a LAPIS request selects (`None` values are JSON nulls), or why it is refused.
fn select(index: &Index, params: &[(&str, &[Option<&str>])]) -> Result<RoaringBitmap, QueryError> {
    let pairs = params
        .iter()
        .map(|(k, vs)| (k.to_string(), vs.iter().map(|v| v.map(str::to_owned)).collect()))
        .collect();
    let request = LapisRequest::from_pairs(pairs)?;
    QueryIndex { index: index.clone(), lineage: None }.select(&request, &index.all())
}

/// The keys of the rows a LAPIS request selects.
fn keys(index: &Index, params: &[(&str, &[Option<&str>])]) -> Vec<String> {
    let rows = select(index, params).unwrap_or_else(|e| panic!("{params:?}: {e}"));
    rows.iter()
        .map(|r| match index.columns[0].get(r) {
            Value::String(s) => s,
            other => panic!("{other:?}"),
        })
        .collect()
}

fn refused(index: &Index, params: &[(&str, &[Option<&str>])]) -> String {
    select(index, params).unwrap_err().to_string()
}

#[test]
fn several_values_mean_any_of_them_for_every_type() {
    let ix = index();
    // filter(age.in({30, 50}))
    assert_eq!(keys(&ix, &[("age", &[Some("30"), Some("50")])]), ["k1", "k4", "k5"]);
    // filter(qc = 0.5 || qc = 1.0)
    assert_eq!(keys(&ix, &[("qc", &[Some("0.5"), Some("1.0")])]), ["k1", "k4"]);
    // filter(date = '2024-01-02'::date || date = '2024-01-06'::date)
    assert_eq!(keys(&ix, &[("date", &[Some("2024-01-02"), Some("2024-01-06")])]), ["k2", "k6"]);
    // filter(vaccinated = true || vaccinated = false): nulls are neither
    assert_eq!(keys(&ix, &[("vaccinated", &[Some("true"), Some("false")])]), ["k1", "k2", "k4", "k5"]);
    // different fields: AND
    assert_eq!(keys(&ix, &[("age", &[Some("30"), Some("60")]), ("country", &[Some("CH")])]), ["k1", "k5"]);
}

#[test]
fn null_selects_null_and_empty_string_is_a_value() {
    let ix = index();
    // filter(country.isNull()), filter(country = '' || country.isNull())
    assert_eq!(keys(&ix, &[("country", &[None])]), ["k3"]);
    assert_eq!(keys(&ix, &[("country", &[Some(""), None])]), ["k2", "k3"]);
    // filter(country = ''): the empty string, not null
    assert_eq!(keys(&ix, &[("country", &[Some("")])]), ["k2"]);
    // filter(age.isNull() || age = 60), filter(qc.isNull()), filter(vaccinated.isNull())
    assert_eq!(keys(&ix, &[("age", &[None, Some("60")])]), ["k3", "k6"]);
    assert_eq!(keys(&ix, &[("qc", &[None])]), ["k3"]);
    assert_eq!(keys(&ix, &[("vaccinated", &[None])]), ["k3", "k6"]);
    // An empty string is no integer, no boolean, no date: refused, naming the field.
    assert!(refused(&ix, &[("age", &[Some("")])]).contains("age"));
    assert!(refused(&ix, &[("vaccinated", &[Some("")])]).contains("vaccinated"));
    // A range takes no null.
    assert!(refused(&ix, &[("ageFrom", &[None])]).contains("ageFrom"));
}

#[test]
fn float_ranges_exclude_their_upper_bound_int_and_date_ranges_include_it() {
    let ix = index();
    // filter(qc.between(0.5, 0.9)): SILO's FloatBetween is from <= v < to
    assert_eq!(keys(&ix, &[("qcFrom", &[Some("0.5")]), ("qcTo", &[Some("0.9")])]), ["k1"]);
    assert_eq!(keys(&ix, &[("qcTo", &[Some("1.0")])]), ["k1", "k2", "k5", "k6"]);
    assert_eq!(keys(&ix, &[("qcFrom", &[Some("0.9")])]), ["k2", "k4", "k6"]);
    // filter(age.between(30, 50)): inclusive
    assert_eq!(keys(&ix, &[("ageFrom", &[Some("30")]), ("ageTo", &[Some("50")])]), ["k1", "k2", "k4", "k5"]);
    // filter(date.between('2024-01-02'::date, '2024-01-04'::date)): inclusive
    assert_eq!(
        keys(&ix, &[("dateFrom", &[Some("2024-01-02")]), ("dateTo", &[Some("2024-01-04")])]),
        ["k2", "k3", "k4"]
    );
    // The advanced query's `<=` on a float is LAPIS's FloatBetween too: qc.between(null, 0.9)
    let expr = parse_advanced("qc<=0.9").unwrap();
    let rows: Vec<u32> = ix.evaluate(&advanced_filter(&ix, &expr).unwrap()).iter().collect();
    assert_eq!(rows, [0, 4]);
}

#[test]
fn position_only_mutations_leave_out_what_may_be_the_reference() {
    let ix = index();
    // Position 3, reference G: R (A/G) and N may be G; Y (C/T), T and a deletion cannot.
    // filter(hasMutation(position:=3))
    assert_eq!(keys(&ix, &[("nucleotideMutations", &[Some("3")])]), ["k3", "k5", "k6"]);
    assert_eq!(keys(&ix, &[("nucleotideMutations", &[Some("G3")])]), ["k3", "k5", "k6"]);
    // filter(maybe(hasMutation(position:=3))): everything but the reference's letter itself
    let expr = parse_advanced("MAYBE(3)").unwrap();
    let rows: Vec<u32> = ix.evaluate(&advanced_filter(&ix, &expr).unwrap()).iter().collect();
    assert_eq!(rows, [1, 2, 3, 4, 5]);
    // MAYBE() inside the nucleotideMutations list: maybe(nucleotideEquals(3, 'A'))
    assert_eq!(keys(&ix, &[("nucleotideMutations", &[Some("MAYBE(3A)")])]), ["k2", "k4"]);
}

/// The first column of an answer as text.
fn first_column(index: &Index, endpoint: execute::Endpoint, params: &[(&str, &str)]) -> Vec<String> {
    let query = QueryIndex { index: index.clone(), lineage: None };
    let visible = index.all();
    let parts = [execute::Part { index: &query, visible: &visible }];
    // `fields` is a list; orderBy objects hold commas of their own.
    let values = |k: &str, v: &str| match k {
        "fields" => v.split(',').map(|v| Some(v.to_owned())).collect(),
        _ => vec![Some(v.to_owned())],
    };
    let pairs = params.iter().map(|(k, v)| (k.to_string(), values(k, v))).collect();
    let request = LapisRequest::from_pairs(pairs).unwrap();
    let table = execute::table(&parts, endpoint, &request, &execute::Budget::default()).unwrap();
    table.rows.iter().map(|r| r[0].text()).collect()
}

#[test]
fn nulls_order_first_ascending_and_last_descending() {
    let ix = index();
    let details = execute::Endpoint::Details;
    // A null is the smallest value (ties keep the stored order).
    let up = first_column(&ix, details, &[("fields", "key,age"), ("orderBy", "age")]);
    assert_eq!(up, ["k3", "k1", "k5", "k2", "k4", "k6"]);
    let down = first_column(
        &ix,
        details,
        &[("fields", "key,age"), ("orderBy", r#"{"field":"age","type":"descending"}"#)],
    );
    assert_eq!(down, ["k6", "k4", "k2", "k1", "k5", "k3"]);
}

#[test]
fn order_by_mutation_is_by_position_then_letter() {
    let ix = index();
    let mutations = execute::Endpoint::NucleotideMutations;
    // t.mutations(minProportion:=0.05): G3- and G3T, count 1 of coverage 3 each (R, Y and N
    // are not definite letters).
    let up = first_column(&ix, mutations, &[("fields", "mutation"), ("orderBy", "mutation")]);
    assert_eq!(up, ["G3-", "G3T"]);
    let down = first_column(
        &ix,
        mutations,
        &[("fields", "mutation"), ("orderBy", r#"{"field":"mutation","type":"descending"}"#)],
    );
    assert_eq!(down, ["G3T", "G3-"]);
}
