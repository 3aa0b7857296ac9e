//! An article as its page shows it: the post with its author, tags, cover,
//! comments and neighbours, loaded together (and cached whole by
//! `routes::public`).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::Conn;
use crate::models::comment::{visible_thread, Threaded};
use crate::models::media::Media;
use crate::models::Tag;
use crate::schema::posts;

use super::{listed_at, Post, PostKind, PostStatus};

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

impl Post {
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
}
