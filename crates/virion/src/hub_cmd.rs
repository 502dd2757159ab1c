//! `virion serve`, `virion worker` and `virion admin …`: the hub on this machine's database.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use virion_server::run::{HubOptions, default_data_dir, serve, shutdown_signal, work};
use virion_store::Store;

/// Where the hub's state lives (every database-touching command takes these).
#[derive(Debug, Args)]
pub struct DbArgs {
    /// Data directory (SQLite database, upload staging).
    #[arg(long, default_value = default_data_dir().as_os_str())]
    pub data_dir: PathBuf,
    /// Database URL (sqlite://… or postgres://…); default: SQLite in the data directory.
    #[arg(long, env = "VIRION_DATABASE_URL")]
    pub database_url: Option<String>,
}

/// Which organisms the hub serves and how it processes them (`serve` and `worker`).
#[derive(Debug, Args)]
pub struct OrganismArgs {
    /// Extra organism configs: every *.toml in this directory (added to the built-in ones).
    #[arg(long)]
    pub organisms: Option<PathBuf>,
    /// Nextclade dataset of an organism, as ORGANISM=DIR (repeatable); for a segmented organism, DIR
    /// holds its segments' datasets, named as its config names them.
    #[arg(long = "dataset", value_parser = parse_pair)]
    pub datasets: Vec<(String, PathBuf)>,
    /// Directory of Nextclade datasets named as the organism configs name them.
    #[arg(long)]
    pub dataset_dir: Option<PathBuf>,
    /// Processing tasks (default: one per CPU).
    #[arg(long)]
    pub workers: Option<usize>,
    /// Pango alias table (alias_key.json from pango-designation) so lineage queries such as
    /// `BA.2*` include aliased sublineages (JN.1, …).
    #[arg(long)]
    pub pango_aliases: Option<PathBuf>,
    /// Seconds a worker holds a claimed job; a job whose worker died is retried after this.
    #[arg(long, default_value_t = virion_worker::DEFAULT_LEASE.as_secs())]
    pub job_lease_secs: u64,
}

fn parse_pair(text: &str) -> Result<(String, PathBuf), String> {
    let (organism, dir) = text.split_once('=').ok_or_else(|| format!("{text:?} is not ORGANISM=DIR"))?;
    Ok((organism.to_owned(), PathBuf::from(dir)))
}

/// Flags of `virion serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    db: DbArgs,
    #[command(flatten)]
    organisms: OrganismArgs,
    /// Address to listen on (port 0: any free port; the address is printed).
    #[arg(long, default_value = "127.0.0.1:8080")]
    bind: String,
    /// Milliseconds a federated answer waits for the nodes; a later node makes it incomplete.
    #[arg(long, default_value_t = 20_000)]
    federation_deadline_ms: u64,
    /// Milliseconds between syncs of the node's mirrors of peers' released data.
    #[arg(long, default_value_t = 60_000)]
    mirror_every_ms: u64,
    /// Most bytes of one submission's files as uploaded (compressed or not).
    #[arg(long, default_value_t = virion_server::UploadLimits::default().upload_bytes)]
    max_upload_bytes: u64,
    /// Most bytes of one submitted file once decompressed.
    #[arg(long, default_value_t = virion_server::UploadLimits::default().decompressed_bytes)]
    max_decompressed_bytes: u64,
    /// Most records (genomes, metadata rows) in one submission.
    #[arg(long, default_value_t = virion_server::UploadLimits::default().records)]
    max_records: u64,
    /// LAPIS questions per second one client may ask on average (anonymous: per address;
    /// logged in: four times as many, per user).
    #[arg(long, default_value_t = 50.0)]
    query_rate: f64,
    /// LAPIS questions one client may ask at once before the rate applies.
    #[arg(long, default_value_t = 300.0)]
    query_burst: f64,
    /// Single sign-on: a TOML file naming an OpenID Connect provider (issuer, client id,
    /// redirect URL) and which of its group claims grant which role in which group (see the
    /// README). The client secret may instead be in VIRION_OIDC_CLIENT_SECRET.
    #[arg(long)]
    sso_config: Option<PathBuf>,
    /// The node's DCAT-AP catalogue (/catalog): a TOML file naming its public URL, publisher,
    /// contact point and licence (see the README).
    #[arg(long)]
    catalog_config: Option<PathBuf>,
    /// A submitted genome may be at most this many times its reference's length.
    #[arg(long, default_value_t = virion_server::UploadLimits::default().record_reference_factor)]
    max_record_reference_factor: u64,
}

