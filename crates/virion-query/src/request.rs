//! A LAPIS request once decoded from GET, POST JSON or a form: the sequence filters and the
//! special properties (LAPIS's `SpecialProperties`), each checked as it is read.

use serde::{Deserialize, Serialize};
use serde_json::Value as JsonValue;

use crate::error::QueryError;

/// Largest `limit` accepted: larger pages are refused rather than built (a client pages on).
pub const MAX_LIMIT: usize = 100_000_000;

/// How result rows are ordered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrderBy {
    /// By these fields, each ascending (`false`) or descending (`true`).
    Fields(Vec<(String, bool)>),
    /// A pseudo-random order fixed by the seed (and the data version), the same for every
    /// endpoint, so metadata and sequences of one random sample can be fetched separately.
    Random(Option<u64>),
}

/// The compression a response should use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Compression {
    /// gzip (`compression=gzip`).
    Gzip,
    /// Zstandard (`compression=zstd`).
    Zstd,
}

/// One parameter's values as decoded; `None` is a JSON `null` (for a filter: the field is null).
pub type Values = Vec<Option<String>>;

/// Filters plus the special properties LAPIS defines. It (de)serialises as is: federated nodes
/// pass requests to each other in this form, never as query strings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LapisRequest {
    /// Sequence filters: field (with operator suffix) → values (several values: any of them;
    /// `None`: the field is null).
    pub filters: Vec<(String, Values)>,
    /// `fields`: the metadata fields (or sequence positions) to group by or return; empty: all, for
    /// details.
    pub fields: Vec<String>,
    /// `orderBy`: how rows are ordered.
    pub order_by: OrderBy,
    /// `limit`: at most this many rows; `None`: all.
    pub limit: Option<usize>,
    /// `offset`: rows to skip first.
    pub offset: usize,
    /// `dataFormat` (`json`, `csv`, `tsv`, ...), as given; `None`: the endpoint's default.
    pub data_format: Option<String>,
    /// `minProportion` of the mutation endpoints; `None`: LAPIS's default.
    pub min_proportion: Option<f64>,
    /// `advancedQuery`, as written.
    pub advanced: Option<String>,
    /// `variantQuery`, as written.
    pub variant_query: Option<String>,
    /// `compression` of the response, if asked for.
    pub compression: Option<Compression>,
    /// `downloadAsFile`: answer as an attachment.
    pub download_as_file: bool,
    /// `downloadFileBasename`: the attachment's name without extension.
    pub download_basename: Option<String>,
    /// Segments (`segments`) or genes (`genes`) a sequence endpoint returns.
    pub segments: Vec<String>,
    /// Genes (`genes`) an amino-acid sequence endpoint returns; empty: all.
    pub genes: Vec<String>,
    /// `fastaHeaderTemplate`: how FASTA headers are written (`{accessionVersion}`-style fields).
    pub fasta_header_template: Option<String>,
    /// `phyloTreeField` (mostRecentCommonAncestor, phyloSubtree): the column whose values name
    /// the tree's nodes.
    pub phylo_tree_field: Option<String>,
    /// `printNodesNotInTree` (mostRecentCommonAncestor): list the values not in the tree.
    pub print_nodes_not_in_tree: bool,
}

impl Default for LapisRequest {
    fn default() -> Self {
        LapisRequest {
            filters: Vec::new(),
            fields: Vec::new(),
            order_by: OrderBy::Fields(Vec::new()),
            limit: None,
            offset: 0,
            data_format: None,
            min_proportion: None,
            advanced: None,
            variant_query: None,
            compression: None,
            download_as_file: false,
            download_basename: None,
            segments: Vec::new(),
            genes: Vec::new(),
            fasta_header_template: None,
            phylo_tree_field: None,
            print_nodes_not_in_tree: false,
        }
    }
}

/// The special properties LAPIS defines; every other parameter is a sequence filter.
const SPECIAL_PROPERTIES: [&str; 16] = [
    "fields",
    "orderBy",
    "limit",
    "offset",
    "dataFormat",
    "minProportion",
    "advancedQuery",
    "variantQuery",
    "compression",
    "downloadAsFile",
    "downloadFileBasename",
    "segments",
    "genes",
    "fastaHeaderTemplate",
    "phyloTreeField",
    "printNodesNotInTree",
];

