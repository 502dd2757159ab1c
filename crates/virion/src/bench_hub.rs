//! `virion bench make-submission` and `virion bench hub`: a submission of any size made from
//! real genomes, and what the hub does with it — upload rate, the server's peak memory, bytes
//! stored per genome, processing rate.
//!
//! The hub runs as a child `virion serve` (and later `virion worker`), so the figures are
//! those of the real commands; peak memory is the kernel's high-water mark (VmHWM) of the
//! server process.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Args;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use virion_client::FormBody;
use virion_io::{FastaReader, FastaRecord};
use virion_store::Store;

use crate::progress::sequences_bar;

/// Flags of `virion bench make-submission`.
#[derive(Debug, Args)]
pub struct MakeSubmissionArgs {
    /// FASTA of real genomes to start from.
    #[arg(long)]
    pub sequences: PathBuf,
    /// Their metadata table (TSV, first column = the FASTA record names).
    #[arg(long)]
    pub metadata: PathBuf,
    /// How many genomes to write.
    #[arg(long)]
    pub genomes: u64,
    /// Random substitutions added to each copy.
    #[arg(long, default_value_t = 3)]
    pub mutations: u32,
    /// Seed of the random substitutions (the same seed writes the same files).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output directory: `metadata.tsv.zst` and `sequences.fasta.zst` are written there.
    #[arg(long)]
    pub out_dir: PathBuf,
}

/// Flags of `virion bench hub`.
#[derive(Debug, Args)]
pub struct BenchHubArgs {
    /// Metadata file of the submission (e.g. from `virion bench make-submission`).
    #[arg(long)]
    pub metadata: PathBuf,
    /// Sequences file of the submission.
    #[arg(long)]
    pub sequences: PathBuf,
    /// The organism the submission is for.
    #[arg(long, default_value = "sars-cov-2")]
    pub organism: String,
    /// Directory of Nextclade datasets, as for `virion serve`.
    #[arg(long)]
    pub dataset_dir: PathBuf,
    /// Where the hub keeps its data (must not exist yet, or be empty).
    #[arg(long)]
    pub data_dir: PathBuf,
    /// Database URL (default: SQLite in the data directory). The database should be empty.
    #[arg(long)]
    pub database_url: Option<String>,
    /// After the upload, run `virion worker` for this many seconds and report the rate.
    #[arg(long, default_value_t = 120)]
    pub process_seconds: u64,
    /// Worker tasks for the processing measurement.
    #[arg(long)]
    pub workers: Option<usize>,
}

/// Writes `genomes` copies of the source genomes, renamed `NAME/copyN`, each with
/// `mutations` random substitutions, with their metadata rows; zstd with a long window so
/// the near-duplicate genomes cost a few bytes each on disk and on the wire.
pub fn make_submission(args: &MakeSubmissionArgs) -> Result<()> {
    let table = read_to_string_any(&args.metadata)?;
    let mut lines = table.lines();
    let header = lines.next().context("the metadata table is empty")?.to_owned();
    let rows: HashMap<&str, &str> = lines.filter_map(|l| Some((l.split('\t').next()?, l))).collect();
    let mut bases: Vec<(FastaRecord, &str)> = Vec::new();
    let mut reader = FastaReader::from_path(&args.sequences)?;
    let mut record = FastaRecord::default();
    while reader.read(&mut record)? {
        if let Some(row) = rows.get(record.name.as_str()) {
            bases.push((record.clone(), row));
        }
    }
    if bases.is_empty() {
        bail!("no FASTA record of {} has a metadata row", args.sequences.display());
    }
    std::fs::create_dir_all(&args.out_dir)?;
    let mut meta = zstd_writer(&args.out_dir.join("metadata.tsv.zst"))?;
    let mut fasta = zstd_writer(&args.out_dir.join("sequences.fasta.zst"))?;
    writeln!(meta, "{header}")?;
    let mut rng = StdRng::seed_from_u64(args.seed);
    let bar = sequences_bar(Some(args.genomes));
    let mut seq = Vec::new();
    for i in 0..args.genomes {
        let (base, row) = &bases[(i % bases.len() as u64) as usize];
        let name = format!("{}/copy{i}", base.name);
        let rest = row.split_once('\t').map_or("", |(_, rest)| rest);
        writeln!(meta, "{name}\t{rest}")?;
        seq.clear();
        seq.extend_from_slice(&base.seq);
        for _ in 0..args.mutations {
            let at = rng.random_range(0..seq.len());
            if matches!(seq[at], b'A' | b'C' | b'G' | b'T') {
                let choices: Vec<u8> = b"ACGT".iter().copied().filter(|&b| b != seq[at]).collect();
                seq[at] = choices[rng.random_range(0..3)];
            }
        }
        writeln!(fasta, ">{name}")?;
        fasta.write_all(&seq)?;
        writeln!(fasta)?;
        if i % 1024 == 0 {
            bar.set_position(i);
        }
    }
    bar.finish_and_clear();
    meta.finish()?.flush()?;
    fasta.finish()?.flush()?;
    eprintln!("wrote {} genomes from {} real ones to {}", args.genomes, bases.len(), args.out_dir.display());
    Ok(())
}

