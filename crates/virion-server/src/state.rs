//! What every handler shares: the store, the organisms served and where uploads go.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use virion_core::SegmentedSequence;
use virion_io::{FastaReader, FastaRecord};
use virion_schema::{OrganismConfig, OrganismDatasets, OrganismRegistry};
use virion_sort::MinimizerIndex;
use virion_store::{OrganismId, Store, StoreError};

use virion_index::PangoAliases;

use crate::error::ApiError;
use virion_collections::Collections;

/// How the query API runs.
#[derive(Debug, Clone, Default)]
pub struct QueryOptions {
    /// Pango alias table for lineage queries with sublineages.
    pub aliases: PangoAliases,
    /// The organism `/sample/…` answers for (default: the only one, else sars-cov-2).
    pub default_organism: Option<String>,
    /// Longest a query may run (default 60 s).
    pub query_timeout: Option<std::time::Duration>,
    /// How long a federated answer waits for the nodes (default 20 s); a node later than that
    /// makes the answer incomplete.
    pub federation_deadline: Option<std::time::Duration>,
    /// What one submission may hold.
    pub upload_limits: UploadLimits,
    /// How many LAPIS questions one client may ask.
    pub client_rate: crate::throttle::ClientRate,
    /// Single sign-on with an OpenID Connect provider (besides local accounts).
    pub sso: Option<std::sync::Arc<virion_oidc::Sso>>,
    /// Who publishes the node's DCAT-AP catalogue, and its public URL.
    pub catalog: Option<std::sync::Arc<crate::catalog::CatalogSettings>>,
}

/// What one submission may hold: each limit bounds memory or disk, and each refusal names the
/// file, record or cell and the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadLimits {
    /// Most bytes of all files of one submission, as sent (compressed or not).
    pub upload_bytes: u64,
    /// Most bytes of one file once decompressed.
    pub decompressed_bytes: u64,
    /// Most records (FASTA records, metadata rows) in one submission.
    pub records: u64,
    /// A record's sequence may be this many times its organism's reference length (and at
    /// least [`UploadLimits::MIN_RECORD_BYTES`]).
    pub record_reference_factor: u64,
    /// Most bytes of a FASTA header line.
    pub header_bytes: usize,
    /// Most bytes of a text form field (group name, terms).
    pub field_bytes: usize,
}

impl UploadLimits {
    /// The smallest record limit, whatever the reference.
    pub const MIN_RECORD_BYTES: u64 = 100_000;

    /// The most sequence bytes one record of an organism whose reference is `reference_len`
    /// long may hold.
    pub fn record_bytes(&self, reference_len: usize) -> usize {
        let bytes =
            (reference_len as u64).saturating_mul(self.record_reference_factor).max(Self::MIN_RECORD_BYTES);
        usize::try_from(bytes).unwrap_or(usize::MAX)
    }
}

impl Default for UploadLimits {
    fn default() -> Self {
        UploadLimits {
            // A million SARS-CoV-2 genomes are ~30 GB as text, ~1 GB compressed; the limits
            // leave room for that and stop a decompression bomb long before the disk fills.
            upload_bytes: 16 << 30,
            decompressed_bytes: 64 << 30,
            records: 2_000_000,
            record_reference_factor: 3,
            header_bytes: 4096,
            field_bytes: 4096,
        }
    }
}

/// One organism as the hub serves it.
#[derive(Debug)]
pub struct HubOrganism {
    /// The organism's id in the store.
    pub id: OrganismId,
    /// Its configuration: name, display name, accession prefix, metadata schema, dataset.
    pub config: OrganismConfig,
    /// The Nextclade datasets its sequences are processed with, one per segment.
    pub datasets: OrganismDatasets,
    /// Length of its longest segment's reference (what a record's length limit is measured by).
    pub reference_len: usize,
    /// For a segmented organism, the minimizer index of its segments' references: which
    /// segment a submitted record is.
    pub segment_index: Option<Arc<MinimizerIndex>>,
    /// Its dataset's reference tree, read on the first record-page tree download and kept (a
    /// few MB): the text, parsed, and the reference's length; or why there is none.
    pub placement_tree: std::sync::OnceLock<Result<Arc<PlacementTree>, String>>,
}

