//! Moving a Blogger blog in, from either kind of backup Blogger has given:
//! today's Takeout `feed.atom` and the older "Back up content" file. Posts,
//! pages, labels, comment threads (with comments filed apart from their
//! posts, one even before its post), guests and the old `.html` addresses.

use crate::common::{Browser, TestApp};
use actix_web::http::StatusCode;
use broadsheet::import::{self, Options, Report};
use broadsheet::schema::{comments, posts, users};
use diesel::prelude::*;

const TAKEOUT: &str = include_str!("fixtures/blogger-takeout.atom");
const BACKUP: &str = include_str!("fixtures/blogger-backup.xml");

fn import_text(app: &TestApp, text: &str) -> Report {
    import::run(
        &app.state.pool,
        text.as_bytes(),
        &Options::default(),
        |_| {},
    )
    .unwrap()
}

/// (slug, status, kind) of every post, oldest row first.
fn post_rows(app: &TestApp) -> Vec<(String, String, String)> {
    posts::table
        .order(posts::id)
        .select((posts::slug, posts::status, posts::kind))
        .load(&mut app.conn())
        .unwrap()
}

/// A comment as a reader would tell it apart.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    body: String,
    status: String,
    /// The body of the comment it answers.
    parent: Option<String>,
    /// The username of its account, for a comment by someone with one.
    account: Option<String>,
    guest: String,
}

fn comment_rows(app: &TestApp) -> Vec<Row> {
    type Stored = (i32, String, String, Option<i32>, Option<i32>, String);
    let rows: Vec<Stored> = comments::table
        .order(comments::id)
        .select((
            comments::id,
            comments::body,
            comments::status,
            comments::parent_id,
            comments::author_id,
            comments::guest_name,
        ))
        .load(&mut app.conn())
        .unwrap();
    rows.iter()
        .map(|(_, body, status, parent, author, guest)| Row {
            body: body.clone(),
            status: status.clone(),
            parent: parent.map(|p| rows.iter().find(|r| r.0 == p).unwrap().1.clone()),
            account: author.map(|a| {
                users::table
                    .find(a)
                    .select(users::username)
                    .first::<String>(&mut app.conn())
                    .unwrap()
            }),
            guest: guest.clone(),
        })
        .collect()
}

