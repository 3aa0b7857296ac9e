//! `GET /static/{name}`: the files compiled into the binary (`assets`).

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::assets;
use crate::error::AppError;

pub async fn serve(req: HttpRequest, name: web::Path<String>) -> Result<HttpResponse, AppError> {
    let (bytes, tag) = assets::get(&name).ok_or(AppError::NotFound)?;
    let etag = format!("\"{tag}\"");
    let cache = (header::CACHE_CONTROL, crate::routes::media::IMMUTABLE);
    let seen = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if seen {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .insert_header(cache)
            .finish());
    }
    let extension = name.rsplit('.').next().unwrap_or("");
    Ok(HttpResponse::Ok()
        .content_type(actix_files::file_extension_to_mime(extension))
        .insert_header((header::ETAG, etag))
        .insert_header(cache)
        .body(bytes.into_owned()))
}
