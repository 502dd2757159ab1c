//! Identifiers, roles and the version status machine.

use std::fmt;

macro_rules! id_type {
    ($name:ident, $what:literal) => {
        #[doc = concat!("Database id of ", $what, ".")]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub i64);
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}#{}", $what, self.0)
            }
        }
    };
}
id_type!(UserId, "user");
id_type!(GroupId, "group");
id_type!(OrganismId, "organism");
id_type!(SubmissionId, "submission");
id_type!(JobId, "job");
id_type!(TokenId, "token");

/// A member's role in a group (the ENA Data Hub roles in brackets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Uploads, revises and discards (provider).
    Submitter,
    /// Everything a submitter does, plus approve and revoke (coordinator).
    Curator,
    /// Reads the group's unreleased data, changes nothing (consumer).
    Consumer,
}

/// What a user may try to do to a group's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Read the group's versions that are not released yet.
    ViewUnreleased,
    /// Upload new entries.
    Submit,
    /// Approve processed versions for release.
    Approve,
    /// Delete versions that are not released.
    Discard,
    /// Add a new version of a released entry.
    Revise,
    /// Add a revocation version to a released entry.
    Revoke,
    /// Change the data-use terms of the group's entries.
    ChangeTerms,
    /// Add, remove and change the roles of the group's members.
    ManageMembers,
}

impl Action {
    /// Every action, in the order above.
    pub const ALL: [Action; 8] = [
        Action::ViewUnreleased,
        Action::Submit,
        Action::Approve,
        Action::Discard,
        Action::Revise,
        Action::Revoke,
        Action::ChangeTerms,
        Action::ManageMembers,
    ];
}

impl Role {
    /// The role as stored and written in the API (`submitter`, `curator`, `consumer`).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Submitter => "submitter",
            Role::Curator => "curator",
            Role::Consumer => "consumer",
        }
    }

    /// Parses the stored text of a role; `None` for anything else.
    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "submitter" => Some(Role::Submitter),
            "curator" => Some(Role::Curator),
            "consumer" => Some(Role::Consumer),
            _ => None,
        }
    }

    /// The role × action matrix. Instance admins may do everything (see `Store::can`).
    pub fn allows(self, action: Action) -> bool {
        use Action::*;
        match self {
            Role::Curator => true,
            Role::Submitter => matches!(action, ViewUnreleased | Submit | Discard | Revise | ChangeTerms),
            Role::Consumer => matches!(action, ViewUnreleased),
        }
    }
}

/// Where a version stands. Statuses only move forward, and only on an entry's newest version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    /// Stored, waiting for a processing job.
    Received,
    /// Claimed by a worker.
    InProcessing,
    /// Processed (with or without errors and warnings), awaiting approval.
    Processed,
    /// Approved, waiting for [`Store::release_approved`](crate::Store::release_approved).
    Approved,
    /// Public, immutable.
    Released,
}

impl Status {
    /// The status as stored and shown (`RECEIVED`, `IN_PROCESSING`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Received => "RECEIVED",
            Status::InProcessing => "IN_PROCESSING",
            Status::Processed => "PROCESSED",
            Status::Approved => "APPROVED",
            Status::Released => "RELEASED",
        }
    }

    /// Parses the stored text of a status; `None` for anything else.
    pub fn parse(text: &str) -> Option<Status> {
        Some(match text {
            "RECEIVED" => Status::Received,
            "IN_PROCESSING" => Status::InProcessing,
            "PROCESSED" => Status::Processed,
            "APPROVED" => Status::Approved,
            "RELEASED" => Status::Released,
            _ => return None,
        })
    }

    /// The allowed single steps of the lifecycle (discard is a deletion, not a step).
    pub fn can_move_to(self, next: Status) -> bool {
        use Status::*;
        matches!(
            (self, next),
            (Received, InProcessing)
                | (InProcessing, Processed)
                | (Processed, Approved)
                | (Approved, Released)
        )
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The outcome of processing one version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProcessingResult {
    /// No errors or warnings.
    Ok,
    /// Warnings only: the version can be approved.
    Warnings,
    /// Errors: the version cannot be approved (revise or discard it).
    Errors,
}

impl ProcessingResult {
    /// The result as stored and shown (`OK`, `WARNINGS`, `ERRORS`).
    pub fn as_str(self) -> &'static str {
        match self {
            ProcessingResult::Ok => "OK",
            ProcessingResult::Warnings => "WARNINGS",
            ProcessingResult::Errors => "ERRORS",
        }
    }

    /// Parses the stored text of a result; `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "OK" => Self::Ok,
            "WARNINGS" => Self::Warnings,
            "ERRORS" => Self::Errors,
            _ => return None,
        })
    }
}

/// Which processed versions an approval or discard takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Approve: every processed version without errors. Discard: every unreleased version.
    All,
    /// Only versions processed without warnings or errors.
    WithoutWarnings,
    /// Discard only: versions whose processing found errors.
    WithErrors,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_single_forward_steps() {
        let all =
            [Status::Received, Status::InProcessing, Status::Processed, Status::Approved, Status::Released];
        for (i, a) in all.iter().enumerate() {
            for (j, b) in all.iter().enumerate() {
                assert_eq!(a.can_move_to(*b), j == i + 1, "{a} -> {b}");
            }
            assert_eq!(Status::parse(a.as_str()), Some(*a));
        }
    }
}
