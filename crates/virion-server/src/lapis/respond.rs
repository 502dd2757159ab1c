//! Writing LAPIS answers: the JSON envelope (`data` + `info`), CSV/TSV (RFC 4180 quoting, or
//! IANA escaping for TSV-ESCAPED), compression (a compressed file for `compression=`, or
//! `Content-Encoding` for `Accept-Encoding`), `Content-Disposition` for downloads, the
//! `lapis-data-version` header, and RFC 7807 problems. Large answers stream: a producer on a
//! blocking thread writes into a channel the response body reads from.

use std::io::Write;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value as JsonValue, json};
use utoipa::ToSchema;
use virion_collections::CollectionError;
use virion_query::{Cell, Compression, QueryError, Table};

use super::decode::{Delivery, Format, Output};

/// What the `info` object of an answer says.
#[derive(Debug, Clone, Default)]
pub(crate) struct Info {
    /// The answering collection's data version (Unix seconds), once a collection is known.
    pub data_version: Option<i64>,
    /// The request's id (the `x-request-id` header).
    pub request_id: String,
    /// "<instance> on <host> at <UTC time>", as LAPIS says where and when it answered.
    pub request_info: Option<String>,
    /// A federated answer's nodes and completeness (`info.federation`).
    pub federation: Option<JsonValue>,
}

/// The `info` object of every LAPIS answer, fields in LAPIS's order.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LapisInfo {
    /// The data version of the index that answered (also the `lapis-data-version` header).
    data_version: Option<String>,
    /// The request's id, also sent as the `x-request-id` header; quote it when reporting a
    /// problem.
    request_id: String,
    /// "<instance> on <host> at <UTC time>".
    request_info: Option<String>,
    /// Whom to tell about a wrong answer.
    report_to: &'static str,
    /// The software answering the LAPIS API and its version (Virion's).
    lapis_version: &'static str,
    /// Virion is both the API and the engine behind it, so this names Virion's query engine.
    silo_version: &'static str,
}

/// A LAPIS error answer: an RFC 7807 problem under `error`, with the answer's `info`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct LapisProblem {
    /// What went wrong.
    error: LapisError,
    /// Where and when the request was answered.
    info: LapisInfo,
}

/// The RFC 7807 problem of a LAPIS error answer.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct LapisError {
    /// Always `about:blank`: `title` is the HTTP status's reason phrase.
    #[serde(rename = "type")]
    kind: &'static str,
    /// The HTTP status's reason phrase, e.g. `Bad Request`.
    title: &'static str,
    /// The HTTP status code, repeated from the response.
    status: u16,
    /// What was wrong with the request, in a sentence.
    detail: String,
    /// The request id.
    instance: String,
}

impl Info {
    pub(crate) fn typed(&self) -> LapisInfo {
        LapisInfo {
            data_version: self.data_version.map(|v| v.to_string()),
            request_id: self.request_id.clone(),
            request_info: self.request_info.clone(),
            report_to: "the operators of this Virion node",
            lapis_version: concat!("virion ", env!("CARGO_PKG_VERSION")),
            silo_version: concat!("virion-query ", env!("CARGO_PKG_VERSION")),
        }
    }

    pub(crate) fn json(&self) -> JsonValue {
        let mut info = serde_json::to_value(self.typed()).expect("info serialises");
        if let (Some(federation), Some(map)) = (&self.federation, info.as_object_mut()) {
            map.insert("federation".into(), federation.clone());
        }
        info
    }
}

/// LAPIS's `requestInfo`: the instance, the host the request was sent to (without port) and
/// the UTC time as Java's `LocalDateTime` prints it (seconds and fraction only when non-zero).
pub(crate) fn request_info(instance: &str, headers: &axum::http::HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(|h| h.parse::<axum::http::uri::Authority>().map_or(h.to_owned(), |a| a.host().to_owned()))
        .unwrap_or_else(|| "localhost".to_owned());
    let now = chrono::Utc::now().naive_utc();
    let time = if chrono::Timelike::second(&now) == 0 && chrono::Timelike::nanosecond(&now) == 0 {
        now.format("%Y-%m-%dT%H:%M")
    } else {
        now.format("%Y-%m-%dT%H:%M:%S%.f")
    };
    format!("{instance} on {host} at {time}")
}

/// An RFC 7807 problem in LAPIS's envelope.
pub(crate) fn problem(status: StatusCode, detail: impl Into<String>, info: &Info) -> Response {
    let body = LapisProblem {
        error: LapisError {
            kind: "about:blank",
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail: detail.into(),
            instance: info.request_id.clone(),
        },
        info: info.typed(),
    };
    let mut r = (status, axum::Json(body)).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
    with_version(r, info.data_version)
}

