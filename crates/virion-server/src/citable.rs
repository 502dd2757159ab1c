//! Citable collections over HTTP: saved from a search (its members are every released genome
//! the search matches, frozen), read back, cited (`virion-cite`), and selected in LAPIS with
//! `collection=ID.VERSION`.

use axum::Json;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use virion_query::execute::{Endpoint, table};
use virion_query::{Cell, LapisRequest, OrderBy, Values};
use virion_store::{AccessionVersion, CollectionRecord, DataUseTerms, NewCollection, UserId};

use crate::auth::AuthUser;
use crate::entries::OrganismPath;
use crate::error::{ApiError, ApiJson, ProblemResponse};
use crate::state::AppState;

/// The LAPIS parameter that selects a collection's members.
pub(crate) const COLLECTION_PARAM: &str = "collection";
/// Parameters of a search page or LAPIS request that do not select genomes.
const NOT_FILTERS: &[&str] = &[
    "fields",
    "orderBy",
    "limit",
    "offset",
    "dataFormat",
    "downloadAsFile",
    "downloadFileBasename",
    "compression",
    "page",
    "pageSize",
    "columns",
    "network",
    "package",
    "acceptTerms",
    "file",
];

/// One author of a collection.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthorJson {
    /// `Family, Given`, or the name as it is cited.
    #[schema(example = "Doe, Jane")]
    pub name: String,
    /// ORCID iD, e.g. `0000-0002-1825-0097`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orcid: Option<String>,
}

/// A collection to save: what it is called, who made it, and the search whose released
/// genomes it freezes.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SaveCollection {
    /// Its name (the citation's title).
    #[schema(example = "BA.2.86 in Denmark, autumn 2023")]
    pub name: String,
    /// What it holds and why.
    pub description: String,
    /// Authors in citation order (at least one).
    pub authors: Vec<AuthorJson>,
    /// The search: LAPIS filter parameters (as a LAPIS GET takes them: name → value, lists
    /// comma-separated), e.g. `{"country": "Denmark", "nextcladePangoLineage": "BA.2.86*"}`.
    #[schema(value_type = Object)]
    pub query: serde_json::Map<String, serde_json::Value>,
    /// Make a new version of this collection (its owner only) instead of a new collection.
    #[serde(default)]
    #[schema(example = "VC000001")]
    pub new_version_of: Option<String>,
}

/// A saved collection version.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CollectionJson {
    /// `ID.VERSION`.
    #[schema(example = "VC000001.1")]
    pub id_version: String,
    /// The id, the same for every version.
    pub id: String,
    /// The version.
    pub version: i64,
    /// Organism of its members.
    pub organism: String,
    /// Its name.
    pub name: String,
    /// Its description.
    pub description: String,
    /// Its authors.
    pub authors: Vec<AuthorJson>,
    /// The search it was saved from (LAPIS parameters).
    #[schema(value_type = Object)]
    pub query: serde_json::Value,
    /// How many genomes it holds.
    pub member_count: i64,
    /// Of those, how many are under restricted-use terms today.
    pub restricted_count: usize,
    /// When it was saved (RFC 3339).
    pub created: String,
    /// Its landing page.
    pub landing_page: String,
    /// The LAPIS parameter that selects its members (as the node serves them now).
    pub lapis_filter: String,
}

/// The checked text of a collection to save.
fn checked(save: &SaveCollection) -> Result<(String, String, String), ApiError> {
    let name = save.name.trim();
    let description = save.description.trim();
    if name.is_empty() || name.chars().count() > 300 {
        return Err(ApiError::BadRequest("name: give a name of 1 to 300 characters".into()));
    }
    if description.is_empty() || description.chars().count() > 20_000 {
        return Err(ApiError::BadRequest(
            "description: describe the collection in 1 to 20,000 characters".into(),
        ));
    }
    if save.authors.is_empty() || save.authors.len() > virion_cite::MAX_AUTHORS {
        return Err(ApiError::BadRequest(format!(
            "authors: name 1 to {} authors, in citation order",
            virion_cite::MAX_AUTHORS
        )));
    }
    if let Some(bad) = save.authors.iter().position(|a| a.name.trim().is_empty()) {
        return Err(ApiError::BadRequest(format!("authors[{bad}]: a name is needed")));
    }
    let authors = serde_json::to_string(&save.authors).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok((name.to_owned(), description.to_owned(), authors))
}

