//! Moving a WordPress blog in: posts, pages, tags, comment threads, guests,
//! authors and old addresses from a hand-written export with the odd
//! corners real ones have; running it again changes nothing; broken files
//! are refused by line with what came before kept.

use crate::common::{Browser, TestApp};
use actix_web::http::StatusCode;
use broadsheet::import::{self, Options, Report};
use broadsheet::schema::{comments, posts, users};
use diesel::prelude::*;

const WORDPRESS: &str = include_str!("fixtures/wordpress.xml");

fn import_text(app: &TestApp, text: &str) -> Report {
    import::run(
        &app.state.pool,
        text.as_bytes(),
        &Options::default(),
        |_| {},
    )
    .unwrap()
}

fn post_rows(app: &TestApp) -> Vec<(String, String, String, String)> {
    posts::table
        .order(posts::id)
        .select((posts::slug, posts::title, posts::status, posts::kind))
        .load(&mut app.conn())
        .unwrap()
}

fn comment_count(app: &TestApp) -> i64 {
    comments::table.count().get_result(&mut app.conn()).unwrap()
}

#[actix_web::test]
async fn a_wordpress_export_moves_in_with_its_threads_guests_and_old_links() {
    let app = TestApp::new();
    // A reader who already has an account here, by the email they used there.
    let mara = app.user("maraq", broadsheet::models::Role::Commenter);
    diesel::update(users::table.find(mara.id))
        .set(users::email.eq("MARA@harbour.example.org"))
        .execute(&mut app.conn())
        .unwrap();
    let before = post_rows(&app).len();

    let report = import_text(&app, WORDPRESS);
    assert_eq!(report.error, None, "{:#?}", report);
    assert_eq!((report.posts, report.pages), (6, 1), "{:#?}", report);
    // 100, 101, 102, 103 approved, 104 spam, 105 held; the pingback and the
    // trashed one are not brought in.
    assert_eq!(report.comments, 6, "{:#?}", report);
    assert_eq!(report.skipped.get("in the trash"), Some(&1));
    assert_eq!(report.skipped.get("comments in the trash"), Some(&1));
    assert_eq!(report.skipped.get("pingbacks and trackbacks"), Some(&1));
    assert_eq!(
        report
            .skipped
            .get("attachment entries (the images posts show come in with the old site's files: import --media-from DIR on the command line)"),
        Some(&1)
    );
    assert!(
        report.skipped.keys().any(|k| k.contains("nav_menu_item")),
        "{:?}",
        report.skipped
    );
    assert_eq!(
        report.new_accounts,
        vec!["old-hand".to_string()],
        "mara has an account here already"
    );
    assert_eq!(
        report.sticky_posts,
        vec!["“Storm closes the harbour”".to_string()]
    );
    assert_eq!(report.external_images, 1);
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("comment 103 answers comment 99")),
        "{:#?}",
        report.warnings
    );
    let text = report.lines().join("\n");
    assert!(
        text.contains("Imported 6 posts, 1 page, 6 comments (5 by guests)"),
        "{text}"
    );

    let rows = post_rows(&app);
    assert_eq!(rows.len(), before + 7);
    let imported: Vec<_> = rows[before..]
        .iter()
        .map(|r| (r.0.as_str(), r.2.as_str(), r.3.as_str()))
        .collect();
    assert_eq!(
        imported,
        vec![
            ("storm-closes-the-harbour", "published", "post"),
            ("novosti", "published", "post"),
            ("storm-closes-the-harbour-2", "published", "post"),
            ("about", "published", "page"),
            ("half-written-piece", "draft", "post"),
            ("members-only", "draft", "post"),
            ("next-weeks-tides", "published", "post"),
        ],
        "{rows:?}"
    );

    let svc = app.service().await;
    let mut reader = Browser::new();
    let story = reader.get(&svc, "/posts/storm-closes-the-harbour").await;
    assert_eq!(story.status, StatusCode::OK);
    // WordPress's paragraphs, the caption as a figure, no script.
    assert!(
        story.contains("<p>The storm came in at dawn.<br>"),
        "{}",
        story.body
    );
    assert!(story.contains("<figure"), "{}", story.body);
    assert!(story.contains("<figcaption>Waves over the quay</figcaption>"));
    assert!(!story.contains("alert(\"boo\")"));
    assert!(story.contains("Nobody was hurt &amp; the pier held."));
    // Tags from the category and the tag, not "Uncategorized".
    assert!(story.contains("/tags/shipping") && story.contains("/tags/storms"));
    assert!(!story.contains("/tags/uncategorized"));
    // The thread: a guest, a reply by the account with mara's email, a reply to that.
    assert!(story.contains("Pat Reader"), "{}", story.body);
    assert!(
        story.contains(
            r#"<a href="https://pat.example" rel="nofollow ugc noopener">Pat Reader</a>"#
        ),
        "{}",
        story.body
    );
    assert!(story.contains(">guest<"));
    assert!(
        !story.contains("pat@reader.example"),
        "a guest's email is never shown"
    );
    assert!(story.contains("<b>Stay dry!</b>"), "{}", story.body);
    assert!(story.contains("A reply to a reply."));
    assert!(!story.contains("Buy now") && !story.contains("Waiting for moderation."));
    let parents: Vec<(String, Option<i32>, Option<i32>)> = comments::table
        .order(comments::id)
        .select((comments::body, comments::parent_id, comments::author_id))
        .load(&mut app.conn())
        .unwrap();
    let id_of = |body: &str| {
        comments::table
            .filter(comments::body.eq(body))
            .select(comments::id)
            .first::<i32>(&mut app.conn())
            .unwrap()
    };
    let find = |body: &str| parents.iter().find(|p| p.0 == body).unwrap().clone();
    assert_eq!(
        find("Thank you, Pat.").1,
        Some(id_of("Glad everyone is safe.\n\n<b>Stay dry!</b>"))
    );
    assert_eq!(
        find("Thank you, Pat.").2,
        Some(mara.id),
        "linked to the account by email"
    );
    assert_eq!(
        find("A reply to a reply.").1,
        Some(id_of("Thank you, Pat."))
    );
    assert_eq!(find("My parent was deleted.").1, None);

    // Old addresses: the permalink, ?p=, ?page_id=, the dated form, the
    // category and tag pages.
    for (from, to) in [
        (
            "/2020/05/03/storm-closes-the-harbour/",
            "/posts/storm-closes-the-harbour",
        ),
        ("/?p=12", "/posts/storm-closes-the-harbour"),
        ("/?p=14", "/posts/storm-closes-the-harbour-2"),
        (
            "/2020/05/10/%d0%bd%d0%be%d0%b2%d0%be%d1%81%d1%82%d0%b8/",
            "/posts/novosti",
        ),
        ("/?page_id=2", "/about"),
        ("/about/", "/about"),
        ("/category/shipping/", "/tags/shipping"),
        ("/tag/storms/", "/tags/storms"),
    ] {
        let res = reader.get(&svc, from).await;
        assert_eq!(res.status, StatusCode::MOVED_PERMANENTLY, "{from}");
        assert_eq!(res.location(), to, "{from}");
    }
    // The page is a page; the scheduled post waits; the draft is hidden.
    assert_eq!(reader.get(&svc, "/about").await.status, StatusCode::OK);
    assert_eq!(
        reader.get(&svc, "/posts/next-weeks-tides").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        reader.get(&svc, "/posts/half-written-piece").await.status,
        StatusCode::NOT_FOUND
    );

    // The author without an email has an account that cannot sign in.
    let (email, hash): (String, String) = users::table
        .filter(users::username.eq("old-hand"))
        .select((users::email, users::password_hash))
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(email, "old-hand@imported.invalid");
    assert!(!broadsheet::auth::password::verify(
        "",
        Some(&hash),
        Default::default()
    ));
}

