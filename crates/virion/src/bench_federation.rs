//! `virion bench federation`: what a federated answer costs over answering alone. The same
//! synthetic genomes are split over K nodes (real `virion serve` processes on loopback, each
//! with its own identity and peers), node 0 asks all of them; every query of the mix is timed
//! at node 0's federated root and at each node's own root, and the federated p50 is set beside
//! the slowest node's own p50 (the goal: within 2× it + 5 ms).

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Args;
use serde_json::{Value, json};
use virion_federation::{Identity, Level, Peers, Share};
use virion_synth::mix::{MATRIX_MUTATIONS, MATRIX_WEEKS, MIX, decode};

/// Flags of `virion bench federation`.
#[derive(Debug, Args)]
pub struct BenchFederationArgs {
    /// Directory of Nextclade datasets (the genomes are drawn from its sars-cov-2).
    #[arg(long)]
    pub dataset_dir: PathBuf,
    /// Pango alias table (lineage queries with sublineages).
    #[arg(long)]
    pub pango_aliases: PathBuf,
    /// Synthetic genomes over all nodes.
    #[arg(long, default_value_t = 60_000)]
    pub genomes: usize,
    /// Network sizes to measure.
    #[arg(long, value_delimiter = ',', default_value = "3,20")]
    pub nodes: Vec<usize>,
    /// Timed runs of each query at each root (after one warm-up run).
    #[arg(long, default_value_t = 20)]
    pub runs: usize,
    /// Seed of the synthetic genomes.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Where the nodes' data directories go (default: a new temporary directory, removed after).
    #[arg(long)]
    pub work_dir: Option<PathBuf>,
}

/// A `virion serve` child, killed on drop.
struct Node(Child, String);

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

