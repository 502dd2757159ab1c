//! A node's read-only copy of a peer's released data (`virion admin mirror add`).
//!
//! The copy is a journal: the peer's released NDJSON lines, appended in release order, exactly
//! as the peer wrote them, in `DATA_DIR/mirror/LOCAL/released.ndjson.zst` (one zstd frame per
//! committed batch; the frames read as one stream), with a state file naming how many bytes of
//! it are committed, the newest release number in it and the peer's
//! *basis* (pipeline version and newest terms change). A sync asks the peer only for what was
//! released after the newest release number it holds (`afterReleaseSeq`), or nothing at all
//! when the peer's ETag is unchanged. Lines are committed in batches: file synced, then the
//! state renamed over the old one; a crash leaves at most an uncommitted tail, cut off when
//! the journal is next opened, and the next sync resumes after the last committed release.
//! When the peer's basis changes (it reprocessed its data or a terms change rewrote old
//! lines), the stream is read again from the start into a new journal, swapped in whole.
//!
//! Revisions and revocations are lines like any other: whoever reads the journal keeps each
//! entry's newest version and drops revoked entries ([`latest_versions`]).

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Longest line a peer's released stream may have (a genome, its metadata and its processed
/// data): a longer one is refused rather than read into memory.
pub const MAX_LINE_BYTES: usize = 64 << 20;
/// Lines appended per commit.
const COMMIT_EVERY: u64 = 1_000;
/// Response header of the released route naming what every released line depends on besides
/// the releases themselves: the pipeline version and the newest terms change. A mirror that
/// sees it change reads the stream again from the start (reprocessing and terms changes
/// rewrite old lines).
pub const BASIS_HEADER: &str = "virion-released-basis";

/// Why a mirror could not be brought up to date or read.
#[derive(Debug, thiserror::Error)]
pub enum MirrorError {
    /// The journal or its state could not be read or written.
    #[error("mirror {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The peer could not be reached, or the stream broke off.
    #[error("{url}: {reason}; the mirror resumes from release {resume_after} at the next sync")]
    Unreachable {
        /// What was asked.
        url: String,
        /// Why it failed.
        reason: String,
        /// Where the next sync starts.
        resume_after: i64,
    },
    /// The peer answered with an error.
    #[error("{url} answered {status}: {detail}")]
    Answered {
        /// What was asked.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The peer's words, or what they mean here.
        detail: String,
    },
    /// A line of the peer's stream (or of the journal) is not a released version.
    #[error("{source_name} line {line}: {reason}")]
    BadLine {
        /// The peer's URL or the journal's path.
        source_name: String,
        /// 1-based line number in that stream or file.
        line: u64,
        /// What is wrong with it (field and reason).
        reason: String,
    },
}

/// The data use terms of a released line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LineTerms {
    /// `OPEN` or `RESTRICTED`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The day a restriction ends.
    #[serde(default)]
    pub restricted_until: Option<NaiveDate>,
}

impl LineTerms {
    /// The day the restriction in force on `today` ends (`None`: open on `today`).
    pub fn restricted_until(&self, today: NaiveDate) -> Option<NaiveDate> {
        match (self.kind.as_str(), self.restricted_until) {
            ("RESTRICTED", Some(until)) if until > today => Some(until),
            _ => None,
        }
    }
}

/// One line of a released stream, as a mirror reads it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReleasedLine {
    /// The entry's accession at its home node.
    pub accession: String,
    /// The version.
    pub version: i64,
    /// Whether this version revokes the entry.
    #[serde(default)]
    pub is_revocation: bool,
    /// The home node's release number.
    pub release_seq: i64,
    /// The terms in force when the line was written.
    pub data_use_terms: LineTerms,
    /// The submitted sequence (empty for a revocation).
    #[serde(default)]
    pub sequence: String,
    /// The submitted metadata.
    pub metadata: serde_json::Value,
    /// The processed data (absent for a revocation).
    #[serde(default)]
    pub processed: Option<serde_json::Value>,
}

fn parse_line(bytes: &[u8]) -> Result<ReleasedLine, String> {
    let line: ReleasedLine = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    if line.accession.is_empty() || line.accession.len() > 128 {
        return Err(format!("accession {:?}: 1 to 128 characters", line.accession));
    }
    if line.version < 1 {
        return Err(format!("version {}: 1 or more", line.version));
    }
    if !line.metadata.is_object() {
        return Err("metadata: not an object".into());
    }
    Ok(line)
}

