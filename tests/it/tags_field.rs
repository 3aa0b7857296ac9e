//! The post form's tags field: its limits hold for a field of any size.

use std::time::{Duration, Instant};

use crate::common::{Browser, TestApp};
use actix_web::http::StatusCode;
use broadsheet::models::Role;

fn fields(tags: &str) -> Vec<(&str, &str)> {
    vec![
        ("title", "Budget talks resume"),
        ("slug", ""),
        ("dateline", ""),
        ("body", "Negotiators met again."),
        ("tags", tags),
        ("status", "draft"),
        ("published_at", ""),
        ("comments_enabled", "on"),
        ("action", "save"),
    ]
}

/// Room for the tags field in a form of at most the form limit, with the
/// other fields and their encoding.
const ROOM: usize = broadsheet::MAX_FORM_BYTES / 2;

#[actix_web::test]
async fn huge_tag_fields_get_the_form_back_with_a_clear_message_quickly() {
    let app = TestApp::new();
    app.user("editor", Role::Admin);
    let svc = app.service().await;
    let mut b = Browser::new();
    b.login(&svc, &app, "editor").await;

    let distinct: String = (0..)
        .map(|i| format!("t{i},"))
        .scan(0, |len, t| {
            *len += t.len();
            (*len < ROOM).then_some(t)
        })
        .collect();
    let cases = [
        ("many distinct tags", distinct, "Use at most 20 tags."),
        (
            "21 tags",
            (1..=21)
                .map(|i| format!("tag {i}"))
                .collect::<Vec<_>>()
                .join(", "),
            "Use at most 20 tags.",
        ),
        (
            "one huge word",
            "w".repeat(ROOM),
            "Keep each tag to 50 characters or fewer.",
        ),
        (
            "a 51-character tag",
            format!("short, {}", "x".repeat(51)),
            "Keep each tag to 50 characters or fewer.",
        ),
    ];
    for (name, tags, message) in &cases {
        let started = Instant::now();
        let page = b
            .submit(&svc, "/admin/posts/new", "/admin/posts", &fields(tags))
            .await;
        let took = started.elapsed();
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        assert!(page.contains(message), "{name}: {message}");
        // Generous: the old parse took minutes on the distinct-tags field.
        assert!(took < Duration::from_secs(5), "{name} took {took:?}");
    }

    // A field of nothing but commas is no tags at all: the post saves.
    let commas = ",".repeat(ROOM / 3);
    let page = b
        .submit(&svc, "/admin/posts/new", "/admin/posts", &fields(&commas))
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "commas: {}", page.body);

    // Twenty tags, repeated in other cases, are fine and stored once each.
    let twenty: Vec<String> = (1..=20).map(|i| format!("Tag {i}")).collect();
    let repeated = format!(
        "{}, {}",
        twenty.join(", "),
        twenty.join(", ").to_uppercase()
    );
    let page = b
        .submit(&svc, "/admin/posts/new", "/admin/posts", &fields(&repeated))
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
}
