//! The connection pool for either database (a SQLite file or PostgreSQL),
//! migrations, and the two helpers that move blocking database work off the
//! async executor: `run` for reads and `write` for changes.
//!
//! Every change goes through `write` (or `write_with` on a connection the
//! command line holds): one transaction whose COMMIT is checked, so a
//! success answer means the change is stored. On SQLite it is `BEGIN
//! IMMEDIATE`: a deferred transaction that reads and then writes cannot
//! wait for the lock, and a single `INSERT … RETURNING` outside a
//! transaction commits inside `sqlite3_reset`, whose error is lost: both
//! are why nothing writes any other way.

mod group_commit;
mod postgres;
mod sqlite;

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::web;
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{ManageConnection, Pool, PooledConnection, R2D2Connection};
use diesel::sql_types::BigInt;

/// Re-exported: the error type is what tells a refused write from a wrong one.
pub use crate::error::is_storage_failure;
use crate::error::AppError;

pub use group_commit::LONGEST_WAIT;
pub use sqlite::{check_existing, integrity, spawn_checkpointer, with_suffix};

/// A connection to whichever database the site runs on. Queries diesel can
/// build for both take it as it is; the few it cannot (RETURNING, ON
/// CONFLICT, raw SQL) go through `each_backend!`.
#[derive(diesel::MultiConnection)]
pub enum Conn {
    Postgres(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

/// The backend of `Conn`: either database.
pub type Backend = <Conn as diesel::Connection>::Backend;
pub type PooledConn = PooledConnection<Manager>;

/// The site's connections, and the queue its writes share transactions
/// through (`write`). Cheap to clone.
#[derive(Clone)]
pub struct DbPool {
    connections: Pool<Manager>,
    writes: Arc<group_commit::Writes>,
    reach: Arc<Reach>,
}

/// How long a request waits for a pooled connection while every one is in
/// use: the database answers, only later.
const POOL_WAIT: Duration = Duration::from_secs(10);
/// How long it waits once the last attempt to connect failed: the
/// database is away, and a reader is better served by a prompt 503 (or a
/// cached page) than by ten seconds of nothing. Long enough for the pool's
/// next attempt to connect (`RECONNECT_EVERY`), so the first request after
/// the database is back is served.
const DOWN_WAIT: Duration = Duration::from_millis(300);
/// A waiting request looks this often whether the database was found away.
const WAIT_SLICE: Duration = Duration::from_millis(50);
/// r2d2 tries a lost connection again after a delay that doubles up to half
/// its connection timeout; this keeps that delay at its floor (200 ms), so
/// a database that comes back is in use within a fraction of a second.
/// (The pool's own timeout is not what requests wait: see `DbPool::get`.)
const RECONNECT_EVERY: Duration = Duration::from_millis(400);

/// Whether the last attempt to open a connection failed: a circuit breaker
/// the pool's connector sets and clears, so requests stop waiting for a
/// database that is not there.
#[derive(Debug, Default)]
pub struct Reach {
    down: AtomicBool,
}

impl Reach {
    /// Logged once when the database goes and once when it comes back: the
    /// pool tries again every 200 ms meanwhile.
    fn saw<T>(&self, attempt: &Result<T, diesel::r2d2::Error>) {
        let connected = attempt.is_ok();
        if self.down.swap(!connected, Ordering::Relaxed) != connected {
            return;
        }
        match attempt {
            Ok(_) => tracing::warn!("the database answers again"),
            Err(e) => tracing::error!(error = %e, "the database cannot be reached"),
        }
    }
}

impl DbPool {
    /// A connection from the pool: an idle one, or one freed or opened
    /// within `POOL_WAIT`; within `DOWN_WAIT` once the database was found
    /// unreachable.
    pub fn get(&self) -> Result<PooledConn, diesel::r2d2::PoolError> {
        self.get_within(POOL_WAIT)
    }

    /// `get`, waiting at most `most` (`/healthz` answers within a second).
    pub fn get_within(&self, most: Duration) -> Result<PooledConn, diesel::r2d2::PoolError> {
        let start = Instant::now();
        loop {
            let limit = if self.is_down() {
                most.min(DOWN_WAIT)
            } else {
                most
            };
            let left = limit.saturating_sub(start.elapsed());
            // In slices, so a wait begun while the database seemed fine ends
            // soon after an attempt to connect fails.
            match self.connections.get_timeout(left.min(WAIT_SLICE)) {
                Ok(conn) => return Ok(conn),
                Err(e) if start.elapsed() >= limit => return Err(e),
                Err(_) => {}
            }
        }
    }

    /// Whether the last attempt to connect to the database failed (it is
    /// stopped, unreachable, or refusing connections).
    pub fn is_down(&self) -> bool {
        self.reach.down.load(Ordering::Relaxed)
    }

    /// Connections open now, idle or in use.
    pub fn connections(&self) -> u32 {
        self.connections.state().connections
    }

    /// Write transactions committed through `write` since the pool opened
    /// (tests count them to see writes share one).
    pub fn write_transactions(&self) -> u64 {
        self.writes.transactions()
    }

    /// How long a write may wait for its turn (`LONGEST_WAIT` unless set).
    pub fn set_longest_write_wait(&self, wait: Duration) {
        self.writes.set_longest_wait(wait);
    }
}

/// Runs the same diesel code on whichever connection `conn` holds, for the
/// queries diesel builds for one backend at a time.
#[macro_export]
macro_rules! each_backend {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::db::Conn::Postgres($c) => $body,
            $crate::db::Conn::Sqlite($c) => $body,
        }
    };
}

