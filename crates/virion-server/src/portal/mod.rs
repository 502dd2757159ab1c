//! The web portal's routes: the front page, each organism's home and search, record pages
//! and their downloads. Pages are rendered by `virion-portal` from what the query index (for
//! released data, through the same planner as LAPIS) and the store (for a record's versions)
//! say; the search page's URL carries LAPIS's own filter parameters.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use serde_json::Value as Json;
use virion_analyze::output::NextcladeResult;
use virion_analyze::qc::{QcResult, QcStatus};
use virion_collections::CollectionError;
use virion_collections::count;
use virion_index::{ColumnType, Index};
use virion_ingest::hub::{DATA_USE_TERMS, DATA_USE_TERMS_UNTIL};
use virion_portal::home::Home;
use virion_portal::record::{QcRule, Record, SegmentCalls, VersionLine};
use virion_portal::search::{Facet, FieldFilter, FieldKind, Search, VIEW_PARAMETERS};
use virion_portal::{Chrome, Table, query_string};
use virion_query::execute::{Budget, Endpoint, Part, table};
use virion_query::{Cell, LapisRequest, OrderBy, QueryError};
use virion_store::{Accession, AccessionVersion, StoreError, VersionRecord};

mod accounts;
mod collections;
mod network;
mod submission;

use crate::auth::MaybeUser;
use crate::lapis::decode;
use crate::state::AppState;

/// Rows per search page unless `pageSize` says otherwise (at most [`MAX_PAGE_SIZE`]).
const PAGE_SIZE: usize = 50;
const MAX_PAGE_SIZE: usize = 500;
/// Values listed per facet.
const FACET_VALUES: usize = 10;

/// The portal's pages, their assets and its form posts (submission, review, accounts).
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(virion_portal::CSS_PATH, get(css))
        .route(virion_portal::JS_PATH, get(js))
        .route("/", get(front))
        .route("/{organism}", get(home))
        .route("/{organism}/search", get(search))
        .route("/seq/{id}", get(record))
        .route("/seq/{accession}/revoke", axum::routing::post(submission::revoke))
        .route("/api/docs", get(api_docs))
        .route("/network", get(network::page))
        .route("/network/peers", axum::routing::post(network::add_peer))
        .route("/network/peers/remove", axum::routing::post(network::remove_peer))
        .route("/network/shares", axum::routing::post(network::share))
        .route("/network/mirrors", axum::routing::post(network::add_mirror))
        .route("/network/mirrors/remove", axum::routing::post(network::remove_mirror))
        .route(virion_portal::DASHBOARD_JS_PATH, get(dashboard_js))
        .route(virion_portal::DASHBOARD_LEGAL_PATH, get(dashboard_legal))
        .route("/{organism}/dashboard", get(dashboard))
        .route("/{organism}/templates/{file}", get(submission::template))
        .route(
            "/{organism}/submit",
            get(submission::upload_form)
                .post(submission::upload)
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/{organism}/download", get(download))
        .route("/{organism}/collections", axum::routing::post(collections::save))
        .route("/{organism}/ena/export", axum::routing::post(submission::ena_export))
        .route(
            "/{organism}/ena/receipt",
            axum::routing::post(submission::ena_receipt)
                .layer(axum::extract::DefaultBodyLimit::max(16 * crate::ena::MAX_RECEIPT_BYTES)),
        )
        .route("/collections/{id_version}", get(collections::landing))
        .route("/collections/{id_version}/members.txt", get(collections::members))
        .route("/collections/{id_version}/cite/{format}", get(collections::cite))
        .route("/collections/{id_version}/download", get(collections::download))
        .route("/{organism}/review", get(submission::review))
        .route("/{organism}/edit/{accession_version}", get(submission::edit_form).post(submission::edit_save))
        .route("/{organism}/review/{action}", axum::routing::post(submission::review_action))
        .route("/login", get(accounts::login_page).post(accounts::login))
        .route("/login/sso", get(accounts::sso_begin))
        .route("/login/sso/callback", get(accounts::sso_callback))
        .route("/signup", get(accounts::signup_page).post(accounts::signup))
        .route("/logout", axum::routing::post(accounts::logout))
        .route("/account", get(accounts::account))
        .route("/account/groups", axum::routing::post(accounts::create_group))
        .route("/account/members", axum::routing::post(accounts::add_member))
        .route("/account/tokens", axum::routing::post(accounts::create_token))
}

/// The portal's stylesheet, cached for an hour.
async fn css() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        virion_portal::CSS,
    )
        .into_response()
}

/// The portal's script, cached for an hour.
async fn js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        virion_portal::JS,
    )
        .into_response()
}

/// An organism's display name from its config; the name itself for an imported collection.
fn display_name(state: &AppState, name: &str) -> String {
    state.organism(name).map_or_else(|_| name.to_owned(), |o| o.config.display_name.clone())
}

/// The page frame: title, the organisms in the menu, the current organism; nobody logged in.
fn chrome(state: &AppState, title: impl Into<String>, organism: Option<&str>) -> Chrome {
    Chrome {
        title: title.into(),
        organisms: state
            .collections()
            .names()
            .into_iter()
            .map(|n| (n.clone(), display_name(state, &n)))
            .collect(),
        organism: organism.map(str::to_owned),
        json_ld: None,
        user: None,
    }
}

/// [`chrome`] for a page that shows who is logged in.
async fn chrome_for(
    state: &AppState,
    headers: &HeaderMap,
    title: impl Into<String>,
    organism: Option<&str>,
) -> Chrome {
    Chrome { user: accounts::user_name(state, headers).await, ..chrome(state, title, organism) }
}

/// A rendered page as an HTML response.
fn html_page(status: StatusCode, body: String) -> Response {
    (status, Html(body)).into_response()
}

/// A page saying what went wrong and where to go instead.
fn problem_page(state: &AppState, status: StatusCode, heading: &str, detail: &str) -> Response {
    let next = Some(("/", "Back to the start page"));
    html_page(status, virion_portal::error_page(&chrome(state, heading, None), heading, detail, next))
}

