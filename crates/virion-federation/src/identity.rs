//! The node's identity: its name, public URL and Ed25519 key pair, kept in the data dir
//! (`node/node.toml` and `node/node.key`, the key as PKCS#8, readable by its owner only).

use std::fs;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use serde::{Deserialize, Serialize};

use crate::error::FederationError;

/// An Ed25519 public key (32 bytes), written as standard base64.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PublicKey([u8; 32]);

impl PublicKey {
    /// Reads a key as `node show` prints it.
    pub fn parse(text: &str) -> Result<PublicKey, FederationError> {
        let invalid = |reason: &str| FederationError::Invalid {
            field: "key",
            value: text.to_owned(),
            reason: reason.to_owned(),
        };
        let bytes = STANDARD.decode(text.trim()).map_err(|_| invalid("not base64"))?;
        let raw: [u8; 32] = bytes.try_into().map_err(|_| {
            invalid("an Ed25519 public key is 32 bytes; copy it as `virion admin node show` prints it")
        })?;
        Ok(PublicKey(raw))
    }

    /// Whether `signature` is this key's signature of `message`.
    pub fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        UnparsedPublicKey::new(&ED25519, &self.0).verify(message, signature).is_ok()
    }
}

impl std::fmt::Display for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&STANDARD.encode(self.0))
    }
}

#[derive(Serialize, Deserialize)]
struct NodeFile {
    name: String,
    url: String,
}

/// This node: its name, public URL and key pair.
pub struct Identity {
    /// The node's name, as peers know it (the `keyid` of its signatures, the `node` field's value).
    pub name: String,
    /// The node's public base URL (peers send their requests there).
    pub url: String,
    key: Ed25519KeyPair,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity").field("name", &self.name).field("url", &self.url).finish_non_exhaustive()
    }
}

fn dir(data_dir: &Path) -> PathBuf {
    data_dir.join("node")
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> FederationError + '_ {
    move |source| FederationError::Io { path: path.to_owned(), source }
}

/// Checks a node or peer name: it names the node in answers, logs and the `node` field.
pub(crate) fn check_name(name: &str) -> Result<(), FederationError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(FederationError::Invalid {
            field: "name",
            value: name.to_owned(),
            reason: "use 1 to 64 letters, digits, '-', '_' or '.'".into(),
        })
    }
}

/// Checks a node's public URL (http or https, no query).
pub(crate) fn check_url(url: &str) -> Result<String, FederationError> {
    let invalid = |reason: &str| FederationError::Invalid {
        field: "url",
        value: url.to_owned(),
        reason: reason.to_owned(),
    };
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| invalid("must start with http:// or https://"))?;
    if rest.is_empty() || rest.starts_with('/') || url.contains(['?', '#', ' ']) {
        return Err(invalid("must be a base URL such as https://virion.example.org"));
    }
    Ok(url.trim_end_matches('/').to_owned())
}

impl Identity {
    /// Creates the node's identity (a new key pair) in `data_dir`; refuses if it has one.
    pub fn init(data_dir: &Path, name: &str, url: &str) -> Result<Identity, FederationError> {
        check_name(name)?;
        let url = check_url(url)?;
        if let Ok(existing) = Identity::load(data_dir) {
            return Err(FederationError::IdentityExists { name: existing.name });
        }
        let dir = dir(data_dir);
        fs::create_dir_all(&dir).map_err(io(&dir))?;
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| FederationError::Corrupt {
            path: dir.clone(),
            reason: "the system's random source failed".into(),
        })?;
        let key_path = dir.join("node.key");
        write_private(&key_path, pkcs8.as_ref())?;
        let node_path = dir.join("node.toml");
        let text = toml::to_string(&NodeFile { name: name.to_owned(), url }).expect("node file serialises");
        fs::write(&node_path, text).map_err(io(&node_path))?;
        Identity::load(data_dir)
    }

    /// The node's identity as `init` wrote it.
    pub fn load(data_dir: &Path) -> Result<Identity, FederationError> {
        let dir = dir(data_dir);
        let node_path = dir.join("node.toml");
        let text = match fs::read_to_string(&node_path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(FederationError::NoIdentity),
            Err(e) => return Err(io(&node_path)(e)),
        };
        let file: NodeFile = toml::from_str(&text)
            .map_err(|e| FederationError::Corrupt { path: node_path.clone(), reason: e.to_string() })?;
        let key_path = dir.join("node.key");
        let pkcs8 = fs::read(&key_path).map_err(io(&key_path))?;
        let key = Ed25519KeyPair::from_pkcs8(&pkcs8).map_err(|e| FederationError::Corrupt {
            path: key_path,
            reason: format!("not an Ed25519 PKCS#8 key ({e})"),
        })?;
        Ok(Identity { name: file.name, url: file.url, key })
    }

    /// The node's public key, to give to its peers.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.key.public_key().as_ref().try_into().expect("Ed25519 public keys are 32 bytes"))
    }

    /// The node's signature of `message`.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.key.sign(message).as_ref().to_vec()
    }
}

/// Writes a secret file readable by its owner only (created so: never briefly world-readable).
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), FederationError> {
    use std::io::Write;
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(io(path))?;
    file.write_all(bytes).and_then(|()| file.sync_all()).map_err(io(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_identity_is_made_once_and_signs_what_its_public_key_verifies() {
        let dir = tempfile::tempdir().unwrap();
        let node = Identity::init(dir.path(), "de-rki", "http://127.0.0.1:8080/").unwrap();
        assert_eq!(node.url, "http://127.0.0.1:8080");
        let again = Identity::load(dir.path()).unwrap();
        assert_eq!(again.public_key(), node.public_key());
        let key = PublicKey::parse(&node.public_key().to_string()).unwrap();
        let signature = again.sign(b"message");
        assert!(key.verifies(b"message", &signature));
        assert!(!key.verifies(b"massage", &signature));
        assert!(matches!(
            Identity::init(dir.path(), "other", "http://x"),
            Err(FederationError::IdentityExists { .. })
        ));
        let empty = tempfile::tempdir().unwrap();
        assert!(matches!(Identity::load(empty.path()), Err(FederationError::NoIdentity)));
        assert!(Identity::init(empty.path(), "a b", "http://x").is_err());
        assert!(Identity::init(empty.path(), "a", "ftp://x").is_err());
        assert!(PublicKey::parse("AAAA").is_err());
    }
}