/// A dataset's tree.json as written and as parsed, and its reference's length.
#[derive(Debug)]
pub struct PlacementTree {
    /// tree.json's text (grafting keeps everything in it).
    pub text: String,
    /// The same, parsed.
    pub tree: virion_tree::RefTree,
    /// Length of the dataset's reference sequence.
    pub reference_len: usize,
}

impl PlacementTree {
    /// Reads the tree of the dataset in `dir`.
    pub fn load(dir: &Path) -> Result<PlacementTree, String> {
        let ds = virion_dataset::Dataset::load(dir).map_err(|e| e.to_string())?;
        let text =
            ds.tree_json_raw.ok_or_else(|| format!("the dataset in {} has no tree.json", dir.display()))?;
        let tree = virion_tree::RefTree::from_json_str(&text).map_err(|e| e.to_string())?;
        Ok(PlacementTree { text, tree, reference_len: ds.reference.len() })
    }
}

impl HubOrganism {
    /// A segmented organism's sample from FASTA text (an edit's or a revision's sequence): one
    /// record per segment sent, each record's segment detected from its sequence (a name ending
    /// in `_<segment>` must agree), replacing that segment of `kept` (the stored sample, whose
    /// other segments stay), as the hub stores it. Errors say what to fix.
    pub fn segments_from_fasta(&self, text: &str, kept: &[u8]) -> Result<Vec<u8>, String> {
        let Some(sorter) = &self.segment_index else {
            return Err(format!("{} is not a segmented organism", self.config.name));
        };
        let mut reader = FastaReader::new(text.trim().as_bytes(), Path::new("the sequence"));
        let mut record = FastaRecord::default();
        let mut found: Vec<(String, Vec<u8>)> = Vec::new();
        let params = virion_sort::SortParams::for_segments();
        while reader.read(&mut record).map_err(|e| e.to_string())? {
            let name = record.name.trim().to_owned();
            let Some(best) = sorter.search(&record.seq, &params).best().map(|m| m.name.clone()) else {
                return Err(format!(
                    "record {name:?} matches no segment of {} ({}); send one FASTA record per segment",
                    self.config.display_name,
                    self.datasets.segments.iter().map(|(s, _)| s.as_str()).collect::<Vec<_>>().join(", ")
                ));
            };
            let claimed = name.split_whitespace().next().and_then(|w| w.rsplit_once('_')).map(|(_, s)| s);
            if let Some(claimed) =
                claimed.filter(|c| self.config.segments.iter().any(|s| s.name.eq_ignore_ascii_case(c)))
                && !claimed.eq_ignore_ascii_case(&best)
            {
                return Err(format!(
                    "record {name:?} is named as segment {claimed}, but its sequence matches {best}"
                ));
            }
            if found.iter().any(|(s, _)| *s == best) {
                return Err(format!("two records of segment {best}; send one per segment"));
            }
            found.push((best, std::mem::take(&mut record.seq)));
        }
        if found.is_empty() {
            return Err(
                "no FASTA record: send one record per segment to replace, e.g. `>ha` then its letters".into(),
            );
        }
        let stored = SegmentedSequence::decode(kept)
            .map_err(|e| format!("the stored segments cannot be read: {e}"))?;
        for (segment, seq) in stored.segments {
            if !found.iter().any(|(s, _)| *s == segment) {
                found.push((segment, seq));
            }
        }
        found.sort_by_key(|(s, _)| self.datasets.segments.iter().position(|(n, _)| n == s));
        Ok(SegmentedSequence { segments: found }.encode())
    }
}

/// What every handler shares, cheap to clone: the store, the organisms served with their
/// datasets, the data directory and the query collections.
#[derive(Debug, Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Store,
    data_dir: PathBuf,
    organisms: HashMap<String, HubOrganism>,
    lapis: Collections,
    verifier: virion_federation::signature::Verifier,
    federation_setup: virion_federation::SetupCache,
    federation_deadline: std::time::Duration,
    login_throttle: crate::throttle::LoginThrottle,
    upload_limits: UploadLimits,
    metrics: crate::metrics::Metrics,
    query_budgets: crate::throttle::QueryBudgets,
    /// Single sign-on, when configured.
    sso: Option<std::sync::Arc<virion_oidc::Sso>>,
    /// The catalogue's publisher settings, when configured.
    catalog: Option<std::sync::Arc<crate::catalog::CatalogSettings>>,
    /// This node's OpenAPI document, serialised once on first request.
    openapi: std::sync::OnceLock<axum::body::Bytes>,
}

