//! The admin dashboard: writing and publishing posts, moderating comments,
//! managing users and the site's settings. Admins may do everything; authors
//! may write posts and manage their own.

pub mod comments;
pub mod dashboard;
pub mod export;
pub mod import;
pub mod media;
pub mod posts;
pub mod redirects;
pub mod settings;
pub mod users;

use std::future::Future;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;

use crate::auth::{AdminUser, Visitor, WriterUser};
use crate::db;
use crate::error::AppError;
use crate::models::{Comment, Settings, User};
use crate::state::AppState;
use crate::view::Layout;

pub fn configure(cfg: &mut web::ServiceConfig) {
    super::Table::new(cfg)
        .route("/admin", web::get().to(dashboard::show))
        .route("/admin/posts", web::get().to(posts::list))
        .route("/admin/posts", web::post().to(posts::create))
        .route("/admin/posts/new", web::get().to(posts::new))
        .route("/admin/posts/{id}", web::post().to(posts::update))
        .route("/admin/posts/{id}/edit", web::get().to(posts::edit))
        .route(
            "/admin/posts/{id}/delete",
            web::get().to(posts::confirm_delete),
        )
        .route("/admin/posts/{id}/delete", web::post().to(posts::delete))
        .route("/admin/media", web::get().to(media::library))
        .route("/admin/media", web::post().to(media::upload))
        .route("/admin/media/{id}", web::post().to(media::update))
        .route("/admin/media/{id}/delete", web::post().to(media::delete))
        .route("/admin/comments", web::get().to(comments::queue))
        .route("/admin/comments/bulk", web::post().to(comments::bulk))
        .route(
            "/admin/comments/{id}/{action}",
            web::post().to(comments::moderate),
        )
        .route("/admin/users", web::get().to(users::list))
        .route("/admin/users/{id}/role", web::post().to(users::set_role))
        .route("/admin/users/{id}/disable", web::post().to(users::disable))
        .route("/admin/users/{id}/enable", web::post().to(users::enable))
        .route("/admin/redirects", web::get().to(redirects::list))
        .route("/admin/redirects", web::post().to(redirects::create))
        .route(
            "/admin/redirects/{id}/delete",
            web::post().to(redirects::delete),
        )
        .route("/admin/import", web::get().to(import::form))
        .route("/admin/import", web::post().to(import::upload))
        .route("/admin/import/{id}", web::get().to(import::show))
        .route("/admin/export", web::get().to(export::download))
        .route("/admin/settings", web::get().to(settings::edit))
        .route("/admin/settings", web::post().to(settings::update))
        .register();
}

/// Data for `admin/layout.html`: which section is open and what the
/// navigation shows to this user.
#[derive(Debug, Clone)]
pub struct AdminNav {
    pub active: &'static str,
    pub is_admin: bool,
    /// Comments awaiting moderation (admins only; 0 for authors).
    pub pending: i64,
}

impl AdminNav {
    /// Whether `section` is the open one, for `aria-current`.
    pub fn is(&self, section: &str) -> bool {
        self.active == section
    }
}

/// What every admin page shows around its content: who is asking, the
/// site's settings and what the navigation counts.
pub struct Frame {
    pub user: User,
    pub settings: Arc<Settings>,
    /// Comments awaiting moderation (admins only; 0 for authors).
    pending: i64,
}

impl Frame {
    /// The frame for `user`; also for a refused form, after its handler ran.
    pub async fn load(state: &AppState, user: User) -> Result<Frame, AppError> {
        let settings = state.cache.settings(&state.pool).await?;
        let pending = if user.is_admin() {
            db::run(&state.pool, |conn| {
                Ok(Comment::count_with_status(
                    conn,
                    crate::models::CommentStatus::Pending,
                )?)
            })
            .await?
        } else {
            0
        };
        Ok(Frame {
            user,
            settings,
            pending,
        })
    }

    /// The navigation with `active` as the open section.
    pub fn nav(&self, active: &'static str) -> AdminNav {
        AdminNav {
            active,
            is_admin: self.user.is_admin(),
            pending: self.pending,
        }
    }
}

/// The frame of a page for admins and authors (see `WriterUser`).
pub struct WriterFrame(pub Frame);

/// The frame of a page for admins only (see `AdminUser`).
pub struct AdminFrame(pub Frame);

/// Loads the frame once `who` has said the user may see the page.
fn framed<W: 'static>(
    req: &HttpRequest,
    who: impl Future<Output = Result<W, AppError>> + 'static,
    user: fn(W) -> User,
) -> LocalBoxFuture<'static, Result<Frame, actix_web::Error>> {
    let state = web::Data::<AppState>::extract(req);
    Box::pin(async move {
        let user = user(who.await?);
        let state = state.await?;
        Ok(Frame::load(&state, user).await?)
    })
}

impl FromRequest for WriterFrame {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let frame = framed(req, WriterUser::from_request(req, payload), |w| w.0);
        Box::pin(async move { Ok(WriterFrame(frame.await?)) })
    }
}

impl FromRequest for AdminFrame {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let frame = framed(req, AdminUser::from_request(req, payload), |a| a.0);
        Box::pin(async move { Ok(AdminFrame(frame.await?)) })
    }
}

/// The layout of an admin page: "Posts · Dashboard · Site".
pub fn layout(visitor: &Visitor, settings: &Settings, title: &str) -> Layout {
    Layout::new(visitor, settings, format!("{title} · Dashboard"))
}
