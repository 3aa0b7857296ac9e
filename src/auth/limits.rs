//! Rate limits for sign-in, password changes, registration and comments
//! (governor, keyed by client address, account or device cookie).
//! `--rate-limits off` lifts them for benchmarks.
//!
//! Password checks count failures only, so a right password never spends the
//! budget, and an account's failures are counted against the account itself
//! (its id, not the typed string). A browser that brings a valid device
//! cookie for the account is counted against that cookie instead, so a
//! stranger guessing the password cannot lock its owner out (see `device`).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::num::NonZeroU32;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use actix_web::http::header::{self, HeaderMap, HeaderName};
use actix_web::{web, HttpRequest};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use ipnet::{IpNet, Ipv6Net};

use crate::error::AppError;
use crate::AppState;

type Keyed = DefaultKeyedRateLimiter<String>;

/// Past this many keys a limiter drops the ones that are back to a full
/// budget on the next check, whatever the timer does.
const PRUNE_AT: usize = 100_000;

const LOGIN_MESSAGE: &str =
    "Too many sign-in attempts. Please wait a few minutes before trying again.";
const PASSWORD_MESSAGE: &str =
    "Too many wrong passwords. Please wait a few minutes before trying again.";
const REGISTER_MESSAGE: &str =
    "Too many attempts to register from your network. Please try again in an hour.";

/// Failures per key, counted by governor. A key whose budget is spent is
/// refused until governor's next cell is due, and refusing spends nothing.
struct Failures {
    counter: Keyed,
    locked: Mutex<HashMap<String, Instant>>,
}

impl Failures {
    fn new(quota: Quota) -> Self {
        Failures {
            counter: RateLimiter::keyed(quota),
            locked: Mutex::new(HashMap::new()),
        }
    }

    fn locked(&self) -> std::sync::MutexGuard<'_, HashMap<String, Instant>> {
        self.locked.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether `key` may try now.
    fn allows(&self, key: &str) -> bool {
        self.locked()
            .get(key)
            .is_none_or(|until| *until <= Instant::now())
    }

    /// Counts a failure; false when it was one too many.
    fn fail(&self, key: &str) -> bool {
        if self.counter.len() > PRUNE_AT {
            self.counter.retain_recent();
        }
        match self.counter.check_key(&key.to_string()) {
            Ok(()) => true,
            Err(not_until) => {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                let mut locked = self.locked();
                if locked.len() > PRUNE_AT {
                    let now = Instant::now();
                    locked.retain(|_, until| *until > now);
                }
                locked.insert(key.to_string(), Instant::now() + wait);
                false
            }
        }
    }

    fn prune(&self) {
        self.counter.retain_recent();
        self.counter.shrink_to_fit();
        let now = Instant::now();
        let mut locked = self.locked();
        locked.retain(|_, until| *until > now);
        locked.shrink_to_fit();
    }

    fn len(&self) -> usize {
        self.counter.len() + self.locked().len()
    }
}

pub struct Limits {
    enabled: bool,
    login_ip: Failures,
    login_account: Failures,
    login_device: Failures,
    password_ip: Failures,
    password_account: Failures,
    register_ip: Keyed,
    register_failures: Failures,
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

fn too_many(message: &str) -> AppError {
    AppError::TooManyRequests(message.to_string())
}

impl Limits {
    pub fn new(enabled: bool) -> Self {
        Limits {
            enabled,
            login_ip: Failures::new(quota(10, 10)),
            login_account: Failures::new(quota(5, 10)),
            login_device: Failures::new(quota(5, 10)),
            password_ip: Failures::new(quota(10, 10)),
            password_account: Failures::new(quota(10, 10)),
            register_ip: RateLimiter::keyed(per_hour(5)),
            register_failures: Failures::new(per_hour(20)),
            comment_user: RateLimiter::keyed(quota(5, 5)),
            comment_ip: RateLimiter::keyed(quota(10, 10)),
        }
    }

    fn check(&self, limiter: &Keyed, key: &str, message: &str) -> Result<(), AppError> {
        if !self.enabled {
            return Ok(());
        }
        if limiter.len() > PRUNE_AT {
            limiter.retain_recent();
        }
        limiter
            .check_key(&key.to_ascii_lowercase())
            .map_err(|_| too_many(message))
    }

