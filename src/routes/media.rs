//! `/media/{name}` when the images live in a bucket: each object streamed
//! from the store with the headers the folder's file service sends (type
//! from the name, ETag, Last-Modified, a year's immutable caching), 304 for
//! a current copy, 404 for a missing object and 503 when the store cannot
//! be reached. (A folder is served by the file service in `routes::files`.)

use std::time::SystemTime;

use actix_web::body::SizedStream;
use actix_web::http::header::{self, HeaderValue, HttpDate};
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::error::AppError;
use crate::media::Fetched;
use crate::state::AppState;

/// Names are content hashes: a file at a name never changes.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// `GET|HEAD /media/{name}` from the bucket.
pub async fn serve(
    state: web::Data<AppState>,
    req: HttpRequest,
    name: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    object(&state, &req, &name, IMMUTABLE).await
}

/// A stored file as the answer to `req`, cached by browsers as `cache_control` says.
pub async fn object(
    state: &AppState,
    req: &HttpRequest,
    name: &str,
    cache_control: &'static str,
) -> Result<HttpResponse, AppError> {
    // Stored names are `{hash}{-width}.{ext}`: anything else is not there.
    let plain = !name.is_empty()
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
    if !plain {
        return Err(AppError::NotFound);
    }
    let if_none_match = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    // As RFC 9110 says, If-Modified-Since counts only without If-None-Match.
    let if_modified_since = match &if_none_match {
        Some(_) => None,
        None => req
            .headers()
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<HttpDate>().ok())
            .map(|d| chrono::DateTime::<chrono::Utc>::from(SystemTime::from(d))),
    };
    let head = req.method() == Method::HEAD;
    let fetched = state
        .media
        .fetch(name, if_none_match.clone(), if_modified_since, head)
        .await
        .ok_or(AppError::NotFound)?
        .map_err(AppError::MediaUnavailable)?;
    match fetched {
        Fetched::Missing => Err(AppError::NotFound),
        Fetched::NotModified => {
            let mut res = HttpResponse::NotModified();
            res.insert_header((header::CACHE_CONTROL, cache_control));
            // The store matched the one tag the reader sent: it is the current one.
            if let Some(tag) = if_none_match.filter(|t| !t.contains(',') && t.trim() != "*") {
                res.insert_header((header::ETAG, tag.trim()));
            }
            Ok(res.finish())
        }
        Fetched::Object { meta, body } => {
            let mut res = HttpResponse::Ok();
            let extension = name.rsplit('.').next().unwrap_or("");
            res.content_type(actix_files::file_extension_to_mime(extension))
                .insert_header((header::CACHE_CONTROL, cache_control))
                .insert_header((
                    header::CONTENT_DISPOSITION,
                    format!("inline; filename=\"{name}\""),
                ))
                .insert_header(header::LastModified(HttpDate::from(SystemTime::from(
                    meta.last_modified,
                ))));
            if let Some(tag) = meta.e_tag.as_deref() {
                if let Ok(value) = HeaderValue::from_str(tag) {
                    res.insert_header((header::ETAG, value));
                }
            }
            Ok(res.body(SizedStream::new(meta.size, body)))
        }
    }
}
