//! Moderation (routes/admin/comments.rs).

use super::*;

#[actix_web::test]
async fn approving_a_comment_shows_it_under_the_article_and_moves_the_counts() {
    let app = TestApp::new();
    app.user("editor", Role::Admin);
    let reader = app.user("reader", Role::Commenter);
    let post = app.post("Harbour reopens", "Ships are back.", 1);
    let waiting = comment(&app, &post, &reader, "Good *news* at last", "pending");
    let svc = app.service().await;
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
    let svc = app.service().await;
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
