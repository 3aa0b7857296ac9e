//! Broadsheet: a server-rendered blog engine with comments.
//! `build_app` makes the one App that `serve` runs and the tests call.

pub mod accounts;
pub mod auth;
pub mod cache;
pub mod config;
pub mod db;
pub mod error;
pub mod generate;
pub mod markdown;
pub mod models;
pub mod routes;
pub mod schema;
pub mod slug;
pub mod view;

use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::{from_fn, Compress};
use actix_web::{web, App, HttpServer};

use crate::auth::limits::Limits;
use crate::config::{Config, Switch};
use crate::db::DbPool;
use crate::error::AppError;

/// Largest form body accepted (a long article in markdown fits easily).
pub const MAX_FORM_BYTES: usize = 1024 * 1024;

/// What every handler can reach. Cheap to clone; no per-instance state beyond
/// the rate-limit counters, so several instances can share one database.
#[derive(Clone)]
pub struct AppState {
    pub pool: DbPool,
    pub config: Arc<Config>,
    pub limits: Arc<Limits>,
    pub cache: Arc<cache::Caches>,
}

impl AppState {
    /// Opens (creating and migrating) the database named in the config.
    pub fn open(config: Config) -> Result<AppState, AppError> {
        let pool = db::open(&config.database)?;
        let limits = Limits::new(config.rate_limits == Switch::On);
        let cache = cache::Caches::new(config.cache_revalidate_ms, config.cache_mb);
        Ok(AppState {
            pool,
            config: Arc::new(config),
            limits: Arc::new(limits),
            cache: Arc::new(cache),
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
    App::new()
        .app_data(web::Data::new(state))
        .app_data(web::PayloadConfig::new(MAX_FORM_BYTES))
        .app_data(web::QueryConfig::default().error_handler(|_, _| {
            AppError::BadRequest("The address has a malformed query.".into()).into()
        }))
        .app_data(web::PathConfig::default().error_handler(|_, _| AppError::NotFound.into()))
        .configure(routes::configure)
        .default_service(web::to(routes::not_found))
        .wrap(from_fn(routes::error_pages))
        .wrap(from_fn(auth::session::load))
        .wrap(Compress::default())
        .wrap(from_fn(routes::conditional::etags))
        .wrap(from_fn(cache::serve))
        .wrap(routes::security_headers())
        .wrap(from_fn(routes::log_requests))
}

/// Serves until SIGTERM or Ctrl-C, then finishes the requests under way.
pub async fn serve(state: AppState) -> std::io::Result<()> {
    let bind = state.config.bind.clone();
    let server = HttpServer::new({
        let state = state.clone();
        move || build_app(state.clone())
    })
    .bind(&bind)?
    .shutdown_timeout(10)
    // Per worker (two on two cores): database work is short and the pool has
    // 8 connections; more blocking threads would only wait, each growing its
    // own memory arena.
    .worker_max_blocking_threads(4);
    for addr in server.addrs() {
        tracing::info!("listening on {addr}");
    }
    println!(
        "Broadsheet is running: open http://{bind}/ (public address {})",
        state.config.base_url()
    );
    server.run().await
}