/// What the journal holds (`state.json` beside it).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JournalState {
    /// Bytes of the journal that are whole, synced lines.
    pub committed_bytes: u64,
    /// Lines in those bytes.
    pub lines: u64,
    /// The newest release number in them (0: none).
    pub last_release_seq: i64,
    /// The peer's basis the lines were written under.
    pub basis: Option<String>,
    /// The peer's ETag of the last answer, and the release number it was asked after.
    pub etag: Option<(String, i64)>,
    /// Unix seconds of the last sync that reached the peer.
    pub synced_at: Option<i64>,
}

/// A mirror's journal directory.
#[derive(Debug, Clone)]
pub struct Journal {
    dir: PathBuf,
}

/// The directory of the mirror served as collection `local`.
pub fn journal_dir(data_dir: &Path, local: &str) -> PathBuf {
    data_dir.join("mirror").join(local)
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> MirrorError + '_ {
    move |source| MirrorError::Io { path: path.to_owned(), source }
}

impl Journal {
    /// The journal in `dir` (created when absent).
    pub fn new(dir: PathBuf) -> Journal {
        Journal { dir }
    }

    /// The file of released lines.
    pub fn path(&self) -> PathBuf {
        self.dir.join("released.ndjson.zst")
    }

    fn state_path(&self) -> PathBuf {
        self.dir.join("state.json")
    }

    /// What the journal holds (empty when it was never synced).
    pub fn state(&self) -> Result<JournalState, MirrorError> {
        let path = self.state_path();
        match fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| MirrorError::BadLine {
                source_name: path.display().to_string(),
                line: 1,
                reason: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(JournalState::default()),
            Err(e) => Err(io(&path)(e)),
        }
    }

    fn save_state(&self, state: &JournalState) -> Result<(), MirrorError> {
        let path = self.state_path();
        let tmp = path.with_extension("json.new");
        let bytes = serde_json::to_vec_pretty(state).expect("a journal state serialises");
        let write = || -> std::io::Result<()> {
            let mut f = File::create(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
            fs::rename(&tmp, &path)
        };
        write().map_err(io(&path))
    }

    /// Opens the journal for appending, cutting off what a crash left after the last commit.
    fn open_for_append(&self, state: &JournalState) -> Result<File, MirrorError> {
        fs::create_dir_all(&self.dir).map_err(io(&self.dir))?;
        let path = self.path();
        let file = OpenOptions::new().create(true).append(true).open(&path).map_err(io(&path))?;
        let len = file.metadata().map_err(io(&path))?.len();
        if len > state.committed_bytes {
            tracing::warn!(journal = %path.display(), dropped = len - state.committed_bytes, "uncommitted mirror lines cut off (a sync was interrupted)");
            file.set_len(state.committed_bytes).map_err(io(&path))?;
        } else if len < state.committed_bytes {
            return Err(MirrorError::Io {
                path,
                source: std::io::Error::other(format!(
                    "shorter ({len} bytes) than its committed {} bytes: remove the mirror's directory to copy it again",
                    state.committed_bytes
                )),
            });
        }
        Ok(file)
    }

    /// Every committed line, in the order it was released.
    pub fn lines(&self) -> Result<JournalLines, MirrorError> {
        self.lines_from(0)
    }

    /// The committed lines after the first `offset` bytes, which must be the committed size
    /// of an earlier state (a frame boundary): what was appended since.
    pub fn lines_from(&self, offset: u64) -> Result<JournalLines, MirrorError> {
        use std::io::{Seek, SeekFrom};
        let state = self.state()?;
        let path = self.path();
        let reader: Box<dyn Read + Send> = match File::open(&path) {
            // Nothing committed past `offset` (a zstd decoder wants at least one frame).
            Ok(_) if offset >= state.committed_bytes => Box::new(std::io::empty()),
            Ok(mut f) => {
                f.seek(SeekFrom::Start(offset)).map_err(io(&path))?;
                Box::new(zstd::Decoder::new(f.take(state.committed_bytes - offset)).map_err(io(&path))?)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Box::new(std::io::empty()),
            Err(e) => return Err(io(&path)(e)),
        };
        Ok(JournalLines {
            reader: BufReader::with_capacity(1 << 20, reader),
            name: path.display().to_string(),
            line: 0,
            buf: Vec::new(),
        })
    }
}

/// The committed lines of a journal.
pub struct JournalLines {
    reader: BufReader<Box<dyn Read + Send>>,
    name: String,
    line: u64,
    buf: Vec<u8>,
}

impl Iterator for JournalLines {
    type Item = Result<ReleasedLine, MirrorError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            match read_bounded_line(&mut self.reader, &mut self.buf) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(reason) => return Some(Err(self.bad(reason))),
            }
            self.line += 1;
            let text = trim_newline(&self.buf);
            if text.is_empty() {
                continue;
            }
            return Some(parse_line(text).map_err(|r| self.bad(r)));
        }
    }
}

