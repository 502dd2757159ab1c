//! The store's error type.

use crate::accession::AccessionError;
use crate::model::{Action, GroupId, JobId, Status, UserId};
use crate::terms::TermsError;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database URL {0:?} is neither sqlite:// nor postgres://")]
    UnsupportedUrl(String),
    #[error("cannot create data directory {path}: {source}")]
    DataDir { path: String, source: std::io::Error },
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{user} may not {action:?} in {group}")]
    Forbidden { user: UserId, action: Action, group: GroupId },
    #[error("{what} {key:?} not found")]
    NotFound { what: &'static str, key: String },
    #[error("{what} {key:?} already exists")]
    AlreadyExists { what: &'static str, key: String },
    #[error("{accession_version} is {from}; it cannot become {to}")]
    InvalidTransition { accession_version: String, from: Status, to: Status },
    #[error("{accession_version} is not the newest version of its entry (newest is {newest})")]
    NotNewest { accession_version: String, newest: i64 },
    #[error("{accession_version} has processing errors and cannot be approved")]
    HasErrors { accession_version: String },
    #[error("{accession}: {reason}")]
    CannotRevise { accession: String, reason: &'static str },
    #[error("submission row {row} (submission id {submission_key:?}): {reason}")]
    BadEntry { row: u64, submission_key: String, reason: String },
    #[error("submission input failed at row {row}: {source}")]
    Input { row: u64, source: Box<dyn std::error::Error + Send + Sync> },
    #[error(transparent)]
    Accession(#[from] AccessionError),
    #[error(transparent)]
    Terms(#[from] TermsError),
    #[error("{job} is not leased to worker {worker:?} any more")]
    LeaseLost { job: JobId, worker: String },
    #[error("password hashing: {0}")]
    Password(String),
    #[error("sequence blob {blob}: {source}")]
    Compression { blob: String, source: std::io::Error },
    #[error("stored value {column} = {value:?} is not readable")]
    Corrupt { column: &'static str, value: String },
}

impl StoreError {
    pub(crate) fn corrupt(column: &'static str, value: impl Into<String>) -> Self {
        StoreError::Corrupt { column, value: value.into() }
    }
}
