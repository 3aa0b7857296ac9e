//! The route table and what handlers share: redirects, paging, error pages,
//! request logging and security headers.

pub mod account;
pub mod admin;
pub mod comments;
pub mod conditional;
pub mod find;
pub mod public;

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, StatusCode};
use actix_web::middleware::{from_fn, DefaultHeaders, Next};
use actix_web::{guard, web, HttpResponse, Route};
use askama::Template;

use crate::auth::session::flash_cookie;
use crate::auth::Visitor;
use crate::error::AppError;
use crate::models::Settings;
use crate::view::{render_with, Layout};
use crate::{db, AppState};

pub fn configure(cfg: &mut web::ServiceConfig) {
    admin::configure(cfg);
    Table::new(cfg)
        .route("/", read().to(public::home))
        .route("/posts/{slug}", read().to(public::show_post))
        .route("/posts/{slug}/comments", web::post().to(comments::create))
        .route("/comments/{id}/edit", web::get().to(comments::edit_form))
        .route("/comments/{id}/edit", web::post().to(comments::edit))
        .route("/comments/{id}/delete", web::post().to(comments::delete))
        .route("/archive", read().to(public::archive))
        .route("/archive/{year}", read().to(public::archive_year))
        .route("/archive/{year}/{month}", read().to(public::archive_month))
        .route("/tags/{slug}", read().to(public::tag))
        .route("/tags/{slug}/feed.xml", read().to(find::tag_feed))
        .route("/search", read().to(find::search))
        .route("/feed.xml", read().to(find::site_feed))
        .route("/sitemap.xml", read().to(find::sitemap))
        .route("/sitemap-pages.xml", read().to(find::sitemap_pages))
        .route("/sitemap-posts-{n}.xml", read().to(find::sitemap_posts))
        .route("/robots.txt", read().to(find::robots))
        .route("/healthz", read().to(public::healthz))
        .route("/register", web::get().to(account::register_form))
        .route("/register", web::post().to(account::register))
        .route("/login", web::get().to(account::login_form))
        .route("/login", web::post().to(account::login))
        .route("/logout", web::post().to(account::logout))
        .route("/setup", web::get().to(account::setup_form))
        .route("/setup", web::post().to(account::setup))
        .route("/account", web::get().to(account::account))
        .route("/account/profile", web::post().to(account::update_profile))
        .route(
            "/account/password",
            web::post().to(account::change_password),
        )
        .route(
            "/account/sessions/end",
            web::post().to(account::sign_out_everywhere),
        )
        .register();
    cfg.service(
        web::scope("/static")
            .wrap(from_fn(refuse_dot_segments))
            .wrap(
                DefaultHeaders::new()
                    .add((header::CACHE_CONTROL, "public, max-age=31536000, immutable")),
            )
            .service(actix_files::Files::new("", static_dir()).prefer_utf8(true)),
    );
}

/// The route table: each address becomes one resource holding all its
/// routes, so a method the address does not take answers 405 with an
/// `Allow` header naming those it does (unknown addresses stay 404).
pub struct Table<'a> {
    cfg: &'a mut web::ServiceConfig,
    paths: Vec<(&'static str, Vec<Route>)>,
}

impl<'a> Table<'a> {
    pub fn new(cfg: &'a mut web::ServiceConfig) -> Self {
        Table {
            cfg,
            paths: Vec::new(),
        }
    }

    /// Adds a route at `path`; addresses keep the order they first appear in.
    pub fn route(mut self, path: &'static str, route: Route) -> Self {
        match self.paths.iter_mut().find(|(p, _)| *p == path) {
            Some((_, routes)) => routes.push(route),
            None => self.paths.push((path, vec![route])),
        }
        self
    }

    pub fn register(self) {
        for (path, routes) in self.paths {
            let resource = routes
                .into_iter()
                .fold(web::resource(path), |resource, route| resource.route(route));
            self.cfg.service(resource);
        }
    }
}

/// Middleware for `/static`: a path segment that starts with a dot, plainly
/// or percent-encoded (`.`, `..`, dotfiles), is 404 before the file service
/// sees it; so is a path that does not decode.
async fn refuse_dot_segments(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let hidden = match urlencoding::decode(req.path()) {
        Ok(path) => path
            .split(['/', '\\'])
            .any(|segment| segment.starts_with('.')),
        Err(_) => true,
    };
    if hidden {
        return Ok(req.error_response(AppError::NotFound));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// A GET route that also answers HEAD (monitors and link checkers use it);
/// the server sends a HEAD answer's headers without its body.
fn read() -> Route {
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

/// `static/` beside the working directory, else the one the binary was built from.
fn static_dir() -> std::path::PathBuf {
    let local = std::path::PathBuf::from("static");
    if local.join("site.css").is_file() {
        local
    } else {
        std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/static"))
    }
}

/// Every unknown address.
pub async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound)
}

/// The answer to a successful form: 303 to the next page.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// 303 with a one-time message for the next page.
pub fn see_other_with(location: &str, message: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .cookie(flash_cookie(message))
        .finish()
}

#[derive(serde::Deserialize, Debug, Default)]
pub struct PageQuery {
    pub page: Option<String>,
}

/// The page number from `?page=N`: absent means 1; anything but 1..=100000 is 404.
pub fn page_number(query: &PageQuery) -> Result<i64, AppError> {
    match query.page.as_deref() {
        None | Some("") => Ok(1),
        Some(text) => match text.parse::<i64>() {
            Ok(n) if (1..=100_000).contains(&n) => Ok(n),
            _ => Err(AppError::NotFound),
        },
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    heading: String,
    message: String,
    status: u16,
}

/// Middleware: turns any error answer that is not already a page (a 404, a
/// refused form, a 429, a failed query) into a page in the site's layout.
pub async fn error_pages(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let res = next.call(req).await?.map_into_boxed_body();
    let status = res.status();
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
        Some(state) => db::run(&state.pool, |conn| Ok(Settings::load(conn)?))
            .await
            .ok(),
        None => None,
    };
    let settings = settings.unwrap_or_else(|| Settings {
        title: "Broadsheet".into(),
        description: String::new(),
        posts_per_page: 10,
        comment_policy: crate::models::CommentPolicy::AllHeld,
    });
    let page = ErrorPage {
        layout: Layout::new(&visitor, &settings, heading.clone()),
        heading,
        message,
        status: status.as_u16(),
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

/// Middleware: one log line per request through tracing.
pub async fn log_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.path().to_string();
    let res = next.call(req).await;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    match &res {
        Ok(r) => {
            tracing::info!(%method, %path, status = r.status().as_u16(), ms = format!("{ms:.2}"), "request")
        }
        Err(e) => {
            tracing::warn!(%method, %path, error = %e, ms = format!("{ms:.2}"), "request failed")
        }
    }
    res
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
