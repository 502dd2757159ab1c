//! Describes a Virion node's datasets and services as a DCAT-AP 3 catalogue, with HealthDCAT-AP's
//! public-level properties, and writes it as Turtle, JSON-LD or RDF/XML.
//!
//! The server fills the typed [`Catalog`] from its own data; [`Catalog::graph`] checks it and
//! builds an [`oxrdf::Graph`], and [`serialize`] (or [`write_graph`]) writes it with `oxrdfio` in
//! the [`RdfFormat`] that [`RdfFormat::negotiate`] picked from the request's Accept header.
//! Controlled values (access rights, themes, licences, file types, health categories, publisher
//! types, countries) are enums or table look-ups, so only concepts of the EU and HealthData@EU
//! vocabularies are emitted, and the graph also states each such concept's type, label and scheme
//! so that it passes the DCAT-AP and HealthDCAT-AP SHACL shapes on its own (see [`vocab`]).

mod country;
mod format;
mod graph;
pub mod vocab;

use chrono::NaiveDate;

pub use country::{Country, INSDC_COUNTRIES, country};
pub use format::{RdfFormat, write_graph};
pub use graph::{CatalogGraph, UnmappedCountry};
pub use vocab::{
    AccessRight, DataTheme, EHDS_REGULATION, FileType, HealthCategory, Language, Licence, MediaType,
    PublisherType,
};

/// The node's catalogue.
#[derive(Debug, Clone, PartialEq)]
pub struct Catalog {
    /// The catalogue's IRI.
    pub uri: String,
    /// Its title.
    pub title: String,
    /// What it holds.
    pub description: String,
    /// The node's home page.
    pub homepage: String,
    /// The language the metadata is written in; literals are tagged with it (English if `None`).
    pub language: Option<Language>,
    /// Who publishes the catalogue, and its datasets and services.
    pub publisher: Agent,
    /// The helpdesk, stated as each dataset's and service's `dcat:contactPoint`.
    pub contact: ContactPoint,
    /// When the catalogue was first published.
    pub issued: Option<NaiveDate>,
    /// When it last changed.
    pub modified: NaiveDate,
    /// Its datasets.
    pub datasets: Vec<Dataset>,
    /// Its data services (APIs).
    pub services: Vec<DataService>,
}

/// An organisation: the publisher, or a dataset's health data access body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    /// Its IRI; a blank node when `None`.
    pub uri: Option<String>,
    /// Its name.
    pub name: String,
    /// Its HealthData@EU publisher type.
    pub publisher_type: PublisherType,
    /// Its home page.
    pub homepage: Option<String>,
    /// How to reach it: HealthDCAT-AP requires exactly one contact point on the publisher and the
    /// health data access body.
    pub contact: ContactPoint,
}

/// A contact point: a name and at least one of an email address and a web page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactPoint {
    /// Who answers, e.g. "Virion helpdesk".
    pub name: String,
    /// Email address (without `mailto:`).
    pub email: Option<String>,
    /// Contact web page.
    pub url: Option<String>,
}

/// A person credited for a dataset (authors of a citable collection).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// An IRI for the person, e.g. their ORCID iD URL; a blank node when `None`.
    pub uri: Option<String>,
    /// Name as cited.
    pub name: String,
}

/// One dataset of the node: an organism's sequences, or a citable collection.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// The dataset's IRI.
    pub uri: String,
    /// Its identifier (`dct:identifier`).
    pub identifier: String,
    /// Its title.
    pub title: String,
    /// What it holds (mandatory in DCAT-AP).
    pub description: String,
    /// Free keywords.
    pub keywords: Vec<String>,
    /// Themes besides Health, which is always stated (HealthDCAT-AP requires `HEAL`).
    pub themes: Vec<DataTheme>,
    /// Its page on the node.
    pub landing_page: String,
    /// First and last collection date of its samples.
    pub temporal: Option<(NaiveDate, NaiveDate)>,
    /// INSDC country names of its samples; names with no EU country concept are left out and
    /// reported in [`CatalogGraph::unmapped_countries`].
    pub spatial: Vec<String>,
    /// Number of records (sequences), HealthDCAT-AP's `numberOfRecords`.
    pub record_count: u64,
    /// Licence of the data; also the default of its distributions.
    pub licence: Licence,
    /// Access level.
    pub access_rights: AccessRight,
    /// When it was first published.
    pub issued: Option<NaiveDate>,
    /// When it last changed.
    pub modified: NaiveDate,
    /// Version label of a versioned (citable) dataset.
    pub version: Option<String>,
    /// Authors.
    pub creators: Vec<Person>,
    /// Other contributors.
    pub contributors: Vec<Person>,
    /// The dataset this is a version of. Stated as that dataset's `dcat:hasVersion` (DCAT-AP 3
    /// warns about the inverse `dcat:isVersionOf`).
    pub is_version_of: Option<String>,
    /// Versions of this dataset (`dcat:hasVersion`).
    pub has_version: Vec<String>,
    /// Ways to get the data; HealthDCAT-AP requires at least one.
    pub distributions: Vec<Distribution>,
    /// EHDS Article 51 categories; HealthDCAT-AP requires at least one.
    pub health_categories: Vec<HealthCategory>,
    /// The health data access body responsible for access requests.
    pub hdab: Agent,
    /// The tables and columns of its structured data. `Some` states `hasStructuredData true` with
    /// `hasVariables`; `None` states `false` — so "structured ⇒ variables described" holds by
    /// construction.
    pub variables: Option<TableGroup>,
    /// Free-text description of the population covered.
    pub population_coverage: Option<String>,
}