/// The one mapping of a collection's refusal to a LAPIS answer: the collection is missing
/// (404), not ready yet (503 with `Retry-After`), or the question was refused.
pub(crate) fn collection_problem(e: &CollectionError, info: &Info) -> Response {
    let status = collection_status(e);
    let mut r = problem(status, e.to_string(), info);
    if status == StatusCode::SERVICE_UNAVAILABLE {
        r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    }
    r
}

/// The HTTP status of a collection's refusal (the LAPIS routes and the portal's pages alike).
pub(crate) fn collection_status(e: &CollectionError) -> StatusCode {
    match e {
        CollectionError::NoDefault { .. } | CollectionError::Unknown { .. } => StatusCode::NOT_FOUND,
        CollectionError::Building { .. } | CollectionError::Query(QueryError::OverBudget { .. }) => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        CollectionError::Query(_) => StatusCode::BAD_REQUEST,
        CollectionError::MemberView(_) | CollectionError::Failed(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
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

/// A cell as LAPIS writes it in CSV and TSV: numbers as Java prints a double (`1.0`, `0.5`,
/// `1.0E-4`), everything else as its text.
fn csv_text(c: &Cell) -> String {
    match c {
        Cell::Float(f) => java_double(*f),
        other => other.text(),
    }
}

/// Java's `Double.toString`: the shortest digits that read back, in plain notation from 10⁻³ up
/// to 10⁷ (always with a fractional part), else as `d.dddE±n`.
pub(crate) fn java_double(f: f64) -> String {
    if !f.is_finite() {
        return if f.is_nan() {
            "NaN".into()
        } else if f > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    let magnitude = f.abs();
    if f == 0.0 || (1e-3..1e7).contains(&magnitude) {
        let plain = f.to_string();
        return if plain.contains('.') { plain } else { format!("{plain}.0") };
    }
    let sci = format!("{f:e}");
    let (mantissa, exponent) = sci.split_once('e').expect("{:e} writes an exponent");
    let mantissa = if mantissa.contains('.') { mantissa.to_owned() } else { format!("{mantissa}.0") };
    format!("{mantissa}E{exponent}")
}

/// A cell as commons-csv's default format (minimal quoting) writes it, which is what LAPIS's
/// CSV and TSV writer uses: a null is empty and never quoted; a value is quoted when it is an
/// empty first cell of a line, starts with a character up to `#`, holds the separator, a quote
/// or a line break, or ends with a character up to a space.
fn quoted(text: Option<&str>, sep: char, first: bool) -> String {
    let Some(text) = text else { return String::new() };
    let quote = match (text.chars().next(), text.chars().last()) {
        (None, _) => first,
        (Some(c), Some(last)) => c <= '#' || text.contains([sep, '"', '\n', '\r']) || last <= ' ',
        (Some(_), None) => unreachable!("a non-empty text has a last character"),
    };
    if quote { format!("\"{}\"", text.replace('"', "\"\"")) } else { text.to_owned() }
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
pub(crate) fn table_bytes(table: &Table, output: &Output, info: &Info) -> Vec<u8> {
    let format = output.format;
    match format {
        Format::Json | Format::Fasta | Format::Ndjson | Format::Newick => {
            let data: Vec<JsonValue> = table
                .rows
                .iter()
                .map(|r| {
                    let m: Map<String, JsonValue> =
                        table.columns.iter().zip(r).map(|(k, c)| (k.clone(), cell_json(c))).collect();
                    JsonValue::Object(m)
                })
                .collect();
            // A downloaded file is the bare array, as LAPIS writes it; an answer has its envelope.
            let body = if output.download.is_some() {
                JsonValue::Array(data)
            } else {
                json!({ "data": data, "info": info.json() })
            };
            serde_json::to_vec(&body).expect("serialising JSON")
        }
        Format::Csv { headers } | Format::Tsv { headers, .. } => {
            let (sep, escape) = match format {
                Format::Tsv { escaped: true, .. } => ('\t', true),
                Format::Tsv { .. } => ('\t', false),
                _ => (',', false),
            };
            let line = |cells: &mut dyn Iterator<Item = Option<String>>| {
                let cells: Vec<String> = cells
                    .enumerate()
                    .map(|(i, t)| match (escape, t) {
                        (true, t) => escaped(t.as_deref().unwrap_or("")),
                        (false, t) => quoted(t.as_deref(), sep, i == 0),
                    })
                    .collect();
                cells.join(&sep.to_string()) + "\n"
            };
            let mut out = String::new();
            if headers {
                out.push_str(&line(&mut table.columns.iter().map(|c| Some(c.clone()))));
            }
            for r in &table.rows {
                out.push_str(&line(&mut r.iter().map(|c| match c {
                    Cell::Null => None,
                    other => Some(csv_text(other)),
                })));
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
        _ => output.format.content_type(output.sequences),
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
        && let Ok(v) = HeaderValue::from_str(&content_disposition(name))
    {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    with_version(r, version)
}

/// What RFC 5987 leaves unencoded in an extended parameter value (`attr-char`).
const ATTR_CHAR: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// `Content-Disposition` of a download as LAPIS writes it: the plain `filename` keeps the
/// printable ASCII characters but `;`, `"` and `\`, unquoted; `filename*` holds the whole name,
/// percent-encoded UTF-8.
pub(crate) fn content_disposition(name: &str) -> String {
    let ascii: String =
        name.chars().filter(|c| (' '..='~').contains(c) && !matches!(c, ';' | '"' | '\\')).collect();
    let encoded = percent_encoding::utf8_percent_encode(name, ATTR_CHAR);
    format!("attachment; filename={ascii}; filename*=UTF-8''{encoded}")
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
        let out = |format| Output { format, sequences: false, compression: None, download: None };
        let csv = String::from_utf8(table_bytes(&table, &out(Format::Csv { headers: true }), &info)).unwrap();
        assert_eq!(csv, "name,count\n\"a,\"\"b\"\"\tc\nd\",3\n,0.5\n");
        // commons-csv's minimal quoting: an empty first cell, a first character up to `#`, a
        // last one up to a space; a null is never quoted.
        let edge = Table {
            columns: vec!["a".into(), "b".into()],
            rows: vec![
                vec![Cell::Str(String::new()), Cell::Str(String::new())],
                vec![Cell::Str("#1".into()), Cell::Str("x ".into())],
                vec![Cell::Str("!a".into()), Cell::Str("-1".into())],
                vec![Cell::Null, Cell::Null],
            ],
        };
        let csv = String::from_utf8(table_bytes(&edge, &out(Format::Csv { headers: false }), &info)).unwrap();
        assert_eq!(csv, "\"\",\n\"#1\",\"x \"\n\"!a\",-1\n,\n");
        let tsv = String::from_utf8(table_bytes(
            &table,
            &out(Format::Tsv { headers: false, escaped: true }),
            &info,
        ))
        .unwrap();
        assert_eq!(tsv, "a,\"b\"\\tc\\nd\t3\n\t0.5\n");
        let tsv = String::from_utf8(table_bytes(
            &table,
            &out(Format::Tsv { headers: true, escaped: false }),
            &info,
        ))
        .unwrap();
        assert!(tsv.starts_with("name\tcount\n\"a,\"\"b\"\"\tc\nd\"\t3\n"), "{tsv}");
        let json: JsonValue =
            serde_json::from_slice(&table_bytes(&table, &out(Format::Json), &info)).unwrap();
        assert_eq!(json["data"][1], json!({ "name": null, "count": 0.5 }));
        // A downloaded JSON file is the bare array.
        let file = Output { download: Some("details.json".into()), ..out(Format::Json) };
        let json: JsonValue = serde_json::from_slice(&table_bytes(&table, &file, &info)).unwrap();
        assert_eq!(json[1], json!({ "name": null, "count": 0.5 }));
    }

    #[test]
    fn numbers_as_java_writes_them() {
        for (f, text) in [
            (1.0, "1.0"),
            (0.5, "0.5"),
            (0.0, "0.0"),
            (1e-4, "1.0E-4"),
            (0.001, "0.001"),
            (1.0 / 3.0, "0.3333333333333333"),
            (12_345_678.0, "1.2345678E7"),
            (-2.5e-5, "-2.5E-5"),
        ] {
            assert_eq!(java_double(f), text);
        }
    }

    #[test]
    fn content_disposition_as_lapis_writes_it() {
        assert_eq!(
            content_disposition("aggregated.json"),
            "attachment; filename=aggregated.json; filename*=UTF-8''aggregated.json"
        );
        assert_eq!(
            content_disposition("données.json"),
            "attachment; filename=donnes.json; filename*=UTF-8''donn%C3%A9es.json"
        );
        assert_eq!(
            content_disposition("my file;x.csv"),
            "attachment; filename=my filex.csv; filename*=UTF-8''my%20file%3Bx.csv"
        );
    }
}
