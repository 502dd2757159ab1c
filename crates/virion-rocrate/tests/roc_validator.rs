//! The crates pass roc-validator's `ro-crate-1.2` profile, run offline by
//! `virion_testdata::tools::roc_validator` (which serves the JSON-LD context from the shared data
//! and refuses every other URL), and a crate without `datePublished` fails it.
//!
//! Skips with a notice when roc-validator is not installed; with
//! `VIRION_REQUIRE_ROC_VALIDATOR=1` that is a failure instead.

mod common;

use std::io::Write;
use std::path::Path;

use common::*;
use serde_json::Value;
use virion_testdata::tools::roc_validator;

#[test]
fn full_crate_passes_roc_validator_offline() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("full.zip");
    write_full(&path);
    if let Some(outcome) = roc_validator(&path) {
        outcome.assert_passed("the full crate");
    }
}

#[test]
fn minimal_crate_passes_roc_validator_offline() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("minimal.zip");
    write_minimal(&path);
    if let Some(outcome) = roc_validator(&path) {
        outcome.assert_passed("the minimal crate");
    }
}

/// Copies `from` to `to`, passing the metadata JSON through `edit`.
fn rewrite_metadata(from: &Path, to: &Path, edit: impl Fn(&mut Value)) {
    let mut writer = zip::ZipWriter::new(std::fs::File::create(to).unwrap());
    for (name, bytes) in unzip(from) {
        let bytes = if name == "ro-crate-metadata.json" {
            let mut doc: Value = serde_json::from_slice(&bytes).unwrap();
            edit(&mut doc);
            serde_json::to_vec_pretty(&doc).unwrap()
        } else {
            bytes
        };
        let options =
            zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        writer.start_file(name, options).unwrap();
        writer.write_all(&bytes).unwrap();
    }
    writer.finish().unwrap();
}

#[test]
fn crate_without_date_published_fails() {
    let dir = tempfile::tempdir().unwrap();
    let (good, bad) = (dir.path().join("full.zip"), dir.path().join("no-date.zip"));
    write_full(&good);
    rewrite_metadata(&good, &bad, |doc| {
        let root = doc["@graph"].as_array_mut().unwrap().iter_mut().find(|e| e["@id"] == "./").unwrap();
        assert!(root.as_object_mut().unwrap().remove("datePublished").is_some());
    });
    let Some(outcome) = roc_validator(&bad) else { return };
    assert_eq!(outcome.report["passed"], Value::Bool(false), "a crate without datePublished passed");
    assert_ne!(outcome.exit, Some(0));
    let issues = outcome.report["issues"].to_string();
    assert!(issues.contains("datePublished"), "the issues do not name datePublished:\n{issues}");
}
