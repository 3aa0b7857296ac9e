//! The edges of HTTP: odd static paths, wrong methods, HTTPS headers and
//! cookies, and clients that are slow or send huge heads.

use crate::common::{Browser, TestApp};
use actix_web::http::{header, StatusCode};
use actix_web::test;
use broadsheet::models::Role;

#[actix_web::test]
async fn dot_segments_under_static_are_404_never_a_panic() {
    let app = TestApp::new();
    let svc = app.service().await;
    let mut b = Browser::new();
    for uri in [
        "/static/./site.css",
        "/static/.hidden",
        "/static/.gitignore",
        "/static/%2e/site.css",
        "/static/%2e%2e/Cargo.toml",
        "/static/..%2fCargo.toml",
        "/static/%2E%2E/%2E%2E/etc/passwd",
        "/static/.%2e/Cargo.toml",
        "/static/sub/../site.css",
        "/static/..\\Cargo.toml",
        "/static/%ff",
    ] {
        let page = b.get(&svc, uri).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{uri}");
        assert!(page.contains("Page not found"), "{uri} in the layout");
        assert!(!page.contains("[package]"), "{uri}");
    }
    let css = b.get(&svc, "/static/site.css").await;
    assert_eq!(css.status, StatusCode::OK);
    // Compiled in, tagged by its content: a browser that has it asks again
    // and gets 304 without the bytes.
    let etag = css
        .headers
        .get(header::ETAG)
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let again = b
        .send(
            &svc,
            test::TestRequest::get()
                .uri("/static/site.css")
                .insert_header((header::IF_NONE_MATCH, etag.as_str())),
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
}

#[actix_web::test]
async fn wrong_methods_on_known_addresses_are_405_with_allow() {
    let app = TestApp::new();
    app.post("A story", "Text.", 1);
    let svc = app.service().await;
    let mut b = Browser::new();
    let cases: [(&str, &str, &[&str]); 7] = [
        ("DELETE", "/", &["GET", "HEAD"]),
        ("PUT", "/posts/a-story", &["GET", "HEAD"]),
        ("GET", "/logout", &["POST"]),
        ("POST", "/archive", &["GET", "HEAD"]),
        ("PATCH", "/login", &["GET", "POST"]),
        ("GET", "/admin/posts/1/delete/", &[]),
        ("PUT", "/admin/settings", &["GET", "POST"]),
    ];
    for (method, uri, allowed) in cases {
        let req = test::TestRequest::default()
            .method(method.parse().unwrap())
            .uri(uri);
        let page = b.send(&svc, req).await;
        if allowed.is_empty() {
            // Not an address the site has: a trailing slash is sent on to
            // the address without it.
            assert_eq!(page.status, StatusCode::MOVED_PERMANENTLY, "{method} {uri}");
            assert_eq!(page.location(), uri.trim_end_matches('/'));
            continue;
        }
        assert_eq!(
            page.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {uri}"
        );
        let allow = page
            .headers
            .get(header::ALLOW)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        for m in allowed {
            assert!(allow.contains(m), "{method} {uri}: Allow {allow:?}");
        }
        assert!(page.contains("Not allowed"), "{method} {uri} in the layout");
    }
    for uri in ["/no/such/page", "/posts/a-story/nothing"] {
        let req = test::TestRequest::default()
            .method("DELETE".parse().unwrap())
            .uri(uri);
        assert_eq!(
            b.send(&svc, req).await.status,
            StatusCode::NOT_FOUND,
            "{uri}"
        );
    }
    // The right methods still work.
    assert_eq!(b.get(&svc, "/posts/a-story").await.status, StatusCode::OK);
    assert_eq!(b.get(&svc, "/login").await.status, StatusCode::OK);
}

/// Signs in, then out, which leaves a flash message; the answer's Set-Cookie
/// line for the flash cookie.
async fn flash_cookie_line(app: &TestApp) -> (String, Option<String>) {
    app.user("ann", Role::Admin);
    let svc = app.service().await;
    let mut b = Browser::new();
    b.login(&svc, app, "ann").await;
    let account = b.get(&svc, "/account").await;
    let out = b
        .post(&svc, "/logout", &[("csrf_token", &account.csrf())])
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let flash = out
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("broadsheet_flash="))
        .expect("signing out leaves a message");
    let home = b.get(&svc, "/").await;
    let hsts = home
        .headers
        .get(header::STRICT_TRANSPORT_SECURITY)
        .map(|v| v.to_str().unwrap().to_string());
    (flash, hsts)
}

