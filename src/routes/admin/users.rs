//! Managing accounts: the list, roles, and disabling or enabling a user.
//! The site always keeps one enabled admin.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{layout, AdminFrame, AdminNav, Frame};
use crate::auth::csrf::NoFields;
use crate::auth::{AdminUser, CsrfForm, Visitor};
use crate::db;
use crate::error::AppError;
use crate::models::paging::Paging;
use crate::models::user::{Refusal, UserRow};
use crate::models::{Role, User};
use crate::routes::{see_other_with, PageNumber};
use crate::state::AppState;
use crate::view::{self, iso, render_with, Layout, Pager};

const PER_PAGE: i64 = 50;
const LIST: &str = "/admin/users";

#[derive(Template)]
#[template(path = "admin/users.html")]
pub struct UsersPage {
    layout: Layout,
    nav: AdminNav,
    me: i32,
    roles: &'static [Role],
    rows: Vec<UserRow>,
    pager: Pager,
    /// A refused role change: whose, and why.
    refused: Option<RoleRefusal>,
}

/// A role the form sent that no account can have, shown above the list.
pub struct RoleRefusal {
    pub user_id: i32,
    pub message: String,
}

impl UsersPage {
    /// Why this user's role was not changed, or "".
    pub fn refusal_for(&self, user_id: &i32) -> &str {
        match &self.refused {
            Some(r) if r.user_id == *user_id => &r.message,
            _ => "",
        }
    }
}

impl UserRow {
    /// "Nov 26, 2026".
    pub fn joined(&self) -> String {
        self.user.created_at.format("%b %-d, %Y").to_string()
    }

    pub fn joined_iso(&self) -> String {
        iso(&self.user.created_at)
    }
}

pub async fn list(
    state: web::Data<AppState>,
    visitor: Visitor,
    AdminFrame(frame): AdminFrame,
    PageNumber(page): PageNumber,
) -> Result<HttpResponse, AppError> {
    users_page(&state, &visitor, &frame, page, None, StatusCode::OK).await
}

/// Page `page` of the list; a refused role change is named above it.
async fn users_page(
    state: &AppState,
    visitor: &Visitor,
    frame: &Frame,
    page: i64,
    refused: Option<RoleRefusal>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let list = db::run(&state.pool, move |conn| {
        Ok(User::page_with_comment_counts(
            conn,
            Paging::new(page, PER_PAGE),
        )?)
    })
    .await?;
    if list.is_past_the_end() {
        return Err(AppError::NotFound);
    }
    render_with(
        status,
        &UsersPage {
            layout: layout(visitor, &frame.settings, "Users"),
            nav: frame.nav("users"),
            me: frame.user.id,
            roles: Role::ALL,
            pager: Pager::new(LIST, list.page, list.more),
            rows: list.items,
            refused,
        },
    )
}

#[derive(Deserialize, Debug)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

const LAST_ADMIN: &str =
    "The site needs an enabled admin: make someone else an admin before you step down.";

pub async fn set_role(
    state: web::Data<AppState>,
    visitor: Visitor,
    AdminUser(me): AdminUser,
    id: web::Path<i32>,
    CsrfForm(form): CsrfForm<RoleForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let Some(role) = Role::parse(&form.role) else {
        // Only a hand-made request sends another role: the list again, with
        // the problem named beside the user's own form.
        let names: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        let refused = RoleRefusal {
            user_id: id,
            message: format!(
                "“{}” is not a role: choose {}.",
                view::shorten(form.role.trim(), 40),
                names.join(", ")
            ),
        };
        let frame = Frame::load(&state, me).await?;
        return users_page(
            &state,
            &visitor,
            &frame,
            1,
            Some(refused),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let changed = db::write(&state.pool, move |conn| {
        Ok(User::change_role(conn, id, role)?)
    })
    .await?;
    match changed {
        Ok(user) if user.id == me.id && role != Role::Admin => {
            // No longer an admin: the user list is closed to them now.
            let to = if role == Role::Author { "/admin" } else { "/" };
            Ok(see_other_with(
                to,
                &format!("You are now {} {}.", article(role), role.as_str()),
            ))
        }
        Ok(user) => Ok(see_other_with(
            LIST,
            &format!(
                "{} is now {} {}.",
                user.username,
                article(role),
                role.as_str()
            ),
        )),
        Err(Refusal::NotFound) => Err(AppError::NotFound),
        Err(Refusal::LastAdmin) => Ok(see_other_with(LIST, LAST_ADMIN)),
    }
}

fn article(role: Role) -> &'static str {
    match role {
        Role::Admin | Role::Author => "an",
        Role::Commenter => "a",
    }
}

pub async fn disable(
    state: web::Data<AppState>,
    AdminUser(me): AdminUser,
    id: web::Path<i32>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let changed = db::write(&state.pool, move |conn| {
        Ok(User::change_disabled(conn, id, true)?)
    })
    .await?;
    match changed {
        // Their own sessions ended with it, this one included.
        Ok(user) if user.id == me.id => Ok(see_other_with("/", "Your account is disabled.")),
        Ok(user) => Ok(see_other_with(
            LIST,
            &format!("{} is disabled and signed out everywhere.", user.username),
        )),
        Err(Refusal::NotFound) => Err(AppError::NotFound),
        Err(Refusal::LastAdmin) => Ok(see_other_with(
            LIST,
            "The site needs an enabled admin: you cannot disable the last one.",
        )),
    }
}

pub async fn enable(
    state: web::Data<AppState>,
    AdminUser(_): AdminUser,
    id: web::Path<i32>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let changed = db::write(&state.pool, move |conn| {
        Ok(User::change_disabled(conn, id, false)?)
    })
    .await?;
    match changed {
        Ok(user) => Ok(see_other_with(
            LIST,
            &format!("{} is enabled and may sign in again.", user.username),
        )),
        Err(_) => Err(AppError::NotFound),
    }
}
