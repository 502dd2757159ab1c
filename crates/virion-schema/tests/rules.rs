//! One test per validation rule, on hand-written rows.

use virion_schema::{Date, IssueKind, OrganismConfig, Row, Severity, ValidatedRow, Validator, Value};

const TOY: &str = r#"
name = "toy"
display_name = "Toy virus"
dataset = "toy"
accession_prefix = "TOY"
submission_id_column = "id"
blank_values = ["?"]

[[fields]]
name = "id"
type = "string"
aliases = ["strain"]

[[fields]]
name = "collection_date"
type = "date"
required = true
aliases = ["date"]

[[fields]]
name = "country"
type = "enum"
required = true
vocabulary = "insdc-country"

[[fields]]
name = "host_sex"
type = "enum"
vocabulary = ["female", "male"]
default = "not provided"
ena_tag = "host sex"

[[fields]]
name = "age"
type = "int"
min = 0
max = 150

[[fields]]
name = "ct"
type = "float"

[[fields]]
name = "vaccinated"
type = "boolean"

[[fields]]
name = "authors"
type = "authors"

[[fields]]
name = "taxon_id"
type = "int"
default = "12345"
"#;

const HEADER: [&str; 8] = ["id", "date", "country", "host sex", "age", "ct", "vaccinated", "authors"];

fn config() -> OrganismConfig {
    OrganismConfig::from_toml(TOY, "toy.toml").unwrap()
}

fn today() -> Date {
    Date::new(2024, 6, 15).unwrap()
}

fn validator(config: &OrganismConfig) -> Validator<'_> {
    let mut v = Validator::new(config, "meta.tsv").with_today(today());
    let header: Vec<String> = HEADER.iter().map(|h| h.to_string()).collect();
    assert!(v.set_header(&header).is_empty());
    v
}

fn row(line: u64, cells: &[&str]) -> Row {
    let mut row = Row::default();
    row.line = line;
    for c in cells {
        row.push_cell(c);
    }
    row
}

/// A well-formed row with one cell replaced.
fn with(column: &str, value: &str) -> Vec<&'static str> {
    let good = ["s1", "2021-03-05", "Denmark", "female", "42", "25.5", "yes", "Doe, J; Roe, R"];
    let i = HEADER.iter().position(|h| *h == column).unwrap();
    let mut cells: Vec<&'static str> = good.to_vec();
    cells[i] = Box::leak(value.to_owned().into_boxed_str());
    cells
}

fn validate_one(column: &str, value: &str) -> ValidatedRow {
    let config = config();
    let mut v = validator(&config);
    v.validate_row(&row(2, &with(column, value)))
}

fn only_issue(out: &ValidatedRow) -> (Severity, IssueKind, String) {
    assert_eq!(out.issues.len(), 1, "{:#?}", out.issues);
    let i = &out.issues[0];
    (i.severity, i.kind, i.message.clone())
}

#[test]
fn a_good_row_has_typed_values_and_no_issues() {
    let out = validate_one("id", "s1");
    assert!(out.issues.is_empty(), "{:#?}", out.issues);
    assert_eq!(out.submission_id.as_deref(), Some("s1"));
    assert_eq!(out.values["age"], Value::Int(42));
    assert_eq!(out.values["ct"], Value::Float(25.5));
    assert_eq!(out.values["vaccinated"], Value::Bool(true));
    assert_eq!(out.values["authors"], Value::Authors(vec!["Doe, J".into(), "Roe, R".into()]));
    assert_eq!(out.values["taxon_id"], Value::Int(12345), "a constant default applies silently");
    let json = serde_json::to_value(&out.values).unwrap();
    assert_eq!(json["collection_date"]["earliest"], "2021-03-05");
    assert_eq!(json["country"], "Denmark");
}

