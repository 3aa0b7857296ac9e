//! The writers' view of posts: drafts and schedules included, counted by
//! state, paged for the dashboard.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::Conn;

use crate::models::paging::{Paged, Paging};
use crate::schema::{posts, users};

use super::{visible, Post, PostKind, PostStatus};

// Dashboard (admin): the writers' view of posts, drafts and schedules included.

/// Where a post stands: a draft, published but not yet due, or public.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostState {
    Draft,
    Scheduled,
    Published,
}

impl PostState {
    pub const ALL: [PostState; 3] = [PostState::Draft, PostState::Scheduled, PostState::Published];

    pub fn as_str(self) -> &'static str {
        match self {
            PostState::Draft => "draft",
            PostState::Scheduled => "scheduled",
            PostState::Published => "published",
        }
    }

    pub fn parse(s: &str) -> Option<PostState> {
        PostState::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// The state of a post with this status and publication time at `now`.
    pub fn of(
        status: PostStatus,
        published_at: Option<NaiveDateTime>,
        now: NaiveDateTime,
    ) -> PostState {
        match (status, published_at) {
            (PostStatus::Published, Some(at)) if at > now => PostState::Scheduled,
            (PostStatus::Published, _) => PostState::Published,
            (PostStatus::Draft, _) => PostState::Draft,
        }
    }
}

/// How many posts (pages included) are in each state, and how many are pages.
#[derive(Debug, Clone, Copy, Default)]
pub struct PostCounts {
    pub draft: i64,
    pub scheduled: i64,
    pub published: i64,
    pub pages: i64,
}

/// The columns the dashboard's post list needs.
#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = posts)]
pub struct ManagedPost {
    pub id: i32,
    pub slug: String,
    pub title: String,
    pub status: PostStatus,
    pub published_at: Option<NaiveDateTime>,
    pub author_id: Option<i32>,
    pub comment_count: i32,
    pub updated_at: NaiveDateTime,
    pub kind: PostKind,
}

/// A row of the dashboard's post list, with its author's name.
#[derive(Debug, Clone)]
pub struct ManagedRow {
    pub post: ManagedPost,
    pub author: Option<String>,
    pub state: PostState,
}

impl Post {
    /// Posts counted by state; only `author`'s when given.
    pub fn counts(
        conn: &mut Conn,
        now: NaiveDateTime,
        author: Option<i32>,
    ) -> QueryResult<PostCounts> {
        let mine = || {
            let mut query = posts::table.into_boxed();
            if let Some(author) = author {
                query = query.filter(posts::author_id.eq(author));
            }
            query
        };
        Ok(PostCounts {
            draft: mine()
                .filter(posts::status.eq(PostStatus::Draft))
                .count()
                .get_result(conn)?,
            scheduled: mine()
                .filter(posts::status.eq(PostStatus::Published))
                .filter(posts::published_at.gt(now))
                .count()
                .get_result(conn)?,
            published: mine().filter(visible(now)).count().get_result(conn)?,
            pages: mine()
                .filter(posts::kind.eq(PostKind::Page))
                .count()
                .get_result(conn)?,
        })
    }

    /// A page of posts in any state (or in `state`), of any kind (or of
    /// `kind`), only `author`'s when given. Published and scheduled lists run
    /// by publication time, the others newest first.
    pub fn managed(
        conn: &mut Conn,
        now: NaiveDateTime,
        state: Option<PostState>,
        kind: Option<PostKind>,
        author: Option<i32>,
        paging: Paging,
    ) -> QueryResult<Paged<ManagedRow>> {
        let mut query = posts::table
            .left_join(users::table)
            .select((ManagedPost::as_select(), users::display_name.nullable()))
            .into_boxed();
        if let Some(author) = author {
            query = query.filter(posts::author_id.eq(author));
        }
        if let Some(kind) = kind {
            query = query.filter(posts::kind.eq(kind));
        }
        query = match state {
            None => query.order(posts::id.desc()),
            Some(PostState::Draft) => query
                .filter(posts::status.eq(PostStatus::Draft))
                .order(posts::id.desc()),
            Some(PostState::Scheduled) => query
                .filter(posts::status.eq(PostStatus::Published))
                .filter(posts::published_at.gt(now))
                .order((posts::published_at.asc(), posts::id.asc())),
            Some(PostState::Published) => query
                .filter(visible(now))
                .order((posts::published_at.desc(), posts::id.desc())),
        };
        let rows = paging.load(|limit, offset| {
            query
                .limit(limit)
                .offset(offset)
                .load::<(ManagedPost, Option<String>)>(conn)
        })?;
        Ok(rows.map(|(post, author)| ManagedRow {
            state: PostState::of(post.status, post.published_at, now),
            post,
            author,
        }))
    }
}
