//! Helpers shared by the tests that run the real binary: run a command, write a subset of the
//! shared genomes with their metadata, GET JSON with a token, start `virion serve`.

#![allow(dead_code)]

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_virion");

pub fn run(args: &[&str], stdin: &str) -> String {
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
pub fn write_subset(shared: &Path, dir: &Path, n: usize) -> (String, String) {
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

pub fn get_json(url: &str, token: &str) -> serde_json::Value {
    let mut response = ureq::get(url).header("Authorization", format!("Bearer {token}")).call().unwrap();
    serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap()
}

/// A data directory with user `alice` (owner of group `lab`) and her token.
pub fn bootstrap(data_dir: &str) -> String {
    run(&["admin", "create-user", "--data-dir", data_dir, "--name", "alice"], "correct horse\n");
    run(&["admin", "create-group", "--data-dir", data_dir, "--name", "lab", "--owner", "alice"], "");
    run(&["admin", "create-token", "--data-dir", data_dir, "--user", "alice"], "").trim().to_owned()
}

/// `virion serve` on a free port with `extra` arguments; returns the child and its URL (the
/// first line it prints).
pub fn serve(data_dir: &str, dataset: &str, extra: &[&str]) -> (Child, String) {
    serve_on(data_dir, dataset, "127.0.0.1:0", extra)
}

/// [`serve`] listening on `bind`.
pub fn serve_on(data_dir: &str, dataset: &str, bind: &str, extra: &[&str]) -> (Child, String) {
    let mut args = vec!["serve", "--data-dir", data_dir, "--bind", bind, "--dataset", dataset];
    args.extend(extra);
    let mut server =
        Command::new(BIN).args(&args).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let mut first = String::new();
    BufReader::new(server.stdout.take().unwrap()).read_line(&mut first).unwrap();
    let url = first.trim().rsplit(' ').next().unwrap().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{first}");
    (server, url)
}

/// SIGTERM, then the exit status must be success (a clean shutdown).
pub fn stop(child: &mut Child) {
    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
}

fn path(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}

/// `virion bench generate`: `n` synthetic SARS-CoV-2 genomes of `seed` as SILO input in `out`
/// (with its database config and reference genomes); returns the NDJSON text.
pub fn generate_synthetic(shared: &Path, out: &Path, n: usize, seed: u64) -> String {
    run(
        &[
            "bench",
            "generate",
            "--organism",
            "sars-cov-2",
            "--dataset-dir",
            path(&shared.join("nextclade")),
            "--pango-aliases",
            path(&shared.join("pango/alias_key.json")),
            "--sequences",
            &n.to_string(),
            "--seed",
            &seed.to_string(),
            "--output",
            path(out),
            "--no-mutations",
        ],
        "",
    );
    let mut text = String::new();
    let file = std::fs::File::open(out.join("silo.ndjson.zst")).unwrap();
    std::io::Read::read_to_string(&mut zstd::Decoder::new(file).unwrap(), &mut text).unwrap();
    text
}

/// `virion import` of SILO NDJSON lines (of genomes from [`generate_synthetic`] into
/// `generated`) as collection `name` in `data_dir`.
pub fn import_silo(shared: &Path, generated: &Path, data_dir: &Path, name: &str, ndjson: &str) {
    std::fs::create_dir_all(data_dir).unwrap();
    let input = data_dir.join(format!("{name}.ndjson.zst"));
    std::fs::write(&input, zstd::encode_all(ndjson.as_bytes(), 3).unwrap()).unwrap();
    run(
        &[
            "import",
            "--organism",
            name,
            "--input",
            path(&input),
            "--silo-config",
            path(&generated.join("database_config.yaml")),
            "--reference-genomes",
            path(&generated.join("reference_genomes.json")),
            "--pango-aliases",
            path(&shared.join("pango/alias_key.json")),
            "--data-dir",
            path(data_dir),
        ],
        "",
    );
}

/// A free loopback port (bound, then released for a server to take).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// `virion serve` on `data_dir` at `port` with `extra` arguments (its log in
/// `data_dir/serve.log`), killed on drop; `.1` is its URL.
pub struct Serve(pub Child, pub String);

impl Serve {
    pub fn start(data_dir: &Path, port: u16, extra: &[&str]) -> Serve {
        let log = std::fs::File::create(data_dir.join("serve.log")).unwrap();
        let bind = format!("127.0.0.1:{port}");
        let mut child = Command::new(BIN)
            .args(["serve", "--bind", &bind, "--workers", "1", "--data-dir", path(data_dir)])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        assert!(
            line.contains("listening"),
            "virion serve did not start: {}",
            data_dir.join("serve.log").display()
        );
        Serve(child, format!("http://{bind}"))
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
