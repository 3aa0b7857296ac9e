//! The WordPress export (WXR 1.2): `broadsheet export FILE` and
//! `GET /admin/export`, read back as WordPress's importer would read them.

use std::collections::HashMap;

use crate::common::{Browser, TestApp};
use actix_web::http::{header, StatusCode};
use broadsheet::commands;
use broadsheet::config::Config;
use broadsheet::markdown::render_comment;
use broadsheet::models::comment::NewComment;
use broadsheet::models::media::{Media, MediaFormat, NewMedia};
use broadsheet::models::post::PostFormat;
use broadsheet::models::{now, Comment, CommentStatus, Post, Role, User};
use chrono::{Duration, NaiveDateTime};
use roxmltree::{Document, Node};

const WP: &str = "http://wordpress.org/export/1.2/";
const CONTENT: &str = "http://purl.org/rss/1.0/modules/content/";
const EXCERPT: &str = "http://wordpress.org/export/1.2/excerpt/";
const DC: &str = "http://purl.org/dc/elements/1.1/";

const TRICKY_TITLE: &str = "Budget ]]> & <talks>";
const TRICKY_BODY: &str =
    "Numbers ]]> words & <b>bold</b> claims.\n\n![Harbour](/media/abc123.jpg)";

/// What the site holds, for the assertions.
struct Site {
    budget: Post,
    html_post: Post,
    page: Post,
    draft: Post,
    scheduled: Post,
    image: Media,
    cat: User,
    ann: User,
    first_comment: Comment,
    reply: Comment,
}

fn comment(
    app: &TestApp,
    post: &Post,
    author: Option<&User>,
    parent: Option<&Comment>,
    (body, status, at): (&str, CommentStatus, NaiveDateTime),
) -> Comment {
    let guest = author.is_none();
    Comment::create(
        &mut app.conn(),
        &NewComment {
            post_id: post.id,
            author_id: author.map(|a| a.id),
            parent_id: parent.map(|p| p.id),
            body,
            body_html: &render_comment(body),
            status,
            created_at: at,
            guest_name: if guest { "Gail Guest" } else { "" },
            guest_website: if guest {
                "https://gail.example/?a=1&b=2"
            } else {
                ""
            },
            guest_email: if guest { "gail@example.org" } else { "" },
        },
    )
    .unwrap()
}

/// Posts in every state, a page, tags (one with accents), a cover image, a
/// reply thread, a guest's comment and comments held, caught and deleted.
fn site(app: &TestApp) -> Site {
    let ann = app.user("ann", Role::Admin);
    let bob = app.user("bob", Role::Author);
    let cat = app.user("cat", Role::Commenter);
    User::set_display_name(&mut app.conn(), cat.id, "Cat Stevens").unwrap();
    let cat = User::find(&mut app.conn(), cat.id).unwrap().unwrap();
    // Signed up, never wrote anything: no author of the export.
    app.user("dan", Role::Commenter);
    let image = Media::create(
        &mut app.conn(),
        &NewMedia {
            hash: "hash-abc123",
            stem: "abc123",
            format: MediaFormat::Jpeg,
            width: 2560,
            height: 1440,
            bytes: 123_456,
            variants: "480,960",
            alt: "The harbour at dawn",
            original_name: "harbour.jpg",
            uploaded_by: Some(ann.id),
            created_at: now() - Duration::days(3),
        },
    )
    .unwrap();
    let two_days_ago = now() - Duration::days(2);
    let budget = app.post_with(TRICKY_TITLE, |p| {
        p.body = TRICKY_BODY.into();
        p.published_at = Some(two_days_ago);
        p.author_id = Some(bob.id);
        p.tags = vec!["Économie".into(), "Budget".into()];
        p.dateline = "Brussels".into();
        p.search_description = "Talks resume & stall".into();
        p.excerpt = "The short story ]]> of it.".into();
        p.cover_media_id = Some(image.id);
    });
    let html_post = app.post_with("Imported", |p| {
        p.format = PostFormat::Html;
        p.body = "<p>Brought in <em>as HTML</em>.</p>".into();
        p.published_at = Some(now() - Duration::days(1));
        p.comments_enabled = false;
    });
    let page = app.page("About", |_| {});
    let draft = app.post_with("Quiet plans", |p| {
        p.published = false;
        p.tags = vec!["Budget".into()];
    });
    let scheduled = app.post_with("Tomorrow's news", |p| {
        p.published_at = Some(now() + Duration::days(1));
    });
    let at = |minutes| two_days_ago + Duration::minutes(minutes);
    let first_comment = comment(
        app,
        &budget,
        Some(&cat),
        None,
        (
            "First ]]> & <i>thoughts</i>",
            CommentStatus::Approved,
            at(1),
        ),
    );
    let reply = comment(
        app,
        &budget,
        Some(&ann),
        Some(&first_comment),
        ("A reply from the desk.", CommentStatus::Approved, at(2)),
    );
    comment(
        app,
        &budget,
        None,
        None,
        ("Guest words.", CommentStatus::Approved, at(3)),
    );
    comment(
        app,
        &budget,
        Some(&cat),
        None,
        ("Waiting.", CommentStatus::Pending, at(4)),
    );
    comment(
        app,
        &budget,
        Some(&cat),
        None,
        ("Buy now!", CommentStatus::Spam, at(5)),
    );
    let gone = comment(
        app,
        &budget,
        Some(&cat),
        None,
        ("Regretted.", CommentStatus::Approved, at(6)),
    );
    Comment::remove(&mut app.conn(), gone.id).unwrap();
    Site {
        budget,
        html_post,
        page,
        draft,
        scheduled,
        image,
        cat,
        ann,
        first_comment,
        reply,
    }
}