#[test]
fn unknown_country_is_an_error_with_a_suggestion() {
    let out = validate_one("country", "Denmrak");
    let (severity, kind, message) = only_issue(&out);
    assert_eq!((severity, kind), (Severity::Error, IssueKind::UnknownCountry));
    assert!(message.contains("did you mean 'Denmark'?"), "{message}");
    let issue = &out.issues[0];
    assert_eq!(
        (issue.file.as_str(), issue.line, issue.column.as_deref(), issue.value.as_deref()),
        ("meta.tsv", Some(2), Some("country"), Some("Denmrak"))
    );
    assert!(!out.values.contains_key("country"));
    assert!(
        issue.to_string().starts_with("error: meta.tsv, line 2, column 'country', value 'Denmrak': "),
        "{issue}"
    );
}

#[test]
fn country_case_and_synonyms_are_normalised_with_a_warning() {
    for (written, canonical) in
        [("usa", "USA"), ("United States", "USA"), ("Vietnam", "Viet Nam"), ("denmark", "Denmark")]
    {
        let out = validate_one("country", written);
        let (severity, kind, _) = only_issue(&out);
        assert_eq!((severity, kind), (Severity::Warning, IssueKind::Normalised), "{written}");
        assert_eq!(out.values["country"], Value::Text(canonical.into()));
    }
}

#[test]
fn future_and_impossible_dates_are_errors() {
    let (severity, kind, _) = only_issue(&validate_one("date", "2024-06-16"));
    assert_eq!((severity, kind), (Severity::Error, IssueKind::FutureDate));
    assert!(validate_one("date", "2024-06-15").issues.is_empty(), "today is fine");
    for bad in ["2021-02-30", "2021-13-01", "05/03/2021", "1850-01-01", "2021-05/2021-01"] {
        let (severity, kind, _) = only_issue(&validate_one("date", bad));
        assert_eq!((severity, kind), (Severity::Error, IssueKind::InvalidDate), "{bad}");
    }
}

#[test]
fn partial_dates_are_ranges_clipped_at_today() {
    let Value::Date(month) = validate_one("date", "2021-03").values["collection_date"].clone() else {
        panic!()
    };
    assert_eq!(
        (month.earliest, month.latest),
        (Date::new(2021, 3, 1).unwrap(), Date::new(2021, 3, 31).unwrap())
    );
    let Value::Date(year) = validate_one("date", "2024").values["collection_date"].clone() else { panic!() };
    assert_eq!((year.earliest, year.latest), (Date::new(2024, 1, 1).unwrap(), today()));
}

#[test]
fn number_boolean_and_enum_parse_errors() {
    let cases = [
        ("age", "forty", IssueKind::InvalidNumber),
        ("age", "4.5", IssueKind::InvalidNumber),
        ("age", "200", IssueKind::OutOfRange),
        ("ct", "2,5", IssueKind::InvalidNumber),
        ("ct", "NaN", IssueKind::InvalidNumber),
        ("vaccinated", "perhaps", IssueKind::InvalidBoolean),
        ("host sex", "mael", IssueKind::NotInVocabulary),
        ("authors", " ; ", IssueKind::InvalidAuthors),
    ];
    for (column, value, kind) in cases {
        let out = validate_one(column, value);
        let (severity, got, message) = only_issue(&out);
        assert_eq!((severity, got), (Severity::Error, kind), "{column}={value}: {message}");
        assert_eq!(out.issues[0].value.as_deref(), Some(value.trim()));
    }
    let out = validate_one("host sex", "mael");
    assert!(out.issues[0].message.contains("did you mean 'male'?"), "{}", out.issues[0].message);
    assert_eq!(validate_one("host sex", "Male").values["host_sex"], Value::Text("male".into()));
    assert_eq!(validate_one("vaccinated", "No").values["vaccinated"], Value::Bool(false));
}

