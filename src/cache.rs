//! In-memory caches shared by all workers: the pages signed-out readers get,
//! the articles every reader's page is rendered from, and the sessions of
//! signed-in readers.
//!
//! Only anonymous GETs are served pages: no session or flash cookie, and the
//! page did not hand out a CSRF token. A page is kept under the content coding
//! the server sends for the request (negotiated from every `Accept-Encoding`
//! value, as `Compress` does) and its canonical address: the path and only the
//! query parameters that page reads. A request with any other parameter is
//! sent (301) to the address without it, where the cached page is; one with
//! a parameter twice is answered but neither served from nor stored in the
//! cache. So made-up query strings can neither fill the cache nor make the
//! server render and compress a page for each.
//!
//! The three stores share one budget of `--cache-mb`, each bounded by the
//! bytes its entries weigh (an estimate of the heap they hold), not by count.
//!
//! Two counters that database triggers bump say when to drop what: `content`
//! (anything a reader could see) outdates pages and articles, `auth` (a
//! session ending, a user changing) outdates sessions. They are read again
//! right after every state-changing request on this instance, and at most
//! every `--cache-revalidate-ms` otherwise, for changes made elsewhere
//! (another instance, the command line). A form that changed nothing (a
//! logout without a session, a refused comment) drops nothing. A page also
//! expires when the next scheduled post falls due.

mod store;

pub use store::{Keep, Loaded, Store};

use std::mem::size_of;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use crate::clock::Clock;

use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::web::Bytes;

use crate::db;
use crate::models::paging::Paged;
use crate::models::post::{Article, ListedPost, MonthCount};
use crate::models::tag::TagCount;
use crate::models::{site_version, Session, Settings, Tag, User};
use crate::view::Sidebar;

/// A whole answer, kept compact: a `HeaderMap` is a hash table of a few
/// kilobytes even for ten headers, more than most compressed bodies.
pub struct CachedPage {
    pub status: StatusCode,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Bytes,
}

impl CachedPage {
    pub fn header_map(&self) -> HeaderMap {
        let mut map = HeaderMap::with_capacity(self.headers.len());
        for (name, value) in &self.headers {
            map.append(name.clone(), value.clone());
        }
        map
    }
}

/// The settings store's only key.
const SETTINGS_KEY: &str = "settings";

/// An estimate of the heap a cached value holds, for the byte budget.
pub trait Weigh {
    fn weigh(&self) -> usize;
}

impl Weigh for CachedPage {
    fn weigh(&self) -> usize {
        let headers: usize = self
            .headers
            .iter()
            .map(|(name, value)| name.as_str().len() + value.len())
            .sum();
        size_of::<CachedPage>()
            + self.headers.capacity() * size_of::<(HeaderName, HeaderValue)>()
            + headers
            + self.body.len()
    }
}

impl Weigh for Settings {
    fn weigh(&self) -> usize {
        let icon = self.icon.as_ref().map_or(0, |m| {
            m.hash.len() + m.stem.len() + m.variants.len() + m.alt.len() + m.original_name.len()
        });
        size_of::<Settings>() + self.title.len() + self.description.len() + self.menu.len() + icon
    }
}

/// An article as every reader's page is rendered from it, with the settings
/// and the sidebar of the moment it was loaded.
pub struct CachedArticle {
    /// Its HTML that is the same for every reader. The post's own `body` and
    /// `body_html` are left empty: only the parts hold its text.
    pub parts: crate::view::article::ArticleParts,
    pub settings: Settings,
    pub article: Article,
    pub sidebar: Arc<Sidebar>,
}

/// A live session and its user, by token hash.
pub struct CachedSession {
    pub session: Session,
    pub user: User,
}

impl Weigh for CachedArticle {
    fn weigh(&self) -> usize {
        let (settings, article) = (&self.settings, &self.article);
        let settings = settings.title.len() + settings.description.len() + settings.menu.len() + 16;
        let post = &article.post;
        let post = post.slug.len()
            + post.title.len()
            + post.dateline.len()
            + post.body.len()
            + post.body_html.len()
            + post.excerpt.len();
        let comments: usize = article
            .comments
            .iter()
            .map(|c| {
                size_of::<crate::models::comment::CommentView>()
                    + c.author.len()
                    + c.comment.body.len()
                    + c.html.len()
            })
            .sum();
        let neighbours: usize = [&article.previous, &article.next]
            .into_iter()
            .flatten()
            .map(|n| n.slug.len() + n.title.len())
            .sum();
        size_of::<Self>()
            + settings
            + post
            + article.author.len()
            + tags_weigh(&article.tags)
            + comments
            + article.readers_thread.len() * size_of::<(usize, usize)>()
            + neighbours
            + self.sidebar.weigh()
            + self.parts.bytes()
    }
}

