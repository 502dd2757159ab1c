//! The Beacon framework documents: `info`, `service-info`, `configuration`, `map`,
//! `entry_types` and `filtering_terms`, for the entry types this node serves.

use serde_json::{Value, json};

use crate::API_VERSION;
use crate::request::{DatasetModel, FieldKind};

/// Who this Beacon is.
#[derive(Debug, Clone)]
pub struct Node {
    /// The Beacon id (reverse-domain style: `org.virion.<node name>`).
    pub beacon_id: String,
    /// The node's name.
    pub name: String,
    /// The Beacon's own base URL (`…/beacon/v2`).
    pub base_url: String,
    /// Virion's version.
    pub version: String,
    /// Whether the node answers for its peers too (a Beacon network).
    pub network: bool,
}

impl Node {
    /// The Beacon id of a node named `name`.
    pub fn beacon_id(name: &str) -> String {
        let clean: String = name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c.to_ascii_lowercase() } else { '-' })
            .collect();
        format!("org.virion.{clean}")
    }
}

fn informational_meta(node: &Node) -> Value {
    json!({ "beaconId": node.beacon_id, "apiVersion": API_VERSION, "returnedSchemas": [] })
}

const MODEL: &str =
    "https://raw.githubusercontent.com/ga4gh-beacon/beacon-v2/main/models/json/beacon-v2-default-model";

/// `/info` (and `/`).
pub fn info(node: &Node) -> Value {
    let what = if node.network {
        "a Virion node and its peers (a Beacon network, one result set per node)"
    } else {
        "a Virion node"
    };
    json!({
        "meta": informational_meta(node),
        "response": {
            "id": node.beacon_id,
            "name": format!("Virion {}", node.name),
            "apiVersion": API_VERSION,
            "environment": "prod",
            "description": format!("Pathogen genomes of {what}: mutations against each organism's reference (g_variants), sample metadata (biosamples) and the collections (datasets)."),
            "version": node.version,
            "welcomeUrl": node.base_url,
            "organization": { "id": node.beacon_id, "name": node.name },
            "info": { "network": node.network },
        },
    })
}

/// `/service-info` (GA4GH service-info).
pub fn service_info(node: &Node) -> Value {
    json!({
        "id": node.beacon_id,
        "name": format!("Virion {}", node.name),
        "type": { "group": "org.ga4gh", "artifact": "beacon", "version": API_VERSION },
        "description": "GA4GH Beacon v2 of a Virion pathogen genome node",
        "organization": { "name": node.name, "url": node.base_url },
        "version": node.version,
        "environment": "prod",
    })
}

fn entry_type(id: &str, name: &str, folder: &str, term: (&str, &str), description: &str) -> Value {
    json!({
        "id": id,
        "name": name,
        "ontologyTermForThisType": { "id": term.0, "label": term.1 },
        "partOfSpecification": format!("Beacon {API_VERSION}"),
        "description": description,
        "defaultSchema": {
            "id": format!("beacon-{id}-v2.0.0"),
            "name": format!("Default schema for {name}"),
            "referenceToSchemaDefinition": format!("{MODEL}/{folder}/defaultSchema.json"),
            "schemaVersion": API_VERSION,
        },
        "nonFilteredQueriesAllowed": true,
    })
}

fn entry_types_object() -> Value {
    json!({
        "dataset": entry_type("dataset", "Dataset", "datasets", ("NCIT:C47824", "Data set"),
            "A collection this node serves: a hub organism or an imported collection."),
        "genomicVariant": entry_type("genomicVariant", "Genomic Variants", "genomicVariations", ("ENSGLOSSARY:0000092", "Variant"),
            "A nucleotide mutation against the collection's reference sequence (referenceName)."),
        "biosample": entry_type("biosample", "Biosamples", "biosamples", ("NCIT:C70699", "Biospecimen"),
            "A sequenced sample: its country, collection date, host and lineage."),
    })
}

