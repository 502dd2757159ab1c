//! Every organism's query index, kept current.
//!
//! A hub organism's index is built from the store's released versions with rows ordered by
//! (lineage, date) ([`virion_index::IndexBuilder`]), then follows new releases by appending:
//! a revision's row replaces its entry's earlier row, a revocation hides it. A change of
//! pipeline, terms or day (what `Store::released_state` calls the basis) rebuilds the index
//! aside and swaps it in whole. After a build and after every [`SNAPSHOT_EVERY`] appended rows
//! the index is written to `DATA_DIR/index/ORGANISM.vix`; a restart loads that snapshot and
//! appends only what was released since.
//!
//! A hub organism whose dataset has a reference tree also has a phylogenetic tree: the
//! reference tree with each visible genome attached under its placement, its accession version
//! (the primary key) the tree field ([`crate::hub_tree`]); new releases grow it, the snapshot
//! keeps it.
//!
//! Imported collections (`virion import`) are snapshots of their own, with their unaligned
//! sequences beside them; they are served read-only.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use virion_index::blobs::SequenceBlobs;
use virion_index::{Index, IndexBuilder, LineageIndex, PangoAliases, RoaringBitmap, RowInput, snapshot};
use virion_ingest::hub::HubSchema;
use virion_ingest::{OrganismLayout, SequenceLayout};
use virion_query::QueryIndex;
use virion_schema::OrganismDatasets;
use virion_store::{DataUseTerms, ReleasedVersion, Store};

use crate::hub_tree::{HubTree, Place};

/// Longest a query runs unless the server says otherwise.
pub const DEFAULT_QUERY_TIMEOUT: Duration = Duration::from_secs(60);

/// Rows appended since the last snapshot after which a new one is written.
pub const SNAPSHOT_EVERY: u64 = 10_000;
/// Released versions read and prepared per write-lock hold: queries wait at most one batch.
const APPLY_BATCH: usize = 2_000;

/// How a collection describes itself to LAPIS clients (`/sample/databaseConfig`, FASTA ids).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CollectionInfo {
    /// The collection's name as LAPIS reports it (`instanceName`): the organism's for a hub
    /// organism, the imported instance's own otherwise.
    pub instance_name: String,
    /// The metadata column whose value identifies a genome (`primaryKey`, the FASTA id): the
    /// accession version for a hub organism.
    pub primary_key: String,
    /// The LAPIS features the collection announces in its database config (e.g.
    /// `generalizedAdvancedQuery`, `sarsCoV2VariantQuery`).
    pub features: Vec<String>,
    /// Index of the lineage column (`generateLineageIndex` in the database config), whose
    /// lineage filters can include sublineages: Pango names, or names from the imported
    /// instance's own lineage definition. `None`: no lineage column.
    pub lineage_column: Option<usize>,
    /// An imported instance's database config as written (every key kept); `None` for a hub
    /// organism, whose config is derived from its schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_config: Option<serde_json::Value>,
}

/// Where a collection's unaligned sequences come from.
pub enum Unaligned {
    /// The hub's store, by accession version (the primary key).
    Store {
        /// The hub organism whose submitted sequences are read.
        organism: virion_store::OrganismId,
    },
    /// A blob file beside an imported snapshot.
    Blobs(SequenceBlobs),
    /// No unaligned sequences: an imported snapshot without a sequence file beside it.
    None,
}

impl std::fmt::Debug for Unaligned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unaligned::Store { .. } => f.write_str("Unaligned::Store"),
            Unaligned::Blobs(b) => write!(f, "Unaligned::Blobs({b:?})"),
            Unaligned::None => f.write_str("Unaligned::None"),
        }
    }
}

/// A hub index's bookkeeping: which releases it holds and where each entry's row is.
#[derive(Debug, Clone, Default)]
pub(crate) struct HubState {
    accession_column: usize,
    /// Accession dictionary code → the entry's visible row (`u32::MAX`: none).
    row_of: Vec<u32>,
    pub(crate) last_release: i64,
    pub(crate) built_from: String,
    pub(crate) basis: String,
    appended_since_snapshot: u64,
}

/// One organism's index as queries see it.
#[derive(Debug)]
pub struct Collection {
    /// The index and its lineage index, which every question is asked of.
    pub query: QueryIndex,
    /// Rows the public sees (each entry's newest release; older releases and revoked entries
    /// hidden).
    pub visible: RoaringBitmap,
    /// Unix seconds when this content went live (LAPIS's `dataVersion`).
    pub data_version: i64,
    /// How the collection describes itself to LAPIS clients.
    pub info: CollectionInfo,
    /// Where the collection's unaligned sequences are read from.
    pub unaligned: Unaligned,
    /// Where an imported or mirrored collection came from (`None`: this hub's own releases).
    pub source: Option<String>,
    /// Unaligned sequences of rows appended to a mirror since its blob file was written, by
    /// row (its one segment); emptied by the next build.
    pub appended_unaligned: HashMap<u32, Vec<u8>>,
    pub(crate) hub: Option<HubState>,
}

