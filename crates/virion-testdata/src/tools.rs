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

/// DCAT-AP 3.0.1 as the EU test bed's validator applies it: base shapes, ranges, controlled
/// vocabularies and deprecated terms.
const DCAT_AP_SHAPES: &[&str] = &[
    "fair/dcat-ap-3.0.1/html/shacl/shapes.ttl",
    "fair/dcat-ap-3.0.1/html/shacl/range.ttl",
    "fair/dcat-ap-3.0.1/html/shacl/mdr-vocabularies.shape.ttl",
    "fair/dcat-ap-3.0.1/html/shacl/deprecateduris.ttl",
];

/// HealthDCAT-AP release 8's public profile: DCAT-AP's core and range shapes, which the health
/// files import, then the health files (whose codelist file replaces DCAT-AP's).
const HEALTH_PUBLIC_SHAPES: &[&str] = &[
    "fair/dcat-ap-3.0.1/html/shacl/shapes.ttl",
    "fair/dcat-ap-3.0.1/html/shacl/range.ttl",
    "fair/healthdcat-ap-r8/validator/shapes/graph-guard.ttl",
    "fair/healthdcat-ap-r8/validator/shapes/public-shapes.ttl",
    "fair/healthdcat-ap-r8/validator/ranges/range.ttl",
    "fair/healthdcat-ap-r8/validator/controlled-vocabularies/mdr-vocabularies.shape.ttl",
];

/// `public-shapes.ttl` links one property shape without `sh:path` (the rule "hasStructuredData
/// true ⇒ at least one hasVariables"), which makes pySHACL reject the whole shapes graph
/// (PROVENANCE.md). Its `sh:or` is a node-level rule, so this moves it onto a node shape of its
/// own with the same targets: the rule is kept and checked rather than dropped.
const REPAIR_PATHLESS_SHAPE: &str = r#"
import sys
from rdflib import BNode, Graph, Namespace
from rdflib.namespace import RDF

SH = Namespace("http://www.w3.org/ns/shacl#")
shapes = Graph()
shapes.parse(sys.argv[1], format="turtle")
repaired = 0
for shape, prop in list(shapes.subject_objects(SH.property)):
    if (prop, SH.path, None) in shapes:
        continue
    shapes.remove((shape, SH.property, prop))
    node = BNode()
    shapes.add((node, RDF.type, SH.NodeShape))
    for target in list(shapes.objects(shape, SH.targetClass)):
        shapes.add((node, SH.targetClass, target))
    for predicate, value in list(shapes.predicate_objects(prop)):
        shapes.add((node, predicate, value))
        shapes.remove((prop, predicate, value))
    repaired += 1
if repaired != 1:
    sys.exit(f"expected exactly one property shape without sh:path, found {repaired}")
shapes.serialize(destination=sys.argv[2], format="turtle")
"#;

/// The two SHACL profiles a catalogue is checked against, each one Turtle file (pySHACL's
/// command line takes one shapes file), in a temporary directory kept while this lives.
#[derive(Debug)]
pub struct ShaclProfiles {
    dir: tempfile::TempDir,
    /// DCAT-AP 3.0.1.
    pub dcat_ap: PathBuf,
    /// HealthDCAT-AP release 8, public level (the path-less shape repaired).
    pub health_public: PathBuf,
}

