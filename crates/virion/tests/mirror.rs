//! Mirroring a peer's released data, in a network of three real `virion serve` processes:
//! node `h` takes real SARS-CoV-2 submissions (processed, approved, two of them under restricted
//! terms); node `m` mirrors `h`'s sars-cov-2 as collection `sars-cov-2-h`; node `x` holds other
//! genomes and shares only aggregates with `m`; node `u` holds the union of `h`'s and `x`'s.
//!
//! The mirror answers every LAPIS route exactly as `h` answers for its open data, and its search
//! page links records to `h`. `m`'s federated root over h and x answers as `u` does (the mirror
//! counts nothing twice); with x's minimum cell at 5 it withholds exactly x's small cells, and no
//! record of x reaches m on any route. The mirror follows a revision and a revocation; it
//! survives being killed (journal kept, collection served again at start-up, nothing copied
//! twice); and when `h` opens a restricted entry (a terms change rewrites old lines), the mirror
//! copies the stream again and serves the entry.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use common::{BIN, bootstrap, get_json, run, serve, write_subset};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Kills the server on drop (a failed assertion must not leave it running).
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn post_json(url: &str, token: &str, body: &Value) -> Value {
    let mut r = ureq::post(url)
        .header("Authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .send(body.to_string())
        .unwrap();
    serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap()
}

fn get(url: &str) -> Value {
    let mut r = ureq::get(url).call().unwrap_or_else(|e| panic!("{url}: {e}"));
    serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap()
}

fn get_text(url: &str) -> String {
    ureq::get(url).call().unwrap_or_else(|e| panic!("{url}: {e}")).body_mut().read_to_string().unwrap()
}

fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Waits until `n` versions of group `lab` are processed, then approves them all.
fn process_and_approve(url: &str, token: &str, n: usize) {
    wait_until("processing", Duration::from_secs(300), || {
        let list = get_json(&format!("{url}/api/sars-cov-2/entries?group=lab&status=PROCESSED"), token);
        list["entries"].as_array().unwrap().len() == n
    });
    let approved = run(&["approve", "--server", url, "--token", token, "--group", "lab", "--all"], "");
    assert_eq!(approved.lines().count(), n, "{approved}");
}

/// Every LAPIS route's answer (`data`, or the FASTA text) for the given root and filter.
fn answers(root: &str, filter: &str) -> Vec<(String, Value)> {
    let routes = [
        "aggregated",
        "aggregated?fields=country,nextcladePangoLineage&orderBy=country,nextcladePangoLineage",
        "details?orderBy=accessionVersion",
        "nucleotideMutations?minProportion=0.01&orderBy=mutation",
        "aminoAcidMutations?minProportion=0.01&orderBy=mutation",
        "nucleotideInsertions?orderBy=insertion",
        "aminoAcidInsertions?orderBy=insertion",
    ];
    let mut out = Vec::new();
    for r in routes {
        let sep = if r.contains('?') { '&' } else { '?' };
        let url = format!("{root}/sample/{r}{sep}{filter}");
        out.push((r.to_owned(), get(&url)["data"].clone()));
    }
    for r in ["unalignedNucleotideSequences", "alignedNucleotideSequences", "alignedAminoAcidSequences/S"] {
        let url = format!("{root}/sample/{r}?orderBy=accessionVersion&{filter}");
        out.push((r.to_owned(), Value::String(get_text(&url))));
    }
    out
}

fn assert_same(home: &str, mirror: &str) {
    let theirs = answers(&format!("{home}/sars-cov-2"), "dataUseTerms=OPEN");
    let ours = answers(&format!("{mirror}/sars-cov-2-h"), "dataUseTerms=OPEN");
    for ((route, a), (_, b)) in theirs.iter().zip(&ours) {
        assert_eq!(a, b, "{route}: the mirror differs from its home node");
    }
}

fn count(root: &str) -> u64 {
    get(&format!("{root}/sample/aggregated"))["data"][0]["count"].as_u64().unwrap_or(0)
}

/// The genomes of `write_subset(…, from + n)` after the first `from`, as files of their own.
fn later_subset(shared: &Path, dir: &Path, from: usize, n: usize) -> (String, String) {
    std::fs::create_dir_all(dir).unwrap();
    let (metadata, sequences) = write_subset(shared, dir, from + n);
    let fasta = std::fs::read_to_string(&sequences).unwrap();
    let records: Vec<&str> = fasta.split('>').filter(|r| !r.is_empty()).skip(from).collect();
    let names: Vec<&str> = records.iter().map(|r| r.lines().next().unwrap().trim()).collect();
    std::fs::write(&sequences, records.iter().map(|r| format!(">{r}")).collect::<String>()).unwrap();
    let table = std::fs::read_to_string(&metadata).unwrap();
    let mut lines = table.lines();
    let header = lines.next().unwrap();
    let rows: Vec<&str> = lines.filter(|l| names.contains(&l.split('\t').next().unwrap())).collect();
    std::fs::write(&metadata, format!("{header}\n{}\n", rows.join("\n"))).unwrap();
    (metadata, sequences)
}

fn mirror_lines(data_dir: &str) -> String {
    run(&["admin", "mirror", "list", "--data-dir", data_dir], "")
}

/// A hub node of its own: an account, `virion serve` with the SARS-CoV-2 dataset, and batches
/// of the shared genomes submitted ((first, count, restricted until)); `wait` processes and
/// approves them.
struct HubNode {
    _server: Killed,
    url: String,
    token: String,
    submitted: usize,
}

impl HubNode {
    fn start(shared: &Path, dir: &Path, batches: &[(usize, usize, Option<&str>)]) -> HubNode {
        let token = bootstrap(s(dir));
        let dataset = format!("sars-cov-2={}", shared.join("nextclade/sars-cov-2").display());
        let aliases = shared.join("pango/alias_key.json");
        let (server, url) = serve(s(dir), &dataset, &["--workers", "2", "--pango-aliases", s(&aliases)]);
        let node = HubNode { _server: Killed(server), url, token, submitted: 0 };
        let mut submitted = 0;
        for (i, (from, n, until)) in batches.iter().enumerate() {
            let (metadata, sequences) = later_subset(shared, &dir.join(format!("batch{i}")), *from, *n);
            let mut args = vec!["submit", "--server", &node.url, "--token", &node.token, "--organism"];
            args.extend(["sars-cov-2", "--group", "lab", "--metadata", &metadata, "--sequences", &sequences]);
            if let Some(until) = until {
                args.extend(["--restricted-until", until]);
            }
            submitted += run(&args, "").lines().count();
        }
        HubNode { submitted, ..node }
    }

    /// Processes and approves what was submitted; waits until the index holds it.
    fn release(&self) {
        process_and_approve(&self.url, &self.token, self.submitted);
        let n = self.submitted as u64;
        wait_until("the index", Duration::from_secs(30), || count(&format!("{}/sars-cov-2", self.url)) == n);
    }
}

#[test]
fn a_mirror_answers_as_its_home_node_and_follows_it() {
    let Some(shared) = virion_testdata::shared_data() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (h_dir, m_dir) = (dir.path().join("h"), dir.path().join("m"));
    let dataset = format!("sars-cov-2={}", shared.join("nextclade/sars-cov-2").display());
    let aliases = shared.join("pango/alias_key.json");

    // h: eight open genomes and two restricted ones; x: six others (it will share only
    // aggregates); u: all of them, the union the network must answer as.
    let until = (chrono::Utc::now().date_naive() + chrono::Days::new(300)).to_string();
    let h_batches = [(0, 8, None), (8, 2, Some(until.as_str()))];
    let h = HubNode::start(&shared, &h_dir, &h_batches);
    let x = HubNode::start(&shared, &dir.path().join("x"), &[(10, 6, None)]);
    let u = HubNode::start(&shared, &dir.path().join("u"), &[h_batches[0], h_batches[1], (10, 6, None)]);
    let (home, token) = (h.url.clone(), h.token.clone());
    for node in [&h, &x, &u] {
        node.release();
    }
    let restricted: Vec<String> =
        get(&format!("{home}/sars-cov-2/sample/details?dataUseTerms=RESTRICTED&fields=accession"))["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["accession"].as_str().unwrap().to_owned())
            .collect();
    assert_eq!(restricted.len(), 2);

    // Node m mirrors h.
    let h_key = run(&["admin", "node", "init", "--data-dir", s(&h_dir), "--name", "h", "--url", &home], "");
    let m_key = run(
        &["admin", "node", "init", "--data-dir", s(&m_dir), "--name", "m", "--url", "http://127.0.0.1:9"],
        "",
    );
    run(
        &[
            "admin",
            "peer",
            "add",
            "--data-dir",
            s(&m_dir),
            "--name",
            "h",
            "--url",
            &home,
            "--key",
            h_key.trim(),
        ],
        "",
    );
    run(&["admin", "mirror", "add", "--data-dir", s(&m_dir), "--peer", "h", "--organism", "sars-cov-2"], "");
    let m_args = ["--workers", "0", "--pango-aliases", s(&aliases), "--mirror-every-ms", "300"];
    let (m, mirror) = serve(s(&m_dir), &dataset, &m_args);
    let mut m = Killed(m);
    wait_until("the first copy", Duration::from_secs(60), || {
        ureq::get(format!("{mirror}/sars-cov-2-h/sample/aggregated")).call().is_ok()
            && count(&format!("{mirror}/sars-cov-2-h")) == 8
    });
    assert_same(&home, &mirror);
    let info = get(&format!("{mirror}/sars-cov-2-h/sample/info"));
    assert!(info.to_string().contains("node h"), "the mirror names its origin: {info}");
    let details = get(&format!("{mirror}/sars-cov-2-h/sample/details?fields=accession"));
    for row in details["data"].as_array().unwrap() {
        let accession = row["accession"].as_str().unwrap();
        assert!(!restricted.iter().any(|r| r == accession), "restricted {accession} was mirrored");
    }

    // An aggregator's catalogue lists the peer's mirrored data as a dataset of its own,
    // counted from the copy, its landing page at the peer; it still conforms to DCAT-AP.
    let catalog = get_text(&format!("{mirror}/catalog"));
    assert!(catalog.contains("genomes of node h"), "{catalog}");
    assert!(catalog.contains(&format!("\"{}\"", count(&format!("{mirror}/sars-cov-2-h")))), "{catalog}");
    let catalog_file = dir.path().join("aggregator-catalog.ttl");
    std::fs::write(&catalog_file, &catalog).unwrap();
    if let Some(result) = virion_testdata::tools::dcat_ap_conforms(&catalog_file) {
        result.unwrap_or_else(|report| {
            panic!("the aggregator's catalogue does not conform to DCAT-AP:\n{report}")
        });
    }

    // The mirror's search page links each record to its page at h.
    let search = get_text(&format!("{mirror}/sars-cov-2-h/search"));
    assert!(search.contains(&format!("href=\"{home}/seq/")), "{search}");

    // m's federated root asks h itself: the mirrored copy is a collection of its own, and h's
    // genomes are counted once.
    run(
        &[
            "admin",
            "peer",
            "add",
            "--data-dir",
            s(&h_dir),
            "--name",
            "m",
            "--url",
            "http://127.0.0.1:9",
            "--key",
            m_key.trim(),
        ],
        "",
    );
    run(
        &[
            "admin",
            "share",
            "--data-dir",
            s(&h_dir),
            "--organism",
            "sars-cov-2",
            "--peer",
            "m",
            "--level",
            "records",
        ],
        "",
    );
    let per_node = get(&format!("{mirror}/federation/sars-cov-2/sample/aggregated?fields=node&orderBy=node"));
    let total: u64 = per_node["data"].as_array().unwrap().iter().map(|r| r["count"].as_u64().unwrap()).sum();
    assert_eq!(total, 10, "{per_node}");
    assert_eq!(per_node["info"]["federation"]["incomplete"], false, "{per_node}");

    // Three nodes: m (its own sars-cov-2 empty, h's mirrored beside it), h sharing records, x
    // sharing only aggregates. With x's minimum cell at 1 the network answers as u, which holds
    // the union; at 5, x's small cells are withheld; no record of x ever reaches m.
    let x_dir = dir.path().join("x");
    let x_key = run(&["admin", "node", "init", "--data-dir", s(&x_dir), "--name", "x", "--url", &x.url], "");
    let add = |at: &Path, name: &str, url: &str, key: &str| {
        run(
            &["admin", "peer", "add", "--data-dir", s(at), "--name", name, "--url", url, "--key", key.trim()],
            "",
        )
    };
    add(&m_dir, "x", &x.url, &x_key);
    add(&x_dir, "m", "http://127.0.0.1:9", &m_key);
    let x_share = |min_cell: &str| {
        let args =
            ["--organism", "sars-cov-2", "--peer", "m", "--level", "aggregates", "--min-cell", min_cell];
        run(&[&["admin", "share", "--data-dir", s(&x_dir)][..], &args[..]].concat(), "")
    };
    x_share("1");
    for route in [
        "aggregated",
        "aggregated?fields=country&orderBy=country",
        "aggregated?fields=nextcladePangoLineage,dataUseTerms&orderBy=nextcladePangoLineage,dataUseTerms",
        "nucleotideMutations?orderBy=mutation",
        "aminoAcidMutations?minProportion=0.2&orderBy=mutation",
        "nucleotideInsertions?orderBy=insertion",
        "aminoAcidInsertions?orderBy=insertion",
    ] {
        let fed = get(&format!("{mirror}/federation/sars-cov-2/sample/{route}"));
        let one = get(&format!("{}/sars-cov-2/sample/{route}", u.url));
        assert_eq!(fed["info"]["federation"]["incomplete"], false, "{route}: {fed}");
        assert_eq!(fed["data"], one["data"], "{route}: the network differs from the union");
    }
    x_share("5");
    // Grouped by lineage (x's genomes all come from one country), each count is the union's
    // less x's cells under 5.
    let by_lineage = |url: &str| -> std::collections::BTreeMap<String, u64> {
        get(&format!("{url}/sample/aggregated?fields=nextcladePangoLineage"))["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (r["nextcladePangoLineage"].as_str().unwrap_or("").to_owned(), r["count"].as_u64().unwrap())
            })
            .collect()
    };
    let x_cells = by_lineage(&format!("{}/sars-cov-2", x.url));
    let mut expected = by_lineage(&format!("{}/sars-cov-2", u.url));
    for (lineage, n) in &x_cells {
        if *n < 5 {
            let left = expected[lineage] - n;
            if left == 0 {
                expected.remove(lineage);
            } else {
                expected.insert(lineage.clone(), left);
            }
        }
    }
    assert!(x_cells.values().any(|n| *n < 5), "x has a small cell to withhold: {x_cells:?}");
    assert_eq!(by_lineage(&format!("{mirror}/federation/sars-cov-2")), expected);
    let x_ids: Vec<String> =
        get(&format!("{}/sars-cov-2/sample/details?fields=submission_id", x.url))["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["submission_id"].as_str().unwrap().to_owned())
            .collect();
    assert_eq!(x_ids.len(), 6);
    for route in [
        "details",
        "details?fields=submission_id",
        "aggregated?fields=submission_id",
        "unalignedNucleotideSequences",
    ] {
        let text = get_text(&format!("{mirror}/federation/sars-cov-2/sample/{route}"));
        for id in &x_ids {
            assert!(!text.contains(id.as_str()), "{route} leaks x's {id}");
        }
    }

    // A revision and a revocation at h reach the mirror.
    let released = get_text(&format!("{home}/api/sars-cov-2/released"));
    let first: Value = serde_json::from_str(released.lines().next().unwrap()).unwrap();
    let second: Value = serde_json::from_str(released.lines().nth(1).unwrap()).unwrap();
    let (revised, revoked) = (first["accession"].as_str().unwrap(), second["accession"].as_str().unwrap());
    let mut metadata = first["metadata"].as_object().unwrap().clone();
    metadata.insert("country".into(), json!("Iceland"));
    post_json(
        &format!("{home}/api/sars-cov-2/revise"),
        &token,
        &json!({"revisions": [{"accession": revised, "metadata": metadata}]}),
    );
    post_json(&format!("{home}/api/sars-cov-2/revoke"), &token, &json!({"accessions": [revoked]}));
    process_and_approve(&home, &token, 2);
    wait_until("h's index after the revision", Duration::from_secs(30), || {
        count(&format!("{home}/sars-cov-2")) == 9
    });
    wait_until("the revision and revocation mirrored", Duration::from_secs(60), || {
        count(&format!("{mirror}/sars-cov-2-h")) == 7
    });
    assert_same(&home, &mirror);
    let iceland =
        get(&format!("{mirror}/sars-cov-2-h/sample/details?country=Iceland&fields=accession,version"));
    assert_eq!(iceland["data"], json!([{"accession": revised, "version": 2}]));
    assert!(mirror_lines(s(&m_dir)).contains("12 lines"), "{}", mirror_lines(s(&m_dir)));

    // Killed mid-life: the copy and its collection come back at start-up, nothing is copied twice.
    let _ = m.0.kill();
    let _ = m.0.wait();
    let (m2, mirror) = serve(s(&m_dir), &dataset, &m_args);
    m = Killed(m2);
    // Served at once from its last build (appends since are not in it), then built again.
    assert!(count(&format!("{mirror}/sars-cov-2-h")) >= 7, "served from its snapshot at start-up");
    wait_until("the rebuild after the restart", Duration::from_secs(30), || {
        count(&format!("{mirror}/sars-cov-2-h")) == 7
    });
    assert!(mirror_lines(s(&m_dir)).contains("12 lines"), "{}", mirror_lines(s(&m_dir)));
    assert_same(&home, &mirror);

    // Opening a restricted entry changes old lines at h: the mirror copies again and serves it.
    post_json(
        &format!("{home}/api/sars-cov-2/data-use-terms"),
        &token,
        &json!({"accessions": [restricted[0]], "dataUseTerms": {"type": "OPEN"}}),
    );
    wait_until("h's index after the terms change", Duration::from_secs(30), || {
        get(&format!("{home}/sars-cov-2/sample/aggregated?dataUseTerms=OPEN"))["data"][0]["count"] == 8
    });
    wait_until("the opened entry mirrored", Duration::from_secs(60), || {
        count(&format!("{mirror}/sars-cov-2-h")) == 8
    });
    assert_same(&home, &mirror);
    drop(m);

    // Mirror commands name what is wrong.
    let out = Command::new(BIN)
        .args(["admin", "mirror", "add", "--data-dir", s(&m_dir), "--peer", "nobody", "--organism", "x"])
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no peer named \"nobody\""));
}
