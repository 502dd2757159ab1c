//! Every controlled-vocabulary concept, class and namespace the catalogue may emit.
//!
//! DCAT-AP's range and codelist shapes look for each referenced concept's `rdf:type`,
//! `skos:prefLabel` and `skos:inScheme` in the data itself (online validators import the EU
//! vocabularies; offline nothing does). These are facts about the concepts, so the catalogue states
//! them for exactly the concepts it references ([`Vocabulary`]), and validates on its own.
//! Labels are the vocabularies' English preferred labels.

use std::collections::{BTreeMap, BTreeSet};

use oxrdf::{Graph, Literal, NamedNode, Triple};

/// Namespace IRIs, also used as the serialisers' prefixes.
pub(crate) mod ns {
    pub const RDF: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
    pub const XSD: &str = "http://www.w3.org/2001/XMLSchema#";
    pub const DCAT: &str = "http://www.w3.org/ns/dcat#";
    pub const DCT: &str = "http://purl.org/dc/terms/";
    pub const DCATAP: &str = "http://data.europa.eu/r5r/";
    pub const FOAF: &str = "http://xmlns.com/foaf/0.1/";
    pub const VCARD: &str = "http://www.w3.org/2006/vcard/ns#";
    pub const SKOS: &str = "http://www.w3.org/2004/02/skos/core#";
    pub const CV: &str = "http://data.europa.eu/m8g/";
    pub const ELI: &str = "http://data.europa.eu/eli/ontology#";
    pub const CSVW: &str = "http://www.w3.org/ns/csvw#";
    /// HealthDCAT-AP release 8 namespace (its shapes say it may still change).
    pub const HEALTH: &str = "http://healthdataportal.eu/ns/health#";

    /// Prefix names for readable Turtle and RDF/XML.
    pub const PREFIXES: &[(&str, &str)] = &[
        ("dcat", DCAT),
        ("dct", DCT),
        ("dcatap", DCATAP),
        ("healthdcatap", HEALTH),
        ("foaf", FOAF),
        ("vcard", VCARD),
        ("skos", SKOS),
        ("cv", CV),
        ("eli", ELI),
        ("csvw", CSVW),
        ("xsd", XSD),
    ];
}

/// Class IRIs the vocabulary types its terms with.
pub(crate) mod class {
    pub const CONCEPT: &str = "http://www.w3.org/2004/02/skos/core#Concept";
    pub const CONCEPT_SCHEME: &str = "http://www.w3.org/2004/02/skos/core#ConceptScheme";
    pub const LICENSE_DOCUMENT: &str = "http://purl.org/dc/terms/LicenseDocument";
    pub const RIGHTS_STATEMENT: &str = "http://purl.org/dc/terms/RightsStatement";
    pub const LINGUISTIC_SYSTEM: &str = "http://purl.org/dc/terms/LinguisticSystem";
    pub const MEDIA_TYPE: &str = "http://purl.org/dc/terms/MediaType";
    pub const MEDIA_TYPE_OR_EXTENT: &str = "http://purl.org/dc/terms/MediaTypeOrExtent";
    pub const LOCATION: &str = "http://purl.org/dc/terms/Location";
    pub const DOCUMENT: &str = "http://xmlns.com/foaf/0.1/Document";
    pub const LEGAL_RESOURCE: &str = "http://data.europa.eu/eli/ontology#LegalResource";
}

/// The EHDS regulation, Regulation (EU) 2025/327, by its ELI: HealthDCAT-AP's
/// `dcatap:applicableLegislation` for every catalogue, dataset, distribution and service.
pub const EHDS_REGULATION: &str = "http://data.europa.eu/eli/reg/2025/327/oj";

const EU_NAL: &str = "http://publications.europa.eu/resource/authority/";
const IANA_MEDIA_TYPES: &str = "https://www.iana.org/assignments/media-types/";

/// A SKOS concept scheme (an EU or HealthData@EU named authority list).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Scheme {
    /// The scheme's IRI, the value of `skos:inScheme`.
    pub iri: &'static str,
    /// Its English title.
    pub title: &'static str,
}