impl Collection {
    /// The collection's index (metadata columns, aligned sequences, phylogenetic tree).
    pub fn index(&self) -> &Index {
        &self.query.index
    }

    /// Makes the column named `column` (a string column, matched exactly) the collection's
    /// phylogenetic tree field (LAPIS's `isPhyloTreeField`): its values name nodes of `tree`.
    /// Replaces an earlier tree. A snapshot written afterwards keeps it (`virion import` sets
    /// the tree on its index, [`Index::set_phylo_tree`], before writing the snapshot).
    pub fn set_phylo_tree(&mut self, column: &str, tree: virion_phylo::PhyloTree) -> Result<(), String> {
        let index = &mut self.query.index;
        let c = index.column(column).ok_or_else(|| format!("no column {column:?} to hold the tree"))?;
        index.set_phylo_tree(c, Arc::new(tree)).map_err(|e| e.to_string())
    }

    /// The name of the phylogenetic tree field, if the collection has a tree.
    pub fn phylo_tree_field(&self) -> Option<&str> {
        let index = &self.query.index;
        index.phylo().map(|p| index.columns[p.column()].name.as_str())
    }

    /// The visible row of an accession (hub collections).
    pub fn row_of(&self, accession: &str) -> Option<u32> {
        let hub = self.hub.as_ref()?;
        let code = self.query.index.columns[hub.accession_column].code_of(accession)?;
        hub.row_of.get(code as usize).copied().filter(|&r| r != u32::MAX)
    }
}

fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// `count|release_seq|pipeline|terms|day` → (release_seq, the rest).
fn split_state(state: &str) -> (i64, String) {
    let parts: Vec<&str> = state.split('|').collect();
    let seq = parts.get(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (seq, parts.iter().skip(2).copied().collect::<Vec<_>>().join("|"))
}

/// Field names a node's collections take as `dateField` and `phyloTreeField`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vocabulary {
    /// Date columns (any collection).
    pub date_fields: std::collections::BTreeSet<String>,
    /// Columns with a phylogenetic tree (any collection).
    pub tree_fields: std::collections::BTreeSet<String>,
}

/// What building a hub organism's index needs.
pub(crate) struct Source {
    pub(crate) name: String,
    pub(crate) organism: virion_store::OrganismId,
    pub(crate) layout: OrganismLayout,
    pub(crate) schema: HubSchema,
    /// The dataset's reference tree, which released genomes are attached to (none without one).
    pub(crate) tree: Option<HubTree>,
}

impl Source {
    /// Rows of released versions, prepared in parallel; a record that cannot be indexed is
    /// logged and left out rather than stopping the index.
    pub(crate) fn rows(&self, versions: &[ReleasedVersion]) -> Vec<Option<RowInput>> {
        self.placed_rows(versions).into_iter().map(|r| r.map(|(row, _)| row)).collect()
    }

    /// [`Source::rows`] with where each genome attaches to the organism's tree.
    pub(crate) fn placed_rows(&self, versions: &[ReleasedVersion]) -> Vec<Option<(RowInput, Option<Place>)>> {
        versions
            .par_iter()
            .map(|v| {
                let r = &v.record;
                if r.is_revocation {
                    return None;
                }
                let processed = r.processed.as_ref().map_or("{}", |p| p.processed_json.as_str());
                let accession = r.accession_version.accession.as_str();
                // The record's terms are those in force today; a lapsing restriction changes the
                // basis, which rebuilds the index.
                let restricted_until = match r.terms {
                    DataUseTerms::Restricted { until } => Some(until),
                    DataUseTerms::Open => None,
                };
                let version = r.accession_version.version;
                match self.schema.row_and_placement(&self.layout, accession, version, &r.submitted_metadata_json, processed, restricted_until) {
                    Ok((row, placement)) => {
                        let place = self.tree.as_ref().zip(placement).and_then(|(t, p)| t.place(&p));
                        Some((row, place))
                    }
                    Err(e) => {
                        tracing::warn!(version = %r.accession_version, error = %e, "left out of the query index");
                        None
                    }
                }
            })
            .collect()
    }

    fn info(&self, name: &str) -> CollectionInfo {
        CollectionInfo {
            database_config: None,
            instance_name: name.to_owned(),
            primary_key: virion_ingest::hub::ACCESSION_VERSION.to_owned(),
            features: vec!["generalizedAdvancedQuery".into(), "sarsCoV2VariantQuery".into()],
            lineage_column: Some(self.schema.lineage_column),
        }
    }
}

/// How the hub turns stored records into rows; raised whenever rows built from the same
/// records change (2: unknown codons in Virion's own records are X), so that older snapshots
/// are rebuilt rather than served.
const HUB_ROWS_VERSION: u32 = 2;

/// The caller state a hub snapshot carries.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SnapshotState {
    kind: String,
    /// [`HUB_ROWS_VERSION`] of the Virion that wrote it (absent: 1).
    #[serde(default = "first_rows_version")]
    rows_version: u32,
    info: CollectionInfo,
    data_version: i64,
    built_from: String,
    basis: String,
    last_release: i64,
    /// Base64 of the visible rows' roaring bitmap.
    visible: String,
}

