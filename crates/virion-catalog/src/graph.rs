//! Checks a [`Catalog`] and builds its RDF graph.

use std::collections::{BTreeSet, HashMap};

use oxrdf::vocab::xsd;
use oxrdf::{BlankNode, Graph, Literal, NamedNode, NamedOrBlankNode, Term, Triple};

use crate::vocab::{self, DATA_THEME, Term as VocabTerm, Vocabulary, class, iri, ns, text};
use crate::{
    Agent, Catalog, CatalogError, ContactPoint, DataService, DataTheme, Dataset, Distribution, Person,
    TableGroup,
};

/// A catalogue's graph, and what could not be put into it.
#[derive(Debug, Clone)]
pub struct CatalogGraph {
    /// The catalogue, its datasets, distributions, services and agents, and the vocabulary terms
    /// they reference.
    pub graph: Graph,
    /// Country names that were left out of `dct:spatial` because no EU country concept matches.
    pub unmapped_countries: Vec<UnmappedCountry>,
}

/// A dataset's country name that has no EU country concept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnmappedCountry {
    /// The dataset's IRI.
    pub dataset: String,
    /// The name as given.
    pub name: String,
}

impl Catalog {
    /// Checks the catalogue and builds its graph. Fails on values that would make invalid RDF or
    /// break a mandatory DCAT-AP / HealthDCAT-AP rule (empty title or description, no
    /// distribution, no health category, a contact point without email or URL, …), naming the
    /// record and field.
    pub fn graph(&self) -> Result<CatalogGraph, CatalogError> {
        Builder::new(self).build()
    }
}

/// Predicate or class `local` in namespace `namespace`.
fn p(namespace: &str, local: &str) -> NamedNode {
    iri(namespace, local)
}

fn plain(value: &str) -> Literal {
    Literal::new_simple_literal(value)
}

fn date(value: chrono::NaiveDate) -> Literal {
    Literal::new_typed_literal(value.format("%Y-%m-%d").to_string(), xsd::DATE)
}

fn count(value: u64) -> Literal {
    Literal::new_typed_literal(value.to_string(), xsd::NON_NEGATIVE_INTEGER)
}

struct Builder<'a> {
    catalog: &'a Catalog,
    graph: Graph,
    vocabulary: Vocabulary,
    lang: &'static str,
    next_blank: u64,
    /// Agents with an IRI, described once each (a second description would add a second contact
    /// point, which HealthDCAT-AP forbids).
    agents: HashMap<&'a str, (&'a Agent, NamedNode)>,
    dataset_uris: BTreeSet<&'a str>,
    service_uris: BTreeSet<&'a str>,
    unmapped: Vec<UnmappedCountry>,
}

impl<'a> Builder<'a> {
    fn new(catalog: &'a Catalog) -> Self {
        Builder {
            catalog,
            graph: Graph::new(),
            vocabulary: Vocabulary::default(),
            lang: catalog.language.map_or("en", |l| l.tag()),
            next_blank: 0,
            agents: HashMap::new(),
            dataset_uris: catalog.datasets.iter().map(|d| d.uri.as_str()).collect(),
            service_uris: catalog.services.iter().map(|s| s.uri.as_str()).collect(),
            unmapped: Vec::new(),
        }
    }

