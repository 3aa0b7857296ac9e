//! The real `broadsheet` binary as a process on 127.0.0.1 (start, SIGTERM,
//! `kill -9`) and a minimal HTTP/1.1 client that keeps cookies, for the tests
//! that need a real server: crashes, full disks, concurrent writers.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use broadsheet::accounts::{self, Admins};
use broadsheet::auth::password;
use broadsheet::config::Config;
use broadsheet::models::post::PostInput;
use broadsheet::models::{Post, Role, User};
use broadsheet::{db, AppState};

pub const BIN: &str = env!("CARGO_BIN_EXE_broadsheet");

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

/// A running server; dropping it kills it.
pub struct Server {
    pub child: Child,
    pub port: u16,
    pub log: PathBuf,
}

impl Server {
    /// `broadsheet serve` on `db`, rate limits off, waiting until /healthz answers.
    pub fn start(db: &Path, log: &Path) -> Server {
        Server::start_wrapped(&[], db, log)
    }

    /// The same, run through `wrapper` (for example `unshare … sh -c …`).
    pub fn start_wrapped(wrapper: &[&str], db: &Path, log: &Path) -> Server {
        Server::spawn(wrapper, db.as_os_str(), &["--rate-limits", "off"], log)
    }

    /// `broadsheet serve` on `database` (a file or a PostgreSQL URL) with
    /// these flags, waiting until /healthz answers.
    pub fn start_with(database: &str, flags: &[&str], log: &Path) -> Server {
        Server::spawn(&[], database.as_ref(), flags, log)
    }

    fn spawn(wrapper: &[&str], database: &std::ffi::OsStr, flags: &[&str], log: &Path) -> Server {
        let port = free_port();
        let out = std::fs::File::create(log).expect("log file");
        let err = out.try_clone().expect("log file");
        let mut command = match wrapper.split_first() {
            Some((program, args)) => {
                let mut c = Command::new(program);
                c.args(args).arg(BIN);
                c
            }
            None => Command::new(BIN),
        };
        let child = command
            .arg("--database")
            .arg(database)
            .args(["--bind", &format!("127.0.0.1:{port}")])
            .args(flags)
            .env(
                "RUST_LOG",
                std::env::var("TEST_SERVER_LOG").unwrap_or_else(|_| "info".into()),
            )
            .env_remove("BROADSHEET_BASE_URL")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .expect("start broadsheet");
        let mut server = Server {
            child,
            port,
            log: log.to_path_buf(),
        };
        server.wait_healthy();
        server
    }

    fn wait_healthy(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(res) = request(self.port, "GET", "/healthz", "", None) {
                if res.status == 200 {
                    return;
                }
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "server exited during start-up ({status}, {}):\n{}",
                    self.log.display(),
                    self.log()
                );
            }
            assert!(
                Instant::now() < deadline,
                "server did not start:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `kill -9`: no chance to flush or finish anything.
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then waits for the exit.
    pub fn term(mut self) -> ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        self.child.wait().expect("wait for the server")
    }

