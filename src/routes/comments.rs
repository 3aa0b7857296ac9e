//! Comments: posting under an article, replying, editing and deleting one's own.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{Duration, NaiveDateTime};
use serde::Deserialize;

use crate::auth::csrf::NoFields;
use crate::auth::limits::client_ip;
use crate::auth::{CsrfForm, CurrentUser, Visitor};
use crate::error::{AppError, NOT_SAVED};
use crate::markdown;
use crate::models::comment::NewComment;
use crate::models::{self, Comment, Post, Settings, User};
use crate::routes::public::{article, CommentDraft};
use crate::routes::see_other_with;
use crate::view::{render_with, Layout};
use crate::{db, AppState};

pub const MAX_CHARS: usize = 5000;
/// Authors may correct a comment for this long after posting it.
pub const EDIT_MINUTES: i64 = 15;

pub fn within_edit_window(comment: &Comment, now: NaiveDateTime) -> bool {
    now - comment.created_at <= Duration::minutes(EDIT_MINUTES)
}

/// The problem with a comment's text, if any.
fn body_problem(body: &str) -> Option<String> {
    let chars = body.trim().chars().count();
    if chars == 0 {
        Some("Write something before you post.".into())
    } else if chars > MAX_CHARS {
        Some(format!(
            "Keep your comment under {MAX_CHARS} characters (it has {chars})."
        ))
    } else {
        None
    }
}

#[derive(Deserialize, Debug)]
pub struct CommentForm {
    #[serde(default)]
    body: String,
    #[serde(default)]
    parent_id: String,
    /// A honeypot: hidden from people, filled in by bots.
    #[serde(default)]
    website: String,
}

/// Where a new (or edited) comment goes under the site's policy: staff
/// are never held.
fn initial_status(
    conn: &mut diesel::SqliteConnection,
    policy: &str,
    user: &User,
) -> Result<&'static str, AppError> {
    if user.can_write() {
        return Ok("approved");
    }
    Ok(match policy {
        "open" => "approved",
        "first_comment_held" if Comment::approved_count_by(conn, user.id)? > 0 => "approved",
        _ => "pending",
    })
}