    fn build(mut self) -> Result<CatalogGraph, CatalogError> {
        self.check_unique_uris()?;
        let catalog = self.catalog;
        let record = "catalogue";
        let node = self.iri(record, "uri", &catalog.uri)?;
        self.add(&node, p(ns::RDF, "type"), p(ns::DCAT, "Catalog"));
        self.text(&node, "title", record, &catalog.title)?;
        self.text(&node, "description", record, &catalog.description)?;
        let publisher = self.agent(&catalog.publisher)?;
        self.add(&node, p(ns::DCT, "publisher"), publisher);
        let homepage = self.document(record, "homepage", &catalog.homepage)?;
        self.add(&node, p(ns::FOAF, "homepage"), homepage);
        if let Some(language) = catalog.language {
            let language = self.vocabulary.add(language.term());
            self.add(&node, p(ns::DCT, "language"), language);
        }
        if let Some(issued) = catalog.issued {
            self.add(&node, p(ns::DCT, "issued"), date(issued));
        }
        self.add(&node, p(ns::DCT, "modified"), date(catalog.modified));
        let taxonomy = self.vocabulary.add_scheme(DATA_THEME);
        self.add(&node, p(ns::DCAT, "themeTaxonomy"), taxonomy);
        self.legislation(&node);
        let contact = self.vcard_contact(record, &catalog.contact)?;

        for dataset in &catalog.datasets {
            let dataset_node = self.dataset(dataset, &contact)?;
            self.add(&node, p(ns::DCAT, "dataset"), dataset_node);
        }
        for service in &catalog.services {
            let service_node = self.service(service, &contact)?;
            self.add(&node, p(ns::DCAT, "service"), service_node);
        }

        let Builder { mut graph, vocabulary, unmapped, .. } = self;
        vocabulary.emit(&mut graph);
        Ok(CatalogGraph { graph, unmapped_countries: unmapped })
    }

    fn check_unique_uris(&self) -> Result<(), CatalogError> {
        let catalog = self.catalog;
        let mut seen = BTreeSet::new();
        let uris = std::iter::once(catalog.uri.as_str())
            .chain(catalog.datasets.iter().map(|d| d.uri.as_str()))
            .chain(catalog.datasets.iter().flat_map(|d| d.distributions.iter().map(|x| x.uri.as_str())))
            .chain(catalog.services.iter().map(|s| s.uri.as_str()));
        for uri in uris {
            if !seen.insert(uri) {
                return Err(CatalogError::DuplicateUri { uri: uri.to_owned() });
            }
        }
        Ok(())
    }

