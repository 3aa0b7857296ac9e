//! Rate limits for sign-in, registration and comments (governor, keyed by
//! client address or account). `--rate-limits off` lifts them for benchmarks.

use std::num::NonZeroU32;

use actix_web::HttpRequest;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::AppError;

type Keyed = DefaultKeyedRateLimiter<String>;

pub struct Limits {
    enabled: bool,
    login_ip: Keyed,
    login_account: Keyed,
    register_ip: Keyed,
    comment_user: Keyed,
    comment_ip: Keyed,
}

fn quota(per_minute: u32, burst: u32) -> Quota {
    let per = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
    Quota::per_minute(per).allow_burst(burst)
}

fn per_hour(n: u32) -> Quota {
    Quota::per_hour(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN))
}

impl Limits {
    pub fn new(enabled: bool) -> Self {
        Limits {
            enabled,
            login_ip: RateLimiter::keyed(quota(10, 10)),
            login_account: RateLimiter::keyed(quota(5, 10)),
            register_ip: RateLimiter::keyed(per_hour(5)),
            comment_user: RateLimiter::keyed(quota(5, 5)),
            comment_ip: RateLimiter::keyed(quota(10, 10)),
        }
    }

    fn check(&self, limiter: &Keyed, key: &str, message: &str) -> Result<(), AppError> {
        if !self.enabled {
            return Ok(());
        }
        if limiter.len() > 100_000 {
            limiter.retain_recent();
        }
        limiter
            .check_key(&key.to_ascii_lowercase())
            .map_err(|_| AppError::TooManyRequests(message.to_string()))
    }

    /// Counts a sign-in attempt from this address for this account.
    pub fn login(&self, ip: &str, account: &str) -> Result<(), AppError> {
        let msg = "Too many sign-in attempts. Please wait a few minutes before trying again.";
        self.check(&self.login_ip, ip, msg)?;
        self.check(&self.login_account, account, msg)
    }

    pub fn register(&self, ip: &str) -> Result<(), AppError> {
        self.check(
            &self.register_ip,
            ip,
            "Too many new accounts from your network. Please try again in an hour.",
        )
    }

    pub fn comment(&self, ip: &str, user_id: i32) -> Result<(), AppError> {
        let msg =
            "You are commenting faster than we can read. Please wait a minute and post again.";
        self.check(&self.comment_ip, ip, msg)?;
        self.check(&self.comment_user, &user_id.to_string(), msg)
    }
}

/// The client's address as the server sees it (a proxy's, behind one).
pub fn client_ip(req: &HttpRequest) -> String {
    req.peer_addr()
        .map_or_else(|| "unknown".to_string(), |a| a.ip().to_string())
}