fn tags_weigh(tags: &[Tag]) -> usize {
    tags.iter()
        .map(|t| size_of::<Tag>() + t.name.len() + t.slug.len())
        .sum()
}

fn tag_counts_weigh(tags: &[TagCount]) -> usize {
    tags.iter()
        .map(|t| size_of::<TagCount>() + t.name.len() + t.slug.len())
        .sum()
}

impl Weigh for Sidebar {
    fn weigh(&self) -> usize {
        self.html.len()
    }
}

/// What a list page is rendered from, with the sidebar of the moment it was
/// loaded: every reader's copy of the page is then rendered for its viewer.
pub struct CachedList<T> {
    pub listing: T,
    pub sidebar: Arc<Sidebar>,
}

/// One page of the home page, a tag's posts or a span of the archive.
pub struct PostList {
    pub tag: Option<Tag>,
    pub posts: Paged<ListedPost>,
}

/// What a list store holds.
pub trait Listing: Weigh + Send + Sync + 'static {
    /// Whether to keep it: an empty page past the first is not kept, so
    /// made-up page numbers cannot fill the store.
    fn worth_keeping(&self) -> bool {
        true
    }
}

impl Listing for PostList {
    fn worth_keeping(&self) -> bool {
        !self.posts.items.is_empty() || self.posts.page == 1
    }
}

impl Listing for Vec<MonthCount> {}

impl Listing for Vec<TagCount> {}

impl<T: Weigh> Weigh for CachedList<T> {
    fn weigh(&self) -> usize {
        size_of::<Self>() + self.listing.weigh() + self.sidebar.weigh()
    }
}

impl Weigh for PostList {
    fn weigh(&self) -> usize {
        let posts: usize = self
            .posts
            .items
            .iter()
            .map(|listed| {
                let p = &listed.post;
                size_of::<ListedPost>()
                    + p.slug.len()
                    + p.title.len()
                    + p.dateline.len()
                    + p.excerpt.len()
                    + p.custom_excerpt.len()
                    + listed.author.as_ref().map_or(0, String::len)
                    + tags_weigh(&listed.tags)
                    + listed.cover.as_ref().map_or(0, |m| {
                        size_of::<crate::models::media::Media>()
                            + m.hash.len()
                            + m.stem.len()
                            + m.variants.len()
                            + m.alt.len()
                            + m.original_name.len()
                    })
            })
            .sum();
        tags_weigh(self.tag.as_slice()) + posts
    }
}

impl Weigh for Vec<MonthCount> {
    fn weigh(&self) -> usize {
        self.iter()
            .map(|m| size_of::<MonthCount>() + m.year.len() + m.month.len())
            .sum()
    }
}

impl Weigh for Vec<TagCount> {
    fn weigh(&self) -> usize {
        tag_counts_weigh(self)
    }
}

impl Weigh for CachedSession {
    fn weigh(&self) -> usize {
        let (session, user) = (&self.session, &self.user);
        size_of::<Self>()
            + session.token_hash.len()
            + session.csrf_token.len()
            + user.username.len()
            + user.email.len()
            + user.display_name.len()
            + user.password_hash.len()
    }
}

/// What the caches last saw of the database's counters, and when.
struct Freshness {
    content: AtomicI64,
    auth: AtomicI64,
    checked_ms: AtomicU64,
    revalidate_ms: u64,
    started: Instant,
}

impl Freshness {
    /// Whether the counters should be read before trusting a cache (at most
    /// once per `revalidate_ms`; every time when that is 0).
    fn due(&self) -> bool {
        let now = self.started.elapsed().as_millis() as u64;
        let last = self.checked_ms.load(Ordering::Relaxed);
        if self.revalidate_ms == 0 || self.content.load(Ordering::Relaxed) < 0 {
            return true;
        }
        now.saturating_sub(last) >= self.revalidate_ms
            && self
                .checked_ms
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }
}

pub struct Caches {
    /// Whole answers for signed-out readers, by coding and canonical address.
    pub pages: Store<CachedPage>,
    /// Articles with their comments, the settings and the sidebar, by slug, for every
    /// reader (each page is then rendered for its viewer).
    pub articles: Store<CachedArticle>,
    /// What list pages are rendered from, by list and page, for every
    /// reader: a signed-in reader's home page needs no database round trip.
    pub lists: Store<CachedList<PostList>>,
    /// The archive's months, under one key.
    pub archive: Store<CachedList<Vec<MonthCount>>>,
    /// Every tag with its count, under one key.
    pub tag_index: Store<CachedList<Vec<TagCount>>>,
    /// Signed-in sessions by token hash: a signed-in request needs no
    /// database round trip to learn who is asking.
    pub sessions: Store<CachedSession>,
    /// The settings row, read again only after the content counter moves
    /// (a trigger bumps it when the settings change).
    settings: Store<Settings>,
    freshness: Freshness,
}

