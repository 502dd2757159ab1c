//! `virion admin backup` and `restore`: a consistent copy of a running node's state.
//!
//! What a node holds, and how each part is copied while it keeps serving:
//! - the SQLite database (accounts, submissions, every version and its sequences): `VACUUM
//!   INTO`, one read snapshot, so writers carry on and the copy holds exactly the commits
//!   before it began. PostgreSQL is copied with `pg_dump` (see the README); the backup then
//!   holds the files below only;
//! - `index/`: query-index snapshots and imported collections. Each file is replaced whole by
//!   a rename, so an open file stays one consistent version. They are copied *before* the
//!   database: a snapshot older than the database is caught up from it on start, one newer
//!   would hold rows the restored database lacks;
//! - `node/`: the node's identity, key and peers (small files replaced by rename);
//! - `mirror/`: copies of peers' released data. A journal only grows, and its `state.json`
//!   says how many bytes are committed: those bytes are copied, and the copy is retried when
//!   a sync swapped the journal meanwhile.
//!
//! `uploads/` (staging of submissions in flight) is not copied: an upload that was not
//! committed is not stored, and its submitter retries it.
//!
//! Every copied file is listed in `backup.json` with its size and SHA-256; `restore` checks
//! them all before it writes anything, into a data directory that holds no database yet.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use virion_federation::mirror::JournalState;
use virion_store::{Backend, SQLITE_FILE, Store, StoreError};

/// The manifest's file name inside a backup directory.
pub const MANIFEST: &str = "backup.json";

/// The data directory's parts a backup copies, besides the database.
const PARTS: [&str; 3] = ["index", "node", "mirror"];

/// What a backup holds (`backup.json`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// The manifest's format (1).
    pub format: u32,
    /// The Virion version that wrote the backup.
    pub virion_version: String,
    /// When the backup began (RFC 3339).
    pub created_at: String,
    /// `sqlite` (the database is in the backup) or `postgres` (it is not: use `pg_dump`).
    pub database: String,
    /// The newest schema migration of the database when it was copied.
    pub schema_version: i64,
    /// Every file copied, relative to the backup directory with `/` separators.
    pub files: Vec<BackedUpFile>,
}

/// One file of a backup.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct BackedUpFile {
    /// Path relative to the backup (and data) directory, `/`-separated.
    pub path: String,
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256 of the content, lower-case hex.
    pub sha256: String,
}

/// Why a backup or restore could not be made. Nothing is left half-written: a failed backup
/// removes its directory, a failed restore writes nothing (it checks before it copies).
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The backup would overwrite something.
    #[error("{0} already exists: give a new directory for the backup")]
    TargetExists(PathBuf),
    /// The restore target already holds a database.
    #[error(
        "{0} already holds a database: restore into a new data directory (or move it away first); a restore never overwrites a node"
    )]
    NotEmpty(PathBuf),
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// The store failed while being copied or checked.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The directory is not a backup, or its manifest cannot be read.
    #[error("{path} is not a Virion backup: {reason}")]
    NotABackup {
        /// The manifest's path.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A file of the backup differs from its manifest: it was changed or cut short.
    #[error("{path} is damaged: {reason}; nothing was restored")]
    Damaged {
        /// The file.
        path: PathBuf,
        /// What differs.
        reason: String,
    },
    /// The backup's database was written by a newer Virion.
    #[error(
        "the backup's database has schema migration {backup}, this Virion knows up to {known}: restore it with Virion {version} or newer"
    )]
    NewerSchema {
        /// The backup's newest migration.
        backup: i64,
        /// This build's newest.
        known: i64,
        /// The Virion version that wrote the backup.
        version: String,
    },
    /// A mirror journal kept changing while it was copied.
    #[error("mirror journal {0} changed under every copy attempt; run the backup again")]
    Unsettled(PathBuf),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Io { path: path.to_owned(), source }
}

/// What [`backup`] copied.
#[derive(Debug, Clone)]
pub struct BackupReport {
    /// The manifest written.
    pub manifest: Manifest,
    /// Total bytes copied.
    pub bytes: u64,
}