    pub fn agent(&self) -> Agent {
        Agent::new(self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("--- server log (tail) ---\n{}", tail(&self.log(), 40));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn location(&self) -> &str {
        self.header("location").unwrap_or("")
    }

    pub fn csrf(&self) -> String {
        let marker = r#"name="csrf_token" value=""#;
        let start = self.body.find(marker).expect("page has a csrf_token field") + marker.len();
        let end = self.body[start..].find('"').expect("end of the token") + start;
        self.body[start..end].to_string()
    }
}

/// One request on a fresh connection (`Connection: close`), read to the end.
pub fn request(
    port: u16,
    method: &str,
    path: &str,
    cookies: &str,
    form: Option<&str>,
) -> std::io::Result<Response> {
    let body = form.map(|f| ("application/x-www-form-urlencoded", f.as_bytes()));
    request_with(port, method, path, cookies, body)
}

/// A request with a body of the given type (a multipart upload, say).
pub fn request_with(
    port: u16,
    method: &str,
    path: &str,
    cookies: &str,
    body: Option<(&str, &[u8])>,
) -> std::io::Result<Response> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    send_request(&mut stream, port, method, path, cookies, body)?;
    read_response(stream)
}

/// Writes a request with its body on `stream`.
pub fn send_request(
    stream: &mut TcpStream,
    port: u16,
    method: &str,
    path: &str,
    cookies: &str,
    body: Option<(&str, &[u8])>,
) -> std::io::Result<()> {
    let mut head =
        format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
    if !cookies.is_empty() {
        head.push_str(&format!("Cookie: {cookies}\r\n"));
    }
    if let Some((content_type, body)) = body {
        head.push_str(&format!(
            "Content-Type: {content_type}\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    if let Some((_, body)) = body {
        stream.write_all(body)?;
    }
    Ok(())
}

/// The answer to the request sent on `stream`, read to its end.
pub fn read_response(mut stream: TcpStream) -> std::io::Result<Response> {
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    parse(&raw).ok_or_else(|| std::io::Error::other("malformed or cut-off answer"))
}

/// Bytes a client on local port `client` has sent to the server on `server`
/// that the server has not read yet (in either socket's queue, from
/// Linux's /proc/net/tcp); `None` while no such connection is listed.
pub fn unread_bytes(server: u16, client: u16) -> Option<u64> {
    let table = std::fs::read_to_string("/proc/net/tcp").expect("Linux's /proc/net/tcp");
    let port = |address: &str| u16::from_str_radix(address.rsplit(':').next()?, 16).ok();
    let mut found = None;
    for line in table.lines().skip(1) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (Some(local), Some(remote), Some(queues)) = (
            fields.get(1).and_then(|a| port(a)),
            fields.get(2).and_then(|a| port(a)),
            fields.get(4),
        ) else {
            continue;
        };
        let (tx, rx) = queues.split_once(':')?;
        let (tx, rx) = (
            u64::from_str_radix(tx, 16).ok()?,
            u64::from_str_radix(rx, 16).ok()?,
        );
        // The client's unsent bytes, and the server's unread ones.
        let waiting = match (local, remote) {
            (l, r) if l == client && r == server => tx,
            (l, r) if l == server && r == client => rx,
            _ => continue,
        };
        found = Some(found.unwrap_or(0) + waiting);
    }
    found
}

fn parse(raw: &[u8]) -> Option<Response> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..split]).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(n, v)| n.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if chunked {
        body = dechunk(&body)?;
    } else if let Some((_, len)) = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
    {
        if body.len() != len.parse::<usize>().ok()? {
            return None;
        }
    }
    Some(Response {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n")?;
        let size =
            usize::from_str_radix(std::str::from_utf8(&data[..line_end]).ok()?.trim(), 16).ok()?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(data.get(..size)?);
        data = data.get(size + 2..)?;
    }
}

