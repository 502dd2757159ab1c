//! The node's peers (`node/peers.toml` in the data dir): each peer's name, URL and public key,
//! and what this node shares with it, per organism. A peer not told otherwise gets aggregates
//! with cells below 5 suppressed.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::FederationError;
use crate::identity::{PublicKey, check_name, check_url};

/// How much of an organism's data a node lets a peer see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Rows, sequences and aggregates: the peer may see what the public may see here.
    Records,
    /// Counts only: no row, sequence, accession or strain name leaves the node, and every group
    /// counting fewer than the share's `min_cell` genomes is withheld (and reported as withheld).
    Aggregates,
    /// Nothing.
    None,
}

impl std::str::FromStr for Level {
    type Err = FederationError;
    fn from_str(s: &str) -> Result<Level, FederationError> {
        match s {
            "records" => Ok(Level::Records),
            "aggregates" => Ok(Level::Aggregates),
            "none" => Ok(Level::None),
            _ => Err(FederationError::Invalid {
                field: "level",
                value: s.to_owned(),
                reason: "one of records, aggregates, none".into(),
            }),
        }
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Level::Records => "records",
            Level::Aggregates => "aggregates",
            Level::None => "none",
        })
    }
}

/// What a node shares of one organism with one peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Share {
    /// How much.
    pub level: Level,
    /// At `aggregates`, groups counting fewer genomes than this are withheld.
    pub min_cell: u64,
}

impl Default for Share {
    /// What a new peer gets: aggregates, cells below 5 withheld.
    fn default() -> Share {
        Share { level: Level::Aggregates, min_cell: 5 }
    }
}

/// A peer node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Peer {
    /// Its name (its signatures' `keyid`).
    pub name: String,
    /// Its public base URL.
    pub url: String,
    /// Its public key, as its `virion admin node show` prints it.
    pub key: String,
    /// What this node shares with it, by organism; an organism not listed: [`Share::default`].
    #[serde(default)]
    pub shares: BTreeMap<String, Share>,
    /// Organisms of the peer this node keeps a read-only copy of (`virion admin mirror add`),
    /// each with the name of the local collection that serves the copy.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub mirrors: BTreeMap<String, String>,
}

impl Peer {
    /// What this node shares of `organism` with the peer.
    pub fn share(&self, organism: &str) -> Share {
        self.shares.get(organism).copied().unwrap_or_default()
    }

    /// The peer's public key.
    pub fn public_key(&self) -> Result<PublicKey, FederationError> {
        PublicKey::parse(&self.key)
    }
}

/// The node's peers, as stored in its data dir.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Peers {
    /// In the order they were added.
    #[serde(default, rename = "peer")]
    pub peers: Vec<Peer>,
}

fn path(data_dir: &Path) -> PathBuf {
    data_dir.join("node").join("peers.toml")
}

impl Peers {
    /// The peers stored in `data_dir` (none if it has no peers file).
    pub fn load(data_dir: &Path) -> Result<Peers, FederationError> {
        let path = path(data_dir);
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Peers::default()),
            Err(source) => return Err(FederationError::Io { path, source }),
        };
        let peers: Peers = toml::from_str(&text)
            .map_err(|e| FederationError::Corrupt { path: path.clone(), reason: e.to_string() })?;
        for p in &peers.peers {
            p.public_key()
                .map_err(|e| FederationError::Corrupt { path: path.clone(), reason: e.to_string() })?;
        }
        Ok(peers)
    }

    /// Writes the peers to `data_dir` (a new file renamed over the old: a reader never sees
    /// half a file).
    pub fn save(&self, data_dir: &Path) -> Result<(), FederationError> {
        let path = path(data_dir);
        let dir = path.parent().expect("the peers file is in node/");
        fs::create_dir_all(dir).map_err(|source| FederationError::Io { path: dir.to_owned(), source })?;
        let text = toml::to_string(self).expect("peers serialise");
        let tmp = path.with_extension("toml.new");
        fs::write(&tmp, text)
            .and_then(|()| fs::rename(&tmp, &path))
            .map_err(|source| FederationError::Io { path: path.clone(), source })
    }

    /// The peer named `name`.
    pub fn get(&self, name: &str) -> Option<&Peer> {
        self.peers.iter().find(|p| p.name == name)
    }

    fn unknown(&self, name: &str) -> FederationError {
        FederationError::UnknownPeer {
            name: name.to_owned(),
            known: if self.peers.is_empty() {
                "none yet".into()
            } else {
                self.peers.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", ")
            },
        }
    }

    /// Adds a peer, or replaces the URL and key of the peer of that name (its shares stay).
    pub fn add(&mut self, name: &str, url: &str, key: &str) -> Result<(), FederationError> {
        check_name(name)?;
        let url = check_url(url)?;
        let key = PublicKey::parse(key)?.to_string();
        match self.peers.iter_mut().find(|p| p.name == name) {
            Some(p) => {
                p.url = url;
                p.key = key;
            }
            None => self.peers.push(Peer {
                name: name.to_owned(),
                url,
                key,
                shares: BTreeMap::new(),
                mirrors: BTreeMap::new(),
            }),
        }
        Ok(())
    }

    /// Removes a peer.
    pub fn remove(&mut self, name: &str) -> Result<Peer, FederationError> {
        let i = self.peers.iter().position(|p| p.name == name).ok_or_else(|| self.unknown(name))?;
        Ok(self.peers.remove(i))
    }

    /// Sets what is shared of `organism` with the peer `name`.
    pub fn set_share(&mut self, name: &str, organism: &str, share: Share) -> Result<(), FederationError> {
        if share.min_cell == 0 {
            return Err(FederationError::Invalid {
                field: "min-cell",
                value: "0".into(),
                reason: "at least 1 (1 withholds nothing)".into(),
            });
        }
        let unknown = self.unknown(name);
        let peer = self.peers.iter_mut().find(|p| p.name == name).ok_or(unknown)?;
        peer.shares.insert(organism.to_owned(), share);
        Ok(())
    }
}

