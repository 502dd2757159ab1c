//! `virion bench fairness`: does a cheap question stay fast while the worst questions run?
//! One real `virion serve` over synthetic genomes; `--heavy` clients each ask, over and over, a
//! worst-case question (an n-of over thousands of mutations, the case that once held every
//! query slot for a minute), while one client times a cheap count. Reports the count's p50 and
//! p99 with and without the load (the goal: p99 ≤ 50 ms under 8 worst-case queries).

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::bench_federation::{generate, path, run};
use clap::Args;

/// Flags of `virion bench fairness`.
#[derive(Debug, Args)]
pub struct BenchFairnessArgs {
    /// Directory of Nextclade datasets (the genomes are drawn from its sars-cov-2).
    #[arg(long)]
    pub dataset_dir: PathBuf,
    /// Pango alias table.
    #[arg(long)]
    pub pango_aliases: PathBuf,
    /// Synthetic genomes served.
    #[arg(long, default_value_t = 60_000)]
    pub genomes: usize,
    /// Worst-case questions asked at once, each by its own client, again and again.
    #[arg(long, default_value_t = 8)]
    pub heavy: usize,
    /// Mutations in each worst-case n-of.
    #[arg(long, default_value_t = 5_000)]
    pub heavy_terms: usize,
    /// Timed cheap counts while idle.
    #[arg(long, default_value_t = 300)]
    pub runs: usize,
    /// Seconds of cheap counts (one every 10 ms) while the worst-case questions run.
    #[arg(long, default_value_t = 30)]
    pub seconds: u64,
    /// Where the data directory goes (default: a new temporary directory, removed after).
    #[arg(long)]
    pub work_dir: Option<PathBuf>,
}

/// The `virion serve` child, killed on drop.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The worst-case question: at least half of `terms` nucleotide mutations (positions spread
/// over the genome, letters varied), as LAPIS's advancedQuery.
fn worst_case_body(terms: usize) -> Vec<u8> {
    let letters = ['A', 'C', 'G', 'T'];
    let children: Vec<String> =
        (0..terms).map(|i| format!("{}{}", 1 + (i * 7) % 29_000, letters[i % 4])).collect();
    let query = format!("[{}-of: {}]", terms / 2, children.join(", "));
    serde_json::to_vec(&serde_json::json!({ "advancedQuery": query })).expect("JSON")
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// Times cheap counts, `runs` of them or until `until`, pausing `pause` between them; fails on
/// any answer but 200.
fn time_counts(
    agent: &ureq::Agent,
    url: &str,
    runs: usize,
    until: Option<Instant>,
    pause: Duration,
) -> Result<Vec<Duration>> {
    let mut times = Vec::with_capacity(runs);
    while times.len() < runs || until.is_some_and(|u| Instant::now() < u) {
        std::thread::sleep(pause);
        let started = Instant::now();
        let mut r = agent.get(url).call()?;
        let mut text = String::new();
        r.body_mut().as_reader().read_to_string(&mut text)?;
        if r.status() != 200 {
            bail!("{url}: {} {text}", r.status());
        }
        times.push(started.elapsed());
    }
    times.sort();
    Ok(times)
}

/// Runs `virion bench fairness`.
pub fn bench_fairness(args: &BenchFairnessArgs) -> Result<()> {
    let exe = std::env::current_exe().context("locating the virion binary")?;
    let temp = tempfile::tempdir()?;
    let work = args.work_dir.clone().unwrap_or_else(|| temp.path().to_owned());
    let generated = work.join("generated");
    let data = work.join("node");
    eprintln!("generating and importing {} genomes", args.genomes);
    generate(&exe, &args.dataset_dir, &args.pango_aliases, args.genomes, 1, &generated)?;
    run(
        &exe,
        &[
            "import",
            "--organism",
            "covid",
            "--input",
            path(&generated.join("silo.ndjson.zst")),
            "--silo-config",
            path(&generated.join("database_config.yaml")),
            "--reference-genomes",
            path(&generated.join("reference_genomes.json")),
            "--pango-aliases",
            path(&args.pango_aliases),
            "--data-dir",
            path(&data),
        ],
    )?;
    let log = std::fs::File::create(work.join("serve.log"))?;
    let mut child = Command::new(&exe)
        .args(["serve", "--bind", "127.0.0.1:0", "--workers", "0", "--data-dir", path(&data)])
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log))
        .spawn()?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().context("serve's stdout")?).read_line(&mut line)?;
    let _server = Server(child);
    let base = line.trim().rsplit(' ').next().context("the address virion serve printed")?.to_owned();
    if !base.starts_with("http") {
        bail!("virion serve did not start: see {}", work.join("serve.log").display());
    }
    let agent = ureq::Agent::config_builder().http_status_as_error(false).build().new_agent();
    let cheap = format!("{base}/covid/sample/aggregated?country=Switzerland");
    time_counts(&agent, &cheap, 20, None, Duration::ZERO)?; // warm-up
    let idle = time_counts(&agent, &cheap, args.runs, None, Duration::ZERO)?;

    let stop = Arc::new(AtomicBool::new(false));
    let (answered, refused) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let body = Arc::new(worst_case_body(args.heavy_terms));
    let heavy_url = format!("{base}/covid/sample/aggregated");
    let clients: Vec<_> = (0..args.heavy)
        .map(|_| {
            let (stop, answered, refused, body, url) =
                (stop.clone(), answered.clone(), refused.clone(), body.clone(), heavy_url.clone());
            let agent = agent.clone();
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let r = agent.post(&url).header("content-type", "application/json").send(&body[..]);
                    match r {
                        Ok(mut r) => {
                            let _ = r.body_mut().as_reader().read_to_end(&mut Vec::new());
                            let counter = if r.status() == 200 { &answered } else { &refused };
                            counter.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(_) => {
                            refused.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            })
        })
        .collect();
    // Let every worst-case question get going before timing.
    std::thread::sleep(Duration::from_secs(2));
    let started = Instant::now();
    let until = started + Duration::from_secs(args.seconds);
    let loaded = time_counts(&agent, &cheap, 1, Some(until), Duration::from_millis(10));
    let window = started.elapsed();
    // Only questions answered within the window count: the clients stop asking now.
    let (answered_in_window, refused_in_window) =
        (answered.load(Ordering::Relaxed), refused.load(Ordering::Relaxed));
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        let _ = c.join();
    }
    let loaded = loaded?;
    println!(
        "| phase | cheap counts | p50 ms | p99 ms | max ms | worst-case questions answered / refused (in the window) |"
    );
    println!("|---|---|---|---|---|---|");
    println!(
        "| idle | {} | {:.2} | {:.2} | {:.2} | – |",
        idle.len(),
        percentile(&idle, 0.5),
        percentile(&idle, 0.99),
        percentile(&idle, 1.0)
    );
    println!(
        "| {} worst-case questions asked again and again ({:.1} s) | {} | {:.2} | {:.2} | {:.2} | {} / {} |",
        args.heavy,
        window.as_secs_f64(),
        loaded.len(),
        percentile(&loaded, 0.5),
        percentile(&loaded, 0.99),
        percentile(&loaded, 1.0),
        answered_in_window,
        refused_in_window
    );
    let p99 = percentile(&loaded, 0.99);
    println!("goal (p99 ≤ 50 ms under load): {}", if p99 <= 50.0 { "met" } else { "not met" });
    Ok(())
}
