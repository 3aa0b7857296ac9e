//! `broadsheet generate`: fills a database with realistic content for load
//! tests, through the same model and markdown code the site uses.

use std::time::Instant;

use crate::db::Conn;
use chrono::{Duration, NaiveDateTime};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use crate::db;
use crate::error::AppError;
use crate::markdown;
use crate::models::comment::NewComment;
use crate::models::post::{PostInput, RenderedPost};
use crate::models::user::NewUser;
use crate::models::{self, Comment, CommentStatus, Post, Role, User};

#[derive(Debug, Clone, clap::Args)]
pub struct GenerateArgs {
    /// Posts to write.
    #[arg(long, default_value_t = 1000)]
    pub posts: u32,
    /// Comments under each post (threaded, by many users).
    #[arg(long, default_value_t = 10)]
    pub comments_per_post: u32,
    /// Commenters to create (they get no usable password).
    #[arg(long, default_value_t = 500)]
    pub users: u32,
    /// Comments under the newest post, for benchmarking a busy article.
    #[arg(long, default_value_t = 50)]
    pub busy_post_comments: u32,
    /// Seed for the random choices, so two runs write the same site.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// What was written, for the command's report.
#[derive(Debug)]
pub struct Generated {
    pub posts: u32,
    pub comments: u64,
    pub users: u32,
    pub busy_slug: String,
    pub seconds: f64,
}

const WORDS: &[&str] = &[
    "the",
    "council",
    "agreed",
    "on",
    "a",
    "new",
    "budget",
    "after",
    "weeks",
    "of",
    "talks",
    "between",
    "ministers",
    "and",
    "regional",
    "leaders",
    "who",
    "said",
    "plan",
    "would",
    "bring",
    "jobs",
    "to",
    "coastal",
    "towns",
    "while",
    "critics",
    "warned",
    "that",
    "costs",
    "could",
    "rise",
    "faster",
    "than",
    "expected",
    "in",
    "winter",
    "market",
    "prices",
    "for",
    "energy",
    "fell",
    "sharply",
    "as",
    "supply",
    "returned",
    "researchers",
    "found",
    "evidence",
    "river",
    "levels",
    "were",
    "higher",
    "this",
    "year",
    "city",
    "transport",
    "officials",
    "announced",
    "changes",
    "schedule",
    "from",
    "next",
    "month",
    "with",
    "more",
    "trains",
    "during",
    "evening",
    "hours",
    "local",
    "schools",
    "reported",
    "strong",
    "results",
    "teachers",
    "credited",
    "smaller",
    "classes",
    "farmers",
    "harvest",
    "weather",
    "court",
    "ruled",
    "case",
    "appeal",
    "election",
    "voters",
    "turnout",
    "policy",
    "trade",
    "deal",
    "summit",
];

const TITLE_WORDS: &[&str] = &[
    "Budget",
    "Summit",
    "Harbour",
    "Election",
    "Rail",
    "Energy",
    "Harvest",
    "Court",
    "Schools",
    "Housing",
    "Storm",
    "Museum",
    "Bridge",
    "Trade",
    "Festival",
    "Hospital",
    "Airport",
    "Library",
    "River",
    "Market",
    "Council",
    "Talks",
    "Reform",
    "Strike",
    "Vaccine",
    "Satellite",
    "Forest",
    "Tariffs",
    "Startups",
    "Drought",
];

const VERBS: &[&str] = &[
    "Delays", "Divides", "Lifts", "Reshapes", "Tests", "Splits", "Revives", "Worries", "Rattles",
    "Boosts",
];

const PLACES: &[&str] = &[
    "Washington/Brussels",
    "London",
    "Berlin",
    "Nairobi",
    "Tokyo",
    "São Paulo",
    "Madrid",
    "Ottawa",
    "Canberra",
    "",
];

const TAGS: &[&str] = &[
    "Politics",
    "Economy",
    "Science",
    "Climate",
    "Transport",
    "Health",
    "Education",
    "Culture",
    "Sport",
    "Technology",
    "World",
    "Local",
    "Business",
    "Law",
    "Energy",
    "Housing",
    "Farming",
    "Travel",
    "Opinion",
    "Analysis",
    "Europe",
    "Africa",
    "Asia",
    "Americas",
    "Elections",
    "Budget",
    "Trade",
    "Cities",
    "Weather",
    "Space",
];

fn sentence(rng: &mut StdRng, min: usize, max: usize) -> String {
    let n = rng.gen_range(min..=max);
    let mut words: Vec<&str> = (0..n)
        .map(|_| *WORDS.choose(rng).unwrap_or(&"news"))
        .collect();
    let mut s = words.remove(0).to_string();
    if let Some(first) = s.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    for w in words {
        s.push(' ');
        s.push_str(w);
    }
    s.push('.');
    s
}

fn paragraph(rng: &mut StdRng) -> String {
    let n = rng.gen_range(2..=6);
    (0..n)
        .map(|_| sentence(rng, 6, 18))
        .collect::<Vec<_>>()
        .join(" ")
}

fn post_body(rng: &mut StdRng) -> String {
    let mut parts = Vec::new();
    for i in 0..rng.gen_range(3..=9) {
        match (i, rng.gen_range(0..10)) {
            (i, 0) if i > 0 => {
                parts.push(format!("> “{}” said one official.", sentence(rng, 8, 16)))
            }
            (i, 1) if i > 0 => {
                parts.push(format!("## {}", sentence(rng, 3, 6).trim_end_matches('.')))
            }
            (_, 2) => parts.push(format!(
                "{} Read the [full report](https://example.com/report/{}) for details.",
                paragraph(rng),
                rng.gen_range(1000..9999)
            )),
            _ => parts.push(paragraph(rng)),
        }
    }
    parts.join("\n\n")
}

fn title(rng: &mut StdRng, n: u32) -> String {
    let a = TITLE_WORDS.choose(rng).unwrap_or(&"News");
    let v = VERBS.choose(rng).unwrap_or(&"Tests");
    let b = TITLE_WORDS.choose(rng).unwrap_or(&"Plans");
    format!("{a} {v} {b} Plans, Issue {n}")
}

/// A post as it will be written: rendered, with its comments planned.
struct Planned {
    post: RenderedPost,
    comments: Vec<PlannedComment>,
    newest: bool,
}

struct PlannedComment {
    author_id: i32,
    /// The index of an earlier approved comment of the same post.
    parent: Option<usize>,
    body: String,
    body_html: String,
    status: CommentStatus,
    created_at: NaiveDateTime,
}

/// Writes the content in transactions of a few hundred posts each; each
/// batch is rendered before its transaction opens, so a server using the same
/// file waits for the write lock only while rows are inserted.
pub fn run(conn: &mut Conn, args: &GenerateArgs) -> Result<Generated, AppError> {
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(args.seed);
    let now = models::now();
    let run_tag: String = format!("{:x}", rng.gen::<u32>());

    let user_ids = db::write_with(conn, |conn| {
        let mut ids = Vec::with_capacity(args.users as usize);
        for i in 0..args.users.max(1) {
            let username = format!("reader{i}-{run_tag}");
            let user = User::create(
                conn,
                &NewUser {
                    username: &username,
                    email: &format!("{username}@example.com"),
                    display_name: &format!("Reader {i}"),
                    // Not a hash at all: nobody can sign in as a generated user.
                    password_hash: "!generated",
                    role: Role::Commenter,
                    created_at: now - Duration::days(3000),
                },
            )?;
            ids.push(user.id);
        }
        Ok(ids)
    })?;

    let span_minutes = 8 * 365 * 24 * 60;
    let mut comments = 0u64;
    let mut busy_slug = String::new();
    let batch = 250;
    let mut written = 0;
    while written < args.posts {
        let upto = (written + batch).min(args.posts);
        let mut planned = Vec::with_capacity((upto - written) as usize);
        for n in written..upto {
            // The last post written is the newest: the busy one.
            let newest = n + 1 == args.posts;
            let age = if newest {
                60
            } else {
                rng.gen_range(120..span_minutes)
            };
            let published_at = now - Duration::minutes(age);
            let tags = (0..rng.gen_range(1..=3))
                .map(|_| TAGS.choose(&mut rng).unwrap_or(&"News").to_string())
                .collect();
            let post = PostInput {
                kind: crate::models::PostKind::Post,
                title: title(&mut rng, n + 1),
                slug: String::new(),
                dateline: PLACES.choose(&mut rng).unwrap_or(&"").to_string(),
                body: post_body(&mut rng),
                tags,
                published: true,
                published_at: Some(published_at),
                comments_enabled: true,
                author_id: None,
                ..PostInput::default()
            }
            .render();
            let count = if newest {
                args.busy_post_comments.max(args.comments_per_post)
            } else {
                args.comments_per_post
            };
            let comments = plan_comments(&mut rng, published_at, count, &user_ids, now);
            planned.push(Planned {
                post,
                comments,
                newest,
            });
        }
        let (count, busy) = db::write_with(conn, |conn| {
            let mut count = 0u64;
            let mut busy = None;
            for plan in &planned {
                let at = plan.post.input.published_at.unwrap_or(now);
                let post = Post::create(conn, &plan.post, at)?;
                count += write_comments(conn, post.id, &plan.comments)?;
                if plan.newest {
                    busy = Some(post.slug);
                }
            }
            Ok((count, busy))
        })?;
        comments += count;
        if let Some(slug) = busy {
            busy_slug = slug;
        }
        written = upto;
    }
    Ok(Generated {
        posts: args.posts,
        comments,
        users: args.users.max(1),
        busy_slug,
        seconds: started.elapsed().as_secs_f64(),
    })
}

fn plan_comments(
    rng: &mut StdRng,
    start: NaiveDateTime,
    count: u32,
    users: &[i32],
    now: NaiveDateTime,
) -> Vec<PlannedComment> {
    let mut planned: Vec<PlannedComment> = Vec::with_capacity(count as usize);
    let mut approved: Vec<usize> = Vec::new();
    let mut at = start;
    for _ in 0..count {
        at = (at + Duration::minutes(rng.gen_range(1..600))).min(now);
        let parent = if !approved.is_empty() && rng.gen_bool(0.4) {
            approved.choose(rng).copied()
        } else {
            None
        };
        let body = if rng.gen_bool(0.2) {
            format!("> {}\n\n{}", sentence(rng, 5, 10), paragraph(rng))
        } else {
            paragraph(rng)
        };
        let status = match rng.gen_range(0..100) {
            0..=1 => CommentStatus::Pending,
            2 => CommentStatus::Spam,
            _ => CommentStatus::Approved,
        };
        if status.is_approved() {
            approved.push(planned.len());
        }
        planned.push(PlannedComment {
            author_id: *users.choose(rng).unwrap_or(&1),
            parent,
            body_html: markdown::render_comment(&body),
            body,
            status,
            created_at: at,
        });
    }
    planned
}

fn write_comments(
    conn: &mut Conn,
    post_id: i32,
    planned: &[PlannedComment],
) -> Result<u64, AppError> {
    let mut ids: Vec<i32> = Vec::with_capacity(planned.len());
    for plan in planned {
        let comment = Comment::create(
            conn,
            &NewComment {
                post_id,
                author_id: Some(plan.author_id),
                parent_id: plan.parent.and_then(|i| ids.get(i).copied()),
                body: &plan.body,
                body_html: &plan.body_html,
                status: plan.status,
                created_at: plan.created_at,
                guest_name: "",
                guest_website: "",
                guest_email: "",
            },
        )?;
        ids.push(comment.id);
    }
    Ok(planned.len() as u64)
}
