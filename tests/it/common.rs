//! The real app on a temporary SQLite file (or, with
//! `BROADSHEET_TEST_BACKEND=postgres`, a database of its own on the
//! PostgreSQL server `BROADSHEET_TEST_POSTGRES` names), and a small
//! cookie-keeping client.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use actix_http::Request;
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header::{self, HeaderMap};
use actix_web::http::StatusCode;
use actix_web::test;
use broadsheet::accounts::{self, Admins};
use broadsheet::auth::password;
use broadsheet::config::{Config, Switch};
use broadsheet::models::post::PostInput;
use broadsheet::models::setting::SettingsChanges;
use broadsheet::models::{CommentPolicy, Post, Role, Settings, User};
use broadsheet::AppState;
use chrono::{Duration, NaiveDateTime};
use tempfile::TempDir;

/// The app as a test drives it: what `TestApp::service` (or
/// `init_service(build_app(..))`) gives, whatever its body type.
pub trait Svc:
    Service<Request, Response = ServiceResponse<Self::Body>, Error = actix_web::Error>
{
    type Body: MessageBody;
}

impl<S, B> Svc for S
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    type Body = B;
}

/// The app over `state`, ready for requests.
pub async fn service(state: AppState) -> impl Svc {
    test::init_service(broadsheet::build_app(state)).await
}

pub struct TestApp {
    pub dir: TempDir,
    pub state: AppState,
    secret: String,
    /// Dropped after `state`, so its database goes once the app is done.
    pg: Option<PgDatabase>,
}

/// Whether this run puts every test app on PostgreSQL
/// (`BROADSHEET_TEST_BACKEND=postgres`; `.ci/run` runs the suite both ways).
pub fn on_postgres() -> bool {
    match std::env::var("BROADSHEET_TEST_BACKEND").as_deref() {
        Ok("postgres") => true,
        Ok("sqlite") | Ok("") | Err(_) => false,
        Ok(other) => panic!("BROADSHEET_TEST_BACKEND is sqlite or postgres, not {other:?}"),
    }
}

/// Ends a test that is about SQLite itself (its files, pragmas, plans) when
/// the suite runs on PostgreSQL, saying so.
#[macro_export]
macro_rules! sqlite_only {
    ($why:literal) => {
        if $crate::common::on_postgres() {
            $crate::common::skipped("this test on PostgreSQL", $why);
            return;
        }
    };
}

/// Whether this is a CI run, where a test that cannot run fails instead.
pub fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

/// Says why a test did not run, straight to stderr (the harness would
/// swallow `eprintln!` of a passing test), and again, with every other
/// skip, after the harness's own summary, as the run's last lines.
pub fn skipped(test: &str, why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "skipped {test}: {why}");
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: `summary` is a plain function that takes no argument and
        // only locks a static and writes to stderr; atexit runs it once,
        // after the harness has returned and before the process ends.
        #[allow(unsafe_code)]
        unsafe {
            libc::atexit(summary);
        }
    });
    skips()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(format!("{test}: {why}"));
}

fn skips() -> &'static std::sync::Mutex<Vec<String>> {
    static SKIPS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    &SKIPS
}

extern "C" fn summary() {
    use std::io::Write;
    let skips = skips().lock().unwrap_or_else(|e| e.into_inner());
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "\n{} skipped, and why:", skips.len());
    for skip in skips.iter() {
        let _ = writeln!(err, "  {skip}");
    }
}

/// A database of its own on the PostgreSQL test server, dropped afterwards.
pub struct PgDatabase {
    /// The server's URL, for connecting to it outside this database.
    pub admin: String,
    pub name: String,
    pub url: String,
}

impl PgDatabase {
    /// A new empty database; `None` (with the reason printed) when no server
    /// is named, which fails instead under CI or a PostgreSQL run.
    pub fn new(test: &str) -> Option<PgDatabase> {
        PgDatabase::create(test, "")
    }

