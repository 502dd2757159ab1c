//! Node requests signed with HTTP Message Signatures (RFC 9421) and Ed25519 (its `ed25519`
//! algorithm): the signature covers the method, the target URI and the body's digest
//! (`Content-Digest`, RFC 9530, SHA-256), with `created`, `keyid` (the node's name) and a
//! random `nonce`. A verifier refuses an unknown key, a bad signature, a body that does not
//! match its digest, a request created more than [`WINDOW_SECS`] away from its clock, and a
//! nonce it has seen within that window (a replay).
//!
//! Why signatures rather than mutual TLS: nodes usually sit behind their institutes' reverse
//! proxies, which end TLS; a signature travels with the request through them, needs no
//! certificate authority (a node's key is exchanged once, like an SSH key), and names the
//! asking node at the application, where what it may see is decided. TLS still protects the
//! answers on the way back; run nodes behind https.
//!
//! Only this profile is produced and accepted: one signature labelled `sig1` over exactly these
//! components. Anything else is refused with a reason, so no general structured-field parser
//! is needed.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

use crate::identity::{Identity, PublicKey};

/// How far a request's `created` may lie from the verifier's clock, either way.
pub const WINDOW_SECS: u64 = 300;

/// The components every node request signs.
const COMPONENTS: [&str; 3] = ["@method", "@target-uri", "content-digest"];

/// The headers a signed request carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    /// `Content-Digest`.
    pub content_digest: String,
    /// `Signature-Input`.
    pub signature_input: String,
    /// `Signature`.
    pub signature: String,
}

/// `Content-Digest` of a body (RFC 9530, `sha-256`).
pub fn content_digest(body: &[u8]) -> String {
    format!("sha-256=:{}:", STANDARD.encode(Sha256::digest(body)))
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn quote(s: &str) -> String {
    format!("\"{s}\"")
}

/// The signature base (RFC 9421 §2.5) of our components.
fn base(method: &str, target_uri: &str, digest: &str, params: &str) -> String {
    format!(
        "\"@method\": {method}\n\"@target-uri\": {target_uri}\n\"content-digest\": {digest}\n\"@signature-params\": {params}"
    )
}

/// Signs a request of `method` to `target_uri` with `body`, created now.
pub fn sign(identity: &Identity, method: &str, target_uri: &str, body: &[u8]) -> SignedHeaders {
    sign_at(identity, method, target_uri, body, now_secs())
}

/// As [`sign`], created at `created` (Unix seconds).
pub fn sign_at(
    identity: &Identity,
    method: &str,
    target_uri: &str,
    body: &[u8],
    created: u64,
) -> SignedHeaders {
    let digest = content_digest(body);
    let mut nonce = [0u8; 16];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut nonce).expect("system randomness");
    let components = COMPONENTS.iter().map(|c| quote(c)).collect::<Vec<_>>().join(" ");
    let params = format!(
        "({components});created={created};keyid={};nonce={};alg=\"ed25519\"",
        quote(&identity.name),
        quote(&base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(nonce))
    );
    let signature =
        identity.sign(base(&method.to_ascii_uppercase(), target_uri, &digest, &params).as_bytes());
    SignedHeaders {
        content_digest: digest,
        signature_input: format!("sig1={params}"),
        signature: format!("sig1=:{}:", STANDARD.encode(signature)),
    }
}

/// Why a signed request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// A header is missing.
    #[error("the request has no {0} header: node requests are signed (RFC 9421)")]
    Missing(&'static str),
    /// The signature headers are not of the profile nodes use.
    #[error("unreadable signature: {0}")]
    Malformed(String),
    /// The key id names no peer of this node.
    #[error("no peer named {0:?} here: ask this node's operator to add yours (`virion admin peer add`)")]
    UnknownKey(String),
    /// The body is not the one signed.
    #[error("the body does not match its Content-Digest")]
    Digest,
    /// The signature is not the key's.
    #[error("the signature does not verify with the key registered for {0:?}")]
    Forged(String),
    /// Created too long ago or in the future.
    #[error("the request was created {0} s away from this node's clock (at most {WINDOW_SECS} s)")]
    Stale(i64),
    /// The nonce was seen already.
    #[error("the request was seen before (nonce {0:?}): replays are refused")]
    Replayed(String),
    /// Too many fresh nonces to remember.
    #[error("too many node requests in the last {WINDOW_SECS} s; try again shortly")]
    Busy,
}

