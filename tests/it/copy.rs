//! `broadsheet copy --to …`: a generated site moved SQLite → PostgreSQL → a
//! new SQLite file with the real binary, each copy serving the same pages
//! byte for byte, keeping its accounts and sessions, and taking new posts
//! and comments; and the targets and sources the command refuses.
//!
//! The PostgreSQL steps need `BROADSHEET_TEST_POSTGRES` (see
//! tests/it/postgres.rs); without it they say why and pass, unless `CI` is set.

use std::path::Path;
use std::process::{Command, Output};

use crate::common::{Browser, PgDatabase, TestApp};
use actix_web::http::StatusCode;
use broadsheet::config::{Config, Switch};
use broadsheet::generate::{run, GenerateArgs};
use broadsheet::models::media::{Media, MediaFormat, NewMedia};
use broadsheet::models::redirect::Redirect;
use broadsheet::models::Role;
use broadsheet::{db, AppState};
use diesel::prelude::*;

const BIN: &str = env!("CARGO_BIN_EXE_broadsheet");

/// `broadsheet --database FROM copy --to TO`, its log quiet.
fn copy(from: &str, to: &str) -> Output {
    Command::new(BIN)
        .args(["--database", from, "copy", "--to", to])
        .env_remove("RUST_LOG")
        .env_remove("BROADSHEET_DATABASE")
        .output()
        .expect("the broadsheet binary runs")
}

/// The count table a copy prints: each table with its rows on both sides.
fn counts(out: &Output) -> Vec<(String, i64, i64)> {
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "copy failed: {}{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .lines()
        .filter_map(|line| {
            let (name, rest) = line.trim().rsplit_once(" = ").map(|(l, r)| {
                let (name, n) = l.trim().rsplit_once(' ').expect("a table and its rows");
                ((name.trim().to_string(), n.to_string()), r.to_string())
            })?;
            Some((
                name.0,
                name.1.parse().expect("rows in the source"),
                rest.parse().expect("rows in the copy"),
            ))
        })
        .collect()
}

/// The rows the count table gives `table` (the same on both sides).
fn rows(counts: &[(String, i64, i64)], table: &str) -> i64 {
    let (_, source, target) = counts
        .iter()
        .find(|(t, _, _)| t == table)
        .unwrap_or_else(|| panic!("{table} is in the count table: {counts:?}"));
    assert_eq!(source, target, "{table}");
    *source
}

/// Every table src/schema.rs declares.
fn schema_tables() -> Vec<String> {
    include_str!("../../src/schema.rs")
        .split("diesel::table! {")
        .skip(1)
        .filter_map(|t| t.split_whitespace().next().map(str::to_string))
        .collect()
}

/// A table added to src/schema.rs is copied, or this fails.
fn assert_every_schema_table(counts: &[(String, i64, i64)]) {
    let tables = schema_tables();
    assert!(tables.len() >= 15, "src/schema.rs read: {tables:?}");
    for table in tables {
        assert!(
            counts.iter().any(|(t, _, _)| *t == table),
            "src/schema.rs has {table}, which the copy did not count: {counts:?}"
        );
    }
}

/// The pages a signed-out reader compares between two copies: status,
/// where it points, and the body.
async fn pages(app: &TestApp, uris: &[String]) -> Vec<(String, StatusCode, String, String)> {
    let svc = app.service().await;
    let mut reader = Browser::new();
    let mut seen = Vec::new();
    for uri in uris {
        let page = reader.get(&svc, uri).await;
        seen.push((
            uri.clone(),
            page.status,
            page.location().to_string(),
            page.body,
        ));
    }
    seen
}

fn assert_same_pages(
    a: &[(String, StatusCode, String, String)],
    b: &[(String, StatusCode, String, String)],
    what: &str,
) {
    for (x, y) in a.iter().zip(b) {
        assert_eq!(x.1, y.1, "{what}: status of {}", x.0);
        assert_eq!(x.2, y.2, "{what}: redirect of {}", x.0);
        assert!(
            x.3 == y.3,
            "{what}: {} differs:\n{}\n----\n{}",
            x.0,
            x.3,
            y.3
        );
    }
}

