//! Accounts: register, sign in and out, first-run setup, and the signed-in
//! user's own settings.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::accounts::{self, Admins, FieldErrors};
use crate::auth::csrf::NoFields;
use crate::auth::limits::{self, client_ip};
use crate::auth::{password, session, CsrfForm, CurrentUser, Visitor};
use crate::db;
use crate::error::AppError;
use crate::models::{Role, Session, Settings, User};
use crate::routes::{see_other, see_other_with};
use crate::state::AppState;
use crate::view::{render, render_with, Layout};

/// Where to go after signing in: a local path only. Anything that a browser
/// could read as another host (`//evil`, `/\evil`, a scheme) becomes "/".
pub fn safe_next(next: &str) -> String {
    if crate::local_path::is_local_path(next) {
        next.to_string()
    } else {
        "/".to_string()
    }
}

#[derive(Template)]
#[template(path = "account/register.html")]
pub struct RegisterPage {
    layout: Layout,
    heading: &'static str,
    intro: &'static str,
    action: &'static str,
    button: &'static str,
    username: String,
    email: String,
    next: String,
    errors: FieldErrors,
}

#[derive(Deserialize, Debug)]
pub struct RegisterForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

#[derive(Deserialize, Debug, Default)]
pub struct NextQuery {
    next: Option<String>,
}

/// Register and setup share one form; they differ in words and the role given.
struct Signup {
    heading: &'static str,
    intro: &'static str,
    action: &'static str,
    button: &'static str,
    role: Role,
}

const REGISTER: Signup = Signup {
    heading: "Create an account",
    intro: "Register to join the conversation under every article.",
    action: "/register",
    button: "Create account",
    role: Role::Commenter,
};

const SETUP: Signup = Signup {
    heading: "Set up your blog",
    intro:
        "Create the administrator account. This page works once: when an admin exists it is gone.",
    action: "/setup",
    button: "Create admin account",
    role: Role::Admin,
};

async fn settings(state: &AppState) -> Result<Arc<Settings>, AppError> {
    state.cache.settings(&state.pool).await
}

fn signup_page(
    signup: &Signup,
    layout: Layout,
    form: Option<&RegisterForm>,
    next: String,
    errors: FieldErrors,
) -> RegisterPage {
    RegisterPage {
        layout,
        heading: signup.heading,
        intro: signup.intro,
        action: signup.action,
        button: signup.button,
        username: form.map(|f| f.username.clone()).unwrap_or_default(),
        email: form.map(|f| f.email.clone()).unwrap_or_default(),
        next,
        errors,
    }
}