#[actix_web::test]
async fn with_secure_cookies_the_flash_is_secure_and_hsts_is_sent() {
    let app = TestApp::fresh_with(|c| c.secure_cookies = true);
    let (flash, hsts) = flash_cookie_line(&app).await;
    assert!(flash.contains("Secure"), "{flash}");
    let hsts = hsts.expect("Strict-Transport-Security is sent");
    let age: u64 = hsts
        .strip_prefix("max-age=")
        .and_then(|v| v.split(';').next())
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    assert!(age >= 31_536_000, "{hsts}");
    assert!(!hsts.contains("includeSubDomains"), "{hsts}");
}

#[actix_web::test]
async fn without_secure_cookies_neither_secure_flash_nor_hsts() {
    let app = TestApp::new();
    let (flash, hsts) = flash_cookie_line(&app).await;
    assert!(!flash.contains("Secure"), "{flash}");
    assert_eq!(hsts, None);
}

/// The real binary on a free port of 127.0.0.1, stopped when dropped.
struct Server {
    child: std::process::Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Server {
    fn start() -> Server {
        Server::start_with(&[])
    }

    /// The server with these environment variables set, and glibc's
    /// allocator settings only where given.
    fn start_with(env: &[(&str, &str)]) -> Server {
        Server::spawn(None, env)
    }

    /// The server started by `sh -c script` (the binary is `$0`, its
    /// arguments `$@`).
    fn start_by_shell(script: &str) -> Server {
        Server::spawn(Some(script), &[])
    }

    fn spawn(shell: Option<&str>, env: &[(&str, &str)]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let bin = env!("CARGO_BIN_EXE_broadsheet");
        let mut command = match shell {
            Some(script) => {
                let mut c = std::process::Command::new("sh");
                c.args(["-c", script, bin]);
                c
            }
            None => std::process::Command::new(bin),
        };
        let child = command
            .arg("--bind")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--database")
            .arg(dir.path().join("site.db"))
            .env("RUST_LOG", "warn")
            .env_remove("BROADSHEET_BASE_URL")
            .env_remove("MALLOC_ARENA_MAX")
            .env_remove("MALLOC_MMAP_THRESHOLD_")
            .env_remove("MALLOC_TRIM_THRESHOLD_")
            .envs(env.iter().copied())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let server = Server {
            child,
            port,
            _dir: dir,
        };
        let started = Instant::now();
        while !server
            .exchange("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .starts_with("HTTP/1.1 200")
        {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the server did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        server
    }

    fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(25)))
            .unwrap();
        stream
    }

    /// Sends `request` whole and reads the answer until the server closes;
    /// empty when it could not connect or closed without a word.
    fn exchange(&self, request: &str) -> String {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return String::new();
        };
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let _ = stream.write_all(request.as_bytes());
        read_some(&mut stream)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// What the server sends until it closes (or stops for the read timeout).
fn read_some(stream: &mut TcpStream) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8_lossy(&got).into_owned()
}

// A plain test (`test` here names actix-web's helpers): blocking sockets.
#[::std::prelude::v1::test]
fn slow_clients_are_cut_off_and_huge_heads_refused_while_others_are_served() {
    let server = Server::start();

    // A form body that trickles in one byte a second.
    let mut slow_body = server.connect();
    slow_body
        .write_all(
            b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\n\
              Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n",
        )
        .unwrap();
    let mut trickle = slow_body.try_clone().unwrap();
    std::thread::spawn(move || {
        for _ in 0..60 {
            if trickle.write_all(b"a").is_err() {
                break;
            }
            std::thread::sleep(Duration::from_secs(1));
        }
    });
    // A head that never ends.
    let mut slow_head = server.connect();
    slow_head
        .write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .unwrap();

    let started = Instant::now();
    let head_answer = std::thread::spawn(move || {
        let answer = read_some(&mut slow_head);
        (answer, started.elapsed())
    });

    // A 100 KB header, while those wait.
    let big = format!(
        "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: {}\r\nConnection: close\r\n\r\n",
        "a".repeat(100 * 1024)
    );
    let answer = server.exchange(&big);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 431"),
        "a 100 KB header: {}",
        answer.lines().next().unwrap_or("")
    );

    let body_answer = read_some(&mut slow_body);
    let body_took = started.elapsed();
    assert!(
        body_answer.is_empty() || body_answer.starts_with("HTTP/1.1 408"),
        "a trickling body: {}",
        body_answer.lines().next().unwrap_or("")
    );
    assert!(
        body_took < broadsheet::BODY_TIMEOUT + Duration::from_secs(5),
        "a trickling body was held {body_took:?}"
    );
    let (head_answer, head_took) = head_answer.join().unwrap();
    assert!(
        head_answer.is_empty() || head_answer.starts_with("HTTP/1.1 408"),
        "a head that never ends: {}",
        head_answer.lines().next().unwrap_or("")
    );
    assert!(
        head_took < Duration::from_secs(10),
        "a slow head was held {head_took:?}"
    );

    // Everyone else is still served.
    let normal = server.exchange("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    assert!(
        normal.starts_with("HTTP/1.1 200"),
        "{}",
        normal.lines().next().unwrap_or("")
    );
}

