//! What each subcommand does; `main.rs` only parses the command line. Each
//! fails with a [`CliError`], the one line to print.

use std::io::BufRead;

/// Prints a line of a command's report. A reader that stopped reading (`|
/// head`) wants no more of it: that is not a failure, and never a panic.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}
use std::path::Path;

use crate::accounts::{self, Admins};
use crate::auth;
use crate::backup::{self, ServerLock};
use crate::cli_error::CliError;
use crate::config::Config;
use crate::db::{self, Create};
use crate::generate::GenerateArgs;
use crate::models::Role;
use crate::state::AppState;
use crate::view::plural;

/// Opens an existing database: only `serve` makes a new one.
fn open_existing(config: Config) -> Result<AppState, CliError> {
    Ok(AppState::open_with(config, Create::Never)?)
}

/// Opens an existing database for a command that writes, holding the lock a
/// restore checks for as long as the command runs. The lock comes first: a
/// restore that swapped the file between the open and the lock would leave
/// every write in the file put aside.
fn open_to_write(config: Config) -> Result<(AppState, Option<ServerLock>), CliError> {
    let lock = match config.database.file() {
        // A missing file is `open_existing`'s to refuse, with its reason.
        Some(file) if file.exists() => Some(ServerLock::take(file)?),
        _ => None,
    };
    Ok((open_existing(config)?, lock))
}