/// Why the hub could not be prepared to serve ([`AppState::new`]).
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// An organism registered for the first time has no readable reference sequence in its
    /// dataset (`reference.fasta`), which the store needs as its compression dictionary.
    #[error("organism {organism:?}: reading reference {path}: {message}")]
    Reference {
        /// The organism being registered.
        organism: String,
        /// The dataset's reference FASTA file.
        path: PathBuf,
        /// Why it could not be read (I/O or FASTA error, or no sequence in it).
        message: String,
    },
    /// A dataset was given for an organism that no organism config (built-in or from the
    /// organisms directory) describes.
    #[error("organism {organism:?} has a dataset but no configuration")]
    UnknownOrganism {
        /// The organism name the dataset was given for.
        organism: String,
    },
    /// A segmented organism's segment references could not be indexed for segment detection.
    #[error("organism {organism:?}: indexing its segments' references: {source}")]
    SegmentIndex {
        /// The organism being registered.
        organism: String,
        /// Why.
        source: virion_sort::SortError,
    },
    /// Listing or registering organisms in the store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The uploads directory inside the data directory could not be created.
    #[error("data directory {path}: {source}")]
    DataDir {
        /// The directory that could not be created (`DATA_DIR/uploads`).
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Maps each organism to its Nextclade datasets: explicit `ORGANISM=DIR` pairs first (DIR is
/// the dataset, or for a segmented organism the directory holding its segments' datasets), then
/// the datasets under `dataset_root` named as the organism's config names them, for organisms
/// whose every dataset is there.
pub fn resolve_datasets(
    registry: &OrganismRegistry,
    explicit: &[(String, PathBuf)],
    dataset_root: Option<&Path>,
) -> HashMap<String, OrganismDatasets> {
    let mut out: HashMap<String, OrganismDatasets> = HashMap::new();
    if let Some(root) = dataset_root {
        for config in registry.iter() {
            let datasets = config.datasets_in(root);
            let present = datasets.dirs().filter(|d| d.join("reference.fasta").exists()).count();
            if present == datasets.segments.len() {
                out.insert(config.name.clone(), datasets);
            } else if present > 0 {
                tracing::warn!(
                    organism = %config.name,
                    present,
                    segments = datasets.segments.len(),
                    "not served: some of its segments' datasets are missing under the dataset directory"
                );
            }
        }
    }
    for (organism, dir) in explicit {
        let datasets = match registry.get(organism) {
            Some(config) if config.is_segmented() => config.datasets_in(dir),
            _ => OrganismDatasets::single(dir.clone()),
        };
        out.insert(organism.clone(), datasets);
    }
    out
}

/// Registers each organism that has a dataset (its reference becomes the compression
/// dictionary, so it is read from the dataset once, on first registration; a segmented
/// organism's dictionary is its segments' references written as its samples are stored) and
/// returns organism name → its id, config and datasets.
pub async fn register_organisms(
    store: &Store,
    registry: &OrganismRegistry,
    datasets: &HashMap<String, OrganismDatasets>,
) -> Result<HashMap<String, HubOrganism>, SetupError> {
    let known = store.organisms().await?;
    let mut out = HashMap::new();
    for (name, sets) in datasets {
        let config =
            registry.get(name).ok_or_else(|| SetupError::UnknownOrganism { organism: name.clone() })?;
        let mut references = SegmentedSequence::default();
        for (segment, dir) in &sets.segments {
            references.segments.push((segment.clone(), read_reference(name, &dir.join("reference.fasta"))?));
        }
        let reference_len = references.segments.iter().map(|(_, r)| r.len()).max().unwrap_or(0);
        let segment_index = if sets.segmented {
            let refs = references.segments.iter().map(|(s, r)| (s.clone(), r.as_slice()));
            let index = MinimizerIndex::build(refs)
                .map_err(|source| SetupError::SegmentIndex { organism: name.clone(), source })?;
            Some(Arc::new(index))
        } else {
            None
        };
        let dictionary = if sets.segmented {
            references.encode()
        } else {
            references.segments.pop().map(|(_, r)| r).unwrap_or_default()
        };
        let id = match known.iter().find(|o| &o.name == name) {
            Some(o) => o.id,
            None => {
                match store.add_organism(name, &config.accession_prefix, &dictionary).await {
                    Ok(id) => id,
                    // A server and a worker starting together both try; the first one wins.
                    Err(StoreError::AlreadyExists { .. }) => store.organism_by_name(name).await?.id,
                    Err(e) => return Err(e.into()),
                }
            }
        };
        out.insert(
            name.clone(),
            HubOrganism {
                id,
                config: config.clone(),
                datasets: sets.clone(),
                reference_len,
                segment_index,
                placement_tree: std::sync::OnceLock::new(),
            },
        );
    }
    Ok(out)
}

/// How old an unfinished upload must be to count as left behind by a process that died.
const STALE_UPLOAD: std::time::Duration = std::time::Duration::from_secs(60 * 60);

/// Removes upload folders left behind by killed processes (an upload folder is removed as soon
/// as its submission ends; one untouched for an hour belongs to no running upload).
fn remove_stale_uploads(uploads: &Path) {
    let Ok(entries) = std::fs::read_dir(uploads) else { return };
    let mut removed = 0;
    for entry in entries.flatten() {
        let stale = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| t.elapsed().is_ok_and(|age| age > STALE_UPLOAD));
        if stale && entry.file_name().to_string_lossy().starts_with("submit-") {
            match std::fs::remove_dir_all(entry.path()) {
                Ok(()) => removed += 1,
                Err(e) => {
                    tracing::warn!(path = %entry.path().display(), error = %e, "stale upload not removed")
                }
            }
        }
    }
    if removed > 0 {
        tracing::info!(removed, "removed upload folders left by a stopped process");
    }
}

fn read_reference(organism: &str, path: &Path) -> Result<Vec<u8>, SetupError> {
    let err = |message: String| SetupError::Reference {
        organism: organism.to_owned(),
        path: path.to_owned(),
        message,
    };
    let mut reader = FastaReader::from_path(path).map_err(|e| err(e.to_string()))?;
    let mut record = FastaRecord::default();
    if !reader.read(&mut record).map_err(|e| err(e.to_string()))? {
        return Err(err("no sequence".into()));
    }
    Ok(record.seq)
}

impl AppState {
    /// Prepares the hub: creates `data_dir/uploads` and registers the organisms with datasets.
    pub async fn new(
        store: Store,
        registry: &OrganismRegistry,
        data_dir: &Path,
        datasets: &HashMap<String, OrganismDatasets>,
    ) -> Result<AppState, SetupError> {
        let no_aliases = PangoAliases::from_json("{}").expect("an empty alias table");
        AppState::with_aliases(store, registry, data_dir, datasets, no_aliases).await
    }

    /// As [`AppState::new`], with the Pango alias table for lineage queries.
    pub async fn with_aliases(
        store: Store,
        registry: &OrganismRegistry,
        data_dir: &Path,
        datasets: &HashMap<String, OrganismDatasets>,
        aliases: PangoAliases,
    ) -> Result<AppState, SetupError> {
        let options = QueryOptions { aliases, ..QueryOptions::default() };
        AppState::with_options(store, registry, data_dir, datasets, options).await
    }

    /// As [`AppState::new`], with the query API's options.
    pub async fn with_options(
        store: Store,
        registry: &OrganismRegistry,
        data_dir: &Path,
        datasets: &HashMap<String, OrganismDatasets>,
        options: QueryOptions,
    ) -> Result<AppState, SetupError> {
        let QueryOptions {
            aliases,
            default_organism,
            query_timeout,
            federation_deadline,
            upload_limits,
            client_rate,
            sso,
            catalog,
        } = options;
        let uploads = data_dir.join("uploads");
        std::fs::create_dir_all(&uploads)
            .map_err(|source| SetupError::DataDir { path: uploads.clone(), source })?;
        remove_stale_uploads(&uploads);
        let organisms = register_organisms(&store, registry, datasets).await?;
        let sources: Vec<_> = organisms
            .iter()
            .map(|(name, o)| (name.clone(), o.id, o.datasets.clone(), o.config.clone()))
            .collect();
        // Loading datasets is blocking work.
        let dir = data_dir.to_owned();
        let lapis = tokio::task::spawn_blocking(move || {
            Collections::prepare(&sources, aliases, Some(&dir), default_organism)
        })
        .await
        .expect("preparing query indexes panicked");
        let lapis = match query_timeout {
            Some(t) => lapis.with_query_timeout(t),
            None => lapis,
        };
        Ok(AppState {
            inner: Arc::new(Inner {
                store,
                data_dir: data_dir.to_owned(),
                organisms,
                lapis,
                verifier: virion_federation::signature::Verifier::default(),
                federation_setup: virion_federation::SetupCache::default(),
                federation_deadline: federation_deadline
                    .unwrap_or(virion_federation::client::DEFAULT_DEADLINE),
                login_throttle: crate::throttle::LoginThrottle::default(),
                upload_limits,
                metrics: crate::metrics::Metrics::default(),
                query_budgets: crate::throttle::QueryBudgets::new(client_rate),
                openapi: std::sync::OnceLock::new(),
                sso,
                catalog,
            }),
        })
    }

    /// The collections served (query indexes).
    pub fn collections(&self) -> &Collections {
        &self.inner.lapis
    }

    /// What each client may still ask.
    pub(crate) fn query_budgets(&self) -> &crate::throttle::QueryBudgets {
        &self.inner.query_budgets
    }

    /// The node's metrics.
    /// This node's OpenAPI document as served (built from its organisms on first use: the
    /// document does not change while the process runs).
    pub(crate) fn openapi_document(&self) -> axum::body::Bytes {
        self.inner
            .openapi
            .get_or_init(|| {
                let document = crate::openapi::openapi_for(&self.inner.lapis.vocabulary());
                serde_json::to_vec(&document).expect("the OpenAPI document serialises").into()
            })
            .clone()
    }

    /// The node's identity provider, when single sign-on is configured.
    pub(crate) fn sso(&self) -> Option<&virion_oidc::Sso> {
        self.inner.sso.as_deref()
    }

    /// The catalogue's publisher settings, when the node has them.
    pub(crate) fn catalog_settings(&self) -> Option<&crate::catalog::CatalogSettings> {
        self.inner.catalog.as_deref()
    }

    /// This node's name in a federation, when it has one.
    pub(crate) fn node_name(&self) -> Option<String> {
        self.federation_setup().ok().map(|s| s.identity.name.clone())
    }

    pub(crate) fn metrics(&self) -> &crate::metrics::Metrics {
        &self.inner.metrics
    }

    /// What one submission may hold.
    pub(crate) fn upload_limits(&self) -> &UploadLimits {
        &self.inner.upload_limits
    }

    /// The failed logins remembered for back-off.
    pub(crate) fn login_throttle(&self) -> &crate::throttle::LoginThrottle {
        &self.inner.login_throttle
    }

    /// The hub's store (entries, versions, accounts, jobs).
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// Where submitted files are spooled while a submission is read (`DATA_DIR/uploads`).
    pub fn uploads_dir(&self) -> PathBuf {
        self.inner.data_dir.join("uploads")
    }

    /// The data directory (database, uploads, indexes, the node's identity and peers).
    pub fn data_dir(&self) -> &Path {
        &self.inner.data_dir
    }

    /// Checks the signatures of peers' requests (and remembers their nonces).
    pub fn verifier(&self) -> &virion_federation::signature::Verifier {
        &self.inner.verifier
    }

    /// The node's identity and peers (read again when their files change).
    pub fn federation_setup(&self) -> Result<virion_federation::Setup, virion_federation::FederationError> {
        self.inner.federation_setup.get(&self.inner.data_dir)
    }

    /// How long a federated answer waits for the nodes.
    pub fn federation_deadline(&self) -> std::time::Duration {
        self.inner.federation_deadline
    }

    /// The served organism called `name`, or [`ApiError::NotFound`].
    pub fn organism(&self, name: &str) -> Result<&HubOrganism, ApiError> {
        self.inner
            .organisms
            .get(name)
            .ok_or_else(|| ApiError::NotFound(format!("organism {name:?} is not served here")))
    }

    /// Every served organism (those with a dataset), in no particular order.
    pub fn organisms(&self) -> impl Iterator<Item = &HubOrganism> {
        self.inner.organisms.values()
    }
}
