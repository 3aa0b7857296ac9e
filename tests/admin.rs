//! The admin dashboard: posts from draft to deletion, moderation, users,
//! settings, and who may open which admin page.

mod common;

use actix_web::http::StatusCode;
use actix_web::test;
use broadsheet::build_app;
use broadsheet::markdown::render_comment;
use broadsheet::models::comment::NewComment;
use broadsheet::models::{now, Comment, CommentStatus, Post, Role, Settings, User};
use chrono::{Duration, NaiveDateTime};
use common::{Browser, TestApp};
use diesel::prelude::*;

fn comment(app: &TestApp, post: &Post, author: &User, body: &str, status: &str) -> Comment {
    Comment::create(
        &mut app.conn(),
        &NewComment {
            post_id: post.id,
            author_id: author.id,
            parent_id: None,
            body,
            body_html: &render_comment(body),
            status: CommentStatus::parse(status).unwrap(),
            created_at: now(),
        },
    )
    .unwrap()
}

fn post_by_id(app: &TestApp, id: i32) -> Option<Post> {
    Post::find(&mut app.conn(), id).unwrap()
}

fn comment_status(app: &TestApp, id: i32) -> String {
    Comment::find(&mut app.conn(), id)
        .unwrap()
        .unwrap()
        .status
        .as_str()
        .to_string()
}

fn comments_of(app: &TestApp, post_id: i32) -> i64 {
    use broadsheet::schema::comments;
    comments::table
        .filter(comments::post_id.eq(post_id))
        .count()
        .get_result(&mut *app.conn())
        .unwrap()
}

fn user_named(app: &TestApp, name: &str) -> User {
    User::find_by_login(&mut app.conn(), name).unwrap().unwrap()
}

/// The id in a `/admin/posts/{id}/edit` location.
fn edited_id(location: &str) -> i32 {
    location
        .strip_prefix("/admin/posts/")
        .and_then(|rest| rest.strip_suffix("/edit"))
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("not an edit page: {location}"))
}

fn minute(at: NaiveDateTime) -> String {
    at.format("%Y-%m-%dT%H:%M").to_string()
}

/// A full post form: these fields, the rest as a new post has them.
fn post_fields<'a>(overrides: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut fields: Vec<(&str, &str)> = vec![
        ("title", "Budget talks resume"),
        ("slug", ""),
        ("dateline", "Washington/Brussels"),
        (
            "body",
            "Negotiators met again.\n\n> We are close, one said.",
        ),
        ("tags", "Economy, EU"),
        ("status", "draft"),
        ("published_at", ""),
        ("comments_enabled", "on"),
        ("action", "save"),
    ];
    for (key, value) in overrides {
        fields.retain(|(k, _)| k != key);
        fields.push((key, value));
    }
    fields
}

