//! Virion nodes asking each other one question. A node has a name, a public URL and an
//! Ed25519 key pair ([`Identity`]); it knows its peers and what it shares with each, per
//! organism ([`Peers`], [`Share`]). Every request between nodes is signed with HTTP Message
//! Signatures (RFC 9421) over its method, URL and body digest, and checked for freshness and
//! replay ([`signature`]). Nodes exchange typed parts of an answer ([`wire`]); [`merge`] adds
//! them up exactly (counts and coverage before proportions, a second round for the coverage of
//! mutations a node did not report) and [`part`] computes one node's part under what it shares.
//! [`client`] asks peers, each under a deadline.

pub mod client;
mod error;
mod identity;
pub mod merge;
pub mod mirror;
pub mod part;
mod peers;
mod setup;
pub mod signature;
pub mod wire;

pub use error::FederationError;
pub use identity::{Identity, PublicKey};
pub use peers::{Level, Peer, Peers, Share};
pub use setup::{Setup, SetupCache};
