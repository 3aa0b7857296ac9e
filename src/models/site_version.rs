//! Two counters that triggers bump: `version` on every change a reader could
//! see, `auth_version` when a session ends or a user changes.

use diesel::prelude::*;

use crate::db::Conn;

use crate::schema::site_version;

/// Both counters, read together.
#[derive(Queryable, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Versions {
    pub content: i64,
    pub auth: i64,
}

pub fn current(conn: &mut Conn) -> QueryResult<Versions> {
    site_version::table
        .find(1)
        .select((site_version::version, site_version::auth_version))
        .first(conn)
}
