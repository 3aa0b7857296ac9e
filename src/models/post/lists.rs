//! The lists readers browse: the home page, archive months, tag pages,
//! feeds. Each is one index range. Pages are in none of them (see
//! `PostKind`). An article with its neighbours is in `article`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::Conn;
use diesel::sql_types::{BigInt, Text, Timestamp};

use crate::models::media::Media;
use crate::models::paging::{Paged, Paging};
use crate::models::Tag;
use crate::schema::{post_tags, posts, users};

use super::{listed_at, Post, PostKind, PostStatus};

/// The columns a list needs: no bodies.
#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = posts)]
pub struct PostSummary {
    pub id: i32,
    pub slug: String,
    pub title: String,
    pub dateline: String,
    pub excerpt: String,
    pub word_count: i32,
    pub status: PostStatus,
    pub published_at: Option<NaiveDateTime>,
    pub comments_enabled: bool,
    pub comment_count: i32,
    pub custom_excerpt: String,
    pub cover_media_id: Option<i32>,
}

impl PostSummary {
    /// What the list shows of the post.
    pub fn summary(&self) -> &str {
        super::summary_of(&self.custom_excerpt, &self.excerpt)
    }
}

/// A post in a list, with its author's name, its tags and its cover.
#[derive(Debug, Clone)]
pub struct ListedPost {
    pub post: PostSummary,
    pub author: Option<String>,
    pub tags: Vec<Tag>,
    pub cover: Option<Media>,
}

/// Posts per year and month, for the archive.
#[derive(QueryableByName, Debug, Clone)]
pub struct MonthCount {
    #[diesel(sql_type = Text)]
    pub year: String,
    #[diesel(sql_type = Text)]
    pub month: String,
    #[diesel(sql_type = BigInt)]
    pub count: i64,
}

impl Post {
    /// Visible posts (no pages), newest first; `page` counts from 1.
    pub fn latest(
        conn: &mut Conn,
        now: NaiveDateTime,
        paging: Paging,
    ) -> QueryResult<Paged<ListedPost>> {
        // Paging walks the covering index alone; only the page's rows are read.
        let ids = paging.load(|limit, offset| {
            posts::table
                .filter(listed_at(now))
                .order((posts::published_at.desc(), posts::id.desc()))
                .limit(limit)
                .offset(offset)
                .select(posts::id)
                .load(conn)
        })?;
        ids.try_with(|ids| listed(conn, ids))
    }

    /// Visible posts published in `[from, to)`, newest first.
    pub fn between(
        conn: &mut Conn,
        now: NaiveDateTime,
        from: NaiveDateTime,
        to: NaiveDateTime,
        paging: Paging,
    ) -> QueryResult<Paged<ListedPost>> {
        // One upper bound only: given both `< to` and `<= now`, SQLite may
        // pick the wrong one for its index range and walk far more rows.
        let mut query = posts::table
            .filter(posts::kind.eq(PostKind::Post))
            .filter(posts::status.eq(PostStatus::Published))
            .filter(posts::published_at.ge(from))
            .into_boxed();
        query = if to <= now {
            query.filter(posts::published_at.lt(to))
        } else {
            query.filter(posts::published_at.le(now))
        };
        let ids = paging.load(|limit, offset| {
            query
                .order((posts::published_at.desc(), posts::id.desc()))
                .limit(limit)
                .offset(offset)
                .select(posts::id)
                .load(conn)
        })?;
        ids.try_with(|ids| listed(conn, ids))
    }

    /// Visible posts with a tag, newest first, from the tag links' own index
    /// (whose times are NULL for pages, so none is listed).
    pub fn tagged(
        conn: &mut Conn,
        now: NaiveDateTime,
        tag_id: i32,
        paging: Paging,
    ) -> QueryResult<Paged<ListedPost>> {
        let ids = paging.load(|limit, offset| {
            post_tags::table
                .filter(post_tags::tag_id.eq(tag_id))
                .filter(post_tags::published_at.le(now))
                .order((post_tags::published_at.desc(), post_tags::post_id.desc()))
                .limit(limit)
                .offset(offset)
                .select(post_tags::post_id)
                .load(conn)
        })?;
        ids.try_with(|ids| listed(conn, ids))
    }

