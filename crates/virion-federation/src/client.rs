//! Asking a peer for its part: the question as signed JSON, the answer read as a typed part,
//! under a deadline. Blocking (ureq): the server runs each peer's call on a blocking thread,
//! all of them at once.

use std::time::{Duration, Instant};

use crate::identity::Identity;
use crate::peers::Peer;
use crate::signature;
use crate::wire::{PART_PATH, PartAnswer, PartProblem, PartRequest};

/// How long a node waits for its peers by default.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(20);

/// Largest part a node reads from a peer (detail rows of a big page).
const MAX_PART_BYTES: u64 = 256 << 20;

/// Why a peer gave no part.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PeerError {
    /// No answer before the deadline.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// It could not be reached, or the connection broke.
    #[error("unreachable: {0}")]
    Unreachable(String),
    /// It refused the request or failed answering it (its status and words).
    #[error("answered {status}: {detail}")]
    Answered {
        /// The HTTP status.
        status: u16,
        /// The peer's problem detail.
        detail: String,
    },
    /// Its answer is not a part.
    #[error("its answer is not a part of an answer: {0}")]
    Unreadable(String),
}

impl PeerError {
    /// Whether the peer judged the request itself wrong (a filter on a field it lacks): the
    /// asker's mistake, not the peer's failure.
    pub fn is_bad_request(&self) -> bool {
        matches!(self, PeerError::Answered { status: 400, .. })
    }
}

/// One agent for every peer call of the process: its pool keeps connections to the peers open
/// between questions (a new TCP connection per question cost more than a small question).
fn agent() -> &'static ureq::Agent {
    static AGENT: std::sync::OnceLock<ureq::Agent> = std::sync::OnceLock::new();
    AGENT.get_or_init(|| {
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_idle_connections_per_host(16)
            .build()
            .new_agent()
    })
}

/// Asks `peer` for its part of `request`, signed by `identity`, waiting until `deadline`.
pub fn ask(
    identity: &Identity,
    peer: &Peer,
    request: &PartRequest,
    deadline: Instant,
) -> Result<PartAnswer, PeerError> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(PeerError::Timeout(left));
    }
    let body = serde_json::to_vec(request).expect("a part request serialises");
    let url = format!("{}{PART_PATH}", peer.url);
    let signed = signature::sign(identity, "POST", &url, &body);
    let started = Instant::now();
    let mut response = agent()
        .post(&url)
        .config()
        .timeout_global(Some(left))
        .build()
        .header("content-type", "application/json")
        .header("content-digest", &signed.content_digest)
        .header("signature-input", &signed.signature_input)
        .header("signature", &signed.signature)
        .send(&body[..])
        .map_err(|e| classify(e, started, left))?;
    let status = response.status().as_u16();
    let text = response
        .body_mut()
        .with_config()
        .limit(MAX_PART_BYTES)
        .read_to_string()
        .map_err(|e| classify(e, started, left))?;
    if status != 200 {
        let detail = serde_json::from_str::<PartProblem>(&text).map_or(text, |p| p.detail);
        return Err(PeerError::Answered { status, detail });
    }
    let answer: PartAnswer = serde_json::from_str(&text).map_err(|e| PeerError::Unreadable(e.to_string()))?;
    if answer.node != peer.name {
        return Err(PeerError::Unreadable(format!("it answered as {:?}, not {:?}", answer.node, peer.name)));
    }
    Ok(answer)
}

fn classify(e: ureq::Error, started: Instant, left: Duration) -> PeerError {
    match e {
        ureq::Error::Timeout(_) => PeerError::Timeout(left),
        _ if started.elapsed() >= left => PeerError::Timeout(left),
        e => PeerError::Unreachable(e.to_string()),
    }
}