fn is_filter(key: &str) -> bool {
    !LapisRequest::is_special_property(key)
}

fn parse_random(text: &str) -> Option<OrderBy> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("random") {
        return Some(OrderBy::Random(None));
    }
    let inner = t.strip_prefix("random(")?.strip_suffix(')')?;
    inner.trim().parse::<u64>().ok().map(|seed| OrderBy::Random(Some(seed)))
}

impl LapisRequest {
    /// Whether a parameter is one of LAPIS's special properties (`fields`, `limit`, …) rather
    /// than a sequence filter.
    pub fn is_special_property(key: &str) -> bool {
        SPECIAL_PROPERTIES.contains(&key)
    }

    /// Splits decoded parameters into special properties and filters.
    /// A JSON `null` among a special property's values is no value.
    pub fn from_pairs(pairs: Vec<(String, Values)>) -> Result<LapisRequest, QueryError> {
        let mut req = LapisRequest::default();
        let mut fields_order: Vec<(String, bool)> = Vec::new();
        let mut random: Option<OrderBy> = None;
        for (key, given) in pairs {
            if is_filter(&key) {
                req.filters.push((key, given));
                continue;
            }
            let values: Vec<String> = given.into_iter().flatten().collect();
            let one = values.first().cloned().unwrap_or_default();
            let bad = |reason: &str| QueryError::BadValue {
                parameter: key.clone(),
                value: values.join(","),
                reason: reason.to_owned(),
            };
            let single = || -> Result<String, QueryError> {
                if values.len() > 1 { Err(bad("takes one value")) } else { Ok(one.clone()) }
            };
            let boolean = |v: &str| match v.to_ascii_lowercase().as_str() {
                "true" => Ok(true),
                "false" | "" => Ok(false),
                _ => Err(bad("expected true or false")),
            };
            match key.as_str() {
                "fields" => req.fields.extend(values.iter().filter(|v| !v.is_empty()).cloned()),
                "orderBy" => {
                    for v in values.iter().filter(|v| !v.is_empty()) {
                        if let Some(r) = parse_random(v) {
                            random = Some(r);
                            continue;
                        }
                        match serde_json::from_str::<JsonValue>(v) {
                            // `{"field": f, "type": "descending"}`, or `{"random": true | seed}`.
                            Ok(JsonValue::Object(o)) => {
                                if let Some(r) = o.get("random") {
                                    random = Some(match r {
                                        JsonValue::Bool(true) => OrderBy::Random(None),
                                        JsonValue::Number(n) if n.as_u64().is_some() => {
                                            OrderBy::Random(n.as_u64())
                                        }
                                        _ => return Err(bad("random must be true or an integer seed")),
                                    });
                                    continue;
                                }
                                let field = o
                                    .get("field")
                                    .and_then(JsonValue::as_str)
                                    .ok_or_else(|| bad("orderBy objects need a field"))?;
                                if let Some(r) = parse_random(field) {
                                    random = Some(r);
                                    continue;
                                }
                                let descending = match o.get("type").and_then(JsonValue::as_str) {
                                    None | Some("ascending") => false,
                                    Some("descending") => true,
                                    Some(_) => return Err(bad("type must be ascending or descending")),
                                };
                                fields_order.push((field.to_owned(), descending));
                            }
                            _ if v.trim().starts_with("random") => {
                                return Err(bad("random ordering is random or random(<integer seed>)"));
                            }
                            _ => fields_order.push((v.clone(), false)),
                        }
                    }
                }
                "limit" => {
                    let n: usize = single()?.parse().map_err(|_| bad("not a count"))?;
                    if n > MAX_LIMIT {
                        return Err(bad(&format!("at most {MAX_LIMIT}")));
                    }
                    req.limit = Some(n);
                }
                "offset" => req.offset = single()?.parse().map_err(|_| bad("not a count"))?,
                "dataFormat" => req.data_format = Some(single()?.to_ascii_uppercase()),
                "minProportion" => {
                    let p: f64 = single()?.parse().map_err(|_| bad("not a number"))?;
                    if !(0.0..=1.0).contains(&p) {
                        return Err(bad("must lie in [0, 1]"));
                    }
                    req.min_proportion = Some(p);
                }
                "advancedQuery" => req.advanced = Some(single()?),
                "variantQuery" => req.variant_query = Some(single()?),
                "compression" => {
                    req.compression = match single()?.to_ascii_lowercase().as_str() {
                        "" => None,
                        "gzip" => Some(Compression::Gzip),
                        "zstd" => Some(Compression::Zstd),
                        _ => return Err(bad("expected gzip or zstd")),
                    }
                }
                "downloadAsFile" => req.download_as_file = boolean(&single()?)?,
                "downloadFileBasename" => req.download_basename = Some(single()?).filter(|s| !s.is_empty()),
                "segments" => req.segments.extend(values.iter().filter(|v| !v.is_empty()).cloned()),
                "genes" => req.genes.extend(values.iter().filter(|v| !v.is_empty()).cloned()),
                "fastaHeaderTemplate" => req.fasta_header_template = Some(single()?),
                "phyloTreeField" => req.phylo_tree_field = Some(single()?).filter(|s| !s.is_empty()),
                "printNodesNotInTree" => {
                    req.print_nodes_not_in_tree = match single()?.to_ascii_lowercase().as_str() {
                        "true" => true,
                        "false" | "" => false,
                        other => {
                            return Err(bad(&format!(
                                "printNodesNotInTree must be a boolean, but was {other:?}"
                            )));
                        }
                    }
                }
                _ => unreachable!("every other key is a filter"),
            }
        }
        // LAPIS: with random ordering any other orderBy field is ignored.
        req.order_by = random.unwrap_or(OrderBy::Fields(fields_order));
        if req.variant_query.is_some()
            && let Some((k, _)) = req.filters.iter().find(|(k, v)| {
                !v.is_empty()
                    && matches!(
                        k.as_str(),
                        "nucleotideMutations"
                            | "aminoAcidMutations"
                            | "nucleotideInsertions"
                            | "aminoAcidInsertions"
                    )
            })
        {
            return Err(QueryError::BadValue {
                parameter: "variantQuery".into(),
                value: req.variant_query.clone().unwrap_or_default(),
                reason: format!("cannot be combined with {k}; put everything in the variantQuery"),
            });
        }
        Ok(req)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(pairs: &[(&str, &str)]) -> Result<LapisRequest, QueryError> {
        LapisRequest::from_pairs(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.split(',').map(|v| Some(v.to_owned())).collect()))
                .collect(),
        )
    }

    #[test]
    fn order_by_forms() {
        assert_eq!(req(&[("orderBy", "random(42)")]).unwrap().order_by, OrderBy::Random(Some(42)));
        assert_eq!(req(&[("orderBy", "country,random")]).unwrap().order_by, OrderBy::Random(None));
        let r = LapisRequest::from_pairs(vec![(
            "orderBy".into(),
            vec![Some("date".into()), Some(r#"{"field":"count","type":"descending"}"#.into())],
        )])
        .unwrap();
        assert_eq!(r.order_by, OrderBy::Fields(vec![("date".into(), false), ("count".into(), true)]));
        let r =
            LapisRequest::from_pairs(vec![("orderBy".into(), vec![Some(r#"{"random":7}"#.into())])]).unwrap();
        assert_eq!(r.order_by, OrderBy::Random(Some(7)));
        assert!(req(&[("orderBy", "random(x)")]).is_err());
    }

    #[test]
    fn special_properties_are_checked() {
        assert!(req(&[("limit", "-1")]).is_err());
        assert!(req(&[("limit", "1000000000000")]).is_err());
        assert!(req(&[("minProportion", "1.5")]).is_err());
        assert!(req(&[("compression", "brotli")]).is_err());
        let r = req(&[("compression", "ZSTD"), ("downloadAsFile", "true"), ("dataFormat", "tsv")]).unwrap();
        assert_eq!(
            (r.compression, r.download_as_file, r.data_format.as_deref()),
            (Some(Compression::Zstd), true, Some("TSV"))
        );
        let err = req(&[("variantQuery", "S:484K"), ("nucleotideMutations", "C241T")]).unwrap_err();
        assert!(err.to_string().contains("nucleotideMutations"), "{err}");
    }
}
