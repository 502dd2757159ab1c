//! Reading a LAPIS request: parameters from the query string (lists comma-separated or
//! repeated), a JSON body or a form body; the output format from `dataFormat` or `Accept`; the
//! compression from `compression` or `Accept-Encoding`, as LAPIS decides them.

use axum::http::{HeaderMap, header};
use serde_json::{Map, Value as JsonValue};
use virion_query::{Compression, LapisRequest, Values};

/// Parameters whose values may hold commas and are never split (`[2-of: a, b]`, regexes).
fn keeps_commas(key: &str) -> bool {
    matches!(key, "advancedQuery" | "variantQuery" | "fastaHeaderTemplate" | "downloadFileBasename")
        || key.ends_with(".regex")
}

/// Body of a POST.
pub(crate) enum Body {
    None,
    Json(JsonValue),
    Form(Vec<(String, String)>),
}

/// Decodes the body by its content type.
pub(crate) fn body(headers: &HeaderMap, bytes: &[u8]) -> Result<Body, String> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Body::None);
    }
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if ct.starts_with("application/x-www-form-urlencoded") {
        return serde_urlencoded::from_bytes::<Vec<(String, String)>>(bytes)
            .map(Body::Form)
            .map_err(|e| format!("the form body cannot be read: {e}"));
    }
    serde_json::from_slice(bytes).map(Body::Json).map_err(|e| format!("the request body is not JSON: {e}"))
}

/// A JSON value as a parameter value (`null`: `None`).
fn json_value(v: &JsonValue) -> Result<Option<String>, String> {
    Ok(Some(match v {
        JsonValue::Null => return Ok(None),
        JsonValue::String(s) => s.clone(),
        JsonValue::Number(n) => n.to_string(),
        JsonValue::Bool(b) => b.to_string(),
        JsonValue::Object(_) => v.to_string(),
        JsonValue::Array(_) => return Err(format!("unsupported value {v}")),
    }))
}

/// Decoded query-string parameters as (name, values), as a GET means them: a list is
/// comma-separated (except in the parameters that keep commas) or the parameter repeated.
pub(crate) fn query_pairs(raw: Vec<(String, String)>) -> Vec<(String, Values)> {
    let mut out: Vec<(String, Values)> = Vec::new();
    for (k, v) in raw {
        let values: Values = if keeps_commas(&k) || (v.is_empty() && is_metadata_filter(&k)) {
            // `country=` asks for the empty string, as LAPIS reads it.
            vec![Some(v)]
        } else {
            v.split(',').map(|s| s.trim()).filter(|s| !s.is_empty()).map(|s| Some(s.to_owned())).collect()
        };
        match out.iter_mut().find(|(key, _)| *key == k) {
            Some((_, vs)) => vs.extend(values),
            None => out.push((k, values)),
        }
    }
    out
}

/// Whether a parameter is a metadata filter (not a special property, not a mutation or
/// insertion list), where an empty value is a value.
fn is_metadata_filter(key: &str) -> bool {
    !matches!(
        key,
        "nucleotideMutations" | "aminoAcidMutations" | "nucleotideInsertions" | "aminoAcidInsertions"
    ) && !LapisRequest::is_special_property(key)
}

/// Every parameter of a request as (name, values), query string first; a JSON `null` is a
/// `None` value.
pub(crate) fn pairs(query: Option<&str>, body: &Body) -> Result<Vec<(String, Values)>, String> {
    let mut out: Vec<(String, Values)> = Vec::new();
    let mut push = |k: String, values: Values| match out.iter_mut().find(|(key, _)| *key == k) {
        Some((_, v)) => v.extend(values),
        None => out.push((k, values)),
    };
    if let Some(q) = query {
        let raw: Vec<(String, String)> =
            serde_urlencoded::from_str(q).map_err(|e| format!("the query string cannot be read: {e}"))?;
        for (k, values) in query_pairs(raw) {
            push(k, values);
        }
    }
    match body {
        Body::None => {}
        Body::Form(raw) => {
            for (k, v) in raw {
                push(k.clone(), vec![Some(v.clone())]);
            }
        }
        Body::Json(json) => {
            let object = json.as_object().ok_or("the request body must be a JSON object")?;
            for (k, v) in object {
                let values = match v {
                    JsonValue::Array(items) => items.iter().map(json_value).collect::<Result<Values, _>>()?,
                    other => vec![json_value(other)?],
                };
                push(k.clone(), values);
            }
        }
    }
    Ok(out)
}

/// Reads a request; `Err` is the text of a 400.
pub(crate) fn request(query: Option<&str>, body: &Body) -> Result<LapisRequest, String> {
    LapisRequest::from_pairs(pairs(query, body)?).map_err(|e| e.to_string())
}

