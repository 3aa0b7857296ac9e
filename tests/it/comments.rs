//! "Post a Comment": threads, moderation policies, editing, deleting and abuse.

use crate::common::{Browser, Page, Svc, TestApp};
use actix_web::http::StatusCode;
use broadsheet::models::{Comment, CommentStatus, Role, User};
use broadsheet::schema::comments;
use diesel::prelude::*;

fn comment_id(page: &Page) -> i32 {
    let loc = page.location();
    let at = loc
        .find("#comment-")
        .unwrap_or_else(|| panic!("no comment anchor in {loc:?}: {}", page.body));
    loc[at + 9..].parse().unwrap()
}

fn stored(app: &TestApp, id: i32) -> Comment {
    Comment::find(&mut app.conn(), id).unwrap().unwrap()
}

/// Posts a comment through the article's own form.
async fn say(svc: &impl Svc, b: &mut Browser, slug: &str, body: &str, parent: Option<i32>) -> Page {
    let parent = parent.map(|p| p.to_string()).unwrap_or_default();
    let uri = format!("/posts/{slug}");
    b.submit(
        svc,
        &uri,
        &format!("/posts/{slug}/comments"),
        &[("body", body), ("parent_id", &parent), ("website", "")],
    )
    .await
}

#[actix_web::test]
async fn signed_out_readers_are_invited_to_sign_in_and_come_back_to_the_comments() {
    let app = TestApp::new();
    app.user("ann", Role::Commenter);
    app.post("Story", "Text", 1);
    let svc = app.service().await;
    let mut b = Browser::new();
    let page = b.get(&svc, "/posts/story").await;
    assert!(page.contains(
        r#"<a href="/login?next=/posts/story%23comments">Sign in to post a comment</a>"#
    ));
    assert!(
        !page.contains(r#"name="body""#),
        "no form for signed-out readers"
    );
    let login = b.get(&svc, "/login?next=/posts/story%23comments").await;
    let token = login.csrf();
    let password = app.password("ann");
    let res = b
        .post(
            &svc,
            "/login",
            &[
                ("username", "ann"),
                ("password", &password),
                ("next", "/posts/story#comments"),
                ("csrf_token", &token),
            ],
        )
        .await;
    assert_eq!(res.location(), "/posts/story#comments");
    assert!(b.get(&svc, "/posts/story").await.contains(r#"name="body""#));
}

#[actix_web::test]
async fn with_the_open_policy_a_comment_appears_at_once_and_is_counted() {
    let app = TestApp::new();
    app.comment_policy("open");
    app.user("ann", Role::Commenter);
    app.post("Story", "Text", 1);
    let svc = app.service().await;
    let mut ann = Browser::new();
    ann.login(&svc, &app, "ann").await;
    let res = say(&svc, &mut ann, "story", "First! *Great* piece.", None).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let id = comment_id(&res);
    assert_eq!(res.location(), format!("/posts/story#comment-{id}"));
    let reader = Browser::new().get(&svc, "/posts/story").await;
    assert!(reader.contains(&format!(r#"id="comment-{id}""#)));
    assert!(reader.contains("<em>Great</em>"));
    assert!(reader.contains(r#"<strong class="comment-author">ann</strong>"#));
    assert!(reader.contains("<time datetime="));
    assert!(reader.contains("1 comment"));
    assert!(
        Browser::new().get(&svc, "/").await.contains("1 comment"),
        "counted in lists"
    );
}

#[actix_web::test]
async fn replies_nest_under_their_parent_in_thread_order() {
    let app = TestApp::new();
    app.comment_policy("open");
    app.user("ann", Role::Commenter);
    app.user("bob", Role::Commenter);
    app.post("Story", "Text", 1);
    let svc = app.service().await;
    let (mut ann, mut bob) = (Browser::new(), Browser::new());
    ann.login(&svc, &app, "ann").await;
    bob.login(&svc, &app, "bob").await;
    let a = comment_id(&say(&svc, &mut ann, "story", "Comment A", None).await);
    let b = comment_id(&say(&svc, &mut bob, "story", "Comment B", None).await);
    // The reply form opens under its comment without JavaScript.
    let form = bob.get(&svc, &format!("/posts/story?reply_to={a}")).await;
    assert!(
        form.contains(r#"id="reply""#)
            && form.contains(&format!(r#"name="parent_id" value="{a}""#))
    );
    let a1 = comment_id(&say(&svc, &mut bob, "story", "Reply to A", Some(a)).await);
    let mut parent = a1;
    let mut deep = Vec::new();
    for i in 0..5 {
        parent = comment_id(
            &say(
                &svc,
                if i % 2 == 0 { &mut ann } else { &mut bob },
                "story",
                &format!("Deep {i}"),
                Some(parent),
            )
            .await,
        );
        deep.push(parent);
    }
    let page = Browser::new().get(&svc, "/posts/story").await;
    let pos = |id: i32| page.body.find(&format!(r#"id="comment-{id}""#)).unwrap();
    assert!(
        pos(a) < pos(a1) && pos(a1) < pos(deep[0]) && pos(deep[4]) < pos(b),
        "thread order"
    );
    assert!(page.contains(&format!(r#"<li class="comment depth-0" id="comment-{a}">"#)));
    assert!(page.contains(&format!(
        r#"<li class="comment depth-1" id="comment-{a1}">"#
    )));
    assert!(page.contains(&format!(
        r#"<li class="comment depth-2" id="comment-{}">"#,
        deep[0]
    )));
    assert!(page.contains(&format!(
        r#"<li class="comment depth-4" id="comment-{}">"#,
        deep[2]
    )));
    assert!(
        page.contains(&format!(
            r#"<li class="comment depth-4" id="comment-{}">"#,
            deep[4]
        )),
        "flattened at the last level"
    );
}

#[actix_web::test]
async fn first_comment_held_until_approved_and_shown_only_to_its_author() {
    let app = TestApp::new();
    app.comment_policy("first_comment_held");
    let ann = app.user("ann", Role::Commenter);
    app.user("bob", Role::Commenter);
    app.post("Story", "Text", 1);
    let svc = app.service().await;
    let (mut a, mut b) = (Browser::new(), Browser::new());
    a.login(&svc, &app, "ann").await;
    b.login(&svc, &app, "bob").await;
    let res = say(&svc, &mut a, "story", "My very first comment", None).await;
    let first = comment_id(&res);
    assert_eq!(stored(&app, first).status.as_str(), "pending");
    let own = a.get(&svc, "/posts/story").await;
    assert!(own.contains("My very first comment") && own.contains("Awaiting moderation"));
    assert!(
        own.contains("awaiting moderation and will appear once approved"),
        "told after posting"
    );
    assert!(!b
        .get(&svc, "/posts/story")
        .await
        .contains("My very first comment"));
    assert!(!Browser::new()
        .get(&svc, "/posts/story")
        .await
        .contains("My very first comment"));
    assert!(Browser::new()
        .get(&svc, "/posts/story")
        .await
        .contains("0 comments"));

    Comment::set_status(&mut app.conn(), first, CommentStatus::Approved).unwrap();
    let second = comment_id(&say(&svc, &mut a, "story", "Second thoughts", None).await);
    assert_eq!(
        stored(&app, second).status.as_str(),
        "approved",
        "trusted after the first approval"
    );
    let page = Browser::new().get(&svc, "/posts/story").await;
    assert!(
        page.contains("My very first comment")
            && page.contains("Second thoughts")
            && page.contains("2 comments")
    );
    assert_eq!(
        Comment::approved_count_by(&mut app.conn(), ann.id).unwrap(),
        2
    );
}

#[actix_web::test]
async fn a_held_reply_sits_in_the_thread_for_its_author_and_nowhere_for_anyone_else() {
    let app = TestApp::new();
    app.comment_policy("open");
    for name in ["ann", "bob", "cat"] {
        app.user(name, Role::Commenter);
    }
    app.post("Story", "Text", 1);
    let svc = app.service().await;
    let (mut ann, mut bob, mut cat) = (Browser::new(), Browser::new(), Browser::new());
    for (b, name) in [(&mut ann, "ann"), (&mut bob, "bob"), (&mut cat, "cat")] {
        b.login(&svc, &app, name).await;
    }
    let a = comment_id(&say(&svc, &mut ann, "story", "Comment A", None).await);
    let b = comment_id(&say(&svc, &mut bob, "story", "Comment B", None).await);
    // Every reader's page has been built (and the thread kept) before the hold.
    bob.get(&svc, "/posts/story").await;
    app.comment_policy("all_held");
    let held = comment_id(&say(&svc, &mut cat, "story", "Held reply to A", Some(a)).await);

    let li = |id: i32, class: &str| format!(r#"<li class="comment {class}" id="comment-{id}">"#);
    let own = cat.get(&svc, "/posts/story").await;
    let at = |page: &Page, needle: &str| {
        page.body
            .find(needle)
            .unwrap_or_else(|| panic!("{needle} not in the page"))
    };
    assert!(
        at(&own, &li(a, "depth-0")) < at(&own, &li(held, "depth-1 is-pending"))
            && at(&own, &li(held, "depth-1 is-pending")) < at(&own, &li(b, "depth-0")),
        "its author sees the held reply under its parent, before the next thread"
    );
    for other in [&mut ann, &mut bob, &mut Browser::new()] {
        let page = other.get(&svc, "/posts/story").await;
        assert!(!page.contains("Held reply to A"));
        assert!(at(&page, &li(a, "depth-0")) < at(&page, &li(b, "depth-0")));
    }
}

#[actix_web::test]
async fn all_held_holds_every_comment_and_open_shows_each() {
    let app = TestApp::new();
    app.comment_policy("all_held");
    app.user("ann", Role::Commenter);
    app.post("Story", "Text", 1);
    let svc = app.service().await;
    let mut a = Browser::new();
    a.login(&svc, &app, "ann").await;
    let one = comment_id(&say(&svc, &mut a, "story", "One", None).await);
    Comment::set_status(&mut app.conn(), one, CommentStatus::Approved).unwrap();
    let two = comment_id(&say(&svc, &mut a, "story", "Two", None).await);
    assert_eq!(
        stored(&app, two).status.as_str(),
        "pending",
        "held even after an approval"
    );
    app.comment_policy("open");
    let three = comment_id(&say(&svc, &mut a, "story", "Three", None).await);
    assert_eq!(stored(&app, three).status.as_str(), "approved");
}

#[actix_web::test]
async fn under_all_held_an_edited_comment_goes_back_to_the_queue_unless_staff_wrote_it() {
    let app = TestApp::new();
    app.comment_policy("all_held");
    app.user("ann", Role::Commenter);
    app.user("boss", Role::Admin);
    app.post("Story", "Text", 1);
    let svc = app.service().await;
    let (mut ann, mut boss) = (Browser::new(), Browser::new());
    ann.login(&svc, &app, "ann").await;
    boss.login(&svc, &app, "boss").await;
    let id = comment_id(&say(&svc, &mut ann, "story", "A fair point", None).await);
    Comment::set_status(&mut app.conn(), id, CommentStatus::Approved).unwrap();
    assert!(Browser::new()
        .get(&svc, "/posts/story")
        .await
        .contains("A fair point"));

    let edit = format!("/comments/{id}/edit");
    let res = ann
        .submit(&svc, &edit, &edit, &[("body", "Buy cheap watches here")])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(stored(&app, id).status.as_str(), "pending");
    let page = Browser::new().get(&svc, "/posts/story").await;
    assert!(
        !page.contains("Buy cheap watches here"),
        "not shown before approval"
    );
    assert!(ann
        .get(&svc, "/posts/story")
        .await
        .contains("Awaiting moderation"));

    let mine = comment_id(&say(&svc, &mut boss, "story", "From the desk", None).await);
    let edit = format!("/comments/{mine}/edit");
    let res = boss
        .submit(&svc, &edit, &edit, &[("body", "From the editors' desk")])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(
        stored(&app, mine).status.as_str(),
        "approved",
        "staff are never held"
    );
}

#[actix_web::test]
async fn authors_edit_their_comment_within_fifteen_minutes_only() {
    let app = TestApp::new();
    app.comment_policy("open");
    app.user("ann", Role::Commenter);
    app.user("bob", Role::Commenter);
    app.user("boss", Role::Admin);
    app.post("Story", "Text", 1);
    let svc = app.service().await;
    let (mut ann, mut bob, mut boss) = (Browser::new(), Browser::new(), Browser::new());
    ann.login(&svc, &app, "ann").await;
    bob.login(&svc, &app, "bob").await;
    boss.login(&svc, &app, "boss").await;
    let id = comment_id(&say(&svc, &mut ann, "story", "Teh typo", None).await);
    let edit = format!("/comments/{id}/edit");
    assert!(ann
        .get(&svc, "/posts/story")
        .await
        .contains(&format!(r#"href="{edit}""#)));
    assert!(!bob
        .get(&svc, "/posts/story")
        .await
        .contains(&format!(r#"href="{edit}""#)));
    let res = ann
        .submit(&svc, &edit, &edit, &[("body", "The typo, fixed")])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let page = Browser::new().get(&svc, "/posts/story").await;
    assert!(page.contains("The typo, fixed") && page.contains("(edited)"));

    let res = ann.submit(&svc, &edit, &edit, &[("body", "   ")]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);

    let token = bob.get(&svc, "/").await.csrf();
    assert_eq!(bob.get(&svc, &edit).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        bob.post(
            &svc,
            &edit,
            &[("body", "Vandalised"), ("csrf_token", &token)]
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );

    // Sixteen minutes later the window is shut for the author, not for an admin.
    diesel::update(comments::table.find(id))
        .set(comments::created_at.eq(broadsheet::models::now() - chrono::Duration::minutes(16)))
        .execute(&mut app.conn())
        .unwrap();
    assert_eq!(ann.get(&svc, &edit).await.status, StatusCode::FORBIDDEN);
    let token = ann.get(&svc, "/").await.csrf();
    assert_eq!(
        ann.post(&svc, &edit, &[("body", "Too late"), ("csrf_token", &token)])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let res = boss
        .submit(&svc, &edit, &edit, &[("body", "Moderated text")])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(stored(&app, id).body, "Moderated text");
}

#[actix_web::test]
async fn deleting_a_comment_with_replies_leaves_a_placeholder() {
    let app = TestApp::new();
    app.comment_policy("open");
    app.user("ann", Role::Commenter);
    app.user("bob", Role::Commenter);
    app.post("Story", "Text", 1);
    let svc = app.service().await;
    let (mut ann, mut bob) = (Browser::new(), Browser::new());
    ann.login(&svc, &app, "ann").await;
    bob.login(&svc, &app, "bob").await;
    let parent = comment_id(&say(&svc, &mut ann, "story", "Regrettable opinion", None).await);
    let reply = comment_id(&say(&svc, &mut bob, "story", "A thoughtful reply", Some(parent)).await);
    let lonely = comment_id(&say(&svc, &mut ann, "story", "Lonely remark", None).await);

    let token = bob.get(&svc, "/").await.csrf();
    let res = bob
        .post(
            &svc,
            &format!("/comments/{parent}/delete"),
            &[("csrf_token", &token)],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "not someone else's");

    for id in [parent, lonely] {
        let token = ann.get(&svc, "/").await.csrf();
        let res = ann
            .post(
                &svc,
                &format!("/comments/{id}/delete"),
                &[("csrf_token", &token)],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
    }
    let page = Browser::new().get(&svc, "/posts/story").await;
    assert!(page.contains(&format!(r#"id="comment-{parent}""#)) && page.contains("[deleted]"));
    assert!(!page.contains("Regrettable opinion"));
    assert!(
        page.contains("A thoughtful reply")
            && page.contains(&format!(
                r#"<li class="comment depth-1" id="comment-{reply}">"#
            ))
    );
    assert!(
        !page.contains("Lonely remark") && !page.contains(&format!(r#"id="comment-{lonely}""#))
    );
    assert!(page.contains("1 comment"));
}

#[actix_web::test]
async fn closed_comments_stay_visible_but_take_no_new_ones() {
    let app = TestApp::new();
    app.comment_policy("open");
    app.user("ann", Role::Commenter);
    let post = app.post("Story", "Text", 1);
    let svc = app.service().await;
    let mut ann = Browser::new();
    ann.login(&svc, &app, "ann").await;
    say(&svc, &mut ann, "story", "Said before closing", None).await;
    use broadsheet::schema::posts;
    diesel::update(posts::table.find(post.id))
        .set(posts::comments_enabled.eq(false))
        .execute(&mut app.conn())
        .unwrap();
    let page = ann.get(&svc, "/posts/story").await;
    assert!(page.contains("Said before closing") && page.contains("Comments are closed"));
    assert!(!page.contains(r#"name="body""#));
    let token = page.csrf();
    let res = ann
        .post(
            &svc,
            "/posts/story/comments",
            &[("body", "Sneaking in"), ("csrf_token", &token)],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
}

#[actix_web::test]
async fn a_filled_honeypot_is_stored_as_spam_and_shown_to_nobody() {
    let app = TestApp::new();
    app.comment_policy("open");
    app.user("bot", Role::Commenter);
    app.post("Story", "Text", 1);
    let svc = app.service().await;
    let mut bot = Browser::new();
    bot.login(&svc, &app, "bot").await;
    let res = bot
        .submit(
            &svc,
            "/posts/story",
            "/posts/story/comments",
            &[("body", "Cheap pills"), ("website", "http://spam.example")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location(), "/posts/story#comments");
    let statuses: Vec<String> = comments::table
        .select(comments::status)
        .load(&mut app.conn())
        .unwrap();
    assert_eq!(statuses, vec!["spam".to_string()]);
    assert!(!bot.get(&svc, "/posts/story").await.contains("Cheap pills"));
}

#[actix_web::test]
async fn commenting_too_fast_is_limited() {
    let app = TestApp::new();
    app.comment_policy("open");
    app.user("ann", Role::Commenter);
    app.post("Story", "Text", 1);
    let svc = app.service().await;
    let mut ann = Browser::new();
    ann.login(&svc, &app, "ann").await;
    // Replies to a comment that is not there are refused and spend nothing.
    for i in 0..6 {
        let refused = say(
            &svc,
            &mut ann,
            "story",
            &format!("Stray {i}"),
            Some(999_999),
        )
        .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    for i in 0..5 {
        assert_eq!(
            say(&svc, &mut ann, "story", &format!("Quick {i}"), None)
                .await
                .status,
            StatusCode::SEE_OTHER
        );
    }
    let res = say(&svc, &mut ann, "story", "One too many", None).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(res.contains("Please wait a minute"));
    assert!(
        res.contains("One too many"),
        "the refused comment comes back"
    );
    let stored: i64 = comments::table.count().get_result(&mut app.conn()).unwrap();
    assert_eq!(stored, 5);
}

#[actix_web::test]
async fn bad_bodies_and_parents_are_refused_with_the_text_kept() {
    let app = TestApp::without_rate_limits();
    app.comment_policy("open");
    app.user("ann", Role::Commenter);
    app.post("Story", "Text", 1);
    app.post("Other", "Text", 2);
    let svc = app.service().await;
    let mut ann = Browser::new();
    ann.login(&svc, &app, "ann").await;
    let other = comment_id(&say(&svc, &mut ann, "other", "On the other post", None).await);

    let res = say(&svc, &mut ann, "story", "   ", None).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.contains("Write something before you post."));

    let long = "word ".repeat(1001);
    let res = say(&svc, &mut ann, "story", &long, None).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.contains("under 5000 characters") && res.contains("word word word"),
        "text kept"
    );

    let res = say(
        &svc,
        &mut ann,
        "story",
        "Replying across posts",
        Some(other),
    )
    .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.contains("not open for replies") && res.contains("Replying across posts"));
    let res = say(
        &svc,
        &mut ann,
        "story",
        "Replying to nothing",
        Some(999_999),
    )
    .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);

    let token = ann.get(&svc, "/").await.csrf();
    let res = ann
        .post(
            &svc,
            "/posts/story/comments",
            &[("body", "x"), ("parent_id", "abc"), ("csrf_token", &token)],
        )
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    let res = ann
        .post(
            &svc,
            "/posts/nowhere/comments",
            &[("body", "x"), ("csrf_token", &token)],
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let count: i64 = comments::table.count().get_result(&mut app.conn()).unwrap();
    assert_eq!(count, 1, "only the first comment was stored");
}

#[actix_web::test]
async fn hostile_comment_markup_comes_out_inert() {
    let app = TestApp::without_rate_limits();
    app.comment_policy("open");
    app.user("ann", Role::Commenter);
    app.post("Story", "Text", 1);
    let svc = app.service().await;
    let mut ann = Browser::new();
    ann.login(&svc, &app, "ann").await;
    let corpus = [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(2)>",
        "[click](javascript:alert(3))",
        "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCg0KTwvc2NyaXB0Pg==)",
        "<svg onload=alert(5)><circle/></svg>",
        "<a href=\"javascript:alert(6)\">x</a>",
        "![img](javascript:alert(7))",
        "<iframe src=\"https://evil.example\"></iframe>",
        "[ok](https://example.com/page)",
    ];
    for body in corpus {
        assert_eq!(
            say(&svc, &mut ann, "story", body, None).await.status,
            StatusCode::SEE_OTHER,
            "{body}"
        );
    }
    let page = Browser::new().get(&svc, "/posts/story").await;
    let thread = &page.body[page.body.find("comment-list").unwrap()..];
    // Raw HTML is shown as text; no element or dangerous attribute comes through.
    let thread = &thread[..thread.find("</ol>").unwrap()];
    for tag in thread
        .split('<')
        .skip(1)
        .filter(|t| t.starts_with(|c: char| c.is_ascii_alphabetic()))
    {
        let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
        let name: String = tag
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect();
        assert!(
            !["script", "img", "svg", "iframe", "object", "embed"].contains(&name.as_str()),
            "<{tag}>"
        );
        assert!(!tag.contains(" on"), "event handler in <{tag}>");
        assert!(
            !tag.contains("javascript:") && !tag.contains("data:"),
            "dangerous link in <{tag}>"
        );
    }
    assert!(
        thread.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "shown as text"
    );
    assert!(
        thread.contains(r#"<a href="https://example.com/page" rel="nofollow ugc noopener">ok</a>"#)
    );
}

#[actix_web::test]
async fn disabled_users_cannot_post() {
    let app = TestApp::new();
    app.comment_policy("open");
    let ann = app.user("ann", Role::Commenter);
    app.post("Story", "Text", 1);
    let svc = app.service().await;
    let mut b = Browser::new();
    b.login(&svc, &app, "ann").await;
    let token = b.get(&svc, "/posts/story").await.csrf();
    User::set_disabled(&mut app.conn(), ann.id, true).unwrap();
    let res = b
        .post(
            &svc,
            "/posts/story/comments",
            &[("body", "Still here?"), ("csrf_token", &token)],
        )
        .await;
    assert_ne!(res.status, StatusCode::SEE_OTHER.min(StatusCode::OK));
    assert!(
        res.status == StatusCode::FORBIDDEN || res.location().starts_with("/login"),
        "{}",
        res.status
    );
    let count: i64 = comments::table.count().get_result(&mut app.conn()).unwrap();
    assert_eq!(count, 0);
}

#[actix_web::test]
async fn a_page_with_comments_turned_on_takes_them_like_an_article() {
    let app = TestApp::new();
    app.comment_policy("open");
    app.user("ann", Role::Commenter);
    app.page("Letters to the editor", |p| {
        p.slug = "letters".into();
        p.comments_enabled = true;
    });
    let svc = app.service().await;
    let signed_out = Browser::new().get(&svc, "/letters").await;
    assert!(signed_out.contains("Post a Comment"));
    assert!(signed_out.contains(r#"href="/login?next=/letters%23comments""#));

    let mut b = Browser::new();
    b.login(&svc, &app, "ann").await;
    let res = b
        .submit(
            &svc,
            "/letters",
            "/posts/letters/comments",
            &[("body", "Dear editor, more ferries."), ("website", "")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let id = comment_id(&res);
    assert_eq!(res.location(), format!("/letters#comment-{id}"));
    let page = b.get(&svc, "/letters").await;
    assert!(page.contains("Dear editor, more ferries."));
    assert!(page.contains(&format!(r#"href="?reply_to={id}#reply""#)));
    let reply = b.get(&svc, &format!("/letters?reply_to={id}")).await;
    assert!(reply.contains(&format!(
        r#"<a href="/letters#comment-{id}">Cancel reply</a>"#
    )));

    // A refused comment comes back on the page itself, text kept.
    let res = b
        .submit(
            &svc,
            "/letters",
            "/posts/letters/comments",
            &[("body", "   "), ("website", "")],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.contains(r#"<h1 class="article-title">Letters to the editor</h1>"#));
    assert!(!res.contains(r#"class="dateline""#));

    // Editing and deleting lead back to the page.
    let edit = b.get(&svc, &format!("/comments/{id}/edit")).await;
    assert!(edit.contains(&format!(
        r#"<a href="/letters#comment-{id}">Back to the article</a>"#
    )));
    let res = b
        .submit(
            &svc,
            &format!("/comments/{id}/edit"),
            &format!("/comments/{id}/edit"),
            &[("body", "Dear editor, more buses.")],
        )
        .await;
    assert_eq!(res.location(), format!("/letters#comment-{id}"));
    let res = b
        .submit(&svc, "/letters", &format!("/comments/{id}/delete"), &[])
        .await;
    assert_eq!(res.location(), "/letters#comments");
}

#[actix_web::test]
async fn a_page_with_comments_off_shows_no_comment_section_and_takes_none() {
    let app = TestApp::new();
    app.user("ann", Role::Commenter);
    app.page("About", |p| p.slug = "about".into());
    let svc = app.service().await;
    let mut b = Browser::new();
    b.login(&svc, &app, "ann").await;
    let page = b.get(&svc, "/about").await;
    assert!(!page.contains("Post a Comment") && !page.contains(r#"name="body""#));
    let res = b
        .submit(
            &svc,
            "/about",
            "/posts/about/comments",
            &[("body", "Hello"), ("website", "")],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
}
