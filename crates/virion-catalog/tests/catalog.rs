//! The catalogue graph: content, the three syntaxes round-trip to the same graph, and bad input is
//! refused with the record and field named.

mod common;

use oxrdf::dataset::CanonicalizationAlgorithm;
use oxrdf::{Graph, NamedNodeRef, Triple};
use oxrdfio::RdfParser;
use virion_catalog::{CatalogError, RdfFormat, UnmappedCountry, serialize, write_graph};

use common::NODE;

const DCAT: &str = "http://www.w3.org/ns/dcat#";
const DCT: &str = "http://purl.org/dc/terms/";
const HEALTH: &str = "http://healthdataportal.eu/ns/health#";
const SKOS: &str = "http://www.w3.org/2004/02/skos/core#";
const RDF_TYPE: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";

fn node(iri: &str) -> NamedNodeRef<'_> {
    NamedNodeRef::new(iri).expect("test IRI")
}

fn objects(graph: &Graph, subject: &str, predicate: &str) -> Vec<String> {
    let mut found: Vec<String> =
        graph.objects_for_subject_predicate(node(subject), node(predicate)).map(|o| o.to_string()).collect();
    found.sort();
    found
}

fn parse(bytes: &[u8], format: RdfFormat) -> Graph {
    let parser = match format {
        RdfFormat::Turtle => RdfParser::from_format(oxrdfio::RdfFormat::Turtle),
        RdfFormat::JsonLd => {
            RdfParser::from_format(oxrdfio::RdfFormat::JsonLd { profile: Default::default() })
        }
        RdfFormat::RdfXml => RdfParser::from_format(oxrdfio::RdfFormat::RdfXml),
    };
    let mut graph = Graph::new();
    for quad in parser.for_slice(bytes) {
        let quad = quad.unwrap_or_else(|e| panic!("{format:?} output does not parse: {e}"));
        assert!(quad.graph_name.is_default_graph(), "{format:?}: triple in a named graph");
        graph.insert(&Triple::from(quad));
    }
    graph
}

/// The datasets whose `hasStructuredData` is true but that have no `hasVariables`: the rule the
/// path-less HealthDCAT-AP shape meant to express.
pub fn structured_without_variables(graph: &Graph) -> Vec<String> {
    graph
        .subjects_for_predicate_object(
            node(&format!("{HEALTH}hasStructuredData")),
            &oxrdf::Literal::from(true),
        )
        .filter(|dataset| {
            graph.object_for_subject_predicate(*dataset, node(&format!("{HEALTH}hasVariables"))).is_none()
        })
        .map(|dataset| dataset.to_string())
        .collect()
}

#[test]
fn every_format_round_trips_to_the_same_graph() {
    let mut expected = common::catalog().graph().expect("catalogue builds").graph;
    assert!(expected.len() > 300, "{} triples", expected.len());
    expected.canonicalize(CanonicalizationAlgorithm::Unstable);
    for format in RdfFormat::ALL {
        let bytes = serialize(&common::catalog(), format).expect("serialises");
        let mut parsed = parse(&bytes, format);
        parsed.canonicalize(CanonicalizationAlgorithm::Unstable);
        if parsed != expected {
            let missing: Vec<_> = expected.iter().filter(|t| !parsed.contains(*t)).take(5).collect();
            let extra: Vec<_> = parsed.iter().filter(|t| !expected.contains(*t)).take(5).collect();
            panic!("{format:?} does not round-trip; missing {missing:?}, extra {extra:?}");
        }
    }
}

#[test]
fn output_is_reproducible_and_uses_prefixes() {
    let catalog = common::catalog();
    for format in RdfFormat::ALL {
        let first = serialize(&catalog, format).expect("serialises");
        let second = serialize(&catalog, format).expect("serialises");
        assert!(first == second, "{format:?}: the same catalogue gave different bytes");
    }
    let turtle =
        String::from_utf8(serialize(&catalog, RdfFormat::Turtle).expect("serialises")).expect("UTF-8");
    assert!(turtle.contains("@prefix dcat: <http://www.w3.org/ns/dcat#> ."), "{}", &turtle[..400]);
    assert!(turtle.contains("a dcat:Dataset"), "prefixed names are used");
    let xml = String::from_utf8(serialize(&catalog, RdfFormat::RdfXml).expect("serialises")).expect("UTF-8");
    assert!(xml.contains("xmlns:dcat=\"http://www.w3.org/ns/dcat#\""));
    let graph = catalog.graph().expect("builds").graph;
    let written = write_graph(&graph, RdfFormat::Turtle, Vec::new()).expect("writes");
    assert!(written == turtle.into_bytes(), "write_graph and serialize agree");
}

