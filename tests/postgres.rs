//! The same blog on PostgreSQL: a new site is created and migrated, readers
//! browse and search it, a signed-in reader comments, a WordPress export
//! comes in, and a database of another application, a newer schema or an
//! unreachable server are refused with one clear line.
//!
//! The server comes from `BROADSHEET_TEST_POSTGRES` (a URL whose user may
//! create databases; `.ci/run` starts a throwaway cluster and sets it).
//! Without it these tests say why and pass, unless `CI` is set.

mod common;

use actix_web::http::StatusCode;
use actix_web::test;
use broadsheet::build_app;
use broadsheet::config::Config;
use broadsheet::db::{Database, OpenError};
use broadsheet::import::{self, Options};
use broadsheet::models::Role;
use broadsheet::AppState;
use common::{Browser, PgDatabase, TestApp};
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
    let svc = test::init_service(build_app(app.state())).await;
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
    let svc = test::init_service(build_app(app.state())).await;
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
    let svc = test::init_service(build_app(app.state())).await;
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
    let down = reader.get(&svc, &path).await;
    assert_eq!(
        down.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        down.body
    );
    assert!(down.contains("try again in a moment"), "{}", down.body);
    let visitor = Browser::new().get(&svc, "/archive").await;
    assert_eq!(
        visitor.status,
        StatusCode::SERVICE_UNAVAILABLE,
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
    let svc = test::init_service(build_app(app.state())).await;
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
