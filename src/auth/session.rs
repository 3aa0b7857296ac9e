//! Sessions: the `broadsheet_session` cookie holds a random 256-bit token; the
//! database holds only its hash. The `load` middleware resolves the visitor once
//! per request and keeps the cookies (session, anonymous CSRF, flash) in step.

use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use chrono::Duration;
use futures_util::future::{ready, Ready};
use sha2::{Digest, Sha256};

use super::Site;
use crate::cache::{CachedSession, Keep};
use crate::db;
use crate::error::AppError;
use crate::models::session::NewSession;
use crate::models::{Session, User};
pub use crate::view::visitor::{random_token, Visitor};

pub const SESSION_COOKIE: &str = "broadsheet_session";
pub const CSRF_COOKIE: &str = "broadsheet_csrf";
pub const FLASH_COOKIE: &str = "broadsheet_flash";
pub const LIFETIME_DAYS: i64 = 30;
/// Signed-out visitors' form tokens live this long.
const ANON_CSRF_MINUTES: i64 = 120;

impl FromRequest for Visitor {
    type Error = AppError;
    type Future = Ready<Result<Visitor, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Visitor::of(req)))
    }
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Sessions one account may hold at once; a new one ends the oldest past
/// this (a person has a few devices and browsers, not dozens).
pub const MAX_SESSIONS_PER_ACCOUNT: i64 = 20;

/// Starts a session for a user and returns the cookie that carries it
/// (inside `db::write`). Expired sessions of everyone are cleaned up on the
/// way, and the user's oldest past [`MAX_SESSIONS_PER_ACCOUNT`] end.
pub fn start(
    conn: &mut crate::db::Conn,
    user_id: i32,
    secure: bool,
) -> Result<Cookie<'static>, AppError> {
    let now = crate::models::now();
    Session::delete_expired(conn, now)?;
    let token = random_token();
    let csrf = random_token();
    Session::create(
        conn,
        &NewSession {
            token_hash: &hash_token(&token),
            user_id,
            csrf_token: &csrf,
            created_at: now,
            expires_at: now + Duration::days(LIFETIME_DAYS),
        },
    )?;
    Session::keep_newest(conn, user_id, MAX_SESSIONS_PER_ACCOUNT)?;
    Ok(session_cookie(token, secure))
}

pub fn session_cookie(token: String, secure: bool) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, token)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(time::Duration::days(LIFETIME_DAYS))
        .finish()
}

/// A cookie that makes the browser forget the session.
pub fn removal_cookie(secure: bool) -> Cookie<'static> {
    let mut cookie = session_cookie(String::new(), secure);
    cookie.make_removal();
    cookie
}

/// A one-time message shown on the next page (after a redirect).
pub fn flash_cookie(message: &str) -> Cookie<'static> {
    Cookie::build(FLASH_COOKIE, urlencoding::encode(message).into_owned())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .max_age(time::Duration::minutes(5))
        .finish()
}

/// The live session for a token hash, from the session cache when it is
/// current, else from the database (sliding its expiry at most once a day).
async fn find(state: &Site, token_hash: String) -> Result<Option<(Session, User, bool)>, AppError> {
    state.cache.revalidate(&state.pool).await?;
    let now = state.config.clock.now();
    let fresh =
        |s: &Session| s.expires_at > now && s.expires_at >= now + Duration::days(LIFETIME_DAYS - 1);
    if let Some(found) = state.cache.sessions.get(&token_hash) {
        let (session, user) = (&found.session, &found.user);
        if fresh(session) {
            return Ok(Some((session.clone(), user.clone(), false)));
        }
    }
    // Not kept if a sign-out or a change of role cleared the store meanwhile.
    state
        .cache
        .sessions
        .load(async {
            let key = token_hash.clone();
            let found = db::run(&state.pool, move |conn| {
                Ok(Session::find_active(conn, &token_hash, now)?)
            })
            .await?;
            let found = match found {
                Some((mut session, user)) => {
                    // Slide the expiry at most once a day, so reads do not all write.
                    let due = session.expires_at < now + Duration::days(LIFETIME_DAYS - 1);
                    let extended = due && {
                        let (id, until) = (session.id, now + Duration::days(LIFETIME_DAYS));
                        match db::write(&state.pool, move |conn| {
                            Ok(Session::extend(conn, id, until)?)
                        })
                        .await
                        {
                            Ok(_) => {
                                session.expires_at = until;
                                true
                            }
                            // The page is still served; the expiry slides on a later visit.
                            Err(e) if e.is_not_saved() => {
                                tracing::warn!(error = %e, "session expiry not extended");
                                false
                            }
                            Err(e) => return Err(e),
                        }
                    };
                    Some((session, user, extended))
                }
                None => None,
            };
            let keep = found.as_ref().map(|(session, user, _)| Keep {
                key,
                value: Arc::new(CachedSession {
                    session: session.clone(),
                    user: user.clone(),
                }),
                expires: None,
            });
            Ok((found, keep))
        })
        .await
}

