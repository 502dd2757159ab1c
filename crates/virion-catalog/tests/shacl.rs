//! The catalogue against the official shapes, run offline with pySHACL: DCAT-AP 3.0.1 and
//! HealthDCAT-AP release 8 (public level). The graph must conform on its own, without a separate
//! background file; graphs with a mandatory property removed must not.
//!
//! pySHACL missing from PATH skips these tests with a notice, or fails them when
//! `VIRION_REQUIRE_PYSHACL=1`. The shapes come from the shared data (`fair/`, see its
//! PROVENANCE.md).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use oxrdf::{Graph, Literal, NamedNodeRef, TripleRef};
use tempfile::TempDir;
use virion_catalog::{AccessRight, RdfFormat, write_graph};

const DCAT_AP_SHAPES: &[&str] = &[
    "fair/dcat-ap-3.0.1/html/shacl/shapes.ttl",
    "fair/dcat-ap-3.0.1/html/shacl/range.ttl",
    "fair/dcat-ap-3.0.1/html/shacl/mdr-vocabularies.shape.ttl",
    "fair/dcat-ap-3.0.1/html/shacl/deprecateduris.ttl",
];

/// The HealthDCAT-AP validator's public profile: DCAT-AP's core and range shapes, which the
/// health files import, then the health files (whose codelist file replaces DCAT-AP's).
const HEALTH_PUBLIC_SHAPES: &[&str] = &[
    "fair/dcat-ap-3.0.1/html/shacl/shapes.ttl",
    "fair/dcat-ap-3.0.1/html/shacl/range.ttl",
    "fair/healthdcat-ap-r8/validator/shapes/graph-guard.ttl",
    "fair/healthdcat-ap-r8/validator/shapes/public-shapes.ttl",
    "fair/healthdcat-ap-r8/validator/ranges/range.ttl",
    "fair/healthdcat-ap-r8/validator/controlled-vocabularies/mdr-vocabularies.shape.ttl",
];

/// `public-shapes.ttl` links one property shape without `sh:path` (the rule "hasStructuredData
/// true ⇒ at least one hasVariables"), which makes pySHACL reject the whole shapes graph. Its
/// `sh:or` is a node-level rule, so this moves it onto a node shape of its own with the same
/// targets: the rule is kept and checked rather than dropped.
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

struct Profiles {
    dir: TempDir,
    dcat_ap: PathBuf,
    health_public: PathBuf,
}

