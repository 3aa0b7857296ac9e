//! `GET /admin`: the overview. Admins see the whole site; authors their own posts.

use actix_web::{web, HttpResponse};
use askama::Template;

use super::{layout, AdminNav, WriterFrame};
use crate::auth::Visitor;
use crate::db;
use crate::error::AppError;
use crate::models::comment::{QueuedComment, StatusCounts};
use crate::models::post::PostCounts;
use crate::models::{Comment, Post, User};
use crate::state::AppState;
use crate::view::{render, Layout};

/// How many recent comments the overview shows.
const LATEST_COMMENTS: i64 = 5;

#[derive(Template)]
#[template(path = "admin/dashboard.html")]
pub struct DashboardPage {
    layout: Layout,
    nav: AdminNav,
    name: String,
    posts: PostCounts,
    comments: StatusCounts,
    users: i64,
    latest: Vec<QueuedComment>,
}

pub async fn show(
    state: web::Data<AppState>,
    visitor: Visitor,
    WriterFrame(frame): WriterFrame,
) -> Result<HttpResponse, AppError> {
    let name = frame.user.display_name.clone();
    let (admin, me) = (frame.user.is_admin(), frame.user.id);
    let now = state.now();
    let (posts, comments, users, latest) = db::run(&state.pool, move |conn| {
        if admin {
            Ok((
                Post::counts(conn, now, None)?,
                Comment::count_by_status(conn)?,
                User::count(conn)?,
                Comment::latest(conn, now, LATEST_COMMENTS)?,
            ))
        } else {
            // Authors see their own posts only; comments and users are the admins'.
            Ok((
                Post::counts(conn, now, Some(me))?,
                StatusCounts::default(),
                0,
                Vec::new(),
            ))
        }
    })
    .await?;
    render(&DashboardPage {
        layout: layout(&visitor, &frame.settings, "Overview"),
        nav: frame.nav("dashboard"),
        name,
        posts,
        comments,
        users,
        latest,
    })
}