impl ShaclProfiles {
    /// A directory for data files beside the shapes.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

/// The profiles from the shared data, or `None` (after a notice) without pySHACL or the data.
pub fn shacl_profiles() -> Option<ShaclProfiles> {
    available("pyshacl", "VIRION_REQUIRE_PYSHACL")?;
    let shared = crate::shared_data()?;
    let dir = tempfile::tempdir().unwrap();
    // Turtle allows prefixes to be declared again, so the files can simply be appended.
    let concatenate = |files: &[&str], out: &Path| {
        let mut all = String::new();
        for f in files {
            all.push_str(&std::fs::read_to_string(shared.join(f)).unwrap_or_else(|e| panic!("{f}: {e}")));
            all.push('\n');
        }
        std::fs::write(out, all).unwrap();
    };
    let dcat_ap = dir.path().join("dcat-ap.ttl");
    concatenate(DCAT_AP_SHAPES, &dcat_ap);
    let raw = dir.path().join("health-public-raw.ttl");
    concatenate(HEALTH_PUBLIC_SHAPES, &raw);
    let health_public = dir.path().join("health-public.ttl");
    let out = Command::new("python3")
        .arg("-c")
        .arg(REPAIR_PATHLESS_SHAPE)
        .arg(&raw)
        .arg(&health_public)
        .output()
        .expect("running python3");
    assert!(
        out.status.success(),
        "repairing the HealthDCAT-AP shapes: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(ShaclProfiles { dir, dcat_ap, health_public })
}

/// Runs pySHACL with warnings allowed (`-w`) on `data` (its RDF syntax as pySHACL names it:
/// `turtle`, `json-ld`, `xml`); `Err(report)` when the data does not conform.
pub fn pyshacl(shapes: &Path, data: &Path, data_format: &str) -> Result<String, String> {
    let out = Command::new("pyshacl")
        .args(["-w", "-sf", "turtle", "-df", data_format, "-s"])
        .arg(shapes)
        .arg(data)
        .output()
        .expect("running pyshacl");
    let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    match out.status.code() {
        Some(0) => Ok(report),
        Some(1) => Err(report),
        _ => panic!("pyshacl could not validate ({:?}):\n{report}", out.status),
    }
}

/// Whether `data` (Turtle) conforms to DCAT-AP 3.0.1.
pub fn dcat_ap_conforms(data: &Path) -> Option<Result<(), String>> {
    let profiles = shacl_profiles()?;
    Some(pyshacl(&profiles.dcat_ap, data, "turtle").map(|_| ()))
}

/// Whether `data` (Turtle) conforms to HealthDCAT-AP release 8 at the PUBLIC level.
pub fn healthdcat_ap_conforms(data: &Path) -> Option<Result<(), String>> {
    let profiles = shacl_profiles()?;
    Some(pyshacl(&profiles.health_public, data, "turtle").map(|_| ()))
}

/// What roc-validator said of a crate.
#[derive(Debug)]
pub struct RocOutcome {
    /// The validator's exit code.
    pub exit: Option<i32>,
    /// Its JSON report (`passed`, `issues`, `statistics`, …).
    pub report: serde_json::Value,
    /// What it wrote to stderr (the offline wrapper names any URL it refused there).
    pub stderr: String,
}

impl RocOutcome {
    /// Panics, with the issues, unless the crate passed every REQUIRED check of RO-Crate 1.2,
    /// checks really ran, and nothing but the JSON-LD context was asked of the network.
    pub fn assert_passed(&self, what: &str) {
        let issues = serde_json::to_string_pretty(&self.report["issues"]).unwrap_or_default();
        assert_eq!(
            self.report["passed"],
            serde_json::Value::Bool(true),
            "{what} fails ro-crate-1.2:\n{issues}\nstderr:\n{}",
            self.stderr
        );
        assert_eq!(self.exit, Some(0), "stderr:\n{}", self.stderr);
        assert_eq!(self.report["validation_settings"]["profile_identifier"], "ro-crate-1.2");
        let checks = &self.report["statistics"]["total_checks"];
        assert!(checks.as_u64().is_some_and(|n| n > 0), "no checks ran: {}", self.report["statistics"]);
        assert!(!self.stderr.contains("refused network access"), "stderr:\n{}", self.stderr);
    }
}

/// Longest a validation may run: a hang means it is waiting on the network.
const ROC_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(180);

/// Runs roc-validator 0.13 (PyPI `roc-validator`, command `rocrate-validator`) on `crate_zip`
/// with the `ro-crate-1.2` profile and no network: `roc_offline.py` (beside this crate's
/// manifest) answers the RO-Crate context URLs from `../shared/data/fair/ro-crate` and refuses
/// every other URL. `None` (after a notice) when the validator or the shared data is missing.
pub fn roc_validator(crate_zip: &Path) -> Option<RocOutcome> {
    use std::io::Read;
    use std::process::Stdio;
    let contexts = crate::shared_data()?.join("fair/ro-crate");
    let importable = Command::new("python3")
        .args(["-c", "import rocrate_validator"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !importable {
        if std::env::var("VIRION_REQUIRE_ROC_VALIDATOR").as_deref() == Ok("1") {
            panic!(
                "rocrate-validator (PyPI roc-validator) is not installed but VIRION_REQUIRE_ROC_VALIDATOR=1"
            );
        }
        eprintln!("skipping: rocrate-validator not installed (pip install roc-validator)");
        return None;
    }
    let work = tempfile::tempdir().unwrap();
    let report_path = work.path().join("report.json");
    let wrapper = Path::new(env!("CARGO_MANIFEST_DIR")).join("roc_offline.py");
    let mut child = Command::new("python3")
        .arg(&wrapper)
        .arg(&contexts)
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
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > ROC_TIMEOUT {
            child.kill().ok();
            child.wait().ok();
            panic!("rocrate-validator ran longer than {ROC_TIMEOUT:?}: is it waiting on the network?");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let stderr = reader.join().unwrap();
    let text = std::fs::read_to_string(&report_path)
        .unwrap_or_else(|e| panic!("no report ({e}); exit {status}; stderr:\n{stderr}"));
    let report = serde_json::from_str(&text).unwrap_or_else(|e| panic!("report is not JSON ({e}):\n{text}"));
    Some(RocOutcome { exit: status.code(), report, stderr })
}
