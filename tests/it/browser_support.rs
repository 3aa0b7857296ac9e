//! A real browser for the end-to-end tests: the built `broadsheet` binary on a
//! fresh database, chromedriver, and headless Chromium sessions with their own
//! profiles. Every process started here is stopped by a guard when the test
//! ends, passes or fails.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::wd::{Capabilities, WebDriverCompatibleCommand};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use tempfile::TempDir;

/// How long a page may take to show what a test waits for.
const PATIENCE: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(25);

/// Where Chromium and its driver live on this machine.
pub struct Tools {
    pub chromium: PathBuf,
    pub chromedriver: PathBuf,
}

impl Tools {
    /// Chromium and chromedriver, or `None` (with the reason printed) on a
    /// machine without them. With `CI` set a missing browser fails the test.
    pub fn find(test: &str) -> Option<Tools> {
        let chromium = ["chromium", "chromium-browser", "google-chrome"]
            .iter()
            .find_map(|name| on_path(name));
        let chromedriver = on_path("chromedriver");
        match (chromium, chromedriver) {
            (Some(chromium), Some(chromedriver)) => Some(Tools {
                chromium,
                chromedriver,
            }),
            (chromium, _) => {
                let missing = if chromium.is_none() {
                    "chromium"
                } else {
                    "chromedriver"
                };
                let ci =
                    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false");
                assert!(
                    !ci,
                    "{test}: CI is set but {missing} is not installed \
                     (.ci/run installs chromium and chromium-driver)"
                );
                crate::common::skipped(
                    test,
                    &format!(
                        "{missing} is not installed \
                         (apt-get install chromium chromium-driver to run the browser tests)"
                    ),
                );
                None
            }
        }
    }
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// A free port on the loopback interface (bound, then released for the child).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

/// A child process in its own process group; dropping it kills the group
/// (chromedriver's Chromium included) and reaps the child.
struct Guard {
    child: Child,
    name: &'static str,
    log: PathBuf,
}

impl Guard {
    fn spawn(name: &'static str, mut command: Command, log: PathBuf) -> Guard {
        use std::os::unix::process::CommandExt;
        let out = std::fs::File::create(&log).expect("log file");
        let err = out.try_clone().expect("log file");
        let child = command
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        Guard { child, name, log }
    }

