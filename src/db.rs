//! The connection pool, SQLite pragmas, migrations and the one helper that
//! moves blocking database work off the async executor.

use std::path::Path;
use std::time::Duration;

use actix_web::web;
use diesel::connection::SimpleConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool};
use diesel::SqliteConnection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::error::AppError;

pub type DbPool = Pool<ConnectionManager<SqliteConnection>>;

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");
/// The version of migrations/2026-11-26-000002_search.
const SEARCH_MIGRATION: &str = "20261126000002";

#[derive(Debug)]
struct Pragmas;

impl CustomizeConnection<SqliteConnection, diesel::r2d2::Error> for Pragmas {
    fn on_acquire(&self, conn: &mut SqliteConnection) -> Result<(), diesel::r2d2::Error> {
        conn.batch_execute(
            // busy_timeout first: switching a new file to WAL takes a lock
            // that the pool's other connections, opening at once, wait for.
            // A 2 MB page cache each (8 connections): the OS keeps the file
            // cached anyway, and it holds the server under 64 MB (bench/run).
            "PRAGMA busy_timeout = 5000;
             PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             PRAGMA foreign_keys = ON;
             PRAGMA cache_size = -2000;
             PRAGMA temp_store = MEMORY;",
        )
        .map_err(diesel::r2d2::Error::QueryError)
    }
}

/// Opens (creating if needed) and migrates the database, and seeds a fresh one
/// with its welcome post.
pub fn open(path: &Path) -> Result<DbPool, AppError> {
    let manager = ConnectionManager::<SqliteConnection>::new(path.to_string_lossy());
    let pool = Pool::builder()
        .max_size(8)
        .connection_timeout(Duration::from_secs(10))
        .connection_customizer(Box::new(Pragmas))
        .build(manager)?;
    let mut conn = pool.get()?;
    let fresh = !table_exists(&mut conn, "posts")?;
    let applied = conn
        .run_pending_migrations(MIGRATIONS)
        .map_err(|e| AppError::Internal(format!("migrations failed: {e}")))?;
    // SQL alone cannot turn markdown into plain text: the search migration
    // indexes bodies as they are, and this rewrites them once.
    if applied.iter().any(|v| v.to_string() == SEARCH_MIGRATION) {
        crate::models::search::reindex_all(&mut conn)?;
    }
    if fresh {
        crate::models::post::seed_welcome_post(&mut conn)?;
    }
    Ok(pool)
}

/// Runs `f` with a pooled connection on the blocking thread pool.
pub async fn run<T: Send + 'static>(
    pool: &DbPool,
    f: impl FnOnce(&mut SqliteConnection) -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    let pool = pool.clone();
    web::block(move || f(&mut *pool.get()?)).await?
}

fn table_exists(conn: &mut SqliteConnection, name: &str) -> Result<bool, AppError> {
    use diesel::prelude::*;
    use diesel::sql_types::{BigInt, Text};

    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let found: Count = diesel::sql_query(
        "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = ?",
    )
    .bind::<Text, _>(name)
    .get_result(conn)?;
    Ok(found.n > 0)
}

/// Writes a consistent copy of the live database (`VACUUM INTO`), safe while
/// the server runs.
pub fn backup(conn: &mut SqliteConnection, to: &Path) -> Result<(), AppError> {
    use diesel::RunQueryDsl;
    diesel::sql_query("VACUUM INTO ?")
        .bind::<diesel::sql_types::Text, _>(to.to_string_lossy().into_owned())
        .execute(conn)?;
    Ok(())
}