/// Runs `f` over an organism's released rows (as the public sees them), or renders the reason
/// it cannot as a page.
async fn query<T: Send + 'static>(
    state: &AppState,
    organism: &str,
    f: impl FnOnce(&[Part<'_>], &Index, Option<usize>, &Budget) -> Result<T, QueryError> + Send + 'static,
) -> Result<T, Response> {
    let page = |heading: &str, e: CollectionError| {
        problem_page(state, crate::lapis::respond::collection_status(&e), heading, &e.to_string())
    };
    let view = state
        .collections()
        .view(state.store(), Some(organism), None)
        .await
        .map_err(|e| page("Not available", e))?;
    view.run(move |parts, ix, budget| f(parts, &ix.query.index, ix.info.lineage_column, budget))
        .await
        .map_err(|e| page("The query could not be run", e))
}

/// The typed request of a page's filter parameters (its URL's, which are LAPIS's own), read
/// as the LAPIS routes read a GET; `except` leaves one field's filters out.
fn request_of(filters: &[(String, String)], except: Option<&str>) -> Result<LapisRequest, QueryError> {
    let kept = filters.iter().filter(|(k, _)| Some(k.as_str()) != except).cloned().collect();
    LapisRequest::from_pairs(decode::query_pairs(kept))
}

/// The most common values of `field` among the rows `request` selects.
fn facet(
    parts: &[Part<'_>],
    mut request: LapisRequest,
    field: &str,
    budget: &Budget,
) -> Result<Facet, QueryError> {
    request.fields = vec![field.to_owned()];
    Ok(facet_of(field, &table(parts, Endpoint::Aggregated, &request, budget)?))
}

/// A facet from the counts of an aggregated table grouped by `field` (this node's or the
/// network's): its commonest values and how many rows the others hold.
fn facet_of(field: &str, t: &virion_query::Table) -> Facet {
    let mut total = 0;
    let mut values: Vec<(String, u64)> = t
        .rows
        .iter()
        .filter_map(|r| {
            let value = r.first()?.text();
            let n = count_cell(r.last()?)?;
            total += n;
            (!value.is_empty()).then_some((value, n))
        })
        .collect();
    values.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    values.truncate(FACET_VALUES);
    let listed: u64 = values.iter().map(|v| v.1).sum();
    Facet { field: field.to_owned(), label: label(field), values, others: total.saturating_sub(listed) }
}

/// The search page's counts over the network: the total and each facet, asked of every node
/// as the federated `aggregated` route would; the facets keep this node's labels.
async fn network_counts(
    state: &AppState,
    organism: &str,
    filters: &[(String, String)],
    fields: &mut [FieldFilter],
) -> Result<(u64, Vec<String>), String> {
    let base = request_of(filters, None).map_err(|e| e.to_string())?;
    let (t, mut missing) = crate::federation::network_aggregated(state, organism, base).await?;
    let total = t.rows.iter().filter_map(|r| count_cell(r.last()?)).sum();
    for f in fields.iter_mut() {
        let Some(local) = &f.facet else { continue };
        let mut request = request_of(filters, Some(&f.name)).map_err(|e| e.to_string())?;
        request.fields = vec![f.name.clone()];
        let (t, more) = crate::federation::network_aggregated(state, organism, request).await?;
        f.facet = Some(Facet { label: local.label.clone(), ..facet_of(&f.name, &t) });
        missing.extend(more);
    }
    missing.sort();
    missing.dedup();
    Ok((total, missing))
}

/// The `count` cell of an aggregated row.
fn count_cell(cell: &Cell) -> Option<u64> {
    match cell {
        Cell::Int(n) => u64::try_from(*n).ok(),
        _ => None,
    }
}

/// Each field's display name: the organism schema's, else [`label`]'s words.
fn labels(state: &AppState, organism: &str) -> HashMap<String, String> {
    state
        .organism(organism)
        .map(|o| {
            o.config.fields.iter().filter_map(|f| Some((f.name.clone(), f.display_name.clone()?))).collect()
        })
        .unwrap_or_default()
}

/// A field's name in words: `collectionDate` or `collection_date` → "Collection date"; a few
/// well-known fields get their usual names.
fn label(field: &str) -> String {
    let mut out = String::new();
    for (i, c) in field.chars().enumerate() {
        if c == '_' {
            out.push(' ');
        } else if c.is_uppercase() && i > 0 {
            out.push(' ');
            out.extend(c.to_lowercase());
        } else if i == 0 {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
    }
    match field {
        "accessionVersion" => "Accession".into(),
        "nextcladePangoLineage" => "Pango lineage".into(),
        "nextcladeClade" => "Clade".into(),
        "qcOverallStatus" => "QC status".into(),
        _ => out,
    }
}

/// The filterable fields of an index, from its schema: indexed text with facets, the lineage
/// column, date and number ranges, booleans. Unindexed text (accessions, strain names) is
/// reached through the search box.
fn filter_fields(index: &Index, lineage: Option<usize>) -> Vec<(String, FieldKind, bool)> {
    index
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| !matches!(c.name.as_str(), "version"))
        .filter_map(|(i, c)| {
            let kind = match c.kind {
                _ if Some(i) == lineage => FieldKind::Lineage,
                ColumnType::String { indexed: true } => FieldKind::Text,
                ColumnType::Date => FieldKind::Date,
                ColumnType::Int | ColumnType::Float => FieldKind::Number,
                ColumnType::Boolean => FieldKind::Boolean,
                ColumnType::String { indexed: false } => return None,
            };
            Some((c.name.clone(), kind, c.is_indexed()))
        })
        .collect()
}

/// Whether a filter is shown at once: lineage, clade, dates, place and QC — what people
/// search by most; the rest of the schema waits under "More filters".
fn is_primary(name: &str, kind: FieldKind) -> bool {
    let lower = name.to_ascii_lowercase();
    matches!(kind, FieldKind::Lineage | FieldKind::Date)
        || ["clade", "country", "region", "division", "qcoverallstatus", "host_scientific"]
            .iter()
            .any(|k| lower.contains(k))
            && kind == FieldKind::Text
}

/// Columns shown by default: the accession, lineage and clade, the first date, then place
/// (country, region, division) and QC, as far as the schema has them.
fn default_columns(index: &Index, primary_key: &str, lineage: Option<usize>) -> Vec<String> {
    let mut out = vec![primary_key.to_owned()];
    let names: Vec<&str> = index.columns.iter().map(|c| c.name.as_str()).collect();
    out.extend(lineage.map(|l| names[l].to_owned()));
    out.extend(index.columns.iter().find(|c| c.kind == ColumnType::Date).map(|c| c.name.clone()));
    for wanted in ["clade", "country", "region", "division", "qcoverallstatus"] {
        if let Some(n) =
            names.iter().find(|n| n.to_ascii_lowercase().contains(wanted) && !out.iter().any(|o| o == *n))
        {
            out.push((*n).to_owned());
        }
    }
    out
}

/// The collection's primary key column (`accessionVersion` when the organism is not served).
fn primary_key(state: &AppState, organism: &str) -> String {
    state
        .collections()
        .get(organism)
        .map(|s| s.read().expect("index lock").info.primary_key.clone())
        .unwrap_or_else(|| "accessionVersion".to_owned())
}

/// The bundled components' license notices, as their licenses ask to be passed on.
async fn dashboard_legal() -> Response {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], virion_portal::DASHBOARD_LEGAL).into_response()
}

