//! The network page (`/network`): this node, its peers, what it shares with each and which of
//! their organisms it mirrors, and every node's answer about each organism served here. An
//! instance administrator also gets its forms: add or remove a peer, set a share, add or remove
//! a mirror. They change the same files as `virion admin peer|share|mirror` (the server reads
//! them again when they change), with the same checks and words.

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use virion_federation::mirror::{Journal, journal_dir};
use virion_federation::{FederationError, Level, Peers, Share};
use virion_portal::network as view;

use super::accounts::{Session, same, session};
use super::{chrome_for, html_page};
use crate::state::AppState;

/// What an administrator's form did, shown above the page.
enum Notice {
    Done(String),
    Refused(String),
}

/// `GET /network`.
pub(crate) async fn page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    render(&state, &headers, StatusCode::OK, None).await
}

async fn render(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    notice: Option<Notice>,
) -> Response {
    let chrome = chrome_for(state, headers, "Network", None).await;
    let admin = session(state, headers).await.filter(|s| s.user.is_admin);
    // The cached setup: read from disk only when its files changed.
    let setup = state.federation_setup().ok();
    let identity = setup.as_ref().map(|s| s.identity.clone());
    // Peers are read from their file (not the cache) so that a node without an identity yet
    // still lists the peers an administrator added.
    let peers = Peers::load(state.data_dir()).unwrap_or_default();
    let mut model = view::Network {
        identity: identity.as_ref().map(|i| view::Identity {
            name: i.name.clone(),
            url: i.url.clone(),
            key: i.public_key().to_string(),
        }),
        peers: peers
            .peers
            .iter()
            .map(|p| view::Peer {
                name: p.name.clone(),
                url: p.url.clone(),
                shares: p.shares.iter().map(|(o, s)| (o.clone(), s.level.to_string(), s.min_cell)).collect(),
                mirrors: p
                    .mirrors
                    .iter()
                    .map(|(organism, local)| {
                        let state =
                            Journal::new(journal_dir(state.data_dir(), local)).state().unwrap_or_default();
                        let synced = state
                            .synced_at
                            .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
                            .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string());
                        view::Mirror {
                            organism: organism.clone(),
                            local: local.clone(),
                            lines: state.lines,
                            last_release: state.last_release_seq,
                            synced,
                        }
                    })
                    .collect(),
            })
            .collect(),
        organisms: Vec::new(),
        admin: admin.map(|s| view::Admin { csrf: s.csrf, organisms: state.collections().names() }),
        notice: notice.map(|n| match n {
            Notice::Done(m) => Ok(m),
            Notice::Refused(m) => Err(m),
        }),
    };
    if identity.is_some() {
        for organism in state.collections().names() {
            let Ok(nodes) = crate::federation::about_nodes(state, &organism, None).await else { continue };
            let rows = nodes
                .into_iter()
                .map(|(s, about)| view::NodeRow {
                    node: s.node,
                    status: s.status.to_owned(),
                    detail: s.detail,
                    data_version: s
                        .data_version
                        .and_then(|v| chrono::DateTime::from_timestamp(v, 0))
                        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()),
                    genomes: about.and_then(|a| a.genomes),
                    level: s.level.map(|l| l.to_string()),
                    millis: s.millis,
                })
                .collect();
            model.organisms.push((organism, rows));
        }
    }
    html_page(status, view::render(&chrome, &model))
}

/// The administrator's session behind a form, or the page to answer instead: to log in, a
/// refusal for a user who is not an administrator, an expired form.
async fn administrator(state: &AppState, headers: &HeaderMap, csrf: &str) -> Result<Session, Response> {
    match session(state, headers).await {
        None => Err(Redirect::to("/login?next=/network").into_response()),
        Some(s) if !s.user.is_admin => Err(render(
            state,
            headers,
            StatusCode::FORBIDDEN,
            Some(Notice::Refused("Only an instance administrator changes the node's peers.".into())),
        )
        .await),
        Some(s) if !same(&s.csrf, csrf) => Err(render(
            state,
            headers,
            StatusCode::BAD_REQUEST,
            Some(Notice::Refused("The form expired; please try again.".into())),
        )
        .await),
        Some(s) => Ok(s),
    }
}