    fn dataset(&mut self, dataset: &'a Dataset, contact: &BlankNode) -> Result<NamedNode, CatalogError> {
        let record = format!("dataset <{}>", dataset.uri);
        let record = record.as_str();
        let node = self.iri(record, "uri", &dataset.uri)?;
        self.add(&node, p(ns::RDF, "type"), p(ns::DCAT, "Dataset"));
        let identifier = non_empty(record, "identifier", &dataset.identifier)?;
        self.add(&node, p(ns::DCT, "identifier"), plain(identifier));
        self.text(&node, "title", record, &dataset.title)?;
        self.text(&node, "description", record, &dataset.description)?;
        for keyword in &dataset.keywords {
            let keyword = non_empty(record, "keywords", keyword)?;
            self.add(&node, p(ns::DCAT, "keyword"), text(keyword, self.lang));
        }
        let themes: BTreeSet<DataTheme> =
            std::iter::once(DataTheme::Health).chain(dataset.themes.iter().copied()).collect();
        for theme in themes {
            let theme = self.vocabulary.add(theme.term());
            self.add(&node, p(ns::DCAT, "theme"), theme);
        }
        let landing_page = self.document(record, "landing_page", &dataset.landing_page)?;
        self.add(&node, p(ns::DCAT, "landingPage"), landing_page);
        if let Some((start, end)) = dataset.temporal {
            if end < start {
                return Err(CatalogError::TemporalOrder { record: record.to_owned(), start, end });
            }
            let period = self.blank();
            self.add(&period, p(ns::RDF, "type"), p(ns::DCT, "PeriodOfTime"));
            self.add(&period, p(ns::DCAT, "startDate"), date(start));
            self.add(&period, p(ns::DCAT, "endDate"), date(end));
            self.add(&node, p(ns::DCT, "temporal"), period);
        }
        for name in &dataset.spatial {
            match crate::country(name) {
                Some(country) => {
                    let place = self.vocabulary.add(vocab::country_term(country.code, country.label));
                    self.add(&node, p(ns::DCT, "spatial"), place);
                }
                None => {
                    tracing::warn!(dataset = %dataset.uri, country = %name, "no EU country concept; left out of dct:spatial");
                    self.unmapped.push(UnmappedCountry { dataset: dataset.uri.clone(), name: name.clone() });
                }
            }
        }
        self.add(&node, p(ns::HEALTH, "numberOfRecords"), count(dataset.record_count));
        let licence = dataset.licence.add_to(&mut self.vocabulary);
        self.add(&node, p(ns::DCT, "license"), licence);
        let access = self.vocabulary.add(dataset.access_rights.term());
        self.add(&node, p(ns::DCT, "accessRights"), access);
        if let Some(issued) = dataset.issued {
            self.add(&node, p(ns::DCT, "issued"), date(issued));
        }
        self.add(&node, p(ns::DCT, "modified"), date(dataset.modified));
        if let Some(version) = &dataset.version {
            self.add(&node, p(ns::DCAT, "version"), plain(non_empty(record, "version", version)?));
        }
        for person in &dataset.creators {
            let creator = self.person(record, "creators", person)?;
            self.add(&node, p(ns::DCT, "creator"), creator);
        }
        for person in &dataset.contributors {
            let contributor = self.person(record, "contributors", person)?;
            self.add(&node, p(ns::DCT, "contributor"), contributor);
        }
        if let Some(original) = &dataset.is_version_of {
            let original = self.iri(record, "is_version_of", original)?;
            self.add(&original, p(ns::DCAT, "hasVersion"), node.clone());
        }
        for version in &dataset.has_version {
            let version = self.iri(record, "has_version", version)?;
            self.add(&node, p(ns::DCAT, "hasVersion"), version);
        }
        let publisher = self.agent(&self.catalog.publisher)?;
        self.add(&node, p(ns::DCT, "publisher"), publisher);
        self.add(&node, p(ns::DCAT, "contactPoint"), contact.clone());

        if dataset.health_categories.is_empty() {
            return Err(CatalogError::NoEntries { record: record.to_owned(), field: "health_categories" });
        }
        for category in &dataset.health_categories {
            let category = self.vocabulary.add(category.term());
            self.add(&node, p(ns::HEALTH, "healthCategory"), category);
        }
        let hdab = self.agent(&dataset.hdab)?;
        self.add(&node, p(ns::HEALTH, "hdab"), hdab);
        self.add(&node, p(ns::HEALTH, "hasStructuredData"), Literal::from(dataset.variables.is_some()));
        if let Some(variables) = &dataset.variables {
            let group = self.table_group(record, variables)?;
            self.add(&node, p(ns::HEALTH, "hasVariables"), group);
        }
        if let Some(coverage) = &dataset.population_coverage {
            let coverage = non_empty(record, "population_coverage", coverage)?;
            self.add(&node, p(ns::HEALTH, "populationCoverage"), text(coverage, self.lang));
        }
        self.legislation(&node);

        if dataset.distributions.is_empty() {
            return Err(CatalogError::NoEntries { record: record.to_owned(), field: "distributions" });
        }
        for distribution in &dataset.distributions {
            let distribution = self.distribution(dataset, distribution)?;
            self.add(&node, p(ns::DCAT, "distribution"), distribution);
        }
        Ok(node)
    }

