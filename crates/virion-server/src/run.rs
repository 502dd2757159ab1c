//! Running the hub as a process: open the store, serve the router, run the worker pool, and
//! stop gracefully (in-flight requests and claimed jobs finish) on a shutdown signal.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use virion_schema::OrganismRegistry;
use virion_store::Store;

use crate::state::{AppState, SetupError, resolve_datasets};
use virion_worker::{PoolError, spawn_pool};

/// Where the hub keeps its state and finds its organisms (the flags of `virion serve` and
/// `virion worker`).
#[derive(Debug, Clone)]
pub struct HubOptions {
    /// The data directory: the SQLite database (unless `database_url` is given), uploads and
    /// query-index snapshots.
    pub data_dir: PathBuf,
    /// `None`: SQLite in the data directory.
    pub database_url: Option<String>,
    /// Extra organism TOML files (added to the built-in ones).
    pub organisms_dir: Option<PathBuf>,
    /// Explicit organism → Nextclade dataset directory pairs.
    pub datasets: Vec<(String, PathBuf)>,
    /// A directory holding datasets named as the organism configs name them.
    pub dataset_dir: Option<PathBuf>,
    /// How long a worker holds a claimed job before another may take it over.
    pub job_lease: Duration,
    /// Pango alias table (alias_key.json) for lineage queries with sublineages.
    pub pango_aliases: Option<PathBuf>,
    /// How long federated answers wait for the nodes (`None`: 20 s).
    pub federation_deadline: Option<Duration>,
    /// How often the node's mirrors of peers' released data are synced (`None`: every minute).
    pub mirror_every: Option<Duration>,
    /// What one submission may hold.
    pub upload_limits: crate::UploadLimits,
    /// How many LAPIS questions one client may ask.
    pub client_rate: crate::ClientRate,
    /// Single sign-on with an OpenID Connect provider (`None`: local accounts only).
    pub sso: Option<virion_oidc::SsoConfig>,
    /// Who publishes the node's DCAT-AP catalogue (`--catalog-config`).
    pub catalog: Option<crate::catalog::CatalogSettings>,
}

