//! A Beacon request (GET parameters or a POST body) read into typed parts, and their mapping
//! onto one dataset: filters become a [`LapisRequest`]'s filters, a sequence query a
//! [`VariantMatch`] on the rows of the mutation table. Beacon positions are 0-based, LAPIS's
//! 1-based: the one conversion is in [`VariantMatch::matches`] and [`VariantMatch::position`].

use serde::Deserialize;
use serde_json::Value;
use virion_query::LapisRequest;

use crate::{BeaconError, Granularity};

/// Records returned per result set when the asker names no limit.
pub const DEFAULT_LIMIT: usize = 10;
/// The most records returned per result set.
pub const MAX_LIMIT: usize = 1_000;

/// How a filter compares its field with its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    /// `=` (also `:` in a GET filter): equal (text), the same day (dates).
    Eq,
    /// `>=`: on or after (dates), at least (numbers).
    AtLeast,
    /// `<=`: on or before (dates), at most (numbers).
    AtMost,
}

impl Operator {
    /// The operator as Beacon writes it.
    pub fn text(self) -> &'static str {
        match self {
            Operator::Eq => "=",
            Operator::AtLeast => ">=",
            Operator::AtMost => "<=",
        }
    }
}

/// One Beacon filter on a metadata field (an alphanumeric filter).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    /// The field, as `filtering_terms` lists it.
    pub id: String,
    /// The comparison.
    pub operator: Operator,
    /// The value compared with.
    pub value: String,
}

impl Filter {
    /// Reads a GET filter: `field=value`, `field:value`, `field>=value` or `field<=value`.
    pub fn parse(text: &str) -> Result<Filter, BeaconError> {
        let bad = |reason: &str| BeaconError::BadValue {
            parameter: "filters".into(),
            value: text.to_owned(),
            reason: reason.into(),
        };
        for (token, operator) in
            [(">=", Operator::AtLeast), ("<=", Operator::AtMost), ("=", Operator::Eq), (":", Operator::Eq)]
        {
            if let Some((id, value)) = text.split_once(token) {
                if id.is_empty() || value.is_empty() {
                    return Err(bad("a filter is field=value, field>=value or field<=value"));
                }
                return Ok(Filter { id: id.trim().to_owned(), operator, value: value.trim().to_owned() });
            }
        }
        Err(bad("a filter is field=value, field>=value or field<=value (this node's terms are alphanumeric)"))
    }

    /// Reads a POST filter object: `{"id", "operator", "value"}` (alphanumeric), or `{"id"}` with
    /// `field:value` as the id (a custom term).
    fn from_json(value: &Value) -> Result<Filter, BeaconError> {
        let bad = |reason: &str| BeaconError::BadValue {
            parameter: "filters".into(),
            value: value.to_string(),
            reason: reason.into(),
        };
        let object = match value {
            Value::String(s) => return Filter::parse(s),
            Value::Object(o) => o,
            _ => return Err(bad("a filter is an object {id, operator, value} or a string")),
        };
        let id = object.get("id").and_then(Value::as_str).ok_or_else(|| bad("no id"))?;
        let Some(given) = object.get("value") else { return Filter::parse(id) };
        let value = match given {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => return Err(bad("value is a string or a number")),
        };
        let operator = match object.get("operator").and_then(Value::as_str).unwrap_or("=") {
            "=" => Operator::Eq,
            ">=" => Operator::AtLeast,
            "<=" => Operator::AtMost,
            _ => return Err(bad("operator is =, >= or <=")),
        };
        Ok(Filter { id: id.to_owned(), operator, value })
    }
}

/// Beacon's sequence query parameters (g_variants), 0-based as Beacon writes them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SequenceQuery {
    /// `referenceName`: the reference sequence (a segment's reference accession or name).
    pub reference_name: Option<String>,
    /// `start`: 0-based position.
    pub start: Option<u32>,
    /// `end`: 0-based, exclusive (a range query).
    pub end: Option<u32>,
    /// `referenceBases`.
    pub reference_bases: Option<String>,
    /// `alternateBases` (`N`: any, empty or `-`: deleted).
    pub alternate_bases: Option<String>,
}

impl SequenceQuery {
    /// Whether any sequence parameter was given.
    pub fn is_empty(&self) -> bool {
        *self == SequenceQuery::default()
    }
}

