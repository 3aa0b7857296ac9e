//! What readers see: the home page, articles, the archive and tags.

use std::sync::Arc;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::{NaiveDate, NaiveDateTime};

use crate::auth::Visitor;
use crate::cache::{self, CachedArticle, CachedList, PostList};
use crate::db;
use crate::error::AppError;
use crate::models::comment::CommentView;
use crate::models::paging::{Paged, Paging};
use crate::models::post::{Article, ListedPost};
use crate::models::tag::TagCount;
use crate::models::{Post, Settings, Tag};
use crate::routes::PageNumber;
use crate::slug::slugify;
use crate::state::AppState;
use crate::view::article::ArticleParts;
use crate::view::{
    self, page_path, render, render_sized, render_with, Layout, Pager, Sidebar, YearGroup,
};

#[derive(Template)]
#[template(path = "public/list.html")]
pub struct ListPageView {
    layout: Layout,
    heading: String,
    intro: String,
    posts: Vec<ListedPost>,
    pager: Pager,
    /// The first card with a cover: its image is fetched at once, as it is
    /// often the largest thing a phone shows (Lighthouse's LCP).
    first_cover: Option<usize>,
}

impl ListPageView {
    fn is_first_cover(&self, index: &usize) -> bool {
        self.first_cover == Some(*index)
    }
}

/// A list page; past the last page is 404, but an empty first page is a page.
fn list_view(
    layout: Layout,
    heading: String,
    intro: String,
    base: &str,
    list: &Paged<ListedPost>,
) -> Result<HttpResponse, AppError> {
    if list.is_past_the_end() {
        return Err(AppError::NotFound);
    }
    render(&ListPageView {
        layout,
        heading,
        intro,
        pager: Pager::new(base, list.page, list.more),
        first_cover: list.items.iter().position(|p| p.cover.is_some()),
        posts: list.items.clone(),
    })
}

pub async fn home(
    state: web::Data<AppState>,
    visitor: Visitor,
    PageNumber(page): PageNumber,
) -> Result<HttpResponse, AppError> {
    let settings = state.cache.settings(&state.pool).await?;
    let paging = Paging::new(page, i64::from(settings.posts_per_page));
    let lists = &state.cache.lists;
    let cached = cached_list(&state, lists, format!("home {page}"), move |conn, now| {
        Ok(CachedList {
            listing: PostList {
                tag: None,
                posts: Post::latest(conn, now, paging)?,
            },
            sidebar: Arc::new(Sidebar::load(conn, now)?),
        })
    })
    .await?;
    let title = if page > 1 {
        format!("Page {page}")
    } else {
        String::new()
    };
    let layout = Layout::new(&visitor, &settings, title)
        .at(&state.config.base_url(), &page_path("/", page))
        .with_sidebar(Arc::clone(&cached.sidebar));
    list_view(
        layout,
        String::new(),
        String::new(),
        "/",
        &cached.listing.posts,
    )
}

/// The data of the list page `key` names, from the list cache, else loaded
/// and kept there until the content counter moves or a scheduled post falls
/// due.
async fn cached_list<T: cache::Listing>(
    state: &AppState,
    lists: &cache::Store<CachedList<T>>,
    key: String,
    load: impl FnOnce(&mut db::Conn, NaiveDateTime) -> Result<CachedList<T>, AppError> + Send + 'static,
) -> Result<Arc<CachedList<T>>, AppError> {
    state.cache.revalidate(&state.pool).await?;
    lists
        .get_or_load(&key, async {
            let now = state.now();
            let (loaded, due) = db::run(&state.pool, move |conn| {
                let loaded = load(conn, now)?;
                Ok((loaded, Post::next_scheduled(conn, now)?))
            })
            .await?;
            Ok(cache::Loaded {
                keep: loaded.listing.worth_keeping(),
                value: Arc::new(loaded),
                expires: due,
            })
        })
        .await
}

/// The comment form's content: empty, or a refused comment kept with its error.
#[derive(Debug, Default, Clone)]
pub struct CommentDraft {
    pub body: String,
    pub error: String,
    pub parent_id: Option<i32>,
}

/// A comment as the article shows it to this visitor.
pub struct CommentRow<'a> {
    pub view: &'a CommentView,
    pub depth: usize,
    pub deleted: bool,
    pub pending: bool,
    pub can_edit: bool,
    pub can_delete: bool,
    pub can_reply: bool,
    /// The reply form opens under this comment.
    pub replying: bool,
}