/// Whether `node` is the element `name` in the namespace `ns` (`""`: none).
fn is(node: &Node<'_, '_>, ns: &str, name: &str) -> bool {
    node.is_element()
        && node.tag_name().name() == name
        && node.tag_name().namespace().unwrap_or("") == ns
}

/// The first child element `ns:name` of `node`.
fn child<'a, 'i>(node: Node<'a, 'i>, ns: &str, name: &str) -> Option<Node<'a, 'i>> {
    node.children().find(|n| is(n, ns, name))
}

fn children<'a, 'i>(node: Node<'a, 'i>, ns: &str, name: &str) -> Vec<Node<'a, 'i>> {
    node.children().filter(|n| is(n, ns, name)).collect()
}

/// Every character of an element, across its CDATA sections.
fn text_of(node: Node<'_, '_>) -> String {
    node.descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect()
}

/// The text of the child `ns:name`; panics when there is none.
fn field(node: Node<'_, '_>, ns: &str, name: &str) -> String {
    text_of(child(node, ns, name).unwrap_or_else(|| panic!("no {ns}{name}")))
}

/// An item's postmeta, by key.
fn meta(item: Node<'_, '_>) -> HashMap<String, String> {
    children(item, WP, "postmeta")
        .into_iter()
        .map(|m| (field(m, WP, "meta_key"), field(m, WP, "meta_value")))
        .collect()
}

/// The items, by wp:post_id.
fn items<'a, 'i>(doc: &'a Document<'i>) -> HashMap<i64, Node<'a, 'i>> {
    let channel = child(doc.root_element(), "", "channel").expect("a channel");
    children(channel, "", "item")
        .into_iter()
        .map(|item| (field(item, WP, "post_id").parse().unwrap(), item))
        .collect()
}

