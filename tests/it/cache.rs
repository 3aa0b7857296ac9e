//! The page cache for signed-out readers: fast, but never stale or personal.

use crate::common::{Browser, TestApp};
use actix_web::http::header::{ACCEPT_ENCODING, CONTENT_ENCODING};
use actix_web::http::StatusCode;
use actix_web::test;
use broadsheet::models::{now, Role};
use chrono::Duration;
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
    let svc = app.service().await;
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
    let svc = app.service().await;
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
    let svc = app.service().await;
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
    let svc = app.service().await;
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
    let svc = app.service().await;
    let first = Browser::new().get(&svc, "/login").await.csrf();
    let second = Browser::new().get(&svc, "/login").await.csrf();
    assert_ne!(first, second, "each visitor gets a token of their own");
}

#[actix_web::test]
async fn a_flash_message_is_shown_even_over_a_cached_page() {
    let app = slow_revalidating_app();
    app.user("ann", Role::Commenter);
    let svc = app.service().await;
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
        p.published_at = Some(app.state.now() + Duration::minutes(10))
    });
    app.user("ann", Role::Commenter);
    let svc = app.service().await;
    let mut reader = Browser::new();
    let mut ann = Browser::new();
    ann.login(&svc, &app, "ann").await;
    assert!(!reader.get(&svc, "/").await.contains("Due shortly"));
    assert!(!ann.get(&svc, "/").await.contains("Due shortly"));
    assert!(!ann.get(&svc, "/archive").await.contains("Due shortly"));
    app.advance(Duration::minutes(10));
    assert!(reader.get(&svc, "/").await.contains("Due shortly"));
    assert!(
        ann.get(&svc, "/").await.contains("Due shortly"),
        "the signed-in home page's cached list expired when the post fell due"
    );
}

/// The line `/healthz` gives for one cache.
fn cache_line(app: &TestApp, store: &str) -> String {
    let report = app.state.cache.report();
    report
        .lines()
        .find(|l| l.starts_with(&format!("cache {store}: ")))
        .unwrap_or_else(|| panic!("no line for {store} in {report}"))
        .to_string()
}