/// The dashboard's bundled components (built from web/dashboard), cached for an hour.
async fn dashboard_js() -> Response {
    let headers = [
        (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
        (header::CACHE_CONTROL, "public, max-age=3600"),
    ];
    (headers, virion_portal::DASHBOARD_JS).into_response()
}

/// The URL the browser reached this server by (behind a proxy: its forwarded scheme).
pub(crate) fn public_base(headers: &HeaderMap) -> String {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let scheme = headers.get("x-forwarded-proto").and_then(|h| h.to_str().ok()).unwrap_or("http");
    format!("{scheme}://{host}")
}

/// `GET /{organism}/download?{filters}&file=…&compression=…&acceptTerms=yes`: the search
/// page's restricted-data form. Only with the terms accepted does it redirect to the LAPIS
/// download of every match, restricted data included.
async fn download(
    State(state): State<AppState>,
    Path(organism): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    // An unknown organism is refused by the LAPIS route redirected to.
    let params = filled_params(raw.as_deref());
    let get = |name: &str| params.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str());
    if get("acceptTerms") != "yes" {
        return problem_page(
            &state,
            StatusCode::BAD_REQUEST,
            "Accept the terms first",
            "Restricted-use sequences are downloaded only by someone who accepts their terms: tick the box on the search page, or use its open-data links.",
        );
    }
    let filters: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| {
            !["file", "compression", "acceptTerms"].contains(&k.as_str())
                && !VIEW_PARAMETERS.contains(&k.as_str())
        })
        .cloned()
        .collect();
    let compression = Some(get("compression")).filter(|c| !c.is_empty());
    match virion_portal::search::download_url(&organism, &filters, get("file"), compression, &[]) {
        Some(url) => Redirect::to(&url).into_response(),
        None => problem_page(
            &state,
            StatusCode::BAD_REQUEST,
            "No such file",
            &format!("{:?} is not a download; pick one from the list.", get("file")),
        ),
    }
}

/// `GET /{organism}/dashboard?{filters}`: charts of the organism's data under the page's
/// filters, drawn in the browser from the LAPIS routes.
async fn dashboard(
    State(state): State<AppState>,
    Path(organism): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let mut filter = serde_json::Map::new();
    let mut scope_network = false;
    for (k, v) in filled_params(raw.as_deref()) {
        // `scope` picks the LAPIS root; it is no filter.
        if k == "scope" {
            scope_network = v == "network";
            continue;
        }
        filter.insert(k, Json::String(v));
    }
    let in_network = state.federation_setup().is_ok();
    let scope_network = scope_network && in_network;
    let filters: Vec<(String, String)> =
        filter.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned())).collect();
    let found = query(&state, &organism, move |parts, index, lineage, budget| {
        let date = index.columns.iter().find(|c| c.kind == ColumnType::Date);
        let date_range = date
            .and_then(|c| c.day_bounds())
            .map(|(lo, hi)| (virion_index::date_of(lo).to_string(), virion_index::date_of(hi).to_string()));
        let lineage_field = lineage.map(|l| index.columns[l].name.clone());
        let lineages = match &lineage_field {
            Some(l) => facet(parts, request_of(&filters, None)?, l, budget)?
                .values
                .into_iter()
                .take(3)
                .map(|v| v.0)
                .collect(),
            None => Vec::new(),
        };
        let location = index
            .columns
            .iter()
            .find(|c| c.is_indexed() && c.name.to_ascii_lowercase().contains("country"))
            .map(|c| c.name.clone());
        Ok((
            date.map(|c| c.name.clone()),
            date_range,
            lineage_field,
            lineages,
            location,
            !index.segments.is_empty(),
        ))
    })
    .await;
    let (date_field, date_range, lineage_field, lineages, location_field, has_sequences) = match found {
        Ok(v) => v,
        Err(page) => return page,
    };
    let display = display_name(&state, &organism);
    let d = virion_portal::dashboard::Dashboard {
        lapis_url: if scope_network {
            format!("{}/federation/{organism}", public_base(&headers))
        } else {
            format!("{}/{organism}", public_base(&headers))
        },
        organism: organism.clone(),
        display_name: display.clone(),
        filter,
        date_field,
        date_range,
        lineage_field,
        lineages,
        location_field,
        has_sequences,
        network: in_network.then_some(scope_network),
    };
    let chrome = chrome_for(&state, &headers, format!("{display} dashboard"), Some(&organism)).await;
    html_page(StatusCode::OK, virion_portal::dashboard::render(&chrome, &d))
}

/// `GET /api/docs`: the API document as a page.
async fn api_docs(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let spec = crate::openapi_spec();
    let chrome = chrome_for(&state, &headers, "API", None).await;
    html_page(StatusCode::OK, virion_portal::api_docs::render(&chrome, &spec))
}

/// `GET /`: the only organism's home page, or each organism with its count of released
/// genomes and a search box.
async fn front(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let names = state.collections().names();
    if let [only] = names.as_slice() {
        return home_page(&state, only, &headers).await;
    }
    let mut counts = Vec::new();
    for name in &names {
        let n = query(&state, name, |parts, _, _, budget| count(parts, &LapisRequest::default(), budget))
            .await
            .unwrap_or(0);
        counts.push((name.clone(), display_name(&state, name), n));
    }
    let body = maud::html! {
        h1 { "Virion" }
        p.lead { "Pathogen genomes, processed like Nextclade, searchable and downloadable." }
        @for (name, display, n) in &counts {
            section {
                h2 { a href={ "/" (name) } { (display) } }
                p { (virion_portal::count(*n)) " released genomes" }
                (virion_portal::home::search_box(name, display, &[]))
            }
        }
        @if counts.is_empty() { p { "No organism is served yet." } }
    };
    html_page(StatusCode::OK, virion_portal::page(&chrome_for(&state, &headers, "Virion", None).await, body))
}

/// `GET /{organism}`: the organism's home page.
async fn home(State(state): State<AppState>, Path(organism): Path<String>, headers: HeaderMap) -> Response {
    home_page(&state, &organism, &headers).await
}

