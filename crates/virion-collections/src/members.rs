//! A hub member's view: the released data plus the unreleased (processed, not yet released)
//! newest versions of the member's groups, through the same LAPIS routes when the request
//! carries the member's token. The unreleased versions form a small overlay index, rebuilt
//! only when the store says they changed; an overlay row supersedes the released row of the
//! same entry. Counts of the two parts are added (as a federated answer would be).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures_util::TryStreamExt;
use virion_index::{Index, LineageIndex, RoaringBitmap};
use virion_query::QueryIndex;
use virion_store::{ReleasedVersion, Store, UserId};

use crate::collections::{Collection, Collections};

/// The unreleased rows a member sees.
#[derive(Debug)]
pub struct Overlay {
    /// The small index of the member's groups' unreleased (processed, not yet released) newest
    /// versions.
    pub query: QueryIndex,
    /// The overlay rows the member sees (every row of its index).
    pub visible: RoaringBitmap,
    /// The entries it holds (they hide their released rows).
    accessions: Vec<String>,
}

impl Overlay {
    /// The released index's visible rows minus those this overlay supersedes.
    pub fn hide_superseded(&self, ix: &Collection) -> RoaringBitmap {
        let mut visible = ix.visible.clone();
        for a in &self.accessions {
            if let Some(row) = ix.row_of(a) {
                visible.remove(row);
            }
        }
        visible
    }
}

/// An overlay and the store state it reflects.
type Built = (String, Arc<Overlay>);

/// Built overlays by (organism, user), with the store state they reflect.
#[derive(Debug, Default)]
pub struct OverlayCache {
    built: Mutex<HashMap<(String, i64), Built>>,
}

/// The caller's overlay for `organism` (`None`: nothing unreleased to add, or not a hub
/// organism).
pub(crate) async fn overlay(
    lapis: &Collections,
    store: &Store,
    organism: &str,
    user: UserId,
) -> Result<Option<Arc<Overlay>>, String> {
    let Some(source) = lapis.source(organism) else { return Ok(None) };
    let current = store.member_unreleased_state(source.organism, user).await.map_err(|e| e.to_string())?;
    if current.starts_with("0|") {
        return Ok(None);
    }
    let key = (organism.to_owned(), user.0);
    if let Some((built_from, o)) = lapis.overlays().built.lock().expect("overlay lock").get(&key)
        && *built_from == current
    {
        return Ok(Some(o.clone()));
    }
    let records: Vec<ReleasedVersion> = store
        .member_unreleased(source.organism, user)
        .map_ok(|record| ReleasedVersion { record, sequence: Vec::new() })
        .try_collect()
        .await
        .map_err(|e| e.to_string())?;
    let lapis2 = lapis.clone();
    let name = organism.to_owned();
    // The released tree, so that the overlay answers the same phylogenetic filters (its own
    // rows, unreleased, are not in it).
    let released_tree = lapis.get(organism).and_then(|slot| {
        let ix = slot.read().expect("index lock");
        ix.query.index.phylo().map(|p| (ix.query.index.columns[p.column()].name.clone(), p.tree().clone()))
    });
    let overlay = tokio::task::spawn_blocking(move || -> Result<Overlay, String> {
        let source = lapis2.source(&name).expect("checked above");
        let rows = source.rows(&records);
        let mut index = Index::new(&source.schema.schema).map_err(|e| e.to_string())?;
        let mut accessions = Vec::new();
        let mut prepared = Vec::new();
        for (v, row) in records.iter().zip(rows) {
            let Some(row) = row else { continue };
            match index.prepare(row) {
                Ok(p) => {
                    prepared.push(p);
                    accessions.push(v.record.accession_version.accession.as_str().to_owned());
                }
                Err(e) => tracing::warn!(version = %v.record.accession_version, error = %e, "left out of the member view"),
            }
        }
        index.append(prepared).map_err(|e| e.to_string())?;
        if let Some((field, tree)) = released_tree
            && let Some(column) = index.column(&field)
        {
            index.set_phylo_tree(column, tree).map_err(|e| e.to_string())?;
        }
        let column = source.schema.lineage_column;
        let lineage = LineageIndex::build(&lapis2.aliases, &index.columns[column].distinct());
        let visible = index.all();
        Ok(Overlay { query: QueryIndex { index, lineage: Some((column, lineage)) }, visible, accessions })
    })
    .await
    .map_err(|e| e.to_string())??;
    let overlay = Arc::new(overlay);
    lapis.overlays().built.lock().expect("overlay lock").insert(key, (current, overlay.clone()));
    Ok(Some(overlay))
}