impl Peers {
    /// Starts mirroring `organism` of the peer `name` into the local collection `local`
    /// (default `ORGANISM-PEER`); returns the local name. A local name is taken only once.
    pub fn add_mirror(
        &mut self,
        name: &str,
        organism: &str,
        local: Option<&str>,
    ) -> Result<String, FederationError> {
        check_name(organism).map_err(|_| FederationError::Invalid {
            field: "organism",
            value: organism.to_owned(),
            reason: "letters, digits, '-' and '_'".into(),
        })?;
        let local = local.map_or_else(|| format!("{organism}-{name}"), str::to_owned);
        check_name(&local).map_err(|_| FederationError::Invalid {
            field: "as",
            value: local.clone(),
            reason: "letters, digits, '-' and '_' (it becomes a URL path)".into(),
        })?;
        if let Some((peer, theirs)) = self
            .mirrors()
            .find(|(p, o, l)| *l == local && (p.name != name || *o != organism))
            .map(|(p, o, _)| (p.name.clone(), o.to_owned()))
        {
            return Err(FederationError::Invalid {
                field: "as",
                value: local,
                reason: format!("already the mirror of {peer}'s {theirs}"),
            });
        }
        let unknown = self.unknown(name);
        let peer = self.peers.iter_mut().find(|p| p.name == name).ok_or(unknown)?;
        peer.mirrors.insert(organism.to_owned(), local.clone());
        Ok(local)
    }

    /// Stops mirroring `organism` of the peer `name`; returns the local collection's name (its
    /// copy stays on disk until removed).
    pub fn remove_mirror(&mut self, name: &str, organism: &str) -> Result<String, FederationError> {
        let unknown = self.unknown(name);
        let peer = self.peers.iter_mut().find(|p| p.name == name).ok_or(unknown)?;
        peer.mirrors.remove(organism).ok_or_else(|| FederationError::Invalid {
            field: "organism",
            value: organism.to_owned(),
            reason: format!("not mirrored from {name}"),
        })
    }

    /// Every mirror: (peer, organism at the peer, local collection name).
    pub fn mirrors(&self) -> impl Iterator<Item = (&Peer, &str, &str)> {
        self.peers.iter().flat_map(|p| p.mirrors.iter().map(move |(o, l)| (p, o.as_str(), l.as_str())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Identity;

    #[test]
    fn peers_round_trip_and_default_to_aggregates_with_cells_of_five() {
        let dir = tempfile::tempdir().unwrap();
        let other = tempfile::tempdir().unwrap();
        let key = Identity::init(other.path(), "fr", "http://127.0.0.1:9").unwrap().public_key().to_string();
        let mut peers = Peers::load(dir.path()).unwrap();
        peers.add("fr", "http://127.0.0.1:9/", &key).unwrap();
        assert_eq!(
            peers.get("fr").unwrap().share("sars-cov-2"),
            Share { level: Level::Aggregates, min_cell: 5 }
        );
        peers.set_share("fr", "sars-cov-2", Share { level: Level::Records, min_cell: 1 }).unwrap();
        peers.save(dir.path()).unwrap();
        let back = Peers::load(dir.path()).unwrap();
        assert_eq!(back, peers);
        assert_eq!(back.get("fr").unwrap().share("sars-cov-2").level, Level::Records);
        assert!(peers.add("x", "http://x", "not a key").is_err());
        assert!(matches!(peers.remove("nl"), Err(FederationError::UnknownPeer { .. })));
        assert!(peers.set_share("fr", "o", Share { level: Level::Aggregates, min_cell: 0 }).is_err());
        peers.remove("fr").unwrap();
        assert!(peers.peers.is_empty());
    }
}
