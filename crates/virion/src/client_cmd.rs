//! `virion submit` and `virion approve`: talk to a running hub over HTTP.

use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Args;
use serde_json::{Value, json};
use virion_client::FormBody;

use crate::progress::sequences_bar;

/// Which hub a client command talks to, and as whom.
#[derive(Debug, Args)]
pub struct ServerArgs {
    /// The hub's base URL, e.g. http://127.0.0.1:8080.
    #[arg(long, env = "VIRION_SERVER")]
    server: String,
    /// API token (see `virion admin create-token`).
    #[arg(long, env = "VIRION_TOKEN")]
    token: String,
}

impl ServerArgs {
    /// The base URL without a trailing slash.
    pub(crate) fn base(&self) -> &str {
        self.server.trim_end_matches('/')
    }

    /// The API token.
    pub(crate) fn token(&self) -> &str {
        &self.token
    }
}

/// Flags of `virion submit`.
#[derive(Debug, Args)]
pub struct SubmitArgs {
    #[command(flatten)]
    server: ServerArgs,
    #[arg(long)]
    organism: String,
    #[arg(long)]
    group: String,
    /// Metadata table: TSV, CSV, XLSX or NDJSON, optionally gz/zst/xz/bz2/zip.
    #[arg(long)]
    metadata: PathBuf,
    /// FASTA, optionally compressed.
    #[arg(long)]
    sequences: PathBuf,
    /// Restrict use until this date (YYYY-MM-DD, at most a year ahead); default OPEN.
    #[arg(long)]
    restricted_until: Option<String>,
}

/// Flags of `virion approve`.
#[derive(Debug, Args)]
pub struct ApproveArgs {
    #[command(flatten)]
    server: ServerArgs,
    #[arg(long)]
    group: String,
    /// Only this organism (default: every organism the hub serves).
    #[arg(long)]
    organism: Option<String>,
    /// Approve every processed version without errors (the default).
    #[arg(long, conflicts_with = "without_warnings")]
    all: bool,
    /// Approve only versions processed without warnings.
    #[arg(long)]
    without_warnings: bool,
}

pub(crate) fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().new_agent()
}

/// The response body as JSON, or the server's problem document as the error.
pub(crate) fn read_reply(mut response: ureq::http::Response<ureq::Body>) -> Result<Value> {
    let status = response.status();
    let text = response.body_mut().read_to_string().context("reading the server's reply")?;
    let value: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    if status.is_success() {
        return Ok(value);
    }
    let mut message =
        format!("server answered {status}: {}", value["detail"].as_str().unwrap_or(&value.to_string()));
    if let Some(issues) = value["issues"].as_array() {
        for issue in issues {
            let mut at = issue["file"].as_str().unwrap_or_default().to_owned();
            if let Some(line) = issue["line"].as_u64() {
                at.push_str(&format!(", line {line}"));
            }
            if let Some(column) = issue["column"].as_str() {
                at.push_str(&format!(", column '{column}'"));
            }
            if let Some(v) = issue["value"].as_str() {
                at.push_str(&format!(", value '{v}'"));
            }
            message.push_str(&format!("\n  {at}: {}", issue["message"].as_str().unwrap_or_default()));
        }
    }
    bail!(message)
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(|| "upload".to_owned(), |n| n.to_string_lossy().into_owned())
}

/// `virion submit`: uploads the metadata and sequences to the hub and prints each entry's
/// accession.
pub fn run_submit(args: &SubmitArgs) -> Result<()> {
    // One key for every attempt: if an answer is lost after the hub stored the submission, the
    // retry gets that submission's accessions instead of storing the genomes again.
    let key = format!("virion-submit-{:032x}", rand::random::<u128>());
    let mut attempt = 1;
    let mut response = loop {
        match send_submission(args, &key) {
            Ok(r) if !RETRY_STATUSES.contains(&r.status().as_u16()) || attempt == SUBMIT_ATTEMPTS => break r,
            Ok(r) => eprintln!("the hub answered {}; retrying", r.status()),
            Err(e) if attempt < SUBMIT_ATTEMPTS && is_transient(&e) => eprintln!("{e:#}; retrying"),
            Err(e) => return Err(e),
        }
        let wait = std::time::Duration::from_secs(1 << attempt);
        eprintln!(
            "attempt {} of {SUBMIT_ATTEMPTS} in {} s, with the same Idempotency-Key (the hub stores the submission once)",
            attempt + 1,
            wait.as_secs()
        );
        std::thread::sleep(wait);
        attempt += 1;
    };
    if !response.status().is_success() {
        read_reply(response)?;
        unreachable!("read_reply fails on an error status");
    }
    let reader = std::io::BufReader::new(response.body_mut().with_config().limit(u64::MAX).reader());
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut count = 0u64;
    for line in reader.lines() {
        let line = line.context("reading the server's list of accessions")?;
        let e: Value = serde_json::from_str(&line).with_context(|| format!("server sent {line:?}"))?;
        writeln!(
            out,
            "{}\t{}.{}",
            e["submissionId"].as_str().unwrap_or_default(),
            e["accession"].as_str().unwrap_or_default(),
            e["version"]
        )?;
        count += 1;
    }
    out.flush()?;
    eprintln!("submitted {count} entries");
    Ok(())
}

