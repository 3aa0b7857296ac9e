//! When the database refuses a write (here: every pooled connection set to
//! `query_only`, which SQLite answers like a read-only file, or on
//! PostgreSQL to read-only transactions), each form says
//! the change was not saved, answers 503 with its input kept, and stores
//! nothing; once writes work again the same form succeeds.

use crate::common::{Browser, TestApp};
use actix_web::http::StatusCode;
use broadsheet::models::Role;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

const NOT_SAVED: &str = "Your change was not saved";

/// Makes every connection of the pool refuse writes, or not.
fn refuse_writes(app: &TestApp, refuse: bool) {
    let held: Vec<_> = (0..broadsheet::db::pool_size())
        .map(|_| app.conn())
        .collect();
    let sql = if crate::common::on_postgres() {
        format!("SET default_transaction_read_only = {refuse}")
    } else {
        format!("PRAGMA query_only = {}", i32::from(refuse))
    };
    for mut conn in held {
        conn.batch_execute(&sql).unwrap();
    }
}

fn count(app: &TestApp, sql: &str) -> i64 {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query(sql)
        .get_result::<N>(&mut *app.conn())
        .unwrap()
        .n
}

#[actix_web::test]
async fn a_comment_the_database_refuses_comes_back_with_its_text_and_is_not_stored() {
    let app = TestApp::without_rate_limits();
    app.user("reader", Role::Commenter);
    app.comment_policy("open");
    let post = app.post("Harbour news", "The harbour reopened.", 1);
    let svc = app.service().await;
    let mut b = Browser::new();
    b.login(&svc, &app, "reader").await;
    let url = format!("/posts/{}", post.slug);
    let action = format!("{url}/comments");
    let text = "The ferries are back on time, at last.";

    refuse_writes(&app, true);
    let refused = b.submit(&svc, &url, &action, &[("body", text)]).await;
    assert_eq!(refused.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(refused.contains(NOT_SAVED), "{}", refused.body);
    assert!(refused.contains(text), "the comment's text is kept");
    assert!(refused.headers.contains_key("retry-after"));
    assert_eq!(count(&app, "SELECT count(*) AS n FROM comments"), 0);

    refuse_writes(&app, false);
    let posted = b.submit(&svc, &url, &action, &[("body", text)]).await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER);
    assert!(posted.location().contains("#comment-"));
    assert_eq!(count(&app, "SELECT count(*) AS n FROM comments"), 1);
}

