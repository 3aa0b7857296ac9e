//! End to end in a real browser: headless Chromium through WebDriver against
//! the built server on a fresh database, used as the owner, readers and
//! commenters use it, by clicking links and filling forms. Each test saves
//! screenshots of the pages it visits under `target/screenshots/`.
//!
//! Without Chromium and chromedriver these tests print why and pass, unless
//! `CI` is set: then a missing browser fails them.

use crate::browser_support::{random_password, Driver, Session, Site, Tools};

/// The owner follows the welcome post to the sign-in page, opens `/setup`
/// from there and creates the admin account.
async fn set_up_the_blog(owner: &Session, shots: bool) {
    owner.visit("/").await;
    owner
        .click_link(".card-title", "Welcome to Broadsheet")
        .await;
    owner.wait_for_path("/posts/welcome-to-broadsheet").await;
    owner.click_link(".article-body", "sign-in page").await;
    owner.wait_for_path("/login").await;
    owner.click_link("main", "Set up your blog").await;
    owner.wait_for_path("/setup").await;
    if shots {
        owner.screenshots("setup", false).await;
    }
    owner.fill("#username", "editor").await;
    owner.fill("#email", "editor@example.com").await;
    owner.fill("#password", &random_password()).await;
    owner.press("main form", "Create admin account").await;
    owner.wait_for_path("/admin").await;
    owner.wait_for_text("Welcome, editor!").await;
}

struct Draft<'a> {
    title: &'a str,
    dateline: &'a str,
    body: &'a str,
    tags: &'a str,
}

/// Writes a post in the dashboard and publishes it; with `preview`, looks at
/// the preview first. Returns the post's address.
async fn publish(owner: &Session, post: &Draft<'_>, preview: bool) -> String {
    owner.visit("/admin").await;
    owner.click_link(".admin-actions", "Write a post").await;
    owner.wait_for_path("/admin/posts/new").await;
    owner.fill("#title", post.title).await;
    owner.fill("#dateline", post.dateline).await;
    owner.fill("#body", post.body).await;
    owner.fill("#tags", post.tags).await;
    if preview {
        owner.press(".post-form", "Preview").await;
        owner.find("#preview").await;
        let shown = owner.text("#preview .article-title").await;
        assert_eq!(shown, post.title, "the preview shows the title");
        assert!(
            owner
                .text("#preview .article-body")
                .await
                .contains("said on Tuesday"),
            "the preview shows the rendered text"
        );
        assert_eq!(
            owner.find("#title").await.prop("value").await.unwrap(),
            Some(post.title.to_string()),
            "the form keeps what was typed"
        );
        owner.screenshots("editor-preview", true).await;
    }
    owner
        .find("#status")
        .await
        .select_by_value("published")
        .await
        .expect("choose Published");
    owner.press(".post-form", "Save").await;
    owner.wait_for_text("Post published.").await;
    assert!(owner.path().await.ends_with("/edit"));
    let view = owner.find(".admin-actions a").await;
    let href = view.attr("href").await.unwrap().expect("a View post link");
    assert!(href.starts_with("/posts/"), "{href}");
    href
}

fn story(title: &str, quote: &str) -> String {
    format!(
        "European and American negotiators said on Tuesday that talks on {title} \
         would resume next week, after a night of meetings that ended without a deal.\n\n\
         > {quote}\n\n\
         Officials on both sides described the mood as constructive. A second round \
         is planned in Brussels, where the remaining questions — tariffs, timelines \
         and the order of concessions — are expected to take most of the week.\n\n\
         ## What comes next\n\n\
         Each delegation will report to its capital before the next meeting. Neither \
         side would say whether a joint statement is planned."
    )
}

