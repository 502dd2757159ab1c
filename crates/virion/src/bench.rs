//! `virion bench process`: throughput and peak memory of `virion process` on real genomes.
//!
//! Each configuration runs as a child `virion process` on the same prepared input, so its wall
//! time and peak RSS are those of the real command, start-up and dataset loading included.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use virion_io::{FastaReader, FastaRecord};

/// `virion bench …`: measurements of Virion on real and synthetic genomes.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Sequences per second and peak RSS of `virion process` at each thread count.
    Process(BenchProcessArgs),
    /// Write a submission of any size from real genomes (renamed, with random substitutions).
    MakeSubmission(crate::bench_hub::MakeSubmissionArgs),
    /// Upload a submission to a fresh hub: upload rate, server peak RSS, bytes per stored
    /// genome, processing rate.
    Hub(crate::bench_hub::BenchHubArgs),
    /// Build the query index from synthetic genomes and time the committed LAPIS query mix.
    Query(crate::bench_query::BenchQueryArgs),
    /// Write realistic synthetic processed genomes (SILO NDJSON + its config, and mutation
    /// lists for DuckDB) for the reference engines and `virion import`.
    Generate(crate::bench_generate::BenchGenerateArgs),
    /// Build a hub's phylogenetic tree for synthetic genomes (the reference tree with each
    /// attached): build time, memory, mostRecentCommonAncestor/phyloSubtree/phyloDescendantOf
    /// times, catch-up and snapshot.
    Phylo(crate::bench_phylo::BenchPhyloArgs),
    /// Split synthetic genomes over K real nodes on loopback and time the query mix at the
    /// federated root against each node's own: the cost of asking the network.
    Federation(crate::bench_federation::BenchFederationArgs),
    /// One node over synthetic genomes: a cheap count's latency while worst-case questions
    /// run (query slot classes, deadlines inside evaluation).
    Fairness(crate::bench_fairness::BenchFairnessArgs),
}

/// Flags of `virion bench process`.
#[derive(Debug, Args)]
pub struct BenchProcessArgs {
    /// Nextclade dataset directory the genomes are processed with.
    #[arg(long)]
    pub dataset: PathBuf,
    /// FASTA inputs; repeated in turn until `--min-sequences` is reached.
    #[arg(long, required = true, num_args = 1..)]
    pub input: Vec<PathBuf>,
    /// Sequences in the prepared input at least (the inputs are repeated to reach it).
    #[arg(long, default_value_t = 5000)]
    pub min_sequences: usize,
    /// Thread counts to measure.
    #[arg(long, value_delimiter = ',', default_value = "1,2")]
    pub jobs: Vec<usize>,
    /// Runs per thread count; the median is reported.
    #[arg(long, default_value_t = 1)]
    pub runs: usize,
    /// A Nextclade binary (e.g. built from nextstrain/nextclade at tag 3.21.2) to run on the same
    /// input, dataset and threads in this run, alternating with Virion; the report then gives
    /// the ratio and compares the two TSVs cell by cell.
    #[arg(long)]
    pub nextclade: Option<PathBuf>,
    /// Where Nextclade cannot be run: its timing from another run, a JSON object
    /// `{"sequences", "seconds", "threads", "peak_rss_mib", "machine", "date"}`. It is printed
    /// as context beside Virion's figures, never as a ratio.
    #[arg(long, conflicts_with = "nextclade")]
    pub nextclade_timing: Option<PathBuf>,
}

/// Runs one `virion bench` command.
pub fn run(cmd: &BenchCommand) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Process(args) => bench_process(args),
        BenchCommand::MakeSubmission(args) => crate::bench_hub::make_submission(args),
        BenchCommand::Hub(args) => crate::bench_hub::bench_hub(args),
        BenchCommand::Query(args) => crate::bench_query::bench_query(args),
        BenchCommand::Generate(args) => crate::bench_generate::generate(args),
        BenchCommand::Phylo(args) => crate::bench_phylo::bench_phylo(args),
        BenchCommand::Federation(args) => crate::bench_federation::bench_federation(args),
        BenchCommand::Fairness(args) => crate::bench_fairness::bench_fairness(args),
    }
}