/// Closes the database a command opened so that it leaves no `-wal` or
/// `-shm` beside a SQLite file. SQLite removes them when the last connection
/// closes; the pool's are dropped first, but the checkpointer thread may hold
/// one a moment longer (it stops within its next round once the state is
/// gone), so one connection of our own copies the WAL back and closes, again
/// until it was the last.
fn close(state: AppState) {
    let file = state.config.database.file().map(Path::to_path_buf);
    drop(state);
    let Some(file) = file else {
        return;
    };
    use diesel::connection::SimpleConnection;
    use diesel::Connection;
    let wal = db::with_suffix(&file, "-wal");
    for _ in 0..40 {
        match diesel::SqliteConnection::establish(&file.to_string_lossy()) {
            Ok(mut conn) => {
                let done = conn
                    .batch_execute("PRAGMA busy_timeout = 5000; PRAGMA wal_checkpoint(TRUNCATE);");
                if let Err(e) = done {
                    tracing::warn!(error = %e, "the WAL was not copied back on closing");
                    return;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot reopen the database to close it");
                return;
            }
        }
        if !wal.exists() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

pub fn serve(config: Config) -> Result<(), CliError> {
    // The address first: one that cannot be listened on must fail before
    // a database is created and migrated for a server that never starts.
    std::net::TcpListener::bind(&config.bind)
        .map_err(|e| format!("cannot listen on {} (--bind): {e}", config.bind))?;
    crate::copy::refuse_unfinished(&config.database)?;
    let file = config.database.file().map(Path::to_path_buf);
    let state = AppState::open(config)?;
    // Only a file can be replaced by `restore` under a running server.
    let _lock = file.as_deref().map(ServerLock::take).transpose()?;
    Ok(actix_web::rt::System::new().block_on(crate::serve(state))?)
}

pub fn create_admin(config: Config, username: &str, email: &str) -> Result<(), CliError> {
    let (state, _lock) = open_to_write(config)?;
    eprintln!("Password for {username} (one line, at least 10 characters):");
    let mut password = String::new();
    std::io::stdin().lock().read_line(&mut password)?;
    let password = password.trim_end_matches(['\r', '\n']);
    let mut conn = state.pool.get()?;
    // The same steps as /setup: check, hash, then insert in one write.
    let errors = accounts::check_new(&mut conn, username, email, password)?;
    if !errors.is_empty() {
        let lines: Vec<String> = errors.0.iter().map(|(f, m)| format!("{f}: {m}")).collect();
        return Err(lines.join("\n").into());
    }
    let hash = auth::password::hash(password, state.config.password_cost)?;
    let user = db::write_with(&mut conn, |conn| {
        accounts::create(conn, username, email, &hash, Role::Admin, Admins::Any)
    });
    drop(conn);
    close(state);
    let user = user?.ok_or_else(|| format!("username: {}", accounts::TAKEN_MEANWHILE))?;
    say!(
        "Created admin {} (id {}). Sign in at /login.",
        user.username,
        user.id
    );
    Ok(())
}

pub fn backup(config: Config, file: &Path) -> Result<(), CliError> {
    if file.exists() {
        return Err(format!("{} exists already; choose a new file name", file.display()).into());
    }
    let state = open_existing(config)?;
    let mut conn = state.pool.get()?;
    backup::backup(&mut conn, file)?;
    say!("Backed up to {}", file.display());
    match state.media.folder() {
        Some(dir) => say!(
            "Images are not in it: copy the media folder {} too (its files never change).",
            dir.display()
        ),
        None => say!(
            "Images are not in it: they live in the bucket {}; back that up with your storage's own tools (its objects never change).",
            state.media.describe()
        ),
    }
    Ok(())
}

pub fn restore(database: &crate::db::Database, file: &Path) -> Result<(), CliError> {
    let Some(database) = database.file() else {
        return Err(
            "restore puts a SQLite backup in place; restore PostgreSQL with pg_restore or psql"
                .into(),
        );
    };
    let done = backup::restore(database, file)?;
    if let Some(kept) = &done.kept {
        say!(
            "Kept the replaced database as {} (open it with --database to look back).",
            kept.display()
        );
    }
    for path in &done.cleared {
        say!(
            "Moved or removed {}, left from the replaced database.",
            path.display()
        );
    }
    say!(
        "Restored {} from {}: {} posts, {} comments, {} users. Start the server again.",
        database.display(),
        file.display(),
        done.posts,
        done.comments,
        done.users
    );
    Ok(())
}

pub fn generate(config: Config, args: &GenerateArgs) -> Result<(), CliError> {
    let (state, _lock) = open_to_write(config)?;
    let mut conn = state.pool.get()?;
    let done = crate::generate::run(&mut conn, args);
    drop(conn);
    close(state);
    let done = done?;
    say!(
        "Generated {} posts, {} comments and {} users in {:.1} s; busiest post: /posts/{}",
        done.posts,
        done.comments,
        done.users,
        done.seconds,
        done.busy_slug
    );
    Ok(())
}

pub fn import(
    config: Config,
    file: &Path,
    media_from: Option<&Path>,
    dry_run: bool,
) -> Result<(), CliError> {
    let (state, _lock) = open_to_write(config)?;
    let media_from = match media_from {
        Some(dir) if dir.is_dir() && !dry_run => {
            state.media.check()?;
            Some(crate::import::MediaFrom {
                dir: dir.to_path_buf(),
                store: state.media.clone(),
            })
        }
        Some(dir) if dir.is_dir() => Some(crate::import::MediaFrom {
            dir: dir.to_path_buf(),
            store: state.media.clone(),
        }),
        Some(dir) => return Err(format!("{}: not a folder", dir.display()).into()),
        None => None,
    };
    let opened = std::fs::File::open(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let size = opened.metadata().map(|m| m.len()).unwrap_or(0);
    let bar = indicatif::ProgressBar::new(size);
    bar.set_style(indicatif::ProgressStyle::with_template(
        "{bar:40} {bytes}/{total_bytes} · {msg} · {eta} left",
    )?);
    let input = std::io::BufReader::with_capacity(256 * 1024, opened);
    let options = crate::import::Options {
        dry_run,
        media_from,
    };
    let report = crate::import::run(&state.pool, input, &options, |p| {
        bar.set_position(p.bytes);
        bar.set_message(format!("{} items", p.items));
    });
    bar.finish_and_clear();
    close(state);
    let report = report.map_err(|e| crate::import::stopped_message(&e))?;
    for line in report.lines() {
        say!("{line}");
    }
    match report.error {
        Some(error) => Err(format!("{}: {error}", file.display()).into()),
        None => Ok(()),
    }
}

/// Writes the site as a WordPress export (WXR 1.2) to `file`: first to
/// `FILE.partial`, made durable, then renamed, so a failed export leaves no
/// half file and an earlier export at `file` stays whole until replaced.
pub fn export(config: Config, file: &Path) -> Result<(), CliError> {
    let state = open_existing(config)?;
    let mut conn = state.pool.get()?;
    let partial = db::with_suffix(file, ".partial");
    let written = std::fs::File::create(&partial)
        .map_err(|e| CliError::new(format!("cannot write {}: {e}", partial.display())))
        .and_then(|out| {
            let done = crate::export::write_wxr(&mut conn, &out, &state.config.base_url())?;
            out.sync_all()
                .map_err(|e| format!("cannot flush {} to disk: {e}", partial.display()))?;
            std::fs::rename(&partial, file)
                .map_err(|e| format!("cannot put the export at {}: {e}", file.display()))?;
            Ok(done)
        });
    let done = match written {
        Ok(done) => done,
        Err(message) => {
            if let Err(e) = std::fs::remove_file(&partial) {
                if e.kind() != std::io::ErrorKind::NotFound {
                    tracing::warn!(error = %e, "cannot remove {}", partial.display());
                }
            }
            return Err(message);
        }
    };
    // The rename is durable once the folder is.
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(dir) = std::fs::File::open(dir) {
            let _ = dir.sync_all();
        }
    }
    say!(
        "Exported {}, {}, {}, {}, {} and {} to {}.",
        plural(done.posts, "post", "posts"),
        plural(done.pages, "page", "pages"),
        plural(done.comments, "comment", "comments"),
        plural(done.tags, "tag", "tags"),
        plural(done.authors, "author", "authors"),
        plural(done.media, "image", "images"),
        file.display()
    );
    Ok(())
}

/// Copies the site into `to` (a new SQLite file or an empty PostgreSQL
/// database), prints each table's rows on both sides, and fails when any
/// total differs.
pub fn copy(config: Config, to: &str) -> Result<(), CliError> {
    let Ok(target) = to.parse::<db::Database>();
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(indicatif::ProgressStyle::with_template(
        "{bar:40} {pos}/{len} rows · {msg} · {eta} left",
    )?);
    let report = crate::copy::copy(&config.database, &target, |table, done, total| {
        bar.set_length(total);
        bar.set_position(done);
        bar.set_message(table.to_string());
    });
    bar.finish_and_clear();
    let report = report?;
    let width = report
        .tables
        .iter()
        .map(|t| t.table.len())
        .max()
        .unwrap_or(0);
    say!("Copied {} to {target}:", config.database);
    for t in &report.tables {
        let sign = if t.source == t.target { "=" } else { "≠" };
        say!("  {:width$}  {} {sign} {}", t.table, t.source, t.target);
    }
    if !report.differences.is_empty() {
        return Err(format!(
            "the copy differs from the source: {}",
            report.differences.join("; ")
        )
        .into());
    }
    say!(
        "Images are not in the database: the copy uses the same media files as the source \
         ({}); run it with --media-dir pointing there, or copy that folder beside it.",
        config.media_dir().display()
    );
    Ok(())
}