/// Signature parameters as read from `Signature-Input`.
#[derive(Debug, Default)]
struct Params {
    components: Vec<String>,
    created: Option<u64>,
    keyid: Option<String>,
    nonce: Option<String>,
    alg: Option<String>,
}

/// Reads `sig1=("…" …);name=value…`: the label, the serialised parameters (the signature
/// base's last line repeats them byte for byte) and their values.
fn parse_input(header: &str) -> Result<(String, Params), Refusal> {
    let bad = |why: &str| Refusal::Malformed(why.to_owned());
    let rest = header
        .trim()
        .strip_prefix("sig1=")
        .ok_or_else(|| bad("Signature-Input must hold one signature, sig1"))?;
    let serialised = rest.to_owned();
    let inner = rest.strip_prefix('(').ok_or_else(|| bad("the components must be an inner list"))?;
    let close = inner.find(')').ok_or_else(|| bad("unterminated component list"))?;
    let mut params = Params::default();
    for c in inner[..close].split(' ').filter(|c| !c.is_empty()) {
        let c = c
            .strip_prefix('"')
            .and_then(|c| c.strip_suffix('"'))
            .ok_or_else(|| bad("components are quoted strings"))?;
        params.components.push(c.to_owned());
    }
    let tail = &inner[close + 1..];
    if tail.contains(',') {
        return Err(bad("only one signature is accepted"));
    }
    for p in tail.split(';').skip(1) {
        let (name, value) = p.split_once('=').ok_or_else(|| bad("a parameter without a value"))?;
        let text = || value.strip_prefix('"').and_then(|v| v.strip_suffix('"')).map(str::to_owned);
        match name {
            "created" => params.created = Some(value.parse().map_err(|_| bad("created is not an integer"))?),
            "keyid" => params.keyid = Some(text().ok_or_else(|| bad("keyid is not a string"))?),
            "nonce" => params.nonce = Some(text().ok_or_else(|| bad("nonce is not a string"))?),
            "alg" => params.alg = Some(text().ok_or_else(|| bad("alg is not a string"))?),
            "expires" | "tag" => {}
            _ => return Err(bad("an unknown signature parameter")),
        }
    }
    Ok((serialised, params))
}

/// Checks signed node requests and remembers their nonces for the window.
#[derive(Debug, Default)]
pub struct Verifier {
    seen: Mutex<HashMap<(String, String), u64>>,
}

/// Most nonces remembered at once (about 100 requests a second for the whole window).
const MAX_NONCES: usize = 30_000;

impl Verifier {
    /// Checks a request of `method` to `target_uri` (this node's public URL and the path and
    /// query) with `body` and its signature headers; `key_of` gives a peer's key by name.
    /// Returns the asking peer's name.
    pub fn verify(
        &self,
        method: &str,
        target_uri: &str,
        body: &[u8],
        headers: &SignedHeaders,
        key_of: impl Fn(&str) -> Option<PublicKey>,
    ) -> Result<String, Refusal> {
        self.verify_at(method, target_uri, body, headers, key_of, now_secs())
    }