fn bench_process(args: &BenchProcessArgs) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("virion-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let result = bench_process_in(args, &dir);
    std::fs::remove_dir_all(&dir).ok();
    result
}

fn bench_process_in(args: &BenchProcessArgs, dir: &Path) -> anyhow::Result<()> {
    let input = dir.join("input.fasta");
    let n = write_repeated_input(&args.input, args.min_sequences, &input)?;
    let exe = std::env::current_exe().context("locating the virion binary")?;
    let virion = Tool::Virion(exe);
    let peer = args.nextclade.clone().map(Tool::Nextclade);
    let timing = args.nextclade_timing.as_deref().map(PeerTiming::read).transpose()?;
    println!("machine: {}", machine_description());
    println!("date: {}", chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"));
    println!("virion: {}", env!("CARGO_PKG_VERSION"));
    println!("dataset: {}", args.dataset.display());
    match (&peer, &timing) {
        (Some(tool), _) => println!("nextclade: {} (run here, alternating with Virion)", tool.version()?),
        (None, Some(t)) => println!(
            "nextclade: timing read from {} ({} on {}, not run here: context, not a ratio)",
            args.nextclade_timing.as_deref().unwrap_or(Path::new("")).display(),
            t.date,
            t.machine
        ),
        (None, None) => println!("nextclade: not run (pass --nextclade BIN for a side-by-side ratio)"),
    }
    println!();
    match &peer {
        Some(_) => {
            println!(
                "| threads | sequences | Virion s | Nextclade s | Virion seq/s per thread | Nextclade seq/s per thread | ratio | Virion peak RSS MiB | Nextclade peak RSS MiB |"
            );
            println!("|---|---|---|---|---|---|---|---|---|");
        }
        None => {
            println!("| threads | sequences | wall s | seq/s | seq/s per thread | peak RSS MiB |");
            println!("|---|---|---|---|---|---|");
        }
    }
    let mut last_outputs = None;
    for &jobs in &args.jobs {
        let mut ours = Vec::new();
        let mut theirs = Vec::new();
        // Alternating runs, so that a change in the machine's load hits both tools alike.
        for _ in 0..args.runs.max(1) {
            ours.push(run_child(&virion, &args.dataset, &input, dir, jobs)?);
            if let Some(peer) = &peer {
                theirs.push(run_child(peer, &args.dataset, &input, dir, jobs)?);
            }
        }
        let (wall, rss) = median_and_peak(&mut ours);
        let rate = n as f64 / wall.as_secs_f64() / jobs as f64;
        if peer.is_some() {
            let (peer_wall, peer_rss) = median_and_peak(&mut theirs);
            let peer_rate = n as f64 / peer_wall.as_secs_f64() / jobs as f64;
            println!(
                "| {jobs} | {n} | {:.2} | {:.2} | {rate:.1} | {peer_rate:.1} | **{:.2}×** | {:.0} | {:.0} |",
                wall.as_secs_f64(),
                peer_wall.as_secs_f64(),
                peer_wall.as_secs_f64() / wall.as_secs_f64(),
                rss as f64 / 1024.0,
                peer_rss as f64 / 1024.0
            );
            last_outputs = Some(jobs);
        } else {
            println!(
                "| {jobs} | {n} | {:.2} | {:.1} | {rate:.1} | {:.0} |",
                wall.as_secs_f64(),
                rate * jobs as f64,
                rss as f64 / 1024.0
            );
        }
    }
    if let Some(t) = &timing {
        println!(
            "\nNextclade elsewhere ({}, {}): {:.1} seq/s per thread on {} sequences, peak RSS {:.0} MiB",
            t.machine,
            t.date,
            t.sequences as f64 / t.seconds / t.threads as f64,
            t.sequences,
            t.peak_rss_mib
        );
    }
    if let Some(jobs) = last_outputs {
        let ours = std::fs::read_to_string(dir.join("virion.tsv"))?;
        let theirs = std::fs::read_to_string(dir.join("nextclade.tsv"))?;
        let report = compare_tsv(&theirs, &ours);
        println!("\nresults ({jobs} thread(s), the last run of each): {report}");
    }
    Ok(())
}

/// The median wall time and the largest peak RSS of a set of runs.
fn median_and_peak(runs: &mut [(Duration, u64)]) -> (Duration, u64) {
    runs.sort();
    (runs[runs.len() / 2].0, runs.iter().map(|r| r.1).max().unwrap_or(0))
}

/// What ran: Virion's own `process`, or Nextclade's `run` on the same files.
enum Tool {
    Virion(PathBuf),
    Nextclade(PathBuf),
}

impl Tool {
    fn command(&self, dataset: &Path, input: &Path, dir: &Path, jobs: usize) -> Command {
        let jobs = jobs.to_string();
        match self {
            Tool::Virion(exe) => {
                let mut c = Command::new(exe);
                c.args(["process", "--jobs", &jobs, "--dataset"])
                    .arg(dataset)
                    .arg("--input")
                    .arg(input)
                    .arg("--output-tsv")
                    .arg(dir.join("virion.tsv"));
                c
            }
            Tool::Nextclade(exe) => {
                let mut c = Command::new(exe);
                // --in-order: rows in input order, as Virion writes them, for the comparison.
                c.args(["run", "--in-order", "--jobs", &jobs, "--input-dataset"])
                    .arg(dataset)
                    .arg("--output-tsv")
                    .arg(dir.join("nextclade.tsv"))
                    .arg(input);
                c
            }
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Tool::Virion(_) => "virion process",
            Tool::Nextclade(_) => "nextclade run",
        }
    }

    /// `nextclade --version`'s answer, to say which Nextclade ran.
    fn version(&self) -> anyhow::Result<String> {
        let (Tool::Virion(exe) | Tool::Nextclade(exe)) = self;
        let out = Command::new(exe)
            .arg("--version")
            .output()
            .with_context(|| format!("running {} --version", exe.display()))?;
        Ok(format!("{} ({})", String::from_utf8_lossy(&out.stdout).trim(), exe.display()))
    }
}

/// Nextclade's figures from another run (`--nextclade-timing`).
#[derive(Debug, serde::Deserialize)]
struct PeerTiming {
    sequences: u64,
    seconds: f64,
    threads: u32,
    peak_rss_mib: f64,
    machine: String,
    date: String,
}

impl PeerTiming {
    fn read(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let t: Self = serde_json::from_str(&text).with_context(|| {
            format!(
                "{}: expected {{\"sequences\", \"seconds\", \"threads\", \"peak_rss_mib\", \"machine\", \"date\"}}",
                path.display()
            )
        })?;
        if t.sequences == 0 || t.seconds <= 0.0 || t.threads == 0 {
            bail!("{}: sequences, seconds and threads must be positive", path.display());
        }
        Ok(t)
    }
}

/// CPU model and core count, from /proc/cpuinfo.
fn machine_description() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name").and_then(|r| r.split_once(':')).map(|(_, m)| m.trim()))
        .unwrap_or("unknown CPU");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    format!("{model}, {cores} cores")
}

