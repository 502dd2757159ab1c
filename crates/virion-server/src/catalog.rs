//! `/catalog`: the node's DCAT-AP 3 catalogue (HealthDCAT-AP public level) for EOSC and
//! data.europa.eu harvesters, in Turtle, JSON-LD or RDF/XML by content negotiation.
//!
//! Every figure is computed from the released data when asked (record counts, collection dates,
//! countries, the last release); who publishes it and whom to contact come from the node's
//! catalogue settings (`virion serve --catalog-config`).

use std::path::Path;

use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use virion_catalog::{
    AccessRight, Agent, Catalog, CsvwDatatype, DataService, DataTheme, Dataset, Distribution, FileType,
    HealthCategory, Language, Licence, MediaType, PublisherType, RdfFormat,
};
use virion_collections::count;
use virion_index::ColumnType;
use virion_ingest::hub::DATA_USE_TERMS;
use virion_query::execute::{Endpoint, table};
use virion_query::{Cell, LapisRequest};
use virion_schema::FieldType;

use crate::error::{ApiError, ProblemResponse};
use crate::state::AppState;

/// Who publishes the node's catalogue: `virion serve --catalog-config FILE` (TOML).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogSettings {
    /// The node's public base URL, the root of every IRI in the catalogue (default: the URL
    /// the request reached the node by).
    #[serde(default)]
    pub public_url: Option<String>,
    /// The catalogue's title.
    #[serde(default)]
    pub title: Option<String>,
    /// What the catalogue holds.
    #[serde(default)]
    pub description: Option<String>,
    /// Language of the metadata (EU language code, e.g. `ENG`).
    #[serde(default)]
    pub language: Option<String>,
    /// Licence of open data (EU licence code: `CC_BY_4_0`, `CC_BY_SA_4_0` or `CC0`).
    #[serde(default)]
    pub licence: Option<String>,
    /// The publishing organisation.
    pub publisher: AgentSettings,
    /// The health data access body that answers access requests (default: the publisher).
    #[serde(default)]
    pub hdab: Option<AgentSettings>,
}

/// An organisation in [`CatalogSettings`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentSettings {
    /// Its name.
    pub name: String,
    /// Its home page, also its IRI.
    #[serde(default)]
    pub url: Option<String>,
    /// HealthData@EU publisher type, e.g. `public-health-institute`, `research-institute-org`,
    /// `laboratory`, `national-authority`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Contact point: who answers.
    pub contact_name: String,
    /// Contact email address.
    #[serde(default)]
    pub contact_email: Option<String>,
    /// Contact web page.
    #[serde(default)]
    pub contact_url: Option<String>,
}

/// Why the catalogue settings cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CatalogSettingsError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid settings TOML.
    #[error("{path}: {source}")]
    Parse {
        /// The file.
        path: String,
        /// What is wrong, with line and column.
        source: toml::de::Error,
    },
    /// A code outside its vocabulary.
    #[error("{path}: {field} = {value:?} is not one of {allowed}")]
    Code {
        /// The file.
        path: String,
        /// The setting.
        field: &'static str,
        /// The value given.
        value: String,
        /// The codes allowed.
        allowed: String,
    },
}

impl CatalogSettings {
    /// Reads and checks the settings file.
    pub fn load(path: &Path) -> Result<CatalogSettings, CatalogSettingsError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|source| CatalogSettingsError::Read { path: shown.clone(), source })?;
        let settings: CatalogSettings = toml::from_str(&text)
            .map_err(|source| CatalogSettingsError::Parse { path: shown.clone(), source })?;
        settings.check().map_err(|(field, value, allowed)| CatalogSettingsError::Code {
            path: shown,
            field,
            value,
            allowed,
        })?;
        Ok(settings)
    }

    fn check(&self) -> Result<(), (&'static str, String, String)> {
        if let Some(l) = &self.language {
            code_of(Language::ALL, l, |v| v.code())
                .ok_or_else(|| ("language", l.clone(), codes(Language::ALL, |v| v.code())))?;
        }
        if let Some(l) = &self.licence {
            code_of(Licence::ALL, l, |v| v.code())
                .ok_or_else(|| ("licence", l.clone(), codes(Licence::ALL, |v| v.code())))?;
        }
        for agent in std::iter::once(&self.publisher).chain(self.hdab.as_ref()) {
            code_of(PublisherType::ALL, &agent.kind, |v| v.code())
                .ok_or_else(|| ("type", agent.kind.clone(), codes(PublisherType::ALL, |v| v.code())))?;
        }
        Ok(())
    }
}