#[test]
fn datasets_carry_their_dcat_and_health_properties() {
    let built = common::catalog().graph().expect("builds");
    let graph = &built.graph;
    let sars = format!("{NODE}/dataset/sars-cov-2");
    let country = |code: &str| format!("<http://publications.europa.eu/resource/authority/country/{code}>");
    assert_eq!(
        objects(graph, &sars, &format!("{DCT}spatial")),
        vec![country("DEU"), country("DNK"), country("USA"), country("VNM")]
    );
    assert_eq!(
        objects(graph, &sars, &format!("{HEALTH}numberOfRecords")),
        vec!["\"412118\"^^<http://www.w3.org/2001/XMLSchema#nonNegativeInteger>".to_owned()]
    );
    assert_eq!(
        objects(graph, &sars, &format!("{DCAT}theme")),
        vec![
            "<http://publications.europa.eu/resource/authority/data-theme/HEAL>".to_owned(),
            "<http://publications.europa.eu/resource/authority/data-theme/TECH>".to_owned(),
        ]
    );
    assert_eq!(
        objects(graph, &sars, &format!("{HEALTH}healthCategory")),
        vec!["<https://hdeu-dcat.data.health.europa.eu/resource/authority/healthcategories/RPDG>".to_owned()]
    );
    assert_eq!(
        objects(graph, &sars, &format!("{HEALTH}hasStructuredData")),
        vec!["\"true\"^^<http://www.w3.org/2001/XMLSchema#boolean>".to_owned()]
    );
    let fasta = format!("{sars}/sequences.fasta");
    assert_eq!(
        objects(graph, &fasta, &format!("{DCT}format")),
        Vec::<String>::new(),
        "no file type for FASTA"
    );
    assert_eq!(
        objects(graph, &fasta, &format!("{DCAT}mediaType")),
        vec!["<https://www.iana.org/assignments/media-types/text/plain>".to_owned()]
    );
    for subject in [format!("{NODE}/catalog"), sars.clone(), fasta, format!("{NODE}/service/lapis")] {
        assert_eq!(
            objects(graph, &subject, "http://data.europa.eu/r5r/applicableLegislation"),
            vec!["<http://data.europa.eu/eli/reg/2025/327/oj>".to_owned()],
            "{subject}"
        );
    }
    assert_eq!(
        built.unmapped_countries,
        vec![
            UnmappedCountry { dataset: format!("{NODE}/dataset/rsv-a"), name: "not collected".into() },
            UnmappedCountry { dataset: format!("{NODE}/dataset/mpxv"), name: "Atlantic Ocean".into() },
        ]
    );
    // The publisher is described once: one contact point although it is also every HDAB.
    assert_eq!(objects(graph, &format!("{NODE}/org"), "http://data.europa.eu/m8g/contactPoint").len(), 1);
}

#[test]
fn the_citable_collection_has_authors_and_a_version() {
    let graph = common::catalog().graph().expect("builds").graph;
    let collection = format!("{NODE}/collections/ba-2-86/v2");
    assert_eq!(objects(&graph, &collection, &format!("{DCAT}version")), vec!["\"2\"".to_owned()]);
    let creators = objects(&graph, &collection, &format!("{DCT}creator"));
    assert_eq!(creators.len(), 2);
    assert!(creators.contains(&"<https://orcid.org/0000-0002-1825-0097>".to_owned()));
    assert_eq!(
        objects(&graph, &format!("{NODE}/collections/ba-2-86"), &format!("{DCAT}hasVersion")),
        vec![format!("<{collection}>")]
    );
    assert_eq!(
        objects(&graph, &collection, &format!("{HEALTH}hasStructuredData")),
        vec!["\"false\"^^<http://www.w3.org/2001/XMLSchema#boolean>".to_owned()]
    );
}

