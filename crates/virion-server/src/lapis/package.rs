//! `package=ro-crate` on any LAPIS data route: the answer, as the route would give it, packed in
//! an RO-Crate 1.2 zip that says what it is (`virion-rocrate`): the file with its media type,
//! size and SHA-256, the exact query, the records it holds, the software and node, the terms of
//! use and how to cite.
//!
//! The route runs unchanged on the request without `package` (so the packed file is exactly
//! what the plain download gives); its body is spooled to a file in the data directory, never
//! held in memory, and the zip is written beside it.

use std::io::{Seek, SeekFrom, Write};

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use virion_query::execute::{Endpoint, table};
use virion_query::{Cell, LapisRequest, OrderBy};

use crate::lapis::call::LapisCall;
use crate::lapis::handlers::{read_request, target};
use crate::lapis::respond::{self, Info};

/// The parameter that asks for a package, and the one value it takes.
pub(crate) const PACKAGE: &str = "package";
const RO_CRATE: &str = "ro-crate";

/// What kind of rows a route's records are: a details page keeps its own paging; an aggregate
/// is made from every matching row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rows {
    /// Details and sequences: the rows listed are the records (limit, offset, order apply).
    Listed,
    /// Aggregates, mutations, insertions: every matching row went into the answer.
    Aggregated,
}

/// Runs `route` on `call`, packed as an RO-Crate when the call asks for it.
pub(crate) async fn maybe<F, Fut>(mut call: LapisCall, rows: Rows, route: F) -> Response
where
    F: FnOnce(LapisCall) -> Fut,
    Fut: std::future::Future<Output = Response>,
{
    let info = Info { request_id: call.request_id.0.clone(), ..Info::default() };
    let asked = match take_package(&mut call) {
        Ok(None) => return route(call).await,
        Ok(Some(value)) => value,
        Err(e) => return respond::problem(StatusCode::BAD_REQUEST, e, &info),
    };
    if asked != RO_CRATE {
        return respond::problem(
            StatusCode::BAD_REQUEST,
            format!("package={asked:?} is not a package this node makes: use package=ro-crate"),
            &info,
        );
    }
    let started = chrono::Utc::now();
    // The records and the query as the route reads them (the caller's view, its filters).
    let target = match target(&call).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let mut request = match read_request(call.query.as_deref(), &call.headers, &call.body, &target.info) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let collection = match crate::citable::resolve_filter(&call.state, &mut request).await {
        Ok(c) => c,
        Err(e) => return respond::problem(e.status(), e.to_string(), &target.info),
    };
    let parameters = match parameters(&call) {
        Ok(p) => p,
        Err(e) => return respond::problem(StatusCode::BAD_REQUEST, e, &target.info),
    };
    let records_request = records_request(&request, rows);
    let records = target
        .run(move |parts, ix, budget| {
            let key = ix.info.primary_key.clone();
            let mut req = records_request;
            req.fields = vec![key.clone()];
            let has_terms = ix.index().column(virion_ingest::hub::DATA_USE_TERMS).is_some();
            if has_terms {
                req.fields.push(virion_ingest::hub::DATA_USE_TERMS.to_owned());
                req.fields.push(virion_ingest::hub::DATA_USE_TERMS_UNTIL.to_owned());
            }
            let t = table(parts, Endpoint::Details, &req, budget)?;
            Ok(t.rows
                .iter()
                .map(|r| {
                    let text = |i: usize| r.get(i).map(Cell::text).unwrap_or_default();
                    (text(0), has_terms.then(|| (text(1), text(2))))
                })
                .collect::<Vec<_>>())
        })
        .await;
    let records = match records {
        Ok(r) => r,
        Err(r) => return r,
    };
    let organism = target.name.clone();
    let state = call.state.clone();
    let viewer_name = call.user.0.as_ref().map(|u| u.name.clone());
    let path = call.path.clone();
    let base = crate::catalog::base_url(&state, &call.headers);
    // The packed file is what the plain download gives, never transport-compressed.
    call.headers.remove(header::ACCEPT_ENCODING);
    let answer = route(call).await;
    if !answer.status().is_success() {
        return answer;
    }
    let media_type = answer
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_owned();
    let file_name = file_name(answer.headers(), &path, &media_type);
    let uploads = state.data_dir().join("uploads");
    let spooled = match spool(answer.into_body(), &uploads).await {
        Ok(f) => f,
        Err(e) => return respond::problem(StatusCode::INTERNAL_SERVER_ERROR, format!("packing: {e}"), &info),
    };
    let ended = chrono::Utc::now();

    let restricted: Vec<&str> = records
        .iter()
        .filter_map(|(_, terms)| terms.as_ref())
        .filter(|(kind, _)| kind == "RESTRICTED")
        .map(|(_, until)| until.as_str())
        .collect();
    let conditions = (!restricted.is_empty()).then(|| {
        let latest = restricted.iter().max().copied().unwrap_or_default();
        format!(
            "{} of the {} records are under restricted-use terms (until {latest} at the latest): they may be analysed, but results that rely on them may not be published before their restriction ends without their submitters' consent. The other records are open.",
            restricted.len(),
            records.len()
        )
    });
    let licence = crate::catalog::open_licence(&state);
    let display =
        state.organism(&organism).map(|o| o.config.display_name.clone()).unwrap_or(organism.clone());
    let node_name = state.node_name().unwrap_or_else(|| "Virion node".to_owned());
    let crate_info = virion_rocrate::CrateInfo {
        name: format!("{display} genomes: {file_name}"),
        description: format!(
            "The answer of {path} of the Virion node {node_name} to the query below, with the {} records it holds.",
            records.len()
        ),
        date_published: ended,
        license: virion_rocrate::License { uri: licence.0, name: licence.1 },
        conditions_of_access: conditions,
        software: virion_rocrate::Software {
            name: "Virion".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            url: env!("CARGO_PKG_REPOSITORY").to_owned(),
        },
        node: virion_rocrate::Node { name: node_name.clone(), url: format!("{base}/") },
        query: Some(virion_rocrate::QueryAction {
            name: format!("LAPIS query {path}"),
            endpoint: format!("{base}{path}"),
            parameters,
            start_time: started,
            end_time: ended,
            agent: viewer_name,
        }),
        citation: Some(match &collection {
            // A collection's query is cited as the collection.
            Some(c) => virion_rocrate::Citation {
                text: format!(
                    "{} (collection {} of {node_name}), {base}/collections/{}",
                    c.name,
                    c.id_version(),
                    c.id_version()
                ),
                cite_as: Some(format!("{base}/collections/{}", c.id_version())),
            },
            None => virion_rocrate::Citation {
                text: format!(
                    "{node_name} ({}). {display} genomes. Virion node, {base}/{organism}. Query {path}, run {}.",
                    ended.format("%Y"),
                    ended.format("%Y-%m-%d %H:%M UTC")
                ),
                cite_as: Some(format!("{base}/{organism}")),
            },
        }),
        collection: collection.as_ref().map(|c| virion_rocrate::CollectionRef {
            id: c.id.clone(),
            url: format!("{base}/collections/{}", c.id_version()),
            name: c.name.clone(),
            version: c.version.to_string(),
        }),
    };
    let packed = tokio::task::spawn_blocking(move || {
        write_crate(
            spooled,
            &uploads,
            crate_info,
            &file_name,
            &media_type,
            records.iter().map(|(k, _)| k.as_str()),
        )
    })
    .await;
    let zip = match packed {
        Ok(Ok(zip)) => zip,
        Ok(Err(e)) => {
            return respond::problem(StatusCode::INTERNAL_SERVER_ERROR, format!("packing: {e}"), &info);
        }
        Err(e) => return respond::problem(StatusCode::INTERNAL_SERVER_ERROR, format!("packing: {e}"), &info),
    };
    zip_response(zip, &format!("{organism}-{}.ro-crate.zip", path.rsplit('/').next().unwrap_or("data"))).await
}

