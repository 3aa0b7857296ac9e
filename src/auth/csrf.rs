//! `CsrfForm<T>`: a form body that is only read after its CSRF token and
//! origin have been checked. Every state-changing handler takes one.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use url::Url;

use crate::auth::Site;
use crate::auth::Visitor;
use crate::error::AppError;

/// How long a form body may take to arrive, from the moment it is read: the
/// largest form in 15 s needs about 70 KB/s.
pub const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

pub struct CsrfForm<T>(pub T);

/// For POST routes that carry nothing but the token.
#[derive(serde::Deserialize, Debug)]
pub struct NoFields {}

impl<T: DeserializeOwned + 'static> FromRequest for CsrfForm<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let body = web::Bytes::from_request(&req, payload);
        Box::pin(async move {
            if !same_origin(&req) {
                return Err(AppError::Csrf);
            }
            // A body that trickles in is cut off: each one held open ties up
            // a connection and its buffer.
            let body = actix_web::rt::time::timeout(BODY_TIMEOUT, body)
                .await
                .map_err(|_| AppError::RequestTimeout)?;
            let body = body.map_err(|e| {
                if e.as_response_error().status_code()
                    == actix_web::http::StatusCode::PAYLOAD_TOO_LARGE
                {
                    AppError::PayloadTooLarge
                } else {
                    AppError::BadRequest("The form could not be read.".into())
                }
            })?;
            let token = form_urlencoded::parse(&body)
                .find(|(k, _)| k == "csrf_token")
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
            if !Visitor::of(&req).check_csrf(&token) {
                return Err(AppError::Csrf);
            }
            // For the error page, should the database refuse the change.
            req.extensions_mut()
                .insert(crate::error::SentForm(body.clone()));
            serde_html_form::from_bytes(&body)
                .map(CsrfForm)
                .map_err(|e| AppError::BadRequest(format!("The form could not be read: {e}.")))
        })
    }
}

/// A browser names the page a form came from in `Origin`; refuse other sites.
/// With `--base-url` the origin (scheme, host and port) must be the site's
/// public one, whatever `Host` a proxy passes on; without it, the host the
/// request came to. Requests without the header (older clients, scripts)
/// rely on the token.
pub fn same_origin(req: &HttpRequest) -> bool {
    let Some(origin) = req.headers().get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    let config = req.app_data::<web::Data<Site>>().map(|s| &s.config);
    if let Some(config) = config.filter(|c| c.base_url.is_some()) {
        return match (Url::parse(origin), Url::parse(&config.base_url())) {
            (Ok(origin), Ok(base)) => {
                origin.origin().is_tuple() && origin.origin() == base.origin()
            }
            _ => false,
        };
    }
    let host = req.connection_info().host().to_ascii_lowercase();
    let origin_host = origin.split_once("://").map(|(_, rest)| rest).unwrap_or("");
    origin_host
        .trim_end_matches('/')
        .eq_ignore_ascii_case(&host)
}
