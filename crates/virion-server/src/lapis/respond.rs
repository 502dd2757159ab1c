//! Writing LAPIS answers: the JSON envelope (`data` + `info`), CSV/TSV (RFC 4180 quoting, or
//! IANA escaping for TSV-ESCAPED), compression (a compressed file for `compression=`, or
//! `Content-Encoding` for `Accept-Encoding`), `Content-Disposition` for downloads, the
//! `lapis-data-version` header, and RFC 7807 problems. Large answers stream: a producer on a
//! blocking thread writes into a channel the response body reads from.

use std::io::Write;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value as JsonValue, json};
use virion_query::{Cell, Compression, QueryError, Table};

use super::decode::{Delivery, Format, Output};

/// What the `info` object of an answer says.
#[derive(Debug, Clone, Default)]
pub(crate) struct Info {
    pub data_version: Option<i64>,
    pub request_id: String,
}

impl Info {
    pub(crate) fn json(&self) -> JsonValue {
        json!({
            "dataVersion": self.data_version.map(|v| v.to_string()),
            "requestId": self.request_id,
            "lapisVersion": concat!("virion ", env!("CARGO_PKG_VERSION")),
            "siloVersion": JsonValue::Null,
            "reportTo": "the operators of this Virion node",
        })
    }
}

/// An RFC 7807 problem in LAPIS's envelope.
pub(crate) fn problem(status: StatusCode, detail: impl Into<String>, info: &Info) -> Response {
    let body = json!({
        "error": {
            "type": "about:blank",
            "title": status.canonical_reason().unwrap_or("Error"),
            "status": status.as_u16(),
            "detail": detail.into(),
            "instance": info.request_id,
        },
        "info": info.json(),
    });
    let mut r = (status, axum::Json(body)).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
    with_version(r, info.data_version)
}

/// The status of a query error: over budget is 503 (try again narrower), the rest 400.
pub(crate) fn query_problem(e: &QueryError, info: &Info) -> Response {
    let status = match e {
        QueryError::OverBudget { .. } => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_REQUEST,
    };
    problem(status, e.to_string(), info)
}

pub(crate) fn with_version(mut r: Response, version: Option<i64>) -> Response {
    if let Some(v) = version {
        r.headers_mut().insert("lapis-data-version", HeaderValue::from(v));
    }
    r
}

fn cell_json(c: &Cell) -> JsonValue {
    match c {
        Cell::Null => JsonValue::Null,
        Cell::Str(s) => json!(s),
        Cell::Int(i) => json!(i),
        Cell::Float(f) => json!(f),
        Cell::Bool(b) => json!(b),
    }
}

