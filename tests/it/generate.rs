//! `broadsheet generate` writes a realistic site that the app then serves.

use crate::common::{Browser, TestApp};
use actix_web::http::StatusCode;
use broadsheet::generate::{run, GenerateArgs};
use broadsheet::schema::{comments, posts, users};
use diesel::prelude::*;
use std::collections::HashMap;

#[actix_web::test]
async fn generated_content_is_counted_threaded_and_browsable() {
    let app = TestApp::new();
    let args = GenerateArgs {
        posts: 40,
        comments_per_post: 6,
        users: 12,
        busy_post_comments: 30,
        seed: 7,
    };
    let done = run(&mut app.conn(), &args).unwrap();
    assert_eq!(done.posts, 40);
    assert_eq!(done.comments, 39 * 6 + 30);
    let mut conn = app.conn();
    let post_count: i64 = posts::table.count().get_result(&mut conn).unwrap();
    let comment_count: i64 = comments::table.count().get_result(&mut conn).unwrap();
    let user_count: i64 = users::table.count().get_result(&mut conn).unwrap();
    assert_eq!(
        (post_count, comment_count, user_count),
        (40, 39 * 6 + 30, 12)
    );

    // Replies stay on their parent's post.
    let cross: i64 = diesel::sql_query(
        "SELECT count(*) AS n FROM comments c JOIN comments p ON p.id = c.parent_id WHERE p.post_id <> c.post_id",
    )
    .get_result::<Count>(&mut conn)
    .unwrap()
    .n;
    assert_eq!(cross, 0);
    let replies: i64 = comments::table
        .filter(comments::parent_id.is_not_null())
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert!(replies > 0, "some comments are replies");
    let dates: Vec<Option<chrono::NaiveDateTime>> = posts::table
        .select(posts::published_at)
        .load(&mut conn)
        .unwrap();
    let years = dates
        .iter()
        .flatten()
        .map(chrono::Datelike::year)
        .collect::<std::collections::HashSet<_>>()
        .len();
    assert!(years >= 3, "dates spread over years, got {years}");
    drop(conn);

    let svc = app.service().await;
    let mut b = Browser::new();
    let busy = b.get(&svc, &format!("/posts/{}", done.busy_slug)).await;
    assert_eq!(busy.status, StatusCode::OK);
    assert!(
        busy.body.matches("class=\"comment depth-").count() >= 25,
        "the busy post shows its thread"
    );
    let home = b.get(&svc, "/").await;
    assert!(
        home.contains(&done.busy_slug),
        "the busy post is the newest"
    );
    assert_eq!(b.get(&svc, "/archive").await.status, StatusCode::OK);
}

/// Every post's title and body, in the order written.
fn texts(app: &TestApp) -> Vec<(String, String)> {
    posts::table
        .order(posts::id)
        .select((posts::title, posts::body))
        .load(&mut app.conn())
        .unwrap()
}

#[actix_web::test]
async fn generated_text_has_thousands_of_words_and_the_same_seed_writes_it_again() {
    let args = GenerateArgs {
        posts: 60,
        comments_per_post: 0,
        users: 2,
        busy_post_comments: 0,
        seed: 5,
    };
    let first = TestApp::new();
    run(&mut first.conn(), &args).unwrap();
    let written = texts(&first);

    let mut counts: HashMap<String, usize> = HashMap::new();
    for (_, body) in &written {
        for word in body.split(|c: char| !c.is_ascii_alphabetic()) {
            if !word.is_empty() {
                *counts.entry(word.to_lowercase()).or_default() += 1;
            }
        }
    }
    // About 17,000 words drawn from some 5,000 by their frequency; the old
    // fixed list had 96.
    assert!(
        counts.len() > 2000,
        "{} distinct words in 60 posts",
        counts.len()
    );
    // Still news-like: the commonest words lead, far ahead of the rest.
    let mut by_count: Vec<(&String, &usize)> = counts.iter().collect();
    by_count.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    assert_eq!(by_count[0].0, "the", "{:?}", &by_count[..10]);
    assert!(
        *by_count[0].1 > 20 * *by_count[500].1,
        "{:?}",
        &by_count[..10]
    );

    let second = TestApp::new();
    run(&mut second.conn(), &args).unwrap();
    assert!(texts(&second) == written, "the same seed, the same posts");
    let third = TestApp::new();
    run(&mut third.conn(), &GenerateArgs { seed: 6, ..args }).unwrap();
    assert!(texts(&third) != written, "another seed, other posts");
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

#[actix_web::test]
async fn the_generate_command_leaves_no_wal_beside_the_database() {
    use broadsheet::config::Config;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("blog.db");
    // Made as `serve` makes it; then this process lets go of it (its pool's
    // connections close on threads of their own), so that what is left
    // beside it afterwards is the command's doing.
    drop(broadsheet::AppState::open(Config::for_database(path.as_path())).unwrap());
    let open_here = || {
        std::fs::read_dir("/proc/self/fd")
            .unwrap()
            .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
            .any(|target| target.starts_with(&path))
    };
    let started = std::time::Instant::now();
    while open_here() {
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    for beside in ["-wal", "-shm"] {
        let file = broadsheet::db::with_suffix(&path, beside);
        assert!(!file.exists(), "{} before the command", file.display());
    }
    // Enough to pass the WAL's 4 MB checkpoint, so the checkpointer runs.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_broadsheet"))
        .arg("--database")
        .arg(&path)
        .args(["generate", "--posts", "700", "--users", "20"])
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    for beside in ["-wal", "-shm"] {
        let file = broadsheet::db::with_suffix(&path, beside);
        assert!(!file.exists(), "{} was left", file.display());
    }
}