#[actix_web::test]
async fn a_takeout_export_moves_in_with_its_labels_threads_and_old_links() {
    let app = TestApp::new();
    let before = post_rows(&app).len();
    let report = import_text(&app, TAKEOUT);
    assert_eq!(report.error, None, "{report:#?}");
    assert_eq!(report.format, "Blogger export");
    assert_eq!((report.posts, report.pages), (4, 1), "{report:#?}");
    // The Takeout draft is a draft here, and the report says so by title.
    assert_eq!(
        report.not_public,
        vec!["“Unfinished thoughts” (a draft)".to_string()]
    );
    assert!(report.lines().join("\n").contains(
        "so they came in as drafts, for you to publish or not: “Unfinished thoughts” (a draft)."
    ));
    // 9100 (before its post), 9001, 9002, 9003 spam, 9004 held, 9006 whose
    // parent is missing; 9005 deleted and 9007 on a post not in the file.
    assert_eq!(report.comments, 6, "{report:#?}");
    assert_eq!(report.skipped.get("in the trash"), Some(&1));
    assert_eq!(report.skipped.get("comments in the trash"), Some(&1));
    assert_eq!(
        report
            .skipped
            .get("comments on posts that are not in the export or were not imported"),
        Some(&1),
        "{report:#?}"
    );
    assert_eq!(
        report.new_accounts,
        vec!["Ann-Example".to_string(), "Ben-Writer".to_string()]
    );
    assert_eq!(report.external_images, 1, "{report:#?}");
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("comment 9006 answers comment 8999")),
        "{:#?}",
        report.warnings
    );

    let rows = post_rows(&app);
    let imported: Vec<_> = rows[before..]
        .iter()
        .map(|r| (r.0.as_str(), r.1.as_str(), r.2.as_str()))
        .collect();
    assert_eq!(
        imported,
        vec![
            ("harbour-wall", "published", "post"),
            ("harbour-wall-2", "published", "post"),
            ("ferry-timetable", "published", "post"),
            ("unfinished-thoughts", "draft", "post"),
            ("about", "published", "page"),
        ]
    );
    // The date is the moment Blogger published it, in UTC.
    let at: chrono::NaiveDateTime = posts::table
        .filter(posts::slug.eq("harbour-wall"))
        .select(posts::published_at)
        .first::<Option<chrono::NaiveDateTime>>(&mut app.conn())
        .unwrap()
        .unwrap();
    assert_eq!(at.to_string(), "2019-05-03 10:00:00");

    let comments = comment_rows(&app);
    let find = |body: &str| {
        comments
            .iter()
            .find(|c| c.body == body)
            .unwrap_or_else(|| panic!("{body}: {comments:#?}"))
            .clone()
    };
    let anonymous = find("Was anyone on the wall that night?");
    assert_eq!(
        (anonymous.status.as_str(), anonymous.guest.as_str()),
        ("approved", "Anonymous")
    );
    let answer = find("Only the gulls.");
    assert_eq!(
        answer.parent.as_deref(),
        Some("Was anyone on the wall that night?")
    );
    assert_eq!(
        answer.account.as_deref(),
        Some("Ann-Example"),
        "the blog's author, by her Blogger profile"
    );
    assert_eq!(find("Buy now.").status, "spam");
    assert_eq!(find("Waiting for a look.").status, "pending");
    assert_eq!(find("Answering a comment that is not here.").parent, None);
    let early = find("Listed before its post, and still on it.");
    assert_eq!(early.guest, "Early Bird");

    let svc = app.service().await;
    let mut reader = Browser::new();
    let story = reader.get(&svc, "/posts/harbour-wall").await;
    assert_eq!(story.status, StatusCode::OK);
    assert!(
        story.contains("The harbour wall &#38; the council"),
        "{}",
        story.body
    );
    assert!(story.contains("The wall held."), "{}", story.body);
    assert!(!story.contains("alert(1)"), "{}", story.body);
    assert!(story.contains("Night tide:<br>high."), "{}", story.body);
    assert!(story.contains("/tags/harbour-wall") && story.contains("/tags/town-council"));
    assert!(story.contains("Only the gulls."));
    assert!(!story.contains("Buy now.") && !story.contains("Waiting for a look."));
    let ferry = reader.get(&svc, "/posts/ferry-timetable").await;
    assert!(ferry.contains("Listed before its post, and still on it."));
    assert!(
        ferry.contains(
            r#"<a href="https://bird.example.net/" rel="nofollow ugc noopener">Early Bird</a>"#
        ),
        "{}",
        ferry.body
    );

    // Old addresses: the .html permalinks (and their ?m=1 mobile form), the
    // page, and the label pages.
    for (from, to) in [
        ("/2019/05/harbour-wall.html", "/posts/harbour-wall"),
        ("/2019/05/harbour-wall.html?m=1", "/posts/harbour-wall"),
        ("/2020/05/harbour-wall.html", "/posts/harbour-wall-2"),
        ("/2021/03/ferry-timetable.html", "/posts/ferry-timetable"),
        ("/p/about.html", "/about"),
        ("/search/label/Harbour%20Wall", "/tags/harbour-wall"),
        (
            "/search/label/Town%20Council?max-results=20",
            "/tags/town-council",
        ),
    ] {
        let res = reader.get(&svc, from).await;
        assert_eq!(res.status, StatusCode::MOVED_PERMANENTLY, "{from}");
        assert_eq!(res.location(), to, "{from}");
    }
    assert_eq!(
        reader.get(&svc, "/2021/04/thrown-away.html").await.status,
        StatusCode::NOT_FOUND,
        "a trashed post leaves no redirect"
    );

    // Running it again changes nothing.
    let again = import_text(&app, TAKEOUT);
    assert_eq!(
        (again.posts, again.pages, again.comments, again.authors),
        (0, 0, 0, 0),
        "{again:#?}"
    );
    assert_eq!(again.already_here, 5 + 6);
    assert_eq!(post_rows(&app), rows);
    assert_eq!(comment_rows(&app), comments);
}

