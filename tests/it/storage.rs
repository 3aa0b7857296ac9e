//! The write path with the real binary on real files: crashes, concurrent
//! writers, WAL growth, restores after an unclean stop, refused opens, SIGTERM.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::process::{
    closed_blog, count, open_comments, password_of, publish, site_with_users, Agent, Server, BIN,
};
use broadsheet::db;
use broadsheet::models::Role;

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

fn wal_of(path: &Path) -> std::path::PathBuf {
    db::with_suffix(path, "-wal")
}

/// The comment id in a `…#comment-ID` location.
fn comment_id(location: &str) -> Option<i64> {
    location.rsplit_once("#comment-")?.1.parse().ok()
}

fn integrity(path: &Path) -> String {
    use diesel::Connection;
    let conn = diesel::SqliteConnection::establish(&path.to_string_lossy()).unwrap();
    db::integrity(&mut db::Conn::Sqlite(conn)).unwrap()
}

/// Signed-in commenters post under one article until `stop`; each
/// acknowledged comment id is recorded, and the largest WAL seen.
struct Load {
    acknowledged: Arc<Mutex<Vec<i64>>>,
    failures: Arc<AtomicU64>,
    largest_wal: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Load {
    fn comments(server: &Server, db_path: &Path, users: &[&str], slug: &str) -> Load {
        let load = Load {
            acknowledged: Arc::default(),
            failures: Arc::default(),
            largest_wal: Arc::default(),
            stop: Arc::default(),
            threads: Vec::new(),
        };
        let mut threads = Vec::new();
        for (n, user) in users.iter().enumerate() {
            let mut agent = server.agent();
            assert_eq!(agent.login(user, &password_of(user)).unwrap().status, 303);
            let url = format!("/posts/{slug}");
            let token = agent.get(&url).unwrap().csrf();
            let (acks, failures, stop) = (
                Arc::clone(&load.acknowledged),
                Arc::clone(&load.failures),
                Arc::clone(&load.stop),
            );
            let action = format!("{url}/comments");
            threads.push(std::thread::spawn(move || {
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    i += 1;
                    let body = format!("Comment {i} from writer {n}: the quay was busy today.");
                    match agent.post(&action, &[("body", &body), ("csrf_token", &token)]) {
                        Ok(res) if res.status == 303 => {
                            if let Some(id) = comment_id(res.location()) {
                                acks.lock().unwrap().push(id);
                            }
                        }
                        Ok(res) if res.status >= 500 => {
                            failures.fetch_add(1, Ordering::Relaxed);
                        }
                        // The connection cut by a kill is no answer at all.
                        _ => {}
                    }
                }
            }));
        }
        let (wal, largest, stop) = (
            wal_of(db_path),
            Arc::clone(&load.largest_wal),
            Arc::clone(&load.stop),
        );
        threads.push(std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                largest.fetch_max(file_len(&wal), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(5));
            }
        }));
        Load { threads, ..load }
    }

    /// Waits until `acks` comments are acknowledged (at most `cap`): the
    /// same work on a quiet machine as on a busy one, not the same seconds.
    fn until(&self, acks: usize, cap: Duration) {
        let deadline = Instant::now() + cap;
        while self.acknowledged.lock().unwrap().len() < acks && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn finish(self) -> (Vec<i64>, u64, u64) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads {
            let _ = t.join();
        }
        let acks = self.acknowledged.lock().unwrap().clone();
        (
            acks,
            self.failures.load(Ordering::Relaxed),
            self.largest_wal.load(Ordering::Relaxed),
        )
    }
}

/// WAL bound under write-only traffic: SQLite checkpoints every 1,000 pages
/// (about 4 MB) and the file is cut back to 16 MB after a reset.
const WAL_BOUND: u64 = 16 * 1024 * 1024;