/// Flags of `virion worker`.
#[derive(Debug, Args)]
pub struct WorkerArgs {
    #[command(flatten)]
    db: DbArgs,
    #[command(flatten)]
    organisms: OrganismArgs,
}

fn options(db: &DbArgs, o: &OrganismArgs, federation_deadline: Option<std::time::Duration>) -> HubOptions {
    // `virion worker` syncs no mirrors; `run_serve` sets how often `serve` does.
    HubOptions {
        data_dir: db.data_dir.clone(),
        database_url: db.database_url.clone(),
        organisms_dir: o.organisms.clone(),
        datasets: o.datasets.clone(),
        dataset_dir: o.dataset_dir.clone(),
        job_lease: std::time::Duration::from_secs(o.job_lease_secs.max(1)),
        pango_aliases: o.pango_aliases.clone(),
        federation_deadline,
        mirror_every: None,
        upload_limits: virion_server::UploadLimits::default(),
        client_rate: virion_server::ClientRate::default(),
        sso: None,
        catalog: None,
    }
}

fn worker_count(o: &OrganismArgs) -> usize {
    o.workers.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the async runtime")
}

/// `virion serve`: the HTTP API and a worker pool until Ctrl-C or SIGTERM; prints the address
/// once it listens.
pub fn run_serve(args: &ServeArgs) -> Result<()> {
    let deadline = std::time::Duration::from_millis(args.federation_deadline_ms.max(1));
    let sso = args.sso_config.as_deref().map(virion_oidc::SsoConfig::from_file).transpose()?;
    let catalog =
        args.catalog_config.as_deref().map(virion_server::catalog::CatalogSettings::load).transpose()?;
    let options = HubOptions {
        sso,
        catalog,
        mirror_every: Some(std::time::Duration::from_millis(args.mirror_every_ms.max(100))),
        upload_limits: virion_server::UploadLimits {
            upload_bytes: args.max_upload_bytes,
            decompressed_bytes: args.max_decompressed_bytes,
            records: args.max_records.max(1),
            record_reference_factor: args.max_record_reference_factor.max(1),
            ..virion_server::UploadLimits::default()
        },
        client_rate: virion_server::ClientRate {
            per_second: args.query_rate.max(0.01),
            burst: args.query_burst.max(1.0),
        },
        ..options(&args.db, &args.organisms, Some(deadline))
    };
    runtime()?.block_on(async {
        let listener = tokio::net::TcpListener::bind(&args.bind)
            .await
            .with_context(|| format!("cannot listen on {}", args.bind))?;
        // Printed (not only logged) so that scripts started with port 0 can find the server.
        let ready = |address| {
            println!("virion hub listening on http://{address}");
            let _ = std::io::stdout().flush();
        };
        serve(&options, listener, worker_count(&args.organisms), ready, shutdown_signal()).await?;
        Ok(())
    })
}

/// `virion worker`: processing workers only, until Ctrl-C or SIGTERM.
pub fn run_worker(args: &WorkerArgs) -> Result<()> {
    let options = options(&args.db, &args.organisms, None);
    runtime()?.block_on(async { Ok(work(&options, worker_count(&args.organisms), shutdown_signal()).await?) })
}

