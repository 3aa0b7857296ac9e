//! Broadsheet: a server-rendered blog engine with comments.
//! `build_app` makes the one App that `serve` runs and the tests call.

pub mod accounts;
pub mod auth;
pub mod backup;
pub mod cache;
pub mod config;
pub mod db;
pub mod error;
pub mod generate;
pub mod markdown;
pub mod middleware;
pub mod models;
pub mod routes;
pub mod schema;
pub mod slug;
pub mod view;

use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{web, App, HttpServer};

use crate::auth::limits::Limits;
use crate::config::{Config, Switch};
use crate::db::DbPool;
use crate::error::AppError;

/// Largest form body accepted (a long article in markdown fits easily).
pub const MAX_FORM_BYTES: usize = 1024 * 1024;

/// How long a form body may take to arrive, from the moment it is read: the
/// largest form in 15 s needs about 70 KB/s.
pub const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

/// Time for a client to send a request head, and to close after an answer.
const HEAD_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);
const DISCONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// What every handler can reach. Cheap to clone; no per-instance state beyond
/// the rate-limit counters, so several instances can share one database.
#[derive(Clone)]
pub struct AppState {
    pub pool: DbPool,
    pub config: Arc<Config>,
    pub limits: Arc<Limits>,
    pub cache: Arc<cache::Caches>,
    /// Signs the device cookies that keep owners signing in during a lockout.
    pub device_key: Arc<auth::device::DeviceKey>,
    /// The WAL checkpointer runs while any clone of this state lives.
    _checkpointer: Arc<()>,
}

impl AppState {
    /// Opens (creating and migrating) the database named in the config.
    pub fn open(config: Config) -> Result<AppState, db::OpenError> {
        AppState::open_with(config, db::Create::IfMissing)
    }

    /// Opens the database named in the config; with `Create::Never` a
    /// missing file is refused.
    pub fn open_with(config: Config, create: db::Create) -> Result<AppState, db::OpenError> {
        let pool = db::open(&config.database, create)?;
        let alive = Arc::new(());
        db::spawn_checkpointer(&config.database, Arc::downgrade(&alive));
        let limits = Limits::new(config.rate_limits == Switch::On);
        let cache = cache::Caches::new(config.cache_revalidate_ms, config.cache_mb);
        let device_key = pool
            .get()
            .map_err(AppError::from)
            .and_then(|mut conn| {
                db::write_with(&mut conn, |conn| {
                    models::User::fill_skeletons(conn)?;
                    auth::device::DeviceKey::load_or_create(conn)
                })
            })
            .map_err(|source| db::OpenError::Sqlite {
                path: config.database.clone(),
                source,
            })?;
        Ok(AppState {
            pool,
            config: Arc::new(config),
            limits: Arc::new(limits),
            cache: Arc::new(cache),
            device_key: Arc::new(device_key),
            _checkpointer: alive,
        })
    }
}

pub fn build_app(
    state: AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let https = state.config.secure_cookies;
    let app = App::new()
        .app_data(web::Data::new(state))
        .app_data(web::PayloadConfig::new(MAX_FORM_BYTES))
        .app_data(web::QueryConfig::default().error_handler(|_, _| {
            AppError::BadRequest("The address has a malformed query.".into()).into()
        }))
        .app_data(web::PathConfig::default().error_handler(|_, _| AppError::NotFound.into()))
        .configure(routes::configure)
        .default_service(web::to(routes::not_found));
    middleware::stack(app, https)
}

/// Serves until SIGTERM or Ctrl-C, then finishes the requests under way.
pub async fn serve(state: AppState) -> std::io::Result<()> {
    let bind = state.config.bind.clone();
    let server = HttpServer::new({
        let state = state.clone();
        move || build_app(state.clone())
    })
    .bind(&bind)?
    .client_request_timeout(HEAD_TIMEOUT)
    .client_disconnect_timeout(DISCONNECT_TIMEOUT)
    .shutdown_timeout(10)
    // Per worker (two on two cores): database work is short and the pool has
    // 8 connections; more blocking threads would only wait, each growing its
    // own memory arena.
    .worker_max_blocking_threads(4);
    // Limiter keys whose budget is full again are forgotten, so a flood of
    // new names or addresses cannot keep memory.
    let limits = state.limits.clone();
    actix_web::rt::spawn(async move {
        let mut every = actix_web::rt::time::interval(std::time::Duration::from_secs(60));
        loop {
            every.tick().await;
            limits.prune();
        }
    });
    for addr in server.addrs() {
        tracing::info!("listening on {addr}");
    }
    println!(
        "Broadsheet is running: open http://{bind}/ (public address {})",
        state.config.base_url()
    );
    server.run().await
}
