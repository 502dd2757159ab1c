//! A mirrored collection: a peer's released versions of a hub organism, indexed here with this
//! node's schema of that organism and served read-only under a collection name of its own.
//!
//! The rows are built exactly as the peer built its own (the same [`virion_ingest::hub`]
//! mapping from submitted metadata and processed data), so that the mirror answers what the
//! peer's own open data answers. Accessions stay the peer's. The collection is written as an
//! imported collection (snapshot and unaligned sequences beside it), swapped in whole when
//! built again, and loaded like one at start-up, with its origin in `/sample/info`.

use std::sync::{Arc, RwLock};
use std::time::Instant;

use chrono::NaiveDate;
use rayon::prelude::*;
use virion_index::blobs::BlobWriter;
use virion_index::{IndexBuilder, RowInput};

use crate::collections::{CollectionInfo, Collections, ImportedState, collection_paths, load_imported};

/// One version a mirror serves: the newest of its entry, not revoked, open today.
#[derive(Debug, Clone)]
pub struct MirroredVersion {
    /// The accession at its home node.
    pub accession: String,
    /// The version.
    pub version: i64,
    /// The end of a restriction in force (mirrors serve open data: `None` for every row they
    /// are given today; kept so the row's terms columns are those of the home node).
    pub restricted_until: Option<NaiveDate>,
    /// The submitted metadata as JSON text.
    pub metadata_json: String,
    /// The processed data as JSON text.
    pub processed_json: String,
    /// The submitted (unaligned) sequence.
    pub sequence: Vec<u8>,
}

/// Why a mirror could not be indexed.
#[derive(Debug, thiserror::Error)]
pub enum MirrorBuildError {
    /// This node has no schema for the mirrored organism.
    #[error(
        "mirroring {organism:?} needs its dataset on this node: serve with --dataset {organism}=DIR (the mirror is indexed with it)"
    )]
    NoSchema {
        /// The organism.
        organism: String,
    },
    /// The local name is one of this node's own organisms.
    #[error("{name:?} is an organism this node takes submissions for; mirror it under another name (--as)")]
    NameTaken {
        /// The local name.
        name: String,
    },
    /// Reading the copy, building the index or writing its files failed.
    #[error("mirror {name:?}: {reason}")]
    Failed {
        /// The local name.
        name: String,
        /// Why.
        reason: String,
    },
}

/// One genome's compressed sequence as [`BlobWriter::compress`] makes it.
type Frame = Vec<Option<(Vec<u8>, u32)>>;

/// Rows prepared per batch.
const BATCH: usize = 2_000;

