//! Posts: drafts, scheduled and published articles, and the lists readers browse.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};

use crate::markdown;
use crate::models::{search, Tag};
use crate::schema::{post_tags, posts, users};
use crate::slug::slugify;

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
    pub status: String,
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
    pub status: String,
    pub published_at: Option<NaiveDateTime>,
    pub comments_enabled: bool,
    pub comment_count: i32,
}

/// A post in a list, with its author's name and its tags.
#[derive(Debug, Clone)]
pub struct Listed {
    pub post: PostSummary,
    pub author: Option<String>,
    pub tags: Vec<Tag>,
}

/// A page of a list; `more` says whether an older page exists.
#[derive(Debug, Clone)]
pub struct ListPage {
    pub posts: Vec<Listed>,
    pub more: bool,
}

/// A neighbouring post for Previous/Next links.
#[derive(Queryable, Debug, Clone)]
pub struct Neighbour {
    pub slug: String,
    pub title: String,
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

type Visible = diesel::dsl::And<
    diesel::dsl::Eq<posts::status, &'static str>,
    diesel::dsl::LtEq<posts::published_at, NaiveDateTime>,
>;

/// Published and due: what readers may see at `now`.
fn visible(now: NaiveDateTime) -> Visible {
    posts::status
        .eq("published")
        .and(posts::published_at.le(now))
}

impl Post {
    pub fn is_published(&self) -> bool {
        self.status == "published"
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
        page: i64,
        per_page: i64,
    ) -> QueryResult<ListPage> {
        let rows = posts::table
            .left_join(users::table)
            .filter(visible(now))
            .order((posts::published_at.desc(), posts::id.desc()))
            .limit(per_page + 1)
            .offset((page - 1) * per_page)
            .select((PostSummary::as_select(), users::display_name.nullable()))
            .load(conn)?;
        list_page(conn, rows, per_page)
    }

    /// Visible posts published in `[from, to)`, newest first.
    pub fn between(
        conn: &mut SqliteConnection,
        now: NaiveDateTime,
        from: NaiveDateTime,
        to: NaiveDateTime,
        page: i64,
        per_page: i64,
    ) -> QueryResult<ListPage> {
        let rows = posts::table
            .left_join(users::table)
            .filter(visible(now))
            .filter(posts::published_at.ge(from).and(posts::published_at.lt(to)))
            .order((posts::published_at.desc(), posts::id.desc()))
            .limit(per_page + 1)
            .offset((page - 1) * per_page)
            .select((PostSummary::as_select(), users::display_name.nullable()))
            .load(conn)?;
        list_page(conn, rows, per_page)
    }

    /// Visible posts with a tag, newest first.
    pub fn tagged(
        conn: &mut SqliteConnection,
        now: NaiveDateTime,
        tag_id: i32,
        page: i64,
        per_page: i64,
    ) -> QueryResult<ListPage> {
        let rows = posts::table
            .inner_join(post_tags::table)
            .left_join(users::table)
            .filter(post_tags::tag_id.eq(tag_id))
            .filter(visible(now))
            .order((posts::published_at.desc(), posts::id.desc()))
            .limit(per_page + 1)
            .offset((page - 1) * per_page)
            .select((PostSummary::as_select(), users::display_name.nullable()))
            .load(conn)?;
        list_page(conn, rows, per_page)
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
        let previous = posts::table
            .filter(visible(now))
            .filter(
                posts::published_at
                    .lt(at)
                    .or(posts::published_at.eq(at).and(posts::id.lt(self.id))),
            )
            .order((posts::published_at.desc(), posts::id.desc()))
            .select((posts::slug, posts::title))
            .first::<Neighbour>(conn)
            .optional()?;
        let next = posts::table
            .filter(visible(now))
            .filter(
                posts::published_at
                    .gt(at)
                    .or(posts::published_at.eq(at).and(posts::id.gt(self.id))),
            )
            .order((posts::published_at.asc(), posts::id.asc()))
            .select((posts::slug, posts::title))
            .first::<Neighbour>(conn)
            .optional()?;
        Ok((previous, next))
    }

