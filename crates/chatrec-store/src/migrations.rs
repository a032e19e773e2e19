//! Versioned schema migrations: a small runner instead of `sqlx::migrate!`, which needs
//! sqlx's proc-macro crate (a large build) for what is a short loop.
//!
//! Each backend has its own list of SQL files (`migrations/<backend>/NNNN_name.sql`),
//! embedded in the binary. The table `schema_version` records each applied migration with
//! the SHA-256 of its SQL. On every open the runner, inside one transaction that holds the
//! database's write lock (SQLite `BEGIN IMMEDIATE`, a PostgreSQL advisory lock per schema):
//! - refuses a database migrated by a newer build (a version it does not know);
//! - refuses a database whose applied migration's SQL differs from this build's (an edited
//!   migration: fix by adding a new one instead);
//! - applies the missing migrations in order, each with its `schema_version` row.
//!
//! Re-running is a no-op, and servers starting together do not race: the second waits for
//! the lock and then finds nothing to do.

use sqlx::{PgPool, SqlitePool};

use crate::artifact::sha256_hex;
use crate::error::{StoreError, StoreResult};
use crate::types::now_ms;

/// One schema change.
#[derive(Debug)]
pub(crate) struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

pub(crate) const SQLITE_MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "init",
        sql: include_str!("../migrations/sqlite/0001_init.sql"),
    },
    Migration {
        version: 2,
        name: "data_revision",
        sql: include_str!("../migrations/sqlite/0002_data_revision.sql"),
    },
];

pub(crate) const POSTGRES_MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "init",
        sql: include_str!("../migrations/postgres/0001_init.sql"),
    },
    Migration {
        version: 2,
        name: "data_revision",
        sql: include_str!("../migrations/postgres/0002_data_revision.sql"),
    },
];

/// The schema version this build brings a database to.
pub(crate) fn latest_version(migrations: &[Migration]) -> i64 {
    migrations.last().map_or(0, |migration| migration.version)
}

fn checksum(sql: &str) -> String {
    sha256_hex(sql.as_bytes())
}

/// The migrations still to apply, given the `(version, checksum)` rows already applied.
fn pending<'a>(
    known: &'a [Migration],
    applied: &[(i64, String)],
) -> StoreResult<Vec<&'a Migration>> {
    let supported = latest_version(known);
    for (version, applied_checksum) in applied {
        match known.iter().find(|migration| migration.version == *version) {
            None if *version > supported => {
                return Err(StoreError::SchemaTooNew {
                    found: *version,
                    supported,
                })
            }
            None => {
                return Err(StoreError::Migration(format!(
                    "database has migration {version}, which this build does not know"
                )))
            }
            Some(migration) if checksum(migration.sql) != *applied_checksum => {
                return Err(StoreError::Migration(format!(
                    "migration {version} ({}) was changed after it was applied; \
                     add a new migration instead of editing an applied one",
                    migration.name
                )))
            }
            Some(_) => {}
        }
    }
    Ok(known
        .iter()
        .filter(|migration| {
            !applied
                .iter()
                .any(|(version, _)| *version == migration.version)
        })
        .collect())
}

fn failed(migration: &Migration, error: sqlx::Error) -> StoreError {
    StoreError::Migration(format!(
        "applying migration {} ({}): {error}",
        migration.version, migration.name
    ))
}

const SQLITE_SCHEMA_VERSION_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_version (
    version        INTEGER PRIMARY KEY NOT NULL,
    name           TEXT    NOT NULL,
    checksum       TEXT    NOT NULL,
    applied_at_ms  INTEGER NOT NULL
)";

const POSTGRES_SCHEMA_VERSION_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_version (
    version        BIGINT  PRIMARY KEY,
    name           TEXT    NOT NULL,
    checksum       TEXT    NOT NULL,
    applied_at_ms  BIGINT  NOT NULL
)";