#[actix_web::test]
async fn running_the_same_import_again_changes_nothing() {
    let app = TestApp::new();
    let first = import_text(&app, WORDPRESS);
    let rows = post_rows(&app);
    let comments = comment_count(&app);
    let redirects = broadsheet::models::redirect::Redirect::count(&mut app.conn()).unwrap();

    let again = import_text(&app, WORDPRESS);
    assert_eq!(again.error, None);
    assert_eq!(
        (again.posts, again.pages, again.comments, again.authors),
        (0, 0, 0, 0),
        "{again:#?}"
    );
    assert_eq!(again.already_here, 7 + first.comments);
    assert_eq!(post_rows(&app), rows);
    assert_eq!(comment_count(&app), comments);
    assert_eq!(
        broadsheet::models::redirect::Redirect::count(&mut app.conn()).unwrap(),
        redirects
    );
}

#[actix_web::test]
async fn an_interrupted_import_continues_where_it_stopped() {
    let app = TestApp::new();
    // The file cut in the middle of the third item.
    let cut = WORDPRESS.find("Same title, a year later").unwrap();
    let report = import_text(&app, &WORDPRESS[..cut]);
    let error = report.error.clone().expect("a truncated file is an error");
    assert!(error.starts_with("line "), "{error}");
    assert!(
        error.contains("truncated") || error.contains("not well-formed"),
        "{error}"
    );
    assert_eq!(
        report.posts, 2,
        "the two whole items before the cut are kept: {report:#?}"
    );
    assert!(report.lines().join("\n").contains("run the import again"));

    let rest = import_text(&app, WORDPRESS);
    assert_eq!(rest.error, None);
    assert_eq!((rest.posts, rest.pages), (4, 1), "{rest:#?}");
    assert_eq!(
        post_rows(&app)
            .iter()
            .filter(|r| r.0.starts_with("storm-closes"))
            .count(),
        2
    );
}

