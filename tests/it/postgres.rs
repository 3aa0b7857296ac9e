//! The same blog on PostgreSQL: a new site is created and migrated, readers
//! browse and search it, a signed-in reader comments, a WordPress export
//! comes in, and a database of another application, a newer schema or an
//! unreachable server are refused with one clear line.
//!
//! The server comes from `BROADSHEET_TEST_POSTGRES` (a URL whose user may
//! create databases; `.ci/run` starts a throwaway cluster and sets it).
//! Without it these tests say why and pass, unless `CI` is set.

use crate::common::{Browser, PgDatabase, TestApp};
use actix_web::http::StatusCode;
use broadsheet::config::Config;
use broadsheet::db::{Database, OpenError};
use broadsheet::import::{self, Options};
use broadsheet::models::Role;
use broadsheet::AppState;
use diesel::prelude::*;

#[actix_web::test]
async fn a_new_site_on_postgresql_is_read_searched_and_commented_on() {
    let Some(db) = PgDatabase::new("a_new_site_on_postgresql_is_read_searched_and_commented_on")
    else {
        return;
    };
    let media = tempfile::tempdir().unwrap();
    let app =
        TestApp::with_state(AppState::open(db.config(media.path())).expect("opens and migrates"));
    let svc = app.service().await;
    let mut reader = Browser::new();

    // The welcome post of a new blog, on the home page and in search.
    let home = reader.get(&svc, "/").await;
    assert_eq!(home.status, StatusCode::OK);
    let owner = app.user("owner", Role::Admin);
    let post = app.post_with("Harbour wall holds", |p| {
        p.body = "The harbour wall held through the night storm.".into();
        p.tags = vec!["Storms".into()];
    });
    let story = reader.get(&svc, &format!("/posts/{}", post.slug)).await;
    assert_eq!(story.status, StatusCode::OK);
    assert!(story.contains("Harbour wall holds"));
    let found = reader.get(&svc, "/search?q=harbour+storms").await;
    assert_eq!(found.status, StatusCode::OK);
    // The title with the words found marked, and a snippet of the body.
    assert!(
        found.contains("<mark>Harbour</mark> wall holds"),
        "{}",
        found.body
    );
    assert!(found.contains("night <mark>storm</mark>"), "{}", found.body);
    assert!(
        !found.contains("Welcome to Broadsheet</a>"),
        "{}",
        found.body
    );
    assert_eq!(
        reader.get(&svc, "/tags/storms").await.status,
        StatusCode::OK
    );
    assert_eq!(reader.get(&svc, "/archive").await.status, StatusCode::OK);
    assert_eq!(
        reader.get(&svc, "/sitemap.xml").await.status,
        StatusCode::OK
    );

    // A signed-in reader comments; the count the triggers keep follows.
    app.settings("Broadsheet", "News", 10, "open");
    let mara = app.user("mara", Role::Commenter);
    let mut commenter = Browser::new();
    commenter.login(&svc, &app, &mara.username).await;
    let uri = format!("/posts/{}", post.slug);
    let sent = commenter
        .submit(
            &svc,
            &uri,
            &format!("{uri}/comments"),
            &[("body", "Well held, wall.")],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let again = reader.get(&svc, &format!("/posts/{}", post.slug)).await;
    assert!(again.contains("Well held, wall."), "{}", again.body);
    let counted: i32 = broadsheet::schema::posts::table
        .find(post.id)
        .select(broadsheet::schema::posts::comment_count)
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(counted, 1);
    drop(owner);
}

#[actix_web::test]
async fn a_wordpress_export_moves_in_on_postgresql_and_running_it_again_changes_nothing() {
    let Some(db) = PgDatabase::new("a_wordpress_export_moves_in_on_postgresql") else {
        return;
    };
    let media = tempfile::tempdir().unwrap();
    let state = AppState::open(db.config(media.path())).unwrap();
    let text = include_str!("fixtures/wordpress.xml");
    let report = import::run(&state.pool, text.as_bytes(), &Options::default(), |_| {}).unwrap();
    assert_eq!(report.error, None, "{report:#?}");
    assert_eq!(
        (report.posts, report.pages, report.comments),
        (6, 1, 6),
        "{report:#?}"
    );
    let again = import::run(&state.pool, text.as_bytes(), &Options::default(), |_| {}).unwrap();
    assert_eq!((again.posts, again.comments), (0, 0), "{again:#?}");
    let app = TestApp::with_state(state);
    let svc = app.service().await;
    let mut reader = Browser::new();
    let old = reader.get(&svc, "/?p=12").await;
    assert_eq!(old.status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(old.location(), "/posts/storm-closes-the-harbour");
    let story = reader.get(&svc, "/posts/storm-closes-the-harbour").await;
    assert!(story.contains("A reply to a reply."), "{}", story.body);
}

#[actix_web::test]
async fn foreign_newer_and_unreachable_databases_are_refused_with_one_line() {
    let Some(db) =
        PgDatabase::new("foreign_newer_and_unreachable_databases_are_refused_with_one_line")
    else {
        return;
    };
    let media = tempfile::tempdir().unwrap();
    // Another application's tables.
    let mut conn = PgConnection::establish(&db.url).unwrap();
    diesel::sql_query("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
        .execute(&mut conn)
        .unwrap();
    let refused = AppState::open(db.config(media.path()))
        .err()
        .expect("refused");
    assert!(matches!(refused, OpenError::Foreign(_)), "{refused}");
    assert!(
        refused.to_string().contains("another application"),
        "{refused}"
    );
    diesel::sql_query("DROP TABLE invoices")
        .execute(&mut conn)
        .unwrap();

    // A newer Broadsheet's schema.
    drop(AppState::open(db.config(media.path())).unwrap());
    diesel::sql_query("INSERT INTO __diesel_schema_migrations (version) VALUES ('29990101000000')")
        .execute(&mut conn)
        .unwrap();
    let refused = AppState::open(db.config(media.path()))
        .err()
        .expect("refused");
    assert!(
        refused.to_string().contains("newer Broadsheet"),
        "{refused}"
    );

    // Nobody listening: one line, without the password.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let nowhere: Database = format!("postgres://blog:s3cret@127.0.0.1:{port}/blog")
        .parse()
        .unwrap();
    let mut config = Config::for_database(nowhere);
    config.media_dir = Some(media.path().to_path_buf());
    let refused = AppState::open(config).err().expect("refused");
    let line = refused.to_string();
    assert!(
        line.starts_with("cannot reach the database at postgres://blog:"),
        "{line}"
    );
    assert!(!line.contains("s3cret") && !line.contains('\n'), "{line}");
}

#[actix_web::test]
async fn losing_the_database_while_serving_answers_503_and_the_site_recovers_when_it_returns() {
    let Some(db) = PgDatabase::new("losing_the_database_while_serving_answers_503") else {
        return;
    };
    let media = tempfile::tempdir().unwrap();
    let app = TestApp::with_state(AppState::open(db.config(media.path())).unwrap());
    let svc = app.service().await;
    let post = app.post_with("Tide tables", |_| {});
    let mara = app.user("mara", Role::Commenter);
    let mut reader = Browser::new();
    reader.login(&svc, &app, &mara.username).await;
    let path = format!("/posts/{}", post.slug);
    assert_eq!(reader.get(&svc, &path).await.status, StatusCode::OK);

    // The database goes away: every connection cut, no new ones allowed.
    let mut admin = PgConnection::establish(&db.admin).unwrap();
    let gone = |allow: bool| format!("ALTER DATABASE {} WITH ALLOW_CONNECTIONS {allow}", db.name);
    diesel::sql_query(gone(false)).execute(&mut admin).unwrap();
    diesel::sql_query(format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{}'",
        db.name
    ))
    .execute(&mut admin)
    .unwrap();
    // What was read before is still served from the caches; what was not
    // answers 503.
    let down = reader.get(&svc, &path).await;
    assert_eq!(down.status, StatusCode::OK, "{}", down.body);
    assert!(down.contains("Tide tables"));
    let visitor = Browser::new().get(&svc, "/archive").await;
    assert_eq!(
        visitor.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        visitor.body
    );
    assert!(
        visitor.contains("try again in a moment"),
        "{}",
        visitor.body
    );
    let health = Browser::new().get(&svc, "/healthz").await;
    assert_eq!(health.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(health.body, "database unavailable\n");

    // Back again: the same server answers without a restart.
    diesel::sql_query(gone(true)).execute(&mut admin).unwrap();
    let back = reader.get(&svc, &path).await;
    assert_eq!(back.status, StatusCode::OK, "{}", back.body);
    assert!(back.contains("Tide tables"));
    let health = Browser::new().get(&svc, "/healthz").await;
    assert_eq!(health.status, StatusCode::OK);
    assert!(
        health.body.starts_with("ok\ndatabase: PostgreSQL\n"),
        "{}",
        health.body
    );
    assert!(!health.body.contains(&db.name), "the address is not shown");
}

#[actix_web::test]
async fn a_write_that_cannot_take_the_write_lock_answers_503_and_leaves_its_connection_usable() {
    let Some(db) = PgDatabase::new("a_write_that_cannot_take_the_write_lock") else {
        return;
    };
    // Set before the pool opens, so every pooled connection waits this long.
    let mut admin = PgConnection::establish(&db.admin).unwrap();
    diesel::sql_query(format!(
        "ALTER DATABASE {} SET lock_timeout = '300ms'",
        db.name
    ))
    .execute(&mut admin)
    .unwrap();
    let media = tempfile::tempdir().unwrap();
    let mut config = db.config(media.path());
    // Ten comments in a row, each on whichever pooled connection is free.
    config.rate_limits = broadsheet::config::Switch::Off;
    let app = TestApp::with_state(AppState::open(config).unwrap());
    app.comment_policy("open");
    let post = app.post_with("Tide tables", |_| {});
    let mara = app.user("mara", Role::Commenter);
    let svc = app.service().await;
    let mut reader = Browser::new();
    reader.login(&svc, &app, &mara.username).await;
    let path = format!("/posts/{}", post.slug);
    let comments = format!("{path}/comments");

    // Another writer (an instance stuck mid-write, say) holds the lock.
    let mut holder = PgConnection::establish(&db.url).unwrap();
    diesel::sql_query("SELECT pg_advisory_lock(108243634447475)")
        .execute(&mut holder)
        .unwrap();
    let refused = reader
        .submit(
            &svc,
            &path,
            &comments,
            &[("body", "Held up"), ("website", "")],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        refused.body
    );
    assert!(
        refused.contains("Held up"),
        "the comment form keeps its text"
    );
    diesel::sql_query("SELECT pg_advisory_unlock(108243634447475)")
        .execute(&mut holder)
        .unwrap();

    // Every pooled connection still writes (none is left inside the half-open
    // transaction of the refused write).
    for n in 0..10 {
        let body = format!("Comment {n}");
        let res = reader
            .submit(&svc, &path, &comments, &[("body", &body), ("website", "")])
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{n}: {}", res.body);
    }
    let page = reader.get(&svc, &path).await;
    assert!(page.contains("Comment 9") && !page.contains("Held up"));
}

/// A TCP proxy in front of the PostgreSQL test server that a test can cut,
/// as if the server stopped: every connection through it is closed, and
/// new ones are closed as soon as they arrive, until it is restored.
struct Proxy {
    port: u16,
    cut: std::sync::Arc<std::sync::atomic::AtomicBool>,
    live: std::sync::Arc<std::sync::Mutex<Vec<std::net::TcpStream>>>,
}

impl Proxy {
    fn to(server: &str) -> Proxy {
        use std::net::{TcpListener, TcpStream};
        use std::sync::atomic::Ordering;
        let url = url::Url::parse(server).unwrap();
        let upstream = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap_or(5432));
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let proxy = Proxy {
            port: listener.local_addr().unwrap().port(),
            cut: Default::default(),
            live: Default::default(),
        };
        let (cut, live) = (proxy.cut.clone(), proxy.live.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                if cut.load(Ordering::SeqCst) {
                    continue;
                }
                let Ok(server) = TcpStream::connect(&upstream) else {
                    continue;
                };
                let mut held = live.lock().unwrap();
                held.push(client.try_clone().unwrap());
                held.push(server.try_clone().unwrap());
                drop(held);
                let pipe = |mut from: TcpStream, mut to: TcpStream| {
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut from, &mut to);
                        let _ = to.shutdown(std::net::Shutdown::Both);
                    });
                };
                pipe(client.try_clone().unwrap(), server.try_clone().unwrap());
                pipe(server, client);
            }
        });
        proxy
    }

    /// `url` with its host and port this proxy's.
    fn url(&self, url: &str) -> String {
        let mut url = url::Url::parse(url).unwrap();
        url.set_host(Some("127.0.0.1")).unwrap();
        url.set_port(Some(self.port)).unwrap();
        url.to_string()
    }

    fn cut(&self) {
        self.cut.store(true, std::sync::atomic::Ordering::SeqCst);
        for stream in self.live.lock().unwrap().drain(..) {
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
    }

    fn restore(&self) {
        self.cut.store(false, std::sync::atomic::Ordering::SeqCst);
    }
}