/// An organism's home page: how many genomes are released, the most common lineages and
/// countries, the latest releases, and the search box with examples.
async fn home_page(state: &AppState, organism: &str, headers: &HeaderMap) -> Response {
    let key = primary_key(state, organism);
    let found = query(state, organism, move |parts, index, lineage, budget| {
        let released = count(parts, &LapisRequest::default(), budget)?;
        let mut top = Vec::new();
        let lineage_name = lineage.map(|l| index.columns[l].name.clone());
        // The lineage first, then the first other faceted text field (country, typically).
        let country = index
            .columns
            .iter()
            .find(|c| c.is_indexed() && Some(&c.name) != lineage_name.as_ref() && c.name.contains("ountry"))
            .or_else(|| {
                index.columns.iter().find(|c| c.is_indexed() && Some(&c.name) != lineage_name.as_ref())
            })
            .map(|c| c.name.clone());
        for field in lineage_name.iter().chain(country.iter()) {
            top.push(facet(parts, LapisRequest::default(), field, budget)?);
        }
        // The latest releases: the highest accession numbers are the newest entries.
        let mut columns = vec![key.clone()];
        columns.extend(lineage_name.iter().cloned());
        columns.extend(index.columns.iter().find(|c| c.kind == ColumnType::Date).map(|c| c.name.clone()));
        columns.extend(country.iter().cloned());
        let latest = LapisRequest {
            fields: columns,
            order_by: OrderBy::Fields(vec![(key.clone(), true)]),
            limit: Some(10),
            ..LapisRequest::default()
        };
        let t = table(parts, Endpoint::Details, &latest, budget)?;
        let latest = Table {
            columns: t.columns,
            rows: t.rows.iter().map(|r| r.iter().map(|c| c.text()).collect()).collect(),
        };
        let examples: Vec<String> = top
            .iter()
            .filter_map(|f| {
                f.values.first().map(|v| {
                    if Some(&f.field) == lineage_name.as_ref() { format!("{}*", v.0) } else { v.0.clone() }
                })
            })
            .take(1)
            .collect();
        Ok((released, latest, top, examples))
    })
    .await;
    let (released, latest, top, mut examples) = match found {
        Ok(v) => v,
        Err(page) => return page,
    };
    if organism_has_genes(state, organism) {
        examples.extend(["S:L455S".to_owned(), "C241T".to_owned()]);
    }
    let display = display_name(state, organism);
    let home = Home {
        organism: organism.to_owned(),
        display_name: display.clone(),
        released,
        latest,
        top,
        examples,
    };
    let chrome = chrome_for(state, headers, display, Some(organism)).await;
    html_page(StatusCode::OK, virion_portal::home::render(&chrome, &home))
}

/// Whether the SARS-CoV-2 example mutations make sense for this organism.
fn organism_has_genes(state: &AppState, organism: &str) -> bool {
    state
        .collections()
        .get(organism)
        .is_some_and(|s| s.read().expect("index lock").query.index.genes.iter().any(|g| g.name == "S"))
}

/// What the search box's text means, as search parameters (or a record to open).
enum Quick {
    /// An accession or accession version: its record page.
    Record(String),
    /// Search parameters (LAPIS filters).
    Filters(Vec<(String, String)>),
}

/// Reads the search box: an accession opens its record; an amino-acid mutation (`S:E484K`), a
/// nucleotide mutation (`C241T`) or a lineage (`BA.2*`) becomes that filter; other text is
/// looked for in the strain names, if the collection has them.
fn interpret(state: &AppState, organism: &str, q: &str) -> Quick {
    let q = q.trim();
    let prefixes = accession_prefixes(state);
    if !prefixes.is_empty()
        && (Accession::parse(q, &prefixes).is_ok() || AccessionVersion::parse(q, &prefixes).is_ok())
    {
        return Quick::Record(q.to_owned());
    }
    let (genes, lineage, text_column) = match state.collections().get(organism) {
        Some(s) => {
            let ix = s.read().expect("index lock");
            let index = &ix.query.index;
            let lineage = ix.info.lineage_column.map(|l| index.columns[l].name.clone());
            let text = ["strain", "displayName", "sampleName"]
                .into_iter()
                .find(|n| index.columns.iter().any(|c| c.name == *n))
                .map(str::to_owned);
            (index.genes.iter().map(|g| g.name.clone()).collect::<Vec<_>>(), lineage, text)
        }
        None => (Vec::new(), None, None),
    };
    let one = |k: &str| Quick::Filters(vec![(k.to_owned(), q.to_owned())]);
    if let Some((gene, _)) = q.split_once(':')
        && genes.iter().any(|g| g.eq_ignore_ascii_case(gene))
    {
        return one("aminoAcidMutations");
    }
    let is_nucleotide_mutation = {
        let body = q.trim_start_matches(|c: char| c.is_ascii_alphabetic());
        let digits = body.trim_end_matches(|c: char| c.is_ascii_alphabetic() || c == '-' || c == '.');
        q.len() - body.len() <= 1
            && body.len() - digits.len() <= 1
            && !digits.is_empty()
            && digits.bytes().all(|b| b.is_ascii_digit())
    };
    if is_nucleotide_mutation {
        return one("nucleotideMutations");
    }
    let looks_like_lineage = q
        .split('.')
        .next()
        .is_some_and(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_uppercase()))
        && q.trim_end_matches('*')
            .split('.')
            .skip(1)
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if let (true, Some(l)) = (looks_like_lineage, &lineage) {
        return one(l);
    }
    match text_column {
        // A strain name: any that contains the text (letters matched as typed).
        Some(c) => Quick::Filters(vec![(format!("{c}.regex"), regex_escape(q))]),
        None => one(lineage.as_deref().unwrap_or("accessionVersion")),
    }
}

/// `text` as a regular expression that matches it literally.
fn regex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// What a search found: the count, the filters with their facets, this page of rows, and the
/// restricted-use matches by the day their restriction ends.
struct Found {
    total: u64,
    fields: Vec<FieldFilter>,
    table: Table,
    restricted: Vec<(String, u64)>,
}