#[test]
fn kill_9_under_comment_load_loses_no_acknowledged_comment() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("blog.db");
    let names = ["ann", "ben", "cat", "dan"];
    let roles: Vec<(&str, Role)> = names.iter().map(|n| (*n, Role::Commenter)).collect();
    site_with_users(path.as_path(), &roles);
    open_comments(path.as_path());
    let post = publish(path.as_path(), "Harbour news", "The harbour reopened.");

    let mut checked = 0;
    let mut largest_wal = 0;
    for round in 0..3 {
        let server = Server::start(&path, &dir.path().join(format!("server{round}.log")));
        let load = Load::comments(&server, &path, &names, &post.slug);
        load.until(100, Duration::from_secs(30));
        server.kill9();
        let (acks, failures, wal) = load.finish();
        largest_wal = largest_wal.max(wal);
        assert!(!acks.is_empty(), "round {round}: no comment was accepted");
        assert_eq!(failures, 0, "round {round}: 5xx answers under load");
        // Restarted, the server must hold every comment it acknowledged.
        let server = Server::start(&path, &dir.path().join(format!("restart{round}.log")));
        let missing: Vec<i64> = acks
            .iter()
            .copied()
            .filter(|id| {
                count(
                    &path,
                    &format!("SELECT count(*) AS n FROM comments WHERE id = {id}"),
                ) == 0
            })
            .collect();
        assert!(missing.is_empty(), "acknowledged but lost: {missing:?}");
        checked += acks.len();
        drop(server);
    }
    assert_eq!(integrity(&path), "ok");
    assert!(
        largest_wal < WAL_BOUND,
        "the WAL grew to {largest_wal} bytes"
    );
    println!(
        "checked {checked} acknowledged comments over 3 crashes; largest WAL {largest_wal} bytes"
    );
}

#[test]
fn write_only_load_keeps_the_wal_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("blog.db");
    let names = ["ann", "ben", "cat", "dan", "eve", "fay"];
    let roles: Vec<(&str, Role)> = names.iter().map(|n| (*n, Role::Commenter)).collect();
    site_with_users(path.as_path(), &roles);
    open_comments(path.as_path());
    let post = publish(path.as_path(), "Harbour news", "The harbour reopened.");
    let server = Server::start(&path, &dir.path().join("server.log"));
    let load = Load::comments(&server, &path, &names, &post.slug);
    load.until(4000, Duration::from_secs(60));
    let (acks, failures, largest) = load.finish();
    assert_eq!(failures, 0);
    let stored = count(&path, "SELECT count(*) AS n FROM comments");
    assert_eq!(
        stored as usize,
        acks.len(),
        "every acknowledged comment is stored"
    );
    // Enough pages went through the WAL for it to have been checkpointed.
    assert!(acks.len() > 300, "only {} comments were posted", acks.len());
    let checkpoints = server.log().matches("WAL checkpoint").count();
    assert!(
        largest < WAL_BOUND,
        "the WAL grew to {largest} bytes ({checkpoints} log lines): {}",
        server
            .log()
            .lines()
            .filter(|l| l.contains("WAL"))
            .take(5)
            .collect::<Vec<_>>()
            .join("\n")
    );
    println!("{} comments; largest WAL {largest} bytes", acks.len());
    if std::env::var("TEST_SERVER_LOG").is_ok() {
        for line in server.log().lines().filter(|l| l.contains("WAL")) {
            println!("{line}");
        }
    }
    drop(server);
}