/// pySHACL is on PATH (or the test must fail), and the shapes are in the shared data.
fn profiles() -> Option<Profiles> {
    let found = Command::new("pyshacl").arg("--version").output().is_ok_and(|o| o.status.success());
    if !found {
        if std::env::var("VIRION_REQUIRE_PYSHACL").as_deref() == Ok("1") {
            panic!("pyshacl is not on PATH but VIRION_REQUIRE_PYSHACL=1");
        }
        eprintln!("skipping: pyshacl not on PATH");
        return None;
    }
    let data = virion_testdata::shared_data()?;
    let dir = tempfile::tempdir().expect("temp dir");
    let concatenate = |files: &[&str], out: &Path| {
        // Turtle allows prefixes to be declared again, so the files can simply be appended.
        let mut all = String::new();
        for file in files {
            all += &std::fs::read_to_string(data.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
            all.push('\n');
        }
        std::fs::write(out, all).expect("write shapes");
    };
    let dcat_ap = dir.path().join("dcat-ap.ttl");
    concatenate(DCAT_AP_SHAPES, &dcat_ap);
    let health_raw = dir.path().join("health-public-raw.ttl");
    concatenate(HEALTH_PUBLIC_SHAPES, &health_raw);
    let script = dir.path().join("repair.py");
    std::fs::write(&script, REPAIR_PATHLESS_SHAPE).expect("write script");
    let health_public = dir.path().join("health-public.ttl");
    let repair =
        Command::new("python3").arg(&script).arg(&health_raw).arg(&health_public).output().expect("python3");
    assert!(
        repair.status.success(),
        "repairing the shapes failed: {}",
        String::from_utf8_lossy(&repair.stderr)
    );
    Some(Profiles { dir, dcat_ap, health_public })
}

/// Whether `graph`, written in `format`, conforms to `shapes` (warnings allowed), and pySHACL's
/// report.
fn validate(profiles: &Profiles, shapes: &Path, graph: &Graph, format: RdfFormat) -> (bool, String) {
    let data = tempfile::Builder::new()
        .prefix("catalog-")
        .suffix(&format!(".{}", format.extension()))
        .tempfile_in(profiles.dir.path())
        .expect("temp file")
        .into_temp_path();
    std::fs::write(&data, write_graph(graph, format, Vec::new()).expect("serialises")).expect("write data");
    let data_format = match format {
        RdfFormat::Turtle => "turtle",
        RdfFormat::JsonLd => "json-ld",
        RdfFormat::RdfXml => "xml",
    };
    let out = Command::new("pyshacl")
        .args(["-w", "-sf", "turtle", "-df", data_format, "-s"])
        .arg(shapes)
        .arg(&data)
        .output()
        .expect("run pyshacl");
    let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    match out.status.code() {
        Some(0) => (true, report),
        Some(1) => (false, report),
        _ => panic!("pyshacl could not validate ({:?}):\n{report}", out.status),
    }
}

fn catalog_graph() -> Graph {
    common::catalog().graph().expect("catalogue builds").graph
}

#[test]
fn conforms_to_dcat_ap_in_every_format() {
    let Some(profiles) = profiles() else { return };
    let graph = catalog_graph();
    for format in RdfFormat::ALL {
        let (conforms, report) = validate(&profiles, &profiles.dcat_ap, &graph, format);
        assert!(conforms, "{format:?} output does not conform to DCAT-AP 3.0.1:\n{report}");
    }
}

#[test]
fn conforms_to_healthdcat_ap_public() {
    let Some(profiles) = profiles() else { return };
    let (conforms, report) =
        validate(&profiles, &profiles.health_public, &catalog_graph(), RdfFormat::Turtle);
    assert!(conforms, "does not conform to HealthDCAT-AP public:\n{report}");
}

fn without(graph: &mut Graph, subject: &str, predicate: &str) {
    let subject = NamedNodeRef::new(subject).expect("IRI");
    let predicate = NamedNodeRef::new(predicate).expect("IRI");
    let objects: Vec<_> =
        graph.objects_for_subject_predicate(subject, predicate).map(|o| o.into_owned()).collect();
    assert!(!objects.is_empty(), "{subject} has no {predicate}");
    for object in &objects {
        graph.remove(TripleRef::new(subject, predicate, object));
    }
}

const SARS: &str = "https://virion.example.org/dataset/sars-cov-2";

#[test]
fn a_dataset_without_description_fails_both_profiles() {
    let Some(profiles) = profiles() else { return };
    let mut graph = catalog_graph();
    without(&mut graph, SARS, "http://purl.org/dc/terms/description");
    for shapes in [&profiles.dcat_ap, &profiles.health_public] {
        let (conforms, report) = validate(&profiles, shapes, &graph, RdfFormat::Turtle);
        assert!(!conforms, "missing dct:description passed {}:\n{report}", shapes.display());
        assert!(report.contains("dc/terms/description") || report.contains("dct:description"), "{report}");
    }
}

#[test]
fn health_public_profile_rejects_what_dcat_ap_allows() {
    let Some(profiles) = profiles() else { return };
    // A restricted dataset is valid DCAT-AP but not a public-level HealthDCAT-AP dataset.
    let mut catalog = common::catalog();
    catalog.datasets[1].access_rights = AccessRight::Restricted;
    let graph = catalog.graph().expect("builds").graph;
    let (conforms, report) = validate(&profiles, &profiles.dcat_ap, &graph, RdfFormat::Turtle);
    assert!(conforms, "{report}");
    let (conforms, report) = validate(&profiles, &profiles.health_public, &graph, RdfFormat::Turtle);
    assert!(!conforms, "a RESTRICTED dataset passed the public profile:\n{report}");

    // Without its HDAB a dataset fails the health profile too.
    let mut graph = catalog_graph();
    without(&mut graph, SARS, "http://healthdataportal.eu/ns/health#hdab");
    let (conforms, report) = validate(&profiles, &profiles.health_public, &graph, RdfFormat::Turtle);
    assert!(!conforms, "a dataset without healthdcatap:hdab passed:\n{report}");
}

#[test]
fn repaired_structured_data_rule_is_enforced() {
    let Some(profiles) = profiles() else { return };
    let mut graph = catalog_graph();
    without(&mut graph, SARS, "http://healthdataportal.eu/ns/health#hasVariables");
    assert!(graph.contains(TripleRef::new(
        NamedNodeRef::new(SARS).expect("IRI"),
        NamedNodeRef::new("http://healthdataportal.eu/ns/health#hasStructuredData").expect("IRI"),
        &Literal::from(true),
    )));
    let (conforms, report) = validate(&profiles, &profiles.health_public, &graph, RdfFormat::Turtle);
    assert!(!conforms, "hasStructuredData true without hasVariables passed:\n{report}");
    assert!(report.contains("hasVariables"), "{report}");
}
