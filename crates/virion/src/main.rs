//! The `virion` command line. Thin: it parses flags, sets up logging and progress, and calls the
//! library crates.

mod bench;
mod bench_fairness;
mod bench_federation;
mod bench_generate;
mod bench_hub;
mod bench_phylo;
mod bench_query;
mod client_cmd;
mod dataset_cmd;
mod ena_cmd;
mod hub_cmd;
mod import_cmd;
mod node_cmd;
mod process;
mod progress;
mod sort_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "virion",
    version,
    about = "Pathogen genomic data hub: process, store, query and share virus genomes"
)]
struct Cli {
    /// Log filter (e.g. `info`, `virion=debug`); also read from RUST_LOG. Default: `info` for
    /// `serve` and `worker`, `warn` otherwise.
    #[arg(long, global = true, env = "VIRION_LOG")]
    log: Option<String>,
    /// Log as JSON lines (structured events for log collectors).
    #[arg(long, global = true)]
    log_json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Align, call mutations, translate, place on the reference tree and QC each genome
    /// (Nextclade's `run`), writing nextclade.tsv-compatible outputs.
    Process(process::ProcessArgs),
    /// Which dataset each sequence belongs to (Nextclade's `sort`), by minimizers of the
    /// references of a directory of datasets.
    Sort(sort_cmd::SortArgs),
    /// Find and download pathogen datasets.
    #[command(subcommand)]
    Dataset(dataset_cmd::DatasetCommand),
    /// Benchmarks that measure Virion on real data.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// Run the data hub: HTTP API and a pool of processing workers.
    Serve(hub_cmd::ServeArgs),
    /// Run processing workers only, against the hub's database.
    Worker(hub_cmd::WorkerArgs),
    /// Bootstrap accounts, groups and tokens without a browser.
    #[command(subcommand)]
    Admin(hub_cmd::AdminCommand),
    /// Upload metadata and sequences to a hub (prints the accessions).
    Submit(client_cmd::SubmitArgs),
    /// Approve a group's processed versions on a hub.
    Approve(client_cmd::ApproveArgs),
    /// Load released, processed data as LAPIS/SILO instances hold it (Loculus, SILO or
    /// Nextclade NDJSON) into a collection `virion serve` answers LAPIS queries over; or,
    /// with `ena-receipt`, record the INSDC accessions of ENA's receipts on a hub's entries.
    Import(import_cmd::ImportCommand),
    /// Files for depositing a hub's released genomes elsewhere (`ena`: Webin XML and
    /// Webin-CLI manifests for ENA).
    #[command(subcommand)]
    Export(ena_cmd::ExportCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let default_level = match cli.command {
        Command::Serve(_) | Command::Worker(_) => "info",
        _ => "warn",
    };
    let filter =
        std::env::var("RUST_LOG").ok().or(cli.log.clone()).unwrap_or_else(|| default_level.to_owned());
    let logs = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        // Colour codes only on a terminal: redirected logs stay plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    if cli.log_json {
        logs.json().init();
    } else {
        logs.init();
    }
    if matches!(cli.command, Command::Serve(_) | Command::Worker(_)) {
        virion_server::run::log_panics_as_events();
    }
    let result = match cli.command {
        Command::Process(args) => process::run(&args),
        Command::Sort(args) => sort_cmd::run(&args),
        Command::Dataset(cmd) => dataset_cmd::run(&cmd),
        Command::Bench(cmd) => bench::run(&cmd),
        Command::Serve(args) => hub_cmd::run_serve(&args),
        Command::Worker(args) => hub_cmd::run_worker(&args),
        Command::Admin(cmd) => hub_cmd::run_admin(&cmd),
        Command::Submit(args) => client_cmd::run_submit(&args),
        Command::Approve(args) => client_cmd::run_approve(&args),
        Command::Import(cmd) => import_cmd::run_command(&cmd),
        Command::Export(cmd) => ena_cmd::run_export(&cmd),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
