//! The admin dashboard: writing and publishing posts, moderating comments,
//! managing users and the site's settings. Admins may do everything; authors
//! may write posts and manage their own.

pub mod comments;
pub mod dashboard;
pub mod posts;
pub mod settings;
pub mod users;

use actix_web::web;
use diesel::SqliteConnection;

use crate::auth::Visitor;
use crate::error::AppError;
use crate::models::{Comment, Settings, User};
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

/// What every admin page loads: the site's settings and the navigation.
pub fn frame(
    conn: &mut SqliteConnection,
    user: &User,
    active: &'static str,
) -> Result<(Settings, AdminNav), AppError> {
    let pending = if user.is_admin() {
        Comment::count_with_status(conn, crate::models::CommentStatus::Pending)?
    } else {
        0
    };
    Ok((
        Settings::load(conn)?,
        AdminNav {
            active,
            is_admin: user.is_admin(),
            pending,
        },
    ))
}

/// The layout of an admin page: "Posts · Dashboard · Site".
pub fn layout(visitor: &Visitor, settings: &Settings, title: &str) -> Layout {
    Layout::new(visitor, settings, format!("{title} · Dashboard"))
}

/// Links to the neighbouring pages of an admin list. `base` already holds
/// any query (`/admin/posts?status=draft`) or none.
pub struct Pager {
    pub newer: Option<String>,
    pub older: Option<String>,
}

impl Pager {
    pub fn new(base: &str, page: i64, more: bool) -> Pager {
        let link = |n: i64| {
            let sep = if base.contains('?') { '&' } else { '?' };
            if n == 1 {
                base.to_string()
            } else {
                format!("{base}{sep}page={n}")
            }
        };
        Pager {
            newer: (page > 1).then(|| link(page - 1)),
            older: more.then(|| link(page + 1)),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.newer.is_none() && self.older.is_none()
    }
}
