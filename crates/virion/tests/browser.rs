//! The portal in a real headless Chromium: `virion serve` holds the shared genomes (submitted
//! with `virion submit`, processed by its workers, approved), and web/e2e/portal.mjs drives
//! Debian's Chromium through playwright-core: home, search by lineage and by mutation, facets,
//! sorting, a record page, a FASTA download, a bad filter explained. Screenshots of each page
//! go to docs/screenshots/.
//!
//! Needs `/usr/bin/chromium` (or `$CHROMIUM`), Node.js and `npm ci --prefix web/e2e`; without
//! them the test prints what to install and skips, unless `VIRION_REQUIRE_BROWSER=1` (CI).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::{bootstrap, get_json, run, serve, stop, write_subset};

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// What is missing for the browser test, if anything.
fn missing(e2e: &Path, chromium: &Path) -> Option<String> {
    if !chromium.exists() {
        return Some(format!("{} not found (apt-get install chromium, or set CHROMIUM)", chromium.display()));
    }
    if Command::new("node").arg("--version").output().map_or(true, |o| !o.status.success()) {
        return Some("node not found (install Node.js 18 or newer)".into());
    }
    if !e2e.join("node_modules/playwright-core").exists() {
        return Some(format!("playwright-core not installed (npm ci --prefix {})", e2e.display()));
    }
    None
}

#[test]
fn portal_in_chromium() {
    let Some(shared) = virion_testdata::shared_data() else { return };
    let repo = repository();
    let e2e = repo.join("web/e2e");
    let chromium = PathBuf::from(std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()));
    if let Some(why) = missing(&e2e, &chromium) {
        if std::env::var("VIRION_REQUIRE_BROWSER").is_ok_and(|v| v == "1") {
            panic!("VIRION_REQUIRE_BROWSER=1 but the browser test cannot run: {why}");
        }
        eprintln!("NOTICE: skipping the browser test: {why}");
        return;
    }

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_dir = data.to_str().unwrap();
    let token = bootstrap(data_dir);
    let dataset = format!("sars-cov-2={}", shared.join("nextclade/sars-cov-2").display());
    let aliases = shared.join("pango/alias_key.json");
    let (mut server, url) =
        serve(data_dir, &dataset, &["--workers", "2", "--pango-aliases", aliases.to_str().unwrap()]);

    // Every shared example genome that has metadata.
    let (metadata, sequences) = write_subset(&shared, dir.path(), usize::MAX);
    let printed = run(
        &[
            "submit",
            "--server",
            &url,
            "--token",
            &token,
            "--organism",
            "sars-cov-2",
            "--group",
            "lab",
            "--metadata",
            &metadata,
            "--sequences",
            &sequences,
        ],
        "",
    );
    let submitted = printed.lines().count();
    assert!(submitted > 100, "{printed}");
    let start = Instant::now();
    loop {
        let list = get_json(&format!("{url}/api/sars-cov-2/entries?group=lab&status=PROCESSED"), &token);
        if list["entries"].as_array().unwrap().len() == submitted {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(600), "not processed in time");
        std::thread::sleep(Duration::from_millis(250));
    }
    run(&["approve", "--server", &url, "--token", &token, "--group", "lab", "--all"], "");
    let start = Instant::now();
    while get_json(&format!("{url}/sars-cov-2/sample/aggregated"), &token)["data"][0]["count"] != submitted {
        assert!(start.elapsed() < Duration::from_secs(30), "released genomes not queryable");
        std::thread::sleep(Duration::from_millis(200));
    }

    // For the browser's own upload: 20 genomes under new names (the CLI sent the originals),
    // and the same table broken twice (an impossible date, an unknown country).
    let upload_dir = dir.path().join("browser-upload");
    std::fs::create_dir_all(&upload_dir).unwrap();
    let (small_metadata, small_sequences) = write_subset(&shared, &upload_dir, 20);
    let renamed = |text: &str, fasta: bool| -> String {
        text.lines()
            .enumerate()
            .map(|(i, l)| match (fasta, l.strip_prefix('>')) {
                (true, Some(name)) => format!(">{name}-browser"),
                (true, None) => l.to_owned(),
                (false, _) if i == 0 => l.to_owned(),
                (false, _) => l.replacen('\t', "-browser\t", 1),
            })
            .collect::<Vec<_>>()
            .join("\n")
            + "\n"
    };
    let table = std::fs::read_to_string(&small_metadata).unwrap();
    let good_metadata = upload_dir.join("metadata-browser.tsv");
    std::fs::write(&good_metadata, renamed(&table, false)).unwrap();
    let good_sequences = upload_dir.join("sequences-browser.fasta");
    std::fs::write(&good_sequences, renamed(&std::fs::read_to_string(&small_sequences).unwrap(), true))
        .unwrap();
    let header: Vec<&str> = table.lines().next().unwrap().split('\t').collect();
    let (date, country) = (
        header.iter().position(|h| *h == "date").unwrap(),
        header.iter().position(|h| *h == "country").unwrap(),
    );
    let broken: Vec<String> = renamed(&table, false)
        .lines()
        .enumerate()
        .map(|(i, l)| {
            let mut cells: Vec<String> = l.split('\t').map(str::to_owned).collect();
            match i {
                2 => cells[date] = "2020-13-45".into(),
                5 => cells[country] = "Atlantis".into(),
                _ => {}
            }
            cells.join("\t")
        })
        .collect();
    let broken_metadata = upload_dir.join("metadata-broken.tsv");
    std::fs::write(&broken_metadata, broken.join("\n") + "\n").unwrap();

    let shots = repo.join("docs/screenshots");
    let out = Command::new("node")
        .arg(e2e.join("portal.mjs"))
        .arg(&url)
        .arg(&shots)
        .arg(&good_metadata)
        .arg(&good_sequences)
        .arg(&broken_metadata)
        .env("CHROMIUM", &chromium)
        .output()
        .unwrap();
    stop(&mut server);
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(
        out.status.success(),
        "the browser test failed (screenshots in {}):\n{stdout}\n{stderr}",
        shots.display()
    );
    eprintln!("{stdout}");
}
