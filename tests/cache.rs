//! The page cache for signed-out readers: fast, but never stale or personal.

mod common;

use actix_web::http::StatusCode;
use actix_web::test;
use broadsheet::build_app;
use broadsheet::models::{now, Role};
use chrono::Duration;
use common::{Browser, TestApp};
use diesel::prelude::*;

/// A site whose cache trusts itself for a minute: only its own writes (and
/// scheduled posts falling due) may refresh what signed-out readers see.
fn slow_revalidating_app() -> TestApp {
    let app = TestApp::fresh_with(|c| c.cache_revalidate_ms = 60_000);
    diesel::sql_query("DELETE FROM posts")
        .execute(&mut app.conn())
        .unwrap();
    app.comment_policy("open");
    app
}

fn rename_behind_the_apps_back(app: &TestApp, slug: &str, title: &str) {
    use broadsheet::schema::posts;
    diesel::update(posts::table.filter(posts::slug.eq(slug)))
        .set(posts::title.eq(title))
        .execute(&mut app.conn())
        .unwrap();
}

#[actix_web::test]
async fn signed_out_readers_get_cached_pages_and_a_new_comment_shows_at_once() {
    let app = slow_revalidating_app();
    app.user("ann", Role::Commenter);
    app.post("Story", "Text", 1);
    let svc = test::init_service(build_app(app.state())).await;
    let mut reader = Browser::new();
    assert!(reader.get(&svc, "/posts/story").await.contains("Story"));
    assert!(!app.state.cache.pages.is_empty(), "the page was kept");

    // A change the app did not make is not seen yet: the page came from the cache.
    rename_behind_the_apps_back(&app, "story", "Renamed quietly");
    assert!(!reader
        .get(&svc, "/posts/story")
        .await
        .contains("Renamed quietly"));

    // A comment posted through the site empties the cache at once.
    let mut ann = Browser::new();
    ann.login(&svc, &app, "ann").await;
    let res = ann
        .submit(
            &svc,
            "/posts/story",
            "/posts/story/comments",
            &[("body", "Fresh remark"), ("website", "")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let page = reader.get(&svc, "/posts/story").await;
    assert!(page.contains("Fresh remark") && page.contains("1 comment"));
    assert!(page.contains("Renamed quietly"));
}

#[actix_web::test]
async fn an_edit_in_the_dashboard_shows_at_once_to_signed_out_readers() {
    let app = slow_revalidating_app();
    app.user("editor", Role::Admin);
    let post = app.post("Original headline", "Text", 1);
    let svc = test::init_service(build_app(app.state())).await;
    let mut reader = Browser::new();
    assert!(reader.get(&svc, "/").await.contains("Original headline"));
    let mut editor = Browser::new();
    editor.login(&svc, &app, "editor").await;
    let edit = format!("/admin/posts/{}/edit", post.id);
    let res = editor
        .submit(
            &svc,
            &edit,
            &format!("/admin/posts/{}", post.id),
            &[
                ("title", "Corrected headline"),
                ("slug", &post.slug),
                ("body", "Text"),
                ("tags", ""),
                ("status", "published"),
                ("published_at", ""),
                ("dateline", ""),
                ("comments_enabled", "on"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let home = reader.get(&svc, "/").await;
    assert!(home.contains("Corrected headline") && !home.contains("Original headline"));
}

#[actix_web::test]
async fn changes_made_elsewhere_show_once_the_cache_revalidates() {
    // TestApp's default checks the database's change counter on every request.
    let app = TestApp::new();
    app.post("Story", "Text", 1);
    let svc = test::init_service(build_app(app.state())).await;
    let mut reader = Browser::new();
    reader.get(&svc, "/posts/story").await;
    rename_behind_the_apps_back(&app, "story", "Changed by another instance");
    assert!(reader
        .get(&svc, "/posts/story")
        .await
        .contains("Changed by another instance"));
}

#[actix_web::test]
async fn signed_in_pages_are_never_shared_through_the_cache() {
    let app = slow_revalidating_app();
    app.user("ann", Role::Commenter);
    app.post("Story", "Text", 1);
    let svc = test::init_service(build_app(app.state())).await;
    let anonymous = Browser::new().get(&svc, "/posts/story").await;
    assert!(anonymous.contains("Sign in to post a comment"));
    let mut ann = Browser::new();
    ann.login(&svc, &app, "ann").await;
    let own = ann.get(&svc, "/posts/story").await;
    assert!(own.contains(r#"<a class="nav-user" href="/account">ann</a>"#));
    assert!(
        own.contains(r#"name="body""#),
        "the signed-in reader gets the form, not the cached page"
    );
    let again = Browser::new().get(&svc, "/posts/story").await;
    assert!(!again.contains("ann</a>") && !again.contains(&own.csrf()));
}

#[actix_web::test]
async fn pages_with_a_visitors_own_form_token_are_not_cached() {
    let app = slow_revalidating_app();
    let svc = test::init_service(build_app(app.state())).await;
    let first = Browser::new().get(&svc, "/login").await.csrf();
    let second = Browser::new().get(&svc, "/login").await.csrf();
    assert_ne!(first, second, "each visitor gets a token of their own");
}

#[actix_web::test]
async fn a_flash_message_is_shown_even_over_a_cached_page() {
    let app = slow_revalidating_app();
    app.user("ann", Role::Commenter);
    let svc = test::init_service(build_app(app.state())).await;
    let mut ann = Browser::new();
    Browser::new().get(&svc, "/").await;
    ann.login(&svc, &app, "ann").await;
    let token = ann.get(&svc, "/").await.csrf();
    ann.post(&svc, "/logout", &[("csrf_token", &token)]).await;
    assert!(ann.get(&svc, "/").await.contains("You are signed out."));
    assert!(
        !ann.get(&svc, "/").await.contains("You are signed out."),
        "shown once"
    );
}

#[actix_web::test]
async fn a_scheduled_post_appears_when_due_even_with_a_warm_cache() {
    let app = slow_revalidating_app();
    app.post("Already out", "Text", 1);
    app.post_with("Due shortly", |p| {
        p.published_at = Some(now() + Duration::seconds(2))
    });
    let svc = test::init_service(build_app(app.state())).await;
    let mut reader = Browser::new();
    assert!(!reader.get(&svc, "/").await.contains("Due shortly"));
    actix_web::rt::time::sleep(std::time::Duration::from_millis(3100)).await;
    assert!(reader.get(&svc, "/").await.contains("Due shortly"));
}

#[actix_web::test]
async fn cached_sign_ins_end_at_once_on_logout_and_when_an_admin_disables_the_user() {
    let app = slow_revalidating_app();
    let ann = app.user("ann", Role::Commenter);
    app.user("bob", Role::Commenter);
    app.user("boss", Role::Admin);
    let svc = test::init_service(build_app(app.state())).await;

    let mut bob = Browser::new();
    bob.login(&svc, &app, "bob").await;
    assert_eq!(bob.get(&svc, "/account").await.status, StatusCode::OK);
    let stolen = bob.cookie("broadsheet_session").unwrap().to_string();
    let token = bob.get(&svc, "/").await.csrf();
    bob.post(&svc, "/logout", &[("csrf_token", &token)]).await;
    let mut thief = Browser::new();
    thief.cookies.insert("broadsheet_session".into(), stolen);
    assert_eq!(
        thief.get(&svc, "/account").await.status,
        StatusCode::SEE_OTHER
    );

    let mut a = Browser::new();
    a.login(&svc, &app, "ann").await;
    assert_eq!(a.get(&svc, "/account").await.status, StatusCode::OK);
    let mut boss = Browser::new();
    boss.login(&svc, &app, "boss").await;
    let res = boss
        .submit(
            &svc,
            "/admin/users",
            &format!("/admin/users/{}/disable", ann.id),
            &[],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(
        a.get(&svc, "/account").await.status,
        StatusCode::SEE_OTHER,
        "signed out at once"
    );
}

#[actix_web::test]
async fn signed_in_readers_see_moderation_and_their_own_held_comments_at_once() {
    let app = slow_revalidating_app();
    app.comment_policy("all_held");
    app.user("ann", Role::Commenter);
    app.user("bob", Role::Commenter);
    app.user("boss", Role::Admin);
    app.post("Story", "Text", 1);
    let svc = test::init_service(build_app(app.state())).await;
    let (mut ann, mut bob, mut boss) = (Browser::new(), Browser::new(), Browser::new());
    ann.login(&svc, &app, "ann").await;
    bob.login(&svc, &app, "bob").await;
    boss.login(&svc, &app, "boss").await;
    bob.get(&svc, "/posts/story").await;
    let res = ann
        .submit(
            &svc,
            "/posts/story",
            "/posts/story/comments",
            &[("body", "Held for now"), ("website", "")],
        )
        .await;
    let loc = res.location().to_string();
    let id: i32 = loc[loc.find("#comment-").unwrap() + 9..].parse().unwrap();
    assert!(
        ann.get(&svc, "/posts/story").await.contains("Held for now"),
        "the author sees it"
    );
    assert!(
        !bob.get(&svc, "/posts/story").await.contains("Held for now"),
        "another reader does not"
    );
    let res = boss
        .submit(
            &svc,
            "/admin/comments",
            &format!("/admin/comments/{id}/approve"),
            &[],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert!(
        bob.get(&svc, "/posts/story").await.contains("Held for now"),
        "approved: everyone sees it at once"
    );
    assert!(Browser::new()
        .get(&svc, "/posts/story")
        .await
        .contains("Held for now"));
}