/// EU access-right NAL.
pub const ACCESS_RIGHT: Scheme =
    Scheme { iri: "http://publications.europa.eu/resource/authority/access-right", title: "Access right" };
/// EU data-theme NAL, also the catalogue's `dcat:themeTaxonomy`.
pub const DATA_THEME: Scheme =
    Scheme { iri: "http://publications.europa.eu/resource/authority/data-theme", title: "Data theme" };
/// EU language NAL.
pub const LANGUAGE: Scheme =
    Scheme { iri: "http://publications.europa.eu/resource/authority/language", title: "Language" };
/// EU file-type NAL.
pub const FILE_TYPE: Scheme =
    Scheme { iri: "http://publications.europa.eu/resource/authority/file-type", title: "File type" };
/// EU licence NAL.
pub const LICENCE: Scheme =
    Scheme { iri: "http://publications.europa.eu/resource/authority/licence", title: "Licence" };
/// ADMS licence-type vocabulary, the range of a licence document's `dct:type`.
pub const LICENCE_TYPE: Scheme =
    Scheme { iri: "http://purl.org/adms/licencetype/1.0", title: "Licence type" };
/// EU countries-and-territories NAL.
pub const COUNTRY: Scheme = Scheme {
    iri: "http://publications.europa.eu/resource/authority/country",
    title: "Countries and territories",
};
/// HealthData@EU publisher types.
pub const PUBLISHER_TYPE: Scheme = Scheme {
    iri: "https://hdeu-dcat.data.health.europa.eu/resource/authority/publisher-type",
    title: "Publisher Types",
};
/// HealthData@EU health categories (EHDS Article 51).
pub const HEALTH_CATEGORY: Scheme = Scheme {
    iri: "https://hdeu-dcat.data.health.europa.eu/resource/authority/healthcategories",
    title: "Health Categories",
};

/// A resource the catalogue references and describes: its classes and, for concepts, label and
/// scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Term {
    pub iri: String,
    pub classes: &'static [&'static str],
    pub label: Option<&'static str>,
    pub scheme: Option<Scheme>,
    /// Further facts, as (predicate, object IRI).
    pub links: Vec<(&'static str, String)>,
}

impl Term {
    fn concept(iri: String, classes: &'static [&'static str], label: &'static str, scheme: Scheme) -> Self {
        Term { iri, classes, label: Some(label), scheme: Some(scheme), links: Vec::new() }
    }

    /// An untyped-by-scheme resource such as a web page or a law.
    pub fn typed(iri: String, classes: &'static [&'static str]) -> Self {
        Term { iri, classes, label: None, scheme: None, links: Vec::new() }
    }
}

/// The terms a catalogue references, stated once each.
#[derive(Debug, Default)]
pub(crate) struct Vocabulary {
    terms: BTreeMap<String, Term>,
    schemes: BTreeSet<Scheme>,
}

impl Vocabulary {
    /// Records `term` (and any terms it links to are added by the caller) and returns its node.
    /// Term IRIs here are constants or built from checked parts, so they are valid.
    pub fn add(&mut self, term: Term) -> NamedNode {
        let node = NamedNode::new_unchecked(term.iri.clone());
        if let Some(scheme) = term.scheme {
            self.schemes.insert(scheme);
        }
        self.terms.entry(term.iri.clone()).or_insert(term);
        node
    }

    /// Records a scheme that is referenced directly (the catalogue's theme taxonomy).
    pub fn add_scheme(&mut self, scheme: Scheme) -> NamedNode {
        self.schemes.insert(scheme);
        NamedNode::new_unchecked(scheme.iri)
    }