/// Checks an export of `site` as a person moving to WordPress would notice it.
fn check_export(xml: &str, site: &Site) {
    let doc = Document::parse(xml).expect("well-formed XML");
    let rss = doc.root_element();
    assert!(rss.has_tag_name("rss"));
    assert_eq!(rss.attribute("version"), Some("2.0"));
    let channel = child(rss, "", "channel").unwrap();
    assert_eq!(field(channel, WP, "wxr_version"), "1.2");
    assert_eq!(field(channel, WP, "base_site_url"), "http://blog.test");
    assert_eq!(field(channel, WP, "base_blog_url"), "http://blog.test");
    assert_eq!(field(channel, "", "link"), "http://blog.test");
    assert_eq!(field(channel, "", "title"), "Broadsheet");

    // The people who wrote something, each once; not the silent reader.
    let authors: Vec<String> = children(channel, WP, "author")
        .into_iter()
        .map(|a| field(a, WP, "author_login"))
        .collect();
    assert_eq!(authors, ["ann", "bob", "cat"]);
    let cat = children(channel, WP, "author")
        .into_iter()
        .find(|a| field(*a, WP, "author_login") == "cat")
        .unwrap();
    assert_eq!(field(cat, WP, "author_id"), site.cat.id.to_string());
    assert_eq!(field(cat, WP, "author_email"), "cat@example.com");
    assert_eq!(field(cat, WP, "author_display_name"), "Cat Stevens");

    let mut tags: Vec<(String, String)> = children(channel, WP, "tag")
        .into_iter()
        .map(|t| (field(t, WP, "tag_slug"), field(t, WP, "tag_name")))
        .collect();
    tags.sort();
    // Every tag, the welcome post's (deleted with it) included.
    assert_eq!(
        tags,
        [
            ("broadsheet".to_string(), "Broadsheet".to_string()),
            ("budget".to_string(), "Budget".to_string()),
            ("economie".to_string(), "Économie".to_string()),
        ]
    );

    let items = items(&doc);
    let mut kinds: HashMap<String, usize> = HashMap::new();
    for item in items.values() {
        *kinds.entry(field(*item, WP, "post_type")).or_default() += 1;
    }
    assert_eq!(kinds.get("post"), Some(&4), "{kinds:?}");
    assert_eq!(kinds.get("page"), Some(&1), "{kinds:?}");
    assert_eq!(kinds.get("attachment"), Some(&1), "{kinds:?}");

    // States as WordPress names them.
    let item = |post: &Post| items[&i64::from(post.id)];
    let status = |post: &Post| field(item(post), WP, "status");
    assert_eq!(status(&site.budget), "publish");
    assert_eq!(status(&site.page), "publish");
    assert_eq!(status(&site.draft), "draft");
    assert_eq!(status(&site.scheduled), "future");
    assert_eq!(
        field(item(&site.draft), WP, "post_date_gmt"),
        "0000-00-00 00:00:00"
    );
    assert_eq!(
        field(item(&site.draft), WP, "post_date"),
        site.draft
            .created_at
            .format("%Y-%m-%d %H:%M:%S")
            .to_string()
    );

    // The image: an attachment whose id clashes with no post's, its file
    // at an absolute address, its alt text kept.
    let (&attachment_id, attachment) = items
        .iter()
        .find(|(_, i)| field(**i, WP, "post_type") == "attachment")
        .unwrap();
    let largest_post_id = [&site.budget, &site.html_post, &site.page, &site.draft]
        .iter()
        .map(|p| p.id)
        .chain([site.scheduled.id])
        .max()
        .unwrap();
    assert!(attachment_id > i64::from(largest_post_id));
    assert_eq!(
        field(*attachment, WP, "attachment_url"),
        "http://blog.test/media/abc123.jpg"
    );
    assert_eq!(field(*attachment, WP, "status"), "inherit");
    assert_eq!(field(*attachment, "", "title"), "harbour");
    assert_eq!(field(*attachment, DC, "creator"), "ann");
    assert_eq!(
        meta(*attachment)["_wp_attachment_image_alt"],
        site.image.alt
    );

    // The post: its exact title, absolute addresses, tags in order, cover,
    // and what a Broadsheet import needs to restore its source.
    let budget = item(&site.budget);
    assert_eq!(field(budget, "", "title"), TRICKY_TITLE);
    assert_eq!(
        field(budget, "", "link"),
        format!("http://blog.test/posts/{}", site.budget.slug)
    );
    let guid = child(budget, "", "guid").unwrap();
    assert_eq!(guid.attribute("isPermaLink"), Some("false"));
    assert_eq!(
        text_of(guid),
        format!("http://blog.test/?p={}", site.budget.id)
    );
    assert_eq!(field(budget, DC, "creator"), "bob");
    assert_eq!(
        field(budget, CONTENT, "encoded"),
        site.budget
            .body_html
            .replace("\"/media/", "\"http://blog.test/media/")
    );
    assert!(field(budget, CONTENT, "encoded").contains("]]&gt; words &amp; "));
    assert_eq!(
        field(budget, EXCERPT, "encoded"),
        "The short story ]]> of it."
    );
    assert_eq!(field(budget, WP, "comment_status"), "open");
    assert_eq!(field(budget, WP, "post_name"), site.budget.slug);
    let categories: Vec<(Option<&str>, Option<&str>, String)> = children(budget, "", "category")
        .into_iter()
        .map(|c| (c.attribute("domain"), c.attribute("nicename"), text_of(c)))
        .collect();
    assert_eq!(
        categories,
        [
            (Some("post_tag"), Some("economie"), "Économie".to_string()),
            (Some("post_tag"), Some("budget"), "Budget".to_string()),
        ]
    );
    let budget_meta = meta(budget);
    assert_eq!(budget_meta["_thumbnail_id"], attachment_id.to_string());
    assert_eq!(budget_meta["_broadsheet_format"], "markdown");
    assert_eq!(budget_meta["_broadsheet_body"], TRICKY_BODY);
    assert_eq!(budget_meta["_broadsheet_dateline"], "Brussels");
    assert_eq!(
        budget_meta["_broadsheet_search_description"],
        "Talks resume & stall"
    );

    let html_meta = meta(item(&site.html_post));
    assert_eq!(html_meta["_broadsheet_format"], "html");
    assert_eq!(
        html_meta["_broadsheet_body"],
        "<p>Brought in <em>as HTML</em>.</p>"
    );
    assert!(!html_meta.contains_key("_broadsheet_dateline"));
    assert!(!html_meta.contains_key("_thumbnail_id"));
    assert_eq!(field(item(&site.html_post), WP, "comment_status"), "closed");

    let page = item(&site.page);
    assert_eq!(field(page, WP, "post_type"), "page");
    assert_eq!(field(page, "", "link"), "http://blog.test/about");
    assert_eq!(field(page, DC, "creator"), "");

    // Comments, oldest first, with their thread, moderation states and
    // their authors as the owner knows them.
    let comments = children(budget, WP, "comment");
    assert_eq!(comments.len(), 6);
    let by = |n: usize, name: &str| field(comments[n], WP, name);
    assert_eq!(by(0, "comment_id"), site.first_comment.id.to_string());
    assert_eq!(by(0, "comment_content"), "First ]]> & <i>thoughts</i>");
    assert_eq!(by(0, "comment_author"), "Cat Stevens");
    assert_eq!(by(0, "comment_author_email"), "cat@example.com");
    assert_eq!(by(0, "comment_user_id"), site.cat.id.to_string());
    assert_eq!(by(0, "comment_parent"), "0");
    assert_eq!(by(1, "comment_id"), site.reply.id.to_string());
    assert_eq!(by(1, "comment_parent"), site.first_comment.id.to_string());
    assert_eq!(by(1, "comment_user_id"), site.ann.id.to_string());
    assert_eq!(by(2, "comment_author"), "Gail Guest");
    assert_eq!(by(2, "comment_author_email"), "gail@example.org");
    assert_eq!(by(2, "comment_author_url"), "https://gail.example/?a=1&b=2");
    assert_eq!(by(2, "comment_user_id"), "0");
    let approved: Vec<String> = (0..6).map(|n| by(n, "comment_approved")).collect();
    assert_eq!(approved, ["1", "1", "1", "0", "spam", "trash"]);
    assert!((0..6).all(|n| by(n, "comment_type") == "comment"));
    assert!(children(item(&site.draft), WP, "comment").is_empty());
}

