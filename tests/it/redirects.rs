//! Old links keep working: redirects added in the dashboard, a published
//! post's old address after it moved, and near-misses of the site's own.

use crate::common::{Browser, TestApp};
use actix_web::http::StatusCode;
use broadsheet::models::{Role, Tag};

/// The fields of the post form for a published post with this title and slug.
fn post_form<'a>(title: &'a str, slug: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("title", title),
        ("slug", slug),
        ("body", "The council met."),
        ("status", "published"),
        ("comments_enabled", "on"),
        ("action", "save"),
    ]
}

#[actix_web::test]
async fn redirects_added_in_the_dashboard_answer_301_and_never_hide_a_page() {
    let app = TestApp::new();
    app.user("editor", Role::Admin);
    app.post("Live story", "Still here.", 1);
    let svc = app.service().await;
    let mut admin = Browser::new();
    admin.login(&svc, &app, "editor").await;
    let mut reader = Browser::new();

    // Asked for before the redirect exists: a near-miss at most, then a 404
    // (which the page cache may keep).
    assert_eq!(
        reader.get(&svc, "/2019/05/03/old-post/").await.location(),
        "/2019/05/03/old-post"
    );
    assert_eq!(
        reader.get(&svc, "/2019/05/03/old-post").await.status,
        StatusCode::NOT_FOUND
    );
    for (from, to) in [
        (
            "https://old.example.com/2019/05/03/old-post/",
            "/posts/live-story",
        ),
        ("/?p=12", "/posts/live-story"),
        ("/posts/live-story", "/"),
    ] {
        let res = admin
            .submit(
                &svc,
                "/admin/redirects",
                "/admin/redirects",
                &[("from", from), ("to", to)],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{from}: {}", res.body);
    }
    let res = reader.get(&svc, "/2019/05/03/old-post/").await;
    assert_eq!(res.status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(res.location(), "/posts/live-story");
    // An old site's query link reaches the home page, yet moves on.
    let res = reader.get(&svc, "/?p=12").await;
    assert_eq!(res.status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(res.location(), "/posts/live-story");
    // A redirect from an address the site answers changes nothing.
    assert_eq!(
        reader.get(&svc, "/posts/live-story").await.status,
        StatusCode::OK
    );
    assert_eq!(reader.get(&svc, "/?page=1").await.status, StatusCode::OK);

    // The list shows them; bad input is named and kept.
    let list = admin.get(&svc, "/admin/redirects").await;
    assert!(list.contains("/2019/05/03/old-post/"));
    assert!(list.contains("3 in all"));
    let res = admin
        .submit(
            &svc,
            "/admin/redirects",
            "/admin/redirects",
            &[("from", "old-post"), ("to", "javascript:alert(1)")],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.contains("Enter the old address as a path"));
    assert!(res.contains("Enter where it moved"));
    assert!(res.contains(r#"value="old-post""#));

    // Deleted, the old address is gone again.
    let id: i32 = {
        use broadsheet::schema::redirects::dsl::*;
        use diesel::prelude::*;
        redirects
            .filter(from_path.eq("/2019/05/03/old-post/"))
            .select(id)
            .first(&mut *app.conn())
            .unwrap()
    };
    let res = admin
        .submit(
            &svc,
            "/admin/redirects",
            &format!("/admin/redirects/{id}/delete"),
            &[],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_ne!(
        reader.get(&svc, "/2019/05/03/old-post/").await.location(),
        "/posts/live-story"
    );
    let res = admin
        .submit(&svc, "/admin/redirects", "/admin/redirects/999/delete", &[])
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);

    // Only admins manage them.
    app.user("writer", Role::Author);
    let mut author = Browser::new();
    author.login(&svc, &app, "writer").await;
    assert_eq!(
        author.get(&svc, "/admin/redirects").await.status,
        StatusCode::FORBIDDEN
    );
}

#[actix_web::test]
async fn a_published_post_that_moves_leaves_a_redirect_at_each_old_address() {
    let app = TestApp::new();
    app.user("editor", Role::Admin);
    let svc = app.service().await;
    let mut admin = Browser::new();
    admin.login(&svc, &app, "editor").await;
    let res = admin
        .submit(
            &svc,
            "/admin/posts/new",
            "/admin/posts",
            &post_form("Budget talks", ""),
        )
        .await;
    let edit = res.location().to_string();
    let action = edit.trim_end_matches("/edit").to_string();
    for slug in ["budget-talks-resume", "budget-deal"] {
        let res = admin
            .submit(&svc, &edit, &action, &post_form("Budget talks", slug))
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
    }
    let mut reader = Browser::new();
    for old in ["/posts/budget-talks", "/posts/budget-talks-resume"] {
        let res = reader.get(&svc, old).await;
        assert_eq!(res.status, StatusCode::MOVED_PERMANENTLY, "{old}");
        assert_eq!(res.location(), "/posts/budget-deal", "{old}: one hop");
    }
    assert_eq!(
        reader.get(&svc, "/posts/budget-deal").await.status,
        StatusCode::OK
    );

    // A draft was never read at its address: renaming it leaves nothing.
    let mut draft = post_form("Quiet plans", "");
    draft.retain(|(k, _)| *k != "status");
    draft.push(("status", "draft"));
    let res = admin
        .submit(&svc, "/admin/posts/new", "/admin/posts", &draft)
        .await;
    let edit = res.location().to_string();
    let action = edit.trim_end_matches("/edit").to_string();
    let mut renamed = draft.clone();
    renamed.retain(|(k, _)| *k != "slug");
    renamed.push(("slug", "loud-plans"));
    admin.submit(&svc, &edit, &action, &renamed).await;
    assert_eq!(
        reader.get(&svc, "/posts/quiet-plans").await.status,
        StatusCode::NOT_FOUND
    );
}

#[actix_web::test]
async fn trailing_slashes_and_capitals_answer_301_to_the_canonical_address() {
    let app = TestApp::new();
    app.post_with("Kyiv talks", |p| p.tags = vec!["Ukraine".into()]);
    let svc = app.service().await;
    let tag: Vec<Tag> = {
        use diesel::prelude::*;
        broadsheet::schema::tags::table
            .select(Tag::as_select())
            .load(&mut *app.conn())
            .unwrap()
    };
    assert!(tag.iter().any(|t| t.slug == "ukraine"));
    let mut reader = Browser::new();
    for (asked, canonical) in [
        ("/posts/kyiv-talks/", "/posts/kyiv-talks"),
        ("/tags/Ukraine", "/tags/ukraine"),
        ("/tags/Ukraine/?page=1", "/tags/ukraine?page=1"),
        ("/Archive", "/archive"),
    ] {
        let res = reader.get(&svc, asked).await;
        assert_eq!(res.status, StatusCode::MOVED_PERMANENTLY, "{asked}");
        assert_eq!(res.location(), canonical, "{asked}");
    }
    assert_eq!(
        reader.get(&svc, "/posts/no-such-story/").await.location(),
        "/posts/no-such-story"
    );
    assert_eq!(
        reader.get(&svc, "/posts/no-such-story").await.status,
        StatusCode::NOT_FOUND,
        "a near-miss of nothing ends in a 404"
    );
}

#[actix_web::test]
async fn redirect_targets_that_a_browser_reads_as_another_host_are_refused() {
    let app = TestApp::new();
    app.user("editor", Role::Admin);
    let svc = app.service().await;
    let mut admin = Browser::new();
    admin.login(&svc, &app, "editor").await;
    for to in [
        "/\\evil.example",
        "https:evil.example",
        "https:/evil.example",
        "//evil.example",
        "/\t/evil.example",
        "/%2F/evil.example",
        "/%5Cevil.example",
    ] {
        let res = admin
            .submit(
                &svc,
                "/admin/redirects",
                "/admin/redirects",
                &[("from", "/old-post"), ("to", to)],
            )
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{to:?}");
        assert!(res.contains("Enter where it moved"), "{to:?}");
    }
    let stored: i64 = {
        use broadsheet::schema::redirects::dsl::*;
        use diesel::prelude::*;
        redirects.count().get_result(&mut *app.conn()).unwrap()
    };
    assert_eq!(stored, 0);

    // A row stored by an older version is not followed.
    {
        use broadsheet::schema::redirects::dsl::*;
        use diesel::prelude::*;
        diesel::insert_into(redirects)
            .values((
                from_path.eq("/old-post"),
                to_path.eq("/\\evil.example"),
                created_at.eq(chrono::Utc::now().naive_utc()),
            ))
            .execute(&mut *app.conn())
            .unwrap();
    }
    let mut reader = Browser::new();
    let res = reader.get(&svc, "/old-post").await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);

    // Near-misses of the site's own addresses stay on the site.
    for path in ["//evil.example/", "//Evil.example", "/\\evil.example/"] {
        let res = reader.get(&svc, path).await;
        assert_ne!(
            res.status,
            StatusCode::MOVED_PERMANENTLY,
            "{path}: {}",
            res.location()
        );
    }
}
