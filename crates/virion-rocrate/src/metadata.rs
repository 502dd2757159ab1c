//! The RO-Crate 1.2 metadata document: a flat JSON-LD `@graph` of the descriptor, the root
//! dataset, the data files and the contextual entities they point to.

use std::collections::HashMap;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};
use url::Url;

use crate::{CrateError, CrateInfo, METADATA_FILE, RO_CRATE_CONTEXT, RO_CRATE_SPEC, WrittenFile};

const ACTION_ID: &str = "#download-created";
const USER_ID: &str = "#download-user";

fn non_empty(field: &str, value: &str) -> Result<(), CrateError> {
    if value.trim().is_empty() { Err(CrateError::Empty { field: field.to_owned() }) } else { Ok(()) }
}

/// The URL as it will be written: parsed and normalised, so the `@id` is a valid IRI.
fn http_url(field: &str, value: &str) -> Result<String, CrateError> {
    let bad =
        |reason: String| CrateError::BadUrl { field: field.to_owned(), value: value.to_owned(), reason };
    let url = Url::parse(value.trim()).map_err(|e| bad(e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad(format!("scheme {:?}", url.scheme())));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("no host".to_owned()));
    }
    Ok(url.into())
}

/// Checks what [`document`] relies on, so a bad [`CrateInfo`] fails before any data is written.
pub(crate) fn check(info: &CrateInfo) -> Result<(), CrateError> {
    non_empty("name", &info.name)?;
    non_empty("description", &info.description)?;
    non_empty("license.name", &info.license.name)?;
    non_empty("software.name", &info.software.name)?;
    non_empty("software.version", &info.software.version)?;
    non_empty("node.name", &info.node.name)?;
    if let Some(terms) = &info.conditions_of_access {
        non_empty("conditions_of_access", terms)?;
    }
    if let Some(query) = &info.query {
        non_empty("query.name", &query.name)?;
        for (i, (name, _)) in query.parameters.iter().enumerate() {
            non_empty(&format!("query.parameters[{i}] name"), name)?;
        }
        if let Some(agent) = &query.agent {
            non_empty("query.agent", agent)?;
        }
        if query.end_time < query.start_time {
            return Err(CrateError::QueryTimes { start: query.start_time, end: query.end_time });
        }
    }
    if let Some(citation) = &info.citation {
        non_empty("citation.text", &citation.text)?;
        if let Some(cite_as) = &citation.cite_as {
            http_url("citation.cite_as", cite_as)?;
        }
    }
    if let Some(collection) = &info.collection {
        non_empty("collection.id", &collection.id)?;
        non_empty("collection.name", &collection.name)?;
        non_empty("collection.version", &collection.version)?;
    }
    // Builds the contextual entities once: this checks every URL and that no two share an @id.
    Graph::default().contextual(info)?;
    Ok(())
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn id(s: &str) -> Value {
    json!({ "@id": s })
}

/// The entities in writing order, with who holds each `@id` so a clash names both.
#[derive(Default)]
struct Graph {
    entities: Vec<Value>,
    owners: HashMap<String, String>,
}

impl Graph {
    fn add(&mut self, owner: &str, entity: Value) -> Result<(), CrateError> {
        let key = entity["@id"].as_str().unwrap_or_default().to_owned();
        if let Some(first) = self.owners.get(&key) {
            return Err(CrateError::DuplicateId { id: key, first: first.clone(), second: owner.to_owned() });
        }
        self.owners.insert(key, owner.to_owned());
        self.entities.push(entity);
        Ok(())
    }

    /// Adds the entities that describe the context (licence, node, software, collection, the
    /// query's action and parameters); returns the @ids the root and the action refer to.
    fn contextual(&mut self, info: &CrateInfo) -> Result<Ids, CrateError> {
        let license = http_url("license.uri", &info.license.uri)?;
        self.add(
            "license",
            json!({ "@id": license, "@type": "CreativeWork", "name": info.license.name, "url": license }),
        )?;

        let node = http_url("node.url", &info.node.url)?;
        self.add(
            "node",
            json!({ "@id": node, "@type": "Organization", "name": info.node.name, "url": node }),
        )?;

        let software = http_url("software.url", &info.software.url)?;
        self.add(
            "software",
            json!({
                "@id": software,
                "@type": "SoftwareApplication",
                "name": info.software.name,
                "version": info.software.version,
                "url": software,
            }),
        )?;

        let collection = match &info.collection {
            Some(c) => {
                let url = http_url("collection.url", &c.url)?;
                self.add(
                    "collection",
                    json!({
                        "@id": url,
                        "@type": "Collection",
                        "name": c.name,
                        "identifier": c.id,
                        "version": c.version,
                        "url": url,
                    }),
                )?;
                Some(url)
            }
            None => None,
        };

        let mut agent = node.clone();
        let mut endpoint = None;
        let mut request = None;
        let mut parameters = Vec::new();
        if let Some(query) = &info.query {
            let url = http_url("query.endpoint", &query.endpoint)?;
            let mut full = Url::parse(&url).map_err(|e| CrateError::BadUrl {
                field: "query.endpoint".to_owned(),
                value: query.endpoint.clone(),
                reason: e.to_string(),
            })?;
            if !query.parameters.is_empty() {
                full.query_pairs_mut().extend_pairs(&query.parameters);
            }
            request = Some(String::from(full));
            self.add(
                "query.endpoint",
                json!({
                    "@id": url,
                    "@type": "EntryPoint",
                    "name": format!("Query endpoint of {}", info.node.name),
                    "url": url,
                }),
            )?;
            endpoint = Some(url);
            for (i, (name, value)) in query.parameters.iter().enumerate() {
                let pid = format!("#query-parameter-{}", i + 1);
                self.add(
                    &format!("query.parameters[{i}]"),
                    json!({ "@id": pid, "@type": "PropertyValue", "name": name, "value": value }),
                )?;
                parameters.push(pid);
            }
            if let Some(user) = &query.agent {
                self.add("query.agent", json!({ "@id": USER_ID, "@type": "Person", "name": user }))?;
                agent = USER_ID.to_owned();
            }
        }
        Ok(Ids { license, node, software, collection, agent, endpoint, request, parameters })
    }
}

struct Ids {
    license: String,
    node: String,
    software: String,
    collection: Option<String>,
    agent: String,
    endpoint: Option<String>,
    /// The endpoint with every parameter, as one URL a person can read or re-run.
    request: Option<String>,
    parameters: Vec<String>,
}

/// The whole `ro-crate-metadata.json` document for `info` and the finished `files`.
pub(crate) fn document(info: &CrateInfo, files: &[WrittenFile]) -> Result<Value, CrateError> {
    let mut graph = Graph::default();
    graph.add(
        "metadata descriptor",
        json!({
            "@id": METADATA_FILE,
            "@type": "CreativeWork",
            "conformsTo": id(RO_CRATE_SPEC),
            "about": id("./"),
        }),
    )?;
    // The root goes second (readers look for it near the top); its links are filled in below.
    graph.add("root dataset", json!({ "@id": "./" }))?;
    let ids = graph.contextual(info)?;

    let mut root = json!({
        "@id": "./",
        "@type": "Dataset",
        "name": info.name,
        "description": info.description,
        "datePublished": time(info.date_published),
        "license": id(&ids.license),
    });
    if let Some(terms) = &info.conditions_of_access {
        root["conditionsOfAccess"] = json!(terms);
    }
    root["publisher"] = id(&ids.node);
    if let Some(collection) = &ids.collection {
        root["isPartOf"] = id(collection);
    }
    if let Some(citation) = &info.citation {
        root["creditText"] = json!(citation.text);
        if let Some(cite_as) = &citation.cite_as {
            root["cite-as"] = json!(http_url("citation.cite_as", cite_as)?);
        }
    }
    root["hasPart"] = files.iter().map(|f| id(&f.name)).collect();
    root["mentions"] = id(ACTION_ID);
    graph.entities[1] = root;

    for file in files {
        let mut entity = json!({
            "@id": file.name,
            "@type": "File",
            "name": file.name,
            "description": file.description,
            "encodingFormat": file.media_type,
            "contentSize": file.size.to_string(),
            "sha256": file.sha256,
        });
        if let Some(count) = file.records {
            // Also a list of items, so the count has a standard property to live in.
            entity["@type"] = json!(["File", "ItemList"]);
            entity["numberOfItems"] = json!(count);
        }
        graph.add(&format!("file {:?}", file.name), entity)?;
    }

    let mut action = json!({
        "@id": ACTION_ID,
        "@type": "CreateAction",
        "name": info.query.as_ref().map_or("Download", |q| q.name.as_str()),
    });
    if let Some(request) = &ids.request {
        action["description"] = json!(format!("Query: {request}"));
    }
    action["instrument"] = id(&ids.software);
    action["agent"] = id(&ids.agent);
    if let Some(endpoint) = &ids.endpoint {
        action["target"] = id(endpoint);
    }
    if !ids.parameters.is_empty() {
        action["object"] = ids.parameters.iter().map(|p| id(p)).collect();
    }
    action["result"] = files.iter().map(|f| id(&f.name)).collect();
    match &info.query {
        Some(q) => {
            action["startTime"] = json!(time(q.start_time));
            action["endTime"] = json!(time(q.end_time));
        }
        // Without a query the files were made when the download was published.
        None => action["endTime"] = json!(time(info.date_published)),
    }
    graph.add("query action", action)?;

    Ok(json!({ "@context": RO_CRATE_CONTEXT, "@graph": graph.entities }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_absolute_http() {
        assert_eq!(http_url("f", "https://node.example").unwrap(), "https://node.example/");
        assert_eq!(http_url("f", " https://a.example/x y ").unwrap(), "https://a.example/x%20y");
        for bad in ["", "node.example", "/relative", "ftp://a.example/", "mailto:a@b.example", "file:///etc"]
        {
            let e = http_url("node.url", bad).unwrap_err();
            assert!(e.to_string().starts_with("node.url:"), "{bad:?}: {e}");
        }
    }
}