#[derive(Template)]
#[template(path = "public/post.html")]
pub struct PostPage<'a> {
    layout: Layout,
    // Borrowed from the cached article, like the comments: the parts and
    // the thread are tens of kilobytes, copied once, into the page.
    parts: &'a ArticleParts,
    post: &'a Post,
    comments: Vec<CommentRow<'a>>,
    draft: CommentDraft,
    replying: bool,
}

#[derive(serde::Deserialize, Debug, Default)]
pub struct ArticleQuery {
    reply_to: Option<String>,
}

/// An article; a page's old address (`/posts/slug`) sends readers on (301)
/// to the page's own, `/slug`.
pub async fn show_post(
    state: web::Data<AppState>,
    visitor: Visitor,
    slug: web::Path<String>,
    query: web::Query<ArticleQuery>,
) -> Result<HttpResponse, AppError> {
    let draft = query.draft();
    let cached = cached_article(&state, slug.into_inner()).await?;
    if cached.article.post.is_page() {
        let mut to = cached.article.post.path();
        if let Some(parent) = draft.parent_id {
            to.push_str(&format!("?reply_to={parent}"));
        }
        return Ok(HttpResponse::MovedPermanently()
            .insert_header((header::LOCATION, to))
            .finish());
    }
    render_article(&visitor, &cached, draft, StatusCode::OK)
}

/// A page at the top level (`/about`). Only slug-shaped addresses can be
/// pages; anything else, and a post's slug, is the site's 404.
pub async fn show_page(
    state: web::Data<AppState>,
    visitor: Visitor,
    slug: web::Path<String>,
    query: web::Query<ArticleQuery>,
) -> Result<HttpResponse, AppError> {
    let slug = slug.into_inner();
    if slugify(&slug) != slug {
        return Err(AppError::NotFound);
    }
    let cached = cached_article(&state, slug).await?;
    if !cached.article.post.is_page() {
        return Err(AppError::NotFound);
    }
    render_article(&visitor, &cached, query.draft(), StatusCode::OK)
}

impl ArticleQuery {
    /// An empty comment form, open under the comment `?reply_to=` names.
    fn draft(&self) -> CommentDraft {
        CommentDraft {
            parent_id: self.reply_to.as_deref().and_then(|r| r.parse::<i32>().ok()),
            ..CommentDraft::default()
        }
    }
}

/// Renders an article or page with its thread; `draft` fills the comment
/// form (and opens the reply form under its parent).
pub async fn article(
    state: &AppState,
    visitor: &Visitor,
    slug: String,
    draft: CommentDraft,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let cached = cached_article(state, slug).await?;
    render_article(visitor, &cached, draft, status)
}

/// The visible post or page with this slug as every reader's page is built
/// from it: from the article cache, else loaded and kept there.
async fn cached_article(state: &AppState, slug: String) -> Result<Arc<CachedArticle>, AppError> {
    state.cache.revalidate(&state.pool).await?;
    let key = slug.clone();
    state
        .cache
        .articles
        .get_or_load(&key, async {
            let now = state.now();
            let settings = state.cache.settings(&state.pool).await?;
            let base_url = state.config.base_url();
            let loaded = db::run(&state.pool, move |conn| {
                let mut article = Article::load(conn, &slug, now)?.ok_or(AppError::NotFound)?;
                crate::view::article::mark_up_comments(&mut article.comments);
                let parts = ArticleParts::of(&article, &settings, &base_url);
                // The parts hold the body now: the cache keeps it once.
                article.post.body = String::new();
                article.post.body_html = String::new();
                Ok(CachedArticle {
                    parts,
                    settings: Settings::clone(&settings),
                    article,
                    sidebar: Arc::new(Sidebar::load(conn, now)?),
                })
            })
            .await?;
            let expires = loaded.article.next_due;
            Ok(cache::Loaded::until(Arc::new(loaded), expires))
        })
        .await
}

#[derive(Template)]
#[template(path = "public/page.html")]
pub struct PageView<'a> {
    layout: Layout,
    parts: &'a ArticleParts,
    post: &'a Post,
    comments: Vec<CommentRow<'a>>,
    draft: CommentDraft,
    replying: bool,
}

