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

use std::mem::size_of;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, AcceptEncoding, Encoding, HeaderMap, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use actix_web::{HttpMessage, HttpResponse};
use chrono::NaiveDateTime;

use crate::auth::session::{FLASH_COOKIE, SESSION_COOKIE};
use crate::auth::Visitor;
use crate::models::post::Article;
use crate::models::{self, site_version, Post, Session, Settings, User};
use crate::routes::conditional::validators_match;
use crate::view::Sidebar;
use crate::{db, AppState};

/// Paths that are never cached: forms, personal and administrative pages.
const NEVER: [&str; 7] = [
    "/admin",
    "/login",
    "/register",
    "/setup",
    "/account",
    "/comments",
    "/healthz",
];

/// The codings `Compress` chooses among (actix-web's default features), in
/// its order; the negotiation itself is actix-web's own.
const CODINGS: [Encoding; 5] = [
    Encoding::identity(),
    Encoding::brotli(),
    Encoding::gzip(),
    Encoding::deflate(),
    Encoding::zstd(),
];

/// What an entry costs beyond what it holds: the key's and the cache's own
/// bookkeeping (moka keeps a few pointers, counters and a timestamp each).
const ENTRY_OVERHEAD: usize = 256;

/// A whole answer, kept compact: a `HeaderMap` is a hash table of a few
/// kilobytes even for ten headers, more than most compressed bodies.
pub struct Page {
    status: StatusCode,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Bytes,
}

impl Page {
    fn header_map(&self) -> HeaderMap {
        let mut map = HeaderMap::with_capacity(self.headers.len());
        for (name, value) in &self.headers {
            map.append(name.clone(), value.clone());
        }
        map
    }
}

/// An estimate of the heap a cached value holds, for the byte budget.
pub trait Weigh {
    fn weigh(&self) -> usize;
}

impl Weigh for Page {
    fn weigh(&self) -> usize {
        let headers: usize = self
            .headers
            .iter()
            .map(|(name, value)| name.as_str().len() + value.len())
            .sum();
        size_of::<Page>()
            + self.headers.capacity() * size_of::<(HeaderName, HeaderValue)>()
            + headers
            + self.body.len()
    }
}

impl Weigh for (Settings, Article, Sidebar) {
    fn weigh(&self) -> usize {
        let (settings, article, sidebar) = self;
        let settings = settings.title.len() + settings.description.len() + 16;
        let post = &article.post;
        let post = post.slug.len()
            + post.title.len()
            + post.dateline.len()
            + post.body.len()
            + post.body_html.len()
            + post.excerpt.len();
        let tags: usize = article
            .tags
            .iter()
            .map(|t| size_of::<crate::models::Tag>() + t.name.len() + t.slug.len())
            .sum();
        let comments: usize = article
            .comments
            .iter()
            .map(|c| {
                size_of::<crate::models::comment::CommentView>()
                    + c.author.len()
                    + c.comment.body.len()
                    + c.comment.body_html.len()
            })
            .sum();
        let neighbours: usize = [&article.previous, &article.next]
            .into_iter()
            .flatten()
            .map(|n| n.slug.len() + n.title.len())
            .sum();
        let years: usize = sidebar
            .years
            .iter()
            .map(|y| {
                size_of::<crate::view::YearGroup>()
                    + y.year.len()
                    + y.months
                        .iter()
                        .map(|m| size_of::<crate::view::MonthLink>() + m.href.len())
                        .sum::<usize>()
            })
            .sum();
        let sidebar_tags: usize = sidebar
            .tags
            .iter()
            .map(|t| size_of::<crate::models::tag::TagCount>() + t.name.len() + t.slug.len())
            .sum();
        size_of::<Self>()
            + settings
            + post
            + article.author.len()
            + tags
            + comments
            + neighbours
            + years
            + sidebar_tags
    }
}