#[actix_web::test]
async fn the_owner_publishes_posts_that_a_reader_browses() {
    const TEST: &str = "publishing";
    let Some(tools) = Tools::find(TEST) else {
        return;
    };
    let site = Site::start();
    let driver = Driver::start(&tools);
    let owner = Session::open(&driver, &site, TEST, "owner").await;

    set_up_the_blog(&owner, true).await;
    owner.screenshots("dashboard", false).await;

    let first = publish(
        &owner,
        &Draft {
            title: "Trade talks resume",
            dateline: "Washington/Brussels",
            body: &story("trade", "We are closer than we were a month ago."),
            tags: "Trade, Europe",
        },
        true,
    )
    .await;
    let second = publish(
        &owner,
        &Draft {
            title: "Ministers agree on a timetable",
            dateline: "Brussels",
            body: &story("the timetable", "Nobody leaves this room with nothing."),
            tags: "Europe, Politics",
        },
        false,
    )
    .await;
    owner.click_link(".admin-nav", "Posts").await;
    owner.wait_for_path("/admin/posts").await;
    owner.screenshots("posts", false).await;

    // A reader, in a browser of their own.
    let reader = Session::open(&driver, &site, TEST, "reader").await;
    reader.visit("/").await;
    let titles: Vec<String> = {
        let mut out = Vec::new();
        for t in reader.find_all(".card-title").await {
            out.push(t.text().await.unwrap_or_default());
        }
        out
    };
    assert_eq!(
        titles,
        [
            "Ministers agree on a timetable",
            "Trade talks resume",
            "Welcome to Broadsheet"
        ],
        "newest first"
    );
    reader.screenshots("home", true).await;

    reader
        .click_link(".card-title", "Ministers agree on a timetable")
        .await;
    reader.wait_for_path(&second).await;
    assert_eq!(
        reader.text(".article-title").await,
        "Ministers agree on a timetable"
    );
    assert!(reader.text(".dateline").await.starts_with("BRUSSELS – "));
    assert!(reader.text(".byline").await.contains("By editor"));
    assert!(reader
        .text(".article-body blockquote")
        .await
        .contains("Nobody leaves this room with nothing."));
    assert!(reader.text(".article-tags").await.contains("Politics"));
    assert_eq!(reader.text("#comments-heading").await, "Post a Comment");
    reader.screenshots("article", true).await;

    // Previous and Next walk the articles in order of publication.
    reader.click(".post-nav-prev").await;
    reader.wait_for_path(&first).await;
    assert_eq!(reader.text(".article-title").await, "Trade talks resume");
    reader.click(".post-nav-next").await;
    reader.wait_for_path(&second).await;
    reader.click(".post-nav-prev").await;
    reader.wait_for_path(&first).await;
    reader.click(".post-nav-prev").await;
    reader.wait_for_path("/posts/welcome-to-broadsheet").await;
    assert!(
        !reader.exists(".post-nav-prev").await,
        "the oldest post has no Previous"
    );

    // The archive, by month.
    reader.click_link(".nav-links", "Archive").await;
    reader.wait_for_path("/archive").await;
    assert!(reader.text(".archive").await.contains("(3)"));
    reader.screenshots("archive", false).await;
    let month = reader.find(".archive-year li a").await;
    let month_name = month.text().await.unwrap();
    month.click().await.unwrap();
    reader.wait_for_text(&month_name).await;
    assert!(reader.path().await.starts_with("/archive/"));
    let listed = reader.text(".cards").await;
    assert!(listed.contains("Trade talks resume") && listed.contains("Ministers agree"));

    // A tag from the article's header.
    reader.visit(&first).await;
    reader.click_link(".article-header .kicker", "Trade").await;
    reader.wait_for_path("/tags/trade").await;
    let tagged = reader.text(".cards").await;
    assert!(tagged.contains("Trade talks resume") && !tagged.contains("Ministers agree"));
    reader.screenshots("tag", false).await;

    reader.close().await;
    owner.close().await;
}