/// Cell-by-cell comparison of two TSVs with a header (Nextclade's first): how many cells of the
/// columns both have are identical text, and which columns differ where.
fn compare_tsv(theirs: &str, ours: &str) -> String {
    let mut t = theirs.lines();
    let mut o = ours.lines();
    let th: Vec<&str> = t.next().unwrap_or_default().split('\t').collect();
    let oh: Vec<&str> = o.next().unwrap_or_default().split('\t').collect();
    let pairs: Vec<(usize, usize)> =
        th.iter().enumerate().filter_map(|(i, c)| oh.iter().position(|x| x == c).map(|j| (i, j))).collect();
    let missing: Vec<&str> = th.iter().filter(|c| !oh.contains(c)).copied().collect();
    let (mut same, mut total, mut rows) = (0u64, 0u64, 0u64);
    let mut differing: std::collections::BTreeMap<&str, u64> = Default::default();
    for (tl, ol) in t.zip(o) {
        rows += 1;
        let tc: Vec<&str> = tl.split('\t').collect();
        let oc: Vec<&str> = ol.split('\t').collect();
        for &(i, j) in &pairs {
            total += 1;
            if tc.get(i) == oc.get(j) {
                same += 1;
            } else {
                *differing.entry(th[i]).or_default() += 1;
            }
        }
    }
    let mut report = format!(
        "{same}/{total} cells identical ({rows} rows × {} shared columns; {} of Nextclade's columns absent here)",
        pairs.len(),
        missing.len()
    );
    if same == total && missing.is_empty() {
        report.push_str(": identical");
    } else {
        for (col, n) in differing {
            report.push_str(&format!("; {col}: {n} differ"));
        }
        if !missing.is_empty() {
            report.push_str(&format!("; absent: {}", missing.join(", ")));
        }
    }
    report
}

