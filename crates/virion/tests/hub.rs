//! The real binary end to end: `virion admin` bootstraps an account, `virion serve` runs on a
//! free port with its worker pool, `virion submit` uploads real genomes, `virion approve`
//! releases them, and the released stream carries their clades. SIGTERM stops the server
//! cleanly.

mod common;

use std::path::Path;
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
    // Not in INSDC yet (no GenBank accession), so the node deposits them at ENA below.
    let table = std::fs::read_to_string(&metadata).unwrap();
    let column = table.lines().next().unwrap().split('\t').position(|c| c == "genbank_accession").unwrap();
    let blanked: Vec<String> = table
        .lines()
        .enumerate()
        .map(|(i, l)| {
            let mut cells: Vec<&str> = l.split('\t').collect();
            if i > 0 {
                cells[column] = "";
            }
            cells.join("\t")
        })
        .collect();
    std::fs::write(&metadata, blanked.join("\n") + "\n").unwrap();
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

    // Deposit at ENA from the command line: the Webin files, then ENA's receipt recorded as
    // new versions of the entries it names.
    let ena = dir.path().join("ena");
    run(
        &[
            "export",
            "ena",
            "--server",
            &url,
            "--token",
            &token,
            "--organism",
            "sars-cov-2",
            "--group",
            "lab",
            "--platform",
            "ILLUMINA",
            "--program",
            "ARTIC nf 1.3",
            "--coverage",
            "120",
            "--out",
            ena.to_str().unwrap(),
        ],
        "",
    );
    for file in ["study.xml", "samples.xml", "submission.xml", "export.json"] {
        assert!(ena.join(file).is_file(), "{file} not written");
    }
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(ena.join("export.json")).unwrap()).unwrap();
    assert_eq!(summary["entries"].as_array().unwrap().len(), 5, "{summary}");
    let first = summary["entries"][0]["accessionVersion"].as_str().unwrap().to_owned();
    assert!(ena.join(summary["entries"][0]["manifest"].as_str().unwrap()).is_file());
    let receipt = ena.join("receipt.xml");
    std::fs::write(
        &receipt,
        format!(
            r#"<RECEIPT receiptDate="2026-12-07T10:15:00.000Z" submissionFile="submission.xml" success="true"><SAMPLE accession="ERS100" alias="{first}" status="PRIVATE"><EXT_ID accession="SAMEA100" type="biosample"/></SAMPLE><ACTIONS>ADD</ACTIONS></RECEIPT>"#
        ),
    )
    .unwrap();
    let recorded = run(
        &[
            "import",
            "ena-receipt",
            "--server",
            &url,
            "--token",
            &token,
            "--organism",
            "sars-cov-2",
            receipt.to_str().unwrap(),
        ],
        "",
    );
    let accession = first.split('.').next().unwrap();
    assert_eq!(recorded.trim(), format!("{accession}.2"), "{recorded}");

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

    // A backup of the running node (with an identity, so node/ is in it too), restored into
    // a new data directory, serves the same released data to the same token.
    run(&["admin", "node", "init", "--data-dir", data_dir, "--name", "hub-a", "--url", &url], "");
    let backup = dir.path().join("backup");
    let backup_dir = backup.to_str().unwrap();
    run(&["admin", "backup", "--data-dir", data_dir, "--out", backup_dir], "");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(backup.join("backup.json")).unwrap()).unwrap();
    let listed: Vec<&str> =
        manifest["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
    for expected in ["virion.sqlite", "node/node.key", "node/node.toml", "index/sars-cov-2.vix"] {
        assert!(listed.contains(&expected), "{expected} not backed up: {manifest}");
    }
    let restored_released = backup_round_trip(&backup, data_dir, &dataset, &token);
    assert_eq!(restored_released, text, "the restored node releases other data");

    // SIGTERM: graceful shutdown of both processes, exit status 0.
    stop(&mut server);
    stop(&mut worker);
}

/// Restores `backup` into a new directory, serves it and returns its released stream; checks
/// that a restore never overwrites a node and that a damaged backup restores nothing.
fn backup_round_trip(backup: &Path, live_data_dir: &str, dataset: &str, token: &str) -> String {
    let backup_dir = backup.to_str().unwrap();
    let failed = |args: &[&str]| {
        let out = Command::new(BIN).args(args).output().unwrap();
        assert!(!out.status.success(), "virion {args:?} succeeded");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    // Onto a node's own data directory: refused, naming it.
    let refused = failed(&["admin", "restore", "--data-dir", live_data_dir, "--from", backup_dir]);
    assert!(refused.contains("already holds a database"), "{refused}");
    // A second backup into an existing directory: refused.
    let refused = failed(&["admin", "backup", "--data-dir", live_data_dir, "--out", backup_dir]);
    assert!(refused.contains("already exists"), "{refused}");

    // A damaged copy (one byte of the node key changed) restores nothing.
    let parent = backup.parent().unwrap();
    let damaged = parent.join("damaged");
    copy_dir(backup, &damaged);
    let key = damaged.join("node/node.key");
    let mut bytes = std::fs::read(&key).unwrap();
    bytes[0] ^= 1;
    std::fs::write(&key, bytes).unwrap();
    let target = parent.join("from-damaged");
    let refused = failed(&[
        "admin",
        "restore",
        "--data-dir",
        target.to_str().unwrap(),
        "--from",
        damaged.to_str().unwrap(),
    ]);
    assert!(refused.contains("node.key") && refused.contains("SHA-256"), "{refused}");
    assert!(!target.join("virion.sqlite").exists(), "a damaged backup left a database");

    let restored = parent.join("restored");
    let restored_dir = restored.to_str().unwrap();
    run(&["admin", "restore", "--data-dir", restored_dir, "--from", backup_dir], "");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(restored.join("node/node.key")).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "the restored key is readable by others: {mode:o}");
    }
    let node = run(&["admin", "node", "show", "--data-dir", restored_dir], "");
    assert!(node.contains("hub-a"), "{node}");
    let (mut server, url) = serve(restored_dir, dataset, &["--workers", "0"]);
    let mut response = ureq::get(format!("{url}/api/sars-cov-2/released")).call().unwrap();
    let released = response.body_mut().read_to_string().unwrap();
    let agg = get_json(&format!("{url}/sars-cov-2/sample/aggregated"), token);
    assert_eq!(agg["data"][0]["count"], 5, "{agg}");
    stop(&mut server);
    released
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &to.join(entry.file_name()));
        } else {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}