fn zstd_writer(path: &Path) -> Result<zstd::Encoder<'static, std::io::BufWriter<std::fs::File>>> {
    let file = std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut enc = zstd::Encoder::new(std::io::BufWriter::new(file), 3)?;
    // A 128 MiB window (the decoders' default limit) reaches back over thousands of genomes.
    enc.long_distance_matching(true)?;
    enc.window_log(27)?;
    Ok(enc)
}

fn read_to_string_any(path: &Path) -> Result<String> {
    let mut reader = virion_io::open_path(path).with_context(|| format!("opening {}", path.display()))?;
    let mut text = String::new();
    reader.read_to_string(&mut text).with_context(|| format!("reading {}", path.display()))?;
    Ok(text)
}

/// One measured run of the hub.
struct Figures {
    genomes: u64,
    upload: Duration,
    server_peak_kib: u64,
    versions_stored: u64,
    blob_bytes: u64,
    database_bytes: u64,
    processed: u64,
    process_window: Duration,
}

/// `virion bench hub`: starts a fresh hub, uploads the submission, lets workers process it,
/// and reports upload rate, server peak memory, bytes per stored genome and processing rate.
pub fn bench_hub(args: &BenchHubArgs) -> Result<()> {
    let exe = std::env::current_exe().context("locating the virion binary")?;
    std::fs::create_dir_all(&args.data_dir)?;
    let db_flags = |cmd: &mut Command| {
        cmd.arg("--data-dir").arg(&args.data_dir);
        if let Some(url) = &args.database_url {
            cmd.arg("--database-url").arg(url);
        }
    };
    let log =
        |name: &str| -> Result<Stdio> { Ok(Stdio::from(std::fs::File::create(args.data_dir.join(name))?)) };

    // The server without workers: the upload is measured alone.
    let mut serve = Command::new(&exe);
    serve.args(["serve", "--bind", "127.0.0.1:0", "--workers", "0", "--dataset-dir"]).arg(&args.dataset_dir);
    db_flags(&mut serve);
    let mut server = ChildGuard(serve.stdout(Stdio::piped()).stderr(log("serve.log")?).spawn()?);
    let address = read_address(&mut server.0)?;
    let base = format!("http://{address}");

    let runtime = tokio::runtime::Runtime::new()?;
    let token = runtime.block_on(async {
        let store = open_store(args).await?;
        let user = store.create_user("bench", None, false).await?;
        // The owner of a group is its curator, who may also submit.
        store.create_group("bench", user).await?;
        let (_, token) = store.create_token(user, "bench").await?;
        store.close().await;
        anyhow::Ok(token)
    })?;

    let start = Instant::now();
    let genomes = upload(&base, &token, args)?;
    let upload_time = start.elapsed();
    let server_peak_kib = vm_hwm(server.0.id()).unwrap_or(0);
    server.stop();

    let (versions_stored, blob_bytes, database_bytes) = runtime.block_on(async {
        let store = open_store(args).await?;
        let stored = storage_figures(&store, args).await?;
        store.close().await;
        anyhow::Ok(stored)
    })?;

    let (mut processed, mut measured) = (0, Duration::ZERO);
    let window = Duration::from_secs(args.process_seconds);
    if args.process_seconds > 0 {
        let mut worker = Command::new(&exe);
        worker.args(["worker", "--dataset-dir"]).arg(&args.dataset_dir);
        if let Some(n) = args.workers {
            worker.args(["--workers", &n.to_string()]);
        }
        db_flags(&mut worker);
        let mut worker = ChildGuard(worker.stdout(Stdio::null()).stderr(log("worker.log")?).spawn()?);
        (processed, measured) = runtime.block_on(measure_processing(args, genomes, window))?;
        worker.stop();
    }

    report(&Figures {
        genomes,
        upload: upload_time,
        server_peak_kib,
        versions_stored,
        blob_bytes,
        database_bytes,
        processed,
        process_window: measured,
    });
    Ok(())
}

async fn open_store(args: &BenchHubArgs) -> Result<Store> {
    Ok(match &args.database_url {
        Some(url) => Store::connect(url).await?,
        None => Store::open_data_dir(&args.data_dir).await?,
    })
}

