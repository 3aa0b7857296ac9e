//! Posts: drafts, scheduled and published articles, and the lists readers browse.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};

use crate::markdown;
use crate::models::paging::{Paged, Paging};
use crate::models::{search, Tag};
use crate::schema::{post_tags, posts, users};
use crate::slug::slugify;

text_enum! {
    /// Whether a post is written for readers yet. (A published post whose
    /// time has not come is scheduled: see `PostState`.)
    pub enum PostStatus {
        Draft = "draft",
        Published = "published",
    }
}

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = posts)]
pub struct Post {
    pub id: i32,
    pub slug: String,
    pub title: String,
    pub dateline: String,
    pub body: String,
    pub body_html: String,
    pub excerpt: String,
    pub word_count: i32,
    pub status: PostStatus,
    pub published_at: Option<NaiveDateTime>,
    pub author_id: Option<i32>,
    pub comments_enabled: bool,
    pub comment_count: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

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
}

/// A post in a list, with its author's name and its tags.
#[derive(Debug, Clone)]
pub struct ListedPost {
    pub post: PostSummary,
    pub author: Option<String>,
    pub tags: Vec<Tag>,
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
    /// All comments any reader may see; see `comment::visible_thread`.
    pub comments: Vec<crate::models::comment::CommentView>,
    pub previous: Option<Neighbour>,
    pub next: Option<Neighbour>,
    /// When a scheduled post falls due and the neighbours may change.
    pub next_due: Option<NaiveDateTime>,
}