/// A site opened on `database` as `serve` would, addressed as the test
/// sites are.
fn site(database: &str, media: &Path) -> TestApp {
    let mut config = Config::for_database(database.parse::<db::Database>().unwrap());
    config.media_dir = Some(media.to_path_buf());
    config.base_url = Some("http://blog.test".into());
    config.cache_revalidate_ms = 0;
    config.rate_limits = Switch::Off;
    TestApp::with_state(AppState::open(config).expect("the copy opens"))
}

#[derive(QueryableByName, Debug, PartialEq)]
struct Pair {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    id: i32,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Integer>)]
    parent_id: Option<i32>,
}

fn parents(app: &TestApp) -> Vec<Pair> {
    diesel::sql_query("SELECT id, parent_id FROM comments ORDER BY id")
        .load(&mut app.conn())
        .unwrap()
}

fn server_keys(app: &TestApp) -> Vec<(String, String)> {
    use broadsheet::schema::server_keys::dsl::*;
    server_keys
        .select((name, value))
        .order(name)
        .load(&mut app.conn())
        .unwrap()
}

#[actix_web::test]
async fn a_generated_site_goes_to_postgresql_and_back_serving_the_same_pages() {
    let Some(pg) = PgDatabase::new("a_generated_site_goes_to_postgresql_and_back") else {
        return;
    };
    let source = TestApp::on_sqlite_with(|c| c.rate_limits = Switch::Off);
    let done = run(
        &mut source.conn(),
        &GenerateArgs {
            posts: 300,
            comments_per_post: 5,
            users: 40,
            busy_post_comments: 40,
            seed: 11,
        },
    )
    .unwrap();
    source.settings("Harbour Gazette", "Tides and town news", 10, "open");
    let ann = source.user("ann", Role::Admin);
    // A WordPress import: guest comments, HTML posts, import keys, old
    // addresses, and its job.
    let wxr = include_str!("fixtures/wordpress.xml");
    let report = broadsheet::import::run(
        &source.state.pool,
        wxr.as_bytes(),
        &broadsheet::import::Options::default(),
        |_| {},
    )
    .unwrap();
    assert!(report.error.is_none(), "{:?}", report.error);
    let now = broadsheet::models::now();
    let busy_id: i32 = broadsheet::schema::posts::table
        .filter(broadsheet::schema::posts::slug.eq(&done.busy_slug))
        .select(broadsheet::schema::posts::id)
        .first(&mut source.conn())
        .unwrap();
    db::write_with(&mut source.conn(), |conn| {
        let media = Media::create(
            conn,
            &NewMedia {
                hash: "4f1c0ffee",
                stem: "4f1c0ffee-harbour",
                format: MediaFormat::Jpeg,
                width: 1600,
                height: 900,
                bytes: 123_456,
                variants: "480,960",
                alt: "The harbour at dawn",
                original_name: "harbour.jpg",
                uploaded_by: Some(ann.id),
                created_at: now,
            },
        )?;
        Media::link_to_post(conn, busy_id, &[media.id])?;
        Redirect::add(conn, "/2019/05/03/old-harbour/", "/posts/welcome", now)?;
        // An imported reply can name a parent with a later id (the import
        // links parents after the fact): the copy must keep such links.
        diesel::sql_query(
            "UPDATE comments SET parent_id = (SELECT max(id) FROM comments \
               WHERE post_id = ?1 AND parent_id IS NULL) \
             WHERE id = (SELECT min(id) FROM comments WHERE post_id = ?1 AND parent_id IS NULL)",
        )
        .bind::<diesel::sql_types::Integer, _>(busy_id)
        .execute(conn)?;
        Ok(())
    })
    .unwrap();
    let forward: i64 = diesel::sql_query("SELECT count(*) AS n FROM comments WHERE parent_id > id")
        .get_result::<Count>(&mut source.conn())
        .unwrap()
        .n;
    assert!(forward >= 1);

    // Ann signs in on the source; her session should outlive the move.
    let svc = source.service().await;
    let mut ann_browser = Browser::new();
    ann_browser.login(&svc, &source, "ann").await;
    assert_eq!(ann_browser.get(&svc, "/admin").await.status, StatusCode::OK);
    drop(svc);

    // The pages to compare: home, a busy article, a tag, an archive month,
    // the feed, the sitemap and its first post file, the tag list, an old
    // address, an imported post.
    let tag: String = diesel::sql_query(
        "SELECT slug AS s FROM tags WHERE post_count > 2 ORDER BY post_count DESC, id LIMIT 1",
    )
    .get_result::<Text>(&mut source.conn())
    .unwrap()
    .s;
    let month: String = diesel::sql_query(
        "SELECT month AS s FROM archive_months WHERE count > 0 ORDER BY month DESC LIMIT 1",
    )
    .get_result::<Text>(&mut source.conn())
    .unwrap()
    .s;
    let imported: String = diesel::sql_query(
        "SELECT slug AS s FROM posts WHERE format = 'html' AND status = 'published' \
         AND kind = 'post' ORDER BY id LIMIT 1",
    )
    .get_result::<Text>(&mut source.conn())
    .unwrap()
    .s;
    let mut uris: Vec<String> = [
        "/",
        "/?page=2",
        "/feed.xml",
        "/sitemap.xml",
        "/tags",
        "/archive",
        "/2019/05/03/old-harbour/",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    uris.push(format!("/posts/{}", done.busy_slug));
    uris.push(format!("/posts/{imported}"));
    uris.push(format!("/tags/{tag}"));
    uris.push(format!("/archive/{}", month.replace('-', "/")));
    let before = pages(&source, &uris).await;
    assert!(
        before[7].3.matches("class=\"comment depth-").count() >= 30,
        "the busy article shows its thread"
    );

    // SQLite → PostgreSQL.
    let source_file = source.dir.path().join("test.db");
    let source_file = source_file.to_str().unwrap();
    let out = copy(source_file, &pg.url);
    let there = counts(&out);
    assert_every_schema_table(&there);
    assert!(rows(&there, "posts") >= 300);
    assert!(rows(&there, "comments") >= 300 * 5);
    let users: i64 = broadsheet::schema::users::table
        .count()
        .get_result(&mut source.conn())
        .unwrap();
    assert!(users > 41, "the import's authors are accounts too");
    assert_eq!(rows(&there, "users"), users);
    assert_eq!(rows(&there, "sessions"), 1);
    assert_eq!(rows(&there, "media"), 1);
    assert!(rows(&there, "redirects") > 1);
    assert!(rows(&there, "imported") > 0);
    assert_eq!(rows(&there, "import_jobs"), 0);
    assert_eq!(rows(&there, "search index"), rows(&there, "posts"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("Images are not in the database"),
        "{stdout}"
    );

    let media = tempfile::tempdir().unwrap();
    let on_pg = site(&pg.url, media.path());
    assert_same_pages(&before, &pages(&on_pg, &uris).await, "SQLite → PostgreSQL");
    assert_eq!(parents(&on_pg), parents(&source));
    assert_eq!(server_keys(&on_pg), server_keys(&source));

    // Ann's session works there, and she signs in with her password.
    let svc = on_pg.service().await;
    assert_eq!(ann_browser.get(&svc, "/admin").await.status, StatusCode::OK);
    let mut again = Browser::new();
    let password = source.password("ann");
    let signed_in = again
        .submit(
            &svc,
            "/login",
            "/login",
            &[("username", "ann"), ("password", &password)],
        )
        .await;
    assert_eq!(
        signed_in.status,
        StatusCode::SEE_OTHER,
        "{}",
        signed_in.body
    );
    // New rows take ids after the copied ones: a post and a comment.
    let made = again
        .submit(
            &svc,
            "/admin/posts/new",
            "/admin/posts",
            &[
                ("title", "Ferry timetable changes"),
                ("slug", ""),
                ("dateline", ""),
                ("body", "The winter timetable starts on Monday."),
                ("tags", &tag),
                ("status", "published"),
                ("published_at", ""),
                ("comments_enabled", "on"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let article = format!("/posts/{}", done.busy_slug);
    let sent = again
        .submit(
            &svc,
            &article,
            &format!("{article}/comments"),
            &[("body", "Moved house and still here.")],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let mut reader = Browser::new();
    assert!(reader
        .get(&svc, &article)
        .await
        .contains("Moved house and still here."));
    assert!(reader
        .get(&svc, "/posts/ferry-timetable-changes")
        .await
        .contains("The winter timetable starts on Monday."));
    drop(svc);

    // A second copy into the same database is refused: it holds a site now.
    let refused = copy(source_file, &pg.url);
    assert_eq!(refused.status.code(), Some(1));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("is not empty: it holds"), "{err}");
    assert!(
        err.contains(&format!("{} users", rows(&there, "users"))),
        "{err}"
    );

    // PostgreSQL → a new SQLite file.
    let dir = tempfile::tempdir().unwrap();
    let back_file = dir.path().join("back.db");
    let back_file = back_file.to_str().unwrap();
    let back = counts(&copy(&pg.url, back_file));
    assert_eq!(rows(&back, "posts"), rows(&there, "posts") + 1);
    assert_eq!(rows(&back, "comments"), rows(&there, "comments") + 1);
    assert_eq!(rows(&back, "sessions"), 2);
    let on_sqlite = site(back_file, media.path());
    uris.push("/posts/ferry-timetable-changes".into());
    assert_same_pages(
        &pages(&on_pg, &uris).await,
        &pages(&on_sqlite, &uris).await,
        "PostgreSQL → SQLite",
    );
    assert_eq!(parents(&on_sqlite), parents(&on_pg));
    let svc = on_sqlite.service().await;
    assert_eq!(ann_browser.get(&svc, "/admin").await.status, StatusCode::OK);
    // Search reads the index the copy filled: the new post is found by a
    // word of its body (plain text, as the app indexes it).
    let found = reader.get(&svc, "/search?q=timetable").await;
    assert!(
        found.contains("<p class=\"excerpt snippet\">The winter <mark>timetable</mark> starts"),
        "{}",
        found.body
    );
    // And the copied posts as on the source (same backend, same ranking):
    // the index holds their plain text, not their markdown.
    let searches = ["/search?q=council+budget".to_string()];
    let searched = pages(&source, &searches).await;
    assert!(
        searched[0].3.contains("<mark>council</mark>"),
        "{}",
        searched[0].3
    );
    assert_same_pages(
        &searched,
        &pages(&on_sqlite, &searches).await,
        "search, SQLite → PostgreSQL → SQLite",
    );
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Text {
    #[diesel(sql_type = diesel::sql_types::Text)]
    s: String,
}

#[actix_web::test]
async fn a_missing_source_a_used_target_and_the_source_itself_are_refused_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.db");
    let target = dir.path().join("new.db");
    let out = copy(missing.to_str().unwrap(), target.to_str().unwrap());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("there is no database at"), "{err}");
    assert!(!target.exists(), "nothing is made for a missing source");

    // A blog with its welcome post is not an empty target.
    let source = TestApp::on_sqlite_with(|_| {});
    let used = TestApp::open_on_sqlite();
    let source_file = source.dir.path().join("test.db");
    let used_file = used.dir.path().join("test.db");
    let before = std::fs::read(&used_file).unwrap();
    let out = copy(source_file.to_str().unwrap(), used_file.to_str().unwrap());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("is not empty: it holds 1 post and 0 users"),
        "{err}"
    );
    assert_eq!(std::fs::read(&used_file).unwrap(), before, "left as it was");

    let out = copy(source_file.to_str().unwrap(), source_file.to_str().unwrap());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("is the source database itself"), "{err}");

    // A server nobody listens on: said in a line, no password shown.
    let out = copy(
        source_file.to_str().unwrap(),
        "postgres://blog:hunter2-not-shown@127.0.0.1:1/blog",
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("cannot reach the database at"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
}

#[actix_web::test]
async fn a_sqlite_site_copies_into_a_new_sqlite_file_with_the_same_totals() {
    let source = TestApp::on_sqlite_with(|_| {});
    run(
        &mut source.conn(),
        &GenerateArgs {
            posts: 30,
            comments_per_post: 3,
            users: 5,
            busy_post_comments: 10,
            seed: 3,
        },
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("copy.db");
    let source_file = source.dir.path().join("test.db");
    let copied = counts(&copy(
        source_file.to_str().unwrap(),
        target.to_str().unwrap(),
    ));
    assert_every_schema_table(&copied);
    assert_eq!(rows(&copied, "posts"), 30);
    assert_eq!(rows(&copied, "comments"), 29 * 3 + 10);
    assert_eq!(rows(&copied, "archive_months"), {
        let n: i64 = broadsheet::schema::archive_months::table
            .count()
            .get_result(&mut source.conn())
            .unwrap();
        n
    });
}

/// The copy's peak memory (VmHWM), watched until it exits.
fn copy_watching_memory(from: &str, to: &str) -> (Output, u64) {
    let child = Command::new(BIN)
        .args(["--database", from, "copy", "--to", to])
        .env_remove("RUST_LOG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the broadsheet binary runs");
    let status = format!("/proc/{}/status", child.id());
    let watcher = std::thread::spawn(move || {
        let mut peak = 0;
        while let Ok(text) = std::fs::read_to_string(&status) {
            // A zombie's status has no memory lines: stop at the last value.
            let Some(kb) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            else {
                break;
            };
            peak = peak.max(kb);
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        peak
    });
    let out = child.wait_with_output().expect("the copy ends");
    (out, watcher.join().unwrap() * 1024)
}

#[actix_web::test]
async fn long_posts_are_copied_a_few_at_a_time_in_bounded_memory() {
    let source = TestApp::on_sqlite_with(|_| {});
    run(
        &mut source.conn(),
        &GenerateArgs {
            posts: 80,
            comments_per_post: 1,
            users: 3,
            busy_post_comments: 1,
            seed: 5,
        },
    )
    .unwrap();
    // Imports keep posts longer than the editor takes: 2 MB of text each
    // here, 160 MB in all.
    db::write_with(&mut source.conn(), |conn| {
        diesel::sql_query(
            "UPDATE posts SET \
               body = body || replace(printf('%.*c', 125000, 'x'), 'x', 'harbour '), \
               body_html = body_html || replace(printf('%.*c', 125000, 'x'), 'x', 'seawall ')",
        )
        .execute(conn)?;
        Ok(())
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("copy.db");
    let source_file = source.dir.path().join("test.db");
    let (out, peak) = copy_watching_memory(source_file.to_str().unwrap(), target.to_str().unwrap());
    assert_eq!(rows(&counts(&out), "posts"), 80);
    eprintln!("copy of 160 MB of posts: peak memory {} MB", peak >> 20);
    assert!(
        peak < 120 << 20,
        "the copy held {} MB at its peak",
        peak >> 20
    );
}

/// Whether the SQLite file at `path` has a table named `name` (without
/// creating the file).
fn has_table(path: &Path, name: &str) -> bool {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    if std::fs::metadata(path).map_or(true, |m| m.len() == 0) {
        return false;
    }
    let Ok(mut conn) = diesel::SqliteConnection::establish(&path.to_string_lossy()) else {
        return false;
    };
    diesel::sql_query("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = ?")
        .bind::<diesel::sql_types::Text, _>(name)
        .get_result::<N>(&mut conn)
        .is_ok_and(|r| r.n > 0)
}

/// Whether the PostgreSQL database at `url` has a table named `name`.
fn pg_has_table(url: &str, name: &str) -> bool {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let Ok(mut conn) = diesel::PgConnection::establish(url) else {
        return false;
    };
    diesel::sql_query(
        "SELECT count(*) AS n FROM information_schema.tables \
         WHERE table_schema = current_schema() AND table_name = $1",
    )
    .bind::<diesel::sql_types::Text, _>(name)
    .get_result::<N>(&mut conn)
    .is_ok_and(|r| r.n > 0)
}

/// A SQLite site of long posts, so a copy of it takes long enough to be
/// stopped half way; its file.
fn long_site() -> (TestApp, std::path::PathBuf) {
    let source = TestApp::on_sqlite_with(|_| {});
    run(
        &mut source.conn(),
        &GenerateArgs {
            posts: 40,
            comments_per_post: 1,
            users: 3,
            busy_post_comments: 1,
            seed: 9,
        },
    )
    .unwrap();
    db::write_with(&mut source.conn(), |conn| {
        diesel::sql_query(
            "UPDATE posts SET body = body || replace(printf('%.*c', 125000, 'x'), 'x', 'harbour ')",
        )
        .execute(conn)?;
        Ok(())
    })
    .unwrap();
    let file = source.dir.path().join("test.db");
    (source, file)
}

/// Starts `copy --to target` and stops it for good (kill -9) as soon as
/// `begun` sees the target marked.
fn copy_stopped_as_it_begins(source: &Path, target: &str, begun: impl Fn() -> bool) {
    let mut child = Command::new(BIN)
        .args([
            "--database",
            source.to_str().unwrap(),
            "copy",
            "--to",
            target,
        ])
        .env_remove("RUST_LOG")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while !begun() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the copy ended before it could be stopped"
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(60));
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

/// What `serve` says on `database` when it refuses to start (it must end
/// by itself, within 20 s).
fn serve_refusal(database: &str) -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut serve = Command::new(BIN)
        .args(["--database", database, "--bind"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("serve")
        .env("RUST_LOG", "off")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while serve.try_wait().unwrap().is_none() {
        if started.elapsed() > std::time::Duration::from_secs(20) {
            serve.kill().unwrap();
            panic!("serve started on a copy that did not finish");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = serve.wait_with_output().unwrap();
    assert!(!out.status.success());
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[actix_web::test]
async fn serve_refuses_a_copy_that_was_interrupted_with_one_line() {
    let (_source, source_file) = long_site();
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("copy.db");
    copy_stopped_as_it_begins(&source_file, target.to_str().unwrap(), || {
        has_table(&target, "broadsheet_copy_unfinished")
    });
    let said = serve_refusal(target.to_str().unwrap());
    assert_eq!(said.trim().lines().count(), 1, "{said}");
    assert!(said.contains("is an unfinished copy"), "{said}");

    // A copy that finishes leaves no mark, and its target serves.
    let whole = dir.path().join("whole.db");
    let copied = counts(&copy(
        source_file.to_str().unwrap(),
        whole.to_str().unwrap(),
    ));
    assert_eq!(rows(&copied, "posts"), 40);
    assert!(!has_table(&whole, "broadsheet_copy_unfinished"));
    let app = site(whole.to_str().unwrap(), &dir.path().join("media"));
    let svc = app.service().await;
    let mut reader = Browser::new();
    assert_eq!(reader.get(&svc, "/").await.status, StatusCode::OK);
}

#[actix_web::test]
async fn serve_refuses_a_postgresql_copy_that_was_interrupted() {
    let Some(pg) = PgDatabase::new("serve_refuses_a_postgresql_copy_that_was_interrupted") else {
        return;
    };
    let (_source, source_file) = long_site();
    copy_stopped_as_it_begins(&source_file, &pg.url, || {
        pg_has_table(&pg.url, "broadsheet_copy_unfinished")
    });
    let said = serve_refusal(&pg.url);
    assert_eq!(said.trim().lines().count(), 1, "{said}");
    assert!(said.contains("is an unfinished copy"), "{said}");

    // Copied whole (into a new database), it carries no mark.
    let Some(whole) = PgDatabase::new("serve_refuses_a_postgresql_copy_that_was_interrupted")
    else {
        return;
    };
    let copied = counts(&copy(source_file.to_str().unwrap(), &whole.url));
    assert_eq!(rows(&copied, "posts"), 40);
    assert!(!pg_has_table(&whole.url, "broadsheet_copy_unfinished"));
}

#[actix_web::test]
async fn a_restore_onto_a_copy_under_way_is_refused() {
    let (_source, source_file) = long_site();
    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("backup.db");
    let out = Command::new(BIN)
        .args(["--database", source_file.to_str().unwrap(), "backup"])
        .arg(&backup)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let target = dir.path().join("copy.db");
    let mut child = Command::new(BIN)
        .args(["--database", source_file.to_str().unwrap(), "copy", "--to"])
        .arg(&target)
        .env_remove("RUST_LOG")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while !has_table(&target, "broadsheet_copy_unfinished") {
        assert!(child.try_wait().unwrap().is_none(), "the copy ended first");
        assert!(started.elapsed() < std::time::Duration::from_secs(60));
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let refused = Command::new(BIN)
        .args(["--database", target.to_str().unwrap(), "restore"])
        .arg(&backup)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "{said}");
    assert!(said.contains("has") && said.contains("open"), "{said}");
    let done = child.wait().unwrap();
    assert!(done.success());
    assert!(!has_table(&target, "broadsheet_copy_unfinished"));
}
