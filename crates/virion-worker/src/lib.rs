//! The processing workers: claim jobs with a lease, run `virion_analyze::analyze` off the async
//! runtime, store the outcome. A pool ([`spawn_pool`]) runs inside `virion serve` and alone in
//! `virion worker`; each process registers the pipeline its code and datasets produce first.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Mutex, watch};
use virion_analyze::output::NdjsonRecord;
use virion_analyze::qc::QcStatus;
use virion_analyze::{Analysis, Dataset, analyze};
use virion_core::SegmentedSequence;
use virion_schema::OrganismDatasets;
use virion_store::{ClaimedJob, OrganismId, ProcessingIssue, ProcessingOutcome, Store};

/// How long a worker's claim on a job lasts before another worker may take it over.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(300);

/// Why a pool could not start.
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    /// The store refused to register the pipeline or list its organisms.
    #[error(transparent)]
    Store(#[from] virion_store::StoreError),
    /// A dataset file could not be read for the pipeline's fingerprint.
    #[error("reading datasets for the pipeline fingerprint: {0}")]
    Io(#[from] std::io::Error),
}

/// Registers this process's pipeline (queuing reprocessing if it is new), reclaims the jobs
/// workers named `{prefix}#…` held (the same node's previous process), and starts `count`
/// workers for it, named `{prefix}#{pid}-{i}-{random}`.
pub async fn spawn_pool(
    store: &Store,
    by_name: &HashMap<String, OrganismDatasets>,
    count: usize,
    lease: Duration,
    prefix: &str,
    stop: &watch::Receiver<bool>,
) -> Result<Vec<tokio::task::JoinHandle<u64>>, PoolError> {
    let datasets = Datasets::new(dataset_dirs(store, by_name).await?);
    if count == 0 {
        return Ok(Vec::new());
    }
    let (fingerprint, description) = pipeline_fingerprint(by_name)?;
    let pipeline = store.register_pipeline(&fingerprint, &description).await?;
    if pipeline.version < pipeline.newest {
        tracing::warn!(
            pipeline = pipeline.version,
            newest = pipeline.newest,
            "this process's datasets or code are older than another process's: it only finishes \
             work queued for its own pipeline version"
        );
    }
    tracing::info!(
        pipeline = pipeline.version,
        current = pipeline.current,
        reprocessing = pipeline.reprocessing,
        "processing pipeline registered"
    );
    // Jobs this node's previous process held when it died are taken back now, not after
    // their lease.
    let reclaimed = store.reclaim_jobs(&format!("{prefix}#")).await?;
    if reclaimed > 0 {
        tracing::info!(reclaimed, "jobs held by this node's previous process are claimable again");
    }
    let pid = std::process::id();
    Ok((0..count)
        .map(|i| {
            let mut config = WorkerConfig::named(
                format!("{prefix}#{pid}-{i}-{:08x}", rand::random::<u32>()),
                pipeline.version,
            );
            config.lease = lease;
            tokio::spawn(run_worker(store.clone(), datasets.clone(), config, stop.clone()))
        })
        .collect())
}

/// How a worker paces itself.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Unique per worker: the lease holder's name.
    pub name: String,
    /// Jobs claimed per round trip.
    pub batch: u32,
    /// How long a claimed job stays leased to this worker before another may claim it.
    pub lease: Duration,
    /// Wait between polls of an empty queue.
    pub idle: Duration,
    /// The pipeline version this worker's code and datasets produce (see [`pipeline_fingerprint`]).
    pub pipeline: i64,
}

impl WorkerConfig {
    /// A worker called `name` producing pipeline version `pipeline`, with the default batch, lease
    /// ([`DEFAULT_LEASE`]) and idle wait.
    pub fn named(name: String, pipeline: i64) -> Self {
        WorkerConfig { name, batch: 2, lease: DEFAULT_LEASE, idle: Duration::from_millis(500), pipeline }
    }
}

/// A job claimed this many times without finishing (its worker killed or out of time every
/// time) is not tried again: it is stored as a processing error for the curators to see.
pub const MAX_ATTEMPTS: i64 = 5;