pub(crate) fn run(exe: &Path, args: &[&str]) -> Result<()> {
    let out = Command::new(exe).args(args).output().with_context(|| format!("running virion {}", args[0]))?;
    if !out.status.success() {
        bail!("virion {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(())
}

pub(crate) fn path(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}

/// `virion bench generate`: `genomes` synthetic SARS-CoV-2 genomes as SILO input into `output`.
pub(crate) fn generate(
    exe: &Path,
    dataset_dir: &Path,
    aliases: &Path,
    genomes: usize,
    seed: u64,
    output: &Path,
) -> Result<()> {
    run(
        exe,
        &[
            "bench",
            "generate",
            "--organism",
            "sars-cov-2",
            "--dataset-dir",
            path(dataset_dir),
            "--pango-aliases",
            path(aliases),
            "--sequences",
            &genomes.to_string(),
            "--seed",
            &seed.to_string(),
            "--output",
            path(output),
            "--no-mutations",
        ],
    )
}

/// A mix entry as a POST JSON body and its route under a root.
fn request(endpoint: &str, query: &str) -> (String, Value) {
    let mut body = serde_json::Map::new();
    for (key, values) in decode(query) {
        let values: Vec<String> = values.into_iter().flatten().collect();
        let v = match key.as_str() {
            "limit" | "offset" => json!(values[0].parse::<u64>().unwrap_or(0)),
            "minProportion" => json!(values[0].parse::<f64>().unwrap_or(0.05)),
            "fields" | "nucleotideMutations" | "aminoAcidMutations" => json!(values),
            _ if values.len() == 1 => json!(values[0]),
            _ => json!(values),
        };
        body.insert(key, v);
    }
    if endpoint.ends_with("OverTime") {
        let ranges: Vec<Value> =
            MATRIX_WEEKS.iter().map(|(f, t)| json!({"dateFrom": f, "dateTo": t})).collect();
        let series = json!({"filters": body, "includeMutations": MATRIX_MUTATIONS, "dateRanges": ranges});
        (format!("component/{endpoint}"), series)
    } else {
        (format!("sample/{endpoint}"), Value::Object(body))
    }
}

fn p50(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// Times `runs` POSTs of `body` to `url` (after a warm-up); fails on any answer but 200.
fn time(agent: &ureq::Agent, url: &str, body: &[u8], runs: usize) -> Result<Duration> {
    let mut times = Vec::with_capacity(runs);
    for i in 0..=runs {
        let started = Instant::now();
        let mut r = agent.post(url).header("content-type", "application/json").send(body)?;
        let mut text = String::new();
        r.body_mut().as_reader().read_to_string(&mut text)?;
        let elapsed = started.elapsed();
        if r.status() != 200 {
            bail!("{url}: {} {text}", r.status());
        }
        if i > 0 {
            times.push(elapsed);
        }
    }
    Ok(p50(times))
}

/// Runs `virion bench federation`.
pub fn bench_federation(args: &BenchFederationArgs) -> Result<()> {
    let exe = std::env::current_exe().context("locating the virion binary")?;
    let temp = tempfile::tempdir()?;
    let work = args.work_dir.clone().unwrap_or_else(|| temp.path().to_owned());
    let generated = work.join("generated");
    eprintln!("generating {} genomes", args.genomes);
    generate(&exe, &args.dataset_dir, &args.pango_aliases, args.genomes, args.seed, &generated)?;
    let mut text = String::new();
    zstd::Decoder::new(std::fs::File::open(generated.join("silo.ndjson.zst"))?)?.read_to_string(&mut text)?;
    let lines: Vec<&str> = text.lines().collect();
    let agent = ureq::Agent::config_builder().http_status_as_error(false).build().new_agent();
    // On one machine every node shares its cores: the sum of the nodes' own times over the
    // cores is the least a federated answer can take here, whatever the merging costs.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "| nodes | query | federated p50 ms | slowest node's own p50 ms | ratio | within 2× + 5 ms | nodes' own p50 summed / {cores} cores, ms |"
    );
    println!("|---|---|---|---|---|---|---|");
    for &k in &args.nodes {
        if k == 0 {
            bail!("a network has at least one node");
        }
        let dirs: Vec<PathBuf> = (0..k).map(|i| work.join(format!("net{k}/node{i}"))).collect();
        let ports: Vec<u16> = (0..k).map(|_| free_port()).collect::<Result<_>>()?;
        let names: Vec<String> = (0..k).map(|i| format!("n{i}")).collect();
        for (i, dir) in dirs.iter().enumerate() {
            eprintln!("{k} nodes: importing node {} of {k}", i + 1);
            std::fs::create_dir_all(dir)?;
            let shard: String = lines.iter().skip(i).step_by(k).flat_map(|l| [*l, "\n"]).collect();
            let input = dir.join("shard.ndjson.zst");
            std::fs::write(&input, zstd::encode_all(shard.as_bytes(), 3)?)?;
            run(
                &exe,
                &[
                    "import",
                    "--organism",
                    "covid",
                    "--input",
                    path(&input),
                    "--silo-config",
                    path(&generated.join("database_config.yaml")),
                    "--reference-genomes",
                    path(&generated.join("reference_genomes.json")),
                    "--pango-aliases",
                    path(&args.pango_aliases),
                    "--data-dir",
                    path(dir),
                ],
            )?;
            Identity::init(dir, &names[i], &format!("http://127.0.0.1:{}", ports[i]))?;
        }
        // Node 0 asks every other node; each shares records with it (the whole answer is
        // measured, details included).
        let keys: Vec<String> =
            dirs.iter().map(|d| Ok(Identity::load(d)?.public_key().to_string())).collect::<Result<_>>()?;
        let mut peers0 = Peers::default();
        for i in 1..k {
            peers0.add(&names[i], &format!("http://127.0.0.1:{}", ports[i]), &keys[i])?;
            let mut back = Peers::default();
            back.add(&names[0], &format!("http://127.0.0.1:{}", ports[0]), &keys[0])?;
            back.set_share(&names[0], "covid", Share { level: Level::Records, min_cell: 1 })?;
            back.save(&dirs[i])?;
        }
        peers0.save(&dirs[0])?;
        let mut nodes = Vec::new();
        for (dir, port) in dirs.iter().zip(&ports) {
            let log = std::fs::File::create(dir.join("serve.log"))?;
            let mut child = Command::new(&exe)
                .args([
                    "serve",
                    "--bind",
                    &format!("127.0.0.1:{port}"),
                    "--workers",
                    "1",
                    "--data-dir",
                    path(dir),
                ])
                .args(["--federation-deadline-ms", "120000"])
                .stdout(Stdio::piped())
                .stderr(Stdio::from(log))
                .spawn()?;
            let mut line = String::new();
            BufReader::new(child.stdout.take().context("serve's stdout")?).read_line(&mut line)?;
            if !line.contains("listening") {
                bail!("virion serve did not start: see {}", dir.join("serve.log").display());
            }
            nodes.push(Node(child, format!("http://127.0.0.1:{port}")));
        }
        eprintln!("{k} nodes up; timing the mix");
        for (name, endpoint, query) in MIX {
            let (route, body) = request(endpoint, query);
            let body = serde_json::to_vec(&body)?;
            let federated =
                time(&agent, &format!("{}/federation/covid/{route}", nodes[0].1), &body, args.runs)?;
            let (mut slowest, mut sum) = (Duration::ZERO, Duration::ZERO);
            for node in &nodes {
                let own = time(&agent, &format!("{}/covid/{route}", node.1), &body, args.runs)?;
                slowest = slowest.max(own);
                sum += own;
            }
            let ms = |d: Duration| d.as_secs_f64() * 1000.0;
            let ok = ms(federated) <= 2.0 * ms(slowest) + 5.0;
            println!(
                "| {k} | {name} | {:.2} | {:.2} | {:.1}× | {} | {:.2} |",
                ms(federated),
                ms(slowest),
                ms(federated) / ms(slowest).max(1e-9),
                if ok { "yes" } else { "no" },
                ms(sum) / cores as f64
            );
        }
        drop(nodes);
    }
    Ok(())
}