fn render_article(
    visitor: &Visitor,
    cached: &CachedArticle,
    draft: CommentDraft,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let (settings, article, sidebar) = (&cached.settings, &cached.article, &cached.sidebar);
    let thread = article.thread_for(visitor.user().map(|u| u.id));
    let post = &article.post;
    let user = visitor.user();
    let open = post.comments_enabled && user.is_some();
    let now = crate::models::now();
    let mut replying = false;
    let comments = thread
        .into_iter()
        .map(|t| {
            let c = &t.view.comment;
            let deleted = c.status.is_deleted();
            let pending = c.status.is_pending();
            let can_reply = open && !deleted && !pending;
            let here = can_reply && draft.parent_id == Some(c.id);
            replying |= here;
            CommentRow {
                deleted,
                pending,
                can_edit: user.is_some_and(|u| c.editable_by(u, now)),
                can_delete: user.is_some_and(|u| c.deletable_by(u)),
                can_reply,
                replying: here,
                depth: t.depth,
                view: t.view,
            }
        })
        .collect();
    let parts = &cached.parts;
    let layout = Layout::new(visitor, settings, post.title.clone())
        .described(&parts.description)
        .canonical(&parts.canonical);
    if post.is_page() {
        // A page stands alone: no archive or tags beside it.
        return render_with(
            status,
            &PageView {
                layout,
                parts,
                post,
                comments,
                draft,
                replying,
            },
        );
    }
    let page = PostPage {
        layout: layout.with_sidebar(Arc::clone(sidebar)),
        parts,
        post,
        comments,
        draft,
        replying,
    };
    // The template's own text, the parts, and each comment with its markup.
    let bytes = PostPage::SIZE_HINT
        + parts.bytes()
        + page.layout.sidebar.as_ref().map_or(0, |s| s.html.len())
        + page
            .comments
            .iter()
            .map(|c| c.view.html.len() + 512)
            .sum::<usize>();
    render_sized(status, &page, bytes)
}

#[derive(Template)]
#[template(path = "public/archive.html")]
pub struct ArchivePage {
    layout: Layout,
    years: Vec<YearGroup>,
}

pub async fn archive(
    state: web::Data<AppState>,
    visitor: Visitor,
) -> Result<HttpResponse, AppError> {
    let settings = state.cache.settings(&state.pool).await?;
    let archive = &state.cache.archive;
    let cached = cached_list(&state, archive, "archive".into(), |conn, now| {
        Ok(CachedList {
            listing: Post::months(conn, now)?,
            sidebar: Arc::new(Sidebar::tags_only(conn, now)?),
        })
    })
    .await?;
    render(&ArchivePage {
        layout: Layout::new(&visitor, &settings, "Archive")
            .described(&format!(
                "Every post on {}, by year and month",
                settings.title
            ))
            .at(&state.config.base_url(), "/archive")
            .with_sidebar(Arc::clone(&cached.sidebar)),
        years: view::archive_years(cached.listing.clone()),
    })
}

/// A year as given in a URL; anything else is not a page.
fn parse_year(text: &str) -> Result<i32, AppError> {
    match text.parse::<i32>() {
        Ok(y) if (1000..=9999).contains(&y) && text.len() == 4 => Ok(y),
        _ => Err(AppError::NotFound),
    }
}