/// The statement for `conn`'s backend, for raw SQL the two write apart
/// (placeholders, date functions, index hints).
pub fn sql(conn: &Conn, sqlite: &'static str, postgres: &'static str) -> &'static str {
    match conn {
        Conn::Sqlite(_) => sqlite,
        Conn::Postgres(_) => postgres,
    }
}

/// Where the site's data is: a SQLite file, or a PostgreSQL server.
#[derive(Clone, PartialEq, Eq)]
pub enum Database {
    Sqlite(PathBuf),
    /// A `postgres://` or `postgresql://` URL.
    Postgres(String),
}

impl Database {
    /// The SQLite file, when the site is on one.
    pub fn file(&self) -> Option<&Path> {
        match self {
            Database::Sqlite(path) => Some(path),
            Database::Postgres(_) => None,
        }
    }
}

impl FromStr for Database {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(
            if s.starts_with("postgres://") || s.starts_with("postgresql://") {
                Database::Postgres(s.to_string())
            } else {
                Database::Sqlite(PathBuf::from(s))
            },
        )
    }
}

impl Database {
    /// Which kind of database, as `/healthz` names it.
    pub fn kind(&self) -> &'static str {
        match self {
            Database::Sqlite(_) => "SQLite",
            Database::Postgres(_) => "PostgreSQL",
        }
    }
}

impl From<PathBuf> for Database {
    fn from(path: PathBuf) -> Self {
        Database::Sqlite(path)
    }
}

impl From<&Path> for Database {
    fn from(path: &Path) -> Self {
        Database::Sqlite(path.to_path_buf())
    }
}

/// The database as messages name it: a URL's password is never shown.
impl fmt::Display for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Database::Sqlite(path) => write!(f, "{}", path.display()),
            Database::Postgres(url) => match url::Url::parse(url) {
                Ok(mut parsed) => {
                    if parsed.password().is_some() {
                        let _ = parsed.set_password(Some("…"));
                    }
                    write!(f, "{parsed}")
                }
                Err(_) => write!(f, "a PostgreSQL address that is not a URL"),
            },
        }
    }
}

impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Database({self})")
    }
}

/// Opens pooled connections of the site's kind, each set up for it, and
/// tells the pool's `Reach` whether that worked.
#[derive(Debug)]
pub struct Manager(Database, Arc<Reach>);

impl ManageConnection for Manager {
    type Connection = Conn;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<Conn, Self::Error> {
        let conn = match &self.0 {
            Database::Sqlite(path) => sqlite::connect(path).map(Conn::Sqlite),
            Database::Postgres(url) => postgres::connect(url).map(Conn::Postgres),
        };
        self.1.saw(&conn);
        conn
    }

    fn is_valid(&self, conn: &mut Conn) -> Result<(), Self::Error> {
        conn.ping().map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut Conn) -> bool {
        std::thread::panicking() || R2D2Connection::is_broken(conn)
    }
}

/// Connections in one process's pool: two for each core this process may
/// use, at least four. Each holds its own page cache (2 MB on SQLite), and
/// reads are work for a core, so more connections than that would hold
/// memory without serving faster: eight on the benchmark's one core put the
/// mixed load's peak at 71 MB where four keep it at 62.
pub fn pool_size() -> u32 {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    u32::try_from(cores * 2).unwrap_or(u32::MAX).max(4)
}

/// Whether the database file may be created when it is missing: only the
/// server makes a new blog; every other command needs an existing one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Create {
    IfMissing,
    Never,
    /// Created and migrated when missing but left without a welcome post:
    /// the target of `broadsheet copy`, which fills it with another site.
    Unseeded,
}

/// Why a database file was not opened. Each says, in one line, what is wrong;
/// none of them has changed the file.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("there is no database at {0} (only `broadsheet serve` creates one)")]
    Missing(PathBuf),
    #[error("{0} is empty, not a Broadsheet database")]
    Empty(PathBuf),
    #[error("{0} is not a SQLite database")]
    NotSqlite(PathBuf),
    #[error("{0} is a database of another application, not a Broadsheet blog")]
    Foreign(String),
    #[error(
        "{database} was last used by a newer Broadsheet (its schema has migration {version}, \
         which this program does not know); run that version or a newer one"
    )]
    Newer { database: String, version: String },
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot make the media folder {path}: {source}")]
    MediaDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The media bucket is misnamed, misconfigured or cannot be written.
    #[error("{0}")]
    MediaStore(String),
    #[error("{0} holds no blog yet (only `broadsheet serve` creates one)")]
    NoBlog(String),
    #[error("cannot reach the database at {database}: {reason}")]
    Unreachable { database: String, reason: String },
    #[error("cannot open {database}: {source}")]
    Unusable {
        database: String,
        #[source]
        source: AppError,
    },
}

