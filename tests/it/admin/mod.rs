//! The admin dashboard: posts from draft to deletion, moderation, users,
//! settings, and who may open which admin page.

mod comments;
mod posts;
mod settings;
mod users;

use crate::common::{Browser, TestApp};
use actix_web::http::StatusCode;
use broadsheet::markdown::render_comment;
use broadsheet::models::comment::NewComment;
use broadsheet::models::{now, Comment, CommentStatus, Post, PostKind, Role, Settings, User};
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

fn comment(app: &TestApp, post: &Post, author: &User, body: &str, status: &str) -> Comment {
    Comment::create(
        &mut app.conn(),
        &NewComment {
            post_id: post.id,
            author_id: Some(author.id),
            parent_id: None,
            body,
            body_html: &render_comment(body),
            status: CommentStatus::parse(status).unwrap(),
            created_at: now(),
            guest_name: "",
            guest_website: "",
            guest_email: "",
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
        ("GET", "/admin/import".into()),
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
    let svc = app.service().await;

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
    let svc = app.service().await;
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
    let svc = app.service().await;
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
    let svc = app.service().await;
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