/// `GET /{organism}/search?{filters}`: the matches as a table with facets; `q` (the search
/// box) is first turned into filters, or into a record to open.
async fn search(
    State(state): State<AppState>,
    Path(organism): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let params = filled_params(raw.as_deref());
    if let Some((_, q)) = params.iter().find(|(k, _)| k == "q") {
        return match interpret(&state, &organism, q) {
            Quick::Record(id) => Redirect::to(&format!("/seq/{id}")).into_response(),
            Quick::Filters(f) => {
                let mut next: Vec<(String, String)> =
                    params.iter().filter(|(k, _)| k != "q").cloned().collect();
                next.extend(f);
                Redirect::to(&format!("/{organism}/search?{}", query_string(&next))).into_response()
            }
        };
    }
    let get = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let page = get("page").and_then(|p| p.parse::<usize>().ok()).unwrap_or(1).max(1);
    let page_size =
        get("pageSize").and_then(|p| p.parse::<usize>().ok()).unwrap_or(PAGE_SIZE).clamp(1, MAX_PAGE_SIZE);
    let order = get("orderBy").map(|c| (c, get("order").as_deref() == Some("descending")));
    let chosen: Vec<String> = params.iter().filter(|(k, _)| k == "columns").map(|(_, v)| v.clone()).collect();
    let filters: Vec<(String, String)> =
        params.iter().filter(|(k, _)| !VIEW_PARAMETERS.contains(&k.as_str())).cloned().collect();
    let filters_terms = filters.iter().any(|(k, _)| k == DATA_USE_TERMS);
    let facet_filters = filters.clone();
    let key = primary_key(&state, &organism);
    let order_in = order.clone();
    let named = labels(&state, &organism);
    let label_for = move |name: &str| named.get(name).cloned().unwrap_or_else(|| label(name));
    let label_of = label_for.clone();
    let found = query(&state, &organism, move |parts, index, lineage, budget| {
        let all_columns: Vec<String> = index.columns.iter().map(|c| c.name.clone()).collect();
        let fields = filter_fields(index, lineage);
        let mut columns: Vec<String> = chosen.into_iter().filter(|c| all_columns.contains(c)).collect();
        if columns.is_empty() {
            columns = default_columns(index, &key, lineage);
        } else if !columns.contains(&key) {
            columns.insert(0, key.clone());
        }
        // Downloads are open data unless the terms of restricted data are accepted: count
        // what they leave out (unless the search itself filters on the terms).
        let terms_column = index.column(DATA_USE_TERMS).is_some() && !filters_terms;
        let run = || -> Result<Found, QueryError> {
            let base = request_of(&facet_filters, None)?;
            let total = count(parts, &base, budget)?;
            let restricted = if terms_column && total > 0 {
                let mut terms = base.clone();
                terms.filters.push((DATA_USE_TERMS.to_owned(), vec![Some("RESTRICTED".to_owned())]));
                terms.fields = vec![DATA_USE_TERMS_UNTIL.to_owned()];
                let t = table(parts, Endpoint::Aggregated, &terms, budget)?;
                let mut by_date: Vec<(String, u64)> =
                    t.rows.iter().filter_map(|r| Some((r.first()?.text(), count_cell(r.last()?)?))).collect();
                by_date.sort();
                by_date
            } else {
                Vec::new()
            };
            let mut filters_out = Vec::new();
            for (name, kind, faceted) in &fields {
                let facet = if *faceted {
                    // A facet leaves its own field's filter out, so picking one country still
                    // lists the others to switch to.
                    Some(facet(parts, request_of(&facet_filters, Some(name))?, name, budget)?)
                } else {
                    None
                };
                filters_out.push(FieldFilter {
                    name: name.clone(),
                    label: label_for(name),
                    kind: *kind,
                    facet,
                    primary: is_primary(name, *kind),
                });
            }
            let mut rows_asked = base;
            rows_asked.fields = columns;
            rows_asked.limit = Some(page_size);
            rows_asked.offset = (page - 1) * page_size;
            if let Some((c, desc)) = order_in.as_ref().filter(|(c, _)| all_columns.contains(c)) {
                rows_asked.order_by = OrderBy::Fields(vec![(c.clone(), *desc)]);
            }
            let t = table(parts, Endpoint::Details, &rows_asked, budget)?;
            let rows = t.rows.iter().map(|r| r.iter().map(|c| c.text()).collect()).collect();
            Ok(Found { total, fields: filters_out, table: Table { columns: t.columns, rows }, restricted })
        };
        Ok(match run() {
            Ok(found) => (Ok(found), all_columns, fields),
            // A bad filter is shown on the page, next to the form to fix it.
            Err(e) => (Err(e.to_string()), all_columns, fields),
        })
    })
    .await;
    let (result, all_columns, fields) = match found {
        Ok(v) => v,
        Err(page) => return page,
    };
    let (_, _, in_network) = crate::federation::own_node(&state);
    let network = in_network && get("scope").as_deref() == Some("network");
    let display = display_name(&state, &organism);
    let mut s = Search {
        organism: organism.clone(),
        display_name: display.clone(),
        params,
        labels: all_columns.iter().map(|c| (c.clone(), label_of(c))).collect(),
        all_columns,
        page,
        page_size,
        order,
        home: mirror_home(&state, &organism),
        // Only a hub organism's released genomes can be saved as a collection.
        save_collection: match state.organism(&organism) {
            Ok(_) => accounts::session(&state, &headers).await.map(|s| s.csrf),
            Err(_) => None,
        },
        ..Search::default()
    };
    if in_network {
        s.network = Some(virion_portal::search::NetworkCounts { on: network, missing: Vec::new() });
    }
    let status = match result {
        Ok(mut found) => {
            if network {
                match network_counts(&state, &organism, &filters, &mut found.fields).await {
                    Ok((total, missing)) => {
                        found.total = total;
                        s.network = Some(virion_portal::search::NetworkCounts { on: true, missing });
                    }
                    Err(e) => s.error = Some(format!("the network's counts: {e}")),
                }
            }
            s.total = found.total;
            s.restricted = found.restricted;
            s.fields = found.fields;
            s.table = found.table;
            StatusCode::OK
        }
        Err(e) => {
            s.error = Some(e);
            s.fields = fields
                .into_iter()
                .map(|(name, kind, _)| FieldFilter {
                    label: label_of(&name),
                    primary: is_primary(&name, kind),
                    name,
                    kind,
                    facet: None,
                })
                .collect();
            StatusCode::BAD_REQUEST
        }
    };
    html_page(
        status,
        virion_portal::search::render(
            &chrome_for(&state, &headers, format!("Search {display}"), Some(&organism)).await,
            &s,
        ),
    )
}

/// The home node (name, URL) of a collection that mirrors a peer's data.
fn mirror_home(state: &AppState, collection: &str) -> Option<(String, String)> {
    let peers = virion_federation::Peers::load(state.data_dir()).ok()?;
    peers
        .mirrors()
        .find(|(_, _, local)| *local == collection)
        .map(|(p, _, _)| (p.name.clone(), p.url.clone()))
}

/// A page's query parameters that have a value (forms send every input; an empty one is no
/// filter).
fn filled_params(raw: Option<&str>) -> Vec<(String, String)> {
    let all: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or("")).unwrap_or_default();
    all.into_iter().filter(|(_, v)| !v.trim().is_empty()).collect()
}

/// Stored processing errors or warnings (`[{"fields": […], "message": …}]`) as (first named
/// field or "", message).
fn field_issues(json: &str) -> Vec<(String, String)> {
    let v: Json = serde_json::from_str(json).unwrap_or_default();
    v.as_array()
        .into_iter()
        .flatten()
        .map(|i| {
            let field = i["fields"].as_array().and_then(|f| f.first()).and_then(Json::as_str).unwrap_or("");
            (field.to_owned(), i["message"].as_str().map_or_else(|| i.to_string(), str::to_owned))
        })
        .collect()
}

