//! `virion export ena` and `virion import ena-receipt`: deposition at ENA through a running
//! hub (the files are made, and accessions recorded, by the hub's API, as from its pages).

use std::io::Read;
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use serde_json::{Value, json};

use crate::client_cmd::{ServerArgs, agent, read_reply};

/// `virion export …`.
#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Webin files for depositing a group's released genomes at ENA: the study (PROJECT), the
    /// samples (checklist ERC000033) and the submission as Webin XML, and per genome a Webin-CLI
    /// manifest, chromosome list and gzipped FASTA. Entries exported once are not exported again.
    Ena(EnaExportArgs),
}

/// Flags of `virion export ena`.
#[derive(Debug, Args)]
pub struct EnaExportArgs {
    #[command(flatten)]
    server: ServerArgs,
    #[arg(long)]
    organism: String,
    #[arg(long)]
    group: String,
    /// Only these entries (accession, repeatable; default: every released entry of the group
    /// not yet deposited).
    #[arg(long = "accession")]
    accessions: Vec<String>,
    /// Deposit under this existing ENA study (PRJEB…) instead of registering a new one.
    #[arg(long, conflicts_with_all = ["study_title", "study_description"])]
    study_accession: Option<String>,
    /// Title of the new study (20–250 characters; default: made from the organism and group).
    #[arg(long)]
    study_title: Option<String>,
    /// Description of the new study (20–4000 characters; default: made from the organism and group).
    #[arg(long)]
    study_description: Option<String>,
    /// The Webin account's center name, written on the study and samples.
    #[arg(long)]
    center_name: Option<String>,
    /// Sequencing platform for genomes whose metadata names no instrument (e.g. ILLUMINA).
    #[arg(long)]
    platform: Option<String>,
    /// Assembly software for genomes whose metadata names none.
    #[arg(long)]
    program: Option<String>,
    /// Mean coverage for genomes whose metadata gives none.
    #[arg(long)]
    coverage: Option<f64>,
    /// Hold the new study and samples private until this date (YYYY-MM-DD).
    #[arg(long)]
    hold_until: Option<String>,
    /// Directory to write the files into (created; must be empty if it exists).
    #[arg(long)]
    out: PathBuf,
}

/// `virion import ena-receipt`.
#[derive(Debug, Args)]
pub struct EnaReceiptArgs {
    #[command(flatten)]
    server: ServerArgs,
    #[arg(long)]
    organism: String,
    /// ENA's RECEIPT XML files: the Webin REST API's receipt of the study and samples, and
    /// Webin-CLI's receipt of each genome.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

/// Runs `virion export …`.
pub fn run_export(cmd: &ExportCommand) -> Result<()> {
    match cmd {
        ExportCommand::Ena(args) => run_export_ena(args),
    }
}

fn run_export_ena(args: &EnaExportArgs) -> Result<()> {
    if args.out.exists()
        && args.out.read_dir().with_context(|| format!("reading {}", args.out.display()))?.next().is_some()
    {
        bail!("{} is not empty: give a new directory to --out", args.out.display());
    }
    let base = args.server.base();
    let url = format!("{base}/api/{}/ena/export", args.organism);
    let body = json!({
        "group": args.group,
        "accessions": (!args.accessions.is_empty()).then_some(&args.accessions),
        "studyAccession": args.study_accession,
        "studyTitle": args.study_title,
        "studyDescription": args.study_description,
        "centerName": args.center_name,
        "platform": args.platform,
        "program": args.program,
        "coverage": args.coverage,
        "holdUntil": args.hold_until,
    });
    eprintln!("asking {base} for the Webin files of group {} ({})", args.group, args.organism);
    let mut response = agent()
        .post(&url)
        .header("Authorization", format!("Bearer {}", args.server.token()))
        .header("Content-Type", "application/json")
        .send(body.to_string())
        .with_context(|| format!("POST {url}"))?;
    if !response.status().is_success() {
        read_reply(response)?;
        bail!("the hub refused the export");
    }
    let mut zip_bytes = Vec::new();
    response
        .body_mut()
        .with_config()
        .limit(4 << 30)
        .reader()
        .read_to_end(&mut zip_bytes)
        .context("reading the export")?;
    let files = unpack(&zip_bytes, &args.out)?;
    let summary: Value = std::fs::read(args.out.join("export.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(Value::Null);
    let genomes = summary["entries"].as_array().map_or(0, Vec::len);
    eprintln!("wrote {files} files for {genomes} genomes to {}", args.out.display());
    eprintln!("next: submit the XML with the Webin REST API (see README.md), each genome with");
    eprintln!("  webin-cli -context genome -manifest <manifest> -submit, then record the accessions");
    eprintln!("  with: virion import ena-receipt --organism {} RECEIPT.xml …", args.organism);
    Ok(())
}

/// Writes the zip's files under `out`, refusing any path that would leave it.
fn unpack(zip_bytes: &[u8], out: &Path) -> Result<usize> {
    let mut archive =
        zip::ZipArchive::new(std::io::Cursor::new(zip_bytes)).context("reading the export zip")?;
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    for i in 0..archive.len() {
        let mut file = archive.by_index(i)?;
        let raw = file.name().map(|n| n.into_owned()).unwrap_or_default();
        let name = PathBuf::from(&raw);
        if raw.is_empty() || name.components().any(|c| !matches!(c, Component::Normal(_))) {
            bail!("the export holds an unsafe path {raw:?}");
        }
        let path = out.join(&name);
        if file.is_dir() {
            std::fs::create_dir_all(&path)?;
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let mut target =
            std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?;
        std::io::copy(&mut file, &mut target).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(archive.len())
}

/// Runs `virion import ena-receipt`.
pub fn run_receipt(args: &EnaReceiptArgs) -> Result<()> {
    let base = args.server.base();
    let url = format!("{base}/api/{}/ena/receipt", args.organism);
    let mut total = 0;
    for file in &args.files {
        let xml = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
        let response = agent()
            .post(&url)
            .header("Authorization", format!("Bearer {}", args.server.token()))
            .header("Content-Type", "application/xml")
            .send(xml)
            .with_context(|| format!("POST {url}"))?;
        let reply = read_reply(response).with_context(|| format!("receipt {}", file.display()))?;
        for av in reply["recorded"].as_array().cloned().unwrap_or_default() {
            println!("{}", av.as_str().unwrap_or_default());
            total += 1;
        }
    }
    eprintln!(
        "recorded INSDC accessions on {total} entries (new versions, processed and reviewed like revisions)"
    );
    Ok(())
}