/// A `multipart/form-data` body of text fields and then one file per
/// `(file name, bytes)`, each in the `file` field; and its content type.
pub fn multipart(fields: &[(&str, &str)], files: &[(&str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----broadsheet-process-boundary-q4kVf2";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    for (file_name, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

pub fn form(fields: &[(&str, &str)]) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields {
        out.append_pair(k, v);
    }
    out.finish()
}

/// A visitor with a cookie jar.
pub struct Agent {
    pub port: u16,
    cookies: HashMap<String, String>,
}

impl Agent {
    pub fn new(port: u16) -> Agent {
        Agent {
            port,
            cookies: HashMap::new(),
        }
    }

    /// The `Cookie` header this visitor sends.
    pub fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep(&mut self, res: &Response) {
        for (name, value) in &res.headers {
            if !name.eq_ignore_ascii_case("set-cookie") {
                continue;
            }
            let pair = value.split(';').next().unwrap_or("");
            if let Some((k, v)) = pair.split_once('=') {
                if v.is_empty() || value.contains("Max-Age=0") {
                    self.cookies.remove(k);
                } else {
                    self.cookies.insert(k.to_string(), v.to_string());
                }
            }
        }
    }

    pub fn has_cookie(&self, name: &str) -> bool {
        self.cookies.contains_key(name)
    }

    pub fn get(&mut self, path: &str) -> std::io::Result<Response> {
        let res = request(self.port, "GET", path, &self.cookie_header(), None)?;
        self.keep(&res);
        Ok(res)
    }

    pub fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> std::io::Result<Response> {
        let res = request(
            self.port,
            "POST",
            path,
            &self.cookie_header(),
            Some(&form(fields)),
        )?;
        self.keep(&res);
        Ok(res)
    }

    /// Opens `page`, then sends its form to `action` with `fields` and the token.
    pub fn submit(
        &mut self,
        page: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> std::io::Result<Response> {
        let token = self.get(page)?.csrf();
        let mut all = fields.to_vec();
        all.push(("csrf_token", &token));
        self.post(action, &all)
    }

    pub fn login(&mut self, username: &str, password: &str) -> std::io::Result<Response> {
        self.submit(
            "/login",
            "/login",
            &[("username", username), ("password", password)],
        )
    }
}

/// A new blog's database file, made on one connection and closed: no pool
/// whose threads might still open it after this returns, so the file's
/// bytes no longer change under a test.
pub fn closed_blog(path: &Path) {
    db::create(&path.to_path_buf().into(), broadsheet::models::FILL).expect("a new blog");
}

/// A database as the server makes it, with these accounts (each password is
/// `password_of(name)`).
pub fn site_with_users(database: impl Into<db::Database>, users: &[(&str, Role)]) -> Vec<User> {
    let state = AppState::open(Config::for_database(database)).expect("open");
    let mut conn = state.pool.get().expect("connection");
    users
        .iter()
        .map(|(name, role)| {
            let hash = password::hash(&password_of(name), password::Cost::Test).expect("hash");
            db::write_with(&mut conn, |conn| {
                let email = format!("{name}@example.com");
                accounts::create(conn, name, &email, &hash, *role, Admins::Any)
            })
            .expect("insert user")
            .expect("a new name")
        })
        .collect()
}

/// A per-run password for a test account: never a fixed string.
pub fn password_of(name: &str) -> String {
    static SECRET: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let secret = SECRET.get_or_init(|| broadsheet::auth::session::random_token()[..12].to_string());
    format!("{name}-{secret}")
}

/// Rows of `table` in the database file at `path`.
pub fn count(path: &Path, sql: &str) -> i64 {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = SqliteConnection::establish(&path.to_string_lossy()).expect("open");
    diesel::sql_query(sql)
        .get_result::<N>(&mut conn)
        .expect("count")
        .n
}

/// A published post written through the models, as the dashboard would.
pub fn publish(database: impl Into<db::Database>, title: &str, body: &str) -> Post {
    let state = AppState::open(Config::for_database(database)).unwrap();
    let new = PostInput {
        kind: broadsheet::models::PostKind::Post,
        title: title.into(),
        slug: String::new(),
        dateline: String::new(),
        body: body.into(),
        tags: vec![],
        published: true,
        published_at: None,
        comments_enabled: true,
        author_id: None,
        ..Default::default()
    }
    .render();
    db::write_with(&mut state.pool.get().unwrap(), |conn| {
        Ok(Post::create(conn, &new, broadsheet::models::now())?)
    })
    .unwrap()
}

/// Sets the comment policy to open, as the settings form would.
pub fn open_comments(database: impl Into<db::Database>) {
    let state = AppState::open(Config::for_database(database)).unwrap();
    db::write_with(&mut state.pool.get().unwrap(), |conn| {
        use diesel::RunQueryDsl;
        Ok(diesel::sql_query("UPDATE settings SET comment_policy = 'open'").execute(conn)?)
    })
    .unwrap();
}