fn code_of<T: Copy>(all: &[T], code: &str, f: impl Fn(T) -> &'static str) -> Option<T> {
    all.iter().copied().find(|v| f(*v).eq_ignore_ascii_case(code))
}

fn codes<T: Copy>(all: &[T], f: impl Fn(T) -> &'static str) -> String {
    all.iter().map(|v| f(*v)).collect::<Vec<_>>().join(", ")
}

/// `GET /catalog`, `/catalog.ttl`, `/catalog.jsonld`, `/catalog.rdf`: the node's DCAT-AP catalogue.
#[utoipa::path(get, path = "/catalog",
    summary = "The node's DCAT-AP 3.0.1 catalogue (with HealthDCAT-AP public-level properties): one dataset per organism with counts, dates and countries from the released data, its distributions and the LAPIS data service; Turtle, JSON-LD or RDF/XML by the Accept header",
    security(()),
    responses((status = 200, description = "The catalogue", content(
            (String = "text/turtle"), (String = "application/ld+json"), (String = "application/rdf+xml"))),
        (status = 406, response = ProblemResponse), (status = 503, response = ProblemResponse)))]
pub async fn catalog(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let format = RdfFormat::negotiate(accept).ok_or_else(|| {
        ApiError::NotAcceptable(
            "the catalogue is served as text/turtle, application/ld+json or application/rdf+xml".into(),
        )
    })?;
    respond(&state, &headers, format).await
}

/// `GET /catalog.{extension}`: the catalogue in the format the extension names.
#[utoipa::path(get, path = "/catalog.{extension}", summary = "The node's catalogue in the format its extension names (ttl, jsonld, rdf)",
    params(("extension" = String, Path, description = "ttl, jsonld or rdf")), security(()),
    responses((status = 200, description = "The catalogue", content(
            (String = "text/turtle"), (String = "application/ld+json"), (String = "application/rdf+xml"))),
        (status = 404, response = ProblemResponse), (status = 503, response = ProblemResponse)))]
pub async fn catalog_file(
    State(state): State<AppState>,
    UrlPath(extension): UrlPath<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let format = RdfFormat::from_extension(&extension).ok_or_else(|| {
        ApiError::NotFound(format!("no catalogue file .{extension}: use .ttl, .jsonld or .rdf"))
    })?;
    respond(&state, &headers, format).await
}

async fn respond(state: &AppState, headers: &HeaderMap, format: RdfFormat) -> Result<Response, ApiError> {
    let catalog = build(state, headers).await?;
    let built = catalog.graph().map_err(|e| ApiError::Internal(format!("catalogue: {e}")))?;
    if !built.unmapped_countries.is_empty() {
        tracing::debug!(event = "catalog_unmapped_countries", countries = ?built.unmapped_countries,
            "countries without an EU country concept left out of dct:spatial");
    }
    let bytes = virion_catalog::write_graph(&built.graph, format, Vec::new())
        .map_err(|e| ApiError::Internal(format!("writing the catalogue: {e}")))?;
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, format!("{}; charset=utf-8", format.media_type())),
            (header::VARY, "Accept".to_owned()),
        ],
        bytes,
    )
        .into_response())
}

/// What the released data of one organism says about itself.
struct Facts {
    records: u64,
    dates: Option<(NaiveDate, NaiveDate)>,
    countries: Vec<String>,
    restricted: u64,
}