/// `virion admin …`: accounts, groups, tokens and checks, straight on the hub's database.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a local account; the password is read from the first line of stdin (empty:
    /// token-only account).
    CreateUser {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        name: String,
        /// Instance administrator (may do everything in every group).
        #[arg(long)]
        admin: bool,
    },
    /// Create a group owned (as curator) by an existing user.
    CreateGroup {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        name: String,
        #[arg(long)]
        owner: String,
    },
    /// Create an API token for a user and print it (it is stored hashed: this is the only copy).
    CreateToken {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        user: String,
        /// A label for the token.
        #[arg(long, default_value = "cli")]
        label: String,
    },
    /// Give a user a role (submitter, curator, consumer) in a group, as the group's owner would.
    SetRole {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        group: String,
        #[arg(long)]
        user: String,
        #[arg(long)]
        role: String,
    },
    /// This node's identity in a federation: `init` (name, URL, key pair), `show`.
    #[command(subcommand)]
    Node(crate::node_cmd::NodeCommand),
    /// The node's peers: `add`, `list`, `remove`.
    #[command(subcommand)]
    Peer(crate::node_cmd::PeerCommand),
    /// What this node shares of an organism with a peer: records, aggregates or none.
    Share(crate::node_cmd::ShareArgs),
    /// Keep read-only copies of peers' released data: add, list, remove.
    #[command(subcommand)]
    Mirror(crate::node_cmd::MirrorCommand),
    /// Copy the node's state (database, query indexes, identity, mirrors) into a new directory
    /// while it keeps running. On PostgreSQL the database is copied with pg_dump (see the
    /// README) after this command.
    Backup {
        #[command(flatten)]
        db: DbArgs,
        /// The new directory to write the backup to.
        #[arg(long)]
        out: PathBuf,
    },
    /// Check a backup and restore it into a data directory that holds no database yet, then
    /// check the restored store's invariants.
    Restore {
        #[command(flatten)]
        db: DbArgs,
        /// The backup directory (written by `virion admin backup`).
        #[arg(long)]
        from: PathBuf,
    },
    /// Check the store's invariants (every acknowledged entry stored, statuses consistent with
    /// jobs and results); exits non-zero and lists what is broken.
    Verify {
        #[command(flatten)]
        db: DbArgs,
        /// Also decompress every stored sequence (reads them all).
        #[arg(long)]
        deep: bool,
    },
}

async fn open(db: &DbArgs) -> Result<Store> {
    let store = match &db.database_url {
        Some(url) => Store::connect(url).await?,
        None => Store::open_data_dir(&db.data_dir).await?,
    };
    Ok(store)
}