/// Loads the peers, applies `change`, saves them, and renders the page with what happened.
async fn change(
    state: &AppState,
    headers: &HeaderMap,
    session: &Session,
    change: impl FnOnce(&mut Peers) -> Result<String, FederationError>,
) -> Response {
    let dir = state.data_dir();
    let result = Peers::load(dir).and_then(|mut peers| {
        let done = change(&mut peers)?;
        peers.save(dir)?;
        Ok(done)
    });
    match result {
        Ok(done) => {
            tracing::info!(event = "network.changed", by = %session.user.name, change = %done, "network setup changed in the portal");
            render(state, headers, StatusCode::OK, Some(Notice::Done(done))).await
        }
        Err(e) => {
            render(state, headers, StatusCode::UNPROCESSABLE_ENTITY, Some(Notice::Refused(e.to_string())))
                .await
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct PeerForm {
    name: String,
    url: String,
    key: String,
    csrf: String,
}

/// `POST /network/peers`: adds a peer (or changes its URL and key).
pub(crate) async fn add_peer(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<PeerForm>,
) -> Response {
    let s = match administrator(&state, &headers, &f.csrf).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (name, url, key) = (f.name.trim(), f.url.trim(), f.key.trim());
    change(&state, &headers, &s, |peers| {
        peers.add(name, url, key)?;
        Ok(format!(
            "Peer {name} added; it sees aggregates (cells under 5 withheld) until a share says otherwise."
        ))
    })
    .await
}

#[derive(Debug, Deserialize)]
pub(crate) struct NameForm {
    name: String,
    csrf: String,
}

/// `POST /network/peers/remove`: removes a peer (its requests are refused from now on).
pub(crate) async fn remove_peer(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<NameForm>,
) -> Response {
    let s = match administrator(&state, &headers, &f.csrf).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    change(&state, &headers, &s, |peers| {
        peers.remove(&f.name)?;
        Ok(format!("Peer {} removed.", f.name))
    })
    .await
}

#[derive(Debug, Deserialize)]
pub(crate) struct ShareForm {
    peer: String,
    organism: String,
    level: String,
    min_cell: String,
    csrf: String,
}

/// `POST /network/shares`: what this node shares of an organism with a peer.
pub(crate) async fn share(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<ShareForm>,
) -> Response {
    let s = match administrator(&state, &headers, &f.csrf).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    change(&state, &headers, &s, |peers| {
        let level: Level = f.level.parse()?;
        let min_cell = f.min_cell.trim().parse::<u64>().map_err(|_| FederationError::Invalid {
            field: "min-cell",
            value: f.min_cell.clone(),
            reason: "a whole number, 1 or more".into(),
        })?;
        let organism = f.organism.trim();
        peers.set_share(&f.peer, organism, Share { level, min_cell })?;
        Ok(format!("This node now shares {level} of {organism} with {}.", f.peer))
    })
    .await
}

#[derive(Debug, Deserialize)]
pub(crate) struct MirrorForm {
    peer: String,
    organism: String,
    #[serde(default, rename = "as")]
    local: String,
    csrf: String,
}

/// `POST /network/mirrors`: keeps a copy of a peer's released data of an organism.
pub(crate) async fn add_mirror(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<MirrorForm>,
) -> Response {
    let s = match administrator(&state, &headers, &f.csrf).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let organism = f.organism.trim();
    let local = Some(f.local.trim()).filter(|l| !l.is_empty());
    if let Some(l) = local
        && state.collections().is_hub_organism(l)
    {
        let refused = format!("{l} is an organism this node takes submissions for; choose another name.");
        return render(&state, &headers, StatusCode::UNPROCESSABLE_ENTITY, Some(Notice::Refused(refused)))
            .await;
    }
    change(&state, &headers, &s, |peers| {
        let local = peers.add_mirror(&f.peer, organism, local)?;
        Ok(format!(
            "Mirroring {organism} of {} as {local}: the copy is made at the next sync and answers /{local}/sample/….",
            f.peer
        ))
    })
    .await
}

#[derive(Debug, Deserialize)]
pub(crate) struct MirrorRemoveForm {
    peer: String,
    organism: String,
    csrf: String,
}

/// `POST /network/mirrors/remove`: stops mirroring (the copy stays on disk).
pub(crate) async fn remove_mirror(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<MirrorRemoveForm>,
) -> Response {
    let s = match administrator(&state, &headers, &f.csrf).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    change(&state, &headers, &s, |peers| {
        let local = peers.remove_mirror(&f.peer, &f.organism)?;
        Ok(format!(
            "No longer mirroring {} of {}; {local} is served as it is until its files are removed.",
            f.organism, f.peer
        ))
    })
    .await
}