#[actix_web::test]
async fn files_that_are_not_exports_are_refused_with_the_reason() {
    let app = TestApp::new();
    let before = post_rows(&app).len();
    for (text, says) in [
        ("", "the file is empty"),
        ("   \n", "no XML element"),
        ("<html><body>Hello</body></html>", "not a WordPress or Blogger export"),
        ("<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel><title>A feed</title><item><title>x</title></item></channel></rss>", "it is a feed, not an export"),
        ("<rss><channel>\n<item><title>a</title></chanel></rss>", "line 2"),
        // An entity from a DOCTYPE is never expanded ("billion laughs", XXE).
        ("<?xml version=\"1.0\"?>\n<!DOCTYPE rss [<!ENTITY lol \"lol\"><!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n<rss xmlns:wp=\"http://wordpress.org/export/1.2/\"><channel><item><title>&lol;&xxe;</title><wp:post_id>1</wp:post_id></item></channel></rss>", "never expanded"),
    ] {
        let report = import_text(&app, text);
        let error = report.error.clone().unwrap_or_default();
        assert!(error.contains(says), "{text:?}: {error:?}");
    }
    assert_eq!(post_rows(&app).len(), before, "nothing was imported");
}

#[actix_web::test]
async fn older_wxr_namespaces_are_read_the_same() {
    let app = TestApp::new();
    let old = WORDPRESS
        .replace(
            "http://wordpress.org/export/1.2/",
            "http://wordpress.org/export/1.0/",
        )
        .replace("<wp:wxr_version>1.2", "<wp:wxr_version>1.0");
    let report = import_text(&app, &old);
    assert_eq!(report.error, None);
    assert_eq!((report.posts, report.pages, report.comments), (6, 1, 6));
}

#[actix_web::test]
async fn a_dry_run_reports_and_writes_nothing() {
    let app = TestApp::new();
    let before = post_rows(&app).len();
    let report = import::run(
        &app.state.pool,
        WORDPRESS.as_bytes(),
        &Options {
            dry_run: true,
            ..Options::default()
        },
        |_| {},
    )
    .unwrap();
    assert_eq!(report.error, None);
    assert_eq!((report.posts, report.pages, report.comments), (6, 1, 6));
    assert!(report
        .lines()
        .join("\n")
        .contains("Dry run: nothing was written."));
    assert_eq!(post_rows(&app).len(), before);
    assert_eq!(comment_count(&app), 0);
}