    fn distribution(
        &mut self,
        dataset: &Dataset,
        distribution: &Distribution,
    ) -> Result<NamedNode, CatalogError> {
        let record = format!("distribution <{}> of dataset <{}>", distribution.uri, dataset.uri);
        let record = record.as_str();
        let node = self.iri(record, "uri", &distribution.uri)?;
        self.add(&node, p(ns::RDF, "type"), p(ns::DCAT, "Distribution"));
        self.text(&node, "title", record, &distribution.title)?;
        let access_url = self.iri(record, "access_url", &distribution.access_url)?;
        self.add(&node, p(ns::DCAT, "accessURL"), access_url);
        if let Some(download_url) = &distribution.download_url {
            let download_url = self.iri(record, "download_url", download_url)?;
            self.add(&node, p(ns::DCAT, "downloadURL"), download_url);
        }
        let media_type = self.vocabulary.add(distribution.media_type.term());
        self.add(&node, p(ns::DCAT, "mediaType"), media_type);
        if let Some(format) = distribution.format {
            let format = self.vocabulary.add(format.term());
            self.add(&node, p(ns::DCT, "format"), format);
        }
        let licence = distribution.licence.unwrap_or(dataset.licence).add_to(&mut self.vocabulary);
        self.add(&node, p(ns::DCT, "license"), licence);
        if let Some(size) = distribution.byte_size {
            self.add(&node, p(ns::DCAT, "byteSize"), count(size));
        }
        if let Some(service) = &distribution.access_service {
            if !self.service_uris.contains(service.as_str()) {
                return Err(CatalogError::UnknownReference {
                    record: record.to_owned(),
                    field: "access_service",
                    value: service.clone(),
                });
            }
            let service = self.iri(record, "access_service", service)?;
            self.add(&node, p(ns::DCAT, "accessService"), service);
        }
        self.legislation(&node);
        Ok(node)
    }

    fn service(&mut self, service: &'a DataService, contact: &BlankNode) -> Result<NamedNode, CatalogError> {
        let record = format!("service <{}>", service.uri);
        let record = record.as_str();
        let node = self.iri(record, "uri", &service.uri)?;
        self.add(&node, p(ns::RDF, "type"), p(ns::DCAT, "DataService"));
        self.text(&node, "title", record, &service.title)?;
        self.text(&node, "description", record, &service.description)?;
        let endpoint = self.iri(record, "endpoint_url", &service.endpoint_url)?;
        self.add(&node, p(ns::DCAT, "endpointURL"), endpoint);
        let description = self.iri(record, "endpoint_description", &service.endpoint_description)?;
        self.add(&node, p(ns::DCAT, "endpointDescription"), description);
        for dataset in &service.serves_datasets {
            if !self.dataset_uris.contains(dataset.as_str()) {
                return Err(CatalogError::UnknownReference {
                    record: record.to_owned(),
                    field: "serves_datasets",
                    value: dataset.clone(),
                });
            }
            let dataset = self.iri(record, "serves_datasets", dataset)?;
            self.add(&node, p(ns::DCAT, "servesDataset"), dataset);
        }
        if let Some(licence) = service.licence {
            let licence = licence.add_to(&mut self.vocabulary);
            self.add(&node, p(ns::DCT, "license"), licence);
        }
        if let Some(access) = service.access_rights {
            let access = self.vocabulary.add(access.term());
            self.add(&node, p(ns::DCT, "accessRights"), access);
        }
        let publisher = self.agent(&self.catalog.publisher)?;
        self.add(&node, p(ns::DCT, "publisher"), publisher);
        self.add(&node, p(ns::DCAT, "contactPoint"), contact.clone());
        self.legislation(&node);
        Ok(node)
    }

    fn agent(&mut self, agent: &'a Agent) -> Result<NamedOrBlankNode, CatalogError> {
        let record = format!("agent {:?}", agent.name);
        let node: NamedOrBlankNode = match &agent.uri {
            Some(uri) => {
                if let Some((known, node)) = self.agents.get(uri.as_str()) {
                    if *known != agent {
                        return Err(CatalogError::ConflictingAgent { uri: uri.clone() });
                    }
                    return Ok(node.clone().into());
                }
                let node = self.iri(&record, "uri", uri)?;
                self.agents.insert(uri, (agent, node.clone()));
                node.into()
            }
            None => self.blank().into(),
        };
        self.add(&node, p(ns::RDF, "type"), p(ns::FOAF, "Agent"));
        self.add(&node, p(ns::RDF, "type"), p(ns::FOAF, "Organization"));
        self.add(&node, p(ns::FOAF, "name"), plain(non_empty(&record, "name", &agent.name)?));
        let kind = self.vocabulary.add(agent.publisher_type.term());
        self.add(&node, p(ns::DCT, "type"), kind);
        if let Some(homepage) = &agent.homepage {
            let homepage = self.document(&record, "homepage", homepage)?;
            self.add(&node, p(ns::FOAF, "homepage"), homepage);
        }
        let (email, url) = contact_channels(&record, &agent.contact)?;
        let contact = self.blank();
        self.add(&contact, p(ns::RDF, "type"), p(ns::CV, "ContactPoint"));
        // cv:email is a literal address; the checked mailto: IRI only proves it is well formed.
        if let (Some(_), Some(address)) = (&email, &agent.contact.email) {
            self.add(&contact, p(ns::CV, "email"), plain(address.trim()));
        }
        if let Some(url) = url {
            self.add(&contact, p(ns::CV, "contactPage"), url);
        }
        self.add(&node, p(ns::CV, "contactPoint"), contact);
        Ok(node)
    }

