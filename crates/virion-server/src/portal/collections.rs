//! Citable collections in the portal: saved from the search page, each with a landing page
//! (`/collections/{id}.{version}`), its citations, its member list and its RO-Crate download of
//! exactly the frozen versions, restricted members only with their terms accepted.

use std::io::Write;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use virion_store::{AccessionVersion, DataUseTerms};

use super::accounts::{same, session};
use super::{chrome_for, html_page, problem_page};
use crate::citable::{self, AuthorJson, SaveCollection};
use crate::error::ApiError;
use crate::state::AppState;

/// The page of an error, with a way back.
fn error_page(state: &AppState, e: &ApiError) -> Response {
    problem_page(state, e.status(), "The collection could not be shown or saved", &e.to_string())
}

/// A collection version with its members and its citation, as its pages need them.
struct Cited {
    record: virion_store::CollectionRecord,
    organism: String,
    members: Vec<(AccessionVersion, DataUseTerms)>,
    /// The node's public base URL.
    base: String,
    citation: virion_cite::Citation,
}

async fn cited(state: &AppState, id_version: &str, headers: &HeaderMap) -> Result<Cited, ApiError> {
    let (record, organism, members) = citable::load(state, id_version).await?;
    let base = crate::catalog::base_url(state, headers);
    let citation = citable::citation(state, &base, &record, &organism, &members)?;
    Ok(Cited { record, organism, members, base, citation })
}

/// One author per line: `Family, Given` and, optionally, an ORCID iD after a space.
fn authors_of(text: &str) -> Vec<AuthorJson> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let (name, last) = line.rsplit_once(' ').unwrap_or((line, ""));
            let id = last.trim_start_matches("https://orcid.org/");
            let is_orcid = id.len() == 19
                && id.bytes().enumerate().all(|(i, b)| match i {
                    4 | 9 | 14 => b == b'-',
                    18 => b.is_ascii_digit() || b == b'X',
                    _ => b.is_ascii_digit(),
                });
            if is_orcid {
                AuthorJson { name: name.trim().to_owned(), orcid: Some(id.to_owned()) }
            } else {
                AuthorJson { name: line.to_owned(), orcid: None }
            }
        })
        .collect()
}

/// `POST /{organism}/collections`: the search page's form (its filters as hidden fields).
pub(crate) async fn save(
    State(state): State<AppState>,
    Path(organism): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let get = |name: &str| pairs.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str());
    let back = format!("/{organism}/search?{}", virion_portal::query_string(&citable::filters_of(&pairs)));
    let Some(s) = session(&state, &headers).await else {
        return Redirect::to(&format!("/login?{}", virion_portal::query_string(&[("next", back.as_str())])))
            .into_response();
    };
    if !same(get("csrf"), &s.csrf) {
        return problem_page(
            &state,
            StatusCode::FORBIDDEN,
            "The form expired",
            "Reload the search page and try again.",
        );
    }
    let request = SaveCollection {
        name: get("name").to_owned(),
        description: get("description").to_owned(),
        authors: authors_of(get("authors")),
        query: serde_json::Map::new(),
        new_version_of: Some(get("newVersionOf")).filter(|v| !v.is_empty()).map(str::to_owned),
    };
    let filters: Vec<(String, String)> = citable::filters_of(&pairs)
        .into_iter()
        .filter(|(k, _)| !["csrf", "name", "description", "authors", "newVersionOf"].contains(&k.as_str()))
        .collect();
    match citable::save(&state, s.user.id, &organism, &request, filters).await {
        Ok(record) => Redirect::to(&format!("/collections/{}", record.id_version())).into_response(),
        Err(e) => error_page(&state, &e),
    }
}

