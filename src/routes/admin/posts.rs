//! Writing and managing posts: the list, one form for new and existing posts
//! (with a preview that saves nothing), and deletion behind a confirmation page.
//! Admins manage every post; authors only their own.

use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::{NaiveDateTime, Timelike};
use serde::Deserialize;

use super::{layout, AdminNav, Frame, WriterFrame};
use crate::accounts::FieldErrors;
use crate::auth::csrf::NoFields;
use crate::auth::{CsrfForm, Visitor, WriterUser};
use crate::db;
use crate::error::AppError;
use crate::markdown;
use crate::models::media::Media;
use crate::models::paging::Paging;
use crate::models::post::{
    ManagedRow, PostCounts, PostFormat, PostInput, PostState, EDITORS, MAX_BODY_BYTES,
};
use crate::models::tag::{parse_tag_list, MAX_TAGS, MAX_TAG_CHARS as MAX_TAG};
use crate::models::{self, Post, PostKind, PostStatus, User};
use crate::routes::{is_reserved, see_other_with, PageNumber};
use crate::slug::slugify;
use crate::state::AppState;
use crate::view::{self, iso, long_date, long_time, post_path, render, render_with, Layout, Pager};

const PER_PAGE: i64 = 25;
const MAX_TITLE: usize = 200;
const MAX_DATELINE: usize = 100;
const MAX_EXCERPT: usize = 600;
/// What search engines show of a description.
const MAX_SEARCH_DESCRIPTION: usize = 160;
/// Library images offered as covers: the newest, and the one chosen.
const COVER_CHOICES: i64 = 100;
/// The format of `<input type="datetime-local">` without seconds.
const DATETIME_LOCAL: &str = "%Y-%m-%dT%H:%M";

/// Admins may manage any post, authors only their own.
fn may_manage(user: &User, post: &Post) -> bool {
    user.is_admin() || post.author_id == Some(user.id)
}

/// The post with this id, if this user may manage it.
fn managed_post(conn: &mut crate::db::Conn, user: &User, id: i32) -> Result<Post, AppError> {
    let post = Post::find(conn, id)?.ok_or(AppError::NotFound)?;
    if may_manage(user, &post) {
        Ok(post)
    } else {
        Err(AppError::Forbidden)
    }
}

// The list

#[derive(Deserialize, Debug, Default)]
pub struct ListQuery {
    status: Option<String>,
    kind: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/posts.html")]
pub struct PostsPage {
    layout: Layout,
    nav: AdminNav,
    filter: Option<PostState>,
    /// `Some(Page)`: the Pages tab.
    kind: Option<PostKind>,
    counts: PostCounts,
    rows: Vec<ManagedRow>,
    pager: Pager,
}

impl ManagedRow {
    pub fn author_name(&self) -> &str {
        self.author.as_deref().unwrap_or(EDITORS)
    }

    /// The publication time ("Aug 20, 2025 · 14:05 UTC"); for drafts, when
    /// last edited. The status badge beside it says which.
    pub fn date_label(&self) -> String {
        const SHORT: &str = "%b %-d, %Y · %H:%M UTC";
        match (self.state, self.post.published_at) {
            (PostState::Published | PostState::Scheduled, Some(at)) => at.format(SHORT).to_string(),
            _ => format!("Edited {}", self.post.updated_at.format("%b %-d, %Y")),
        }
    }

    pub fn date_iso(&self) -> String {
        iso(&self.post.published_at.unwrap_or(self.post.updated_at))
    }

    pub fn is_page(&self) -> bool {
        self.post.kind == PostKind::Page
    }