/// Copies the node's state in `data_dir` (database through `store`) into the new directory
/// `out`. The node may keep running.
pub async fn backup(store: &Store, data_dir: &Path, out: &Path) -> Result<BackupReport, BackupError> {
    if out.exists() {
        return Err(BackupError::TargetExists(out.to_owned()));
    }
    // Written beside the target and renamed when whole: a directory named `out` is a whole
    // backup.
    let name = out.file_name().map_or_else(|| "backup".into(), |n| n.to_string_lossy().into_owned());
    let partial = out.with_file_name(format!(".{name}.partial"));
    if partial.exists() {
        fs::remove_dir_all(&partial).map_err(io(&partial))?;
    }
    create_private_dir(&partial)?;
    let result = copy_into(store, data_dir, &partial).await;
    match result {
        Ok(report) => {
            fs::rename(&partial, out).map_err(io(out))?;
            Ok(report)
        }
        Err(e) => {
            let _ = fs::remove_dir_all(&partial);
            Err(e)
        }
    }
}

async fn copy_into(store: &Store, data_dir: &Path, out: &Path) -> Result<BackupReport, BackupError> {
    let created_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let mut files = Vec::new();
    for part in PARTS {
        let from = data_dir.join(part);
        if from.is_dir() {
            copy_tree(&from, &out.join(part), part, &mut files)?;
        }
    }
    let schema_version = store.schema_version().await?;
    let database = match store.backend() {
        Backend::Sqlite => {
            let to = out.join(SQLITE_FILE);
            store.snapshot_sqlite_into(&to).await?;
            set_private(&to, false)?;
            files.push(describe(&to, SQLITE_FILE)?);
            "sqlite"
        }
        Backend::Postgres => "postgres",
    };
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let manifest = Manifest {
        format: 1,
        virion_version: env!("CARGO_PKG_VERSION").to_owned(),
        created_at,
        database: database.to_owned(),
        schema_version,
        files,
    };
    let path = out.join(MANIFEST);
    let bytes = serde_json::to_vec_pretty(&manifest).expect("a manifest serialises");
    write_synced(&path, &bytes)?;
    let total = manifest.files.iter().map(|f| f.bytes).sum();
    Ok(BackupReport { manifest, bytes: total })
}

/// Copies the files under `from` (one level of directories deep is all a node has, but any
/// depth is copied) to `to`, listing each as `prefix/…`.
fn copy_tree(from: &Path, to: &Path, prefix: &str, files: &mut Vec<BackedUpFile>) -> Result<(), BackupError> {
    create_private_dir(to)?;
    let mut entries: Vec<_> =
        fs::read_dir(from).map_err(io(from))?.collect::<Result<_, _>>().map_err(io(from))?;
    entries.sort_by_key(|e| e.file_name());
    // A mirror journal is copied with its state, consistently, as one unit.
    if entries.iter().any(|e| e.file_name() == "state.json") && prefix.starts_with("mirror/") {
        return copy_journal(from, to, prefix, files);
    }
    for entry in entries {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        // Files being written (renamed into place when whole) and interrupted syncs.
        if name.ends_with(".new") || name.ends_with(".tmp") || name.starts_with('.') {
            continue;
        }
        let kind = entry.file_type().map_err(io(&entry.path()))?;
        let relative = format!("{prefix}/{name}");
        if kind.is_dir() {
            copy_tree(&entry.path(), &to.join(name), &relative, files)?;
        } else if kind.is_file() {
            files.push(copy_file(&entry.path(), &to.join(name), &relative, None)?);
        }
    }
    Ok(())
}

