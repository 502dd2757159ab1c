//! The node's identity and peers as a server uses them: read once and kept until their files
//! change (`virion admin peer …` and `share` edit them while the server runs, and take effect
//! at the next question without a restart).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use crate::error::FederationError;
use crate::identity::Identity;
use crate::peers::Peers;

/// The node's identity and peers, read together.
#[derive(Debug, Clone)]
pub struct Setup {
    /// This node.
    pub identity: Arc<Identity>,
    /// Its peers and what it shares with each.
    pub peers: Arc<Peers>,
}

/// What identifies a version of a file: modification time and length (`None`: absent).
type Stamp = Option<(SystemTime, u64)>;

fn stamp(path: &Path) -> Stamp {
    std::fs::metadata(path).ok().and_then(|m| Some((m.modified().ok()?, m.len())))
}

/// Reads the setup of a data directory again only when one of its files changed.
#[derive(Debug, Default)]
pub struct SetupCache {
    cached: Mutex<Option<([Stamp; 3], Setup)>>,
}

impl SetupCache {
    /// The setup of `data_dir` as its files say now.
    pub fn get(&self, data_dir: &Path) -> Result<Setup, FederationError> {
        let dir = data_dir.join("node");
        let files: [PathBuf; 3] = [dir.join("node.toml"), dir.join("node.key"), dir.join("peers.toml")];
        let stamps = files.each_ref().map(|f| stamp(f));
        let mut cached = self.cached.lock().expect("setup cache");
        if let Some((seen, setup)) = cached.as_ref()
            && *seen == stamps
        {
            return Ok(setup.clone());
        }
        let setup =
            Setup { identity: Arc::new(Identity::load(data_dir)?), peers: Arc::new(Peers::load(data_dir)?) };
        *cached = Some((stamps, setup.clone()));
        Ok(setup)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_peers_file_is_read_again() {
        let dir = tempfile::tempdir().unwrap();
        let cache = SetupCache::default();
        assert!(matches!(cache.get(dir.path()), Err(FederationError::NoIdentity)));
        let me = Identity::init(dir.path(), "a", "http://127.0.0.1:1").unwrap();
        assert!(cache.get(dir.path()).unwrap().peers.peers.is_empty());
        let mut peers = Peers::default();
        peers.add("b", "http://127.0.0.1:2", &me.public_key().to_string()).unwrap();
        peers.save(dir.path()).unwrap();
        assert_eq!(cache.get(dir.path()).unwrap().peers.peers.len(), 1);
        Peers::default().save(dir.path()).unwrap();
        assert!(cache.get(dir.path()).unwrap().peers.peers.is_empty());
    }
}
