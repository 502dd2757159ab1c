//! `virion dataset get|list`: Nextclade's dataset server, or a local copy laid out like it.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use virion_dataset::{DEFAULT_SERVER, DownloadProgress, download, fetch_index};

/// `virion dataset …`: Nextclade datasets from a dataset server.
#[derive(Debug, Subcommand)]
pub enum DatasetCommand {
    /// Download a dataset (by name such as `nextstrain/sars-cov-2/wuhan-hu-1/orfs` or a shortcut
    /// such as `sars-cov-2`) into a directory usable with `--dataset`.
    Get(GetArgs),
    /// List the datasets a server offers.
    List(ListArgs),
}

/// Flags of `virion dataset get`.
#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("dataset_name").required(true).args(["name", "name_flag"]))]
pub struct GetArgs {
    /// Dataset name or shortcut, e.g. `sars-cov-2`.
    pub name: Option<String>,
    /// The same, as Nextclade spells it (`nextclade dataset get --name …`).
    #[arg(long = "name", id = "name_flag", value_name = "NAME")]
    pub name_flag: Option<String>,
    /// Version tag (default: the latest).
    #[arg(long)]
    pub tag: Option<String>,
    /// Directory the dataset's files are written into.
    #[arg(long, short = 'o')]
    pub output_dir: PathBuf,
    /// Dataset server: an https URL, a `file://` URL or a local directory.
    #[arg(long, env = "VIRION_DATASET_SERVER", default_value = DEFAULT_SERVER)]
    pub server: String,
}

/// Flags of `virion dataset list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Dataset server: an https URL, a `file://` URL or a local directory.
    #[arg(long, env = "VIRION_DATASET_SERVER", default_value = DEFAULT_SERVER)]
    pub server: String,
}

/// Runs one `virion dataset` command.
pub fn run(cmd: &DatasetCommand) -> anyhow::Result<()> {
    match cmd {
        DatasetCommand::Get(args) => {
            let name = args.name.as_deref().or(args.name_flag.as_deref()).expect("clap requires one of them");
            let progress = |p: DownloadProgress<'_>| {
                if p.done {
                    eprintln!("[{}/{}] {} ({} bytes)", p.index + 1, p.count, p.file, p.bytes);
                }
            };
            let dir = download(&args.server, name, args.tag.as_deref(), &args.output_dir, &progress)
                .with_context(|| format!("downloading dataset '{name}' from {}", args.server))?;
            eprintln!("dataset '{name}' is in {}; use it with --dataset {}", dir.display(), dir.display());
            Ok(())
        }
        DatasetCommand::List(args) => {
            let index = fetch_index(&args.server).with_context(|| format!("reading {}", args.server))?;
            for d in index.datasets() {
                let shortcuts = if d.shortcuts.is_empty() {
                    String::new()
                } else {
                    format!("  ({})", d.shortcuts.join(", "))
                };
                println!("{}  {}{}", d.path, d.latest_tag(), shortcuts);
            }
            Ok(())
        }
    }
}
