//! Connecting to SQLite or PostgreSQL, migrations, the clock and transaction helpers.
//!
//! One `sqlx::AnyPool` carries both backends; queries use `$n` placeholders, which SQLite
//! accepts too. Only where the dialects must differ (accession numbers, job claiming,
//! release numbering) does code branch on [`Backend`].

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::migrate::Migrator;
use sqlx::{Any, AnyPool, Row, Transaction};

use crate::codec::{DEFAULT_LEVEL, SequenceCodec};
use crate::error::{Result, StoreError};
use crate::model::{GroupId, OrganismId, UserId};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// File name of the SQLite database inside a data directory.
pub const SQLITE_FILE: &str = "virion.sqlite";

/// The database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite, one file in the data directory (the default).
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// Source of "now"; replaceable so tests can move time (lease expiry, terms opening).
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// Handle on the hub's database. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    pub(crate) pool: AnyPool,
    pub(crate) backend: Backend,
    clock: Clock,
    codecs: Arc<Mutex<HashMap<OrganismId, Arc<SequenceCodec>>>>,
    /// Set on a handle made by [`Store::keyed`]: the request's key, recorded by the next
    /// approve, revise or revoke in its own transaction.
    pub(crate) action_key: Option<Arc<crate::submit::PendingKey>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("backend", &self.backend).finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (creating if needed) the SQLite database `virion.sqlite` in `data_dir`.
    pub async fn open_data_dir(data_dir: &Path) -> Result<Store> {
        std::fs::create_dir_all(data_dir)
            .map_err(|source| StoreError::DataDir { path: data_dir.display().to_string(), source })?;
        let file = std::path::absolute(data_dir.join(SQLITE_FILE))
            .map_err(|source| StoreError::DataDir { path: data_dir.display().to_string(), source })?;
        make_private(data_dir, true)?;
        if !file.exists() {
            // Created empty and private before SQLite opens it: SQLite gives its journal and
            // WAL files the main file's permissions, so they are private too.
            std::fs::File::create(&file)
                .map_err(|source| StoreError::DataDir { path: file.display().to_string(), source })?;
        }
        make_private(&file, false)?;
        Store::connect(&format!("sqlite://{}", file.display())).await
    }

    /// Connects to `sqlite://PATH` (file created if missing) or `postgres://…`, and brings the
    /// schema up to date with the embedded migrations.
    pub async fn connect(url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl(url.to_string()));
        };
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}mode=rwc")
            }
            _ => url.to_string(),
        };
        let options = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 8 } else { 16 })
            .acquire_timeout(Duration::from_secs(60))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers run beside the one writer; NORMAL sync is durable
                        // in WAL mode except for the last commits on power loss.
                        sqlx::raw_sql(
                            "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; \
                             PRAGMA busy_timeout = 30000; PRAGMA synchronous = NORMAL;",
                        )
                        .execute(&mut *conn)
                        .await?;
                    }
                    Ok(())
                })
            });
        let pool = options.connect(&url).await?;
        match backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&pool).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&pool).await?,
        }
        Ok(Store {
            pool,
            backend,
            clock: Arc::new(Utc::now),
            codecs: Arc::new(Mutex::new(HashMap::new())),
            action_key: None,
        })
    }

    /// The same store reading time from `clock`.
    pub fn with_clock(mut self, clock: Clock) -> Store {
        self.clock = clock;
        self
    }

    /// The database this store runs on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The underlying pool, for diagnostics and tests. Writes through it bypass the API's
    /// checks (the database triggers still hold).
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The newest schema migration applied to this database.
    pub async fn schema_version(&self) -> Result<i64> {
        let row = sqlx::query("SELECT MAX(version) FROM _sqlx_migrations WHERE success = TRUE")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get::<Option<i64>, _>(0)?.unwrap_or(0))
    }

    /// The newest schema migration this build of Virion knows for `backend`: a database
    /// migrated past it was written by a newer Virion.
    pub fn known_schema_version(backend: Backend) -> i64 {
        let migrator = match backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.iter().map(|m| m.version).max().unwrap_or(0)
    }

    /// Writes a consistent copy of the SQLite database to `dest` (which must not exist) while
    /// the store stays in use: `VACUUM INTO` reads one snapshot of the database, so writers
    /// carry on and the copy holds exactly the commits before it started. PostgreSQL is
    /// backed up with its own tools (`pg_dump`).
    pub async fn snapshot_sqlite_into(&self, dest: &Path) -> Result<()> {
        if self.backend != Backend::Sqlite {
            return Err(StoreError::Unsupported(
                "a copy of the database by Virion (use pg_dump for PostgreSQL)",
            ));
        }
        let dest = dest.to_str().ok_or_else(|| StoreError::DataDir {
            path: dest.display().to_string(),
            source: std::io::Error::other("the path is not UTF-8"),
        })?;
        sqlx::query("VACUUM INTO $1").bind(dest.to_owned()).execute(&self.pool).await?;
        Ok(())
    }

    /// Closes every pooled connection, waiting for them to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    pub(crate) fn now_ms(&self) -> i64 {
        self.now().timestamp_millis()
    }

    /// Today's date by the store's clock (data use terms are judged against it).
    pub fn today(&self) -> NaiveDate {
        self.now().date_naive()
    }

    /// A transaction that will write. SQLite takes the write lock at BEGIN so that a
    /// read-then-write transaction cannot fail to upgrade its snapshot.
    /// Refreshes the query planner's statistics after a bulk change (a large submission, a
    /// reprocessing queue). Without them PostgreSQL may plan a point update of one version
    /// as a scan over a million rows sharing its status (autovacuum may be off, or late).
    /// Runs after the change is committed, so a failure here is only logged: the change stands.
    pub(crate) async fn refresh_statistics(&self, tables: &[&str]) {
        let sql = match self.backend {
            Backend::Postgres => format!("ANALYZE {}", tables.join(", ")),
            Backend::Sqlite => "PRAGMA optimize".to_owned(),
        };
        if let Err(e) = sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&self.pool).await {
            tracing::warn!(error = %e, "refreshing planner statistics failed; queries may be slow until the next ANALYZE");
        }
    }

    pub(crate) async fn begin_write(&self) -> Result<Transaction<'static, Any>> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// The organism's codec, built once from its reference.
    pub(crate) async fn codec(&self, organism: OrganismId) -> Result<Arc<SequenceCodec>> {
        if let Some(c) = self.codecs.lock().expect("codec cache poisoned").get(&organism) {
            return Ok(c.clone());
        }
        let row = sqlx::query("SELECT reference FROM organisms WHERE id = $1")
            .bind(organism.0)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound { what: "organism", key: organism.0.to_string() })?;
        let reference: Vec<u8> = row.try_get(0)?;
        let codec = Arc::new(SequenceCodec::new(&reference, DEFAULT_LEVEL));
        self.codecs.lock().expect("codec cache poisoned").insert(organism, codec.clone());
        Ok(codec)
    }
}