/// The formats of answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Json,
    Csv { headers: bool },
    Tsv { headers: bool, escaped: bool },
    Fasta,
    Ndjson,
    Newick,
}

impl Format {
    pub(crate) fn extension(self) -> &'static str {
        match self {
            Format::Json => ".json",
            Format::Csv { .. } => ".csv",
            Format::Tsv { .. } => ".tsv",
            Format::Fasta => ".fasta",
            Format::Ndjson => ".ndjson",
            Format::Newick => ".nwk",
        }
    }

    /// The content type LAPIS labels this format with; a sequence answer's JSON and NDJSON
    /// carry a charset, a table's JSON does not, and a table without its header row is plain
    /// text.
    pub(crate) fn content_type(self, sequences: bool) -> &'static str {
        match self {
            Format::Json if sequences => "application/json;charset=UTF-8",
            Format::Json => "application/json",
            Format::Csv { headers: false } | Format::Tsv { headers: false, .. } => "text/plain",
            Format::Csv { .. } => "text/csv;charset=UTF-8",
            Format::Tsv { .. } => "text/tab-separated-values;charset=UTF-8",
            Format::Fasta => "text/x-fasta;charset=UTF-8",
            Format::Ndjson => "application/x-ndjson;charset=UTF-8",
            Format::Newick => "text/x-nh;charset=UTF-8",
        }
    }
}

/// How the answer is compressed: as a compressed file (`compression=`, its own content
/// type), or transparently (`Accept-Encoding`, `Content-Encoding`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Delivery {
    /// A compressed file (`compression=`), with the compression's own content type.
    File(Compression),
    /// The answer as asked, compressed in transit (`Content-Encoding`).
    Encoding(Compression),
}

/// Everything about the answer's form.
#[derive(Debug, Clone)]
pub(crate) struct Output {
    /// The answer's format: JSON, CSV, TSV, FASTA, NDJSON or Newick.
    pub format: Format,
    /// A sequence endpoint's answer (its JSON is a bare array with a charset).
    pub sequences: bool,
    /// How the answer is compressed; `None`: not at all.
    pub compression: Option<Delivery>,
    /// `Content-Disposition` file name, when `downloadAsFile`.
    pub download: Option<String>,
}

/// Decides the answer's form; `sequences` endpoints default to FASTA, tables to JSON.
/// `default_name` is the file name without ending (the route's name).
pub(crate) fn output(
    req: &LapisRequest,
    headers: &HeaderMap,
    sequences: bool,
    default_name: &str,
) -> Result<Output, String> {
    let format = match req.data_format.as_deref() {
        Some("JSON") => Format::Json,
        Some("CSV") if !sequences => Format::Csv { headers: true },
        Some("CSV-WITHOUT-HEADERS") if !sequences => Format::Csv { headers: false },
        Some("TSV") if !sequences => Format::Tsv { headers: true, escaped: false },
        Some("TSV-ESCAPED") if !sequences => Format::Tsv { headers: true, escaped: true },
        Some("FASTA") if sequences => Format::Fasta,
        Some("NDJSON") if sequences => Format::Ndjson,
        Some(other) => {
            let allowed = if sequences {
                "FASTA, JSON, NDJSON"
            } else {
                "JSON, CSV, CSV-WITHOUT-HEADERS, TSV, TSV-ESCAPED"
            };
            return Err(format!("dataFormat={other:?} is not one of {allowed} here"));
        }
        None => from_accept(headers, sequences),
    };
    Ok(delivered(req, headers, format, sequences, default_name))
}

/// The form of a tree answer (`phyloSubtree`): Newick, the only format LAPIS writes trees in.
pub(crate) fn tree_output(
    req: &LapisRequest,
    headers: &HeaderMap,
    default_name: &str,
) -> Result<Output, String> {
    match req.data_format.as_deref() {
        None | Some("NEWICK") => Ok(delivered(req, headers, Format::Newick, false, default_name)),
        Some(other) => Err(format!("dataFormat={other:?} is not one of NEWICK here")),
    }
}

