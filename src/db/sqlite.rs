//! SQLite: the file checked before anything writes to it, the pragmas each
//! connection gets, migrations, and the WAL kept bounded.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use diesel::connection::{AnsiTransactionManager, SimpleConnection};
use diesel::migration::MigrationSource;
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel::sql_types::Text;
use diesel::sqlite::Sqlite;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use super::{Conn, Create, OpenError};
use crate::error::AppError;

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
/// The version of migrations/sqlite/2026-11-26-000002_search.
const SEARCH_MIGRATION: &str = "20261126000002";
/// How long a write waits for another writer before it gives up with 503.
const WRITE_WAIT: Duration = Duration::from_secs(10);
/// The checkpointer copies the WAL back into the database and empties it
/// past this size (SQLite's own default is 1,000 pages of 4 KB).
const WAL_CHECKPOINT_BYTES: u64 = 4 * 1024 * 1024;
const WAL_CHECK_EVERY: Duration = Duration::from_millis(50);
/// Past this size a writer empties the WAL itself before it writes, so the
/// bound holds even while the checkpointer thread waits for a CPU.
const WAL_HARD_LIMIT: u64 = 16 * 1024 * 1024;
/// After a WAL reset SQLite cuts the file back to this size.
const WAL_KEEP_BYTES: u64 = 16 * 1024 * 1024;

/// A pooled connection with its pragmas.
pub fn connect(path: &Path) -> Result<SqliteConnection, diesel::r2d2::Error> {
    let mut conn = SqliteConnection::establish(&path.to_string_lossy())
        .map_err(diesel::r2d2::Error::ConnectionError)?;
    // The file is in WAL mode already (`prepare` switched it before the
    // pool opened), so no connection races another for that lock.
    // Checkpoints are the checkpointer thread's (`spawn_checkpointer`),
    // not each committing writer's.
    // A 2 MB page cache each (see `pool_size`): the OS keeps the file
    // cached anyway, and the server's memory stays small (bench/run).
    conn.batch_execute(&format!(
        "PRAGMA busy_timeout = 5000;
         PRAGMA synchronous = NORMAL;
         PRAGMA foreign_keys = ON;
         PRAGMA cache_size = -2000;
         PRAGMA temp_store = MEMORY;
         PRAGMA wal_autocheckpoint = 0;
         PRAGMA journal_size_limit = {WAL_KEEP_BYTES};"
    ))
    .map_err(diesel::r2d2::Error::QueryError)?;
    Ok(conn)
}

/// The first bytes of every SQLite database file.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// What a file on disk holds, judged without changing it.
#[derive(Debug, PartialEq, Eq)]
enum Found {
    /// No file, or an empty one: a new blog goes here.
    Nothing,
    /// A Broadsheet database (possibly with migrations still to apply).
    Blog,
}

/// Looks at a file before anything writes to it: refuses what is not a
/// Broadsheet database quickly, with the file left byte for byte as it was.
fn inspect(path: &Path) -> Result<Found, OpenError> {
    let io = |source| OpenError::Io {
        path: path.to_path_buf(),
        source,
    };
    let bytes = match std::fs::File::open(path) {
        Ok(file) => {
            use std::io::Read;
            let mut head = Vec::with_capacity(16);
            file.take(16).read_to_end(&mut head).map_err(io)?;
            head
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Found::Nothing),
        Err(e) => return Err(io(e)),
    };
    if bytes.is_empty() {
        return Ok(Found::Nothing);
    }
    if bytes.as_slice() != SQLITE_HEADER {
        return Err(OpenError::NotSqlite(path.to_path_buf()));
    }
    // A plain connection, without the pool's pragmas: reading the schema
    // neither switches the journal mode nor writes anything.
    let sqlite = |source: AppError| OpenError::Unusable {
        database: path.display().to_string(),
        source,
    };
    let mut conn = SqliteConnection::establish(&path.to_string_lossy())
        .map_err(|e| sqlite(AppError::Connect(e)))?;
    // Another process closing its last connection locks the file a moment.
    conn.batch_execute("PRAGMA busy_timeout = 5000")
        .map_err(|e| sqlite(e.into()))?;
    let tables = table_names(&mut conn).map_err(|e| sqlite(e.into()))?;
    if tables.is_empty() {
        return Ok(Found::Nothing);
    }
    if !tables.iter().any(|t| t == "__diesel_schema_migrations") {
        return Err(OpenError::Foreign(path.display().to_string()));
    }
    let applied = applied_versions(&mut conn).map_err(|e| sqlite(e.into()))?;
    let known = known_versions();
    if !applied.iter().any(|v| known.contains(v)) || !tables.iter().any(|t| t == "posts") {
        return Err(OpenError::Foreign(path.display().to_string()));
    }
    if let Some(version) = applied.iter().find(|v| !known.contains(v)) {
        return Err(OpenError::Newer {
            database: path.display().to_string(),
            version: version.clone(),
        });
    }
    Ok(Found::Blog)
}

