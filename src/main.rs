//! The `broadsheet` command: serve the blog, or run an administrative task.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use broadsheet::backup::{self, ServerLock};
use broadsheet::config::Config;
use broadsheet::db::{self, Create};
use broadsheet::models::Role;
use broadsheet::{accounts, auth, AppState};
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
    /// Fill the database with realistic posts, users and comments (for load tests).
    Generate(broadsheet::generate::GenerateArgs),
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,actix_server=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(cli.config),
        Command::CreateAdmin { username, email } => create_admin(cli.config, &username, &email),
        Command::Backup { file } => backup(cli.config, &file),
        Command::Restore { file } => restore(&cli.config.database, &file),
        Command::Generate(args) => generate(cli.config, &args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("broadsheet: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Opens an existing database: only `serve` makes a new one.
fn open_existing(config: Config) -> Result<AppState, String> {
    AppState::open_with(config, Create::Never).map_err(|e| e.to_string())
}

fn serve(config: Config) -> Result<(), String> {
    let path = config.database.clone();
    let state = AppState::open(config).map_err(|e| e.to_string())?;
    let _lock = ServerLock::take(&path)?;
    actix_web::rt::System::new()
        .block_on(broadsheet::serve(state))
        .map_err(|e| e.to_string())
}

fn create_admin(config: Config, username: &str, email: &str) -> Result<(), String> {
    let state = open_existing(config)?;
    eprintln!("Password for {username} (one line, at least 10 characters):");
    let mut password = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut password)
        .map_err(|e| e.to_string())?;
    let password = password.trim_end_matches(['\r', '\n']);
    let mut conn = state.pool.get().map_err(|e| e.to_string())?;
    let mut errors = accounts::check_fields(username, email, password);
    accounts::check_unique(&mut conn, username, email, &mut errors).map_err(|e| e.to_string())?;
    if !errors.is_empty() {
        let lines: Vec<String> = errors.0.iter().map(|(f, m)| format!("{f}: {m}")).collect();
        return Err(lines.join("\n"));
    }
    let hash = auth::password::hash(password).map_err(|e| e.to_string())?;
    let user = db::write_with(&mut conn, |conn| {
        accounts::insert(conn, username, email, &hash, Role::Admin)
    })
    .map_err(|e| e.to_string())?;
    println!(
        "Created admin {} (id {}). Sign in at /login.",
        user.username, user.id
    );
    Ok(())
}

fn backup(config: Config, file: &Path) -> Result<(), String> {
    if file.exists() {
        return Err(format!(
            "{} exists already; choose a new file name",
            file.display()
        ));
    }
    let state = open_existing(config)?;
    let mut conn = state.pool.get().map_err(|e| e.to_string())?;
    backup::backup(&mut conn, file).map_err(|e| e.to_string())?;
    println!("Backed up to {}", file.display());
    Ok(())
}

fn restore(database: &Path, file: &Path) -> Result<(), String> {
    let done = backup::restore(database, file).map_err(|e| e.to_string())?;
    if let Some(kept) = &done.kept {
        println!(
            "Kept the replaced database as {} (open it with --database to look back).",
            kept.display()
        );
    }
    for path in &done.cleared {
        println!(
            "Moved or removed {}, left from the replaced database.",
            path.display()
        );
    }
    println!(
        "Restored {} from {}: {} posts, {} comments, {} users. Start the server again.",
        database.display(),
        file.display(),
        done.posts,
        done.comments,
        done.users
    );
    Ok(())
}

fn generate(config: Config, args: &broadsheet::generate::GenerateArgs) -> Result<(), String> {
    let state = open_existing(config)?;
    let mut conn = state.pool.get().map_err(|e| e.to_string())?;
    let done = broadsheet::generate::run(&mut conn, args).map_err(|e| e.to_string())?;
    println!(
        "Generated {} posts, {} comments and {} users in {:.1} s; busiest post: /posts/{}",
        done.posts, done.comments, done.users, done.seconds, done.busy_slug
    );
    Ok(())
}
