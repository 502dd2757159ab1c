//! Beacon v2 end to end: real `virion serve` processes checked by the official verifier
//! (`beacon-verifier`, run offline against the Beacon v2.1.1 schemas in `../shared`). One node
//! on its own (a visitor gets counts, a logged-in user records), and a node `a` with two
//! peers answering as a Beacon network: `c` shares records with `a` (its result sets carry records, which the verifier
//! checks against the default model's record schemas), `b` only aggregates with a minimum
//! cell (counts, never records, small counts withheld).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;
use virion_testdata::shared_data;

mod common;

use common::{Serve, free_port};

const BIN: &str = env!("CARGO_BIN_EXE_virion");

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn virion(args: &[&str]) -> String {
    common::run(args, "")
}

impl Serve {
    fn get(&self, path: &str) -> (u16, Value) {
        self.get_as(path, None)
    }

    /// GET with a bearer token (`None`: a visitor).
    fn get_as(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        let agent = ureq::Agent::config_builder().http_status_as_error(false).build().new_agent();
        let mut request = agent.get(format!("{}{path}", self.1));
        if let Some(t) = token {
            request = request.header("authorization", format!("Bearer {t}"));
        }
        let mut r = request.call().unwrap_or_else(|e| panic!("{path}: {e}"));
        let status = r.status().as_u16();
        let text = r.body_mut().read_to_string().unwrap();
        (status, serde_json::from_str(&text).unwrap_or_else(|_| panic!("{path}: {text}")))
    }
}

/// `beacon-verifier` on the PATH; `None` (with a notice) when it is not installed, unless
/// `VIRION_REQUIRE_BEACON_VERIFIER=1`.
fn verifier() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths).map(|d| d.join("beacon-verifier")).find(|p| p.is_file())
    });
    if found.is_none() {
        if std::env::var("VIRION_REQUIRE_BEACON_VERIFIER").as_deref() == Ok("1") {
            panic!("beacon-verifier is not on the PATH but VIRION_REQUIRE_BEACON_VERIFIER=1");
        }
        eprintln!("skipping: beacon-verifier is not on the PATH (cargo install beacon-verifier --locked)");
    }
    found
}

/// A scratch copy of `../shared/data/beacon` the verifier can load offline: every schema gets
/// its file URL as `$id` (the verifier compiles schemas without a base URI) and the absolute
/// GitHub and w3id references point into the copy (see the folder's PROVENANCE.md). The
/// model's records refer to `../common/info.json`, which v2.1.1 has only in the framework's
/// `common/` (the model's has none): that reference points there, to the one `info` schema.
fn offline_schemas(shared: &Path, scratch: &Path) -> PathBuf {
    let root = scratch.join("beacon");
    let spec = format!("file://{}/beacon-v2/", s(&root));
    let vrs = format!("file://{}/ga4gh-vrs-1.3.0/schema/vrs.json", s(&root));
    let info = format!("file://{}/beacon-v2/framework/json/common/info.json", s(&root));
    let model = shared.join("beacon/beacon-v2/models");
    let mut stack = vec![shared.join("beacon")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let target = root.join(path.strip_prefix(shared.join("beacon")).unwrap());
            if path.is_dir() {
                std::fs::create_dir_all(&target).unwrap();
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "json") {
                let mut text = std::fs::read_to_string(&path)
                    .unwrap()
                    .replace("https://raw.githubusercontent.com/ga4gh-beacon/beacon-v2/main/", &spec)
                    .replace("https://w3id.org/ga4gh/schema/vrs/1.3/vrs.json", &vrs);
                if path.starts_with(&model) {
                    text = text.replace("\"../common/info.json\"", &format!("\"{info}\""));
                }
                let mut json: Value = serde_json::from_str(&text).unwrap();
                if let Some(o) = json.as_object_mut() {
                    o.insert("$id".into(), Value::String(format!("file://{}", s(&target))));
                }
                std::fs::create_dir_all(target.parent().unwrap()).unwrap();
                std::fs::write(&target, serde_json::to_vec_pretty(&json).unwrap()).unwrap();
            }
        }
    }
    root
}

