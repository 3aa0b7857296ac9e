//! Comments under posts, with optional parents for replies.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::models::paging::{Page, Paging};
use crate::schema::{comments, posts, users};

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

/// A comment with its author's display name, username and role, as a page
/// shows it.
#[derive(Debug, Clone)]
pub struct CommentView {
    pub comment: Comment,
    pub author: String,
    pub author_username: String,
    pub author_role: String,
}

/// Replies nest this deep; deeper ones are shown at the last level.
pub const MAX_DEPTH: usize = 4;

/// A comment in thread order, with how far it is indented.
#[derive(Debug, Clone)]
pub struct Threaded {
    pub view: CommentView,
    pub depth: usize,
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

    /// Every comment of a post that some reader may see: approved ones,
    /// deleted ones (placeholders) and those awaiting moderation (for their
    /// authors), oldest first. `visible_thread` picks a viewer's share.
    pub fn for_post(conn: &mut SqliteConnection, post_id: i32) -> QueryResult<Vec<CommentView>> {
        let rows: Vec<(Comment, String, String, String)> = comments::table
            .inner_join(users::table)
            .filter(comments::post_id.eq(post_id))
            .filter(comments::status.eq_any(["approved", "deleted", "pending"]))
            .order(comments::id.asc())
            .select((
                Comment::as_select(),
                users::display_name,
                users::username,
                users::role,
            ))
            .load(conn)?;
        Ok(rows
            .into_iter()
            .map(
                |(comment, author, author_username, author_role)| CommentView {
                    comment,
                    author,
                    author_username,
                    author_role,
                },
            )
            .collect())
    }

    /// How many of a user's comments have been approved (for first_comment_held).
    pub fn approved_count_by(conn: &mut SqliteConnection, author_id: i32) -> QueryResult<i64> {
        comments::table
            .filter(
                comments::author_id
                    .eq(author_id)
                    .and(comments::status.eq("approved")),
            )
            .count()
            .get_result(conn)
    }

    /// Replaces a comment's text, marking it edited.
    pub fn edit(
        conn: &mut SqliteConnection,
        id: i32,
        body: &str,
        body_html: &str,
        now: NaiveDateTime,
    ) -> QueryResult<usize> {
        diesel::update(comments::table.find(id))
            .set((
                comments::body.eq(body),
                comments::body_html.eq(body_html),
                comments::edited_at.eq(Some(now)),
            ))
            .execute(conn)
    }

    /// Deletes a comment for its author: the text is gone, the row stays as a
    /// placeholder so replies to it still read in place.
    pub fn remove(conn: &mut SqliteConnection, id: i32) -> QueryResult<usize> {
        diesel::update(comments::table.find(id))
            .set((
                comments::status.eq("deleted"),
                comments::body.eq(""),
                comments::body_html.eq(""),
            ))
            .execute(conn)
    }
}

/// The thread `viewer` may see: approved and deleted comments, and their own
/// awaiting moderation.
pub fn visible_thread(all: &[CommentView], viewer: Option<i32>) -> Vec<Threaded> {
    let shown = all
        .iter()
        .filter(|c| c.comment.status != "pending" || Some(c.comment.author_id) == viewer)
        .cloned()
        .collect();
    thread(shown)
}

/// Orders comments as a thread: each followed by its replies, oldest first.
/// Deleted comments stay only where they hold replies in place; a reply
/// whose parent is not shown starts a thread of its own.
pub fn thread(comments: Vec<CommentView>) -> Vec<Threaded> {
    let ids: HashSet<i32> = comments.iter().map(|c| c.comment.id).collect();
    let parent_of = |c: &CommentView| c.comment.parent_id.filter(|p| ids.contains(p));
    // Replies are newer than their parents, so walking newest first decides
    // every reply before its parent.
    let mut kept: HashSet<i32> = HashSet::new();
    let mut holds_reply: HashSet<i32> = HashSet::new();
    for c in comments.iter().rev() {
        if c.comment.status != "deleted" || holds_reply.contains(&c.comment.id) {
            kept.insert(c.comment.id);
            if let Some(parent) = parent_of(c) {
                holds_reply.insert(parent);
            }
        }
    }
    let mut children: HashMap<Option<i32>, Vec<CommentView>> = HashMap::new();
    for c in comments
        .into_iter()
        .filter(|c| kept.contains(&c.comment.id))
    {
        children.entry(parent_of(&c)).or_default().push(c);
    }
    let mut out = Vec::new();
    // An explicit stack instead of recursion: a long reply chain cannot overflow it.
    let mut stack: Vec<(CommentView, usize)> = Vec::new();
    if let Some(roots) = children.remove(&None) {
        stack.extend(roots.into_iter().rev().map(|c| (c, 0)));
    }
    while let Some((view, depth)) = stack.pop() {
        let replies = children.remove(&Some(view.comment.id)).unwrap_or_default();
        stack.extend(
            replies
                .into_iter()
                .rev()
                .map(|c| (c, (depth + 1).min(MAX_DEPTH))),
        );
        out.push(Threaded { view, depth });
    }
    out
}

