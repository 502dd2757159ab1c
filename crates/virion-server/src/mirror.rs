//! Keeping the node's mirrors of peers' released data current (`virion admin mirror add`):
//! every cycle each mirror named in the peers file is synced (its journal appended with what
//! the peer released since) and, when its copy changed, when it is not served yet, or when the
//! day changed (restrictions lapse at midnight), indexed again and swapped in. New releases
//! are appended to the served index instead; a copy read again from the start (its old lines
//! changed) is indexed again no sooner than ten times the last build's duration after it.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use virion_collections::MirroredVersion;
use virion_federation::Peers;
use virion_federation::mirror::{Journal, MirrorError, ReleasedLine, journal_dir, latest_versions, sync};

use crate::state::AppState;

/// How long one sync may read the peer's stream.
const SYNC_LIMIT: Duration = Duration::from_secs(3600);

/// Why a mirror cycle failed for one mirror (logged; the next cycle tries again).
#[derive(Debug, thiserror::Error)]
enum CycleError {
    #[error(transparent)]
    Mirror(#[from] MirrorError),
    #[error(transparent)]
    Build(#[from] virion_collections::MirrorBuildError),
}

/// A mirror rebuilt in T is rebuilt again no sooner than this many T later when its copy was
/// copied again from the start (new releases are appended to the index instead).
const REBUILD_SPACING: u32 = 10;

/// What a mirror's index is built from, as of its last build or append.
#[derive(Debug, Clone, Copy)]
struct Indexed {
    /// The day it was built (restrictions lapse at midnight).
    day: NaiveDate,
    /// When it was built and how long that took.
    at: Instant,
    took: Duration,
    /// Lines of the copy the index holds, and the copy's committed bytes then (a frame
    /// boundary: appends read on from there).
    lines: u64,
    bytes: u64,
    /// The copy was copied again since (its old lines changed): a build is due once the
    /// spacing has passed.
    stale: bool,
}

/// Runs the mirrors' cycle every `every` until the process ends (the first at once).
pub fn spawn(state: AppState, every: Duration) {
    tokio::spawn(async move {
        let mut indexed: HashMap<String, Indexed> = HashMap::new();
        loop {
            cycle(&state, &mut indexed).await;
            tokio::time::sleep(every).await;
        }
    });
}

async fn cycle(state: &AppState, indexed: &mut HashMap<String, Indexed>) {
    let peers = match Peers::load(state.data_dir()) {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(error = %e, "mirrors not synced: the peers file is unreadable");
            return;
        }
    };
    let mirrors: Vec<(String, String, String, String)> = peers
        .mirrors()
        .map(|(p, o, l)| (p.name.clone(), p.url.clone(), o.to_owned(), l.to_owned()))
        .collect();
    for (peer, url, organism, local) in mirrors {
        let state = state.clone();
        let last = indexed.get(&local).copied();
        let task_local = local.clone();
        let outcome =
            tokio::task::spawn_blocking(move || one(&state, &peer, &url, &organism, &task_local, last)).await;
        match outcome {
            Ok(Ok(Some(now))) => {
                indexed.insert(local, now);
            }
            Ok(Ok(None)) => {}
            Ok(Err(e)) => {
                tracing::warn!(event = "mirror.failed", mirror = %local, error = %e, "mirror not brought up to date")
            }
            Err(e) => {
                tracing::error!(event = "mirror.failed", mirror = %local, error = %e, "mirror task failed")
            }
        }
    }
}

/// Syncs one mirror and indexes it again if due; returns its index's state when that changed.
fn one(
    state: &AppState,
    peer: &str,
    url: &str,
    organism: &str,
    local: &str,
    last: Option<Indexed>,
) -> Result<Option<Indexed>, CycleError> {
    let journal = Journal::new(journal_dir(state.data_dir(), local));
    let started = Instant::now();
    // An unreachable peer leaves the copy as it is: it is still served, and indexed if it was
    // not yet (after a restart, say).
    let report = match sync(&journal, url, organism, SYNC_LIMIT) {
        Ok(report) => {
            tracing::info!(
                event = "mirror.synced",
                mirror = %local,
                peer = %peer,
                organism = %organism,
                appended = report.appended,
                restarted = report.restarted,
                last_release_seq = report.state.last_release_seq,
                ms = started.elapsed().as_millis() as u64,
                "mirror synced"
            );
            Some(report)
        }
        Err(e) => {
            tracing::warn!(event = "mirror.failed", mirror = %local, peer = %peer, error = %e, "mirror sync failed");
            None
        }
    };
    let today = chrono::Utc::now().date_naive();
    let served = state.collections().get(local).is_some();
    let restarted = report.as_ref().is_some_and(|r| r.restarted);
    let copy = journal.state()?;
    if copy.lines == 0 && report.is_none() {
        return Ok(None);
    }
    let build = match last {
        // Not built by this process yet, not served, or a new day: now.
        None => true,
        Some(_) if !served => true,
        Some(l) if l.day != today => true,
        Some(l) if l.stale || restarted => l.at.elapsed() >= l.took * REBUILD_SPACING,
        Some(_) => false,
    };
    if !build {
        let Some(l) = last else { return Ok(None) };
        if l.stale || restarted {
            return Ok(Some(Indexed { stale: true, ..l }));
        }
        if copy.lines <= l.lines {
            return Ok(None);
        }
        // New releases: appended to the served index, in release order.
        let appending = Instant::now();
        let changes = journal
            .lines_from(l.bytes)?
            .map(|line| line.map(|line| (line.accession.clone(), served_line(line, today))))
            .collect::<Result<Vec<_>, _>>()?;
        let n = changes.len();
        if let Some(rows) = state.collections().append_to_mirror(local, organism, changes)? {
            tracing::info!(mirror = %local, appended = n, rows, ms = appending.elapsed().as_millis() as u64, "mirror index appended");
            return Ok(Some(Indexed { lines: copy.lines, bytes: copy.committed_bytes, ..l }));
        }
        // Too much appended since the last build: build it again below.
    }
    let latest = latest_versions(journal.lines()?)?;
    let origin =
        format!("mirror of {organism} at node {peer} ({url}), its releases up to {}", copy.last_release_seq);
    let versions = journal.lines()?.filter_map(|line| match line {
        Ok(line) if latest.get(&line.accession) == Some(&line.version) => served_line(line, today).map(Ok),
        Ok(_) => None,
        Err(e) => Some(Err(e.to_string())),
    });
    let building = Instant::now();
    state.collections().build_mirror(local, organism, &origin, versions)?;
    Ok(Some(Indexed {
        day: today,
        at: Instant::now(),
        took: building.elapsed(),
        lines: copy.lines,
        bytes: copy.committed_bytes,
        stale: false,
    }))
}

/// The version a line holds if the mirror serves it as its entry's newest: not a revocation,
/// open `today`.
fn served_line(line: ReleasedLine, today: NaiveDate) -> Option<MirroredVersion> {
    if line.is_revocation || line.data_use_terms.restricted_until(today).is_some() {
        return None;
    }
    Some(MirroredVersion {
        metadata_json: line.metadata.to_string(),
        processed_json: line.processed.as_ref().map_or_else(|| "{}".to_owned(), ToString::to_string),
        sequence: line.sequence.into_bytes(),
        accession: line.accession,
        version: line.version,
        restricted_until: None,
    })
}
