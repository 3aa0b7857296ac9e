//! Who is reading: the signed-in user or an anonymous visitor, with the
//! CSRF token their forms carry. Pages need it to be drawn, so it lives below
//! them; `auth::session::load` makes one per request and `auth` extracts it.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use actix_web::{HttpMessage, HttpRequest};
use rand::RngCore;

use crate::models::User;

/// Who is making this request: a signed-in user or an anonymous visitor,
/// with the CSRF token their forms carry and any flash message to show.
#[derive(Clone, Default)]
pub struct Visitor(Rc<Inner>);

#[derive(Default)]
struct Inner {
    user: Option<User>,
    session_id: Option<i32>,
    session_csrf: Option<String>,
    anon_csrf: RefCell<Option<String>>,
    anon_csrf_new: Cell<bool>,
    anon_csrf_handed: Cell<bool>,
    flash: Option<String>,
    /// The page asked for (path and query), for forms that come back to it.
    here: String,
}

impl Visitor {
    pub fn user(&self) -> Option<&User> {
        self.0.user.as_ref()
    }

    pub fn session_id(&self) -> Option<i32> {
        self.0.session_id
    }

    pub fn flash(&self) -> Option<&str> {
        self.0.flash.as_deref()
    }

    /// The path and query of the page being answered.
    pub fn here(&self) -> &str {
        &self.0.here
    }

    /// The token this visitor's forms must carry. Signed-out visitors get one
    /// bound to a short-lived cookie, set only when a page asks for it, so
    /// pages without forms stay free of per-visitor state.
    pub fn csrf_token(&self) -> String {
        if let Some(token) = &self.0.session_csrf {
            return token.clone();
        }
        self.0.anon_csrf_handed.set(true);
        let mut anon = self.0.anon_csrf.borrow_mut();
        if anon.is_none() {
            *anon = Some(random_token());
            self.0.anon_csrf_new.set(true);
        }
        anon.clone().unwrap_or_default()
    }

    /// Whether a signed-out visitor's token went into this answer, which makes
    /// the page theirs alone (and so never shared from the page cache).
    pub fn handed_out_token(&self) -> bool {
        self.0.session_csrf.is_none() && self.0.anon_csrf_handed.get()
    }

    /// Whether a submitted token is this visitor's own.
    pub fn check_csrf(&self, submitted: &str) -> bool {
        let expected = match &self.0.session_csrf {
            Some(token) => Some(token.clone()),
            None if self.0.anon_csrf_new.get() => None,
            None => self.0.anon_csrf.borrow().clone(),
        };
        expected.is_some_and(|e| {
            !submitted.is_empty() && constant_time_eq(e.as_bytes(), submitted.as_bytes())
        })
    }

    /// The visitor of a request (anonymous when the middleware did not run).
    pub fn of(req: &HttpRequest) -> Visitor {
        req.extensions()
            .get::<Visitor>()
            .cloned()
            .unwrap_or_default()
    }

    /// Made once per request by `auth::session::load`.
    pub fn new(
        user: Option<User>,
        session_id: Option<i32>,
        session_csrf: Option<String>,
        anon_csrf: Option<String>,
        flash: Option<String>,
        here: String,
    ) -> Visitor {
        Visitor(Rc::new(Inner {
            user,
            session_id,
            session_csrf,
            anon_csrf: RefCell::new(anon_csrf),
            anon_csrf_new: Cell::new(false),
            anon_csrf_handed: Cell::new(false),
            flash,
            here,
        }))
    }

    /// A signed-out visitor's token made during this request, which the
    /// answer must set as a cookie.
    pub fn new_anon_token(&self) -> Option<String> {
        if self.0.anon_csrf_new.get() {
            self.0.anon_csrf.borrow().clone()
        } else {
            None
        }
    }
}

/// A new random 256-bit token, hex-encoded.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
