//! Posts: the post itself, its address, how it is saved, and who may see
//! it. The lists readers browse are in `lists`, an article's page in
//! `article`, the post form and its rules in `form`, the writers'
//! dashboard view in `manage`.

mod article;
mod form;
mod lists;
mod manage;
pub mod rerender;

pub use article::*;
pub use form::*;
pub use lists::*;
pub use manage::*;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::Conn;

use crate::markdown;
use crate::models::{search, Tag};
use crate::schema::{posts, users};
use crate::slug::slugify;

text_enum! {
    /// Whether a post is written for readers yet. (A published post whose
    /// time has not come is scheduled: see `PostState`.)
    pub enum PostStatus {
        Draft = "draft",
        Published = "published",
    }
}

text_enum! {
    /// What a row of posts is: an article in the dated stream, or a page that
    /// stands outside it (an About page at `/about`: no date, in no list or feed).
    #[derive(Default)]
    pub enum PostKind {
        #[default]
        Post = "post",
        Page = "page",
    }
}

text_enum! {
    /// What a post's body is written in: markdown from the editor, or the
    /// HTML an imported post's old site showed. The editor keeps either.
    #[derive(Default)]
    pub enum PostFormat {
        #[default]
        Markdown = "markdown",
        Html = "html",
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
    pub kind: PostKind,
    pub cover_media_id: Option<i32>,
    /// The writer's own summary for lists and feeds; empty: the automatic one.
    pub custom_excerpt: String,
    /// For search engines and link previews; empty: the excerpt.
    pub search_description: String,
    pub format: PostFormat,
}

/// The longest post body the editor saves or previews, in bytes: about
/// 20,000 words. Rendering costs up to about half a millisecond per KB for
/// the most tag-dense markup, so this keeps any accepted body under 100 ms.
pub const MAX_BODY_BYTES: usize = 128 * 1024;

/// Who a post without an author is by.
pub const EDITORS: &str = "The editors";

/// What the dashboard (or a fixture) saves.
#[derive(Debug, Clone, Default)]
pub struct PostInput {
    pub kind: PostKind,
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
    pub cover_media_id: Option<i32>,
    pub excerpt: String,
    pub search_description: String,
    pub format: PostFormat,
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
        self.render_with(&markdown::Pictures::new())
    }

    /// Renders the body showing the library's `pictures` at their best.
    pub fn render_with(self, pictures: &markdown::Pictures) -> RenderedPost {
        let rendered = match self.format {
            PostFormat::Markdown => markdown::render_post_with(&self.body, pictures),
            PostFormat::Html => markdown::render_html_post(&self.body, pictures),
        };
        RenderedPost {
            input: self,
            rendered,
        }
    }
}

pub(crate) type Visible = diesel::dsl::And<
    diesel::dsl::Eq<posts::status, PostStatus>,
    diesel::dsl::LtEq<posts::published_at, NaiveDateTime>,
>;

/// Published and due: what readers may see at `now`.
pub(crate) fn visible(now: NaiveDateTime) -> Visible {
    posts::status
        .eq(PostStatus::Published)
        .and(posts::published_at.le(now))
}

/// The longest description search engines show.
pub const DESCRIPTION_CHARS: usize = 160;

/// The writer's excerpt when there is one, else the automatic one.
fn summary_of<'a>(custom: &'a str, automatic: &'a str) -> &'a str {
    if custom.trim().is_empty() {
        automatic
    } else {
        custom
    }
}

pub(crate) type Listed = diesel::dsl::And<diesel::dsl::Eq<posts::kind, PostKind>, Visible>;

/// Visible posts that are not pages: what the home page, the archive and the
/// feeds list (from the `posts_kind_status_published` index).
pub(crate) fn listed_at(now: NaiveDateTime) -> Listed {
    posts::kind.eq(PostKind::Post).and(visible(now))
}

impl Post {
    pub fn is_published(&self) -> bool {
        self.status == PostStatus::Published
    }

    /// What lists and feeds show of the post.
    pub fn summary(&self) -> &str {
        summary_of(&self.custom_excerpt, &self.excerpt)
    }

    /// For search engines and link previews: the writer's search
    /// description, else the summary cut at a word to 160 characters.
    pub fn description(&self) -> String {
        if self.search_description.trim().is_empty() {
            markdown::cut_at_word(self.summary(), DESCRIPTION_CHARS)
        } else {
            self.search_description.clone()
        }
    }

    pub fn is_page(&self) -> bool {
        self.kind == PostKind::Page
    }

    pub fn find(conn: &mut Conn, id: i32) -> QueryResult<Option<Post>> {
        posts::table
            .find(id)
            .select(Post::as_select())
            .first(conn)
            .optional()
    }

    /// The highest post id there is; 0 without posts.
    pub fn max_id(conn: &mut Conn) -> QueryResult<i32> {
        Ok(posts::table
            .select(diesel::dsl::max(posts::id))
            .first::<Option<i32>>(conn)?
            .unwrap_or(0))
    }

    /// Up to `limit` posts of every kind and state with ids above `after`
    /// and at most `up_to`, by id: a pass over the whole site (the export)
    /// one batch at a time.
    pub fn batch(conn: &mut Conn, after: i32, up_to: i32, limit: i64) -> QueryResult<Vec<Post>> {
        posts::table
            .filter(posts::id.gt(after).and(posts::id.le(up_to)))
            .order(posts::id.asc())
            .limit(limit)
            .select(Post::as_select())
            .load(conn)
    }

    /// A post readers may see, by slug; `None` for drafts, scheduled and unknown slugs.
    pub fn find_visible(
        conn: &mut Conn,
        slug: &str,
        now: NaiveDateTime,
    ) -> QueryResult<Option<Post>> {
        posts::table
            .filter(posts::slug.eq(slug).and(visible(now)))
            .select(Post::as_select())
            .first(conn)
            .optional()
    }