#[actix_web::test]
async fn a_post_goes_from_draft_through_preview_and_schedule_to_published_and_deleted() {
    let app = TestApp::new();
    let admin = app.user("editor", Role::Admin);
    let reader = app.user("reader", Role::Commenter);
    let other = app.post("Other story", "Already here.", 1);
    let svc = test::init_service(build_app(app.state())).await;
    let mut b = Browser::new();
    b.login(&svc, &app, "editor").await;

    let form = b.get(&svc, "/admin/posts/new").await;
    assert_eq!(form.status, StatusCode::OK);
    for name in [
        "title",
        "slug",
        "dateline",
        "body",
        "tags",
        "status",
        "published_at",
        "comments_enabled",
    ] {
        assert!(
            form.contains(&format!(r#"name="{name}""#)),
            "the form has {name}"
        );
    }
    assert!(form.contains(r#"type="datetime-local""#));

    // Preview: the rendered post below the form, nothing saved.
    let preview = b
        .submit(
            &svc,
            "/admin/posts/new",
            "/admin/posts",
            &post_fields(&[
                ("body", "A **bold** claim.<script>alert(1)</script>"),
                ("action", "preview"),
            ]),
        )
        .await;
    assert_eq!(preview.status, StatusCode::OK);
    assert!(preview.contains("<strong>bold</strong>"));
    assert!(!preview.contains("<script>alert"), "preview is sanitised");
    assert!(preview.contains("nothing is saved yet"));
    assert!(
        preview.contains(r#"value="Budget talks resume""#),
        "form kept"
    );
    assert!(
        post_by_id(&app, other.id + 1).is_none(),
        "preview saves nothing"
    );

    // A draft.
    let saved = b
        .submit(&svc, "/admin/posts/new", "/admin/posts", &post_fields(&[]))
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let id = edited_id(saved.location());
    let edit_url = format!("/admin/posts/{id}/edit");
    let action = format!("/admin/posts/{id}");
    let page = b.get(&svc, &edit_url).await;
    assert!(page.contains("Draft saved."));
    assert!(page.contains(r#"value="Washington/Brussels""#));
    assert!(page.contains(r#"value="Economy, EU""#));
    let draft = post_by_id(&app, id).unwrap();
    assert_eq!(
        (draft.status.as_str(), draft.slug.as_str()),
        ("draft", "budget-talks-resume")
    );
    assert_eq!(draft.author_id, Some(admin.id));
    assert_eq!(
        b.get(&svc, "/posts/budget-talks-resume").await.status,
        StatusCode::NOT_FOUND
    );
    assert!(b
        .get(&svc, "/admin/posts?status=draft")
        .await
        .contains("Budget talks resume"));

    // Scheduled: published with a time ahead.
    let later = minute(now() + Duration::days(2));
    let res = b
        .submit(
            &svc,
            &edit_url,
            &action,
            &post_fields(&[("status", "published"), ("published_at", &later)]),
        )
        .await;
    assert_eq!(res.location(), edit_url);
    assert!(b.get(&svc, &edit_url).await.contains("Post scheduled for"));
    let scheduled = b.get(&svc, "/admin/posts?status=scheduled").await;
    assert!(scheduled.contains("Budget talks resume"));
    assert!(!b
        .get(&svc, "/admin/posts?status=published")
        .await
        .contains("Budget talks resume"));
    assert!(!b.get(&svc, "/").await.contains("Budget talks resume"));

    // Published now: the time cleared.
    b.submit(
        &svc,
        &edit_url,
        &action,
        &post_fields(&[("status", "published"), ("published_at", "")]),
    )
    .await;
    let page = b.get(&svc, &edit_url).await;
    assert!(page.contains("Post published."), "{}", page.body);
    assert!(
        page.contains(r#"href="/posts/budget-talks-resume""#),
        "a link to view it"
    );
    let public = b.get(&svc, "/posts/budget-talks-resume").await;
    assert_eq!(public.status, StatusCode::OK);
    assert!(public.contains("Washington/Brussels – "));
    assert!(b.get(&svc, "/").await.contains("Budget talks resume"));
    let published = post_by_id(&app, id).unwrap();
    assert!(published.published_at.unwrap() <= now());

    // Edited: a new body, and an address another post has.
    let res = b
        .submit(
            &svc,
            &edit_url,
            &action,
            &post_fields(&[
                ("status", "published"),
                ("published_at", &minute(published.published_at.unwrap())),
                ("slug", "other-story"),
                ("body", "Negotiators *agreed*."),
            ]),
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let page = b.get(&svc, &edit_url).await;
    assert!(page.contains("Post updated."));
    assert!(page.contains("/posts/other-story-2"), "{}", page.body);
    let edited = post_by_id(&app, id).unwrap();
    assert_eq!(edited.slug, "other-story-2");
    assert_eq!(edited.created_at, published.created_at);
    assert_eq!(
        edited.published_at, published.published_at,
        "an untouched time keeps its seconds"
    );
    assert!(edited.updated_at >= published.updated_at);
    assert!(edited.body_html.contains("<em>agreed</em>"));
    assert_eq!(
        b.get(&svc, "/posts/other-story-2").await.status,
        StatusCode::OK
    );
    assert_eq!(
        post_by_id(&app, other.id).unwrap().slug,
        "other-story",
        "the other post keeps its address"
    );

    // Back to draft.
    b.submit(
        &svc,
        &edit_url,
        &action,
        &post_fields(&[("status", "draft"), ("slug", "other-story-2")]),
    )
    .await;
    assert!(b.get(&svc, &edit_url).await.contains("Draft saved."));
    assert_eq!(
        b.get(&svc, "/posts/other-story-2").await.status,
        StatusCode::NOT_FOUND
    );

    // Deleted, with its comments.
    let kept = comment(&app, &edited, &reader, "First!", "approved");
    comment(&app, &edited, &reader, "Waiting", "pending");
    let confirm = b.get(&svc, &format!("/admin/posts/{id}/delete")).await;
    assert_eq!(confirm.status, StatusCode::OK);
    assert!(confirm.contains(&format!(r#"action="/admin/posts/{id}/delete""#)));
    assert!(page.contains(&format!(r#"href="/admin/posts/{id}/delete""#)));
    let res = b
        .submit(
            &svc,
            &format!("/admin/posts/{id}/delete"),
            &format!("/admin/posts/{id}/delete"),
            &[],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location(), "/admin/posts");
    assert!(b.get(&svc, "/admin/posts").await.contains("Post deleted"));
    assert!(post_by_id(&app, id).is_none());
    assert_eq!(comments_of(&app, id), 0, "its comments went with it");
    assert!(Comment::find(&mut app.conn(), kept.id).unwrap().is_none());
    assert_eq!(b.get(&svc, &edit_url).await.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn the_post_form_names_each_problem_and_keeps_the_input() {
    let app = TestApp::new();
    app.user("editor", Role::Admin);
    let svc = test::init_service(build_app(app.state())).await;
    let mut b = Browser::new();
    b.login(&svc, &app, "editor").await;
    let long_title = "t".repeat(201);
    let cases: [(&str, &str, &str); 6] = [
        ("title", "", "Give the post a title."),
        ("title", &long_title, "200 characters or fewer"),
        ("body", "   ", "Write the text of the post."),
        ("published_at", "next tuesday", "Enter a date and time"),
        ("status", "live", "Choose draft or published."),
        ("slug", "!!!", "Use letters or digits in the address"),
    ];
    for (field, value, message) in cases {
        let fields = post_fields(&[(field, value), ("dateline", "Kept place")]);
        let res = b
            .submit(&svc, "/admin/posts/new", "/admin/posts", &fields)
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        assert!(res.contains(message), "“{message}” for {field}");
        assert!(
            res.contains(&format!(r#"id="{field}-error""#)),
            "the error is tied to {field}"
        );
        assert!(res.contains(r#"value="Kept place""#), "input kept");
    }
    let count: i64 = broadsheet::schema::posts::table
        .count()
        .get_result(&mut *app.conn())
        .unwrap();
    assert_eq!(count, 0, "nothing saved from bad forms");

    // A malformed form (a number field with words) is a 400, never a 500.
    let res = b
        .submit(
            &svc,
            "/admin/comments",
            "/admin/comments/bulk",
            &[("ids", "abc"), ("action", "approve")],
        )
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
}

#[actix_web::test]
async fn a_scheduled_post_appears_on_the_home_page_when_its_time_comes() {
    let app = TestApp::new();
    app.user("editor", Role::Admin);
    let svc = test::init_service(build_app(app.state())).await;
    let mut b = Browser::new();
    b.login(&svc, &app, "editor").await;
    let later = minute(now() + Duration::hours(3));
    let res = b
        .submit(
            &svc,
            "/admin/posts/new",
            "/admin/posts",
            &post_fields(&[
                ("title", "Summit outcome"),
                ("status", "published"),
                ("published_at", &later),
            ]),
        )
        .await;
    let id = edited_id(res.location());
    assert!(!b.get(&svc, "/").await.contains("Summit outcome"));
    assert!(b
        .get(&svc, "/admin")
        .await
        .contains(r#"<span class="stat-n">1</span> <span class="stat-label">scheduled</span>"#));

    // Time passes: move the publication time into the past.
    {
        use broadsheet::schema::posts;
        diesel::update(posts::table.find(id))
            .set(posts::published_at.eq(now() - Duration::minutes(1)))
            .execute(&mut *app.conn())
            .unwrap();
    }
    assert!(b.get(&svc, "/").await.contains("Summit outcome"));
    assert_eq!(
        b.get(&svc, "/posts/summit-outcome").await.status,
        StatusCode::OK
    );
    assert!(b
        .get(&svc, "/admin/posts?status=published")
        .await
        .contains("Summit outcome"));
}

#[actix_web::test]
async fn approving_a_comment_shows_it_under_the_article_and_moves_the_counts() {
    let app = TestApp::new();
    app.user("editor", Role::Admin);
    let reader = app.user("reader", Role::Commenter);
    let post = app.post("Harbour reopens", "Ships are back.", 1);
    let waiting = comment(&app, &post, &reader, "Good *news* at last", "pending");
    let svc = test::init_service(build_app(app.state())).await;
    let mut b = Browser::new();
    b.login(&svc, &app, "editor").await;

    let dashboard = b.get(&svc, "/admin").await;
    assert!(dashboard.contains(
        r#"<span class="stat-n">1</span> <span class="stat-label">awaiting moderation</span>"#
    ));
    assert!(
        dashboard.contains("Good <em>news</em> at last"),
        "latest comments"
    );
    assert!(dashboard.contains("Harbour reopens"));
    assert!(dashboard.contains(r#"href="/admin/comments""#));

    let queue = b.get(&svc, "/admin/comments").await;
    assert_eq!(queue.status, StatusCode::OK);
    assert!(queue.contains("Good <em>news</em> at last"));
    assert!(queue.contains("reader") && queue.contains(r#"href="/posts/harbour-reopens""#));
    assert!(queue.contains(r#"Pending <span class="count">1</span>"#));
    assert!(!b
        .get(&svc, "/posts/harbour-reopens")
        .await
        .contains("Good <em>news</em>"));

    // The row buttons sit in the bulk form, so a browser sends its ticked
    // boxes along; the single action ignores them.
    let other = comment(&app, &post, &reader, "Not this one", "pending");
    let ticked = other.id.to_string();
    let res = b
        .submit(
            &svc,
            "/admin/comments",
            &format!("/admin/comments/{}/approve", waiting.id),
            &[("tab", "pending"), ("ids", &ticked), ("ids", &ticked)],
        )
        .await;
    assert_eq!(comment_status(&app, other.id), "pending");
    Comment::set_status(&mut app.conn(), other.id, CommentStatus::Deleted).unwrap();
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location(), "/admin/comments?status=pending");
    let queue = b.get(&svc, res.location()).await;
    assert!(queue.contains("Comment approved."));
    assert!(queue.contains(r#"Pending <span class="count">0</span>"#));
    assert!(queue.contains(r#"Approved <span class="count">1</span>"#));
    assert!(queue.contains("Nothing is waiting for moderation."));
    assert_eq!(comment_status(&app, waiting.id), "approved");
    let article = b.get(&svc, "/posts/harbour-reopens").await;
    assert!(article.contains("Good <em>news</em> at last"));
    assert!(article.contains("1 comment"));
    assert_eq!(post_by_id(&app, post.id).unwrap().comment_count, 1);

    // Marked as spam from the approved tab: gone from the article.
    let res = b
        .submit(
            &svc,
            "/admin/comments?status=approved",
            &format!("/admin/comments/{}/spam", waiting.id),
            &[("tab", "approved")],
        )
        .await;
    assert_eq!(res.location(), "/admin/comments?status=approved");
    assert_eq!(comment_status(&app, waiting.id), "spam");
    assert!(b
        .get(&svc, "/admin/comments?status=spam")
        .await
        .contains("Good <em>news</em> at last"));
    assert!(!b
        .get(&svc, "/posts/harbour-reopens")
        .await
        .contains("Good <em>news</em>"));
    assert_eq!(post_by_id(&app, post.id).unwrap().comment_count, 0);

    // Deleted.
    b.submit(
        &svc,
        "/admin/comments?status=spam",
        &format!("/admin/comments/{}/delete", waiting.id),
        &[("tab", "spam")],
    )
    .await;
    assert_eq!(comment_status(&app, waiting.id), "deleted");
    assert!(!b
        .get(&svc, "/admin/comments?status=spam")
        .await
        .contains("Good <em>news</em>"));
}

#[actix_web::test]
async fn bulk_moderation_acts_on_the_ticked_comments_only() {
    let app = TestApp::new();
    app.user("editor", Role::Admin);
    let reader = app.user("reader", Role::Commenter);
    let post = app.post("Rail strike", "Trains stop.", 1);
    let c: Vec<Comment> = (1..=4)
        .map(|i| {
            comment(
                &app,
                &post,
                &reader,
                &format!("Remark number {i}"),
                "pending",
            )
        })
        .collect();
    let svc = test::init_service(build_app(app.state())).await;
    let mut b = Browser::new();
    b.login(&svc, &app, "editor").await;

    let queue = b.get(&svc, "/admin/comments").await;
    assert!(queue.contains(r#"action="/admin/comments/bulk""#));
    assert!(queue.contains(&format!(r#"name="ids" value="{}""#, c[0].id)));
    let (a, b0, s) = (
        c[0].id.to_string(),
        c[1].id.to_string(),
        c[2].id.to_string(),
    );
    let res = b
        .submit(
            &svc,
            "/admin/comments",
            "/admin/comments/bulk",
            &[
                ("tab", "pending"),
                ("ids", &a),
                ("ids", &b0),
                ("ids", &s),
                ("action", "approve"),
            ],
        )
        .await;
    assert_eq!(res.location(), "/admin/comments?status=pending");
    let queue = b.get(&svc, res.location()).await;
    assert!(queue.contains("3 comments approved."), "{}", queue.body);
    assert!(queue.contains(r#"Pending <span class="count">1</span>"#));
    assert_eq!(post_by_id(&app, post.id).unwrap().comment_count, 3);
    assert_eq!(comment_status(&app, c[3].id), "pending", "unticked stays");

    let res = b
        .submit(
            &svc,
            "/admin/comments?status=approved",
            "/admin/comments/bulk",
            &[("tab", "approved"), ("ids", &s), ("action", "spam")],
        )
        .await;
    assert_eq!(res.location(), "/admin/comments?status=approved");
    assert!(b
        .get(&svc, res.location())
        .await
        .contains("1 comment marked as spam."));
    assert_eq!(comment_status(&app, c[2].id), "spam");

    let res = b
        .submit(
            &svc,
            "/admin/comments?status=approved",
            "/admin/comments/bulk",
            &[
                ("tab", "approved"),
                ("ids", &a),
                ("ids", &b0),
                ("action", "delete"),
            ],
        )
        .await;
    assert!(b
        .get(&svc, res.location())
        .await
        .contains("2 comments deleted."));
    assert_eq!(post_by_id(&app, post.id).unwrap().comment_count, 0);

    // Nothing ticked, or no action: a message, nothing changed.
    let res = b
        .submit(
            &svc,
            "/admin/comments",
            "/admin/comments/bulk",
            &[("tab", "pending"), ("action", "approve")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert!(b
        .get(&svc, res.location())
        .await
        .contains("No comments were selected."));
    let d = c[3].id.to_string();
    let res = b
        .submit(
            &svc,
            "/admin/comments",
            "/admin/comments/bulk",
            &[("tab", "pending"), ("ids", &d), ("action", "publish")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(comment_status(&app, c[3].id), "pending");
}

#[actix_web::test]
async fn an_admin_changes_roles_and_a_disabled_user_is_signed_out_at_once() {
    let app = TestApp::new();
    app.user("editor", Role::Admin);
    let sam = app.user("sam", Role::Commenter);
    let post = app.post("Census", "Counting.", 1);
    comment(&app, &post, &sam, "One", "approved");
    comment(&app, &post, &sam, "Two", "pending");
    let svc = test::init_service(build_app(app.state())).await;
    let mut admin = Browser::new();
    admin.login(&svc, &app, "editor").await;
    let mut sams = Browser::new();
    sams.login(&svc, &app, "sam").await;
    assert_eq!(
        sams.get(&svc, "/admin/posts/new").await.status,
        StatusCode::FORBIDDEN
    );

    let users = admin.get(&svc, "/admin/users").await;
    assert_eq!(users.status, StatusCode::OK);
    assert!(users.contains("@sam"));
    assert!(users.contains(r#"<td data-label="Comments" class="num">2</td>"#));
    assert!(users.contains(r#"<span class="badge badge-active">active</span>"#));

    let res = admin
        .submit(
            &svc,
            "/admin/users",
            &format!("/admin/users/{}/role", sam.id),
            &[("role", "author")],
        )
        .await;
    assert_eq!(res.location(), "/admin/users");
    assert!(admin
        .get(&svc, "/admin/users")
        .await
        .contains("sam is now an author."));
    assert_eq!(user_named(&app, "sam").role.as_str(), "author");
    assert_eq!(
        sams.get(&svc, "/admin/posts/new").await.status,
        StatusCode::OK,
        "the new role counts at once"
    );

    // A role that does not exist changes nothing.
    let res = admin
        .submit(
            &svc,
            "/admin/users",
            &format!("/admin/users/{}/role", sam.id),
            &[("role", "owner")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(user_named(&app, "sam").role.as_str(), "author");

    let res = admin
        .submit(
            &svc,
            "/admin/users",
            &format!("/admin/users/{}/disable", sam.id),
            &[],
        )
        .await;
    assert_eq!(res.location(), "/admin/users");
    let users = admin.get(&svc, "/admin/users").await;
    assert!(users.contains("sam is disabled"));
    assert!(users.contains(r#"<span class="badge badge-disabled">disabled</span>"#));
    assert!(user_named(&app, "sam").disabled);
    let sessions: i64 = {
        use broadsheet::schema::sessions;
        sessions::table
            .filter(sessions::user_id.eq(sam.id))
            .count()
            .get_result(&mut *app.conn())
            .unwrap()
    };
    assert_eq!(sessions, 0, "their sessions ended");
    let res = sams.get(&svc, "/admin/posts/new").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert!(res.location().starts_with("/login?next="));

    admin
        .submit(
            &svc,
            "/admin/users",
            &format!("/admin/users/{}/enable", sam.id),
            &[],
        )
        .await;
    assert!(!user_named(&app, "sam").disabled);
    let mut again = Browser::new();
    again.login(&svc, &app, "sam").await;
    assert_eq!(
        again.get(&svc, "/admin/posts/new").await.status,
        StatusCode::OK
    );
}

#[actix_web::test]
async fn the_last_admin_cannot_demote_or_disable_themselves() {
    let app = TestApp::new();
    let me = app.user("editor", Role::Admin);
    let svc = test::init_service(build_app(app.state())).await;
    let mut b = Browser::new();
    b.login(&svc, &app, "editor").await;
    for (to, fields) in [
        (
            format!("/admin/users/{}/role", me.id),
            vec![("role", "author")],
        ),
        (
            format!("/admin/users/{}/role", me.id),
            vec![("role", "commenter")],
        ),
        (format!("/admin/users/{}/disable", me.id), vec![]),
    ] {
        let res = b.submit(&svc, "/admin/users", &to, &fields).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{to}");
        assert_eq!(res.location(), "/admin/users");
        let page = b.get(&svc, "/admin/users").await;
        assert_eq!(page.status, StatusCode::OK, "still an admin after {to}");
        assert!(page.contains("The site needs an enabled admin"));
    }
    let me_now = user_named(&app, "editor");
    assert_eq!(me_now.role.as_str(), "admin");
    assert!(!me_now.disabled);

    // With a second admin, stepping down is allowed.
    app.user("deputy", Role::Admin);
    let res = b
        .submit(
            &svc,
            "/admin/users",
            &format!("/admin/users/{}/role", me.id),
            &[("role", "author")],
        )
        .await;
    assert_eq!(res.location(), "/admin");
    assert_eq!(user_named(&app, "editor").role.as_str(), "author");
    let dashboard = b.get(&svc, "/admin").await;
    assert_eq!(dashboard.status, StatusCode::OK);
    assert!(dashboard.contains("You are now an author."));
    assert_eq!(User::count_admins(&mut app.conn()).unwrap(), 1);
}

#[actix_web::test]
async fn settings_changes_show_on_the_public_site_and_bad_input_is_refused() {
    let app = TestApp::new();
    app.user("editor", Role::Admin);
    app.post("Older piece", "a", 2);
    app.post("Newer piece", "b", 1);
    let svc = test::init_service(build_app(app.state())).await;
    let mut b = Browser::new();
    b.login(&svc, &app, "editor").await;
    let form = b.get(&svc, "/admin/settings").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.contains(r#"value="Broadsheet""#));
    assert!(form.contains(r#"value="first_comment_held" checked"#));

    let res = b
        .submit(
            &svc,
            "/admin/settings",
            "/admin/settings",
            &[
                ("title", "The Harbour Gazette"),
                ("description", "Port news daily"),
                ("posts_per_page", "1"),
                ("comment_policy", "all_held"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location(), "/admin/settings");
    assert!(b
        .get(&svc, "/admin/settings")
        .await
        .contains("Settings saved."));
    let home = b.get(&svc, "/").await;
    assert!(home.contains("The Harbour Gazette") && home.contains("Port news daily"));
    assert!(home.contains("Newer piece") && !home.contains("Older piece"));
    assert!(home.contains("Older posts"));
    let settings = Settings::load(&mut app.conn()).unwrap();
    assert_eq!(settings.comment_policy.as_str(), "all_held");

    let cases: [(&str, &str, &str); 5] = [
        ("title", "  ", "Give the site a title"),
        ("posts_per_page", "0", "from 1 to 100"),
        ("posts_per_page", "many", "from 1 to 100"),
        ("posts_per_page", "101", "from 1 to 100"),
        (
            "comment_policy",
            "anything",
            "Choose one of the comment policies.",
        ),
    ];
    for (field, value, message) in cases {
        let mut fields = vec![
            ("title", "Kept title"),
            ("description", "Kept description"),
            ("posts_per_page", "5"),
            ("comment_policy", "open"),
        ];
        fields.retain(|(k, _)| *k != field);
        fields.push((field, value));
        let res = b
            .submit(&svc, "/admin/settings", "/admin/settings", &fields)
            .await;
        assert_eq!(
            res.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}={value}"
        );
        assert!(res.contains(message), "“{message}” for {field}");
        assert!(res.contains(&format!(r#"id="{field}-error""#)));
        assert!(res.contains("Kept description"), "input kept");
    }
    assert_eq!(
        Settings::load(&mut app.conn()).unwrap().title,
        "The Harbour Gazette",
        "nothing saved from bad forms"
    );
}

#[actix_web::test]
async fn authors_write_and_manage_their_own_posts_only() {
    let app = TestApp::new();
    app.user("editor", Role::Admin);
    let ann = app.user("ann", Role::Author);
    let bob = app.user("bob", Role::Author);
    let bobs = app.post_with("Bob column", |p| p.author_id = Some(bob.id));
    let svc = test::init_service(build_app(app.state())).await;
    let mut b = Browser::new();
    b.login(&svc, &app, "ann").await;

    let dashboard = b.get(&svc, "/admin").await;
    assert_eq!(dashboard.status, StatusCode::OK, "authors get a dashboard");
    assert!(!dashboard.contains("awaiting moderation"));
    assert!(
        !dashboard.contains(r#"href="/admin/users""#),
        "no admin links"
    );

    let res = b
        .submit(
            &svc,
            "/admin/posts/new",
            "/admin/posts",
            &post_fields(&[("title", "Ann diary"), ("status", "published")]),
        )
        .await;
    let id = edited_id(res.location());
    assert_eq!(post_by_id(&app, id).unwrap().author_id, Some(ann.id));
    let list = b.get(&svc, "/admin/posts").await;
    assert!(list.contains("Ann diary"));
    assert!(
        !list.contains("Bob column"),
        "only their own posts are listed"
    );

    let own = format!("/admin/posts/{id}");
    assert_eq!(
        b.get(&svc, &format!("{own}/edit")).await.status,
        StatusCode::OK
    );
    let res = b
        .submit(
            &svc,
            &format!("{own}/edit"),
            &own,
            &post_fields(&[("title", "Ann diary, revised"), ("status", "published")]),
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(post_by_id(&app, id).unwrap().title, "Ann diary, revised");

    let theirs = format!("/admin/posts/{}", bobs.id);
    for uri in [format!("{theirs}/edit"), format!("{theirs}/delete")] {
        assert_eq!(
            b.get(&svc, &uri).await.status,
            StatusCode::FORBIDDEN,
            "{uri}"
        );
    }
    for uri in [theirs.clone(), format!("{theirs}/delete")] {
        let res = b
            .submit(
                &svc,
                "/admin",
                &uri,
                &post_fields(&[("title", "Taken over")]),
            )
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{uri}");
    }
    let untouched = post_by_id(&app, bobs.id).expect("not deleted");
    assert_eq!(untouched.title, "Bob column");

    let res = b
        .submit(
            &svc,
            &format!("{own}/delete"),
            &format!("{own}/delete"),
            &[],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert!(post_by_id(&app, id).is_none());
}

/// Every admin address, with a form for the POSTs.
fn admin_routes(post_id: i32, comment_id: i32, user_id: i32) -> Vec<(&'static str, String)> {
    vec![
        ("GET", "/admin".into()),
        ("GET", "/admin/posts".into()),
        ("GET", "/admin/posts?status=draft".into()),
        ("GET", "/admin/posts/new".into()),
        ("POST", "/admin/posts".into()),
        ("GET", format!("/admin/posts/{post_id}/edit")),
        ("POST", format!("/admin/posts/{post_id}")),
        ("GET", format!("/admin/posts/{post_id}/delete")),
        ("POST", format!("/admin/posts/{post_id}/delete")),
        ("GET", "/admin/comments".into()),
        ("GET", "/admin/comments?status=spam".into()),
        ("POST", format!("/admin/comments/{comment_id}/approve")),
        ("POST", format!("/admin/comments/{comment_id}/spam")),
        ("POST", format!("/admin/comments/{comment_id}/delete")),
        ("POST", "/admin/comments/bulk".into()),
        ("GET", "/admin/users".into()),
        ("POST", format!("/admin/users/{user_id}/role")),
        ("POST", format!("/admin/users/{user_id}/disable")),
        ("POST", format!("/admin/users/{user_id}/enable")),
        ("GET", "/admin/settings".into()),
        ("POST", "/admin/settings".into()),
    ]
}

/// Fields that would be accepted if the caller were allowed.
fn fields_for(uri: &str) -> Vec<(&'static str, &'static str)> {
    if uri.starts_with("/admin/posts") && !uri.ends_with("/delete") {
        post_fields(&[("title", "Changed by a stranger")])
    } else if uri.ends_with("/role") {
        vec![("role", "admin")]
    } else if uri.ends_with("/bulk") {
        vec![("ids", "1"), ("action", "approve")]
    } else if uri == "/admin/settings" {
        vec![
            ("title", "Taken over"),
            ("description", ""),
            ("posts_per_page", "3"),
            ("comment_policy", "open"),
        ]
    } else {
        vec![]
    }
}

#[actix_web::test]
async fn every_admin_route_sends_anonymous_visitors_to_sign_in_and_refuses_commenters() {
    let app = TestApp::new();
    let admin = app.user("editor", Role::Admin);
    let carl = app.user("carl", Role::Commenter);
    let post = app.post_with("Admin only", |p| p.author_id = Some(admin.id));
    let c = comment(&app, &post, &carl, "Hello", "pending");
    let svc = test::init_service(build_app(app.state())).await;

    let mut anon = Browser::new();
    let mut commenter = Browser::new();
    commenter.login(&svc, &app, "carl").await;
    for (method, uri) in admin_routes(post.id, c.id, carl.id) {
        let fields = fields_for(&uri);
        let res = if method == "GET" {
            anon.get(&svc, &uri).await
        } else {
            let mut with_token = fields.clone();
            with_token.push(("csrf_token", "0123456789abcdef"));
            anon.post(&svc, &uri, &with_token).await
        };
        assert_eq!(
            res.status,
            StatusCode::SEE_OTHER,
            "anonymous {method} {uri}"
        );
        assert!(
            res.location().starts_with("/login?next="),
            "anonymous {method} {uri} → {}",
            res.location()
        );
        if method == "GET" {
            assert_eq!(
                res.location(),
                format!("/login?next={}", urlencoding::encode(&uri)),
                "back to the page after signing in"
            );
        }

        let res = if method == "GET" {
            commenter.get(&svc, &uri).await
        } else {
            commenter.submit(&svc, "/", &uri, &fields).await
        };
        assert_eq!(
            res.status,
            StatusCode::FORBIDDEN,
            "commenter {method} {uri}"
        );
        assert!(
            res.contains("Not allowed"),
            "a role refusal, not a CSRF one"
        );
    }
    // Nothing changed.
    assert_eq!(post_by_id(&app, post.id).unwrap().title, "Admin only");
    assert_eq!(comment_status(&app, c.id), "pending");
    assert_eq!(user_named(&app, "carl").role.as_str(), "commenter");
    assert_eq!(Settings::load(&mut app.conn()).unwrap().title, "Broadsheet");
}

#[actix_web::test]
async fn authors_are_refused_comments_users_and_settings_and_others_posts() {
    let app = TestApp::new();
    let admin = app.user("editor", Role::Admin);
    app.user("ann", Role::Author);
    let carl = app.user("carl", Role::Commenter);
    let post = app.post_with("Editor piece", |p| p.author_id = Some(admin.id));
    let c = comment(&app, &post, &carl, "Hello", "pending");
    let svc = test::init_service(build_app(app.state())).await;
    let mut b = Browser::new();
    b.login(&svc, &app, "ann").await;
    for (method, uri) in admin_routes(post.id, c.id, carl.id) {
        let fields = fields_for(&uri);
        let allowed = matches!(
            uri.as_str(),
            "/admin" | "/admin/posts" | "/admin/posts?status=draft" | "/admin/posts/new"
        );
        let res = if method == "GET" {
            b.get(&svc, &uri).await
        } else {
            b.submit(&svc, "/", &uri, &fields).await
        };
        if allowed {
            assert!(
                res.status == StatusCode::OK || res.status == StatusCode::SEE_OTHER,
                "author {method} {uri}: {}",
                res.status
            );
        } else {
            assert_eq!(res.status, StatusCode::FORBIDDEN, "author {method} {uri}");
            assert!(
                res.contains("Not allowed"),
                "a role refusal, not a CSRF one"
            );
        }
    }
    assert_eq!(post_by_id(&app, post.id).unwrap().title, "Editor piece");
    assert_eq!(comment_status(&app, c.id), "pending");
}

#[actix_web::test]
async fn an_admin_opens_every_admin_page_and_each_post_form_succeeds() {
    let app = TestApp::new();
    let admin = app.user("editor", Role::Admin);
    let carl = app.user("carl", Role::Commenter);
    let post = app.post_with("Somebody else", |p| p.author_id = None);
    let c = comment(&app, &post, &carl, "Hello", "pending");
    let svc = test::init_service(build_app(app.state())).await;
    let mut b = Browser::new();
    b.login(&svc, &app, "editor").await;
    // Deleting the post (and its comment) comes last.
    let mut routes = admin_routes(post.id, c.id, carl.id);
    routes.sort_by_key(|(method, uri)| {
        *method == "POST" && uri.ends_with("/delete") && uri.starts_with("/admin/posts")
    });
    for (method, uri) in routes {
        let res = if method == "GET" {
            b.get(&svc, &uri).await
        } else {
            b.submit(&svc, "/admin", &uri, &fields_for(&uri)).await
        };
        let expected = if method == "GET" {
            StatusCode::OK
        } else {
            StatusCode::SEE_OTHER
        };
        assert_eq!(res.status, expected, "admin {method} {uri}: {}", res.body);
        if method == "GET" {
            for link in [
                "/admin/posts/new",
                "/admin/comments",
                "/admin/users",
                "/admin/settings",
            ] {
                assert!(
                    res.contains(&format!(r#"href="{link}""#)),
                    "{uri} has the admin navigation"
                );
            }
        }
    }
    assert!(post_by_id(&app, post.id).is_none(), "deleted by the admin");
    assert_eq!(user_named(&app, "carl").role.as_str(), "admin");
    assert_eq!(user_named(&app, "editor").id, admin.id);
}

#[actix_web::test]
async fn unknown_ids_actions_and_filters_are_not_found() {
    let app = TestApp::new();
    app.user("editor", Role::Admin);
    let svc = test::init_service(build_app(app.state())).await;
    let mut b = Browser::new();
    b.login(&svc, &app, "editor").await;
    for uri in [
        "/admin/posts/999/edit",
        "/admin/posts/999/delete",
        "/admin/posts/abc/edit",
        "/admin/posts?status=archived",
        "/admin/posts?page=0",
        "/admin/posts?page=2",
        "/admin/comments?status=deleted",
        "/admin/comments?page=x",
        "/admin/users?page=-1",
    ] {
        assert_eq!(
            b.get(&svc, uri).await.status,
            StatusCode::NOT_FOUND,
            "{uri}"
        );
    }
    for (uri, fields) in [
        ("/admin/posts/999", post_fields(&[])),
        ("/admin/posts/999/delete", vec![]),
        ("/admin/comments/999/approve", vec![]),
        ("/admin/comments/1/publish", vec![]),
        ("/admin/users/999/role", vec![("role", "author")]),
        ("/admin/users/999/disable", vec![]),
        ("/admin/users/999/enable", vec![]),
    ] {
        let res = b.submit(&svc, "/admin", uri, &fields).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{uri}");
    }
}

#[actix_web::test]
async fn the_post_list_shows_status_date_author_and_comments_and_pages() {
    let app = TestApp::new();
    let admin = app.user("editor", Role::Admin);
    let reader = app.user("reader", Role::Commenter);
    let live = app.post_with("Live story", |p| p.author_id = Some(admin.id));
    comment(&app, &live, &reader, "Nice", "approved");
    app.post_with("Quiet draft", |p| p.published = false);
    app.post_at("Coming soon", now() + Duration::days(1));
    let svc = test::init_service(build_app(app.state())).await;
    let mut b = Browser::new();
    b.login(&svc, &app, "editor").await;
    let list = b.get(&svc, "/admin/posts").await;
    assert!(list.contains(r#"<span class="badge badge-published">published</span>"#));
    assert!(list.contains(r#"<span class="badge badge-draft">draft</span>"#));
    assert!(list.contains(r#"<span class="badge badge-scheduled">scheduled</span>"#));
    assert!(
        list.contains("Edited "),
        "drafts show when they were edited"
    );
    assert!(list.contains(r#"<td data-label="Author">editor</td>"#));
    assert!(list.contains(r#"<td data-label="Comments" class="num">1</td>"#));
    assert!(list.contains(r#"All <span class="count">3</span>"#));
    let drafts = b.get(&svc, "/admin/posts?status=draft").await;
    assert!(drafts.contains("Quiet draft") && !drafts.contains("Live story"));

    for i in 0..30 {
        app.post(&format!("Filler {i}"), "x", 2);
    }
    let first = b.get(&svc, "/admin/posts?status=published").await;
    assert!(
        first.contains(r#"href="/admin/posts?status=published&#38;page=2""#),
        "{}",
        first.body
    );
    let second = b.get(&svc, "/admin/posts?status=published&page=2").await;
    assert_eq!(second.status, StatusCode::OK);
    assert!(second.contains("← Newer"));
}
