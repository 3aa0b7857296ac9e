//! `/healthz`: for monitors and load balancers.

use actix_web::{web, HttpResponse};

use crate::{db, AppState};

/// 200 while the database answers a query; 503 otherwise. The body names
/// the kind of database (never its address) and how the caches do.
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    use diesel::RunQueryDsl;
    match db::run(&state.pool, |conn| {
        Ok(diesel::sql_query("SELECT 1").execute(conn)?)
    })
    .await
    {
        // The first line stays "ok" for monitors.
        Ok(_) => HttpResponse::Ok().content_type("text/plain").body(format!(
            "ok\ndatabase: {}\n{}",
            state.config.database.kind(),
            state.cache.report()
        )),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            HttpResponse::ServiceUnavailable()
                .content_type("text/plain")
                .body("database unavailable\n")
        }
    }
}
