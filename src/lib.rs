//! Broadsheet: a server-rendered blog engine with comments.
//! `build_app` makes the one App that `serve` runs and the tests call.

pub mod accounts;
pub mod assets;
pub mod auth;
pub mod backup;
pub mod cache;
pub mod cli_error;
pub mod clock;
pub mod commands;
pub mod config;
pub mod connections;
pub mod copy;
pub mod db;
pub mod error;
pub mod export;
pub mod form;
pub mod generate;
pub mod import;
pub mod local_path;
pub mod markdown;
pub mod media;
pub mod memory;
pub mod middleware;
pub mod models;
pub mod routes;
pub mod schema;
pub mod scratch;
pub mod slug;
pub mod state;
pub mod view;

#[cfg(test)]
mod layering;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{web, App, HttpServer};

use crate::error::AppError;
pub use crate::state::AppState;

/// Largest form body accepted (a long article in markdown fits easily).
pub const MAX_FORM_BYTES: usize = 1024 * 1024;

pub use crate::auth::csrf::BODY_TIMEOUT;

/// Time for a client to send a request head, and to close after an answer.
const HEAD_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);
const DISCONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

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
    let media = state.media.clone();
    let app = App::new()
        .app_data(web::Data::new(state.auth_site()))
        .app_data(web::Data::new(state))
        .app_data(web::PayloadConfig::new(MAX_FORM_BYTES))
        .app_data(web::QueryConfig::default().error_handler(|_, _| {
            AppError::BadRequest("The address has a malformed query.".into()).into()
        }))
        .app_data(web::PathConfig::default().error_handler(|_, _| AppError::NotFound.into()))
        .configure(move |cfg| routes::configure(cfg, &media))
        .default_service(web::to(routes::not_found));
    middleware::stack(app, https)
}

/// Serves until SIGTERM or Ctrl-C, then finishes the requests under way.
pub async fn serve(state: AppState) -> std::io::Result<()> {
    let bind = state.config.bind.clone();
    match connections::raise_open_files_limit() {
        Ok(files) => tracing::info!("open-file limit: {files}"),
        Err(e) => tracing::warn!("open-file limit not raised: {e}"),
    }
    // `--rate-limits off` (benchmarks: a thousand connections from one
    // address) lifts the cap with the other limits.
    let max = match state.config.rate_limits {
        config::Switch::On => connections::MAX_PER_ADDRESS,
        config::Switch::Off => usize::MAX,
    };
    let cap = connections::ConnectionCap::new(max, state.config.trusted_proxy.clone());
    let server = HttpServer::new({
        let state = state.clone();
        move || build_app(state.clone())
    })
    .on_connect(move |conn, data| {
        let Some(tcp) = conn.downcast_ref::<actix_web::rt::net::TcpStream>() else {
            return;
        };
        // Answers go out as soon as they are written: without TCP_NODELAY the
        // end of each file waits for the client's delayed ACK (about 40 ms per
        // image on a kept-alive connection).
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!("could not set TCP_NODELAY: {e}");
        }
        let Ok(peer) = tcp.peer_addr() else { return };
        match cap.admit(peer.ip()) {
            // Given back when the connection's data is dropped, as it closes.
            connections::Admission::Counted(place) => {
                data.insert(place);
            }
            connections::Admission::Uncounted => {}
            connections::Admission::Refused => connections::refuse(tcp),
        }
    })
    .bind(&bind)?
    .client_request_timeout(HEAD_TIMEOUT)
    .client_disconnect_timeout(DISCONNECT_TIMEOUT)
    .shutdown_timeout(10)
    // Per worker (one per core): database work is short and the pool has two
    // connections per core (`db::pool_size`); more blocking threads would
    // only wait for one.
    .worker_max_blocking_threads(4);
    // Limit keys whose budget is full again are forgotten, so a flood of new
    // names or addresses cannot keep rows.
    let pool = state.pool.clone();
    actix_web::rt::spawn(async move {
        let mut every = actix_web::rt::time::interval(std::time::Duration::from_secs(60));
        loop {
            every.tick().await;
            let pruned = db::write(&pool, |conn| {
                Ok(auth::limits::Limits::prune(conn, auth::limits::now_ms())?)
            })
            .await;
            if let Err(e) = pruned {
                tracing::warn!(error = %e, "rate-limit keys not pruned");
            }
        }
    });
    // Files an upload left behind (a partial write, or files whose row a
    // crash never inserted) are removed at start and then every hour.
    let swept = state.clone();
    actix_web::rt::spawn(async move {
        let mut every = actix_web::rt::time::interval(media::SWEEP_EVERY);
        loop {
            every.tick().await;
            match media::sweep(&swept, media::ORPHAN_AGE).await {
                Ok(0) => {}
                Ok(n) => tracing::info!("removed {n} unfinished or orphaned media files"),
                Err(e) => tracing::warn!(error = %e, "the media store was not swept"),
            }
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