/// The environment the server's process image started with.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn environment_of(server: &Server) -> Vec<String> {
    std::fs::read(format!("/proc/{}/environ", server.child.id()))
        .unwrap()
        .split(|b| *b == 0)
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .collect()
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[::std::prelude::v1::test]
fn the_server_tunes_its_allocator_unless_told_otherwise() {
    let server = Server::start();
    let env = environment_of(&server);
    for setting in [
        "MALLOC_ARENA_MAX=1",
        "MALLOC_MMAP_THRESHOLD_=1048576",
        "MALLOC_TRIM_THRESHOLD_=4194304",
    ] {
        assert!(
            env.contains(&setting.to_string()),
            "the same process serves with {setting}: {env:?}"
        );
    }
    assert!(server
        .exchange("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .starts_with("HTTP/1.1 200"));
    drop(server);
    let server = Server::start_with(&[("MALLOC_ARENA_MAX", "4")]);
    let env = environment_of(&server);
    assert!(env.contains(&"MALLOC_ARENA_MAX=4".to_string()), "{env:?}");
    assert!(!env.contains(&"MALLOC_ARENA_MAX=1".to_string()));
    assert!(env.contains(&"MALLOC_TRIM_THRESHOLD_=4194304".to_string()));
}

#[::std::prelude::v1::test]
fn the_open_file_limit_is_raised_to_what_the_system_allows() {
    // Started with a low soft limit, as many systems start services.
    let server = Server::start_by_shell(r#"ulimit -Sn 256 && exec "$0" "$@""#);
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", server.child.id())).unwrap();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap();
    let fields: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(
        fields[3], fields[4],
        "soft limit raised to the hard one: {line}"
    );
    assert_ne!(fields[3], "256", "{line}");
}

/// A connection to the server from `from` (any 127.x address is this machine).
fn connect_from(from: &str, port: u16) -> TcpStream {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    let local: std::net::SocketAddr = format!("{from}:0").parse().unwrap();
    socket.bind(&local.into()).unwrap();
    let server: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    socket.connect(&server.into()).unwrap();
    socket.into()
}

#[::std::prelude::v1::test]
fn one_address_holding_many_connections_is_refused_more_while_others_are_served() {
    use broadsheet::connections::MAX_PER_ADDRESS;
    let server = Server::start();
    // Slow clients at 127.0.0.2 open connections and send nothing.
    let extra = 20;
    let mut held: Vec<TcpStream> = (0..MAX_PER_ADDRESS + extra)
        .map(|_| connect_from("127.0.0.2", server.port))
        .collect();
    for stream in &held {
        stream.set_nonblocking(true).unwrap();
    }
    // Those over the cap are answered 503 and closed at once.
    let started = Instant::now();
    let mut refused = vec![false; held.len()];
    while refused.iter().filter(|r| **r).count() < extra
        && started.elapsed() < Duration::from_secs(3)
    {
        for (stream, refused) in held.iter_mut().zip(refused.iter_mut()) {
            let mut buf = [0u8; 256];
            if !*refused {
                if let Ok(n) = stream.read(&mut buf) {
                    *refused = String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 503");
                }
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(refused.iter().filter(|r| **r).count(), extra);
    // The address is at its cap: one more is refused as soon as it opens.
    let mut more = connect_from("127.0.0.2", server.port);
    more.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    assert!(read_some(&mut more).starts_with("HTTP/1.1 503"));
    // Everyone else is served at once.
    for _ in 0..16 {
        let probe = Instant::now();
        let answer =
            server.exchange("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(
            probe.elapsed() < Duration::from_secs(1),
            "{:?}",
            probe.elapsed()
        );
    }
    // Closed, the slow connections give their places back.
    drop(held);
    let started = Instant::now();
    loop {
        let mut again = connect_from("127.0.0.2", server.port);
        again
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let _ = again.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        if read_some(&mut again).starts_with("HTTP/1.1 200") {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "places never given back"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
