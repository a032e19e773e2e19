//! A fresh, empty database per test, for either backend, from which a test opens as many
//! store handles as it needs (several handles on one database stand for several servers).
//!
//! - SQLite: a file in a temporary folder, removed afterwards.
//! - PostgreSQL: a new schema with a random name in the database named by `CHATREC_PG_URL`
//!   (default `postgres://postgres@127.0.0.1:5432/test`); handles reach it through the URL's
//!   `options=-c search_path=…`, so tests run in parallel without seeing each other. The
//!   schema is dropped afterwards, also when the test fails.
//!
//! PostgreSQL unreachable fails the test with instructions, unless `CHATREC_SKIP_PG=1`.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chatrec_store::{Store, StoreResult};
use rand::Rng;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection};

const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

pub enum Fixture {
    Sqlite {
        _dir: tempfile::TempDir,
        url: String,
    },
    Postgres {
        admin_url: String,
        schema: String,
        url: String,
        dropped: bool,
    },
}

impl Fixture {
    pub async fn sqlite() -> Fixture {
        let dir = tempfile::tempdir().expect("temporary folder");
        // A nested path: opening must create the missing folders.
        let path = dir.path().join("nested").join("chatrec.db");
        Fixture::Sqlite {
            url: format!("sqlite://{}", path.display()),
            _dir: dir,
        }
    }

    /// `None` only when `CHATREC_SKIP_PG=1`.
    pub async fn postgres() -> Option<Fixture> {
        if std::env::var("CHATREC_SKIP_PG").as_deref() == Ok("1") {
            eprintln!("CHATREC_SKIP_PG=1: skipping the PostgreSQL half of this test");
            return None;
        }
        let admin_url = std::env::var("CHATREC_PG_URL").unwrap_or_else(|_| DEFAULT_PG_URL.into());
        let mut admin = admin_connection(&admin_url).await.unwrap_or_else(|error| {
            panic!(
                "PostgreSQL is not reachable at {admin_url}: {error}\n\
                 Start it (`.ci/run` does: pg_ctlcluster --skip-systemctl-redirect \
                 $(ls /etc/postgresql) main start), point CHATREC_PG_URL at a server, \
                 or set CHATREC_SKIP_PG=1 to skip the PostgreSQL tests."
            )
        });
        let schema = format!("chatrec_test_{:016x}", rand::thread_rng().gen::<u64>());
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .execute(&mut admin)
            .await
            .expect("create test schema");
        admin.close().await.ok();
        let separator = if admin_url.contains('?') { '&' } else { '?' };
        let url = format!("{admin_url}{separator}options=-c%20search_path%3D{schema}");
        Some(Fixture::Postgres {
            admin_url,
            schema,
            url,
            dropped: false,
        })
    }

    /// The URL `chatrec_store::open` gets.
    pub fn url(&self) -> &str {
        match self {
            Fixture::Sqlite { url, .. } | Fixture::Postgres { url, .. } => url,
        }
    }

    /// A new store handle on this fixture's database (as a separate server would open it).
    pub async fn open(&self) -> Arc<dyn Store> {
        self.try_open().await.expect("open store")
    }

    pub async fn try_open(&self) -> StoreResult<Arc<dyn Store>> {
        chatrec_store::open(self.url()).await
    }

    /// Drops the PostgreSQL schema (the temporary SQLite folder goes on drop).
    pub async fn cleanup(mut self) {
        if let Fixture::Postgres {
            admin_url,
            schema,
            dropped,
            ..
        } = &mut self
        {
            drop_schema(admin_url, schema).await;
            *dropped = true;
        }
    }
}

async fn admin_connection(url: &str) -> Result<PgConnection, sqlx::Error> {
    let options = PgConnectOptions::from_str(url)?;
    tokio::time::timeout(Duration::from_secs(10), options.connect())
        .await
        .map_err(|_| sqlx::Error::PoolTimedOut)?
}

async fn drop_schema(admin_url: &str, schema: &str) {
    let result = async {
        let mut admin = admin_connection(admin_url).await?;
        // A failed test may leave a connection mid-transaction for a moment: wait a little
        // for its locks rather than forever.
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "SET lock_timeout = '20s'; DROP SCHEMA IF EXISTS {schema} CASCADE"
        )))
        .execute(&mut admin)
        .await?;
        admin.close().await
    }
    .await;
    if let Err(error) = result {
        eprintln!("could not drop test schema {schema}: {error}");
    }
}

impl Drop for Fixture {
    /// After a failed test, still drops the schema, from a thread of its own (this one may
    /// be inside the test's runtime).
    fn drop(&mut self) {
        if let Fixture::Postgres {
            admin_url,
            schema,
            dropped: false,
            ..
        } = self
        {
            let (admin_url, schema) = (admin_url.clone(), schema.clone());
            let cleanup = std::thread::spawn(move || {
                match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime.block_on(drop_schema(&admin_url, &schema)),
                    Err(error) => eprintln!("could not drop test schema {schema}: {error}"),
                }
            });
            cleanup.join().ok();
        }
    }
}