#[actix_web::test]
async fn a_reader_registers_comments_replies_and_waits_for_moderation() {
    const TEST: &str = "comments";
    let Some(tools) = Tools::find(TEST) else {
        return;
    };
    let site = Site::start();
    let driver = Driver::start(&tools);
    let owner = Session::open(&driver, &site, TEST, "owner").await;
    set_up_the_blog(&owner, false).await;

    // Open comments to begin with.
    owner.click_link(".admin-nav", "Settings").await;
    owner.wait_for_path("/admin/settings").await;
    owner.click("#policy-open").await;
    owner.press(".settings-form", "Save settings").await;
    owner.wait_for_text("Settings saved").await;
    let article = publish(
        &owner,
        &Draft {
            title: "Harbour bridge reopens",
            dateline: "Lisbon",
            body: &story("the bridge", "It is good to have the city joined up again."),
            tags: "Cities",
        },
        false,
    )
    .await;

    // Someone new finds the article and registers to comment.
    let ann = Session::open(&driver, &site, TEST, "commenter").await;
    ann.visit("/").await;
    ann.click_link(".card-title", "Harbour bridge reopens")
        .await;
    ann.wait_for_path(&article).await;
    ann.click_link(".comment-signin", "register").await;
    ann.wait_for_path("/register").await;
    ann.fill("#username", "ann").await;
    ann.fill("#email", "ann@example.com").await;
    ann.fill("#password", "short").await;
    ann.press("main form", "Create account").await;
    ann.wait_for_text("Please correct the marked fields.").await;
    let password = ann.find("#password").await;
    assert_eq!(
        password.attr("aria-invalid").await.unwrap().as_deref(),
        Some("true")
    );
    let described = password.attr("aria-describedby").await.unwrap().unwrap();
    assert!(described.contains("password-error"), "{described}");
    assert!(ann.text("#password-error").await.contains("10 characters"));
    ann.screenshots("register-errors", false).await;
    let password = random_password();
    ann.fill("#password", &password).await;
    ann.press("main form", "Create account").await;
    ann.wait_for_path(&article).await;
    ann.wait_for_text("Welcome, ann!").await;

    // A comment, then a reply to it through its Reply link.
    ann.fill("#comment-body", "Finally! The ferry queue was *endless*.")
        .await;
    ann.press("#comment-form", "Post comment").await;
    ann.wait_for_text("The ferry queue was endless.").await;
    let location = ann.location().await;
    assert!(location.contains("#comment-"), "{location}");
    let first_id = location.rsplit("#comment-").next().unwrap().to_string();
    ann.click_link(&format!("#comment-{first_id}"), "Reply")
        .await;
    ann.wait_for_text("Reply to ann").await;
    let location = ann.location().await;
    assert!(
        location.ends_with(&format!("?reply_to={first_id}#reply")),
        "{location}"
    );
    ann.fill("#reply-body", "Answering myself: the tolls stay the same.")
        .await;
    ann.press("#reply", "Post comment").await;
    ann.wait_for_text("the tolls stay the same").await;
    let reply = ann.find(".comment.depth-1").await;
    assert!(reply.text().await.unwrap().contains("tolls stay the same"));
    ann.screenshots("thread", true).await;

    // The owner holds every new comment from now on.
    owner.visit("/admin/settings").await;
    owner.click("#policy-all_held").await;
    owner.press(".settings-form", "Save settings").await;
    owner.wait_for_text("Settings saved").await;

    ann.visit(&article).await;
    ann.fill("#comment-body", "Will the night buses use it too?")
        .await;
    ann.press("#comment-form", "Post comment").await;
    ann.wait_for_text("awaiting moderation").await;
    assert!(ann
        .text(".comment.is-pending")
        .await
        .contains("night buses"));

    let reader = Session::open(&driver, &site, TEST, "reader").await;
    reader.visit(&article).await;
    reader.wait_for_text("tolls stay the same").await;
    assert!(
        !reader.body_text().await.contains("night buses"),
        "a held comment stays hidden"
    );
    reader.screenshots("article-signed-out", false).await;

    // The owner approves it from the queue.
    owner.visit("/admin").await;
    owner.wait_for_text("awaiting moderation").await;
    owner.click(".admin-nav a[href='/admin/comments']").await;
    owner.wait_for_path("/admin/comments").await;
    assert!(owner.text(".queue").await.contains("night buses"));
    owner.screenshots("moderation", true).await;
    owner.press(".queue-item", "Approve").await;
    owner
        .wait_for_text("Nothing is waiting for moderation.")
        .await;

    reader.visit(&article).await;
    reader
        .wait_for_text("Will the night buses use it too?")
        .await;

    // Signing out from the header, and back in through the login form.
    ann.visit(&article).await;
    ann.press(".nav-account", "Sign out").await;
    ann.wait_for_text("You are signed out.").await;
    assert!(!ann.exists(".nav-user").await);
    ann.visit(&article).await;
    assert!(ann.exists(".comment-signin").await);
    assert!(!ann.exists("#comment-form").await);
    ann.visit("/account").await;
    ann.wait_for_path("/login").await;
    ann.screenshots("login", false).await;
    ann.fill("#username", "ann").await;
    ann.fill("#password", &password).await;
    ann.press("main form", "Sign in").await;
    ann.wait_for_path("/account").await;
    assert_eq!(ann.text(".nav-user").await, "ann");
    ann.screenshots("account", false).await;

    reader.close().await;
    ann.close().await;
    owner.close().await;
}

