//! Durable state of the Virion hub — accounts, groups, submissions, immutable versions,
//! processing jobs and the audit log — on SQLite (embedded default) or PostgreSQL, through
//! one API.
//!
//! A version's submitted part never changes once written; its status only moves forward
//! (RECEIVED → IN_PROCESSING → PROCESSED → APPROVED → RELEASED) and only on the entry's newest
//! version. Both rules are enforced in code and again by database triggers.

mod accession;
mod accounts;
mod codec;
mod collections;
mod db;
mod ena;
mod error;
mod jobs;
mod lifecycle;
mod model;
mod pipeline;
mod read;
mod submit;
mod terms;
mod verify;

pub use accession::{ALPHABET, Accession, AccessionError, AccessionVersion, MIN_DIGITS};
pub use accounts::{Membership, Organism, TOKEN_PREFIX, User};
pub use codec::{DEFAULT_LEVEL, SequenceCodec};
pub use collections::{COLLECTION_PREFIX, CollectionRecord, MAX_COLLECTION_MEMBERS, NewCollection};
pub use db::{Backend, Clock, SQLITE_FILE, Store};
pub use ena::{EnaAccessions, EnaDeposit, EnaExported, EnaRecord, MAX_EXPORT_ENTRIES};
pub use error::{Result, StoreError};
pub use jobs::{ClaimedJob, JobStates, ProcessingIssue, ProcessingOutcome};
pub use model::{
    Action, GroupId, JobId, OrganismId, ProcessingResult, Role, Scope, Status, SubmissionId, TokenId, UserId,
};
pub use pipeline::{PipelineRegistration, PipelineStatus};
pub use read::{AuditEvent, ListFilter, Processed, ReleasedVersion, TermsChange, VersionRecord};
pub use submit::{
    BATCH_ROWS, Idempotency, KeyedAction, KeyedSubmission, NewEntry, Revision, SubmissionReceipt,
    SubmitRequest,
};
pub use terms::{DataUseTerms, MAX_RESTRICTION_DAYS, TermsError};
pub use verify::Inconsistency;
