//! The network page: this node, its peers and what it shares with each, and, per organism,
//! every node's answer to "what do you hold?" (status, data version, genomes where shared).

use maud::html;

use crate::layout::{Chrome, page};

/// This node as its peers know it.
#[derive(Debug, Clone)]
pub struct Identity {
    /// Its name.
    pub name: String,
    /// Its public URL.
    pub url: String,
    /// Its public key.
    pub key: String,
}

/// A peer and what this node shares with it.
#[derive(Debug, Clone)]
pub struct Peer {
    /// Its name.
    pub name: String,
    /// Its public URL (linked: records from it live there).
    pub url: String,
    /// Per organism set explicitly: (organism, level, minimum cell).
    pub shares: Vec<(String, String, u64)>,
    /// Its organisms this node mirrors.
    pub mirrors: Vec<Mirror>,
}

/// A peer's organism this node keeps a copy of.
#[derive(Debug, Clone)]
pub struct Mirror {
    /// The organism at the peer.
    pub organism: String,
    /// The local collection serving the copy.
    pub local: String,
    /// Released versions copied.
    pub lines: u64,
    /// The peer's newest release number copied.
    pub last_release: i64,
    /// When a sync last reached the peer.
    pub synced: Option<String>,
}

/// What an instance administrator's forms need.
#[derive(Debug, Clone)]
pub struct Admin {
    /// The session's CSRF token.
    pub csrf: String,
    /// Organisms served here (to choose what is shared).
    pub organisms: Vec<String>,
}

/// One node's answer about one organism.
#[derive(Debug, Clone)]
pub struct NodeRow {
    /// The node.
    pub node: String,
    /// `ok`, `withheld`, `failed` or `timeout`.
    pub status: String,
    /// Why it failed, if it did.
    pub detail: Option<String>,
    /// Its data version, as a date and time.
    pub data_version: Option<String>,
    /// Genomes it holds, where it shares the figure.
    pub genomes: Option<u64>,
    /// What it shares with this node.
    pub level: Option<String>,
    /// How long it took to answer (ms).
    pub millis: u64,
}

/// What the network page shows.
#[derive(Debug, Clone, Default)]
pub struct Network {
    /// This node, if it has an identity.
    pub identity: Option<Identity>,
    /// Its peers.
    pub peers: Vec<Peer>,
    /// Per organism served here, every node's answer.
    pub organisms: Vec<(String, Vec<NodeRow>)>,
    /// The forms, for an instance administrator.
    pub admin: Option<Admin>,
    /// What the last form did (`Err`: why it was refused).
    pub notice: Option<Result<String, String>>,
}