#[actix_web::test]
async fn a_busy_site_reads_well_with_its_archive_and_tags_beside_the_posts() {
    const TEST: &str = "busy";
    let Some(tools) = Tools::find(TEST) else {
        return;
    };
    let site = Site::generated(40);
    let driver = Driver::start(&tools);
    let reader = Session::open(&driver, &site, TEST, "reader").await;

    reader.visit("/").await;
    reader.screenshots("home", true).await;

    // A keyboard user's first Tab shows the skip link, ringed.
    reader.press_tab().await;
    let focused = reader.client.active_element().await.unwrap();
    assert_eq!(
        focused.attr("class").await.unwrap().as_deref(),
        Some("skip-link")
    );
    reader.viewport_screenshot("skip-link-focus").await;

    let years = reader.find_all(".sidebar .widget-year").await;
    assert!(years.len() >= 2, "years of posts in the Blog Archive");
    let tags = reader.find_all(".sidebar .tag-list a").await;
    assert!(!tags.is_empty() && tags.len() <= 20, "{} tags", tags.len());

    // A month from the sidebar lists that month's posts.
    let month = reader.find(".sidebar .widget-months a").await;
    let href = month.attr("href").await.unwrap().unwrap();
    month.click().await.unwrap();
    reader.wait_for_path(&href).await;
    assert!(reader.exists(".cards .card").await);
    reader.screenshots("month", false).await;

    // The most used tag, with as many posts as the sidebar says.
    reader.visit("/").await;
    let top = reader.find(".sidebar .tag-list a").await;
    let href = top.attr("href").await.unwrap().unwrap();
    top.click().await.unwrap();
    reader.wait_for_path(&href).await;
    reader.screenshots("tag", false).await;

    reader.visit("/archive").await;
    reader.screenshots("archive", true).await;

    // The busiest article (the newest after the welcome post), with its
    // threaded comments.
    reader.visit("/").await;
    reader.click(".card:nth-child(2) .card-title a").await;
    reader.find(".comment-list").await;
    reader.screenshots("article", true).await;

    // An address that leads nowhere still gets the site around it.
    reader.visit("/posts/no-such-story").await;
    reader.wait_for_text("Page not found").await;
    reader.screenshots("not-found", false).await;

    reader.close().await;
}

/// A photo-like JPEG written to `dir` for the file input.
fn photo_file(dir: &std::path::Path, name: &str, w: u32, h: u32) -> std::path::PathBuf {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        let sky = (y * 200 / h) as u8;
        image::Rgb([40 + sky / 3, 90 + sky / 2, 140 + (x * 100 / w) as u8])
    });
    let path = dir.join(name);
    img.save(&path).expect("write a test photo");
    path
}