    /// Visible posts counted by year and month, newest month first.
    pub fn months(conn: &mut SqliteConnection, now: NaiveDateTime) -> QueryResult<Vec<MonthCount>> {
        diesel::sql_query(
            "SELECT strftime('%Y', published_at) AS year, strftime('%m', published_at) AS month, \
             count(*) AS count FROM posts \
             WHERE status = 'published' AND published_at <= ? \
             GROUP BY year, month ORDER BY year DESC, month DESC",
        )
        .bind::<Timestamp, _>(now)
        .load(conn)
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
        Ok(name.unwrap_or_else(|| "The editors".into()))
    }

    pub fn tags(&self, conn: &mut SqliteConnection) -> QueryResult<Vec<Tag>> {
        Ok(Tag::for_posts(conn, &[self.id])?
            .remove(&self.id)
            .unwrap_or_default())
    }

    /// Saves a new post: renders its markdown, picks a free slug, links its tags.
    pub fn create(
        conn: &mut SqliteConnection,
        input: &PostInput,
        now: NaiveDateTime,
    ) -> QueryResult<Post> {
        conn.transaction(|conn| {
            let slug = unique_slug(conn, &wanted_slug(input), None)?;
            let rendered = markdown::render_post(&input.body);
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
            search::index_post(conn, &post)?;
            Ok(post)
        })
    }

    /// Saves changes to a post and re-renders its stored HTML.
    pub fn update(
        conn: &mut SqliteConnection,
        id: i32,
        input: &PostInput,
        now: NaiveDateTime,
    ) -> QueryResult<Post> {
        conn.transaction(|conn| {
            let old = posts::table
                .find(id)
                .select(Post::as_select())
                .first(conn)?;
            let slug = unique_slug(conn, &wanted_slug(input), Some(id))?;
            let rendered = markdown::render_post(&input.body);
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
            search::index_post(conn, &post)?;
            Ok(post)
        })
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

fn status_of(input: &PostInput) -> &'static str {
    if input.published {
        "published"
    } else {
        "draft"
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

fn list_page(
    conn: &mut SqliteConnection,
    mut rows: Vec<(PostSummary, Option<String>)>,
    per_page: i64,
) -> QueryResult<ListPage> {
    let more = rows.len() as i64 > per_page;
    rows.truncate(usize::try_from(per_page).unwrap_or(0));
    let ids: Vec<i32> = rows.iter().map(|(p, _)| p.id).collect();
    let mut tags = Tag::for_posts(conn, &ids)?;
    let posts = rows
        .into_iter()
        .map(|(post, author)| Listed {
            tags: tags.remove(&post.id).unwrap_or_default(),
            post,
            author,
        })
        .collect();
    Ok(ListPage { posts, more })
}

const WELCOME: &str = include_str!("welcome.md");

/// The first post of a fresh site, telling its owner how to begin.
pub fn seed_welcome_post(conn: &mut SqliteConnection) -> QueryResult<Post> {
    let input = PostInput {
        title: "Welcome to Broadsheet".into(),
        slug: String::new(),
        dateline: String::new(),
        body: WELCOME.into(),
        tags: vec!["Broadsheet".into()],
        published: true,
        published_at: None,
        comments_enabled: true,
        author_id: None,
    };
    Post::create(conn, &input, crate::models::now())
}

/// A visible post's address and times, for the sitemap.
#[derive(Queryable, Debug, Clone)]
pub struct Dated {
    pub id: i32,
    pub slug: String,
    pub published_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
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

    /// Every visible post, newest first.
    pub fn all_dated(conn: &mut SqliteConnection, now: NaiveDateTime) -> QueryResult<Vec<Dated>> {
        posts::table
            .filter(visible(now))
            .order((posts::published_at.desc(), posts::id.desc()))
            .select((
                posts::id,
                posts::slug,
                posts::published_at,
                posts::updated_at,
            ))
            .load(conn)
    }

    /// (post id, tag slug) for every tag of every visible post.
    pub fn visible_tag_slugs(
        conn: &mut SqliteConnection,
        now: NaiveDateTime,
    ) -> QueryResult<Vec<(i32, String)>> {
        post_tags::table
            .inner_join(posts::table)
            .inner_join(crate::schema::tags::table)
            .filter(visible(now))
            .select((post_tags::post_id, crate::schema::tags::slug))
            .load(conn)
    }
}