impl Caches {
    /// Caches that together hold at most `cache_mb` megabytes (as weighed).
    ///
    /// The budget is split 4 : 2 : 1 : 1 between pages, articles, lists and
    /// sessions. Pages are the most numerous (every list page, feed and
    /// search, in each coding) and what saves the most work; an article
    /// entry is one post with its comments, and only recently read posts
    /// need to stay; a list entry is a page of summaries (some 10 KB), so
    /// an eighth of the default 32 MB keeps hundreds (the archive's months
    /// and the tag index take a sixteenth of that eighth each); a session weighs about
    /// half a kilobyte, so an eighth still keeps some 8,000 signed-in
    /// readers.
    pub fn new(revalidate_ms: u64, cache_mb: u64, clock: &Clock) -> Caches {
        let budget = cache_mb.saturating_mul(1024 * 1024);
        Caches {
            pages: Store::new("pages", budget / 8 * 4, clock.clone()),
            articles: Store::new("articles", budget / 8 * 2, clock.clone()),
            lists: Store::new("lists", budget / 32 * 3, clock.clone()),
            archive: Store::new("archive", budget / 64, clock.clone()),
            tag_index: Store::new("tag index", budget / 64, clock.clone()),
            sessions: Store::new("sessions", budget / 8, clock.clone()),
            // One small row, outside the budget.
            settings: Store::new("settings", 64 * 1024, clock.clone()),
            freshness: Freshness {
                content: AtomicI64::new(-1),
                auth: AtomicI64::new(-1),
                checked_ms: AtomicU64::new(0),
                revalidate_ms,
                started: Instant::now(),
            },
        }
    }

    /// Empties every store.
    pub fn clear(&self) {
        self.pages.clear();
        self.articles.clear();
        self.lists.clear();
        self.archive.clear();
        self.tag_index.clear();
        self.sessions.clear();
        self.settings.clear();
    }

    /// The site's settings, from memory while the content counter stands still.
    pub async fn settings(
        &self,
        pool: &db::DbPool,
    ) -> Result<Arc<Settings>, crate::error::AppError> {
        self.revalidate(pool).await?;
        self.settings
            .get_or_load(SETTINGS_KEY, async {
                let settings = db::run(pool, |conn| Ok(Settings::load(conn)?)).await?;
                Ok(Loaded::until(Arc::new(settings), None))
            })
            .await
    }

    /// Reads the database's counters when due and drops what they outdate.
    /// With the database away the caches go on serving what they hold as of
    /// the last reading (a reader gets yesterday's page rather than a 503),
    /// and no request waits on a database known to be down; `Err` only
    /// when the counters were never read, so nothing held can be trusted.
    pub async fn revalidate(&self, pool: &db::DbPool) -> Result<(), crate::error::AppError> {
        if !self.freshness.due() {
            return Ok(());
        }
        let never_read = self.freshness.content.load(Ordering::Relaxed) < 0;
        if never_read {
            return self.check(pool).await;
        }
        if pool.is_down() {
            return Ok(());
        }
        if let Err(e) = self.check(pool).await {
            tracing::warn!(error = %e, "cache counters unreadable; serving what the caches hold");
        }
        Ok(())
    }

    /// Reads the database's counters now and drops only the stores whose
    /// counter moved since they were last read.
    pub async fn check(&self, pool: &db::DbPool) -> Result<(), crate::error::AppError> {
        let seen = db::run(pool, |conn| Ok(site_version::current(conn)?)).await?;
        if self.freshness.content.swap(seen.content, Ordering::Relaxed) != seen.content {
            self.pages.clear();
            self.articles.clear();
            self.lists.clear();
            self.archive.clear();
            self.tag_index.clear();
            self.settings.clear();
        }
        if self.freshness.auth.swap(seen.auth, Ordering::Relaxed) != seen.auth {
            self.sessions.clear();
        }
        Ok(())
    }

    /// What the stores hold together, in weighed bytes (exact: pending
    /// evictions are applied first).
    pub fn weighed_bytes(&self) -> u64 {
        self.pages.weighed_bytes()
            + self.articles.weighed_bytes()
            + self.lists.weighed_bytes()
            + self.archive.weighed_bytes()
            + self.tag_index.weighed_bytes()
            + self.sessions.weighed_bytes()
    }

    /// One line per store: entries, weighed size, budget and hit rate.
    pub fn report(&self) -> String {
        [
            self.pages.report(),
            self.articles.report(),
            self.lists.report(),
            self.archive.report(),
            self.tag_index.report(),
            self.sessions.report(),
        ]
        .join("")
    }
}