#[test]
fn editors_commenters_and_profile_updates_together_get_no_server_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("blog.db");
    let users = [
        ("ed1", Role::Admin),
        ("ed2", Role::Author),
        ("c1", Role::Commenter),
        ("c2", Role::Commenter),
        ("c3", Role::Commenter),
        ("p1", Role::Commenter),
        ("p2", Role::Commenter),
    ];
    site_with_users(path.as_path(), &users);
    open_comments(path.as_path());
    let post = publish(path.as_path(), "Harbour news", "The harbour reopened.");
    let server = Server::start(&path, &dir.path().join("server.log"));
    let stop = Arc::new(AtomicBool::new(false));
    let server_errors = Arc::new(AtomicU64::new(0));
    let mut threads = Vec::new();

    // Editors: each saves a large post over and over; the last acknowledged
    // version must be the one stored.
    // Just under the 128 KB a post may hold (post::MAX_BODY_BYTES).
    let big = "A long paragraph about the harbour, the ferries and the council. ".repeat(1900);
    for editor in ["ed1", "ed2"] {
        let mut agent = server.agent();
        assert_eq!(
            agent.login(editor, &password_of(editor)).unwrap().status,
            303
        );
        let (stop, errors, big) = (Arc::clone(&stop), Arc::clone(&server_errors), big.clone());
        threads.push(std::thread::spawn(move || {
            let title = format!("Long read by {editor}");
            let token = agent.get("/admin/posts/new").unwrap().csrf();
            let fields = |body: &str, token: &str| {
                vec![
                    ("title".to_string(), title.clone()),
                    ("body".to_string(), body.to_string()),
                    ("status".to_string(), "published".to_string()),
                    ("csrf_token".to_string(), token.to_string()),
                ]
            };
            let send = |agent: &mut Agent, action: &str, fields: Vec<(String, String)>| {
                let pairs: Vec<(&str, &str)> = fields
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                agent.post(action, &pairs)
            };
            let created = send(&mut agent, "/admin/posts", fields(&big, &token)).unwrap();
            assert_eq!(created.status, 303, "{}", created.body);
            let id: i64 = created
                .location()
                .trim_start_matches("/admin/posts/")
                .trim_end_matches("/edit")
                .parse()
                .unwrap();
            let mut last = big.clone();
            let mut saves = 1;
            while !stop.load(Ordering::Relaxed) {
                let body = format!("{big}\n\nVersion {saves}.");
                let res = send(
                    &mut agent,
                    &format!("/admin/posts/{id}"),
                    fields(&body, &token),
                )
                .unwrap();
                if res.status >= 500 {
                    errors.fetch_add(1, Ordering::Relaxed);
                } else if res.status == 303 {
                    last = body;
                    saves += 1;
                }
            }
            (id, last, saves)
        }));
    }
    let load = Load::comments(&server, &path, &["c1", "c2", "c3"], &post.slug);
    // Profile updates: the last acknowledged name is the stored one.
    let mut profiles = Vec::new();
    for person in ["p1", "p2"] {
        let mut agent = server.agent();
        assert_eq!(
            agent.login(person, &password_of(person)).unwrap().status,
            303
        );
        let (stop, errors) = (Arc::clone(&stop), Arc::clone(&server_errors));
        profiles.push(std::thread::spawn(move || {
            let token = agent.get("/account").unwrap().csrf();
            let mut last = String::new();
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let name = format!("{person} number {n}");
                let res = agent
                    .post(
                        "/account/profile",
                        &[("display_name", &name), ("csrf_token", &token)],
                    )
                    .unwrap();
                if res.status >= 500 {
                    errors.fetch_add(1, Ordering::Relaxed);
                } else if res.status == 303 {
                    last = name;
                }
            }
            (person, last)
        }));
    }
    std::thread::sleep(Duration::from_secs(6));
    stop.store(true, Ordering::Relaxed);
    let (acks, comment_errors, _) = load.finish();
    let saved: Vec<(i64, String, i32)> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let named: HashMap<&str, String> = profiles.into_iter().map(|t| t.join().unwrap()).collect();
    let errors = server_errors.load(Ordering::Relaxed) + comment_errors;
    assert_eq!(errors, 0, "5xx answers under concurrent writers");
    drop(server);

    for (id, body, saves) in &saved {
        assert!(*saves > 1, "an editor saved only once");
        let stored = count(
            &path,
            &format!(
                "SELECT count(*) AS n FROM posts WHERE id = {id} AND body = '{}'",
                body.replace('\'', "''")
            ),
        );
        assert_eq!(stored, 1, "post {id}: the last acknowledged save is stored");
    }
    for (person, name) in &named {
        assert!(!name.is_empty());
        let stored = count(
            &path,
            &format!("SELECT count(*) AS n FROM users WHERE username = '{person}' AND display_name = '{name}'"),
        );
        assert_eq!(stored, 1, "{person}'s last acknowledged name is stored");
    }
    let stored = count(&path, "SELECT count(*) AS n FROM comments");
    assert_eq!(stored as usize, acks.len());
    println!(
        "0 errors; {} post saves, {} comments, profile updates by {} people",
        saved.iter().map(|s| s.2).sum::<i32>(),
        acks.len(),
        named.len()
    );
}

