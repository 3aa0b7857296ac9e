//! What every request passes through on its way to a handler and back.
//!
//! The order, outermost first, and why:
//! 1. `log`: times and logs everything, refusals included.
//! 2. `headers::limit_head`: refuses oversized request heads before any work.
//! 3. `headers::security_headers`: every answer, cached or not, carries them.
//! 4. `redirects`: old addresses answer 301; outside the page cache, which
//!    would otherwise send an old site's `/?p=12` to `/`, and so that a
//!    cached "not found" still turns into the redirect added since.
//! 5. `page_cache`: answers signed-out readers before sessions, rendering or
//!    compression cost anything; it stores answers as they will be sent, so
//!    it sits outside ETags and compression.
//! 6. `etags`: validators over the bytes sent, so outside compression.
//! 7. `Compress`: one coding per answer, negotiated as the page cache keys it.
//! 8. `auth::session::load`: resolves the visitor for everything inside.
//! 9. `error_pages`: innermost, so an error page is rendered for the visitor
//!    and then compressed, tagged and cached like any page; and once more
//!    outside `auth::session::load`, for the 503 it answers when a session
//!    cannot be read (the database away), shown to an anonymous visitor.
//!    The outer one passes every page the inner one made.

pub mod error_pages;
pub mod etags;
pub mod headers;
pub mod log;
pub mod page_cache;
pub mod redirects;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::{from_fn, Compress};
use actix_web::App;

/// Wraps the app in the stack above; `https` adds Strict-Transport-Security.
pub fn stack<T, B>(
    app: App<T>,
    https: bool,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
>
where
    T: ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<B>,
            Error = actix_web::Error,
            InitError = (),
        > + 'static,
    B: MessageBody + 'static,
{
    // `wrap` adds a layer outside the ones before it: innermost first.
    app.wrap(from_fn(error_pages::error_pages))
        .wrap(from_fn(crate::auth::session::load))
        .wrap(from_fn(error_pages::error_pages))
        .wrap(Compress::default())
        .wrap(from_fn(etags::etags))
        .wrap(from_fn(page_cache::serve))
        .wrap(from_fn(redirects::redirects))
        .wrap(headers::security_headers(https))
        .wrap(from_fn(headers::limit_head))
        .wrap(from_fn(log::log_requests))
}