/// Opens and migrates the database (creating it when `create` allows), seeds
/// a new one with its welcome post, then opens the pool.
pub fn open(database: &Database, create: Create, fill: Fill) -> Result<DbPool, OpenError> {
    match database {
        Database::Sqlite(path) => sqlite::prepare(path, create, fill)?,
        Database::Postgres(url) => postgres::prepare(url, create, fill)?,
    }
    let reach = Arc::new(Reach::default());
    // Unchecked: `prepare` has just connected, and the pool's short timeout
    // (`RECONNECT_EVERY`) is no bound for opening all its connections on a
    // busy machine; requests wait for them as for any other.
    let connections = Pool::builder()
        .max_size(pool_size())
        .connection_timeout(RECONNECT_EVERY)
        // `Reach` logs a lost database once, not each attempt to reconnect.
        .error_handler(Box::new(diesel::r2d2::NopErrorHandler))
        .build_unchecked(Manager(database.clone(), Arc::clone(&reach)));
    Ok(DbPool {
        connections,
        writes: Default::default(),
        reach,
    })
}

/// Creates (when missing), migrates and seeds a database on one connection,
/// closed again on return: no pool, nothing left running. Test suites copy
/// the result for each test instead of migrating each one.
pub fn create(database: &Database, fill: Fill) -> Result<(), OpenError> {
    match database {
        Database::Sqlite(path) => sqlite::prepare(path, Create::IfMissing, fill),
        Database::Postgres(url) => postgres::prepare(url, Create::IfMissing, fill),
    }
}

/// What `open` asks of the models for a database it has just migrated
/// (`models::FILL`): db knows no table's rules, so it is handed them.
#[derive(Clone, Copy)]
pub struct Fill {
    /// Writes a new blog's first content (its welcome post).
    pub seed: fn(&mut Conn) -> QueryResult<()>,
    /// Rewrites the search index's text once the migration that made it ran.
    pub reindex: fn(&mut Conn) -> QueryResult<usize>,
}

/// Seeds a database just created with its welcome post.
fn welcome(conn: &mut Conn, fill: Fill) -> Result<(), AppError> {
    write_with(conn, move |conn| Ok((fill.seed)(conn)?))
}

/// Runs `f` with a pooled connection on the blocking thread pool. For reads:
/// changes go through `write`.
pub async fn run<T: Send + 'static>(
    pool: &DbPool,
    f: impl FnOnce(&mut Conn) -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    let pool = pool.clone();
    web::block(move || f(&mut *pool.get()?)).await?
}

/// Runs `f` in a write transaction (`BEGIN IMMEDIATE` on SQLite) on the
/// blocking thread pool; `Ok` only once COMMIT succeeded. Writes that wait
/// for the one running share the next transaction, each in a savepoint of
/// its own (see `group_commit`), so `f` must not depend on being first in
/// its transaction. Do slow work (markdown, hashing) before calling this:
/// the write lock is held while `f` runs.
pub async fn write<T: Send + 'static>(
    pool: &DbPool,
    f: impl FnOnce(&mut Conn) -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    group_commit::write(pool, f).await
}

/// `write` on a connection the caller holds (the command line, start-up).
pub fn write_with<T>(
    conn: &mut Conn,
    f: impl FnOnce(&mut Conn) -> Result<T, AppError>,
) -> Result<T, AppError> {
    let outcome = begin_write(conn).and_then(|()| match f(conn) {
        Ok(value) => {
            match each_backend!(conn, c => AnsiTransactionManager::commit_transaction(c)) {
                Ok(()) => Ok(value),
                Err(e) => Err(AppError::NotSaved(e)),
            }
        }
        Err(e) => {
            if let Err(rollback) =
                each_backend!(conn, c => AnsiTransactionManager::rollback_transaction(c))
            {
                // The connection is marked broken and the pool drops it.
                tracing::error!(error = %rollback, "rollback failed");
            }
            Err(e.storage_failure_is_not_saved())
        }
    });
    // Logged here, once: handlers answer these with their form shown again.
    if let Err(e @ AppError::NotSaved(_)) = &outcome {
        tracing::error!(error = %e, "write not saved");
    }
    outcome
}

/// Opens a write transaction on either backend.
fn begin_write(conn: &mut Conn) -> Result<(), AppError> {
    match conn {
        Conn::Sqlite(c) => sqlite::begin_write(c),
        Conn::Postgres(c) => postgres::begin_write(c),
    }
}

/// Counts rows of a table (the command line reports what a backup holds).
pub fn count_rows(conn: &mut Conn, table: &str) -> Result<i64, AppError> {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    // Table names come from this program, never from input.
    let found: Count =
        diesel::sql_query(format!("SELECT count(*) AS n FROM {table}")).get_result(conn)?;
    Ok(found.n)
}