fn first_rows_version() -> u32 {
    1
}

/// The snapshot state of an imported collection (written by `virion import`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportedState {
    /// How the collection describes itself, from the instance's database config.
    pub info: CollectionInfo,
    /// Unix seconds of the import, the collection's LAPIS `dataVersion` until it is imported
    /// again.
    pub data_version: i64,
    /// The collection's own lineage definition (SILO's), if its lineages are not Pango names
    /// resolved through the alias key.
    pub lineage_definition: Option<Vec<virion_index::LineageDef>>,
    /// What it was imported from (file and layout), for `/sample/info`.
    pub source: String,
}

fn encode_bitmap(b: &RoaringBitmap) -> String {
    use base64::Engine;
    let mut bytes = Vec::with_capacity(b.serialized_size());
    b.serialize_into(&mut bytes).expect("writing to memory");
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn decode_bitmap(text: &str) -> Option<RoaringBitmap> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD.decode(text).ok()?;
    RoaringBitmap::deserialize_from(bytes.as_slice()).ok()
}

/// Every organism's current index.
#[derive(Clone)]
pub struct Collections {
    current: Arc<RwLock<HashMap<String, Arc<RwLock<Collection>>>>>,
    pub(crate) sources: Arc<HashMap<String, Source>>,
    pub(crate) aliases: Arc<PangoAliases>,
    dir: Option<PathBuf>,
    /// Serialises refreshes (the timer and a test may both call `refresh`).
    refreshing: Arc<tokio::sync::Mutex<()>>,
    pub(crate) default_organism: Option<String>,
    /// Queries running at once (each on a blocking thread), in a cheap and a heavy class: heavy
    /// queries cannot take every thread, and cheap ones keep flowing.
    slots: crate::QuerySlots,
    timeout: Duration,
    overlays: Arc<crate::members::OverlayCache>,
    /// Hub organisms asked for, indexed or not (one whose dataset failed stays unavailable).
    hub_names: Arc<Vec<String>>,
}

impl std::fmt::Debug for Collections {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Collections").field("dir", &self.dir).finish_non_exhaustive()
    }
}

/// The LAPIS directory of a data directory.
pub fn index_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("index")
}

/// An imported collection's snapshot and blob file.
pub fn collection_paths(dir: &Path, organism: &str) -> (PathBuf, PathBuf) {
    (dir.join(format!("{organism}.vix")), dir.join(format!("{organism}.seqs")))
}

impl Collections {
    /// Prepares the hub organisms' layouts (loading each dataset) and loads imported
    /// collections and snapshots found in `data_dir/index`; builds nothing yet.
    pub fn prepare(
        organisms: &[(String, virion_store::OrganismId, OrganismDatasets, virion_schema::OrganismConfig)],
        aliases: PangoAliases,
        data_dir: Option<&Path>,
        default_organism: Option<String>,
    ) -> Collections {
        let mut sources = HashMap::new();
        for (name, id, datasets, config) in organisms {
            let loaded: Result<Vec<(&str, virion_analyze::Dataset)>, _> = datasets
                .segments
                .iter()
                .map(|(segment, dir)| virion_analyze::Dataset::load(dir).map(|ds| (segment.as_str(), ds)))
                .collect();
            match loaded {
                Ok(loaded) => {
                    let (layout, tree) = if datasets.segmented {
                        // The hub's tree is one dataset's tree: a segmented organism has none.
                        (OrganismLayout::segmented(loaded.iter().map(|(s, ds)| (*s, ds))), None)
                    } else {
                        let (_, ds) = &loaded[0];
                        (
                            OrganismLayout::single(SequenceLayout::from_dataset(ds)),
                            ds.tree.as_ref().map(HubTree::new),
                        )
                    };
                    let schema = HubSchema::new(config, &layout);
                    sources.insert(
                        name.clone(),
                        Source { name: name.clone(), organism: *id, layout, schema, tree },
                    );
                }
                Err(e) => tracing::warn!(organism = %name, error = %e, "no query index: dataset unusable"),
            }
        }
        let dir = data_dir.map(index_dir);
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let me = Collections {
            current: Arc::default(),
            sources: Arc::new(sources),
            aliases: Arc::new(aliases),
            dir: dir.clone(),
            refreshing: Arc::default(),
            default_organism: None,
            slots: crate::QuerySlots::new(2 * cores),
            timeout: DEFAULT_QUERY_TIMEOUT,
            hub_names: Arc::new(organisms.iter().map(|o| o.0.clone()).collect()),
            overlays: Arc::default(),
        };
        if let Some(dir) = &dir {
            me.load_imported(dir);
        }
        let mut names: Vec<String> = me.sources.keys().cloned().collect();
        names.extend(me.current.read().expect("index lock").keys().cloned());
        names.sort();
        names.dedup();
        let default = default_organism.or_else(|| {
            if names.len() == 1 {
                names.first().cloned()
            } else {
                names.iter().find(|n| *n == "sars-cov-2").cloned()
            }
        });
        Collections { default_organism: default, ..me }
    }

