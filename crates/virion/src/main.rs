//! The `virion` command line. Thin: it parses flags, sets up logging and progress, and calls the
//! library crates.

mod bench;
mod dataset_cmd;
mod process;
mod progress;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "virion",
    version,
    about = "Pathogen genomic data hub: process, store, query and share virus genomes"
)]
struct Cli {
    /// Log filter (e.g. `info`, `virion=debug`); also read from RUST_LOG.
    #[arg(long, global = true, env = "VIRION_LOG", default_value = "warn")]
    log: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Align, call mutations, translate, place on the reference tree and QC each genome
    /// (Nextclade's `run`), writing nextclade.tsv-compatible outputs.
    Process(process::ProcessArgs),
    /// Find and download pathogen datasets.
    #[command(subcommand)]
    Dataset(dataset_cmd::DatasetCommand),
    /// Benchmarks that measure Virion on real data.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = std::env::var("RUST_LOG").unwrap_or(cli.log.clone());
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .init();
    let result = match cli.command {
        Command::Process(args) => process::run(&args),
        Command::Dataset(cmd) => dataset_cmd::run(&cmd),
        Command::Bench(cmd) => bench::run(&cmd),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