impl std::fmt::Debug for JournalLines {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JournalLines")
            .field("name", &self.name)
            .field("line", &self.line)
            .finish_non_exhaustive()
    }
}

impl JournalLines {
    fn bad(&self, reason: String) -> MirrorError {
        MirrorError::BadLine { source_name: self.name.clone(), line: self.line + 1, reason }
    }
}

fn trim_newline(buf: &[u8]) -> &[u8] {
    let buf = buf.strip_suffix(b"\n").unwrap_or(buf);
    buf.strip_suffix(b"\r").unwrap_or(buf)
}

/// Reads one line of at most [`MAX_LINE_BYTES`] into `buf` (cleared first); 0 at the end.
fn read_bounded_line(reader: &mut impl BufRead, buf: &mut Vec<u8>) -> Result<usize, String> {
    buf.clear();
    let n =
        reader.by_ref().take(MAX_LINE_BYTES as u64 + 1).read_until(b'\n', buf).map_err(|e| e.to_string())?;
    if n > MAX_LINE_BYTES {
        return Err(format!("longer than {} MiB", MAX_LINE_BYTES >> 20));
    }
    Ok(n)
}

/// Each entry's newest version in `lines`, unless that version revokes it: accession →
/// version. Older versions and revoked entries are what a mirror does not serve.
pub fn latest_versions(
    lines: impl Iterator<Item = Result<ReleasedLine, MirrorError>>,
) -> Result<HashMap<String, i64>, MirrorError> {
    let mut newest: HashMap<String, (i64, bool)> = HashMap::new();
    for line in lines {
        let line = line?;
        let slot = newest.entry(line.accession).or_insert((0, false));
        if line.version >= slot.0 {
            *slot = (line.version, line.is_revocation);
        }
    }
    Ok(newest.into_iter().filter(|(_, (_, revoked))| !revoked).map(|(a, (v, _))| (a, v)).collect())
}

/// What a sync did.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncReport {
    /// Lines appended.
    pub appended: u64,
    /// Whether the journal was read again from the start (the peer's basis changed).
    pub restarted: bool,
    /// The journal's state afterwards.
    pub state: JournalState,
}

impl SyncReport {
    /// Whether the journal holds anything it did not before.
    pub fn changed(&self) -> bool {
        self.appended > 0 || self.restarted
    }
}

fn agent() -> &'static ureq::Agent {
    static AGENT: std::sync::OnceLock<ureq::Agent> = std::sync::OnceLock::new();
    AGENT.get_or_init(|| {
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(10)))
            .timeout_recv_response(Some(Duration::from_secs(60)))
            .build()
            .new_agent()
    })
}

