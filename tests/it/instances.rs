//! Two instances of the real binary on one database, behind a proxy that
//! sends each connection to the next instance in turn, as a load balancer
//! would: a reader signs in through one and comments through the other, the
//! comment shows on both, signing out everywhere ends the session on both,
//! and the sign-in limit is one budget for the two.
//!
//! On PostgreSQL (the server `BROADSHEET_TEST_POSTGRES` names; skipped with
//! the reason without it, unless `CI` is set) and on one SQLite file.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::PgDatabase;
use crate::process::{password_of, Agent, Server};
use broadsheet::db::Database;
use broadsheet::models::Role;

/// How soon each instance notices the other's changes.
const REVALIDATE_MS: u64 = 100;

/// A round-robin TCP proxy on 127.0.0.1; `served[i]` counts the
/// connections sent to `upstreams[i]`.
struct Proxy {
    port: u16,
    served: Arc<Vec<AtomicUsize>>,
}

impl Proxy {
    fn start(upstreams: Vec<u16>) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let served: Arc<Vec<AtomicUsize>> =
            Arc::new(upstreams.iter().map(|_| AtomicUsize::new(0)).collect());
        let counts = served.clone();
        std::thread::spawn(move || {
            for (n, client) in listener.incoming().enumerate() {
                let Ok(client) = client else { continue };
                let pick = n % upstreams.len();
                counts[pick].fetch_add(1, Ordering::SeqCst);
                let Ok(upstream) = TcpStream::connect(("127.0.0.1", upstreams[pick])) else {
                    continue;
                };
                pipe(client.try_clone().unwrap(), upstream.try_clone().unwrap());
                pipe(upstream, client);
            }
        });
        Proxy { port, served }
    }
}

/// Copies `from` to `to` on a thread until `from` ends, then ends `to`'s
/// writing half.
fn pipe(mut from: TcpStream, mut to: TcpStream) {
    std::thread::spawn(move || {
        let mut buf = [0u8; 16 * 1024];
        while let Ok(n) = from.read(&mut buf) {
            if n == 0 || to.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = to.shutdown(Shutdown::Write);
    });
}

/// Retries `check` for up to two seconds: a change on one instance reaches
/// the other's caches within `REVALIDATE_MS`.
fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(2);
    while !check() {
        assert!(Instant::now() < deadline, "{what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn two_instances_behind_a_proxy(database: &str) {
    let logs = tempfile::tempdir().unwrap();
    let db: Database = database.parse().unwrap();
    crate::process::site_with_users(db.clone(), &[("ann", Role::Commenter)]);
    let post =
        crate::process::publish(db.clone(), "Harbour wall holds", "The wall held all night.");
    crate::process::open_comments(db);
    let revalidate = REVALIDATE_MS.to_string();
    let flags = ["--rate-limits", "on", "--cache-revalidate-ms", &revalidate];
    let one = Server::start_with(database, &flags, &logs.path().join("one.log"));
    let two = Server::start_with(database, &flags, &logs.path().join("two.log"));
    let proxy = Proxy::start(vec![one.port, two.port]);
    let article = format!("/posts/{}", post.slug);

    // Signed in through the proxy: the sign-in form comes from one
    // instance and is answered by the other (the session and its CSRF
    // token live in the database).
    let mut ann = Agent::new(proxy.port);
    let signed_in = ann.login("ann", &password_of("ann")).unwrap();
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    let mut ann_elsewhere = Agent::new(proxy.port);
    assert_eq!(
        ann_elsewhere
            .login("ann", &password_of("ann"))
            .unwrap()
            .status,
        303
    );
    for _ in 0..2 {
        let account = ann.get("/account").unwrap();
        assert_eq!(account.status, 200, "signed in on either instance");
    }

    // Read on both instances first, so both have the page cached.
    for port in [one.port, two.port] {
        let page = Agent::new(port).get(&article).unwrap();
        assert_eq!(page.status, 200);
    }
    let text = "Seen from the ferry, the wall looked untouched.";
    let posted = ann
        .submit(
            &article,
            &format!("{article}/comments"),
            &[("body", text), ("parent_id", "")],
        )
        .unwrap();
    assert_eq!(posted.status, 303, "{}", posted.body);
    for port in [one.port, two.port] {
        eventually(&format!("the comment shows on :{port}"), || {
            Agent::new(port).get(&article).unwrap().body.contains(text)
        });
    }

    // Signing out everywhere on one instance ends the other browser's
    // session on both.
    let ended = ann
        .submit("/account", "/account/sessions/end", &[])
        .unwrap();
    assert_eq!(ended.status, 303, "{}", ended.body);
    // The flash travels in the browser's cookie: whichever instance shows
    // the next page says it.
    let login = ann.get(ended.location()).unwrap();
    assert!(
        login.body.contains("You are signed out on every device."),
        "{}",
        login.body
    );
    let cookies = ann_elsewhere.cookie_header();
    for port in [one.port, two.port] {
        eventually(&format!("the session is over on :{port}"), || {
            let res = crate::process::request(port, "GET", "/account", &cookies, None).unwrap();
            res.status == 303 && res.location().starts_with("/login")
        });
    }

    // One sign-in budget for both: ten wrong passwords from this address,
    // spread over the two instances, and both refuse the next.
    let mut stranger = Agent::new(proxy.port);
    for n in 0..10 {
        let res = stranger.login("ann", "not her password").unwrap();
        assert_eq!(res.status, 422, "wrong password {n}");
    }
    for port in [one.port, two.port] {
        let res = Agent::new(port).login("ann", "not her password").unwrap();
        assert_eq!(res.status, 429, ":{port} counts the other's failures");
    }
    let served: Vec<usize> = proxy
        .served
        .iter()
        .map(|n| n.load(Ordering::SeqCst))
        .collect();
    assert!(
        served.iter().all(|&n| n >= 10),
        "the proxy used both instances: {served:?}"
    );
    assert!(!one.log().contains(" 500 ") && !two.log().contains(" 500 "));
}

#[test]
fn two_instances_on_postgresql_share_sessions_changes_and_limits() {
    let Some(db) = PgDatabase::new("two_instances_on_postgresql_share_sessions_changes_and_limits")
    else {
        return;
    };
    two_instances_behind_a_proxy(&db.url);
}

#[test]
fn two_instances_on_one_sqlite_file_share_sessions_changes_and_limits() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("site.db");
    two_instances_behind_a_proxy(file.to_str().unwrap());
}