/// Copies a mirror journal: its state, then the bytes that state commits. A sync may append
/// (harmless: only committed bytes are read) or swap in a new journal (the state changes: try
/// again).
fn copy_journal(
    from: &Path,
    to: &Path,
    prefix: &str,
    files: &mut Vec<BackedUpFile>,
) -> Result<(), BackupError> {
    let state_path = from.join("state.json");
    let journal_path = from.join("released.ndjson.zst");
    for _ in 0..10 {
        let state = fs::read(&state_path).map_err(io(&state_path))?;
        let committed = serde_json::from_slice::<JournalState>(&state)
            .map_err(|e| BackupError::Damaged { path: state_path.clone(), reason: e.to_string() })?
            .committed_bytes;
        let journal = if journal_path.exists() {
            Some(copy_file(
                &journal_path,
                &to.join("released.ndjson.zst"),
                &format!("{prefix}/released.ndjson.zst"),
                Some(committed),
            )?)
        } else {
            None
        };
        if fs::read(&state_path).map_err(io(&state_path))? != state {
            continue;
        }
        let state_to = to.join("state.json");
        write_synced(&state_to, &state)?;
        files.push(BackedUpFile {
            path: format!("{prefix}/state.json"),
            bytes: state.len() as u64,
            sha256: hex(&Sha256::digest(&state)),
        });
        files.extend(journal);
        return Ok(());
    }
    Err(BackupError::Unsettled(from.to_owned()))
}

/// Copies `from` to `to` (at most `limit` bytes), hashing what it copies.
fn copy_file(
    from: &Path,
    to: &Path,
    relative: &str,
    limit: Option<u64>,
) -> Result<BackedUpFile, BackupError> {
    let source = File::open(from).map_err(io(from))?;
    let mut reader: Box<dyn Read> = match limit {
        Some(n) => Box::new(source.take(n)),
        None => Box::new(source),
    };
    let mut target = private_file(to)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    let mut bytes = 0u64;
    loop {
        let n = reader.read(&mut buffer).map_err(io(from))?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        target.write_all(&buffer[..n]).map_err(io(to))?;
        bytes += n as u64;
    }
    target.sync_all().map_err(io(to))?;
    if let Some(n) = limit
        && bytes != n
    {
        return Err(BackupError::Damaged {
            path: from.to_owned(),
            reason: format!("{bytes} bytes where its state commits {n}"),
        });
    }
    Ok(BackedUpFile { path: relative.to_owned(), bytes, sha256: hex(&hasher.finalize()) })
}

/// The size and SHA-256 of a file already in the backup.
fn describe(path: &Path, relative: &str) -> Result<BackedUpFile, BackupError> {
    let (bytes, sha256) = hash_file(path)?;
    Ok(BackedUpFile { path: relative.to_owned(), bytes, sha256 })
}

