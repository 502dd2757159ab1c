//! What can go wrong in a node's federation setup.

use std::path::PathBuf;

/// Errors of the node's identity, its peers and their files.
#[derive(Debug, thiserror::Error)]
pub enum FederationError {
    /// A file of the node's federation setup could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file of the node's federation setup is not what Virion wrote.
    #[error("{path}: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The node has no identity yet.
    #[error("this node has no identity yet: run `virion admin node init --name NAME --url URL`")]
    NoIdentity,
    /// `node init` on a node that has one.
    #[error("this node already has an identity ({name}); its key stays, peers know it by that key")]
    IdentityExists {
        /// The node's name.
        name: String,
    },
    /// A value given on the command line or in a form is not acceptable.
    #[error("{field} {value:?}: {reason}")]
    Invalid {
        /// Which value.
        field: &'static str,
        /// As given.
        value: String,
        /// Why it is refused.
        reason: String,
    },
    /// No peer of that name.
    #[error("no peer named {name:?} (peers: {known})")]
    UnknownPeer {
        /// As asked.
        name: String,
        /// The peers there are.
        known: String,
    },
}