/// Brings a SQLite database to the latest schema; returns the number of migrations applied.
pub(crate) async fn migrate_sqlite(pool: &SqlitePool) -> StoreResult<usize> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    sqlx::query(SQLITE_SCHEMA_VERSION_TABLE)
        .execute(&mut *tx)
        .await?;
    let applied: Vec<(i64, String)> =
        sqlx::query_as("SELECT version, checksum FROM schema_version ORDER BY version")
            .fetch_all(&mut *tx)
            .await?;
    let to_apply = pending(SQLITE_MIGRATIONS, &applied)?;
    for migration in &to_apply {
        sqlx::raw_sql(migration.sql)
            .execute(&mut *tx)
            .await
            .map_err(|error| failed(migration, error))?;
        sqlx::query(
            "INSERT INTO schema_version (version, name, checksum, applied_at_ms) \
             VALUES (?, ?, ?, ?)",
        )
        .bind(migration.version)
        .bind(migration.name)
        .bind(checksum(migration.sql))
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(to_apply.len())
}

/// Brings the PostgreSQL schema first on the search_path to the latest version; returns
/// the number of migrations applied.
pub(crate) async fn migrate_postgres(pool: &PgPool) -> StoreResult<usize> {
    let mut tx = pool.begin().await?;
    // One lock per schema, so that test schemas migrate in parallel while servers sharing
    // a schema take turns. Released at commit or rollback.
    sqlx::query(
        "SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.chatrec_migrations'))",
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query(POSTGRES_SCHEMA_VERSION_TABLE)
        .execute(&mut *tx)
        .await?;
    let applied: Vec<(i64, String)> =
        sqlx::query_as("SELECT version, checksum FROM schema_version ORDER BY version")
            .fetch_all(&mut *tx)
            .await?;
    let to_apply = pending(POSTGRES_MIGRATIONS, &applied)?;
    for migration in &to_apply {
        sqlx::raw_sql(migration.sql)
            .execute(&mut *tx)
            .await
            .map_err(|error| failed(migration, error))?;
        sqlx::query(
            "INSERT INTO schema_version (version, name, checksum, applied_at_ms) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(migration.version)
        .bind(migration.name)
        .bind(checksum(migration.sql))
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(to_apply.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: &[Migration] = &[
        Migration {
            version: 1,
            name: "one",
            sql: "CREATE TABLE a (x INTEGER)",
        },
        Migration {
            version: 2,
            name: "two",
            sql: "CREATE TABLE b (x INTEGER)",
        },
    ];

    #[test]
    fn fresh_database_gets_every_migration() -> StoreResult<()> {
        let versions: Vec<i64> = pending(KNOWN, &[])?.iter().map(|m| m.version).collect();
        assert_eq!(versions, vec![1, 2]);
        Ok(())
    }

    #[test]
    fn applied_migrations_are_skipped() -> StoreResult<()> {
        let applied = vec![(1, checksum(KNOWN[0].sql))];
        let versions: Vec<i64> = pending(KNOWN, &applied)?
            .iter()
            .map(|m| m.version)
            .collect();
        assert_eq!(versions, vec![2]);
        Ok(())
    }

    #[test]
    fn edited_migration_is_refused() {
        let applied = vec![(1, checksum("CREATE TABLE a (y TEXT)"))];
        assert!(matches!(
            pending(KNOWN, &applied),
            Err(StoreError::Migration(message)) if message.contains("changed")
        ));
    }

    #[test]
    fn newer_database_is_refused() {
        let applied = vec![
            (1, checksum(KNOWN[0].sql)),
            (2, checksum(KNOWN[1].sql)),
            (3, "whatever".to_string()),
        ];
        assert!(matches!(
            pending(KNOWN, &applied),
            Err(StoreError::SchemaTooNew {
                found: 3,
                supported: 2
            })
        ));
    }

    #[test]
    fn migration_lists_are_in_order() {
        for list in [SQLITE_MIGRATIONS, POSTGRES_MIGRATIONS] {
            for (index, migration) in list.iter().enumerate() {
                assert_eq!(migration.version, index as i64 + 1);
            }
        }
        assert_eq!(
            latest_version(SQLITE_MIGRATIONS),
            latest_version(POSTGRES_MIGRATIONS)
        );
    }
}
