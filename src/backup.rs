//! `broadsheet backup` and `broadsheet restore`, and the lock that tells a
//! restore a server has the database open.
//!
//! A running server holds a shared `flock` on the database file (SQLite's own
//! locks are `fcntl` locks, which `flock` does not touch); a restore needs it
//! exclusively, so it refuses while any instance runs, and a server refuses to
//! start while a restore is under way. The kernel drops the lock when a
//! process dies, `kill -9` included.

use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};

use diesel::{Connection, SqliteConnection};

use crate::cli_error::CliError;
use crate::db::{self, Conn, OpenError};
use crate::error::AppError;

/// Held by a server for as long as it runs, and by every command that
/// writes (an import, say) for as long as it does: a restore under either
/// would leave its writes in the file put aside.
pub struct ServerLock {
    _file: File,
}

impl ServerLock {
    /// Takes the shared lock, or says that a restore is replacing the file.
    pub fn take(database: &Path) -> Result<ServerLock, CliError> {
        let file =
            File::open(database).map_err(|e| format!("cannot open {}: {e}", database.display()))?;
        match file.try_lock_shared() {
            Ok(()) => Ok(ServerLock { _file: file }),
            Err(_) => Err(CliError::new(format!(
                "{} is being restored; try again when the restore has finished",
                database.display()
            ))),
        }
    }
}

/// Writes a consistent copy of the live database (`VACUUM INTO`), safe while
/// the server runs.
pub fn backup(conn: &mut Conn, to: &Path) -> Result<(), AppError> {
    use diesel::RunQueryDsl;
    let Conn::Sqlite(conn) = conn else {
        return Err(AppError::BadRequest(
            "backup copies a SQLite file; back up PostgreSQL with pg_dump".into(),
        ));
    };
    diesel::sql_query("VACUUM INTO ?")
        .bind::<diesel::sql_types::Text, _>(to.to_string_lossy().into_owned())
        .execute(conn)?;
    Ok(())
}

/// What a restore did, for the command's report.
#[derive(Debug)]
pub struct Restored {
    /// Where the replaced database (and its WAL, if it had one) now is.
    pub kept: Option<PathBuf>,
    /// Stale `-shm` or `-wal` files that were moved or removed.
    pub cleared: Vec<PathBuf>,
    pub posts: i64,
    pub comments: i64,
    pub users: i64,
}

/// Why a restore did not happen. Nothing was changed in any of these cases.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error("there is no backup at {0}")]
    NoBackup(PathBuf),
    #[error("the backup {path} is not usable: {source}")]
    Unusable {
        path: PathBuf,
        #[source]
        source: OpenError,
    },
    #[error("the backup {path} is damaged (integrity check: {problem}); nothing was restored")]
    Damaged { path: PathBuf, problem: String },
    #[error("a Broadsheet server or command (an import, say) has {0} open; stop every instance and wait for the command, then restore")]
    InUse(PathBuf),
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{what}: {source}")]
    Db {
        what: String,
        #[source]
        source: AppError,
    },
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> RestoreError {
    let what = what.into();
    move |source| RestoreError::Io { what, source }
}

