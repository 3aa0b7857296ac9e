//! Conditional GET: pages, feeds and the sitemap get a strong ETag hashed from
//! the exact bytes sent, and a matching If-None-Match (or, for answers with a
//! Last-Modified, If-Modified-Since) gets 304 Not Modified. Downloads
//! (`Content-Disposition: attachment`) pass untouched.
//!
//! Hashing the body makes the ETag right for every reader: a signed-in page
//! that differs by one byte has another tag. It wraps `Compress`, so each
//! content coding has its own tag, as strong validators must.

use std::time::SystemTime;

use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderValue, HttpDate};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::HttpResponse;

/// Content types that get an ETag.
const TAGGED: [&str; 5] = [
    "text/html",
    "application/atom+xml",
    "application/xml",
    "text/xml",
    "text/plain",
];

/// Middleware: ETag, Cache-Control and 304 for GET answers.
pub async fn etags(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let if_none_match = header_text(req.headers(), header::IF_NONE_MATCH);
    let if_modified_since = header_text(req.headers(), header::IF_MODIFIED_SINCE);
    let sent_cookies = req.headers().contains_key(header::COOKIE);

    let res = next.call(req).await?;
    let tagged_type = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| TAGGED.iter().any(|t| ct.starts_with(t)));
    // A download (the site's export) is no page to revalidate, and may be far
    // larger than one: it streams through untouched rather than being read
    // into memory to be hashed.
    let download = res
        .headers()
        .get(header::CONTENT_DISPOSITION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .get(..10)
                .is_some_and(|d| d.eq_ignore_ascii_case("attachment"))
        });
    // Static files carry their own validators and answer conditionals themselves.
    if res.status() != StatusCode::OK
        || !tagged_type
        || download
        || res.headers().contains_key(header::ETAG)
    {
        return Ok(res.map_into_boxed_body());
    }

    let (req, res) = res.into_parts();
    let (mut head, body) = res.into_parts();
    let bytes = body::to_bytes(body)
        .await
        .map_err(|e| actix_web::error::ErrorInternalServerError(e.into()))?;
    // A 128-bit hash of the bytes: validators need no cryptographic strength,
    // and this runs on every page.
    let etag = format!("\"{:032x}\"", xxhash_rust::xxh3::xxh3_128(&bytes));
    let headers = head.headers_mut();
    headers.insert(header::ETAG, HeaderValue::from_str(&etag)?);
    if !headers.contains_key(header::CACHE_CONTROL) {
        // Stored, but checked with the server before each use; never in a
        // shared cache when cookies may have shaped the page.
        let private = sent_cookies || headers.contains_key(header::SET_COOKIE);
        let value = if private {
            "private, no-cache"
        } else {
            "no-cache"
        };
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    }

    let not_modified = validators_match(
        if_none_match.as_deref(),
        if_modified_since.as_deref(),
        head.headers(),
    );
    let res = if not_modified {
        let mut fresh = HttpResponse::NotModified().finish();
        for (name, value) in head.headers() {
            if !matches!(
                *name,
                header::CONTENT_TYPE | header::CONTENT_LENGTH | header::CONTENT_ENCODING
            ) {
                fresh.headers_mut().append(name.clone(), value.clone());
            }
        }
        fresh
    } else {
        head.set_body(BoxBody::new(bytes))
    };
    Ok(ServiceResponse::new(req, res))
}

/// Whether a client's copy (its If-None-Match / If-Modified-Since) is still
/// current for an answer with these headers (ETag, Last-Modified).
pub fn validators_match(
    if_none_match: Option<&str>,
    if_modified_since: Option<&str>,
    answer: &HeaderMap,
) -> bool {
    let etag = answer.get(header::ETAG).and_then(|v| v.to_str().ok());
    match (if_none_match, if_modified_since) {
        // If-None-Match, when sent, decides alone (RFC 9110 §13.2.2).
        (Some(tags), _) => etag.is_some_and(|etag| etag_matches(tags, etag)),
        (None, Some(since)) => unchanged_since(answer, since),
        (None, None) => false,
    }
}

fn header_text(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// Weak comparison against a list of entity tags, or `*`.
fn etag_matches(list: &str, etag: &str) -> bool {
    list.split(',')
        .map(str::trim)
        .any(|t| t == "*" || t.trim_start_matches("W/") == etag)
}

/// Whether the answer's Last-Modified is no later than the client's copy.
fn unchanged_since(headers: &HeaderMap, since: &str) -> bool {
    let modified = headers
        .get(header::LAST_MODIFIED)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<HttpDate>().ok());
    match (modified, since.parse::<HttpDate>()) {
        (Some(modified), Ok(since)) => SystemTime::from(modified) <= SystemTime::from(since),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_compare_weakly_in_lists() {
        let tag = "\"abc\"";
        assert!(etag_matches("\"abc\"", tag));
        assert!(etag_matches("\"x\", W/\"abc\"", tag));
        assert!(etag_matches("*", tag));
        assert!(!etag_matches("\"abcd\"", tag));
        assert!(!etag_matches("", tag));
    }
}
