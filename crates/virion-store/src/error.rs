//! The store's error type.

use crate::accession::AccessionError;
use crate::model::{Action, GroupId, JobId, Status, UserId};
use crate::terms::TermsError;

/// The store's result type.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The operation is not offered on this backend; names it.
    #[error("{0} is not offered on this database")]
    Unsupported(&'static str),
    /// A database URL of another scheme; holds the URL.
    #[error("database URL {0:?} is neither sqlite:// nor postgres://")]
    UnsupportedUrl(String),
    /// The data directory for the SQLite file could not be created.
    #[error("cannot create data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: String,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// The database reported an error (connection, constraint, trigger).
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// Applying the schema migrations failed.
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The user's roles do not allow the action in the group.
    #[error("{user} may not {action:?} in {group}")]
    Forbidden {
        /// Who tried.
        user: UserId,
        /// What they tried.
        action: Action,
        /// The group concerned.
        group: GroupId,
    },
    /// Nothing matches the key.
    #[error("{what} {key:?} not found")]
    NotFound {
        /// What was looked up (`user`, `group`, `organism`, `version`, ...).
        what: &'static str,
        /// The key, as given.
        key: String,
    },
    /// An object with this unique key exists already.
    #[error("{what} {key:?} already exists")]
    AlreadyExists {
        /// What was created (`user`, `group`, ...).
        what: &'static str,
        /// The key, as given.
        key: String,
    },
    /// A status change the lifecycle does not allow.
    #[error("{accession_version} is {from}; it cannot become {to}")]
    InvalidTransition {
        /// The version, as `ACCESSION.VERSION`.
        accession_version: String,
        /// Its status.
        from: Status,
        /// The status asked for.
        to: Status,
    },
    /// An operation that applies only to an entry's newest version was asked of an older one.
    #[error("{accession_version} is not the newest version of its entry (newest is {newest})")]
    NotNewest {
        /// The version asked for, as `ACCESSION.VERSION`.
        accession_version: String,
        /// The entry's newest version number.
        newest: i64,
    },
    /// Approval of a version whose processing found errors.
    #[error("{accession_version} has processing errors and cannot be approved")]
    HasErrors {
        /// The version, as `ACCESSION.VERSION`.
        accession_version: String,
    },
    /// A revision or revocation the entry's state does not allow.
    #[error("{accession}: {reason}")]
    CannotRevise {
        /// The entry's accession.
        accession: String,
        /// Why, as a sentence fragment.
        reason: &'static str,
    },
    /// A collection that cannot be saved as given (no members, too many, one listed twice, one
    /// not released).
    #[error("collection: {reason}")]
    BadCollection {
        /// What is wrong, saying what to do.
        reason: String,
    },
    /// Only a collection's owner makes new versions of it.
    #[error("user {} did not save collection {id}: only its owner makes new versions", user.0)]
    NotCollectionOwner {
        /// Who tried.
        user: crate::model::UserId,
        /// The collection.
        id: String,
    },
    /// A submitted entry breaks a rule; nothing of the submission is stored.
    #[error("submission row {row} (submission id {submission_key:?}): {reason}")]
    BadEntry {
        /// 1-based row of the entry in the submission.
        row: u64,
        /// The entry's submission id.
        submission_key: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A name (of a user or a group) that is empty, too long, or holds control characters.
    #[error("{what} name {name:?}: {reason}")]
    BadName {
        /// What was being named (`group`, `user`).
        what: &'static str,
        /// The name as given.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Reading the submission's input failed; nothing of the submission is stored.
    #[error("submission input failed at row {row}: {source}")]
    Input {
        /// 1-based row reached when it failed.
        row: u64,
        /// The input's error.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// An accession or `ACCESSION.VERSION` text that does not parse.
    #[error(transparent)]
    Accession(#[from] AccessionError),
    /// Invalid data-use terms.
    #[error(transparent)]
    Terms(#[from] TermsError),
    /// A worker reported on a job whose lease it no longer holds (it expired and may be claimed by
    /// another).
    #[error("{job} is not leased to worker {worker:?} any more")]
    LeaseLost {
        /// The job.
        job: JobId,
        /// The reporting worker's name.
        worker: String,
    },
    /// Password hashing failed; holds the hasher's message.
    #[error("password hashing: {0}")]
    Password(String),
    /// A stored sequence could not be compressed or decompressed.
    #[error("sequence blob {blob}: {source}")]
    Compression {
        /// The blob's id, or the submission it belongs to.
        blob: String,
        /// zstd's error.
        source: std::io::Error,
    },
    /// A stored value that the code cannot read (a database edited around the API).
    #[error("stored value {column} = {value:?} is not readable")]
    Corrupt {
        /// The table and column.
        column: &'static str,
        /// The value found.
        value: String,
    },
}

impl StoreError {
    pub(crate) fn corrupt(column: &'static str, value: impl Into<String>) -> Self {
        StoreError::Corrupt { column, value: value.into() }
    }
}
