//! Whole files through reading, validation and the FASTA cross-check: the real Nextstrain example
//! metadata, and small broken files.

use std::collections::BTreeMap;

use virion_schema::{
    Date, IssueKind, OrganismRegistry, Severity, ValidatedRow, Value, cross_check, validate_file,
};
use virion_testdata::shared_data;

#[test]
fn nextstrain_example_metadata_validates_through_aliases() {
    let Some(data) = shared_data() else { return };
    let dir = data.join("sequences/ncov-open-example");
    let registry = OrganismRegistry::builtin();
    let config = registry.get("sars-cov-2").unwrap();
    let mut rows: Vec<ValidatedRow> = Vec::new();
    let (format, summary) =
        validate_file(&dir.join("example_metadata.tsv"), config, |v| v, |row| rows.push(row)).unwrap();

    let mut by_kind: BTreeMap<String, usize> = BTreeMap::new();
    for issue in summary.header_issues.iter().chain(rows.iter().flat_map(|r| &r.issues)) {
        *by_kind.entry(format!("{:?}/{:?}", issue.severity, issue.kind)).or_default() += 1;
    }
    let unknown: Vec<&str> = summary.header_issues.iter().filter_map(|i| i.column.as_deref()).collect();
    eprintln!(
        "ncov-open-example: {} rows, {} with errors, {} with warnings only; issues by kind {by_kind:?}; unknown columns {unknown:?}",
        summary.rows, summary.rows_with_errors, summary.rows_with_warnings_only
    );

    assert_eq!(format, virion_schema::TableFormat::Tsv);
    assert_eq!(summary.rows, 418);
    assert_eq!(
        summary.rows_with_errors,
        0,
        "the example rows are well formed: {:#?}",
        rows.iter()
            .flat_map(|r| &r.issues)
            .filter(|i| i.severity == Severity::Error)
            .take(5)
            .collect::<Vec<_>>()
    );
    assert_eq!(summary.submission_ids.len(), 418);
    // Columns the schema does not know are reported once each, at the header.
    for column in ["virus", "segment", "length", "url", "date_submitted", "region_exposure"] {
        assert!(unknown.contains(&column), "{column} should be an unknown column: {unknown:?}");
    }
    for column in [
        "strain",
        "date",
        "country",
        "host",
        "sex",
        "age",
        "gisaid_epi_isl",
        "genbank_accession",
        "title",
        "authors",
    ] {
        assert!(!unknown.contains(&column), "{column} maps to a field");
    }

    let first = &rows[0];
    assert_eq!((first.line, first.submission_id.as_deref()), (2, Some("Australia/VIC05/2020")));
    assert_eq!(first.values["isolate"], Value::Text("Australia/VIC05/2020".into()));
    assert_eq!(first.values["country"], Value::Text("Australia".into()));
    assert_eq!(first.values["insdc_accession"], Value::Text("MT450922".into()));
    assert_eq!(first.values["taxon_id"], Value::Int(2_697_049));
    let Value::Date(date) = &first.values["collection_date"] else {
        panic!("{:?}", first.values["collection_date"])
    };
    assert_eq!(
        (date.earliest, date.latest),
        (Date::new(2020, 3, 5).unwrap(), Date::new(2020, 3, 5).unwrap())
    );
    assert!(!first.values.contains_key("gisaid_accession"), "'?' is blank for SARS-CoV-2 metadata");

    // The one non-INSDC spelling is normalised with a warning, not rejected.
    let vietnam: Vec<_> = rows
        .iter()
        .flat_map(|r| &r.issues)
        .filter(|i| i.kind == IssueKind::Normalised && i.column.as_deref() == Some("country"))
        .collect();
    assert_eq!(vietnam.len(), 1, "{vietnam:#?}");
    assert_eq!(by_kind.get("Warning/Normalised"), Some(&2), "Vietnam → Viet Nam and Male → male");
    assert_eq!((vietnam[0].value.as_deref(), vietnam[0].severity), (Some("Vietnam"), Severity::Warning));
    // ENA-mandatory fields the file lacks are defaulted with a warning on every row.
    assert!(by_kind.get("Warning/DefaultApplied").copied().unwrap_or(0) >= 418 * 4);

    // Every FASTA record has its row and every row its record.
    let mut fasta = virion_io::FastaReader::from_path(&dir.join("example_sequences.fasta.gz")).unwrap();
    let mut record = virion_io::FastaRecord::default();
    let mut names = Vec::new();
    while fasta.read(&mut record).unwrap() {
        names.push((record.name.clone(), names.len() as u64 + 1));
    }
    assert_eq!(names.len(), 418);
    let issues = cross_check(
        "example_sequences.fasta.gz",
        names.iter().map(|(n, i)| (n.as_str(), *i)),
        "example_metadata.tsv",
        &summary.submission_ids,
    );
    assert!(issues.is_empty(), "{issues:#?}");
    let issues = cross_check(
        "x.fasta",
        names.iter().skip(1).map(|(n, i)| (n.as_str(), *i)),
        "example_metadata.tsv",
        &summary.submission_ids,
    );
    assert_eq!(issues.len(), 1);
    assert_eq!(
        (issues[0].kind, issues[0].value.as_deref()),
        (IssueKind::MetadataWithoutRecord, Some(names[0].0.as_str()))
    );
}