/// A way to obtain a dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct Distribution {
    /// The distribution's IRI.
    pub uri: String,
    /// Its title.
    pub title: String,
    /// Where it can be accessed (an API endpoint or page).
    pub access_url: String,
    /// A direct download link.
    pub download_url: Option<String>,
    /// IANA media type of what is downloaded.
    pub media_type: MediaType,
    /// EU file type; `None` where the NAL has no fitting entry (FASTA).
    pub format: Option<FileType>,
    /// Licence; the dataset's when `None`.
    pub licence: Option<Licence>,
    /// Size in bytes, when known.
    pub byte_size: Option<u64>,
    /// IRI of the catalogue's data service that serves this distribution.
    pub access_service: Option<String>,
}

/// An API of the node (such as its LAPIS query service).
#[derive(Debug, Clone, PartialEq)]
pub struct DataService {
    /// The service's IRI.
    pub uri: String,
    /// Its title.
    pub title: String,
    /// What it does.
    pub description: String,
    /// The endpoint's root URL.
    pub endpoint_url: String,
    /// URL of its OpenAPI document.
    pub endpoint_description: String,
    /// IRIs of the catalogue's datasets it serves.
    pub serves_datasets: Vec<String>,
    /// Licence of what it returns.
    pub licence: Option<Licence>,
    /// Access level.
    pub access_rights: Option<AccessRight>,
}

/// A description of a dataset's tables (CSVW), HealthDCAT-AP's `hasVariables`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableGroup {
    /// Title of the group.
    pub title: String,
    /// Its tables (at least one).
    pub tables: Vec<Table>,
}

/// One table of a [`TableGroup`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// Title of the table.
    pub title: String,
    /// Where the table can be fetched.
    pub url: Option<String>,
    /// Its columns (at least one).
    pub columns: Vec<Column>,
}

/// One column of a [`Table`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// Column name as in the file.
    pub name: String,
    /// Human-readable title.
    pub title: String,
    /// What it holds.
    pub description: String,
    /// CSVW built-in datatype.
    pub datatype: CsvwDatatype,
}

/// The CSVW built-in datatypes a column can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CsvwDatatype {
    /// `string`.
    String,
    /// `integer`.
    Integer,
    /// `decimal`.
    Decimal,
    /// `boolean`.
    Boolean,
    /// `date`.
    Date,
    /// `dateTime`.
    DateTime,
}

impl CsvwDatatype {
    /// The CSVW name (case-sensitive).
    pub fn name(self) -> &'static str {
        match self {
            CsvwDatatype::String => "string",
            CsvwDatatype::Integer => "integer",
            CsvwDatatype::Decimal => "decimal",
            CsvwDatatype::Boolean => "boolean",
            CsvwDatatype::Date => "date",
            CsvwDatatype::DateTime => "dateTime",
        }
    }
}

/// Why a catalogue could not be turned into RDF.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// A URL field is not an absolute IRI.
    #[error("{record}: {field} is not a valid absolute IRI: {value:?}")]
    InvalidIri {
        /// The record, e.g. "dataset <https://…>".
        record: String,
        /// The field.
        field: &'static str,
        /// The offending value.
        value: String,
    },
    /// A mandatory text field is empty.
    #[error("{record}: {field} is empty")]
    Empty {
        /// The record.
        record: String,
        /// The field.
        field: &'static str,
    },
    /// A mandatory list is empty.
    #[error("{record}: {field} needs at least one entry")]
    NoEntries {
        /// The record.
        record: String,
        /// The field.
        field: &'static str,
    },
    /// An email address that cannot be a `mailto:` IRI.
    #[error("{record}: {value:?} is not an email address")]
    InvalidEmail {
        /// The record.
        record: String,
        /// The offending value.
        value: String,
    },
    /// A contact point with neither an email address nor a URL.
    #[error("{record}: contact point {name:?} has neither an email address nor a URL")]
    NoContactChannel {
        /// The record.
        record: String,
        /// The contact point's name.
        name: String,
    },
    /// A reference to a dataset or service that the catalogue does not contain.
    #[error("{record}: {field} refers to {value}, which is not in the catalogue")]
    UnknownReference {
        /// The record.
        record: String,
        /// The field.
        field: &'static str,
        /// The IRI referred to.
        value: String,
    },
    /// Two records with the same IRI.
    #[error("{uri} is used by more than one record")]
    DuplicateUri {
        /// The IRI.
        uri: String,
    },
    /// One agent IRI given with different details in two places.
    #[error("agent {uri} is given twice with different details")]
    ConflictingAgent {
        /// The agent's IRI.
        uri: String,
    },
    /// Temporal coverage that ends before it starts.
    #[error("{record}: temporal coverage ends ({end}) before it starts ({start})")]
    TemporalOrder {
        /// The record.
        record: String,
        /// Start date.
        start: NaiveDate,
        /// End date.
        end: NaiveDate,
    },
    /// The serialiser failed.
    #[error("writing the catalogue as {format:?} failed: {source}")]
    Serialize {
        /// The format being written.
        format: RdfFormat,
        /// The serialiser's error.
        source: std::io::Error,
    },
}

/// Builds the catalogue's graph and writes it in `format`. Countries left out of `dct:spatial` are
/// logged; use [`Catalog::graph`] to get them.
pub fn serialize(catalog: &Catalog, format: RdfFormat) -> Result<Vec<u8>, CatalogError> {
    let built = catalog.graph()?;
    write_graph(&built.graph, format, Vec::new()).map_err(|source| CatalogError::Serialize { format, source })
}