#[actix_web::test]
async fn an_older_blogger_backup_moves_in_the_same_way() {
    let app = TestApp::new();
    let before = post_rows(&app).len();
    let report = import_text(&app, BACKUP);
    assert_eq!(report.error, None, "{report:#?}");
    assert_eq!(report.source, "http://valleywalks.blogspot.com/");
    assert_eq!(
        (report.posts, report.pages, report.comments),
        (2, 1, 2),
        "{report:#?}"
    );
    assert_eq!(report.skipped.get("Blogger settings and layout"), Some(&2));
    assert_eq!(report.skipped.get("comments in the trash"), Some(&1));
    assert_eq!(report.new_accounts, vec!["Cat-Walker".to_string()]);
    // `app:control/app:draft`: a draft, named in the report.
    assert_eq!(
        report.not_public,
        vec!["“Draft of the winter walk” (a draft)".to_string()]
    );
    let imported: Vec<_> = post_rows(&app)[before..].to_vec();
    assert_eq!(
        imported,
        vec![
            ("over-black-hill".into(), "published".into(), "post".into()),
            (
                "draft-of-the-winter-walk".into(),
                "draft".into(),
                "post".into()
            ),
            ("maps".into(), "published".into(), "page".into()),
        ]
    );
    let comments = comment_rows(&app);
    assert_eq!(comments.len(), 2, "{comments:#?}");
    assert_eq!(comments[0].guest, "Dan Hiker");
    assert_eq!(
        (
            comments[1].parent.as_deref(),
            comments[1].account.as_deref()
        ),
        (Some("Lovely walk! Which path down?"), Some("Cat-Walker")),
        "the reply is threaded under the comment it answers, by the author's account"
    );
    // Blogger's own address for every author is not theirs.
    let email: String = users::table
        .filter(users::username.eq("Cat-Walker"))
        .select(users::email)
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(email, "Cat-Walker@imported.invalid");

    let svc = app.service().await;
    let mut reader = Browser::new();
    let story = reader.get(&svc, "/posts/over-black-hill").await;
    assert_eq!(story.status, StatusCode::OK);
    assert!(story.contains("Mist at the top.<br>"), "{}", story.body);
    assert!(!story.contains("<iframe"), "{}", story.body);
    for (from, to) in [
        ("/2011/10/over-black-hill.html", "/posts/over-black-hill"),
        ("/p/maps.html", "/maps"),
        ("/search/label/Hills", "/tags/hills"),
    ] {
        let res = reader.get(&svc, from).await;
        assert_eq!(res.status, StatusCode::MOVED_PERMANENTLY, "{from}");
        assert_eq!(res.location(), to, "{from}");
    }

    // A later Takeout of another blog is another source: nothing collides.
    let takeout = import_text(&app, TAKEOUT);
    assert_eq!((takeout.posts, takeout.pages), (4, 1), "{takeout:#?}");
}

#[actix_web::test]
async fn broken_and_foreign_atom_files_are_refused_with_the_line() {
    let app = TestApp::new();
    let before = post_rows(&app).len();
    // An ordinary Atom feed is a feed, not a backup.
    let feed = "<?xml version=\"1.0\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>A feed</title><entry><id>urn:1</id><title>x</title></entry></feed>";
    let report = import_text(&app, feed);
    assert!(
        report
            .error
            .as_deref()
            .unwrap_or("")
            .contains("it is a feed, not an export"),
        "{report:#?}"
    );
    // Cut inside the third post: the two before it are kept, and a second
    // run of the whole file brings in the rest.
    let cut = TAKEOUT.find("Boats at nine.").unwrap();
    let report = import_text(&app, &TAKEOUT[..cut]);
    let error = report.error.clone().expect("a truncated file is an error");
    assert!(
        error.starts_with("line ") && error.contains("truncated"),
        "{error}"
    );
    assert_eq!(report.posts, 2, "{report:#?}");
    assert_eq!(post_rows(&app).len(), before + 2);
    let rest = import_text(&app, TAKEOUT);
    assert_eq!(rest.error, None);
    assert_eq!((rest.posts, rest.pages), (2, 1), "{rest:#?}");
    assert_eq!(rest.comments, 6, "{rest:#?}");
}