/// The migrations this program carries, by version.
fn known_versions() -> Vec<String> {
    MigrationSource::<Sqlite>::migrations(&MIGRATIONS)
        .map(|all| {
            all.iter()
                .map(|m| m.name().version().to_string())
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
}

fn table_names(conn: &mut SqliteConnection) -> QueryResult<Vec<String>> {
    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = Text)]
        name: String,
    }
    let rows: Vec<Name> =
        diesel::sql_query("SELECT name FROM sqlite_master WHERE type = 'table'").load(conn)?;
    Ok(rows.into_iter().map(|r| r.name).collect())
}

fn applied_versions(conn: &mut SqliteConnection) -> QueryResult<Vec<String>> {
    #[derive(QueryableByName)]
    struct Version {
        #[diesel(sql_type = Text)]
        version: String,
    }
    let rows: Vec<Version> =
        diesel::sql_query("SELECT version FROM __diesel_schema_migrations").load(conn)?;
    Ok(rows.into_iter().map(|r| r.version).collect())
}

/// Refuses, without changing it, a file that is missing or is not a
/// Broadsheet database this program can open.
pub fn check_existing(path: &Path) -> Result<(), OpenError> {
    match inspect(path)? {
        Found::Blog => Ok(()),
        Found::Nothing if path.exists() => Err(OpenError::Empty(path.to_path_buf())),
        Found::Nothing => Err(OpenError::Missing(path.to_path_buf())),
    }
}

/// Checks, migrates (creating it when `create` allows) and seeds the file,
/// on one connection before the pool opens: WAL mode, migrations, and the
/// welcome post of a new blog.
pub fn prepare(path: &Path, create: Create, fill: super::Fill) -> Result<(), OpenError> {
    let found = inspect(path)?;
    if create == Create::Never {
        check_existing(path)?;
    }
    let seed = found == Found::Nothing && create != Create::Unseeded;
    migrate(path, seed, fill).map_err(|source| OpenError::Unusable {
        database: path.display().to_string(),
        source,
    })
}

fn migrate(path: &Path, seed: bool, fill: super::Fill) -> Result<(), AppError> {
    let mut conn = SqliteConnection::establish(&path.to_string_lossy())?;
    conn.batch_execute(
        "PRAGMA busy_timeout = 5000;
         PRAGMA journal_mode = WAL;
         PRAGMA synchronous = NORMAL;
         PRAGMA foreign_keys = ON;",
    )?;
    let searched = conn
        .run_pending_migrations(MIGRATIONS)
        .map_err(AppError::Migration)?
        .iter()
        .any(|v| v.to_string() == SEARCH_MIGRATION);
    let mut conn = Conn::Sqlite(conn);
    // SQL alone cannot turn markdown into plain text: the search migration
    // indexes bodies as they are, and this rewrites them once.
    if searched {
        super::write_with(&mut conn, |conn| Ok((fill.reindex)(conn)?))?;
    }
    if seed {
        super::welcome(&mut conn, fill)?;
    }
    Ok(())
}

