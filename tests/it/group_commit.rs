//! Group commit (`db::write`): writes that wait while one transaction runs
//! share the next one, each in a savepoint of its own. Every write answered
//! `Ok` is stored, one refused is undone alone, and a write that panics
//! takes none of the writes queued after it down with it.
//!
//! A first write holds the write lock for a moment, so the ones sent while
//! it runs are sure to be waiting together.

use std::time::Duration;

use crate::common::{Browser, TestApp};
use actix_web::http::StatusCode;
use actix_web::test;
use broadsheet::db::{self, DbPool};
use broadsheet::error::AppError;
use broadsheet::models::{Comment, Role};
use broadsheet::schema::redirects;
use diesel::prelude::*;
use futures_util::future::{join3, join4, join_all};

/// Starts a write that holds the lock for `held`, and waits until it runs.
async fn hold_lock(pool: &DbPool, held: Duration) -> actix_web::rt::task::JoinHandle<()> {
    let (running, started) = tokio::sync::oneshot::channel();
    let pool = pool.clone();
    let holder = actix_web::rt::spawn(async move {
        db::write(&pool, move |_| {
            let _ = running.send(());
            std::thread::sleep(held);
            Ok(())
        })
        .await
        .unwrap();
    });
    started.await.unwrap();
    holder
}

fn add(from: &str) -> impl FnOnce(&mut db::Conn) -> Result<(), AppError> + Send + 'static {
    let from = from.to_string();
    move |conn| {
        diesel::insert_into(redirects::table)
            .values((
                redirects::from_path.eq(&from),
                redirects::to_path.eq("/"),
                redirects::created_at.eq(broadsheet::models::now()),
            ))
            .execute(conn)?;
        Ok(())
    }
}

fn stored(app: &TestApp) -> Vec<String> {
    redirects::table
        .select(redirects::from_path)
        .order(redirects::from_path)
        .load(&mut *app.conn())
        .unwrap()
}

#[actix_web::test]
async fn comments_posted_while_a_write_runs_share_one_transaction_and_are_all_stored() {
    let app = TestApp::without_rate_limits();
    app.user("reader", Role::Commenter);
    app.comment_policy("open");
    let post = app.post("Harbour news", "The harbour reopened.", 1);
    let svc = app.service().await;
    let mut b = Browser::new();
    b.login(&svc, &app, "reader").await;
    let url = format!("/posts/{}", post.slug);
    let csrf = b.get(&svc, &url).await.csrf();
    let pool = app.state().pool;

    let before = pool.write_transactions();
    let holder = hold_lock(&pool, Duration::from_millis(400)).await;
    let texts: Vec<String> = (0..20).map(|i| format!("Comment number {i}.")).collect();
    let sent = texts.iter().map(|text| {
        let req = b
            .with_cookies(test::TestRequest::post().uri(&format!("{url}/comments")))
            .set_form([("body", text.as_str()), ("csrf_token", csrf.as_str())]);
        test::call_service(&svc, req.to_request())
    });
    let answers = join_all(sent).await;
    holder.await.unwrap();

    for answer in &answers {
        assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    }
    let bodies: Vec<String> = Comment::for_post(&mut app.conn(), post.id)
        .unwrap()
        .into_iter()
        .map(|c| c.comment.body)
        .collect();
    for text in &texts {
        assert!(bodies.contains(text), "{text} is stored");
    }
    // The held write, then the twenty together (all were waiting by then).
    let used = pool.write_transactions() - before;
    assert!(
        used <= 3,
        "21 writes took {used} transactions; waiting writes should share one"
    );
}

#[actix_web::test]
async fn a_refused_write_in_a_shared_transaction_is_undone_alone() {
    let app = TestApp::new();
    let pool = app.state().pool;
    db::write(&pool, add("/taken")).await.unwrap();

    let holder = hold_lock(&pool, Duration::from_millis(300)).await;
    let (first, half_done, taken, last) = join4(
        db::write(&pool, add("/first")),
        // Writes a row, then refuses: the row must go with it.
        db::write(&pool, |conn| -> Result<(), AppError> {
            add("/half-done")(conn)?;
            Err(AppError::BadRequest("the form is wrong".into()))
        }),
        // The database refuses this one (the address is taken).
        db::write(&pool, add("/taken")),
        db::write(&pool, add("/last")),
    )
    .await;
    holder.await.unwrap();

    assert!(first.is_ok(), "{first:?}");
    match half_done {
        Err(AppError::BadRequest(message)) => assert_eq!(message, "the form is wrong"),
        other => panic!("the refusal comes back as it was: {other:?}"),
    }
    assert!(
        matches!(taken, Err(AppError::Db(_))),
        "the taken address is refused: {taken:?}"
    );
    assert!(last.is_ok(), "{last:?}");
    assert_eq!(stored(&app), ["/first", "/last", "/taken"]);
}

#[actix_web::test]
async fn a_write_that_panics_fails_and_the_writes_queued_after_it_are_stored() {
    let app = TestApp::new();
    let pool = app.state().pool;

    let holder = hold_lock(&pool, Duration::from_millis(300)).await;
    let (before, panicked, after) = join3(
        db::write(&pool, add("/before")),
        db::write(&pool, |conn| -> Result<(), AppError> {
            add("/panicked")(conn)?;
            panic!("a bug in a write");
        }),
        db::write(&pool, add("/after")),
    )
    .await;
    holder.await.unwrap();

    // The write that ran before it shared its transaction, which is gone:
    // it is told so (503, the form kept), and nothing of it is stored.
    let before = before.unwrap_err();
    assert!(before.is_not_saved(), "{before:?}");
    assert!(
        matches!(panicked, Err(AppError::WriteFailed)),
        "{panicked:?}"
    );
    assert!(after.is_ok(), "{after:?}");
    assert_eq!(stored(&app), ["/after"]);
    // The lead was given up: writes go on.
    db::write(&pool, add("/later")).await.unwrap();
    assert_eq!(stored(&app), ["/after", "/later"]);
}

#[actix_web::test]
async fn a_write_that_waited_longer_than_the_limit_is_answered_not_saved_and_not_run() {
    // The site's 10 s bound, lowered: the same rule, seen in a second.
    let app = TestApp::fresh_with(|c| c.longest_write_wait = Duration::from_secs(1));
    let pool = app.state().pool;

    let holder = hold_lock(&pool, Duration::from_millis(1300)).await;
    let late = db::write(&pool, add("/late")).await;
    holder.await.unwrap();

    let e = late.unwrap_err();
    assert!(e.is_not_saved(), "{e:?}");
    assert!(stored(&app).is_empty());
    db::write(&pool, add("/on-time")).await.unwrap();
    assert_eq!(stored(&app), ["/on-time"]);
}
