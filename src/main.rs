//! The `broadsheet` command: serve the blog, or run an administrative task.

use std::path::PathBuf;
use std::process::ExitCode;

use broadsheet::commands;
use broadsheet::config::Config;
use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "broadsheet",
    version = concat!(env!("CARGO_PKG_VERSION"), " (", env!("BROADSHEET_BUILT_FROM"), ")"),
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
    /// Serve the blog (the default); creates and migrates the database if
    /// needed, the only command that does.
    Serve,
    /// Create an admin account in an existing database; the password is
    /// read from standard input (one line, at least 10 characters).
    CreateAdmin {
        /// The admin's username: 3 to 32 letters, digits, `_` or `-`.
        #[arg(long, value_name = "NAME")]
        username: String,
        /// The admin's email address (also used to sign in).
        #[arg(long, value_name = "EMAIL")]
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
            tune_allocator();
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
        Err(error) => {
            eprintln!("broadsheet: {error}");
            error.exit_code()
        }
    }
}

/// glibc's allocator as the server wants it, each setting unless the
/// operator set it. One arena: by default threads that allocate at once get
/// arenas of their own (up to eight per core), each keeping memory it freed.
/// Fixed thresholds: by default a freed block larger than the mmap threshold
/// raises it, so the next password check's 19 MiB comes from the heap and
/// stays there; with them a block over 1 MiB is always mapped and given back
/// when freed, and the heap is trimmed only past 4 MiB free at its top (one
/// arena trimming at glibc's 128 KiB cost a quarter of signed-in requests/s).
/// Measured under the benchmark's mixed load on the 100,000-post site: peak
/// RSS 61 MB, where the defaults reached 74 and one arena alone 65.
const ALLOCATOR: [(&str, &str); 3] = [
    ("MALLOC_ARENA_MAX", "1"),
    ("MALLOC_MMAP_THRESHOLD_", "1048576"),
    ("MALLOC_TRIM_THRESHOLD_", "4194304"),
];

/// glibc reads its settings when a process starts, so the server starts
/// itself again with them (keeping its process id) when one is missing.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn tune_allocator() {
    use std::os::unix::process::CommandExt;
    let missing: Vec<_> = ALLOCATOR
        .iter()
        .filter(|(name, _)| std::env::var_os(name).is_none())
        .copied()
        .collect();
    if missing.is_empty() {
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
        .envs(missing)
        .exec();
    tracing::warn!(
        "serving with glibc's default allocator settings: could not restart with them: {failed}"
    );
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tune_allocator() {}