    /// Where readers find it.
    pub fn path(&self) -> String {
        post_path(self.post.kind, &self.post.slug)
    }
}

/// The kind a query names: absent or empty is none; anything but `post` or
/// `page` is not a page of the dashboard.
fn kind_named(name: Option<&str>) -> Result<Option<PostKind>, AppError> {
    match name {
        None | Some("") => Ok(None),
        Some(s) => PostKind::parse(s).map(Some).ok_or(AppError::NotFound),
    }
}

pub async fn list(
    state: web::Data<AppState>,
    visitor: Visitor,
    WriterFrame(frame): WriterFrame,
    query: web::Query<ListQuery>,
    PageNumber(page): PageNumber,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let filter = match query.status.as_deref() {
        None | Some("") => None,
        Some(s) => Some(PostState::parse(s).ok_or(AppError::NotFound)?),
    };
    let kind = kind_named(query.kind.as_deref())?;
    // Authors see their own posts; admins everyone's.
    let author = (!frame.user.is_admin()).then_some(frame.user.id);
    let (counts, list) = db::run(&state.pool, move |conn| {
        let now = models::now();
        let counts = Post::counts(conn, now, author)?;
        let paging = Paging::new(page, PER_PAGE);
        let list = Post::managed(conn, now, filter, kind, author, paging)?;
        Ok((counts, list))
    })
    .await?;
    if list.is_past_the_end() {
        return Err(AppError::NotFound);
    }
    let mut query = Vec::new();
    if let Some(f) = filter {
        query.push(format!("status={}", f.as_str()));
    }
    if let Some(k) = kind {
        query.push(format!("kind={}", k.as_str()));
    }
    let base = if query.is_empty() {
        "/admin/posts".to_string()
    } else {
        format!("/admin/posts?{}", query.join("&"))
    };
    render(&PostsPage {
        layout: layout(&visitor, &frame.settings, "Posts"),
        nav: frame.nav("posts"),
        filter,
        kind,
        counts,
        pager: Pager::new(&base, list.page, list.more),
        rows: list.items,
    })
}

// The form

/// The post form as submitted; kept as typed so a refused form shows it again.
#[derive(Deserialize, Debug, Default, Clone)]
pub struct PostForm {
    /// "post" or "page"; absent means post.
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub slug: String,
    #[serde(default)]
    pub dateline: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub tags: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub published_at: String,
    /// A checkbox: present ("on") when ticked.
    #[serde(default)]
    pub comments_enabled: Option<String>,
    /// "preview" shows the post without saving it; anything else saves.
    #[serde(default)]
    pub action: String,
    /// A library image's id, or empty for none.
    #[serde(default)]
    pub cover_media_id: String,
    #[serde(default)]
    pub excerpt: String,
    #[serde(default)]
    pub search_description: String,
    /// "html" for a post that came in as HTML; anything else is markdown.
    #[serde(default)]
    pub format: String,
}

impl PostForm {
    /// A new post, or a new page: pages start with comments off.
    fn blank(kind: PostKind) -> PostForm {
        PostForm {
            kind: kind.as_str().into(),
            status: PostStatus::Draft.as_str().into(),
            comments_enabled: (kind == PostKind::Post).then(|| "on".into()),
            ..PostForm::default()
        }
    }

    fn of(post: &Post, tags: &[String]) -> PostForm {
        PostForm {
            kind: post.kind.as_str().into(),
            title: post.title.clone(),
            slug: post.slug.clone(),
            dateline: post.dateline.clone(),
            body: post.body.clone(),
            tags: tags.join(", "),
            status: post.status.as_str().into(),
            published_at: post
                .published_at
                .map(|at| at.format(DATETIME_LOCAL).to_string())
                .unwrap_or_default(),
            comments_enabled: post.comments_enabled.then(|| "on".into()),
            action: String::new(),
            cover_media_id: post
                .cover_media_id
                .map(|id| id.to_string())
                .unwrap_or_default(),
            excerpt: post.custom_excerpt.clone(),
            search_description: post.search_description.clone(),
            format: post.format.as_str().into(),
        }
    }

    pub fn format(&self) -> PostFormat {
        PostFormat::parse(&self.format).unwrap_or_default()
    }