/// The compression and download name of an answer in `format`.
fn delivered(
    req: &LapisRequest,
    headers: &HeaderMap,
    format: Format,
    sequences: bool,
    default_name: &str,
) -> Output {
    let accept_encoding = || -> Option<Compression> {
        let list: Vec<String> = headers
            .get_all(header::ACCEPT_ENCODING)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|s| s.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
            .collect();
        if list.iter().any(|e| e == "zstd") {
            Some(Compression::Zstd)
        } else if list.iter().any(|e| e == "gzip") {
            Some(Compression::Gzip)
        } else {
            None
        }
    };
    // As LAPIS: the property compresses into a file; the header only when not downloading
    // (browsers always accept gzip, so a download could never be plain otherwise).
    let compression = match req.compression {
        Some(c) => Some(Delivery::File(c)),
        None if !req.download_as_file => accept_encoding().map(Delivery::Encoding),
        None => None,
    };
    let download = req.download_as_file.then(|| {
        let base = req.download_basename.clone().unwrap_or_else(|| default_name.to_owned());
        let base: String = base.chars().filter(|c| !matches!(c, '"' | '\\' | '/' | '\r' | '\n')).collect();
        let ending = match compression {
            Some(Delivery::File(Compression::Gzip)) => ".gz",
            Some(Delivery::File(Compression::Zstd)) => ".zst",
            _ => "",
        };
        format!("{base}{}{ending}", format.extension())
    });
    Output { format, sequences, compression, download }
}

fn from_accept(headers: &HeaderMap, sequences: bool) -> Format {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    for item in accept.split(',') {
        let mut parts = item.split(';').map(str::trim);
        let media = parts.next().unwrap_or("").to_ascii_lowercase();
        let params: Map<String, JsonValue> = parts
            .filter_map(|p| p.split_once('='))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), JsonValue::String(v.trim().to_ascii_lowercase())))
            .collect();
        let flag = |k: &str, default: bool| {
            params.get(k).and_then(JsonValue::as_str).map_or(default, |v| v == "true")
        };
        match (media.as_str(), sequences) {
            ("text/csv", false) => return Format::Csv { headers: flag("headers", true) },
            ("text/tab-separated-values", false) => {
                return Format::Tsv { headers: flag("headers", true), escaped: flag("escaped", false) };
            }
            ("text/x-fasta", true) => return Format::Fasta,
            ("application/x-ndjson", true) => return Format::Ndjson,
            ("application/json", _) => return Format::Json,
            _ => {}
        }
    }
    if sequences { Format::Fasta } else { Format::Json }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn lists_split_except_where_commas_belong() {
        let p = pairs(
            Some("fields=country,date&advancedQuery=%5B2-of%3A%20A1T%2C%20C2G%5D&country=CH&country=DE"),
            &Body::None,
        )
        .unwrap();
        let some = |v: &[&str]| v.iter().map(|v| Some((*v).to_owned())).collect::<Values>();
        assert_eq!(p[0], ("fields".into(), some(&["country", "date"])));
        assert_eq!(p[1], ("advancedQuery".into(), some(&["[2-of: A1T, C2G]"])));
        assert_eq!(p[2], ("country".into(), some(&["CH", "DE"])));
    }

    #[test]
    fn empty_strings_and_nulls_are_values_of_filters() {
        // `country=` asks for the empty string; an empty list of mutations is no filter.
        let p = pairs(Some("country=&nucleotideMutations=&fields="), &Body::None).unwrap();
        assert_eq!(
            p,
            [
                ("country".into(), vec![Some(String::new())]),
                ("nucleotideMutations".into(), vec![]),
                ("fields".into(), vec![])
            ]
        );
        // JSON null is "is null", alone or among values.
        let body = Body::Json(serde_json::json!({ "country": null, "age": [30, null] }));
        let p = pairs(None, &body).unwrap();
        assert_eq!(p, [("country".into(), vec![None]), ("age".into(), vec![Some("30".into()), None])]);
    }

    #[test]
    fn formats_and_compression_as_lapis_decides() {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT, HeaderValue::from_static("text/csv;headers=false"));
        h.insert(header::ACCEPT_ENCODING, HeaderValue::from_static("gzip, deflate, br, zstd"));
        let req = LapisRequest::default();
        let o = output(&req, &h, false, "aggregated").unwrap();
        assert_eq!(o.format, Format::Csv { headers: false });
        assert_eq!(o.compression, Some(Delivery::Encoding(Compression::Zstd)));
        let req = LapisRequest { download_as_file: true, ..LapisRequest::default() };
        let o = output(&req, &h, false, "aggregated").unwrap();
        assert_eq!((o.compression, o.download.as_deref()), (None, Some("aggregated.csv")));
        let req = LapisRequest {
            download_as_file: true,
            compression: Some(Compression::Gzip),
            download_basename: Some("my\"file".into()),
            data_format: Some("NDJSON".into()),
            ..LapisRequest::default()
        };
        let o = output(&req, &HeaderMap::new(), true, "x").unwrap();
        assert_eq!((o.format, o.download.as_deref()), (Format::Ndjson, Some("myfile.ndjson.gz")));
        let bad = LapisRequest { data_format: Some("FASTA".into()), ..LapisRequest::default() };
        assert!(output(&bad, &HeaderMap::new(), false, "x").is_err());
    }
}