    /// Writes every recorded term's and scheme's description into `graph`.
    pub fn emit(self, graph: &mut Graph) {
        let rdf_type = iri(ns::RDF, "type");
        let pref_label = iri(ns::SKOS, "prefLabel");
        let in_scheme = iri(ns::SKOS, "inScheme");
        for term in self.terms.values() {
            let subject = NamedNode::new_unchecked(term.iri.as_str());
            for class in term.classes {
                graph.insert(&Triple::new(
                    subject.clone(),
                    rdf_type.clone(),
                    NamedNode::new_unchecked(*class),
                ));
            }
            if let Some(label) = term.label {
                graph.insert(&Triple::new(subject.clone(), pref_label.clone(), text(label, "en")));
            }
            if let Some(scheme) = term.scheme {
                graph.insert(&Triple::new(
                    subject.clone(),
                    in_scheme.clone(),
                    NamedNode::new_unchecked(scheme.iri),
                ));
            }
            for (predicate, object) in &term.links {
                graph.insert(&Triple::new(
                    subject.clone(),
                    NamedNode::new_unchecked(*predicate),
                    NamedNode::new_unchecked(object.as_str()),
                ));
            }
        }
        let title = iri(ns::DCT, "title");
        for scheme in self.schemes {
            let subject = NamedNode::new_unchecked(scheme.iri);
            graph.insert(&Triple::new(
                subject.clone(),
                rdf_type.clone(),
                NamedNode::new_unchecked(class::CONCEPT_SCHEME),
            ));
            graph.insert(&Triple::new(subject.clone(), title.clone(), text(scheme.title, "en")));
            graph.insert(&Triple::new(subject, pref_label.clone(), text(scheme.title, "en")));
        }
    }
}

/// `namespace` + `local`, for the constant vocabulary IRIs above.
pub(crate) fn iri(namespace: &str, local: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{namespace}{local}"))
}

/// A language-tagged literal; tags come from [`Language::tag`] or are "en".
pub(crate) fn text(value: &str, lang: &str) -> Literal {
    Literal::new_language_tagged_literal_unchecked(value, lang)
}