/// Keeps the WAL bounded under steady writes, for as long as `alive` has a
/// strong reference (the `AppState` that owns the pool).
///
/// SQLite's own checkpoint runs in the committing writer, passively: while
/// some connection still reads an older snapshot (under load one nearly
/// always does) it cannot copy the newest frames, the WAL never restarts,
/// and it grew past 30 MB in eight seconds of comment posts
/// (tests/it/storage.rs); and each of those checkpoints holds the lock a
/// thorough one needs. So the pool's connections do none, and past
/// `WAL_CHECKPOINT_BYTES` this thread copies every frame back (waiting, up to
/// busy_timeout, for readers of older snapshots to move on) and empties the
/// file.
pub fn spawn_checkpointer(database: &Path, alive: std::sync::Weak<()>) {
    // Its own connection, opened when needed: holding a pooled one would keep
    // the file open after the app that owns the pool is gone.
    let path = database.to_string_lossy().into_owned();
    let wal = with_suffix(database, "-wal");
    let spawned = std::thread::Builder::new()
        .name("wal-checkpoint".into())
        .spawn(move || {
            while alive.strong_count() > 0 {
                std::thread::sleep(WAL_CHECK_EVERY);
                let len = std::fs::metadata(&wal).map_or(0, |m| m.len());
                if len <= WAL_CHECKPOINT_BYTES {
                    continue;
                }
                // First a passive pass while writers go on (it copies most
                // frames), then a thorough one that copies the rest and
                // empties the file: it needs the write lock, which a steady
                // stream of writers would otherwise keep from it, so this
                // process's writers wait for it (briefly: little is left).
                let done = SqliteConnection::establish(&path)
                    .map_err(AppError::from)
                    .and_then(|mut conn| {
                        conn.batch_execute("PRAGMA busy_timeout = 5000")?;
                        checkpoint(&mut conn, "PASSIVE")?;
                        let _paused = WRITERS.pause();
                        checkpoint(&mut conn, "TRUNCATE")
                    });
                match done {
                    Ok(0) => tracing::debug!(bytes = len, "WAL checkpointed and emptied"),
                    Ok(left) => {
                        tracing::info!(bytes = len, frames_left = left, "WAL checkpoint incomplete")
                    }
                    Err(e) => tracing::warn!(error = %e, bytes = len, "WAL checkpoint failed"),
                }
            }
        });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cannot start the WAL checkpointer");
    }
}

/// `PRAGMA wal_checkpoint(MODE)`: how many frames it could not copy.
fn checkpoint(conn: &mut SqliteConnection, mode: &str) -> Result<i32, AppError> {
    #[derive(QueryableByName)]
    struct Outcome {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        busy: i32,
        #[diesel(sql_type = diesel::sql_types::Integer)]
        log: i32,
        #[diesel(sql_type = diesel::sql_types::Integer)]
        checkpointed: i32,
    }
    let row: Outcome =
        diesel::sql_query(format!("PRAGMA wal_checkpoint({mode})")).get_result(conn)?;
    Ok(if row.busy != 0 {
        row.log.max(1) - row.checkpointed.max(0)
    } else {
        row.log - row.checkpointed
    })
}

/// Lets the checkpointer hold this process's writers back while it empties
/// the WAL: SQLite's lock is not fair, and writers that take it back to back
/// kept a waiting checkpoint out until the WAL passed 30 MB.
struct WriterGate {
    paused: std::sync::Mutex<bool>,
    resumed: std::sync::Condvar,
}

static WRITERS: WriterGate = WriterGate {
    paused: std::sync::Mutex::new(false),
    resumed: std::sync::Condvar::new(),
};