/// Middleware: resolves the visitor before the handler, sets cookies after it.
pub async fn load(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<Site>>().cloned() else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let secure = state.config.secure_cookies;
    let token = req
        .cookie(SESSION_COOKIE)
        .map(|c| c.value().to_string())
        .filter(|t| !t.is_empty());
    let found = match token.clone() {
        Some(token) => match find(&state, hash_token(&token)).await {
            Ok(found) => found,
            // An answer (a 503 while the database is away), not an error
            // that would pass the outer layers (security headers) by.
            Err(e) => return Ok(req.error_response(e).map_into_right_body()),
        },
        None => None,
    };
    let flash = req
        .cookie(FLASH_COOKIE)
        .and_then(|c| urlencoding::decode(c.value()).ok().map(|s| s.into_owned()))
        .filter(|s| !s.is_empty());
    let anon_csrf = req
        .cookie(CSRF_COOKIE)
        .map(|c| c.value().to_string())
        .filter(|t| t.len() == 64);
    let stale_cookie = token.is_some() && found.is_none();
    let extended = found.as_ref().is_some_and(|(_, _, e)| *e);
    let (session_id, session_csrf, user) = match found {
        Some((session, user, _)) => (Some(session.id), Some(session.csrf_token), Some(user)),
        None => (None, None, None),
    };
    let visitor = Visitor::new(
        user,
        session_id,
        session_csrf,
        anon_csrf,
        flash.clone(),
        req.uri()
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_string(),
    );
    req.extensions_mut().insert(visitor.clone());

    let mut res = next.call(req).await?;

    if secure {
        // Handlers make the flash cookie without the config at hand; it
        // becomes Secure here, beside the session cookie.
        let flashes: Vec<Cookie<'static>> = res
            .response()
            .cookies()
            .filter(|c| c.name() == FLASH_COOKIE)
            .map(|c| c.into_owned())
            .collect();
        if !flashes.is_empty() {
            res.response_mut().del_cookie(FLASH_COOKIE);
            for mut cookie in flashes {
                cookie.set_secure(true);
                res.response_mut().add_cookie(&cookie)?;
            }
        }
    }
    let sets =
        |res: &ServiceResponse<_>, name: &str| res.response().cookies().any(|c| c.name() == name);
    {
        if let Some(token) = visitor.new_anon_token() {
            let cookie = Cookie::build(CSRF_COOKIE, token)
                .path("/")
                .http_only(true)
                .same_site(SameSite::Lax)
                .secure(secure)
                .max_age(time::Duration::minutes(ANON_CSRF_MINUTES))
                .finish();
            res.response_mut().add_cookie(&cookie)?;
        }
    }
    if flash.is_some() && !sets(&res, FLASH_COOKIE) {
        let mut gone = flash_cookie("");
        gone.make_removal();
        gone.set_secure(secure);
        res.response_mut().add_cookie(&gone)?;
    }
    if !sets(&res, SESSION_COOKIE) {
        if stale_cookie {
            res.response_mut().add_cookie(&removal_cookie(secure))?;
        } else if let (true, Some(token)) = (extended, token) {
            res.response_mut()
                .add_cookie(&session_cookie(token, secure))?;
        }
    }
    Ok(res.map_into_left_body())
}
