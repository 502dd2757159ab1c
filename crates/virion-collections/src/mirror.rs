//! A mirrored collection: a peer's released versions of a hub organism, indexed here with this
//! node's schema of that organism and served read-only under a collection name of its own.
//!
//! The rows are built exactly as the peer built its own (the same [`virion_ingest::hub`]
//! mapping from submitted metadata and processed data), so that the mirror answers what the
//! peer's own open data answers. Accessions stay the peer's. The collection is written as an
//! imported collection (snapshot and unaligned sequences beside it), swapped in whole when
//! built again, and loaded like one at start-up, with its origin in `/sample/info`.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Instant;

use chrono::NaiveDate;
use rayon::prelude::*;
use virion_index::blobs::BlobWriter;
use virion_index::{IndexBuilder, LineageIndex, RowInput};

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
                        let frame = if source.layout.segmented {
                            // Stored as the hub stores a segmented sample: one blob per segment
                            // column (absent where the sample lacks it).
                            let sample = match virion_core::SegmentedSequence::decode(&v.sequence) {
                                Ok(sample) => sample,
                                Err(e) => {
                                    tracing::warn!(mirror = %local, version = %format!("{}.{}", v.accession, v.version), error = %e, "left out of the mirror: its segments cannot be read");
                                    return Ok(None);
                                }
                            };
                            let per_segment: Vec<Option<&[u8]>> = source
                                .layout
                                .segments
                                .iter()
                                .map(|s| sample.get(&s.segment_name))
                                .collect();
                            blobs.compress(&per_segment)?
                        } else {
                            blobs.compress(&[Some(v.sequence.as_slice())])?
                        };
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

/// Unaligned sequences kept in memory for appended rows past which a mirror is built again
/// instead (a build writes them into its blob file).
pub const MAX_APPENDED_UNALIGNED: usize = 256 << 20;

impl Collections {
    /// Applies to the served mirror `local` what its copy gained since it was built, in release
    /// order: each entry's earlier row is hidden, and its new version, if served (`Some`: the
    /// newest, not a revocation, open today), appended, its unaligned sequence kept in memory
    /// until the next build. Blocking. Returns the rows now served, or `None` when the mirror
    /// is not served or holds [`MAX_APPENDED_UNALIGNED`] bytes of appended sequences already
    /// (build it instead).
    pub fn append_to_mirror(
        &self,
        local: &str,
        organism: &str,
        changes: Vec<(String, Option<MirroredVersion>)>,
    ) -> Result<Option<u64>, MirrorBuildError> {
        let Some(slot) = self.get(local) else { return Ok(None) };
        let source = self
            .source(organism)
            .ok_or_else(|| MirrorBuildError::NoSchema { organism: organism.to_owned() })?;
        let failed = |reason: String| MirrorBuildError::Failed { name: local.to_owned(), reason };
        // Rows are prepared before the write lock is taken: queries wait only for the append.
        let rows: Vec<Option<RowInput>> = changes
            .par_iter()
            .map(|(_, v)| {
                let v = v.as_ref()?;
                source
                    .schema
                    .row(&source.layout, &v.accession, v.version, &v.metadata_json, &v.processed_json, v.restricted_until)
                    .map_err(|e| tracing::warn!(mirror = %local, version = %format!("{}.{}", v.accession, v.version), error = %e, "left out of the mirror"))
                    .ok()
            })
            .collect();
        let mut ix = slot.write().expect("index lock");
        let held: usize = ix.appended_unaligned.values().map(Vec::len).sum();
        if held >= MAX_APPENDED_UNALIGNED {
            return Ok(None);
        }
        let accessions = ix
            .query
            .index
            .column(virion_ingest::hub::ACCESSION)
            .ok_or_else(|| failed("no accession column".into()))?;
        let mut row_of: HashMap<String, u32> = ix
            .visible
            .iter()
            .filter_map(|r| Some((ix.query.index.columns[accessions].str(r)?.to_owned(), r)))
            .collect();
        let lineage_column = ix.info.lineage_column;
        let lineages_before =
            lineage_column.and_then(|c| ix.query.index.columns[c].dictionary().map(|d| d.len())).unwrap_or(0);
        // (accession, still the entry's newest in this batch, unaligned sequence) per new row.
        let mut owners: Vec<(String, bool, Vec<u8>)> = Vec::new();
        let mut prepared = Vec::new();
        for ((accession, version), row) in changes.into_iter().zip(rows) {
            if let Some(old) = row_of.remove(&accession) {
                ix.visible.remove(old);
            }
            for owner in owners.iter_mut().filter(|o| o.0 == accession) {
                owner.1 = false;
            }
            let (Some(version), Some(row)) = (version, row) else { continue };
            // A segmented sample's blob is read when its sequences are asked for: check it now.
            if source.layout.segmented
                && let Err(e) = virion_core::SegmentedSequence::decode(&version.sequence)
            {
                tracing::warn!(mirror = %local, accession = %accession, error = %e, "left out of the mirror: its segments cannot be read");
                continue;
            }
            match ix.query.index.prepare(row) {
                Ok(p) => {
                    prepared.push(p);
                    owners.push((accession, true, version.sequence));
                }
                Err(e) => tracing::warn!(mirror = %local, error = %e, "left out of the mirror"),
            }
        }
        if !prepared.is_empty() {
            let first = ix.query.index.append(prepared).map_err(|e| failed(e.to_string()))?;
            for (i, (_, newest, sequence)) in owners.into_iter().enumerate() {
                if newest {
                    let row = first + i as u32;
                    ix.visible.insert(row);
                    ix.appended_unaligned.insert(row, sequence);
                }
            }
        }
        if let Some(c) = lineage_column
            && ix.query.index.columns[c].dictionary().map_or(0, |d| d.len()) != lineages_before
        {
            let lineage = LineageIndex::build(&self.aliases, &ix.query.index.columns[c].distinct());
            ix.query.lineage = Some((c, lineage));
        }
        ix.data_version = chrono::Utc::now().timestamp();
        Ok(Some(ix.visible.len()))
    }
}
