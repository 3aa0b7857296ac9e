//! Comments under posts, with optional parents for replies.

use std::collections::{HashMap, HashSet};

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::db::Conn;

use crate::markdown;
use crate::models::paging::{Paged, Paging};
use crate::models::{CommentPolicy, PostKind, PostStatus, Role, User};
use crate::schema::{comments, posts, users};

text_enum! {
    /// Where a comment stands: awaiting moderation, shown, caught as spam,
    /// or deleted (kept as a placeholder so replies stay in place).
    pub enum CommentStatus {
        Pending = "pending",
        Approved = "approved",
        Spam = "spam",
        Deleted = "deleted",
    }
}

impl CommentStatus {
    /// The statuses the moderation queue has tabs for.
    pub const QUEUE: [CommentStatus; 3] = [
        CommentStatus::Pending,
        CommentStatus::Approved,
        CommentStatus::Spam,
    ];

    pub fn is_pending(self) -> bool {
        self == CommentStatus::Pending
    }

    pub fn is_approved(self) -> bool {
        self == CommentStatus::Approved
    }

    pub fn is_spam(self) -> bool {
        self == CommentStatus::Spam
    }

    pub fn is_deleted(self) -> bool {
        self == CommentStatus::Deleted
    }

    /// Where a new comment by `author` goes under `policy`: staff are never
    /// held; `approved_before` says whether the author has an approved comment.
    pub fn for_new_comment(
        policy: CommentPolicy,
        author: &User,
        approved_before: bool,
    ) -> CommentStatus {
        if author.can_write() {
            return CommentStatus::Approved;
        }
        match policy {
            CommentPolicy::Open => CommentStatus::Approved,
            CommentPolicy::FirstCommentHeld if approved_before => CommentStatus::Approved,
            CommentPolicy::FirstCommentHeld | CommentPolicy::AllHeld => CommentStatus::Pending,
        }
    }
}

/// Comments are at most this many characters.
pub const MAX_CHARS: usize = 5000;
/// Authors may correct a comment for this long after posting it.
pub const EDIT_MINUTES: i64 = 15;

/// What is wrong with a comment's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BodyProblem {
    #[error("Write something before you post.")]
    Empty,
    #[error("Keep your comment under {MAX_CHARS} characters (it has {chars}).")]
    TooLong { chars: usize },
}

/// A comment's text and its HTML, rendered before the write transaction
/// opens (never inside it).
#[derive(Debug, Clone)]
pub struct CommentText {
    pub body: String,
    pub html: String,
}

impl CommentText {
    /// Trims and renders `body`; slow on long texts, so call it in `web::block`.
    pub fn render(body: &str) -> CommentText {
        let body = body.trim().to_string();
        let html = markdown::render_comment(&body);
        CommentText { body, html }
    }
}

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = comments)]
pub struct Comment {
    pub id: i32,
    pub post_id: i32,
    /// `None` for a guest's comment (one brought in by an import).
    pub author_id: Option<i32>,
    pub parent_id: Option<i32>,
    pub body: String,
    pub body_html: String,
    pub status: CommentStatus,
    pub created_at: NaiveDateTime,
    pub edited_at: Option<NaiveDateTime>,
    pub guest_name: String,
    pub guest_website: String,
}

#[derive(Insertable, Debug)]
#[diesel(table_name = comments)]
pub struct NewComment<'a> {
    pub post_id: i32,
    pub author_id: Option<i32>,
    pub parent_id: Option<i32>,
    pub body: &'a str,
    pub body_html: &'a str,
    pub status: CommentStatus,
    pub created_at: NaiveDateTime,
    /// A guest's name (then `author_id` is `None`), website and email; empty
    /// for an account's comment.
    pub guest_name: &'a str,
    pub guest_website: &'a str,
    pub guest_email: &'a str,
}

/// A comment with its author's display name, username and role, as a page
/// shows it. A guest has their name, no username and the commenter role.
#[derive(Debug, Clone)]
pub struct CommentView {
    pub comment: Comment,
    pub author: String,
    pub author_username: String,
    pub author_role: Role,
    /// What every reader of the thread sees of it, as HTML: empty until
    /// `view::article::mark_up_comments` (a model renders no HTML) makes it
    /// of the comment's `body_html`, which it moves in, so a cached article
    /// holds the text once.
    pub html: String,
}