fn start_of(year: i32, month: u32) -> Result<NaiveDateTime, AppError> {
    NaiveDate::from_ymd_opt(year, month, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .ok_or(AppError::NotFound)
}

pub async fn archive_year(
    state: web::Data<AppState>,
    visitor: Visitor,
    year: web::Path<String>,
    PageNumber(page): PageNumber,
) -> Result<HttpResponse, AppError> {
    let year = parse_year(&year)?;
    let (from, to) = (start_of(year, 1)?, start_of(year + 1, 1)?);
    dated_list(
        state,
        visitor,
        page,
        from,
        to,
        year.to_string(),
        format!("/archive/{year}"),
    )
    .await
}

pub async fn archive_month(
    state: web::Data<AppState>,
    visitor: Visitor,
    path: web::Path<(String, String)>,
    PageNumber(page): PageNumber,
) -> Result<HttpResponse, AppError> {
    let (year, month) = path.into_inner();
    let year = parse_year(&year)?;
    let month: u32 = match month.parse() {
        Ok(m) if (1..=12).contains(&m) && month.len() == 2 => m,
        _ => return Err(AppError::NotFound),
    };
    let from = start_of(year, month)?;
    let to = if month == 12 {
        start_of(year + 1, 1)?
    } else {
        start_of(year, month + 1)?
    };
    let heading = format!("{} {year}", view::month_name(month));
    dated_list(
        state,
        visitor,
        page,
        from,
        to,
        heading,
        format!("/archive/{year}/{month:02}"),
    )
    .await
}

async fn dated_list(
    state: web::Data<AppState>,
    visitor: Visitor,
    page: i64,
    from: NaiveDateTime,
    to: NaiveDateTime,
    heading: String,
    base: String,
) -> Result<HttpResponse, AppError> {
    let settings = state.cache.settings(&state.pool).await?;
    let paging = Paging::new(page, i64::from(settings.posts_per_page));
    let key = format!("between {from} {to} {page}");
    let cached = cached_list(&state, &state.cache.lists, key, move |conn, now| {
        Ok(CachedList {
            listing: PostList {
                tag: None,
                posts: Post::between(conn, now, from, to, paging)?,
            },
            sidebar: Arc::new(Sidebar::load(conn, now)?),
        })
    })
    .await?;
    let list = &cached.listing.posts;
    if list.items.is_empty() {
        return Err(AppError::NotFound);
    }
    let layout = Layout::new(&visitor, &settings, format!("Archive: {heading}"))
        .described(&format!("Posts from {heading} on {}", settings.title))
        .at(&state.config.base_url(), &page_path(&base, page))
        .with_sidebar(Arc::clone(&cached.sidebar));
    list_view(
        layout,
        heading,
        "Posts from the archive".into(),
        &base,
        list,
    )
}

pub async fn tag(
    state: web::Data<AppState>,
    visitor: Visitor,
    slug: web::Path<String>,
    PageNumber(page): PageNumber,
) -> Result<HttpResponse, AppError> {
    let slug = slug.into_inner();
    let settings = state.cache.settings(&state.pool).await?;
    let paging = Paging::new(page, i64::from(settings.posts_per_page));
    let key = format!("tag {slug} {page}");
    let cached = cached_list(&state, &state.cache.lists, key, move |conn, now| {
        let tag = Tag::find_visible_by_slug(conn, &slug, now)?.ok_or(AppError::NotFound)?;
        Ok(CachedList {
            listing: PostList {
                posts: Post::tagged(conn, now, tag.id, paging)?,
                tag: Some(tag),
            },
            sidebar: Arc::new(Sidebar::load(conn, now)?),
        })
    })
    .await?;
    let list = &cached.listing.posts;
    let tag = cached.listing.tag.as_ref().ok_or(AppError::NotFound)?;
    let base = format!("/tags/{}", tag.slug);
    let layout = Layout::new(&visitor, &settings, format!("Tagged “{}”", tag.name))
        .described(&format!(
            "Posts tagged “{}” on {}",
            tag.name, settings.title
        ))
        .at(&state.config.base_url(), &page_path(&base, page))
        .with_feed(
            format!("{}: {}", settings.title, tag.name),
            format!("{base}/feed.xml"),
        )
        .with_sidebar(Arc::clone(&cached.sidebar));
    list_view(
        layout,
        format!("Tagged “{}”", tag.name),
        "Posts with this tag".into(),
        &base,
        list,
    )
}

#[derive(Template)]
#[template(path = "public/tags.html")]
pub struct TagsPage {
    layout: Layout,
    tags: Vec<TagCount>,
}

/// Every tag with a visible post, by name, with its count.
pub async fn tags(state: web::Data<AppState>, visitor: Visitor) -> Result<HttpResponse, AppError> {
    let settings = state.cache.settings(&state.pool).await?;
    let tag_index = &state.cache.tag_index;
    let cached = cached_list(&state, tag_index, "tags".into(), |conn, now| {
        Ok(CachedList {
            listing: Tag::listed(conn, now)?,
            sidebar: Arc::new(Sidebar::archive_only(conn, now)?),
        })
    })
    .await?;
    render(&TagsPage {
        layout: Layout::new(&visitor, &settings, "Tags")
            .described(&format!("Every tag on {}, with its posts", settings.title))
            .at(&state.config.base_url(), "/tags")
            .with_sidebar(Arc::clone(&cached.sidebar)),
        tags: cached.listing.clone(),
    })
}
