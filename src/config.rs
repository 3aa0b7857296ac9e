//! Command-line flags, each also an environment variable.

use std::net::IpAddr;
use std::path::PathBuf;

use crate::db::Database;

use clap::{Args, ValueEnum};
use ipnet::IpNet;

#[derive(Args, Clone, Debug)]
pub struct Config {
    /// Address and port to listen on.
    #[arg(
        long,
        env = "BROADSHEET_BIND",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    pub bind: String,

    /// SQLite database file, or a PostgreSQL URL (postgres://user@host/db).
    /// Only `serve` creates and migrates a missing one; every other command
    /// refuses it (start `serve` once first).
    #[arg(
        long,
        env = "BROADSHEET_DATABASE",
        default_value = "broadsheet.db",
        global = true
    )]
    pub database: Database,

    /// Public address of the site, used in feeds, canonical links and the sitemap
    /// (default: http://BIND).
    #[arg(long, env = "BROADSHEET_BASE_URL", global = true)]
    pub base_url: Option<String>,

    /// Mark the session cookie Secure (serve over HTTPS when you set this).
    #[arg(long, env = "BROADSHEET_SECURE_COOKIES", global = true)]
    pub secure_cookies: bool,

    /// Sign-in, registration and comment rate limits; `off` only for benchmarks.
    #[arg(long, env = "BROADSHEET_RATE_LIMITS", value_enum, default_value_t = Switch::On, global = true)]
    pub rate_limits: Switch,

    /// How soon cached pages notice a change made outside this process (by
    /// another instance behind the same load balancer, or the command line).
    #[arg(
        long,
        env = "BROADSHEET_CACHE_REVALIDATE_MS",
        default_value_t = 250,
        global = true
    )]
    pub cache_revalidate_ms: u64,

    /// Memory for the page, article and session caches together, in megabytes
    /// (what their entries weigh; the process needs some more of its own).
    #[arg(
        long,
        env = "BROADSHEET_CACHE_MB",
        default_value_t = 32,
        value_parser = clap::value_parser!(u64).range(1..=1_048_576),
        global = true
    )]
    pub cache_mb: u64,

    /// Folder for uploaded images (default: `media` beside the database).
    #[arg(long, env = "BROADSHEET_MEDIA_DIR", global = true)]
    pub media_dir: Option<PathBuf>,

    /// Keep uploaded images in S3-compatible object storage instead of a
    /// folder: s3://BUCKET/PREFIX. Credentials, region and endpoint come from
    /// the standard AWS_* environment variables, never from a flag.
    #[arg(
        long,
        env = "BROADSHEET_MEDIA_STORE",
        value_name = "URL",
        value_parser = parse_media_store,
        conflicts_with = "media_dir",
        global = true
    )]
    pub media_store: Option<String>,

    /// A reverse proxy's address or range (CIDR), repeatable: from these peers
    /// `X-Forwarded-For` / `Forwarded` name the client; from others they are ignored.
    #[arg(
        long = "trusted-proxy",
        env = "BROADSHEET_TRUSTED_PROXY",
        value_name = "CIDR",
        value_delimiter = ',',
        value_parser = parse_cidr,
        global = true
    )]
    pub trusted_proxy: Vec<IpNet>,

    /// The largest export file the dashboard's import takes, in bytes
    /// (`broadsheet import FILE` has no limit). Hidden: the default suits a
    /// site; tests lower it.
    #[arg(
        long,
        env = "BROADSHEET_IMPORT_MAX_BYTES",
        default_value_t = DEFAULT_IMPORT_MAX_BYTES,
        hide = true,
        global = true
    )]
    pub import_max_bytes: u64,

    /// What a new password hash costs. No flag or variable sets it: tests'
    /// fixtures lower it in code (`Cost::Test`), every site runs `Full`.
    #[arg(skip)]
    pub password_cost: PasswordCost,

    /// The time the site goes by. No flag or variable sets it: every site
    /// runs on the system's; tests move a settable one forward.
    #[arg(skip)]
    pub clock: crate::clock::Clock,

    /// How long a write may wait for its turn before it is answered 503
    /// (`db::LONGEST_WAIT`). No flag or variable sets it: tests lower it to
    /// see the bound without waiting ten seconds.
    #[arg(skip = crate::db::LONGEST_WAIT)]
    pub longest_write_wait: std::time::Duration,

    /// How long one request to the media bucket may take
    /// (`media::REQUEST_TIMEOUT`). No flag or variable sets it: tests lower
    /// it to see a silent bucket given up without waiting its 15 s.
    #[arg(skip = crate::media::REQUEST_TIMEOUT)]
    pub media_request_timeout: std::time::Duration,
}

/// 1 GiB: a WordPress export of 10,000 posts and 100,000 comments is about
/// 100 MB.
pub const DEFAULT_IMPORT_MAX_BYTES: u64 = 1024 * 1024 * 1024;

/// A CIDR range, or one address (a range of one).
fn parse_cidr(s: &str) -> Result<IpNet, String> {
    let s = s.trim();
    s.parse::<IpNet>()
        .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("`{s}` is not an address or a CIDR range such as 10.0.0.0/8"))
}

/// An `s3://` URL, checked here so a typo is refused before anything opens.
fn parse_media_store(s: &str) -> Result<String, String> {
    crate::media::parse_s3_url(s.trim()).map(|_| s.trim().to_string())
}

/// What making a new password hash costs (`auth::password` turns it into
/// Argon2's parameters).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PasswordCost {
    /// Argon2id's default (19 MiB, 2 passes), OWASP's recommendation: every
    /// site's.
    #[default]
    Full,
    /// 64 KiB and one pass, for test fixtures: a suite makes hundreds of
    /// accounts. Set in code only, never by a flag or the environment.
    Test,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Switch {
    On,
    Off,
}

impl Config {
    /// A configuration for the given database with every other flag at its default.
    pub fn for_database(database: impl Into<Database>) -> Self {
        Config {
            bind: "127.0.0.1:8080".into(),
            database: database.into(),
            base_url: None,
            secure_cookies: false,
            rate_limits: Switch::On,
            cache_revalidate_ms: 250,
            trusted_proxy: Vec::new(),
            cache_mb: 32,
            media_dir: None,
            media_store: None,
            import_max_bytes: DEFAULT_IMPORT_MAX_BYTES,
            password_cost: Default::default(),
            clock: Default::default(),
            longest_write_wait: crate::db::LONGEST_WAIT,
            media_request_timeout: crate::media::REQUEST_TIMEOUT,
        }
    }

    /// The folder that holds the database file (the working folder for
    /// PostgreSQL): scratch files (exports and uploaded imports being read)
    /// go there, on the same disk, not tmpfs; images by default in `media/`.
    pub fn database_dir(&self) -> PathBuf {
        self.database
            .file()
            .and_then(|f| f.parent())
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), std::path::Path::to_path_buf)
    }

    /// Where uploaded images are stored.
    pub fn media_dir(&self) -> PathBuf {
        match &self.media_dir {
            Some(dir) => dir.clone(),
            None => self.database_dir().join("media"),
        }
    }

    /// The site's public address without a trailing slash.
    pub fn base_url(&self) -> String {
        match &self.base_url {
            Some(url) => url.trim_end_matches('/').to_string(),
            None => format!("http://{}", self.bind),
        }
    }
}