    /// Visible posts counted by year and month, newest month first: the
    /// trigger-kept totals less the scheduled posts not yet due.
    pub fn months(conn: &mut Conn, now: NaiveDateTime) -> QueryResult<Vec<MonthCount>> {
        diesel::sql_query(crate::db::sql(
            conn,
            "SELECT substr(a.month, 1, 4) AS year, substr(a.month, 6, 2) AS month, \
             a.count - coalesce(s.n, 0) AS count \
             FROM archive_months a LEFT JOIN ( \
                 SELECT substr(published_at, 1, 7) AS month, count(*) AS n FROM posts \
                 WHERE kind = 'post' AND status = 'published' AND published_at > ? GROUP BY 1 \
             ) s ON s.month = a.month \
             WHERE a.count - coalesce(s.n, 0) > 0 \
             ORDER BY a.month DESC",
            "SELECT substr(a.month, 1, 4) AS year, substr(a.month, 6, 2) AS month, \
             (a.count - coalesce(s.n, 0))::bigint AS count \
             FROM archive_months a LEFT JOIN ( \
                 SELECT to_char(published_at, 'YYYY-MM') AS month, count(*) AS n FROM posts \
                 WHERE kind = 'post' AND status = 'published' AND published_at > $1 GROUP BY 1 \
             ) s ON s.month = a.month \
             WHERE a.count - coalesce(s.n, 0) > 0 \
             ORDER BY a.month DESC",
        ))
        .bind::<Timestamp, _>(now)
        .load(conn)
    }

    /// When the next scheduled post or page falls due, if any is waiting.
    pub fn next_scheduled(
        conn: &mut Conn,
        now: NaiveDateTime,
    ) -> QueryResult<Option<NaiveDateTime>> {
        posts::table
            .filter(
                posts::status
                    .eq(PostStatus::Published)
                    .and(posts::published_at.gt(now)),
            )
            .select(diesel::dsl::min(posts::published_at))
            .first(conn)
    }
}

/// Loads posts by id (in the given order) with authors and tags.
fn listed(conn: &mut Conn, ids: Vec<i32>) -> QueryResult<Vec<ListedPost>> {
    let rows: Vec<(PostSummary, Option<String>)> = posts::table
        .left_join(users::table)
        .filter(posts::id.eq_any(&ids))
        .select((PostSummary::as_select(), users::display_name.nullable()))
        .load(conn)?;
    let mut by_id: std::collections::HashMap<i32, (PostSummary, Option<String>)> =
        rows.into_iter().map(|row| (row.0.id, row)).collect();
    let mut tags = Tag::for_posts(conn, &ids)?;
    let cover_ids: Vec<i32> = by_id
        .values()
        .filter_map(|(p, _)| p.cover_media_id)
        .collect();
    let covers = Media::by_ids(conn, &cover_ids)?;
    Ok(ids
        .iter()
        .filter_map(|id| by_id.remove(id))
        .map(|(post, author)| ListedPost {
            tags: tags.remove(&post.id).unwrap_or_default(),
            cover: post.cover_media_id.and_then(|id| covers.get(&id).cloned()),
            post,
            author,
        })
        .collect())
}

impl Post {
    /// The `limit` newest visible posts (no pages), with a tag if one is
    /// given, and their authors' names.
    pub fn recent(
        conn: &mut Conn,
        now: NaiveDateTime,
        tag_id: Option<i32>,
        limit: i64,
    ) -> QueryResult<Vec<(Post, Option<String>)>> {
        let mut query = posts::table
            .left_join(users::table)
            .filter(listed_at(now))
            .into_boxed();
        if let Some(tag_id) = tag_id {
            query = query.filter(
                posts::id.eq_any(
                    post_tags::table
                        .filter(post_tags::tag_id.eq(tag_id))
                        .select(post_tags::post_id),
                ),
            );
        }
        query
            .order((posts::published_at.desc(), posts::id.desc()))
            .limit(limit)
            .select((Post::as_select(), users::display_name.nullable()))
            .load(conn)
    }
}
