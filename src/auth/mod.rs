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