// Moderation (admin dashboard)

/// A comment as the moderation pages show it: who wrote it, under which post.
#[derive(Debug, Clone)]
pub struct QueuedComment {
    pub comment: Comment,
    pub author: String,
    pub post_title: String,
    pub post_slug: String,
    /// Whether readers can open the post (it is published and due).
    pub post_visible: bool,
}

/// Comments counted by status; deleted ones are not counted.
#[derive(Debug, Clone, Copy, Default)]
pub struct StatusCounts {
    pub pending: i64,
    pub approved: i64,
    pub spam: i64,
}

/// The statuses the moderation queue has tabs for.
pub const QUEUE_STATUSES: [&str; 3] = ["pending", "approved", "spam"];

type QueueRow = (
    Comment,
    String,
    String,
    String,
    String,
    Option<NaiveDateTime>,
);

type QueueColumns = (
    diesel::helper_types::AsSelect<Comment, diesel::sqlite::Sqlite>,
    users::display_name,
    posts::title,
    posts::slug,
    posts::status,
    posts::published_at,
);

/// The columns of a `QueueRow`: the comment, its author, and its post.
fn queue_columns() -> QueueColumns {
    (
        Comment::as_select(),
        users::display_name,
        posts::title,
        posts::slug,
        posts::status,
        posts::published_at,
    )
}

fn queued(rows: Vec<QueueRow>, now: NaiveDateTime) -> Vec<QueuedComment> {
    rows.into_iter()
        .map(
            |(comment, author, post_title, post_slug, status, published_at)| QueuedComment {
                comment,
                author,
                post_title,
                post_slug,
                post_visible: status == "published" && published_at.is_some_and(|at| at <= now),
            },
        )
        .collect()
}

impl Comment {
    pub fn count_by_status(conn: &mut SqliteConnection) -> QueryResult<StatusCounts> {
        let rows: Vec<(String, i64)> = comments::table
            .group_by(comments::status)
            .select((comments::status, diesel::dsl::count_star()))
            .load(conn)?;
        let mut counts = StatusCounts::default();
        for (status, n) in rows {
            match status.as_str() {
                "pending" => counts.pending = n,
                "approved" => counts.approved = n,
                "spam" => counts.spam = n,
                _ => {}
            }
        }
        Ok(counts)
    }

    pub fn count_with_status(conn: &mut SqliteConnection, status: &str) -> QueryResult<i64> {
        comments::table
            .filter(comments::status.eq(status))
            .count()
            .get_result(conn)
    }

    /// A page of comments with `status`, newest first.
    pub fn queue(
        conn: &mut SqliteConnection,
        status: &str,
        now: NaiveDateTime,
        paging: Paging,
    ) -> QueryResult<Page<QueuedComment>> {
        let rows = paging.load(|limit, offset| {
            comments::table
                .inner_join(users::table)
                .inner_join(posts::table)
                .filter(comments::status.eq(status))
                .order(comments::id.desc())
                .limit(limit)
                .offset(offset)
                .select(queue_columns())
                .load::<QueueRow>(conn)
        })?;
        rows.try_with(|rows| Ok(queued(rows, now)))
    }

    /// The newest comments that are pending or approved, for the dashboard.
    pub fn latest(
        conn: &mut SqliteConnection,
        now: NaiveDateTime,
        limit: i64,
    ) -> QueryResult<Vec<QueuedComment>> {
        let rows: Vec<QueueRow> = comments::table
            .inner_join(users::table)
            .inner_join(posts::table)
            .filter(comments::status.eq_any(["pending", "approved"]))
            .order(comments::id.desc())
            .limit(limit)
            .select(queue_columns())
            .load(conn)?;
        Ok(queued(rows, now))
    }

    /// Moves several comments to `status` at once; returns how many there were.
    pub fn set_status_many(
        conn: &mut SqliteConnection,
        ids: &[i32],
        status: &str,
    ) -> QueryResult<usize> {
        diesel::update(comments::table.filter(comments::id.eq_any(ids)))
            .set(comments::status.eq(status))
            .execute(conn)
    }
}