async fn facts(
    state: &AppState,
    organism: &str,
    filters: Vec<(String, virion_query::Values)>,
) -> Result<Facts, ApiError> {
    let view = state
        .collections()
        .view(state.store(), Some(organism), None)
        .await
        .map_err(|e| ApiError::Unavailable(format!("{organism}: {e}")))?;
    view.run(move |parts, ix, budget| {
        let index = &ix.query.index;
        let base = LapisRequest { filters, ..LapisRequest::default() };
        let records = count(parts, &base, budget)?;
        let grouped = |field: &str| -> Result<Vec<(String, u64)>, virion_query::QueryError> {
            let request = LapisRequest { fields: vec![field.to_owned()], ..base.clone() };
            let t = table(parts, Endpoint::Aggregated, &request, budget)?;
            Ok(t.rows
                .iter()
                .filter_map(|r| {
                    let n = match r.last()? {
                        Cell::Int(n) => u64::try_from(*n).ok()?,
                        _ => return None,
                    };
                    Some((r.first()?.text(), n))
                })
                .filter(|(v, _)| !v.is_empty())
                .collect())
        };
        let date_field = index.columns.iter().find(|c| c.kind == ColumnType::Date).map(|c| c.name.clone());
        let dates = match date_field {
            Some(f) => {
                let days: Vec<NaiveDate> = grouped(&f)?
                    .iter()
                    .filter_map(|(v, _)| NaiveDate::parse_from_str(v, "%Y-%m-%d").ok())
                    .collect();
                days.iter().min().copied().zip(days.iter().max().copied())
            }
            None => None,
        };
        let country_field = index.columns.iter().find(|c| c.name == "country").map(|c| c.name.clone());
        let countries = match country_field {
            Some(f) => grouped(&f)?.into_iter().map(|(v, _)| v).collect(),
            None => Vec::new(),
        };
        let restricted = if index.columns.iter().any(|c| c.name == DATA_USE_TERMS) {
            grouped(DATA_USE_TERMS)?.iter().filter(|(v, _)| v == "RESTRICTED").map(|(_, n)| n).sum()
        } else {
            0
        };
        Ok(Facts { records, dates, countries, restricted })
    })
    .await
    .map_err(|e| ApiError::Unavailable(format!("{organism}: {e}")))
}

/// The node's public base URL: the settings', else the URL the request reached it by.
pub(crate) fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    match state.catalog_settings().and_then(|s| s.public_url.clone()) {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => crate::portal::public_base(headers),
    }
}

/// The licence of the node's open data: its IRI and name (CC BY 4.0 unless the settings say).
pub(crate) fn open_licence(state: &AppState) -> (String, String) {
    let licence = licence_of(state);
    let uri = match licence {
        Licence::CcBy4 => "https://creativecommons.org/licenses/by/4.0/",
        Licence::CcBySa4 => "https://creativecommons.org/licenses/by-sa/4.0/",
        Licence::Cc0 => "https://creativecommons.org/publicdomain/zero/1.0/",
    };
    (uri.to_owned(), licence.label().to_owned())
}

fn licence_of(state: &AppState) -> Licence {
    state
        .catalog_settings()
        .and_then(|s| s.licence.as_deref())
        .and_then(|l| code_of(Licence::ALL, l, |v| v.code()))
        .unwrap_or(Licence::CcBy4)
}

fn agent(settings: &AgentSettings) -> Agent {
    Agent {
        uri: settings.url.clone(),
        name: settings.name.clone(),
        publisher_type: code_of(PublisherType::ALL, &settings.kind, |v| v.code())
            .unwrap_or(PublisherType::ResearchInstitute),
        homepage: settings.url.clone(),
        contact: virion_catalog::ContactPoint {
            name: settings.contact_name.clone(),
            email: settings.contact_email.clone(),
            url: settings.contact_url.clone(),
        },
    }
}

