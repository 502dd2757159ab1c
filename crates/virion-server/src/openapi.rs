//! The OpenAPI 3 document served at /api/openapi.json.
//!
//! Written by hand as JSON: the API is a couple of dozen routes, and a derive framework
//! (utoipa) would add a proc-macro dependency and annotations on every handler for little
//! gain. `tests/openapi.rs` checks that every route of the router is described here.

use axum::Json;
use serde_json::{Value, json};

fn problem() -> Value {
    json!({ "description": "RFC 7807 problem", "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } })
}

fn ok_json(description: &str) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": { "type": "object" } } } })
}

fn json_body(schema: Value) -> Value {
    json!({ "required": true, "content": { "application/json": { "schema": schema } } })
}

fn organism_param() -> Value {
    json!({ "name": "organism", "in": "path", "required": true, "schema": { "type": "string" }, "example": "sars-cov-2" })
}

fn op(summary: &str, params: Vec<Value>, body: Option<Value>, ok: Value, secured: bool) -> Value {
    let mut o = json!({
        "summary": summary,
        "parameters": params,
        "responses": { "200": ok, "400": problem(), "401": problem(), "403": problem(), "404": problem(), "409": problem(), "422": problem(), "500": problem() },
    });
    if let Some(b) = body {
        o["requestBody"] = b;
    }
    if !secured {
        o["security"] = json!([]);
    }
    o
}

fn review_schema(extra_scope: &[&str]) -> Value {
    let mut scopes = vec!["all", "withoutWarnings"];
    scopes.extend_from_slice(extra_scope);
    json!({ "type": "object", "required": ["group"], "properties": {
        "group": { "type": "string" },
        "scope": { "type": "string", "enum": scopes },
        "accessionVersions": { "type": "array", "items": { "type": "string", "example": "VSC000001X.1" } } } })
}

/// Every route of [`crate::app`], as OpenAPI 3.0.
pub fn spec() -> Value {
    let mut spec = hub_paths();
    let paths = spec["paths"].as_object_mut().expect("paths object");
    for (path, item) in lapis_paths() {
        paths.insert(path, item);
    }
    spec
}

/// The LAPIS v2 query routes, described briefly: their parameters are the organism's metadata
/// fields plus LAPIS's special properties. Each is served under `/{organism}` and, for the
/// default organism, at the root.
fn lapis_paths() -> Vec<(String, Value)> {
    let filters = "Filters: metadata fields (f, f.regex, f.isNull, fFrom, fTo; lineage columns take `*` for \
                   sublineages; the phylogenetic tree field f.phyloDescendantOf=NODE), nucleotideMutations, aminoAcidMutations (symbol, `-`, `.`, N/X, MAYBE()), \
                   nucleotideInsertions, aminoAcidInsertions (`?` wildcards), advancedQuery. Properties: fields, \
                   orderBy (incl. random(seed)), limit, offset, dataFormat, compression (gzip, zstd), \
                   downloadAsFile, downloadFileBasename. GET query string, POST JSON or POST form.";
    let table = |summary: &str| {
        let ok = ok_json(
            "{data: [...], info: {dataVersion, requestId, lapisVersion}}; CSV, TSV, TSV-ESCAPED by dataFormat or Accept; header lapis-data-version",
        );
        let o = op(&format!("{summary} {filters}"), vec![], None, ok, false);
        json!({ "get": o.clone(), "post": o })
    };
    let sequences = |summary: &str, named: bool| {
        let mut params = vec![];
        if named {
            params.push(
                json!({ "name": "name", "in": "path", "required": true, "schema": { "type": "string" },
                                "description": "segment or gene" }),
            );
        }
        let ok = json!({ "description": "FASTA (default), JSON or NDJSON ({primaryKey, <name>: sequence}), streamed",
                         "content": { "text/x-fasta": { "schema": { "type": "string" } } } });
        let o = op(
            &format!("{summary} {filters} fastaHeaderTemplate for FASTA headers."),
            params,
            None,
            ok,
            false,
        );
        json!({ "get": o.clone(), "post": o })
    };
    let tree_field = json!({ "name": "phyloTreeField", "in": "query", "required": true, "schema": { "type": "string" },
        "description": "The field that contains the node labels in the phylogenetic tree (isPhyloTreeField in databaseConfig; a hub organism's is accessionVersion)." });
    let print_missing = json!({ "name": "printNodesNotInTree", "in": "query", "schema": { "type": "boolean", "default": false },
        "description": "List in missingFromTree the values of the filtered genomes that are not in the tree." });
    let mrca = {
        let ok = ok_json(
            "{data: [{mrcaNode, missingNodeCount, missingFromTree}], info}: the most recent common ancestor's label (null when none of the genomes is in the tree), the genomes without a value plus the distinct values not in the tree, and (with printNodesNotInTree) those values sorted and comma-separated; CSV, TSV by dataFormat or Accept",
        );
        let o = op(
            &format!(
                "The most recent common ancestor of the matching genomes in the phylogenetic tree. {filters}"
            ),
            vec![tree_field.clone(), print_missing],
            None,
            ok,
            false,
        );
        json!({ "get": o.clone(), "post": o })
    };
    let subtree = {
        let ok = json!({ "description": "Newick of the subtree spanning the matching genomes in the tree (unary nodes contracted, no branch length on its root); empty when none is in the tree",
                         "content": { "text/x-nh": { "schema": { "type": "string" } } } });
        let o = op(
            &format!(
                "The phylogenetic subtree of the matching genomes; genomes not in the tree are left out. {filters} dataFormat: NEWICK."
            ),
            vec![tree_field],
            None,
            ok,
            false,
        );
        json!({ "get": o.clone(), "post": o })
    };
    let get_only = |summary: &str, extra: Vec<Value>| json!({ "get": op(summary, extra, None, ok_json("JSON or YAML"), false) });
    let column = json!({ "name": "column", "in": "path", "required": true, "schema": { "type": "string" } });
    let under_root: Vec<(&str, Value)> = vec![
        (
            "/sample/aggregated",
            table(
                "Counts of the matching genomes, grouped by `fields` (date.year, date.month, date.isoWeek too).",
            ),
        ),
        ("/sample/details", table("Metadata of the matching genomes.")),
        (
            "/sample/nucleotideMutations",
            table("Nucleotide mutations with count, coverage and proportion ≥ minProportion (default 0.05)."),
        ),
        (
            "/sample/aminoAcidMutations",
            table("Amino-acid mutations with count, coverage and proportion ≥ minProportion (default 0.05)."),
        ),
        (
            "/sample/nucleotideInsertions",
            table("Nucleotide insertions (ins_[segment:]pos:bases) with counts."),
        ),
        ("/sample/aminoAcidInsertions", table("Amino-acid insertions (ins_gene:pos:residues) with counts.")),
        ("/sample/mostRecentCommonAncestor", mrca),
        ("/sample/phyloSubtree", subtree),
        (
            "/sample/alignedNucleotideSequences",
            sequences("Aligned nucleotide sequences of every segment.", false),
        ),
        (
            "/sample/alignedNucleotideSequences/{name}",
            sequences("The aligned sequence of one segment.", true),
        ),
        (
            "/sample/unalignedNucleotideSequences",
            sequences("Unaligned (as submitted) nucleotide sequences.", false),
        ),
        (
            "/sample/unalignedNucleotideSequences/{name}",
            sequences("The unaligned sequence of one segment.", true),
        ),
        ("/sample/alignedAminoAcidSequences", sequences("Aligned peptides of every gene.", false)),
        ("/sample/alignedAminoAcidSequences/{name}", sequences("The aligned peptide of one gene.", true)),
        ("/sample/info", get_only("Data version and genome count of the query index.", vec![])),
        ("/sample/referenceGenome", get_only("Reference segments and gene peptides.", vec![])),
        (
            "/sample/databaseConfig",
            get_only("The query schema (fields and types), as SILO's database_config.", vec![]),
        ),
        (
            "/sample/lineageDefinition/{column}",
            get_only(
                "The lineage DAG of a lineage column as YAML {label: {parents, aliases}}.",
                vec![column],
            ),
        ),
        (
            "/component/nucleotideMutationsOverTime",
            series("{filters, includeMutations: [\"C241T\"], dateRanges: [{dateFrom, dateTo}], dateField}"),
        ),
        (
            "/component/aminoAcidMutationsOverTime",
            series("{filters, includeMutations: [\"S:L455S\"], dateRanges: [{dateFrom, dateTo}], dateField}"),
        ),
        (
            "/component/queriesOverTime",
            series("{filters, queries: [{displayLabel, countQuery, coverageQuery}], dateRanges, dateField}"),
        ),
        ("/query/parse", parse_op()),
        (
            "/actuator/health",
            json!({ "get": { "summary": "Whether the node is up, with each collection's data version and size",
                "responses": { "200": { "description": "{status: UP, components: {collections: {details: {NAME: {dataVersion, sequenceCount}}}}}" } } } }),
        ),
    ];
    let mut paths = Vec::new();
    for (path, item) in under_root {
        let mut with_organism = item.clone();
        for method in ["get", "post"] {
            if let Some(params) = with_organism.get_mut(method).and_then(|o| o["parameters"].as_array_mut()) {
                params.insert(0, organism_param());
            }
        }
        paths.push((format!("/{{organism}}{path}"), with_organism));
        paths.push((path.to_owned(), item));
    }
    paths
}

/// A time-series component: a matrix of {count, coverage} per item and date range.
fn series(body: &str) -> Value {
    let b = json_body(json!({ "type": "object", "description": body }));
    json!({ "post": op("Counts and coverage per item and date range (additive across nodes).", vec![], Some(b),
                       ok_json("{data: {mutations|queries, dateRanges, data: [[{count, coverage}]], totalCountsByDateRange}, info}"), false) })
}

fn parse_op() -> Value {
    let b = json_body(
        json!({ "type": "object", "properties": { "queries": { "type": "array", "items": { "type": "string" } } } }),
    );
    json!({ "post": op("Parse advancedQuery strings without running them (always 200; failures per query).", vec![], Some(b),
                       ok_json("{data: [{type: success, filter} | {type: failure, error}]}"), false) })
}

fn hub_paths() -> Value {
    let org = organism_param;
    let terms = json!({ "type": "object", "required": ["type"], "properties": {
        "type": { "type": "string", "enum": ["OPEN", "RESTRICTED"] }, "restrictedUntil": { "type": "string", "format": "date" } } });
    json!({
        "openapi": "3.0.3",
        "info": { "title": "Virion hub API", "version": env!("CARGO_PKG_VERSION"),
                  "description": "Submit, review, release, revise and revoke genomes with metadata. Errors are RFC 7807 problem documents; a rejected submission lists every issue with file, line, column and value." },
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": {
                "Problem": { "type": "object", "properties": {
                    "type": { "type": "string" }, "title": { "type": "string" }, "status": { "type": "integer" }, "detail": { "type": "string" },
                    "issues": { "type": "array", "items": { "$ref": "#/components/schemas/Issue" } } } },
                "Issue": { "type": "object", "properties": {
                    "severity": { "type": "string", "enum": ["error", "warning"] }, "kind": { "type": "string" },
                    "file": { "type": "string" }, "line": { "type": "integer", "nullable": true },
                    "column": { "type": "string", "nullable": true }, "value": { "type": "string", "nullable": true },
                    "message": { "type": "string" } } },
                "DataUseTerms": terms,
            }
        },
        "security": [ { "bearer": [] } ],
        "paths": {
            "/api/openapi.json": { "get": op("This document", vec![], None, ok_json("OpenAPI document"), false) },
            "/api/login": { "post": op("Log in with a local account; returns a bearer token", vec![],
                Some(json_body(json!({ "type": "object", "required": ["name", "password"], "properties": { "name": { "type": "string" }, "password": { "type": "string" } } }))),
                ok_json("{token, tokenId, user, isAdmin}"), false) },
            "/api/tokens": { "post": op("Create an API token for the caller", vec![],
                Some(json_body(json!({ "type": "object", "required": ["name"], "properties": { "name": { "type": "string" } } }))),
                ok_json("{tokenId, token}"), true) },
            "/api/tokens/{id}": { "delete": op("Revoke one of the caller's tokens",
                vec![json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } })], None, json!({ "description": "revoked" }), true) },
            "/api/organisms": { "get": op("Organisms served", vec![], None, ok_json("list"), false) },
            "/api/groups": {
                "get": op("The caller's group memberships", vec![], None, ok_json("list of {group, groupId, user, role}"), true),
                "post": op("Create a group (the caller becomes its curator)", vec![],
                    Some(json_body(json!({ "type": "object", "required": ["name"], "properties": { "name": { "type": "string" } } }))), ok_json("{groupId, name}"), true) },
            "/api/groups/{group}/members": { "get": op("Members of a group (members only)",
                vec![json!({ "name": "group", "in": "path", "required": true, "schema": { "type": "string" } })], None, ok_json("list"), true) },
            "/api/groups/{group}/members/{user}": {
                "put": op("Add a member or change a member's role",
                    vec![json!({ "name": "group", "in": "path", "required": true, "schema": { "type": "string" } }),
                         json!({ "name": "user", "in": "path", "required": true, "schema": { "type": "string" } })],
                    Some(json_body(json!({ "type": "object", "required": ["role"], "properties": { "role": { "type": "string", "enum": ["submitter", "curator", "consumer"] } } }))),
                    json!({ "description": "done" }), true),
                "delete": op("Remove a member",
                    vec![json!({ "name": "group", "in": "path", "required": true, "schema": { "type": "string" } }),
                         json!({ "name": "user", "in": "path", "required": true, "schema": { "type": "string" } })], None, json!({ "description": "done" }), true) },
            "/api/{organism}/submit": { "post": op("Submit genomes: metadata (TSV/CSV/XLSX/NDJSON, optionally gz/zst/xz/bz2/zip) and sequences (FASTA, optionally compressed). Any error rejects the whole submission (422 with every issue).",
                vec![org()],
                Some(json!({ "required": true, "content": { "multipart/form-data": { "schema": { "type": "object", "required": ["group", "metadata", "sequences"], "properties": {
                    "group": { "type": "string" }, "metadata": { "type": "string", "format": "binary" }, "sequences": { "type": "string", "format": "binary" },
                    "dataUseTermsType": { "type": "string", "enum": ["OPEN", "RESTRICTED"] }, "restrictedUntil": { "type": "string", "format": "date" } } } } } })),
                ok_json("{submission, entryCount, entries: [{submissionId, accession, version}]}, streamed in submission order; with `Accept: application/x-ndjson`, one {submissionId, accession, version} object per line"), true) },
            "/api/{organism}/entries": { "get": op("Versions the caller may see, with status counts when a group is given",
                vec![org(),
                     json!({ "name": "group", "in": "query", "schema": { "type": "string" } }),
                     json!({ "name": "status", "in": "query", "schema": { "type": "string", "enum": ["RECEIVED", "IN_PROCESSING", "PROCESSED", "APPROVED", "RELEASED"] } }),
                     json!({ "name": "submissionId", "in": "query", "schema": { "type": "string" } }),
                     json!({ "name": "limit", "in": "query", "schema": { "type": "integer", "default": 1000 } }),
                     json!({ "name": "offset", "in": "query", "schema": { "type": "integer", "default": 0 } })],
                None, ok_json("{entries, statusCounts}"), false) },
            "/api/{organism}/entries/{accession_version}": { "get": op("One version as JSON, FASTA or TSV",
                vec![org(), json!({ "name": "accession_version", "in": "path", "required": true, "schema": { "type": "string" }, "example": "VSC000001X.1" }),
                     json!({ "name": "format", "in": "query", "schema": { "type": "string", "enum": ["json", "fasta", "tsv"] } })],
                None, json!({ "description": "the version", "content": { "application/json": {}, "text/x-fasta": {}, "text/tab-separated-values": {} } }), false) },
            "/api/{organism}/approve": { "post": op("Approve processed versions of a group (all without errors, or only those without warnings); approved versions are released", vec![org()],
                Some(json_body(review_schema(&[]))), ok_json("{approved, released}"), true) },
            "/api/{organism}/discard": { "post": op("Discard unreleased versions of a group", vec![org()],
                Some(json_body(review_schema(&["withErrors"]))), ok_json("{discarded}"), true) },
            "/api/{organism}/revise": { "post": op("New versions of released entries; omit `sequence` for a metadata-only revision", vec![org()],
                Some(json_body(json!({ "type": "object", "required": ["revisions"], "properties": { "revisions": { "type": "array", "items": { "type": "object", "required": ["accession", "metadata"], "properties": {
                    "accession": { "type": "string" }, "metadata": { "type": "object" }, "sequence": { "type": "string" } } } } } }))),
                ok_json("{revised}"), true) },
            "/api/{organism}/edit": { "post": op("Replace the submitted metadata (and optionally the sequence) of an unreleased version awaiting processing or review; it is processed again", vec![org()],
                Some(json_body(json!({ "type": "object", "required": ["accessionVersion", "metadata"], "properties": {
                    "accessionVersion": { "type": "string" }, "metadata": { "type": "object" }, "sequence": { "type": "string" } } }))),
                ok_json("{edited}"), true) },
            "/api/{organism}/revoke": { "post": op("Add a revocation version to entries", vec![org()],
                Some(json_body(json!({ "type": "object", "required": ["accessions"], "properties": { "accessions": { "type": "array", "items": { "type": "string" } }, "comment": { "type": "string" } } }))),
                ok_json("{revoked}"), true) },
            "/api/{organism}/data-use-terms": { "post": op("Change data use terms (only towards more open)", vec![org()],
                Some(json_body(json!({ "type": "object", "required": ["accessions", "dataUseTerms"], "properties": { "accessions": { "type": "array", "items": { "type": "string" } }, "dataUseTerms": { "$ref": "#/components/schemas/DataUseTerms" } } }))),
                ok_json("{changed}"), true) },
            "/api/{organism}/released": { "get": {
                "summary": "Every released version as NDJSON (one object per line: accession, version, dataUseTerms, sequence, metadata, processed). zstd with Accept-Encoding: zstd or ?compression=zstd. ETag/If-None-Match.",
                "security": [],
                "parameters": [org(), { "name": "compression", "in": "query", "schema": { "type": "string", "enum": ["zstd", "none"] } },
                               { "name": "If-None-Match", "in": "header", "schema": { "type": "string" } }],
                "responses": { "200": { "description": "NDJSON", "content": { "application/x-ndjson": {} } }, "304": { "description": "unchanged" }, "404": problem() } } }
        }
    })
}

pub async fn document() -> Json<Value> {
    Json(spec())
}