/// Posts, pages, tags and comment threads (guests included) of a site as
/// the round trip compares them: by title, in order.
fn site_contents(app: &TestApp) -> Vec<String> {
    let mut conn = app.conn();
    let posts: Vec<(i32, String, String, String, String, String, String)> = posts::table
        .order(posts::title)
        .select((
            posts::id,
            posts::title,
            posts::slug,
            posts::body,
            posts::status,
            posts::kind,
            posts::format,
        ))
        .load(&mut conn)
        .unwrap();
    let mut out = Vec::new();
    for (id, title, slug, body, status, kind, format) in posts {
        let tags: Vec<String> = broadsheet::schema::post_tags::table
            .inner_join(broadsheet::schema::tags::table)
            .filter(broadsheet::schema::post_tags::post_id.eq(id))
            .order(broadsheet::schema::post_tags::position)
            .select(broadsheet::schema::tags::name)
            .load(&mut conn)
            .unwrap();
        out.push(format!(
            "{kind} {status} {format} {slug} {title:?} {body:?} {tags:?}"
        ));
        let comments: Vec<(i32, Option<i32>, String, String, String, String)> = comments::table
            .filter(comments::post_id.eq(id))
            .filter(comments::status.ne("deleted"))
            // Ids differ between sites; the order by time does not.
            .order((comments::created_at, comments::body))
            .select((
                comments::id,
                comments::parent_id,
                comments::body,
                comments::status,
                comments::guest_name,
                comments::guest_email,
            ))
            .load(&mut conn)
            .unwrap();
        for (_, parent, body, status, guest, email) in &comments {
            let parent = parent
                .and_then(|p| comments.iter().find(|c| c.0 == p))
                .map(|c| c.2.clone());
            out.push(format!(
                "  {status} {body:?} reply to {parent:?} guest {guest:?} {email:?}"
            ));
        }
    }
    out
}

#[actix_web::test]
async fn an_export_imported_into_a_fresh_site_gives_back_the_same_site() {
    let app = TestApp::new();
    import_text(&app, WORDPRESS);
    let mut file = Vec::new();
    broadsheet::export::write_wxr(&mut app.conn(), &mut file, "https://gazette.example").unwrap();

    let fresh = TestApp::new();
    let text = String::from_utf8(file).unwrap();
    let report = import_text(&fresh, &text);
    assert_eq!(report.error, None, "{report:#?}");
    let (before, after) = (site_contents(&app), site_contents(&fresh));
    assert_eq!(after, before);
    assert!(
        before
            .iter()
            .any(|l| l.contains("reply to Some(\"Thank you, Pat.\")")),
        "{before:#?}"
    );
}

#[actix_web::test]
async fn an_item_with_more_text_than_the_bound_is_skipped_and_the_rest_imported() {
    let app = TestApp::new();
    // One post whose content is over the 4 MB an element may hold.
    let huge = "word ".repeat(17 * 1024 * 1024 / 5);
    let at = WORDPRESS.find("\t<item>").unwrap();
    let text = format!(
        "{}<item><title>Huge</title><content:encoded><![CDATA[{huge}]]></content:encoded>\
         <wp:post_id>900</wp:post_id><wp:status>publish</wp:status><wp:post_type>post</wp:post_type></item>\n{}",
        &WORDPRESS[..at],
        &WORDPRESS[at..]
    );
    let report = import_text(&app, &text);
    assert_eq!(report.error, None);
    assert!(
        report.skipped.keys().any(|k| k.starts_with(
            "larger than an import takes (4 MB a text, 32 MB an item): “Huge” (line "
        )),
        "{:?}",
        report.skipped
    );
    assert_eq!(
        (report.posts, report.pages),
        (6, 1),
        "the other items come in"
    );
    assert!(post_rows(&app).iter().all(|r| r.1 != "Huge"));
}

#[actix_web::test]
async fn an_export_declaring_more_authors_than_the_bound_gets_accounts_for_the_first_thousand() {
    let app = TestApp::new();
    let users_before: i64 = users::table.count().get_result(&mut app.conn()).unwrap();
    let authors: String = (1..=1002)
        .map(|n| {
            format!(
                "<wp:author><wp:author_id>{n}</wp:author_id><wp:author_login>writer{n}</wp:author_login>\
                 <wp:author_email>writer{n}@old.example</wp:author_email></wp:author>\n"
            )
        })
        .collect();
    let text = format!(
        "<rss xmlns:wp=\"http://wordpress.org/export/1.2/\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\
         <channel><title>Crowded</title><link>https://crowded.example</link>\n{authors}\
         <item><title>By the last one</title><dc:creator>writer1002</dc:creator><wp:post_id>1</wp:post_id>\
         <wp:status>publish</wp:status><wp:post_type>post</wp:post_type><wp:post_name>last</wp:post_name></item>\
         </channel></rss>"
    );
    let report = import_text(&app, &text);
    assert_eq!(report.error, None, "{report:#?}");
    assert_eq!(report.authors, 1000);
    assert_eq!(
        report
            .skipped
            .get("authors beyond the first 1000 (their posts are by the editors)"),
        Some(&2)
    );
    let users_after: i64 = users::table.count().get_result(&mut app.conn()).unwrap();
    assert_eq!(users_after - users_before, 1000);
    // The post still comes in, by nobody in particular.
    assert_eq!(report.posts, 1);
    let author: Option<i32> = posts::table
        .filter(posts::slug.eq("last"))
        .select(posts::author_id)
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(author, None);
}