fn run(args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn restore_after_an_unclean_stop_brings_back_exactly_the_backup() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("blog.db");
    let names = ["ann", "ben"];
    let roles: Vec<(&str, Role)> = names.iter().map(|n| (*n, Role::Commenter)).collect();
    site_with_users(path.as_path(), &roles);
    open_comments(path.as_path());
    let post = publish(path.as_path(), "Harbour news", "The harbour reopened.");
    let server = Server::start(&path, &dir.path().join("server.log"));
    let (before, _, _) = {
        let load = Load::comments(&server, &path, &names, &post.slug);
        std::thread::sleep(Duration::from_millis(500));
        load.finish()
    };
    let backup = dir.path().join("backup.db");
    let db_arg = path.to_str().unwrap();
    let out = run(&["--database", db_arg, "backup", backup.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let in_backup = count(&backup, "SELECT count(*) AS n FROM comments");
    assert_eq!(in_backup as usize, before.len());

    // Writes after the backup, then an unclean stop: they sit in the WAL.
    let (after, _, _) = {
        let load = Load::comments(&server, &path, &names, &post.slug);
        std::thread::sleep(Duration::from_millis(500));
        load.finish()
    };
    assert!(!after.is_empty());
    // While the server runs, a restore is refused and moves nothing (the
    // file's bytes may still change: the server checkpoints into it).
    let refused = run(&["--database", db_arg, "restore", backup.to_str().unwrap()]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("has"),
        "{refused:?}"
    );
    assert!(String::from_utf8_lossy(&refused.stderr).contains("open"));
    let beside: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("before-restore") || n.contains("restoring"))
        .collect();
    assert!(beside.is_empty(), "{beside:?}");
    let page = server
        .agent()
        .get(&format!("/posts/{}", post.slug))
        .unwrap();
    assert_eq!(page.status, 200, "the server goes on serving");
    // One last comment just before the crash: it is surely still in the WAL
    // (the checkpointer only acts past 4 MB).
    let mut last = server.agent();
    assert_eq!(last.login("ann", &password_of("ann")).unwrap().status, 303);
    let url = format!("/posts/{}", post.slug);
    let token = last.get(&url).unwrap().csrf();
    let res = last
        .post(
            &format!("{url}/comments"),
            &[
                ("body", "Written just before the crash."),
                ("csrf_token", &token),
            ],
        )
        .unwrap();
    let mut after = after;
    after.extend(comment_id(res.location()));
    server.kill9();
    assert!(file_len(&wal_of(&path)) > 0, "the crash left a WAL behind");

    let out = run(&["--database", db_arg, "restore", backup.to_str().unwrap()]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains("before-restore"), "{said}");
    assert!(
        !wal_of(&path).exists(),
        "no stale WAL beside the restored file"
    );

    let server = Server::start(&path, &dir.path().join("restored.log"));
    assert_eq!(
        count(&path, "SELECT count(*) AS n FROM comments"),
        in_backup,
        "exactly the backup's comments"
    );
    for id in &after {
        assert_eq!(
            count(
                &path,
                &format!("SELECT count(*) AS n FROM comments WHERE id = {id}")
            ),
            0,
            "comment {id}, written after the backup, is not replayed"
        );
    }
    let page = server
        .agent()
        .get(&format!("/posts/{}", post.slug))
        .unwrap();
    assert_eq!(page.status, 200);
    drop(server);
    // The replaced database was kept, with the later comments in it.
    let kept = dir.path().join("blog.db.before-restore");
    assert_eq!(
        count(&kept, "SELECT count(*) AS n FROM comments") as usize,
        before.len() + after.len()
    );
    assert_eq!(integrity(&path), "ok");
}

/// Each refused open: non-zero exit, one clear line, file unchanged.
fn assert_refused(args: &[&str], file: &Path, says: &str) {
    let before = std::fs::read(file).ok();
    let out = run(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{args:?} succeeded");
    assert!(stderr.contains(says), "{args:?}: {stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{args:?}: {stderr}");
    assert_eq!(
        std::fs::read(file).ok(),
        before,
        "{args:?} changed the file"
    );
}

#[test]
fn files_that_are_not_a_broadsheet_blog_are_refused_and_left_as_they_were() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "Shopping: bread, milk, eggs.\n".repeat(200)).unwrap();
    let foreign = dir.path().join("photos.db");
    {
        use diesel::connection::SimpleConnection;
        use diesel::Connection;
        let mut conn = diesel::SqliteConnection::establish(foreign.to_str().unwrap()).unwrap();
        conn.batch_execute("CREATE TABLE albums (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO albums (name) VALUES ('Summer');")
            .unwrap();
    }
    let newer = dir.path().join("newer.db");
    closed_blog(&newer);
    {
        use diesel::connection::SimpleConnection;
        use diesel::Connection;
        let mut conn = diesel::SqliteConnection::establish(newer.to_str().unwrap()).unwrap();
        conn.batch_execute(
            "INSERT INTO __diesel_schema_migrations (version) VALUES ('29991231000000')",
        )
        .unwrap();
    }
    let missing = dir.path().join("typo.db");
    let out_file = dir.path().join("copy.db");
    let out = out_file.to_str().unwrap();

    for (file, says) in [
        (&text, "is not a SQLite database"),
        (&foreign, "of another application"),
        (&newer, "newer Broadsheet"),
    ] {
        let f = file.to_str().unwrap();
        let port = crate::process::free_port().to_string();
        assert_refused(
            &["--database", f, "--bind", &format!("127.0.0.1:{port}")],
            file,
            says,
        );
        assert_refused(&["--database", f, "backup", out], file, says);
        assert_refused(
            &[
                "--database",
                f,
                "create-admin",
                "--username",
                "ed",
                "--email",
                "ed@example.com",
            ],
            file,
            says,
        );
        assert!(!out_file.exists());
    }
    let m = missing.to_str().unwrap();
    let says = "there is no database";
    assert_refused(&["--database", m, "backup", out], &missing, says);
    assert_refused(
        &[
            "--database",
            m,
            "create-admin",
            "--username",
            "ed",
            "--email",
            "ed@example.com",
        ],
        &missing,
        says,
    );
    assert_refused(
        &["--database", m, "generate", "--posts", "1"],
        &missing,
        says,
    );
    assert!(!missing.exists() && !out_file.exists());
    // Restoring a file that is no backup changes nothing either.
    let blog = dir.path().join("blog.db");
    closed_blog(&blog);
    assert_refused(
        &[
            "--database",
            blog.to_str().unwrap(),
            "restore",
            text.to_str().unwrap(),
        ],
        &blog,
        "not usable",
    );
    assert_refused(
        &["--database", blog.to_str().unwrap(), "restore", m],
        &blog,
        "no backup",
    );
}