#[test]
fn every_referenced_concept_is_typed_labelled_and_in_its_scheme() {
    let graph = common::catalog().graph().expect("builds").graph;
    let concept_class = format!("{SKOS}Concept");
    let concept = node(&concept_class);
    let concepts: Vec<_> = graph.subjects_for_predicate_object(node(RDF_TYPE), concept).collect();
    assert!(concepts.len() > 15, "{} concepts", concepts.len());
    for concept in concepts {
        assert!(
            graph.object_for_subject_predicate(concept, node(&format!("{SKOS}prefLabel"))).is_some(),
            "{concept}"
        );
        let scheme = graph
            .object_for_subject_predicate(concept, node(&format!("{SKOS}inScheme")))
            .unwrap_or_else(|| panic!("{concept} has no scheme"));
        let oxrdf::TermRef::NamedNode(scheme) = scheme else { panic!("{concept}: scheme {scheme}") };
        assert!(
            graph.contains(oxrdf::TripleRef::new(
                scheme,
                node(RDF_TYPE),
                node(&format!("{SKOS}ConceptScheme"))
            )),
            "{scheme} is not typed"
        );
    }
    let licence = "http://publications.europa.eu/resource/authority/licence/CC_BY_4_0";
    let licence_document = format!("{DCT}LicenseDocument");
    assert!(graph.contains(oxrdf::TripleRef::new(node(licence), node(RDF_TYPE), node(&licence_document))));
    let licence_type = format!("{DCT}type");
    assert_eq!(
        objects(&graph, licence, &licence_type),
        vec!["<http://purl.org/adms/licencetype/Attribution>".to_owned()]
    );
}

#[test]
fn structured_data_always_has_its_variables() {
    let mut graph = common::catalog().graph().expect("builds").graph;
    assert_eq!(structured_without_variables(&graph), Vec::<String>::new());
    // The check itself can fail: drop one dataset's variables.
    let sars = node("https://virion.example.org/dataset/sars-cov-2");
    let has_variables = format!("{HEALTH}hasVariables");
    let has_variables = node(&has_variables);
    let variables = graph.object_for_subject_predicate(sars, has_variables).expect("variables").into_owned();
    graph.remove(oxrdf::TripleRef::new(sars, has_variables, &variables));
    assert_eq!(structured_without_variables(&graph), vec![sars.to_string()]);
}

fn error_of(change: impl FnOnce(&mut virion_catalog::Catalog)) -> CatalogError {
    let mut catalog = common::catalog();
    change(&mut catalog);
    catalog.graph().expect_err("bad catalogue is refused")
}

#[test]
fn refuses_bad_input_naming_record_and_field() {
    let err = error_of(|c| c.datasets[1].landing_page = "not a url".into());
    assert!(
        matches!(&err, CatalogError::InvalidIri { field: "landing_page", value, record } if value == "not a url" && record.contains("rsv-a")),
        "{err}"
    );
    let err = error_of(|c| c.datasets[0].description = "  ".into());
    assert!(matches!(&err, CatalogError::Empty { field: "description", .. }), "{err}");
    let err = error_of(|c| c.datasets[0].distributions.clear());
    assert!(matches!(&err, CatalogError::NoEntries { field: "distributions", .. }), "{err}");
    let err = error_of(|c| c.datasets[0].health_categories.clear());
    assert!(matches!(&err, CatalogError::NoEntries { field: "health_categories", .. }), "{err}");
    let err = error_of(|c| c.services[0].serves_datasets.push("https://elsewhere.example/ds".into()));
    assert!(matches!(&err, CatalogError::UnknownReference { field: "serves_datasets", .. }), "{err}");
    let err =
        error_of(|c| c.datasets[0].distributions[0].access_service = Some("https://x.example/svc".into()));
    assert!(matches!(&err, CatalogError::UnknownReference { field: "access_service", .. }), "{err}");
    let err = error_of(|c| c.contact.email = Some("helpdesk at example.org".into()));
    assert!(matches!(&err, CatalogError::InvalidEmail { .. }), "{err}");
    let err = error_of(|c| {
        c.publisher.contact = virion_catalog::ContactPoint { name: "x".into(), email: None, url: None }
    });
    assert!(matches!(&err, CatalogError::NoContactChannel { .. }), "{err}");
    let err = error_of(|c| c.datasets[2].hdab.name = "Another body".into());
    assert!(matches!(&err, CatalogError::ConflictingAgent { .. }), "{err}");
    let err = error_of(|c| c.datasets[3].uri = c.datasets[0].uri.clone());
    assert!(matches!(&err, CatalogError::DuplicateUri { .. }), "{err}");
    let err = error_of(|c| {
        let (start, end) = c.datasets[0].temporal.expect("temporal");
        c.datasets[0].temporal = Some((end, start));
    });
    assert!(matches!(&err, CatalogError::TemporalOrder { .. }), "{err}");
    let err = error_of(|c| {
        if let Some(group) = &mut c.datasets[0].variables {
            group.tables[0].columns.clear();
        }
    });
    assert!(matches!(&err, CatalogError::NoEntries { field: "variables.tables.columns", .. }), "{err}");
}
