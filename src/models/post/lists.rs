//! The lists readers browse: the home page, archive months, tag pages, an
//! article with its neighbours, feeds. Each is one index range. Pages are in
//! none of them (see `PostKind`).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::Conn;
use diesel::sql_types::{BigInt, Text, Timestamp};

use crate::models::comment::{visible_thread, Threaded};
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

/// A neighbouring post for Previous/Next links.
#[derive(Queryable, Debug, Clone)]
pub struct Neighbour {
    pub slug: String,
    pub title: String,
}

/// Everything an article page shows, loaded together.
#[derive(Debug, Clone)]
pub struct Article {
    pub post: Post,
    pub author: String,
    pub tags: Vec<Tag>,
    pub cover: Option<Media>,
    /// All comments any reader may see; see `comment::visible_thread`.
    pub comments: Vec<crate::models::comment::CommentView>,
    /// The thread of a reader with no comment awaiting moderation (most of
    /// them), as (index in `comments`, depth): ordered once, when loaded.
    pub readers_thread: Vec<(usize, usize)>,
    pub previous: Option<Neighbour>,
    pub next: Option<Neighbour>,
    /// When a scheduled post falls due and the neighbours may change.
    pub next_due: Option<NaiveDateTime>,
}

impl Article {
    /// A visible article by slug with its author, tags, comments and neighbours.
    pub fn load(conn: &mut Conn, slug: &str, now: NaiveDateTime) -> QueryResult<Option<Article>> {
        let Some(post) = Post::find_visible(conn, slug, now)? else {
            return Ok(None);
        };
        // A page stands outside the dated stream: it has no neighbours.
        let (previous, next) = match post.kind {
            PostKind::Post => post.neighbours(conn, now)?,
            PostKind::Page => (None, None),
        };
        let comments = crate::models::Comment::for_post(conn, post.id)?;
        let at: std::collections::HashMap<i32, usize> = comments
            .iter()
            .enumerate()
            .map(|(i, c)| (c.comment.id, i))
            .collect();
        let readers_thread = visible_thread(&comments, None)
            .iter()
            .filter_map(|t| Some((*at.get(&t.view.comment.id)?, t.depth)))
            .collect();
        Ok(Some(Article {
            author: post.author_name(conn)?,
            tags: post.tags(conn)?,
            cover: match post.cover_media_id {
                Some(id) => Media::find(conn, id)?,
                None => None,
            },
            comments,
            readers_thread,
            previous,
            next,
            next_due: Post::next_scheduled(conn, now)?,
            post,
        }))
    }
}

impl Article {
    /// The thread `viewer` sees: the one kept for every reader, unless some
    /// of their own comments await moderation (only they see those).
    pub fn thread_for(&self, viewer: Option<i32>) -> Vec<Threaded<'_>> {
        let own_pending = viewer.is_some()
            && self
                .comments
                .iter()
                .any(|c| c.comment.status.is_pending() && c.comment.author_id == viewer);
        if own_pending {
            return visible_thread(&self.comments, viewer);
        }
        self.readers_thread
            .iter()
            .filter_map(|&(i, depth)| {
                let view = self.comments.get(i)?;
                Some(Threaded { view, depth })
            })
            .collect()
    }
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

    /// The visible posts just older (previous) and just newer (next) than this one.
    pub fn neighbours(
        &self,
        conn: &mut Conn,
        now: NaiveDateTime,
    ) -> QueryResult<(Option<Neighbour>, Option<Neighbour>)> {
        let Some(at) = self.published_at else {
            return Ok((None, None));
        };
        // Ties on the publication second first, then the strictly older or
        // newer post: each a single index range (an OR would scan the index).
        let tie_older = posts::table
            .filter(listed_at(now))
            .filter(posts::published_at.eq(at).and(posts::id.lt(self.id)))
            .order(posts::id.desc())
            .select((posts::slug, posts::title))
            .first::<Neighbour>(conn)
            .optional()?;
        let previous = match tie_older {
            Some(n) => Some(n),
            None => posts::table
                .filter(listed_at(now))
                .filter(posts::published_at.lt(at))
                .order((posts::published_at.desc(), posts::id.desc()))
                .select((posts::slug, posts::title))
                .first::<Neighbour>(conn)
                .optional()?,
        };
        let tie_newer = posts::table
            .filter(listed_at(now))
            .filter(posts::published_at.eq(at).and(posts::id.gt(self.id)))
            .order(posts::id.asc())
            .select((posts::slug, posts::title))
            .first::<Neighbour>(conn)
            .optional()?;
        let next = match tie_newer {
            Some(n) => Some(n),
            None => posts::table
                .filter(posts::kind.eq(PostKind::Post))
                .filter(posts::status.eq(PostStatus::Published))
                .filter(posts::published_at.gt(at).and(posts::published_at.le(now)))
                .order((posts::published_at.asc(), posts::id.asc()))
                .select((posts::slug, posts::title))
                .first::<Neighbour>(conn)
                .optional()?,
        };
        Ok((previous, next))
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