/// Removes `package` from the call's query string and body; its value, if it was there.
fn take_package(call: &mut LapisCall) -> Result<Option<String>, String> {
    let mut found = None;
    if let Some(q) = &call.query {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(q).map_err(|e| format!("the query string cannot be read: {e}"))?;
        if pairs.iter().any(|(k, _)| k == PACKAGE) {
            let (package, rest): (Vec<_>, Vec<_>) = pairs.into_iter().partition(|(k, _)| k == PACKAGE);
            found = package.into_iter().map(|(_, v)| v).next_back();
            call.query = Some(serde_urlencoded::to_string(&rest).map_err(|e| e.to_string())?);
        }
    }
    // Most bodies do not mention it: they are not parsed a second time.
    if !call.body.windows(PACKAGE.len()).any(|w| w == PACKAGE.as_bytes()) {
        return Ok(found);
    }
    match crate::lapis::decode::body(&call.headers, &call.body)? {
        crate::lapis::decode::Body::Json(serde_json::Value::Object(mut object))
            if object.contains_key(PACKAGE) =>
        {
            if let Some(v) = object.remove(PACKAGE) {
                found = Some(v.as_str().map_or_else(|| v.to_string(), str::to_owned));
            }
            call.body = Bytes::from(serde_json::Value::Object(object).to_string());
        }
        crate::lapis::decode::Body::Form(pairs) if pairs.iter().any(|(k, _)| k == PACKAGE) => {
            let (package, rest): (Vec<_>, Vec<_>) = pairs.into_iter().partition(|(k, _)| k == PACKAGE);
            found = package.into_iter().map(|(_, v)| v).next_back();
            call.body = Bytes::from(serde_urlencoded::to_string(&rest).map_err(|e| e.to_string())?);
        }
        _ => {}
    }
    Ok(found)
}

