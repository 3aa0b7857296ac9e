//! Writing and managing posts from the dashboard (routes/admin/posts.rs).

use super::*;

#[actix_web::test]
async fn a_post_goes_from_draft_through_preview_and_schedule_to_published_and_deleted() {
    let app = TestApp::new();
    let admin = app.user("editor", Role::Admin);
    let reader = app.user("reader", Role::Commenter);
    let other = app.post("Other story", "Already here.", 1);
    let svc = app.service().await;
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
    let svc = app.service().await;
    let mut b = Browser::new();
    b.login(&svc, &app, "editor").await;
    let long_title = "t".repeat(201);
    let cases: [(&str, &str, &str); 6] = [
        ("title", "", "Give the post a title."),
        ("title", &long_title, "200 characters or fewer"),
        ("body", "   ", "Write the text of the post."),
        ("published_at", "next tuesday", "is not a date and time"),
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
async fn a_refused_publication_time_is_quoted_in_its_error_not_put_in_the_time_input() {
    let app = TestApp::new();
    app.user("editor", Role::Admin);
    let svc = app.service().await;
    let mut b = Browser::new();
    b.login(&svc, &app, "editor").await;
    // A browser empties a datetime-local input holding text it cannot read,
    // so the next save would quietly drop the time: the text goes in the error.
    for typed in ["next tuesday", "2025-13-40T25:61", "0999-01-01T10:00"] {
        let fields = post_fields(&[("published_at", typed)]);
        let res = b
            .submit(&svc, "/admin/posts/new", "/admin/posts", &fields)
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{typed}");
        assert!(
            res.contains(r#"type="datetime-local" value="""#),
            "{typed}: the input is left empty"
        );
        assert!(
            res.contains(&format!("“{typed}” is not a date and time")),
            "{typed}: the text stays visible in the error"
        );
    }
    // A time the input accepts stays in it when another field is refused.
    let fields = post_fields(&[("published_at", "2025-08-20T14:05"), ("title", "")]);
    let res = b
        .submit(&svc, "/admin/posts/new", "/admin/posts", &fields)
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.contains(r#"type="datetime-local" value="2025-08-20T14:05""#));
}

#[actix_web::test]
async fn a_body_longer_than_the_render_budget_allows_is_refused_and_kept() {
    use broadsheet::models::post::MAX_BODY_BYTES;
    let app = TestApp::new();
    app.user("editor", Role::Admin);
    let svc = app.service().await;
    let mut b = Browser::new();
    b.login(&svc, &app, "editor").await;
    let paragraph = "The council met until late and agreed on nothing at all.\n\n";
    let at_cap = paragraph.repeat(MAX_BODY_BYTES / paragraph.len());
    let over = format!("{at_cap}{}", paragraph.repeat(2));
    assert!(over.len() > MAX_BODY_BYTES && at_cap.len() <= MAX_BODY_BYTES);

    for action in ["save", "preview"] {
        let fields = post_fields(&[("body", &over), ("action", action)]);
        let res = b
            .submit(&svc, "/admin/posts/new", "/admin/posts", &fields)
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{action}");
        assert!(res.contains("Keep the post to 128 KB"), "{action}");
        assert!(res.contains(r#"id="body-error""#), "{action}");
        assert!(
            res.body.matches("agreed on nothing at all").count() >= over.len() / paragraph.len(),
            "the whole text comes back in the form ({action})"
        );
        assert!(!res.contains(r#"class="preview""#), "no preview of it");
    }
    let count: i64 = broadsheet::schema::posts::table
        .count()
        .get_result(&mut *app.conn())
        .unwrap();
    assert_eq!(count, 0, "nothing saved from an over-long body");

    let fields = post_fields(&[("body", &at_cap)]);
    let res = b
        .submit(&svc, "/admin/posts/new", "/admin/posts", &fields)
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "a body at the cap saves");
}

#[actix_web::test]
async fn a_scheduled_post_appears_on_the_home_page_when_its_time_comes() {
    let app = TestApp::new();
    app.user("editor", Role::Admin);
    let svc = app.service().await;
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
async fn authors_write_and_manage_their_own_posts_only() {
    let app = TestApp::new();
    app.user("editor", Role::Admin);
    let ann = app.user("ann", Role::Author);
    let bob = app.user("bob", Role::Author);
    let bobs = app.post_with("Bob column", |p| p.author_id = Some(bob.id));
    let svc = app.service().await;
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

#[actix_web::test]
async fn the_post_list_shows_status_date_author_and_comments_and_pages() {
    let app = TestApp::new();
    let admin = app.user("editor", Role::Admin);
    let reader = app.user("reader", Role::Commenter);
    let live = app.post_with("Live story", |p| p.author_id = Some(admin.id));
    comment(&app, &live, &reader, "Nice", "approved");
    app.post_with("Quiet draft", |p| p.published = false);
    app.post_at("Coming soon", now() + Duration::days(1));
    let svc = app.service().await;
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

#[actix_web::test]
async fn a_new_page_starts_with_comments_off_and_lives_at_the_top_level() {
    let app = TestApp::new();
    app.user("editor", Role::Admin);
    let svc = app.service().await;
    let mut b = Browser::new();
    b.login(&svc, &app, "editor").await;
    let dashboard = b.get(&svc, "/admin").await;
    assert!(dashboard.contains(r#"href="/admin/posts/new?kind=page""#));
    assert!(dashboard.contains(r#"href="/admin/posts/new""#));

    let post_form = b.get(&svc, "/admin/posts/new").await;
    assert!(post_form.contains(r#"value="post" checked"#));
    assert!(post_form.contains(r#"name="comments_enabled" type="checkbox" checked"#));
    let form = b.get(&svc, "/admin/posts/new?kind=page").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.contains("<h1>New page</h1>"));
    assert!(form.contains(r#"<input id="kind-page" name="kind" type="radio" value="page" checked"#));
    assert!(form.contains(r#"<label for="kind-page">Page</label>"#));
    assert!(form.contains(r#"<label for="kind-post">Post</label>"#));
    assert!(
        !form.contains(r#"type="checkbox" checked"#),
        "comments start off for a page"
    );
    assert_eq!(
        b.get(&svc, "/admin/posts/new?kind=poster").await.status,
        StatusCode::NOT_FOUND
    );

    // The browser sends no comments_enabled for the unticked box.
    let mut fields = post_fields(&[
        ("kind", "page"),
        ("title", "About this paper"),
        ("slug", "about"),
        ("body", "Founded in 1901."),
        ("status", "published"),
    ]);
    fields.retain(|(k, _)| *k != "comments_enabled");
    let res = b
        .submit(&svc, "/admin/posts/new?kind=page", "/admin/posts", &fields)
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let id: i32 = res
        .location()
        .trim_start_matches("/admin/posts/")
        .trim_end_matches("/edit")
        .parse()
        .unwrap();
    let page = post_by_id(&app, id).unwrap();
    assert_eq!(page.kind, PostKind::Page);
    assert_eq!(page.slug, "about");
    assert!(!page.comments_enabled);
    let edit = b.get(&svc, res.location()).await;
    assert!(edit.contains("Page published."));
    assert!(edit.contains("<h1>Edit page</h1>"));
    assert!(edit.contains(r#"href="/about">View page</a>"#));
    assert!(Browser::new()
        .get(&svc, "/about")
        .await
        .contains("Founded in 1901."));

    // The list marks it and has a tab of pages.
    app.post("Plain news", "Text.", 1);
    let list = b.get(&svc, "/admin/posts").await;
    assert!(
        list.contains(r#"<span class="badge badge-page" title="A page, at /about">page</span>"#)
    );
    assert!(list.contains(r#"<a href="/about">View</a>"#));
    assert!(list.contains(r#"<a href="/posts/plain-news">View</a>"#));
    let pages = b.get(&svc, "/admin/posts?kind=page").await;
    assert!(pages.contains("About this paper") && !pages.contains("Plain news"));
    assert!(pages.contains(
        r#"<a href="/admin/posts?kind=page" aria-current="page">Pages <span class="count">1</span>"#
    ));

    // A taken address gets a suffix, and the message says where the page is.
    let res = b
        .submit(
            &svc,
            "/admin/posts/new?kind=page",
            "/admin/posts",
            &post_fields(&[
                ("kind", "page"),
                ("title", "About"),
                ("status", "published"),
            ]),
        )
        .await;
    let edit = b.get(&svc, res.location()).await;
    assert!(
        edit.contains("The address /about is taken, so this page is at /about-2."),
        "{}",
        edit.body
    );

    // Deleting one says it was a page, and its address is gone.
    let confirm = format!("/admin/posts/{id}/delete");
    assert!(b.get(&svc, &confirm).await.contains("Delete page</button>"));
    let res = b.submit(&svc, &confirm, &confirm, &[]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert!(b
        .get(&svc, "/admin/posts")
        .await
        .contains("Page deleted: “About this paper”."));
    assert_eq!(
        Browser::new().get(&svc, "/about").await.status,
        StatusCode::NOT_FOUND
    );
}

#[actix_web::test]
async fn a_page_may_not_take_an_address_the_site_uses_but_a_post_may() {
    let app = TestApp::new();
    app.user("editor", Role::Admin);
    let svc = app.service().await;
    let mut b = Browser::new();
    b.login(&svc, &app, "editor").await;
    for (slug, title, shown) in [
        ("admin", "Kept title", "/admin"),
        ("tags", "Kept title", "/tags"),
        ("feed.xml", "Kept title", "/feed.xml"),
        ("Archive", "Kept title", "/archive"),
        ("/login/", "Kept title", "/login"),
        ("static/site.css", "Kept title", "/static"),
        ("sitemap-posts-1", "Kept title", "/sitemap-posts-1"),
        ("", "Search", "/search"),
    ] {
        let res = b
            .submit(
                &svc,
                "/admin/posts/new?kind=page",
                "/admin/posts",
                &post_fields(&[
                    ("kind", "page"),
                    ("slug", slug),
                    ("title", title),
                    ("status", "published"),
                ]),
            )
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{slug:?}");
        assert!(
            res.contains(r#"id="slug-error""#),
            "{slug:?}: tied to the address"
        );
        assert!(
            res.contains(&format!("{shown} ")) && res.contains("belongs to the site itself"),
            "{slug:?}: {}",
            res.body
        );
        assert!(
            res.contains(&format!(r#"name="slug" type="text" value="{slug}""#)),
            "{slug:?} kept"
        );
        assert!(res.contains(&format!(r#"value="{title}""#)), "title kept");
        assert!(res.contains(r#"value="page" checked"#), "still a page");
    }
    let count: i64 = broadsheet::schema::posts::table
        .count()
        .get_result(&mut *app.conn())
        .unwrap();
    assert_eq!(count, 0, "nothing saved");

    let res = b
        .submit(
            &svc,
            "/admin/posts/new?kind=page",
            "/admin/posts",
            &post_fields(&[("kind", "leaflet")]),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.contains("Choose post or page.") && res.contains(r#"id="kind-error""#));

    // A post keeps any slug, as before: it lives under /posts/.
    let res = b
        .submit(
            &svc,
            "/admin/posts/new",
            "/admin/posts",
            &post_fields(&[("kind", "post"), ("slug", "tags"), ("status", "published")]),
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(
        Browser::new().get(&svc, "/posts/tags").await.status,
        StatusCode::OK
    );
    // …but cannot become a page there.
    let id = res
        .location()
        .trim_start_matches("/admin/posts/")
        .trim_end_matches("/edit")
        .to_string();
    let res = b
        .submit(
            &svc,
            &format!("/admin/posts/{id}/edit"),
            &format!("/admin/posts/{id}"),
            &post_fields(&[("kind", "page"), ("slug", "tags"), ("status", "published")]),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.contains(r#"id="slug-error""#));
}

#[actix_web::test]
async fn the_edit_form_gives_the_tags_back_in_the_order_typed() {
    let app = TestApp::new();
    app.user("editor", Role::Admin);
    let svc = app.service().await;
    let mut b = Browser::new();
    b.login(&svc, &app, "editor").await;
    let res = b
        .submit(
            &svc,
            "/admin/posts/new",
            "/admin/posts",
            &post_fields(&[("tags", "Weather, Boats, apples, boats")]),
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let edit = b.get(&svc, res.location()).await;
    assert!(
        edit.contains(r#"name="tags" type="text" value="Weather, Boats, apples""#),
        "{}",
        edit.body
    );
}
