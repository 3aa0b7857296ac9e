//! Comments under posts, with optional parents for replies.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::schema::{comments, users};

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = comments)]
pub struct Comment {
    pub id: i32,
    pub post_id: i32,
    pub author_id: i32,
    pub parent_id: Option<i32>,
    pub body: String,
    pub body_html: String,
    pub status: String,
    pub created_at: NaiveDateTime,
    pub edited_at: Option<NaiveDateTime>,
}

#[derive(Insertable, Debug)]
#[diesel(table_name = comments)]
pub struct NewComment<'a> {
    pub post_id: i32,
    pub author_id: i32,
    pub parent_id: Option<i32>,
    pub body: &'a str,
    pub body_html: &'a str,
    pub status: &'a str,
    pub created_at: NaiveDateTime,
}

/// A comment with its author's display name, as a page shows it.
#[derive(Debug, Clone)]
pub struct CommentView {
    pub comment: Comment,
    pub author: String,
}

impl Comment {
    pub fn create(conn: &mut SqliteConnection, new: &NewComment<'_>) -> QueryResult<Comment> {
        diesel::insert_into(comments::table)
            .values(new)
            .returning(Comment::as_returning())
            .get_result(conn)
    }

    pub fn find(conn: &mut SqliteConnection, id: i32) -> QueryResult<Option<Comment>> {
        comments::table
            .find(id)
            .select(Comment::as_select())
            .first(conn)
            .optional()
    }

    /// Moves a comment to `status` (pending, approved, spam or deleted); the
    /// posts' comment counts follow through triggers.
    pub fn set_status(conn: &mut SqliteConnection, id: i32, status: &str) -> QueryResult<usize> {
        diesel::update(comments::table.find(id))
            .set(comments::status.eq(status))
            .execute(conn)
    }

    /// A post's approved comments, oldest first.
    pub fn approved_for(
        conn: &mut SqliteConnection,
        post_id: i32,
    ) -> QueryResult<Vec<CommentView>> {
        let rows = comments::table
            .inner_join(users::table)
            .filter(
                comments::post_id
                    .eq(post_id)
                    .and(comments::status.eq("approved")),
            )
            .order(comments::id.asc())
            .select((Comment::as_select(), users::display_name))
            .load::<(Comment, String)>(conn)?;
        Ok(rows
            .into_iter()
            .map(|(comment, author)| CommentView { comment, author })
            .collect())
    }
}