    /// A new database copied from this run's migrated and seeded one.
    fn from_template(test: &str) -> Option<PgDatabase> {
        let template = pg_template()?;
        PgDatabase::create(test, &format!(" TEMPLATE {template}"))
    }

    fn create(test: &str, template: &str) -> Option<PgDatabase> {
        let Ok(server) = std::env::var("BROADSHEET_TEST_POSTGRES") else {
            assert!(
                !ci() && !on_postgres(),
                "{test}: BROADSHEET_TEST_POSTGRES names no PostgreSQL server (.ci/run starts one)"
            );
            skipped(test, "BROADSHEET_TEST_POSTGRES names no PostgreSQL server");
            return None;
        };
        use diesel::{Connection, RunQueryDsl};
        let suffix = broadsheet::auth::session::random_token()[..8]
            .to_lowercase()
            .replace(|c: char| !c.is_ascii_alphanumeric(), "x");
        let name = format!("bs_{}_{suffix}", std::process::id());
        let mut conn = diesel::PgConnection::establish(&server).expect("the test server");
        diesel::sql_query(format!("CREATE DATABASE {name}{template}"))
            .execute(&mut conn)
            .expect("a scratch database");
        let mut url = url::Url::parse(&server).expect("a URL");
        url.set_path(&name);
        Some(PgDatabase {
            admin: server,
            name,
            url: url.to_string(),
        })
    }

    pub fn database(&self) -> broadsheet::db::Database {
        self.url.parse().unwrap()
    }

    /// A test site's config on this database, its media in `media`.
    pub fn config(&self, media: &std::path::Path) -> Config {
        let mut config = Config::for_database(self.database());
        config.media_dir = Some(media.to_path_buf());
        config.base_url = Some("http://blog.test".into());
        config.cache_revalidate_ms = 0;
        config
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        use diesel::{Connection, RunQueryDsl};
        if let Ok(mut conn) = diesel::PgConnection::establish(&self.admin) {
            let _ = diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut conn);
        }
    }
}

/// Where this run keeps its template databases: a run's are named by its
/// process id, and those of runs that have ended are removed.
fn templates_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("templates");
    std::fs::create_dir_all(&dir).expect("a folder for template databases");
    dir
}

/// Whether the process that named a template by its id has ended.
fn ended(pid: &str) -> bool {
    pid.parse::<u32>()
        .is_ok_and(|p| !Path::new(&format!("/proc/{p}")).exists())
}

/// A migrated and seeded SQLite file, made once a run: each test app starts
/// from a copy of it instead of running every migration.
fn sqlite_template() -> &'static Path {
    static TEMPLATE: OnceLock<PathBuf> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let dir = templates_dir();
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let pid = name
                .strip_prefix("sqlite-")
                .and_then(|n| n.split('.').next());
            if pid.is_some_and(ended) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        let path = dir.join(format!("sqlite-{}.db", std::process::id()));
        let _ = std::fs::remove_file(&path);
        broadsheet::db::create(&path.clone().into(), broadsheet::models::FILL)
            .expect("the template database");
        path
    })
}

/// The PostgreSQL twin of `sqlite_template`: a database on the test server
/// that `CREATE DATABASE … TEMPLATE` copies.
fn pg_template() -> Option<&'static str> {
    static TEMPLATE: OnceLock<Option<String>> = OnceLock::new();
    TEMPLATE
        .get_or_init(|| {
            use diesel::{Connection, RunQueryDsl};
            #[derive(diesel::QueryableByName)]
            struct Named {
                #[diesel(sql_type = diesel::sql_types::Text)]
                datname: String,
            }
            let empty = PgDatabase::new("the template database")?;
            let mut conn = diesel::PgConnection::establish(&empty.admin).expect("the test server");
            let old: Vec<Named> = diesel::sql_query(
                "SELECT datname FROM pg_database WHERE datname LIKE 'bs\\_template\\_%'",
            )
            .load(&mut conn)
            .expect("the server's databases");
            for Named { datname } in old {
                if datname.strip_prefix("bs_template_").is_some_and(ended) {
                    let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {datname}"))
                        .execute(&mut conn);
                }
            }
            let name = format!("bs_template_{}", std::process::id());
            diesel::sql_query(format!("DROP DATABASE IF EXISTS {name}"))
                .execute(&mut conn)
                .expect("no older template");
            diesel::sql_query(format!("ALTER DATABASE {} RENAME TO {name}", empty.name))
                .execute(&mut conn)
                .expect("the template's name");
            let mut url = url::Url::parse(&empty.admin).expect("a URL");
            url.set_path(&name);
            // Kept for the run: nothing drops it but the next run.
            std::mem::forget(empty);
            broadsheet::db::create(
                &url.as_str().parse().expect("a database URL"),
                broadsheet::models::FILL,
            )
            .expect("the template database");
            Some(name)
        })
        .as_deref()
}