    /// Panics with the log's tail if the process has ended.
    fn check_alive(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!(
                "{} exited early ({status}):\n{}",
                self.name,
                tail(&self.log)
            );
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("--- {} log ---\n{}", self.name, tail(&self.log));
        }
        // The whole group: Chromium's processes are chromedriver's children.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

/// Sends one HTTP/1.1 GET and returns the status code (0 when nothing answers).
fn http_status(port: u16, path: &str) -> u16 {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return 0;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return 0;
    }
    let mut head = [0u8; 12];
    if stream.read_exact(&mut head).is_err() {
        return 0;
    }
    std::str::from_utf8(&head[9..12])
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

fn wait_until(what: &str, guard: &mut Guard, mut ready: impl FnMut() -> bool) {
    let started = Instant::now();
    while !ready() {
        guard.check_alive();
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{what} did not start in 30 s:\n{}",
            tail(&guard.log)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The real server binary on a fresh database in a temporary folder.
pub struct Site {
    // Held for their Drop: the server stops, then its folder goes.
    _guard: Guard,
    _dir: TempDir,
    pub base: String,
}

impl Site {
    /// A new site as its owner first sees it.
    pub fn start() -> Site {
        Site::start_with(|_| {})
    }

    /// A site filled by `broadsheet generate` (years of posts, tags, users and
    /// threaded comments), the way a load test fills one.
    pub fn generated(posts: u32) -> Site {
        Site::start_with(|db| {
            // Only the server creates a database; generate fills it.
            let config = broadsheet::config::Config::for_database(db.to_path_buf());
            drop(broadsheet::AppState::open(config).expect("create the database"));
            let out = Command::new(env!("CARGO_BIN_EXE_broadsheet"))
                .arg("--database")
                .arg(db)
                .args(["generate", "--posts", &posts.to_string()])
                .args(["--comments-per-post", "3", "--users", "12"])
                .args(["--busy-post-comments", "8"])
                .env("RUST_LOG", "warn")
                .output()
                .expect("run broadsheet generate");
            assert!(
                out.status.success(),
                "broadsheet generate failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        })
    }

    fn start_with(prepare: impl FnOnce(&Path)) -> Site {
        let dir = tempfile::tempdir().expect("temporary folder");
        prepare(&dir.path().join("site.db"));
        let port = free_port();
        let mut command = Command::new(env!("CARGO_BIN_EXE_broadsheet"));
        command
            .arg("--bind")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--database")
            .arg(dir.path().join("site.db"))
            .env("RUST_LOG", "warn")
            .env_remove("BROADSHEET_BASE_URL");
        let mut guard = Guard::spawn("broadsheet", command, dir.path().join("server.log"));
        wait_until("broadsheet", &mut guard, || {
            http_status(port, "/healthz") == 200
        });
        Site {
            _guard: guard,
            _dir: dir,
            base: format!("http://127.0.0.1:{port}"),
        }
    }
}

/// chromedriver on its own port; it starts a Chromium per session.
pub struct Driver {
    _guard: Guard,
    _dir: TempDir,
    url: String,
    chromium: PathBuf,
}

impl Driver {
    pub fn start(tools: &Tools) -> Driver {
        let dir = tempfile::tempdir().expect("temporary folder");
        let port = free_port();
        let mut command = Command::new(&tools.chromedriver);
        command.arg(format!("--port={port}"));
        let mut guard = Guard::spawn("chromedriver", command, dir.path().join("driver.log"));
        wait_until("chromedriver", &mut guard, || {
            http_status(port, "/status") == 200
        });
        Driver {
            _guard: guard,
            _dir: dir,
            url: format!("http://127.0.0.1:{port}/"),
            chromium: tools.chromium.clone(),
        }
    }
}

/// One person's browser: headless Chromium with a new empty profile.
pub struct Session {
    pub client: Client,
    _profile: TempDir,
    base: String,
    /// Names screenshots: `target/screenshots/{test}-{who}-{page}-{width}.png`.
    prefix: String,
}

impl Session {
    pub async fn open(driver: &Driver, site: &Site, test: &str, who: &str) -> Session {
        let profile = tempfile::tempdir().expect("profile folder");
        let mut caps = Capabilities::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert("pageLoadStrategy".into(), json!("normal"));
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": driver.chromium,
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--disable-extensions",
                    "--disable-default-apps",
                    "--hide-scrollbars",
                    "--window-size=1280,900",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&driver.url)
            .await
            .unwrap_or_else(|e| panic!("cannot open a Chromium session: {e}"));
        Session {
            client,
            _profile: profile,
            base: site.base.clone(),
            prefix: format!("{test}-{who}"),
        }
    }

    /// Ends the browser session (the guards would kill it anyway).
    pub async fn close(self) {
        let _ = self.client.close().await;
    }

    /// Types an address into the bar, as it were.
    pub async fn visit(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|e| panic!("cannot open {path}: {e}"));
    }

    /// The current address without the host: path, query and fragment.
    pub async fn location(&self) -> String {
        let url = self.client.current_url().await.expect("current address");
        let mut out = url.path().to_string();
        if let Some(q) = url.query() {
            out.push('?');
            out.push_str(q);
        }
        if let Some(f) = url.fragment() {
            out.push('#');
            out.push_str(f);
        }
        out
    }

    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("current address");
        url.path().to_string()
    }

    /// Waits until the current path is `path` (query and fragment aside).
    pub async fn wait_for_path(&self, path: &str) {
        let started = Instant::now();
        loop {
            let now = self.path().await;
            if now == path {
                return;
            }
            assert!(
                started.elapsed() < PATIENCE,
                "expected to arrive at {path}, still at {now}:\n{}",
                self.body_text().await
            );
            actix_web::rt::time::sleep(POLL).await;
        }
    }

    /// The first element matching `css`, waiting for it to appear.
    pub async fn find(&self, css: &str) -> Element {
        let started = Instant::now();
        loop {
            match self.client.find(Locator::Css(css)).await {
                Ok(el) => return el,
                Err(e) if started.elapsed() > PATIENCE => {
                    panic!(
                        "no {css} on {}: {e}\n{}",
                        self.location().await,
                        self.body_text().await
                    )
                }
                Err(_) => actix_web::rt::time::sleep(POLL).await,
            }
        }
    }

    pub async fn find_all(&self, css: &str) -> Vec<Element> {
        self.client
            .find_all(Locator::Css(css))
            .await
            .unwrap_or_default()
    }

    pub async fn exists(&self, css: &str) -> bool {
        !self.find_all(css).await.is_empty()
    }

    /// Clicks the link with exactly this text inside `scope` (a CSS selector).
    pub async fn click_link(&self, scope: &str, text: &str) {
        let started = Instant::now();
        loop {
            for link in self.find_all(&format!("{scope} a")).await {
                if link.text().await.is_ok_and(|t| same_words(&t, text)) {
                    link.click()
                        .await
                        .unwrap_or_else(|e| panic!("cannot click “{text}”: {e}"));
                    return;
                }
            }
            assert!(
                started.elapsed() < PATIENCE,
                "no link “{text}” in {scope} on {}",
                self.location().await
            );
            actix_web::rt::time::sleep(POLL).await;
        }
    }

    /// Clicks the first element matching `css`.
    pub async fn click(&self, css: &str) {
        self.find(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("cannot click {css}: {e}"));
    }

    /// Clicks the button with this text inside `scope`.
    pub async fn press(&self, scope: &str, text: &str) {
        for button in self.find_all(&format!("{scope} button")).await {
            if button.text().await.is_ok_and(|t| same_words(&t, text)) {
                button
                    .click()
                    .await
                    .unwrap_or_else(|e| panic!("cannot press “{text}”: {e}"));
                return;
            }
        }
        panic!("no button “{text}” in {scope} on {}", self.location().await);
    }

    /// Clears a field and types into it, as a person would.
    pub async fn fill(&self, css: &str, value: &str) {
        let field = self.find(css).await;
        field.clear().await.expect("clear a field");
        field
            .send_keys(value)
            .await
            .unwrap_or_else(|e| panic!("cannot type into {css}: {e}"));
    }

    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.unwrap_or_default()
    }

    pub async fn body_text(&self) -> String {
        match self.client.find(Locator::Css("body")).await {
            Ok(body) => body.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// On an import's page: presses "Check the progress" (the page never
    /// reloads itself) until the report says `needle`.
    pub async fn check_import_until(&self, needle: &str) {
        let started = Instant::now();
        loop {
            let text = self.body_text().await;
            if text.contains(needle) {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(90),
                "“{needle}” never appeared on {}:\n{text}",
                self.location().await
            );
            if text.contains("Check the progress") {
                self.click_link(".import-progress", "Check the progress")
                    .await;
            }
            actix_web::rt::time::sleep(POLL).await;
        }
    }

    /// Waits until the page's text contains `needle`.
    pub async fn wait_for_text(&self, needle: &str) {
        let started = Instant::now();
        loop {
            let text = self.body_text().await;
            if text.contains(needle) {
                return;
            }
            assert!(
                started.elapsed() < PATIENCE,
                "“{needle}” never appeared on {}:\n{text}",
                self.location().await
            );
            actix_web::rt::time::sleep(POLL).await;
        }
    }

    async fn cdp(&self, cmd: &'static str, params: Value) -> Value {
        self.client
            .issue_cmd(Cdp { cmd, params })
            .await
            .unwrap_or_else(|e| panic!("{cmd} failed: {e}"))
    }

    /// Lays the page out at this width (a phone below 600 px), in the dark
    /// scheme or not.
    async fn emulate(&self, width: u32, dark: bool) {
        self.cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600 }),
        )
        .await;
        let scheme = if dark { "dark" } else { "light" };
        self.cdp(
            "Emulation.setEmulatedMedia",
            json!({ "features": [{ "name": "prefers-color-scheme", "value": scheme }] }),
        )
        .await;
    }

    /// Shows pages as a window `width` px wide (900 high) would, until `reset_width`.
    pub async fn set_width(&self, width: u32) {
        self.emulate(width, false).await;
    }

    pub async fn reset_width(&self) {
        self.reset_emulation().await;
    }

    /// The value a script returns, for measuring what the browser laid out.
    pub async fn measure(&self, script: &str) -> Value {
        self.client
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("cannot run {script}: {e}"))
    }