/// Writers wait behind a pause at most this long (a checkpoint takes
/// milliseconds; this only guards against a stuck one).
const PAUSE_LIMIT: Duration = Duration::from_secs(5);

impl WriterGate {
    fn pause(&'static self) -> Paused {
        *self.paused.lock().unwrap_or_else(|e| e.into_inner()) = true;
        Paused(self)
    }

    fn wait(&self) {
        let paused = self.paused.lock().unwrap_or_else(|e| e.into_inner());
        let _ = self
            .resumed
            .wait_timeout_while(paused, PAUSE_LIMIT, |paused| *paused);
    }
}

/// Writers go on when this is dropped.
struct Paused(&'static WriterGate);

impl Drop for Paused {
    fn drop(&mut self) {
        *self.0.paused.lock().unwrap_or_else(|e| e.into_inner()) = false;
        self.0.resumed.notify_all();
    }
}

/// Opens a write: waits while the checkpointer empties the WAL, keeps the
/// WAL within its bound, then `BEGIN IMMEDIATE`.
pub fn begin_write(conn: &mut SqliteConnection) -> Result<(), AppError> {
    WRITERS.wait();
    hold_wal_bound(conn);
    begin_immediate(conn)
}

/// Empties an oversized WAL before writing to it (see `WAL_HARD_LIMIT`).
fn hold_wal_bound(conn: &mut SqliteConnection) {
    #[derive(QueryableByName)]
    struct Database {
        #[diesel(sql_type = Text)]
        name: String,
        #[diesel(sql_type = Text)]
        file: String,
    }
    let Ok(list) = diesel::sql_query("PRAGMA database_list").load::<Database>(conn) else {
        return;
    };
    let Some(main) = list.into_iter().find(|d| d.name == "main") else {
        return;
    };
    let wal = with_suffix(Path::new(&main.file), "-wal");
    let len = std::fs::metadata(wal).map_or(0, |m| m.len());
    if len > WAL_HARD_LIMIT {
        let _paused = WRITERS.pause();
        match checkpoint(conn, "TRUNCATE") {
            Ok(0) => tracing::info!(bytes = len, "a writer emptied an oversized WAL"),
            Ok(left) => {
                tracing::warn!(bytes = len, frames_left = left, "WAL checkpoint incomplete")
            }
            Err(e) => tracing::warn!(error = %e, bytes = len, "WAL checkpoint failed"),
        }
    }
}

/// `BEGIN IMMEDIATE`, tried again while another writer holds the lock (each
/// try waits up to busy_timeout) until `WRITE_WAIT` has passed.
fn begin_immediate(conn: &mut SqliteConnection) -> Result<(), AppError> {
    let started = Instant::now();
    loop {
        match AnsiTransactionManager::begin_transaction_sql(&mut *conn, "BEGIN IMMEDIATE") {
            Ok(()) => return Ok(()),
            Err(e) if is_busy(&e) && started.elapsed() < WRITE_WAIT => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => return Err(AppError::NotSaved(e)),
        }
    }
}

fn is_busy(e: &DieselError) -> bool {
    matches!(e, DieselError::DatabaseError(_, info) if info.message().contains("locked"))
}

/// `PRAGMA integrity_check`: "ok", or the first problem SQLite names.
pub fn integrity(conn: &mut Conn) -> Result<String, AppError> {
    let Conn::Sqlite(conn) = conn else {
        // PostgreSQL checks its pages itself.
        return Ok("ok".into());
    };
    #[derive(QueryableByName)]
    struct Check {
        #[diesel(sql_type = Text)]
        integrity_check: String,
    }
    let rows: Vec<Check> = diesel::sql_query("PRAGMA integrity_check").load(conn)?;
    Ok(rows
        .into_iter()
        .next()
        .map_or_else(|| "no answer".into(), |r| r.integrity_check))
}

/// `FILE` with `suffix` appended to its name (`blog.db` → `blog.db-wal`).
pub fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}