/// `GET /collections/{id}.{version}` (or `/collections/{id}`: its newest version).
pub(crate) async fn landing(
    State(state): State<AppState>,
    Path(id_version): Path<String>,
    headers: HeaderMap,
) -> Response {
    if !id_version.contains('.') {
        return match state.store().collection_versions(&id_version).await {
            Ok(v) if !v.is_empty() => {
                Redirect::to(&format!("/collections/{}", v[v.len() - 1].id_version())).into_response()
            }
            _ => error_page(&state, &ApiError::NotFound(format!("no collection {id_version:?}"))),
        };
    }
    let Cited { record, organism, members, citation, .. } = match cited(&state, &id_version, &headers).await {
        Ok(c) => c,
        Err(e) => return error_page(&state, &e),
    };
    let versions = state.store().collection_versions(&record.id).await.unwrap_or_default();
    let day = |ms: i64| {
        chrono::DateTime::from_timestamp_millis(ms)
            .map(|t| t.format("%Y-%m-%d").to_string())
            .unwrap_or_default()
    };
    let authors: Vec<AuthorJson> = serde_json::from_str(&record.authors_json).unwrap_or_default();
    let display =
        state.organism(&organism).map(|o| o.config.display_name.clone()).unwrap_or(organism.clone());
    let page = virion_portal::collection::CollectionPage {
        id_version: record.id_version(),
        name: record.name.clone(),
        description: record.description.clone(),
        authors: authors.into_iter().map(|a| (a.name, a.orcid)).collect(),
        organism: (organism.clone(), display.clone()),
        members: record.member_count as u64,
        restricted: restricted_by_day(&members),
        created: day(record.created_at),
        citation: citation.text(),
        json_ld: citation.bioschemas_script(),
        versions: versions.iter().map(|v| (v.id_version(), day(v.created_at))).collect(),
        query: serde_json::from_str(&record.query_json).unwrap_or_default(),
        restricted_terms: virion_portal::search::RESTRICTED_TERMS.to_owned(),
    };
    let chrome = chrome_for(&state, &headers, record.name.clone(), Some(&organism)).await;
    html_page(StatusCode::OK, virion_portal::collection::render(&chrome, &page))
}

/// Restricted members counted by the day their restriction ends, earliest first.
fn restricted_by_day(members: &[(AccessionVersion, DataUseTerms)]) -> Vec<(String, u64)> {
    let mut days: std::collections::BTreeMap<String, u64> = std::collections::BTreeMap::new();
    for (_, terms) in members {
        if let DataUseTerms::Restricted { until } = terms {
            *days.entry(until.to_string()).or_default() += 1;
        }
    }
    days.into_iter().collect()
}

/// `GET /collections/{id}.{version}/members.txt`: one accession.version per line.
pub(crate) async fn members(State(state): State<AppState>, Path(id_version): Path<String>) -> Response {
    match citable::load(&state, &id_version).await {
        Ok((_, _, members)) => {
            let mut text = String::with_capacity(members.len() * 16);
            for (av, _) in &members {
                text.push_str(&av.to_string());
                text.push('\n');
            }
            ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response()
        }
        Err(e) => error_page(&state, &e),
    }
}