/// The filter pairs of a search (its selecting parameters only), as text pairs.
pub(crate) fn filters_of(pairs: &[(String, String)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .filter(|(k, v)| !NOT_FILTERS.contains(&k.as_str()) && !v.is_empty() && k != COLLECTION_PARAM)
        .cloned()
        .collect()
}

/// Every released genome of `organism` the filters select, as the public sees them.
async fn members_of_search(
    state: &AppState,
    organism: &str,
    filters: &[(String, String)],
) -> Result<Vec<AccessionVersion>, ApiError> {
    let org = state.organism(organism)?;
    let prefix = org.config.accession_prefix.clone();
    let mut request = LapisRequest::from_pairs(crate::lapis::decode::query_pairs(filters.to_vec()))
        .map_err(|e| ApiError::BadRequest(format!("query: {e}")))?;
    request.fields = vec![virion_ingest::hub::ACCESSION_VERSION.to_owned()];
    request.order_by = OrderBy::Fields(vec![(virion_ingest::hub::ACCESSION_VERSION.to_owned(), false)]);
    let view = state
        .collections()
        .view(state.store(), Some(organism), None)
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    let rows = view
        .run(move |parts, _, budget| {
            let t = table(parts, Endpoint::Details, &request, budget)?;
            Ok(t.rows.iter().map(|r| r.first().map(Cell::text).unwrap_or_default()).collect::<Vec<_>>())
        })
        .await
        .map_err(|e| match e {
            virion_collections::CollectionError::Query(q) => ApiError::BadRequest(format!("query: {q}")),
            other => ApiError::Unavailable(other.to_string()),
        })?;
    rows.iter()
        .map(|t| {
            AccessionVersion::parse(t, &[prefix.as_str()])
                .map_err(|e| ApiError::Internal(format!("indexed accession {t:?}: {e}")))
        })
        .collect()
}

/// Saves the released genomes `filters` select as a collection of `user`.
pub(crate) async fn save(
    state: &AppState,
    user: UserId,
    organism: &str,
    save: &SaveCollection,
    filters: Vec<(String, String)>,
) -> Result<CollectionRecord, ApiError> {
    let (name, description, authors_json) = checked(save)?;
    let org = state.organism(organism)?;
    let members = members_of_search(state, organism, &filters).await?;
    if members.is_empty() {
        return Err(ApiError::Unreadable(
            "the search matches no released genome: a collection needs at least one".into(),
        ));
    }
    let query_json = serde_json::to_string(&filters).map_err(|e| ApiError::Internal(e.to_string()))?;
    let new = NewCollection { organism: org.id, name, description, authors_json, query_json, members };
    let record = state.store().save_collection(user, save.new_version_of.as_deref(), new).await?;
    tracing::info!(event = "collection_saved", collection = %record.id_version(), members = record.member_count,
        "saved a citable collection");
    Ok(record)
}

/// `ID.VERSION` read; a text that is not one names no collection.
pub(crate) fn parse_id_version(text: &str) -> Result<(String, i64), ApiError> {
    let not_found =
        || ApiError::NotFound(format!("no collection {text:?}: collections are named like VC000001.1"));
    let (id, version) = text.rsplit_once('.').ok_or_else(not_found)?;
    let valid_id = id.len() > virion_store::COLLECTION_PREFIX.len()
        && id.len() <= 32
        && id.starts_with(virion_store::COLLECTION_PREFIX)
        && id.bytes().skip(virion_store::COLLECTION_PREFIX.len()).all(|b| b.is_ascii_digit());
    let version: i64 = version.parse().ok().filter(|v| *v >= 1).ok_or_else(not_found)?;
    if !valid_id {
        return Err(not_found());
    }
    Ok((id.to_owned(), version))
}

/// A collection version, its organism's name and its members with their terms.
pub(crate) async fn load(
    state: &AppState,
    id_version: &str,
) -> Result<(CollectionRecord, String, Vec<(AccessionVersion, DataUseTerms)>), ApiError> {
    let (id, version) = parse_id_version(id_version)?;
    let record = state.store().collection(&id, version).await?;
    let organism =
        state.organisms().find(|o| o.id == record.organism).map(|o| o.config.name.clone()).ok_or_else(
            || {
                ApiError::NotFound(format!(
                    "collection {id_version} holds genomes of an organism this node no longer serves"
                ))
            },
        )?;
    let members = state.store().collection_members(&id, version).await?;
    Ok((record, organism, members))
}

/// Replaces `collection=ID.VERSION` in a LAPIS request by its members (as `accessionVersion`
/// values): the typed filter of exactly the members the node still serves at those versions.
/// The collection, if the request named one.
pub(crate) async fn resolve_filter(
    state: &AppState,
    request: &mut LapisRequest,
) -> Result<Option<CollectionRecord>, ApiError> {
    let Some(at) = request.filters.iter().position(|(k, _)| k == COLLECTION_PARAM) else { return Ok(None) };
    let (_, values) = request.filters.remove(at);
    let [Some(id_version)] = values.as_slice() else {
        return Err(ApiError::BadRequest("collection: name one collection, as ID.VERSION".into()));
    };
    let (record, _, members) = load(state, id_version).await.map_err(|e| match e {
        ApiError::NotFound(m) => ApiError::BadRequest(format!("collection: {m}")),
        other => other,
    })?;
    let values: Values = members.iter().map(|(av, _)| Some(av.to_string())).collect();
    request.filters.push((virion_ingest::hub::ACCESSION_VERSION.to_owned(), values));
    Ok(Some(record))
}

/// The JSON of a collection version.
pub(crate) fn json_of(
    base: &str,
    record: &CollectionRecord,
    organism: &str,
    members: &[(AccessionVersion, DataUseTerms)],
) -> CollectionJson {
    CollectionJson {
        id_version: record.id_version(),
        id: record.id.clone(),
        version: record.version,
        organism: organism.to_owned(),
        name: record.name.clone(),
        description: record.description.clone(),
        authors: serde_json::from_str(&record.authors_json).unwrap_or_default(),
        query: serde_json::from_str(&record.query_json).unwrap_or_default(),
        member_count: record.member_count,
        restricted_count: members
            .iter()
            .filter(|(_, t)| matches!(t, DataUseTerms::Restricted { .. }))
            .count(),
        created: chrono::DateTime::from_timestamp_millis(record.created_at).unwrap_or_default().to_rfc3339(),
        landing_page: format!("{base}/collections/{}", record.id_version()),
        lapis_filter: format!("{COLLECTION_PARAM}={}", record.id_version()),
    }
}

/// The citation of a collection version, in every format `virion-cite` writes.
pub(crate) fn citation(
    state: &AppState,
    base: &str,
    record: &CollectionRecord,
    organism: &str,
    members: &[(AccessionVersion, DataUseTerms)],
) -> Result<virion_cite::Citation, ApiError> {
    let org = state.organism(organism)?;
    let authors: Vec<AuthorJson> = serde_json::from_str(&record.authors_json).unwrap_or_default();
    let (licence_url, licence_name) = crate::catalog::open_licence(state);
    let spdx = match licence_url.as_str() {
        "https://creativecommons.org/licenses/by/4.0/" => Some("CC-BY-4.0"),
        "https://creativecommons.org/licenses/by-sa/4.0/" => Some("CC-BY-SA-4.0"),
        "https://creativecommons.org/publicdomain/zero/1.0/" => Some("CC0-1.0"),
        _ => None,
    };
    let publisher = state
        .catalog_settings()
        .map(|s| s.publisher.name.clone())
        .or_else(|| state.node_name())
        .unwrap_or_else(|| "Virion node".to_owned());
    let landing = format!("{base}/collections/{}", record.id_version());
    let collection = virion_cite::CitableCollection {
        id: record.id.clone(),
        version: u32::try_from(record.version).unwrap_or(u32::MAX),
        title: record.name.clone(),
        description: record.description.clone(),
        authors: authors.into_iter().map(|a| virion_cite::Author { name: a.name, orcid: a.orcid }).collect(),
        members: members
            .iter()
            .map(|(av, terms)| virion_cite::Member {
                accession_version: av.to_string(),
                terms: match terms {
                    DataUseTerms::Open => virion_cite::MemberTerms::Open,
                    DataUseTerms::Restricted { until } => {
                        virion_cite::MemberTerms::Restricted { until: *until }
                    }
                },
            })
            .collect(),
        created: chrono::DateTime::from_timestamp_millis(record.created_at).unwrap_or_default(),
        updated: None,
        node: virion_cite::Node {
            name: state.node_name().unwrap_or_else(|| "Virion node".to_owned()),
            url: base.to_owned(),
            publisher,
            publisher_ror: None,
            open_licence: virion_cite::Licence {
                name: licence_name,
                url: licence_url,
                spdx: spdx.map(str::to_owned),
            },
            restricted_terms: virion_cite::Licence {
                name: "Restricted-use terms of this node".to_owned(),
                url: format!("{base}/collections/{}#terms", record.id_version()),
                spdx: None,
            },
        },
        doi: None,
        previous_version_doi: None,
        organisms: org
            .config
            .ena
            .as_ref()
            .map(|e| vec![virion_cite::Organism { name: e.scientific_name.clone(), taxon_id: e.taxon_id }])
            .unwrap_or_default(),
        collection_dates: None,
        countries: Vec::new(),
        keywords: vec![org.config.display_name.clone(), "pathogen genomics".to_owned()],
        downloads: vec![
            virion_cite::Download {
                name: "RO-Crate (metadata, sequences, members)".to_owned(),
                url: format!("{landing}/download"),
                media_type: "application/zip".to_owned(),
            },
            virion_cite::Download {
                name: "Members (accession.version list)".to_owned(),
                url: format!("{landing}/members.txt"),
                media_type: "text/plain".to_owned(),
            },
        ],
    };
    virion_cite::Citation::new(collection).map_err(|e| ApiError::Internal(format!("citation: {e}")))
}

/// `POST /api/{organism}/collections`: saves a search's released genomes as a citable collection.
#[utoipa::path(post, path = "/api/{organism}/collections",
    summary = "Save the released genomes a search selects as a citable collection (frozen accession.versions; newVersionOf makes its next version)",
    params(OrganismPath), request_body = SaveCollection, security(("bearer" = [])),
    responses((status = 201, description = "The saved collection version", body = CollectionJson),
        (status = 400, response = ProblemResponse), (status = 401, response = ProblemResponse),
        (status = 403, response = ProblemResponse), (status = 404, response = ProblemResponse),
        (status = 409, response = ProblemResponse), (status = 415, response = ProblemResponse), (status = 422, response = ProblemResponse)))]
