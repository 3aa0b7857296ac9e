//! The `broadsheet` command: serve the blog, or run an administrative task.

use std::path::PathBuf;
use std::process::ExitCode;

use broadsheet::commands;
use broadsheet::config::Config;
use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "broadsheet",
    version,
    about = "A fast, self-hosted blog with comments"
)]
struct Cli {
    #[command(flatten)]
    config: Config,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the blog (the default); creates and migrates the database if needed.
    Serve,
    /// Create an admin account; the password is read from standard input (one line).
    CreateAdmin {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
    },
    /// Write a consistent copy of the live database to FILE.
    Backup { file: PathBuf },
    /// Put the backup FILE in place of the database (stop the server first).
    Restore { file: PathBuf },
    /// Bring in a WordPress (WXR) or Blogger export: posts, pages, tags,
    /// comments with their threads, authors and old addresses. Running it
    /// again skips what it brought before.
    Import {
        file: PathBuf,
        /// A copy of the old site's images (WordPress's wp-content/uploads,
        /// or a folder of Blogger images), brought into the media library.
        #[arg(long, value_name = "DIR")]
        media_from: Option<PathBuf>,
        /// Read and check everything, write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Write the whole site as a WordPress export (WXR 1.2) to FILE.
    Export { file: PathBuf },
    /// Copy the whole site into a new SQLite file or an empty PostgreSQL
    /// database (either way round), then compare every table's rows.
    Copy {
        /// The target: a `postgres://` URL of an empty database, or a SQLite
        /// file that does not exist yet.
        #[arg(long, value_name = "URL|FILE")]
        to: String,
    },
    /// Fill the database with realistic posts, users and comments (for load tests).
    Generate(broadsheet::generate::GenerateArgs),
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,actix_server=warn,object_store=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            one_allocator_arena();
            commands::serve(cli.config)
        }
        Command::CreateAdmin { username, email } => {
            commands::create_admin(cli.config, &username, &email)
        }
        Command::Backup { file } => commands::backup(cli.config, &file),
        Command::Restore { file } => commands::restore(&cli.config.database, &file),
        Command::Import {
            file,
            media_from,
            dry_run,
        } => commands::import(cli.config, &file, media_from.as_deref(), dry_run),
        Command::Export { file } => commands::export(cli.config, &file),
        Command::Copy { to } => commands::copy(cli.config, &to),
        Command::Generate(args) => commands::generate(cli.config, &args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("broadsheet: {message}");
            ExitCode::FAILURE
        }
    }
}

/// glibc gives threads that allocate at once arenas of their own (up to
/// eight per core), and each keeps memory it freed: under the benchmark's
/// mixed load one shared arena held 70 MB at the peak where the default held
/// 90, at the same requests/s (see BENCHMARKS.md). glibc reads the setting
/// when a process starts, so the server starts itself again with it, keeping
/// its process id; a value the operator set is left alone.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn one_allocator_arena() {
    use std::os::unix::process::CommandExt;
    const SETTING: &str = "MALLOC_ARENA_MAX";
    if std::env::var_os(SETTING).is_some() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let mut args = std::env::args_os();
    let name = args.next().unwrap_or_else(|| exe.clone().into_os_string());
    // exec returns only when it failed (the binary replaced by an upgrade,
    // say): serve as started.
    let failed = std::process::Command::new(&exe)
        .arg0(name)
        .args(args)
        .env(SETTING, "1")
        .exec();
    tracing::warn!(
        "serving with glibc's default arenas: could not restart with {SETTING}=1: {failed}"
    );
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn one_allocator_arena() {}