#[actix_web::test]
async fn the_owner_uploads_a_picture_and_the_article_shows_it_with_a_link_preview() {
    const TEST: &str = "media";
    let Some(tools) = Tools::find(TEST) else {
        return;
    };
    let site = Site::start();
    let driver = Driver::start(&tools);
    let owner = Session::open(&driver, &site, TEST, "owner").await;
    set_up_the_blog(&owner, false).await;

    // Upload through the library's form, as a person picks a file.
    let files = tempfile::tempdir().unwrap();
    let harbour = photo_file(files.path(), "harbour.jpg", 2400, 1600);
    owner.click_link(".admin-nav", "Media").await;
    owner.wait_for_path("/admin/media").await;
    owner.fill("#alt", "The harbour at dawn").await;
    owner
        .find("#file")
        .await
        .send_keys(harbour.to_str().unwrap())
        .await
        .expect("choose a file");
    owner.press(".media-upload", "Upload").await;
    owner.wait_for_text("Added 1 image.").await;
    assert!(owner.body_text().await.contains("2400 × 1600"));
    let snippet = owner
        .find(".snippet")
        .await
        .prop("value")
        .await
        .unwrap()
        .expect("a snippet");
    assert!(
        snippet.starts_with("![The harbour at dawn](/media/"),
        "{snippet}"
    );
    owner.screenshots("library", false).await;

    // A post with it as the cover, and in the text.
    owner.visit("/admin/posts/new").await;
    owner.fill("#title", "The ferries are back").await;
    owner
        .fill(
            "#body",
            &format!("The first ferry left at six.\n\n{snippet}\n\nMore soon."),
        )
        .await;
    owner
        .find("#cover_media_id")
        .await
        .select_by_label("The harbour at dawn (2400 × 1600)")
        .await
        .expect("choose the cover");
    owner
        .find("#status")
        .await
        .select_by_value("published")
        .await
        .expect("choose Published");
    owner.screenshots("post-form-cover", false).await;
    owner.press(".post-form", "Save").await;
    owner.wait_for_text("Post published.").await;

    // An old address of the story, as a moved blog keeps it.
    owner.click_link(".admin-nav", "Redirects").await;
    owner.wait_for_path("/admin/redirects").await;
    owner.fill("#from", "/2019/05/03/ferries-back/").await;
    owner.fill("#to", "/posts/the-ferries-are-back").await;
    owner.press(".redirect-form", "Add redirect").await;
    owner.wait_for_text("Redirect saved.").await;
    owner.screenshots("redirects", false).await;

    let reader = Session::open(&driver, &site, TEST, "reader").await;
    reader.visit("/2019/05/03/ferries-back/").await;
    reader.wait_for_path("/posts/the-ferries-are-back").await;
    let loaded = reader
        .client
        .execute(
            "const imgs = [...document.querySelectorAll('.article-cover img, .article-body img')]; \
             return imgs.length === 2 && imgs.every(i => i.complete && i.naturalWidth > 0);",
            vec![],
        )
        .await
        .expect("check the images");
    assert_eq!(
        loaded,
        serde_json::json!(true),
        "cover and inline image load"
    );
    let preview = reader
        .client
        .execute(
            "const ld = JSON.parse(document.querySelector('script[type=\"application/ld+json\"]').textContent); \
             const og = document.querySelector('meta[property=\"og:image\"]').content; \
             return [ld['@type'], ld.headline, ld.image.url === og, og.startsWith('http')];",
            vec![],
        )
        .await
        .expect("read the structured data");
    assert_eq!(
        preview,
        serde_json::json!(["BlogPosting", "The ferries are back", true, true])
    );
    reader.screenshots("article-cover", true).await;
    reader.visit("/").await;
    assert!(reader.exists(".card.has-cover .card-cover img").await);
    reader.screenshots("home-cover", false).await;
}

/// A WordPress export of `posts` short posts with three comments each, big
/// enough that importing it takes a few refreshes of its page.
fn generated_export(posts: usize) -> String {
    let mut xml = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>The Big Quay</title><link>https://big.example.org</link><wp:wxr_version>1.2</wp:wxr_version>
"#,
    );
    for i in 1..=posts {
        xml.push_str(&format!(
            "<item><title>Tide table {i}</title><content:encoded><![CDATA[High water at {i}:00.\n\nLow water later.]]></content:encoded>\
             <wp:post_id>{i}</wp:post_id><wp:post_date_gmt>2020-05-03 09:30:00</wp:post_date_gmt><wp:post_name>tide-table-{i}</wp:post_name>\
             <wp:status>publish</wp:status><wp:post_type>post</wp:post_type>"
        ));
        for j in 0..3 {
            xml.push_str(&format!(
                "<wp:comment><wp:comment_id>{}</wp:comment_id><wp:comment_author>Reader {j}</wp:comment_author>\
                 <wp:comment_date_gmt>2020-05-03 11:00:00</wp:comment_date_gmt><wp:comment_content>Thanks for table {i}.</wp:comment_content>\
                 <wp:comment_approved>1</wp:comment_approved><wp:comment_parent>0</wp:comment_parent></wp:comment>",
                i * 10 + j
            ));
        }
        xml.push_str("</item>\n");
    }
    xml.push_str("</channel></rss>\n");
    xml
}

