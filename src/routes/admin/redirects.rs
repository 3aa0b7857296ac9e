//! Old addresses that answer 301: the list, adding one, deleting one.

use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{layout, AdminFrame, AdminNav, Frame};
use crate::accounts::FieldErrors;
use crate::auth::csrf::NoFields;
use crate::auth::{AdminUser, CsrfForm, Visitor};
use crate::db;
use crate::error::AppError;
use crate::models::paging::Paging;
use crate::models::redirect::{self, Redirect};
use crate::models::Settings;
use crate::routes::{see_other_with, PageNumber};
use crate::state::AppState;
use crate::view::{render_with, Layout, Pager};

const PER_PAGE: i64 = 50;
const LIST: &str = "/admin/redirects";

#[derive(Template)]
#[template(path = "admin/redirects.html")]
pub struct RedirectsPage {
    layout: Layout,
    nav: AdminNav,
    rows: Vec<Redirect>,
    total: i64,
    pager: Pager,
    form: RedirectForm,
    errors: FieldErrors,
}

#[derive(Deserialize, Debug, Default, Clone)]
pub struct RedirectForm {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

impl RedirectForm {
    /// The old address as stored and the target, or each problem by field.
    fn check(&self) -> Result<(String, String), FieldErrors> {
        let mut errors = FieldErrors::default();
        let from = redirect::normalise_from(&self.from);
        if from.is_none() {
            errors.add(
                "from",
                "Enter the old address as a path such as /2019/05/03/old-post/ (or the old site's full address).",
            );
        }
        let to = self.to.trim().to_string();
        if !redirect::valid_target(&to) {
            errors.add(
                "to",
                "Enter where it moved: a path on this site such as /posts/new-post, or an https:// address.",
            );
        }
        match from {
            Some(from) if errors.is_empty() && from == to => {
                errors.add("to", "An address cannot redirect to itself.");
                Err(errors)
            }
            Some(from) if errors.is_empty() => Ok((from, to)),
            _ => Err(errors),
        }
    }
}

async fn page(
    state: &AppState,
    visitor: &Visitor,
    settings: &Settings,
    nav: AdminNav,
    page: i64,
    (form, errors): (RedirectForm, FieldErrors),
) -> Result<HttpResponse, AppError> {
    let (list, total) = db::run(&state.pool, move |conn| {
        Ok((
            Redirect::page(conn, Paging::new(page, PER_PAGE))?,
            Redirect::count(conn)?,
        ))
    })
    .await?;
    if list.is_past_the_end() {
        return Err(AppError::NotFound);
    }
    render_with(
        errors.status(),
        &RedirectsPage {
            layout: layout(visitor, settings, "Redirects").with_csrf(visitor),
            nav,
            pager: Pager::new(LIST, list.page, list.more),
            rows: list.items,
            total,
            form,
            errors,
        },
    )
}

pub async fn list(
    state: web::Data<AppState>,
    visitor: Visitor,
    AdminFrame(frame): AdminFrame,
    PageNumber(number): PageNumber,
) -> Result<HttpResponse, AppError> {
    page(
        &state,
        &visitor,
        &frame.settings,
        frame.nav("redirects"),
        number,
        (RedirectForm::default(), FieldErrors::default()),
    )
    .await
}

pub async fn create(
    state: web::Data<AppState>,
    visitor: Visitor,
    AdminUser(user): AdminUser,
    CsrfForm(form): CsrfForm<RedirectForm>,
) -> Result<HttpResponse, AppError> {
    let errors = match form.check() {
        Ok((from, to)) => {
            let now = state.now();
            let saved = db::write(&state.pool, move |conn| {
                Ok(Redirect::add(conn, &from, &to, now)?)
            })
            .await;
            match saved {
                Ok(()) => return Ok(see_other_with(LIST, "Redirect saved.")),
                Err(e) if e.is_not_saved() => FieldErrors::not_saved(),
                Err(e) => return Err(e),
            }
        }
        Err(errors) => errors,
    };
    let frame = Frame::load(&state, user).await?;
    page(
        &state,
        &visitor,
        &frame.settings,
        frame.nav("redirects"),
        1,
        (form, errors),
    )
    .await
}

pub async fn delete(
    state: web::Data<AppState>,
    AdminUser(_): AdminUser,
    id: web::Path<i32>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let removed = db::write(&state.pool, move |conn| Ok(Redirect::delete(conn, id)?)).await?;
    if removed == 0 {
        return Err(AppError::NotFound);
    }
    Ok(see_other_with(LIST, "Redirect deleted."))
}