/// The node's catalogue, from its settings and its released data.
async fn build(state: &AppState, headers: &HeaderMap) -> Result<Catalog, ApiError> {
    let base = base_url(state, headers);
    let settings = state.catalog_settings();
    let node_name = state.node_name();
    let publisher = match settings {
        Some(s) => agent(&s.publisher),
        // Without settings the node still says who it is, and where its pages are; the README
        // says to configure a real publisher before registering the catalogue with a harvester.
        None => Agent {
            uri: Some(base.clone()),
            name: node_name.clone().unwrap_or_else(|| "Virion node".to_owned()),
            publisher_type: PublisherType::ResearchInstitute,
            homepage: Some(base.clone()),
            contact: virion_catalog::ContactPoint {
                name: "Node operators".to_owned(),
                email: None,
                url: Some(format!("{base}/")),
            },
        },
    };
    let hdab = settings.and_then(|s| s.hdab.as_ref()).map(agent).unwrap_or_else(|| publisher.clone());
    let language =
        settings.and_then(|s| s.language.as_deref()).and_then(|l| code_of(Language::ALL, l, |v| v.code()));
    let licence = licence_of(state);
    let lapis_uri = format!("{base}/catalog#lapis");
    let mut datasets = Vec::new();
    let mut organisms: Vec<_> = state.organisms().collect();
    organisms.sort_by(|a, b| a.config.name.cmp(&b.config.name));
    let mut last_modified: Option<NaiveDate> = None;
    for org in organisms {
        let name = &org.config.name;
        let facts = facts(state, name, Vec::new()).await?;
        let modified = state
            .store()
            .last_release(org.id)
            .await?
            .and_then(chrono::DateTime::from_timestamp_millis)
            .map(|t| t.date_naive())
            .unwrap_or_else(|| chrono::Utc::now().date_naive());
        last_modified = Some(last_modified.map_or(modified, |m| m.max(modified)));
        let uri = format!("{base}/{name}#dataset");
        let display = &org.config.display_name;
        let scientific = org.config.ena.as_ref().map(|e| e.scientific_name.clone());
        let mut description = format!(
            "{} released {display} genomes with their sample metadata, processed with Nextclade-compatible alignment, mutation calling, clade/lineage assignment and QC.",
            facts.records
        );
        if facts.restricted > 0 {
            description.push_str(&format!(
                " {} of them are under restricted-use terms for a limited time (see each record's data use terms).",
                facts.restricted
            ));
        }
        let mut keywords =
            vec![display.clone(), "pathogen genomics".to_owned(), "genomic surveillance".to_owned()];
        keywords.extend(scientific.clone());
        let dist =
            |id: &str, title: &str, url: String, media: MediaType, format: Option<FileType>| Distribution {
                uri: format!("{base}/{name}#distribution-{id}"),
                title: title.to_owned(),
                access_url: url.clone(),
                download_url: Some(url),
                media_type: media,
                format,
                licence: None,
                byte_size: None,
                access_service: Some(lapis_uri.clone()),
            };
        let distributions = vec![
            dist(
                "metadata-tsv",
                "Metadata of every released genome (TSV)",
                format!("{base}/{name}/sample/details?dataFormat=tsv&downloadAsFile=true"),
                MediaType::TabSeparatedValues,
                Some(FileType::Tsv),
            ),
            dist(
                "sequences-fasta",
                "Unaligned sequences of every released genome (FASTA)",
                format!("{base}/{name}/sample/unalignedNucleotideSequences?downloadAsFile=true"),
                MediaType::PlainText,
                None,
            ),
            dist(
                "aligned-fasta",
                "Sequences aligned to the reference (FASTA)",
                format!("{base}/{name}/sample/alignedNucleotideSequences?downloadAsFile=true"),
                MediaType::PlainText,
                None,
            ),
            Distribution {
                access_service: None,
                ..dist(
                    "released-stream",
                    "Released stream: every released version with its processed result (NDJSON, one JSON document per line)",
                    format!("{base}/api/{name}/released"),
                    MediaType::Json,
                    Some(FileType::Json),
                )
            },
        ];
        let columns = org
            .config
            .fields
            .iter()
            .map(|f| virion_catalog::Column {
                name: f.name.clone(),
                title: f.display_name.clone().unwrap_or_else(|| f.name.replace('_', " ")),
                description: if f.description.is_empty() { f.name.clone() } else { f.description.clone() },
                datatype: match f.field_type {
                    FieldType::Int => CsvwDatatype::Integer,
                    FieldType::Float => CsvwDatatype::Decimal,
                    FieldType::Date => CsvwDatatype::String,
                    FieldType::Boolean => CsvwDatatype::Boolean,
                    _ => CsvwDatatype::String,
                },
            })
            .collect();
        datasets.push(Dataset {
            uri: uri.clone(),
            identifier: format!("{base}/{name}"),
            title: format!("{display} genomes"),
            description,
            keywords,
            themes: vec![DataTheme::ScienceAndTechnology],
            landing_page: format!("{base}/{name}"),
            temporal: facts.dates,
            spatial: facts.countries,
            record_count: facts.records,
            licence,
            access_rights: AccessRight::Public,
            issued: None,
            modified,
            version: None,
            creators: Vec::new(),
            contributors: Vec::new(),
            is_version_of: None,
            has_version: Vec::new(),
            distributions,
            health_categories: vec![HealthCategory::PathogenData],
            hdab: hdab.clone(),
            variables: Some(virion_catalog::TableGroup {
                title: format!("{display} sample metadata"),
                tables: vec![virion_catalog::Table {
                    title: "Metadata".to_owned(),
                    url: Some(format!("{base}/{name}/sample/details?dataFormat=tsv")),
                    columns,
                }],
            }),
            population_coverage: None,
        });
    }
    datasets.extend(mirror_datasets(state, &base, licence, &hdab, &lapis_uri).await?);
    datasets.extend(collection_datasets(state, &base, licence, &hdab).await?);
    let serves: Vec<String> = datasets.iter().map(|d| d.uri.clone()).collect();
    let services = if serves.is_empty() {
        Vec::new()
    } else {
        vec![DataService {
            uri: lapis_uri.clone(),
            title: "LAPIS query API".to_owned(),
            description: "Counts, mutation frequencies, metadata and sequences of the released genomes, filtered by metadata, mutations, insertions and lineages (LAPIS v2, as CoV-Spectrum and GenSpectrum use it).".to_owned(),
            endpoint_url: format!("{base}/"),
            endpoint_description: format!("{base}/api/openapi.json"),
            serves_datasets: serves,
            licence: Some(licence),
            access_rights: Some(AccessRight::Public),
        }]
    };
    let title = settings.and_then(|s| s.title.clone()).unwrap_or_else(|| match &node_name {
        Some(n) => format!("{n}: pathogen genomes"),
        None => "Virion node: pathogen genomes".to_owned(),
    });
    let contact = publisher.contact.clone();
    Ok(Catalog {
        uri: format!("{base}/catalog"),
        title,
        description: settings.and_then(|s| s.description.clone()).unwrap_or_else(|| {
            "Pathogen genomes with their sample metadata, released by this node: searchable and downloadable through its portal and its LAPIS API.".to_owned()
        }),
        homepage: format!("{base}/"),
        language,
        publisher,
        contact,
        issued: None,
        modified: last_modified.unwrap_or_else(|| chrono::Utc::now().date_naive()),
        datasets,
        services,
    })
}