/// A Beacon request, read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BeaconRequest {
    /// `requestedGranularity`; `None`: as much as the asker may have.
    pub granularity: Option<Granularity>,
    /// Filters, all of which must hold.
    pub filters: Vec<Filter>,
    /// The sequence query (g_variants).
    pub sequence: SequenceQuery,
    /// Records skipped per result set.
    pub skip: usize,
    /// Records returned per result set.
    pub limit: usize,
}

/// A POST body (`query` is all this node reads of it).
#[derive(Debug, Deserialize)]
struct Body {
    #[serde(default)]
    query: Option<BodyQuery>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BodyQuery {
    #[serde(default)]
    request_parameters: serde_json::Map<String, Value>,
    #[serde(default)]
    filters: Vec<Value>,
    #[serde(default)]
    requested_granularity: Option<String>,
    #[serde(default)]
    pagination: Option<BodyPagination>,
}

#[derive(Debug, Deserialize)]
struct BodyPagination {
    #[serde(default)]
    skip: Option<usize>,
    #[serde(default)]
    limit: Option<usize>,
}

fn bad(parameter: &str, value: &str, reason: &str) -> BeaconError {
    BeaconError::BadValue { parameter: parameter.into(), value: value.into(), reason: reason.into() }
}

impl BeaconRequest {
    /// Reads GET parameters (repeated or comma-separated `filters`).
    pub fn from_pairs(pairs: &[(String, String)]) -> Result<BeaconRequest, BeaconError> {
        let mut req = BeaconRequest { limit: DEFAULT_LIMIT, ..BeaconRequest::default() };
        for (key, value) in pairs {
            match key.as_str() {
                "filters" => {
                    for f in value.split(',').filter(|f| !f.trim().is_empty()) {
                        req.filters.push(Filter::parse(f)?);
                    }
                }
                "requestedGranularity" => req.granularity = Some(granularity(value)?),
                "skip" => req.skip = number(key, value)?,
                "limit" => req.limit = limit(number(key, value)?)?,
                _ => req.sequence_parameter(key, value)?,
            }
        }
        Ok(req)
    }

    /// Reads a POST body (`{meta, query: {requestParameters, filters, requestedGranularity,
    /// pagination}}`); an empty body asks for everything.
    pub fn from_body(body: &[u8]) -> Result<BeaconRequest, BeaconError> {
        let mut req = BeaconRequest { limit: DEFAULT_LIMIT, ..BeaconRequest::default() };
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(req);
        }
        let text = || String::from_utf8_lossy(body);
        let value: Value = serde_json::from_slice(body).map_err(|e| bad("body", &text(), &e.to_string()))?;
        // serde would read a struct from an array too; a Beacon request is an object, and
        // so is its `query`.
        if !value.is_object() || value.get("query").is_some_and(|q| !q.is_object() && !q.is_null()) {
            return Err(bad("body", &text(), "a Beacon request is a JSON object whose query is an object"));
        }
        let body: Body = serde_json::from_value(value).map_err(|e| bad("body", &text(), &e.to_string()))?;
        let Some(query) = body.query else { return Ok(req) };
        for f in &query.filters {
            req.filters.push(Filter::from_json(f)?);
        }
        if let Some(g) = &query.requested_granularity {
            req.granularity = Some(granularity(g)?);
        }
        if let Some(p) = query.pagination {
            req.skip = p.skip.unwrap_or(0);
            req.limit = limit(p.limit.unwrap_or(DEFAULT_LIMIT))?;
        }
        for (key, value) in &query.request_parameters {
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                // Beacon allows `start: [n]` (and `[min, max]` for bracket queries).
                Value::Array(a) if a.len() == 1 => a[0].to_string(),
                other => return Err(bad(key, &other.to_string(), "a single string or number")),
            };
            req.sequence_parameter(key, &text)?;
        }
        Ok(req)
    }

    fn sequence_parameter(&mut self, key: &str, value: &str) -> Result<(), BeaconError> {
        let s = &mut self.sequence;
        match key {
            "referenceName" => s.reference_name = Some(value.to_owned()),
            "start" => s.start = Some(number(key, value)?),
            "end" => s.end = Some(number(key, value)?),
            "referenceBases" => s.reference_bases = Some(value.to_ascii_uppercase()),
            "alternateBases" => s.alternate_bases = Some(value.to_ascii_uppercase()),
            // Known Beacon parameters this node has nothing to apply to.
            "assemblyId" | "includeResultsetResponses" | "testMode" | "requestedSchema" => {}
            _ => return Err(bad(key, value, "not a Beacon parameter this node reads")),
        }
        Ok(())
    }
}

