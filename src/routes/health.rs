//! `/healthz`: for monitors and load balancers.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use actix_web::{web, HttpResponse};

use crate::error::AppError;
use crate::state::AppState;

/// The longest `/healthz` takes: a monitor's own timeout is often a second
/// or two, and a check that hangs tells it less than a prompt 503.
const HEALTH_WAIT: Duration = Duration::from_millis(800);

/// 200 while the database answers a query within `HEALTH_WAIT`; 503
/// otherwise. The body names the kind of database (never its address) and
/// how the caches do.
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    use diesel::RunQueryDsl;
    // Checks left hanging on a database that stopped answering hold a
    // blocking thread each: past a few, the answer is known without another.
    let Some(slot) = CheckSlot::take() else {
        return unavailable("earlier health checks are still waiting");
    };
    let pool = state.pool.clone();
    // The pool's wait and the query together: a connection that hangs
    // (a server that stopped answering) leaves its blocking thread behind,
    // not the answer.
    let check = web::block(move || -> Result<usize, AppError> {
        let _slot = slot;
        let mut conn = pool.get_within(HEALTH_WAIT)?;
        Ok(diesel::sql_query("SELECT 1").execute(&mut *conn)?)
    });
    let answered = match actix_web::rt::time::timeout(HEALTH_WAIT, check).await {
        Ok(Ok(Ok(_))) => Ok(()),
        Ok(Ok(Err(e))) => Err(e.to_string()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no answer within {HEALTH_WAIT:?}")),
    };
    match answered {
        // The first line stays "ok" for monitors.
        Ok(()) => HttpResponse::Ok().content_type("text/plain").body(format!(
            "ok\ndatabase: {}\n{}",
            state.config.database.kind(),
            state.cache.report()
        )),
        Err(e) => unavailable(&e),
    }
}

fn unavailable(why: &str) -> HttpResponse {
    tracing::error!(error = %why, "health check failed");
    HttpResponse::ServiceUnavailable()
        .content_type("text/plain")
        .body("database unavailable\n")
}

/// Health checks running at once, at most `MOST_CHECKS`.
static CHECKS: AtomicUsize = AtomicUsize::new(0);
const MOST_CHECKS: usize = 4;

/// One of the `MOST_CHECKS`, given back when the check ends, however late.
struct CheckSlot;

impl CheckSlot {
    fn take() -> Option<CheckSlot> {
        let taken = CHECKS.fetch_add(1, Ordering::AcqRel);
        let slot = CheckSlot;
        (taken < MOST_CHECKS).then_some(slot)
    }
}

impl Drop for CheckSlot {
    fn drop(&mut self) {
        CHECKS.fetch_sub(1, Ordering::AcqRel);
    }
}
