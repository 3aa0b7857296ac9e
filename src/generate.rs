//! `broadsheet generate`: fills a database with realistic content for load
//! tests, through the same model and markdown code the site uses.

use std::time::Instant;

use crate::db::Conn;
use chrono::{Duration, NaiveDateTime};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Zipf};

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

/// The words the text is mostly made of, most frequent first: the highest
/// ranks of the vocabulary, so sentences still read like news.
const COMMON_WORDS: &[&str] = &[
    "the",
    "of",
    "and",
    "to",
    "a",
    "in",
    "that",
    "for",
    "on",
    "with",
    "as",
    "said",
    "from",
    "this",
    "who",
    "would",
    "were",
    "more",
    "than",
    "could",
    "after",
    "between",
    "while",
    "during",
    "next",
    "new",
    "year",
    "month",
    "weeks",
    "hours",
    "plan",
    "city",
    "local",
    "market",
    "council",
    "budget",
    "agreed",
    "talks",
    "ministers",
    "regional",
    "leaders",
    "bring",
    "jobs",
    "coastal",
    "towns",
    "critics",
    "warned",
    "costs",
    "rise",
    "faster",
    "expected",
    "winter",
    "prices",
    "energy",
    "fell",
    "sharply",
    "supply",
    "returned",
    "researchers",
    "found",
    "evidence",
    "river",
    "levels",
    "higher",
    "transport",
    "officials",
    "announced",
    "changes",
    "schedule",
    "trains",
    "evening",
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

/// Words of an English list (MIT-licensed `random_word`) that join the common
/// ones, picked by the seed: with a Zipf-like frequency over some thousands of
/// words, two words a reader might search for are found together in a few
/// posts in a thousand, as on a real site, rather than in most of them.
const LIST_WORDS: usize = 5000;
/// Zipf's exponent for English text is close to 1.
const ZIPF_EXPONENT: f64 = 1.05;

/// The words of the generated text by rank, and the rank of each next word.
struct Vocabulary {
    words: Vec<&'static str>,
    ranks: Zipf<f64>,
}

impl Vocabulary {
    /// The common words, then `LIST_WORDS` list words (lowercase, 3 to 12
    /// letters) in an order drawn from `rng`: the same seed, the same
    /// vocabulary, as long as the list crate's version stays (Cargo.lock).
    fn new(rng: &mut StdRng) -> Vocabulary {
        let list: Vec<&'static str> = random_word::all(random_word::Lang::En)
            .iter()
            .copied()
            .filter(|w| (3..=12).contains(&w.len()) && w.bytes().all(|b| b.is_ascii_lowercase()))
            .filter(|w| !COMMON_WORDS.contains(w))
            .collect();
        let mut words = COMMON_WORDS.to_vec();
        let picked = rand::seq::index::sample(rng, list.len(), LIST_WORDS.min(list.len()));
        words.extend(picked.into_iter().map(|i| list[i]));
        let ranks = match Zipf::new(words.len() as u64, ZIPF_EXPONENT) {
            Ok(ranks) => ranks,
            // Only a negative exponent is refused.
            Err(e) => unreachable!("{e}"),
        };
        Vocabulary { words, ranks }
    }

    fn word(&self, rng: &mut StdRng) -> &'static str {
        // A rank from 1 to the number of words, as a float.
        let rank = self.ranks.sample(rng) as usize;
        self.words[rank.clamp(1, self.words.len()) - 1]
    }
}

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

fn sentence(rng: &mut StdRng, vocab: &Vocabulary, min: usize, max: usize) -> String {
    let n = rng.gen_range(min..=max);
    let mut words: Vec<&str> = (0..n).map(|_| vocab.word(rng)).collect();
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

fn paragraph(rng: &mut StdRng, vocab: &Vocabulary) -> String {
    let n = rng.gen_range(2..=6);
    (0..n)
        .map(|_| sentence(rng, vocab, 6, 18))
        .collect::<Vec<_>>()
        .join(" ")
}

fn post_body(rng: &mut StdRng, vocab: &Vocabulary) -> String {
    let mut parts = Vec::new();
    for i in 0..rng.gen_range(3..=9) {
        match (i, rng.gen_range(0..10)) {
            (i, 0) if i > 0 => parts.push(format!(
                "> “{}” said one official.",
                sentence(rng, vocab, 8, 16)
            )),
            (i, 1) if i > 0 => parts.push(format!(
                "## {}",
                sentence(rng, vocab, 3, 6).trim_end_matches('.')
            )),
            (_, 2) => parts.push(format!(
                "{} Read the [full report](https://example.com/report/{}) for details.",
                paragraph(rng, vocab),
                rng.gen_range(1000..9999)
            )),
            _ => parts.push(paragraph(rng, vocab)),
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
    let vocab = Vocabulary::new(&mut rng);

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
                body: post_body(&mut rng, &vocab),
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
            let comments = plan_comments(&mut rng, &vocab, published_at, count, &user_ids, now);
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
    vocab: &Vocabulary,
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
            format!(
                "> {}\n\n{}",
                sentence(rng, vocab, 5, 10),
                paragraph(rng, vocab)
            )
        } else {
            paragraph(rng, vocab)
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
