//! Finding things: link previews (titles, descriptions, canonical links,
//! Open Graph and Twitter tags).

mod common;

use actix_web::http::StatusCode;
use actix_web::test;
use broadsheet::build_app;
use broadsheet::models::setting::SettingsChanges;
use broadsheet::models::Settings;
use chrono::{Duration, NaiveDate};
use common::{Browser, TestApp};

fn set_per_page(app: &TestApp, n: i32) {
    Settings::update(
        &mut app.conn(),
        &SettingsChanges {
            title: "Daily Ledger",
            description: "All the news",
            posts_per_page: n,
            comment_policy: "open",
        },
    )
    .unwrap();
}

#[actix_web::test]
async fn an_article_has_title_description_canonical_open_graph_and_twitter_tags() {
    let app = TestApp::new();
    let at = NaiveDate::from_ymd_opt(2025, 8, 20)
        .unwrap()
        .and_hms_opt(14, 5, 0)
        .unwrap();
    app.post_with("Talks resume \"today\"", |p| {
        p.body = "Negotiators met in **Brussels** & agreed to talk.".into();
        p.tags = vec!["Politics".into(), "Europe".into()];
        p.published_at = Some(at);
    });
    let svc = test::init_service(build_app(app.state())).await;
    let page = Browser::new().get(&svc, "/posts/talks-resume-today").await;
    assert_eq!(page.status, StatusCode::OK);
    let head = &page.body[..page.body.find("</head>").unwrap()];
    for tag in [
        "<title>Talks resume &#34;today&#34; · Broadsheet</title>",
        r#"<meta name="description" content="Negotiators met in Brussels &#38; agreed to talk.">"#,
        r#"<link rel="canonical" href="http://blog.test/posts/talks-resume-today">"#,
        r#"<link rel="alternate" type="application/atom+xml" title="Broadsheet" href="/feed.xml">"#,
        r#"<meta property="og:type" content="article">"#,
        r#"<meta property="og:title" content="Talks resume &#34;today&#34;">"#,
        r#"<meta property="og:description" content="Negotiators met in Brussels &#38; agreed to talk.">"#,
        r#"<meta property="og:url" content="http://blog.test/posts/talks-resume-today">"#,
        r#"<meta property="og:site_name" content="Broadsheet">"#,
        r#"<meta property="article:published_time" content="2025-08-20T14:05:00Z">"#,
        r#"<meta property="article:tag" content="Politics">"#,
        r#"<meta property="article:tag" content="Europe">"#,
        r#"<meta name="twitter:card" content="summary">"#,
    ] {
        assert!(head.contains(tag), "missing {tag} in\n{head}");
    }
}

#[actix_web::test]
async fn list_pages_have_canonical_links_and_the_site_feed() {
    let app = TestApp::new();
    set_per_page(&app, 1);
    let at = NaiveDate::from_ymd_opt(2025, 8, 20)
        .unwrap()
        .and_hms_opt(9, 0, 0)
        .unwrap();
    app.post_with("First", |p| {
        p.published_at = Some(at);
        p.tags = vec!["News".into()];
    });
    app.post_at("Second", at + Duration::hours(1));
    let svc = test::init_service(build_app(app.state())).await;
    let mut b = Browser::new();
    for (uri, canonical) in [
        ("/", "http://blog.test/"),
        ("/?page=2", "http://blog.test/?page=2"),
        ("/archive", "http://blog.test/archive"),
        ("/archive/2025", "http://blog.test/archive/2025"),
        (
            "/archive/2025/08?page=2",
            "http://blog.test/archive/2025/08?page=2",
        ),
        ("/tags/news", "http://blog.test/tags/news"),
    ] {
        let page = b.get(&svc, uri).await;
        assert_eq!(page.status, StatusCode::OK, "{uri}");
        assert!(
            page.contains(&format!(r#"<link rel="canonical" href="{canonical}">"#)),
            "{uri}"
        );
        assert!(
            page.contains(r#"type="application/atom+xml" title="Daily Ledger" href="/feed.xml""#)
        );
        assert!(page.contains(r#"<meta name="description" content=""#));
    }
    let tag = b.get(&svc, "/tags/news").await;
    assert!(
        tag.contains(r#"<meta name="description" content="Posts tagged “News” on Daily Ledger">"#)
    );
}