/// `GET /collections/{id}.{version}/cite/{format}`: `bib`, `ris`, `txt`, `datacite.xml`, or
/// `datacite.json?prefix=10.…` (the body of a DataCite REST API request for a draft DOI).
pub(crate) async fn cite(
    State(state): State<AppState>,
    Path((id_version, format)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let Cited { record, citation, .. } = match cited(&state, &id_version, &headers).await {
        Ok(c) => c,
        Err(e) => return error_page(&state, &e),
    };
    let attachment = |ext: &str| format!("attachment; filename=\"{}.{ext}\"", record.id_version());
    let (media, disposition, body) = match format.as_str() {
        "bib" => ("application/x-bibtex; charset=utf-8", Some(attachment("bib")), citation.bibtex()),
        "ris" => {
            ("application/x-research-info-systems; charset=utf-8", Some(attachment("ris")), citation.ris())
        }
        "txt" => ("text/plain; charset=utf-8", Some(attachment("txt")), citation.text()),
        "datacite.xml" => ("application/xml; charset=utf-8", None, citation.datacite_xml()),
        "datacite.json" => {
            let params: Vec<(String, String)> =
                serde_urlencoded::from_str(raw.as_deref().unwrap_or("")).unwrap_or_default();
            let prefix = params.iter().find(|(k, _)| k == "prefix").map(|(_, v)| v.clone());
            let request = virion_cite::DoiRequest { prefix, event: virion_cite::DoiEvent::Draft };
            match citation.datacite_json(&request) {
                Ok(json) => ("application/vnd.api+json", None, json.to_string()),
                Err(e) => {
                    return problem_page(
                        &state,
                        StatusCode::BAD_REQUEST,
                        "No DOI prefix",
                        &format!("{e}. Add ?prefix= with your DataCite repository's prefix (10.xxxx)."),
                    );
                }
            }
        }
        other => {
            return problem_page(
                &state,
                StatusCode::NOT_FOUND,
                "No such citation format",
                &format!("{other:?}: use bib, ris, txt, datacite.xml or datacite.json"),
            );
        }
    };
    let mut response = ([(header::CONTENT_TYPE, media)], body).into_response();
    if let Some(d) = disposition.and_then(|d| header::HeaderValue::from_str(&d).ok()) {
        response.headers_mut().insert(header::CONTENT_DISPOSITION, d);
    }
    response
}

/// `GET /collections/{id}.{version}/download[?acceptTerms=yes]`: an RO-Crate of the members at
/// exactly their versions: metadata (TSV), sequences (FASTA) and the member list, with the
/// collection, its terms and its citation. Restricted members need their terms accepted.
pub(crate) async fn download(
    State(state): State<AppState>,
    Path(id_version): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let Cited { record, organism, members, base, citation } = match cited(&state, &id_version, &headers).await
    {
        Ok(c) => c,
        Err(e) => return error_page(&state, &e),
    };
    let params: Vec<(String, String)> =
        serde_urlencoded::from_str(raw.as_deref().unwrap_or("")).unwrap_or_default();
    let restricted = restricted_by_day(&members);
    let accepted = params.iter().any(|(k, v)| k == "acceptTerms" && v == "yes");
    if !restricted.is_empty() && !accepted {
        return problem_page(
            &state,
            StatusCode::FORBIDDEN,
            "Accept the terms first",
            &format!(
                "{} members of {} are under restricted-use terms: tick the box on its page to accept them, then download.",
                restricted.iter().map(|r| r.1).sum::<u64>(),
                record.id_version()
            ),
        );
    }
    match build_crate(&state, &base, &record, &organism, &members, &citation).await {
        Ok(zip) => {
            crate::lapis::package::zip_response(zip, &format!("{}.ro-crate.zip", record.id_version())).await
        }
        Err(e) => error_page(&state, &e),
    }
}

async fn build_crate(
    state: &AppState,
    base: &str,
    record: &virion_store::CollectionRecord,
    organism: &str,
    members: &[(AccessionVersion, DataUseTerms)],
    citation: &virion_cite::Citation,
) -> Result<tempfile::NamedTempFile, ApiError> {
    let io = |e: std::io::Error| ApiError::Internal(format!("writing the collection's crate: {e}"));
    let org = state.organism(organism)?;
    let uploads = state.data_dir().join("uploads");
    std::fs::create_dir_all(&uploads).map_err(io)?;
    // Metadata and sequences of each member version, from the store (not the index: a member
    // may have been revised since), spooled to files.
    let tsv = tempfile::NamedTempFile::new_in(&uploads).map_err(io)?;
    let fasta = tempfile::NamedTempFile::new_in(&uploads).map_err(io)?;
    {
        let mut tsv_out = std::io::BufWriter::new(tsv.reopen().map_err(io)?);
        let mut fasta_out = std::io::BufWriter::new(fasta.reopen().map_err(io)?);
        let fields: Vec<&str> = org.config.fields.iter().map(|f| f.name.as_str()).collect();
        writeln!(
            tsv_out,
            "accessionVersion\tdataUseTerms\tdataUseTermsRestrictedUntil\t{}",
            fields.join("\t")
        )
        .map_err(io)?;
        for (av, terms) in members {
            let version = state.store().get_version(None, av).await?;
            let metadata: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(&version.submitted_metadata_json).unwrap_or_default();
            let (kind, until) = match terms {
                DataUseTerms::Open => ("OPEN", String::new()),
                DataUseTerms::Restricted { until } => ("RESTRICTED", until.to_string()),
            };
            let cells: Vec<String> = fields
                .iter()
                .map(|f| {
                    metadata
                        .get(*f)
                        .map(crate::entries::tsv_cell)
                        .unwrap_or_default()
                        .replace(['\t', '\n', '\r'], " ")
                })
                .collect();
            writeln!(tsv_out, "{av}\t{kind}\t{until}\t{}", cells.join("\t")).map_err(io)?;
            let sequence = state.store().sequence_of(&version).await?;
            crate::entries::write_version_fasta(&mut fasta_out, av, &sequence, org.datasets.segmented)?;
        }
        tsv_out.flush().map_err(io)?;
        fasta_out.flush().map_err(io)?;
    }
    let restricted = restricted_by_day(members);
    let conditions = (!restricted.is_empty()).then(|| {
        format!(
            "{} of the {} members are under restricted-use terms (until {} at the latest): {}",
            restricted.iter().map(|r| r.1).sum::<u64>(),
            members.len(),
            restricted.last().map_or("", |r| r.0.as_str()),
            virion_portal::search::RESTRICTED_TERMS
        )
    });
    let (licence_url, licence_name) = crate::catalog::open_licence(state);
    let node_name = state.node_name().unwrap_or_else(|| "Virion node".to_owned());
    let landing = format!("{base}/collections/{}", record.id_version());
    let info = virion_rocrate::CrateInfo {
        name: format!("{} ({})", record.name, record.id_version()),
        description: record.description.clone(),
        date_published: chrono::Utc::now(),
        license: virion_rocrate::License { uri: licence_url, name: licence_name },
        conditions_of_access: conditions,
        software: virion_rocrate::Software {
            name: "Virion".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            url: env!("CARGO_PKG_REPOSITORY").to_owned(),
        },
        node: virion_rocrate::Node { name: node_name, url: format!("{base}/") },
        query: None,
        citation: Some(virion_rocrate::Citation { text: citation.text(), cite_as: Some(landing.clone()) }),
        collection: Some(virion_rocrate::CollectionRef {
            id: record.id.clone(),
            url: landing,
            name: record.name.clone(),
            version: record.version.to_string(),
        }),
    };
    let records: Vec<String> = members.iter().map(|(av, _)| av.to_string()).collect();
    tokio::task::spawn_blocking(move || -> Result<tempfile::NamedTempFile, ApiError> {
        let fail = |e: virion_rocrate::CrateError| ApiError::Internal(format!("the collection's crate: {e}"));
        let zip = tempfile::NamedTempFile::new_in(&uploads).map_err(io)?;
        let mut writer = virion_rocrate::CrateWriter::new(zip.reopen().map_err(io)?, info).map_err(fail)?;
        for (spooled, name, media, what) in [
            (
                &tsv,
                "metadata.tsv",
                "text/tab-separated-values",
                "Metadata of each member at its version, with its data use terms.",
            ),
            (
                &fasta,
                "sequences.fasta",
                "text/x-fasta",
                "Sequence of each member at its version, as submitted.",
            ),
        ] {
            let mut file = writer.start_file(name, media, what).map_err(fail)?;
            let mut source = spooled.reopen().map_err(io)?;
            std::io::copy(&mut source, &mut file).map_err(io)?;
            file.flush().map_err(io)?;
        }
        writer.add_records(records.iter()).map_err(fail)?;
        writer.finish().map_err(fail)?;
        Ok(zip)
    })
    .await
    .map_err(|e| ApiError::Internal(format!("the collection's crate: {e}")))?
}
