//! A LAPIS request once decoded from GET, POST JSON or a form: the sequence filters and the
//! special properties, and the index it is answered on.

use serde_json::Value as JsonValue;
use virion_index::{Filter, Index, LineageIndex, RoaringBitmap};

use crate::error::QueryError;

/// Filters plus the special properties LAPIS defines.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LapisRequest {
    /// Sequence filters: field (with operator suffix) → values (several values: any of them).
    pub filters: Vec<(String, Vec<String>)>,
    pub fields: Vec<String>,
    /// (field, descending)
    pub order_by: Vec<(String, bool)>,
    pub limit: Option<usize>,
    pub offset: usize,
    pub data_format: Option<String>,
    pub min_proportion: Option<f64>,
    pub advanced: Option<String>,
}

impl LapisRequest {
    /// Splits decoded parameters into special properties and filters.
    pub fn from_pairs(pairs: Vec<(String, Vec<String>)>) -> Result<LapisRequest, QueryError> {
        let mut req = LapisRequest::default();
        for (key, values) in pairs {
            let one = values.first().cloned().unwrap_or_default();
            let bad = |reason: &str| QueryError::BadValue {
                parameter: key.clone(),
                value: one.clone(),
                reason: reason.to_owned(),
            };
            match key.as_str() {
                "fields" => req.fields.extend(values),
                "orderBy" => {
                    for v in values {
                        // `{"field": f, "type": "descending"}` arrives as its JSON text.
                        if let Ok(JsonValue::Object(o)) = serde_json::from_str::<JsonValue>(&v) {
                            let field = o
                                .get("field")
                                .and_then(JsonValue::as_str)
                                .ok_or_else(|| bad("orderBy objects need a field"))?;
                            let descending = o.get("type").and_then(JsonValue::as_str) == Some("descending");
                            req.order_by.push((field.to_owned(), descending));
                        } else {
                            req.order_by.push((v, false));
                        }
                    }
                }
                "limit" => req.limit = Some(one.parse().map_err(|_| bad("not a count"))?),
                "offset" => req.offset = one.parse().map_err(|_| bad("not a count"))?,
                "dataFormat" => req.data_format = Some(one),
                "minProportion" => req.min_proportion = Some(one.parse().map_err(|_| bad("not a number"))?),
                "advancedQuery" => req.advanced = Some(one),
                "downloadAsFile" | "downloadFileBasename" | "compression" => {}
                _ => req.filters.push((key, values)),
            }
        }
        Ok(req)
    }
}

/// An index as queries see it: its rows, which of them are visible (the newest release of
/// each entry), and the lineage index of its lineage column, if any.
#[derive(Debug, Clone)]
pub struct QueryIndex {
    pub index: Index,
    pub visible: RoaringBitmap,
    pub lineage: Option<(usize, LineageIndex)>,
}

impl QueryIndex {
    /// The visible rows a request selects: its filters (a lineage column through the
    /// lineage index) AND its advancedQuery.
    pub fn select(&self, req: &LapisRequest) -> Result<RoaringBitmap, QueryError> {
        let mut parts = Vec::new();
        let mut rest = Vec::new();
        for (k, v) in &req.filters {
            match &self.lineage {
                Some((column, lineage)) if k.eq_ignore_ascii_case(&self.index.columns[*column].name) => {
                    let mut codes = Vec::new();
                    for q in v {
                        codes.extend(lineage.matching(q).map_err(|e| QueryError::BadValue {
                            parameter: k.clone(),
                            value: q.clone(),
                            reason: e.to_string(),
                        })?);
                    }
                    parts.push(Filter::StringCodes { column: *column, codes });
                }
                _ => rest.push((k.clone(), v.clone())),
            }
        }
        parts.push(crate::sequence_filter(&self.index, &rest)?);
        if let Some(text) = &req.advanced {
            let expr = crate::parse_advanced(text)?;
            parts.push(crate::advanced_filter(&self.index, &expr)?);
        }
        Ok(self.index.evaluate(&Filter::And(parts)) & &self.visible)
    }
}