/// A WordPress item with the given id, status and password, holding one
/// approved comment.
fn item(id: u32, title: &str, post_type: &str, status: &str, password: &str) -> String {
    format!(
        "<item><title>{title}</title><content:encoded><![CDATA[The text of {title}.]]></content:encoded>\
         <wp:post_id>{id}</wp:post_id><wp:post_date_gmt>2020-05-03 09:30:00</wp:post_date_gmt>\
         <wp:post_name>{id}-{post_type}</wp:post_name><wp:status>{status}</wp:status>\
         <wp:post_type>{post_type}</wp:post_type><wp:post_password>{password}</wp:post_password>\
         <wp:comment><wp:comment_id>{id}1</wp:comment_id><wp:comment_author>Pat</wp:comment_author>\
         <wp:comment_date_gmt>2020-05-03 11:00:00</wp:comment_date_gmt>\
         <wp:comment_content>Secret reply on {title}</wp:comment_content>\
         <wp:comment_approved>1</wp:comment_approved></wp:comment></item>\n"
    )
}

/// The fixture's channel with `items` in place of its own.
fn export_of(items: &str) -> String {
    let at = WORDPRESS.find("\t<item>").unwrap();
    let end = WORDPRESS.rfind("</channel>").unwrap();
    format!("{}{items}{}", &WORDPRESS[..at], &WORDPRESS[end..])
}

#[actix_web::test]
async fn protected_private_and_pending_posts_come_in_as_drafts_and_the_report_names_them() {
    let app = TestApp::new();
    let text = export_of(
        &[
            item(700, "Open letter", "post", "publish", ""),
            item(701, "Members news", "post", "publish", "hunter2"),
            item(702, "Board minutes", "page", "private", ""),
            item(703, "Awaiting review", "post", "pending", ""),
            item(704, "Half done", "post", "draft", ""),
            item(705, "Private and locked", "post", "private", "hunter2"),
        ]
        .concat(),
    );

    // The dry run names them as the import will.
    let dry = import::run(
        &app.state.pool,
        text.as_bytes(),
        &Options {
            dry_run: true,
            ..Options::default()
        },
        |_| {},
    )
    .unwrap();
    let report = import_text(&app, &text);
    assert_eq!(report.error, None, "{report:#?}");
    let named = vec![
        "“Members news” (password-protected)".to_string(),
        "“Board minutes” (private)".to_string(),
        "“Awaiting review” (pending review)".to_string(),
        "“Half done” (a draft)".to_string(),
        "“Private and locked” (password-protected)".to_string(),
    ];
    assert_eq!(report.not_public, named);
    assert_eq!(dry.not_public, named);
    let text_lines = report.lines().join("\n");
    assert!(
        text_lines.contains(
            "Not public at the old site, so they came in as drafts, for you to publish or not: \
             “Members news” (password-protected), “Board minutes” (private)"
        ),
        "{text_lines}"
    );
    assert!(
        dry.lines()
            .join("\n")
            .contains("so they would come in as drafts"),
        "{:?}",
        dry.lines()
    );

    let statuses: Vec<(String, String)> = post_rows(&app)
        .into_iter()
        .filter(|r| r.0.starts_with("70"))
        .map(|r| (r.0, r.2))
        .collect();
    assert_eq!(
        statuses,
        vec![
            ("700-post".to_string(), "published".to_string()),
            ("701-post".to_string(), "draft".to_string()),
            ("702-page".to_string(), "draft".to_string()),
            ("703-post".to_string(), "draft".to_string()),
            ("704-post".to_string(), "draft".to_string()),
            ("705-post".to_string(), "draft".to_string()),
        ]
    );

    // A reader sees the open post and its comment, and nothing of the rest.
    let svc = app.service().await;
    let mut reader = Browser::new();
    let open = reader.get(&svc, "/posts/700-post").await;
    assert_eq!(open.status, StatusCode::OK);
    assert!(open.contains("Secret reply on Open letter"));
    for hidden in [
        "/posts/701-post",
        "/702-page",
        "/posts/703-post",
        "/posts/705-post",
    ] {
        let page = reader.get(&svc, hidden).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{hidden}");
    }
    for path in ["/", "/feed.xml", "/search?q=Secret"] {
        let page = reader.get(&svc, path).await;
        assert!(!page.contains("Members news"), "{path}");
        assert!(!page.contains("Secret reply on Members"), "{path}");
    }
}