impl TestApp {
    /// A fresh site with its welcome post removed, so tests start from nothing.
    pub fn new() -> TestApp {
        let app = TestApp::fresh_with(|_| {});
        diesel::RunQueryDsl::execute(diesel::sql_query("DELETE FROM posts"), &mut *app.conn())
            .unwrap();
        app
    }

    /// A fresh site as a new owner gets it (welcome post included).
    pub fn fresh_with(tune: impl FnOnce(&mut Config)) -> TestApp {
        TestApp::open(on_postgres(), tune)
    }

    /// `new()` on a SQLite file whichever backend the run is on (its config
    /// tuned), for tests that move a site between the two.
    pub fn on_sqlite_with(tune: impl FnOnce(&mut Config)) -> TestApp {
        let app = TestApp::open(false, tune);
        diesel::RunQueryDsl::execute(diesel::sql_query("DELETE FROM posts"), &mut *app.conn())
            .unwrap();
        app
    }

    /// `fresh_with(|_| {})` on a SQLite file (the welcome post kept).
    pub fn open_on_sqlite() -> TestApp {
        TestApp::open(false, |_| {})
    }

    fn open(postgres: bool, tune: impl FnOnce(&mut Config)) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("test.db");
        let mut config = Config::for_database(file.clone());
        let pg = postgres.then(|| PgDatabase::from_template("the test app").unwrap());
        if pg.is_none() {
            std::fs::copy(sqlite_template(), &file).expect("a copy of the template");
        }
        if let Some(pg) = &pg {
            config = pg.config(&dir.path().join("media"));
        }
        config.base_url = Some("http://blog.test".into());
        // Tests write through the models behind the app's back; read the
        // change counter on every request so cached pages never lag them.
        config.cache_revalidate_ms = 0;
        // Hundreds of accounts a run: fixtures and sign-ups hash cheaply
        // (`account::a_visitor_registers_and_is_signed_in_as_a_commenter` keeps
        // the real one).
        config.password_cost = password::Cost::Test;
        // The system's time until a test moves it (`TestApp::advance`).
        config.clock = broadsheet::clock::Clock::settable();
        tune(&mut config);
        let state = AppState::open(config).unwrap();
        let secret = broadsheet::auth::session::random_token()[..12].to_string();
        TestApp {
            dir,
            state,
            secret,
            pg,
        }
    }

    /// The app over a state opened elsewhere (a PostgreSQL database, say).
    pub fn with_state(state: AppState) -> TestApp {
        let secret = broadsheet::auth::session::random_token()[..12].to_string();
        TestApp {
            dir: tempfile::tempdir().unwrap(),
            state,
            secret,
            pg: None,
        }
    }

    pub fn without_rate_limits() -> TestApp {
        let app = TestApp::fresh_with(|c| c.rate_limits = Switch::Off);
        diesel::RunQueryDsl::execute(diesel::sql_query("DELETE FROM posts"), &mut *app.conn())
            .unwrap();
        app
    }

    pub fn state(&self) -> AppState {
        self.state.clone()
    }

    /// Moves the site's clock forward: what falls due in that time is due.
    pub fn advance(&self, by: Duration) {
        self.state.config.clock.advance(by);
    }

    /// This site's app, ready for requests.
    pub async fn service(&self) -> impl Svc {
        service(self.state()).await
    }

    /// The config this app was opened with, for a command or a second
    /// instance on the same database.
    pub fn config(&self) -> Config {
        Config::clone(&self.state.config)
    }

    pub fn conn(&self) -> broadsheet::db::PooledConn {
        self.state.pool.get().unwrap()
    }

    /// Each test user's password: generated per test run, never a fixed string.
    pub fn password(&self, username: &str) -> String {
        format!("{username}-{}", self.secret)
    }

    pub fn user(&self, username: &str, role: Role) -> User {
        let hash =
            password::hash(&self.password(username), self.state.config.password_cost).unwrap();
        accounts::create(
            &mut self.conn(),
            username,
            &format!("{username}@example.com"),
            &hash,
            role,
            Admins::Any,
        )
        .unwrap()
        .expect("a new name")
    }

    /// A published post, `days_ago` days old.
    pub fn post(&self, title: &str, body: &str, days_ago: i64) -> Post {
        self.post_with(title, |p| {
            p.body = body.into();
            p.published_at = Some(self.state.now() - Duration::days(days_ago));
        })
    }

    pub fn post_with(&self, title: &str, tune: impl FnOnce(&mut PostInput)) -> Post {
        let mut input = PostInput {
            kind: broadsheet::models::PostKind::Post,
            title: title.into(),
            slug: String::new(),
            dateline: String::new(),
            body: format!("The story of {title}."),
            tags: vec![],
            published: true,
            published_at: None,
            comments_enabled: true,
            author_id: None,
            ..Default::default()
        };
        tune(&mut input);
        let new = input.render();
        broadsheet::db::write_with(&mut self.conn(), |conn| {
            Ok(Post::create(conn, &new, self.state.now())?)
        })
        .unwrap()
    }

    /// Changes the site settings as the settings form would.
    pub fn settings(
        &self,
        title: &str,
        description: &str,
        posts_per_page: i32,
        comment_policy: &str,
    ) {
        let changes = SettingsChanges {
            title,
            description,
            posts_per_page,
            comment_policy: CommentPolicy::parse(comment_policy).expect("a comment policy"),
            menu: None,
            icon_media_id: None,
        };
        Settings::update(&mut self.conn(), &changes).unwrap();
    }

    /// Sets the comment policy and keeps the other settings.
    pub fn comment_policy(&self, policy: &str) {
        let now = Settings::load(&mut self.conn()).unwrap();
        self.settings(&now.title, &now.description, now.posts_per_page, policy);
    }

    /// A published page (comments off, as the form starts one), made as
    /// `post_with` makes posts.
    pub fn page(&self, title: &str, tune: impl FnOnce(&mut PostInput)) -> Post {
        self.post_with(title, |p| {
            p.kind = broadsheet::models::PostKind::Page;
            p.comments_enabled = false;
            tune(p);
        })
    }

    pub fn post_at(&self, title: &str, at: NaiveDateTime) -> Post {
        self.post_with(title, |p| p.published_at = Some(at))
    }
}

pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The CSRF token of the first form on the page.
    pub fn csrf(&self) -> String {
        let marker = r#"name="csrf_token" value=""#;
        let start = self.body.find(marker).expect("page has a csrf_token field") + marker.len();
        let end = self.body[start..].find('"').unwrap() + start;
        self.body[start..end].to_string()
    }

    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .filter_map(|v| v.to_str().ok().map(str::to_string))
            .collect()
    }

    pub fn contains(&self, text: &str) -> bool {
        self.body.contains(text)
    }
}

/// One part of a multipart form.
pub enum Part<'a> {
    Text(&'a str, &'a str),
    File {
        name: &'a str,
        file_name: &'a str,
        content_type: &'a str,
        bytes: &'a [u8],
    },
}

/// A client that keeps cookies between requests, as a browser does.
#[derive(Default, Clone)]
pub struct Browser {
    pub cookies: HashMap<String, String>,
    /// The address the server sees it at (10.1.2.3 unless told).
    pub peer: Option<std::net::SocketAddr>,
}

impl Browser {
    pub fn new() -> Browser {
        Browser::default()
    }

    /// A browser connecting from `peer` ("192.0.2.1:4000", "[2001:db8::1]:4000").
    pub fn at(peer: &str) -> Browser {
        Browser {
            peer: Some(peer.parse().expect("a socket address")),
            ..Browser::default()
        }
    }

    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies.get(name).map(String::as_str)
    }

    pub fn with_cookies(&self, mut req: test::TestRequest) -> test::TestRequest {
        if !self.cookies.is_empty() {
            let header: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            req = req.insert_header((header::COOKIE, header.join("; ")));
        }
        req.peer_addr(
            self.peer
                .unwrap_or_else(|| "10.1.2.3:4567".parse().unwrap()),
        )
    }

    pub async fn send(&mut self, svc: &impl Svc, req: test::TestRequest) -> Page {
        let res = test::call_service(svc, self.with_cookies(req).to_request()).await;
        let status = res.status();
        let headers = res.headers().clone();
        for cookie in res.response().cookies() {
            let expired = cookie
                .max_age()
                .is_some_and(|a| a.is_zero() || a.is_negative());
            if expired || cookie.value().is_empty() {
                self.cookies.remove(cookie.name());
            } else {
                self.cookies
                    .insert(cookie.name().to_string(), cookie.value().to_string());
            }
        }
        let body = String::from_utf8_lossy(&test::read_body(res).await).into_owned();
        Page {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&mut self, svc: &impl Svc, uri: &str) -> Page {
        self.send(svc, test::TestRequest::get().uri(uri)).await
    }

    /// Posts a form; `fields` as given, nothing added.
    pub async fn post(&mut self, svc: &impl Svc, uri: &str, fields: &[(&str, &str)]) -> Page {
        let body = serde_urlencoded_body(fields);
        let req = test::TestRequest::post()
            .uri(uri)
            .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
            .set_payload(body);
        self.send(svc, req).await
    }

    /// Posts a `multipart/form-data` body made of `parts`, in their order.
    pub async fn upload(&mut self, svc: &impl Svc, uri: &str, parts: &[Part<'_>]) -> Page {
        let boundary = "----broadsheet-test-boundary-7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        for part in parts {
            body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
            match part {
                Part::Text(name, value) => {
                    body.extend_from_slice(
                        format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n")
                            .as_bytes(),
                    );
                    body.extend_from_slice(value.as_bytes());
                }
                Part::File {
                    name,
                    file_name,
                    content_type,
                    bytes,
                } => {
                    body.extend_from_slice(
                        format!(
                            "Content-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: {content_type}\r\n\r\n"
                        )
                        .as_bytes(),
                    );
                    body.extend_from_slice(bytes);
                }
            }
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let req = test::TestRequest::post()
            .uri(uri)
            .insert_header((
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            ))
            .set_payload(body);
        self.send(svc, req).await
    }

    /// Opens `form_page`, takes its CSRF token, and posts `fields` with it to `action`.
    pub async fn submit(
        &mut self,
        svc: &impl Svc,
        form_page: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> Page {
        let page = self.get(svc, form_page).await;
        let token = page.csrf();
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("csrf_token", &token));
        self.post(svc, action, &all).await
    }

    /// Signs in through the real login form.
    pub async fn login(&mut self, svc: &impl Svc, app: &TestApp, username: &str) -> Page {
        let password = app.password(username);
        let page = self
            .submit(
                svc,
                "/login",
                "/login",
                &[("username", username), ("password", &password)],
            )
            .await;
        assert_eq!(
            page.status,
            StatusCode::SEE_OTHER,
            "login as {username} failed: {}",
            page.body
        );
        page
    }
}

fn serde_urlencoded_body(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", urlencoding::encode(k), urlencoding::encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}