#[test]
fn a_new_database_starts_without_lock_errors() {
    for round in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.db");
        let server = Server::start(&path, &dir.path().join("server.log"));
        let log = server.log();
        assert!(!log.contains("locked"), "round {round}:\n{log}");
        assert!(!log.contains("ERROR"), "round {round}:\n{log}");
        drop(server);
    }
}

/// A photo-like JPEG, different for each `seed`.
fn photo(w: u32, h: u32, seed: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([
            (x % 251) as u8 ^ seed,
            (y % 241) as u8,
            ((x * y) % 239) as u8,
        ])
    });
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(
            &mut std::io::Cursor::new(&mut out),
            image::ImageFormat::Jpeg,
        )
        .unwrap();
    out
}

#[test]
fn sigterm_answers_the_requests_already_under_way() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("blog.db");
    // Three admins: one account sends one upload at a time.
    let names = ["ed", "fay", "gus"];
    site_with_users(path.as_path(), &names.map(|n| (n, Role::Admin)));
    let server = Server::start(&path, &dir.path().join("server.log"));
    let signed_in: Vec<(String, String)> = names
        .iter()
        .map(|name| {
            let mut agent = server.agent();
            assert_eq!(agent.login(name, &password_of(name)).unwrap().status, 303);
            let token = agent.get("/admin/media").unwrap().csrf();
            (token, agent.cookie_header())
        })
        .collect();
    // Image uploads are the slowest requests (decoded, scaled and encoded,
    // one at a time), so they are still under way when the signal comes,
    // sent once the server has read every byte of all three (a request not
    // yet read may be refused).
    let photos: Vec<Vec<u8>> = (0..3u8).map(|n| photo(3000, 2000, n)).collect();
    let port = server.port;
    let mut sent = Vec::new();
    let mut clients = Vec::new();
    let written = Arc::new(AtomicU64::new(0));
    for (n, (bytes, (token, jar))) in photos.into_iter().zip(signed_in).enumerate() {
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        clients.push(stream.local_addr().unwrap().port());
        let written = Arc::clone(&written);
        sent.push(std::thread::spawn(move || {
            let name = format!("harbour-{n}.jpg");
            let (content_type, body) = crate::process::multipart(
                &[("csrf_token", &token), ("alt", "The harbour")],
                &[(&name, &bytes)],
            );
            crate::process::send_request(
                &mut stream,
                port,
                "POST",
                "/admin/media",
                &jar,
                Some((&content_type, &body)),
            )?;
            written.fetch_add(1, Ordering::SeqCst);
            crate::process::read_response(stream)
        }));
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while written.load(Ordering::SeqCst) < 3
        || !clients
            .iter()
            .all(|&c| crate::process::unread_bytes(port, c).unwrap_or(0) == 0)
    {
        assert!(
            Instant::now() < deadline,
            "the server never read the uploads"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let status = server.term();
    assert!(status.success(), "the server exits cleanly: {status}");
    let answers: Vec<_> = sent.into_iter().map(|t| t.join().unwrap()).collect();
    for answer in &answers {
        let res = answer
            .as_ref()
            .expect("every request under way is answered");
        assert_eq!(res.status, 303, "{}", res.body);
    }
    assert_eq!(count(&path, "SELECT count(*) AS n FROM media"), 3);
}

#[test]
fn a_report_piped_into_a_reader_that_stops_reading_ends_the_command_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("blog.db");
    crate::process::site_with_users(path.as_path(), &[("ann", Role::Admin)]);
    let export = dir.path().join("harbour.xml");
    std::fs::write(&export, include_str!("fixtures/wordpress.xml")).unwrap();
    // A pipe whose reading end is already closed, as after `| head -1`.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = Command::new(BIN)
        .args([
            "--database",
            path.to_str().unwrap(),
            "import",
            export.to_str().unwrap(),
        ])
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::null())
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(
        crate::process::count(
            &path,
            "SELECT count(*) AS n FROM posts WHERE kind = 'post' AND title LIKE 'Storm%'"
        ),
        2,
        "the import itself is done"
    );
}