enum Outcome {
    Posted { id: i32, status: &'static str },
    Refused(String),
}

pub async fn create(
    state: web::Data<AppState>,
    visitor: Visitor,
    req: HttpRequest,
    slug: web::Path<String>,
    CsrfForm(form): CsrfForm<CommentForm>,
) -> Result<HttpResponse, AppError> {
    let slug = slug.into_inner();
    let Some(user) = visitor.user().cloned() else {
        return Err(AppError::LoginRequired {
            next: format!("/posts/{slug}#comments"),
        });
    };
    state.limits.comment(&client_ip(&req), user.id)?;
    let parent_id = match form.parent_id.trim() {
        "" => None,
        text => Some(text.parse::<i32>().map_err(|_| {
            AppError::BadRequest("The reply's parent is not a comment number.".into())
        })?),
    };
    let spam = !form.website.is_empty();
    let body = form.body.trim().to_string();
    let draft = |error: String| CommentDraft {
        body: form.body.clone(),
        error,
        parent_id,
    };
    if let Some(problem) = body_problem(&body) {
        let draft = draft(problem);
        return article(
            &state,
            &visitor,
            slug,
            draft,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    // Rendering happens before the write transaction, off the async workers.
    let (body, html) = web::block(move || {
        let html = markdown::render_comment(&body);
        (body, html)
    })
    .await?;
    let slug_for_db = slug.clone();
    let written = db::write(&state.pool, move |conn| {
        let post =
            Post::find_visible(conn, &slug_for_db, models::now())?.ok_or(AppError::NotFound)?;
        if !post.comments_enabled {
            return Err(AppError::Forbidden);
        }
        if let Some(parent) = parent_id {
            let ok = Comment::find(conn, parent)?
                .is_some_and(|p| p.post_id == post.id && p.status == "approved");
            if !ok {
                return Ok(Outcome::Refused(
                    "The comment you replied to is not open for replies on this article.".into(),
                ));
            }
        }
        let status = if spam {
            "spam"
        } else {
            let policy = Settings::load(conn)?.comment_policy;
            initial_status(conn, &policy, &user)?
        };
        let comment = Comment::create(
            conn,
            &NewComment {
                post_id: post.id,
                author_id: user.id,
                parent_id,
                body: &body,
                body_html: &html,
                status,
                created_at: models::now(),
            },
        )?;
        Ok(Outcome::Posted {
            id: comment.id,
            status,
        })
    })
    .await;
    match written {
        // A bot learns nothing: it sees the article as if all went well.
        Ok(Outcome::Posted { status: "spam", .. }) => {
            Ok(crate::routes::see_other(&format!("/posts/{slug}#comments")))
        }
        Ok(Outcome::Posted {
            id,
            status: "pending",
        }) => Ok(see_other_with(
            &format!("/posts/{slug}#comment-{id}"),
            "Thank you! Your comment is awaiting moderation and will appear once approved.",
        )),
        Ok(Outcome::Posted { id, .. }) => Ok(crate::routes::see_other(&format!(
            "/posts/{slug}#comment-{id}"
        ))),
        Ok(Outcome::Refused(error)) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            article(&state, &visitor, slug, draft(error), status).await
        }
        Err(e) if e.is_not_saved() => {
            let status = StatusCode::SERVICE_UNAVAILABLE;
            article(&state, &visitor, slug, draft(NOT_SAVED.into()), status).await
        }
        Err(e) => Err(e),
    }
}

/// A comment the visitor may change, with the slug of its post.
fn owned_comment(
    conn: &mut diesel::SqliteConnection,
    id: i32,
    user: &User,
) -> Result<(Comment, String), AppError> {
    let comment = Comment::find(conn, id)?.ok_or(AppError::NotFound)?;
    if comment.status == "deleted" {
        return Err(AppError::NotFound);
    }
    if comment.author_id != user.id && !user.is_admin() {
        return Err(AppError::Forbidden);
    }
    let post = Post::find(conn, comment.post_id)?.ok_or(AppError::NotFound)?;
    Ok((comment, post.slug))
}

#[derive(Template)]
#[template(path = "comments/edit.html")]
pub struct EditPage {
    layout: Layout,
    id: i32,
    slug: String,
    body: String,
    error: String,
}

pub async fn edit_form(
    state: web::Data<AppState>,
    visitor: Visitor,
    CurrentUser(user): CurrentUser,
    id: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let (comment, slug, settings) = db::run(&state.pool, move |conn| {
        let (comment, slug) = editable(conn, id, &user)?;
        Ok((comment, slug, Settings::load(conn)?))
    })
    .await?;
    let layout = Layout::new(&visitor, &settings, "Edit your comment");
    let page = EditPage {
        layout,
        id,
        slug,
        body: comment.body,
        error: String::new(),
    };
    render_with(StatusCode::OK, &page)
}

/// Authors edit within the window; admins any time.
fn editable(
    conn: &mut diesel::SqliteConnection,
    id: i32,
    user: &User,
) -> Result<(Comment, String), AppError> {
    let (comment, slug) = owned_comment(conn, id, user)?;
    if !user.is_admin() && !within_edit_window(&comment, models::now()) {
        return Err(AppError::Forbidden);
    }
    Ok((comment, slug))
}

#[derive(Deserialize, Debug)]
pub struct EditForm {
    #[serde(default)]
    body: String,
}

pub async fn edit(
    state: web::Data<AppState>,
    visitor: Visitor,
    CurrentUser(user): CurrentUser,
    id: web::Path<i32>,
    CsrfForm(form): CsrfForm<EditForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let error = match body_problem(&form.body) {
        Some(problem) => problem,
        None => {
            let body = form.body.trim().to_string();
            let (body, html) = web::block(move || {
                let html = markdown::render_comment(&body);
                (body, html)
            })
            .await?;
            let editor = user.clone();
            let written = db::write(&state.pool, move |conn| {
                let (comment, slug) = editable(conn, id, &editor)?;
                Comment::edit(conn, id, &body, &html, models::now())?;
                // Where the policy holds comments, a changed text is read
                // again before readers see it.
                let policy = Settings::load(conn)?.comment_policy;
                let held = comment.status == "approved"
                    && initial_status(conn, &policy, &editor)? == "pending";
                if held {
                    Comment::set_status(conn, id, "pending")?;
                }
                Ok((slug, held))
            })
            .await;
            match written {
                Ok((slug, held)) => {
                    let message = if held {
                        "Your comment is updated and will appear again once approved."
                    } else {
                        "Your comment is updated."
                    };
                    return Ok(see_other_with(
                        &format!("/posts/{slug}#comment-{id}"),
                        message,
                    ));
                }
                Err(e) if e.is_not_saved() => NOT_SAVED.to_string(),
                Err(e) => return Err(e),
            }
        }
    };
    let (slug, settings) = db::run(&state.pool, move |conn| {
        let (_, slug) = editable(conn, id, &user)?;
        Ok((slug, Settings::load(conn)?))
    })
    .await?;
    let status = if error == NOT_SAVED {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let layout = Layout::new(&visitor, &settings, "Edit your comment");
    let page = EditPage {
        layout,
        id,
        slug,
        body: form.body,
        error,
    };
    render_with(status, &page)
}

pub async fn delete(
    state: web::Data<AppState>,
    CurrentUser(user): CurrentUser,
    id: web::Path<i32>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let slug = db::write(&state.pool, move |conn| {
        let (_, slug) = owned_comment(conn, id, &user)?;
        Comment::remove(conn, id)?;
        Ok(slug)
    })
    .await?;
    Ok(see_other_with(
        &format!("/posts/{slug}#comments"),
        "Comment deleted.",
    ))
}