    /// Serves every imported collection in `dir` (snapshots whose state says `imported`).
    fn load_imported(&self, dir: &Path) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "vix") {
                continue;
            }
            let Some(name) = path.file_stem().and_then(|s| s.to_str()).map(str::to_owned) else { continue };
            if self.sources.contains_key(&name) {
                continue;
            }
            let started = Instant::now();
            match load_imported(dir, &name, &self.aliases) {
                Ok(ix) => {
                    tracing::info!(organism = %name, rows = ix.visible.len(), ms = started.elapsed().as_millis() as u64, "imported collection loaded");
                    self.current.write().expect("index lock").insert(name, Arc::new(RwLock::new(ix)));
                }
                Err(e) => tracing::warn!(organism = %name, error = %e, "imported collection not served"),
            }
        }
    }

    /// The same indexes, with another per-query time limit.
    pub fn with_query_timeout(mut self, timeout: Duration) -> Collections {
        self.timeout = timeout;
        self
    }

    /// The query slots (their use is reported by `/metrics`).
    pub fn query_slots(&self) -> &crate::QuerySlots {
        &self.slots
    }

    pub(crate) fn query_timeout(&self) -> Duration {
        self.timeout
    }

    pub(crate) fn overlays(&self) -> &crate::members::OverlayCache {
        &self.overlays
    }

    /// Whether `organism` is a hub organism of this node (its index may still be building).
    pub fn is_hub_organism(&self, organism: &str) -> bool {
        self.sources.contains_key(organism) || self.hub_names.iter().any(|n| n == organism)
    }

    /// The current collection of that name.
    pub fn get(&self, organism: &str) -> Option<Arc<RwLock<Collection>>> {
        self.current.read().expect("index lock").get(organism).cloned()
    }

    /// The organism `/sample/…` (without an organism) answers for.
    pub fn default_organism(&self) -> Option<&str> {
        self.default_organism.as_deref()
    }

    /// The field names this node's collections answer for `dateField` and `phyloTreeField`,
    /// from the hub organisms' schemas and the imported collections loaded at start (so the
    /// answer does not wait for an index to be built). The OpenAPI document lists them.
    pub fn vocabulary(&self) -> Vocabulary {
        let mut vocabulary = Vocabulary::default();
        for source in self.sources.values() {
            for (name, kind) in &source.schema.schema.metadata {
                if *kind == virion_index::ColumnType::Date {
                    vocabulary.date_fields.insert(name.clone());
                }
            }
            if source.tree.is_some() {
                vocabulary.tree_fields.insert(virion_ingest::hub::ACCESSION_VERSION.to_owned());
            }
        }
        for (name, collection) in self.current.read().expect("index lock").iter() {
            if self.sources.contains_key(name) {
                continue;
            }
            let ix = collection.read().expect("index lock");
            let index = &ix.query.index;
            for column in &index.columns {
                if column.kind == virion_index::ColumnType::Date {
                    vocabulary.date_fields.insert(column.name.clone());
                }
            }
            if let Some(tree) = index.phylo() {
                vocabulary.tree_fields.insert(index.columns[tree.column()].name.clone());
            }
        }
        vocabulary
    }

    /// Names of every served collection.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.current.read().expect("index lock").keys().cloned().collect();
        names.sort();
        names
    }

    fn snapshot_path(&self, organism: &str) -> Option<PathBuf> {
        self.dir.as_ref().map(|d| collection_paths(d, organism).0)
    }

    /// Brings every hub organism's index up to date with the store: load a snapshot or build
    /// on first use, append new releases, rebuild when the basis changed.
    pub async fn refresh(&self, store: &Store) {
        let _one_at_a_time = self.refreshing.lock().await;
        for name in self.sources.keys() {
            if let Err(e) = self.refresh_one(store, name).await {
                tracing::error!(organism = %name, error = %e, "updating the query index failed");
            }
        }
    }

    async fn refresh_one(&self, store: &Store, name: &str) -> Result<(), String> {
        let source = &self.sources[name];
        let state = store.released_state(source.organism).await.map_err(|e| e.to_string())?;
        let (_, basis) = split_state(&state);
        let started = Instant::now();
        if self.get(name).is_none()
            && let Some(loaded) = self.load_snapshot(name, &basis).await
        {
            tracing::info!(organism = %name, rows = loaded.visible.len(), ms = started.elapsed().as_millis() as u64, "query index loaded from its snapshot");
            self.current.write().expect("index lock").insert(name.to_owned(), Arc::new(RwLock::new(loaded)));
        }
        if let Some(current) = self.get(name) {
            let (built_from, same_basis) = {
                let ix = current.read().expect("index lock");
                let hub = ix.hub.as_ref().expect("hub organisms have hub state");
                (hub.built_from.clone(), hub.basis == basis)
            };
            if built_from == state {
                return Ok(());
            }
            if same_basis {
                let n = self.catch_up(&current, store, source).await?;
                let snapshot_due = {
                    let mut ix = current.write().expect("index lock");
                    let hub = ix.hub.as_mut().expect("hub state");
                    hub.built_from = state.clone();
                    hub.appended_since_snapshot += n as u64;
                    hub.appended_since_snapshot >= SNAPSHOT_EVERY
                };
                let rows = current.read().expect("index lock").visible.len();
                tracing::info!(organism = %name, appended = n, rows, ms = started.elapsed().as_millis() as u64, "query index updated");
                if snapshot_due {
                    self.save_snapshot(name, &current).await;
                }
                return Ok(());
            }
        }
        // First build, or the pipeline, terms or day changed: build aside, swap whole.
        let fresh = self.build(store, name, source, &state).await?;
        let rows = fresh.visible.len();
        let fresh = Arc::new(RwLock::new(fresh));
        self.current.write().expect("index lock").insert(name.to_owned(), fresh.clone());
        tracing::info!(organism = %name, rows, ms = started.elapsed().as_millis() as u64, "query index built");
        self.save_snapshot(name, &fresh).await;
        Ok(())
    }

    /// Builds a hub organism's index from every released version, rows ordered by (lineage,
    /// date), then decides visibility: each entry's newest release, revoked entries hidden.
    async fn build(
        &self,
        store: &Store,
        name: &str,
        source: &Source,
        state: &str,
    ) -> Result<Collection, String> {
        let spill = self.dir.clone().unwrap_or_else(std::env::temp_dir);
        std::fs::create_dir_all(&spill).map_err(|e| format!("{}: {e}", spill.display()))?;
        let aliases = self.aliases.clone();
        let lineage_key: virion_index::LineageKey = Arc::new(move |s: &str| aliases.sort_key(s));
        let sort = virion_index::lineage_then_date(
            Some((source.schema.lineage_column, lineage_key)),
            source.schema.date_column,
        );
        let builder =
            IndexBuilder::new(&source.schema.schema, Some(sort), virion_index::DEFAULT_BUDGET, &spill)
                .map_err(|e| e.to_string())?;
        let builder = Arc::new(std::sync::Mutex::new(builder));
        let mut revoked: Vec<(String, i64)> = Vec::new();
        let mut last_release = 0;
        let mut stream = std::pin::pin!(store.released_since(source.organism, 0));
        let mut batch: Vec<ReleasedVersion> = Vec::with_capacity(APPLY_BATCH);
        let mut places: Vec<Option<Place>> = Vec::new();
        loop {
            let next = stream.next().await;
            let done = next.is_none();
            if let Some(item) = next {
                let v = item.map_err(|e| e.to_string())?;
                last_release = last_release.max(v.record.release_seq.unwrap_or(0));
                if v.record.is_revocation {
                    revoked.push((
                        v.record.accession_version.accession.as_str().to_owned(),
                        v.record.accession_version.version,
                    ));
                } else {
                    batch.push(v);
                }
            }
            if batch.len() == APPLY_BATCH || (done && !batch.is_empty()) {
                let versions = std::mem::take(&mut batch);
                let builder = builder.clone();
                let sources = self.sources.clone();
                let name = name.to_owned();
                let batch_places = tokio::task::spawn_blocking(move || {
                    let (rows, places): (Vec<RowInput>, Vec<Option<Place>>) =
                        sources[&name].placed_rows(&versions).into_iter().flatten().unzip();
                    builder.lock().expect("builder lock").add_batch(rows).map_err(|e| e.to_string())?;
                    Ok::<_, String>(places)
                })
                .await
                .map_err(|e| e.to_string())??;
                // In the order the rows were added (the builder's arrival order).
                places.extend(batch_places);
            }
            if done {
                break;
            }
        }
        let builder = Arc::try_unwrap(builder)
            .map_err(|_| "builder still shared".to_owned())?
            .into_inner()
            .expect("builder lock");
        let (mut index, arrival) = tokio::task::spawn_blocking(move || builder.finish_with_order(&|_| {}))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
        let lineage = source.schema.lineage_column;
        let lineage_index = LineageIndex::build(&self.aliases, &index.columns[lineage].distinct());
        let accession_column = index.column(virion_ingest::hub::ACCESSION).ok_or("no accession column")?;
        let version_column = index.column(virion_ingest::hub::VERSION).ok_or("no version column")?;
        // Each entry's newest released version, unless revoked later.
        let accessions = &index.columns[accession_column];
        let versions = &index.columns[version_column];
        let dict_len = accessions.dictionary().map_or(0, |d| d.len());
        let mut best: Vec<(u32, i64)> = vec![(u32::MAX, i64::MIN); dict_len];
        for row in 0..index.rows() {
            let (Some(code), virion_index::Value::Int(v)) = (accessions.code(row), versions.get(row)) else {
                continue;
            };
            if v > best[code as usize].1 {
                best[code as usize] = (row, v);
            }
        }
        for (acc, v) in &revoked {
            if let Some(code) = accessions.code_of(acc)
                && best[code as usize].1 < *v
            {
                best[code as usize] = (u32::MAX, *v);
            }
        }
        let row_of: Vec<u32> = best.iter().map(|b| b.0).collect();
        let visible: RoaringBitmap = {
            let mut rows: Vec<u32> = row_of.iter().copied().filter(|&r| r != u32::MAX).collect();
            rows.sort_unstable();
            RoaringBitmap::from_sorted_iter(rows).expect("sorted")
        };
        if source.tree.is_some() {
            // The visible genomes attached to the reference tree, in row order.
            let leaves: Vec<(u32, Place)> = visible
                .iter()
                .filter_map(|row| Some((row, places[arrival[row as usize] as usize]?)))
                .collect();
            drop(places);
            let (sources, name) = (self.sources.clone(), name.to_owned());
            index = tokio::task::spawn_blocking(move || {
                let started = Instant::now();
                if let Some(placed) = grow_tree(&sources[&name], &index, &leaves)? {
                    index.set_phylo_column(placed);
                }
                tracing::info!(organism = %name, leaves = leaves.len(), ms = started.elapsed().as_millis() as u64, "phylogenetic tree built");
                Ok::<_, String>(index)
            })
            .await
            .map_err(|e| e.to_string())??;
        }
        Ok(Collection {
            query: QueryIndex { index, lineage: Some((lineage, lineage_index)) },
            visible,
            data_version: now_secs(),
            info: source.info(name),
            unaligned: Unaligned::Store { organism: source.organism },
            source: None,
            appended_unaligned: HashMap::new(),
            hub: Some(HubState {
                accession_column,
                row_of,
                last_release,
                built_from: state.to_owned(),
                basis: split_state(state).1,
                appended_since_snapshot: 0,
            }),
        })
    }

    /// Appends to `target` what was released after its last release, a batch at a time (read
    /// and prepared without the lock; each batch appended under it); then attaches the new
    /// genomes to the phylogenetic tree (placed while queries go on, swapped in after).
    async fn catch_up(
        &self,
        target: &Arc<RwLock<Collection>>,
        store: &Store,
        source: &Source,
    ) -> Result<usize, String> {
        let after = target.read().expect("index lock").hub.as_ref().map_or(0, |h| h.last_release);
        let mut stream = std::pin::pin!(store.released_since(source.organism, after));
        let mut batch = Vec::with_capacity(APPLY_BATCH);
        let mut applied = 0;
        let mut leaves: Vec<(u32, Place)> = Vec::new();
        loop {
            let next = stream.next().await;
            let done = next.is_none();
            if let Some(item) = next {
                batch.push(item.map_err(|e| e.to_string())?);
            }
            if batch.len() == APPLY_BATCH || (done && !batch.is_empty()) {
                let versions = std::mem::take(&mut batch);
                let (sources, name) = (self.sources.clone(), source.name.clone());
                let (versions, rows) = tokio::task::spawn_blocking(move || {
                    let rows = sources[&name].placed_rows(&versions);
                    (versions, rows)
                })
                .await
                .map_err(|e| e.to_string())?;
                let mut ix = target.write().expect("index lock");
                let prepared: Vec<_> = rows
                    .into_iter()
                    .map(|r| {
                        r.and_then(|(r, place)| {
                            ix.query
                                .index
                                .prepare(r)
                                .map_err(|e| tracing::warn!(error = %e, "left out of the query index"))
                                .ok()
                                .map(|p| (p, place))
                        })
                    })
                    .collect();
                leaves.extend(apply(&mut ix, &versions, prepared, &self.aliases));
                applied += versions.len();
            }
            if done {
                break;
            }
        }
        if !leaves.is_empty() && source.tree.is_some() {
            let (slot, sources, name) = (target.clone(), self.sources.clone(), source.name.clone());
            tokio::task::spawn_blocking(move || {
                let started = Instant::now();
                let placed = {
                    let ix = slot.read().expect("index lock");
                    leaves.retain(|(row, _)| ix.visible.contains(*row));
                    grow_tree(&sources[&name], &ix.query.index, &leaves)?
                };
                if let Some(placed) = placed {
                    slot.write().expect("index lock").query.index.set_phylo_column(placed);
                }
                tracing::info!(organism = %name, attached = leaves.len(), ms = started.elapsed().as_millis() as u64, "phylogenetic tree grown");
                Ok::<_, String>(())
            })
            .await
            .map_err(|e| e.to_string())??;
        }
        Ok(applied)
    }

    /// Loads a hub organism's snapshot if it holds the current basis.
    async fn load_snapshot(&self, name: &str, basis: &str) -> Option<Collection> {
        let path = self.snapshot_path(name)?;
        if !path.exists() {
            return None;
        }
        let source_organism = self.sources[name].organism;
        let schema = self.sources[name].schema.schema.clone();
        let wants_tree = self.sources[name].tree.is_some();
        let aliases = self.aliases.clone();
        let basis = basis.to_owned();
        let name = name.to_owned();
        tokio::task::spawn_blocking(move || {
            let (index, state) = match snapshot::read(&path) {
                Ok(x) => x,
                Err(e) => {
                    tracing::warn!(organism = %name, error = %e, "snapshot unusable; rebuilding");
                    return None;
                }
            };
            let state: SnapshotState = serde_json::from_slice(&state).ok()?;
            if state.kind != "hub" || state.basis != basis {
                tracing::info!(organism = %name, "snapshot is of another pipeline, terms or day; rebuilding");
                return None;
            }
            if state.rows_version != HUB_ROWS_VERSION {
                tracing::info!(organism = %name, "snapshot rows were built by an older Virion; rebuilding");
                return None;
            }
            // Written by an older Virion whose rows had other columns.
            if index.schema() != schema {
                tracing::info!(organism = %name, "snapshot has another column layout; rebuilding");
                return None;
            }
            // Written before hub organisms had a phylogenetic tree.
            if wants_tree && index.phylo().is_none() {
                tracing::info!(organism = %name, "snapshot has no phylogenetic tree; rebuilding");
                return None;
            }
            let visible = decode_bitmap(&state.visible)?;
            let accession_column = index.column(virion_ingest::hub::ACCESSION)?;
            let lineage_column = state.info.lineage_column?;
            let accessions = &index.columns[accession_column];
            let mut row_of = vec![u32::MAX; accessions.dictionary().map_or(0, |d| d.len())];
            for row in &visible {
                if let Some(code) = accessions.code(row) {
                    row_of[code as usize] = row;
                }
            }
            let lineage_index = LineageIndex::build(&aliases, &index.columns[lineage_column].distinct());
            Some(Collection {
                query: QueryIndex { index, lineage: Some((lineage_column, lineage_index)) },
                visible,
                data_version: state.data_version,
                info: state.info,
                unaligned: Unaligned::Store { organism: source_organism },
                source: None,
                appended_unaligned: HashMap::new(),
                hub: Some(HubState {
                    accession_column,
                    row_of,
                    last_release: state.last_release,
                    built_from: state.built_from,
                    basis: state.basis,
                    appended_since_snapshot: 0,
                }),
            })
        })
        .await
        .ok()
        .flatten()
    }

    /// Writes a hub organism's snapshot (under a read lock: queries go on, appends wait).
    async fn save_snapshot(&self, name: &str, slot: &Arc<RwLock<Collection>>) {
        let Some(path) = self.snapshot_path(name) else { return };
        let slot = slot.clone();
        let name = name.to_owned();
        let result = tokio::task::spawn_blocking(move || {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
            }
            let started = Instant::now();
            if let Some(hub) = slot.write().expect("index lock").hub.as_mut() {
                hub.appended_since_snapshot = 0;
            }
            let ix = slot.read().expect("index lock");
            let hub = ix.hub.as_ref().ok_or("not a hub index")?;
            let state = SnapshotState {
                kind: "hub".into(),
                rows_version: HUB_ROWS_VERSION,
                info: ix.info.clone(),
                data_version: ix.data_version,
                built_from: hub.built_from.clone(),
                basis: hub.basis.clone(),
                last_release: hub.last_release,
                visible: encode_bitmap(&ix.visible),
            };
            let bytes = serde_json::to_vec(&state).map_err(|e| e.to_string())?;
            snapshot::write(&path, &ix.query.index, &bytes).map_err(|e| e.to_string())?;
            Ok::<_, String>((started.elapsed(), ix.query.index.rows()))
        })
        .await;
        match result {
            Ok(Ok((took, rows))) => {
                tracing::info!(organism = %name, rows, ms = took.as_millis() as u64, "query index snapshot written")
            }
            Ok(Err(e)) => tracing::warn!(organism = %name, error = %e, "query index snapshot not written"),
            Err(e) => tracing::warn!(organism = %name, error = %e, "query index snapshot task failed"),
        }
    }

    /// Refreshes every `every` until the process ends.
    pub fn spawn_refresher(&self, store: Store, every: Duration) {
        let me = self.clone();
        tokio::spawn(async move {
            loop {
                me.refresh(&store).await;
                tokio::time::sleep(every).await;
            }
        });
    }

    /// The directory holding the snapshots (none for a node without a data directory).
    pub(crate) fn index_dir(&self) -> Option<PathBuf> {
        self.dir.clone()
    }

    /// Serves `collection` as `name`, in place of the collection of that name.
    pub(crate) fn install(&self, name: &str, collection: Arc<RwLock<Collection>>) {
        self.current.write().expect("index lock").insert(name.to_owned(), collection);
    }

    /// The rows and the schema of an organism's hub source (for member overlays).
    pub(crate) fn source(&self, organism: &str) -> Option<&Source> {
        self.sources.get(organism)
    }
}