/// Names what produces results: this build of the processing code and the exact content of
/// every organism's datasets (each segment's). Any change gives a new pipeline version, and
/// reprocessing. Returns (fingerprint, description as JSON).
pub fn pipeline_fingerprint(
    datasets: &HashMap<String, OrganismDatasets>,
) -> std::io::Result<(String, String)> {
    use sha2::{Digest, Sha256};
    let mut names: Vec<&String> = datasets.keys().collect();
    names.sort();
    let mut hash = Sha256::new();
    hash.update(concat!("virion ", env!("CARGO_PKG_VERSION")).as_bytes());
    let mut described = serde_json::Map::new();
    for name in names {
        for (segment, dir) in &datasets[name].segments {
            let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(dir)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file())
                .collect();
            files.sort();
            let mut one = Sha256::new();
            for file in files {
                one.update(file.file_name().unwrap_or_default().as_encoded_bytes());
                one.update(std::fs::read(&file)?);
            }
            let digest = one.finalize();
            // A single-segment organism hashes as it always did (no reprocessing on upgrade).
            let key = if datasets[name].segmented { format!("{name}/{segment}") } else { name.clone() };
            hash.update(key.as_bytes());
            hash.update(digest);
            let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
            described.insert(key, serde_json::json!({ "dir": dir.display().to_string(), "sha256": hex }));
        }
    }
    let fingerprint: String = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
    let description =
        serde_json::json!({ "virion": env!("CARGO_PKG_VERSION"), "datasets": described }).to_string();
    Ok((fingerprint, description))
}

/// One organism's loaded datasets, one per segment, in its segment order.
#[derive(Debug)]
pub struct LoadedDatasets {
    /// Whether the organism is segmented (its stored sequences are [`SegmentedSequence`]s).
    pub segmented: bool,
    /// (segment name, its dataset).
    pub segments: Vec<(String, Dataset)>,
}

/// Datasets by organism, loaded on first use and shared by every worker of a process.
#[derive(Debug, Clone)]
pub struct Datasets {
    dirs: Arc<HashMap<OrganismId, OrganismDatasets>>,
    loaded: Arc<Mutex<HashMap<OrganismId, Arc<LoadedDatasets>>>>,
}

impl Datasets {
    /// Datasets read lazily from `dirs`, one set per organism.
    pub fn new(dirs: HashMap<OrganismId, OrganismDatasets>) -> Self {
        Datasets { dirs: Arc::new(dirs), loaded: Arc::default() }
    }

    /// The organism's datasets, or why there are none.
    async fn get(&self, organism: OrganismId) -> Result<Arc<LoadedDatasets>, String> {
        let mut loaded = self.loaded.lock().await;
        if let Some(ds) = loaded.get(&organism) {
            return Ok(ds.clone());
        }
        let sets =
            self.dirs.get(&organism).ok_or_else(|| format!("no dataset configured for {organism}"))?.clone();
        let ds = tokio::task::spawn_blocking(move || {
            let segments = sets
                .segments
                .iter()
                .map(|(segment, dir)| {
                    Dataset::load(dir)
                        .map(|ds| (segment.clone(), ds))
                        .map_err(|e| format!("{}: {e}", dir.display()))
                })
                .collect::<Result<Vec<_>, String>>()?;
            Ok::<_, String>(LoadedDatasets { segmented: sets.segmented, segments })
        })
        .await
        .map_err(|e| e.to_string())??;
        let ds = Arc::new(ds);
        loaded.insert(organism, ds.clone());
        Ok(ds)
    }
}

/// Maps the store's organisms to their datasets by organism name.
pub async fn dataset_dirs(
    store: &Store,
    by_name: &HashMap<String, OrganismDatasets>,
) -> Result<HashMap<OrganismId, OrganismDatasets>, virion_store::StoreError> {
    Ok(store
        .organisms()
        .await?
        .into_iter()
        .filter_map(|o| by_name.get(&o.name).map(|d| (o.id, d.clone())))
        .collect())
}