pub async fn register_form(
    state: web::Data<AppState>,
    visitor: Visitor,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, AppError> {
    if visitor.user().is_some() {
        return Ok(see_other("/"));
    }
    let settings = settings(&state).await?;
    let layout = Layout::new(&visitor, &settings, REGISTER.heading).with_csrf(&visitor);
    let next = safe_next(query.next.as_deref().unwrap_or("/"));
    render(&signup_page(
        &REGISTER,
        layout,
        None,
        next,
        FieldErrors::default(),
    ))
}

pub async fn register(
    state: web::Data<AppState>,
    visitor: Visitor,
    req: HttpRequest,
    CsrfForm(form): CsrfForm<RegisterForm>,
) -> Result<HttpResponse, AppError> {
    signup(&state, &visitor, &REGISTER, form, &client_ip(&req)).await
}

/// 404 once an admin exists: the page is for the first start only.
async fn ensure_no_admin(state: &AppState) -> Result<(), AppError> {
    if db::run(&state.pool, |conn| Ok(User::admin_exists(conn)?)).await? {
        return Err(AppError::NotFound);
    }
    Ok(())
}

pub async fn setup_form(
    state: web::Data<AppState>,
    visitor: Visitor,
) -> Result<HttpResponse, AppError> {
    ensure_no_admin(&state).await?;
    let settings = settings(&state).await?;
    let layout = Layout::new(&visitor, &settings, SETUP.heading).with_csrf(&visitor);
    render(&signup_page(
        &SETUP,
        layout,
        None,
        "/admin".into(),
        FieldErrors::default(),
    ))
}

pub async fn setup(
    state: web::Data<AppState>,
    visitor: Visitor,
    req: HttpRequest,
    CsrfForm(mut form): CsrfForm<RegisterForm>,
) -> Result<HttpResponse, AppError> {
    ensure_no_admin(&state).await?;
    form.next = "/admin".into();
    signup(&state, &visitor, &SETUP, form, &client_ip(&req)).await
}

/// Validates, creates the account, signs it in; or shows the form again (422).
async fn signup(
    state: &AppState,
    visitor: &Visitor,
    kind: &'static Signup,
    form: RegisterForm,
    ip: &str,
) -> Result<HttpResponse, AppError> {
    // Refused attempts tell which names and emails exist: they are limited too.
    state.limits.register_allowed(&state.pool, ip).await?;
    let username = form.username.trim().to_string();
    let email = form.email.trim().to_string();
    let (u, e, p) = (username.clone(), email.clone(), form.password.clone());
    let mut errors = db::run(&state.pool, move |conn| {
        accounts::check_new(conn, &u, &e, &p)
    })
    .await?;
    if errors.is_empty() {
        // Only accounts about to be made count against the address's limit.
        state.limits.register(&state.pool, ip).await?;
        let hash =
            password::hash_bounded(form.password.clone(), state.config.password_cost).await?;
        let secure = state.config.secure_cookies;
        let role = kind.role;
        let (u, e) = (username.clone(), email.clone());
        let created = db::write(&state.pool, move |conn| {
            // A second admin must not slip in between the check and the insert.
            match accounts::create(conn, &u, &e, &hash, role, Admins::FirstOnly)? {
                Some(user) => Ok(Some((session::start(conn, user.id, secure)?, user))),
                None => Ok(None),
            }
        })
        .await;
        match created {
            Ok(Some((cookie, user))) => {
                end_visitor_session(state, visitor).await?;
                let mut res = see_other_with(
                    &safe_next(&form.next),
                    &format!("Welcome, {}! You are signed in.", user.display_name),
                );
                res.add_cookie(&cookie).map_err(AppError::Cookie)?;
                return Ok(res);
            }
            Ok(None) => errors.add("username", accounts::TAKEN_MEANWHILE),
            Err(e) if e.is_not_saved() => errors = FieldErrors::not_saved(),
            Err(e) => return Err(e),
        }
    }
    state.limits.register_failed(&state.pool, ip).await?;
    let settings = settings(state).await?;
    let layout = Layout::new(visitor, &settings, kind.heading).with_csrf(visitor);
    let next = safe_next(&form.next);
    let form = RegisterForm {
        username,
        email,
        ..form
    };
    render_with(
        errors.status(),
        &signup_page(kind, layout, Some(&form), next, errors),
    )
}

/// Signing in replaces any session the browser had, so an old token is never reused.
async fn end_visitor_session(state: &AppState, visitor: &Visitor) -> Result<(), AppError> {
    if let Some(id) = visitor.session_id() {
        db::write(&state.pool, move |conn| Ok(Session::delete(conn, id)?)).await?;
    }
    Ok(())
}

#[derive(Template)]
#[template(path = "account/login.html")]
pub struct LoginPage {
    layout: Layout,
    username: String,
    next: String,
    error: String,
    /// No admin exists yet: the page points the owner to `/setup`, which
    /// the welcome post cannot link for good (it is gone after set-up).
    set_up: bool,
}

#[derive(Deserialize, Debug)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

pub async fn login_form(
    state: web::Data<AppState>,
    visitor: Visitor,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, AppError> {
    let next = safe_next(query.next.as_deref().unwrap_or("/"));
    if visitor.user().is_some() {
        return Ok(see_other(&next));
    }
    let settings = settings(&state).await?;
    let set_up = !db::run(&state.pool, |conn| Ok(User::admin_exists(conn)?)).await?;
    let layout = Layout::new(&visitor, &settings, "Sign in").with_csrf(&visitor);
    render(&LoginPage {
        layout,
        username: String::new(),
        next,
        error: String::new(),
        set_up,
    })
}

pub async fn login(
    state: web::Data<AppState>,
    visitor: Visitor,
    req: HttpRequest,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let login = form.username.trim().to_string();
    let next = safe_next(&form.next);
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    let ip = client_ip(&req);
    let error = if login.is_empty() || form.password.is_empty() {
        "Enter your username (or email) and your password.".to_string()
    } else if login.len() > accounts::MAX_LOGIN_LEN || form.password.len() > password::MAX_LEN {
        // No account has such a name: refused before any limiter or query.
        "The username or password is not right.".to_string()
    } else {
        let l = login.clone();
        let limits = state.limits;
        let (user, may_sign_in) = db::run(&state.pool, move |conn| {
            let user = User::find_by_login(conn, &l)?;
            let may = match &user {
                Some(user) => limits.sign_in_allowed(conn, user.id)?,
                None => true,
            };
            Ok((user, may))
        })
        .await?;
        let account = limits::account_key(user.as_ref().map(|u| u.id), &login);
        let device = user
            .as_ref()
            .and_then(|u| state.device_key.nonce_for(&req, u.id));
        state
            .limits
            .login_allowed(&state.pool, &ip, &account, device.as_deref())
            .await?;
        if !may_sign_in {
            return login_refused(&state, &visitor, login, next).await;
        }
        let stored = user.as_ref().map(|u| u.password_hash.clone());
        // The same work whether or not the user exists, so timing tells nothing.
        let matches =
            password::verify_bounded(form.password.clone(), stored, state.config.password_cost)
                .await?;
        match user {
            Some(user) if matches && user.disabled => {
                "This account has been disabled. Contact the site's editors.".to_string()
            }
            Some(user) if matches => {
                let secure = state.config.secure_cookies;
                let device_cookie = state.device_key.issue(user.id, secure)?;
                let old = visitor.session_id();
                let limits = state.limits;
                let started = db::write(&state.pool, move |conn| {
                    // Another sign-in may have spent the budget since it was read.
                    if !limits.sign_in(conn, user.id)? {
                        return Ok(None);
                    }
                    // The browser's old session ends as the new one starts,
                    // so an old token is never reused.
                    if let Some(id) = old {
                        Session::delete(conn, id)?;
                    }
                    session::start(conn, user.id, secure).map(Some)
                })
                .await;
                match started {
                    Ok(None) => return login_refused(&state, &visitor, login, next).await,
                    Ok(Some(cookie)) => {
                        let mut res = see_other(&next);
                        res.add_cookie(&cookie).map_err(AppError::Cookie)?;
                        res.add_cookie(&device_cookie).map_err(AppError::Cookie)?;
                        return Ok(res);
                    }
                    Err(e) if e.is_not_saved() => {
                        status = StatusCode::SERVICE_UNAVAILABLE;
                        "You are not signed in: the server could not save your session just now. \
                         Please try again in a moment."
                            .to_string()
                    }
                    Err(e) => return Err(e),
                }
            }
            _ => {
                state
                    .limits
                    .login_failed(&state.pool, &ip, &account, device.as_deref())
                    .await?;
                "The username or password is not right.".to_string()
            }
        }
    };
    let settings = settings(&state).await?;
    let layout = Layout::new(&visitor, &settings, "Sign in").with_csrf(&visitor);
    render_with(
        status,
        &LoginPage {
            layout,
            username: login,
            next,
            error,
            set_up: false,
        },
    )
}

/// 429 with the sign-in form: the account's budget of sign-ins is spent.
async fn login_refused(
    state: &AppState,
    visitor: &Visitor,
    username: String,
    next: String,
) -> Result<HttpResponse, AppError> {
    let settings = settings(state).await?;
    let layout = Layout::new(visitor, &settings, "Sign in").with_csrf(visitor);
    render_with(
        StatusCode::TOO_MANY_REQUESTS,
        &LoginPage {
            layout,
            username,
            next,
            error: limits::SIGN_INS_MESSAGE.to_string(),
            set_up: false,
        },
    )
}

#[derive(Deserialize, Debug)]
pub struct LogoutForm {
    /// The page the reader signed out from; they stay on it.
    #[serde(default)]
    next: String,
}

pub async fn logout(
    state: web::Data<AppState>,
    visitor: Visitor,
    CsrfForm(form): CsrfForm<LogoutForm>,
) -> Result<HttpResponse, AppError> {
    end_visitor_session(&state, &visitor).await?;
    let next = if form.next.is_empty() {
        "/".to_string()
    } else {
        safe_next(&form.next)
    };
    let mut res = see_other_with(&next, "You are signed out.");
    res.add_cookie(&session::removal_cookie(state.config.secure_cookies))
        .map_err(AppError::Cookie)?;
    Ok(res)
}

#[derive(Template)]
#[template(path = "account/settings.html")]
pub struct AccountPage {
    layout: Layout,
    user: User,
    display_name: String,
    errors: FieldErrors,
}

async fn account_page(
    state: &AppState,
    visitor: &Visitor,
    user: User,
    display_name: Option<String>,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let settings = settings(state).await?;
    let status = errors.status();
    let display_name = display_name.unwrap_or_else(|| user.display_name.clone());
    let layout = Layout::new(visitor, &settings, "Your account");
    render_with(
        status,
        &AccountPage {
            layout,
            user,
            display_name,
            errors,
        },
    )
}

pub async fn account(
    state: web::Data<AppState>,
    visitor: Visitor,
    CurrentUser(user): CurrentUser,
) -> Result<HttpResponse, AppError> {
    account_page(&state, &visitor, user, None, FieldErrors::default()).await
}

#[derive(Deserialize, Debug)]
pub struct ProfileForm {
    #[serde(default)]
    display_name: String,
}

pub async fn update_profile(
    state: web::Data<AppState>,
    visitor: Visitor,
    CurrentUser(user): CurrentUser,
    CsrfForm(form): CsrfForm<ProfileForm>,
) -> Result<HttpResponse, AppError> {
    let name = form
        .display_name
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let mut errors = FieldErrors::default();
    if let Some(problem) = accounts::display_name_problem(&name) {
        errors.add("display_name", problem);
    } else {
        let (n, me) = (name.clone(), user.id);
        if db::run(&state.pool, move |conn| Ok(User::look_alike(conn, &n, me)?))
            .await?
            .is_some()
        {
            errors.add(
                "display_name",
                "That name looks like another account's name. Please choose one of your own.",
            );
        }
    }
    if !errors.is_empty() {
        return account_page(&state, &visitor, user, Some(form.display_name), errors).await;
    }
    let id = user.id;
    let saved = db::write(&state.pool, move |conn| {
        Ok(User::set_display_name(conn, id, &name)?)
    })
    .await;
    match saved {
        Ok(_) => Ok(see_other_with("/account", "Your display name is saved.")),
        Err(e) if e.is_not_saved() => {
            let errors = FieldErrors::not_saved();
            account_page(&state, &visitor, user, Some(form.display_name), errors).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize, Debug)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

pub async fn change_password(
    state: web::Data<AppState>,
    visitor: Visitor,
    req: HttpRequest,
    CurrentUser(user): CurrentUser,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    let mut errors = FieldErrors::default();
    if let Some(problem) = accounts::password_problem(&form.new_password) {
        errors.add("new_password", problem);
    }
    let ip = client_ip(&req);
    state
        .limits
        .password_allowed(&state.pool, &ip, user.id)
        .await?;
    let current_ok = form.current_password.len() <= password::MAX_LEN
        && password::verify_bounded(
            form.current_password.clone(),
            Some(user.password_hash.clone()),
            state.config.password_cost,
        )
        .await?;
    if !current_ok {
        state
            .limits
            .password_failed(&state.pool, &ip, user.id)
            .await?;
        errors.add("current_password", "That is not your current password.");
    }
    if !errors.is_empty() {
        return account_page(&state, &visitor, user, None, errors).await;
    }
    let hash =
        password::hash_bounded(form.new_password.clone(), state.config.password_cost).await?;
    let (id, keep) = (user.id, visitor.session_id());
    let saved = db::write(&state.pool, move |conn| {
        User::set_password_hash(conn, id, &hash)?;
        Session::delete_for_user(conn, id, keep)?;
        Ok(())
    })
    .await;
    match saved {
        Ok(()) => Ok(see_other_with(
            "/account",
            "Your password is changed. Your other sessions were signed out.",
        )),
        Err(e) if e.is_not_saved() => {
            account_page(&state, &visitor, user, None, FieldErrors::not_saved()).await
        }
        Err(e) => Err(e),
    }
}

pub async fn sign_out_everywhere(
    state: web::Data<AppState>,
    CurrentUser(user): CurrentUser,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    db::write(&state.pool, move |conn| {
        Ok(Session::delete_for_user(conn, user.id, None)?)
    })
    .await?;
    let mut res = see_other_with("/login", "You are signed out on every device.");
    res.add_cookie(&session::removal_cookie(state.config.secure_cookies))
        .map_err(AppError::Cookie)?;
    Ok(res)
}
