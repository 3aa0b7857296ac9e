//! Who is asking, and whether they may: passwords, sessions, CSRF, roles and
//! rate limits.

pub mod csrf;
pub mod device;
pub mod extract;
pub mod limits;
pub mod multipart;
pub mod password;
pub mod session;

pub use csrf::CsrfForm;
pub use extract::{AdminUser, CurrentUser, WriterUser};
pub use session::Visitor;

use std::sync::Arc;

/// What auth reads of the application in a request: `build_app` registers
/// it beside `AppState` (`AppState::auth_site`), so auth, which `AppState`
/// is partly made of, names no module above it.
#[derive(Clone)]
pub struct Site {
    pub pool: crate::db::DbPool,
    pub cache: Arc<crate::cache::Caches>,
    pub config: Arc<crate::config::Config>,
}
