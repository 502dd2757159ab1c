//! The real binary end to end: `virion admin` bootstraps an account, `virion serve` runs on a
//! free port with its worker pool, `virion submit` uploads real genomes, `virion approve`
//! releases them, and the released stream carries their clades. SIGTERM stops the server
//! cleanly.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_virion");

fn run(args: &[&str], stdin: &str) -> String {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "virion {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// The first `n` genomes of the ncov open example with their metadata rows.
fn write_subset(shared: &Path, dir: &Path, n: usize) -> (String, String) {
    let base = shared.join("sequences/ncov-open-example");
    let table = std::fs::read_to_string(base.join("example_metadata.tsv")).unwrap();
    let mut lines = table.lines();
    let header = lines.next().unwrap();
    let rows: Vec<&str> = lines.collect();
    let ids: HashSet<&str> = rows.iter().map(|l| l.split('\t').next().unwrap()).collect();
    let records = virion_testdata::read_fasta(&base.join("example_sequences.fasta.gz"));
    let chosen: Vec<_> = records.iter().filter(|r| ids.contains(r.name.as_str())).take(n).collect();
    let names: HashSet<&str> = chosen.iter().map(|r| r.name.as_str()).collect();
    let metadata = dir.join("metadata.tsv");
    let mut m = std::fs::File::create(&metadata).unwrap();
    writeln!(m, "{header}").unwrap();
    for row in rows.iter().filter(|l| names.contains(l.split('\t').next().unwrap())) {
        writeln!(m, "{row}").unwrap();
    }
    let sequences = dir.join("sequences.fasta");
    let mut s = std::fs::File::create(&sequences).unwrap();
    for r in &chosen {
        writeln!(s, ">{}\n{}", r.name, String::from_utf8_lossy(&r.seq)).unwrap();
    }
    (metadata.display().to_string(), sequences.display().to_string())
}

fn get_json(url: &str, token: &str) -> serde_json::Value {
    let mut response = ureq::get(url).header("Authorization", format!("Bearer {token}")).call().unwrap();
    serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap()
}

#[test]
fn serve_admin_submit_approve() {
    let Some(shared) = virion_testdata::shared_data() else { return };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_dir = data.to_str().unwrap();
    run(&["admin", "create-user", "--data-dir", data_dir, "--name", "alice"], "correct horse\n");
    run(&["admin", "create-group", "--data-dir", data_dir, "--name", "lab", "--owner", "alice"], "");
    let token =
        run(&["admin", "create-token", "--data-dir", data_dir, "--user", "alice"], "").trim().to_owned();
    assert!(token.starts_with("vrn_"), "{token}");

    let dataset = format!("sars-cov-2={}", shared.join("nextclade/sars-cov-2").display());
    let mut server = Command::new(BIN)
        .args([
            "serve",
            "--data-dir",
            data_dir,
            "--bind",
            "127.0.0.1:0",
            "--dataset",
            &dataset,
            "--workers",
            "0",
            "--pango-aliases",
            shared.join("pango/alias_key.json").to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(server.stdout.take().unwrap()).read_line(&mut first).unwrap();
    let url = first.trim().rsplit(' ').next().unwrap().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{first}");

    // The server runs no workers; a separate `virion worker` process does the processing.
    let mut worker = Command::new(BIN)
        .args(["worker", "--data-dir", data_dir, "--dataset", &dataset, "--workers", "2"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();

    let (metadata, sequences) = write_subset(&shared, dir.path(), 5);
    let submit_args =
        ["submit", "--server", &url, "--token", &token, "--organism", "sars-cov-2", "--group", "lab"];
    let mut args = submit_args.to_vec();
    args.extend(["--metadata", &metadata, "--sequences", &sequences]);
    let printed = run(&args, "");
    assert_eq!(printed.lines().count(), 5, "{printed}");
    assert!(printed.lines().all(|l| l.contains("\tVSC") && l.ends_with(".1")), "{printed}");

    let start = Instant::now();
    loop {
        let list = get_json(&format!("{url}/api/sars-cov-2/entries?group=lab&status=PROCESSED"), &token);
        if list["entries"].as_array().unwrap().len() == 5 {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(300), "not processed: {list}");
        std::thread::sleep(Duration::from_millis(200));
    }

    let approved = run(&["approve", "--server", &url, "--token", &token, "--group", "lab", "--all"], "");
    assert_eq!(approved.lines().count(), 5, "{approved}");

    let mut response = ureq::get(format!("{url}/api/sars-cov-2/released")).call().unwrap();
    let text = response.body_mut().read_to_string().unwrap();
    let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 5);
    assert!(lines.iter().all(|l| l["processed"]["clade"].as_str().is_some_and(|c| !c.is_empty())), "{text}");

    // The query API sees the release within 10 s (the index follows the released data).
    let start = Instant::now();
    loop {
        let agg = get_json(&format!("{url}/sars-cov-2/sample/aggregated"), &token);
        if agg["data"][0]["count"] == 5 {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "not queryable after 10 s: {agg}");
        std::thread::sleep(Duration::from_millis(100));
    }
    eprintln!("released genomes queryable after {:.1} s", start.elapsed().as_secs_f64());
    // Lineage queries with sublineages resolve Pango aliases.
    let lineages =
        get_json(&format!("{url}/sars-cov-2/sample/aggregated?fields=nextcladePangoLineage"), &token);
    let first = lineages["data"][0]["nextcladePangoLineage"].as_str().unwrap().to_owned();
    let root = first.split('.').next().unwrap();
    let family =
        get_json(&format!("{url}/sars-cov-2/sample/aggregated?nextcladePangoLineage={root}*"), &token);
    assert!(family["data"][0]["count"].as_u64().unwrap() >= 1, "{root}*: {family}");

    // SIGTERM: graceful shutdown of both processes, exit status 0.
    for child in [&mut server, &mut worker] {
        let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
        assert!(killed.success());
        let status = child.wait().unwrap();
        assert!(status.success(), "{status}");
    }
}