/// The measure: with PostgreSQL stopped, every request waited the
/// pool's 10 s before a plain-text "Busy", a comment 20 s, and most comments
/// lost their text.
#[actix_web::test]
async fn with_postgresql_stopped_cached_pages_are_served_and_the_rest_answers_503_at_once() {
    use std::time::{Duration, Instant};
    let Some(db) = PgDatabase::new("with_postgresql_stopped_cached_pages_are_served") else {
        return;
    };
    let proxy = Proxy::to(&db.admin);
    let media = tempfile::tempdir().unwrap();
    let mut config = Config::for_database(proxy.url(&db.url).parse::<Database>().unwrap());
    config.media_dir = Some(media.path().to_path_buf());
    config.base_url = Some("http://blog.test".into());
    config.cache_revalidate_ms = 0;
    config.rate_limits = broadsheet::config::Switch::Off;
    let app = TestApp::with_state(AppState::open(config).unwrap());
    app.settings("Harbour Gazette", "News", 10, "open");
    let post = app.post_with("Tide tables", |_| {});
    let mara = app.user("mara", Role::Commenter);
    let svc = app.service().await;
    let path = format!("/posts/{}", post.slug);
    let comments = format!("{path}/comments");
    let mut reader = Browser::new();
    reader.login(&svc, &app, &mara.username).await;
    // Read once while the database is up: now cached.
    assert_eq!(reader.get(&svc, &path).await.status, StatusCode::OK);
    assert_eq!(Browser::new().get(&svc, "/").await.status, StatusCode::OK);
    assert_eq!(Browser::new().get(&svc, &path).await.status, StatusCode::OK);
    let mut stranger = Browser::new();
    let register = stranger.get(&svc, "/register").await;
    assert_eq!(register.status, StatusCode::OK);

    proxy.cut();
    let bound = Duration::from_secs(2);
    let timed = Instant::now();
    let home = Browser::new().get(&svc, "/").await;
    assert_eq!(home.status, StatusCode::OK, "{}", home.body);
    let story = Browser::new().get(&svc, &path).await;
    assert_eq!(story.status, StatusCode::OK, "{}", story.body);
    assert!(story.contains("Tide tables"));
    assert!(
        timed.elapsed() < bound,
        "cached pages took {:?}",
        timed.elapsed()
    );

    let timed = Instant::now();
    let health = Browser::new().get(&svc, "/healthz").await;
    assert_eq!(health.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        timed.elapsed() < Duration::from_secs(1),
        "/healthz took {:?}",
        timed.elapsed()
    );

    // Every comment refused keeps its text, promptly, in the site's layout.
    for n in 0..5 {
        let text = format!("Spring tides at noon, note {n}.");
        let timed = Instant::now();
        let refused = reader
            .submit(&svc, &path, &comments, &[("body", &text), ("website", "")])
            .await;
        assert_eq!(
            refused.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{}",
            refused.body
        );
        assert!(
            timed.elapsed() < bound,
            "a comment took {:?}",
            timed.elapsed()
        );
        assert!(refused.contains(&text), "{n}: {}", refused.body);
        assert!(refused.contains("Harbour Gazette"), "{}", refused.body);
        assert!(refused.headers.contains_key("retry-after"));
    }

    // The refused comments changed nothing: the cached pages stay.
    let home = Browser::new().get(&svc, "/").await;
    assert_eq!(home.status, StatusCode::OK, "{}", home.body);

    // A page never cached: a 503 page in the layout, not plain text.
    let timed = Instant::now();
    let archive = Browser::new().get(&svc, "/archive").await;
    assert_eq!(archive.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(timed.elapsed() < bound, "took {:?}", timed.elapsed());
    assert!(archive.contains("<html"), "{}", archive.body);
    assert!(
        archive.contains("cannot reach its database"),
        "{}",
        archive.body
    );
    assert!(archive.headers.contains_key("retry-after"));

    // A form whose handler reads before it writes: what was typed comes
    // back (never the password), ready to send again.
    let timed = Instant::now();
    let refused = stranger
        .post(
            &svc,
            "/register",
            &[
                ("username", "tidewatcher"),
                ("email", "tides@example.com"),
                ("password", "a long harbour password"),
                ("csrf_token", &register.csrf()),
            ],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        refused.body
    );
    assert!(timed.elapsed() < bound, "took {:?}", timed.elapsed());
    assert!(refused.contains("tidewatcher") && refused.contains("tides@example.com"));
    assert!(!refused.contains("a long harbour password"));
    assert!(refused.contains("action=\"/register\""), "{}", refused.body);

    // Back: the same server notices without a restart.
    proxy.restore();
    let mut healthy = false;
    for _ in 0..50 {
        if Browser::new().get(&svc, "/healthz").await.status == StatusCode::OK {
            healthy = true;
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(healthy, "the database is used again once it is back");
    let posted = reader
        .submit(
            &svc,
            &path,
            &comments,
            &[("body", "Back again."), ("website", "")],
        )
        .await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER, "{}", posted.body);
}