fn granularity(value: &str) -> Result<Granularity, BeaconError> {
    Granularity::parse(value).ok_or_else(|| bad("requestedGranularity", value, "boolean, count or record"))
}

fn number<T: std::str::FromStr>(key: &str, value: &str) -> Result<T, BeaconError> {
    value.trim().parse().map_err(|_| bad(key, value, "not a non-negative integer"))
}

fn limit(n: usize) -> Result<usize, BeaconError> {
    if n > MAX_LIMIT {
        return Err(bad("limit", &n.to_string(), &format!("at most {MAX_LIMIT}")));
    }
    // Beacon's `limit: 0` means no limit asked for.
    Ok(if n == 0 { DEFAULT_LIMIT } else { n })
}

/// The kind of a metadata field, as far as filters care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Text with few distinct values (indexed): a filtering term.
    Category,
    /// Text identifying genomes (not a filtering term).
    Text,
    /// A calendar date.
    Date,
    /// An integer or a float.
    Number,
    /// `true` or `false`.
    Boolean,
}

impl FieldKind {
    fn name(self) -> &'static str {
        match self {
            FieldKind::Category | FieldKind::Text => "text",
            FieldKind::Date => "date",
            FieldKind::Number => "number",
            FieldKind::Boolean => "boolean",
        }
    }
}

/// One metadata field of a dataset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// Its name (the LAPIS field).
    pub name: String,
    /// Its kind.
    pub kind: FieldKind,
}

/// A dataset (a collection this node serves) as Beacon sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetModel {
    /// The collection's name (the Beacon dataset id).
    pub id: String,
    /// The field whose value identifies a genome (the biosample id).
    pub primary_key: String,
    /// Its nucleotide segments: (segment name, reference name as Beacon's `referenceName`).
    pub segments: Vec<(String, String)>,
    /// Its metadata fields.
    pub fields: Vec<Field>,
    /// Its lineage field, if it has one.
    pub lineage: Option<String>,
}

/// Names a column may have for each sample attribute a biosample record shows.
const COUNTRY: [&str; 3] = ["country", "geoLocCountry", "geo_loc_country"];
const DATE: [&str; 4] = ["sampleCollectionDate", "collectionDate", "date", "collection_date"];
const HOST: [&str; 4] = ["host", "hostNameScientific", "hostNameCommon", "host_name"];

