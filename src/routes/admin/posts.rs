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
    parse_time, ManagedRow, PostCounts, PostForm, PostFormat, PostInput, PostState, EDITORS,
};
use crate::models::{self, Post, PostKind, User};
use crate::routes::{see_other_with, PageNumber};
use crate::slug::slugify;
use crate::state::AppState;
use crate::view::{iso, long_date, long_time, post_path, render, render_with, Layout, Pager};

const PER_PAGE: i64 = 25;
/// Library images offered as covers: the newest, and the one chosen.
const COVER_CHOICES: i64 = 100;

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
    let now = state.now();
    let (counts, list) = db::run(&state.pool, move |conn| {
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
        let state = PostState::of(post.status, post.published_at, crate::models::now());
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
        Ok(input) if !cover_exists(state, input.cover_media_id).await? => {
            let mut errors = FieldErrors::default();
            errors.add(
                "cover_media_id",
                "That image is no longer in the library. Choose another, or none.",
            );
            Err(errors)
        }
        checked => checked,
    };
    let errors = match checked {
        Ok(input) => {
            // Rendering is the slow part: done before the write lock is taken.
            let shown = pictures.clone();
            let mut new = web::block(move || input.render_with(&shown)).await?;
            let writer = user.clone();
            let now = state.now();
            let saved = db::write(&state.pool, move |conn| {
                let old = id.map(|id| managed_post(conn, &writer, id)).transpose()?;
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

/// Whether the chosen cover (if any) is still in the library.
async fn cover_exists(state: &AppState, cover: Option<i32>) -> Result<bool, AppError> {
    let Some(cover) = cover else {
        return Ok(true);
    };
    let found = db::run(&state.pool, move |conn| Ok(Media::find(conn, cover)?)).await?;
    Ok(found.is_some())
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
    let now = crate::models::now();
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