    async fn reset_emulation(&self) {
        self.cdp("Emulation.clearDeviceMetricsOverride", json!({}))
            .await;
        self.cdp("Emulation.setEmulatedMedia", json!({ "features": [] }))
            .await;
    }

    /// A full-page PNG of what the browser shows now.
    async fn capture(&self, file: &Path) {
        let height = self
            .client
            .execute(
                "window.scrollTo(0, 0); \
                 return Math.ceil(document.documentElement.getBoundingClientRect().height);",
                vec![],
            )
            .await
            .ok()
            .and_then(|v| v.as_f64())
            .unwrap_or(900.0)
            .clamp(600.0, 12000.0);
        let width = self
            .client
            .execute("return document.documentElement.clientWidth;", vec![])
            .await
            .ok()
            .and_then(|v| v.as_f64())
            .unwrap_or(1280.0);
        let shot = self
            .cdp(
                "Page.captureScreenshot",
                json!({
                    "format": "png",
                    "captureBeyondViewport": true,
                    "clip": { "x": 0, "y": 0, "width": width, "height": height, "scale": 1 },
                }),
            )
            .await;
        let data = shot["data"].as_str().expect("screenshot data");
        use base64::Engine;
        let png = base64::engine::general_purpose::STANDARD
            .decode(data)
            .expect("base64 screenshot");
        std::fs::write(file, png).expect("write a screenshot");
    }