/// Attempts of one submission before `virion submit` gives up.
const SUBMIT_ATTEMPTS: u32 = 5;
/// Answers after which a submission is retried: the hub or a proxy in front of it was
/// unavailable, and the request may or may not have been stored.
const RETRY_STATUSES: [u16; 3] = [502, 503, 504];

/// Whether a failed upload may be retried: the connection failed or was cut, not the request.
fn is_transient(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<ureq::Error>().is_some_and(|u| {
            matches!(u, ureq::Error::Io(_) | ureq::Error::Timeout(_) | ureq::Error::ConnectionFailed)
        }) || c.downcast_ref::<std::io::Error>().is_some()
    })
}

/// One upload of the submission's files with `key` as its `Idempotency-Key`.
fn send_submission(args: &SubmitArgs, key: &str) -> Result<ureq::http::Response<ureq::Body>> {
    let open = |p: &Path| std::fs::File::open(p).with_context(|| format!("cannot open {}", p.display()));
    let (metadata, sequences) = (open(&args.metadata)?, open(&args.sequences)?);
    let mut form = FormBody::new().text("group", &args.group);
    if let Some(until) = &args.restricted_until {
        form = form.text("dataUseTermsType", "RESTRICTED").text("restrictedUntil", until);
    }
    let form = form.file("metadata", &file_name(&args.metadata), metadata.metadata()?.len()).file(
        "sequences",
        &file_name(&args.sequences),
        sequences.metadata()?.len(),
    );
    let total = form.len();
    let content_type = form.content_type();
    let bar = sequences_bar(Some(total));
    bar.set_message("uploading");
    let body = bar.wrap_read(form.into_reader(vec![Box::new(metadata), Box::new(sequences)]));
    let url = format!("{}/api/{}/submit", args.server.server.trim_end_matches('/'), args.organism);
    let response = agent()
        .post(&url)
        .header("Authorization", format!("Bearer {}", args.server.token))
        .header("Content-Type", content_type)
        .header("Content-Length", total.to_string())
        .header("Idempotency-Key", key)
        // One line per entry: printed as it arrives, however large the submission.
        .header("Accept", "application/x-ndjson")
        .send(ureq::SendBody::from_owned_reader(ReadOnly(body)))
        .with_context(|| format!("POST {url}"));
    bar.finish_and_clear();
    response
}

/// `indicatif`'s wrapped reader is not `'static + Send` friendly in every version; this keeps
/// only `Read`.
struct ReadOnly<R>(R);

impl<R: Read> Read for ReadOnly<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(buf)
    }
}

/// `virion approve`: approves (and so releases) a group's processed versions on the hub.
pub fn run_approve(args: &ApproveArgs) -> Result<()> {
    let base = args.server.server.trim_end_matches('/');
    let agent = agent();
    let organisms: Vec<String> = match &args.organism {
        Some(o) => vec![o.clone()],
        None => {
            let reply =
                read_reply(agent.get(format!("{base}/api/organisms")).call().context("listing organisms")?)?;
            reply
                .as_array()
                .map(|a| a.iter().filter_map(|o| o["name"].as_str().map(str::to_owned)).collect())
                .unwrap_or_default()
        }
    };
    let scope = if args.without_warnings { "withoutWarnings" } else { "all" };
    let mut total = 0;
    for organism in organisms {
        let url = format!("{base}/api/{organism}/approve");
        let response = agent
            .post(&url)
            .header("Authorization", format!("Bearer {}", args.server.token))
            .header("Content-Type", "application/json")
            .send(json!({ "group": args.group, "scope": scope }).to_string())
            .with_context(|| format!("POST {url}"))?;
        let reply = read_reply(response)?;
        for av in reply["approved"].as_array().cloned().unwrap_or_default() {
            println!("{}.{}", av["accession"].as_str().unwrap_or_default(), av["version"]);
            total += 1;
        }
    }
    eprintln!("approved {total} versions");
    Ok(())
}
