//! Federation end to end: three real `virion serve` processes on loopback, each holding a
//! third of the same synthetic genomes (imported as collection `covid`), and a fourth holding
//! all of them. Node `a` asks `b` (which shares only aggregates with it) and `c` (which shares
//! records, behind a proxy that can be slowed). Federated answers of the whole benchmark mix
//! equal the union node's; with `b`'s cells below 5 withheld they differ by exactly those cells;
//! none of `b`'s genomes reaches `a` on any route; a slow and a dead node make answers
//! incomplete, naming them; forged, unknown and replayed node requests are refused.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use virion_federation::signature;
use virion_federation::wire::{PART_PATH, PartRequest, Question};
use virion_synth::mix::{MATRIX_MUTATIONS, MATRIX_WEEKS, MIX, decode};
use virion_testdata::shared_data;

mod common;

use common::{Serve, free_port};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn virion(args: &[&str]) -> String {
    common::run(args, "")
}

impl Serve {
    fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let mut r = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .new_agent()
            .post(format!("{}{path}", self.1))
            .header("content-type", "application/json")
            .send(&serde_json::to_vec(body).unwrap()[..])
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        let status = r.status().as_u16();
        // Sequence answers of the whole union pass ureq's default 10 MiB.
        let text = r.body_mut().with_config().limit(1 << 30).read_to_string().unwrap();
        (status, serde_json::from_str(&text).unwrap_or_else(|_| panic!("{path}: {text}")))
    }

    fn ok(&self, path: &str, body: &Value) -> Value {
        let (status, v) = self.post(path, body);
        assert_eq!(status, 200, "{path} {body}: {v}");
        v
    }
}

/// A TCP proxy that holds every chunk a client sends for `delay` milliseconds (read at that
/// moment) before passing it on: a slow network or node, as the asking node sees it, on new and
/// kept-alive connections alike.
fn proxy(listen: u16, upstream: u16, delay: Arc<AtomicU64>) {
    let listener = TcpListener::bind(("127.0.0.1", listen)).unwrap();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let delay = delay.clone();
            std::thread::spawn(move || {
                let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else { return };
                let (mut c_read, mut s_write) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                std::thread::spawn(move || {
                    let mut buf = [0u8; 1 << 16];
                    loop {
                        let n = match c_read.read(&mut buf) {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        std::thread::sleep(Duration::from_millis(delay.load(Ordering::SeqCst)));
                        if s_write.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    let _ = s_write.shutdown(std::net::Shutdown::Write);
                });
                let (mut s_read, mut c_write) = (server, client);
                let _ = std::io::copy(&mut s_read, &mut c_write);
                let _ = c_write.shutdown(std::net::Shutdown::Both);
            });
        }
    });
}

/// A mix entry as a LAPIS POST JSON body.
fn body(query: &str) -> Value {
    let mut out = serde_json::Map::new();
    for (key, values) in decode(query) {
        let values: Vec<String> = values.into_iter().flatten().collect();
        let v = match key.as_str() {
            "limit" | "offset" => json!(values[0].parse::<u64>().unwrap()),
            "minProportion" => json!(values[0].parse::<f64>().unwrap()),
            "fields" | "nucleotideMutations" | "aminoAcidMutations" => json!(values),
            _ if values.len() == 1 => json!(values[0]),
            _ => json!(values),
        };
        out.insert(key, v);
    }
    Value::Object(out)
}

/// The mix's time series as a component body: its filters, LAPIS-COMPAT's mutations and weeks.
fn series_body(query: &str) -> Value {
    let ranges: Vec<Value> =
        MATRIX_WEEKS.iter().map(|(from, to)| json!({"dateFrom": from, "dateTo": to})).collect();
    json!({"filters": body(query), "includeMutations": MATRIX_MUTATIONS, "dateRanges": ranges})
}

/// An answer's rows as sorted JSON texts (the order of unordered answers is free).
fn rows(answer: &Value) -> Vec<String> {
    let mut rows: Vec<String> = answer["data"].as_array().unwrap().iter().map(Value::to_string).collect();
    rows.sort();
    rows
}