    /// The author's display name; posts without one are the editors'.
    pub fn author_name(&self, conn: &mut Conn) -> QueryResult<String> {
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

    pub fn tags(&self, conn: &mut Conn) -> QueryResult<Vec<Tag>> {
        Ok(Tag::for_posts(conn, &[self.id])?
            .remove(&self.id)
            .unwrap_or_default())
    }

    /// Saves a new post: picks a free slug, stores its rendered HTML, links
    /// its tags. Call it inside `db::write`.
    pub fn create(conn: &mut Conn, new: &RenderedPost, now: NaiveDateTime) -> QueryResult<Post> {
        let slug = unique_slug(conn, &wanted_slug(&new.input), None)?;
        let post = crate::each_backend!(conn, c => diesel::insert_into(posts::table)
            .values((
                PostColumns::of(new, &slug, None, now),
                posts::author_id.eq(new.input.author_id),
                posts::created_at.eq(now),
            ))
            .returning(Post::as_returning())
            .get_result(c))?;
        Tag::set_for_post(conn, post.id, &new.input.tags)?;
        search::index_post(conn, &post, &new.rendered.plain)?;
        Ok(post)
    }

    /// Saves changes to a post with its newly rendered HTML. Call it inside
    /// `db::write`.
    pub fn update(
        conn: &mut Conn,
        id: i32,
        new: &RenderedPost,
        now: NaiveDateTime,
    ) -> QueryResult<Post> {
        let old = posts::table
            .find(id)
            .select(Post::as_select())
            .first(conn)?;
        let slug = unique_slug(conn, &wanted_slug(&new.input), Some(id))?;
        let post = crate::each_backend!(conn, c => diesel::update(posts::table.find(id))
            .set(PostColumns::of(new, &slug, old.published_at, now))
            .returning(Post::as_returning())
            .get_result(c))?;
        Tag::set_for_post(conn, post.id, &new.input.tags)?;
        search::index_post(conn, &post, &new.rendered.plain)?;
        // Readers (and other sites) may have linked the old address.
        let was_public = PostState::of(old.status, old.published_at, now) == PostState::Published;
        if was_public && old.path() != post.path() {
            crate::models::redirect::Redirect::moved(conn, &old.path(), &post.path(), now)?;
        }
        Ok(post)
    }

    /// Deletes a post; its comments and tag links go with it.
    pub fn delete(conn: &mut Conn, id: i32) -> QueryResult<usize> {
        diesel::delete(posts::table.find(id)).execute(conn)
    }
}

/// The columns a save writes, new post or changed one alike.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = posts, treat_none_as_null = true)]
struct PostColumns<'a> {
    slug: &'a str,
    title: &'a str,
    dateline: &'a str,
    body: &'a str,
    body_html: &'a str,
    excerpt: &'a str,
    word_count: i32,
    status: PostStatus,
    published_at: Option<NaiveDateTime>,
    comments_enabled: bool,
    updated_at: NaiveDateTime,
    kind: PostKind,
    cover_media_id: Option<i32>,
    custom_excerpt: &'a str,
    search_description: &'a str,
    format: PostFormat,
}

impl<'a> PostColumns<'a> {
    fn of(
        new: &'a RenderedPost,
        slug: &'a str,
        published_before: Option<NaiveDateTime>,
        now: NaiveDateTime,
    ) -> Self {
        let (input, rendered) = (&new.input, &new.rendered);
        PostColumns {
            slug,
            title: input.title.trim(),
            dateline: input.dateline.trim(),
            body: &input.body,
            body_html: &rendered.html,
            excerpt: &rendered.excerpt,
            word_count: rendered.word_count,
            status: status_of(input),
            published_at: published_at_of(input, published_before, now),
            comments_enabled: input.comments_enabled,
            updated_at: now,
            kind: input.kind,
            cover_media_id: input.cover_media_id,
            custom_excerpt: input.excerpt.trim(),
            search_description: input.search_description.trim(),
            format: input.format,
        }
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
fn unique_slug(conn: &mut Conn, base: &str, except: Option<i32>) -> QueryResult<String> {
    let taken = |conn: &mut Conn, slug: &str| -> QueryResult<bool> {
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

const WELCOME: &str = include_str!("../welcome.md");

/// Writes a new blog's welcome post (`models::FILL`).
pub fn seed_welcome(conn: &mut Conn) -> QueryResult<()> {
    Post::create(conn, &welcome_post(), crate::models::now()).map(|_| ())
}

/// The first post of a fresh site, telling its owner how to begin.
pub fn welcome_post() -> RenderedPost {
    PostInput {
        kind: PostKind::Post,
        title: "Welcome to Broadsheet".into(),
        slug: String::new(),
        dateline: String::new(),
        body: WELCOME.into(),
        tags: vec!["Broadsheet".into()],
        published: true,
        published_at: None,
        comments_enabled: true,
        author_id: None,
        ..PostInput::default()
    }
    .render()
}

/// Where readers find a post (`/posts/slug`) or a page (`/slug`).
pub fn post_path(kind: PostKind, slug: &str) -> String {
    match kind {
        PostKind::Post => format!("/posts/{slug}"),
        PostKind::Page => format!("/{slug}"),
    }
}

impl Post {
    /// Its address on the site: `/posts/slug`, or `/slug` for a page.
    pub fn path(&self) -> String {
        post_path(self.kind, &self.slug)
    }
}

/// The address segments no page may take live with slugs.
pub use crate::slug::{is_reserved, RESERVED};
