//! The crates pass roc-validator's `ro-crate-1.2` profile, run offline through
//! `tests/roc_offline.py` (which serves the JSON-LD context from the shared data and refuses
//! every other URL), and a crate without `datePublished` fails it.
//!
//! Skips with a notice when `rocrate-validator` is not on PATH; with
//! `VIRION_REQUIRE_ROC_VALIDATOR=1` that is a failure instead.

mod common;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

const TIMEOUT: Duration = Duration::from_secs(180);

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// The folder of RO-Crate contexts in the shared data, or `None` (after a notice) when the
/// validator or the data is missing.
fn setup() -> Option<PathBuf> {
    let contexts = virion_testdata::shared_data()?.join("fair/ro-crate");
    assert!(contexts.join("1.2/context.jsonld").is_file(), "{} lacks 1.2/context.jsonld", contexts.display());
    let importable = on_path("rocrate-validator")
        && Command::new("python3")
            .args(["-c", "import rocrate_validator"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
    if importable {
        return Some(contexts);
    }
    if std::env::var("VIRION_REQUIRE_ROC_VALIDATOR").as_deref() == Ok("1") {
        panic!("rocrate-validator (PyPI roc-validator) is not installed but VIRION_REQUIRE_ROC_VALIDATOR=1");
    }
    eprintln!("skipping: rocrate-validator not on PATH (pip install roc-validator)");
    None
}

struct Outcome {
    exit: Option<i32>,
    report: Value,
    stderr: String,
}

/// Runs the validator on `crate_zip` with no network and reads its JSON report.
fn validate(contexts: &Path, crate_zip: &Path) -> Outcome {
    let work = tempfile::tempdir().unwrap();
    let report_path = work.path().join("report.json");
    let wrapper = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/roc_offline.py");
    let mut child = Command::new("python3")
        .arg(&wrapper)
        .arg(contexts)
        .args(["-y", "validate", "--no-cache", "-p", "ro-crate-1.2", "--no-paging", "-f", "json", "-o"])
        .arg(&report_path)
        .arg(crate_zip)
        .current_dir(work.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    // Read stderr on a thread so a chatty validator cannot block on a full pipe.
    let mut pipe = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        pipe.read_to_string(&mut text).ok();
        text
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > TIMEOUT {
            child.kill().ok();
            child.wait().ok();
            panic!("rocrate-validator ran longer than {TIMEOUT:?}: is it waiting on the network?");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let stderr = reader.join().unwrap();
    let text = std::fs::read_to_string(&report_path)
        .unwrap_or_else(|e| panic!("no report ({e}); exit {status}; stderr:\n{stderr}"));
    let report = serde_json::from_str(&text).unwrap_or_else(|e| panic!("report is not JSON ({e}):\n{text}"));
    Outcome { exit: status.code(), report, stderr }
}

fn assert_passes(contexts: &Path, crate_zip: &Path) {
    let outcome = validate(contexts, crate_zip);
    let issues = serde_json::to_string_pretty(&outcome.report["issues"]).unwrap();
    assert_eq!(
        outcome.report["passed"],
        Value::Bool(true),
        "{} fails ro-crate-1.2:\n{issues}\nstderr:\n{}",
        crate_zip.display(),
        outcome.stderr
    );
    assert_eq!(outcome.exit, Some(0), "stderr:\n{}", outcome.stderr);
    // The profile was really applied: checks ran and the validation was against 1.2.
    assert_eq!(outcome.report["validation_settings"]["profile_identifier"], "ro-crate-1.2");
    let checks = &outcome.report["statistics"]["total_checks"];
    assert!(checks.as_u64().is_some_and(|n| n > 0), "no checks ran: {}", outcome.report["statistics"]);
    // Nothing was fetched but the context, so the result does not depend on the network.
    assert!(!outcome.stderr.contains("refused network access"), "stderr:\n{}", outcome.stderr);
}

#[test]
fn full_crate_passes_roc_validator_offline() {
    let Some(contexts) = setup() else { return };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("full.zip");
    write_full(&path);
    assert_passes(&contexts, &path);
}

#[test]
fn minimal_crate_passes_roc_validator_offline() {
    let Some(contexts) = setup() else { return };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("minimal.zip");
    write_minimal(&path);
    assert_passes(&contexts, &path);
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
    let Some(contexts) = setup() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (good, bad) = (dir.path().join("full.zip"), dir.path().join("no-date.zip"));
    write_full(&good);
    rewrite_metadata(&good, &bad, |doc| {
        let root = doc["@graph"].as_array_mut().unwrap().iter_mut().find(|e| e["@id"] == "./").unwrap();
        assert!(root.as_object_mut().unwrap().remove("datePublished").is_some());
    });
    let outcome = validate(&contexts, &bad);
    assert_eq!(outcome.report["passed"], Value::Bool(false), "a crate without datePublished passed");
    assert_ne!(outcome.exit, Some(0));
    let issues = outcome.report["issues"].to_string();
    assert!(issues.contains("datePublished"), "the issues do not name datePublished:\n{issues}");
}