impl DatasetModel {
    fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name.eq_ignore_ascii_case(name))
    }

    fn first(&self, names: &[&str], kind: impl Fn(FieldKind) -> bool) -> Option<&str> {
        names.iter().find_map(|n| self.field(n).filter(|f| kind(f.kind)).map(|f| f.name.as_str()))
    }

    /// The country field, if any.
    pub fn country(&self) -> Option<&str> {
        self.first(&COUNTRY, |k| matches!(k, FieldKind::Category | FieldKind::Text))
    }

    /// The collection date field, if any.
    pub fn collection_date(&self) -> Option<&str> {
        self.first(&DATE, |k| k == FieldKind::Date)
    }

    /// The host field, if any.
    pub fn host(&self) -> Option<&str> {
        self.first(&HOST, |k| matches!(k, FieldKind::Category | FieldKind::Text))
    }

    /// The fields offered as filtering terms: categories and dates.
    pub fn filtering_fields(&self) -> impl Iterator<Item = &Field> {
        self.fields
            .iter()
            .filter(|f| matches!(f.kind, FieldKind::Category | FieldKind::Date | FieldKind::Number))
    }

    /// The fields a biosample record shows (always with the primary key first).
    pub fn biosample_fields(&self) -> Vec<String> {
        let mut fields = vec![self.primary_key.clone()];
        for f in [self.country(), self.collection_date(), self.host(), self.lineage.as_deref()]
            .into_iter()
            .flatten()
        {
            if !fields.iter().any(|g| g == f) {
                fields.push(f.to_owned());
            }
        }
        fields
    }

    /// The LAPIS request selecting this dataset's genomes that pass `filters`
    /// ([`BeaconError::UnknownField`]: this dataset lacks a field, so nothing in it matches).
    pub fn lapis_request(&self, filters: &[Filter]) -> Result<LapisRequest, BeaconError> {
        let mut req = LapisRequest::default();
        for f in filters {
            let field = self.field(&f.id).ok_or_else(|| BeaconError::UnknownField(f.id.clone()))?;
            let name = field.name.clone();
            let value = vec![Some(f.value.clone())];
            let bad_operator = || BeaconError::BadOperator {
                id: f.id.clone(),
                operator: f.operator.text().into(),
                kind: field.kind.name(),
            };
            match (field.kind, f.operator) {
                (FieldKind::Category | FieldKind::Text | FieldKind::Boolean, Operator::Eq) => {
                    req.filters.push((name, value));
                }
                (FieldKind::Category | FieldKind::Text | FieldKind::Boolean, _) => return Err(bad_operator()),
                // Ranges are LAPIS's `<field>From`/`<field>To`, both inclusive; equality is both.
                (FieldKind::Date | FieldKind::Number, op) => {
                    if op != Operator::AtMost {
                        req.filters.push((format!("{name}From"), value.clone()));
                    }
                    if op != Operator::AtLeast {
                        req.filters.push((format!("{name}To"), value));
                    }
                }
            }
        }
        Ok(req)
    }

    /// The LAPIS request selecting one genome by its id.
    pub fn sample_request(&self, id: &str) -> LapisRequest {
        LapisRequest {
            filters: vec![(self.primary_key.clone(), vec![Some(id.to_owned())])],
            ..LapisRequest::default()
        }
    }

    /// The segment `reference_name` names: its reference name or its own name.
    fn segment(&self, reference_name: &str) -> Option<&str> {
        self.segments
            .iter()
            .find(|(s, r)| r.eq_ignore_ascii_case(reference_name) || s.eq_ignore_ascii_case(reference_name))
            .map(|(s, _)| s.as_str())
    }

    /// The reference name of `segment` (Beacon's `referenceName`).
    pub fn reference_name(&self, segment: &str) -> String {
        self.segments
            .iter()
            .find(|(s, _)| s == segment)
            .map_or_else(|| segment.to_owned(), |(_, r)| r.clone())
    }

    /// What a sequence query selects in this dataset; `None`: no sequence query (every variant).
    pub fn variant_match(&self, q: &SequenceQuery) -> Result<Option<VariantMatch>, BeaconError> {
        if q.is_empty() {
            return Ok(None);
        }
        let unsupported = |what: &str| BeaconError::UnsupportedSequenceQuery(what.into());
        let segment = match &q.reference_name {
            Some(r) => self.segment(r).ok_or_else(|| BeaconError::OtherReference(r.clone()))?,
            None if self.segments.len() == 1 => self.segments[0].0.as_str(),
            None => return Err(unsupported("referenceName is needed: this dataset has several segments")),
        };
        let start = q.start.ok_or_else(|| unsupported("start is needed"))?;
        let letters = |s: &Option<String>| -> Result<Option<Vec<u8>>, BeaconError> {
            match s.as_deref() {
                None => Ok(None),
                Some(t) if t.bytes().all(|b| b"ACGTUNRYSWKMBDHV-".contains(&b)) => {
                    Ok(Some(t.bytes().collect()))
                }
                Some(t) => Err(bad("bases", t, "IUPAC nucleotide letters")),
            }
        };
        let reference = letters(&q.reference_bases)?;
        let alternate = letters(&q.alternate_bases)?;
        let end = match (q.end, &reference) {
            (Some(e), _) if e <= start => return Err(bad("end", &e.to_string(), "must be after start")),
            (Some(e), _) => e,
            (None, Some(r)) if !r.is_empty() => start + r.len() as u32,
            (None, _) => start + 1,
        };
        let changes = match (reference, alternate) {
            (_, None) => None,
            (Some(r), Some(a)) if a.is_empty() || a.iter().all(|&b| b == b'-') => {
                // A deletion of the reference bases, one site each.
                Some(
                    r.iter()
                        .enumerate()
                        .map(|(i, &from)| Change { at: start + i as u32, from: Some(from), to: Some(b'-') })
                        .collect(),
                )
            }
            (r, Some(a)) if a == b"N" && r.as_ref().is_none_or(|r| r.len() == 1) => {
                Some(vec![Change { at: start, from: r.map(|r| r[0]), to: None }])
            }
            (r, Some(a)) if r.as_ref().is_none_or(|r| r.len() == a.len()) => Some(
                a.iter()
                    .enumerate()
                    .map(|(i, &to)| Change {
                        at: start + i as u32,
                        from: r.as_ref().map(|r| r[i]),
                        to: Some(to),
                    })
                    .filter(|c| c.from != c.to)
                    .collect(),
            ),
            _ => return Err(unsupported("insertions and length-changing substitutions are not served")),
        };
        Ok(Some(VariantMatch { segment: segment.to_owned(), start, end, changes }))
    }
}

