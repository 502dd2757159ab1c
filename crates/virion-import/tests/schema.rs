//! database_config.yaml + reference_genomes.json, and lineage-definition files.

mod common;

use common::{data, schema};
use virion_import::{
    ImportSchema, LineageDefinition, LineageDefinitions, LineageFileError, LineageSource, MetadataKind,
    ReferenceProblem, SchemaError,
};

#[test]
fn the_fixture_config_reads_as_lapis_does() {
    let s = schema();
    assert_eq!(s.instance_name, "virion-import-test");
    assert_eq!(s.primary_key, "accession");
    assert_eq!(s.primary_key_index(), 0);
    assert_eq!(s.date_to_sort_by.as_deref(), Some("date"));
    assert_eq!(s.partition_by.as_deref(), Some("pangoLineage"));
    assert_eq!(s.features, ["generalizedAdvancedQuery"]);
    let kinds: Vec<(&str, MetadataKind, bool)> =
        s.metadata.iter().map(|f| (f.name.as_str(), f.kind, f.indexed)).collect();
    use MetadataKind::*;
    assert_eq!(
        kinds,
        [
            ("accession", String, false),
            ("date", Date, false),
            ("country", String, true),
            ("pangoLineage", String, true),
            ("age", Int32, false),
            ("reads", Int64, false),
            ("qcScore", Float, false),
            ("isComplete", Boolean, false),
        ]
    );
    assert!(s.metadata[0].phylo_tree);
    assert_eq!(s.metadata[3].lineage, Some(LineageSource::File("lineage_definitions.yaml".into())));
    assert_eq!(s.segments, [("main".to_owned(), b"ATTAAAGGTTTATACCTTCCCAGGTAACAA".to_vec())]);
    assert_eq!(s.genes.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["S", "E"]);
    assert_eq!(s.gene_index("E"), Some(1));
}

const REFS: &str =
    r#"{"nucleotideSequences":[{"name":"main","sequence":"acgt"}],"genes":[{"name":"S","sequence":"MF*"}]}"#;

fn config(metadata: &str, extra: &str) -> String {
    format!("schema:\n  instanceName: t\n  primaryKey: id\n{extra}  metadata:\n{metadata}")
}

#[test]
fn older_configs_with_a_boolean_lineage_flag_read() {
    let yaml = config(
        "    - {name: id, type: string}\n    - {name: lineage, type: string, generateIndex: true, generateLineageIndex: true}\n    - {name: n, type: int32}\n",
        "",
    );
    let s = ImportSchema::from_silo_config(&yaml, REFS).unwrap();
    assert_eq!(s.metadata[1].lineage, Some(LineageSource::Default));
    assert_eq!(s.metadata[2].kind, MetadataKind::Int32);
    // References are upper-cased.
    assert_eq!(s.segments[0].1, b"ACGT");
    let no_lineage = config("    - {name: id, type: string, generateLineageIndex: false}\n", "");
    assert_eq!(ImportSchema::from_silo_config(&no_lineage, REFS).unwrap().metadata[0].lineage, None);
}