/// The messages alone of stored processing errors or warnings.
fn issue_messages(json: &str) -> Vec<String> {
    field_issues(json).into_iter().map(|(_, message)| message).collect()
}

/// Text of a JSON value for display.
fn text(v: &Json) -> String {
    crate::entries::tsv_cell(v)
}

fn millis_to_date(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

/// The organism's reference tree (its dataset's tree.json) with this genome grafted onto the
/// node processing placed it on, as Auspice v2 JSON to open in Auspice or auspice.us.
async fn placed_tree(
    state: &AppState,
    org: &crate::state::HubOrganism,
    rec: &VersionRecord,
    av: &AccessionVersion,
) -> Response {
    let not_found =
        |detail: String| problem_page(state, StatusCode::NOT_FOUND, "No tree for this sequence", &detail);
    if org.datasets.segmented {
        return not_found(format!(
            "{av} is a sample of a segmented virus: each segment has its own tree, and this download is for viruses of one segment."
        ));
    }
    let processed: Json =
        rec.processed.as_ref().and_then(|p| serde_json::from_str(&p.processed_json).ok()).unwrap_or_default();
    let Ok(result) = serde_json::from_value::<NextcladeResult>(processed["nextclade"].clone()) else {
        return not_found(format!("{av} has no processing result to place it with."));
    };
    let Some((_, dir)) = org.datasets.segments.first().cloned() else {
        return not_found(format!("{av}'s organism has no dataset here."));
    };
    // Read once per organism, on the first download (a blocking read of a few MB).
    let loaded = match org.placement_tree.get() {
        Some(t) => t.clone(),
        None => {
            let read = tokio::task::spawn_blocking(move || {
                crate::state::PlacementTree::load(&dir).map(std::sync::Arc::new)
            })
            .await
            .unwrap_or_else(|e| Err(e.to_string()));
            org.placement_tree.get_or_init(|| read).clone()
        }
    };
    let name = av.to_string();
    let grafted = loaded.and_then(|t| match result.grafted_query(&name, &t.tree, t.reference_len) {
        None => Ok(None),
        Some(q) => t.tree.graft_queries(&t.text, &[q], t.reference_len).map(Some).map_err(|e| e.to_string()),
    });
    match grafted {
        Ok(None) => not_found(format!(
            "{av} has not been placed on a reference tree (not processed yet, or its dataset has no tree)."
        )),
        Ok(Some(doc)) => {
            let mut r = axum::Json(doc).into_response();
            if let Ok(v) = format!("attachment; filename=\"{av}.auspice.json\"").parse() {
                r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
            }
            r
        }
        Err(why) => problem_page(state, StatusCode::INTERNAL_SERVER_ERROR, "Tree unavailable", &why),
    }
}

/// The page for `/seq/{accession}[.{version}]`, or its `.fa`, `.tsv`, `.json` download, or its
/// `.auspice.json`: the genome on its reference tree.
async fn record(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let (id, format) = match (id.strip_suffix(".auspice.json"), id.rsplit_once('.')) {
        (Some(rest), _) => (rest.to_owned(), Some("auspice.json")),
        (None, Some((rest, ext @ ("fa" | "fasta" | "tsv" | "json")))) => (rest.to_owned(), Some(ext)),
        _ => (id.clone(), None),
    };
    let prefixes = accession_prefixes(&state);
    let viewer = user.as_ref().map(|u| u.id);
    let store = state.store();
    let not_found = |detail: String| problem_page(&state, StatusCode::NOT_FOUND, "No such sequence", &detail);
    // An accession alone is its latest version visible to the caller.
    let av = match AccessionVersion::parse(&id, &prefixes) {
        Ok(av) => av,
        Err(_) => match Accession::parse(&id, &prefixes) {
            Ok(acc) => match versions_of(store, viewer, &acc).await.pop() {
                Some(latest) => {
                    return Redirect::to(&format!("/seq/{}", latest.accession_version)).into_response();
                }
                None => return not_found(format!("{id} is not a sequence here.")),
            },
            Err(e) => return not_found(format!("{id:?} is not an accession: {e}.")),
        },
    };
    let rec = match store.get_version(viewer, &av).await {
        Ok(r) => r,
        Err(StoreError::NotFound { .. }) => {
            return not_found(format!("{av} does not exist or is not released yet."));
        }
        Err(e) => {
            return problem_page(&state, StatusCode::INTERNAL_SERVER_ERROR, "Store error", &e.to_string());
        }
    };
    let Some(org) = state.organisms().find(|o| o.id == rec.organism) else {
        return not_found(format!("{av} belongs to an organism not served here."));
    };
    if format == Some("auspice.json") {
        return placed_tree(&state, org, &rec, &av).await;
    }
    if let Some(ext) = format {
        let format = match ext {
            "fa" | "fasta" => "fasta",
            other => other,
        };
        return match crate::entries::version_response(&state, viewer, &rec, format).await {
            Ok(mut r) => {
                let name = format!("attachment; filename=\"{av}.{ext}\"");
                if let Ok(v) = name.parse() {
                    r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
                }
                r
            }
            Err(e) => e.into_response(),
        };
    }
    let versions = versions_of(store, viewer, &av.accession).await;
    let previous = versions.iter().find(|v| v.accession_version.version == av.version - 1);
    let group = store.group_name(rec.group).await.unwrap_or_else(|_| format!("group {}", rec.group.0));
    let mut r = record_view(
        &org.config.name,
        &org.config.display_name,
        &rec,
        previous,
        &versions,
        group,
        public_base(&headers),
    );
    // Deposited at ENA: when it was exported, and which version carries its INSDC accessions.
    if let Ok(Some(d)) = store.ena_deposit(&av.accession).await {
        let day =
            chrono::DateTime::from_timestamp_millis(d.exported_at).map(|t| t.format("%Y-%m-%d").to_string());
        r.deposited = Some(match d.recorded_version {
            Some(v) => format!(
                "Deposited at ENA (version {} exported on {}); INSDC accessions recorded in version {v}",
                d.exported_version,
                day.unwrap_or_default()
            ),
            None => format!(
                "Exported for deposition at ENA on {} (version {}); ENA's receipt not recorded yet",
                day.unwrap_or_default(),
                d.exported_version
            ),
        });
    }
    // Segments in genome order (the stored object is keyed by name).
    r.segments.sort_by_key(|s| org.datasets.segments.iter().position(|(n, _)| *n == s.name));
    let id_column = &org.config.submission_id_column;
    r.name = ["strain", "isolate", "displayName", id_column.as_str()]
        .iter()
        .find_map(|k| r.metadata.iter().find(|(m, v)| m == k && !v.is_empty()).map(|(_, v)| v.clone()));
    // A curator of the record's group may revoke it from here (one session lookup serves this
    // and the navigation).
    let session = accounts::session(&state, &headers).await;
    if let Some(s) = &session
        && store.can(s.user.id, virion_store::Action::Revoke, rec.group).await.unwrap_or(false)
    {
        r.curator_csrf = Some(s.csrf.clone());
    }
    if let Some(s) = &session
        && store.can(s.user.id, virion_store::Action::Revise, rec.group).await.unwrap_or(false)
    {
        r.revise_link = Some(format!("/{}/edit/{av}", org.config.name));
    }
    // The tree links, when the organism's tree holds the genome's placement.
    if let Some(node) = &r.placement_node
        && let Some(slot) = state.collections().get(&org.config.name)
    {
        let ix = slot.read().expect("index lock");
        if let Some(p) = ix.index().phylo()
            && p.tree().node(node).is_some()
        {
            r.tree_field = Some(ix.index().columns[p.column()].name.clone());
        }
    }
    let mut chrome = chrome(&state, av.to_string(), Some(&org.config.name));
    chrome.user = session.map(|s| s.user.name);
    chrome.json_ld = Some(r.json_ld());
    html_page(StatusCode::OK, virion_portal::record::render(&chrome, &r))
}

/// The accession prefixes of every organism served (an accession names its organism).
fn accession_prefixes(state: &AppState) -> Vec<&str> {
    state.organisms().map(|o| o.config.accession_prefix.as_str()).collect()
}

/// Every version of `accession` that `viewer` may see, oldest first (versions are numbered
/// from 1 without gaps; the newest says it is the latest).
async fn versions_of(
    store: &virion_store::Store,
    viewer: Option<virion_store::UserId>,
    accession: &Accession,
) -> Vec<VersionRecord> {
    let mut versions = Vec::new();
    for v in 1.. {
        match store.get_version(viewer, &accession.at(v)).await {
            Ok(r) => {
                let last = r.is_latest;
                versions.push(r);
                if last {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    versions
}

fn metadata_of(rec: &VersionRecord) -> Vec<(String, String)> {
    let map: serde_json::Map<String, Json> =
        serde_json::from_str(&rec.submitted_metadata_json).unwrap_or_default();
    map.iter().map(|(k, v)| (k.clone(), text(v))).collect()
}

fn record_view(
    organism: &str,
    display_name: &str,
    rec: &VersionRecord,
    previous: Option<&VersionRecord>,
    versions: &[VersionRecord],
    group: String,
    base_url: String,
) -> Record {
    let processed: Json =
        rec.processed.as_ref().and_then(|p| serde_json::from_str(&p.processed_json).ok()).unwrap_or_default();
    // A segmented organism's calls are per segment; a virus of one segment's are the record's.
    let segments: Vec<SegmentCalls> = processed["segments"]
        .as_object()
        .map(|per| per.iter().map(|(name, calls)| segment_calls(name, calls).0).collect())
        .unwrap_or_default();
    let missing_segments: Vec<String> = processed["missingSegments"]
        .as_array()
        .map(|m| m.iter().filter_map(Json::as_str).map(str::to_owned).collect())
        .unwrap_or_default();
    let (main, nearest_node) = segment_calls("main", &processed);
    let metadata = metadata_of(rec);
    let changes = previous.map_or_else(Vec::new, |p| {
        let before: HashMap<String, String> = metadata_of(p).into_iter().collect();
        metadata
            .iter()
            .filter_map(|(k, v)| {
                let old = before.get(k).cloned().unwrap_or_default();
                (old != *v).then(|| (k.clone(), old, v.clone()))
            })
            .collect()
    });
    Record {
        organism: organism.to_owned(),
        display_name: display_name.to_owned(),
        accession: rec.accession_version.accession.as_str().to_owned(),
        version: rec.accession_version.version,
        // Set by the caller, which knows the organism's naming columns.
        name: None,
        is_latest: rec.is_latest,
        is_revocation: rec.is_revocation,
        status: rec.status.as_str().to_lowercase(),
        released: rec.released_at_ms.map(millis_to_date),
        submitted: millis_to_date(rec.submitted_at_ms),
        group,
        terms: match rec.terms {
            virion_store::DataUseTerms::Open => "Open".to_owned(),
            virion_store::DataUseTerms::Restricted { until } => format!("Restricted until {until}"),
        },
        metadata,
        // Set by the caller, which reads the deposition.
        deposited: None,
        clade: main.clade,
        lineage: processed["lineage"].as_str().map(str::to_owned),
        coverage: main.coverage,
        qc_status: main.qc_status,
        qc_score: main.qc_score,
        qc_rules: main.qc_rules,
        mutations: main.mutations,
        errors: rec.processed.as_ref().map(|p| issue_messages(&p.errors_json)).unwrap_or_default(),
        warnings: rec.processed.as_ref().map(|p| issue_messages(&p.warnings_json)).unwrap_or_default(),
        versions: versions
            .iter()
            .map(|v| VersionLine {
                version: v.accession_version.version,
                status: v.status.as_str().to_lowercase(),
                released: v.released_at_ms.map(millis_to_date),
                comment: v.version_comment.clone(),
                is_revocation: v.is_revocation,
            })
            .collect(),
        changes,
        base_url,
        curator_csrf: None,
        revise_link: None,
        placement_node: nearest_node,
        // Set by the caller, which knows the organism's collection.
        tree_field: None,
        segments,
        missing_segments,
    }
}

/// One genome's or segment's calls as the worker stored them (`clade`, `coverage`,
/// `qcOverallStatus` and the Nextclade record under `nextclade`), and its nearest tree node.
fn segment_calls(name: &str, calls: &Json) -> (SegmentCalls, Option<String>) {
    // A record that does not read (none stored, or not a result) shows no Nextclade part.
    let nc = NextcladeResult::from_value(&calls["nextclade"]).unwrap_or_default();
    let mutations = [
        // `C241T`, `S:L455S`: 1-based positions, as nextclade.tsv and LAPIS write them.
        nc.substitutions.iter().map(ToString::to_string).collect(),
        nc.deletions
            .iter()
            .map(|d| {
                let (b, e) = (d.range.begin.0, d.range.end.0);
                if e - b <= 1 { format!("{}", b + 1) } else { format!("{}–{} ({} nt)", b + 1, e, e - b) }
            })
            .collect(),
        nc.insertions.iter().map(|i| format!("ins_{i}")).collect(),
        nc.aa_substitutions.iter().map(ToString::to_string).collect(),
        nc.aa_deletions.iter().map(|d| format!("{}:{}{}-", d.cds, d.ref_aa, d.pos)).collect(),
        nc.aa_insertions
            .iter()
            .map(|i| {
                let letters: String = i.ins.iter().map(|a| a.to_char()).collect();
                format!("ins_{}:{}:{letters}", i.cds, i.pos + 1)
            })
            .collect(),
    ];
    let segment = SegmentCalls {
        name: name.to_owned(),
        clade: calls["clade"].as_str().map(str::to_owned),
        coverage: calls["coverage"].as_f64(),
        qc_status: calls["qcOverallStatus"].as_str().map(str::to_owned),
        // Not a finite number: written as null, read as NaN; no score to show.
        qc_score: nc.qc.as_ref().map(|q| q.overall_score).filter(|s| !s.is_nan()),
        qc_rules: nc.qc.as_ref().map(qc_rules).unwrap_or_default(),
        mutations,
    };
    (segment, nc.nearest_node_name.filter(|n| !n.is_empty()))
}

/// The QC table: each rule Nextclade ran, with its counts and thresholds as the record has
/// them (`totalMissing: 11269, missingDataThreshold: 3000.0`).
fn qc_rules(qc: &QcResult) -> Vec<QcRule> {
    let rule = |name: &str, score: f64, status: QcStatus, values: Vec<(&str, Json)>| QcRule {
        name: label(name),
        status: status.as_str().to_owned(),
        score: Some(score).filter(|s| !s.is_nan()),
        detail: values
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| format!("{k}: {}", text(v)))
            .collect::<Vec<_>>()
            .join(", "),
    };
    // A number that is not finite was written as null, and a null is not listed.
    let num = |x: f64| serde_json::Number::from_f64(x).map_or(Json::Null, Json::Number);
    let mut rules = Vec::new();
    if let Some(r) = &qc.missing_data {
        let values = vec![
            ("totalMissing", Json::from(r.total_missing)),
            ("missingDataThreshold", num(r.missing_data_threshold)),
        ];
        rules.push(rule("missingData", r.score, r.status, values));
    }
    if let Some(r) = &qc.mixed_sites {
        let values = vec![
            ("totalMixedSites", Json::from(r.total_mixed_sites)),
            ("mixedSitesThreshold", Json::from(r.mixed_sites_threshold)),
        ];
        rules.push(rule("mixedSites", r.score, r.status, values));
    }
    if let Some(r) = &qc.private_mutations {
        let values = vec![
            ("numReversionSubstitutions", Json::from(r.num_reversion_substitutions)),
            ("numLabeledSubstitutions", Json::from(r.num_labeled_substitutions)),
            ("numUnlabeledSubstitutions", Json::from(r.num_unlabeled_substitutions)),
            ("totalDeletionRanges", Json::from(r.total_deletion_ranges)),
            ("weightedTotal", num(r.weighted_total)),
            ("excess", num(r.excess)),
            ("cutoff", num(r.cutoff)),
        ];
        rules.push(rule("privateMutations", r.score, r.status, values));
    }
    if let Some(r) = &qc.snp_clusters {
        rules.push(rule("snpClusters", r.score, r.status, vec![("totalSNPs", Json::from(r.total_snps))]));
    }
    if let Some(r) = &qc.frame_shifts {
        let values = vec![
            ("totalFrameShifts", Json::from(r.total_frame_shifts)),
            ("totalFrameShiftsIgnored", Json::from(r.total_frame_shifts_ignored)),
        ];
        rules.push(rule("frameShifts", r.score, r.status, values));
    }
    if let Some(r) = &qc.stop_codons {
        let values = vec![
            ("totalStopCodons", Json::from(r.total_stop_codons)),
            ("totalStopCodonsIgnored", Json::from(r.total_stop_codons_ignored)),
        ];
        rules.push(rule("stopCodons", r.score, r.status, values));
    }
    rules
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_read_like_words() {
        assert_eq!(label("sampleCollectionDate"), "Sample collection date");
        assert_eq!(label("country"), "Country");
        assert_eq!(label("host_scientific_name"), "Host scientific name");
        assert_eq!(label("nextcladePangoLineage"), "Pango lineage");
    }

    /// The rule lines of a record Nextclade 3.21 wrote (OY754528 in its dataset examples), as
    /// the page showed them when it walked the JSON: numbers as written, a disabled rule left out.
    #[test]
    fn qc_rules_show_the_numbers_as_written() {
        let qc: QcResult = serde_json::from_str(
            r#"{"missingData": {"score": 406.25925925925924, "status": "bad", "totalMissing": 11269, "missingDataThreshold": 3000.0},
            "mixedSites": null,
            "privateMutations": {"score": 0.0, "status": "good", "numReversionSubstitutions": 0, "numLabeledSubstitutions": 0, "numUnlabeledSubstitutions": 5, "totalDeletionRanges": 0, "weightedTotal": 5.0, "excess": -3.0, "cutoff": 24.0},
            "snpClusters": {"score": 0.0, "status": "good", "totalSNPs": 0, "clusteredSNPs": []},
            "frameShifts": {"score": 0.0, "status": "good", "frameShifts": [], "totalFrameShifts": 0, "frameShiftsIgnored": [], "totalFrameShiftsIgnored": 0},
            "stopCodons": {"score": 0.0, "status": "good", "stopCodons": [], "totalStopCodons": 0, "stopCodonsIgnored": [], "totalStopCodonsIgnored": 0},
            "overallScore": 1846.4658573388201, "overallStatus": "bad"}"#,
        )
        .unwrap();
        // Scores to four places: serde_json reads a float to within one unit in the last place.
        let rules: Vec<(String, String, Option<i64>, String)> = qc_rules(&qc)
            .into_iter()
            .map(|r| (r.name, r.status, r.score.map(|s| (s * 1e4).round() as i64), r.detail))
            .collect();
        let expected = [
            (
                "missingData",
                "bad",
                406.25925925925924_f64,
                "totalMissing: 11269, missingDataThreshold: 3000.0",
            ),
            (
                "privateMutations",
                "good",
                0.0,
                "numReversionSubstitutions: 0, numLabeledSubstitutions: 0, numUnlabeledSubstitutions: 5, \
                 totalDeletionRanges: 0, weightedTotal: 5.0, excess: -3.0, cutoff: 24.0",
            ),
            ("snpClusters", "good", 0.0, "totalSNPs: 0"),
            ("frameShifts", "good", 0.0, "totalFrameShifts: 0, totalFrameShiftsIgnored: 0"),
            ("stopCodons", "good", 0.0, "totalStopCodons: 0, totalStopCodonsIgnored: 0"),
        ]
        .map(|(n, s, score, d)| (label(n), s.to_owned(), Some((score * 1e4).round() as i64), d.to_owned()));
        assert_eq!(rules, expected);
    }

    #[test]
    fn strain_text_is_matched_literally() {
        assert_eq!(regex_escape("Switzerland/BE-1.2/2024"), r"Switzerland/BE\-1\.2/2024");
    }
}
