//! The portal in a real headless Chromium: an empty `virion serve`, and web/e2e/portal.mjs
//! driving Debian's Chromium through playwright-core as a newcomer would: sign up, create a
//! group, upload the shared genomes (a broken table first), fix a row, approve; then find them by
//! lineage and by mutation, open a record, download FASTA, chart them on the dashboard, download
//! open and restricted data, revoke one; an administrator then adds a peer on the network page
//! and the search page counts over the network; last, a curator logs in through a real OpenID
//! Connect provider (npm `oidc-provider`, started here) and finds herself curator of the group
//! her provider's group claim names. Screenshots of each page go to docs/screenshots/.
//!
//! Needs `/usr/bin/chromium` (or `$CHROMIUM`), Node.js and `npm ci --prefix web/e2e`; without
//! them the test prints what to install and skips, unless `VIRION_REQUIRE_BROWSER=1` (CI).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{free_port, serve_on, stop, write_subset};

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
    let dataset = format!("sars-cov-2={}", shared.join("nextclade/sars-cov-2").display());
    let aliases = shared.join("pango/alias_key.json");
    // Single sign-on: a real OpenID Connect provider, whose accounts named curator… carry the
    // group claim value that makes them curators of the node's group sso-lab.
    let (node_port, provider_port) = (free_port(), free_port());
    let url = format!("http://127.0.0.1:{node_port}");
    let issuer = format!("http://127.0.0.1:{provider_port}");
    let mut provider = Command::new("node")
        .arg(e2e.join("oidc-provider.mjs"))
        .env("PORT", provider_port.to_string())
        .env("REDIRECT_URI", format!("{url}/login/sso/callback"))
        .env("CLIENT_SECRET", "a test client secret")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(provider.stdout.take().unwrap()));
    let line = lines.next().and_then(Result::ok).unwrap_or_default();
    assert!(line.contains("listening"), "oidc-provider did not start: {line}");
    // The provider keeps printing notices: read them, or its writes would fail once the pipe
    // had no reader.
    std::thread::spawn(move || lines.map_while(Result::ok).for_each(|l| eprintln!("oidc-provider: {l}")));
    let sso_config = dir.path().join("sso.toml");
    std::fs::write(
        &sso_config,
        format!(
            "name = \"Test Login\"\nissuer = \"{issuer}\"\nclient_id = \"virion\"\nclient_secret = \"a test client secret\"\n\
             redirect_url = \"{url}/login/sso/callback\"\nscopes = [\"profile\", \"email\", \"groups\"]\n\
             groups_claim = \"groups\"\n\n[[grant]]\nvalue = \"virion-lab-curators\"\ngroup = \"sso-lab\"\nrole = \"curator\"\n"
        ),
    )
    .unwrap();

    // An empty node: the browser signs up and uploads everything itself.
    let (mut server, served) = serve_on(
        data_dir,
        &dataset,
        &format!("127.0.0.1:{node_port}"),
        &[
            "--workers",
            "2",
            "--pango-aliases",
            aliases.to_str().unwrap(),
            "--sso-config",
            sso_config.to_str().unwrap(),
        ],
    );
    assert_eq!(served, url);

    // Every shared example genome that has metadata, and the same table broken twice (an
    // impossible date, an unknown country).
    let (metadata, sequences) = write_subset(&shared, dir.path(), usize::MAX);
    let table = std::fs::read_to_string(&metadata).unwrap();
    let header: Vec<&str> = table.lines().next().unwrap().split('\t').collect();
    let (date, country) = (
        header.iter().position(|h| *h == "date").unwrap(),
        header.iter().position(|h| *h == "country").unwrap(),
    );
    let broken: Vec<String> = table
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
    let broken_metadata = dir.path().join("metadata-broken.tsv");
    std::fs::write(&broken_metadata, broken.join("\n") + "\n").unwrap();

    // A second, restricted-use batch: 20 of the genomes under new names.
    let restricted_dir = dir.path().join("restricted");
    std::fs::create_dir_all(&restricted_dir).unwrap();
    let (small_metadata, small_sequences) = write_subset(&shared, &restricted_dir, 20);
    let renamed = |text: &str, fasta: bool| -> String {
        text.lines()
            .enumerate()
            .map(|(i, l)| match (fasta, l.strip_prefix('>')) {
                (true, Some(name)) => format!(">{name}-restricted"),
                (true, None) => l.to_owned(),
                (false, _) if i == 0 => l.to_owned(),
                (false, _) => l.replacen('\t', "-restricted\t", 1),
            })
            .collect::<Vec<_>>()
            .join("\n")
            + "\n"
    };
    let restricted_metadata = restricted_dir.join("metadata-restricted.tsv");
    std::fs::write(&restricted_metadata, renamed(&std::fs::read_to_string(&small_metadata).unwrap(), false))
        .unwrap();
    let restricted_sequences = restricted_dir.join("sequences-restricted.fasta");
    std::fs::write(&restricted_sequences, renamed(&std::fs::read_to_string(&small_sequences).unwrap(), true))
        .unwrap();

    // The node joins a network: an identity, an instance administrator (who adds a peer on the
    // network page) and the peer's key. The peer itself is never started: the network's counts
    // name it as missing.
    common::run(&["admin", "node", "init", "--data-dir", data_dir, "--name", "here", "--url", &url], "");
    common::run(
        &["admin", "create-user", "--data-dir", data_dir, "--name", "root", "--admin"],
        "root's long password\n",
    );
    common::run(
        &["admin", "create-group", "--data-dir", data_dir, "--name", "sso-lab", "--owner", "root"],
        "",
    );
    let peer_dir = dir.path().join("peer");
    let peer_key = common::run(
        &[
            "admin",
            "node",
            "init",
            "--data-dir",
            peer_dir.to_str().unwrap(),
            "--name",
            "fr",
            "--url",
            "http://127.0.0.1:9",
        ],
        "",
    );

    let shots = repo.join("docs/screenshots");
    // Where the browser saves the collection's RO-Crate download.
    let crate_zip = dir.path().join("collection.ro-crate.zip");
    let out = Command::new("node")
        .arg(e2e.join("portal.mjs"))
        .arg(&url)
        .arg(&shots)
        .arg(&metadata)
        .arg(&sequences)
        .arg(&broken_metadata)
        .arg(&restricted_metadata)
        .arg(&restricted_sequences)
        .env("CHROMIUM", &chromium)
        .env("VIRION_E2E_ADMIN", "root:root's long password")
        .env("VIRION_E2E_PEER_KEY", peer_key.trim())
        .env("VIRION_E2E_SSO", &issuer)
        .env("VIRION_E2E_CRATE", &crate_zip)
        .output()
        .unwrap();
    stop(&mut server);
    let _ = provider.kill();
    let _ = provider.wait();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(
        out.status.success(),
        "the browser test failed (screenshots in {}):\n{stdout}\n{stderr}",
        shots.display()
    );
    eprintln!("{stdout}");
    // What the browser downloaded is an RO-Crate the standard's validator accepts.
    if let Some(outcome) = virion_testdata::tools::roc_validator(&crate_zip) {
        outcome.assert_passed("the collection's RO-Crate downloaded in the browser");
    }
}
