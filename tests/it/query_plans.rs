//! Every list readers browse is read from an index: each query the app sends
//! while serving the reading pages is put to SQLite's planner, which must
//! never walk a whole table of posts, tags, links, comments or users.
//!
//! A test binary of its own: it records the SQL of every connection through
//! diesel's process-wide instrumentation.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use crate::common::{Browser, TestApp};
use actix_web::http::StatusCode;
use broadsheet::models::{now, Role};
use chrono::{Duration, NaiveDate};
use diesel::connection::{set_default_instrumentation, Instrumentation, InstrumentationEvent};
use diesel::sql_types::Text;
use diesel::RunQueryDsl;

static RECORDING: AtomicBool = AtomicBool::new(false);
static SEEN: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn recorder() -> Option<Box<dyn Instrumentation>> {
    Some(Box::new(|event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::StartQuery { query, .. } = event {
            if RECORDING.load(Ordering::Relaxed) {
                let text = query.to_string();
                // The SQL before diesel's list of bound values.
                let sql = text.split(" -- binds: ").next().unwrap_or(&text);
                SEEN.lock().unwrap().push(sql.to_string());
            }
        }
    }))
}

#[derive(diesel::QueryableByName)]
struct PlanRow {
    #[diesel(sql_type = Text)]
    detail: String,
}

/// Names a query may call the big tables by: a scan of any of these without
/// an index reads every row.
const BIG: [&str; 10] = [
    "posts",
    "p",
    "post_tags",
    "pt",
    "tags",
    "t",
    "comments",
    "c",
    "users",
    "u",
];

/// The plan's lines that read a whole table of `BIG` row by row.
fn table_scans(plan: &[String]) -> Vec<String> {
    plan.iter()
        .filter(|line| {
            let Some(rest) = line.strip_prefix("SCAN ") else {
                return false;
            };
            let name = rest.split_whitespace().next().unwrap_or_default();
            BIG.contains(&name) && !rest.contains("INDEX")
        })
        .cloned()
        .collect()
}

#[actix_web::test]
async fn every_reading_page_is_served_from_indexes() {
    sqlite_only!("SQLite's planner explains plans from a query's shape alone; PostgreSQL's plans small test tables as whole-table reads whatever its indexes");
    set_default_instrumentation(recorder).unwrap();
    let app = TestApp::new();
    let ann = app.user("ann", Role::Author);
    let at = |day| {
        NaiveDate::from_ymd_opt(2025, 3, day)
            .and_then(|d| d.and_hms_opt(9, 0, 0))
            .unwrap()
    };
    for day in 1..=12 {
        app.post_with(&format!("Harbour report {day}"), |p| {
            p.published_at = Some(at(day));
            p.author_id = Some(ann.id);
            p.body = "The lighthouse and the ferries.".into();
            p.tags = vec!["Coast".into(), format!("Day {day}")];
        });
    }
    app.post_with("Tomorrow", |p| {
        p.published_at = Some(now() + Duration::days(1));
        p.tags = vec!["Coast".into()];
    });
    app.post_with("Draft", |p| p.published = false);
    app.page("About", |p| {
        p.slug = "about".into();
        p.comments_enabled = true;
        p.body = "Our office is in the lighthouse.".into();
    });
    let svc = app.service().await;
    let mut b = Browser::new();

    RECORDING.store(true, Ordering::Relaxed);
    for uri in [
        "/",
        "/?page=2",
        "/posts/harbour-report-6",
        "/about",
        "/archive",
        "/archive/2025",
        "/archive/2025/03",
        "/tags",
        "/tags/coast",
        "/tags/coast?page=2",
        "/feed.xml",
        "/tags/coast/feed.xml",
        "/search?q=lighthouse",
        "/sitemap.xml",
        "/sitemap-pages.xml",
        "/sitemap-posts-1.xml",
    ] {
        let page = b.get(&svc, uri).await;
        assert_eq!(page.status, StatusCode::OK, "{uri}");
    }
    RECORDING.store(false, Ordering::Relaxed);

    let mut queries: Vec<String> = SEEN
        .lock()
        .unwrap()
        .iter()
        .filter(|sql| sql.trim_start().to_uppercase().starts_with("SELECT"))
        .cloned()
        .collect();
    queries.sort();
    queries.dedup();
    assert!(
        queries.len() > 10,
        "the pages' queries were recorded: {queries:?}"
    );
    let mut conn = app.conn();
    let mut indexes_used = String::new();
    for sql in &queries {
        // Unbound parameters are NULL to the planner, which plans from the
        // query's shape alone (no statistics are gathered).
        let plan: Vec<String> = diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}"))
            .load::<PlanRow>(&mut *conn)
            .unwrap_or_else(|e| panic!("{e}: {sql}"))
            .into_iter()
            .map(|row| row.detail)
            .collect();
        let scans = table_scans(&plan);
        assert!(scans.is_empty(), "{sql}\nwalks a whole table: {plan:#?}");
        indexes_used.push_str(&plan.join("\n"));
        indexes_used.push('\n');
    }
    // The lists that leave pages out walk the index that starts with the kind,
    // and /tags the index of the tags in use.
    for index in [
        "posts_kind_status_published",
        "tags_listed",
        "posts_sitemap",
    ] {
        assert!(
            indexes_used.contains(index),
            "{index} is used: {indexes_used}"
        );
    }
}
