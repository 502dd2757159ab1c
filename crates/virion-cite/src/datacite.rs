//! The DataCite Metadata Schema 4.6 record, as kernel-4 XML and as a REST API JSON:API body.
//!
//! Both are written from one [`Kernel`] so they cannot say different things.
//!
//! A DOI not yet minted: the XML schema makes `<identifier identifierType="DOI">` mandatory and
//! a placeholder DOI would be a lie that could leak into a real registration, so the XML simply
//! leaves `identifier` out until there is a DOI (the record is then a preview, not a valid
//! registration record) and always carries the landing page as `alternateIdentifier` type URL.
//! Minting goes through the REST API, which accepts `prefix` instead of `doi` and creates a
//! draft DOI with a generated suffix ([`Citation::datacite_json`]).
//!
//! The members are not listed as `HasPart` related identifiers: accession.versions are not
//! identifiers DataCite knows, and a thousand of them would swamp the record. The frozen member
//! list is reachable from the landing page and the downloads (`formats`).

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};
use serde_json::{Map, Value, json};

use crate::{Citation, CiteError, Name, is_doi_prefix};

/// The kernel-4 namespace.
pub const DATACITE_XMLNS: &str = "http://datacite.org/schema/kernel-4";
/// `xsi:schemaLocation`: the namespace and the 4.6 XSD.
pub const DATACITE_SCHEMA_LOCATION: &str =
    "http://datacite.org/schema/kernel-4 https://schema.datacite.org/meta/kernel-4.6/metadata.xsd";

const ORCID_SCHEME_URI: &str = "https://orcid.org/";
const TAXONOMY_SCHEME_URI: &str = "https://www.ncbi.nlm.nih.gov/taxonomy";
const SPDX_SCHEME_URI: &str = "https://spdx.org/licenses/";

/// What the REST API body asks DataCite to do with the DOI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DoiEvent {
    /// No `event`: the DOI is created or stays a draft (only the client sees it; deletable).
    #[default]
    Draft,
    /// `register`: resolvable, not in DataCite's search.
    Register,
    /// `publish`: findable. Permanent.
    Publish,
}

/// Options for [`Citation::datacite_json`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DoiRequest {
    /// The DOI prefix to mint under when the collection has no DOI yet (`10.5072`); DataCite
    /// then generates the suffix. Ignored when the collection already has a DOI.
    pub prefix: Option<String>,
    /// The state change asked for.
    pub event: DoiEvent,
}

struct Subject {
    text: String,
    /// (subjectScheme, schemeURI, valueURI) for controlled terms.
    scheme: Option<(&'static str, &'static str, String)>,
}

struct Rights {
    text: String,
    uri: String,
    spdx: Option<String>,
}

struct Related {
    id: String,
    id_type: &'static str,
    relation: &'static str,
}

