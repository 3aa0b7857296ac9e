//! Sign-in sessions. The cookie's token is stored only as its SHA-256 hash.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::Conn;

use crate::models::User;
use crate::schema::{sessions, users};

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = sessions)]
pub struct Session {
    pub id: i32,
    pub token_hash: String,
    pub user_id: i32,
    pub csrf_token: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

#[derive(Insertable, Debug)]
#[diesel(table_name = sessions)]
pub struct NewSession<'a> {
    pub token_hash: &'a str,
    pub user_id: i32,
    pub csrf_token: &'a str,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

impl Session {
    pub fn create(conn: &mut Conn, new: &NewSession<'_>) -> QueryResult<Session> {
        // RETURNING is built per backend.
        crate::each_backend!(conn, c => diesel::insert_into(sessions::table)
            .values(new)
            .returning(Session::as_returning())
            .get_result(c))
    }

    /// The unexpired session with this token hash and its enabled user.
    pub fn find_active(
        conn: &mut Conn,
        token_hash: &str,
        now: NaiveDateTime,
    ) -> QueryResult<Option<(Session, User)>> {
        sessions::table
            .inner_join(users::table)
            .filter(sessions::token_hash.eq(token_hash))
            .filter(sessions::expires_at.gt(now))
            .filter(users::disabled.eq(false))
            .select((Session::as_select(), User::as_select()))
            .first(conn)
            .optional()
    }

    pub fn extend(conn: &mut Conn, id: i32, expires_at: NaiveDateTime) -> QueryResult<usize> {
        diesel::update(sessions::table.find(id))
            .set(sessions::expires_at.eq(expires_at))
            .execute(conn)
    }

    pub fn delete(conn: &mut Conn, id: i32) -> QueryResult<usize> {
        diesel::delete(sessions::table.find(id)).execute(conn)
    }

    /// Ends every session of a user, or every one but `keep`.
    pub fn delete_for_user(conn: &mut Conn, user_id: i32, keep: Option<i32>) -> QueryResult<usize> {
        let mine = sessions::table.filter(sessions::user_id.eq(user_id));
        match keep {
            Some(keep) => diesel::delete(mine.filter(sessions::id.ne(keep))).execute(conn),
            None => diesel::delete(mine).execute(conn),
        }
    }

    /// Ends a user's sessions but the `keep` newest.
    pub fn keep_newest(conn: &mut Conn, user_id: i32, keep: i64) -> QueryResult<usize> {
        let older: Vec<i32> = sessions::table
            .filter(sessions::user_id.eq(user_id))
            .order(sessions::id.desc())
            .offset(keep)
            .limit(1000)
            .select(sessions::id)
            .load(conn)?;
        if older.is_empty() {
            return Ok(0);
        }
        diesel::delete(sessions::table.filter(sessions::id.eq_any(older))).execute(conn)
    }

    pub fn delete_expired(conn: &mut Conn, now: NaiveDateTime) -> QueryResult<usize> {
        diesel::delete(sessions::table.filter(sessions::expires_at.le(now))).execute(conn)
    }
}