/// An account's display name, username and role.
type Account = (String, String, Role);

impl CommentView {
    fn of(comment: Comment, account: Option<Account>) -> CommentView {
        let (author, author_username, author_role) =
            account.unwrap_or_else(|| (comment.guest_name.clone(), String::new(), Role::Commenter));
        CommentView {
            comment,
            author,
            author_username,
            author_role,
            html: String::new(),
        }
    }

    pub fn is_guest(&self) -> bool {
        self.comment.author_id.is_none()
    }
}

/// An account's display name and email.
pub type Contact = (String, String);

/// A comment with what only the site's owner may see of its author: the
/// guest's email, or the account's display name and email (the export).
#[derive(Debug, Clone)]
pub struct OwnerComment {
    pub comment: Comment,
    pub guest_email: String,
    /// `None` for a guest.
    pub account: Option<Contact>,
}

/// Replies nest this deep; deeper ones are shown at the last level.
pub const MAX_DEPTH: usize = 4;

/// A comment in thread order, with how far it is indented.
/// Borrowed from the cached article: a page is built without copying them.
#[derive(Debug, Clone, Copy)]
pub struct Threaded<'a> {
    pub view: &'a CommentView,
    pub depth: usize,
}

// The rules

impl Comment {
    /// A comment's text must have something in it and at most `MAX_CHARS`
    /// characters (surrounding space not counted).
    pub fn check_body(body: &str) -> Result<(), BodyProblem> {
        let chars = body.trim().chars().count();
        if chars == 0 {
            Err(BodyProblem::Empty)
        } else if chars > MAX_CHARS {
            Err(BodyProblem::TooLong { chars })
        } else {
            Ok(())
        }
    }

    /// Whether `now` is still within `EDIT_MINUTES` of posting.
    pub fn within_edit_window(&self, now: NaiveDateTime) -> bool {
        now - self.created_at <= Duration::minutes(EDIT_MINUTES)
    }

    /// Admins edit any comment, authors their own within the edit window;
    /// deleted ones nobody.
    pub fn editable_by(&self, user: &User, now: NaiveDateTime) -> bool {
        !self.status.is_deleted()
            && (user.is_admin()
                || (self.author_id == Some(user.id) && self.within_edit_window(now)))
    }

    /// Admins delete any comment, authors their own; deleted ones are gone.
    pub fn deletable_by(&self, user: &User) -> bool {
        !self.status.is_deleted() && (user.is_admin() || self.author_id == Some(user.id))
    }

    /// Only approved comments of the same post take replies.
    pub fn takes_replies_on(&self, post_id: i32) -> bool {
        self.post_id == post_id && self.status.is_approved()
    }

    /// Where a new comment by `author` goes under `policy` (the author's
    /// history is read only where the policy asks for it).
    pub fn status_for_new(
        conn: &mut Conn,
        policy: CommentPolicy,
        author: &User,
    ) -> QueryResult<CommentStatus> {
        let asks_history = policy == CommentPolicy::FirstCommentHeld && !author.can_write();
        let approved_before = asks_history && Comment::approved_count_by(conn, author.id)? > 0;
        Ok(CommentStatus::for_new_comment(
            policy,
            author,
            approved_before,
        ))
    }
}

impl Comment {
    pub fn create(conn: &mut Conn, new: &NewComment<'_>) -> QueryResult<Comment> {
        // RETURNING is built per backend.
        crate::each_backend!(conn, c => diesel::insert_into(comments::table)
            .values(new)
            .returning(Comment::as_returning())
            .get_result(c))
    }

    pub fn find(conn: &mut Conn, id: i32) -> QueryResult<Option<Comment>> {
        comments::table
            .find(id)
            .select(Comment::as_select())
            .first(conn)
            .optional()
    }

    /// Moves a comment to `status`; the posts' comment counts follow through
    /// triggers.
    pub fn set_status(conn: &mut Conn, id: i32, status: CommentStatus) -> QueryResult<usize> {
        diesel::update(comments::table.find(id))
            .set(comments::status.eq(status))
            .execute(conn)
    }