/// RFC 4180: quote a cell holding the separator, a quote or a line break.
fn quoted(text: &str, sep: char) -> String {
    if text.contains([sep, '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// IANA TSV: tabs, line breaks and backslashes escaped.
fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out
}

/// A table in the asked format.
pub(crate) fn table_bytes(table: &Table, format: Format, info: &Info) -> Vec<u8> {
    match format {
        Format::Json | Format::Fasta | Format::Ndjson => {
            let data: Vec<JsonValue> = table
                .rows
                .iter()
                .map(|r| {
                    let m: Map<String, JsonValue> =
                        table.columns.iter().zip(r).map(|(k, c)| (k.clone(), cell_json(c))).collect();
                    JsonValue::Object(m)
                })
                .collect();
            serde_json::to_vec(&json!({ "data": data, "info": info.json() })).expect("serialising JSON")
        }
        Format::Csv { headers } | Format::Tsv { headers, .. } => {
            let (sep, escape) = match format {
                Format::Tsv { escaped: true, .. } => ('\t', true),
                Format::Tsv { .. } => ('\t', false),
                _ => (',', false),
            };
            let cell = |t: &str| if escape { escaped(t) } else { quoted(t, sep) };
            let mut out = String::new();
            if headers {
                out.push_str(
                    &table.columns.iter().map(|c| cell(c)).collect::<Vec<_>>().join(&sep.to_string()),
                );
                out.push('\n');
            }
            for r in &table.rows {
                out.push_str(&r.iter().map(|c| cell(&c.text())).collect::<Vec<_>>().join(&sep.to_string()));
                out.push('\n');
            }
            out.into_bytes()
        }
    }
}

fn compress(bytes: Vec<u8>, c: Compression) -> Vec<u8> {
    match c {
        Compression::Zstd => zstd::encode_all(bytes.as_slice(), 3).expect("compressing in memory"),
        Compression::Gzip => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(&bytes).expect("compressing in memory");
            e.finish().expect("compressing in memory")
        }
    }
}

fn headers(mut r: Response, output: &Output, version: Option<i64>) -> Response {
    let h = r.headers_mut();
    let content_type = match output.compression {
        Some(Delivery::File(Compression::Gzip)) => "application/gzip",
        Some(Delivery::File(Compression::Zstd)) => "application/zstd",
        _ => output.format.content_type(),
    };
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Some(Delivery::Encoding(c)) = output.compression {
        h.insert(
            header::CONTENT_ENCODING,
            HeaderValue::from_static(if c == Compression::Zstd { "zstd" } else { "gzip" }),
        );
        h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    if let Some(name) = &output.download
        && let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
    {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    with_version(r, version)
}

/// A finished answer body, compressed and labelled as `output` says.
pub(crate) fn bytes_response(bytes: Vec<u8>, output: &Output, version: Option<i64>) -> Response {
    let body = match output.compression {
        Some(Delivery::File(c) | Delivery::Encoding(c)) => compress(bytes, c),
        None => bytes,
    };
    headers((StatusCode::OK, body).into_response(), output, version)
}

/// Writes into a channel that a streaming response body reads (a blocking producer's sink).
struct ChannelWriter {
    tx: tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>,
    buf: Vec<u8>,
}

const CHUNK: usize = 1 << 16;

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        // The client went away: stop producing.
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client gone"))
    }
}

/// A streamed answer: `produce` runs on a blocking thread and writes the (uncompressed)
/// body; compression happens on the way. An error after the first bytes ends the stream.
pub(crate) fn streaming_response(
    output: &Output,
    version: Option<i64>,
    produce: impl FnOnce(&mut dyn Write) -> std::io::Result<()> + Send + 'static,
) -> Response {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(8);
    let compression = match output.compression {
        Some(Delivery::File(c) | Delivery::Encoding(c)) => Some(c),
        None => None,
    };
    tokio::task::spawn_blocking(move || {
        let mut sink = ChannelWriter { tx: tx.clone(), buf: Vec::with_capacity(CHUNK) };
        let result = match compression {
            None => produce(&mut sink).and_then(|()| sink.flush()),
            Some(Compression::Zstd) => zstd::Encoder::new(&mut sink, 3).and_then(|mut e| {
                produce(&mut e)?;
                e.finish()?;
                Ok(())
            }),
            Some(Compression::Gzip) => {
                let mut e = flate2::write::GzEncoder::new(&mut sink, flate2::Compression::default());
                produce(&mut e).and_then(|()| e.finish().map(|_| ()))
            }
        }
        .and_then(|()| sink.flush());
        if let Err(e) = result
            && e.kind() != std::io::ErrorKind::BrokenPipe
        {
            tracing::warn!(error = %e, "streamed answer cut short");
            let _ = tx.blocking_send(Err(e));
        }
    });
    let stream = tokio_stream_from(rx);
    headers((StatusCode::OK, Body::from_stream(stream)).into_response(), output, version)
}

fn tokio_stream_from(
    mut rx: tokio::sync::mpsc::Receiver<Result<Bytes, std::io::Error>>,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_tsv_escapes() {
        let table = Table {
            columns: vec!["name".into(), "count".into()],
            rows: vec![
                vec![Cell::Str("a,\"b\"\tc\nd".into()), Cell::Int(3)],
                vec![Cell::Null, Cell::Float(0.5)],
            ],
        };
        let info = Info::default();
        let csv = String::from_utf8(table_bytes(&table, Format::Csv { headers: true }, &info)).unwrap();
        assert_eq!(csv, "name,count\n\"a,\"\"b\"\"\tc\nd\",3\n,0.5\n");
        let tsv =
            String::from_utf8(table_bytes(&table, Format::Tsv { headers: false, escaped: true }, &info))
                .unwrap();
        assert_eq!(tsv, "a,\"b\"\\tc\\nd\t3\n\t0.5\n");
        let tsv =
            String::from_utf8(table_bytes(&table, Format::Tsv { headers: true, escaped: false }, &info))
                .unwrap();
        assert!(tsv.starts_with("name\tcount\n\"a,\"\"b\"\"\tc\nd\"\t3\n"), "{tsv}");
        let json: JsonValue = serde_json::from_slice(&table_bytes(&table, Format::Json, &info)).unwrap();
        assert_eq!(json["data"][1], json!({ "name": null, "count": 0.5 }));
    }
}
