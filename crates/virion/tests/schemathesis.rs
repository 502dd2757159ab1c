//! Schemathesis, the OpenAPI fuzzer (PyPI `schemathesis`), against the real `virion serve` on
//! SQLite and on PostgreSQL, holding released genomes, with every check: each answer's status
//! and media type is documented, bodies match their schemas, what the schema allows is
//! accepted and what it forbids is refused, and no request makes a server error.
//!
//! The run is seeded, so a failure reproduces with the command it prints. The test skips with
//! a notice when `schemathesis` is not installed, unless `VIRION_REQUIRE_SCHEMATHESIS=1`
//! (CI installs it and sets that). `VIRION_SCHEMATHESIS_EXAMPLES` sets the examples per
//! operation (default 20).

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{BIN, get_json, run, write_subset};
use virion_testdata::postgres::PgTestDatabase;

/// The seed of every run (a failure reproduces with it).
const SEED: &str = "36327580787170002230839230787606693839";

fn schemathesis() -> Option<String> {
    let found = Command::new("schemathesis").arg("--version").output().is_ok_and(|o| o.status.success());
    if found {
        return Some("schemathesis".into());
    }
    if std::env::var("VIRION_REQUIRE_SCHEMATHESIS").as_deref() == Ok("1") {
        panic!(
            "schemathesis is required (VIRION_REQUIRE_SCHEMATHESIS=1) but not found: pip install schemathesis"
        );
    }
    eprintln!(
        "NOTICE: skipping the Schemathesis run: `schemathesis` is not installed (pip install schemathesis)"
    );
    None
}

#[test]
fn schemathesis_sqlite() {
    let Some(shared) = virion_testdata::shared_data() else { return };
    let Some(st) = schemathesis() else { return };
    let dir = tempfile::tempdir().unwrap();
    fuzz(&st, &shared, dir.path(), None);
}

#[test]
fn schemathesis_postgres() {
    let Some(shared) = virion_testdata::shared_data() else { return };
    let Some(st) = schemathesis() else { return };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let Some(db) = runtime.block_on(PgTestDatabase::create()) else { return };
    let dir = tempfile::tempdir().unwrap();
    fuzz(&st, &shared, dir.path(), Some(&db.url));
    runtime.block_on(db.drop_database());
}

fn fuzz(st: &str, shared: &Path, dir: &Path, database_url: Option<&str>) {
    let data = dir.join("data");
    let data_dir = data.to_str().unwrap();
    let mut db: Vec<&str> = vec!["--data-dir", data_dir];
    if let Some(url) = database_url {
        db.extend(["--database-url", url]);
    }
    let with_db =
        |args: &[&'static str]| -> Vec<&str> { args.iter().copied().chain(db.iter().copied()).collect() };
    run(&with_db(&["admin", "create-user", "--name", "alice"]), "correct horse\n");
    run(&with_db(&["admin", "create-group", "--name", "lab", "--owner", "alice"]), "");
    let token = run(&with_db(&["admin", "create-token", "--user", "alice"]), "").trim().to_owned();
    // A node identity, so that the federation routes answer rather than say "not set up".
    run(
        &["admin", "node", "init", "--data-dir", data_dir, "--name", "fuzzed", "--url", "http://127.0.0.1:9"],
        "",
    );

    let dataset = format!("sars-cov-2={}", shared.join("nextclade/sars-cov-2").display());
    let log = std::fs::File::create(dir.join("serve.log")).unwrap();
    let mut args = vec!["serve", "--bind", "127.0.0.1:0", "--dataset", &dataset, "--workers", "1"];
    args.extend(&db);
    let mut server =
        Command::new(BIN).args(&args).stdout(std::process::Stdio::piped()).stderr(log).spawn().unwrap();
    let mut first = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(server.stdout.take().unwrap()), &mut first)
        .unwrap();
    let url = first.trim().rsplit(' ').next().unwrap().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{first}");

    // Released genomes, so that LAPIS answers hold data.
    let (metadata, sequences) = write_subset(shared, dir, 5);
    run(
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
    let started = Instant::now();
    while get_json(&format!("{url}/api/sars-cov-2/entries?group=lab&status=PROCESSED"), &token)["entries"]
        .as_array()
        .unwrap()
        .len()
        < 5
    {
        assert!(started.elapsed() < Duration::from_secs(300), "not processed in 5 minutes");
        std::thread::sleep(Duration::from_millis(200));
    }
    run(&["approve", "--server", &url, "--token", &token, "--group", "lab", "--all"], "");

    let examples = std::env::var("VIRION_SCHEMATHESIS_EXAMPLES").unwrap_or_else(|_| "20".into());
    let authorization = format!("Authorization: Bearer {token}");
    let schema = format!("{url}/api/openapi.json");
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemathesis/schemathesis.toml");
    let st_args = [
        "--no-color",
        "--config-file",
        config.to_str().unwrap(),
        "run",
        &schema,
        "--checks",
        "all",
        "--header",
        &authorization,
        "--max-examples",
        &examples,
        "--phases",
        "examples,coverage,fuzzing",
        "--seed",
        SEED,
        "--workers",
        "2",
    ];
    let started = Instant::now();
    // Run in the scratch directory: Schemathesis keeps its cache in the working directory.
    let out = Command::new(st).args(st_args).current_dir(dir).env("NO_COLOR", "1").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    eprintln!(
        "schemathesis ({}) finished in {:.0} s: {}",
        if database_url.is_some() { "PostgreSQL" } else { "SQLite" },
        started.elapsed().as_secs_f64(),
        stdout.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("")
    );
    let _ = Command::new("kill").args(["-TERM", &server.id().to_string()]).status();
    let _ = server.wait();
    assert!(
        out.status.success(),
        "schemathesis found failures (reproduce: {st} {}):\n{stdout}\n{}\nserver log: {}",
        st_args.join(" ").replace(&token, "$TOKEN"),
        String::from_utf8_lossy(&out.stderr),
        std::fs::read_to_string(dir.join("serve.log"))
            .unwrap_or_default()
            .lines()
            .rev()
            .take(40)
            .collect::<Vec<_>>()
            .join("\n")
    );
}