    /// Every comment of a post that some reader may see: approved ones,
    /// deleted ones (placeholders) and those awaiting moderation (for their
    /// authors), oldest first. `visible_thread` picks a viewer's share.
    pub fn for_post(conn: &mut Conn, post_id: i32) -> QueryResult<Vec<CommentView>> {
        let rows: Vec<(Comment, Option<Account>)> = comments::table
            .left_join(users::table)
            .filter(comments::post_id.eq(post_id))
            .filter(comments::status.eq_any([
                CommentStatus::Approved,
                CommentStatus::Deleted,
                CommentStatus::Pending,
            ]))
            .order(comments::id.asc())
            .select((
                Comment::as_select(),
                (users::display_name, users::username, users::role).nullable(),
            ))
            .load(conn)?;
        Ok(rows
            .into_iter()
            .map(|(comment, account)| CommentView::of(comment, account))
            .collect())
    }

    /// Every comment of a post, whatever its status, oldest first, with its
    /// author's name and email: the owner's view, for the export.
    pub fn every_for_post(conn: &mut Conn, post_id: i32) -> QueryResult<Vec<OwnerComment>> {
        let rows: Vec<(Comment, String, Option<Contact>)> = comments::table
            .left_join(users::table)
            .filter(comments::post_id.eq(post_id))
            .order((comments::created_at.asc(), comments::id.asc()))
            .select((
                Comment::as_select(),
                comments::guest_email,
                (users::display_name, users::email).nullable(),
            ))
            .load(conn)?;
        Ok(rows
            .into_iter()
            .map(|(comment, guest_email, account)| OwnerComment {
                comment,
                guest_email,
                account,
            })
            .collect())
    }

    /// How many of a user's comments have been approved (for first_comment_held).
    pub fn approved_count_by(conn: &mut Conn, author_id: i32) -> QueryResult<i64> {
        comments::table
            .filter(
                comments::author_id
                    .eq(author_id)
                    .and(comments::status.eq(CommentStatus::Approved)),
            )
            .count()
            .get_result(conn)
    }

    /// Replaces a comment's text, marking it edited. Where `policy` would
    /// hold a new comment by `editor`, an approved comment is read again
    /// before readers see it: it goes back to pending, and this says so.
    pub fn edit(
        conn: &mut Conn,
        comment: &Comment,
        editor: &User,
        policy: CommentPolicy,
        text: &CommentText,
        now: NaiveDateTime,
    ) -> QueryResult<bool> {
        diesel::update(comments::table.find(comment.id))
            .set((
                comments::body.eq(&text.body),
                comments::body_html.eq(&text.html),
                comments::edited_at.eq(Some(now)),
            ))
            .execute(conn)?;
        let held = comment.status.is_approved()
            && Comment::status_for_new(conn, policy, editor)?.is_pending();
        if held {
            Comment::set_status(conn, comment.id, CommentStatus::Pending)?;
        }
        Ok(held)
    }

    /// Deletes a comment for its author: the text is gone, the row stays as a
    /// placeholder so replies to it still read in place.
    pub fn remove(conn: &mut Conn, id: i32) -> QueryResult<usize> {
        diesel::update(comments::table.find(id))
            .set((
                comments::status.eq(CommentStatus::Deleted),
                comments::body.eq(""),
                comments::body_html.eq(""),
            ))
            .execute(conn)
    }
}

/// The thread `viewer` may see: approved and deleted comments, and their own
/// awaiting moderation.
pub fn visible_thread(all: &[CommentView], viewer: Option<i32>) -> Vec<Threaded<'_>> {
    let shown = all
        .iter()
        .filter(|c| {
            // A held guest comment is nobody's to see here: no viewer is its author.
            !c.comment.status.is_pending()
                || (c.comment.author_id.is_some() && c.comment.author_id == viewer)
        })
        .collect();
    thread(shown)
}