/// The verifier's report on the Beacon at `base`.
fn verify(verifier: &Path, schemas: &Path, base: &str) -> Value {
    let o = Command::new(verifier)
        .arg("--framework")
        .arg(format!("file://{}", s(&schemas.join("beacon-v2/framework/json"))))
        .arg("--model")
        .arg(format!("file://{}", s(&schemas.join("beacon-v2/models/json/beacon-v2-default-model"))))
        .arg(base)
        .output()
        .unwrap();
    // It exits 0 even when entities fail: the JSON says.
    assert!(o.status.success(), "beacon-verifier failed: {}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stdout)))
}

/// Paths this node serves under the Beacon base (`{id}` as any one segment).
const SERVED: [&str; 11] = [
    "/info",
    "/configuration",
    "/map",
    "/entry_types",
    "/g_variants",
    "/g_variants/{id}",
    "/g_variants/{id}/biosamples",
    "/biosamples",
    "/biosamples/{id}",
    "/biosamples/{id}/g_variants",
    "/datasets",
];

fn served(path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    SERVED.iter().any(|p| {
        let pattern: Vec<&str> = p.split('/').collect();
        pattern.len() == parts.len() && pattern.iter().zip(&parts).all(|(a, b)| *a == "{id}" || a == b)
    })
}

/// Every report of a served endpoint is valid, nothing is invalid, and each entity we serve
/// was checked at least once; returns the entity names with their (url, valid) for the log.
fn assert_valid(report: &Value, base: &str, records_expected: bool) {
    let entities = report["entities"].as_object().unwrap_or_else(|| panic!("no entities: {report}"));
    let served_entities = [
        "Info",
        "Configuration",
        "BeaconMap",
        "EntryTypes",
        "Genomic Variants",
        "Biological Sample",
        "Dataset",
    ];
    for name in served_entities {
        let reports = entities
            .get(name)
            .and_then(Value::as_array)
            .unwrap_or_else(|| panic!("{name} not checked: {report}"));
        assert!(reports.iter().any(|r| r["valid"] == Value::Bool(true)), "{name}: {reports:?}");
    }
    let mut single_entries = 0;
    for (name, reports) in entities {
        for r in reports.as_array().unwrap() {
            let url = r["url"].as_str().unwrap_or_default();
            assert_ne!(r["valid"], Value::Bool(false), "{name} {url}: {}", r["error"]);
            let path = url.strip_prefix(base).unwrap_or(url);
            if served(path) {
                assert_eq!(r["valid"], Value::Bool(true), "{name} {url}: {}", r["error"]);
                single_entries += usize::from(path.matches('/').count() >= 2);
            }
        }
    }
    // Records give the verifier ids to ask single entries and related entries with (biosample
    // ids only: it reads a variant's id as `variant_internal_id`, not the schema's
    // `variantInternalId`, so it never asks a single variant).
    if records_expected {
        assert!(single_entries >= 2, "single and related entries checked: {single_entries}: {report}");
    }
    eprintln!("{base}: {}", serde_json::to_string(&summary(report)).unwrap());
}

/// Entity → validity of each endpoint checked.
fn summary(report: &Value) -> Value {
    let mut out = serde_json::Map::new();
    for (name, reports) in report["entities"].as_object().unwrap() {
        let v: Vec<Value> = reports.as_array().unwrap().iter().map(|r| r["valid"].clone()).collect();
        out.insert(name.clone(), Value::Array(v));
    }
    Value::Object(out)
}

#[test]
fn beacon_verifier_passes_on_a_node_and_on_a_network() {
    let Some(shared) = shared_data() else { return };
    let Some(verifier) = verifier() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let schemas = offline_schemas(&shared, tmp.path());
    let generated = tmp.path().join("generated");
    let text = common::generate_synthetic(&shared, &generated, 300, 17);
    // `solo` holds all genomes and is in no network; a, b and c a third each.
    let names = ["solo", "a", "b", "c"];
    let mut shards = vec![text.clone(), String::new(), String::new(), String::new()];
    let mut b_accession = String::new();
    for (i, line) in text.lines().enumerate() {
        if i == 1 {
            let v: Value = serde_json::from_str(line).unwrap();
            b_accession = v["accession"].as_str().unwrap().to_owned();
        }
        shards[1 + i % 3].push_str(line);
        shards[1 + i % 3].push('\n');
    }
    let dirs: Vec<PathBuf> = names.iter().map(|n| tmp.path().join(n)).collect();
    for (dir, shard) in dirs.iter().zip(&shards) {
        common::import_silo(&shared, &generated, dir, "covid", shard);
    }
    let ports: Vec<u16> = (0..4).map(|_| free_port()).collect();
    let url = |i: usize| format!("http://127.0.0.1:{}", ports[i]);
    let mut keys = Vec::new();
    for i in 1..4 {
        let key = virion(&[
            "admin",
            "node",
            "init",
            "--data-dir",
            s(&dirs[i]),
            "--name",
            names[i],
            "--url",
            &url(i),
        ]);
        keys.push(key.trim().to_owned());
    }
    let peer_add = |at: usize, peer: usize| {
        let key = &keys[peer - 1];
        virion(&[
            "admin",
            "peer",
            "add",
            "--data-dir",
            s(&dirs[at]),
            "--name",
            names[peer],
            "--url",
            &url(peer),
            "--key",
            key,
        ]);
    };
    peer_add(1, 2);
    peer_add(1, 3);
    peer_add(2, 1);
    peer_add(3, 1);
    let share = |at: usize, level: &str, min_cell: &str| {
        virion(&[
            "admin",
            "share",
            "--data-dir",
            s(&dirs[at]),
            "--organism",
            "covid",
            "--peer",
            "a",
            "--level",
            level,
            "--min-cell",
            min_cell,
        ]);
    };
    share(2, "aggregates", "5");
    share(3, "records", "1");
    // A local account on `solo`, whose token gets records.
    let mut create = Command::new(BIN)
        .args(["admin", "create-user", "--data-dir", s(&dirs[0]), "--name", "reader"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut create.stdin.take().unwrap(), b"reader-password\n").unwrap();
    assert!(create.wait().unwrap().success());
    let solo = Serve::start(&dirs[0], ports[0], &[]);
    let a = Serve::start(&dirs[1], ports[1], &[]);
    let _b = Serve::start(&dirs[2], ports[2], &[]);
    let _c = Serve::start(&dirs[3], ports[3], &[]);

    let started = std::time::Instant::now();
    let base = format!("{}/beacon/v2", solo.1);
    assert_valid(&verify(&verifier, &schemas, &base), &base, false);
    let base = format!("{}/beacon/v2", a.1);
    assert_valid(&verify(&verifier, &schemas, &base), &base, true);
    eprintln!("beacon-verifier on both: {:?}", started.elapsed());

    // A visitor on the lone node gets counts: exact, one result set, no records.
    let (status, v) = solo.get("/beacon/v2/biosamples?requestedGranularity=record");
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["meta"]["returnedGranularity"], "count");
    assert_eq!(v["responseSummary"]["numTotalResults"], 300);
    assert_eq!(v["response"]["resultSets"][0]["results"], serde_json::json!([]));

    // A logged-in user gets records, and fewer details if asked for.
    let login: Value = {
        let body = serde_json::json!({"name": "reader", "password": "reader-password"});
        let mut r = ureq::post(format!("{}/api/login", solo.1))
            .header("content-type", "application/json")
            .send(&serde_json::to_vec(&body).unwrap()[..])
            .unwrap();
        serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap()
    };
    let token = login["token"].as_str().unwrap();
    let (status, v) = solo.get_as("/beacon/v2/biosamples?limit=5&skip=5", Some(token));
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["meta"]["returnedGranularity"], "record");
    assert_eq!(v["response"]["resultSets"][0]["resultsCount"], 300);
    let records = v["response"]["resultSets"][0]["results"].as_array().unwrap();
    assert_eq!(records.len(), 5);
    assert!(records.iter().all(|r| r["id"].is_string() && r["info"]["dataset"] == "covid"), "{v}");
    let (_, v) = solo.get_as("/beacon/v2/biosamples?requestedGranularity=boolean", Some(token));
    assert_eq!(v["meta"]["returnedGranularity"], "boolean");
    assert_eq!(v["responseSummary"], serde_json::json!({"exists": true}));
    assert!(v.get("response").is_none(), "{v}");

    // The network: one result set per node; records only from `c`, counts from `a` (a
    // visitor) and `b` (aggregates), each node's count its third of the genomes.
    let (status, v) = a.get("/beacon/v2/biosamples");
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["meta"]["returnedGranularity"], "record");
    let sets = v["response"]["resultSets"].as_array().unwrap();
    let set =
        |node: &str| sets.iter().find(|s| s["info"]["node"] == node).unwrap_or_else(|| panic!("{node}: {v}"));
    assert_eq!(set("a")["resultsCount"], 100);
    assert_eq!(set("b")["resultsCount"], 100);
    assert_eq!(set("c")["resultsCount"], 100);
    assert_eq!(set("a")["results"], serde_json::json!([]));
    assert_eq!(set("b")["results"], serde_json::json!([]));
    assert_eq!(set("c")["results"].as_array().unwrap().len(), 10);
    assert_eq!(v["responseSummary"]["numTotalResults"], 300);

    // One of `b`'s genomes: `b` withholds a count below its minimum cell and says so; the
    // exact small number is never in the answer.
    let (status, v) = a.get(&format!("/beacon/v2/biosamples/{b_accession}"));
    assert_eq!(status, 200, "{v}");
    assert!(v["response"]["resultSets"].as_array().unwrap().iter().all(|s| s["info"]["node"] != "b"), "{v}");
    assert_eq!(v["info"]["withheld"][0]["node"], "b", "{v}");
    assert_eq!(v["responseSummary"]["exists"], true);
    assert_eq!(v["responseSummary"]["numTotalResults"], 0);
    let (_, one) = solo.get(&format!("/beacon/v2/biosamples/{b_accession}"));
    assert_eq!(one["responseSummary"]["numTotalResults"], 1, "{one}");
    let (_, terms) = a.get("/beacon/v2/filtering_terms");
    let ids: Vec<&str> = terms["response"]["filteringTerms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"country") && ids.contains(&"pangoLineage") && ids.contains(&"date"), "{ids:?}");

    // A variant by Beacon's 0-based coordinates is LAPIS's 1-based mutation.
    let (_, variants) = solo.get("/beacon/v2/g_variants?requestedGranularity=count");
    assert!(variants["responseSummary"]["numTotalResults"].as_u64().unwrap() > 0, "{variants}");
    let (_, rec) = a.get("/beacon/v2/g_variants?limit=1");
    let first =
        &rec["response"]["resultSets"].as_array().unwrap().iter().find(|s| s["info"]["node"] == "c").unwrap()
            ["results"][0];
    let start = first["variation"]["location"]["interval"]["start"]["value"].as_u64().unwrap();
    let id = first["variantInternalId"].as_str().unwrap();
    assert!(id.contains(&(start + 1).to_string()), "{id} at 0-based {start}");
    let query = format!(
        "/beacon/v2/g_variants?referenceName={}&start={start}&referenceBases={}&alternateBases={}",
        first["info"]["referenceName"].as_str().unwrap(),
        first["variation"]["referenceBases"].as_str().unwrap(),
        first["variation"]["alternateBases"].as_str().unwrap(),
    );
    let (status, one) = solo.get(&query);
    assert_eq!(status, 200, "{one}");
    assert_eq!(one["responseSummary"]["numTotalResults"], 1, "{query}: {one}");
    let (status, bad) = solo.get("/beacon/v2/biosamples?filters=nosuchfield=1");
    assert_eq!(status, 400, "{bad}");
    assert!(bad["error"]["errorMessage"].as_str().unwrap().contains("nosuchfield"));
}