#[actix_web::test]
async fn pages_at_addresses_the_site_keeps_are_given_another_and_the_report_says_so() {
    let app = TestApp::new();
    let text = export_of(
        &[
            item(710, "Admin", "page", "publish", ""),
            // No slug of its own: the title makes it, `login`.
            item(711, "Login", "page", "publish", "")
                .replace("<wp:post_name>711-page</wp:post_name>", ""),
            item(712, "About the harbour", "page", "publish", ""),
        ]
        .concat()
        .replace(
            "<wp:post_name>710-page</wp:post_name>",
            "<wp:post_name>admin</wp:post_name>",
        ),
    );
    let dry = import::run(
        &app.state.pool,
        text.as_bytes(),
        &Options {
            dry_run: true,
            ..Options::default()
        },
        |_| {},
    )
    .unwrap();
    let report = import_text(&app, &text);
    assert_eq!(report.error, None, "{report:#?}");
    assert_eq!(report.pages, 3);
    let moved = vec![
        "“Admin” (/admin → /admin-page)".to_string(),
        "“Login” (/login → /login-page)".to_string(),
    ];
    assert_eq!(report.moved_pages, moved);
    assert_eq!(dry.moved_pages, moved);
    assert!(
        report.lines().join("\n").contains(
            "Pages at addresses this site keeps for itself, given another: “Admin” (/admin → /admin-page)"
        ),
        "{:?}",
        report.lines()
    );
    let slugs: Vec<String> = post_rows(&app)
        .into_iter()
        .filter(|r| r.3 == "page")
        .map(|r| r.0)
        .collect();
    assert!(slugs.contains(&"admin-page".to_string()), "{slugs:?}");
    assert!(slugs.contains(&"login-page".to_string()), "{slugs:?}");
    assert!(
        !slugs.iter().any(|s| s == "admin" || s == "login"),
        "{slugs:?}"
    );

    let svc = app.service().await;
    let mut reader = Browser::new();
    let page = reader.get(&svc, "/admin-page").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.contains("The text of Admin."));
    assert_eq!(reader.get(&svc, "/login-page").await.status, StatusCode::OK);
}

#[actix_web::test]
async fn a_post_whose_comments_together_pass_the_item_bound_is_skipped_and_named() {
    let app = TestApp::new();
    // Ten comments of 3.5 MB: each within the 4 MB a text may hold, 35 MB
    // together, over the 32 MB an item may.
    let long = "word ".repeat(3_500_000 / 5);
    let comments: String = (0..10)
        .map(|n| {
            format!(
                "<wp:comment><wp:comment_id>72{n}</wp:comment_id><wp:comment_content>{long}</wp:comment_content>\
                 <wp:comment_approved>1</wp:comment_approved></wp:comment>"
            )
        })
        .collect();
    let crowded = item(720, "Crowded thread", "post", "publish", "")
        .replace("</item>", &format!("{comments}</item>"));
    let text = export_of(&[crowded, item(721, "Quiet one", "post", "publish", "")].concat());
    let report = import_text(&app, &text);
    assert_eq!(report.error, None, "{report:#?}");
    assert!(
        report.skipped.keys().any(|k| k.starts_with(
            "larger than an import takes (4 MB a text, 32 MB an item): “Crowded thread” (line "
        )),
        "{:?}",
        report.skipped
    );
    assert_eq!(report.posts, 1, "{report:#?}");
    let rows = post_rows(&app);
    assert!(rows.iter().any(|r| r.1 == "Quiet one"));
    assert!(!rows.iter().any(|r| r.1 == "Crowded thread"));
    // The quiet post's one comment only.
    assert_eq!(comment_count(&app), 1);
}