/// Orders comments as a thread: each followed by its replies, oldest first.
/// Deleted comments stay only where they hold replies in place; a reply
/// whose parent is not shown starts a thread of its own.
pub fn thread(comments: Vec<&CommentView>) -> Vec<Threaded<'_>> {
    let ids: HashSet<i32> = comments.iter().map(|c| c.comment.id).collect();
    let parent_of = |c: &CommentView| c.comment.parent_id.filter(|p| ids.contains(p));
    // Replies are newer than their parents, so walking newest first decides
    // every reply before its parent.
    let mut kept: HashSet<i32> = HashSet::new();
    let mut holds_reply: HashSet<i32> = HashSet::new();
    for c in comments.iter().rev() {
        if !c.comment.status.is_deleted() || holds_reply.contains(&c.comment.id) {
            kept.insert(c.comment.id);
            if let Some(parent) = parent_of(c) {
                holds_reply.insert(parent);
            }
        }
    }
    let mut children: HashMap<Option<i32>, Vec<&CommentView>> = HashMap::new();
    for c in comments
        .into_iter()
        .filter(|c| kept.contains(&c.comment.id))
    {
        children.entry(parent_of(c)).or_default().push(c);
    }
    let mut out = Vec::new();
    // An explicit stack instead of recursion: a long reply chain cannot overflow it.
    let mut stack: Vec<(&CommentView, usize)> = Vec::new();
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
    pub post_kind: PostKind,
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

type QueueRow = (
    Comment,
    Option<String>,
    String,
    String,
    PostKind,
    PostStatus,
    Option<NaiveDateTime>,
);

type QueueColumns = (
    diesel::helper_types::AsSelect<Comment, crate::db::Backend>,
    diesel::helper_types::Nullable<users::display_name>,
    posts::title,
    posts::slug,
    posts::kind,
    posts::status,
    posts::published_at,
);

/// The columns of a `QueueRow`: the comment, its author, and its post.
fn queue_columns() -> QueueColumns {
    (
        Comment::as_select(),
        users::display_name.nullable(),
        posts::title,
        posts::slug,
        posts::kind,
        posts::status,
        posts::published_at,
    )
}

fn queued(rows: Vec<QueueRow>, now: NaiveDateTime) -> Vec<QueuedComment> {
    rows.into_iter()
        .map(
            |(comment, author, post_title, post_slug, post_kind, status, published_at)| {
                QueuedComment {
                    author: author.unwrap_or_else(|| format!("{} (guest)", comment.guest_name)),
                    comment,
                    post_title,
                    post_slug,
                    post_kind,
                    post_visible: status == PostStatus::Published
                        && published_at.is_some_and(|at| at <= now),
                }
            },
        )
        .collect()
}

impl Comment {
    pub fn count_by_status(conn: &mut Conn) -> QueryResult<StatusCounts> {
        let rows: Vec<(CommentStatus, i64)> = comments::table
            .group_by(comments::status)
            .select((comments::status, diesel::dsl::count_star()))
            .load(conn)?;
        let mut counts = StatusCounts::default();
        for (status, n) in rows {
            match status {
                CommentStatus::Pending => counts.pending = n,
                CommentStatus::Approved => counts.approved = n,
                CommentStatus::Spam => counts.spam = n,
                CommentStatus::Deleted => {}
            }
        }
        Ok(counts)
    }

    pub fn count_with_status(conn: &mut Conn, status: CommentStatus) -> QueryResult<i64> {
        comments::table
            .filter(comments::status.eq(status))
            .count()
            .get_result(conn)
    }

    /// A page of comments with `status`, newest first.
    pub fn queue(
        conn: &mut Conn,
        status: CommentStatus,
        now: NaiveDateTime,
        paging: Paging,
    ) -> QueryResult<Paged<QueuedComment>> {
        let rows = paging.load(|limit, offset| {
            comments::table
                .left_join(users::table)
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
        conn: &mut Conn,
        now: NaiveDateTime,
        limit: i64,
    ) -> QueryResult<Vec<QueuedComment>> {
        let rows: Vec<QueueRow> = comments::table
            .left_join(users::table)
            .inner_join(posts::table)
            .filter(comments::status.eq_any([CommentStatus::Pending, CommentStatus::Approved]))
            .order(comments::id.desc())
            .limit(limit)
            .select(queue_columns())
            .load(conn)?;
        Ok(queued(rows, now))
    }

    /// Moves several comments to `status` at once; returns how many there were.
    pub fn set_status_many(
        conn: &mut Conn,
        ids: &[i32],
        status: CommentStatus,
    ) -> QueryResult<usize> {
        diesel::update(comments::table.filter(comments::id.eq_any(ids)))
            .set(comments::status.eq(status))
            .execute(conn)
    }
}