/// Every parameter of the call as sent (query string, then body), lists joined by commas.
fn parameters(call: &LapisCall) -> Result<Vec<(String, String)>, String> {
    let body = crate::lapis::decode::body(&call.headers, &call.body)?;
    Ok(crate::lapis::decode::pairs(call.query.as_deref(), &body)?
        .into_iter()
        .map(|(k, values)| {
            let text: Vec<String> =
                values.into_iter().map(|v| v.unwrap_or_else(|| "null".to_owned())).collect();
            (k, text.join(","))
        })
        .collect())
}

/// The details request whose rows are the records of `request`'s answer.
fn records_request(request: &LapisRequest, rows: Rows) -> LapisRequest {
    let mut req = LapisRequest {
        filters: request.filters.clone(),
        advanced: request.advanced.clone(),
        variant_query: request.variant_query.clone(),
        ..LapisRequest::default()
    };
    if rows == Rows::Listed {
        req.order_by = request.order_by.clone();
        req.limit = request.limit;
        req.offset = request.offset;
    } else {
        req.order_by = OrderBy::Fields(Vec::new());
    }
    req
}

/// The packed file's name: the route's download name, else made from the path and media type.
fn file_name(headers: &HeaderMap, path: &str, media_type: &str) -> String {
    let from_header = headers
        .get(header::CONTENT_DISPOSITION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split("filename=").nth(1))
        .map(|n| n.trim_matches(|c| c == '"' || c == ';' || c == ' ').to_owned());
    let name = from_header.unwrap_or_else(|| {
        let route = path.rsplit('/').next().unwrap_or("data");
        let ext = match media_type.split(';').next().unwrap_or_default().trim() {
            "text/tab-separated-values" => "tsv",
            "text/csv" => "csv",
            "application/json" => "json",
            "application/x-ndjson" => "ndjson",
            "text/x-fasta" => "fasta",
            "application/gzip" => "gz",
            "application/zstd" => "zst",
            _ => "txt",
        };
        format!("{route}.{ext}")
    });
    // RO-Crate file names here are flat ASCII.
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '_' })
        .collect()
}

/// Writes a response body to a temporary file in `dir`.
async fn spool(body: Body, dir: &std::path::Path) -> std::io::Result<tempfile::NamedTempFile> {
    std::fs::create_dir_all(dir)?;
    let file = tempfile::NamedTempFile::new_in(dir)?;
    let mut out = tokio::fs::File::from_std(file.reopen()?);
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(std::io::Error::other)?;
        tokio::io::AsyncWriteExt::write_all(&mut out, &chunk).await?;
    }
    tokio::io::AsyncWriteExt::flush(&mut out).await?;
    Ok(file)
}

/// The crate: the spooled file, the records, then the metadata.
fn write_crate<'a>(
    data: tempfile::NamedTempFile,
    dir: &std::path::Path,
    info: virion_rocrate::CrateInfo,
    file_name: &str,
    media_type: &str,
    records: impl Iterator<Item = &'a str>,
) -> Result<tempfile::NamedTempFile, String> {
    let zip = tempfile::NamedTempFile::new_in(dir).map_err(|e| e.to_string())?;
    let mut writer = virion_rocrate::CrateWriter::new(zip.reopen().map_err(|e| e.to_string())?, info)
        .map_err(|e| e.to_string())?;
    {
        let mut file = writer
            .start_file(file_name, media_type, "The answer of the query, as the plain download gives it.")
            .map_err(|e| e.to_string())?;
        let mut source = data.reopen().map_err(|e| e.to_string())?;
        source.seek(SeekFrom::Start(0)).map_err(|e| e.to_string())?;
        std::io::copy(&mut source, &mut file).map_err(|e| e.to_string())?;
        file.flush().map_err(|e| e.to_string())?;
    }
    writer.add_records(records).map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())?;
    Ok(zip)
}

/// Streams a finished zip as an attachment.
pub(crate) async fn zip_response(zip: tempfile::NamedTempFile, name: &str) -> Response {
    let file = match zip.reopen() {
        Ok(f) => tokio::fs::File::from_std(f),
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    };
    let length = file.metadata().await.map(|m| m.len()).unwrap_or(0);
    // The zip's name is removed when `zip` drops; the open file keeps its bytes until sent.
    let body = Body::from_stream(futures_util::stream::try_unfold(file, |mut file| async move {
        let mut buf = vec![0u8; 256 << 10];
        let n = tokio::io::AsyncReadExt::read(&mut file, &mut buf).await?;
        if n == 0 {
            return Ok::<_, std::io::Error>(None);
        }
        buf.truncate(n);
        Ok(Some((Bytes::from(buf), file)))
    }));
    (
        [
            (header::CONTENT_TYPE, "application/zip".to_owned()),
            (header::CONTENT_LENGTH, length.to_string()),
            (header::CONTENT_DISPOSITION, respond::content_disposition(name)),
        ],
        body,
    )
        .into_response()
}