    pub fn is_html(&self) -> bool {
        self.format() == PostFormat::Html
    }

    /// The kind the form says: a page, or (for anything else) a post.
    pub fn kind(&self) -> PostKind {
        PostKind::parse(&self.kind).unwrap_or(PostKind::Post)
    }

    pub fn is_page(&self) -> bool {
        self.kind() == PostKind::Page
    }

    /// The time for the `datetime-local` input: only a value it accepts, as
    /// browsers empty an invalid one (and would save it cleared); a refused
    /// text is quoted in the field's error instead.
    pub fn published_at_value(&self) -> &str {
        match parse_time(&self.published_at) {
            Ok(Some(_)) => self.published_at.trim(),
            _ => "",
        }
    }

    /// What the address field's prefix shows: `/posts/` or `/`.
    pub fn path_prefix(&self) -> &'static str {
        match self.kind() {
            PostKind::Post => "/posts/",
            PostKind::Page => "/",
        }
    }

    /// Why a page cannot have the address asked for (typed, or made from the
    /// title): it starts with one of the site's own first segments.
    fn reserved_address(&self) -> Option<String> {
        let typed = self.slug.trim().trim_matches('/');
        let first = typed.split('/').next().unwrap_or_default();
        if !first.is_empty() && is_reserved(first) {
            return Some(format!(
                "The address /{} belongs to the site itself, so a page cannot have it. Choose another address.",
                first.to_lowercase()
            ));
        }
        let from = if typed.is_empty() { &self.title } else { typed };
        let made = slugify(from);
        is_reserved(&made).then(|| {
            let source = if typed.is_empty() { " (made from the title)" } else { "" };
            format!(
                "This page would be at /{made}{source}, an address that belongs to the site itself. Choose another address."
            )
        })
    }

    /// Whether the form says published (anything else shows as a draft).
    pub fn is_published(&self) -> bool {
        PostStatus::parse(&self.status) == Some(PostStatus::Published)
    }

    pub fn comments_on(&self) -> bool {
        self.comments_enabled.is_some()
    }

    fn is_preview(&self) -> bool {
        self.action == "preview"
    }

    /// The chosen cover: `Ok(None)` for none, `Err` for something not an id.
    fn cover(&self) -> Result<Option<i32>, ()> {
        match self.cover_media_id.trim() {
            "" => Ok(None),
            id => id.parse().map(Some).map_err(|_| ()),
        }
    }

    /// A body too long to render within budget, for saving and previewing alike.
    fn body_too_long(&self) -> Option<String> {
        let len = self.body.len();
        (len > MAX_BODY_BYTES).then(|| {
            format!(
                "Keep the post to {} KB (about 20,000 words); this one is {} KB. Split a longer text into parts.",
                MAX_BODY_BYTES / 1024,
                len.div_ceil(1024)
            )
        })
    }

