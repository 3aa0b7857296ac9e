//! `broadsheet generate` writes a realistic site that the app then serves.

mod common;

use actix_web::http::StatusCode;
use actix_web::test;
use broadsheet::build_app;
use broadsheet::generate::{run, GenerateArgs};
use broadsheet::schema::{comments, posts, users};
use common::{Browser, TestApp};
use diesel::prelude::*;

#[actix_web::test]
async fn generated_content_is_counted_threaded_and_browsable() {
    let app = TestApp::new();
    let args = GenerateArgs {
        posts: 40,
        comments_per_post: 6,
        users: 12,
        busy_post_comments: 30,
        seed: 7,
    };
    let done = run(&mut app.conn(), &args).unwrap();
    assert_eq!(done.posts, 40);
    assert_eq!(done.comments, 39 * 6 + 30);
    let mut conn = app.conn();
    let post_count: i64 = posts::table.count().get_result(&mut conn).unwrap();
    let comment_count: i64 = comments::table.count().get_result(&mut conn).unwrap();
    let user_count: i64 = users::table.count().get_result(&mut conn).unwrap();
    assert_eq!(
        (post_count, comment_count, user_count),
        (40, 39 * 6 + 30, 12)
    );

    // Replies stay on their parent's post.
    let cross: i64 = diesel::sql_query(
        "SELECT count(*) AS n FROM comments c JOIN comments p ON p.id = c.parent_id WHERE p.post_id <> c.post_id",
    )
    .get_result::<Count>(&mut conn)
    .unwrap()
    .n;
    assert_eq!(cross, 0);
    let replies: i64 = comments::table
        .filter(comments::parent_id.is_not_null())
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert!(replies > 0, "some comments are replies");
    let dates: Vec<Option<chrono::NaiveDateTime>> = posts::table
        .select(posts::published_at)
        .load(&mut conn)
        .unwrap();
    let years = dates
        .iter()
        .flatten()
        .map(chrono::Datelike::year)
        .collect::<std::collections::HashSet<_>>()
        .len();
    assert!(years >= 3, "dates spread over years, got {years}");
    drop(conn);

    let svc = test::init_service(build_app(app.state())).await;
    let mut b = Browser::new();
    let busy = b.get(&svc, &format!("/posts/{}", done.busy_slug)).await;
    assert_eq!(busy.status, StatusCode::OK);
    assert!(
        busy.body.matches("class=\"comment depth-").count() >= 25,
        "the busy post shows its thread"
    );
    let home = b.get(&svc, "/").await;
    assert!(
        home.contains(&done.busy_slug),
        "the busy post is the newest"
    );
    assert_eq!(b.get(&svc, "/archive").await.status, StatusCode::OK);
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}
