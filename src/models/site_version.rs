//! One counter that triggers bump on every change a reader could see.

use diesel::prelude::*;

use crate::schema::site_version;

pub fn current(conn: &mut SqliteConnection) -> QueryResult<i64> {
    site_version::table
        .find(1)
        .select(site_version::version)
        .first(conn)
}