/// Puts `from` in place of `database`: checks the backup, refuses while a
/// server has the database open, keeps the replaced file (with its WAL) as
/// `DATABASE.before-restore`, removes the stale `-shm`, and writes the copy
/// so that a crash half-way leaves either the old or the new file.
pub fn restore(database: &Path, from: &Path) -> Result<Restored, RestoreError> {
    if !from.is_file() {
        return Err(RestoreError::NoBackup(from.to_path_buf()));
    }
    let (posts, comments, users) = check_backup(from)?;

    let current = match OpenOptions::new().read(true).write(true).open(database) {
        Ok(file) => Some(file),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io(format!("cannot open {}", database.display()))(e)),
    };
    if let Some(file) = &current {
        if file.try_lock().is_err() {
            return Err(RestoreError::InUse(database.to_path_buf()));
        }
    }

    // The new file is written beside the old one and locked until it is in
    // place, so a server that starts meanwhile waits for the restore.
    let incoming = db::with_suffix(database, ".restoring");
    fs::copy(from, &incoming).map_err(io(format!("cannot write {}", incoming.display())))?;
    let copy = File::open(&incoming).map_err(io("cannot reopen the copy"))?;
    copy.sync_all()
        .map_err(io("cannot flush the copy to disk"))?;
    let _ = copy.try_lock();

    let mut cleared = Vec::new();
    let kept = match current {
        Some(_) => {
            let kept = free_name(&db::with_suffix(database, ".before-restore"));
            fs::rename(database, &kept)
                .map_err(io(format!("cannot move {} aside", database.display())))?;
            // Its WAL goes with it, so the kept copy opens with every change
            // it had; none of those may be replayed into the restored file.
            let wal = db::with_suffix(database, "-wal");
            if wal.exists() {
                let kept_wal = db::with_suffix(&kept, "-wal");
                fs::rename(&wal, &kept_wal)
                    .map_err(io(format!("cannot move {} aside", wal.display())))?;
                cleared.push(wal);
            }
            Some(kept)
        }
        None => None,
    };
    for stale in [
        db::with_suffix(database, "-wal"),
        db::with_suffix(database, "-shm"),
    ] {
        match fs::remove_file(&stale) {
            Ok(()) => cleared.push(stale),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(format!("cannot remove {}", stale.display()))(e)),
        }
    }
    fs::rename(&incoming, database).map_err(io(format!(
        "cannot put the backup in place at {}",
        database.display()
    )))?;
    if let Some(dir) = database.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(dir) = File::open(dir) {
            let _ = dir.sync_all();
        }
    }
    cleared.dedup();
    Ok(Restored {
        kept,
        cleared,
        posts,
        comments,
        users,
    })
}

/// The backup must be a Broadsheet database this program can read, and whole.
fn check_backup(from: &Path) -> Result<(i64, i64, i64), RestoreError> {
    db::check_existing(from).map_err(|source| RestoreError::Unusable {
        path: from.to_path_buf(),
        source,
    })?;
    let db_error = |what: &str| {
        let what = format!("{what} {}", from.display());
        move |source: AppError| RestoreError::Db { what, source }
    };
    // Read-only, and immutable: checking a backup never changes it, nor
    // leaves a `-wal` or `-shm` beside it (a backup is a whole file: VACUUM
    // INTO writes no WAL, and any beside it is not part of it).
    let path = from.to_string_lossy();
    let uri = format!(
        "file:{}?mode=ro&immutable=1",
        path.replace('%', "%25")
            .replace('?', "%3f")
            .replace('#', "%23")
    );
    let conn = SqliteConnection::establish(&uri)
        .map_err(|e| db_error("cannot open")(AppError::Connect(e)))?;
    let mut conn = Conn::Sqlite(conn);
    diesel::connection::SimpleConnection::batch_execute(&mut conn, "PRAGMA busy_timeout = 5000")
        .map_err(|e| db_error("cannot open")(e.into()))?;
    let problem = db::integrity(&mut conn).map_err(db_error("cannot check"))?;
    if problem != "ok" {
        return Err(RestoreError::Damaged {
            path: from.to_path_buf(),
            problem,
        });
    }
    let count =
        |conn: &mut Conn, table| db::count_rows(conn, table).map_err(db_error("cannot read"));
    Ok((
        count(&mut conn, "posts")?,
        count(&mut conn, "comments")?,
        count(&mut conn, "users")?,
    ))
}

/// `path`, or `path.1`, `path.2`, … whichever does not exist yet.
fn free_name(path: &Path) -> PathBuf {
    if !path.exists() {
        return path.to_path_buf();
    }
    (1..)
        .map(|n| db::with_suffix(path, &format!(".{n}")))
        .find(|p| !p.exists())
        .unwrap_or_else(|| path.to_path_buf())
}

impl From<RestoreError> for CliError {
    fn from(e: RestoreError) -> CliError {
        CliError::new(e.to_string())
    }
}