/// POSTs the files as `virion submit` does; returns how many accessions came back.
fn upload(base: &str, token: &str, args: &BenchHubArgs) -> Result<u64> {
    let open = |p: &Path| std::fs::File::open(p).with_context(|| format!("cannot open {}", p.display()));
    let (metadata, sequences) = (open(&args.metadata)?, open(&args.sequences)?);
    let name = |p: &Path| p.file_name().map_or("upload".into(), |n| n.to_string_lossy().into_owned());
    let form = FormBody::new()
        .text("group", "bench")
        .file("metadata", &name(&args.metadata), metadata.metadata()?.len())
        .file("sequences", &name(&args.sequences), sequences.metadata()?.len());
    let total = form.len();
    let content_type = form.content_type();
    let body = form.into_reader(vec![Box::new(metadata), Box::new(sequences)]);
    let agent =
        ureq::Agent::config_builder().http_status_as_error(false).timeout_global(None).build().new_agent();
    let mut response = agent
        .post(format!("{base}/api/{}/submit", args.organism))
        .header("Authorization", format!("Bearer {token}"))
        .header("Content-Type", content_type)
        .header("Content-Length", total.to_string())
        .header("Accept", "application/x-ndjson")
        .send(ureq::SendBody::from_owned_reader(body))?;
    let status = response.status();
    let reader = BufReader::new(response.body_mut().with_config().limit(u64::MAX).reader());
    if !status.is_success() {
        let text: String = reader.lines().map_while(Result::ok).collect::<Vec<_>>().join("\n");
        bail!("the hub refused the submission ({status}): {text}");
    }
    let mut count = 0;
    for line in reader.lines() {
        line?;
        count += 1;
    }
    Ok(count)
}

async fn storage_figures(store: &Store, args: &BenchHubArgs) -> Result<(u64, u64, u64)> {
    use sqlx::Row as _;
    let pool = store.pool();
    let row = sqlx::query("SELECT COUNT(*) FROM versions").fetch_one(pool).await?;
    let versions: i64 = row.try_get(0)?;
    let row = sqlx::query("SELECT COALESCE(SUM(LENGTH(compressed)), 0) FROM sequence_blobs")
        .fetch_one(pool)
        .await?;
    let blobs: i64 = row.try_get(0)?;
    let database = match store.backend() {
        virion_store::Backend::Postgres => {
            let row = sqlx::query("SELECT pg_database_size(current_database())").fetch_one(pool).await?;
            row.try_get::<i64, _>(0)? as u64
        }
        virion_store::Backend::Sqlite => ["", "-wal"]
            .iter()
            .filter_map(|suffix| {
                let path = args.data_dir.join(format!("{}{suffix}", virion_store::SQLITE_FILE));
                std::fs::metadata(path).ok().map(|m| m.len())
            })
            .sum(),
    };
    Ok((versions as u64, blobs as u64, database))
}

/// Counts processed versions every two seconds from the first one (the workers load their
/// datasets on the first job; that start-up is not throughput) until `window` has passed or
/// everything is processed. Returns the count and the time it took.
async fn measure_processing(args: &BenchHubArgs, total: u64, window: Duration) -> Result<(u64, Duration)> {
    let started = Instant::now();
    let first = loop {
        let n = count_processed(args).await?;
        if n > 0 {
            break n;
        }
        if started.elapsed() > Duration::from_secs(300) {
            bail!("no genome was processed within 5 minutes (see worker.log)");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let from = Instant::now();
    let mut last = (first, Duration::ZERO);
    while from.elapsed() < window && last.0 < total {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let n = count_processed(args).await?;
        if n > last.0 {
            last = (n, from.elapsed());
        }
    }
    Ok((last.0 - first, last.1))
}

/// Jobs done by the newest pipeline (an index count: cheap even with a million queued, so the
/// measuring does not slow the workers down).
async fn count_processed(args: &BenchHubArgs) -> Result<u64> {
    let store = open_store(args).await?;
    let status = store.pipeline_status().await?;
    store.close().await;
    Ok(status.done as u64)
}

fn report(f: &Figures) {
    let secs = f.upload.as_secs_f64();
    println!("| measure | value |");
    println!("|---|---|");
    println!("| genomes submitted | {} |", f.genomes);
    println!("| versions stored | {} |", f.versions_stored);
    println!(
        "| upload (send + validate + store + list accessions) | {secs:.1} s, {:.0} genomes/s |",
        f.genomes as f64 / secs
    );
    println!("| server peak RSS (VmHWM) | {:.0} MiB |", f.server_peak_kib as f64 / 1024.0);
    let per = |bytes: u64| bytes as f64 / f.genomes.max(1) as f64;
    println!("| compressed sequence bytes per genome | {:.0} B |", per(f.blob_bytes));
    println!("| database bytes per genome (everything) | {:.0} B |", per(f.database_bytes));
    if !f.process_window.is_zero() {
        println!(
            "| processing (`virion worker`, measured over {:.0} s) | {} genomes, {:.1} genomes/s |",
            f.process_window.as_secs_f64(),
            f.processed,
            f.processed as f64 / f.process_window.as_secs_f64()
        );
    }
}

/// Reads the server's "listening on http://ADDR" line.
fn read_address(child: &mut Child) -> Result<String> {
    let stdout = child.stdout.take().context("no stdout from virion serve")?;
    let mut lines = BufReader::new(stdout).lines();
    let line = lines.next().context("virion serve exited before listening (see serve.log)")??;
    line.rsplit("http://").next().map(str::to_owned).context("unexpected first line from virion serve")
}

fn vm_hwm(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    crate::bench::parse_vm_hwm(&status)
}

/// Stops the child (SIGTERM, as an operator would) when dropped or asked.
struct ChildGuard(Child);

impl ChildGuard {
    fn stop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.0.id().to_string()]).status();
        let _ = self.0.wait();
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            self.stop();
        }
    }
}