    /// Saves the page at 1280 and 390 px wide (and, with `dark`, at 1280 px
    /// in the dark scheme) under `target/screenshots/`, and checks each for
    /// the accessibility basics.
    pub async fn screenshots(&self, page: &str, dark: bool) {
        let dir = screenshot_dir();
        let mut modes = vec![(1280, false), (390, false)];
        if dark {
            modes.push((1280, true));
        }
        for (width, dark) in modes {
            self.emulate(width, dark).await;
            let scheme = if dark { "-dark" } else { "" };
            let file = dir.join(format!("{}-{page}-{width}{scheme}.png", self.prefix));
            self.capture(&file).await;
            self.check_accessibility(&format!("{page} at {width} px{scheme}"))
                .await;
        }
        self.reset_emulation().await;
    }

    /// Presses Tab once, as a keyboard user arriving on the page does.
    pub async fn press_tab(&self) {
        let tab = char::from(fantoccini::key::Key::Tab).to_string();
        self.find("body")
            .await
            .send_keys(&tab)
            .await
            .expect("press Tab");
    }

    /// Saves what the browser shows at 1280 px (the viewport, not the page).
    pub async fn viewport_screenshot(&self, page: &str) {
        let png = self.client.screenshot().await.expect("a screenshot");
        let file = screenshot_dir().join(format!("{}-{page}-1280.png", self.prefix));
        std::fs::write(file, png).expect("write a screenshot");
    }

    /// Runs the accessibility check in the page; panics with what it found.
    pub async fn check_accessibility(&self, what: &str) {
        let problems = self
            .client
            .execute(A11Y_CHECK, vec![])
            .await
            .unwrap_or_else(|e| panic!("accessibility check failed to run: {e}"));
        let problems: Vec<String> = problems
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        assert!(
            problems.is_empty(),
            "accessibility problems on {what} ({}):\n  {}",
            self.location().await,
            problems.join("\n  ")
        );
    }
}

/// Rendered text against what a person reads: CSS may have upper-cased it.
fn same_words(rendered: &str, text: &str) -> bool {
    rendered.trim().to_lowercase() == text.to_lowercase()
}

/// `target/screenshots/`, created on first use.
pub fn screenshot_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).expect("create target/screenshots");
    dir
}

/// A password nobody could guess or find in this repository.
pub fn random_password() -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    (0..20)
        .map(|_| rng.sample(rand::distributions::Alphanumeric) as char)
        .collect()
}

/// A Chrome DevTools command through chromedriver's `goog/cdp/execute`.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({ "cmd": self.cmd, "params": self.params });
        (http::Method::POST, Some(body.to_string()))
    }
}