/// Everything both serialisations say, in DataCite's terms.
struct Kernel {
    subjects: Vec<Subject>,
    dates: Vec<(&'static str, String)>,
    related: Vec<Related>,
    rights: Vec<Rights>,
    descriptions: Vec<(&'static str, String)>,
    formats: Vec<String>,
}

impl Citation {
    fn kernel(&self) -> Kernel {
        let c = &self.c;
        let mut subjects: Vec<Subject> =
            c.keywords.iter().map(|k| Subject { text: k.clone(), scheme: None }).collect();
        for o in &c.organisms {
            subjects.push(Subject {
                text: o.name.clone(),
                scheme: Some(("NCBI Taxonomy", TAXONOMY_SCHEME_URI, taxon_url(o.taxon_id))),
            });
        }
        let mut dates = vec![("Created", c.created.date_naive().to_string())];
        if let Some(updated) = c.updated {
            dates.push(("Updated", updated.date_naive().to_string()));
        }
        if let Some(range) = c.collection_dates {
            dates.push(("Collected", range.iso_interval()));
        }
        let mut related = Vec::new();
        if let Some(doi) = &self.previous_doi {
            related.push(Related { id: doi.clone(), id_type: "DOI", relation: "IsNewVersionOf" });
        } else if let Some(url) = self.previous_landing_url() {
            related.push(Related { id: url, id_type: "URL", relation: "IsNewVersionOf" });
        }
        let mut rights = Vec::new();
        let node = &c.node;
        if self.open_count > 0 {
            let l = &node.open_licence;
            rights.push(Rights { text: l.name.clone(), uri: l.url.clone(), spdx: l.spdx.clone() });
        }
        if let Some(until) = self.restricted_until {
            let l = &node.restricted_terms;
            rights.push(Rights {
                text: format!(
                    "{} (until at most {until}, for {} of the sequences)",
                    l.name, self.restricted_count
                ),
                uri: l.url.clone(),
                spdx: l.spdx.clone(),
            });
        }
        let descriptions = vec![
            ("Abstract", c.description.clone()),
            (
                "Other",
                format!(
                    "A frozen set of {} (accession.versions), version {} of collection {} on {}. {}",
                    self.size_text(),
                    c.version,
                    c.id,
                    node.name,
                    self.terms_text()
                ),
            ),
        ];
        let mut formats: Vec<String> = Vec::new();
        for d in &c.downloads {
            if !formats.contains(&d.media_type) {
                formats.push(d.media_type.clone());
            }
        }
        Kernel { subjects, dates, related, rights, descriptions, formats }
    }

    /// The DataCite kernel-4 (schema 4.6) XML record, UTF-8, indented.
    ///
    /// Properties come in the schema documentation's order (identifier, creators, titles,
    /// publisher, publicationYear, resourceType, then the optional ones); the XSD takes them in
    /// any order (`xs:all`) but within a creator the order is fixed and kept. All text and
    /// attribute values are escaped by the XML writer. Without a DOI `identifier` is left out
    /// (see the module documentation).
    pub fn datacite_xml(&self) -> String {
        let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
        // Writing to a Vec cannot fail, and every name written is a valid XML name.
        let _ = self.write_xml(&mut w);
        String::from_utf8(w.into_inner()).unwrap_or_default()
    }

    fn write_xml(&self, w: &mut Writer<Vec<u8>>) -> std::io::Result<()> {
        let c = &self.c;
        let k = self.kernel();
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        w.create_element("resource")
            .with_attribute(("xmlns", DATACITE_XMLNS))
            .with_attribute(("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"))
            .with_attribute(("xsi:schemaLocation", DATACITE_SCHEMA_LOCATION))
            .write_inner_content(|w| {
                if let Some(doi) = &self.doi {
                    w.create_element("identifier")
                        .with_attribute(("identifierType", "DOI"))
                        .write_text_content(BytesText::new(doi))?;
                }
                w.create_element("creators").write_inner_content(|w| {
                    for cr in &self.creators {
                        w.create_element("creator").write_inner_content(|w| {
                            w.create_element("creatorName")
                                .with_attribute(("nameType", "Personal"))
                                .write_text_content(BytesText::new(&cr.display()))?;
                            if let Name::Split { family, given } = &cr.name {
                                text_el(w, "givenName", given)?;
                                text_el(w, "familyName", family)?;
                            }
                            if let Some(orcid) = &cr.orcid {
                                w.create_element("nameIdentifier")
                                    .with_attribute(("nameIdentifierScheme", "ORCID"))
                                    .with_attribute(("schemeURI", ORCID_SCHEME_URI))
                                    .write_text_content(BytesText::new(orcid))?;
                            }
                            Ok(())
                        })?;
                    }
                    Ok(())
                })?;
                w.create_element("titles").write_inner_content(|w| text_el(w, "title", &c.title))?;
                let mut publisher = w.create_element("publisher");
                if let Some(ror) = &c.node.publisher_ror {
                    publisher = publisher
                        .with_attribute(("publisherIdentifier", ror.as_str()))
                        .with_attribute(("publisherIdentifierScheme", "ROR"))
                        .with_attribute(("schemeURI", "https://ror.org/"));
                }
                publisher.write_text_content(BytesText::new(&c.node.publisher))?;
                text_el(w, "publicationYear", &self.publication_year().to_string())?;
                w.create_element("resourceType")
                    .with_attribute(("resourceTypeGeneral", "Dataset"))
                    .write_text_content(BytesText::new(RESOURCE_TYPE))?;
                w.create_element("subjects").write_inner_content(|w| {
                    for s in &k.subjects {
                        let mut el = w.create_element("subject");
                        if let Some((scheme, scheme_uri, value_uri)) = &s.scheme {
                            el = el
                                .with_attribute(("subjectScheme", *scheme))
                                .with_attribute(("schemeURI", *scheme_uri))
                                .with_attribute(("valueURI", value_uri.as_str()));
                        }
                        el.write_text_content(BytesText::new(&s.text))?;
                    }
                    Ok(())
                })?;
                w.create_element("dates").write_inner_content(|w| {
                    for (kind, value) in &k.dates {
                        w.create_element("date")
                            .with_attribute(("dateType", *kind))
                            .write_text_content(BytesText::new(value))?;
                    }
                    Ok(())
                })?;
                w.create_element("alternateIdentifiers").write_inner_content(|w| {
                    w.create_element("alternateIdentifier")
                        .with_attribute(("alternateIdentifierType", "URL"))
                        .write_text_content(BytesText::new(&self.landing_url()))?;
                    Ok(())
                })?;
                if !k.related.is_empty() {
                    w.create_element("relatedIdentifiers").write_inner_content(|w| {
                        for r in &k.related {
                            w.create_element("relatedIdentifier")
                                .with_attribute(("relatedIdentifierType", r.id_type))
                                .with_attribute(("relationType", r.relation))
                                .with_attribute(("resourceTypeGeneral", "Dataset"))
                                .write_text_content(BytesText::new(&r.id))?;
                        }
                        Ok(())
                    })?;
                }
                w.create_element("sizes").write_inner_content(|w| text_el(w, "size", &self.size_text()))?;
                if !k.formats.is_empty() {
                    w.create_element("formats").write_inner_content(|w| {
                        for f in &k.formats {
                            text_el(w, "format", f)?;
                        }
                        Ok(())
                    })?;
                }
                text_el(w, "version", &c.version.to_string())?;
                w.create_element("rightsList").write_inner_content(|w| {
                    for r in &k.rights {
                        let mut el = w.create_element("rights").with_attribute(("rightsURI", r.uri.as_str()));
                        if let Some(spdx) = &r.spdx {
                            el = el
                                .with_attribute(("rightsIdentifier", spdx.as_str()))
                                .with_attribute(("rightsIdentifierScheme", "SPDX"))
                                .with_attribute(("schemeURI", SPDX_SCHEME_URI));
                        }
                        el.write_text_content(BytesText::new(&r.text))?;
                    }
                    Ok(())
                })?;
                w.create_element("descriptions").write_inner_content(|w| {
                    for (kind, text) in &k.descriptions {
                        w.create_element("description")
                            .with_attribute(("descriptionType", *kind))
                            .write_text_content(BytesText::new(text))?;
                    }
                    Ok(())
                })?;
                if !c.countries.is_empty() {
                    w.create_element("geoLocations").write_inner_content(|w| {
                        for country in &c.countries {
                            w.create_element("geoLocation")
                                .write_inner_content(|w| text_el(w, "geoLocationPlace", country))?;
                        }
                        Ok(())
                    })?;
                }
                Ok(())
            })?;
        Ok(())
    }

    /// The DataCite REST API body for `POST /dois` (or `PUT /dois/{doi}`):
    /// `{"data": {"type": "dois", "attributes": {…}}}` with the same content as the XML.
    ///
    /// With a DOI the attributes carry `doi`; without one they carry `request.prefix`, and
    /// DataCite mints a draft DOI with a generated suffix. `event` is set only for
    /// [`DoiEvent::Register`] and [`DoiEvent::Publish`]; `url` (the landing page), which
    /// DataCite needs to register or publish, is always there.
    pub fn datacite_json(&self, request: &DoiRequest) -> Result<Value, CiteError> {
        let c = &self.c;
        let k = self.kernel();
        let mut a = Map::new();
        match (&self.doi, &request.prefix) {
            (Some(doi), _) => {
                a.insert("doi".into(), json!(doi));
            }
            (None, Some(prefix)) if is_doi_prefix(prefix) => {
                a.insert("prefix".into(), json!(prefix));
            }
            (None, Some(prefix)) => {
                return Err(CiteError::BadPrefix { collection: c.id.clone(), value: prefix.clone() });
            }
            (None, None) => return Err(CiteError::NeedsPrefix { collection: c.id.clone() }),
        }
        match request.event {
            DoiEvent::Draft => {}
            DoiEvent::Register => {
                a.insert("event".into(), json!("register"));
            }
            DoiEvent::Publish => {
                a.insert("event".into(), json!("publish"));
            }
        }
        a.insert("url".into(), json!(self.landing_url()));
        a.insert("types".into(), json!({"resourceTypeGeneral": "Dataset", "resourceType": RESOURCE_TYPE}));
        let creators: Vec<Value> = self
            .creators
            .iter()
            .map(|cr| {
                let mut o = Map::new();
                o.insert("name".into(), json!(cr.display()));
                o.insert("nameType".into(), json!("Personal"));
                if let Name::Split { family, given } = &cr.name {
                    o.insert("givenName".into(), json!(given));
                    o.insert("familyName".into(), json!(family));
                }
                let ids: Vec<Value> = cr
                    .orcid
                    .iter()
                    .map(|id| {
                        json!({
                            "nameIdentifier": format!("{ORCID_SCHEME_URI}{id}"),
                            "nameIdentifierScheme": "ORCID",
                            "schemeUri": ORCID_SCHEME_URI,
                        })
                    })
                    .collect();
                o.insert("nameIdentifiers".into(), Value::Array(ids));
                Value::Object(o)
            })
            .collect();
        a.insert("creators".into(), Value::Array(creators));
        a.insert("titles".into(), json!([{"title": c.title}]));
        let mut publisher = Map::new();
        publisher.insert("name".into(), json!(c.node.publisher));
        if let Some(ror) = &c.node.publisher_ror {
            publisher.insert("publisherIdentifier".into(), json!(ror));
            publisher.insert("publisherIdentifierScheme".into(), json!("ROR"));
            publisher.insert("schemeUri".into(), json!("https://ror.org/"));
        }
        a.insert("publisher".into(), Value::Object(publisher));
        a.insert("publicationYear".into(), json!(self.publication_year()));
        let subjects: Vec<Value> = k
            .subjects
            .iter()
            .map(|s| match &s.scheme {
                None => json!({"subject": s.text}),
                Some((scheme, scheme_uri, value_uri)) => json!({
                    "subject": s.text, "subjectScheme": scheme, "schemeUri": scheme_uri, "valueUri": value_uri,
                }),
            })
            .collect();
        a.insert("subjects".into(), Value::Array(subjects));
        let dates: Vec<Value> = k.dates.iter().map(|(t, d)| json!({"date": d, "dateType": t})).collect();
        a.insert("dates".into(), Value::Array(dates));
        a.insert(
            "alternateIdentifiers".into(),
            json!([{"alternateIdentifier": self.landing_url(), "alternateIdentifierType": "URL"}]),
        );
        let related: Vec<Value> = k
            .related
            .iter()
            .map(|r| {
                json!({
                    "relatedIdentifier": r.id, "relatedIdentifierType": r.id_type,
                    "relationType": r.relation, "resourceTypeGeneral": "Dataset",
                })
            })
            .collect();
        a.insert("relatedIdentifiers".into(), Value::Array(related));
        a.insert("sizes".into(), json!([self.size_text()]));
        a.insert("formats".into(), json!(k.formats));
        a.insert("version".into(), json!(c.version.to_string()));
        let rights: Vec<Value> = k
            .rights
            .iter()
            .map(|r| {
                let mut o = Map::new();
                o.insert("rights".into(), json!(r.text));
                o.insert("rightsUri".into(), json!(r.uri));
                if let Some(spdx) = &r.spdx {
                    o.insert("rightsIdentifier".into(), json!(spdx));
                    o.insert("rightsIdentifierScheme".into(), json!("SPDX"));
                    o.insert("schemeUri".into(), json!(SPDX_SCHEME_URI));
                }
                Value::Object(o)
            })
            .collect();
        a.insert("rightsList".into(), Value::Array(rights));
        let descriptions: Vec<Value> =
            k.descriptions.iter().map(|(t, d)| json!({"description": d, "descriptionType": t})).collect();
        a.insert("descriptions".into(), Value::Array(descriptions));
        let geo: Vec<Value> = c.countries.iter().map(|p| json!({"geoLocationPlace": p})).collect();
        a.insert("geoLocations".into(), Value::Array(geo));
        a.insert("schemaVersion".into(), json!(DATACITE_XMLNS));
        Ok(json!({"data": {"type": "dois", "attributes": Value::Object(a)}}))
    }
}

/// The free-text `resourceType` paired with `resourceTypeGeneral="Dataset"`.
const RESOURCE_TYPE: &str = "Sequence collection";

/// The NCBI Taxonomy browser page of a taxon.
pub(crate) fn taxon_url(taxon_id: u32) -> String {
    format!("https://www.ncbi.nlm.nih.gov/Taxonomy/Browser/wwwtax.cgi?id={taxon_id}")
}

fn text_el(w: &mut Writer<Vec<u8>>, name: &str, text: &str) -> std::io::Result<()> {
    w.create_element(name).write_text_content(BytesText::new(text))?;
    Ok(())
}