/// Rows keyed by every column but `count`, with their count.
fn counts(answer: &Value, count: &str) -> BTreeMap<String, i64> {
    answer["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let mut key = r.clone();
            let n = key.as_object_mut().unwrap().remove(count).unwrap().as_i64().unwrap();
            for extra in ["coverage", "proportion"] {
                key.as_object_mut().unwrap().remove(extra);
            }
            (key.to_string(), n)
        })
        .collect()
}

fn federation(answer: &Value) -> &Value {
    &answer["info"]["federation"]
}

#[test]
fn three_nodes_answer_as_one_holding_their_union() {
    let Some(shared) = shared_data() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let generated = tmp.path().join("generated");
    let text = common::generate_synthetic(&shared, &generated, 1500, 11);
    // Three shards and their union, each imported as collection `covid`.
    let names = ["a", "b", "c", "union"];
    let mut shards = vec![String::new(); 3];
    let mut b_accessions = BTreeSet::new();
    for (i, line) in text.lines().enumerate() {
        shards[i % 3].push_str(line);
        shards[i % 3].push('\n');
        if i % 3 == 1 {
            let v: Value = serde_json::from_str(line).unwrap();
            b_accessions.insert(v["accession"].as_str().unwrap().to_owned());
        }
    }
    shards.push(text.clone());
    let dirs: Vec<_> = names.iter().map(|n| tmp.path().join(n)).collect();
    for (dir, shard) in dirs.iter().zip(&shards) {
        common::import_silo(&shared, &generated, dir, "covid", shard);
    }

    // Identities: `b` and `c` are known by their proxies' addresses (their public URLs, as
    // behind reverse proxies), which can slow them down.
    let ports: Vec<u16> = (0..4).map(|_| free_port()).collect();
    let (b_public, c_public) = (free_port(), free_port());
    let url = |port: u16| format!("http://127.0.0.1:{port}");
    let mut keys = BTreeMap::new();
    for (i, name) in names[..3].iter().enumerate() {
        let public = match *name {
            "b" => url(b_public),
            "c" => url(c_public),
            _ => url(ports[i]),
        };
        let key =
            virion(&["admin", "node", "init", "--data-dir", s(&dirs[i]), "--name", name, "--url", &public]);
        keys.insert(*name, (key.trim().to_owned(), public));
    }
    let peer_add = |at: usize, peer: &str| {
        let (key, public) = &keys[peer];
        virion(&[
            "admin",
            "peer",
            "add",
            "--data-dir",
            s(&dirs[at]),
            "--name",
            peer,
            "--url",
            public,
            "--key",
            key,
        ]);
    };
    peer_add(0, "b");
    peer_add(0, "c");
    peer_add(1, "a");
    peer_add(2, "a");
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
    // `b` keeps the default share for a new peer (aggregates, min cell 5) until told.
    assert!(
        virion(&["admin", "peer", "list", "--data-dir", s(&dirs[1])]).contains("aggregates (min cell 5)")
    );
    share(1, "aggregates", "1");
    share(2, "records", "1");

    let delay = Arc::new(AtomicU64::new(0));
    proxy(c_public, ports[2], delay.clone());
    let b_delay = Arc::new(AtomicU64::new(0));
    proxy(b_public, ports[1], b_delay.clone());
    let deadline = ["--federation-deadline-ms", "3000"];
    let a = Serve::start(&dirs[0], ports[0], &deadline);
    let mut b = Serve::start(&dirs[1], ports[1], &[]);
    let _c = Serve::start(&dirs[2], ports[2], &[]);
    let union = Serve::start(&dirs[3], ports[3], &[]);

    // 1. Every query of the mix: the federated answer is the union's. Detail rows come only
    //    from `a` and `c` (b shares aggregates).
    let ac_accessions: BTreeSet<String> = text
        .lines()
        .enumerate()
        .filter(|(i, _)| i % 3 != 1)
        .map(|(_, l)| serde_json::from_str::<Value>(l).unwrap()["accession"].as_str().unwrap().to_owned())
        .collect();
    let (mut compared, mut non_empty) = (0, 0);
    for (name, endpoint, query) in MIX {
        let (req, route) = if endpoint.ends_with("OverTime") {
            (series_body(query), format!("component/{endpoint}"))
        } else {
            (body(query), format!("sample/{endpoint}"))
        };
        let fed = a.ok(&format!("/federation/covid/{route}"), &req);
        let one = union.ok(&format!("/covid/{route}"), &req);
        if endpoint.ends_with("OverTime") {
            assert_eq!(fed["data"], one["data"], "{name}");
            compared += 1;
            continue;
        }
        assert_eq!(federation(&fed)["incomplete"], false, "{name}: {fed}");
        if *endpoint == "details" {
            let got = fed["data"].as_array().unwrap();
            let limit = req["limit"].as_u64().unwrap() as usize;
            assert_eq!(got.len(), limit.min(ac_accessions.len()), "{name}");
            for row in got {
                assert!(ac_accessions.contains(row["accession"].as_str().unwrap()), "{name}: {row}");
            }
        } else {
            assert_eq!(rows(&fed), rows(&one), "{name}: federated and union answers differ");
        }
        compared += 1;
        non_empty += usize::from(!rows(&one).is_empty() && one["data"][0]["count"] != 0);
    }
    assert!(compared >= 20, "{compared} queries compared");
    assert!(non_empty >= 15, "only {non_empty} of the mix's answers hold something");
    // Time series with something in them: the commonest amino-acid mutations per year, and
    // two queries per year.
    let common = union.ok("/covid/sample/aminoAcidMutations", &json!({"minProportion": 0.3}));
    let mutations: Vec<&str> =
        common["data"].as_array().unwrap().iter().take(4).map(|r| r["mutation"].as_str().unwrap()).collect();
    assert!(!mutations.is_empty(), "{common}");
    let years: Vec<Value> = (2020..=2024)
        .map(|y| json!({"dateFrom": format!("{y}-01-01"), "dateTo": format!("{y}-12-31")}))
        .collect();
    let over_time = json!({"filters": {}, "includeMutations": mutations, "dateRanges": years});
    let fed = a.ok("/federation/covid/component/aminoAcidMutationsOverTime", &over_time);
    let one = union.ok("/covid/component/aminoAcidMutationsOverTime", &over_time);
    assert_eq!(fed["data"], one["data"]);
    assert!(one["data"]["totalCountsByDateRange"].as_array().unwrap().iter().any(|n| n != 0), "{one}");
    let queries = json!({"filters": {"country": "USA"}, "dateRanges": years, "queries": [
        {"displayLabel": "first", "countQuery": mutations[0], "coverageQuery": "date.isNull=false"},
        {"countQuery": "country=USA", "coverageQuery": "country=USA"}]});
    let fed = a.ok("/federation/covid/component/queriesOverTime", &queries);
    assert_eq!(fed["data"], union.ok("/covid/component/queriesOverTime", &queries)["data"]);

    // The insertion routes and a paged, ordered detail table.
    for endpoint in ["nucleotideInsertions", "aminoAcidInsertions"] {
        let fed = a.ok(&format!("/federation/covid/sample/{endpoint}"), &json!({}));
        assert_eq!(
            rows(&fed),
            rows(&union.ok(&format!("/covid/sample/{endpoint}"), &json!({}))),
            "{endpoint}"
        );
    }
    let paged = json!({"fields": ["accession", "date"], "orderBy": ["date", "accession"], "limit": 7, "offset": 5, "country": "USA"});
    let fed = a.ok("/federation/covid/sample/details", &paged);
    let mut expected: Vec<Value> = union.ok(
        "/covid/sample/details",
        &json!({"fields": ["accession", "date"], "orderBy": ["date", "accession"], "country": "USA"}),
    )["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| ac_accessions.contains(r["accession"].as_str().unwrap()))
        .cloned()
        .collect();
    expected = expected.into_iter().skip(5).take(7).collect();
    assert_eq!(fed["data"].as_array().unwrap(), &expected);

    // The sequence routes list the same page, with the sequences of the nodes holding them.
    for route in ["alignedNucleotideSequences", "unalignedNucleotideSequences", "alignedAminoAcidSequences/S"]
    {
        let order = json!({"orderBy": ["date", "accession"], "country": "USA", "dataFormat": "JSON"});
        let mut page = order.clone();
        page["limit"] = json!(7);
        page["offset"] = json!(5);
        let fed = a.ok(&format!("/federation/covid/sample/{route}"), &page);
        let all = union.ok(&format!("/covid/sample/{route}"), &order);
        let expected: Vec<&Value> = all
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| ac_accessions.contains(r["accession"].as_str().unwrap()))
            .skip(5)
            .take(7)
            .collect();
        assert_eq!(expected.len(), 7, "{route}");
        assert_eq!(fed.as_array().unwrap().iter().collect::<Vec<_>>(), expected, "{route}");
    }
    let fasta = ureq::get(format!(
        "{}/federation/covid/sample/alignedAminoAcidSequences/S?orderBy=date,accession&country=USA&limit=7&offset=5&fastaHeaderTemplate={{accession}}|{{date}}",
        a.1
    ))
    .call()
    .unwrap()
    .body_mut()
    .read_to_string()
    .unwrap();
    let headers: Vec<&str> = fasta.lines().filter_map(|l| l.strip_prefix('>')).collect();
    let wanted: Vec<String> = expected
        .iter()
        .map(|r| format!("{}|{}", r["accession"].as_str().unwrap(), r["date"].as_str().unwrap_or("null")))
        .collect();
    assert_eq!(headers, wanted, "FASTA headers from the template, in the page's order");

    // A random sample is drawn over the pooled rows: fixed by its seed, paged consistently, and
    // from both nodes that share records.
    let sample = |offset: u64, limit: u64| {
        let req = json!({"fields": ["accession", "node"], "orderBy": "random(5)", "offset": offset, "limit": limit});
        a.ok("/federation/covid/sample/details", &req)["data"].as_array().unwrap().clone()
    };
    let twenty = sample(0, 20);
    assert_eq!(twenty.len(), 20);
    assert_eq!(sample(0, 20), twenty, "a seed fixes the sample");
    assert_eq!([sample(0, 10), sample(10, 10)].concat(), twenty, "pages of one order");
    // The sequence routes draw the same sample from the same seed.
    let drawn = a.ok(
        "/federation/covid/sample/alignedAminoAcidSequences/S",
        &json!({"orderBy": "random(5)", "limit": 20, "dataFormat": "JSON"}),
    );
    let drawn: Vec<&str> =
        drawn.as_array().unwrap().iter().map(|r| r["accession"].as_str().unwrap()).collect();
    let listed: Vec<&str> = twenty.iter().map(|r| r["accession"].as_str().unwrap()).collect();
    assert_eq!(drawn, listed, "one seed, one sample, on details and sequences");
    let nodes: BTreeSet<&str> = twenty.iter().map(|r| r["node"].as_str().unwrap()).collect();
    assert_eq!(nodes, BTreeSet::from(["a", "c"]), "{twenty:?}");
    for row in &twenty {
        assert!(ac_accessions.contains(row["accession"].as_str().unwrap()), "{row}");
    }

    // 2. `node` is a field: per-node counts are each node's own totals.
    let per_node = a.ok("/federation/covid/sample/aggregated", &json!({"fields": ["node"]}));
    let got = counts(&per_node, "count");
    for (i, name) in names[..3].iter().enumerate() {
        let lines = shards[i].lines().count() as i64;
        assert_eq!(got.get(&json!({"node": name}).to_string()), Some(&lines), "{per_node}");
    }
    let only_c = a.ok("/federation/covid/sample/aggregated", &json!({"node": "c"}));
    assert_eq!(only_c["data"][0]["count"], shards[2].lines().count() as u64);
    let (status, unknown) = a.post("/federation/covid/sample/aggregated", &json!({"node": "zz"}));
    assert_eq!(status, 503, "{unknown}");
    // A filter on a field the nodes lack is an error naming a node.
    let (status, bad) = a.post("/federation/covid/sample/aggregated", &json!({"noSuchField": "x"}));
    assert_eq!(status, 400, "{bad}");
    assert!(bad["error"]["detail"].as_str().unwrap().contains("node "), "{bad}");

    // The portal's network page: this node, its peers, and every node's answer about `covid`.
    let page = ureq::get(format!("{}/network", a.1)).call().unwrap().body_mut().read_to_string().unwrap();
    for expected in
        ["This node is", "<strong>a</strong>", &keys["b"].1, &keys["c"].1, "/federation/covid/", "records"]
    {
        assert!(page.contains(expected), "the network page lacks {expected}: {page}");
    }
    assert_eq!(page.matches("<td>ok").count(), 3, "{page}");

    // The dashboards can ask the network: GenSpectrum's components get the federated root, and
    // what they read first (the reference genome) is there.
    let dashboard = ureq::get(format!("{}/covid/dashboard?scope=network", a.1))
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    assert!(dashboard.contains(&format!(r#"lapis="{}/federation/covid""#, a.1)), "{dashboard}");
    let reference = a.ok_get("/federation/covid/sample/referenceGenome");
    assert_eq!(reference, union.ok_get("/covid/sample/referenceGenome"));

    // The search page counts over the network on request (the rows listed stay this node's).
    let count_of = |node: &Serve| {
        node.ok("/covid/sample/aggregated", &json!({"country": "USA"}))["data"][0]["count"].as_u64().unwrap()
    };
    let shown = |n: u64| {
        let digits = n.to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        format!(r#"data-testid="result-count">{out}<"#)
    };
    let search = |scope: &str| {
        let url = format!("{}/covid/search?country=USA{scope}", a.1);
        ureq::get(url).call().unwrap().body_mut().read_to_string().unwrap()
    };
    let (here, network) = (search(""), search("&scope=network"));
    assert!(here.contains(&shown(count_of(&a))) && here.contains("scope=network"), "{here}");
    assert!(network.contains(&shown(count_of(&union))) && network.contains("the network's"), "{network}");
    assert_ne!(count_of(&a), count_of(&union));

    // 3. `b` withholds cells below 5: each grouped count is the union's less `b`'s small cells.
    share(1, "aggregates", "5");
    for query in ["fields=country", "fields=pangoLineage", "fields=date.isoWeek&country=Germany,France"] {
        let req = body(query);
        let fed = counts(&a.ok("/federation/covid/sample/aggregated", &req), "count");
        let all = counts(&union.ok("/covid/sample/aggregated", &req), "count");
        let b_own = counts(&b.ok("/covid/sample/aggregated", &req), "count");
        for (key, n) in &all {
            let small = b_own.get(key).copied().filter(|&m| m < 5).unwrap_or(0);
            let expected = n - small;
            assert_eq!(fed.get(key).copied().unwrap_or(0), expected, "{query}: {key}");
        }
    }
    let withheld = a.ok("/federation/covid/sample/aggregated", &body("fields=pangoLineage"));
    let b_status =
        federation(&withheld)["nodes"].as_array().unwrap().iter().find(|n| n["node"] == "b").unwrap().clone();
    assert!(b_status["withheldGroups"].as_u64().unwrap() > 0, "{b_status}");
    // No genome of `b` reaches `a`, on any route, even grouped by accession.
    let mut routes: Vec<(String, Value)> = MIX
        .iter()
        .map(|(_, e, q)| {
            if e.ends_with("OverTime") {
                (format!("component/{e}"), series_body(q))
            } else {
                (format!("sample/{e}"), body(q))
            }
        })
        .collect();
    routes.push(("sample/aggregated".into(), json!({"fields": ["accession"]})));
    routes.push(("sample/details".into(), json!({})));
    routes.push(("sample/nucleotideInsertions".into(), json!({})));
    routes.push(("sample/alignedAminoAcidSequences/ORF7a".into(), json!({"dataFormat": "JSON"})));
    for (endpoint, req) in &routes {
        let text = a.ok(&format!("/federation/covid/{endpoint}"), req).to_string();
        for accession in &b_accessions {
            assert!(!text.contains(accession.as_str()), "{endpoint} {req} leaks {accession}");
        }
    }

    // 4. Node requests: a replayed, a forged and an unknown signer are refused.
    let question = PartRequest { organism: "covid".into(), question: Question::About };
    let bytes = serde_json::to_vec(&question).unwrap();
    let target = format!("{}{PART_PATH}", keys["b"].1);
    let send = |headers: &signature::SignedHeaders| {
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .new_agent()
            .post(&target)
            .header("content-digest", &headers.content_digest)
            .header("signature-input", &headers.signature_input)
            .header("signature", &headers.signature)
            .send(&bytes[..])
            .unwrap()
            .status()
            .as_u16()
    };
    let a_identity = virion_federation::Identity::load(&dirs[0]).unwrap();
    let signed = signature::sign(&a_identity, "POST", &target, &bytes);
    assert_eq!(send(&signed), 200);
    assert_eq!(send(&signed), 401, "a replay is refused");
    let impostor_dir = tmp.path().join("impostor");
    let impostor = virion_federation::Identity::init(&impostor_dir, "a", "http://127.0.0.1:1").unwrap();
    assert_eq!(
        send(&signature::sign(&impostor, "POST", &target, &bytes)),
        401,
        "a forged signature is refused"
    );
    let stranger =
        virion_federation::Identity::init(&tmp.path().join("stranger"), "zz", "http://127.0.0.1:1").unwrap();
    assert_eq!(send(&signature::sign(&stranger, "POST", &target, &bytes)), 401, "an unknown node is refused");
    let mut tampered = signature::sign(&a_identity, "POST", &target, &bytes);
    tampered.content_digest = signature::content_digest(b"{}");
    assert_eq!(send(&tampered), 401, "a body that is not the signed one is refused");
    let log = std::fs::read_to_string(dirs[1].join("serve.log")).unwrap();
    assert!(log.matches("federation.refused").count() >= 4, "refusals are logged");

    // 5. `c` slowed past the deadline: the answer is incomplete, naming it; requireAllNodes=true
    //    turns that into a 503.
    delay.store(6_000, Ordering::SeqCst);
    let slow = a.ok("/federation/covid/sample/aggregated", &json!({}));
    assert_eq!(federation(&slow)["incomplete"], true, "{slow}");
    assert_eq!(federation(&slow)["missingNodes"], json!(["c"]), "{slow}");
    let (status, refused) =
        a.post("/federation/covid/sample/aggregated", &json!({"requireAllNodes": "true"}));
    assert_eq!(status, 503, "{refused}");
    assert!(refused["error"]["detail"].as_str().unwrap().contains('c'), "{refused}");
    delay.store(0, Ordering::SeqCst);

    // 6. `b` killed while a question to it is on its way: incomplete, naming it as failed (not
    //    late); the others still answer.
    b_delay.store(2_000, Ordering::SeqCst);
    let dead = std::thread::scope(|scope| {
        let asking = scope.spawn(|| a.ok("/federation/covid/sample/aggregated", &json!({})));
        std::thread::sleep(Duration::from_millis(500));
        let _ = b.0.kill();
        let _ = b.0.wait();
        asking.join().unwrap()
    });
    assert_eq!(federation(&dead)["missingNodes"], json!(["b"]), "{dead}");
    let b_status = federation(&dead)["nodes"].as_array().unwrap().iter().find(|n| n["node"] == "b").unwrap();
    assert_eq!(b_status["status"], "failed", "{dead}");
    let expected = (shards[0].lines().count() + shards[2].lines().count()) as u64;
    assert_eq!(dead["data"][0]["count"], expected);

    // The network's info: every node with its status.
    let info = a.ok_get("/federation/covid/sample/info");
    assert_eq!(info["info"]["federation"]["nodes"].as_array().unwrap().len(), 3, "{info}");
    drop(b);
}

impl Serve {
    fn ok_get(&self, path: &str) -> Value {
        let mut r = ureq::get(format!("{}{path}", self.1)).call().unwrap_or_else(|e| panic!("{path}: {e}"));
        serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap()
    }
}
