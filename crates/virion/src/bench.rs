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
    let input = dir.join("input.fasta");
    let n = write_repeated_input(&args.input, args.min_sequences, &input)?;
    let exe = std::env::current_exe().context("locating the virion binary")?;
    println!(
        "| threads | sequences | wall s (median of {}) | seq/s | seq/s per thread | peak RSS MiB |",
        args.runs
    );
    println!("|---|---|---|---|---|---|");
    for &jobs in &args.jobs {
        let mut runs: Vec<(Duration, u64)> = (0..args.runs.max(1))
            .map(|_| run_child(&exe, &args.dataset, &input, &dir, jobs))
            .collect::<Result<_, _>>()?;
        runs.sort();
        let (wall, _) = runs[runs.len() / 2];
        let rss = runs.iter().map(|r| r.1).max().unwrap_or(0);
        let rate = n as f64 / wall.as_secs_f64();
        println!(
            "| {jobs} | {n} | {:.2} | {:.1} | {:.1} | {:.0} |",
            wall.as_secs_f64(),
            rate,
            rate / jobs as f64,
            rss as f64 / 1024.0
        );
    }
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
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

/// Runs one `virion process`, returning its wall time and peak RSS in KiB (polled from
/// /proc/PID/status VmHWM, the kernel's own high-water mark).
fn run_child(
    exe: &Path,
    dataset: &Path,
    input: &Path,
    dir: &Path,
    jobs: usize,
) -> anyhow::Result<(Duration, u64)> {
    let start = Instant::now();
    let mut child = Command::new(exe)
        .args(["process", "--jobs", &jobs.to_string(), "--dataset"])
        .arg(dataset)
        .arg("--input")
        .arg(input)
        .arg("--output-tsv")
        .arg(dir.join("out.tsv"))
        .stdout(Stdio::null())
        // A file, not a pipe: a pipe nobody reads would stall a chatty child.
        .stderr(Stdio::from(std::fs::File::create(dir.join("stderr.txt"))?))
        .spawn()
        .context("starting virion process")?;
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0u64;
    loop {
        if let Some(hwm) = std::fs::read_to_string(&status_path).ok().and_then(|s| parse_vm_hwm(&s)) {
            peak_kib = peak_kib.max(hwm);
        }
        if let Some(status) = child.try_wait()? {
            if !status.success() {
                let err = std::fs::read_to_string(dir.join("stderr.txt")).unwrap_or_default();
                bail!("virion process failed: {err}");
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
    fn parses_vm_hwm() {
        assert_eq!(super::parse_vm_hwm("Name:\tx\nVmHWM:\t  123456 kB\nVmRSS: 1 kB\n"), Some(123456));
        assert_eq!(super::parse_vm_hwm("Name:\tx\n"), None);
    }
}