/// One dataset per citable collection (its newest version), its figures computed from the
/// members the node serves at their versions.
async fn collection_datasets(
    state: &AppState,
    base: &str,
    licence: Licence,
    hdab: &Agent,
) -> Result<Vec<Dataset>, ApiError> {
    let mut out = Vec::new();
    for record in state.store().collections(None).await? {
        let Some(org) = state.organisms().find(|o| o.id == record.organism) else { continue };
        let name = org.config.name.clone();
        let members = state.store().collection_members(&record.id, record.version).await?;
        let values: virion_query::Values = members.iter().map(|(av, _)| Some(av.to_string())).collect();
        let facts =
            facts(state, &name, vec![(virion_ingest::hub::ACCESSION_VERSION.to_owned(), values)]).await?;
        let landing = format!("{base}/collections/{}", record.id_version());
        let authors: Vec<crate::citable::AuthorJson> =
            serde_json::from_str(&record.authors_json).unwrap_or_default();
        let saved =
            chrono::DateTime::from_timestamp_millis(record.created_at).unwrap_or_default().date_naive();
        let restricted = members
            .iter()
            .filter(|(_, t)| matches!(t, virion_store::DataUseTerms::Restricted { .. }))
            .count();
        let mut description = record.description.clone();
        if restricted > 0 {
            description.push_str(&format!(
                " ({restricted} of its {} genomes are under restricted-use terms for a limited time.)",
                members.len()
            ));
        }
        out.push(Dataset {
            uri: format!("{landing}#dataset"),
            identifier: landing.clone(),
            title: record.name.clone(),
            description,
            keywords: vec![org.config.display_name.clone(), "citable collection".to_owned()],
            themes: vec![DataTheme::ScienceAndTechnology],
            landing_page: landing.clone(),
            temporal: facts.dates,
            spatial: facts.countries,
            // Members the node serves at other versions are still members: the count is the
            // collection's own.
            record_count: record.member_count as u64,
            licence,
            access_rights: AccessRight::Public,
            issued: Some(saved),
            modified: saved,
            version: Some(record.version.to_string()),
            creators: authors
                .into_iter()
                .map(|a| virion_catalog::Person {
                    uri: a.orcid.map(|o| format!("https://orcid.org/{o}")),
                    name: a.name,
                })
                .collect(),
            contributors: Vec::new(),
            is_version_of: None,
            has_version: Vec::new(),
            distributions: vec![
                Distribution {
                    uri: format!("{landing}#distribution-ro-crate"),
                    title: "Members' metadata and sequences with their terms and citation (RO-Crate zip)"
                        .to_owned(),
                    access_url: landing.clone(),
                    download_url: Some(format!("{landing}/download")),
                    media_type: MediaType::Zip,
                    format: Some(FileType::Zip),
                    licence: None,
                    byte_size: None,
                    access_service: None,
                },
                Distribution {
                    uri: format!("{landing}#distribution-members"),
                    title: "Members (accession.version list)".to_owned(),
                    access_url: landing.clone(),
                    download_url: Some(format!("{landing}/members.txt")),
                    media_type: MediaType::PlainText,
                    format: None,
                    licence: None,
                    byte_size: None,
                    access_service: None,
                },
            ],
            health_categories: vec![HealthCategory::PathogenData],
            hdab: hdab.clone(),
            variables: None,
            population_coverage: None,
        });
    }
    Ok(out)
}

