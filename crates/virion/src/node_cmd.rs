//! `virion admin node|peer|share|mirror`: this node's identity, its peers, what it shares with
//! each and which of their organisms it mirrors, kept in the data directory (read by `virion
//! serve` at every federated request and mirror cycle, so a change takes effect without a
//! restart).

use std::path::PathBuf;

use anyhow::Result;
use clap::Subcommand;
use virion_federation::{Identity, Level, Peers, Share};

use virion_server::run::default_data_dir;

/// The node's data directory (every node, peer and share command takes it).
#[derive(Debug, clap::Args)]
pub struct NodeDir {
    /// Data directory of the node.
    #[arg(long, default_value = default_data_dir().as_os_str())]
    data_dir: PathBuf,
}

/// `virion admin node …`.
#[derive(Debug, Subcommand)]
pub enum NodeCommand {
    /// Give this node its name, public URL and a new Ed25519 key pair; prints the public key
    /// to give to peers.
    Init {
        #[command(flatten)]
        dir: NodeDir,
        /// The node's name, as peers and answers know it (letters, digits, '-', '_', '.').
        #[arg(long)]
        name: String,
        /// The node's public base URL (peers send their requests there).
        #[arg(long)]
        url: String,
    },
    /// Print this node's name, URL and public key.
    Show {
        #[command(flatten)]
        dir: NodeDir,
    },
}

/// `virion admin peer …`.
#[derive(Debug, Subcommand)]
pub enum PeerCommand {
    /// Add a peer (or change the URL and key of one); it gets aggregates with cells below 5
    /// withheld until `virion admin share` says otherwise.
    Add {
        #[command(flatten)]
        dir: NodeDir,
        /// The peer's name (as its `virion admin node show` prints it).
        #[arg(long)]
        name: String,
        /// The peer's public base URL.
        #[arg(long)]
        url: String,
        /// The peer's public key (as its `virion admin node show` prints it).
        #[arg(long)]
        key: String,
    },
    /// List the peers and what is shared with each.
    List {
        #[command(flatten)]
        dir: NodeDir,
    },
    /// Remove a peer: its requests are refused from now on.
    Remove {
        #[command(flatten)]
        dir: NodeDir,
        /// The peer's name.
        #[arg(long)]
        name: String,
    },
}

/// Flags of `virion admin share`.
#[derive(Debug, clap::Args)]
pub struct ShareArgs {
    #[command(flatten)]
    dir: NodeDir,
    /// The organism (or imported collection).
    #[arg(long)]
    organism: String,
    /// The peer.
    #[arg(long)]
    peer: String,
    /// records (rows, sequences and aggregates), aggregates (counts only, small cells
    /// withheld) or none.
    #[arg(long)]
    level: Level,
    /// At `aggregates`: groups counting fewer genomes than this are withheld.
    #[arg(long, default_value_t = 5)]
    min_cell: u64,
}

/// `virion admin mirror …`.
#[derive(Debug, Subcommand)]
pub enum MirrorCommand {
    /// Keep a read-only copy of a peer's released data of an organism, served here as its own
    /// collection (default name ORGANISM-PEER). `virion serve` syncs it every minute
    /// (`--mirror-every-ms`), resuming where it stopped; it needs the organism's dataset
    /// (`--dataset ORGANISM=DIR`) to index the copy.
    Add {
        #[command(flatten)]
        dir: NodeDir,
        /// The peer whose data is mirrored.
        #[arg(long)]
        peer: String,
        /// The organism at the peer (one it takes submissions for).
        #[arg(long)]
        organism: String,
        /// The local collection's name: queries go to /NAME/sample/….
        #[arg(long = "as")]
        local: Option<String>,
    },
    /// List the mirrors, with how far each copy goes.
    List {
        #[command(flatten)]
        dir: NodeDir,
    },
    /// Stop mirroring (the copy and its collection stay until their files are removed).
    Remove {
        #[command(flatten)]
        dir: NodeDir,
        /// The peer.
        #[arg(long)]
        peer: String,
        /// The organism at the peer.
        #[arg(long)]
        organism: String,
    },
}