/// Why `virion serve` or `virion worker` could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Preparing the hub (organisms, references, data directory) failed.
    #[error(transparent)]
    Setup(#[from] SetupError),
    /// Opening or using the store failed.
    #[error(transparent)]
    Store(#[from] virion_store::StoreError),
    /// The extra organism configs could not be read.
    #[error("organism configs in {path}: {source}")]
    Config {
        /// The organisms directory given.
        path: PathBuf,
        /// What is wrong with its configs.
        source: virion_schema::ConfigError,
    },
    /// Reading the Pango alias table, or listening and serving, failed.
    #[error("server: {0}")]
    Io(#[from] std::io::Error),
    /// The processing workers could not be started.
    #[error(transparent)]
    Pool(#[from] PoolError),
    /// Single sign-on is misconfigured.
    #[error(transparent)]
    Sso(#[from] virion_oidc::SsoError),
}

impl HubOptions {
    /// Opens the store: the database at `database_url`, else SQLite in the data directory.
    pub async fn open_store(&self) -> Result<Store, RunError> {
        Ok(match &self.database_url {
            Some(url) => Store::connect(url).await?,
            None => Store::open_data_dir(&self.data_dir).await?,
        })
    }

    /// The name prefix of this process's workers as lease holders: its kind, host and data
    /// directory. A process restarted with the same kind, host and directory is the same
    /// node's, and reclaims the jobs its predecessor held. (Two `virion worker` processes on
    /// one host over one data directory share it: each start would also end the other's leases,
    /// costing repeated work but never a wrong result, since a lost lease refuses the store.)
    pub fn worker_holder(&self, kind: &str) -> String {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .or_else(|| std::env::var("HOSTNAME").ok())
            .map(|h| h.trim().to_owned())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "localhost".to_owned());
        let dir = std::path::absolute(&self.data_dir).unwrap_or_else(|_| self.data_dir.clone());
        format!("{kind}@{host}:{}", dir.display())
    }

    /// The organism configs: the built-in ones, plus those in `organisms_dir` if given.
    pub fn registry(&self) -> Result<OrganismRegistry, RunError> {
        match &self.organisms_dir {
            Some(dir) => OrganismRegistry::builtin_with_dir(dir)
                .map_err(|source| RunError::Config { path: dir.clone(), source }),
            None => Ok(OrganismRegistry::builtin()),
        }
    }

    /// Each organism's Nextclade dataset directory, from `datasets` and `dataset_dir`
    /// (see [`resolve_datasets`]).
    pub fn dataset_map(
        &self,
        registry: &OrganismRegistry,
    ) -> HashMap<String, virion_schema::OrganismDatasets> {
        resolve_datasets(registry, &self.datasets, self.dataset_dir.as_deref())
    }
}

/// Resolves when the process gets Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

/// How often the query indexes check the released data for changes.
const LAPIS_REFRESH: Duration = Duration::from_secs(5);
/// How often mirrors ask their peers for new releases unless told otherwise.
const MIRROR_EVERY: Duration = Duration::from_secs(60);

/// Serves the API on `listener` with `workers` processing tasks until `shutdown` resolves;
/// `on_ready` is called with the address once the hub is set up and accepting.
pub async fn serve(
    options: &HubOptions,
    listener: TcpListener,
    workers: usize,
    on_ready: impl FnOnce(std::net::SocketAddr),
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), RunError> {
    let store = options.open_store().await?;
    let registry = options.registry()?;
    let datasets = options.dataset_map(&registry);
    let aliases = match &options.pango_aliases {
        Some(path) => {
            let text = std::fs::read_to_string(path)?;
            virion_index::PangoAliases::from_json(&text)
                .map_err(|e| std::io::Error::other(format!("{}: {e}", path.display())))?
        }
        None => virion_index::PangoAliases::from_json("{}").expect("an empty alias table"),
    };
    let query = crate::QueryOptions {
        aliases,
        federation_deadline: options.federation_deadline,
        upload_limits: options.upload_limits,
        client_rate: options.client_rate,
        sso: match &options.sso {
            Some(config) => Some(std::sync::Arc::new(virion_oidc::Sso::new(config.clone())?)),
            None => None,
        },
        catalog: options.catalog.clone().map(std::sync::Arc::new),
        ..crate::QueryOptions::default()
    };
    let state = AppState::with_options(store.clone(), &registry, &options.data_dir, &datasets, query).await?;
    // The query indexes follow the released data: rebuilt when it changes.
    state.collections().spawn_refresher(store.clone(), LAPIS_REFRESH);
    crate::mirror::spawn(state.clone(), options.mirror_every.unwrap_or(MIRROR_EVERY));
    let organisms: Vec<&str> = state.organisms().map(|o| o.config.name.as_str()).collect();
    tracing::info!(address = %listener.local_addr()?, organisms = ?organisms, workers, "virion hub listening");
    let (stop, stopped) = watch::channel(false);
    let holder = options.worker_holder("serve");
    let pool = spawn_pool(&store, &datasets, workers, options.job_lease, &holder, &stopped).await?;
    on_ready(listener.local_addr()?);
    // Each connection's peer address is kept for per-address login back-off.
    let app = crate::app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown.await;
            tracing::info!("shutting down: finishing requests and claimed jobs");
        })
        .await;
    let _ = stop.send(true);
    for w in pool {
        let _ = w.await;
    }
    store.close().await;
    Ok(result?)
}

/// `virion worker`: the processing loop alone, against the same database.
pub async fn work(
    options: &HubOptions,
    workers: usize,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), RunError> {
    let store = options.open_store().await?;
    let registry = options.registry()?;
    let datasets = options.dataset_map(&registry);
    // Registering here too lets a worker start before the first server.
    crate::state::register_organisms(&store, &registry, &datasets).await?;
    let (stop, stopped) = watch::channel(false);
    let holder = options.worker_holder("worker");
    let pool = spawn_pool(&store, &datasets, workers, options.job_lease, &holder, &stopped).await?;
    tracing::info!(workers, "virion workers running");
    shutdown.await;
    let _ = stop.send(true);
    let mut done = 0;
    for w in pool {
        done += w.await.unwrap_or(0);
    }
    tracing::info!(done, "virion workers stopped");
    store.close().await;
    Ok(())
}

/// The data directory's default location.
pub fn default_data_dir() -> &'static Path {
    Path::new("virion-data")
}

/// Replaces the default panic printout (a message, and a backtrace when `RUST_BACKTRACE` is
/// set, on stderr for every panic) with one structured error event: in a request's span, it
/// carries the request id, and a hostile client cannot fill the log with backtraces.
pub fn log_panics_as_events() {
    std::panic::set_hook(Box::new(|info| {
        let message = info.payload_as_str().unwrap_or("a panic without a message");
        let place = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
        tracing::error!(panic = %message, at = %place, "a task panicked; its request was answered 500");
    }));
}
