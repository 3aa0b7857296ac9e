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
use crate::models::{self, site_version, Post, Session, User};
use crate::routes::conditional::validators_match;
use crate::{db, AppState};

/// Beyond this many pages new ones are not kept (unbounded query strings).
const MAX_PAGES: usize = 20_000;
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

struct Page {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    expires: Option<Instant>,
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
    pub pages: PageCache,
    pub sessions: SessionCache,
    freshness: Freshness,
}

impl Caches {
    pub fn new(revalidate_ms: u64) -> Caches {
        Caches {
            pages: PageCache {
                pages: RwLock::new(HashMap::new()),
            },
            sessions: SessionCache {
                sessions: RwLock::new(HashMap::new()),
            },
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
        }
        if self.freshness.auth.swap(seen.auth, Ordering::Relaxed) != seen.auth {
            self.sessions.clear();
        }
        Ok(())
    }
}

/// Signed-in sessions by token hash, so a signed-in request needs no
/// database round trip to learn who is asking.
pub struct SessionCache {
    sessions: RwLock<HashMap<String, (Session, User)>>,
}

impl SessionCache {
    pub fn get(&self, token_hash: &str) -> Option<(Session, User)> {
        self.sessions.read().ok()?.get(token_hash).cloned()
    }

    pub fn put(&self, token_hash: String, found: (Session, User)) {
        if let Ok(mut sessions) = self.sessions.write() {
            if sessions.len() >= MAX_PAGES {
                sessions.clear();
            }
            sessions.insert(token_hash, found);
        }
    }

    pub fn clear(&self) {
        if let Ok(mut sessions) = self.sessions.write() {
            sessions.clear();
        }
    }
}

pub struct PageCache {
    pages: RwLock<HashMap<String, Arc<Page>>>,
}

impl PageCache {
    pub fn clear(&self) {
        if let Ok(mut pages) = self.pages.write() {
            pages.clear();
        }
    }

    pub fn len(&self) -> usize {
        self.pages.read().map_or(0, |p| p.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn get(&self, key: &str) -> Option<Arc<Page>> {
        let page = self.pages.read().ok()?.get(key).cloned()?;
        match page.expires {
            Some(at) if at <= Instant::now() => {
                self.clear();
                None
            }
            _ => Some(page),
        }
    }

    fn put(&self, key: String, page: Arc<Page>) {
        if let Ok(mut pages) = self.pages.write() {
            if pages.len() < MAX_PAGES {
                pages.insert(key, page);
            }
        }
    }
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
    let expires = due
        .and_then(|at| (at - now).to_std().ok())
        .map(|wait| Instant::now() + wait.max(Duration::from_millis(1)));
    let page = Arc::new(Page {
        status: head.status(),
        headers: head.headers().clone(),
        body: bytes,
        expires,
    });
    cache.put(key, Arc::clone(&page));
    let mut fresh = HttpResponse::build(page.status).body(page.body.clone());
    *fresh.headers_mut() = page.headers.clone();
    Ok(ServiceResponse::new(req, fresh))
}