#[actix_web::test]
async fn signed_in_list_pages_are_built_from_cached_lists_and_show_changes_at_once() {
    let app = slow_revalidating_app();
    app.user("ann", Role::Commenter);
    app.post_with("Story", |p| p.tags = vec!["Harbour".into()]);
    let svc = app.service().await;
    let mut ann = Browser::new();
    ann.login(&svc, &app, "ann").await;
    let month = now().format("/archive/%Y/%m").to_string();
    let pages = ["/", "/archive", &month, "/tags/harbour", "/tags"];
    for page in pages {
        let first = ann.get(&svc, page).await;
        assert_eq!(first.status, StatusCode::OK, "{page}");
        assert!(first.contains(r#"href="/account">ann</a>"#), "{page}");
        assert_eq!(ann.get(&svc, page).await.body, first.body, "{page}");
    }
    let lists = cache_line(&app, "lists");
    assert!(
        lists.starts_with("cache lists: 3 entries, ") && lists.contains("hit rate 50%"),
        "home, the month and the tag, each read once from the database: {lists}"
    );
    assert!(cache_line(&app, "archive").contains("hit rate 50%"));
    assert!(cache_line(&app, "tag index").contains("hit rate 50%"));

    // A change made elsewhere waits for the revalidation (a minute here)...
    rename_behind_the_apps_back(&app, "story", "Renamed elsewhere");
    assert!(!ann.get(&svc, "/").await.contains("Renamed elsewhere"));
    // ...but one made through this instance shows on every list at once.
    let res = ann
        .submit(
            &svc,
            "/posts/story",
            "/posts/story/comments",
            &[("body", "First!"), ("website", "")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    for page in ["/", month.as_str(), "/tags/harbour"] {
        let list = ann.get(&svc, page).await;
        assert!(list.contains("Renamed elsewhere"), "{page}");
        assert!(list.contains("1 comment"), "{page}");
    }
}

#[actix_web::test]
async fn made_up_page_numbers_add_no_cached_lists() {
    let app = slow_revalidating_app();
    app.user("ann", Role::Commenter);
    app.post_with("Story", |p| p.tags = vec!["Harbour".into()]);
    let svc = app.service().await;
    let mut ann = Browser::new();
    ann.login(&svc, &app, "ann").await;
    for n in 2..40 {
        for base in ["/", "/tags/harbour", "/archive/2001"] {
            let res = ann.get(&svc, &format!("{base}?page={n}")).await;
            assert_eq!(res.status, StatusCode::NOT_FOUND, "{base} page {n}");
        }
    }
    assert_eq!(app.state.cache.lists.len(), 0);
}

#[actix_web::test]
async fn cached_sign_ins_end_at_once_on_logout_and_when_an_admin_disables_the_user() {
    let app = slow_revalidating_app();
    let ann = app.user("ann", Role::Commenter);
    app.user("bob", Role::Commenter);
    app.user("boss", Role::Admin);
    let svc = app.service().await;

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
    let svc = app.service().await;
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

fn get_with(uri: &str, encodings: &[&str]) -> test::TestRequest {
    let mut req = test::TestRequest::get().uri(uri);
    for value in encodings {
        req = req.append_header((ACCEPT_ENCODING, *value));
    }
    req
}

#[actix_web::test]
async fn the_page_cache_stays_within_its_byte_budget_however_many_addresses_are_asked_for() {
    let app = TestApp::fresh_with(|c| {
        c.cache_revalidate_ms = 60_000;
        c.cache_mb = 1;
    });
    app.post("Story", &"A long paragraph of text. ".repeat(400), 1);
    let svc = app.service().await;
    let pages = &app.state.cache.pages;
    let codings = ["identity", "gzip", "br", "zstd", "deflate"];
    // Each search is a page of its own: a few kilobytes, 1,500 of them
    // would be several megabytes against a pages budget of half a megabyte.
    for n in 0..1500 {
        let coding = codings[n % codings.len()];
        let res = Browser::new()
            .send(&svc, get_with(&format!("/search?q=word{n}"), &[coding]))
            .await;
        assert_eq!(res.status, StatusCode::OK);
    }
    let weighed = pages.weighed_bytes();
    assert!(
        weighed <= pages.budget(),
        "{weighed} bytes held, budget {}",
        pages.budget()
    );
    assert!(pages.budget() <= 1024 * 1024 && !pages.is_empty());
    assert!(app.state.cache.weighed_bytes() <= 1024 * 1024);
}

#[actix_web::test]
async fn made_up_query_parameters_and_encoding_headers_add_no_cache_entries() {
    let app = slow_revalidating_app();
    app.post("Story", "Text", 1);
    let svc = app.service().await;
    let pages = &app.state.cache.pages;
    for n in 0..40 {
        let feed = Browser::new().get(&svc, &format!("/feed.xml?x={n}")).await;
        assert_eq!(feed.status, StatusCode::MOVED_PERMANENTLY);
        assert_eq!(
            feed.location(),
            "/feed.xml",
            "sent where the cached feed is"
        );
        let home = Browser::new()
            .send(
                &svc,
                get_with("/", &[&format!("gzip;q=0.{}, x-made-up-{n}", n + 10)]),
            )
            .await;
        assert_eq!(home.status, StatusCode::OK);
        assert_eq!(home.headers.get(CONTENT_ENCODING).unwrap(), "gzip");
    }
    assert_eq!(pages.len(), 1, "one home page in gzip, no feed");
    for (asked, canonical) in [
        ("/?utm_source=x&page=2", "/?page=2"),
        ("/search?ref=1&q=a+b", "/search?q=a+b"),
        ("/posts/story?fbclid=1", "/posts/story"),
    ] {
        let res = Browser::new().get(&svc, asked).await;
        assert_eq!(res.status, StatusCode::MOVED_PERMANENTLY, "{asked}");
        assert_eq!(res.location(), canonical, "{asked}");
    }
    assert!(Browser::new()
        .get(&svc, "/feed.xml")
        .await
        .contains("Story"));
    assert_eq!(pages.len(), 2);
    // Parameters a page reads still make pages of their own, in one spelling.
    Browser::new().get(&svc, "/search?q=story%20text").await;
    Browser::new().get(&svc, "/search?q=story+text").await;
    assert_eq!(pages.len(), 3);
}

#[actix_web::test]
async fn two_accept_encoding_headers_cannot_poison_the_page_other_clients_get() {
    let app = slow_revalidating_app();
    app.post("Story", &"Readable words. ".repeat(200), 1);
    let svc = app.service().await;
    let first = Browser::new()
        .send(&svc, get_with("/posts/story", &["identity", "br"]))
        .await;
    assert_eq!(first.headers.get(CONTENT_ENCODING).unwrap(), "br");
    for asked in [&["identity"][..], &[], &["gzip"]] {
        let page = Browser::new()
            .send(&svc, get_with("/posts/story", asked))
            .await;
        let sent = page
            .headers
            .get(CONTENT_ENCODING)
            .map(|v| v.to_str().unwrap());
        assert!(
            matches!((asked, sent), (_, None) | (["gzip"], Some("gzip"))),
            "asked for {asked:?}, got {sent:?}"
        );
        if sent.is_none() {
            assert!(page.contains("Readable words."));
        }
    }
}

#[actix_web::test]
async fn an_anonymous_logout_with_a_token_of_its_own_empties_no_cache() {
    let app = slow_revalidating_app();
    app.user("ann", Role::Commenter);
    app.post("Story", "Text", 1);
    let svc = app.service().await;
    Browser::new().get(&svc, "/posts/story").await;
    let mut ann = Browser::new();
    ann.login(&svc, &app, "ann").await;
    ann.get(&svc, "/posts/story").await;
    let (pages, sessions) = (&app.state.cache.pages, &app.state.cache.sessions);
    assert!(!pages.is_empty() && !sessions.is_empty());

    let mut stranger = Browser::new();
    let token = stranger.get(&svc, "/login").await.csrf();
    let res = stranger
        .post(&svc, "/logout", &[("csrf_token", &token)])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert!(!pages.is_empty(), "no session ended: pages kept");
    assert!(!sessions.is_empty(), "no session ended: sign-ins kept");
}

#[actix_web::test]
async fn a_new_comment_refreshes_pages_but_keeps_cached_sign_ins() {
    let app = slow_revalidating_app();
    app.user("ann", Role::Commenter);
    app.user("bob", Role::Commenter);
    app.post("Story", "Text", 1);
    let svc = app.service().await;
    let mut ann = Browser::new();
    ann.login(&svc, &app, "ann").await;
    ann.get(&svc, "/").await;
    let mut bob = Browser::new();
    bob.login(&svc, &app, "bob").await;
    let mut reader = Browser::new();
    assert!(!reader.get(&svc, "/posts/story").await.contains("A remark"));
    let res = bob
        .submit(
            &svc,
            "/posts/story",
            "/posts/story/comments",
            &[("body", "A remark"), ("website", "")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert!(
        app.state.cache.sessions.len() >= 2,
        "ann's and bob's sign-ins are still cached"
    );
    assert!(reader.get(&svc, "/posts/story").await.contains("A remark"));
}

#[actix_web::test]
async fn healthz_reports_each_caches_size_and_hit_rate_under_ok() {
    let app = slow_revalidating_app();
    app.post("Story", "Text", 1);
    let svc = app.service().await;
    for _ in 0..4 {
        Browser::new().get(&svc, "/").await;
    }
    let health = Browser::new().get(&svc, "/healthz").await;
    assert_eq!(health.status, StatusCode::OK);
    let lines: Vec<&str> = health.body.lines().collect();
    assert_eq!(lines[0], "ok");
    let kind = if crate::common::on_postgres() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    assert_eq!(lines[1], format!("database: {kind}"));
    let pages = lines
        .iter()
        .find(|l| l.starts_with("cache pages: "))
        .expect("a line for the page cache");
    assert!(
        pages.starts_with("cache pages: 1 entries, ") && pages.contains("hit rate 75%"),
        "{pages}"
    );
    assert!(lines.iter().any(|l| l.starts_with("cache articles: ")));
    assert!(lines.iter().any(|l| l.starts_with("cache sessions: ")));
}

#[actix_web::test]
async fn settings_are_read_once_per_change_and_a_save_shows_at_once() {
    let app = slow_revalidating_app();
    app.user("ann", Role::Admin);
    let svc = app.service().await;
    let mut ann = Browser::new();
    ann.login(&svc, &app, "ann").await;
    assert!(ann.get(&svc, "/admin").await.contains("Broadsheet"));

    // A change the app did not make is not read on every page.
    diesel::sql_query("UPDATE settings SET title = 'Quietly renamed'")
        .execute(&mut app.conn())
        .unwrap();
    assert!(!ann.get(&svc, "/admin").await.contains("Quietly renamed"));

    // One saved through the site shows on the next page, signed in or out.
    let res = ann
        .submit(
            &svc,
            "/admin/settings",
            "/admin/settings",
            &[
                ("title", "The Daily Test"),
                ("description", "News"),
                ("posts_per_page", "10"),
                ("comment_policy", "open"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert!(ann.get(&svc, "/admin").await.contains("The Daily Test"));
    assert!(Browser::new()
        .get(&svc, "/")
        .await
        .contains("The Daily Test"));
}

#[actix_web::test]
async fn a_page_is_cached_like_an_article_and_edits_and_menu_changes_show_at_once() {
    let app = slow_revalidating_app();
    app.user("editor", Role::Admin);
    let page = app.page("About", |p| {
        p.slug = "about".into();
        p.body = "First version.".into();
    });
    let svc = app.service().await;
    let mut reader = Browser::new();
    assert!(reader.get(&svc, "/about").await.contains("First version."));
    let cached = app.state.cache.pages.len();
    assert!(cached >= 1, "the page was kept");
    rename_behind_the_apps_back(&app, "about", "Renamed quietly");
    assert!(!reader.get(&svc, "/about").await.contains("Renamed quietly"));
    assert_eq!(app.state.cache.pages.len(), cached, "served from the cache");

    let mut editor = Browser::new();
    editor.login(&svc, &app, "editor").await;
    let res = editor
        .submit(
            &svc,
            &format!("/admin/posts/{}/edit", page.id),
            &format!("/admin/posts/{}", page.id),
            &[
                ("kind", "page"),
                ("title", "About us"),
                ("slug", "about"),
                ("body", "Second version."),
                ("tags", ""),
                ("status", "published"),
                ("published_at", ""),
                ("dateline", ""),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let about = reader.get(&svc, "/about").await;
    assert!(about.contains("Second version.") && about.contains("About us"));

    let res = editor
        .submit(
            &svc,
            "/admin/settings",
            "/admin/settings",
            &[
                ("title", "Broadsheet"),
                ("description", "News"),
                ("posts_per_page", "10"),
                ("comment_policy", "open"),
                ("menu", "Front page | /\nAbout us | /about"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let about = reader.get(&svc, "/about").await;
    assert!(about.contains(r#"<li><a href="/about" aria-current="page">About us</a></li>"#));
    assert!(about.contains(r#"<li><a href="/">Front page</a></li>"#));
}

#[actix_web::test]
async fn a_new_reply_to_on_each_request_shares_the_signed_out_article_s_cached_page() {
    let app = slow_revalidating_app();
    app.user("ann", Role::Commenter);
    let post = app.post("Story", "Text", 1);
    let svc = app.service().await;
    let mut reader = Browser::new();
    let plain = reader.get(&svc, "/posts/story").await;
    assert_eq!(plain.status, StatusCode::OK);
    let kept = app.state.cache.pages.len();
    assert!(kept >= 1, "the article was kept");

    // The value only opens a signed-in reader's reply form: a signed-out
    // reader gets the same page for any, from the one entry.
    rename_behind_the_apps_back(&app, "story", "Renamed quietly");
    for n in 1..=50 {
        let busted = reader
            .get(&svc, &format!("/posts/story?reply_to={n}"))
            .await;
        assert_eq!(busted.status, StatusCode::OK, "reply_to={n}");
        assert_eq!(busted.body, plain.body, "reply_to={n} is the cached page");
    }
    assert_eq!(app.state.cache.pages.len(), kept, "no entry per value");

    // Signed in, the value still opens the form under its comment.
    let mut writer = Browser::new();
    writer.login(&svc, &app, "ann").await;
    let token = writer.get(&svc, "/posts/story").await.csrf();
    writer
        .post(
            &svc,
            &format!("/posts/{}/comments", post.slug),
            &[("body", "First!"), ("csrf_token", &token)],
        )
        .await;
    let id: i32 = {
        use broadsheet::schema::comments;
        comments::table
            .select(comments::id)
            .first(&mut app.conn())
            .unwrap()
    };
    let form = writer
        .get(&svc, &format!("/posts/story?reply_to={id}"))
        .await;
    assert!(
        form.contains(r#"id="reply""#)
            && form.contains(&format!(r#"name="parent_id" value="{id}""#)),
        "{}",
        form.body
    );
}

/// An article's head, text, thread and neighbour links are rendered once, for
/// every reader, when it is cached: each follows the change it shows at once,
/// for readers signed in and out.
#[actix_web::test]
async fn an_article_rendered_once_for_every_reader_shows_each_change_at_once() {
    use broadsheet::schema::comments;
    let app = slow_revalidating_app();
    app.user("ann", Role::Admin);
    app.post("Older story", "Text", 2);
    app.post("Story", "First text", 1);
    let svc = app.service().await;
    let mut ann = Browser::new();
    ann.login(&svc, &app, "ann").await;
    let mut reader = Browser::new();
    for page in [
        ann.get(&svc, "/posts/story").await,
        reader.get(&svc, "/posts/story").await,
    ] {
        assert!(page.contains("First text") && page.contains("Older story"));
        assert!(!page.contains("Next Post"), "no newer post yet");
    }

    // The thread: a comment, then its edit.
    let res = ann
        .submit(
            &svc,
            "/posts/story",
            "/posts/story/comments",
            &[("body", "Said once"), ("website", "")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let id: i32 = comments::table
        .select(comments::id)
        .order(comments::id.desc())
        .first(&mut app.conn())
        .unwrap();
    assert!(reader.get(&svc, "/posts/story").await.contains("Said once"));
    let edit = format!("/comments/{id}/edit");
    let res = ann
        .submit(&svc, &edit, &edit, &[("body", "Said again, better")])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    for page in [
        ann.get(&svc, "/posts/story").await,
        reader.get(&svc, "/posts/story").await,
    ] {
        assert!(page.contains("Said again, better") && page.contains("(edited)"));
        assert!(!page.contains("Said once"));
    }

    // The head: the site's new name in the link-preview and schema.org tags.
    let res = ann
        .submit(
            &svc,
            "/admin/settings",
            "/admin/settings",
            &[
                ("title", "The Daily Test"),
                ("description", "News"),
                ("posts_per_page", "10"),
                ("comment_policy", "open"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    for page in [
        ann.get(&svc, "/posts/story").await,
        reader.get(&svc, "/posts/story").await,
    ] {
        assert!(page.contains(r#"<meta property="og:site_name" content="The Daily Test">"#));
        assert!(page.contains(r#""publisher":{"#) && page.contains(r#""name":"The Daily Test""#));
    }

    // The neighbours: a post published from the dashboard is the next one.
    let res = ann
        .submit(
            &svc,
            "/admin/posts/new",
            "/admin/posts",
            &[
                ("title", "Newer story"),
                ("slug", ""),
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
    for page in [
        ann.get(&svc, "/posts/story").await,
        reader.get(&svc, "/posts/story").await,
    ] {
        assert!(page.contains("Next Post") && page.contains("Newer story"));
    }
}
