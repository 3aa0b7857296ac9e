//! Finding things: search, feeds, the sitemap, link previews, conditional
//! requests and compression.

use std::io::Read;

use crate::common::{Browser, Page, Svc, TestApp};
use actix_web::http::{header, StatusCode};
use actix_web::test;
use broadsheet::models::post::PostInput;
use broadsheet::models::{now, Post, Role, Tag};
use chrono::{Duration, NaiveDate};

/// The post input a fixture saved, for updating it.
fn input_of(post: &Post, tags: &[&str]) -> PostInput {
    PostInput {
        kind: post.kind,
        title: post.title.clone(),
        slug: post.slug.clone(),
        dateline: post.dateline.clone(),
        body: post.body.clone(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        published: post.is_published(),
        published_at: post.published_at,
        comments_enabled: post.comments_enabled,
        author_id: post.author_id,
        ..Default::default()
    }
}

/// The text between `<main` and `</main>`: a page's own content.
fn main_of(page: &Page) -> &str {
    let start = page.body.find("<main").unwrap_or(0);
    let end = page.body.find("</main>").unwrap_or(page.body.len());
    &page.body[start..end]
}

fn header_of(page: &Page, name: header::HeaderName) -> String {
    page.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

fn parse_feed(page: &Page) -> atom_syndication::Feed {
    atom_syndication::Feed::read_from(page.body.as_bytes())
        .unwrap_or_else(|e| panic!("not a valid Atom feed ({e}):\n{}", page.body))
}

#[actix_web::test]
async fn search_ranks_title_matches_above_body_only_matches() {
    let app = TestApp::new();
    // The body-only match is newer and mentions the word more than once.
    app.post(
        "Harbour news",
        "The zeppelin was seen again; a zeppelin, people said.",
        1,
    );
    app.post("The zeppelin returns", "An airship over the town.", 5);
    app.post("Unrelated", "Nothing about airships here.", 2);
    let svc = app.service().await;
    let page = Browser::new().get(&svc, "/search?q=zeppelin").await;
    assert_eq!(page.status, StatusCode::OK);
    let body = main_of(&page);
    let title_hit = body.find("returns</a>").expect("title match listed");
    let body_hit = body.find("Harbour news</a>").expect("body match listed");
    assert!(title_hit < body_hit, "title match first:\n{body}");
    assert!(!body.contains("Unrelated"));
    assert!(body.contains("2 results"));
}

#[actix_web::test]
async fn search_ignores_case_accents_and_word_endings() {
    let app = TestApp::new();
    app.post("Café society", "The elections were held on Sunday.", 1);
    let svc = app.service().await;
    let mut b = Browser::new();
    for q in ["CAFE", "café", "election", "Elected", "sunday"] {
        let page = b
            .get(&svc, &format!("/search?q={}", urlencoding::encode(q)))
            .await;
        assert!(main_of(&page).contains("1 result"), "{q}");
    }
}

#[actix_web::test]
async fn search_snippets_highlight_the_words_and_escape_the_body() {
    let app = TestApp::new();
    app.post(
        "Security notes",
        "Never paste `<script>alert(1)</script>` into a form & expect mercy. \
         The mercy rule is old.",
        1,
    );
    let svc = app.service().await;
    let page = Browser::new().get(&svc, "/search?q=mercy").await;
    assert_eq!(page.status, StatusCode::OK);
    let body = main_of(&page);
    assert!(body.contains("<mark>mercy</mark>"), "{body}");
    assert!(!body.contains("<script"), "{body}");
    assert!(body.contains("&#60;script&#62;alert(1)"), "{body}");
    assert!(body.contains("form &#38; expect"), "{body}");
    // The title is shown, its matched words highlighted too.
    let page = Browser::new().get(&svc, "/search?q=security").await;
    assert!(main_of(&page).contains("<mark>Security</mark> notes"));
}

#[actix_web::test]
async fn a_post_without_the_words_in_its_body_shows_its_excerpt() {
    let app = TestApp::new();
    app.post("Quarterly figures", "Revenue rose by a tenth.", 1);
    let svc = app.service().await;
    let page = Browser::new().get(&svc, "/search?q=quarterly").await;
    let body = main_of(&page);
    assert!(body.contains("<mark>Quarterly</mark> figures"), "{body}");
    assert!(body.contains("Revenue rose by a tenth."), "{body}");
}

#[actix_web::test]
async fn search_finds_tags_and_follows_tag_changes() {
    let app = TestApp::new();
    let post = app.post_with("Weekend plans", |p| {
        p.tags = vec!["Birdwatching".into()];
        p.body = "Bring a flask.".into();
    });
    let svc = app.service().await;
    let mut b = Browser::new();
    assert!(main_of(&b.get(&svc, "/search?q=birdwatching").await).contains("Weekend plans"));

    Post::update(
        &mut app.conn(),
        post.id,
        &input_of(&post, &["Sailing"]).render(),
        now(),
    )
    .unwrap();
    assert!(!main_of(&b.get(&svc, "/search?q=birdwatching").await).contains("Weekend plans"));
    assert!(main_of(&b.get(&svc, "/search?q=sailing").await).contains("Weekend plans"));

    // Tags changed without Post::update reach the index too.
    Tag::set_for_post(&mut app.conn(), post.id, &["Orienteering".into()]).unwrap();
    assert!(main_of(&b.get(&svc, "/search?q=orienteering").await).contains("Weekend plans"));
    assert!(!main_of(&b.get(&svc, "/search?q=sailing").await).contains("Weekend plans"));
}

#[actix_web::test]
async fn edited_and_deleted_posts_leave_the_index_in_step() {
    let app = TestApp::new();
    let post = app.post("Lighthouse keepers", "A lonely job by the sea.", 1);
    let svc = app.service().await;
    let mut b = Browser::new();

    let mut input = input_of(&post, &[]);
    input.title = "Ferry timetables".into();
    input.body = "Boats leave at nine.".into();
    Post::update(&mut app.conn(), post.id, &input.clone().render(), now()).unwrap();
    assert!(!main_of(&b.get(&svc, "/search?q=lighthouse").await).contains("Ferry"));
    assert!(!main_of(&b.get(&svc, "/search?q=lonely").await).contains("Ferry"));
    assert!(main_of(&b.get(&svc, "/search?q=boats").await).contains("Ferry timetables"));

    Post::delete(&mut app.conn(), post.id).unwrap();
    let page = b.get(&svc, "/search?q=boats").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!main_of(&page).contains("Ferry"));
}

#[actix_web::test]
async fn markdown_is_indexed_as_text_not_as_markup() {
    let app = TestApp::new();
    app.post(
        "Links",
        "Read **the report** at [our site](https://example.com/hiddenpath).",
        1,
    );
    let svc = app.service().await;
    let mut b = Browser::new();
    let page = b.get(&svc, "/search?q=report").await;
    let body = main_of(&page);
    assert!(
        body.contains("Read the <mark>report</mark> at our site."),
        "{body}"
    );
    assert!(!main_of(&b.get(&svc, "/search?q=hiddenpath").await).contains("Links"));
}

/// The posts the prefix tests search, written to `app`.
fn prefix_fixtures(app: &TestApp) {
    let at = |day| {
        NaiveDate::from_ymd_opt(2025, 6, day)
            .and_then(|d| d.and_hms_opt(8, 0, 0))
            .unwrap()
    };
    app.post_with("Rail fares fixed", |p| {
        p.body = "The council guarantees the line will stay open.".into();
        p.published_at = Some(at(1));
    });
    app.post_with("Guards for the harbour", |p| {
        p.body = "Night guards walk the quay.".into();
        p.tags = vec!["Harbour".into()];
        p.published_at = Some(at(2));
    });
    app.post_with("Bus depot", |p| {
        p.body = "A new depot for the council.".into();
        p.published_at = Some(at(3));
    });
    app.post_with("Letters to Ed", |p| {
        p.body = "Write to Ed at the news desk.".into();
        p.published_at = Some(at(4));
    });
    app.post_with("Choice of the week", |p| {
        p.body = "The editor picks a book.".into();
        p.published_at = Some(at(5));
    });
}

/// The hits of a results page, each as its HTML.
fn hits_of(page: &Page) -> Vec<String> {
    main_of(page)
        .split("<li class=\"search-hit\">")
        .skip(1)
        .map(|hit| {
            hit.split("</li>")
                .next()
                .unwrap_or_default()
                .trim()
                .to_string()
        })
        .collect()
}

#[actix_web::test]
async fn the_last_word_typed_finds_the_words_it_begins_and_marks_them() {
    let app = TestApp::new();
    prefix_fixtures(&app);
    let svc = app.service().await;
    let mut b = Browser::new();

    let page = b.get(&svc, "/search?q=guar").await;
    let body = main_of(&page);
    assert!(body.contains("2 results"), "{body}");
    assert!(
        body.contains("The council <mark>guarantees</mark> the line"),
        "{body}"
    );
    assert!(
        body.contains("<mark>Guards</mark> for the harbour</a>"),
        "{body}"
    );
    assert!(body.contains("Night <mark>guards</mark> walk"), "{body}");

    // Earlier words as before, the last one a prefix.
    let page = b.get(&svc, "/search?q=council+guar").await;
    let body = main_of(&page);
    assert!(body.contains("1 result"), "{body}");
    assert!(
        body.contains("The <mark>council</mark> <mark>guarantees</mark>"),
        "{body}"
    );
    let page = b.get(&svc, "/search?q=guard+harb").await;
    assert!(
        main_of(&page).contains("<mark>Guards</mark> for the <mark>harbour</mark></a>"),
        "{}",
        main_of(&page)
    );
}

#[actix_web::test]
async fn only_the_last_word_is_a_prefix() {
    let app = TestApp::new();
    prefix_fixtures(&app);
    let svc = app.service().await;
    let page = Browser::new().get(&svc, "/search?q=guar+council").await;
    let body = main_of(&page);
    assert!(body.contains("No posts match"), "{body}");
    assert!(hits_of(&page).is_empty(), "{body}");
}

#[actix_web::test]
async fn a_last_word_of_one_or_two_letters_is_matched_whole() {
    let app = TestApp::new();
    prefix_fixtures(&app);
    let svc = app.service().await;
    let mut b = Browser::new();
    let page = b.get(&svc, "/search?q=ed").await;
    let body = main_of(&page);
    assert!(body.contains("1 result"), "{body}");
    assert!(body.contains("Letters to <mark>Ed</mark>"), "{body}");
    assert!(!body.contains("picks a book"), "{body}");
    // From three letters on, it is a prefix again.
    let page = b.get(&svc, "/search?q=edi").await;
    let body = main_of(&page);
    assert!(body.contains("1 result"), "{body}");
    assert!(body.contains("The <mark>editor</mark> picks"), "{body}");
}

#[actix_web::test]
async fn prefix_searches_find_and_mark_the_same_on_sqlite_and_postgresql() {
    let Some(db) = crate::common::PgDatabase::new("prefix_searches_…_on_sqlite_and_postgresql")
    else {
        return;
    };
    let media = tempfile::tempdir().unwrap();
    let on_pg = TestApp::with_state(broadsheet::AppState::open(db.config(media.path())).unwrap());
    diesel::RunQueryDsl::execute(diesel::sql_query("DELETE FROM posts"), &mut *on_pg.conn())
        .unwrap();
    let on_sqlite = TestApp::on_sqlite_with(|_| {});
    prefix_fixtures(&on_pg);
    prefix_fixtures(&on_sqlite);
    let pg = on_pg.service().await;
    let sqlite = on_sqlite.service().await;
    let mut b = Browser::new();
    for q in [
        "guar",
        "council+guar",
        "guar+council",
        "guard+harb",
        "ed",
        "edi",
        "the",
        "depot+cou",
    ] {
        let uri = format!("/search?q={q}");
        // Ranks may tie differently (bm25 and ts_rank); the hits may not.
        let mut on_sqlite = hits_of(&b.get(&sqlite, &uri).await);
        let mut on_pg = hits_of(&b.get(&pg, &uri).await);
        on_sqlite.sort();
        on_pg.sort();
        assert_eq!(on_sqlite, on_pg, "{q}");
        assert!(q.starts_with("guar+") || !on_sqlite.is_empty(), "{q}");
    }
}

#[actix_web::test]
async fn hostile_queries_never_cause_a_server_error() {
    let app = TestApp::new();
    app.post("Ordinary post", "Words and more words.", 1);
    let svc = app.service().await;
    let long_text = "words ".repeat(400);
    let long_quotes = "\"".repeat(2048);
    let queries: Vec<String> = [
        "\"",
        "\"words",
        "words\"",
        "*",
        "words*",
        "AND",
        "OR",
        "NOT",
        "words AND",
        "AND OR NOT",
        "NEAR(",
        "NEAR(words more, 2)",
        "title:words",
        "{title body}: words",
        "^words",
        "-words",
        "+words",
        "(words",
        "words)",
        "'",
        "\\",
        "%",
        "_",
        "\u{0}",
        "\u{1}\u{7f}\u{202e}",
        "\u{2}words\u{3}",
        "🦀 words",
        "Ünïcödé wörds",
        &long_text,
        &long_quotes,
    ]
    .iter()
    .map(|q| q.to_string())
    .collect();
    let mut b = Browser::new();
    for q in &queries {
        let uri = format!("/search?q={}", urlencoding::encode(q));
        let page = b.get(&svc, &uri).await;
        assert_eq!(page.status, StatusCode::OK, "query {q:?}");
        assert!(page.contains("<form"), "query {q:?}");
    }
    for uri in [
        "/search?q=%00",
        "/search?q=%FF%FE",
        "/search?q=%",
        "/search?q=a&q=b",
        "/search?q=words&page=0",
        "/search?q=words&page=abc",
        "/search?q=words&page=99999",
        "/search?q=words&page=-1",
        "/search?page=2",
        "/search?q[]=x",
    ] {
        let page = b.get(&svc, uri).await;
        // A parameter search does not read is dropped by a 301 to /search.
        assert!(
            page.status.is_success()
                || page.status.is_client_error()
                || (page.status == StatusCode::MOVED_PERMANENTLY && page.location() == "/search"),
            "{uri}: {}",
            page.status
        );
    }
    // The words of a hostile query still find what they name.
    let page = b.get(&svc, "/search?q=%22ordinary%22*+(post%5E").await;
    assert!(main_of(&page).contains(r#"href="/posts/ordinary-post""#));
}

#[actix_web::test]
async fn an_empty_query_shows_the_search_form_and_the_box_keeps_a_query() {
    let app = TestApp::new();
    app.post("Anything", "Something.", 1);
    let svc = app.service().await;
    let mut b = Browser::new();
    for uri in ["/search", "/search?q=", "/search?q=+++"] {
        let page = b.get(&svc, uri).await;
        assert_eq!(page.status, StatusCode::OK, "{uri}");
        assert!(main_of(&page).contains(r#"action="/search""#));
        assert!(!main_of(&page).contains("Anything"));
    }
    let page = b.get(&svc, "/search?q=%3Csomething%3E").await;
    assert!(page
        .contains(r#"name="q" type="search" placeholder="Search" value="&#60;something&#62;">"#));
    assert!(main_of(&page).contains("Anything"));
    assert!(page.contains("<title>Search: &#60;something&#62; · Broadsheet</title>"));
}

#[actix_web::test]
async fn search_results_are_paged() {
    let app = TestApp::new();
    app.settings("Daily Ledger", "All the news", 2, "open");
    for i in 1..=5 {
        app.post(&format!("Tide table {i}"), "High water at noon.", i);
    }
    let svc = app.service().await;
    let mut b = Browser::new();
    let first = b.get(&svc, "/search?q=tide+table").await;
    assert!(first.contains("5 results"));
    assert!(first.contains(r#"href="/search?q=tide%20table&#38;page=2" rel="next""#));
    let second = b.get(&svc, "/search?q=tide+table&page=2").await;
    assert_eq!(second.status, StatusCode::OK);
    assert!(second.contains(r#"href="/search?q=tide%20table" rel="prev""#));
    let third = b.get(&svc, "/search?q=tide+table&page=3").await;
    assert_eq!(
        main_of(&third).matches("<li class=\"search-hit\">").count(),
        1
    );
    assert!(!third.contains("rel=\"next\""));
    let past = b.get(&svc, "/search?q=tide+table&page=4").await;
    assert_eq!(past.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn the_newest_thousand_matches_are_ranked_and_more_are_counted_as_more() {
    let app = TestApp::new();
    // The best match, but the first written: it drops out of the ranking
    // once a thousand newer posts match.
    app.post("Lantern lantern lantern", "The lantern, lit.", 30);
    for i in 1..=998 {
        app.post(&format!("Note {i}"), "A lantern.", 1);
    }
    app.post_with("Draft lantern", |p| p.published = false);
    let svc = app.service().await;
    let mut b = Browser::new();
    let page = b.get(&svc, "/search?q=lantern").await;
    assert!(page.contains("999 results"), "drafts are not counted");
    assert!(hits_of(&page)[0].contains("<mark>Lantern</mark> <mark>lantern</mark>"));

    app.post("Note 999", "A lantern.", 1);
    let page = b.get(&svc, "/search?q=lantern").await;
    assert!(page.contains("1000 results"));
    assert!(hits_of(&page)[0].contains("<mark>Lantern</mark> <mark>lantern</mark>"));

    app.post("Note 1000", "A lantern.", 1);
    let page = b.get(&svc, "/search?q=lantern").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.contains("More than 1000 results"));
    let hits = hits_of(&page);
    assert_eq!(hits.len(), 10);
    assert!(hits.iter().all(|hit| hit.contains("Note")), "{hits:?}");
}

#[actix_web::test]
async fn drafts_and_scheduled_posts_stay_out_of_search_feeds_and_sitemap() {
    let app = TestApp::new();
    app.post_with("Visible walrus", |p| {
        p.tags = vec!["Walruses".into()];
        p.published_at = Some(now() - Duration::hours(1));
    });
    app.post_with("Draft walrus", |p| {
        p.tags = vec!["Walruses".into()];
        p.published = false;
        p.slug = "draft-walrus".into();
    });
    app.post_with("Scheduled walrus", |p| {
        p.tags = vec!["Walruses".into()];
        p.published_at = Some(now() + Duration::days(2));
        p.slug = "scheduled-walrus".into();
    });
    let svc = app.service().await;
    let mut b = Browser::new();
    for uri in [
        "/search?q=walrus",
        "/feed.xml",
        "/tags/walruses/feed.xml",
        "/sitemap-posts-1.xml",
    ] {
        let page = b.get(&svc, uri).await;
        assert_eq!(page.status, StatusCode::OK, "{uri}");
        assert!(page.contains("visible-walrus"), "{uri}");
        for hidden in [
            "Draft walrus",
            "draft-walrus",
            "Scheduled",
            "scheduled-walrus",
        ] {
            assert!(!page.contains(hidden), "{uri} shows {hidden}");
        }
    }
}

#[actix_web::test]
async fn the_site_feed_is_valid_atom_with_absolute_links() {
    let app = TestApp::new();
    let ann = app.user("ann", Role::Author);
    for i in 0..22 {
        app.post(&format!("Story {i}"), "Plain words.", 30 - i);
    }
    app.post_with("Tom & Jerry <live>", |p| {
        p.author_id = Some(ann.id);
        p.tags = vec!["Cartoons & Co".into()];
        p.body = "A *chase* with [a link](/posts/story-1) and \u{1}control.\n\nSecond <b>para</b>."
            .into();
        p.published_at = Some(now() - Duration::hours(1));
    });
    let svc = app.service().await;
    let page = Browser::new().get(&svc, "/feed.xml").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(header_of(&page, header::CONTENT_TYPE).starts_with("application/atom+xml"));
    let feed = parse_feed(&page);
    assert_eq!(feed.title().as_str(), "Broadsheet");
    assert_eq!(feed.entries().len(), 20);
    assert!(feed
        .links()
        .iter()
        .any(|l| l.rel() == "self" && l.href() == "http://blog.test/feed.xml"));
    for entry in feed.entries() {
        assert!(entry.id().starts_with("http://blog.test/posts/"));
        for link in entry.links() {
            assert!(
                link.href().starts_with("http://blog.test/"),
                "{}",
                link.href()
            );
        }
        assert!(entry.published().is_some());
        assert_eq!(entry.authors().len(), 1);
    }
    let newest = &feed.entries()[0];
    assert_eq!(newest.title().as_str(), "Tom & Jerry <live>");
    assert_eq!(
        newest.links()[0].href(),
        "http://blog.test/posts/tom-jerry-live"
    );
    assert_eq!(newest.authors()[0].name(), "ann");
    assert_eq!(newest.categories()[0].label(), Some("Cartoons & Co"));
    let summary = newest.summary().unwrap().as_str();
    assert!(summary.starts_with("A chase with a link"), "{summary}");
    let content = newest.content().unwrap();
    assert_eq!(content.content_type(), Some("html"));
    let html = content.value().unwrap();
    assert!(html.contains("<em>chase</em>"), "{html}");
    assert!(html.contains("<b>para</b>"), "{html}");
    // The three oldest stories fell off the end.
    for gone in ["Story 0<", "Story 1<", "Story 2<"] {
        assert!(!page.contains(gone), "{gone}");
    }
    assert!(page.contains("Story 3<"));
}

#[actix_web::test]
async fn a_tag_feed_has_only_that_tags_posts() {
    let app = TestApp::new();
    app.post_with("Rain again", |p| p.tags = vec!["Weather".into()]);
    app.post_with("Budget day", |p| p.tags = vec!["Politics".into()]);
    let svc = app.service().await;
    let mut b = Browser::new();
    let page = b.get(&svc, "/tags/weather/feed.xml").await;
    assert_eq!(page.status, StatusCode::OK);
    let feed = parse_feed(&page);
    assert_eq!(feed.title().as_str(), "Broadsheet: Weather");
    assert_eq!(feed.id(), "http://blog.test/tags/weather");
    let titles: Vec<&str> = feed.entries().iter().map(|e| e.title().as_str()).collect();
    assert_eq!(titles, ["Rain again"]);
    assert_eq!(
        b.get(&svc, "/tags/nope/feed.xml").await.status,
        StatusCode::NOT_FOUND
    );
    // The tag page itself still answers, and links its feed.
    let tag_page = b.get(&svc, "/tags/weather").await;
    assert_eq!(tag_page.status, StatusCode::OK);
    assert!(tag_page.contains(
        r#"<link rel="alternate" type="application/atom+xml" title="Broadsheet: Weather" href="/tags/weather/feed.xml">"#
    ));
}

#[actix_web::test]
async fn an_empty_site_still_has_a_valid_feed_and_sitemap() {
    let app = TestApp::new();
    let svc = app.service().await;
    let mut b = Browser::new();
    let feed = parse_feed(&b.get(&svc, "/feed.xml").await);
    assert!(feed.entries().is_empty());
    let (files, urls) = sitemap(&svc).await;
    assert_eq!(files, ["http://blog.test/sitemap-pages.xml"]);
    assert!(urls.is_empty());
}

#[actix_web::test]
async fn the_sitemap_lists_posts_tags_and_archive_pages_with_absolute_urls() {
    let app = TestApp::new();
    let at = NaiveDate::from_ymd_opt(2025, 8, 20)
        .unwrap()
        .and_hms_opt(14, 5, 0)
        .unwrap();
    app.post_with("Summer story", |p| {
        p.published_at = Some(at);
        p.tags = vec!["Holidays & Travel".into()];
    });
    app.post_at("Winter story", at - Duration::days(300));
    let svc = app.service().await;
    let (_, urls) = sitemap(&svc).await;
    let locs: Vec<&str> = urls.iter().map(|(loc, _)| loc.as_str()).collect();
    for expected in [
        "http://blog.test/",
        "http://blog.test/posts/summer-story",
        "http://blog.test/posts/winter-story",
        "http://blog.test/tags/holidays-travel",
        "http://blog.test/archive",
        "http://blog.test/archive/2025",
        "http://blog.test/archive/2025/08",
        "http://blog.test/archive/2024",
        "http://blog.test/archive/2024/10",
    ] {
        assert!(locs.contains(&expected), "{expected} in {locs:?}");
    }
    let index = Browser::new().get(&svc, "/sitemap.xml").await;
    assert!(!header_of(&index, header::LAST_MODIFIED).is_empty());
}

/// Reads `/sitemap.xml` as a sitemap index, then every file it lists: the
/// files' addresses, and each address in them with its `lastmod`.
async fn sitemap(svc: &impl Svc) -> (Vec<String>, Vec<(String, String)>) {
    const NS: Option<&str> = Some("http://www.sitemaps.org/schemas/sitemap/0.9");
    let text_of = |node: roxmltree::Node, name: &str| {
        node.children()
            .find(|n| n.has_tag_name(name))
            .and_then(|n| n.text())
            .map(str::to_string)
    };
    let index = Browser::new().get(svc, "/sitemap.xml").await;
    assert_eq!(index.status, StatusCode::OK);
    assert!(header_of(&index, header::CONTENT_TYPE).starts_with("application/xml"));
    let doc = roxmltree::Document::parse(&index.body).expect("the index is XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "sitemapindex");
    assert_eq!(root.tag_name().namespace(), NS);
    let files: Vec<String> = root
        .children()
        .filter(|n| n.has_tag_name("sitemap"))
        .map(|n| text_of(n, "loc").expect("each file has a loc"))
        .collect();
    let mut urls = Vec::new();
    for file in &files {
        let path = file.strip_prefix("http://blog.test").expect("absolute");
        let page = Browser::new().get(svc, path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(header_of(&page, header::CONTENT_TYPE).starts_with("application/xml"));
        let doc = roxmltree::Document::parse(&page.body).expect("a sitemap file is XML");
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "urlset", "{path}");
        assert_eq!(root.tag_name().namespace(), NS);
        let before = urls.len();
        for url in root.children().filter(|n| n.has_tag_name("url")) {
            let loc = text_of(url, "loc").unwrap();
            let lastmod = text_of(url, "lastmod").unwrap();
            assert!(loc.starts_with("http://blog.test/"), "{loc}");
            assert!(
                chrono::DateTime::parse_from_rfc3339(&lastmod).is_ok(),
                "{lastmod}"
            );
            urls.push((loc, lastmod));
        }
        assert!(urls.len() - before <= 50_000, "{path} is over the limit");
    }
    (files, urls)
}

#[actix_web::test]
async fn the_sitemap_index_splits_posts_into_files_by_id_range() {
    let app = TestApp::new();
    app.post("First story", "Text", 3);
    // Ids jump as if many posts had come and gone: the files follow the ids.
    diesel::RunQueryDsl::execute(
        diesel::sql_query(
            "INSERT INTO posts (id, slug, title, body, body_html, excerpt, status, \
             published_at, created_at, updated_at) VALUES (25000, 'late-story', 'Late story', \
             '', '', '', 'published', '2025-01-01 00:00:00', '2025-01-01 00:00:00', \
             '2025-01-02 00:00:00')",
        ),
        &mut *app.conn(),
    )
    .unwrap();
    let svc = app.service().await;
    let (files, urls) = sitemap(&svc).await;
    assert_eq!(
        files,
        [
            "http://blog.test/sitemap-pages.xml",
            "http://blog.test/sitemap-posts-1.xml",
            "http://blog.test/sitemap-posts-2.xml",
            "http://blog.test/sitemap-posts-3.xml",
            "http://blog.test/sitemap-posts-4.xml",
            "http://blog.test/sitemap-posts-5.xml",
        ]
    );
    let mut b = Browser::new();
    assert!(b
        .get(&svc, "/sitemap-posts-1.xml")
        .await
        .contains("http://blog.test/posts/first-story"));
    let last = b.get(&svc, "/sitemap-posts-5.xml").await;
    assert!(last.contains(
        "<loc>http://blog.test/posts/late-story</loc><lastmod>2025-01-02T00:00:00Z</lastmod>"
    ));
    assert!(!b.get(&svc, "/sitemap-posts-2.xml").await.contains("<url>"));
    for missing in [
        "/sitemap-posts-6.xml",
        "/sitemap-posts-0.xml",
        "/sitemap-posts-x.xml",
    ] {
        assert_eq!(
            b.get(&svc, missing).await.status,
            StatusCode::NOT_FOUND,
            "{missing}"
        );
    }
    assert_eq!(
        urls.iter().filter(|(l, _)| l.contains("/posts/")).count(),
        2
    );
}

#[actix_web::test]
async fn robots_txt_names_the_sitemap() {
    let app = TestApp::new();
    let svc = app.service().await;
    let page = Browser::new().get(&svc, "/robots.txt").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(header_of(&page, header::CONTENT_TYPE).starts_with("text/plain"));
    assert!(page.body.lines().any(|l| l == "User-agent: *"));
    assert!(page
        .body
        .lines()
        .any(|l| l == "Sitemap: http://blog.test/sitemap.xml"));
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
    let svc = app.service().await;
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
    app.settings("Daily Ledger", "All the news", 1, "open");
    let at = NaiveDate::from_ymd_opt(2025, 8, 20)
        .unwrap()
        .and_hms_opt(9, 0, 0)
        .unwrap();
    app.post_with("First", |p| {
        p.published_at = Some(at);
        p.tags = vec!["News".into()];
    });
    app.post_at("Second", at + Duration::hours(1));
    let svc = app.service().await;
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
        ("/search?q=first", "http://blog.test/search?q=first"),
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

#[actix_web::test]
async fn pages_and_feeds_send_validators_and_answer_304() {
    let app = TestApp::new();
    let post = app.post_with("Cached story", |p| p.tags = vec!["Cache".into()]);
    let svc = app.service().await;
    let mut b = Browser::new();
    for uri in [
        "/",
        "/posts/cached-story",
        "/tags/cache",
        "/archive",
        "/search?q=cached",
        "/feed.xml",
        "/tags/cache/feed.xml",
        "/sitemap.xml",
    ] {
        let page = b.get(&svc, uri).await;
        let etag = header_of(&page, header::ETAG);
        assert!(etag.starts_with('"') && etag.len() > 10, "{uri}: {etag:?}");
        assert_eq!(header_of(&page, header::CACHE_CONTROL), "no-cache");
        let again = b
            .send(
                &svc,
                test::TestRequest::get()
                    .uri(uri)
                    .insert_header((header::IF_NONE_MATCH, format!("\"other\", {etag}"))),
            )
            .await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{uri}");
        assert!(again.body.is_empty());
        assert_eq!(header_of(&again, header::ETAG), etag);
        let stale = b
            .send(
                &svc,
                test::TestRequest::get()
                    .uri(uri)
                    .insert_header((header::IF_NONE_MATCH, "\"stale\"")),
            )
            .await;
        assert_eq!(stale.status, StatusCode::OK, "{uri}");
    }

    // Feeds also carry Last-Modified, and If-Modified-Since works alone.
    let feed = b.get(&svc, "/feed.xml").await;
    let modified = header_of(&feed, header::LAST_MODIFIED);
    assert!(modified.ends_with(" GMT"), "{modified:?}");
    let since = b
        .send(
            &svc,
            test::TestRequest::get()
                .uri("/feed.xml")
                .insert_header((header::IF_MODIFIED_SINCE, modified.clone())),
        )
        .await;
    assert_eq!(since.status, StatusCode::NOT_MODIFIED);

    // A change to the post changes the article's tag.
    let before = header_of(&b.get(&svc, "/posts/cached-story").await, header::ETAG);
    let mut input = input_of(&post, &["Cache"]);
    input.body = "New words.".into();
    Post::update(
        &mut app.conn(),
        post.id,
        &input.clone().render(),
        now() + Duration::seconds(5),
    )
    .unwrap();
    let after = b
        .send(
            &svc,
            test::TestRequest::get()
                .uri("/posts/cached-story")
                .insert_header((header::IF_NONE_MATCH, before.clone())),
        )
        .await;
    assert_eq!(after.status, StatusCode::OK);
    assert_ne!(header_of(&after, header::ETAG), before);
    let feed_after = b
        .send(
            &svc,
            test::TestRequest::get()
                .uri("/feed.xml")
                .insert_header((header::IF_MODIFIED_SINCE, modified)),
        )
        .await;
    assert_eq!(feed_after.status, StatusCode::OK);
}

#[actix_web::test]
async fn a_signed_in_reader_never_gets_a_304_for_the_signed_out_page() {
    let app = TestApp::new();
    app.post("Shared story", "Same words for all.", 1);
    let ann = app.user("ann", Role::Commenter);
    let cookie = broadsheet::auth::session::start(&mut app.conn(), ann.id, false).unwrap();
    let svc = app.service().await;
    let anonymous = Browser::new().get(&svc, "/posts/shared-story").await;
    let public_tag = header_of(&anonymous, header::ETAG);

    let mut signed_in = Browser::new();
    signed_in
        .cookies
        .insert(cookie.name().to_string(), cookie.value().to_string());
    let page = signed_in
        .send(
            &svc,
            test::TestRequest::get()
                .uri("/posts/shared-story")
                .insert_header((header::IF_NONE_MATCH, public_tag.clone())),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.contains("ann"));
    assert_ne!(header_of(&page, header::ETAG), public_tag);
    assert_eq!(header_of(&page, header::CACHE_CONTROL), "private, no-cache");
}

#[actix_web::test]
async fn responses_are_compressed_when_the_client_asks() {
    let app = TestApp::new();
    app.post("Compressed story", &"Many words repeated. ".repeat(200), 1);
    let svc = app.service().await;
    let mut b = Browser::new();
    let plain = b.get(&svc, "/posts/compressed-story").await;
    assert!(header_of(&plain, header::CONTENT_ENCODING).is_empty());

    let req = test::TestRequest::get()
        .uri("/posts/compressed-story")
        .insert_header((header::ACCEPT_ENCODING, "gzip"))
        .to_request();
    let res = test::call_service(&svc, req).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers().get(header::CONTENT_ENCODING).unwrap(), "gzip");
    assert!(res
        .headers()
        .get(header::VARY)
        .is_some_and(|v| v.to_str().unwrap_or("").contains("accept-encoding")));
    let gzip_tag = res.headers().get(header::ETAG).unwrap().clone();
    let bytes = test::read_body(res).await;
    let mut html = String::new();
    flate2::read::GzDecoder::new(&bytes[..])
        .read_to_string(&mut html)
        .unwrap();
    assert_eq!(html, plain.body);
    assert!(bytes.len() < plain.body.len() / 2);

    // Each coding has its own strong tag, and a 304 for it.
    assert_ne!(gzip_tag.to_str().unwrap(), header_of(&plain, header::ETAG));
    let req = test::TestRequest::get()
        .uri("/posts/compressed-story")
        .insert_header((header::ACCEPT_ENCODING, "gzip"))
        .insert_header((header::IF_NONE_MATCH, gzip_tag))
        .to_request();
    let res = test::call_service(&svc, req).await;
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);

    let req = test::TestRequest::get()
        .uri("/feed.xml")
        .insert_header((header::ACCEPT_ENCODING, "br"))
        .to_request();
    let res = test::call_service(&svc, req).await;
    assert_eq!(res.headers().get(header::CONTENT_ENCODING).unwrap(), "br");
}

#[actix_web::test]
async fn the_search_migration_indexes_existing_posts_as_plain_text() {
    use diesel::connection::SimpleConnection;
    use diesel::Connection;
    use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
    const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

    // A database as it was before search: only the first migration, one post.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    {
        let mut conn = diesel::SqliteConnection::establish(&path.to_string_lossy()).unwrap();
        conn.run_next_migration(MIGRATIONS).unwrap();
        conn.batch_execute(
            "INSERT INTO posts (slug, title, body, body_html, excerpt, status, published_at, \
             created_at, updated_at) VALUES ('old-post', 'Old post', \
             'The **quarry** reopened, see [this](https://example.com/secretword).', \
             '', '', 'published', '2025-01-01 00:00:00', '2025-01-01 00:00:00', \
             '2025-01-01 00:00:00')",
        )
        .unwrap();
    }
    let config = broadsheet::config::Config::for_database(path);
    let state = broadsheet::AppState::open(config).unwrap();
    let svc = crate::common::service(state).await;
    let mut b = Browser::new();
    let page = b.get(&svc, "/search?q=quarry").await;
    assert!(
        main_of(&page).contains("The <mark>quarry</mark> reopened, see this."),
        "{}",
        main_of(&page)
    );
    assert!(!main_of(&b.get(&svc, "/search?q=secretword").await).contains("Old post"));
}

#[actix_web::test]
async fn pages_are_found_by_search_and_the_sitemap_at_their_own_address_but_stay_out_of_feeds() {
    let app = TestApp::new();
    app.post_with("Lighthouse restored", |p| {
        p.body = "The lighthouse shines again.".into();
        p.tags = vec!["Coast".into()];
    });
    app.page("About the lighthouse", |p| {
        p.slug = "about".into();
        p.body = "Our office is in the old lighthouse.".into();
        p.tags = vec!["Coast".into()];
    });
    app.page("Unpublished page", |p| {
        p.published = false;
        p.body = "A lighthouse draft.".into();
    });
    let svc = app.service().await;
    let mut b = Browser::new();

    let results = b.get(&svc, "/search?q=lighthouse").await;
    assert!(results.contains("2 results"), "{}", results.body);
    assert!(results.contains(r#"<a href="/about">About the <mark>lighthouse</mark></a>"#));
    assert!(results.contains(r#"<a href="/posts/lighthouse-restored">"#));
    assert!(!results.contains("Unpublished page"));

    let (_, urls) = sitemap(&svc).await;
    let locs: Vec<&str> = urls.iter().map(|(loc, _)| loc.as_str()).collect();
    for expected in [
        "http://blog.test/about",
        "http://blog.test/posts/lighthouse-restored",
        "http://blog.test/tags",
        "http://blog.test/tags/coast",
    ] {
        assert!(locs.contains(&expected), "{expected} in {locs:?}");
    }
    for absent in [
        "http://blog.test/posts/about",
        "http://blog.test/unpublished-page",
    ] {
        assert!(!locs.contains(&absent), "{absent} in {locs:?}");
    }

    for uri in ["/feed.xml", "/tags/coast/feed.xml"] {
        let feed = parse_feed(&b.get(&svc, uri).await);
        let titles: Vec<&str> = feed.entries().iter().map(|e| e.title().as_str()).collect();
        assert_eq!(titles, ["Lighthouse restored"], "{uri}");
    }
}

/// The issue's measure: 16 connections sending distinct searches took an
/// unread article's median from 2.5 to 339 ms and `/healthz` from 1.1 to
/// 108 ms. Searches now hold a bounded share: with every turn taken and
/// the queue full, one more is told at once that search is busy (its query
/// kept in the box), while articles and `/healthz` answer as before.
#[actix_web::test]
async fn searches_past_their_share_are_told_to_come_back_while_articles_and_healthz_answer() {
    use broadsheet::state::Searches;
    use std::sync::Arc;
    use std::time::{Duration as Span, Instant};
    let app = TestApp::new();
    let post = app.post("Harbour wall holds", "The harbour wall held all night.", 1);
    let mut state = app.state();
    // One search at a time, and four waiting: the share of one core.
    state.searches = Arc::new(Searches::new(1));
    let searches = Arc::clone(&state.searches);
    let svc = crate::common::service(state).await;

    let running = searches.turn().await.expect("a free turn");
    let waiting: Vec<_> = (0..4)
        .map(|_| {
            let searches = Arc::clone(&searches);
            actix_web::rt::spawn(async move { searches.turn().await.map(drop).is_ok() })
        })
        .collect();
    // Each waiting search has taken its place in the queue.
    for _ in 0..20 {
        actix_web::rt::task::yield_now().await;
    }

    let timed = Instant::now();
    let busy = Browser::new().get(&svc, "/search?q=harbour+wall").await;
    assert_eq!(
        busy.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        busy.body
    );
    assert!(
        timed.elapsed() < Span::from_secs(1),
        "took {:?}",
        timed.elapsed()
    );
    assert!(busy.contains("Search busy"), "{}", busy.body);
    assert!(busy.contains("value=\"harbour wall\""), "{}", busy.body);
    assert!(busy.headers.contains_key(header::RETRY_AFTER));

    let timed = Instant::now();
    let article = Browser::new()
        .get(&svc, &format!("/posts/{}", post.slug))
        .await;
    assert_eq!(article.status, StatusCode::OK);
    let health = Browser::new().get(&svc, "/healthz").await;
    assert_eq!(health.status, StatusCode::OK);
    assert!(
        timed.elapsed() < Span::from_secs(1),
        "took {:?}",
        timed.elapsed()
    );

    // The turn given back: the waiting searches run, then this one does.
    drop(running);
    for search in waiting {
        assert!(search.await.unwrap(), "a waiting search got its turn");
    }
    let found = Browser::new().get(&svc, "/search?q=harbour+wall").await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.body);
    assert!(found.contains("<mark>Harbour</mark>"), "{}", found.body);
}

/// A search waits for a turn at most `SEARCH_WAIT`, then is answered busy
/// rather than left hanging.
#[actix_web::test]
async fn a_search_that_waits_too_long_for_a_turn_is_answered_busy() {
    use broadsheet::state::{Searches, SEARCH_WAIT};
    use std::sync::Arc;
    use std::time::Instant;
    let app = TestApp::new();
    app.post("Harbour wall holds", "The harbour wall held all night.", 1);
    let mut state = app.state();
    state.searches = Arc::new(Searches::new(1));
    let searches = Arc::clone(&state.searches);
    let svc = crate::common::service(state).await;
    let _running = searches.turn().await.expect("a free turn");
    let timed = Instant::now();
    let busy = Browser::new().get(&svc, "/search?q=wall").await;
    assert_eq!(
        busy.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        busy.body
    );
    assert!(timed.elapsed() >= SEARCH_WAIT);
    assert!(
        timed.elapsed() < SEARCH_WAIT * 2,
        "took {:?}",
        timed.elapsed()
    );
    assert!(busy.contains("value=\"wall\""), "{}", busy.body);
}
