//! The route table and what handlers share: redirects, paging, error pages,
//! request logging and security headers.

pub mod account;
pub mod admin;
pub mod assets;
pub mod comments;
pub mod feeds;
pub mod health;
pub mod media;
pub mod public;
pub mod search;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::{from_fn, DefaultHeaders, Next};
use actix_web::{guard, web, FromRequest, HttpRequest, HttpResponse, Route};
use futures_util::future::LocalBoxFuture;

use crate::auth::session::flash_cookie;
use crate::error::AppError;

/// Every route of the site; `media` is where `/media/…` files are read.
pub fn configure(cfg: &mut web::ServiceConfig, media: &crate::media::Store) {
    // Files first: no route of the site may shadow them.
    cfg.service(
        web::scope("/static")
            .wrap(from_fn(refuse_dot_segments))
            .route("/{name:.+}", read().to(assets::serve)),
    );
    match media.folder() {
        Some(dir) => cfg.service(files("/media", dir)),
        None => cfg.service(
            web::scope("/media")
                .wrap(from_fn(refuse_dot_segments))
                .route("/{name}", read().to(media::serve)),
        ),
    };
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
        .route("/tags", read().to(public::tags))
        .route("/tags/{slug}", read().to(public::tag))
        .route("/tags/{slug}/feed.xml", read().to(feeds::tag_feed))
        .route("/search", read().to(search::search))
        .route("/feed.xml", read().to(feeds::site_feed))
        .route("/sitemap.xml", read().to(feeds::sitemap))
        .route("/sitemap-pages.xml", read().to(feeds::sitemap_pages))
        .route("/sitemap-posts-{n}.xml", read().to(feeds::sitemap_posts))
        .route("/robots.txt", read().to(feeds::robots))
        .route("/favicon.ico", read().to(feeds::icon::<32>))
        .route("/apple-touch-icon.png", read().to(feeds::icon::<180>))
        .route("/icon-192.png", read().to(feeds::icon::<192>))
        .route("/icon-512.png", read().to(feeds::icon::<512>))
        .route("/healthz", read().to(health::healthz))
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
    // Pages at the top level, registered last so that every address above
    // (and `/static`) is matched first. Only GET and HEAD: any other method
    // at a one-segment address the site does not have stays 404.
    cfg.service(
        web::resource("/{slug}")
            .route(read().to(public::show_page))
            .default_service(web::to(not_found)),
    );
}

pub use crate::slug::{is_reserved, RESERVED};

/// A folder of files whose names change when their content does, so
/// browsers may keep them for a year. actix-files answers HEAD and range
/// requests, sets `ETag` and `Last-Modified`, and the type from the name.
fn files(
    prefix: &str,
    dir: &std::path::Path,
) -> actix_web::Scope<
    impl actix_web::dev::ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    web::scope(prefix)
        .wrap(from_fn(refuse_dot_segments))
        .wrap(DefaultHeaders::new().add((header::CACHE_CONTROL, media::IMMUTABLE)))
        // Files under 512 KB (a page's images, the style sheet) are read in
        // one go rather than streamed through the blocking pool in chunks.
        .service(
            actix_files::Files::new("", dir)
                .prefer_utf8(true)
                .read_mode_threshold(512 * 1024),
        )
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
            debug_assert!(
                path.trim_start_matches('/')
                    .split('/')
                    .next()
                    .is_some_and(|first| first.is_empty() || is_reserved(first)),
                "{path}: add its first segment to routes::RESERVED, so no page takes it"
            );
            let resource = routes
                .into_iter()
                .fold(web::resource(path), |resource, route| resource.route(route));
            self.cfg.service(resource);
        }
    }
}

/// Middleware for `/static` and `/media`: a path segment that starts with a dot, plainly
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
struct PageQuery {
    page: Option<String>,
}

/// The page of a list asked for by `?page=N`: absent or empty means 1;
/// anything but 1..=100000 is 404. Other parameters are left to the handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageNumber(pub i64);

impl FromRequest for PageNumber {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        // Through `web::Query`, so a malformed query is refused as for any page.
        let query = web::Query::<PageQuery>::from_request(req, payload);
        Box::pin(async move {
            let query = query.await?;
            match query.page.as_deref() {
                None | Some("") => Ok(PageNumber(1)),
                Some(text) => match text.parse::<i64>() {
                    Ok(n) if (1..=100_000).contains(&n) => Ok(PageNumber(n)),
                    _ => Err(AppError::NotFound.into()),
                },
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::is_reserved;

    #[test]
    fn the_sites_own_first_segments_are_reserved_and_others_free() {
        for taken in ["admin", "Tags", "feed.xml", "sitemap-posts-3.xml", "static"] {
            assert!(is_reserved(taken), "{taken}");
        }
        for free in [
            "about",
            "contact",
            "postscript",
            "tagsoup",
            "archives",
            "feed",
        ] {
            assert!(!is_reserved(free), "{free}");
        }
    }
}