macro_rules! nal_enum {
    (
        $(#[$meta:meta])*
        $name:ident, $scheme:expr, $base:expr, $classes:expr,
        { $($(#[$vmeta:meta])* $variant:ident => ($code:expr, $label:expr)),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The concept's code, the last segment of its IRI.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            /// The vocabulary's English preferred label.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }

            /// The concept's IRI.
            pub fn iri(self) -> String {
                format!("{}{}", $base, self.code())
            }

            pub(crate) fn term(self) -> Term {
                Term::concept(self.iri(), $classes, self.label(), $scheme)
            }
        }
    };
}

nal_enum! {
    /// A value of the EU access-right NAL.
    AccessRight, ACCESS_RIGHT, "http://publications.europa.eu/resource/authority/access-right/",
    &[class::CONCEPT, class::RIGHTS_STATEMENT],
    {
        /// Open to all; the only level HealthDCAT-AP's public profile accepts.
        Public => ("PUBLIC", "public"),
        /// Available under conditions.
        Restricted => ("RESTRICTED", "restricted"),
        /// Not publicly accessible.
        NonPublic => ("NON_PUBLIC", "non-public"),
    }
}

nal_enum! {
    /// A value of the EU data-theme NAL. Health (`HEAL`) is always emitted for datasets.
    DataTheme, DATA_THEME, "http://publications.europa.eu/resource/authority/data-theme/",
    &[class::CONCEPT],
    {
        /// Health.
        Health => ("HEAL", "Health"),
        /// Science and technology.
        ScienceAndTechnology => ("TECH", "Science and technology"),
        /// Population and society.
        PopulationAndSociety => ("SOCI", "Population and society"),
        /// Environment.
        Environment => ("ENVI", "Environment"),
        /// Agriculture, fisheries, forestry and food.
        Agriculture => ("AGRI", "Agriculture, fisheries, forestry and food"),
        /// Government and public sector.
        Government => ("GOVE", "Government and public sector"),
    }
}

nal_enum! {
    /// A value of the EU language NAL (the languages a node's metadata is likely written in).
    Language, LANGUAGE, "http://publications.europa.eu/resource/authority/language/",
    &[class::CONCEPT, class::LINGUISTIC_SYSTEM],
    {
        /// English.
        English => ("ENG", "English"),
        /// German.
        German => ("DEU", "German"),
        /// French.
        French => ("FRA", "French"),
        /// Spanish.
        Spanish => ("SPA", "Spanish"),
        /// Italian.
        Italian => ("ITA", "Italian"),
        /// Dutch.
        Dutch => ("NLD", "Dutch"),
        /// Danish.
        Danish => ("DAN", "Danish"),
        /// Swedish.
        Swedish => ("SWE", "Swedish"),
        /// Portuguese.
        Portuguese => ("POR", "Portuguese"),
        /// Polish.
        Polish => ("POL", "Polish"),
    }
}

impl Language {
    /// BCP 47 tag for literals written in this language.
    pub fn tag(self) -> &'static str {
        match self {
            Language::English => "en",
            Language::German => "de",
            Language::French => "fr",
            Language::Spanish => "es",
            Language::Italian => "it",
            Language::Dutch => "nl",
            Language::Danish => "da",
            Language::Swedish => "sv",
            Language::Portuguese => "pt",
            Language::Polish => "pl",
        }
    }
}

nal_enum! {
    /// A value of the EU file-type NAL. The NAL has no FASTA or FASTQ entry: leave the format out
    /// for those rather than name a wrong one.
    FileType, FILE_TYPE, "http://publications.europa.eu/resource/authority/file-type/",
    &[class::CONCEPT, class::MEDIA_TYPE_OR_EXTENT],
    {
        /// Tab-separated values.
        Tsv => ("TSV", "TSV"),
        /// Comma-separated values.
        Csv => ("CSV", "CSV"),
        /// JSON.
        Json => ("JSON", "JSON"),
        /// JSON-LD.
        JsonLd => ("JSON_LD", "JSON-LD"),
        /// RDF Turtle.
        Turtle => ("RDF_TURTLE", "RDF Turtle"),
        /// RDF/XML.
        RdfXml => ("RDF_XML", "RDF/XML"),
        /// ZIP archive.
        Zip => ("ZIP", "ZIP"),
        /// GZIP-compressed file.
        Gzip => ("GZIP", "GZIP"),
        /// HTML page.
        Html => ("HTML", "HTML"),
    }
}

nal_enum! {
    /// A value of the EU licence NAL.
    Licence, LICENCE, "http://publications.europa.eu/resource/authority/licence/",
    &[class::CONCEPT, class::LICENSE_DOCUMENT],
    {
        /// Creative Commons Attribution 4.0 International.
        CcBy4 => ("CC_BY_4_0", "Creative Commons Attribution 4.0 International"),
        /// Creative Commons Attribution-ShareAlike 4.0 International.
        CcBySa4 => ("CC_BY_SA_4_0", "Creative Commons Attribution-ShareAlike 4.0 International"),
        /// Creative Commons CC0 1.0 Universal.
        Cc0 => ("CC0", "Creative Commons CC0 1.0 Universal"),
    }
}

impl Licence {
    /// The ADMS licence types (code, label) the licence document is typed with.
    fn licence_types(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Licence::CcBy4 => &[("Attribution", "Attribution")],
            Licence::CcBySa4 => &[("Attribution", "Attribution"), ("ShareAlike", "Share alike")],
            Licence::Cc0 => &[("PublicDomain", "Public domain")],
        }
    }

    /// Records the licence and its licence-type concepts; returns the licence's node.
    pub(crate) fn add_to(self, vocabulary: &mut Vocabulary) -> NamedNode {
        let mut term = self.term();
        for (code, label) in self.licence_types() {
            let type_iri = format!("http://purl.org/adms/licencetype/{code}");
            vocabulary.add(Term::concept(type_iri.clone(), &[class::CONCEPT], label, LICENCE_TYPE));
            term.links.push(("http://purl.org/dc/terms/type", type_iri));
        }
        vocabulary.add(term)
    }
}

nal_enum! {
    /// A HealthData@EU publisher type (the publisher's and HDAB's `dct:type`).
    PublisherType, PUBLISHER_TYPE, "https://hdeu-dcat.data.health.europa.eu/resource/authority/publisher-type/",
    &[class::CONCEPT],
    {
        /// Public health institute.
        PublicHealthInstitute => ("public-health-institute", "Public health institute"),
        /// Public health organisation.
        PublicHealthOrganisation => ("public-health-org", "Public health organisation"),
        /// Public health registry.
        PublicHealthRegistry => ("public-health-registry", "Public health registry"),
        /// National authority.
        NationalAuthority => ("national-authority", "National authority"),
        /// Other government agency.
        OtherGovernmentAgency => ("other-government-agency", "Other government agency"),
        /// Research institute/organisation.
        ResearchInstitute => ("research-institute-org", "Research institute/organisation"),
        /// Research and academic organisations (the broader concept).
        ResearchAndAcademic => ("research-academic-org", "Research and Academic organizations"),
        /// Laboratory.
        Laboratory => ("laboratory", "Laboratory"),
    }
}

nal_enum! {
    /// A HealthData@EU health category: the 17 categories of EHDS Article 51(1).
    HealthCategory, HEALTH_CATEGORY, "https://hdeu-dcat.data.health.europa.eu/resource/authority/healthcategories/",
    &[class::CONCEPT],
    {
        /// Pathogen data: the category of a pathogen genomics node's datasets.
        PathogenData => ("RPDG", "Data on pathogens that impact human health"),
        /// Human genetic, epigenomic and genomic data.
        HumanGenomicData => ("HGPD", "Human genetic, epigenomic and genomic data"),
        /// Other human molecular data.
        HumanMolecularData => ("HPML", "Other human molecular data such as proteomic, transcriptomic, metabolomic, lipidomic and other omic data"),
        /// Population-based health data registries.
        PopulationRegistries => ("PHDR", "Data from population-based health data registries such as public health registries"),
        /// Medical and mortality registries.
        MedicalRegistries => ("MRMR", "Data from medical registries and mortality registries"),
        /// Research cohorts, questionnaires and surveys.
        ResearchCohorts => ("RQSH", "Data from research cohorts, questionnaires and surveys related to health, after the first publication of the related results"),
        /// Biobanks and associated databases.
        Biobanks => ("EINS", "Health data from biobanks and associated databases"),
        /// Electronic health records.
        ElectronicHealthRecords => ("EHRS", "Electronic health data from EHRs"),
        /// Healthcare-related administrative data.
        AdministrativeData => ("HRAD", "Healthcare-related administrative data, including on dispensations, reimbursement claims and reimbursements"),
        /// Factors impacting on health.
        HealthDeterminants => ("DIOH", "Data on factors impacting on health, including socio-economic, environmental and behavioural determinants of health"),
        /// Aggregated healthcare needs, resources and expenditure.
        HealthcareResources => ("NRPE", "Aggregated data on healthcare needs, resources allocated to healthcare, the provision of and access to healthcare, healthcare expenditure and financing"),
        /// Personal data generated by medical devices.
        DeviceGeneratedData => ("PGEH", "Personal electronic health data automatically generated through medical devices"),
        /// Health professionals' status and specialisation.
        HealthProfessionals => ("IDHP", "Data on professional status, and on the specialisation and institution of health professionals involved in the treatment of a natural person"),
        /// Clinical trials and studies.
        ClinicalTrials => ("EHCT", "Data from clinical trials, clinical studies, clinical investigations and performance studies subject to Regulation (EU) No 536/2014, Regulation (EU) 2024/1938 of the European Parliament and of the Council34, Regulation (EU) 2017/745 and Regulation (EU) 2017/746"),
        /// Other data from medical devices.
        MedicalDeviceData => ("EMRD", "Other health data from medical devices"),
        /// Registries for medicinal products and medical devices.
        ProductRegistries => ("RMMD", "Data from registries for medicinal products and medical devices"),
        /// Wellness applications.
        WellnessApplications => ("WELA", "Data from wellness applications"),
    }
}

/// An IANA-registered media type, for `dcat:mediaType`. (FASTA has no registered type; a plain
/// FASTA file is `text/plain`.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MediaType {
    /// `text/tab-separated-values`.
    TabSeparatedValues,
    /// `text/csv`.
    Csv,
    /// `text/plain`.
    PlainText,
    /// `text/html`.
    Html,
    /// `application/json`.
    Json,
    /// `application/ld+json`.
    JsonLd,
    /// `text/turtle`.
    Turtle,
    /// `application/rdf+xml`.
    RdfXml,
    /// `application/zip`.
    Zip,
    /// `application/gzip`.
    Gzip,
}