/// Processes jobs until `shutdown` turns true; a claimed batch is finished before stopping.
/// Returns how many jobs it completed.
pub async fn run_worker(
    store: Store,
    datasets: Datasets,
    config: WorkerConfig,
    mut shutdown: watch::Receiver<bool>,
) -> u64 {
    let mut done = 0u64;
    while !*shutdown.borrow() {
        let jobs = match store.claim_jobs(&config.name, config.pipeline, config.batch, config.lease).await {
            Ok(jobs) => jobs,
            Err(e) => {
                tracing::warn!(worker = %config.name, error = %e, "claiming jobs failed; retrying");
                Vec::new()
            }
        };
        if jobs.is_empty() {
            // An idle queue may mean reprocessing just finished: switch to its results.
            if let Err(e) = store.switch_pipeline_if_complete().await {
                tracing::warn!(worker = %config.name, error = %e, "checking reprocessing failed");
            }
            tokio::select! {
                _ = tokio::time::sleep(config.idle) => {}
                _ = shutdown.changed() => {}
            }
            continue;
        }
        for job in jobs {
            let id = job.id;
            let av = job.accession_version.to_string();
            let outcome =
                if job.attempts > MAX_ATTEMPTS { given_up(&job) } else { process(&datasets, job).await };
            match store.complete_job(&config.name, id, &outcome).await {
                Ok(()) => {
                    done += 1;
                    tracing::info!(worker = %config.name, version = %av, result = outcome.result().as_str(), "processed");
                }
                // Lost lease: another worker has the job now; its result will count.
                Err(e) => {
                    tracing::warn!(worker = %config.name, version = %av, error = %e, "result not stored")
                }
            }
        }
    }
    tracing::info!(worker = %config.name, done, "worker stopped");
    done
}

fn given_up(job: &ClaimedJob) -> ProcessingOutcome {
    let message = format!(
        "processing was started {} times and never finished (the worker died or ran out of time \
         each time); an administrator should look at this sequence",
        job.attempts - 1
    );
    tracing::error!(version = %job.accession_version, attempts = job.attempts - 1, "giving up on a job");
    ProcessingOutcome {
        dataset_version: String::new(),
        processed_json: "{}".into(),
        errors: vec![ProcessingIssue { fields: vec!["sequence".into()], message }],
        warnings: vec![],
    }
}

async fn process(datasets: &Datasets, job: ClaimedJob) -> ProcessingOutcome {
    let ds = match datasets.get(job.organism).await {
        Ok(ds) => ds,
        Err(message) => {
            return ProcessingOutcome {
                dataset_version: String::new(),
                processed_json: "{}".into(),
                errors: vec![ProcessingIssue { fields: vec![], message }],
                warnings: vec![],
            };
        }
    };
    let result = tokio::task::spawn_blocking(move || analyze_job(&ds, &job)).await;
    result.unwrap_or_else(|e| ProcessingOutcome {
        dataset_version: String::new(),
        processed_json: "{}".into(),
        errors: vec![ProcessingIssue {
            fields: vec!["sequence".into()],
            message: format!("processing failed: {e}"),
        }],
        warnings: vec![],
    })
}

/// The processed record: the submitted metadata, the main calls at top level (clade, lineage,
/// QC) for indexing, and the full analysis in Nextclade's NDJSON form under `nextclade`. A
/// segmented organism's record holds the same per segment under `segments.<name>`, and the
/// segments the sample lacks under `missingSegments`.
fn analyze_job(datasets: &LoadedDatasets, job: &ClaimedJob) -> ProcessingOutcome {
    let name = job.accession_version.to_string();
    let metadata: serde_json::Value = serde_json::from_str(&job.metadata_json).unwrap_or_default();
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    if !datasets.segmented {
        let Some((_, ds)) = datasets.segments.first() else {
            return no_dataset(&name);
        };
        let mut processed = serde_json::json!({ "metadata": metadata });
        let calls = analyze_segment(ds, &name, &job.sequence, "sequence", &mut errors, &mut warnings);
        merge(&mut processed, calls);
        return ProcessingOutcome {
            dataset_version: ds.name(),
            processed_json: processed.to_string(),
            errors,
            warnings,
        };
    }
    let sample = match SegmentedSequence::decode(&job.sequence) {
        Ok(sample) => sample,
        Err(e) => {
            errors.push(ProcessingIssue {
                fields: vec!["sequence".into()],
                message: format!("the stored segments cannot be read: {e}"),
            });
            SegmentedSequence::default()
        }
    };
    let mut segments = serde_json::Map::new();
    let mut missing = Vec::new();
    let mut worst: Option<QcStatus> = None;
    for (segment, ds) in &datasets.segments {
        let Some(seq) = sample.get(segment) else {
            missing.push(segment.clone());
            continue;
        };
        let calls = analyze_segment(
            ds,
            &format!("{name}_{segment}"),
            seq,
            &format!("sequence_{segment}"),
            &mut errors,
            &mut warnings,
        );
        if let Some(status) = calls.status {
            // The sample's status is its worst segment's.
            let rank = |s: QcStatus| {
                [QcStatus::Good, QcStatus::Mediocre, QcStatus::Bad].iter().position(|&x| x == s)
            };
            worst = Some(worst.map_or(status, |w| if rank(status) > rank(w) { status } else { w }));
        }
        segments.insert(segment.clone(), calls.json);
    }
    for (segment, _) in &sample.segments {
        if !datasets.segments.iter().any(|(s, _)| s == segment) {
            errors.push(ProcessingIssue {
                fields: vec![format!("sequence_{segment}")],
                message: format!("segment {segment:?} is not one of this organism's segments"),
            });
        }
    }
    if !missing.is_empty() {
        warnings.push(ProcessingIssue {
            fields: missing.iter().map(|s| format!("sequence_{s}")).collect(),
            message: format!("the sample lacks segment(s) {}", missing.join(", ")),
        });
    }
    let processed = serde_json::json!({
        "metadata": metadata,
        "segments": segments,
        "missingSegments": missing,
        "qcOverallStatus": worst.map(status_text),
    });
    let dataset_version =
        datasets.segments.iter().map(|(s, ds)| format!("{s}: {}", ds.name())).collect::<Vec<_>>().join(", ");
    ProcessingOutcome { dataset_version, processed_json: processed.to_string(), errors, warnings }
}

