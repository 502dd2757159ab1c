//! The processing loop: claim jobs with a lease, run `virion_analyze::analyze` off the async
//! runtime, store the outcome. Runs as a pool inside `virion serve` and alone in `virion worker`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Mutex, watch};
use virion_analyze::output::NdjsonRecord;
use virion_analyze::qc::QcStatus;
use virion_analyze::{Dataset, analyze};
use virion_store::{ClaimedJob, OrganismId, ProcessingIssue, ProcessingOutcome, Store};

/// How a worker paces itself.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Unique per worker: the lease holder's name.
    pub name: String,
    /// Jobs claimed per round trip.
    pub batch: u32,
    pub lease: Duration,
    /// Wait between polls of an empty queue.
    pub idle: Duration,
}

impl WorkerConfig {
    pub fn named(name: String) -> Self {
        WorkerConfig { name, batch: 2, lease: crate::DEFAULT_LEASE, idle: Duration::from_millis(500) }
    }
}

/// Datasets by organism, loaded on first use and shared by every worker of a process.
#[derive(Debug, Clone)]
pub struct Datasets {
    dirs: Arc<HashMap<OrganismId, PathBuf>>,
    loaded: Arc<Mutex<HashMap<OrganismId, Arc<Dataset>>>>,
}

impl Datasets {
    pub fn new(dirs: HashMap<OrganismId, PathBuf>) -> Self {
        Datasets { dirs: Arc::new(dirs), loaded: Arc::default() }
    }

    /// The organism's dataset, or why there is none.
    async fn get(&self, organism: OrganismId) -> Result<Arc<Dataset>, String> {
        let mut loaded = self.loaded.lock().await;
        if let Some(ds) = loaded.get(&organism) {
            return Ok(ds.clone());
        }
        let dir =
            self.dirs.get(&organism).ok_or_else(|| format!("no dataset configured for {organism}"))?.clone();
        let ds = tokio::task::spawn_blocking(move || {
            Dataset::load(&dir).map_err(|e| format!("{}: {e}", dir.display()))
        })
        .await
        .map_err(|e| e.to_string())??;
        let ds = Arc::new(ds);
        loaded.insert(organism, ds.clone());
        Ok(ds)
    }
}

/// Maps the store's organisms to dataset directories by organism name.
pub async fn dataset_dirs(
    store: &Store,
    by_name: &HashMap<String, PathBuf>,
) -> Result<HashMap<OrganismId, PathBuf>, virion_store::StoreError> {
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
        let jobs = match store.claim_jobs(&config.name, config.batch, config.lease).await {
            Ok(jobs) => jobs,
            Err(e) => {
                tracing::warn!(worker = %config.name, error = %e, "claiming jobs failed; retrying");
                Vec::new()
            }
        };
        if jobs.is_empty() {
            tokio::select! {
                _ = tokio::time::sleep(config.idle) => {}
                _ = shutdown.changed() => {}
            }
            continue;
        }
        for job in jobs {
            let id = job.id;
            let av = job.accession_version.to_string();
            let outcome = process(&datasets, job).await;
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
/// QC) for indexing, and the full analysis in Nextclade's NDJSON form under `nextclade`.
fn analyze_job(ds: &Dataset, job: &ClaimedJob) -> ProcessingOutcome {
    let name = job.accession_version.to_string();
    let result = analyze(ds, &name, &job.sequence);
    let record = NdjsonRecord::new(0, &name, &result);
    let nextclade = serde_json::to_value(&record).unwrap_or(serde_json::Value::Null);
    let metadata: serde_json::Value = serde_json::from_str(&job.metadata_json).unwrap_or_default();
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let mut processed = serde_json::json!({ "metadata": metadata, "nextclade": nextclade });
    match &result {
        Err(e) => errors.push(ProcessingIssue { fields: vec!["sequence".into()], message: e.to_string() }),
        Ok(a) => {
            let placement = a.placement.as_ref();
            processed["clade"] = serde_json::json!(placement.and_then(|p| p.clade.as_deref()));
            processed["lineage"] =
                serde_json::json!(placement.and_then(|p| p.clade_attrs.get("Nextclade_pango")));
            processed["qcOverallStatus"] =
                serde_json::json!(format!("{:?}", a.qc.overall_status).to_lowercase());
            processed["coverage"] = serde_json::json!(a.coverage);
            if a.qc.overall_status == QcStatus::Bad {
                warnings.push(ProcessingIssue {
                    fields: vec!["sequence".into()],
                    message: format!("QC status is bad (overall score {:.1})", a.qc.overall_score),
                });
            }
            for w in &a.warnings {
                warnings.push(ProcessingIssue { fields: vec!["sequence".into()], message: w.clone() });
            }
        }
    }
    ProcessingOutcome { dataset_version: ds.name(), processed_json: processed.to_string(), errors, warnings }
}
