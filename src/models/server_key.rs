//! Secrets the server generated for itself, by name.

use diesel::prelude::*;

use crate::db::Conn;

use crate::schema::server_keys;

/// The secret stored under `name`; when there is none yet, `fresh` is stored
/// and returned (a second instance starting at once keeps the first one's).
pub fn get_or_create(conn: &mut Conn, name: &str, fresh: &str) -> QueryResult<String> {
    crate::each_backend!(conn, c => diesel::insert_into(server_keys::table)
        .values((server_keys::name.eq(name), server_keys::value.eq(fresh)))
        .on_conflict_do_nothing()
        .execute(c))?;
    server_keys::table
        .find(name)
        .select(server_keys::value)
        .first(conn)
}

/// The value stored under `name`, if any.
pub fn get(conn: &mut Conn, name: &str) -> QueryResult<Option<String>> {
    server_keys::table
        .find(name)
        .select(server_keys::value)
        .first(conn)
        .optional()
}

/// Stores `value` under `name`, replacing what was there.
pub fn set(conn: &mut Conn, name: &str, value: &str) -> QueryResult<()> {
    get_or_create(conn, name, value)?;
    diesel::update(server_keys::table.find(name))
        .set(server_keys::value.eq(value))
        .execute(conn)?;
    Ok(())
}