    /// The checked form as the model takes it, or each problem by field.
    fn check(&self, author_id: Option<i32>) -> Result<PostInput, FieldErrors> {
        let mut errors = FieldErrors::default();
        let kind = match self.kind.as_str() {
            "" => PostKind::Post,
            text => PostKind::parse(text).unwrap_or_else(|| {
                errors.add("kind", "Choose post or page.");
                PostKind::Post
            }),
        };
        let title = self.title.trim();
        if title.is_empty() {
            errors.add("title", "Give the post a title.");
        } else if title.chars().count() > MAX_TITLE {
            errors.add(
                "title",
                format!("Keep the title to {MAX_TITLE} characters or fewer."),
            );
        }
        if !self.slug.trim().is_empty() && slugify(&self.slug).is_empty() {
            errors.add(
                "slug",
                "Use letters or digits in the address, or leave it empty to make one from the title.",
            );
        } else if kind == PostKind::Page {
            if let Some(problem) = self.reserved_address() {
                errors.add("slug", problem);
            }
        }
        if self.dateline.trim().chars().count() > MAX_DATELINE {
            errors.add(
                "dateline",
                format!("Keep the place to {MAX_DATELINE} characters or fewer."),
            );
        }
        if self.body.trim().is_empty() {
            errors.add("body", "Write the text of the post.");
        } else if let Some(problem) = self.body_too_long() {
            errors.add("body", problem);
        }
        let tags = parse_tag_list(&self.tags);
        if tags.len() > MAX_TAGS {
            errors.add("tags", format!("Use at most {MAX_TAGS} tags."));
        } else if tags.iter().any(|t| t.chars().count() > MAX_TAG) {
            errors.add(
                "tags",
                format!("Keep each tag to {MAX_TAG} characters or fewer."),
            );
        }
        if self.excerpt.trim().chars().count() > MAX_EXCERPT {
            errors.add(
                "excerpt",
                format!("Keep the excerpt to {MAX_EXCERPT} characters or fewer."),
            );
        }
        if self.search_description.trim().chars().count() > MAX_SEARCH_DESCRIPTION {
            errors.add(
                "search_description",
                format!(
                    "Keep the search description to {MAX_SEARCH_DESCRIPTION} characters or fewer."
                ),
            );
        }
        let cover = self.cover().unwrap_or_else(|()| {
            errors.add("cover_media_id", "Choose an image from the list.");
            None
        });
        let published = match PostStatus::parse(&self.status) {
            Some(PostStatus::Published) => true,
            Some(PostStatus::Draft) => false,
            None => {
                errors.add("status", "Choose draft or published.");
                false
            }
        };
        let published_at = match parse_time(&self.published_at) {
            Ok(at) => at,
            Err(()) => {
                errors.add(
                    "published_at",
                    format!(
                        "“{}” is not a date and time the form can use: enter one such as 2025-08-20T14:05 (UTC), or leave it empty.",
                        view::shorten(self.published_at.trim(), 40)
                    ),
                );
                None
            }
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(PostInput {
            kind,
            title: title.to_string(),
            slug: self.slug.trim().to_string(),
            dateline: self.dateline.trim().to_string(),
            body: self.body.clone(),
            tags,
            published,
            published_at,
            comments_enabled: self.comments_on(),
            author_id,
            cover_media_id: cover,
            excerpt: self.excerpt.trim().to_string(),
            search_description: self.search_description.trim().to_string(),
            format: self.format(),
        })
    }
}

/// An empty field is no time; anything else must be `YYYY-MM-DDTHH:MM` (seconds allowed).
fn parse_time(text: &str) -> Result<Option<NaiveDateTime>, ()> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let at = NaiveDateTime::parse_from_str(text, DATETIME_LOCAL)
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S"))
        .map_err(|_| ())?;
    if (1970..=9999).contains(&chrono::Datelike::year(&at)) {
        Ok(Some(at))
    } else {
        Err(())
    }
}

/// The post as it would look, for the preview.
pub struct Preview {
    pub title: String,
    pub dateline: String,
    pub html: String,
}

impl Preview {
    fn of(form: &PostForm, pictures: &markdown::Pictures) -> Preview {
        let at = parse_time(&form.published_at)
            .ok()
            .flatten()
            .unwrap_or_else(models::now);
        let place = form.dateline.trim();
        let dateline = if form.is_page() {
            // Pages show no date.
            String::new()
        } else if place.is_empty() {
            long_date(&at)
        } else {
            format!("{place} – {}", long_date(&at))
        };
        Preview {
            title: form.title.trim().to_string(),
            dateline,
            html: match form.format() {
                PostFormat::Markdown => markdown::render_post_with(&form.body, pictures).html,
                PostFormat::Html => markdown::render_html_post(&form.body, pictures).html,
            },
        }
    }
}

/// What the form page says about a post that exists already.
pub struct Saved {
    pub id: i32,
    pub kind: PostKind,
    pub state: PostState,
    pub view_href: Option<String>,
    pub created: String,
    pub updated: String,
    pub comment_count: i32,
}

