//! Moderation: the queue by status (pending, approved, spam), and approving,
//! marking as spam or deleting comments one at a time or several at once.

use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{layout, AdminFrame, AdminNav};
use crate::auth::{AdminUser, CsrfForm, Visitor};
use crate::db;
use crate::error::AppError;
use crate::models::comment::{QueuedComment, StatusCounts};
use crate::models::paging::Paging;
use crate::models::{Comment, CommentStatus};
use crate::routes::{see_other_with, PageNumber};
use crate::state::AppState;
use crate::view::{iso, long_time, plural, post_path, render, Layout, Pager};

const PER_PAGE: i64 = 30;
/// More ids than a page shows many times over is not a form from this site.
const MAX_BULK: usize = 1000;

#[derive(Deserialize, Debug, Default)]
pub struct QueueQuery {
    status: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/comments.html")]
pub struct CommentsPage {
    layout: Layout,
    nav: AdminNav,
    tab: CommentStatus,
    counts: StatusCounts,
    rows: Vec<QueuedComment>,
    pager: Pager,
}

impl QueuedComment {
    /// The comment on its public page, or the post's edit page while readers cannot see it.
    pub fn post_href(&self) -> String {
        let path = post_path(self.post_kind, &self.post_slug);
        match (self.post_visible, self.comment.status) {
            (true, CommentStatus::Approved) => format!("{path}#comment-{}", self.comment.id),
            (true, _) => path,
            (false, _) => format!("/admin/posts/{}/edit", self.comment.post_id),
        }
    }

    pub fn created_label(&self) -> String {
        long_time(&self.comment.created_at)
    }

    pub fn created_iso(&self) -> String {
        iso(&self.comment.created_at)
    }
}

/// A queue tab's name as this module spells it; unknown names are not pages.
fn tab_named(name: Option<&str>) -> Option<CommentStatus> {
    match name {
        None | Some("") => Some(CommentStatus::Pending),
        Some(s) => CommentStatus::parse(s).filter(|t| CommentStatus::QUEUE.contains(t)),
    }
}

pub async fn queue(
    state: web::Data<AppState>,
    visitor: Visitor,
    AdminFrame(frame): AdminFrame,
    query: web::Query<QueueQuery>,
    PageNumber(page): PageNumber,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let tab = tab_named(query.status.as_deref()).ok_or(AppError::NotFound)?;
    let now = state.now();
    let (counts, list) = db::run(&state.pool, move |conn| {
        let counts = Comment::count_by_status(conn)?;
        let list = Comment::queue(conn, tab, now, Paging::new(page, PER_PAGE))?;
        Ok((counts, list))
    })
    .await?;
    if list.is_past_the_end() {
        return Err(AppError::NotFound);
    }
    render(&CommentsPage {
        layout: layout(&visitor, &frame.settings, "Comments"),
        nav: frame.nav("comments"),
        tab,
        counts,
        pager: Pager::new(
            &format!("/admin/comments?status={}", tab.as_str()),
            list.page,
            list.more,
        ),
        rows: list.items,
    })
}

/// What an action does: the status it sets and the words for it.
struct Action {
    status: CommentStatus,
    done: &'static str,
}

fn action_named(name: &str) -> Option<Action> {
    let (status, done) = match name {
        "approve" => (CommentStatus::Approved, "approved"),
        "spam" => (CommentStatus::Spam, "marked as spam"),
        "delete" => (CommentStatus::Deleted, "deleted"),
        _ => return None,
    };
    Some(Action { status, done })
}

/// Back to the tab the form came from.
fn back_to(tab: &str) -> String {
    format!(
        "/admin/comments?status={}",
        tab_named(Some(tab))
            .unwrap_or(CommentStatus::Pending)
            .as_str()
    )
}

/// One comment's form: only the tab to return to. (The row buttons sit in the
/// bulk form, so its checkboxes come along too and are ignored here.)
#[derive(Deserialize, Debug)]
pub struct ModerateForm {
    #[serde(default)]
    tab: String,
}

pub async fn moderate(
    state: web::Data<AppState>,
    AdminUser(_): AdminUser,
    path: web::Path<(i32, String)>,
    CsrfForm(form): CsrfForm<ModerateForm>,
) -> Result<HttpResponse, AppError> {
    let (id, action) = path.into_inner();
    let action = action_named(&action).ok_or(AppError::NotFound)?;
    let status = action.status;
    let changed = db::write(&state.pool, move |conn| {
        Ok(Comment::set_status(conn, id, status)?)
    })
    .await?;
    if changed == 0 {
        return Err(AppError::NotFound);
    }
    Ok(see_other_with(
        &back_to(&form.tab),
        &format!("Comment {}.", action.done),
    ))
}

#[derive(Deserialize, Debug)]
pub struct BulkForm {
    #[serde(default)]
    ids: Vec<i32>,
    #[serde(default)]
    action: String,
    #[serde(default)]
    tab: String,
}

pub async fn bulk(
    state: web::Data<AppState>,
    AdminUser(_): AdminUser,
    CsrfForm(form): CsrfForm<BulkForm>,
) -> Result<HttpResponse, AppError> {
    let back = back_to(&form.tab);
    let Some(action) = action_named(&form.action) else {
        return Ok(see_other_with(
            &back,
            "Choose what to do with the selected comments.",
        ));
    };
    let mut ids = form.ids;
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(see_other_with(&back, "No comments were selected."));
    }
    if ids.len() > MAX_BULK {
        return Err(AppError::BadRequest(format!(
            "Select at most {MAX_BULK} comments at once."
        )));
    }
    let status = action.status;
    let changed = db::write(&state.pool, move |conn| {
        Ok(Comment::set_status_many(conn, &ids, status)?)
    })
    .await?;
    let count = i64::try_from(changed).unwrap_or(i64::MAX);
    Ok(see_other_with(
        &back,
        &format!("{} {}.", plural(count, "comment", "comments"), action.done),
    ))
}
