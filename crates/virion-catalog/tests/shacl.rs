//! The catalogue against the official shapes, run offline with pySHACL: DCAT-AP 3.0.1 and
//! HealthDCAT-AP release 8 (public level). The graph must conform on its own, without a separate
//! background file; graphs with a mandatory property removed must not.
//!
//! pySHACL missing from PATH skips these tests with a notice, or fails them when
//! `VIRION_REQUIRE_PYSHACL=1`. The shapes come from the shared data (`fair/`, see its
//! PROVENANCE.md), put together by `virion_testdata::tools::shacl_profiles`.

mod common;

use std::path::Path;

use oxrdf::{Graph, Literal, NamedNodeRef, TripleRef};
use virion_catalog::{AccessRight, RdfFormat, write_graph};
use virion_testdata::tools::{ShaclProfiles, pyshacl, shacl_profiles as profiles};

/// Whether `graph`, written in `format`, conforms to `shapes` (warnings allowed), and pySHACL's
/// report.
fn validate(profiles: &ShaclProfiles, shapes: &Path, graph: &Graph, format: RdfFormat) -> (bool, String) {
    let data = tempfile::Builder::new()
        .prefix("catalog-")
        .suffix(&format!(".{}", format.extension()))
        .tempfile_in(profiles.dir())
        .expect("temp file")
        .into_temp_path();
    std::fs::write(&data, write_graph(graph, format, Vec::new()).expect("serialises")).expect("write data");
    let data_format = match format {
        RdfFormat::Turtle => "turtle",
        RdfFormat::JsonLd => "json-ld",
        RdfFormat::RdfXml => "xml",
    };
    match pyshacl(shapes, &data, data_format) {
        Ok(report) => (true, report),
        Err(report) => (false, report),
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
