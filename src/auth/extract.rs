//! Extractors that say in a handler's signature who may call it.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::{ready, Ready};

use crate::auth::Visitor;
use crate::error::AppError;
use crate::models::User;

/// Any signed-in user; anonymous visitors are sent to sign in.
pub struct CurrentUser(pub User);

/// An admin.
pub struct AdminUser(pub User);

/// An admin or an author: someone who may write posts.
pub struct WriterUser(pub User);

fn signed_in(req: &HttpRequest) -> Result<User, AppError> {
    match Visitor::of(req).user() {
        Some(user) => Ok(user.clone()),
        None => Err(AppError::LoginRequired {
            next: login_return_path(req),
        }),
    }
}

/// Where to come back to after signing in: this page, or for a form post the
/// page the form belongs to is unknown, so the referring local path or home.
fn login_return_path(req: &HttpRequest) -> String {
    if req.method() == actix_web::http::Method::GET {
        return req
            .uri()
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_string();
    }
    "/".to_string()
}

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(signed_in(req).map(CurrentUser))
    }
}

impl FromRequest for AdminUser {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(signed_in(req).and_then(|u| {
            if u.is_admin() {
                Ok(AdminUser(u))
            } else {
                Err(AppError::Forbidden)
            }
        }))
    }
}

impl FromRequest for WriterUser {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(signed_in(req).and_then(|u| {
            if u.can_write() {
                Ok(WriterUser(u))
            } else {
                Err(AppError::Forbidden)
            }
        }))
    }
}