pub async fn create(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    UrlPath(OrganismPath { organism }): UrlPath<OrganismPath>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<SaveCollection>,
) -> Result<Response, ApiError> {
    let mut pairs = Vec::with_capacity(req.query.len());
    for (k, v) in &req.query {
        let text = match v {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Bool(b) => b.to_string(),
            other => {
                return Err(ApiError::BadRequest(format!(
                    "query.{k}: {other} is not a text, number or boolean"
                )));
            }
        };
        pairs.push((k.clone(), text));
    }
    let record = save(&state, user.id, &organism, &req, filters_of(&pairs)).await?;
    let (record, organism, members) = load(&state, &record.id_version()).await?;
    let base = crate::catalog::base_url(&state, &headers);
    Ok((StatusCode::CREATED, Json(json_of(&base, &record, &organism, &members))).into_response())
}

/// `GET /api/collections/{idVersion}`: one collection version.
#[utoipa::path(get, path = "/api/collections/{idVersion}", summary = "One version of a citable collection",
    params(("idVersion" = String, Path, description = "ID.VERSION, e.g. VC000001.1")), security(()),
    responses((status = 200, description = "The collection version", body = CollectionJson),
        (status = 404, response = ProblemResponse)))]
pub async fn get_one(
    State(state): State<AppState>,
    UrlPath(id_version): UrlPath<String>,
    headers: HeaderMap,
) -> Result<Json<CollectionJson>, ApiError> {
    let (record, organism, members) = load(&state, &id_version).await?;
    let base = crate::catalog::base_url(&state, &headers);
    Ok(Json(json_of(&base, &record, &organism, &members)))
}