/// Brings the journal up to date with the released stream of `organism` at `peer_url`: what
/// was released since its newest line, or the whole stream again when the peer's basis
/// changed. The whole read must end within `limit`.
pub fn sync(
    journal: &Journal,
    peer_url: &str,
    organism: &str,
    limit: Duration,
) -> Result<SyncReport, MirrorError> {
    let mut state = journal.state()?;
    let base = format!("{}/api/{organism}/released", peer_url.trim_end_matches('/'));
    let after = state.last_release_seq;
    let url = format!("{base}?compression=zstd&afterReleaseSeq={after}");
    let mut request = agent().get(&url).config().timeout_recv_body(Some(limit)).build();
    if let Some((etag, asked_after)) = &state.etag
        && *asked_after == after
    {
        request = request.header("if-none-match", etag);
    }
    let unreachable = |reason: String, resume_after: i64| MirrorError::Unreachable {
        url: url.clone(),
        reason,
        resume_after,
    };
    let response = request.call().map_err(|e| unreachable(e.to_string(), after))?;
    let status = response.status().as_u16();
    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let basis = header(BASIS_HEADER);
    let etag = header("etag");
    let now = chrono::Utc::now().timestamp();
    if status == 304 && basis.is_some() && basis == state.basis {
        state.synced_at = Some(now);
        journal.save_state(&state)?;
        return Ok(SyncReport { appended: 0, restarted: false, state });
    }
    if status != 200 && status != 304 {
        let detail = match status {
            404 => format!(
                "the peer has no released stream of {organism:?} (only organisms the peer takes submissions for have one)"
            ),
            _ => response.into_body().read_to_string().unwrap_or_default().chars().take(500).collect(),
        };
        return Err(MirrorError::Answered { url, status, detail });
    }
    let Some(basis) = basis else {
        return Err(MirrorError::Answered {
            url,
            status,
            detail: format!("no {BASIS_HEADER} header: the peer's Virion is too old to be mirrored"),
        });
    };
    if state.basis.as_ref().is_some_and(|b| *b != basis) {
        // Old lines changed at the peer: read everything again, aside, and swap it in.
        drop(response);
        let fresh = Journal::new(journal.dir.join("restart"));
        let _ = fs::remove_dir_all(&fresh.dir);
        let report = sync(&fresh, peer_url, organism, limit)?;
        let old = journal.path();
        fs::rename(fresh.path(), &old).map_err(io(&old))?;
        journal.save_state(&report.state)?;
        let _ = fs::remove_dir_all(&fresh.dir);
        tracing::info!(journal = %old.display(), lines = report.state.lines, "mirror copied again: the peer's pipeline or terms changed");
        return Ok(SyncReport { restarted: true, state: report.state, ..report });
    }
    if status == 304 {
        state.basis = Some(basis);
        state.synced_at = Some(now);
        journal.save_state(&state)?;
        return Ok(SyncReport { appended: 0, restarted: false, state });
    }
    state.basis = Some(basis);
    let mut file = journal.open_for_append(&state)?;
    let body = response.into_body().into_reader();
    let decoder = zstd::Decoder::new(body).map_err(|e| unreachable(e.to_string(), after))?;
    let mut reader = BufReader::with_capacity(1 << 20, decoder);
    let mut buf = Vec::new();
    let mut appended = 0u64;
    let mut pending = Vec::new();
    let mut pending_lines = 0u64;
    let mut pending_seq = state.last_release_seq;
    let mut line_no = 0u64;
    let started = Instant::now();
    let commit = |file: &mut File,
                  state: &mut JournalState,
                  pending: &mut Vec<u8>,
                  lines: &mut u64,
                  seq: i64|
     -> Result<(), MirrorError> {
        if *lines == 0 {
            return Ok(());
        }
        let path = journal.path();
        // A frame per batch: whole frames are what a commit names, so a torn one is cut off.
        let frame = zstd::encode_all(pending.as_slice(), 3).map_err(io(&path))?;
        file.write_all(&frame).and_then(|()| file.sync_data()).map_err(io(&path))?;
        state.committed_bytes += frame.len() as u64;
        state.lines += *lines;
        state.last_release_seq = seq;
        journal.save_state(state)?;
        pending.clear();
        *lines = 0;
        Ok(())
    };
    loop {
        let n = match read_bounded_line(&mut reader, &mut buf) {
            Ok(n) => n,
            Err(reason) if reason.starts_with("longer") => {
                commit(&mut file, &mut state, &mut pending, &mut pending_lines, pending_seq)?;
                return Err(MirrorError::BadLine { source_name: url.clone(), line: line_no + 1, reason });
            }
            Err(reason) => {
                // The stream broke off: keep what arrived whole, resume after it next time.
                commit(&mut file, &mut state, &mut pending, &mut pending_lines, pending_seq)?;
                return Err(unreachable(reason, state.last_release_seq));
            }
        };
        if n == 0 {
            break;
        }
        line_no += 1;
        let text = trim_newline(&buf);
        if text.is_empty() {
            continue;
        }
        if !buf.ends_with(b"\n") {
            // A last line without its newline: the stream was cut, not finished.
            commit(&mut file, &mut state, &mut pending, &mut pending_lines, pending_seq)?;
            return Err(unreachable("the stream ended inside a line".into(), state.last_release_seq));
        }
        let line = match parse_line(text) {
            Ok(line) => line,
            Err(reason) => {
                commit(&mut file, &mut state, &mut pending, &mut pending_lines, pending_seq)?;
                return Err(MirrorError::BadLine { source_name: url.clone(), line: line_no, reason });
            }
        };
        if line.release_seq <= pending_seq {
            commit(&mut file, &mut state, &mut pending, &mut pending_lines, pending_seq)?;
            return Err(MirrorError::BadLine {
                source_name: url.clone(),
                line: line_no,
                reason: format!(
                    "releaseSeq {} is not after {pending_seq}: the stream must come in release order",
                    line.release_seq
                ),
            });
        }
        pending.extend_from_slice(text);
        pending.push(b'\n');
        pending_lines += 1;
        pending_seq = line.release_seq;
        appended += 1;
        if pending_lines == COMMIT_EVERY {
            commit(&mut file, &mut state, &mut pending, &mut pending_lines, pending_seq)?;
        }
    }
    commit(&mut file, &mut state, &mut pending, &mut pending_lines, pending_seq)?;
    state.etag = etag.map(|e| (e, after));
    state.synced_at = Some(now);
    journal.save_state(&state)?;
    tracing::debug!(url = %url, appended, ms = started.elapsed().as_millis() as u64, "mirror journal appended");
    Ok(SyncReport { appended, restarted: false, state })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(accession: &str, version: i64, seq: i64, revoked: bool) -> String {
        serde_json::json!({
            "accession": accession, "version": version, "isRevocation": revoked, "releaseSeq": seq,
            "dataUseTerms": {"type": "OPEN"}, "sequence": "ACGT", "metadata": {"country": "Spain"},
            "processed": {"clade": "21K"},
        })
        .to_string()
    }

    #[test]
    fn newest_versions_win_and_revocations_hide_their_entry() {
        let lines =
            [line("A", 1, 1, false), line("B", 1, 2, false), line("A", 2, 3, false), line("B", 2, 4, true)];
        let parsed = lines.iter().map(|l| {
            parse_line(l.as_bytes()).map_err(|r| MirrorError::BadLine {
                source_name: "t".into(),
                line: 0,
                reason: r,
            })
        });
        let latest = latest_versions(parsed).unwrap();
        assert_eq!(latest, HashMap::from([("A".to_owned(), 2)]));
    }

    #[test]
    fn an_uncommitted_tail_is_cut_off_and_committed_lines_are_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::new(dir.path().join("m"));
        let whole = zstd::encode_all(
            format!("{}\n{}\n", line("A", 1, 1, false), line("B", 1, 2, false)).as_bytes(),
            3,
        )
        .unwrap();
        let state = JournalState {
            committed_bytes: whole.len() as u64,
            lines: 2,
            last_release_seq: 2,
            basis: Some("1|0".into()),
            ..JournalState::default()
        };
        fs::create_dir_all(dir.path().join("m")).unwrap();
        // A crash after writing half a batch: the whole lines, then a torn one.
        let torn = zstd::encode_all(line("C", 1, 3, false).as_bytes(), 3).unwrap();
        fs::write(journal.path(), [whole.as_slice(), &torn[..torn.len() / 2]].concat()).unwrap();
        journal.save_state(&state).unwrap();
        let lines: Vec<ReleasedLine> = journal.lines().unwrap().map(Result::unwrap).collect();
        assert_eq!(lines.iter().map(|l| l.accession.as_str()).collect::<Vec<_>>(), ["A", "B"]);
        assert_eq!(journal.lines_from(whole.len() as u64).unwrap().count(), 0, "nothing committed after");
        drop(journal.open_for_append(&state).unwrap());
        assert_eq!(fs::metadata(journal.path()).unwrap().len(), whole.len() as u64);
    }

    #[test]
    fn restrictions_in_force_are_told_from_lapsed_ones() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
        let until = |d| LineTerms {
            kind: "RESTRICTED".into(),
            restricted_until: NaiveDate::from_ymd_opt(2026, 12, d),
        };
        assert_eq!(until(7).restricted_until(today), NaiveDate::from_ymd_opt(2026, 12, 7));
        assert_eq!(until(6).restricted_until(today), None);
        assert_eq!(LineTerms { kind: "OPEN".into(), restricted_until: None }.restricted_until(today), None);
    }

    #[test]
    fn hostile_lines_are_refused_with_their_reason() {
        assert!(parse_line(b"{}").unwrap_err().contains("missing field"));
        let bad = line("A", 0, 1, false);
        assert!(parse_line(bad.as_bytes()).unwrap_err().contains("version 0"));
        let mut long = std::io::Cursor::new(vec![b'x'; MAX_LINE_BYTES + 10]);
        let mut buf = Vec::new();
        assert!(read_bounded_line(&mut long, &mut buf).unwrap_err().contains("longer than"));
    }
}