/// Writes the inputs, repeated in turn, until at least `min` records; returns the count.
fn write_repeated_input(inputs: &[PathBuf], min: usize, out: &Path) -> anyhow::Result<usize> {
    let mut records = Vec::new();
    for path in inputs {
        let mut reader = FastaReader::from_path(path)?;
        let mut rec = FastaRecord::default();
        while reader.read(&mut rec)? {
            records.push(rec.clone());
        }
    }
    if records.is_empty() {
        bail!("the benchmark inputs hold no sequences");
    }
    let mut w = std::io::BufWriter::new(std::fs::File::create(out)?);
    let mut n = 0;
    while n < min {
        for rec in &records {
            writeln!(w, ">{}#{n}", rec.name)?;
            w.write_all(&rec.seq)?;
            writeln!(w)?;
            n += 1;
        }
    }
    w.flush()?;
    Ok(n)
}

/// Runs one tool, returning its wall time and peak RSS in KiB (polled from /proc/PID/status
/// VmHWM, the kernel's own high-water mark).
fn run_child(
    tool: &Tool,
    dataset: &Path,
    input: &Path,
    dir: &Path,
    jobs: usize,
) -> anyhow::Result<(Duration, u64)> {
    let start = Instant::now();
    let mut child = tool
        .command(dataset, input, dir, jobs)
        .stdout(Stdio::null())
        // A file, not a pipe: a pipe nobody reads would stall a chatty child.
        .stderr(Stdio::from(std::fs::File::create(dir.join("stderr.txt"))?))
        .spawn()
        .with_context(|| format!("starting {}", tool.name()))?;
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0u64;
    loop {
        if let Some(hwm) = std::fs::read_to_string(&status_path).ok().and_then(|s| parse_vm_hwm(&s)) {
            peak_kib = peak_kib.max(hwm);
        }
        if let Some(status) = child.try_wait()? {
            if !status.success() {
                let err = std::fs::read_to_string(dir.join("stderr.txt")).unwrap_or_default();
                bail!("{} failed: {err}", tool.name());
            }
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok((start.elapsed(), peak_kib))
}

/// The peak resident memory (VmHWM, KiB) in a `/proc/PID/status` text.
pub(crate) fn parse_vm_hwm(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

#[cfg(test)]
mod tests {
    #[test]
    fn compares_tables_cell_by_cell() {
        let theirs = "a\tb\tc\n1\t2\t3\n4\t5\t6\n";
        assert_eq!(
            super::compare_tsv(theirs, "a\tb\tc\n1\t2\t3\n4\t5\t6\n"),
            "6/6 cells identical (2 rows × 3 shared columns; 0 of Nextclade's columns absent here): identical"
        );
        assert_eq!(
            super::compare_tsv(theirs, "b\ta\n2\t1\n5\t9\n"),
            "3/4 cells identical (2 rows × 2 shared columns; 1 of Nextclade's columns absent here); a: 1 differ; absent: c"
        );
    }

    #[test]
    fn parses_vm_hwm() {
        assert_eq!(super::parse_vm_hwm("Name:\tx\nVmHWM:\t  123456 kB\nVmRSS: 1 kB\n"), Some(123456));
        assert_eq!(super::parse_vm_hwm("Name:\tx\n"), None);
    }
}