/// Applies released versions (in release order) with their prepared rows: a revision
/// replaces its entry's earlier row; a revocation hides the entry. Returns the new rows with
/// where each attaches to the phylogenetic tree.
fn apply(
    ix: &mut Collection,
    versions: &[ReleasedVersion],
    rows: Vec<Option<(virion_index::PreparedRow, Option<Place>)>>,
    aliases: &PangoAliases,
) -> Vec<(u32, Place)> {
    let lineage_column = ix.info.lineage_column;
    let lineages_before =
        lineage_column.and_then(|c| ix.query.index.columns[c].dictionary().map(|d| d.len())).unwrap_or(0);
    // Hide superseded rows first, then append the new ones in one go.
    let mut new_rows = Vec::new();
    let mut owners: Vec<(String, Option<Place>)> = Vec::new();
    for (v, row) in versions.iter().zip(rows) {
        let accession = v.record.accession_version.accession.as_str();
        if let Some(hub) = ix.hub.as_mut() {
            hub.last_release = hub.last_release.max(v.record.release_seq.unwrap_or(0));
        }
        if let Some(old) = ix.row_of(accession) {
            ix.visible.remove(old);
            set_row(ix, accession, u32::MAX);
        }
        if let Some((row, place)) = row {
            new_rows.push(row);
            owners.push((accession.to_owned(), place));
        }
    }
    let mut placed = Vec::new();
    if !new_rows.is_empty() {
        match ix.query.index.append(new_rows) {
            Ok(first) => {
                for (i, (accession, place)) in owners.iter().enumerate() {
                    let row = first + i as u32;
                    ix.visible.insert(row);
                    set_row(ix, accession, row);
                    placed.extend(place.map(|p| (row, p)));
                }
            }
            Err(e) => tracing::error!(error = %e, "appending to the query index failed"),
        }
    }
    if let Some(c) = lineage_column
        && ix.query.index.columns[c].dictionary().map_or(0, |d| d.len()) != lineages_before
    {
        let lineage = LineageIndex::build(aliases, &ix.query.index.columns[c].distinct());
        ix.query.lineage = Some((c, lineage));
    }
    ix.data_version = now_secs();
    placed
}

