//! In-memory caches shared by all workers: the pages signed-out readers get,
//! and the sessions of signed-in ones.
//!
//! Only anonymous GETs are served pages: no session or flash cookie, and the
//! page did not hand out a CSRF token. Every successful form post on this
//! instance empties both caches at once; changes made elsewhere (another
//! instance, the command line) are noticed within `--cache-revalidate-ms`,
//! through two counters that database triggers bump. A page also expires when
//! the next scheduled post falls due.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use actix_web::{HttpMessage, HttpResponse};

use crate::auth::session::{FLASH_COOKIE, SESSION_COOKIE};
use crate::auth::Visitor;
use chrono::NaiveDateTime;

use crate::models::post::Article;
use crate::models::{self, site_version, Post, Session, Settings, User};
use crate::routes::conditional::validators_match;
use crate::view::Sidebar;
use crate::{db, AppState};

/// A store this full starts over (query strings are unbounded).
const MAX_ENTRIES: usize = 20_000;
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

pub struct Page {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
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
    /// Whole answers for signed-out readers, by encoding and address.
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
    pub fn new(revalidate_ms: u64) -> Caches {
        Caches {
            pages: Store::default(),
            articles: Store::default(),
            sessions: Store::default(),
            freshness: Freshness {
                content: AtomicI64::new(-1),
                auth: AtomicI64::new(-1),
                checked_ms: AtomicU64::new(0),
                revalidate_ms,
                started: Instant::now(),
            },
        }
    }

    /// After a change made through this instance.
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
}

/// A value and the instant it stops being right, if any.
type Entry<V> = (Arc<V>, Option<Instant>);

/// A map shared by all workers whose entries may expire at a set instant.
pub struct Store<V> {
    entries: RwLock<HashMap<String, Entry<V>>>,
}

impl<V> Default for Store<V> {
    fn default() -> Self {
        Store {
            entries: RwLock::new(HashMap::new()),
        }
    }
}

impl<V> Store<V> {
    pub fn get(&self, key: &str) -> Option<Arc<V>> {
        let (value, expires) = self.entries.read().ok()?.get(key).cloned()?;
        match expires {
            // One expired entry means a scheduled post fell due: all go.
            Some(at) if at <= Instant::now() => {
                self.clear();
                None
            }
            _ => Some(value),
        }
    }

    pub fn put(&self, key: String, value: Arc<V>, expires: Option<Instant>) {
        if let Ok(mut entries) = self.entries.write() {
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
            entries.insert(key, (value, expires));
        }
    }

    pub fn clear(&self) {
        if let Ok(mut entries) = self.entries.write() {
            entries.clear();
        }
    }

    pub fn len(&self) -> usize {
        self.entries.read().map_or(0, |e| e.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
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

/// Pages differ by what the client accepts in encodings; the rest of the
/// request does not shape a signed-out page.
fn key_of(req: &ServiceRequest) -> String {
    let encoding = req
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    format!("{encoding}\n{}", req.uri())
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
        &page.headers,
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
        res.headers_mut().insert(name.clone(), value.clone());
    }
    res
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
    if !cacheable_request(&req) {
        let changes = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
        let res = next.call(req).await?;
        if changes && res.status().as_u16() < 400 {
            state.cache.clear();
        }
        return Ok(res.map_into_boxed_body());
    }
    state.cache.revalidate(&state.pool).await?;
    let key = key_of(&req);
    if let Some(page) = cache.get(&key) {
        let res = respond(&page, &req);
        return Ok(req.into_response(res));
    }

    let res = next.call(req).await?;
    let used_token = res
        .request()
        .extensions()
        .get::<Visitor>()
        .is_some_and(Visitor::handed_out_token);
    if res.status() != StatusCode::OK
        || used_token
        || res.headers().contains_key(header::SET_COOKIE)
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
        headers: head.headers().clone(),
        body: bytes,
    });
    cache.put(key, Arc::clone(&page), expiry(now, due));
    let mut fresh = HttpResponse::build(page.status).body(page.body.clone());
    *fresh.headers_mut() = page.headers.clone();
    Ok(ServiceResponse::new(req, fresh))
}
