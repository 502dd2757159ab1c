//! The standards' own validators, run by tests: xmllint (ENA's XSDs) and pySHACL (DCAT-AP and
//! HealthDCAT-AP shapes), offline, as `../shared/data/fair/PROVENANCE.md` says.
//!
//! Each returns `None` after printing a notice when its tool is not on PATH, unless the tool's
//! `VIRION_REQUIRE_…` variable is `1` (CI sets it): then a missing tool is a panic, so that CI
//! cannot pass by skipping.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Whether `program` runs (`--version`), or `None` after the skip notice.
fn available(program: &str, require_var: &str) -> Option<()> {
    let runs = Command::new(program).arg("--version").output().is_ok_and(|o| o.status.success());
    if runs {
        return Some(());
    }
    if std::env::var(require_var).as_deref() == Ok("1") {
        panic!("{program} is not on PATH but {require_var}=1");
    }
    eprintln!("skipping: {program} not on PATH");
    None
}

/// Validates `xml` against `xsd` with `xmllint --nonet --schema` (Debian's libxml2-utils).
/// `Some(Err(report))` when it does not validate.
pub fn xmllint(xsd: &Path, xml: &Path) -> Option<Result<(), String>> {
    available("xmllint", "VIRION_REQUIRE_XMLLINT")?;
    let out = Command::new("xmllint")
        .args(["--nonet", "--noout", "--schema"])
        .arg(xsd)
        .arg(xml)
        .output()
        .expect("running xmllint");
    if out.status.success() {
        Some(Ok(()))
    } else {
        Some(Err(format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))))
    }
}

/// Concatenated Turtle shapes (Turtle allows prefixes to be declared again).
fn concatenated(files: &[PathBuf], into: &Path) {
    let mut all = String::new();
    for f in files {
        all.push_str(&std::fs::read_to_string(f).unwrap_or_else(|e| panic!("{}: {e}", f.display())));
        all.push('\n');
    }
    std::fs::write(into, all).unwrap();
}

/// Runs pySHACL with warnings allowed (`-w`); `Err(report)` when the data does not conform.
fn pyshacl(shapes: &Path, data: &Path) -> Result<(), String> {
    let out =
        Command::new("pyshacl").arg("-w").arg("-s").arg(shapes).arg(data).output().expect("running pyshacl");
    let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    match out.status.code() {
        Some(0) => Ok(()),
        Some(1) => Err(report),
        _ => panic!("pyshacl could not validate ({:?}):\n{report}", out.status),
    }
}

/// Whether `data` (Turtle) conforms to DCAT-AP 3.0.1: base shapes, ranges, controlled
/// vocabularies and deprecated terms (warnings allowed).
pub fn dcat_ap_conforms(shared: &Path, data: &Path) -> Option<Result<(), String>> {
    available("pyshacl", "VIRION_REQUIRE_PYSHACL")?;
    let dir = shared.join("fair/dcat-ap-3.0.1/html/shacl");
    let work = tempfile::tempdir().unwrap();
    let shapes = work.path().join("dcat-ap.ttl");
    let files: Vec<PathBuf> = ["shapes.ttl", "range.ttl", "mdr-vocabularies.shape.ttl", "deprecateduris.ttl"]
        .iter()
        .map(|f| dir.join(f))
        .collect();
    concatenated(&files, &shapes);
    Some(pyshacl(&shapes, data))
}

/// Removes the one property shape of HealthDCAT-AP's public shapes that has no `sh:path` (an
/// upstream defect that makes pySHACL refuse the whole shapes graph; PROVENANCE.md).
const REPAIR: &str = r#"
import sys, rdflib
from rdflib.namespace import SH
g = rdflib.Graph(); g.parse(sys.argv[1], format="turtle")
for shape, _, prop in list(g.triples((None, SH.property, None))):
    if (prop, SH.path, None) not in g:
        g.remove((shape, SH.property, prop))
g.serialize(sys.argv[2], format="turtle")
"#;

/// Whether `data` (Turtle) conforms to HealthDCAT-AP release 8 at the PUBLIC level: DCAT-AP's
/// shapes and ranges with the health graph guard, public shapes, ranges and vocabularies.
pub fn healthdcat_ap_conforms(shared: &Path, data: &Path) -> Option<Result<(), String>> {
    available("pyshacl", "VIRION_REQUIRE_PYSHACL")?;
    let dcat = shared.join("fair/dcat-ap-3.0.1/html/shacl");
    let health = shared.join("fair/healthdcat-ap-r8/validator");
    let work = tempfile::tempdir().unwrap();
    let raw = work.path().join("health-raw.ttl");
    let files = vec![
        dcat.join("shapes.ttl"),
        dcat.join("range.ttl"),
        health.join("shapes/graph-guard.ttl"),
        health.join("shapes/public-shapes.ttl"),
        health.join("ranges/range.ttl"),
        health.join("controlled-vocabularies/mdr-vocabularies.shape.ttl"),
    ];
    concatenated(&files, &raw);
    let shapes = work.path().join("health.ttl");
    let out = Command::new("python3")
        .arg("-c")
        .arg(REPAIR)
        .arg(&raw)
        .arg(&shapes)
        .output()
        .expect("running python3");
    assert!(
        out.status.success(),
        "repairing the HealthDCAT-AP shapes: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(pyshacl(&shapes, data))
}