/// The organism's tree grown by the genomes `leaves` (row, place), named by their accession
/// version: the index's current tree, or the reference tree for the first; and every row of
/// the index placed in it (to be swapped in with [`Index::set_phylo_column`]). `None` for an
/// organism without a reference tree.
fn grow_tree(
    source: &Source,
    index: &Index,
    leaves: &[(u32, Place)],
) -> Result<Option<virion_index::PhyloColumn>, String> {
    let Some(hub) = &source.tree else { return Ok(None) };
    let column = index.column(virion_ingest::hub::ACCESSION_VERSION).ok_or("no accession version column")?;
    let current = index.phylo().map_or_else(|| hub.reference().clone(), |p| p.tree().clone());
    let names = &index.columns[column];
    let grown = hub.attach(
        &current,
        leaves.iter().filter_map(|&(row, place)| Some((names.str(row)?, place))),
        leaves.len(),
    );
    // Rows already in the current tree keep their nodes, renumbered.
    index
        .place_in_grown_tree(column, Arc::new(grown.tree), &grown.new_of_old)
        .map(Some)
        .map_err(|e| e.to_string())
}

fn set_row(ix: &mut Collection, accession: &str, row: u32) {
    let Some(hub) = ix.hub.as_ref() else { return };
    let Some(code) = ix.query.index.columns[hub.accession_column].code_of(accession) else { return };
    let hub = ix.hub.as_mut().expect("checked");
    if hub.row_of.len() <= code as usize {
        hub.row_of.resize(code as usize + 1, u32::MAX);
    }
    hub.row_of[code as usize] = row;
}