impl Article {
    /// A visible article by slug with its author, tags, comments and neighbours.
    pub fn load(
        conn: &mut SqliteConnection,
        slug: &str,
        now: NaiveDateTime,
    ) -> QueryResult<Option<Article>> {
        let Some(post) = Post::find_visible(conn, slug, now)? else {
            return Ok(None);
        };
        let (previous, next) = post.neighbours(conn, now)?;
        Ok(Some(Article {
            author: post.author_name(conn)?,
            tags: post.tags(conn)?,
            comments: crate::models::Comment::for_post(conn, post.id)?,
            previous,
            next,
            next_due: Post::next_scheduled(conn, now)?,
            post,
        }))
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

/// Who a post without an author is by.
pub const EDITORS: &str = "The editors";

/// What the dashboard (or a fixture) saves.
#[derive(Debug, Clone)]
pub struct PostInput {
    pub title: String,
    /// Empty means: made from the title.
    pub slug: String,
    pub dateline: String,
    pub body: String,
    pub tags: Vec<String>,
    pub published: bool,
    /// For a published post, `None` means now; a future time schedules it.
    pub published_at: Option<NaiveDateTime>,
    pub comments_enabled: bool,
    pub author_id: Option<i32>,
}

/// A post's input with its markdown rendered: what `Post::create` and
/// `Post::update` store. Rendering is the slow part of a save, so it happens
/// here, before the write transaction opens.
#[derive(Debug, Clone)]
pub struct RenderedPost {
    pub input: PostInput,
    pub rendered: markdown::Rendered,
}

impl PostInput {
    pub fn render(self) -> RenderedPost {
        let rendered = markdown::render_post(&self.body);
        RenderedPost {
            input: self,
            rendered,
        }
    }
}

type Visible = diesel::dsl::And<
    diesel::dsl::Eq<posts::status, PostStatus>,
    diesel::dsl::LtEq<posts::published_at, NaiveDateTime>,
>;

/// Published and due: what readers may see at `now`.
fn visible(now: NaiveDateTime) -> Visible {
    posts::status
        .eq(PostStatus::Published)
        .and(posts::published_at.le(now))
}

impl Post {
    pub fn is_published(&self) -> bool {
        self.status == PostStatus::Published
    }

    pub fn find(conn: &mut SqliteConnection, id: i32) -> QueryResult<Option<Post>> {
        posts::table
            .find(id)
            .select(Post::as_select())
            .first(conn)
            .optional()
    }

    /// A post readers may see, by slug; `None` for drafts, scheduled and unknown slugs.
    pub fn find_visible(
        conn: &mut SqliteConnection,
        slug: &str,
        now: NaiveDateTime,
    ) -> QueryResult<Option<Post>> {
        posts::table
            .filter(posts::slug.eq(slug).and(visible(now)))
            .select(Post::as_select())
            .first(conn)
            .optional()
    }

    /// Visible posts, newest first; `page` counts from 1.
    pub fn latest(
        conn: &mut SqliteConnection,
        now: NaiveDateTime,
        paging: Paging,
    ) -> QueryResult<Paged<ListedPost>> {
        // Paging walks the covering index alone; only the page's rows are read.
        let ids = paging.load(|limit, offset| {
            posts::table
                .filter(visible(now))
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
        conn: &mut SqliteConnection,
        now: NaiveDateTime,
        from: NaiveDateTime,
        to: NaiveDateTime,
        paging: Paging,
    ) -> QueryResult<Paged<ListedPost>> {
        // One upper bound only: given both `< to` and `<= now`, SQLite may
        // pick the wrong one for its index range and walk far more rows.
        let mut query = posts::table
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

    /// Visible posts with a tag, newest first, from the tag links' own index.
    pub fn tagged(
        conn: &mut SqliteConnection,
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
        conn: &mut SqliteConnection,
        now: NaiveDateTime,
    ) -> QueryResult<(Option<Neighbour>, Option<Neighbour>)> {
        let Some(at) = self.published_at else {
            return Ok((None, None));
        };
        // Ties on the publication second first, then the strictly older or
        // newer post: each a single index range (an OR would scan the index).
        let tie_older = posts::table
            .filter(visible(now))
            .filter(posts::published_at.eq(at).and(posts::id.lt(self.id)))
            .order(posts::id.desc())
            .select((posts::slug, posts::title))
            .first::<Neighbour>(conn)
            .optional()?;
        let previous = match tie_older {
            Some(n) => Some(n),
            None => posts::table
                .filter(visible(now))
                .filter(posts::published_at.lt(at))
                .order((posts::published_at.desc(), posts::id.desc()))
                .select((posts::slug, posts::title))
                .first::<Neighbour>(conn)
                .optional()?,
        };
        let tie_newer = posts::table
            .filter(visible(now))
            .filter(posts::published_at.eq(at).and(posts::id.gt(self.id)))
            .order(posts::id.asc())
            .select((posts::slug, posts::title))
            .first::<Neighbour>(conn)
            .optional()?;
        let next = match tie_newer {
            Some(n) => Some(n),
            None => posts::table
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
    pub fn months(conn: &mut SqliteConnection, now: NaiveDateTime) -> QueryResult<Vec<MonthCount>> {
        diesel::sql_query(
            "SELECT substr(a.month, 1, 4) AS year, substr(a.month, 6, 2) AS month, \
             a.count - coalesce(s.n, 0) AS count \
             FROM archive_months a LEFT JOIN ( \
                 SELECT substr(published_at, 1, 7) AS month, count(*) AS n FROM posts \
                 WHERE status = 'published' AND published_at > ? GROUP BY 1 \
             ) s ON s.month = a.month \
             WHERE a.count - coalesce(s.n, 0) > 0 \
             ORDER BY a.month DESC",
        )
        .bind::<Timestamp, _>(now)
        .load(conn)
    }

    /// When the next scheduled post falls due, if any is waiting.
    pub fn next_scheduled(
        conn: &mut SqliteConnection,
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

    /// The author's display name; posts without one are the editors'.
    pub fn author_name(&self, conn: &mut SqliteConnection) -> QueryResult<String> {
        let name = match self.author_id {
            Some(id) => users::table
                .find(id)
                .select(users::display_name)
                .first(conn)
                .optional()?,
            None => None,
        };
        Ok(name.unwrap_or_else(|| EDITORS.into()))
    }

    pub fn tags(&self, conn: &mut SqliteConnection) -> QueryResult<Vec<Tag>> {
        Ok(Tag::for_posts(conn, &[self.id])?
            .remove(&self.id)
            .unwrap_or_default())
    }

    /// Saves a new post: picks a free slug, stores its rendered HTML, links
    /// its tags. Call it inside `db::write`.
    pub fn create(
        conn: &mut SqliteConnection,
        new: &RenderedPost,
        now: NaiveDateTime,
    ) -> QueryResult<Post> {
        let (input, rendered) = (&new.input, &new.rendered);
        {
            let slug = unique_slug(conn, &wanted_slug(input), None)?;
            let post = diesel::insert_into(posts::table)
                .values((
                    posts::slug.eq(&slug),
                    posts::title.eq(input.title.trim()),
                    posts::dateline.eq(input.dateline.trim()),
                    posts::body.eq(&input.body),
                    posts::body_html.eq(&rendered.html),
                    posts::excerpt.eq(&rendered.excerpt),
                    posts::word_count.eq(rendered.word_count),
                    posts::status.eq(status_of(input)),
                    posts::published_at.eq(published_at_of(input, None, now)),
                    posts::author_id.eq(input.author_id),
                    posts::comments_enabled.eq(input.comments_enabled),
                    posts::created_at.eq(now),
                    posts::updated_at.eq(now),
                ))
                .returning(Post::as_returning())
                .get_result(conn)?;
            Tag::set_for_post(conn, post.id, &input.tags)?;
            search::index_post(conn, &post, &rendered.plain)?;
            Ok(post)
        }
    }

    /// Saves changes to a post with its newly rendered HTML. Call it inside
    /// `db::write`.
    pub fn update(
        conn: &mut SqliteConnection,
        id: i32,
        new: &RenderedPost,
        now: NaiveDateTime,
    ) -> QueryResult<Post> {
        let (input, rendered) = (&new.input, &new.rendered);
        {
            let old = posts::table
                .find(id)
                .select(Post::as_select())
                .first(conn)?;
            let slug = unique_slug(conn, &wanted_slug(input), Some(id))?;
            let post = diesel::update(posts::table.find(id))
                .set((
                    posts::slug.eq(&slug),
                    posts::title.eq(input.title.trim()),
                    posts::dateline.eq(input.dateline.trim()),
                    posts::body.eq(&input.body),
                    posts::body_html.eq(&rendered.html),
                    posts::excerpt.eq(&rendered.excerpt),
                    posts::word_count.eq(rendered.word_count),
                    posts::status.eq(status_of(input)),
                    posts::published_at.eq(published_at_of(input, old.published_at, now)),
                    posts::comments_enabled.eq(input.comments_enabled),
                    posts::updated_at.eq(now),
                ))
                .returning(Post::as_returning())
                .get_result(conn)?;
            Tag::set_for_post(conn, post.id, &input.tags)?;
            search::index_post(conn, &post, &rendered.plain)?;
            Ok(post)
        }
    }

    /// Deletes a post; its comments and tag links go with it.
    pub fn delete(conn: &mut SqliteConnection, id: i32) -> QueryResult<usize> {
        diesel::delete(posts::table.find(id)).execute(conn)
    }
}

fn wanted_slug(input: &PostInput) -> String {
    let from = if input.slug.trim().is_empty() {
        &input.title
    } else {
        &input.slug
    };
    let slug = slugify(from);
    if slug.is_empty() {
        "post".into()
    } else {
        slug
    }
}

fn status_of(input: &PostInput) -> PostStatus {
    if input.published {
        PostStatus::Published
    } else {
        PostStatus::Draft
    }
}

/// A published post keeps its first publication time unless a new one is given.
fn published_at_of(
    input: &PostInput,
    old: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> Option<NaiveDateTime> {
    match (input.published, input.published_at, old) {
        (_, Some(at), _) => Some(at),
        (true, None, Some(old)) => Some(old),
        (true, None, None) => Some(now),
        (false, None, _) => None,
    }
}

/// `base`, or `base-2`, `base-3`, … whichever no other post has.
fn unique_slug(
    conn: &mut SqliteConnection,
    base: &str,
    except: Option<i32>,
) -> QueryResult<String> {
    let taken = |conn: &mut SqliteConnection, slug: &str| -> QueryResult<bool> {
        let query = posts::table
            .filter(posts::slug.eq(slug))
            .filter(posts::id.ne(except.unwrap_or(0)));
        diesel::select(diesel::dsl::exists(query)).get_result(conn)
    };
    if !taken(conn, base)? {
        return Ok(base.to_string());
    }
    let mut n = 2;
    loop {
        let candidate = format!("{base}-{n}");
        if !taken(conn, &candidate)? {
            return Ok(candidate);
        }
        n += 1;
    }
}

/// Loads posts by id (in the given order) with authors and tags.
fn listed(conn: &mut SqliteConnection, ids: Vec<i32>) -> QueryResult<Vec<ListedPost>> {
    let rows: Vec<(PostSummary, Option<String>)> = posts::table
        .left_join(users::table)
        .filter(posts::id.eq_any(&ids))
        .select((PostSummary::as_select(), users::display_name.nullable()))
        .load(conn)?;
    let mut by_id: std::collections::HashMap<i32, (PostSummary, Option<String>)> =
        rows.into_iter().map(|row| (row.0.id, row)).collect();
    let mut tags = Tag::for_posts(conn, &ids)?;
    Ok(ids
        .iter()
        .filter_map(|id| by_id.remove(id))
        .map(|(post, author)| ListedPost {
            tags: tags.remove(&post.id).unwrap_or_default(),
            post,
            author,
        })
        .collect())
}

const WELCOME: &str = include_str!("welcome.md");

/// The first post of a fresh site, telling its owner how to begin.
pub fn welcome_post() -> RenderedPost {
    PostInput {
        title: "Welcome to Broadsheet".into(),
        slug: String::new(),
        dateline: String::new(),
        body: WELCOME.into(),
        tags: vec!["Broadsheet".into()],
        published: true,
        published_at: None,
        comments_enabled: true,
        author_id: None,
    }
    .render()
}

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

/// How many posts are in each state.
#[derive(Debug, Clone, Copy, Default)]
pub struct PostCounts {
    pub draft: i64,
    pub scheduled: i64,
    pub published: i64,
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
        conn: &mut SqliteConnection,
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
        })
    }

    /// A page of posts in any state (or in `state`), only `author`'s when given.
    /// Published and scheduled lists run by publication time, the others newest first.
    pub fn managed(
        conn: &mut SqliteConnection,
        now: NaiveDateTime,
        state: Option<PostState>,
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

impl Post {
    /// The `limit` newest visible posts, with a tag if one is given, and their
    /// authors' names.
    pub fn recent(
        conn: &mut SqliteConnection,
        now: NaiveDateTime,
        tag_id: Option<i32>,
        limit: i64,
    ) -> QueryResult<Vec<(Post, Option<String>)>> {
        let mut query = posts::table
            .left_join(users::table)
            .filter(visible(now))
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