/// One changed site of a sequence query (0-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// 0-based reference position.
    pub at: u32,
    /// The reference letter, if given.
    pub from: Option<u8>,
    /// The new letter (`-`: deleted); `None`: any other than the reference's.
    pub to: Option<u8>,
}

/// What a sequence query selects among a dataset's mutations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariantMatch {
    /// The segment.
    pub segment: String,
    /// 0-based start.
    pub start: u32,
    /// 0-based exclusive end.
    pub end: u32,
    /// The changes asked for; `None`: any mutation in `[start, end)`.
    pub changes: Option<Vec<Change>>,
}

impl VariantMatch {
    /// The 1-based position LAPIS writes for a 0-based one.
    pub fn position(at: u32) -> u32 {
        at + 1
    }

    /// Whether a mutation (segment, 1-based position, letters) is one the query selects.
    pub fn matches(&self, segment: &str, position: u32, from: u8, to: u8) -> bool {
        if segment != self.segment || position == 0 {
            return false;
        }
        let at = position - 1;
        match &self.changes {
            None => (self.start..self.end).contains(&at),
            Some(changes) => changes
                .iter()
                .any(|c| c.at == at && c.from.is_none_or(|f| f == from) && c.to.is_none_or(|t| t == to)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn covid() -> DatasetModel {
        DatasetModel {
            id: "covid".into(),
            primary_key: "accession".into(),
            segments: vec![("main".into(), "MN908947.3".into())],
            fields: vec![
                Field { name: "accession".into(), kind: FieldKind::Text },
                Field { name: "country".into(), kind: FieldKind::Category },
                Field { name: "date".into(), kind: FieldKind::Date },
                Field { name: "pangoLineage".into(), kind: FieldKind::Category },
            ],
            lineage: Some("pangoLineage".into()),
        }
    }

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn filters_become_lapis_filters() {
        let req = BeaconRequest::from_pairs(&pairs(&[
            ("filters", "country=Switzerland,date>=2023-01-01"),
            ("filters", "pangoLineage:JN.1*"),
            ("requestedGranularity", "count"),
        ]))
        .unwrap();
        assert_eq!(req.granularity, Some(Granularity::Count));
        let lapis = covid().lapis_request(&req.filters).unwrap();
        assert_eq!(
            lapis.filters,
            vec![
                ("country".to_owned(), vec![Some("Switzerland".to_owned())]),
                ("dateFrom".to_owned(), vec![Some("2023-01-01".to_owned())]),
                ("pangoLineage".to_owned(), vec![Some("JN.1*".to_owned())]),
            ]
        );
        let same_day = covid().lapis_request(&[Filter::parse("date=2023-05-06").unwrap()]).unwrap();
        assert_eq!(
            same_day.filters.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
            ["dateFrom", "dateTo"]
        );
        assert_eq!(
            covid().lapis_request(&[Filter::parse("host=Homo sapiens").unwrap()]),
            Err(BeaconError::UnknownField("host".into()))
        );
        assert!(matches!(
            covid().lapis_request(&[Filter::parse("country>=A").unwrap()]),
            Err(BeaconError::BadOperator { .. })
        ));
        assert!(Filter::parse("country").is_err());
    }

    #[test]
    fn post_bodies_read_like_get_parameters() {
        let body = br#"{"meta": {"apiVersion": "v2.0"}, "query": {
            "requestParameters": {"referenceName": "MN908947.3", "start": [240], "referenceBases": "C", "alternateBases": "T"},
            "filters": [{"id": "country", "operator": "=", "value": "Peru"}, {"id": "pangoLineage:BA.2"}],
            "requestedGranularity": "record", "pagination": {"skip": 5, "limit": 20}}}"#;
        let req = BeaconRequest::from_body(body).unwrap();
        assert_eq!(req.granularity, Some(Granularity::Record));
        assert_eq!((req.skip, req.limit), (5, 20));
        assert_eq!(
            req.filters[1],
            Filter { id: "pangoLineage".into(), operator: Operator::Eq, value: "BA.2".into() }
        );
        assert_eq!(req.sequence.start, Some(240));
        assert!(BeaconRequest::from_body(b"").unwrap().filters.is_empty());
        assert!(BeaconRequest::from_body(br#"{"query": {"pagination": {"limit": 100000}}}"#).is_err());
    }

    #[test]
    fn sequence_queries_are_zero_based() {
        let q = BeaconRequest::from_pairs(&pairs(&[
            ("referenceName", "MN908947.3"),
            ("start", "240"),
            ("referenceBases", "C"),
            ("alternateBases", "T"),
        ]))
        .unwrap()
        .sequence;
        let m = covid().variant_match(&q).unwrap().unwrap();
        // Beacon's 0-based 240 is LAPIS's C241T.
        assert!(m.matches("main", 241, b'C', b'T'));
        assert!(!m.matches("main", 240, b'C', b'T'));
        assert!(!m.matches("main", 241, b'C', b'A'));
        assert_eq!(VariantMatch::position(240), 241);

        let any =
            SequenceQuery { start: Some(240), alternate_bases: Some("N".into()), ..SequenceQuery::default() };
        let m = covid().variant_match(&any).unwrap().unwrap();
        assert!(m.matches("main", 241, b'C', b'A') && m.matches("main", 241, b'C', b'-'));

        let deletion = SequenceQuery {
            reference_name: Some("main".into()),
            start: Some(10),
            reference_bases: Some("AT".into()),
            alternate_bases: Some("".into()),
            ..SequenceQuery::default()
        };
        let m = covid().variant_match(&deletion).unwrap().unwrap();
        assert!(m.matches("main", 11, b'A', b'-') && m.matches("main", 12, b'T', b'-'));
        assert!(!m.matches("main", 13, b'G', b'-'));

        let range = SequenceQuery { start: Some(100), end: Some(110), ..SequenceQuery::default() };
        let m = covid().variant_match(&range).unwrap().unwrap();
        assert!(m.matches("main", 101, b'A', b'G') && m.matches("main", 110, b'A', b'G'));
        assert!(!m.matches("main", 111, b'A', b'G') && !m.matches("main", 100, b'A', b'G'));

        let other = SequenceQuery {
            reference_name: Some("NC_045512".into()),
            start: Some(1),
            ..SequenceQuery::default()
        };
        assert_eq!(covid().variant_match(&other), Err(BeaconError::OtherReference("NC_045512".into())));
        assert_eq!(covid().variant_match(&SequenceQuery::default()), Ok(None));
        let insertion = SequenceQuery {
            start: Some(5),
            reference_bases: Some("A".into()),
            alternate_bases: Some("AT".into()),
            ..SequenceQuery::default()
        };
        assert!(matches!(covid().variant_match(&insertion), Err(BeaconError::UnsupportedSequenceQuery(_))));
    }

    #[test]
    fn biosample_fields_find_the_sample_attributes() {
        let ds = covid();
        assert_eq!(ds.country(), Some("country"));
        assert_eq!(ds.collection_date(), Some("date"));
        assert_eq!(ds.host(), None);
        assert_eq!(ds.biosample_fields(), ["accession", "country", "date", "pangoLineage"]);
        assert_eq!(
            ds.filtering_fields().map(|f| f.name.as_str()).collect::<Vec<_>>(),
            ["country", "date", "pangoLineage"]
        );
        assert_eq!(
            ds.sample_request("X1").filters,
            vec![("accession".to_owned(), vec![Some("X1".to_owned())])]
        );
    }
}