    /// The catalogue's helpdesk as a vCard, shared by every dataset and service.
    fn vcard_contact(&mut self, record: &str, contact: &ContactPoint) -> Result<BlankNode, CatalogError> {
        let (email, url) = contact_channels(record, contact)?;
        let node = self.blank();
        self.add(&node, p(ns::RDF, "type"), p(ns::VCARD, "Kind"));
        self.add(&node, p(ns::VCARD, "fn"), plain(non_empty(record, "contact.name", &contact.name)?));
        if let Some(email) = email {
            self.add(&node, p(ns::VCARD, "hasEmail"), email);
        }
        if let Some(url) = url {
            self.add(&node, p(ns::VCARD, "hasURL"), url);
        }
        Ok(node)
    }

    fn person(
        &mut self,
        record: &str,
        field: &'static str,
        person: &Person,
    ) -> Result<NamedOrBlankNode, CatalogError> {
        let node: NamedOrBlankNode = match &person.uri {
            Some(uri) => self.iri(record, field, uri)?.into(),
            None => self.blank().into(),
        };
        self.add(&node, p(ns::RDF, "type"), p(ns::FOAF, "Agent"));
        self.add(&node, p(ns::RDF, "type"), p(ns::FOAF, "Person"));
        self.add(&node, p(ns::FOAF, "name"), plain(non_empty(record, field, &person.name)?));
        Ok(node)
    }

    fn table_group(&mut self, record: &str, group: &TableGroup) -> Result<BlankNode, CatalogError> {
        let node = self.blank();
        self.add(&node, p(ns::RDF, "type"), p(ns::CSVW, "TableGroup"));
        self.add(
            &node,
            p(ns::DCT, "title"),
            text(non_empty(record, "variables.title", &group.title)?, self.lang),
        );
        if group.tables.is_empty() {
            return Err(CatalogError::NoEntries { record: record.to_owned(), field: "variables.tables" });
        }
        for table in &group.tables {
            let table_node = self.blank();
            self.add(&table_node, p(ns::RDF, "type"), p(ns::CSVW, "Table"));
            let title = non_empty(record, "variables.tables.title", &table.title)?;
            self.add(&table_node, p(ns::DCT, "title"), text(title, self.lang));
            if let Some(url) = &table.url {
                let url = self.iri(record, "variables.tables.url", url)?;
                self.add(&table_node, p(ns::CSVW, "url"), url);
            }
            if table.columns.is_empty() {
                return Err(CatalogError::NoEntries {
                    record: record.to_owned(),
                    field: "variables.tables.columns",
                });
            }
            for column in &table.columns {
                let column_node = self.blank();
                self.add(&column_node, p(ns::RDF, "type"), p(ns::CSVW, "Column"));
                let name = non_empty(record, "variables.columns.name", &column.name)?;
                self.add(&column_node, p(ns::CSVW, "name"), plain(name));
                let title = non_empty(record, "variables.columns.title", &column.title)?;
                self.add(&column_node, p(ns::CSVW, "title"), text(title, self.lang));
                let description = non_empty(record, "variables.columns.description", &column.description)?;
                self.add(&column_node, p(ns::DCT, "description"), text(description, self.lang));
                self.add(&column_node, p(ns::CSVW, "datatype"), plain(column.datatype.name()));
                self.add(&table_node, p(ns::CSVW, "column"), column_node);
            }
            self.add(&node, p(ns::CSVW, "table"), table_node);
        }
        Ok(node)
    }