/// Loads an imported collection: its snapshot and its unaligned sequences.
pub fn load_imported(dir: &Path, organism: &str, aliases: &PangoAliases) -> Result<Collection, String> {
    let (vix, seqs) = collection_paths(dir, organism);
    let (index, state) = snapshot::read(&vix).map_err(|e| e.to_string())?;
    let state: ImportedState = serde_json::from_slice(&state)
        .map_err(|e| format!("{}: not an imported collection ({e})", vix.display()))?;
    let lineage = match (state.info.lineage_column, state.lineage_definition.clone()) {
        (Some(c), Some(defs)) => {
            let dag = virion_index::LineageDag::new(defs)
                .map_err(|e| format!("{}: lineage definition: {e}", vix.display()))?;
            Some((c, LineageIndex::from_dag(dag, &index.columns[c].distinct())))
        }
        (Some(c), None) => Some((c, LineageIndex::build(aliases, &index.columns[c].distinct()))),
        _ => None,
    };
    let references: Vec<&[u8]> = index.segments.iter().map(|s| s.reference()).collect();
    let unaligned = if seqs.exists() {
        Unaligned::Blobs(SequenceBlobs::open(&seqs, &references).map_err(|e| e.to_string())?)
    } else {
        Unaligned::None
    };
    let visible = index.all();
    Ok(Collection {
        query: QueryIndex { index, lineage },
        visible,
        data_version: state.data_version,
        info: state.info,
        unaligned,
        source: Some(state.source),
        appended_unaligned: HashMap::new(),
        hub: None,
    })
}