fn config_for(app: &TestApp) -> Config {
    let mut config = app.config();
    config.base_url = Some("http://blog.test/".into());
    config
}

#[test]
fn the_export_holds_the_whole_site_as_wordpress_reads_it() {
    let app = TestApp::new();
    let site = site(&app);
    let mut xml = Vec::new();
    let done =
        broadsheet::export::write_wxr(&mut app.conn(), &mut xml, "http://blog.test").unwrap();
    assert_eq!(
        (
            done.posts,
            done.pages,
            done.comments,
            done.tags,
            done.authors,
            done.media
        ),
        (4, 1, 6, 3, 3, 1)
    );
    let xml = String::from_utf8(xml).expect("UTF-8");
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    // The end marker inside a title is split across two CDATA sections.
    assert!(xml.contains("<title><![CDATA[Budget ]]]]><![CDATA[> & <talks>]]></title>"));
    check_export(&xml, &site);
}

#[test]
fn a_post_body_that_looks_like_php_data_reaches_wordpress_as_text() {
    let app = TestApp::new();
    let body = r#"O:8:"stdClass":1:{s:1:"a";i:1;}"#;
    let post = app.post_with("Serialized", |p| p.body = body.into());
    let mut xml = Vec::new();
    broadsheet::export::write_wxr(&mut app.conn(), &mut xml, "http://blog.test").unwrap();
    let xml = String::from_utf8(xml).unwrap();
    let doc = Document::parse(&xml).unwrap();
    let stored = &meta(items(&doc)[&i64::from(post.id)])["_broadsheet_body"];
    // WordPress's importer unserializes postmeta: this is the string `body`.
    assert_eq!(stored, &format!("s:{}:\"{body}\";", body.len()));
}