impl Saved {
    fn of(post: &Post) -> Saved {
        let state = PostState::of(post.status, post.published_at, models::now());
        Saved {
            id: post.id,
            kind: post.kind,
            state,
            view_href: (state == PostState::Published).then(|| post.path()),
            created: long_time(&post.created_at),
            updated: long_time(&post.updated_at),
            comment_count: post.comment_count,
        }
    }
}

#[derive(Template)]
#[template(path = "admin/post_form.html")]
pub struct PostFormPage {
    layout: Layout,
    nav: AdminNav,
    heading: String,
    action: String,
    saved: Option<Saved>,
    form: PostForm,
    errors: FieldErrors,
    preview: Option<Preview>,
    covers: Vec<Media>,
}

impl PostFormPage {
    fn is_cover(&self, media: &Media) -> bool {
        self.form.cover_media_id.trim() == media.id.to_string()
    }
}

/// Shows the form: 200, 422 when a field has a problem, 503 when it could
/// not be saved.
/// The form as the writer sent (or is about to see) it.
struct Filled {
    form: PostForm,
    errors: FieldErrors,
    preview: Option<Preview>,
}

impl Filled {
    fn fresh(form: PostForm) -> Filled {
        Filled {
            form,
            errors: FieldErrors::default(),
            preview: None,
        }
    }
}

async fn form_page(
    state: &AppState,
    visitor: &Visitor,
    frame: &Frame,
    active: &'static str,
    saved: Option<Saved>,
    Filled {
        form,
        errors,
        preview,
    }: Filled,
) -> Result<HttpResponse, AppError> {
    let (settings, nav) = (&frame.settings, frame.nav(active));
    let (heading, action) = match &saved {
        Some(s) => (
            format!("Edit {}", s.kind.as_str()),
            format!("/admin/posts/{}", s.id),
        ),
        None => (
            format!("New {}", form.kind().as_str()),
            "/admin/posts".to_string(),
        ),
    };
    let status = errors.status();
    let chosen = form.cover().ok().flatten();
    let covers = db::run(&state.pool, move |conn| {
        Ok(Media::newest_with(conn, COVER_CHOICES, chosen)?)
    })
    .await?;
    let page = PostFormPage {
        covers,
        layout: layout(visitor, settings, &heading),
        nav,
        heading,
        action,
        saved,
        form,
        errors,
        preview,
    };
    render_with(status, &page)
}

#[derive(Deserialize, Debug, Default)]
pub struct NewQuery {
    kind: Option<String>,
}

/// The empty form; `?kind=page` opens it for a page (comments off).
pub async fn new(
    state: web::Data<AppState>,
    visitor: Visitor,
    WriterFrame(frame): WriterFrame,
    query: web::Query<NewQuery>,
) -> Result<HttpResponse, AppError> {
    let kind = kind_named(query.kind.as_deref())?.unwrap_or(PostKind::Post);
    form_page(
        &state,
        &visitor,
        &frame,
        new_section(kind),
        None,
        Filled::fresh(PostForm::blank(kind)),
    )
    .await
}

pub async fn edit(
    state: web::Data<AppState>,
    visitor: Visitor,
    WriterFrame(frame): WriterFrame,
    id: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let user = frame.user.clone();
    let (post, tags) = db::run(&state.pool, move |conn| {
        let post = managed_post(conn, &user, id)?;
        let tags: Vec<String> = post.tags(conn)?.into_iter().map(|t| t.name).collect();
        Ok((post, tags))
    })
    .await?;
    form_page(
        &state,
        &visitor,
        &frame,
        "posts",
        Some(Saved::of(&post)),
        Filled::fresh(PostForm::of(&post, &tags)),
    )
    .await
}

pub async fn create(
    state: web::Data<AppState>,
    visitor: Visitor,
    WriterUser(user): WriterUser,
    CsrfForm(form): CsrfForm<PostForm>,
) -> Result<HttpResponse, AppError> {
    save(&state, &visitor, user, None, form).await
}

