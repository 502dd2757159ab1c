//! schema.org `Dataset` JSON-LD conforming to the Bioschemas Dataset profile 1.0-RELEASE.

use serde_json::{Map, Value, json};

use crate::datacite::taxon_url;
use crate::{Citation, Name};

/// The Bioschemas profile the JSON-LD declares with `dct:conformsTo`.
pub const BIOSCHEMAS_DATASET_PROFILE: &str = "https://bioschemas.org/profiles/Dataset/1.0-RELEASE";

impl Citation {
    /// A schema.org `Dataset` for embedding in the landing page
    /// (`<script type="application/ld+json">`).
    ///
    /// It has the profile's minimum properties (`@context`, `@type`, `@id`, `dct:conformsTo`,
    /// `name`, `description`, `identifier`, `keywords`, `license`, `url`) and its recommended
    /// `creator`, `distribution` (one `DataDownload` per download), `includedInDataCatalog`,
    /// `isAccessibleForFree` (true: restricted members are free to download, only their use
    /// is restricted) and `version`, plus `dateCreated`/`dateModified`, `temporalCoverage`,
    /// `spatialCoverage`, `publisher`, `about` (the organisms as taxa) and `isBasedOn` (the
    /// previous version). `citation` is left out: schema.org means by it works this dataset
    /// cites, not how to cite it. `measurementTechnique` and `variableMeasured` are left out
    /// because a collection does not know how its members were sequenced.
    pub fn bioschemas_jsonld(&self) -> Value {
        let c = &self.c;
        let id = self.identifier_url();
        let mut d = Map::new();
        d.insert(
            "@context".into(),
            json!({"@vocab": "https://schema.org/", "dct": "http://purl.org/dc/terms/"}),
        );
        d.insert("@type".into(), json!("Dataset"));
        d.insert("@id".into(), json!(id));
        d.insert(
            "dct:conformsTo".into(),
            json!({"@id": BIOSCHEMAS_DATASET_PROFILE, "@type": "CreativeWork"}),
        );
        d.insert("name".into(), json!(c.title));
        d.insert("description".into(), json!(c.description));
        d.insert("identifier".into(), json!(id));
        d.insert("url".into(), json!(self.landing_url()));
        d.insert("keywords".into(), json!(self.all_keywords()));
        let mut licences = Vec::new();
        if self.open_count > 0 {
            licences.push(json!(c.node.open_licence.url));
        }
        if self.restricted_count > 0 {
            licences.push(json!(c.node.restricted_terms.url));
        }
        d.insert("license".into(), Value::Array(licences));
        let creators: Vec<Value> = self
            .creators
            .iter()
            .map(|cr| {
                let mut p = Map::new();
                p.insert("@type".into(), json!("Person"));
                if let Some(orcid) = &cr.orcid {
                    p.insert("@id".into(), json!(format!("https://orcid.org/{orcid}")));
                    p.insert("identifier".into(), json!(format!("https://orcid.org/{orcid}")));
                }
                p.insert("name".into(), json!(cr.display()));
                if let Name::Split { family, given } = &cr.name {
                    p.insert("givenName".into(), json!(given));
                    p.insert("familyName".into(), json!(family));
                }
                Value::Object(p)
            })
            .collect();
        d.insert("creator".into(), Value::Array(creators));
        d.insert("version".into(), json!(c.version.to_string()));
        d.insert("dateCreated".into(), json!(c.created.date_naive().to_string()));
        d.insert("datePublished".into(), json!(c.created.date_naive().to_string()));
        d.insert("dateModified".into(), json!(c.updated.unwrap_or(c.created).date_naive().to_string()));
        let downloads: Vec<Value> = c
            .downloads
            .iter()
            .map(|dl| {
                json!({"@type": "DataDownload", "name": dl.name, "contentUrl": dl.url, "encodingFormat": dl.media_type})
            })
            .collect();
        d.insert("distribution".into(), Value::Array(downloads));
        d.insert(
            "includedInDataCatalog".into(),
            json!({"@type": "DataCatalog", "name": c.node.name, "url": self.node_url}),
        );
        let mut publisher = Map::new();
        publisher.insert("@type".into(), json!("Organization"));
        if let Some(ror) = &c.node.publisher_ror {
            publisher.insert("@id".into(), json!(ror));
        }
        publisher.insert("name".into(), json!(c.node.publisher));
        d.insert("publisher".into(), Value::Object(publisher));
        d.insert("isAccessibleForFree".into(), json!(true));
        d.insert("size".into(), json!(self.size_text()));
        if let Some(range) = c.collection_dates {
            d.insert("temporalCoverage".into(), json!(range.iso_interval()));
        }
        if !c.countries.is_empty() {
            let places: Vec<Value> =
                c.countries.iter().map(|p| json!({"@type": "Place", "name": p})).collect();
            d.insert("spatialCoverage".into(), Value::Array(places));
        }
        if !c.organisms.is_empty() {
            let taxa: Vec<Value> = c
                .organisms
                .iter()
                .map(|o| json!({"@type": "Taxon", "@id": taxon_url(o.taxon_id), "name": o.name}))
                .collect();
            d.insert("about".into(), Value::Array(taxa));
        }
        let previous = match &self.previous_doi {
            Some(doi) => Some(format!("https://doi.org/{doi}")),
            None => self.previous_landing_url(),
        };
        if let Some(previous) = previous {
            d.insert("isBasedOn".into(), json!(previous));
        }
        Value::Object(d)
    }

    /// The JSON-LD as the text of a landing page's `<script type="application/ld+json">`: every
    /// `<` written as the JSON escape `\u003c`, so a title holding `</script>` cannot end the
    /// element early (the JSON means the same; `<` only ever occurs inside strings).
    pub fn bioschemas_script(&self) -> String {
        self.bioschemas_jsonld().to_string().replace('<', "\\u003c")
    }
}
