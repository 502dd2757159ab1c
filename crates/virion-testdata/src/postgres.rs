//! A fresh PostgreSQL database per test, on the server named by `VIRION_TEST_POSTGRES_URL`
//! (default [`DEFAULT_POSTGRES_URL`]), dropped when the test is done.

use sqlx::Connection;

/// The server tests use when `VIRION_TEST_POSTGRES_URL` is unset: a local PostgreSQL with its
/// default `postgres` user.
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A database created for one test.
#[derive(Debug)]
pub struct PgTestDatabase {
    /// URL of the new database.
    pub url: String,
    admin: String,
    name: String,
}

impl PgTestDatabase {
    /// Creates an empty database, or returns `None` with a notice when the server is
    /// unreachable and `VIRION_REQUIRE_POSTGRES` is not 1 (then it panics: CI must not skip).
    pub async fn create() -> Option<PgTestDatabase> {
        let admin =
            std::env::var("VIRION_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_string());
        let mut conn = match sqlx::PgConnection::connect(&admin).await {
            Ok(c) => c,
            Err(e) => {
                if std::env::var("VIRION_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                    panic!("PostgreSQL required but unreachable at {admin}: {e}");
                }
                eprintln!("NOTICE: skipping the PostgreSQL variant: {admin}: {e}");
                return None;
            }
        };
        let name = format!("virion_t_{:016x}", rand::random::<u64>());
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .expect("CREATE DATABASE");
        conn.close().await.ok();
        let (base, _) = admin.rsplit_once('/').expect("the URL names a database");
        Some(PgTestDatabase { url: format!("{base}/{name}"), admin, name })
    }

    /// Drops the database (closing whatever is still connected to it).
    pub async fn drop_database(self) {
        let mut conn = sqlx::PgConnection::connect(&self.admin).await.expect("connect for DROP DATABASE");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE {} WITH (FORCE)", self.name)))
            .execute(&mut conn)
            .await
            .expect("DROP DATABASE");
    }
}