    /// A web page, typed `foaf:Document` as DCAT-AP's ranges expect.
    fn document(&mut self, record: &str, field: &'static str, url: &str) -> Result<NamedNode, CatalogError> {
        self.iri(record, field, url)?;
        Ok(self.vocabulary.add(VocabTerm::typed(url.to_owned(), &[class::DOCUMENT])))
    }

    fn legislation(&mut self, node: &NamedNode) {
        let ehds = self.vocabulary.add(vocab::ehds_term());
        self.add(node, p(ns::DCATAP, "applicableLegislation"), ehds);
    }

    fn text(
        &mut self,
        node: &NamedNode,
        field: &'static str,
        record: &str,
        value: &str,
    ) -> Result<(), CatalogError> {
        let value = non_empty(record, field, value)?;
        self.add(node, p(ns::DCT, field), text(value, self.lang));
        Ok(())
    }

    fn iri(&self, record: &str, field: &'static str, value: &str) -> Result<NamedNode, CatalogError> {
        NamedNode::new(value).map_err(|_| CatalogError::InvalidIri {
            record: record.to_owned(),
            field,
            value: value.to_owned(),
        })
    }

    /// Blank nodes are numbered in build order, so the same catalogue always serialises to the
    /// same bytes.
    fn blank(&mut self) -> BlankNode {
        self.next_blank += 1;
        BlankNode::new_unchecked(format!("n{}", self.next_blank))
    }

    fn add<S: Clone + Into<NamedOrBlankNode>>(
        &mut self,
        subject: &S,
        predicate: NamedNode,
        object: impl Into<Term>,
    ) {
        self.graph.insert(&Triple::new(subject.clone(), predicate, object.into()));
    }
}

fn non_empty<'v>(record: &str, field: &'static str, value: &'v str) -> Result<&'v str, CatalogError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(CatalogError::Empty { record: record.to_owned(), field });
    }
    Ok(value)
}

/// A contact point's `mailto:` IRI and web page, at least one of them.
fn contact_channels(
    record: &str,
    contact: &ContactPoint,
) -> Result<(Option<NamedNode>, Option<NamedNode>), CatalogError> {
    non_empty(record, "contact.name", &contact.name)?;
    let email = contact.email.as_deref().map(|email| mailto(record, email)).transpose()?;
    let url = contact
        .url
        .as_deref()
        .map(|url| {
            NamedNode::new(url).map_err(|_| CatalogError::InvalidIri {
                record: record.to_owned(),
                field: "contact.url",
                value: url.to_owned(),
            })
        })
        .transpose()?;
    if email.is_none() && url.is_none() {
        return Err(CatalogError::NoContactChannel { record: record.to_owned(), name: contact.name.clone() });
    }
    Ok((email, url))
}

/// `mailto:` IRI of an address with one `@`, a non-empty local part and domain, and no characters
/// an IRI or a mail header cannot carry.
fn mailto(record: &str, email: &str) -> Result<NamedNode, CatalogError> {
    let invalid = || CatalogError::InvalidEmail { record: record.to_owned(), value: email.to_owned() };
    let address = email.trim();
    let (local, domain) = address.split_once('@').ok_or_else(invalid)?;
    let bad_char = |c: char| c.is_whitespace() || c.is_control() || "<>\"@,;:\\[]()".contains(c);
    if local.is_empty() || domain.is_empty() || local.contains(bad_char) || domain.contains(bad_char) {
        return Err(invalid());
    }
    NamedNode::new(format!("mailto:{address}")).map_err(|_| invalid())
}
