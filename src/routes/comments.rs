//! Comments: posting under an article, replying, editing and deleting one's own.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::csrf::NoFields;
use crate::auth::limits::{client_ip, COMMENT_MESSAGE};
use crate::auth::{CsrfForm, CurrentUser, Visitor};
use crate::db;
use crate::error::{AppError, NOT_SAVED};
use crate::models::comment::{CommentText, NewComment};
use crate::models::{Comment, CommentStatus, Post, Settings, User};
use crate::routes::public::{article, CommentDraft};
use crate::routes::see_other_with;
use crate::state::AppState;
use crate::view::{render_with, Layout};

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

enum Outcome {
    /// `path` is where the post (or page) is read.
    Posted {
        id: i32,
        status: CommentStatus,
        path: String,
    },
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
    let ip = client_ip(&req);
    let limits = state.limits;
    let parent_id = match form.parent_id.trim() {
        "" => None,
        text => Some(text.parse::<i32>().map_err(|_| {
            AppError::BadRequest("The reply's parent is not a comment number.".into())
        })?),
    };
    let spam = !form.website.is_empty();
    let draft = |error: String| CommentDraft {
        body: form.body.clone(),
        error,
        parent_id,
    };
    if let Err(problem) = Comment::check_body(&form.body) {
        let draft = draft(problem.to_string());
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
    let body = form.body.clone();
    let text = web::block(move || CommentText::render(&body)).await?;
    let slug_for_db = slug.clone();
    // From the settings cache: one read fewer while the write lock is held.
    let policy = state.cache.settings(&state.pool).await?.comment_policy;
    let now = state.now();
    let written = db::write(&state.pool, move |conn| {
        let post = Post::find_visible(conn, &slug_for_db, now)?.ok_or(AppError::NotFound)?;
        if !post.comments_enabled {
            return Err(AppError::Forbidden);
        }
        if let Some(parent) = parent_id {
            let ok = Comment::find(conn, parent)?.is_some_and(|p| p.takes_replies_on(post.id));
            if !ok {
                return Ok(Outcome::Refused(
                    "The comment you replied to is not open for replies on this article.".into(),
                ));
            }
        }
        // Spent with the comment, so nothing is spent when it is not stored.
        if !limits.comment(conn, &ip, user.id)? {
            return Err(AppError::TooManyRequests(COMMENT_MESSAGE.into()));
        }
        let status = if spam {
            CommentStatus::Spam
        } else {
            Comment::status_for_new(conn, policy, &user)?
        };
        let comment = Comment::create(
            conn,
            &NewComment {
                post_id: post.id,
                author_id: Some(user.id),
                parent_id,
                body: &text.body,
                body_html: &text.html,
                status,
                created_at: now,
                guest_name: "",
                guest_website: "",
                guest_email: "",
            },
        )?;
        Ok(Outcome::Posted {
            id: comment.id,
            status,
            path: post.path(),
        })
    })
    .await;
    match written {
        // A bot learns nothing: it sees the article as if all went well.
        Ok(Outcome::Posted {
            status: CommentStatus::Spam,
            path,
            ..
        }) => Ok(crate::routes::see_other(&format!("{path}#comments"))),
        Ok(Outcome::Posted {
            id,
            status: CommentStatus::Pending,
            path,
        }) => Ok(see_other_with(
            &format!("{path}#comment-{id}"),
            "Thank you! Your comment is awaiting moderation and will appear once approved.",
        )),
        Ok(Outcome::Posted { id, path, .. }) => {
            Ok(crate::routes::see_other(&format!("{path}#comment-{id}")))
        }
        Ok(Outcome::Refused(error)) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            article(&state, &visitor, slug, draft(error), status).await
        }
        Err(AppError::TooManyRequests(error)) => {
            let status = StatusCode::TOO_MANY_REQUESTS;
            article(&state, &visitor, slug, draft(error), status).await
        }
        Err(e) if e.is_not_saved() => {
            let status = StatusCode::SERVICE_UNAVAILABLE;
            article(&state, &visitor, slug, draft(NOT_SAVED.into()), status).await
        }
        Err(e) => Err(e),
    }
}

/// A comment the visitor may change, with where its post is read.
fn owned_comment(
    conn: &mut crate::db::Conn,
    id: i32,
    user: &User,
) -> Result<(Comment, String), AppError> {
    let comment = Comment::find(conn, id)?.ok_or(AppError::NotFound)?;
    if comment.status.is_deleted() {
        return Err(AppError::NotFound);
    }
    if !comment.deletable_by(user) {
        return Err(AppError::Forbidden);
    }
    let post = Post::find(conn, comment.post_id)?.ok_or(AppError::NotFound)?;
    Ok((comment, post.path()))
}

#[derive(Template)]
#[template(path = "comments/edit.html")]
pub struct EditPage {
    layout: Layout,
    id: i32,
    /// Where the comment's post is read.
    post_path: String,
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
    let (comment, post_path, settings) = db::run(&state.pool, move |conn| {
        let (comment, post_path) = editable(conn, id, &user)?;
        Ok((comment, post_path, Settings::load(conn)?))
    })
    .await?;
    let layout = Layout::new(&visitor, &settings, "Edit your comment");
    let page = EditPage {
        layout,
        id,
        post_path,
        body: comment.body,
        error: String::new(),
    };
    render_with(StatusCode::OK, &page)
}

/// Authors edit within the window; admins any time.
fn editable(
    conn: &mut crate::db::Conn,
    id: i32,
    user: &User,
) -> Result<(Comment, String), AppError> {
    let (comment, slug) = owned_comment(conn, id, user)?;
    if !comment.editable_by(user, crate::models::now()) {
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
    let error = match Comment::check_body(&form.body) {
        Err(problem) => problem.to_string(),
        Ok(()) => {
            let body = form.body.clone();
            let text = web::block(move || CommentText::render(&body)).await?;
            let editor = user.clone();
            let now = state.now();
            let written = db::write(&state.pool, move |conn| {
                let (comment, post_path) = editable(conn, id, &editor)?;
                let policy = Settings::load(conn)?.comment_policy;
                let held = Comment::edit(conn, &comment, &editor, policy, &text, now)?;
                Ok((post_path, held))
            })
            .await;
            match written {
                Ok((post_path, held)) => {
                    let message = if held {
                        "Your comment is updated and will appear again once approved."
                    } else {
                        "Your comment is updated."
                    };
                    return Ok(see_other_with(
                        &format!("{post_path}#comment-{id}"),
                        message,
                    ));
                }
                Err(e) if e.is_not_saved() => NOT_SAVED.to_string(),
                Err(e) => return Err(e),
            }
        }
    };
    let (post_path, settings) = db::run(&state.pool, move |conn| {
        let (_, post_path) = editable(conn, id, &user)?;
        Ok((post_path, Settings::load(conn)?))
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
        post_path,
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
    let post_path = db::write(&state.pool, move |conn| {
        let (_, post_path) = owned_comment(conn, id, &user)?;
        Comment::remove(conn, id)?;
        Ok(post_path)
    })
    .await?;
    Ok(see_other_with(
        &format!("{post_path}#comments"),
        "Comment deleted.",
    ))
}