/// The network page.
pub fn render(chrome: &Chrome, network: &Network) -> String {
    page(
        chrome,
        html! {
            h1 { "Network" }
            @match &network.identity {
                None => p {
                    "This node is not part of a network yet. An administrator gives it a name, URL and key with "
                    code { "virion admin node init --name NAME --url URL" } " and adds peers with "
                    code { "virion admin peer add" } "."
                },
                Some(me) => {
                    p { "This node is " strong { (me.name) } " at " a href=(me.url) { (me.url) } "." }
                    p { "Public key: " code { (me.key) } }
                }
            }
            @match &network.notice {
                Some(Ok(done)) => p.note role="status" { (done) },
                Some(Err(why)) => p.problem role="alert" { (why) },
                None => {}
            }
            h2 { "Peers" }
            @if network.peers.is_empty() {
                p { "No peers." }
            } @else {
                table {
                    thead { tr {
                        th scope="col" { "Peer" } th scope="col" { "URL" } th scope="col" { "Shared with it" }
                        th scope="col" { "Mirrored here" }
                        @if network.admin.is_some() { th scope="col" { span.visually-hidden { "Actions" } } }
                    } }
                    tbody {
                        @for p in &network.peers {
                            tr {
                                td { (p.name) }
                                td { a href=(p.url) { (p.url) } }
                                td {
                                    @for (organism, level, min_cell) in &p.shares {
                                        (organism) ": " (level)
                                        @if level == "aggregates" { " (cells under " (min_cell) " withheld)" }
                                        br;
                                    }
                                    "other organisms: aggregates (cells under 5 withheld)"
                                }
                                td {
                                    @for m in &p.mirrors {
                                        (m.organism) " as " a href={ "/" (m.local) } { (m.local) } ": "
                                        (m.lines) " versions, releases up to " (m.last_release) ", last synced "
                                        (m.synced.as_deref().unwrap_or("never"))
                                        @if let Some(admin) = &network.admin {
                                            form.inline method="post" action="/network/mirrors/remove" {
                                                input type="hidden" name="csrf" value=(admin.csrf);
                                                input type="hidden" name="peer" value=(p.name);
                                                input type="hidden" name="organism" value=(m.organism);
                                                button type="submit" { "Stop mirroring" }
                                            }
                                        }
                                        br;
                                    }
                                }
                                @if let Some(admin) = &network.admin {
                                    td {
                                        form.inline method="post" action="/network/peers/remove" {
                                            input type="hidden" name="csrf" value=(admin.csrf);
                                            input type="hidden" name="name" value=(p.name);
                                            button type="submit" { "Remove " (p.name) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if let Some(admin) = &network.admin {
                (admin_forms(admin, &network.peers))
            }
            @for (organism, rows) in &network.organisms {
                h2 { (organism) }
                p { "Federated LAPIS root: " code { "/federation/" (organism) "/" } }
                table {
                    thead { tr {
                        th scope="col" { "Node" } th scope="col" { "Status" } th scope="col" { "Data version" }
                        th scope="col" { "Genomes" } th scope="col" { "Shares with this node" } th scope="col" { "ms" }
                    } }
                    tbody {
                        @for r in rows {
                            tr {
                                td { (r.node) }
                                td { (r.status) @if let Some(d) = &r.detail { " — " (d) } }
                                td { (r.data_version.as_deref().unwrap_or("")) }
                                td { @match r.genomes { Some(n) => (n), None if r.status == "ok" || r.status == "withheld" => "withheld", None => "" } }
                                td { (r.level.as_deref().unwrap_or("")) }
                                td { (r.millis) }
                            }
                        }
                    }
                }
            }
        },
    )
}

/// The administrator's forms: a peer, a share, a mirror.
fn admin_forms(admin: &Admin, peers: &[Peer]) -> maud::Markup {
    let peer_select = |id: &str| {
        html! {
            select id=(id) name="peer" required {
                @for p in peers { option value=(p.name) { (p.name) } }
            }
        }
    };
    html! {
        h2 { "Administer the network" }
        p { "These forms change the node's peers file, as " code { "virion admin peer|share|mirror" } " does; the server follows without a restart." }
        form.admin method="post" action="/network/peers" {
            h3 { "Add a peer" }
            input type="hidden" name="csrf" value=(admin.csrf);
            label for="peer-name" { "Name" } input id="peer-name" name="name" required pattern="[A-Za-z0-9._-]{1,64}";
            label for="peer-url" { "URL" } input id="peer-url" name="url" type="url" required placeholder="https://virion.example.org";
            label for="peer-key" { "Public key" } input id="peer-key" name="key" required;
            button type="submit" { "Add peer" }
        }
        @if !peers.is_empty() {
            form.admin method="post" action="/network/shares" {
                h3 { "Share with a peer" }
                input type="hidden" name="csrf" value=(admin.csrf);
                label for="share-peer" { "Peer" } (peer_select("share-peer"))
                label for="share-organism" { "Organism" }
                select id="share-organism" name="organism" required {
                    @for o in &admin.organisms { option value=(o) { (o) } }
                }
                label for="share-level" { "Level" }
                select id="share-level" name="level" {
                    option value="aggregates" selected { "aggregates (counts only)" }
                    option value="records" { "records (rows and sequences)" }
                    option value="none" { "none" }
                }
                label for="share-min-cell" { "Minimum cell" }
                input id="share-min-cell" name="min_cell" type="number" min="1" value="5";
                button type="submit" { "Set share" }
            }
            form.admin method="post" action="/network/mirrors" {
                h3 { "Mirror a peer's released data" }
                input type="hidden" name="csrf" value=(admin.csrf);
                label for="mirror-peer" { "Peer" } (peer_select("mirror-peer"))
                label for="mirror-organism" { "Organism at the peer" }
                input id="mirror-organism" name="organism" required;
                label for="mirror-as" { "Served here as (default ORGANISM-PEER)" }
                input id="mirror-as" name="as";
                button type="submit" { "Mirror" }
            }
        }
    }
}
