//! Old addresses answer 301 to their new place: those in the redirects
//! table (an old site's permalinks, a post whose address changed), and
//! near-misses of the site's own (`/posts/slug/`, `/tags/Ukraine`).
//! Consulted only for addresses the site does not answer, so a redirect
//! never hides a page; and for the query links of old sites (`/?p=12`),
//! which reach a page that exists.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::db;
use crate::local_path::is_local_path;
use crate::models::redirect::{valid_target, Redirect};
use crate::state::AppState;

/// Query keys WordPress and Blogger links carry (`?p=12`, `?page_id=3`,
/// `?cat=4`, `?m=1`): a request with one is looked up before the page it
/// reaches answers.
const OLD_QUERY_KEYS: [&str; 6] = ["p", "page_id", "cat", "tag", "m", "attachment_id"];

pub async fn redirects(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let path = req.uri().path().to_string();
    let query = req.query_string().to_string();
    let address = if query.is_empty() {
        path.clone()
    } else {
        format!("{path}?{query}")
    };
    if has_old_query_key(&query) {
        if let Some(to) = stored(req.request(), &address).await {
            return Ok(req.into_response(moved(&to)));
        }
    }
    let res = next.call(req).await?.map_into_boxed_body();
    if res.status() != StatusCode::NOT_FOUND {
        return Ok(res);
    }
    let mut to = stored(res.request(), &address).await;
    if to.is_none() && !query.is_empty() {
        to = stored(res.request(), &path).await;
    }
    let to = to.or_else(|| canonical(&path, &query));
    match to {
        Some(to) if to != address => {
            let (req, _) = res.into_parts();
            Ok(ServiceResponse::new(req, moved(&to)))
        }
        _ => Ok(res),
    }
}

fn has_old_query_key(query: &str) -> bool {
    !query.is_empty()
        && form_urlencoded::parse(query.as_bytes()).any(|(k, _)| OLD_QUERY_KEYS.contains(&&*k))
}

/// The stored target for this address; `None` when there is none or the
/// database does not answer (the request then goes on as it would).
async fn stored(req: &HttpRequest, address: &str) -> Option<String> {
    let state = req.app_data::<web::Data<AppState>>()?;
    let address = address.to_string();
    db::run(&state.pool, move |conn| {
        Ok(Redirect::target(conn, &address)?)
    })
    .await
    .ok()
    .flatten()
    // A row stored before targets were checked as now is not followed.
    .filter(|to| valid_target(to))
}

/// The site's own address for a near-miss: without a trailing slash, in
/// lower case (slugs are). `None` when the path is already both.
fn canonical(path: &str, query: &str) -> Option<String> {
    if path.starts_with("/media/") || path.starts_with("/static/") {
        return None;
    }
    let trimmed = if path.len() > 1 {
        path.trim_end_matches('/')
    } else {
        path
    };
    let trimmed = if trimmed.is_empty() { "/" } else { trimmed };
    let lower = trimmed.to_ascii_lowercase();
    // `//evil.example/` would become `//evil.example`: another host.
    if lower == path || !is_local_path(&lower) {
        return None;
    }
    Some(if query.is_empty() {
        lower
    } else {
        format!("{lower}?{query}")
    })
}

fn moved(to: &str) -> HttpResponse {
    match header::HeaderValue::from_str(to) {
        Ok(location) => HttpResponse::MovedPermanently()
            .insert_header((header::LOCATION, location))
            .finish(),
        Err(_) => HttpResponse::NotFound().finish(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_misses_have_one_canonical_form() {
        assert_eq!(
            canonical("/posts/a-story/", "").as_deref(),
            Some("/posts/a-story")
        );
        assert_eq!(
            canonical("/tags/Ukraine", "page=2").as_deref(),
            Some("/tags/ukraine?page=2")
        );
        assert_eq!(canonical("/posts/a-story", ""), None);
        assert_eq!(canonical("/", ""), None);
        assert_eq!(canonical("/media/ABC.jpg", ""), None);
        assert_eq!(canonical("//evil.example/", ""), None);
        assert_eq!(canonical("/\\evil.example/", ""), None);
    }

    #[test]
    fn old_query_keys_are_recognised() {
        assert!(has_old_query_key("p=12"));
        assert!(has_old_query_key("utm=1&page_id=3"));
        assert!(!has_old_query_key("page=2"));
        assert!(!has_old_query_key(""));
    }
}
