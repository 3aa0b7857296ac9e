//! Error answers as pages: any 4xx or 5xx that is not already a page (a 404,
//! a refused form, a 429, a failed query) is shown in the site's layout.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpResponse};
use askama::Template;

use crate::auth::Visitor;
use crate::error::{AppError, SentForm};
use crate::models::Settings;
use crate::state::AppState;
use crate::view::{render_with, Layout};

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    heading: String,
    message: String,
    status: u16,
    /// Where the refused form was sent, to send it again from here.
    action: String,
    /// What the refused form held, given back (see `kept_fields`).
    kept: Vec<KeptField>,
}

/// One field of a refused form, as the error page shows it again.
struct KeptField {
    name: String,
    value: String,
    /// Fields a person did not type (the page a form returns to, the
    /// comment replied to) travel on unseen.
    hidden: bool,
}

/// The fields of a form refused for want of its database that are worth
/// giving back: everything typed except passwords (never echoed), the CSRF
/// token (the page carries a fresh one) and the comment form's trap for
/// robots, which a person leaves empty.
fn kept_fields(form: &SentForm) -> Vec<KeptField> {
    form_urlencoded::parse(&form.0)
        .filter(|(name, value)| {
            !value.is_empty()
                && name != "csrf_token"
                && name != "website"
                && !name.contains("password")
        })
        .map(|(name, value)| KeptField {
            hidden: name == "next" || name.ends_with("_id"),
            name: name.into_owned(),
            value: value.into_owned(),
        })
        .collect()
}

/// Middleware: turns any error answer that is not already a page (a 404, a
/// refused form, a 429, a failed query) into a page in the site's layout.
pub async fn error_pages(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let mut res = next.call(req).await?.map_into_boxed_body();
    let status = res.status();
    if status == StatusCode::SERVICE_UNAVAILABLE && !res.headers().contains_key(header::RETRY_AFTER)
    {
        res.headers_mut().insert(
            header::RETRY_AFTER,
            header::HeaderValue::from(crate::error::RETRY_AFTER_S),
        );
    }
    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if !(status.is_client_error() || status.is_server_error())
        || is_html
        || res.request().path() == "/healthz"
    {
        return Ok(res);
    }
    let (heading, message) = match res
        .response()
        .error()
        .and_then(|e| e.as_error::<AppError>())
    {
        Some(err) => {
            let (h, m) = err.public_message();
            (h.to_string(), m)
        }
        None => generic_message(status),
    };
    let visitor = Visitor::of(res.request());
    let settings = match res.request().app_data::<web::Data<AppState>>() {
        Some(state) => state.cache.settings(&state.pool).await.ok(),
        None => None,
    };
    // Even with the database gone the error is shown, under a plain title.
    let settings = settings.unwrap_or_else(|| {
        std::sync::Arc::new(Settings {
            title: "Broadsheet".into(),
            description: String::new(),
            posts_per_page: 10,
            comment_policy: crate::models::CommentPolicy::AllHeld,
            menu: String::new(),
            icon_media_id: None,
            icon: None,
        })
    });
    let kept = match res.request().extensions().get::<SentForm>() {
        Some(form) if status == StatusCode::SERVICE_UNAVAILABLE => kept_fields(form),
        _ => Vec::new(),
    };
    let mut layout = Layout::new(&visitor, &settings, heading.clone());
    if !kept.is_empty() {
        layout = layout.with_csrf(&visitor);
    }
    if let Some(AppError::SearchBusy) = res
        .response()
        .error()
        .and_then(|e| e.as_error::<AppError>())
    {
        // The query stays in the search box, to be sent again.
        layout.search_query = search_query(res.request().query_string());
    }
    let page = ErrorPage {
        layout,
        heading,
        message,
        status: status.as_u16(),
        action: res.request().path().to_string(),
        kept,
    };
    let mut fresh = render_with(status, &page).unwrap_or_else(|_| HttpResponse::new(status));
    for (name, value) in res.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            fresh.headers_mut().append(name.clone(), value.clone());
        }
    }
    let (req, _) = res.into_parts();
    Ok(ServiceResponse::new(req, fresh))
}

/// The `q` of a search address.
fn search_query(query: &str) -> String {
    form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == "q")
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default()
}

fn generic_message(status: StatusCode) -> (String, String) {
    let (heading, message) = match status {
        StatusCode::NOT_FOUND => ("Page not found", "There is nothing at this address."),
        StatusCode::METHOD_NOT_ALLOWED => (
            "Not allowed",
            "This address does not take that kind of request.",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            "Too large",
            "What you sent is larger than this site accepts.",
        ),
        s if s.is_client_error() => ("Bad request", "The request could not be understood."),
        _ => (
            "Something went wrong",
            "The server could not answer. Please try again in a moment.",
        ),
    };
    (heading.to_string(), message.to_string())
}