#[actix_web::test]
async fn a_post_save_the_database_refuses_shows_the_form_as_sent() {
    let app = TestApp::without_rate_limits();
    app.user("editor", Role::Admin);
    let svc = app.service().await;
    let mut b = Browser::new();
    b.login(&svc, &app, "editor").await;
    let fields = [
        ("title", "Budget talks resume"),
        ("body", "Negotiators met again on Tuesday."),
        ("tags", "Politics, Budget"),
        ("status", "published"),
        ("comments_enabled", "on"),
    ];

    refuse_writes(&app, true);
    let refused = b
        .submit(&svc, "/admin/posts/new", "/admin/posts", &fields)
        .await;
    assert_eq!(refused.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(refused.contains(NOT_SAVED));
    assert!(refused.contains("Budget talks resume"));
    assert!(refused.contains("Negotiators met again on Tuesday."));
    assert!(refused.contains("Politics, Budget"));
    assert_eq!(count(&app, "SELECT count(*) AS n FROM posts"), 0);
    let budget_tags = "SELECT count(*) AS n FROM tags WHERE name IN ('Politics', 'Budget')";
    assert_eq!(count(&app, budget_tags), 0);

    refuse_writes(&app, false);
    let saved = b
        .submit(&svc, "/admin/posts/new", "/admin/posts", &fields)
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    assert_eq!(count(&app, "SELECT count(*) AS n FROM posts"), 1);
    assert_eq!(count(&app, budget_tags), 2);
}

#[actix_web::test]
async fn sign_up_and_sign_in_the_database_refuses_leave_no_account_or_session() {
    let app = TestApp::without_rate_limits();
    app.user("known", Role::Commenter);
    let svc = app.service().await;
    let password = app.password("newcomer");
    let fields = [
        ("username", "newcomer"),
        ("email", "newcomer@example.com"),
        ("password", password.as_str()),
    ];

    refuse_writes(&app, true);
    let mut b = Browser::new();
    let refused = b.submit(&svc, "/register", "/register", &fields).await;
    assert_eq!(refused.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(refused.contains(NOT_SAVED));
    assert!(refused.contains("newcomer@example.com"), "input kept");
    assert!(b.cookie("broadsheet_session").is_none());
    assert_eq!(count(&app, "SELECT count(*) AS n FROM users"), 1);

    let known = app.password("known");
    let mut k = Browser::new();
    let login = k
        .submit(
            &svc,
            "/login",
            "/login",
            &[("username", "known"), ("password", &known)],
        )
        .await;
    assert_eq!(login.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(login.contains("You are not signed in"));
    assert!(login.contains(r#"value="known""#), "the username is kept");
    assert!(k.cookie("broadsheet_session").is_none());
    assert_eq!(count(&app, "SELECT count(*) AS n FROM sessions"), 0);

    refuse_writes(&app, false);
    let created = b.submit(&svc, "/register", "/register", &fields).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER);
    let signed_in = k
        .submit(
            &svc,
            "/login",
            "/login",
            &[("username", "known"), ("password", &known)],
        )
        .await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
    assert_eq!(count(&app, "SELECT count(*) AS n FROM sessions"), 2);
}

#[actix_web::test]
async fn settings_and_a_display_name_the_database_refuses_keep_what_was_typed() {
    let app = TestApp::without_rate_limits();
    app.user("owner", Role::Admin);
    let svc = app.service().await;
    let mut b = Browser::new();
    b.login(&svc, &app, "owner").await;

    refuse_writes(&app, true);
    let settings = b
        .submit(
            &svc,
            "/admin/settings",
            "/admin/settings",
            &[
                ("title", "The Harbour Gazette"),
                ("description", "News from the quay"),
                ("posts_per_page", "12"),
                ("comment_policy", "open"),
            ],
        )
        .await;
    assert_eq!(settings.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(settings.contains(NOT_SAVED));
    assert!(settings.contains("The Harbour Gazette"));
    let profile = b
        .submit(
            &svc,
            "/account",
            "/account/profile",
            &[("display_name", "Olive Owner")],
        )
        .await;
    assert_eq!(profile.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(profile.contains("Olive Owner"));
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS n FROM settings WHERE title = 'The Harbour Gazette'"
        ),
        0
    );

    refuse_writes(&app, false);
    let saved = b
        .submit(
            &svc,
            "/account",
            "/account/profile",
            &[("display_name", "Olive Owner")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS n FROM users WHERE display_name = 'Olive Owner'"
        ),
        1
    );
}

#[actix_web::test]
async fn a_moderation_click_the_database_refuses_is_a_503_page_not_a_success() {
    let app = TestApp::without_rate_limits();
    app.user("owner", Role::Admin);
    app.user("reader", Role::Commenter);
    app.comment_policy("all_held");
    let post = app.post("Storm warning", "Gales expected.", 1);
    let svc = app.service().await;
    let mut r = Browser::new();
    r.login(&svc, &app, "reader").await;
    let url = format!("/posts/{}", post.slug);
    r.submit(
        &svc,
        &url,
        &format!("{url}/comments"),
        &[("body", "Stay safe.")],
    )
    .await;
    let id = count(&app, "SELECT CAST(max(id) AS BIGINT) AS n FROM comments");
    let mut b = Browser::new();
    b.login(&svc, &app, "owner").await;

    refuse_writes(&app, true);
    let res = b
        .submit(
            &svc,
            "/admin/comments",
            &format!("/admin/comments/{id}/approve"),
            &[],
        )
        .await;
    assert_eq!(res.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(res.contains("Not saved"), "{}", res.body);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS n FROM comments WHERE status = 'pending'"
        ),
        1
    );
    refuse_writes(&app, false);
}

/// A form refused before its handler could show it again (sign-up, whose
/// address limit is spent in a write of its own before the account's)
/// still gives back what was typed, in the site's layout and ready to send
/// again, never the password; a 503 with `Retry-After`, not a bare page.
#[actix_web::test]
async fn a_form_refused_before_its_page_could_be_shown_gives_back_what_was_typed() {
    let app = TestApp::new();
    app.settings("Harbour Gazette", "News", 10, "open");
    let svc = app.service().await;
    let password = app.password("newcomer");
    let fields = [
        ("username", "newcomer"),
        ("email", "newcomer@example.com"),
        ("password", password.as_str()),
    ];

    refuse_writes(&app, true);
    let mut b = Browser::new();
    let refused = b.submit(&svc, "/register", "/register", &fields).await;
    assert_eq!(refused.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(refused.contains(NOT_SAVED), "{}", refused.body);
    assert!(refused.contains("Harbour Gazette"), "in the layout");
    assert!(refused.contains("newcomer@example.com"), "{}", refused.body);
    assert!(refused.contains("action=\"/register\""), "{}", refused.body);
    assert!(!refused.contains(&password), "a password is never echoed");
    assert!(refused.headers.contains_key("retry-after"));
    assert_eq!(count(&app, "SELECT count(*) AS n FROM users"), 0);

    // Sent again from that page once writes work (the password typed anew).
    refuse_writes(&app, false);
    let token = refused.csrf();
    let again = b
        .post(
            &svc,
            "/register",
            &[
                ("username", "newcomer"),
                ("email", "newcomer@example.com"),
                ("password", &password),
                ("csrf_token", &token),
            ],
        )
        .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.body);
    assert_eq!(count(&app, "SELECT count(*) AS n FROM users"), 1);
}