fn no_dataset(name: &str) -> ProcessingOutcome {
    ProcessingOutcome {
        dataset_version: String::new(),
        processed_json: "{}".into(),
        errors: vec![ProcessingIssue { fields: vec![], message: format!("{name}: no dataset loaded") }],
        warnings: vec![],
    }
}

/// One segment's processed calls: its JSON (`nextclade`, `clade`, `lineage`, `qcOverallStatus`,
/// `coverage`) and its QC status.
struct SegmentCalls {
    json: serde_json::Value,
    status: Option<QcStatus>,
}

/// Adds `calls`' keys to `processed`.
fn merge(processed: &mut serde_json::Value, calls: SegmentCalls) {
    if let (Some(out), serde_json::Value::Object(calls)) = (processed.as_object_mut(), calls.json) {
        out.extend(calls);
    }
}

fn status_text(status: QcStatus) -> String {
    format!("{status:?}").to_lowercase()
}

/// Analyses one genome (or segment) against `ds`; problems are reported on `field`.
fn analyze_segment(
    ds: &Dataset,
    name: &str,
    sequence: &[u8],
    field: &str,
    errors: &mut Vec<ProcessingIssue>,
    warnings: &mut Vec<ProcessingIssue>,
) -> SegmentCalls {
    let result = analyze(ds, name, sequence);
    // No change context: it is nine tenths of a SARS-CoV-2 record (51 of 56 KB) and follows from
    // the stored sequence and the dataset.
    let record = NdjsonRecord::new(0, name, &result, None);
    let nextclade = serde_json::to_value(&record).unwrap_or(serde_json::Value::Null);
    let mut json = serde_json::json!({ "nextclade": nextclade });
    let a: &Analysis = match &result {
        Err(e) => {
            errors.push(ProcessingIssue { fields: vec![field.into()], message: e.to_string() });
            return SegmentCalls { json, status: None };
        }
        Ok(a) => a,
    };
    let placement = a.placement.as_ref();
    json["clade"] = serde_json::json!(placement.and_then(|p| p.clade.as_deref()));
    json["lineage"] = serde_json::json!(placement.and_then(|p| p.clade_attrs.get("Nextclade_pango")));
    // Every clade-like attribute (influenza HA's `subclade`), for per-segment columns.
    json["cladeAttributes"] = serde_json::json!(placement.map(|p| &p.clade_attrs));
    json["qcOverallStatus"] = serde_json::json!(status_text(a.qc.overall_status));
    json["coverage"] = serde_json::json!(a.coverage);
    if a.qc.overall_status == QcStatus::Bad {
        warnings.push(ProcessingIssue {
            fields: vec![field.into()],
            message: format!("QC status is bad (overall score {:.1})", a.qc.overall_score),
        });
    }
    for w in &a.warnings {
        warnings.push(ProcessingIssue { fields: vec![field.into()], message: w.clone() });
    }
    SegmentCalls { json, status: Some(a.qc.overall_status) }
}