#[test]
fn bad_configs_are_refused_with_the_reason() {
    let id = "    - {name: id, type: string}\n";
    let cases: Vec<(String, String, &str)> = vec![
        (config(&format!("{id}    - {{name: x, type: text}}\n"), ""), REFS.into(), "unknown type \"text\""),
        (config(&format!("{id}    - {{name: id, type: int}}\n"), ""), REFS.into(), "\"id\" is defined twice"),
        (config("    - {name: other, type: string}\n", ""), REFS.into(), "primaryKey \"id\" is not a metadata field"),
        (config(&format!("{id}    - {{name: n, type: int, generateIndex: true}}\n"), ""), REFS.into(), "generateIndex is only allowed on string"),
        (config(&format!("{id}    - {{name: d, type: date, generateLineageIndex: x.yaml}}\n"), ""), REFS.into(), "generateLineageIndex is only allowed"),
        (config(id, "  partitionBy: nope\n"), REFS.into(), "partitionBy \"nope\" is not a metadata field"),
        (config(id, "  dateToSortBy: id\n"), REFS.into(), "dateToSortBy \"id\" is not a date field"),
        (config("    []\n", ""), REFS.into(), "has no metadata fields"),
        (config(&format!("{id}    - {{name: main, type: string}}\n"), ""), REFS.into(), "\"main\" is used by more than one column"),
        (config(&format!("{id}    - {{name: unaligned_main, type: string}}\n"), ""), REFS.into(), "\"unaligned_main\" is used by more than one"),
        (config(id, ""), r#"{"nucleotideSequences":[{"name":"main","sequence":"ACGJ"}]}"#.into(), "letter 'J' at position 4 is not a nucleotide symbol"),
        (config(id, ""), r#"{"genes":[{"name":"S","sequence":""}]}"#.into(), "gene \"S\": the sequence is empty"),
        (config(id, ""), r#"{"genes":[{"name":"S","sequence":"M"},{"name":"S","sequence":"M"}]}"#.into(), "the name is used twice"),
        (config(id, ""), r#"{"nucleotideSequences":[{"name":"main","sequence":"A"}],"genes":[{"name":"main","sequence":"M"}]}"#.into(), "\"main\" is used by more than one"),
        ("schema: [".into(), REFS.into(), "database config: not valid"),
        ("schema:\n  instanceName: t\n".into(), REFS.into(), "database config: not valid"),
        (config(id, ""), "{".into(), "reference genomes: not valid"),
    ];
    for (yaml, refs, want) in cases {
        let e = ImportSchema::from_silo_config(&yaml, &refs).unwrap_err();
        assert!(e.to_string().contains(want), "{yaml}\n{refs}\n→ {e}\nwanted: {want}");
    }
    let e = ImportSchema::from_silo_config(&config(id, ""), r#"{"genes":[{"name":"S","sequence":""}]}"#)
        .unwrap_err();
    assert!(matches!(e, SchemaError::Reference { problem: ReferenceProblem::Empty, .. }));
    let e = ImportSchema::from_silo_files(&data("nope.yaml"), &data("reference_genomes.json")).unwrap_err();
    assert!(e.to_string().starts_with("cannot read ") && e.to_string().contains("nope.yaml"), "{e}");
}

fn def(label: &str, parents: &[&str], aliases: &[&str]) -> LineageDefinition {
    LineageDefinition {
        label: label.into(),
        parents: parents.iter().map(|s| s.to_string()).collect(),
        aliases: aliases.iter().map(|s| s.to_string()).collect(),
    }
}

#[test]
fn lineage_definitions_read_in_file_order() {
    let defs = LineageDefinitions::from_path(&data("lineage_definitions.yaml")).unwrap();
    assert_eq!(
        defs.lineages,
        [
            def("A", &[], &["Root"]),
            def("A.1", &["A"], &[]),
            def("B", &[], &[]),
            def("B.1", &["B"], &[]),
            def("B.1.1.7", &["B.1"], &["Alpha"]),
            def("XA", &["B.1.1.7", "A.1"], &[]),
            def("1.10", &[], &[]),
        ]
    );
    assert_eq!(defs.resolve("Alpha"), Some(4));
    assert_eq!(defs.resolve("XA"), Some(5));
    assert_eq!(defs.resolve("C"), None);
    assert_eq!(LineageDefinitions::from_yaml("").unwrap(), LineageDefinitions::default());
}

#[test]
fn bad_lineage_definitions_are_refused() {
    let cases = [
        ("A: {}\nA: {}\n", "lineage \"A\" is defined twice"),
        ("A: {aliases: [B]}\nB: {}\n", "\"B\" is both a lineage and an alias"),
        ("A: {aliases: [X]}\nB: {aliases: [X]}\n", "\"X\" is both a lineage and an alias"),
        ("A: {parents: [Z]}\n", "lineage \"A\" names parent \"Z\", which is not defined"),
        ("A: {parents: [B]}\nB: {parents: [C]}\nC: {parents: [A]}\n", "the parents form a cycle"),
        ("A: {parents: [A]}\n", "the parents form a cycle through \"A\""),
        ("A: {parent: [B]}\nB: {}\n", "not valid YAML"),
        ("A: {parents: B}\n", "not valid YAML"),
        ("- A\n- B\n", "not valid YAML"),
        ("A: [\n", "not valid YAML"),
    ];
    for (yaml, want) in cases {
        let e = LineageDefinitions::from_yaml(yaml).unwrap_err();
        assert!(e.to_string().contains(want), "{yaml:?} → {e}\nwanted: {want}");
    }
    assert!(matches!(
        LineageDefinitions::from_path(&data("missing.yaml")).unwrap_err(),
        LineageFileError::Io { .. }
    ));
}

/// `generateLineageIndex: name` means the file `name`, else `name.yaml`, compared exactly, as
/// SILO's `Initializer::findLineageTreeForName` matches its lineage-definition files.
#[test]
fn a_lineage_index_name_finds_its_file_as_silo_does() {
    let dir = tempfile::tempdir().unwrap();
    let put = |name: &str| std::fs::write(dir.path().join(name), "A: {}\n").unwrap();
    let found = |name: &str| {
        LineageDefinitions::locate(dir.path(), name)
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .map_err(|e| e.to_string())
    };
    put("pango.yaml");
    assert_eq!(found("pango").unwrap(), "pango.yaml");
    assert_eq!(found("pango.yaml").unwrap(), "pango.yaml");
    put("pango");
    assert_eq!(found("pango").unwrap(), "pango", "the exact name comes first");
    // Only `.yaml` is tried, and case counts.
    put("nextstrain.yml");
    put("Clades.yaml");
    let none = |name: &str| found(name).unwrap_err();
    assert_eq!(
        none("nextstrain"),
        format!(
            "no lineage definitions file \"nextstrain\" or \"nextstrain.yaml\" in {}",
            dir.path().display()
        )
    );
    assert!(none("clades").starts_with("no lineage definitions file \"clades\""));
    // A directory is no definitions file.
    std::fs::create_dir(dir.path().join("tree")).unwrap();
    put("tree.yaml");
    assert_eq!(found("tree").unwrap(), "tree.yaml");
    // SILO compares file names, so a path never matches.
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::fs::write(dir.path().join("sub/x.yaml"), "A: {}\n").unwrap();
    for name in ["sub/x.yaml", "sub/x", "..", ""] {
        assert!(matches!(
            LineageDefinitions::locate(dir.path(), name),
            Err(LineageFileError::NotAFileName { .. })
        ));
    }
    assert_eq!(none("sub/x"), "\"sub/x\" is not a file name (SILO matches it against file names only)");
    assert!(matches!(
        LineageDefinitions::locate(&dir.path().join("absent"), "pango"),
        Err(LineageFileError::Io { .. })
    ));
}