/// What a person using a screen reader or a keyboard needs on every page:
/// `lang`, a skip link, the landmarks, a label for every field, headings that
/// do not skip a level, alt text, valid `aria-describedby` targets and text
/// with enough contrast (WCAG AA). Returns a list of problems.
const A11Y_CHECK: &str = r##"
const problems = [];
const doc = document.documentElement;
if (!doc.getAttribute('lang')) problems.push('<html> has no lang');
if (!document.querySelector('a.skip-link[href="#main"]')) problems.push('no skip link to #main');
if (!document.getElementById('main')) problems.push('no #main for the skip link');
for (const tag of ['header', 'nav', 'main', 'footer']) {
  if (!document.querySelector(tag)) problems.push(`no <${tag}> landmark`);
}
if (document.querySelectorAll('main').length > 1) problems.push('more than one <main>');
for (const el of document.querySelectorAll('input, textarea, select')) {
  if (el.type === 'hidden') continue;
  if (el.name === 'website' && el.closest('.honeypot[aria-hidden="true"]')) continue;
  const byFor = el.id && document.querySelector(`label[for="${CSS.escape(el.id)}"]`);
  const labelled = byFor || el.closest('label') || el.getAttribute('aria-label')
    || el.getAttribute('aria-labelledby');
  if (!labelled) problems.push(`${el.tagName.toLowerCase()} name="${el.name}" has no label`);
}
for (const el of document.querySelectorAll('[aria-describedby]')) {
  for (const id of el.getAttribute('aria-describedby').split(/\s+/).filter(Boolean)) {
    if (!document.getElementById(id)) problems.push(`aria-describedby names a missing #${id}`);
  }
}
const ids = new Set();
for (const el of document.querySelectorAll('[id]')) {
  if (ids.has(el.id)) problems.push(`duplicate id #${el.id}`);
  ids.add(el.id);
}
let last = 0;
for (const h of document.querySelectorAll('h1, h2, h3, h4, h5, h6')) {
  const level = Number(h.tagName[1]);
  if (level > last + 1) {
    problems.push(`heading skips a level: h${last} then h${level} “${h.textContent.trim()}”`);
  }
  last = level;
}
for (const img of document.querySelectorAll('img')) {
  if (!img.hasAttribute('alt')) problems.push(`image without alt: ${img.src}`);
}
// Contrast of every visible text against the background behind it.
const parse = (c) => {
  const m = c.match(/rgba?\(([^)]+)\)/);
  if (!m) return null;
  const p = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number);
  return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
};
const lum = ({ r, g, b }) => {
  const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
};
const background = (el) => {
  const layers = [];
  for (let e = el; e; e = e.parentElement) {
    const c = parse(getComputedStyle(e).backgroundColor);
    if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
  }
  let out = { r: 255, g: 255, b: 255 };
  for (const c of layers.reverse()) {
    out = { r: c.r * c.a + out.r * (1 - c.a), g: c.g * c.a + out.g * (1 - c.a), b: c.b * c.a + out.b * (1 - c.a) };
  }
  return out;
};
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
const seen = new Set();
while (walker.nextNode()) {
  const node = walker.currentNode;
  const el = node.parentElement;
  if (!el || seen.has(el) || !node.textContent.trim()) continue;
  seen.add(el);
  if (el.closest('[aria-hidden="true"], .visually-hidden, .skip-link, script, style')) continue;
  const rect = el.getBoundingClientRect();
  if (rect.width < 2 || rect.height < 2) continue;
  const style = getComputedStyle(el);
  if (style.visibility === 'hidden' || Number(style.opacity) === 0) continue;
  const fg = parse(style.color);
  if (!fg) continue;
  const bg = background(el);
  const blended = { r: fg.r * fg.a + bg.r * (1 - fg.a), g: fg.g * fg.a + bg.g * (1 - fg.a), b: fg.b * fg.a + bg.b * (1 - fg.a) };
  const [hi, lo] = [lum(blended), lum(bg)].sort((a, b) => b - a);
  const ratio = (hi + 0.05) / (lo + 0.05);
  const size = parseFloat(style.fontSize);
  const bold = Number(style.fontWeight) >= 700;
  const large = size >= 24 || (bold && size >= 18.66);
  if (ratio < (large ? 3 : 4.5)) {
    problems.push(`low contrast ${ratio.toFixed(2)}:1 for “${node.textContent.trim().slice(0, 40)}” (${el.tagName.toLowerCase()}.${el.className})`);
  }
}
return problems;
"##;
