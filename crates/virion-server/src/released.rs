//! `GET /api/{organism}/released`: every released version as NDJSON, streamed from the store,
//! optionally zstd-compressed, with an ETag that changes whenever the output would.

use std::io::Write;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;
use utoipa::IntoParams;
use virion_federation::mirror::BASIS_HEADER;
use virion_store::{OrganismId, ReleasedVersion, Store};

use crate::entries::OrganismPath;
use crate::error::{ApiError, ProblemResponse};
use crate::state::AppState;
use crate::views::TermsJson;

/// Compressed bytes are handed to the client once this many have gathered.
const CHUNK: usize = 1 << 16;

/// How the released data is compressed.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReleasedQuery {
    /// zstd or none; without it, `Accept-Encoding: zstd` decides.
    #[param(example = "zstd")]
    compression: Option<String>,
    /// Only the versions released after this release number (`releaseSeq`), in release order
    /// instead of accession order: how a mirror follows the stream.
    #[serde(rename = "afterReleaseSeq")]
    #[param(rename = "afterReleaseSeq", minimum = 0)]
    after_release_seq: Option<i64>,
}

/// Every released version of an organism as NDJSON, streamed from the store; answers 304 when
/// `If-None-Match` names the current ETag.
#[utoipa::path(get, path = "/api/{organism}/released",
    summary = "Every released version as NDJSON (one object per line: accession, version, dataUseTerms, sequence, metadata, processed; a segmented organism's sequence is its segments as FASTA text, one `>segment` record each, and its processed data has them under `segments`). zstd with Accept-Encoding: zstd or ?compression=zstd. ETag/If-None-Match.",
    params(OrganismPath, ReleasedQuery, ("If-None-Match" = Option<String>, Header, description = "An ETag of an earlier answer")),
    security(()),
    responses((status = 200, description = "NDJSON, one version per line", content((Object = "application/x-ndjson"))),
        (status = 304, description = "unchanged"), (status = 400, response = ProblemResponse),
        (status = 404, response = ProblemResponse), (status = 500, response = ProblemResponse)))]
pub async fn released(
    State(state): State<AppState>,
    Path(OrganismPath { organism }): Path<OrganismPath>,
    Query(q): Query<ReleasedQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let org = state.organism(&organism)?;
    let zstd = match q.compression.as_deref() {
        Some("zstd") => true,
        Some("none") => false,
        Some(other) => {
            return Err(ApiError::BadRequest(format!("compression {other:?} is not zstd or none")));
        }
        None => headers
            .get(header::ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(',').any(|e| e.trim().split(';').next() == Some("zstd"))),
    };
    if q.after_release_seq.is_some_and(|n| n < 0) {
        return Err(ApiError::BadRequest("afterReleaseSeq must be 0 or more".into()));
    }
    let released_state = state.store().released_state(org.id).await?;
    let etag = etag(org.id, &released_state, zstd, q.after_release_seq);
    let basis = HeaderValue::from_str(&basis(&released_state)).map_err(ApiError::internal)?;
    let etag_value = HeaderValue::from_str(&etag).map_err(ApiError::internal)?;
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if matches {
        return Ok((
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag_value), (HeaderName::from_static(BASIS_HEADER), basis)],
        )
            .into_response());
    }

    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(8);
    let store = state.store().clone();
    tokio::spawn(stream_released(store, org.id, zstd, q.after_release_seq, tx));
    let mut rx = rx;
    let body = Body::from_stream(futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx)));
    let mut response = Response::new(body);
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/x-ndjson"));
    h.insert(header::ETAG, etag_value);
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    h.insert(BASIS_HEADER, basis);
    if zstd {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("zstd"));
    }
    Ok(response)
}

/// The tag covers what the stream holds: released versions, their processing and terms, the
/// day (restrictions lapse at midnight), and where it starts.
fn etag(organism: OrganismId, released_state: &str, zstd: bool, after: Option<i64>) -> String {
    let digest = Sha256::digest(format!("{}|{released_state}|{zstd}|{after:?}", organism.0).as_bytes());
    let hex: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// The pipeline and terms parts of `Store::released_state` (`count|seq|pipeline|terms|day`).
fn basis(released_state: &str) -> String {
    released_state.split('|').skip(2).take(2).collect::<Vec<_>>().join("|")
}

/// One NDJSON line; processed data is stored JSON and is copied in as is.
fn write_line(out: &mut Vec<u8>, v: &ReleasedVersion) {
    let r = &v.record;
    let av = &r.accession_version;
    let head = json!({
        "accession": av.accession.as_str(),
        "version": av.version,
        "accessionVersion": av.to_string(),
        "isRevocation": r.is_revocation,
        "releasedAtMs": r.released_at_ms,
        "releaseSeq": r.release_seq,
        "dataUseTerms": TermsJson::from(r.terms),
        // As stored: a segmented organism's segments as FASTA text (`>ha\nACGT…\n`).
        "sequence": String::from_utf8_lossy(&v.sequence),
    })
    .to_string();
    out.extend_from_slice(&head.as_bytes()[..head.len() - 1]);
    out.extend_from_slice(b",\"metadata\":");
    out.extend_from_slice(r.submitted_metadata_json.as_bytes());
    if let Some(p) = &r.processed {
        out.extend_from_slice(b",\"processed\":");
        out.extend_from_slice(p.processed_json.as_bytes());
        out.extend_from_slice(b",\"warnings\":");
        out.extend_from_slice(p.warnings_json.as_bytes());
    }
    out.extend_from_slice(b"}\n");
}

async fn stream_released(
    store: Store,
    organism: OrganismId,
    zstd: bool,
    after: Option<i64>,
    tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
) {
    let mut stream: std::pin::Pin<Box<dyn futures_util::Stream<Item = _> + Send + '_>> = match after {
        Some(n) => Box::pin(store.released_since_with_sequences(organism, n)),
        None => Box::pin(store.released_stream(organism)),
    };
    let mut encoder = if zstd {
        match zstd::stream::write::Encoder::new(Vec::new(), 3) {
            Ok(e) => Some(e),
            Err(e) => {
                let _ = tx.send(Err(e)).await;
                return;
            }
        }
    } else {
        None
    };
    let mut line = Vec::new();
    let mut plain = Vec::new();
    while let Some(item) = stream.next().await {
        let version = match item {
            Ok(v) => v,
            Err(e) => {
                tracing::error!(error = %e, "released stream failed");
                let _ = tx.send(Err(std::io::Error::other(e.to_string()))).await;
                return;
            }
        };
        line.clear();
        write_line(&mut line, &version);
        let ready = match &mut encoder {
            Some(enc) => {
                if let Err(e) = enc.write_all(&line) {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
                (enc.get_ref().len() >= CHUNK).then(|| std::mem::take(enc.get_mut()))
            }
            None => {
                plain.extend_from_slice(&line);
                (plain.len() >= CHUNK).then(|| std::mem::take(&mut plain))
            }
        };
        if let Some(chunk) = ready
            && tx.send(Ok(Bytes::from(chunk))).await.is_err()
        {
            return; // the client went away
        }
    }
    let rest = match encoder {
        Some(enc) => match enc.finish() {
            Ok(rest) => rest,
            Err(e) => {
                let _ = tx.send(Err(e)).await;
                return;
            }
        },
        None => plain,
    };
    if !rest.is_empty() {
        let _ = tx.send(Ok(Bytes::from(rest))).await;
    }
}