#[test]
fn help_says_only_serve_creates_a_database_and_describes_every_flag() {
    let help = |args: &[&str]| {
        let out = Command::new(BIN).args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    // `--database` is global: every subcommand's help describes it, and none
    // may say that it creates a missing one but serve (README, DESIGN.md).
    for command in [
        "serve",
        "create-admin",
        "backup",
        "restore",
        "import",
        "export",
        "copy",
        "generate",
    ] {
        let text = help(&[command, "--help"]);
        assert!(
            text.contains("Only `serve` creates and migrates a missing one"),
            "{command}:\n{text}"
        );
        assert!(
            !text.contains("created (a file) and migrated when missing"),
            "{command}"
        );
    }
    // Every flag of create-admin says what it takes: text on its line, or
    // on the lines below it before the next flag.
    let text = help(&["create-admin", "--help"]);
    let lines: Vec<&str> = text.lines().collect();
    for flag in ["--username", "--email"] {
        let at = lines
            .iter()
            .position(|l| l.trim_start().starts_with(flag))
            .unwrap_or_else(|| panic!("{flag} is not in:\n{text}"));
        let own = lines[at].trim().split_once("  ").map_or("", |(_, d)| d);
        let below = lines[at + 1..]
            .iter()
            .take_while(|l| !l.trim_start().starts_with('-'))
            .any(|l| !l.trim().is_empty());
        assert!(
            !own.trim().is_empty() || below,
            "no text for {flag}:\n{text}"
        );
    }
    assert!(text.contains("3 to 32 letters, digits"), "{text}");
    assert!(text.contains("email address"), "{text}");
}

#[test]
fn a_restore_is_refused_while_a_command_line_import_runs() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("blog.db");
    site_with_users(path.as_path(), &[("ann", Role::Admin)]);
    let backup = dir.path().join("backup.db");
    let db_arg = path.to_str().unwrap();
    let out = run(&["--database", db_arg, "backup", backup.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    let posts_before = count(&path, "SELECT count(*) AS n FROM posts");

    // The import reads a pipe, so it is surely running (database open,
    // waiting for its file) while the restore is tried.
    let fifo = dir.path().join("export.xml");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let mut import = Command::new(BIN)
        .args(["--database", db_arg, "import", fifo.to_str().unwrap()])
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The pipe's writing end opens (without waiting: O_NONBLOCK, 0o4000 on
    // Linux) only once the import opened it to read, which it does once the
    // database is open and locked.
    let started = Instant::now();
    let mut pipe = loop {
        use std::os::unix::fs::OpenOptionsExt;
        let ready = std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(0o4000)
            .open(&fifo);
        if ready.is_ok() {
            // A reader is there: a blocking open returns at once.
            break std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
        }
        if let Some(status) = import.try_wait().unwrap() {
            panic!("the import ended before reading: {status}");
        }
        assert!(started.elapsed() < Duration::from_secs(30));
        std::thread::sleep(Duration::from_millis(20));
    };

    let refused = run(&["--database", db_arg, "restore", backup.to_str().unwrap()]);
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "{said}");
    assert!(said.contains("has") && said.contains("open"), "{said}");
    assert!(!db::with_suffix(&path, ".before-restore").exists());

    let export = include_str!("fixtures/wordpress.xml");
    pipe.write_all(export.as_bytes()).unwrap();
    drop(pipe);
    let done = import.wait_with_output().unwrap();
    assert!(done.status.success(), "{done:?}");
    assert!(String::from_utf8_lossy(&done.stdout).contains("Imported 6 posts"));
    // Everything it imported is in the database the site uses.
    assert_eq!(
        count(&path, "SELECT count(*) AS n FROM posts"),
        posts_before + 7
    );
    // Once it has finished, the restore goes ahead.
    let restored = run(&["--database", db_arg, "restore", backup.to_str().unwrap()]);
    assert!(restored.status.success(), "{restored:?}");
}

#[test]
fn a_bind_address_that_cannot_be_used_fails_before_any_database_is_made() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = taken.local_addr().unwrap().to_string();
    for bind in ["not-an-address", taken.as_str()] {
        let path = dir.path().join("new.db");
        let out = run(&[
            "--database",
            path.to_str().unwrap(),
            "--bind",
            bind,
            "serve",
        ]);
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{bind}: {said}");
        assert!(said.contains("cannot listen on"), "{bind}: {said}");
        assert!(!path.exists(), "{bind}: the database was made");
        assert!(
            !dir.path().join("media").exists(),
            "{bind}: the media folder was made"
        );
    }
}

