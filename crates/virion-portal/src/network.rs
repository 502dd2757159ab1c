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
            h2 { "Peers" }
            @if network.peers.is_empty() {
                p { "No peers." }
            } @else {
                table {
                    thead { tr { th scope="col" { "Peer" } th scope="col" { "URL" } th scope="col" { "Shared with it" } } }
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
                            }
                        }
                    }
                }
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
                                td { @match r.genomes { Some(n) => (n), None => "withheld" } }
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
