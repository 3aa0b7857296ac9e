//! One file per table, each with its queries. Models know nothing of HTTP.

pub mod comment;
pub mod paging;
pub mod post;
pub mod search;
pub mod server_key;
pub mod session;
pub mod setting;
pub mod site_version;
pub mod sitemap;
pub mod tag;
pub mod user;

pub use comment::Comment;
pub use post::Post;
pub use session::Session;
pub use setting::Settings;
pub use tag::Tag;
pub use user::{Role, User};

/// The current time as stored: UTC without a zone, whole seconds.
pub fn now() -> chrono::NaiveDateTime {
    let now = chrono::Utc::now().naive_utc();
    now - chrono::Duration::nanoseconds(i64::from(chrono::Timelike::nanosecond(&now)))
}