pub async fn update(
    state: web::Data<AppState>,
    visitor: Visitor,
    WriterUser(user): WriterUser,
    id: web::Path<i32>,
    CsrfForm(form): CsrfForm<PostForm>,
) -> Result<HttpResponse, AppError> {
    save(&state, &visitor, user, Some(id.into_inner()), form).await
}

/// Previews, refuses (422) or saves a new post (`id` None) or an existing
/// one; a save the storage refuses (503) shows the form again as it was sent.
async fn save(
    state: &AppState,
    visitor: &Visitor,
    user: User,
    id: Option<i32>,
    form: PostForm,
) -> Result<HttpResponse, AppError> {
    let active = if id.is_some() {
        "posts"
    } else {
        new_section(form.kind())
    };
    let checked = if form.is_preview() {
        let mut errors = FieldErrors::default();
        if let Some(problem) = form.body_too_long() {
            errors.add("body", problem);
        }
        Err(errors)
    } else {
        form.check(Some(user.id))
    };
    let pictures = pictures_in(state, &form.body).await?;
    let checked = match checked {
        Ok(input) => cover_exists(state, input).await?,
        Err(errors) => Err(errors),
    };
    let errors = match checked {
        Ok(input) => {
            // Rendering is the slow part: done before the write lock is taken.
            let shown = pictures.clone();
            let mut new = web::block(move || input.render_with(&shown)).await?;
            let writer = user.clone();
            let saved = db::write(&state.pool, move |conn| {
                let old = id.map(|id| managed_post(conn, &writer, id)).transpose()?;
                let now = models::now();
                // An image deleted since the form was checked is no cover.
                if let Some(cover) = new.input.cover_media_id {
                    if Media::find(conn, cover)?.is_none() {
                        new.input.cover_media_id = None;
                    }
                }
                let post = match &old {
                    Some(old) => {
                        keep_publication_time(&mut new.input, old, now);
                        Post::update(conn, old.id, &new, now)?
                    }
                    None => Post::create(conn, &new, now)?,
                };
                Media::link_to_post(conn, post.id, &new.rendered.media_ids)?;
                Ok((old, post, new.input))
            })
            .await;
            match saved {
                Ok((old, post, input)) => {
                    let message = saved_message(old.as_ref(), &post, &input);
                    return Ok(see_other_with(
                        &format!("/admin/posts/{}/edit", post.id),
                        &message,
                    ));
                }
                Err(e) if e.is_not_saved() => FieldErrors::not_saved(),
                Err(e) => return Err(e),
            }
        }
        Err(errors) => errors,
    };
    let writer = user.clone();
    let old = db::run(&state.pool, move |conn| {
        id.map(|id| managed_post(conn, &writer, id)).transpose()
    })
    .await?;
    let frame = Frame::load(state, user).await?;
    let preview = if errors.is_empty() {
        let form = form.clone();
        Some(web::block(move || Preview::of(&form, &pictures)).await?)
    } else {
        None
    };
    form_page(
        state,
        visitor,
        &frame,
        active,
        old.as_ref().map(Saved::of),
        Filled {
            form,
            errors,
            preview,
        },
    )
    .await
}

/// The library images a text shows, looked up before it is rendered.
async fn pictures_in(state: &AppState, body: &str) -> Result<markdown::Pictures, AppError> {
    let paths = markdown::media_paths(body);
    if paths.is_empty() {
        return Ok(markdown::Pictures::new());
    }
    db::run(&state.pool, move |conn| Ok(Media::pictures(conn, &paths)?)).await
}