    /// Whether a sign-in to `account` (see `account_key`) may be tried from
    /// this address, with this device cookie's nonce if it brought a valid one.
    pub fn login_allowed(
        &self,
        ip: &str,
        account: &str,
        device: Option<&str>,
    ) -> Result<(), AppError> {
        let allowed = !self.enabled
            || (self.login_ip.allows(ip)
                && match device {
                    Some(nonce) => self.login_device.allows(nonce),
                    None => self.login_account.allows(account),
                });
        if allowed {
            Ok(())
        } else {
            Err(too_many(LOGIN_MESSAGE))
        }
    }

    /// Counts a wrong password; 429 when it was one too many.
    pub fn login_failed(
        &self,
        ip: &str,
        account: &str,
        device: Option<&str>,
    ) -> Result<(), AppError> {
        if !self.enabled {
            return Ok(());
        }
        let by_ip = self.login_ip.fail(ip);
        let by_account = match device {
            Some(nonce) => self.login_device.fail(nonce),
            None => self.login_account.fail(account),
        };
        if by_ip && by_account {
            Ok(())
        } else {
            Err(too_many(LOGIN_MESSAGE))
        }
    }

    /// Whether a signed-in user may have their current password checked.
    pub fn password_allowed(&self, ip: &str, user_id: i32) -> Result<(), AppError> {
        let allowed = !self.enabled
            || (self.password_ip.allows(ip) && self.password_account.allows(&user_key(user_id)));
        if allowed {
            Ok(())
        } else {
            Err(too_many(PASSWORD_MESSAGE))
        }
    }

    /// Counts a wrong current password; 429 when it was one too many.
    pub fn password_failed(&self, ip: &str, user_id: i32) -> Result<(), AppError> {
        if !self.enabled {
            return Ok(());
        }
        let by_ip = self.password_ip.fail(ip);
        let by_account = self.password_account.fail(&user_key(user_id));
        if by_ip && by_account {
            Ok(())
        } else {
            Err(too_many(PASSWORD_MESSAGE))
        }
    }

    /// Counts an account about to be made from this address.
    pub fn register(&self, ip: &str) -> Result<(), AppError> {
        self.check(
            &self.register_ip,
            ip,
            "Too many new accounts from your network. Please try again in an hour.",
        )
    }

    /// Whether this address may try to register (it has not spent its
    /// budget of refused attempts, which would tell it which names exist).
    pub fn register_allowed(&self, ip: &str) -> Result<(), AppError> {
        if !self.enabled || self.register_failures.allows(ip) {
            Ok(())
        } else {
            Err(too_many(REGISTER_MESSAGE))
        }
    }

    /// Counts a refused registration (a taken name or email, bad input).
    pub fn register_failed(&self, ip: &str) -> Result<(), AppError> {
        if !self.enabled || self.register_failures.fail(ip) {
            Ok(())
        } else {
            Err(too_many(REGISTER_MESSAGE))
        }
    }

    pub fn comment(&self, ip: &str, user_id: i32) -> Result<(), AppError> {
        let msg =
            "You are commenting faster than we can read. Please wait a minute and post again.";
        self.check(&self.comment_ip, ip, msg)?;
        self.check(&self.comment_user, &user_id.to_string(), msg)
    }

    fn failures(&self) -> [&Failures; 6] {
        [
            &self.login_ip,
            &self.login_account,
            &self.login_device,
            &self.password_ip,
            &self.password_account,
            &self.register_failures,
        ]
    }

    fn keyed(&self) -> [&Keyed; 3] {
        [&self.register_ip, &self.comment_user, &self.comment_ip]
    }

    /// Forgets every key whose budget is full again; `serve` calls it on a timer.
    pub fn prune(&self) {
        for f in self.failures() {
            f.prune();
        }
        for k in self.keyed() {
            k.retain_recent();
            k.shrink_to_fit();
        }
    }