#[test]
fn checking_a_backup_to_restore_it_leaves_nothing_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("blog.db");
    site_with_users(path.as_path(), &[("ann", Role::Admin)]);
    publish(path.as_path(), "Harbour news", "The harbour reopened.");
    let db_arg = path.to_str().unwrap();
    // `backup` writes a file in rollback mode; a copy of a closed database
    // (or the `.before-restore` a restore keeps) is in WAL mode, where a
    // read-only look would leave a `-wal` and `-shm` behind.
    let made = dir.path().join("made.db");
    let out = run(&["--database", db_arg, "backup", made.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    let copied = dir.path().join("copied.db");
    std::fs::copy(&path, &copied).unwrap();
    for backup in [&made, &copied] {
        let out = run(&["--database", db_arg, "restore", backup.to_str().unwrap()]);
        assert!(out.status.success(), "{out:?}");
        for beside in ["-wal", "-shm"] {
            let file = db::with_suffix(backup, beside);
            assert!(!file.exists(), "{} was left", file.display());
        }
    }
}

/// The binary copied alone into an empty folder, on a machine without the
/// source tree (its `static/` hidden under an empty tmpfs in a mount
/// namespace of the test's own), serves the styled site: the style sheet
/// is compiled in.
#[test]
fn the_binary_alone_in_an_empty_folder_serves_the_styled_site() {
    let probe = Command::new("unshare")
        .args(["-rm", "sh", "-c", "mount -t tmpfs tmpfs /mnt"])
        .output();
    if !probe.as_ref().is_ok_and(|out| out.status.success()) {
        let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false");
        assert!(!ci, "unshare -rm cannot mount a tmpfs: {probe:?}");
        crate::common::skipped(
            "the binary alone in an empty folder",
            "unshare -rm cannot mount a tmpfs here",
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let source_static = concat!(env!("CARGO_MANIFEST_DIR"), "/static");
    let folder = dir.path().join("server");
    std::fs::create_dir(&folder).unwrap();
    // $0 the source's static/, $1 the empty folder, $2 the built binary.
    let script = r#"mount -t tmpfs tmpfs "$0" && cp "$2" "$1/broadsheet" && cd "$1" && shift 2 && exec ./broadsheet "$@""#;
    let (hidden, inside) = (source_static.to_string(), folder.to_string_lossy());
    let wrapper = ["unshare", "-rm", "sh", "-c", script, &hidden, &inside];
    let server = Server::start_wrapped(
        &wrapper,
        &folder.join("blog.db"),
        &dir.path().join("server.log"),
    );
    let home = crate::process::request(server.port, "GET", "/", "", None).unwrap();
    let href = home
        .body
        .split("<link rel=\"stylesheet\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the page links its style sheet")
        .to_string();
    assert!(href.starts_with("/static/site.css?v="), "{href}");
    let css = crate::process::request(server.port, "GET", &href, "", None).unwrap();
    assert_eq!(css.status, 200, "{}", css.body);
    assert_eq!(css.body, include_str!("../../static/site.css"));
    assert!(css
        .header("content-type")
        .is_some_and(|t| t.starts_with("text/css")));
    assert!(css
        .header("cache-control")
        .is_some_and(|c| c.contains("immutable")));
    assert!(css.header("etag").is_some());
    let missing =
        crate::process::request(server.port, "GET", "/static/nothing.css", "", None).unwrap();
    assert_eq!(missing.status, 404);
    // Nothing of static/ was read from beside the binary either.
    assert!(!folder.join("static").exists());
}

/// `--version` and `-V` name the version from Cargo.toml and the commit the
/// binary was built from (or say it is unknown, outside a git checkout).
#[test]
fn version_names_the_release_and_the_commit() {
    for flag in ["--version", "-V"] {
        let out = run(&[flag]);
        assert!(out.status.success(), "{out:?}");
        let line = String::from_utf8(out.stdout).unwrap();
        let prefix = concat!("broadsheet ", env!("CARGO_PKG_VERSION"), " (");
        let built_from = line
            .trim_end()
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_suffix(')'))
            .unwrap_or_else(|| panic!("{flag}: {line:?}"));
        let commit_like = built_from
            .strip_prefix("commit ")
            .is_some_and(|hash| hash.len() >= 7 && hash.chars().all(|c| c.is_ascii_hexdigit()));
        assert!(
            commit_like || built_from == "unknown commit",
            "{flag}: {line:?}"
        );
    }
}
