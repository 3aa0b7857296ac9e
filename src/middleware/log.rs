//! One log line per request (method, path, status, time) through tracing.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;

/// Middleware: one log line per request through tracing.
pub async fn log_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.path().to_string();
    let res = next.call(req).await;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    match &res {
        Ok(r) => {
            tracing::info!(%method, %path, status = r.status().as_u16(), ms = format!("{ms:.2}"), "request")
        }
        Err(e) => {
            tracing::warn!(%method, %path, error = %e, ms = format!("{ms:.2}"), "request failed")
        }
    }
    res
}