#[test]
fn the_export_command_writes_the_file_whole_and_refuses_a_missing_database() {
    let app = TestApp::new();
    let site = site(&app);
    let file = app.dir.path().join("site.xml");
    commands::export(config_for(&app), &file).unwrap();
    let xml = std::fs::read_to_string(&file).unwrap();
    check_export(&xml, &site);
    assert!(!app.dir.path().join("site.xml.partial").exists());

    // Again over the same file: replaced whole.
    commands::export(config_for(&app), &file).unwrap();
    check_export(&std::fs::read_to_string(&file).unwrap(), &site);

    // Nowhere to write: an error, and nothing left behind.
    let nowhere = app.dir.path().join("no-such-folder").join("site.xml");
    let err = commands::export(config_for(&app), &nowhere).unwrap_err();
    assert!(err.to_string().contains("cannot write"), "{err}");

    let missing = app.dir.path().join("missing.db");
    let out = app.dir.path().join("other.xml");
    let err = commands::export(Config::for_database(missing.clone()), &out).unwrap_err();
    assert!(err.to_string().contains("there is no database"), "{err}");
    assert!(!missing.exists(), "the command created no database");
    assert!(!out.exists());
}

#[actix_web::test]
async fn admins_download_the_export_and_nobody_else_may() {
    let app = TestApp::new();
    let site = site(&app);
    let svc = app.service().await;

    let mut visitor = Browser::new();
    let res = visitor.get(&svc, "/admin/export").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location(), "/login?next=%2Fadmin%2Fexport");

    for (name, role) in [("eve", Role::Commenter), ("fay", Role::Author)] {
        app.user(name, role);
        let mut browser = Browser::new();
        browser.login(&svc, &app, name).await;
        let res = browser.get(&svc, "/admin/export").await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{name}");
        assert!(!res.contains("<rss"));
    }
    let mut author = Browser::new();
    author.login(&svc, &app, "fay").await;
    assert!(!author
        .get(&svc, "/admin")
        .await
        .contains("href=\"/admin/export\""));

    let mut admin = Browser::new();
    admin.login(&svc, &app, "ann").await;
    assert!(admin
        .get(&svc, "/admin")
        .await
        .contains("href=\"/admin/export\""));
    let res = admin.get(&svc, "/admin/export").await;
    assert_eq!(res.status, StatusCode::OK);
    let headers = |name| {
        res.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    assert_eq!(
        headers(header::CONTENT_TYPE),
        "application/xml; charset=utf-8"
    );
    assert_eq!(
        headers(header::CONTENT_DISPOSITION),
        format!(
            "attachment; filename=\"broadsheet-{}.xml\"",
            now().format("%Y-%m-%d")
        )
    );
    assert_eq!(headers(header::CACHE_CONTROL), "no-store");
    // Streamed past the ETag middleware, not read into memory for a hash.
    assert!(!res.headers.contains_key(header::ETAG));
    // Sent as the site's address names it (the test app's has no slash).
    check_export(&res.body, &site);
    // The temporary file is gone.
    let left: Vec<String> = std::fs::read_dir(app.dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains("export"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[actix_web::test]
async fn a_second_export_while_one_runs_is_told_to_wait() {
    let app = TestApp::new();
    app.user("ann", Role::Admin);
    let svc = app.service().await;
    let mut admin = Browser::new();
    admin.login(&svc, &app, "ann").await;

    let running = app.state.exports.try_acquire().unwrap();
    let res = admin.get(&svc, "/admin/export").await;
    assert_eq!(res.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(res.contains("An export of this site is being prepared already"));
    assert!(res.contains("<html"), "an error page in the site's layout");

    drop(running);
    let res = admin.get(&svc, "/admin/export").await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(Document::parse(&res.body).is_ok());

    // Compressed on the way out for a client that asks, still whole.
    let cookies: Vec<String> = admin
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let req = actix_web::test::TestRequest::get()
        .uri("/admin/export")
        .insert_header((header::COOKIE, cookies.join("; ")))
        .insert_header((header::ACCEPT_ENCODING, "gzip"))
        .to_request();
    let res = actix_web::test::call_service(&svc, req).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers().get(header::CONTENT_ENCODING).unwrap(), "gzip");
    let bytes = actix_web::test::read_body(res).await;
    let mut xml = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut xml).unwrap();
    assert!(Document::parse(&xml).is_ok());
}