impl Weigh for (Session, User) {
    fn weigh(&self) -> usize {
        let (session, user) = self;
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
    pub pages: Store<Page>,
    /// Articles with their comments, the settings and the sidebar, by slug, for every
    /// reader (each page is then rendered for its viewer).
    pub articles: Store<(Settings, Article, Sidebar)>,
    /// Signed-in sessions by token hash: a signed-in request needs no
    /// database round trip to learn who is asking.
    pub sessions: Store<(Session, User)>,
    freshness: Freshness,
}

impl Caches {
    /// Caches that together hold at most `cache_mb` megabytes (as weighed).
    ///
    /// The budget is split 5 : 2 : 1 between pages, articles and sessions.
    /// Pages are the most numerous (every list page, feed and search, in each
    /// coding) and what saves the most work; an article entry is one post
    /// with its comments, and only recently read posts need to stay; a
    /// session weighs about half a kilobyte, so an eighth of the default
    /// 32 MB still keeps some 8,000 signed-in readers.
    pub fn new(revalidate_ms: u64, cache_mb: u64) -> Caches {
        let budget = cache_mb.saturating_mul(1024 * 1024);
        Caches {
            pages: Store::new("pages", budget / 8 * 5),
            articles: Store::new("articles", budget / 8 * 2),
            sessions: Store::new("sessions", budget / 8),
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
        self.sessions.clear();
    }

    /// Reads the database's counters when due and drops what they outdate.
    pub async fn revalidate(&self, pool: &db::DbPool) -> Result<(), crate::error::AppError> {
        if !self.freshness.due() {
            return Ok(());
        }
        self.check(pool).await
    }

    /// Reads the database's counters now and drops only the stores whose
    /// counter moved since they were last read.
    pub async fn check(&self, pool: &db::DbPool) -> Result<(), crate::error::AppError> {
        let seen = db::run(pool, |conn| Ok(site_version::current(conn)?)).await?;
        if self.freshness.content.swap(seen.content, Ordering::Relaxed) != seen.content {
            self.pages.clear();
            self.articles.clear();
        }
        if self.freshness.auth.swap(seen.auth, Ordering::Relaxed) != seen.auth {
            self.sessions.clear();
        }
        Ok(())
    }

    /// What the stores hold together, in weighed bytes (exact: pending
    /// evictions are applied first).
    pub fn weighed_bytes(&self) -> u64 {
        self.pages.weighed_bytes() + self.articles.weighed_bytes() + self.sessions.weighed_bytes()
    }

    /// One line per store: entries, weighed size, budget and hit rate.
    pub fn report(&self) -> String {
        [
            self.pages.report(),
            self.articles.report(),
            self.sessions.report(),
        ]
        .join("")
    }
}

/// A value and the instant it stops being right, if any.
struct Entry<V> {
    value: Arc<V>,
    expires: Option<Instant>,
}

// By hand: cloning shares the value, so `V` itself need not be `Clone`.
impl<V> Clone for Entry<V> {
    fn clone(&self) -> Self {
        Entry {
            value: Arc::clone(&self.value),
            expires: self.expires,
        }
    }
}

/// A map shared by all workers, bounded by the bytes its entries weigh
/// (least used go first), whose entries may expire at a set instant.
pub struct Store<V> {
    name: &'static str,
    budget: u64,
    entries: moka::sync::Cache<String, Entry<V>>,
    /// Bumped by every `clear`, so a page built before one is not stored after it.
    generation: AtomicU64,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl<V: Weigh + Send + Sync + 'static> Store<V> {
    pub fn new(name: &'static str, budget: u64) -> Store<V> {
        let entries = moka::sync::Cache::builder()
            .max_capacity(budget)
            .weigher(|key: &String, entry: &Entry<V>| {
                let bytes = key.len() + entry.value.weigh() + ENTRY_OVERHEAD;
                u32::try_from(bytes).unwrap_or(u32::MAX)
            })
            .build();
        Store {
            name,
            budget,
            entries,
            generation: AtomicU64::new(0),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    pub fn get(&self, key: &str) -> Option<Arc<V>> {
        let found = match self.entries.get(key) {
            // One expired entry means a scheduled post fell due: all go.
            Some(Entry {
                expires: Some(at), ..
            }) if at <= Instant::now() => {
                self.clear();
                None
            }
            found => found.map(|e| e.value),
        };
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    pub fn put(&self, key: String, value: Arc<V>, expires: Option<Instant>) {
        self.entries.insert(key, Entry { value, expires });
    }

    /// Stores `value` unless the store was cleared since `generation` was read.
    pub fn put_unless_cleared(
        &self,
        generation: u64,
        key: String,
        value: Arc<V>,
        expires: Option<Instant>,
    ) {
        if self.generation() == generation {
            self.put(key, value, expires);
        }
    }

    /// Changes whenever the store is cleared.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    pub fn clear(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.entries.invalidate_all();
    }

    /// How many entries it holds (exact: pending evictions are applied first).
    pub fn len(&self) -> usize {
        self.entries.run_pending_tasks();
        usize::try_from(self.entries.entry_count()).unwrap_or(usize::MAX)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// What its entries weigh together (exact: pending evictions are applied first).
    pub fn weighed_bytes(&self) -> u64 {
        self.entries.run_pending_tasks();
        self.entries.weighted_size()
    }

    /// The most its entries may weigh together.
    pub fn budget(&self) -> u64 {
        self.budget
    }

    /// `cache pages: 12 entries, 0.4 MB of 20.0 MB, hit rate 97% (1234 of 1272)`.
    pub fn report(&self) -> String {
        let (hits, misses) = (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        );
        let rate = match hits + misses {
            0 => "no requests yet".to_string(),
            all => format!("{}% ({hits} of {all})", hits * 100 / all),
        };
        let mb = |bytes: u64| bytes as f64 / (1024.0 * 1024.0);
        format!(
            "cache {}: {} entries, {:.1} MB of {:.1} MB, hit rate {rate}\n",
            self.name,
            self.len(),
            mb(self.weighed_bytes()),
            mb(self.budget),
        )
    }
}

/// The instant a page built at `now` stops being right because a scheduled
/// post falls due.
pub fn expiry(now: NaiveDateTime, next_due: Option<NaiveDateTime>) -> Option<Instant> {
    next_due
        .and_then(|at| (at - now).to_std().ok())
        .map(|wait| Instant::now() + wait.max(Duration::from_millis(1)))
}

/// Whether this request may be answered from (and fill) the cache.
fn cacheable_request(req: &ServiceRequest) -> bool {
    let path = req.path();
    req.method() == Method::GET
        && req.cookie(SESSION_COOKIE).is_none()
        && req.cookie(FLASH_COOKIE).is_none()
        && !NEVER
            .iter()
            .any(|p| path == *p || path.starts_with(&format!("{p}/")))
        && !path.starts_with("/static/")
}

/// The coding `Compress` will answer this request in, from all its
/// `Accept-Encoding` values; `None` when it answers 406 instead.
fn chosen_coding(req: &ServiceRequest) -> Option<Encoding> {
    match req.get_header::<AcceptEncoding>() {
        None => Some(Encoding::identity()),
        Some(accepted) => accepted.negotiate(CODINGS.iter()),
    }
}

/// The query parameters the page at `path` reads; `None` for addresses that
/// are no reading page (most are 404s). A handler that starts reading a new
/// parameter must be given it here, or readers are sent (301) to the address
/// without it.
fn parameters_of(path: &str) -> Option<&'static [&'static str]> {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match segments.as_slice() {
        [""] | ["tags", _] | ["archive", _] | ["archive", _, _] => Some(&["page"]),
        ["search"] => Some(&["q", "page"]),
        ["posts", _] => Some(&["reply_to"]),
        ["archive"]
        | ["tags", _, "feed.xml"]
        | ["feed.xml" | "sitemap.xml" | "sitemap-pages.xml" | "robots.txt"] => Some(&[]),
        [file] if file.starts_with("sitemap-posts-") => Some(&[]),
        _ => None,
    }
}

/// Where a reading request belongs.
#[derive(Debug, PartialEq, Eq)]
enum Address {
    /// The path and the parameters the page reads, in a fixed order and one
    /// encoding: the cache key.
    Canonical(String),
    /// The query has parameters the page ignores: 301 to the canonical address.
    Elsewhere(String),
    /// Not a reading page, or a parameter given twice: answered, not cached.
    Uncached,
}

fn address_of(path: &str, query: &str) -> Address {
    let Some(known) = parameters_of(path) else {
        return Address::Uncached;
    };
    let mut found: Vec<(usize, String)> = Vec::new();
    let mut ignored = false;
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        let Some(at) = known.iter().position(|k| *k == name) else {
            ignored = true;
            continue;
        };
        if found.iter().any(|(seen, _)| *seen == at) {
            return Address::Uncached;
        }
        found.push((at, value.into_owned()));
    }
    found.sort();
    let mut address = path.to_string();
    if !found.is_empty() {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (at, value) in &found {
            query.append_pair(known[*at], value);
        }
        address = format!("{address}?{}", query.finish());
    }
    if ignored {
        Address::Elsewhere(address)
    } else {
        Address::Canonical(address)
    }
}

fn respond(page: &Page, req: &ServiceRequest) -> HttpResponse {
    let header = |name| {
        req.headers()
            .get(name)
            .and_then(|v: &header::HeaderValue| v.to_str().ok())
    };
    let not_modified = validators_match(
        header(header::IF_NONE_MATCH),
        header(header::IF_MODIFIED_SINCE),
        &page.header_map(),
    );
    let mut res = if not_modified {
        HttpResponse::NotModified().finish()
    } else {
        HttpResponse::build(page.status).body(page.body.clone())
    };
    for (name, value) in &page.headers {
        if not_modified
            && matches!(
                *name,
                header::CONTENT_TYPE | header::CONTENT_LENGTH | header::CONTENT_ENCODING
            )
        {
            continue;
        }
        res.headers_mut().append(name.clone(), value.clone());
    }
    res
}

/// Whether a body sent with these headers can be read by every client whose
/// request negotiates `coding`: it is in that coding, or in none.
fn readable_as(headers: &HeaderMap, coding: &Encoding) -> bool {
    let sent: Vec<&header::HeaderValue> = headers.get_all(header::CONTENT_ENCODING).collect();
    match sent.as_slice() {
        [] => true,
        [one] => one.to_str().is_ok_and(|s| {
            s.eq_ignore_ascii_case("identity") || s.eq_ignore_ascii_case(&coding.to_string())
        }),
        _ => false,
    }
}

/// Middleware: answers signed-out readers from the cache and keeps it fresh.
pub async fn serve(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let cache = &state.cache.pages;
    let (coding, address) = match chosen_coding(&req) {
        Some(coding) if cacheable_request(&req) => {
            (Some(coding), address_of(req.path(), req.query_string()))
        }
        _ => (None, Address::Uncached),
    };
    if let Address::Elsewhere(canonical) = &address {
        let res = HttpResponse::MovedPermanently()
            .insert_header((header::LOCATION, canonical.as_str()))
            .finish();
        return Ok(req.into_response(res));
    }
    let (Some(coding), Address::Canonical(address)) = (coding, address) else {
        let changes = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
        let res = next.call(req).await?;
        if changes {
            // Whatever the answer said, trust only the counters: they moved
            // if and only if something a cache holds changed.
            if let Err(e) = state.cache.check(&state.pool).await {
                tracing::warn!(error = %e, "cache counters unreadable; emptying every cache");
                state.cache.clear();
            }
        }
        return Ok(res.map_into_boxed_body());
    };
    state.cache.revalidate(&state.pool).await?;
    let key = format!("{coding}\n{address}");
    if let Some(page) = cache.get(&key) {
        let res = respond(&page, &req);
        return Ok(req.into_response(res));
    }

    let generation = cache.generation();
    let res = next.call(req).await?;
    let used_token = res
        .request()
        .extensions()
        .get::<Visitor>()
        .is_some_and(Visitor::handed_out_token);
    if res.status() != StatusCode::OK
        || used_token
        || res.headers().contains_key(header::SET_COOKIE)
        || !readable_as(res.headers(), &coding)
    {
        return Ok(res.map_into_boxed_body());
    }
    let (req, res) = res.into_parts();
    let (head, body) = res.into_parts();
    let bytes = body::to_bytes(body)
        .await
        .map_err(|e| actix_web::error::ErrorInternalServerError(e.into()))?;
    let now = models::now();
    let due = db::run(&state.pool, move |conn| {
        Ok(Post::next_scheduled(conn, now)?)
    })
    .await?;
    let page = Arc::new(Page {
        status: head.status(),
        headers: head
            .headers()
            .iter()
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect(),
        // A copy of exactly its length: an encoder's buffer may be larger.
        body: Bytes::copy_from_slice(&bytes),
    });
    cache.put_unless_cleared(generation, key, Arc::clone(&page), expiry(now, due));
    let mut fresh = HttpResponse::build(page.status).body(page.body.clone());
    *fresh.headers_mut() = page.header_map();
    Ok(ServiceResponse::new(req, fresh))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_keep_only_the_parameters_their_page_reads() {
        use Address::*;
        let cases = [
            ("/", "", Canonical("/".into())),
            ("/", "page=2&x=1", Elsewhere("/?page=2".into())),
            (
                "/search",
                "page=2&q=a%20b",
                Canonical("/search?q=a+b&page=2".into()),
            ),
            ("/search", "q=a&q=b", Uncached),
            ("/feed.xml", "x=1", Elsewhere("/feed.xml".into())),
            (
                "/sitemap-posts-3.xml",
                "",
                Canonical("/sitemap-posts-3.xml".into()),
            ),
            // Never a redirect off the site, nor for addresses that are no page.
            ("//evil.example", "x=1", Uncached),
            ("/nowhere/at/all", "x=1", Uncached),
        ];
        for (path, query, expected) in cases {
            assert_eq!(address_of(path, query), expected, "{path}?{query}");
        }
    }
}