impl MediaType {
    /// The media type's name, e.g. `text/csv`.
    pub fn name(self) -> &'static str {
        match self {
            MediaType::TabSeparatedValues => "text/tab-separated-values",
            MediaType::Csv => "text/csv",
            MediaType::PlainText => "text/plain",
            MediaType::Html => "text/html",
            MediaType::Json => "application/json",
            MediaType::JsonLd => "application/ld+json",
            MediaType::Turtle => "text/turtle",
            MediaType::RdfXml => "application/rdf+xml",
            MediaType::Zip => "application/zip",
            MediaType::Gzip => "application/gzip",
        }
    }

    /// Its IRI in IANA's registry.
    pub fn iri(self) -> String {
        format!("{IANA_MEDIA_TYPES}{}", self.name())
    }

    pub(crate) fn term(self) -> Term {
        Term::typed(self.iri(), &[class::MEDIA_TYPE])
    }
}

/// The EU country NAL concept for an ISO 3166-1 alpha-3 (or NAL-specific) code and its label.
pub(crate) fn country_term(code: &'static str, label: &'static str) -> Term {
    Term::concept(format!("{EU_NAL}country/{code}"), &[class::CONCEPT, class::LOCATION], label, COUNTRY)
}

/// The EHDS regulation as an ELI legal resource.
pub(crate) fn ehds_term() -> Term {
    Term::typed(EHDS_REGULATION.to_owned(), &[class::LEGAL_RESOURCE])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concept_iris_sit_in_their_scheme_namespace() {
        for value in AccessRight::ALL {
            assert!(value.iri().starts_with(&format!("{}/", ACCESS_RIGHT.iri)));
        }
        for value in HealthCategory::ALL {
            assert!(value.iri().starts_with(&format!("{}/", HEALTH_CATEGORY.iri)));
            assert!(value.iri().starts_with("https://hdeu-dcat.data.health.europa.eu/resource/authority/"));
        }
        for value in PublisherType::ALL {
            assert!(value.iri().starts_with(&format!("{}/", PUBLISHER_TYPE.iri)));
        }
        for value in FileType::ALL {
            assert!(value.iri().starts_with(&format!("{}/", FILE_TYPE.iri)));
        }
        for value in Licence::ALL {
            assert!(value.iri().starts_with(&format!("{}/", LICENCE.iri)));
        }
        for value in Language::ALL {
            assert!(value.iri().starts_with(&format!("{}/", LANGUAGE.iri)));
        }
        for value in DataTheme::ALL {
            assert!(value.iri().starts_with(&format!("{}/", DATA_THEME.iri)));
        }
        assert_eq!(HealthCategory::ALL.len(), 17, "EHDS Article 51(1) has 17 categories");
        assert_eq!(
            MediaType::TabSeparatedValues.iri(),
            "https://www.iana.org/assignments/media-types/text/tab-separated-values"
        );
        assert!(EU_NAL.ends_with('/'));
    }

    #[test]
    fn every_term_iri_parses() {
        let mut all: Vec<String> = Vec::new();
        all.extend(AccessRight::ALL.iter().map(|v| v.iri()));
        all.extend(HealthCategory::ALL.iter().map(|v| v.iri()));
        all.extend(PublisherType::ALL.iter().map(|v| v.iri()));
        all.extend(FileType::ALL.iter().map(|v| v.iri()));
        all.extend(Licence::ALL.iter().map(|v| v.iri()));
        all.extend(Language::ALL.iter().map(|v| v.iri()));
        all.extend(DataTheme::ALL.iter().map(|v| v.iri()));
        all.push(EHDS_REGULATION.to_owned());
        for iri in all {
            NamedNode::new(iri.as_str()).unwrap_or_else(|e| panic!("{iri}: {e}"));
        }
    }
}