/// The input, or the form's problem when its cover is not in the library.
async fn cover_exists(
    state: &AppState,
    input: PostInput,
) -> Result<Result<PostInput, FieldErrors>, AppError> {
    let Some(cover) = input.cover_media_id else {
        return Ok(Ok(input));
    };
    let found = db::run(&state.pool, move |conn| Ok(Media::find(conn, cover)?)).await?;
    if found.is_some() {
        return Ok(Ok(input));
    }
    let mut errors = FieldErrors::default();
    errors.add(
        "cover_media_id",
        "That image is no longer in the library. Choose another, or none.",
    );
    Ok(Err(errors))
}

/// "Post" or "Page", to begin a message.
fn noun(kind: PostKind) -> &'static str {
    match kind {
        PostKind::Post => "Post",
        PostKind::Page => "Page",
    }
}

/// The dashboard section a new post or page is written in.
fn new_section(kind: PostKind) -> &'static str {
    match kind {
        PostKind::Post => "new",
        PostKind::Page => "new-page",
    }
}

/// The form shows times to the minute: an untouched field keeps the stored
/// time, seconds and all. The field shows the stored time, so an empty one
/// was cleared on purpose: publishing then means now. A post readers already
/// see keeps its date, so it does not jump to the top.
fn keep_publication_time(input: &mut PostInput, old: &Post, now: NaiveDateTime) {
    if input.published_at.is_some() && input.published_at == old.published_at.map(to_minute) {
        input.published_at = old.published_at;
    }
    let public = PostState::of(old.status, old.published_at, now) == PostState::Published;
    if input.published && input.published_at.is_none() && !public {
        input.published_at = Some(now);
    }
}

fn to_minute(at: NaiveDateTime) -> NaiveDateTime {
    at.with_second(0)
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(at)
}

/// "Post published.", "Draft saved.", "Page scheduled for …", and a word when
/// the address had to differ from the one asked for.
fn saved_message(old: Option<&Post>, post: &Post, input: &PostInput) -> String {
    let now = models::now();
    let state = PostState::of(post.status, post.published_at, now);
    let was = old.map(|p| PostState::of(p.status, p.published_at, now));
    let noun = noun(post.kind);
    let mut message = match (state, post.published_at) {
        (PostState::Draft, _) => "Draft saved.".to_string(),
        (PostState::Scheduled, Some(at)) => format!("{noun} scheduled for {}.", long_time(&at)),
        (PostState::Published, _) if was == Some(PostState::Published) => {
            format!("{noun} updated.")
        }
        _ => format!("{noun} published."),
    };
    let wanted = slugify(if input.slug.is_empty() {
        &input.title
    } else {
        &input.slug
    });
    if !wanted.is_empty() && wanted != post.slug {
        message.push_str(&format!(
            " The address {} is taken, so this {} is at {}.",
            post_path(post.kind, &wanted),
            post.kind.as_str(),
            post.path()
        ));
    }
    message
}

// Deleting

#[derive(Template)]
#[template(path = "admin/post_delete.html")]
pub struct DeletePage {
    layout: Layout,
    nav: AdminNav,
    post: Post,
}

pub async fn confirm_delete(
    state: web::Data<AppState>,
    visitor: Visitor,
    WriterFrame(frame): WriterFrame,
    id: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let user = frame.user.clone();
    let post = db::run(&state.pool, move |conn| managed_post(conn, &user, id)).await?;
    render(&DeletePage {
        layout: layout(
            &visitor,
            &frame.settings,
            &format!("Delete {}", post.kind.as_str()),
        ),
        nav: frame.nav("posts"),
        post,
    })
}

pub async fn delete(
    state: web::Data<AppState>,
    WriterUser(user): WriterUser,
    id: web::Path<i32>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let (kind, title) = db::write(&state.pool, move |conn| {
        let post = managed_post(conn, &user, id)?;
        // Its comments and tag links go with it (ON DELETE CASCADE).
        Post::delete(conn, post.id)?;
        Ok((post.kind, post.title))
    })
    .await?;
    Ok(see_other_with(
        "/admin/posts",
        &format!("{} deleted: “{title}”.", noun(kind)),
    ))
}
