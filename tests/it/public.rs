//! The reading side: home, articles, archive, tags, errors and health.

use crate::common::{Browser, TestApp};
use actix_web::http::{header, StatusCode};
use actix_web::test;
use broadsheet::models::comment::NewComment;
use broadsheet::models::media::{Media, MediaFormat, NewMedia};
use broadsheet::models::setting::SettingsChanges;
use broadsheet::models::{now, Comment, CommentStatus, Role, Settings};
use chrono::{Duration, NaiveDate};

#[actix_web::test]
async fn a_fresh_site_welcomes_its_owner_with_setup_instructions() {
    let app = TestApp::fresh_with(|_| {});
    let svc = app.service().await;
    let mut b = Browser::new();
    let home = b.get(&svc, "/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.contains("Welcome to Broadsheet"));
    let post = b.get(&svc, "/posts/welcome-to-broadsheet").await;
    assert_eq!(post.status, StatusCode::OK);
    assert!(post.contains("broadsheet create-admin --username NAME --email EMAIL"));
    // The post outlives the set-up: it names /setup only as what works while
    // the site has no admin, and links nowhere that will be gone.
    assert!(
        post.contains("while the site has no admin, the <a href=\"/login\""),
        "{}",
        post.body
    );
    assert!(post.contains("Once the first admin exists"));
    assert!(
        !post.contains(r#"href="/setup""#),
        "no link that becomes a 404"
    );
    assert!(!post.contains(r#"href="/admin""#));
    assert!(!post.contains("open /setup") && !post.contains("Nobody can sign in yet"));
    // The way in is on the sign-in page, and only while it leads somewhere.
    let login = b.get(&svc, "/login").await;
    assert!(login.contains(r#"<a href="/setup">Set up your blog</a>"#));
    app.user("owner", Role::Admin);
    let login = b.get(&svc, "/login").await;
    assert_eq!(login.status, StatusCode::OK);
    assert!(!login.contains(r#"href="/setup""#));
    assert_eq!(b.get(&svc, "/setup").await.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn home_lists_published_posts_newest_first_with_their_details() {
    let app = TestApp::new();
    let ann = app.user("ann", Role::Author);
    app.post_with("Older story", |p| {
        p.published_at = Some(now() - Duration::days(3));
        p.tags = vec!["Politics".into()];
        p.author_id = Some(ann.id);
        p.dateline = "Washington/Brussels".into();
    });
    app.post("Newer story", "Fresh news.", 1);
    let svc = app.service().await;
    let home = Browser::new().get(&svc, "/").await;
    assert_eq!(home.status, StatusCode::OK);
    let newer = home.body.find("Newer story").unwrap();
    let older = home.body.find("Older story").unwrap();
    assert!(newer < older, "newest first");
    assert!(home.contains("By ann"));
    assert!(home.contains("Washington/Brussels – "));
    assert!(home.contains(r#"<a href="/tags/politics">Politics</a>"#));
    assert!(home.contains("0 comments"));
    assert!(home.contains("The story of Older story."), "excerpt shown");
}

#[actix_web::test]
async fn drafts_and_scheduled_posts_are_invisible_to_readers() {
    let app = TestApp::new();
    app.post_with("Secret draft", |p| {
        p.published = false;
        p.tags = vec!["Hidden".into()];
    });
    app.post_with("Tomorrow's news", |p| {
        p.published_at = Some(now() + Duration::days(1));
        p.tags = vec!["Hidden".into()];
    });
    app.post("Public story", "Out now.", 0);
    let svc = app.service().await;
    let mut b = Browser::new();
    for uri in ["/", "/archive", "/tags/hidden", "/posts/public-story"] {
        let page = b.get(&svc, uri).await;
        assert!(!page.contains("Secret draft"), "{uri} shows the draft");
        assert!(
            !page.contains("Tomorrow&#x27;s news") && !page.contains("Tomorrow's news"),
            "{uri} shows the scheduled post"
        );
    }
    assert_eq!(
        b.get(&svc, "/posts/secret-draft").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        b.get(&svc, "/posts/tomorrow-s-news").await.status,
        StatusCode::NOT_FOUND
    );
    let archive = b.get(&svc, "/archive").await;
    assert!(
        archive.contains("(1)"),
        "only the public post is counted: {}",
        archive.body
    );
}

#[actix_web::test]
async fn home_pages_through_older_and_newer_posts() {
    let app = TestApp::new();
    app.settings("Daily Ledger", "All the news", 2, "open");
    for i in 1..=5 {
        app.post(&format!("Story {i}"), "Text.", 10 - i);
    }
    let svc = app.service().await;
    let mut b = Browser::new();
    let first = b.get(&svc, "/").await;
    assert!(first.contains("Story 5") && first.contains("Story 4") && !first.contains("Story 3"));
    assert!(first.contains(r#"href="/?page=2""#) && first.contains("Older posts"));
    assert!(!first.contains("Newer posts"));
    let second = b.get(&svc, "/?page=2").await;
    assert!(second.contains("Story 3") && second.contains("Story 2"));
    assert!(second.contains(r#"href="/""#) && second.contains("Newer posts"));
    let last = b.get(&svc, "/?page=3").await;
    assert!(last.contains("Story 1") && !last.contains("Older posts"));
    assert_eq!(b.get(&svc, "/?page=4").await.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn malformed_page_numbers_are_refused_without_a_server_error() {
    let app = TestApp::new();
    app.post("Only story", "Text.", 1);
    let svc = app.service().await;
    let mut b = Browser::new();
    for q in [
        "0",
        "-1",
        "abc",
        "123456789012345678901234567890",
        "1.5",
        "%FF",
        "%00",
    ] {
        for base in ["/", "/archive/2025", "/tags/anything"] {
            let page = b.get(&svc, &format!("{base}?page={q}")).await;
            assert!(
                page.status == StatusCode::NOT_FOUND || page.status == StatusCode::BAD_REQUEST,
                "{base}?page={q} gave {}",
                page.status
            );
        }
    }
}

#[actix_web::test]
async fn an_article_shows_its_title_byline_body_tags_and_comments() {
    let app = TestApp::new();
    let ann = app.user("ann", Role::Author);
    let reader = app.user("reader", Role::Commenter);
    let post = app.post_with("Summit ends in agreement", |p| {
        p.author_id = Some(ann.id);
        p.dateline = "Washington/Brussels".into();
        p.published_at = NaiveDate::from_ymd_opt(2025, 8, 20).and_then(|d| d.and_hms_opt(9, 0, 0));
        p.body = "Leaders met.\n\n> \"We agreed,\" said one.\n\nMore *to come*.".into();
        p.tags = vec!["World".into(), "Trade".into()];
    });
    for (body, status) in [("Approved remark", "approved"), ("Held remark", "pending")] {
        Comment::create(
            &mut app.conn(),
            &NewComment {
                post_id: post.id,
                author_id: Some(reader.id),
                parent_id: None,
                body,
                body_html: &format!("<p>{body}</p>"),
                status: CommentStatus::parse(status).unwrap(),
                created_at: now(),
                guest_name: "",
                guest_website: "",
                guest_email: "",
            },
        )
        .unwrap();
    }
    let svc = app.service().await;
    let page = Browser::new()
        .get(&svc, &format!("/posts/{}", post.slug))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.contains("<h1 class=\"article-title\">Summit ends in agreement</h1>"));
    assert!(page.contains("Washington/Brussels – August 20, 2025"));
    assert!(page.contains("By <span class=\"author\">ann</span>"));
    assert!(page.contains("1 min read"));
    assert!(page.contains("<blockquote>"));
    assert!(page.contains("<em>to come</em>"));
    assert!(page.contains(r#"href="/tags/world""#) && page.contains(r#"href="/tags/trade""#));
    assert!(page.contains("Post a Comment"));
    assert!(page.contains("Approved remark"));
    assert!(
        !page.contains("Held remark"),
        "pending comments are not shown to readers"
    );
    assert!(page.contains("1 comment"));
    assert!(page.contains("<title>Summit ends in agreement · Broadsheet</title>"));
}

#[actix_web::test]
async fn previous_and_next_follow_publication_order() {
    let app = TestApp::new();
    let first = app.post("First", "a", 3);
    let middle = app.post("Middle", "b", 2);
    let last = app.post("Last", "c", 1);
    let svc = app.service().await;
    let mut b = Browser::new();
    let page = b.get(&svc, &format!("/posts/{}", middle.slug)).await;
    assert!(page.contains(r#"<a class="post-nav-prev" href="/posts/first" rel="prev"><span>← Previous Post</span>First</a>"#));
    assert!(page.contains(
        r#"<a class="post-nav-next" href="/posts/last" rel="next"><span>Next Post →</span>Last</a>"#
    ));
    let page = b.get(&svc, &format!("/posts/{}", first.slug)).await;
    assert!(
        !page.contains("Previous Post") && page.contains("href=\"/posts/middle\" rel=\"next\"")
    );
    let page = b.get(&svc, &format!("/posts/{}", last.slug)).await;
    assert!(!page.contains("Next Post") && page.contains("href=\"/posts/middle\" rel=\"prev\""));
}

#[actix_web::test]
async fn posts_published_at_the_same_second_still_have_neighbours() {
    let app = TestApp::new();
    let at = now() - Duration::hours(1);
    let a = app.post_at("Twin A", at);
    app.post_at("Twin B", at);
    let svc = app.service().await;
    let page = Browser::new()
        .get(&svc, &format!("/posts/{}", a.slug))
        .await;
    assert!(
        page.contains("href=\"/posts/twin-b\" rel=\"next\""),
        "{}",
        page.body
    );
}

#[actix_web::test]
async fn the_archive_counts_posts_by_year_and_month_and_lists_them() {
    let app = TestApp::new();
    let day = |y, m, d| {
        NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|d| d.and_hms_opt(12, 0, 0))
            .unwrap()
    };
    app.post_at("March one", day(2024, 3, 1));
    app.post_at("March two", day(2024, 3, 31));
    app.post_at("December", day(2024, 12, 24));
    app.post_at("New year", day(2025, 1, 2));
    let svc = app.service().await;
    let mut b = Browser::new();
    let archive = b.get(&svc, "/archive").await;
    assert_eq!(archive.status, StatusCode::OK);
    assert!(
        archive.contains(r#"<a href="/archive/2024">2024</a> <span class="count">(3)</span>"#),
        "{}",
        archive.body
    );
    assert!(
        archive.contains(r#"<a href="/archive/2024/03">March</a> <span class="count">(2)</span>"#)
    );
    assert!(archive
        .contains(r#"<a href="/archive/2025/01">January</a> <span class="count">(1)</span>"#));
    assert!(
        archive.body.find("2025").unwrap() < archive.body.find("2024").unwrap(),
        "newest year first"
    );

    let year = b.get(&svc, "/archive/2024").await;
    assert!(year.contains("March one") && year.contains("December") && !year.contains("New year"));
    let month = b.get(&svc, "/archive/2024/03").await;
    assert!(
        month.contains("March one") && month.contains("March two") && !month.contains("December")
    );
    assert!(month.contains("March 2024"));
    for uri in [
        "/archive/2023",
        "/archive/2024/13",
        "/archive/2024/3",
        "/archive/abcd",
        "/archive/99999",
        "/archive/2024/00",
    ] {
        assert_eq!(
            b.get(&svc, uri).await.status,
            StatusCode::NOT_FOUND,
            "{uri}"
        );
    }
}

#[actix_web::test]
async fn a_tag_page_lists_its_posts_and_unknown_tags_are_404() {
    let app = TestApp::new();
    app.post_with("Tagged story", |p| p.tags = vec!["Climate Policy".into()]);
    app.post("Untagged story", "x", 1);
    let svc = app.service().await;
    let mut b = Browser::new();
    let page = b.get(&svc, "/tags/climate-policy").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.contains("Tagged “Climate Policy”") && page.contains("Tagged story"));
    assert!(!page.contains("Untagged story"));
    assert_eq!(
        b.get(&svc, "/tags/nothing-here").await.status,
        StatusCode::NOT_FOUND
    );
}

#[actix_web::test]
async fn unknown_pages_get_a_404_page_in_the_site_layout() {
    let app = TestApp::new();
    let svc = app.service().await;
    let mut b = Browser::new();
    // A trailing slash is first sent on to the address without it.
    assert_eq!(b.get(&svc, "/posts/").await.location(), "/posts");
    for uri in ["/no/such/page", "/posts/never-written", "/posts"] {
        let page = b.get(&svc, uri).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{uri}");
        assert!(page.contains("Page not found"), "{uri}");
        assert!(
            page.contains(r#"<a class="site-title" href="/">Broadsheet</a>"#),
            "{uri} in the layout"
        );
        let ct = page
            .headers
            .get(header::CONTENT_TYPE)
            .unwrap()
            .to_str()
            .unwrap();
        assert!(ct.starts_with("text/html"));
    }
}

#[actix_web::test]
async fn post_bodies_are_sanitised_when_saved() {
    let app = TestApp::new();
    let post = app.post(
        "Hostile",
        "Hello <script>alert(1)</script>\n\n<img src=x onerror=\"alert(2)\">\n\n[click](javascript:alert(3)) <a href=\"javascript:alert(4)\">x</a>",
        1,
    );
    assert!(!post.body_html.contains("<script"));
    assert!(!post.body_html.contains("onerror"));
    assert!(!post.body_html.contains("javascript:"));
    let svc = app.service().await;
    let page = Browser::new().get(&svc, "/posts/hostile").await;
    // The one script element is the article's JSON-LD, which is data.
    assert_eq!(
        page.body.matches("<script").count(),
        page.body
            .matches(r#"<script type="application/ld+json">"#)
            .count()
    );
    assert!(!page.contains("onerror") && !page.contains("javascript:"));
}

#[actix_web::test]
async fn health_static_files_and_security_headers() {
    let app = TestApp::new();
    let svc = app.service().await;
    let mut b = Browser::new();
    let health = b.get(&svc, "/healthz").await;
    assert_eq!(health.status, StatusCode::OK);

    let home = b.get(&svc, "/").await;
    let csp = home
        .headers
        .get(header::CONTENT_SECURITY_POLICY)
        .unwrap()
        .to_str()
        .unwrap();
    assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"));
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(
        home.headers.get(header::X_CONTENT_TYPE_OPTIONS).unwrap(),
        "nosniff"
    );
    assert!(home.headers.get(header::REFERRER_POLICY).is_some());

    let href = broadsheet::assets::css_href();
    assert!(home.contains(&href));
    let css = b.get(&svc, &href).await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css
        .headers
        .get(header::CACHE_CONTROL)
        .unwrap()
        .to_str()
        .unwrap()
        .contains("max-age=31536000"));
    assert!(css.contains("prefers-color-scheme: dark"));
    for escape in [
        "/static/../Cargo.toml",
        "/static/%2e%2e/Cargo.toml",
        "/static/..%2fCargo.toml",
    ] {
        let page = b.get(&svc, escape).await;
        assert!(!page.contains("[package]"), "{escape} escaped static/");
        assert!(page.status.is_client_error(), "{escape}: {}", page.status);
    }
}

#[actix_web::test]
async fn settings_title_and_description_show_in_the_layout() {
    let app = TestApp::new();
    app.settings("Daily Ledger", "All the news", 5, "open");
    let svc = app.service().await;
    let home = Browser::new().get(&svc, "/").await;
    assert!(home.contains("<title>Daily Ledger</title>"));
    assert!(home.contains("All the news"));
    assert!(home.contains("Nothing has been published here yet."));
}

#[actix_web::test]
async fn archive_counts_and_tag_lists_follow_edits_unpublishing_and_deletion() {
    use broadsheet::models::Post;
    let app = TestApp::new();
    let day = |y, m| {
        NaiveDate::from_ymd_opt(y, m, 10)
            .and_then(|d| d.and_hms_opt(8, 0, 0))
            .unwrap()
    };
    let post = app.post_with("Moving story", |p| {
        p.published_at = Some(day(2024, 5));
        p.tags = vec!["Moves".into()];
    });
    app.post_with("Staying story", |p| {
        p.published_at = Some(day(2024, 5));
        p.tags = vec!["Moves".into()];
    });
    let svc = app.service().await;
    let mut b = Browser::new();
    assert!(b
        .get(&svc, "/archive")
        .await
        .contains(r#"<a href="/archive/2024/05">May</a> <span class="count">(2)</span>"#));

    let mut input = broadsheet::models::post::PostInput {
        kind: broadsheet::models::PostKind::Post,
        title: post.title.clone(),
        slug: post.slug.clone(),
        dateline: String::new(),
        body: post.body.clone(),
        tags: vec!["Moves".into()],
        published: false,
        published_at: None,
        comments_enabled: true,
        author_id: None,
        ..Default::default()
    };
    Post::update(&mut app.conn(), post.id, &input.clone().render(), now()).unwrap();
    let archive = b.get(&svc, "/archive").await;
    assert!(
        archive.contains(r#"<a href="/archive/2024/05">May</a> <span class="count">(1)</span>"#),
        "unpublished leaves the count"
    );
    assert!(
        !b.get(&svc, "/tags/moves").await.contains("Moving story"),
        "and the tag list"
    );

    input.published = true;
    input.published_at = Some(day(2023, 2));
    Post::update(&mut app.conn(), post.id, &input.clone().render(), now()).unwrap();
    let archive = b.get(&svc, "/archive").await;
    assert!(archive
        .contains(r#"<a href="/archive/2023/02">February</a> <span class="count">(1)</span>"#));
    assert!(
        archive.contains(r#"<a href="/archive/2024/05">May</a> <span class="count">(1)</span>"#)
    );
    let tag = b.get(&svc, "/tags/moves").await;
    assert!(
        tag.body.find("Staying story").unwrap() < tag.body.find("Moving story").unwrap(),
        "newest first"
    );

    Post::delete(&mut app.conn(), post.id).unwrap();
    let archive = b.get(&svc, "/archive").await;
    assert!(
        !archive.contains("/archive/2023/02"),
        "a month with no posts disappears"
    );
    assert!(!b.get(&svc, "/tags/moves").await.contains("Moving story"));
}

#[actix_web::test]
async fn popular_tags_count_visible_posts_most_first_and_follow_every_change() {
    use broadsheet::models::tag::TagCount;
    use broadsheet::models::{Post, Tag};
    let app = TestApp::new();
    let tagged =
        |title: &str, tags: &[&str], tune: &dyn Fn(&mut broadsheet::models::post::PostInput)| {
            app.post_with(title, |p| {
                p.tags = tags.iter().map(|t| t.to_string()).collect();
                tune(p);
            })
        };
    let a = tagged("A", &["Politics", "Europe"], &|_| {});
    tagged("B", &["Politics"], &|_| {});
    let e = tagged("E", &["Europe"], &|_| {});
    tagged("D", &["Trade"], &|p| p.published = false);
    // Scheduled: three posts under a tag nobody can read yet, which must not
    // crowd out the tags below it.
    for title in ["S1", "S2", "S3"] {
        tagged(title, &["Soon", "Trade"], &|p| {
            p.published_at = Some(now() + Duration::days(2))
        });
    }
    let popular = |at| {
        Tag::popular(&mut app.conn(), at, 20)
            .unwrap()
            .into_iter()
            .map(|t: TagCount| format!("{} {}", t.name, t.count))
            .collect::<Vec<_>>()
    };
    assert_eq!(popular(now()), ["Europe 2", "Politics 2"]);
    let top_one = Tag::popular(&mut app.conn(), now(), 1).unwrap();
    assert_eq!(top_one.len(), 1);
    assert_eq!((top_one[0].slug.as_str(), top_one[0].count), ("europe", 2));

    // When the scheduled posts fall due they count.
    assert_eq!(
        popular(now() + Duration::days(3)),
        ["Soon 3", "Trade 3", "Europe 2", "Politics 2"]
    );

    // Unpublishing and deleting lower the counts; a tag with none drops out.
    let mut input = broadsheet::models::post::PostInput {
        kind: broadsheet::models::PostKind::Post,
        title: a.title.clone(),
        slug: a.slug.clone(),
        dateline: String::new(),
        body: a.body.clone(),
        tags: vec!["Politics".into(), "Europe".into()],
        published: false,
        published_at: None,
        comments_enabled: true,
        author_id: None,
        ..Default::default()
    };
    Post::update(&mut app.conn(), a.id, &input.clone().render(), now()).unwrap();
    assert_eq!(popular(now()), ["Europe 1", "Politics 1"]);
    Post::delete(&mut app.conn(), e.id).unwrap();
    assert_eq!(popular(now()), ["Politics 1"]);
    // Republishing with other tags moves the counts with the links.
    input.published = true;
    input.tags = vec!["Europe".into()];
    Post::update(&mut app.conn(), a.id, &input.clone().render(), now()).unwrap();
    assert_eq!(popular(now()), ["Europe 1", "Politics 1"]);
}

#[actix_web::test]
async fn reading_pages_show_the_blog_archive_and_popular_tags_beside_the_posts() {
    let app = TestApp::new();
    let day = |y, m| {
        NaiveDate::from_ymd_opt(y, m, 10)
            .and_then(|d| d.and_hms_opt(8, 0, 0))
            .unwrap()
    };
    app.post_with("Old story", |p| {
        p.published_at = Some(day(2024, 6));
        p.tags = vec!["Politics".into()];
    });
    app.post_with("New story", |p| {
        p.published_at = Some(day(2025, 3));
        p.tags = vec!["Politics".into(), "Trade".into()];
    });
    app.post_with("Hidden draft", |p| {
        p.published = false;
        p.tags = vec!["Secret".into()];
    });
    let svc = app.service().await;
    let mut b = Browser::new();
    for uri in ["/", "/posts/new-story", "/tags/trade", "/archive/2025"] {
        let page = b.get(&svc, uri).await;
        assert_eq!(page.status, StatusCode::OK, "{uri}");
        assert!(page.contains(r#"<aside class="sidebar""#), "{uri}");
        assert!(page.contains("Blog Archive"), "{uri}");
        assert!(
            page.contains(r#"<a class="widget-year" href="/archive/2025">2025</a> <span class="count">(1)</span>"#),
            "{uri}: {}",
            page.body
        );
        // The newest year shows its months; older years only their totals.
        assert!(
            page.contains(r#"<a href="/archive/2025/03">March</a>"#),
            "{uri}"
        );
        assert!(
            !page.contains(r#"<a href="/archive/2024/06">June</a>"#),
            "{uri}"
        );
        assert!(
            page.contains(r#"<a href="/tags/politics">Politics <span class="tag-count">2<span class="visually-hidden"> posts</span></span></a>"#),
            "{uri}"
        );
        assert!(page.contains(r#"<a href="/tags/trade">Trade <span class="tag-count">1<span class="visually-hidden"> post</span></span></a>"#));
        assert!(
            !page.contains("/tags/secret"),
            "{uri}: drafts' tags stay out"
        );
    }
    // The archive page is the archive: its sidebar lists the tags alone.
    let archive = b.get(&svc, "/archive").await;
    assert!(archive.contains(r#"<aside class="sidebar""#));
    assert!(!archive.contains("sidebar-archive") && archive.contains("/tags/politics"));
    // Forms and error pages have none.
    for uri in ["/login", "/register", "/posts/nope"] {
        assert!(!b.get(&svc, uri).await.contains("<aside"), "{uri}");
    }
}

#[actix_web::test]
async fn reading_pages_answer_head_requests() {
    let app = TestApp::new();
    app.post("Story", "Text", 1);
    let svc = app.service().await;
    let mut b = Browser::new();
    for uri in ["/", "/posts/story", "/archive", "/feed.xml", "/healthz"] {
        let page = b
            .send(
                &svc,
                test::TestRequest::default()
                    .method(actix_web::http::Method::HEAD)
                    .uri(uri),
            )
            .await;
        assert_eq!(page.status, StatusCode::OK, "HEAD {uri}");
    }
    let missing = b
        .send(
            &svc,
            test::TestRequest::default()
                .method(actix_web::http::Method::HEAD)
                .uri("/posts/none"),
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn tags_of_drafts_and_scheduled_posts_are_404_until_a_post_with_them_is_out() {
    let app = TestApp::new();
    app.post_with("Secret draft", |p| {
        p.published = false;
        p.tags = vec!["Merger Talks".into()];
    });
    app.post_with("Tomorrow's news", |p| {
        p.published_at = Some(now() + Duration::days(1));
        p.tags = vec!["Embargoed Name".into()];
    });
    let svc = app.service().await;
    let mut b = Browser::new();
    for uri in [
        "/tags/merger-talks",
        "/tags/merger-talks/feed.xml",
        "/tags/embargoed-name",
        "/tags/embargoed-name/feed.xml",
    ] {
        let page = b.get(&svc, uri).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{uri}");
        assert!(
            !page.contains("Merger Talks") && !page.contains("Embargoed Name"),
            "{uri} names the tag"
        );
    }

    out_since(&app, "secret-draft", Duration::hours(1));
    out_since(&app, "tomorrow-s-news", Duration::minutes(1));
    for (uri, name) in [
        ("/tags/merger-talks", "Merger Talks"),
        ("/tags/merger-talks/feed.xml", "Merger Talks"),
        ("/tags/embargoed-name", "Embargoed Name"),
        ("/tags/embargoed-name/feed.xml", "Embargoed Name"),
    ] {
        let page = b.get(&svc, uri).await;
        assert_eq!(page.status, StatusCode::OK, "{uri}");
        assert!(page.contains(name), "{uri}");
    }
}

fn march(day: u32) -> Option<chrono::NaiveDateTime> {
    NaiveDate::from_ymd_opt(2025, 3, day).and_then(|d| d.and_hms_opt(9, 0, 0))
}

#[actix_web::test]
async fn a_page_is_served_at_its_own_address_and_kept_out_of_home_archive_tags_and_feeds() {
    let app = TestApp::new();
    app.post_with("Harbour reopens", |p| {
        p.published_at = march(10);
        p.tags = vec!["Harbour".into()];
    });
    app.page("About us", |p| {
        p.slug = "about".into();
        p.published_at = march(12);
        p.body = "We are a **small** paper by the sea.".into();
        p.tags = vec!["Harbour".into()];
    });
    let svc = app.service().await;
    let mut b = Browser::new();

    let page = b.get(&svc, "/about").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.contains(r#"<h1 class="article-title">About us</h1>"#));
    assert!(page.contains("We are a <strong>small</strong> paper by the sea."));
    assert!(page.contains("<title>About us · Broadsheet</title>"));
    assert!(page.contains(r#"<link rel="canonical" href="http://blog.test/about">"#));
    for absent in [
        r#"class="dateline""#,
        r#"class="byline""#,
        "March 12, 2025",
        "Post a Comment",
        "Previous Post",
        r#"href="/tags/harbour">Harbour</a></li></ul>"#,
    ] {
        assert!(!page.contains(absent), "a page shows no {absent}");
    }

    // Its old-style address leads to it; a post is not at the top level.
    let old = b.get(&svc, "/posts/about").await;
    assert_eq!(old.status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(old.location(), "/about");
    assert_eq!(
        b.get(&svc, "/posts/about?reply_to=7").await.location(),
        "/about?reply_to=7"
    );
    let not_here = b.get(&svc, "/harbour-reopens").await;
    assert_eq!(not_here.status, StatusCode::NOT_FOUND);
    assert!(not_here.contains("Page not found"));
    assert_eq!(
        b.get(&svc, "/posts/harbour-reopens").await.status,
        StatusCode::OK
    );

    let lists = [
        "/",
        "/archive/2025",
        "/archive/2025/03",
        "/tags/harbour",
        "/posts/harbour-reopens",
    ];
    for uri in lists {
        let list = b.get(&svc, uri).await;
        assert_eq!(list.status, StatusCode::OK, "{uri}");
        assert!(list.contains("Harbour reopens"), "{uri} lists the post");
        assert!(
            !list.contains("About us") && !list.contains(r#"href="/about""#),
            "{uri} leaves the page out"
        );
    }
    // Counted as one post in March and one under its tag, not two.
    let archive = b.get(&svc, "/archive").await;
    assert!(
        archive.contains(r#"<a href="/archive/2025/03">March</a> <span class="count">(1)</span>"#)
    );
    let home = b.get(&svc, "/").await;
    assert!(home.contains(r#"href="/tags/harbour">Harbour <span class="tag-count">1<"#));
    for feed in ["/feed.xml", "/tags/harbour/feed.xml"] {
        let feed = b.get(&svc, feed).await;
        assert!(feed.contains("Harbour reopens"));
        assert!(!feed.contains("About us") && !feed.contains("/about"));
    }
}

#[actix_web::test]
async fn draft_and_scheduled_pages_are_404_until_they_are_out() {
    let app = TestApp::new();
    app.page("Staff", |p| p.published = false);
    app.page("Coming soon", |p| {
        p.published_at = Some(now() + Duration::days(1));
    });
    let svc = app.service().await;
    let mut b = Browser::new();
    for uri in [
        "/staff",
        "/posts/staff",
        "/coming-soon",
        "/posts/coming-soon",
    ] {
        let page = b.get(&svc, uri).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{uri}");
        assert!(page.contains("Page not found"), "{uri}");
    }
    out_since(&app, "coming-soon", Duration::minutes(1));
    assert_eq!(b.get(&svc, "/coming-soon").await.status, StatusCode::OK);
}

/// Publishes the post (a draft, or one scheduled for later) as of `ago`.
fn out_since(app: &TestApp, slug: &str, ago: Duration) {
    use broadsheet::schema::posts;
    use diesel::prelude::*;
    diesel::update(posts::table.filter(posts::slug.eq(slug)))
        .set((
            posts::status.eq("published"),
            posts::published_at.eq(now() - ago),
        ))
        .execute(&mut *app.conn())
        .unwrap();
}

#[actix_web::test]
async fn the_page_address_hides_no_address_of_the_site() {
    let app = TestApp::new();
    app.post("A story", "Text.", 1);
    // Written behind the form's back, which refuses these slugs for pages.
    for slug in ["archive", "search", "healthz"] {
        app.page(&format!("Shadow {slug}"), |p| p.slug = slug.into());
    }
    let svc = app.service().await;
    let mut b = Browser::new();
    let archive = b.get(&svc, "/archive").await;
    assert!(archive.contains("<h1>Archive</h1>") && !archive.contains("Shadow"));
    assert!(!b.get(&svc, "/search").await.contains("Shadow"));
    assert_eq!(b.get(&svc, "/healthz").await.status, StatusCode::OK);
    assert!(!b.get(&svc, "/healthz").await.contains("Shadow"));
    let css = b.get(&svc, "/static/site.css").await;
    assert_eq!(css.status, StatusCode::OK);
    assert_eq!(b.get(&svc, "/static").await.status, StatusCode::NOT_FOUND);
    assert!(b.get(&svc, "/feed.xml").await.contains("<feed"));
    assert_eq!(b.get(&svc, "/login").await.status, StatusCode::OK);
    // Unknown addresses of one segment are still the site's 404 page, for
    // every method.
    // Capitals are first sent on to the address in lower case.
    assert_eq!(b.get(&svc, "/About").await.location(), "/about");
    for uri in ["/nowhere", "/favicon.ico", "/about", "/a-story", "/-"] {
        let page = b.get(&svc, uri).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{uri}");
        assert!(page.contains("Page not found"), "{uri}");
        assert!(page.contains(r#"<a class="site-title" href="/">Broadsheet</a>"#));
    }
    let post = b.post(&svc, "/nowhere", &[("x", "1")]).await;
    assert_eq!(post.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn tags_show_in_the_order_the_writer_typed_them() {
    let app = TestApp::new();
    app.post_with("Market day", |p| {
        p.tags = vec!["Zebra crossings".into(), "Apples".into(), "Market".into()];
    });
    let svc = app.service().await;
    let mut b = Browser::new();
    let in_order = |body: &str| {
        let at = |name: &str| body.find(&format!(">{name}</a>")).unwrap_or(usize::MAX);
        at("Zebra crossings") < at("Apples")
            && at("Apples") < at("Market")
            && at("Market") < usize::MAX
    };
    let article = b.get(&svc, "/posts/market-day").await;
    let kicker = &article.body[article.body.find(r#"class="kicker""#).unwrap()..];
    assert!(
        in_order(&kicker[..kicker.find("</p>").unwrap()]),
        "article kicker"
    );
    let footer = &article.body[article.body.find("article-tags").unwrap()..];
    assert!(in_order(footer), "article tag list");
    let home = b.get(&svc, "/").await;
    let card = &home.body[home.body.find(r#"<article class="card">"#).unwrap()..];
    assert!(in_order(&card[..card.find("</article>").unwrap()]), "card");
}

#[actix_web::test]
async fn the_tags_page_lists_every_published_tag_by_name_with_its_count() {
    let app = TestApp::new();
    app.post_with("Budget vote", |p| {
        p.tags = vec!["Politics".into(), "economy".into()];
    });
    app.post_with("Prices rise", |p| p.tags = vec!["Economy".into()]);
    app.post_with("Secret draft", |p| {
        p.published = false;
        p.tags = vec!["Merger Talks".into(), "Politics".into()];
    });
    app.post_with("Tomorrow's news", |p| {
        p.published_at = Some(now() + Duration::days(1));
        p.tags = vec!["Embargoed Name".into(), "economy".into()];
    });
    app.page("About", |p| p.tags = vec!["Page Only".into()]);
    let svc = app.service().await;
    let mut b = Browser::new();
    let page = b.get(&svc, "/tags").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.contains("<h1>Tags</h1>"));
    let economy = page
        .body
        .find(r#"<a href="/tags/economy">economy</a> <span class="count">(2<"#)
        .expect("economy with its two published posts");
    let politics = page
        .body
        .find(r#"<a href="/tags/politics">Politics</a> <span class="count">(1<"#)
        .expect("Politics with its one published post");
    assert!(economy < politics, "by name, whatever the case");
    for hidden in ["Merger Talks", "Embargoed Name", "Page Only"] {
        assert!(!page.contains(hidden), "{hidden} is not announced");
    }
    assert!(b
        .get(&svc, "/")
        .await
        .contains(r#"<a href="/tags">Tags</a>"#));

    // An empty site still has the page.
    let empty = TestApp::new();
    let svc = empty.service().await;
    let page = Browser::new().get(&svc, "/tags").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.contains("No tags yet"));
}

#[actix_web::test]
async fn a_post_made_a_page_leaves_the_archive_and_its_tags_and_comes_back_when_made_a_post() {
    use broadsheet::models::{Post, PostKind};
    let app = TestApp::new();
    let post = app.post_with("Opening hours", |p| {
        p.published_at = march(5);
        p.tags = vec!["Office".into()];
    });
    app.post_with("Harbour reopens", |p| {
        p.published_at = march(6);
        p.tags = vec!["Office".into()];
    });
    let svc = app.service().await;
    let mut b = Browser::new();
    let march_count = |n: usize| {
        format!(r#"<a href="/archive/2025/03">March</a> <span class="count">({n})</span>"#)
    };
    let office_count =
        |n: usize| format!(r#"<a href="/tags/office">Office</a> <span class="count">({n}<"#);
    assert!(b.get(&svc, "/archive").await.contains(&march_count(2)));
    assert!(b.get(&svc, "/tags").await.contains(&office_count(2)));

    let mut input = broadsheet::models::post::PostInput {
        kind: PostKind::Page,
        title: post.title.clone(),
        slug: post.slug.clone(),
        dateline: String::new(),
        body: post.body.clone(),
        tags: vec!["Office".into()],
        published: true,
        published_at: post.published_at,
        comments_enabled: false,
        author_id: None,
        ..Default::default()
    };
    Post::update(&mut app.conn(), post.id, &input.clone().render(), now()).unwrap();
    assert!(b.get(&svc, "/archive").await.contains(&march_count(1)));
    assert!(b.get(&svc, "/tags").await.contains(&office_count(1)));
    assert!(!b.get(&svc, "/tags/office").await.contains("Opening hours"));
    assert_eq!(b.get(&svc, "/opening-hours").await.status, StatusCode::OK);
    assert_eq!(
        b.get(&svc, "/posts/opening-hours").await.location(),
        "/opening-hours"
    );

    input.kind = PostKind::Post;
    Post::update(&mut app.conn(), post.id, &input.render(), now()).unwrap();
    assert!(b.get(&svc, "/archive").await.contains(&march_count(2)));
    assert!(b.get(&svc, "/tags").await.contains(&office_count(2)));
    assert!(b.get(&svc, "/tags/office").await.contains("Opening hours"));
    // Readers who kept the page's address are sent to the post.
    assert_eq!(
        b.get(&svc, "/opening-hours").await.location(),
        "/posts/opening-hours"
    );
}

/// A library image row as an upload leaves it (the files are not needed to
/// render the pages that show it).
fn library_image(app: &TestApp, stem: &str, size: (i32, i32), alt: &str) -> Media {
    let new = NewMedia {
        hash: stem,
        stem,
        format: MediaFormat::Jpeg,
        width: size.0,
        height: size.1,
        bytes: 1000,
        variants: "480,960",
        alt,
        original_name: "picture.jpg",
        uploaded_by: None,
        created_at: now(),
    };
    Media::create(&mut app.conn(), &new).unwrap()
}

/// The site's icon, as the settings form sets it.
fn set_site_icon(app: &TestApp, icon: &Media) {
    let now = Settings::load(&mut app.conn()).unwrap();
    let changes = SettingsChanges {
        title: &now.title,
        description: &now.description,
        posts_per_page: now.posts_per_page,
        comment_policy: now.comment_policy,
        menu: None,
        icon_media_id: Some(Some(icon.id)),
    };
    Settings::update(&mut app.conn(), &changes).unwrap();
}

/// The `content` of `<meta property=…>` or `<meta name=…>`.
fn meta(page: &crate::common::Page, key: &str) -> Option<String> {
    [
        format!(r#"<meta property="{key}" content=""#),
        format!(r#"<meta name="{key}" content=""#),
    ]
    .iter()
    .find_map(|marker| {
        let at = page.body.find(marker.as_str())? + marker.len();
        let end = page.body[at..].find('"')? + at;
        Some(page.body[at..end].to_string())
    })
}

/// The page's JSON-LD block, parsed.
fn json_ld(page: &crate::common::Page) -> serde_json::Value {
    let start_tag = r#"<script type="application/ld+json">"#;
    let start = page.body.find(start_tag).expect("a JSON-LD block") + start_tag.len();
    let end = page.body[start..].find("</script>").unwrap() + start;
    serde_json::from_str(&page.body[start..end]).expect("JSON-LD parses")
}

#[actix_web::test]
async fn a_page_shows_its_cover_and_gives_it_to_link_previews_and_json_ld() {
    let app = TestApp::new();
    let cover = library_image(&app, "harbour", (1600, 900), "The harbour at dawn");
    app.page("About the paper", |p| {
        p.body = "Who we are.".into();
        p.cover_media_id = Some(cover.id);
    });
    let svc = app.service().await;
    let page = Browser::new().get(&svc, "/about-the-paper").await;
    assert_eq!(page.status, StatusCode::OK);
    // Shown on the page, responsive, with its alt text, above the text.
    let img = format!(
        r#"<img src="{}" srcset="{}" sizes="(max-width: 44rem) 100vw, 42rem" width="1600" height="900" alt="The harbour at dawn""#,
        cover.url(),
        cover.srcset()
    );
    assert!(page.contains(&img), "{}", page.body);
    assert!(cover.srcset().contains("480w") && cover.srcset().contains("1600w"));
    assert!(
        page.body.find(&img).unwrap() < page.body.find(r#"<div class="article-body">"#).unwrap()
    );
    // Link previews and structured data carry it.
    let url = format!("http://blog.test{}", cover.url());
    assert_eq!(meta(&page, "og:image").as_deref(), Some(url.as_str()));
    assert_eq!(meta(&page, "og:image:width").as_deref(), Some("1600"));
    assert_eq!(
        meta(&page, "og:image:alt").as_deref(),
        Some("The harbour at dawn")
    );
    assert_eq!(meta(&page, "twitter:image").as_deref(), Some(url.as_str()));
    assert_eq!(
        meta(&page, "twitter:card").as_deref(),
        Some("summary_large_image")
    );
    assert_eq!(meta(&page, "og:type").as_deref(), Some("website"));
    let data = json_ld(&page);
    assert_eq!(data["@type"], "WebPage");
    assert_eq!(data["name"], "About the paper");
    assert_eq!(data["url"], "http://blog.test/about-the-paper");
    assert_eq!(data["image"]["url"], url.as_str());
    assert_eq!(data["image"]["width"], 1600);
}

#[actix_web::test]
async fn every_reading_page_has_a_card_image_the_cover_else_the_site_icon() {
    let app = TestApp::new();
    let icon = library_image(&app, "ledger-logo", (512, 512), "The Ledger’s seal");
    let cover = library_image(&app, "quay", (2000, 1000), "Ferries at the quay");
    set_site_icon(&app, &icon);
    let ann = app.user("ann", Role::Author);
    app.post_with("Plain story", |p| {
        p.tags = vec!["News".into()];
        p.author_id = Some(ann.id);
        p.published_at = Some(now() - Duration::days(1));
    });
    app.post_with("Covered story", |p| {
        p.tags = vec!["News".into()];
        p.cover_media_id = Some(cover.id);
    });
    app.page("Contact", |p| p.body = "Write to us.".into());
    let svc = app.service().await;
    let mut b = Browser::new();
    let icon_url = format!("http://blog.test{}", icon.url());
    let cover_url = format!("http://blog.test{}", cover.url());
    let year = now().format("%Y").to_string();
    // Lists and indexes: OpenGraph of their own, with the site's image.
    for path in [
        "/".to_string(),
        "/archive".into(),
        format!("/archive/{year}"),
        "/tags".into(),
        "/tags/news".into(),
        "/search?q=story".into(),
    ] {
        let page = b.get(&svc, &path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        let canonical = format!("http://blog.test{path}");
        assert_eq!(meta(&page, "og:type").as_deref(), Some("website"), "{path}");
        assert_eq!(
            meta(&page, "og:url").as_deref(),
            Some(canonical.as_str()),
            "{path}"
        );
        assert!(
            meta(&page, "og:title").is_some_and(|t| t.contains("Broadsheet")),
            "{path}"
        );
        assert_eq!(
            meta(&page, "og:image").as_deref(),
            Some(icon_url.as_str()),
            "{path}"
        );
        assert_eq!(
            meta(&page, "og:image:alt").as_deref(),
            Some("The Ledger’s seal"),
            "{path}"
        );
        assert_eq!(
            meta(&page, "twitter:image").as_deref(),
            Some(icon_url.as_str()),
            "{path}"
        );
        assert_eq!(
            meta(&page, "twitter:card").as_deref(),
            Some("summary"),
            "{path}"
        );
        assert_eq!(
            page.body.matches(r#"property="og:type""#).count(),
            1,
            "{path}"
        );
    }
    // An article without a cover: the site's image, small card.
    let plain = b.get(&svc, "/posts/plain-story").await;
    assert_eq!(meta(&plain, "og:image").as_deref(), Some(icon_url.as_str()));
    assert_eq!(meta(&plain, "twitter:card").as_deref(), Some("summary"));
    assert_eq!(plain.body.matches(r#"property="og:type""#).count(), 1);
    let data = json_ld(&plain);
    assert_eq!(data["image"]["url"], icon_url.as_str());
    // Complete structured data: the author's address (no author pages yet:
    // the site's) and the publisher's logo.
    assert_eq!(data["author"]["name"], "ann");
    assert_eq!(data["author"]["url"], "http://blog.test/");
    assert_eq!(data["publisher"]["url"], "http://blog.test/");
    assert_eq!(data["publisher"]["logo"]["@type"], "ImageObject");
    assert_eq!(data["publisher"]["logo"]["url"], icon_url.as_str());
    assert_eq!(data["publisher"]["logo"]["width"], 512);
    // An article with a cover: the cover, large card.
    let covered = b.get(&svc, "/posts/covered-story").await;
    assert_eq!(
        meta(&covered, "og:image").as_deref(),
        Some(cover_url.as_str())
    );
    assert_eq!(
        meta(&covered, "twitter:card").as_deref(),
        Some("summary_large_image")
    );
    assert_eq!(json_ld(&covered)["image"]["url"], cover_url.as_str());
    assert_eq!(
        json_ld(&covered)["publisher"]["logo"]["url"],
        icon_url.as_str()
    );
    // A page without a cover: the site's image too.
    let contact = b.get(&svc, "/contact").await;
    assert_eq!(
        meta(&contact, "og:image").as_deref(),
        Some(icon_url.as_str())
    );
    assert_eq!(
        json_ld(&contact)["publisher"]["logo"]["url"],
        icon_url.as_str()
    );
}

#[actix_web::test]
async fn without_a_site_icon_pages_without_a_cover_get_a_text_card() {
    let app = TestApp::new();
    app.post("Plain story", "Text.", 1);
    let svc = app.service().await;
    let mut b = Browser::new();
    for path in ["/", "/posts/plain-story"] {
        let page = b.get(&svc, path).await;
        assert!(
            meta(&page, "og:type").is_some(),
            "{path}: OpenGraph all the same"
        );
        assert_eq!(meta(&page, "og:image"), None, "{path}");
        assert_eq!(
            meta(&page, "twitter:card").as_deref(),
            Some("summary"),
            "{path}"
        );
    }
    let data = json_ld(&b.get(&svc, "/posts/plain-story").await);
    assert!(data.get("image").is_none());
    assert!(data["publisher"].get("logo").is_none());
    assert_eq!(data["author"]["url"], "http://blog.test/");
}

#[actix_web::test]
async fn the_first_cover_of_a_list_is_fetched_at_once_and_the_rest_lazily() {
    let app = TestApp::new();
    for (i, title) in ["Oldest", "Middle", "Newest"].iter().enumerate() {
        let cover = library_image(&app, &format!("cover{i}"), (1200, 800), "");
        app.post_with(title, |p| {
            p.cover_media_id = Some(cover.id);
            p.tags = vec!["News".into()];
            p.published_at = Some(now() - Duration::hours(3 - i as i64));
        });
    }
    // The newest has no cover: the first cover is the next card's.
    app.post_with("Newest, no picture", |p| p.tags = vec!["News".into()]);
    let svc = app.service().await;
    let mut b = Browser::new();
    for path in ["/", "/tags/news"] {
        let page = b.get(&svc, path).await;
        assert!(page.contains("Newest, no picture"));
        let covers: Vec<&str> = page
            .body
            .split(r#"<a class="card-cover""#)
            .skip(1)
            .map(|rest| &rest[..rest.find("</a>").unwrap()])
            .collect();
        assert_eq!(covers.len(), 3, "{path}");
        // The phone's largest element at first sight (Lighthouse's LCP).
        assert!(covers[0].contains(r#"fetchpriority="high""#), "{path}");
        assert!(!covers[0].contains("loading="), "{path}: not lazy");
        for later in &covers[1..] {
            assert!(later.contains(r#"loading="lazy""#), "{path}");
            assert!(!later.contains("fetchpriority"), "{path}");
        }
    }
}

#[actix_web::test]
async fn the_search_page_names_each_of_its_search_landmarks() {
    let app = TestApp::new();
    app.post("Harbour news", "Ferries.", 1);
    let svc = app.service().await;
    let page = Browser::new().get(&svc, "/search?q=harbour").await;
    assert_eq!(page.status, StatusCode::OK);
    let landmarks: Vec<&str> = page
        .body
        .split(r#"role="search""#)
        .skip(1)
        .map(|rest| &rest[..rest.find('>').unwrap()])
        .collect();
    assert_eq!(landmarks.len(), 2);
    assert!(landmarks[0].contains(r#"aria-label="Site""#));
    assert!(landmarks[1].contains(r#"aria-labelledby="search-heading""#));
    assert!(page.contains(r#"<h1 id="search-heading">Results for “harbour”</h1>"#));
}