#[actix_web::test]
async fn the_owner_imports_a_wordpress_export_from_the_dashboard() {
    const TEST: &str = "import";
    let Some(tools) = Tools::find(TEST) else {
        return;
    };
    let site = Site::start();
    let driver = Driver::start(&tools);
    let owner = Session::open(&driver, &site, TEST, "owner").await;
    set_up_the_blog(&owner, false).await;

    owner.click_link(".admin-nav", "Import").await;
    owner.wait_for_path("/admin/import").await;
    owner.wait_for_text("No imports yet.").await;
    owner.screenshots("form", false).await;

    let export =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/fixtures/wordpress.xml");
    owner
        .find("#file")
        .await
        .send_keys(export.to_str().unwrap())
        .await
        .expect("choose a file");
    owner.press(".import-upload", "Import").await;
    owner.wait_for_path("/admin/import/1").await;
    owner
        .check_import_until("Imported 6 posts, 1 page, 6 comments (5 by guests)")
        .await;
    assert!(!owner.exists("meta[http-equiv=refresh]").await);
    owner.screenshots("report", false).await;

    owner.click_link(".admin-main", "Go to the posts").await;
    owner.wait_for_path("/admin/posts").await;
    owner.wait_for_text("Storm closes the harbour").await;

    // A bigger export: its page shows the progress and never reloads
    // itself (WCAG F41); the owner checks again with its button until the
    // report is there.
    let files = tempfile::tempdir().unwrap();
    let big = files.path().join("big-quay.xml");
    std::fs::write(&big, generated_export(1000)).unwrap();
    owner.visit("/admin/import").await;
    owner
        .find("#file")
        .await
        .send_keys(big.to_str().unwrap())
        .await
        .expect("choose a file");
    owner.press(".import-upload", "Import").await;
    owner.wait_for_path("/admin/import/2").await;
    owner.check_import_until("Imported 1000 posts").await;
    assert!(!owner.exists("meta[http-equiv=refresh]").await);

    owner.visit("/admin/import").await;
    owner.wait_for_text("big-quay.xml").await;
    owner.screenshots("list", false).await;
    owner.close().await;
}

/// How far the page reaches past the window's right edge (0: it fits), the
/// window's width, and the gap between the footer's foot and the window's.
const LAYOUT: &str = "const doc = document.documentElement; \
    const foot = document.querySelector('.site-footer').getBoundingClientRect(); \
    return [doc.scrollWidth - window.innerWidth, window.innerWidth, \
            Math.round(window.innerHeight - foot.bottom)];";

#[actix_web::test]
async fn long_words_stay_inside_the_window_and_the_footer_ends_short_pages() {
    const TEST: &str = "widths";
    let Some(tools) = Tools::find(TEST) else {
        return;
    };
    let site = Site::start();
    let driver = Driver::start(&tools);
    let owner = Session::open(&driver, &site, TEST, "owner").await;
    set_up_the_blog(&owner, false).await;
    // One word of 116 letters, as a pasted address or a joke title is.
    let word = "Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch".repeat(2);
    let href = publish(
        &owner,
        &Draft {
            title: &word,
            dateline: "Anglesey",
            body: &format!(
                "{}\n\nThe name, in full: {word}.",
                story(&word, "Long enough")
            ),
            tags: "Places",
        },
        false,
    )
    .await;
    let pages = [
        href.as_str(),
        "/",
        "/tags/places",
        "/admin/posts",
        "/admin/users",
    ];
    for width in [1280u32, 390] {
        owner.set_width(width).await;
        for path in pages {
            owner.visit(path).await;
            let m = owner.measure(LAYOUT).await;
            assert_eq!(m[1], serde_json::json!(width), "{path}");
            assert_eq!(
                m[0],
                serde_json::json!(0),
                "{path} at {width} px reaches past the window by {} px",
                m[0]
            );
        }
        // A short page: the footer ends at the window's foot, no band below.
        owner.visit("/tags").await;
        let m = owner.measure(LAYOUT).await;
        // (At 390 px the page may be taller than the window: then no gap.)
        let gap = m[2].as_i64().expect("a number");
        assert!(
            gap <= 0 && (width < 1000 || gap == 0),
            "/tags at {width} px: a band of {gap} px under the footer"
        );
    }
    owner.reset_width().await;
    owner.visit(&href).await;
    owner.screenshots("long-title", false).await;
    owner.visit("/admin/posts").await;
    owner.screenshots("admin-posts-long-title", false).await;
    owner.close().await;
}