#[test]
fn broken_rows_in_a_compressed_csv() {
    let dir = tempfile::tempdir().unwrap();
    let csv = "strain,date,country,colour\n\
               A/1,2020-03-01,Denmark,red\n\
               A/2,2999-01-01,Denmark,red\n\
               A/3,2020-03,Atlantis,red\n\
               A/1,2020,usa,red\n\
               ,2020-02-30,,red\n";
    let path = dir.path().join("broken.csv.zst");
    std::fs::write(&path, zstd::encode_all(csv.as_bytes(), 3).unwrap()).unwrap();
    let config = OrganismRegistry::builtin().get("sars-cov-2").unwrap().clone();
    let today = Date::new(2025, 1, 1).unwrap();
    let mut rows = Vec::new();
    let (_, summary) = validate_file(&path, &config, |v| v.with_today(today), |r| rows.push(r)).unwrap();
    let errors = |line: u64| -> Vec<(IssueKind, Option<String>)> {
        rows.iter()
            .find(|r| r.line == line)
            .unwrap()
            .issues
            .iter()
            .filter(|i| i.severity == Severity::Error)
            .map(|i| (i.kind, i.value.clone()))
            .collect()
    };
    assert_eq!(summary.rows, 5);
    assert_eq!(summary.rows_with_errors, 4);
    assert!(errors(2).is_empty());
    assert_eq!(errors(3), vec![(IssueKind::FutureDate, Some("2999-01-01".into()))]);
    assert_eq!(errors(4), vec![(IssueKind::UnknownCountry, Some("Atlantis".into()))]);
    assert_eq!(errors(5), vec![(IssueKind::DuplicateSubmissionId, Some("A/1".into()))]);
    let kinds: Vec<IssueKind> = errors(6).into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        kinds,
        vec![IssueKind::MissingSubmissionId, IssueKind::InvalidDate, IssueKind::MissingRequired]
    );
    assert_eq!(summary.header_issues.len(), 1);
    assert_eq!(
        (summary.header_issues[0].kind, summary.header_issues[0].column.as_deref()),
        (IssueKind::UnknownColumn, Some("colour"))
    );
    let issue = rows[2].issues.iter().find(|i| i.kind == IssueKind::UnknownCountry).unwrap();
    assert_eq!(issue.file, path.display().to_string());
}

#[test]
fn many_rows_stream_with_the_ids_as_the_only_state() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.tsv.gz");
    let rows = 100_000u64;
    let mut gz =
        flate2::write::GzEncoder::new(std::fs::File::create(&path).unwrap(), flate2::Compression::fast());
    use std::io::Write;
    writeln!(gz, "strain\tdate\tcountry\thost\tsex\tauthors").unwrap();
    for i in 0..rows {
        writeln!(
            gz,
            "x/{i}/2021\t2021-{:02}-{:02}\tDenmark\tHomo sapiens\tfemale\tDoe, J; Roe, R",
            i % 12 + 1,
            i % 28 + 1
        )
        .unwrap();
    }
    gz.finish().unwrap();
    let config = OrganismRegistry::builtin().get("sars-cov-2").unwrap().clone();
    let start = std::time::Instant::now();
    let mut seen = 0u64;
    let (_, summary) = validate_file(
        &path,
        &config,
        |v| v,
        |row| {
            seen += 1;
            assert_eq!(row.line, seen + 1);
        },
    )
    .unwrap();
    let secs = start.elapsed().as_secs_f64();
    eprintln!("validated {rows} rows in {secs:.2} s ({:.0} rows/s)", rows as f64 / secs);
    assert_eq!(
        (summary.rows, summary.rows_with_errors, summary.submission_ids.len() as u64),
        (rows, 0, rows)
    );
}