    /// How many keys the limiters hold, all together.
    pub fn key_count(&self) -> usize {
        self.failures().iter().map(|f| f.len()).sum::<usize>()
            + self.keyed().iter().map(|k| k.len()).sum::<usize>()
    }
}

fn user_key(id: i32) -> String {
    format!("u:{id}")
}

/// The key an account's sign-in failures are counted under: its id when the
/// name is known, else the typed name (already capped) without regard to case.
pub fn account_key(user_id: Option<i32>, login: &str) -> String {
    match user_id {
        Some(id) => user_key(id),
        None => format!("n:{}", login.to_lowercase()),
    }
}

/// The key of the client's address for every limit: the peer, or behind a
/// `--trusted-proxy` the address that proxy was reached from. IPv6 clients
/// are keyed by their /64, which one household or server usually holds whole.
pub fn client_ip(req: &HttpRequest) -> String {
    let Some(peer) = req.peer_addr().map(|a| a.ip()) else {
        return "unknown".to_string();
    };
    let trusted = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.config.trusted_proxy.clone())
        .unwrap_or_default();
    address_key(forwarded_client(peer, req.headers(), &trusted))
}

fn address_key(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => Ipv6Net::new(v6, 64)
            .map(|net| net.trunc().to_string())
            .unwrap_or_else(|_| v6.to_string()),
    }
}

/// The client behind trusted proxies: `Forwarded` (or else `X-Forwarded-For`)
/// is read only when the peer is trusted, from the right, and the first
/// address that is not itself a trusted proxy is the client. A hop that
/// names no address stops the walk at the last trusted one.
pub fn forwarded_client(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| {
        let ip = ip.to_canonical();
        trusted.iter().any(|net| net.contains(&ip))
    };
    if !is_trusted(&peer) {
        return peer;
    }
    let mut client = peer;
    for hop in forwarded_chain(headers).into_iter().rev() {
        let Some(ip) = hop else { break };
        client = ip;
        if !is_trusted(&ip) {
            break;
        }
    }
    client
}

/// Each hop the proxies recorded, nearest the client first.
fn forwarded_chain(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let values = |name: &HeaderName| {
        headers
            .get_all(name)
            .flat_map(|v| v.to_str().unwrap_or("unknown").split(','))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    if headers.contains_key(header::FORWARDED) {
        values(&header::FORWARDED)
            .iter()
            .map(|element| {
                element
                    .split(';')
                    .filter_map(|pair| pair.split_once('='))
                    .find(|(name, _)| name.trim().eq_ignore_ascii_case("for"))
                    .and_then(|(_, value)| parse_hop(value))
            })
            .collect()
    } else {
        let xff = HeaderName::from_static("x-forwarded-for");
        values(&xff).iter().map(|hop| parse_hop(hop)).collect()
    }
}

/// `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1` or `"[2001:db8::1]:4711"`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim().trim_matches('"');
    if let Some(rest) = hop.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    if let Ok(ip) = hop.parse() {
        return Some(ip);
    }
    let (host, _port) = hop.rsplit_once(':')?;
    host.parse::<Ipv4Addr>().ok().map(IpAddr::V4)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        map
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_headers_count_only_from_trusted_peers() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let h = headers(&[("x-forwarded-for", "198.51.100.9, 203.0.113.5, 10.0.0.2")]);
        assert_eq!(
            forwarded_client(ip("10.0.0.1"), &h, &trusted),
            ip("203.0.113.5"),
            "the rightmost address that is not a proxy"
        );
        assert_eq!(
            forwarded_client(ip("192.0.2.7"), &h, &trusted),
            ip("192.0.2.7"),
            "an untrusted peer's header is ignored"
        );
        assert_eq!(forwarded_client(ip("10.0.0.1"), &h, &[]), ip("10.0.0.1"));
        let h = headers(&[(
            "forwarded",
            "for=198.51.100.9, for=\"[2001:db8:cafe::17]:4711\";proto=https",
        )]);
        assert_eq!(
            forwarded_client(ip("10.0.0.1"), &h, &trusted),
            ip("2001:db8:cafe::17")
        );
        let h = headers(&[("x-forwarded-for", "unknown")]);
        assert_eq!(
            forwarded_client(ip("10.0.0.1"), &h, &trusted),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_64() {
        assert_eq!(address_key(ip("2001:db8:1:2:aaaa::1")), "2001:db8:1:2::/64");
        assert_eq!(
            address_key(ip("2001:db8:1:2:bbbb::9")),
            address_key(ip("2001:db8:1:2:aaaa::1"))
        );
        assert_ne!(
            address_key(ip("2001:db8:1:3::1")),
            address_key(ip("2001:db8:1:2::1"))
        );
        assert_eq!(address_key(ip("::ffff:192.0.2.1")), "192.0.2.1");
    }
}