/// Runs `virion admin mirror …`.
pub fn run_mirror(cmd: &MirrorCommand) -> Result<()> {
    use virion_federation::mirror::{Journal, journal_dir};
    match cmd {
        MirrorCommand::Add { dir: NodeDir { data_dir }, peer, organism, local } => {
            let mut peers = Peers::load(data_dir)?;
            let local = peers.add_mirror(peer, organism, local.as_deref())?;
            peers.save(data_dir)?;
            eprintln!(
                "mirroring {organism} of {peer} as {local}: `virion serve` copies it and answers /{local}/sample/…"
            );
        }
        MirrorCommand::List { dir: NodeDir { data_dir } } => {
            let peers = Peers::load(data_dir)?;
            let mut any = false;
            for (peer, organism, local) in peers.mirrors() {
                any = true;
                let state = Journal::new(journal_dir(data_dir, local)).state()?;
                let synced = state
                    .synced_at
                    .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
                    .map_or_else(|| "never".to_owned(), |t| t.to_rfc3339());
                println!(
                    "{local}	{}:{organism}	{} lines, releases up to {}	last synced {synced}",
                    peer.name, state.lines, state.last_release_seq
                );
            }
            if !any {
                eprintln!("no mirrors yet: virion admin mirror add --peer NAME --organism ORGANISM");
            }
        }
        MirrorCommand::Remove { dir: NodeDir { data_dir }, peer, organism } => {
            let mut peers = Peers::load(data_dir)?;
            let local = peers.remove_mirror(peer, organism)?;
            peers.save(data_dir)?;
            eprintln!(
                "no longer mirroring {organism} of {peer}; its copy stays in {} and index/{local}.vix until removed",
                journal_dir(data_dir, &local).display()
            );
        }
    }
    Ok(())
}

/// Runs `virion admin node …`.
pub fn run_node(cmd: &NodeCommand) -> Result<()> {
    match cmd {
        NodeCommand::Init { dir: NodeDir { data_dir }, name, url } => {
            let node = Identity::init(data_dir, name, url)?;
            eprintln!("node {} at {} (key in {})", node.name, node.url, data_dir.join("node").display());
            eprintln!(
                "give peers this line: virion admin peer add --name {} --url {} --key KEY",
                node.name, node.url
            );
            println!("{}", node.public_key());
        }
        NodeCommand::Show { dir: NodeDir { data_dir } } => {
            let node = Identity::load(data_dir)?;
            println!("name: {}\nurl:  {}\nkey:  {}", node.name, node.url, node.public_key());
        }
    }
    Ok(())
}

/// Runs `virion admin peer …`.
pub fn run_peer(cmd: &PeerCommand) -> Result<()> {
    match cmd {
        PeerCommand::Add { dir: NodeDir { data_dir }, name, url, key } => {
            let mut peers = Peers::load(data_dir)?;
            peers.add(name, url, key)?;
            peers.save(data_dir)?;
            eprintln!(
                "peer {name} added; it sees aggregates (cells below 5 withheld) until `virion admin share` says otherwise"
            );
        }
        PeerCommand::List { dir: NodeDir { data_dir } } => {
            let peers = Peers::load(data_dir)?;
            if peers.peers.is_empty() {
                eprintln!("no peers yet: virion admin peer add --name NAME --url URL --key KEY");
            }
            for p in &peers.peers {
                println!("{}\t{}\t{}", p.name, p.url, p.key);
                for (organism, share) in &p.shares {
                    println!("\t{organism}: {} (min cell {})", share.level, share.min_cell);
                }
                println!(
                    "\tother organisms: {} (min cell {})",
                    Share::default().level,
                    Share::default().min_cell
                );
            }
        }
        PeerCommand::Remove { dir: NodeDir { data_dir }, name } => {
            let mut peers = Peers::load(data_dir)?;
            peers.remove(name)?;
            peers.save(data_dir)?;
            eprintln!("peer {name} removed");
        }
    }
    Ok(())
}

/// Runs `virion admin share`.
pub fn run_share(args: &ShareArgs) -> Result<()> {
    let data_dir = &args.dir.data_dir;
    let mut peers = Peers::load(data_dir)?;
    peers.set_share(&args.peer, &args.organism, Share { level: args.level, min_cell: args.min_cell })?;
    peers.save(data_dir)?;
    eprintln!("this node now shares {} of {} with {}", args.level, args.organism, args.peer);
    Ok(())
}