/// Runs one `virion admin` command.
pub fn run_admin(cmd: &AdminCommand) -> Result<()> {
    match cmd {
        AdminCommand::Node(c) => return crate::node_cmd::run_node(c),
        AdminCommand::Peer(c) => return crate::node_cmd::run_peer(c),
        AdminCommand::Share(a) => return crate::node_cmd::run_share(a),
        AdminCommand::Mirror(c) => return crate::node_cmd::run_mirror(c),
        _ => {}
    }
    runtime()?.block_on(async {
        match cmd {
            AdminCommand::CreateUser { db, name, admin } => {
                let mut password = String::new();
                std::io::stdin()
                    .lock()
                    .read_line(&mut password)
                    .context("reading the password from stdin")?;
                let password = password.trim_end_matches(['\r', '\n']);
                let store = open(db).await?;
                let id = store.create_user(name, (!password.is_empty()).then_some(password), *admin).await?;
                eprintln!("created user {name} ({id})");
                store.close().await;
            }
            AdminCommand::CreateGroup { db, name, owner } => {
                let store = open(db).await?;
                let owner = store.user_by_name(owner).await?;
                let id = store.create_group(name, owner.id).await?;
                eprintln!("created group {name} ({id}), curator {}", owner.name);
                store.close().await;
            }
            AdminCommand::CreateToken { db, user, label } => {
                let store = open(db).await?;
                let user = store.user_by_name(user).await?;
                let (_, token) = store.create_token(user.id, label).await?;
                println!("{token}");
                store.close().await;
            }
            AdminCommand::SetRole { db, group, user, role } => {
                let Some(role) = virion_store::Role::parse(role) else {
                    bail!("role {role:?} is not one of submitter, curator, consumer");
                };
                let store = open(db).await?;
                let group_id = store.group_by_name(group).await?;
                let member = store.user_by_name(user).await?;
                // The group's first curator acts, as the owner would through the API.
                let owner = store
                    .memberships(None, Some(group_id))
                    .await?
                    .into_iter()
                    .find(|m| m.role == virion_store::Role::Curator)
                    .with_context(|| format!("group {group} has no curator"))?;
                store.set_role(owner.user, group_id, member.id, role).await?;
                eprintln!("{user} is now {} of {group}", role.as_str());
                store.close().await;
            }
            AdminCommand::Node(_)
            | AdminCommand::Peer(_)
            | AdminCommand::Share(_)
            | AdminCommand::Mirror(_) => {
                unreachable!("answered above, without the runtime")
            }
            AdminCommand::Backup { db, out } => {
                let store = open(db).await?;
                let started = std::time::Instant::now();
                eprintln!("backing up {} to {} …", db.data_dir.display(), out.display());
                let report = virion_server::backup::backup(&store, &db.data_dir, out).await?;
                store.close().await;
                eprintln!(
                    "backup complete: {} files, {:.1} MiB in {:.1} s; {} lists them with their SHA-256",
                    report.manifest.files.len(),
                    report.bytes as f64 / (1 << 20) as f64,
                    started.elapsed().as_secs_f64(),
                    out.join(virion_server::backup::MANIFEST).display()
                );
                if report.manifest.database == "postgres" {
                    eprintln!(
                        "the database is PostgreSQL: copy it now with\n  pg_dump --format=custom --file={} \"$VIRION_DATABASE_URL\"",
                        out.join("virion.pgdump").display()
                    );
                }
            }
            AdminCommand::Restore { db, from } => {
                let manifest = virion_server::backup::read_manifest(from)?;
                if manifest.database == "sqlite" && db.database_url.is_some() {
                    bail!(
                        "the backup holds a SQLite database, restored into --data-dir; drop --database-url (or VIRION_DATABASE_URL)"
                    );
                }
                eprintln!("checking {} and restoring it into {} …", from.display(), db.data_dir.display());
                let manifest = virion_server::backup::restore(from, &db.data_dir)?;
                eprintln!(
                    "restored {} files of the backup made {} by Virion {}",
                    manifest.files.len(),
                    manifest.created_at,
                    manifest.virion_version
                );
                if manifest.database == "postgres" {
                    eprintln!(
                        "the backup's database is PostgreSQL: restore it with\n  pg_restore --clean --if-exists --dbname=\"$VIRION_DATABASE_URL\" {}",
                        from.join("virion.pgdump").display()
                    );
                    return Ok(());
                }
                // Opening brings an older backup's schema up to date; verify proves it whole.
                let store = open(db).await?;
                let found = store.verify(false).await?;
                store.close().await;
                if !found.is_empty() {
                    for problem in &found {
                        println!("{problem}");
                    }
                    bail!("the restored store has {} broken invariant(s)", found.len());
                }
                eprintln!("restored store consistent: `virion serve --data-dir {}` serves it", db.data_dir.display());
            }
            AdminCommand::Verify { db, deep } => {
                let store = open(db).await?;
                let found = store.verify(*deep).await?;
                store.close().await;
                if !found.is_empty() {
                    for problem in &found {
                        println!("{problem}");
                    }
                    bail!("{} invariant(s) broken; the rows above need an operator's look", found.len());
                }
                eprintln!("store consistent{}", if *deep { " (every sequence decompressed)" } else { "" });
            }
        }
        Ok(())
    })
}
