//! Dataset resolution against the real index.json, and a download from a local server directory
//! laid out like data.clades.nextstrain.org.

use std::cell::RefCell;

use virion_dataset::{Dataset, DatasetError, DatasetIndex, download, resolve};
use virion_testdata::shared_data;

#[test]
fn names_and_shortcuts_resolve_like_nextclade() {
    let Some(data) = shared_data() else { return };
    let text = std::fs::read_to_string(data.join("nextclade/index.json")).unwrap();
    let index = DatasetIndex::from_json_str(&text).unwrap();

    let r = resolve(&index, "sars-cov-2", None).unwrap();
    assert_eq!(r.dataset.path, "nextstrain/sars-cov-2/wuhan-hu-1/orfs");
    assert_eq!(r.tag, r.dataset.latest_tag());
    assert_eq!(
        r.file_path("tree.json"),
        format!("nextstrain/sars-cov-2/wuhan-hu-1/orfs/{}/tree.json", r.tag)
    );
    assert!(r.file_names().contains(&"reference.fasta".to_owned()));

    let r = resolve(&index, "nextstrain/sars-cov-2/wuhan-hu-1/orfs", Some("2025-04-01--08-20-12Z")).unwrap();
    assert_eq!(r.tag, "2025-04-01--08-20-12Z");
    assert_eq!(resolve(&index, "hMPXV", Some("latest")).unwrap().dataset.path, "nextstrain/mpox/clade-iib");

    match resolve(&index, "sars-cov-2", Some("1999-01-01--00-00-00Z")) {
        Err(DatasetError::TagNotFound { available, .. }) => assert!(available.len() > 5),
        other => panic!("expected TagNotFound, got {other:?}"),
    }
    match resolve(&index, "sars_cov", None) {
        Err(DatasetError::DatasetNotFound { suggestions, .. }) => {
            assert!(suggestions.iter().any(|s| s == "sars-cov-2"), "{suggestions:?}")
        }
        other => panic!("expected DatasetNotFound, got {other:?}"),
    }
}

#[test]
fn download_from_local_server_directory() {
    let Some(data) = shared_data() else { return };
    let src = data.join("nextclade/flu-h3n2-ha");
    let server = tempfile::tempdir().unwrap();
    let (path, tag) = ("nextstrain/flu/h3n2/ha/CY163680", "2026-04-14--11-55-23Z");
    let files = [
        "pathogen.json",
        "reference.fasta",
        "genome_annotation.gff3",
        "tree.json",
        "sequences.fasta",
        "README.md",
        "CHANGELOG.md",
    ];
    let version_dir = server.path().join(path).join(tag);
    std::fs::create_dir_all(&version_dir).unwrap();
    for f in files {
        std::fs::copy(src.join(f), version_dir.join(f)).unwrap();
    }
    let index = serde_json::json!({
        "schemaVersion": "3.0.0",
        "collections": [{
            "meta": {"id": "test"},
            "datasets": [{
                "path": path,
                "shortcuts": ["flu_h3n2_ha_broad"],
                "files": {
                    "pathogenJson": "pathogen.json", "reference": "reference.fasta",
                    "genomeAnnotation": "genome_annotation.gff3", "treeJson": "tree.json",
                    "examples": "sequences.fasta", "readme": "README.md", "changelog": "CHANGELOG.md"
                },
                "versions": [{"tag": tag}, {"tag": "2020-01-01--00-00-00Z"}],
                "version": {"tag": tag}
            }]
        }]
    });
    std::fs::write(server.path().join("index.json"), index.to_string()).unwrap();

    let out = tempfile::tempdir().unwrap();
    let out_dir = out.path().join("flu");
    let seen = RefCell::new(vec![]);
    let server_url = format!("file://{}", server.path().display());
    let got = download(&server_url, "flu_h3n2_ha_broad", None, &out_dir, &|p| {
        if p.done {
            seen.borrow_mut().push((p.file.to_owned(), p.bytes, p.count));
        }
    })
    .unwrap();
    assert_eq!(got, out_dir);
    let seen = seen.into_inner();
    assert_eq!(seen.len(), files.len());
    for (file, bytes, count) in &seen {
        assert_eq!(*count, files.len());
        let original = std::fs::read(src.join(file)).unwrap();
        assert_eq!(*bytes, original.len() as u64, "{file}");
        assert_eq!(std::fs::read(out_dir.join(file)).unwrap(), original, "{file}");
    }
    // No temporary files remain.
    let leftovers: Vec<_> = std::fs::read_dir(&out_dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty());

    let ds = Dataset::load(&out_dir).unwrap();
    assert_eq!(ds.gene_map.cds_count(), 3);

    // A plain directory path works as well; a missing version fails cleanly.
    let plain = out.path().join("plain");
    download(&server.path().display().to_string(), path, Some(tag), &plain, &|_| {}).unwrap();
    assert!(plain.join("tree.json").is_file());
    let err = download(&server_url, path, Some("2020-01-01--00-00-00Z"), &out.path().join("old"), &|_| {})
        .unwrap_err();
    assert!(matches!(err, DatasetError::Download { .. }), "{err}");
}