/// One row of the audit log to append.
#[derive(Debug)]
pub(crate) struct AuditEntry<'a> {
    pub user: Option<UserId>,
    pub action: &'a str,
    pub group: Option<GroupId>,
    pub accession: Option<&'a str>,
    pub version: Option<i64>,
    pub detail: String,
}

impl<'a> AuditEntry<'a> {
    /// An entry about `user`'s account itself (no group, entry or version).
    pub(crate) fn account(user: UserId, action: &'a str, detail: String) -> AuditEntry<'a> {
        AuditEntry { user: Some(user), action, group: None, accession: None, version: None, detail }
    }
}

pub(crate) async fn audit(tx: &mut Transaction<'static, Any>, at: i64, e: AuditEntry<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (at, user_id, action, group_id, accession, version, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(at)
    .bind(e.user.map(|u| u.0))
    .bind(e.action)
    .bind(e.group.map(|g| g.0))
    .bind(e.accession)
    .bind(e.version)
    .bind(e.detail)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Maps a unique-constraint violation to `AlreadyExists`.
pub(crate) fn unique_as_exists(e: sqlx::Error, what: &'static str, key: &str) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StoreError::AlreadyExists { what, key: key.to_string() }
        }
        _ => StoreError::Database(e),
    }
}

pub(crate) fn get<'r, T>(row: &'r AnyRow, column: &str) -> Result<T>
where
    T: sqlx::Decode<'r, Any> + sqlx::Type<Any>,
{
    Ok(row.try_get(column)?)
}

/// `INSERT INTO table (cols) VALUES ($1, …), (…)` for `rows` rows.
pub(crate) fn multi_insert_sql(table_and_columns: &str, columns: usize, rows: usize) -> String {
    let mut sql = format!("INSERT INTO {table_and_columns} VALUES ");
    let mut n = 1;
    for r in 0..rows {
        if r > 0 {
            sql.push(',');
        }
        sql.push('(');
        for c in 0..columns {
            if c > 0 {
                sql.push(',');
            }
            sql.push('$');
            sql.push_str(&n.to_string());
            n += 1;
        }
        sql.push(')');
    }
    sql
}

/// Makes a data directory (`dir`: owner may list and enter) or a database file readable and
/// writable by the service's user alone: genomes under embargo, password hashes and tokens
/// live there.
fn make_private(path: &Path, dir: bool) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = if dir { 0o700 } else { 0o600 };
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .map_err(|source| StoreError::DataDir { path: path.display().to_string(), source })?;
    }
    #[cfg(not(unix))]
    let _ = (path, dir);
    Ok(())
}
