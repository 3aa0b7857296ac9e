//! PostgreSQL: the database checked before anything writes to it, then
//! migrated; connections for the pool.

use diesel::migration::MigrationSource;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use super::{Conn, Create, Database, OpenError};
use crate::error::AppError;

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// How long libpq waits for a server that does not answer (a host that
/// drops packets, a listener that never accepts) before the attempt fails.
/// libpq's own default is to wait forever; 2 s is the least it takes.
const CONNECT_TIMEOUT_S: u32 = 2;

/// A pooled connection, given up after `CONNECT_TIMEOUT_S` unless the URL
/// says otherwise.
pub fn connect(url: &str) -> Result<PgConnection, diesel::r2d2::Error> {
    PgConnection::establish(&with_connect_timeout(url))
        .map_err(diesel::r2d2::Error::ConnectionError)
}

fn with_connect_timeout(url: &str) -> String {
    if url.contains("connect_timeout=") {
        return url.to_string();
    }
    let join = if url.contains('?') { '&' } else { '?' };
    format!("{url}{join}connect_timeout={CONNECT_TIMEOUT_S}")
}

/// Any number that no other application on the server uses for its
/// advisory locks: the one every Broadsheet write holds.
const WRITE_LOCK: i64 = 0x6272_6f61_6473;

/// Opens a write: a transaction holding the site's write lock until it
/// ends. Writes take their turns as on SQLite, so triggers that update the
/// same counter rows in different orders never deadlock.
///
/// BEGIN and the lock go in one round trip: the lock is held from here to
/// COMMIT, so every round trip spent while holding it is one every other
/// writer waits for.
pub fn begin_write(conn: &mut PgConnection) -> Result<(), AppError> {
    use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
    let begin = format!("BEGIN; SELECT pg_advisory_xact_lock({WRITE_LOCK})");
    let Err(e) = AnsiTransactionManager::begin_transaction_sql(conn, &begin) else {
        return Ok(());
    };
    // The BEGIN may have run without the lock: end that transaction, which
    // diesel does not know about, or give up the connection.
    if conn.batch_execute("ROLLBACK").is_err() {
        AnsiTransactionManager::transaction_manager_status_mut(conn).set_in_error();
    }
    Err(AppError::NotSaved(e))
}

/// Checks the database is empty or Broadsheet's, then migrates it (and
/// seeds a new one) before the pool opens. A database of another
/// application, or of a newer Broadsheet, is refused untouched.
pub fn prepare(url: &str, create: Create, fill: super::Fill) -> Result<(), OpenError> {
    let name = Database::Postgres(url.to_string()).to_string();
    let mut conn = PgConnection::establish(url).map_err(|e| OpenError::Unreachable {
        database: name.clone(),
        reason: first_line(&e.to_string()),
    })?;
    let unusable = |source: AppError| OpenError::Unusable {
        database: name.clone(),
        source,
    };
    let tables = table_names(&mut conn).map_err(|e| unusable(e.into()))?;
    let fresh = tables.is_empty();
    if fresh && create == Create::Never {
        return Err(OpenError::NoBlog(name));
    }
    if !fresh {
        if !tables.iter().any(|t| t == "__diesel_schema_migrations")
            || !tables.iter().any(|t| t == "posts")
        {
            return Err(OpenError::Foreign(name));
        }
        let known = known_versions();
        let applied = applied_versions(&mut conn).map_err(|e| unusable(e.into()))?;
        if let Some(version) = applied.iter().find(|v| !known.contains(v)) {
            return Err(OpenError::Newer {
                database: name,
                version: version.clone(),
            });
        }
    }
    conn.run_pending_migrations(MIGRATIONS)
        .map_err(|e| unusable(AppError::Migration(e)))?;
    if fresh && create != Create::Unseeded {
        super::welcome(&mut Conn::Postgres(conn), fill).map_err(unusable)?;
    }
    Ok(())
}

/// libpq's messages run over several lines; the first says what is wrong.
fn first_line(message: &str) -> String {
    message.lines().next().unwrap_or(message).trim().to_string()
}

fn known_versions() -> Vec<String> {
    MigrationSource::<Pg>::migrations(&MIGRATIONS)
        .map(|all| {
            all.iter()
                .map(|m| m.name().version().to_string())
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
}

fn table_names(conn: &mut PgConnection) -> QueryResult<Vec<String>> {
    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = Text)]
        name: String,
    }
    let rows: Vec<Name> = diesel::sql_query(
        "SELECT table_name AS name FROM information_schema.tables \
         WHERE table_schema = current_schema()",
    )
    .load(conn)?;
    Ok(rows.into_iter().map(|r| r.name).collect())
}

fn applied_versions(conn: &mut PgConnection) -> QueryResult<Vec<String>> {
    #[derive(QueryableByName)]
    struct Version {
        #[diesel(sql_type = Text)]
        version: String,
    }
    let rows: Vec<Version> =
        diesel::sql_query("SELECT version FROM __diesel_schema_migrations").load(conn)?;
    Ok(rows.into_iter().map(|r| r.version).collect())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_connect_timeout_is_added_unless_the_url_has_one() {
        let add = super::with_connect_timeout;
        assert_eq!(add("postgres://h/db"), "postgres://h/db?connect_timeout=2");
        assert_eq!(
            add("postgres://h/db?sslmode=disable"),
            "postgres://h/db?sslmode=disable&connect_timeout=2"
        );
        assert_eq!(
            add("postgres://h/db?connect_timeout=9"),
            "postgres://h/db?connect_timeout=9"
        );
    }
}