impl Collections {
    /// Builds the mirrored collection `local` of hub organism `organism` from `versions` (each
    /// one to serve), writes its snapshot and sequences into the index directory, and serves it
    /// in place of the previous build. Blocking: run it off the async threads. Returns the rows
    /// served.
    pub fn build_mirror(
        &self,
        local: &str,
        organism: &str,
        origin: &str,
        versions: impl Iterator<Item = Result<MirroredVersion, String>>,
    ) -> Result<u64, MirrorBuildError> {
        if self.is_hub_organism(local) {
            return Err(MirrorBuildError::NameTaken { name: local.to_owned() });
        }
        let source = self
            .source(organism)
            .ok_or_else(|| MirrorBuildError::NoSchema { organism: organism.to_owned() })?;
        let dir = self.index_dir().ok_or_else(|| MirrorBuildError::Failed {
            name: local.to_owned(),
            reason: "this node has no data directory to keep the mirror in".into(),
        })?;
        let failed = |reason: String| MirrorBuildError::Failed { name: local.to_owned(), reason };
        let started = Instant::now();
        let work = dir.join(format!(".mirror-{local}-{}", std::process::id()));
        std::fs::create_dir_all(&work).map_err(|e| failed(format!("{}: {e}", work.display())))?;
        let result = (|| {
            let aliases = self.aliases.clone();
            let lineage_key: virion_index::LineageKey = Arc::new(move |s: &str| aliases.sort_key(s));
            let sort = virion_index::lineage_then_date(
                Some((source.schema.lineage_column, lineage_key)),
                source.schema.date_column,
            );
            let schema = &source.schema.schema;
            let mut builder = IndexBuilder::new(schema, Some(sort), virion_index::DEFAULT_BUDGET, &work)
                .map_err(|e| e.to_string())?;
            let references: Vec<&[u8]> = schema.segments.iter().map(|(_, r)| r.as_slice()).collect();
            let mut blobs = BlobWriter::create(&work.join("seqs"), &references).map_err(|e| e.to_string())?;
            let mut batch = Vec::with_capacity(BATCH);
            let mut rows = 0u64;
            let mut flush = |batch: &mut Vec<MirroredVersion>| -> Result<(), String> {
                let versions = std::mem::take(batch);
                let built: Vec<Option<(RowInput, Frame)>> = versions
                    .par_iter()
                    .map(|v| {
                        let row = source.schema.row(
                            &source.layout,
                            &v.accession,
                            v.version,
                            &v.metadata_json,
                            &v.processed_json,
                            v.restricted_until,
                        );
                        let row = match row {
                            Ok(row) => row,
                            Err(e) => {
                                tracing::warn!(mirror = %local, version = %format!("{}.{}", v.accession, v.version), error = %e, "left out of the mirror");
                                return Ok(None);
                            }
                        };
                        let frame = blobs.compress(&[Some(v.sequence.as_slice())])?;
                        Ok(Some((row, frame)))
                    })
                    .collect::<std::io::Result<_>>()
                    .map_err(|e| e.to_string())?;
                let (inputs, frames): (Vec<RowInput>, Vec<Frame>) = built.into_iter().flatten().unzip();
                builder.add_batch(inputs).map_err(|e| e.to_string())?;
                for f in frames {
                    blobs.add_compressed(f).map_err(|e| e.to_string())?;
                }
                Ok(())
            };
            for v in versions {
                batch.push(v?);
                rows += 1;
                if batch.len() == BATCH {
                    flush(&mut batch)?;
                }
            }
            flush(&mut batch)?;
            let (index, arrival) = builder.finish_with_order(&|_| {}).map_err(|e| e.to_string())?;
            blobs.finish(&arrival).map_err(|e| e.to_string())?;
            let state = ImportedState {
                info: CollectionInfo {
                    instance_name: local.to_owned(),
                    primary_key: virion_ingest::hub::ACCESSION_VERSION.to_owned(),
                    features: vec!["generalizedAdvancedQuery".into(), "sarsCoV2VariantQuery".into()],
                    lineage_column: Some(source.schema.lineage_column),
                    database_config: None,
                },
                data_version: chrono::Utc::now().timestamp(),
                lineage_definition: None,
                source: origin.to_owned(),
            };
            let (vix, seqs) = collection_paths(&dir, local);
            let tmp = work.join("index.vix");
            let bytes = serde_json::to_vec(&state).map_err(|e| e.to_string())?;
            virion_index::snapshot::write(&tmp, &index, &bytes).map_err(|e| e.to_string())?;
            // A crash between the renames must not pair the old snapshot with the new
            // sequences: the old snapshot goes first (the mirror is indexed again at start-up).
            let _ = std::fs::remove_file(&vix);
            std::fs::rename(work.join("seqs"), &seqs).map_err(|e| e.to_string())?;
            std::fs::rename(work.join("seqs.idx"), seqs.with_extension("seqs.idx"))
                .map_err(|e| e.to_string())?;
            std::fs::rename(&tmp, &vix).map_err(|e| e.to_string())?;
            Ok::<u64, String>(rows)
        })();
        let _ = std::fs::remove_dir_all(&work);
        let rows = result.map_err(failed)?;
        let collection = load_imported(&dir, local, &self.aliases).map_err(failed)?;
        self.install(local, Arc::new(RwLock::new(collection)));
        tracing::info!(mirror = %local, organism = %organism, rows, ms = started.elapsed().as_millis() as u64, "mirror indexed");
        Ok(rows)
    }
}