fn hash_file(path: &Path) -> Result<(u64, String), BackupError> {
    let mut file = File::open(path).map_err(io(path))?;
    let mut hasher = Sha256::new();
    let bytes = std::io::copy(&mut file, &mut hasher).map_err(io(path))?;
    Ok((bytes, hex(&hasher.finalize())))
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads a backup's manifest.
pub fn read_manifest(backup: &Path) -> Result<Manifest, BackupError> {
    let path = backup.join(MANIFEST);
    let bytes =
        fs::read(&path).map_err(|e| BackupError::NotABackup { path: path.clone(), reason: e.to_string() })?;
    let manifest: Manifest = serde_json::from_slice(&bytes)
        .map_err(|e| BackupError::NotABackup { path: path.clone(), reason: e.to_string() })?;
    if manifest.format != 1 {
        return Err(BackupError::NotABackup {
            path,
            reason: format!("manifest format {} (this Virion reads format 1)", manifest.format),
        });
    }
    Ok(manifest)
}

/// Checks every file of the backup against its manifest (sizes, then SHA-256).
pub fn check(backup: &Path) -> Result<Manifest, BackupError> {
    let manifest = read_manifest(backup)?;
    for file in &manifest.files {
        let path = backup_file(backup, &file.path)?;
        let (bytes, sha256) = hash_file(&path)?;
        if bytes != file.bytes {
            return Err(BackupError::Damaged {
                path,
                reason: format!("{bytes} bytes, the manifest says {}", file.bytes),
            });
        }
        if sha256 != file.sha256 {
            return Err(BackupError::Damaged {
                path,
                reason: "its SHA-256 differs from the manifest's".into(),
            });
        }
    }
    let backend = match manifest.database.as_str() {
        "sqlite" => Backend::Sqlite,
        "postgres" => Backend::Postgres,
        other => {
            return Err(BackupError::NotABackup {
                path: backup.join(MANIFEST),
                reason: format!("database {other:?} is neither sqlite nor postgres"),
            });
        }
    };
    let known = Store::known_schema_version(backend);
    if manifest.schema_version > known {
        return Err(BackupError::NewerSchema {
            backup: manifest.schema_version,
            known,
            version: manifest.virion_version.clone(),
        });
    }
    Ok(manifest)
}

/// A manifest path inside the backup; refuses paths that climb out of it.
fn backup_file(backup: &Path, relative: &str) -> Result<PathBuf, BackupError> {
    let mut path = backup.to_owned();
    for part in relative.split('/') {
        if part.is_empty() || part == "." || part == ".." || part.contains('\\') {
            return Err(BackupError::NotABackup {
                path: backup.join(MANIFEST),
                reason: format!("file path {relative:?} leaves the backup directory"),
            });
        }
        path.push(part);
    }
    Ok(path)
}

/// Restores the backup in `from` into `data_dir`, which must hold no database: checks every
/// file first, then copies them, the database last (a data directory with a database is a
/// whole one). Returns the manifest.
pub fn restore(from: &Path, data_dir: &Path) -> Result<Manifest, BackupError> {
    let manifest = check(from)?;
    if data_dir.join(SQLITE_FILE).exists() {
        return Err(BackupError::NotEmpty(data_dir.to_owned()));
    }
    for part in PARTS {
        let target = data_dir.join(part);
        let in_use = fs::read_dir(&target).map(|mut d| d.next().is_some()).unwrap_or(false);
        if in_use {
            return Err(BackupError::NotEmpty(target));
        }
    }
    create_private_dir(data_dir)?;
    let (database, rest): (Vec<_>, Vec<_>) = manifest.files.iter().partition(|f| f.path == SQLITE_FILE);
    for file in rest.into_iter().chain(database) {
        let source = backup_file(from, &file.path)?;
        let target = backup_file(data_dir, &file.path)?;
        if let Some(parent) = target.parent() {
            create_private_dir(parent)?;
        }
        let copied = if file.path == SQLITE_FILE {
            // Copied under another name and renamed: a crash leaves no half database.
            let partial = data_dir.join(format!(".{SQLITE_FILE}.restoring"));
            let copied = copy_file(&source, &partial, &file.path, None)?;
            fs::rename(&partial, &target).map_err(io(&target))?;
            copied
        } else {
            copy_file(&source, &target, &file.path, None)?
        };
        if copied.sha256 != file.sha256 {
            return Err(BackupError::Damaged {
                path: source,
                reason: "it changed while it was restored".into(),
            });
        }
    }
    Ok(manifest)
}

fn create_private_dir(path: &Path) -> Result<(), BackupError> {
    fs::create_dir_all(path).map_err(io(path))?;
    set_private(path, true)
}

fn private_file(path: &Path) -> Result<File, BackupError> {
    let file = File::create(path).map_err(io(path))?;
    set_private(path, false)?;
    Ok(file)
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), BackupError> {
    let mut file = private_file(path)?;
    file.write_all(bytes).map_err(io(path))?;
    file.sync_all().map_err(io(path))
}

/// A backup holds the node's secrets (its key, password hashes): only its owner may read it.
fn set_private(path: &Path, dir: bool) -> Result<(), BackupError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = if dir { 0o700 } else { 0o600 };
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).map_err(io(path))?;
    }
    #[cfg(not(unix))]
    let _ = (path, dir);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_paths_stay_inside_the_backup() {
        let base = Path::new("b");
        assert!(backup_file(base, "index/x.vix").is_ok());
        for bad in ["../etc/passwd", "index/../../x", "/abs", "a//b", "a\\..\\b", ""] {
            assert!(backup_file(base, bad).is_err(), "{bad:?} accepted");
        }
    }
}