/// `/configuration`.
pub fn configuration(node: &Node) -> Value {
    json!({
        "meta": informational_meta(node),
        "response": {
            "$schema": "https://raw.githubusercontent.com/ga4gh-beacon/beacon-v2/main/framework/json/configuration/beaconConfigurationSchema.json",
            "maturityAttributes": { "productionStatus": "PROD" },
            "securityAttributes": { "defaultGranularity": "count", "securityLevels": ["PUBLIC", "REGISTERED"] },
            "entryTypes": entry_types_object(),
        },
    })
}

/// `/entry_types`.
pub fn entry_types(node: &Node) -> Value {
    json!({ "meta": informational_meta(node), "response": { "entryTypes": entry_types_object() } })
}

/// `/map`.
pub fn map(node: &Node) -> Value {
    let b = &node.base_url;
    json!({
        "meta": informational_meta(node),
        "response": {
            "$schema": "https://raw.githubusercontent.com/ga4gh-beacon/beacon-v2/main/framework/json/configuration/beaconMapSchema.json",
            "endpointSets": {
                "dataset": {
                    "entryType": "dataset",
                    "rootUrl": format!("{b}/datasets"),
                    "singleEntryUrl": format!("{b}/datasets/{{id}}"),
                    "filteringTermsUrl": format!("{b}/datasets/{{id}}/filtering_terms"),
                    "endpoints": {
                        "genomicVariant": { "returnedEntryType": "genomicVariant", "url": format!("{b}/datasets/{{id}}/g_variants") },
                        "biosample": { "returnedEntryType": "biosample", "url": format!("{b}/datasets/{{id}}/biosamples") },
                    },
                },
                "genomicVariant": {
                    "entryType": "genomicVariant",
                    "rootUrl": format!("{b}/g_variants"),
                    "singleEntryUrl": format!("{b}/g_variants/{{id}}"),
                    "endpoints": {
                        "biosample": { "returnedEntryType": "biosample", "url": format!("{b}/g_variants/{{id}}/biosamples") },
                    },
                },
                "biosample": {
                    "entryType": "biosample",
                    "rootUrl": format!("{b}/biosamples"),
                    "singleEntryUrl": format!("{b}/biosamples/{{id}}"),
                    "filteringTermsUrl": format!("{b}/filtering_terms"),
                    "endpoints": {
                        "genomicVariant": { "returnedEntryType": "genomicVariant", "url": format!("{b}/biosamples/{{id}}/g_variants") },
                    },
                },
            },
        },
    })
}

/// `/filtering_terms`: each dataset's categorical, date and number fields as alphanumeric
/// terms (a field several datasets have is listed once).
pub fn filtering_terms(node: &Node, datasets: &[DatasetModel]) -> Value {
    let mut terms: Vec<Value> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for ds in datasets {
        for f in ds.filtering_fields() {
            if seen.iter().any(|s| s.eq_ignore_ascii_case(&f.name)) {
                continue;
            }
            seen.push(f.name.clone());
            let role = if Some(f.name.as_str()) == ds.country() {
                "country"
            } else if Some(f.name.as_str()) == ds.collection_date() {
                "collection date"
            } else if Some(f.name.as_str()) == ds.host() {
                "host"
            } else if Some(&f.name) == ds.lineage.as_ref() {
                "lineage"
            } else {
                match f.kind {
                    FieldKind::Date => "date",
                    FieldKind::Number => "number",
                    _ => "category",
                }
            };
            let how = if matches!(f.kind, FieldKind::Date | FieldKind::Number) { "=, >=, <=" } else { "=" };
            terms.push(json!({
                "type": "alphanumeric",
                "id": f.name,
                "label": format!("{} ({role}; {how})", f.name),
                "scopes": ["biosample", "genomicVariant"],
            }));
        }
    }
    json!({ "meta": informational_meta(node), "response": { "filteringTerms": terms } })
}
