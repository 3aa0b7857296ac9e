//! The page cache as a middleware: which requests it may answer, under which
//! key (the coding sent and the canonical address), and when it stores an
//! answer. The stores themselves, their budget and their freshness are in
//! `crate::cache`.

use std::sync::Arc;

use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, AcceptEncoding, Encoding, HeaderMap};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use actix_web::{HttpMessage, HttpResponse};

use crate::auth::session::{FLASH_COOKIE, SESSION_COOKIE};
use crate::auth::Visitor;
use crate::cache::{CachedPage, Keep};
use crate::db;
use crate::middleware::etags::validators_match;
use crate::models::Post;
use crate::state::AppState;

/// Paths that are never cached: forms, personal and administrative pages.
const UNCACHED_PATHS: [&str; 7] = [
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

/// The largest answer kept: every page, and all but the largest images.
const MAX_CACHED_BODY: u64 = 4 * 1024 * 1024;

/// Whether this request may be answered from (and fill) the cache.
fn cacheable_request(req: &ServiceRequest) -> bool {
    let path = req.path();
    req.method() == Method::GET
        && req.cookie(SESSION_COOKIE).is_none()
        && req.cookie(FLASH_COOKIE).is_none()
        && !UNCACHED_PATHS
            .iter()
            .any(|p| path == *p || path.starts_with(&format!("{p}/")))
        && !path.starts_with("/static/")
        // A part of a file is answered by the file service, which knows ranges.
        && !req.headers().contains_key(header::RANGE)
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
        | ["tags"]
        | ["tags", _, "feed.xml"]
        | ["feed.xml" | "sitemap.xml" | "sitemap-pages.xml" | "robots.txt"] => Some(&[]),
        [file] if file.starts_with("sitemap-posts-") => Some(&[]),
        // Uploaded images: immutable, and read from disk on every request
        // otherwise (a photo is often the largest answer a page asks for).
        ["media", file] if !file.is_empty() => Some(&[]),
        // A page (`/about`): only slug-shaped names can be one.
        [slug] if !slug.is_empty() && crate::slug::slugify(slug) == *slug => Some(&["reply_to"]),
        _ => None,
    }
}

/// Where a reading request belongs.
#[derive(Debug, PartialEq, Eq)]
enum Address {
    /// The path and the parameters the page reads for a signed-out reader,
    /// in a fixed order and one encoding: the cache key.
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
    if !ignored {
        found.retain(|(at, _)| !SIGNED_IN_ONLY.contains(&known[*at]));
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

/// Parameters that change only a signed-in reader's page (`reply_to` opens
/// the reply form under a comment, and only they have the form): a
/// signed-out reader's page is the same whatever they say, so every value
/// shares its entry, and a new value on each request cannot bust the cache.
const SIGNED_IN_ONLY: &[&str] = &["reply_to"];

fn respond(page: &CachedPage, req: &ServiceRequest) -> HttpResponse {
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
        // A 503 stored nothing (the database away, a write refused): the
        // caches stay, so cached pages are still served while it is away.
        if changes && res.status() != StatusCode::SERVICE_UNAVAILABLE {
            // Whatever the answer said, trust only the counters: they moved
            // if and only if something a cache holds changed.
            if let Err(e) = state.cache.check(&state.pool).await {
                tracing::warn!(error = %e, "cache counters unreadable; emptying every cache");
                state.cache.clear();
            }
        }
        return Ok(res.map_into_boxed_body());
    };
    if state.cache.revalidate(&state.pool).await.is_err() {
        // Never read, and unreadable now (the database away since start-up):
        // nothing cached can be trusted, and nothing answered is kept; the
        // handler answers (a 503 in the site's layout, most likely).
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let key = format!("{coding}\n{address}");
    if let Some(page) = cache.get(&key) {
        let res = respond(&page, &req);
        return Ok(req.into_response(res));
    }

    // Kept only if no change cleared the store while it was rendered.
    cache
        .load(async {
            let res = next.call(req).await?;
            let used_token = res
                .request()
                .extensions()
                .get::<Visitor>()
                .is_some_and(Visitor::handed_out_token);
            // A large file (an image from the bucket, say) streams past: keeping it
            // would read all of it into memory first.
            let too_large = matches!(
                res.response().body().size(),
                body::BodySize::Sized(n) if n > MAX_CACHED_BODY
            );
            if res.status() != StatusCode::OK
                || used_token
                || too_large
                || res.headers().contains_key(header::SET_COOKIE)
                || !readable_as(res.headers(), &coding)
            {
                return Ok((res.map_into_boxed_body(), None));
            }
            let (req, res) = res.into_parts();
            let (head, body) = res.into_parts();
            let bytes = body::to_bytes(body)
                .await
                .map_err(|e| actix_web::error::ErrorInternalServerError(e.into()))?;
            let now = state.now();
            let due = db::run(&state.pool, move |conn| {
                Ok(Post::next_scheduled(conn, now)?)
            })
            .await;
            let Ok(due) = due else {
                // The page is whole; without knowing when it would go stale, it is
                // sent and not kept.
                let mut fresh = HttpResponse::build(head.status()).body(bytes);
                *fresh.headers_mut() = head.headers().clone();
                return Ok((ServiceResponse::new(req, fresh), None));
            };
            let page = Arc::new(CachedPage {
                status: head.status(),
                headers: head
                    .headers()
                    .iter()
                    .map(|(name, value)| (name.clone(), value.clone()))
                    .collect(),
                // A copy of exactly its length: an encoder's buffer may be larger.
                body: Bytes::copy_from_slice(&bytes),
            });
            let mut fresh = HttpResponse::build(page.status).body(page.body.clone());
            *fresh.headers_mut() = page.header_map();
            let keep = Keep {
                key,
                value: page,
                expires: due,
            };
            Ok((ServiceResponse::new(req, fresh), Some(keep)))
        })
        .await
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
            ("/about", "x=1", Elsewhere("/about".into())),
            ("/about", "reply_to=3", Canonical("/about".into())),
            ("/posts/a", "reply_to=3", Canonical("/posts/a".into())),
            (
                "/posts/a",
                "reply_to=3&x=1",
                Elsewhere("/posts/a?reply_to=3".into()),
            ),
            ("/tags", "", Canonical("/tags".into())),
            // Never a redirect off the site, nor for addresses that are no page.
            ("//evil.example", "x=1", Uncached),
            ("/favicon.ico", "x=1", Uncached),
            ("/nowhere/at/all", "x=1", Uncached),
        ];
        for (path, query, expected) in cases {
            assert_eq!(address_of(path, query), expected, "{path}?{query}");
        }
    }
}
