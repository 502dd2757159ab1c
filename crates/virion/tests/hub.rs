//! The real binary end to end: `virion admin` bootstraps an account, `virion serve` runs on a
//! free port with its worker pool, `virion submit` uploads real genomes, `virion approve`
//! releases them, and the released stream carries their clades. SIGTERM stops the server
//! cleanly.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{BIN, bootstrap, get_json, run, serve, stop, write_subset};

#[test]
fn serve_admin_submit_approve() {
    let Some(shared) = virion_testdata::shared_data() else { return };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_dir = data.to_str().unwrap();
    let token = bootstrap(data_dir);
    assert!(token.starts_with("vrn_"), "{token}");

    let dataset = format!("sars-cov-2={}", shared.join("nextclade/sars-cov-2").display());
    let aliases = shared.join("pango/alias_key.json");
    let (mut server, url) =
        serve(data_dir, &dataset, &["--workers", "0", "--pango-aliases", aliases.to_str().unwrap()]);

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
    stop(&mut server);
    stop(&mut worker);
}