    /// As [`Verifier::verify`], with the clock at `now` (Unix seconds).
    pub fn verify_at(
        &self,
        method: &str,
        target_uri: &str,
        body: &[u8],
        headers: &SignedHeaders,
        key_of: impl Fn(&str) -> Option<PublicKey>,
        now: u64,
    ) -> Result<String, Refusal> {
        let (serialised, params) = parse_input(&headers.signature_input)?;
        if params.components != COMPONENTS {
            return Err(Refusal::Malformed(format!("the components must be {}", COMPONENTS.join(" "))));
        }
        if params.alg.as_deref().is_some_and(|a| a != "ed25519") {
            return Err(Refusal::Malformed("alg must be ed25519".into()));
        }
        let keyid = params.keyid.ok_or_else(|| Refusal::Malformed("no keyid".into()))?;
        let nonce = params.nonce.ok_or_else(|| Refusal::Malformed("no nonce".into()))?;
        let created = params.created.ok_or_else(|| Refusal::Malformed("no created".into()))?;
        let key = key_of(&keyid).ok_or_else(|| Refusal::UnknownKey(keyid.clone()))?;
        let skew = created as i64 - now as i64;
        if skew.unsigned_abs() > WINDOW_SECS {
            return Err(Refusal::Stale(skew));
        }
        if headers.content_digest != content_digest(body) {
            return Err(Refusal::Digest);
        }
        let signature = headers
            .signature
            .trim()
            .strip_prefix("sig1=:")
            .and_then(|s| s.strip_suffix(':'))
            .and_then(|s| STANDARD.decode(s).ok())
            .ok_or_else(|| Refusal::Malformed("Signature must be sig1=:base64:".into()))?;
        let base = base(&method.to_ascii_uppercase(), target_uri, &headers.content_digest, &serialised);
        if !key.verifies(base.as_bytes(), &signature) {
            return Err(Refusal::Forged(keyid));
        }
        // Only a verified request's nonce is remembered: a forger cannot fill the table.
        let mut seen = self.seen.lock().expect("nonce table");
        seen.retain(|_, &mut expires| expires > now);
        if seen.len() >= MAX_NONCES {
            return Err(Refusal::Busy);
        }
        match seen.entry((keyid.clone(), nonce.clone())) {
            std::collections::hash_map::Entry::Occupied(_) => Err(Refusal::Replayed(nonce)),
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(created + WINDOW_SECS + 1);
                Ok(keyid)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str) -> (tempfile::TempDir, Identity) {
        let dir = tempfile::tempdir().unwrap();
        let id = Identity::init(dir.path(), name, "http://127.0.0.1:1").unwrap();
        (dir, id)
    }

    #[test]
    fn signed_requests_verify_once_and_tampering_is_refused() {
        let (_d, de) = node("de");
        let (_e, evil) = node("de");
        let key = de.public_key();
        let key_of = |name: &str| (name == "de").then(|| key.clone());
        let uri = "http://127.0.0.1:2/federation/node/part";
        let v = Verifier::default();
        let now = 1_800_000_000;
        let h = sign_at(&de, "POST", uri, b"{}", now);
        assert_eq!(v.verify_at("POST", uri, b"{}", &h, key_of, now + 3), Ok("de".into()));
        assert!(matches!(v.verify_at("POST", uri, b"{}", &h, key_of, now + 4), Err(Refusal::Replayed(_))));

        let h = sign_at(&de, "POST", uri, b"{}", now);
        assert_eq!(v.verify_at("POST", uri, b"{\"a\":1}", &h, key_of, now), Err(Refusal::Digest));
        assert!(matches!(
            v.verify_at("POST", "http://other/x", b"{}", &h, key_of, now),
            Err(Refusal::Forged(_))
        ));
        assert!(matches!(v.verify_at("GET", uri, b"{}", &h, key_of, now), Err(Refusal::Forged(_))));
        assert_eq!(v.verify_at("POST", uri, b"{}", &h, key_of, now + 301), Err(Refusal::Stale(-301)));
        // Same name, another key: forged.
        let forged = sign_at(&evil, "POST", uri, b"{}", now);
        assert_eq!(v.verify_at("POST", uri, b"{}", &forged, key_of, now), Err(Refusal::Forged("de".into())));
        let unknown = |_: &str| None;
        assert_eq!(v.verify_at("POST", uri, b"{}", &h, unknown, now), Err(Refusal::UnknownKey("de".into())));
        let mut bad = h.clone();
        bad.signature_input = bad.signature_input.replace("\"@method\" ", "");
        assert!(matches!(v.verify_at("POST", uri, b"{}", &bad, key_of, now), Err(Refusal::Malformed(_))));
        // A changed parameter changes the base: a later `created` cannot be forged onto it.
        let mut moved = h.clone();
        moved.signature_input =
            moved.signature_input.replace(&format!("created={now}"), &format!("created={}", now + 100));
        assert!(matches!(
            v.verify_at("POST", uri, b"{}", &moved, key_of, now + 100),
            Err(Refusal::Forged(_))
        ));
    }
}
