//! What every answer carries (a strict CSP, nosniff, no framing, HSTS over
//! HTTPS) and the bound on a request's head.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, StatusCode};
use actix_web::middleware::{DefaultHeaders, Next};
use actix_web::HttpResponse;

/// Largest request head accepted (address and headers): far more than any
/// browser sends, far less than the 128 KiB the HTTP layer itself buffers.
pub const MAX_HEAD_BYTES: usize = 16 * 1024;

/// Middleware: a request whose head is larger than [`MAX_HEAD_BYTES`] gets
/// 431 and the connection is closed.
pub async fn limit_head(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let size = req.method().as_str().len()
        + req.uri().to_string().len()
        + req
            .headers()
            .iter()
            .map(|(name, value)| name.as_str().len() + value.len() + 4)
            .sum::<usize>();
    if size > MAX_HEAD_BYTES {
        let res = HttpResponse::build(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE)
            .force_close()
            .content_type("text/plain; charset=utf-8")
            .body("Request headers too large\n");
        return Ok(req.into_response(res));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// Headers every answer carries; over HTTPS (`--secure-cookies`) also
/// Strict-Transport-Security, for a year and this host only.
pub fn security_headers(https: bool) -> DefaultHeaders {
    let headers = DefaultHeaders::new()
        .add((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' https: data:; style-src 'self'; script-src 'self'; \
             object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
        ))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::REFERRER_POLICY, "strict-origin-when-cross-origin"))
        .add((header::X_FRAME_OPTIONS, "DENY"));
    if https {
        headers.add((header::STRICT_TRANSPORT_SECURITY, "max-age=31536000"))
    } else {
        headers
    }
}
