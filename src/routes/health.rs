//! `/healthz`: for monitors and load balancers.

use actix_web::{web, HttpResponse};

use crate::{db, AppState};

/// 200 while the database answers a query; 503 otherwise.
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    use diesel::RunQueryDsl;
    match db::run(&state.pool, |conn| {
        Ok(diesel::sql_query("SELECT 1").execute(conn)?)
    })
    .await
    {
        // The first line stays "ok" for monitors; then how the caches do.
        Ok(_) => HttpResponse::Ok()
            .content_type("text/plain")
            .body(format!("ok\n{}", state.cache.report())),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            HttpResponse::ServiceUnavailable()
                .content_type("text/plain")
                .body("database unavailable\n")
        }
    }
}