/// One dataset per mirror of a peer's released data (an aggregator's view of its peers): its
/// figures computed from the copy, its landing page at the peer, its downloads through this
/// node's LAPIS root for the mirror.
async fn mirror_datasets(
    state: &AppState,
    base: &str,
    licence: Licence,
    hdab: &Agent,
    lapis_uri: &str,
) -> Result<Vec<Dataset>, ApiError> {
    let Ok(peers) = virion_federation::Peers::load(state.data_dir()) else { return Ok(Vec::new()) };
    let served = state.collections().names();
    let mut out = Vec::new();
    for (peer, organism, local) in peers.mirrors() {
        if !served.iter().any(|n| n == local) {
            continue;
        }
        let facts = facts(state, local, Vec::new()).await?;
        let peer_url = peer.url.trim_end_matches('/');
        let display =
            state.organism(organism).map(|o| o.config.display_name.clone()).unwrap_or(organism.to_owned());
        out.push(Dataset {
            uri: format!("{base}/{local}#dataset"),
            identifier: format!("{peer_url}/{organism}"),
            title: format!("{display} genomes of node {}", peer.name),
            description: format!(
                "{} released {display} genomes of the Virion node {} ({peer_url}), copied here as a mirror and searchable through this node's LAPIS root /{local}.",
                facts.records, peer.name
            ),
            keywords: vec![display.clone(), "pathogen genomics".to_owned(), format!("node {}", peer.name)],
            themes: vec![DataTheme::ScienceAndTechnology],
            landing_page: format!("{peer_url}/{organism}"),
            temporal: facts.dates,
            spatial: facts.countries,
            record_count: facts.records,
            licence,
            access_rights: AccessRight::Public,
            issued: None,
            modified: chrono::Utc::now().date_naive(),
            version: None,
            creators: Vec::new(),
            contributors: Vec::new(),
            is_version_of: None,
            has_version: Vec::new(),
            distributions: vec![Distribution {
                uri: format!("{base}/{local}#distribution-metadata-tsv"),
                title: "Metadata of the mirrored genomes (TSV)".to_owned(),
                access_url: format!("{base}/{local}/sample/details?dataFormat=tsv&downloadAsFile=true"),
                download_url: Some(format!("{base}/{local}/sample/details?dataFormat=tsv&downloadAsFile=true")),
                media_type: MediaType::TabSeparatedValues,
                format: Some(FileType::Tsv),
                licence: None,
                byte_size: None,
                access_service: Some(lapis_uri.to_owned()),
            }],
            health_categories: vec![HealthCategory::PathogenData],
            hdab: hdab.clone(),
            variables: None,
            population_coverage: None,
        });
    }
    Ok(out)
}