#[test]
fn missing_required_fields_and_ena_defaults() {
    let (severity, kind, _) = only_issue(&validate_one("country", ""));
    assert_eq!((severity, kind), (Severity::Error, IssueKind::MissingRequired));
    let (severity, kind, message) = only_issue(&validate_one("date", "not provided"));
    assert_eq!((severity, kind), (Severity::Error, IssueKind::MissingRequired), "{message}");
    let (_, kind, _) = only_issue(&validate_one("date", "?"));
    assert_eq!(kind, IssueKind::MissingRequired, "'?' is a blank value for this organism");

    let out = validate_one("host sex", "");
    let (severity, kind, message) = only_issue(&out);
    assert_eq!((severity, kind), (Severity::Warning, IssueKind::DefaultApplied));
    assert!(message.contains("not provided"), "{message}");
    assert_eq!(
        serde_json::to_value(&out.values["host_sex"]).unwrap(),
        serde_json::json!({"missing": "not provided"})
    );

    let out = validate_one("host sex", "Missing: Lab Stock");
    assert!(out.issues.is_empty(), "ENA missing terms are accepted: {:#?}", out.issues);
    assert_eq!(
        serde_json::to_value(&out.values["host_sex"]).unwrap(),
        serde_json::json!({"missing": "missing: lab stock"})
    );
    assert!(!validate_one("age", "").values.contains_key("age"), "optional and empty: no value");
}

#[test]
fn absent_required_column_is_named() {
    let config = config();
    let mut v = Validator::new(&config, "meta.csv").with_today(today());
    let issues = v.set_header(&["id".to_owned(), "date".to_owned()]);
    assert!(issues.is_empty());
    let out = v.validate_row(&row(2, &["s1", "2021"]));
    let errors: Vec<_> = out.issues.iter().filter(|i| i.severity == Severity::Error).collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!((errors[0].kind, errors[0].column.as_deref()), (IssueKind::MissingRequired, Some("country")));
    assert!(errors[0].message.contains("no such column"), "{}", errors[0].message);
}

#[test]
fn duplicate_submission_ids_are_errors_naming_the_first_line() {
    let config = config();
    let mut v = validator(&config);
    assert!(v.validate_row(&row(2, &with("id", "s1"))).issues.is_empty());
    assert!(v.validate_row(&row(3, &with("id", "s2"))).issues.is_empty());
    let out = v.validate_row(&row(4, &with("id", "s1")));
    let (severity, kind, message) = only_issue(&out);
    assert_eq!((severity, kind), (Severity::Error, IssueKind::DuplicateSubmissionId));
    assert!(message.contains("line 2"), "{message}");
    let (_, kind, _) = only_issue(&v.validate_row(&row(5, &with("id", ""))));
    assert_eq!(kind, IssueKind::MissingSubmissionId);
    assert_eq!(v.submission_ids().len(), 2);
}

#[test]
fn unknown_and_duplicate_columns_and_too_many_cells() {
    let config = config();
    let mut v = Validator::new(&config, "meta.tsv").with_today(today());
    let header: Vec<String> =
        ["strain", "date", "country", "colour", "Country"].iter().map(|s| s.to_string()).collect();
    let issues = v.set_header(&header);
    let kinds: Vec<_> = issues.iter().map(|i| (i.severity, i.kind, i.column.clone().unwrap())).collect();
    assert_eq!(
        kinds,
        vec![
            (Severity::Error, IssueKind::DuplicateColumn, "Country".to_owned()),
            (Severity::Warning, IssueKind::UnknownColumn, "colour".to_owned()),
            (Severity::Warning, IssueKind::UnknownColumn, "Country".to_owned()),
        ]
    );
    let out = v.validate_row(&row(2, &["s1", "2021", "Denmark", "red", "Denmark", "surplus"]));
    let errors: Vec<_> = out.issues.iter().filter(|i| i.severity == Severity::Error).collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!((errors[0].kind, errors[0].value.as_deref()), (IssueKind::TooManyCells, Some("surplus")));
}

#[test]
fn explicit_column_mapping_wins_over_names() {
    let config = config();
    let mut v = Validator::new(&config, "meta.tsv")
        .with_today(today())
        .with_column_mapping([("sampled", "collection_date")]);
    let header: Vec<String> = ["id", "sampled", "country"].iter().map(|s| s.to_string()).collect();
    assert!(v.set_header(&header).is_empty());
    let out = v.validate_row(&row(2, &["s1", "2020-02", "Denmark"]));
    assert!(out.issues.iter().all(|i| i.severity == Severity::Warning), "{:#?}", out.issues);
    assert!(matches!(out.values["collection_date"], Value::Date(_)));
}
