//! Rate limits for sign-in, password changes, registration and comments,
//! keyed by client address, account or device cookie, and counted in the
//! database so that every instance on it spends one budget.
//! `--rate-limits off` lifts them for benchmarks.
//!
//! Password checks count failures only, so a right password never spends the
//! budget, and an account's failures are counted against the account itself
//! (its id, not the typed string). A browser that brings a valid device
//! cookie for the account is counted against that cookie instead, so a
//! stranger guessing the password cannot lock its owner out (see `device`).
//!
//! Each key keeps one number, GCRA's theoretical arrival time: a budget of
//! `burst` refilled one every `interval`. A key whose time has passed is
//! back to a full budget, so its row can go (`prune`).

use std::net::{IpAddr, Ipv4Addr};

use actix_web::http::header::{self, HeaderMap, HeaderName};
use actix_web::{web, HttpRequest};
use diesel::prelude::*;
use diesel::upsert::excluded;
use ipnet::{IpNet, Ipv6Net};

use crate::auth::Site;
use crate::db::{self, Conn, DbPool};
use crate::error::AppError;
use crate::schema::rate_limits;

const LOGIN_MESSAGE: &str =
    "Too many sign-in attempts. Please wait a few minutes before trying again.";
const PASSWORD_MESSAGE: &str =
    "Too many wrong passwords. Please wait a few minutes before trying again.";
const REGISTER_MESSAGE: &str =
    "Too many attempts to register from your network. Please try again in an hour.";
const NEW_ACCOUNTS_MESSAGE: &str =
    "Too many new accounts from your network. Please try again in an hour.";
pub const SIGN_INS_MESSAGE: &str =
    "This account has signed in too many times in the last minute. Please wait a minute and try again.";
pub const COMMENT_MESSAGE: &str =
    "You are commenting faster than we can read. Please wait a minute and post again.";

/// Keys longer than this are cut: a device nonce or a typed name is bounded
/// before it gets here, so only a stored row's size is at stake.
const MAX_KEY: usize = 200;

/// One budget, stored under `name`.
#[derive(Clone, Copy, Debug)]
struct Bucket {
    name: &'static str,
    /// Milliseconds until one more try is allowed.
    interval: i64,
    burst: i64,
}

const fn per_minute(name: &'static str, per_minute: i64, burst: i64) -> Bucket {
    Bucket {
        name,
        interval: 60_000 / per_minute,
        burst,
    }
}

const fn per_hour(name: &'static str, n: i64) -> Bucket {
    Bucket {
        name,
        interval: 3_600_000 / n,
        burst: n,
    }
}

const LOGIN_IP: Bucket = per_minute("login_ip", 10, 10);
const LOGIN_ACCOUNT: Bucket = per_minute("login_account", 5, 10);
const LOGIN_DEVICE: Bucket = per_minute("login_device", 5, 10);
const PASSWORD_IP: Bucket = per_minute("password_ip", 10, 10);
const PASSWORD_ACCOUNT: Bucket = per_minute("password_account", 10, 10);
const REGISTER_IP: Bucket = per_hour("register_ip", 5);
const REGISTER_FAILURES: Bucket = per_hour("register_failures", 20);
/// Right passwords too: each costs a password check (the slot every
/// sign-in waits for) and a session row. Ten a minute is far more than a
/// person signs in, even on many devices.
const SIGN_IN_ACCOUNT: Bucket = per_minute("sign_in_account", 10, 10);
const COMMENT_USER: Bucket = per_minute("comment_user", 5, 5);
const COMMENT_IP: Bucket = per_minute("comment_ip", 10, 10);

/// Milliseconds since the Unix epoch. Instances sharing a database need
/// clocks in step (NTP) for their limits to agree.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl Bucket {
    /// How far ahead of `now` a key may run and still be allowed one more.
    fn slack(&self) -> i64 {
        self.interval * (self.burst - 1)
    }

    fn stored(&self, conn: &mut Conn, key: &str) -> QueryResult<Option<i64>> {
        rate_limits::table
            .find((self.name, key))
            .select(rate_limits::tat)
            .first(conn)
            .optional()
    }

    /// Whether one more would be allowed now (nothing is spent).
    fn allows(&self, conn: &mut Conn, key: &str, now: i64) -> QueryResult<bool> {
        Ok(self
            .stored(conn, cut(key))?
            .is_none_or(|tat| tat - now <= self.slack()))
    }

    /// Spends one; false (spending nothing) when the budget is out. Runs in
    /// a write transaction, so no other instance spends between the read
    /// and the write.
    fn spend(&self, conn: &mut Conn, key: &str, now: i64) -> QueryResult<bool> {
        let key = cut(key);
        let from = self.stored(conn, key)?.map_or(now, |tat| tat.max(now));
        if from - now > self.slack() {
            return Ok(false);
        }
        let row = (
            rate_limits::bucket.eq(self.name),
            rate_limits::key.eq(key),
            rate_limits::tat.eq(from + self.interval),
        );
        crate::each_backend!(conn, c => diesel::insert_into(rate_limits::table)
            .values(row)
            .on_conflict((rate_limits::bucket, rate_limits::key))
            .do_update()
            .set(rate_limits::tat.eq(excluded(rate_limits::tat)))
            .execute(c))?;
        Ok(true)
    }
}

fn cut(key: &str) -> &str {
    match key.char_indices().nth(MAX_KEY) {
        Some((at, _)) => &key[..at],
        None => key,
    }
}

fn too_many(message: &str) -> AppError {
    AppError::TooManyRequests(message.to_string())
}

/// Whether limits apply; the counts themselves live in the database.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    enabled: bool,
}

impl Limits {
    pub fn new(enabled: bool) -> Self {
        Limits { enabled }
    }

    /// Reads whether every `(bucket, key)` allows one more.
    async fn all_allow(
        &self,
        pool: &DbPool,
        keys: Vec<(Bucket, String)>,
        message: &'static str,
    ) -> Result<(), AppError> {
        if !self.enabled {
            return Ok(());
        }
        let allowed = db::run(pool, move |conn| {
            let now = now_ms();
            for (bucket, key) in &keys {
                if !bucket.allows(conn, key, now)? {
                    return Ok(false);
                }
            }
            Ok(true)
        })
        .await?;
        if allowed {
            Ok(())
        } else {
            Err(too_many(message))
        }
    }

    /// Spends one of every `(bucket, key)`, in one transaction; 429 when any
    /// was one too many (the others are spent all the same, as each budget
    /// counts its own tries).
    async fn spend_all(
        &self,
        pool: &DbPool,
        keys: Vec<(Bucket, String)>,
        message: &'static str,
    ) -> Result<(), AppError> {
        if !self.enabled {
            return Ok(());
        }
        let spent = db::write(pool, move |conn| {
            let now = now_ms();
            let mut all = true;
            for (bucket, key) in &keys {
                all &= bucket.spend(conn, key, now)?;
            }
            Ok(all)
        })
        .await?;
        if spent {
            Ok(())
        } else {
            Err(too_many(message))
        }
    }

    fn login_keys(ip: &str, account: &str, device: Option<&str>) -> Vec<(Bucket, String)> {
        vec![
            (LOGIN_IP, ip.to_string()),
            match device {
                Some(nonce) => (LOGIN_DEVICE, nonce.to_string()),
                None => (LOGIN_ACCOUNT, account.to_string()),
            },
        ]
    }

    /// Whether a sign-in to `account` (see `account_key`) may be tried from
    /// this address, with this device cookie's nonce if it brought a valid one.
    pub async fn login_allowed(
        &self,
        pool: &DbPool,
        ip: &str,
        account: &str,
        device: Option<&str>,
    ) -> Result<(), AppError> {
        let keys = Self::login_keys(ip, account, device);
        self.all_allow(pool, keys, LOGIN_MESSAGE).await
    }

    /// Counts a wrong password; 429 when it was one too many.
    pub async fn login_failed(
        &self,
        pool: &DbPool,
        ip: &str,
        account: &str,
        device: Option<&str>,
    ) -> Result<(), AppError> {
        let keys = Self::login_keys(ip, account, device);
        self.spend_all(pool, keys, LOGIN_MESSAGE).await
    }

    fn password_keys(ip: &str, user_id: i32) -> Vec<(Bucket, String)> {
        vec![
            (PASSWORD_IP, ip.to_string()),
            (PASSWORD_ACCOUNT, user_key(user_id)),
        ]
    }

    /// Whether a signed-in user may have their current password checked.
    pub async fn password_allowed(
        &self,
        pool: &DbPool,
        ip: &str,
        user_id: i32,
    ) -> Result<(), AppError> {
        let keys = Self::password_keys(ip, user_id);
        self.all_allow(pool, keys, PASSWORD_MESSAGE).await
    }

    /// Counts a wrong current password; 429 when it was one too many.
    pub async fn password_failed(
        &self,
        pool: &DbPool,
        ip: &str,
        user_id: i32,
    ) -> Result<(), AppError> {
        let keys = Self::password_keys(ip, user_id);
        self.spend_all(pool, keys, PASSWORD_MESSAGE).await
    }

    /// Counts an account about to be made from this address.
    pub async fn register(&self, pool: &DbPool, ip: &str) -> Result<(), AppError> {
        let keys = vec![(REGISTER_IP, ip.to_string())];
        self.spend_all(pool, keys, NEW_ACCOUNTS_MESSAGE).await
    }

    /// Whether this address may try to register (it has not spent its
    /// budget of refused attempts, which would tell it which names exist).
    pub async fn register_allowed(&self, pool: &DbPool, ip: &str) -> Result<(), AppError> {
        let keys = vec![(REGISTER_FAILURES, ip.to_string())];
        self.all_allow(pool, keys, REGISTER_MESSAGE).await
    }

    /// Counts a refused registration (a taken name or email, bad input).
    pub async fn register_failed(&self, pool: &DbPool, ip: &str) -> Result<(), AppError> {
        let keys = vec![(REGISTER_FAILURES, ip.to_string())];
        self.spend_all(pool, keys, REGISTER_MESSAGE).await
    }

    /// Spends a comment from this address and user, inside the write that
    /// stores the comment (so a comment refused for any reason spends
    /// nothing); false when either budget is out.
    pub fn comment(&self, conn: &mut Conn, ip: &str, user_id: i32) -> QueryResult<bool> {
        if !self.enabled {
            return Ok(true);
        }
        let now = now_ms();
        Ok(
            COMMENT_IP.spend(conn, ip, now)?
                && COMMENT_USER.spend(conn, &user_key(user_id), now)?,
        )
    }

    /// Whether the account may sign in once more (read before its password
    /// is checked, so a spent budget costs no password check).
    pub fn sign_in_allowed(&self, conn: &mut Conn, user_id: i32) -> QueryResult<bool> {
        if !self.enabled {
            return Ok(true);
        }
        SIGN_IN_ACCOUNT.allows(conn, &user_key(user_id), now_ms())
    }

    /// Spends one successful sign-in of the account, inside the write that
    /// starts its session; false (spending nothing) when the budget is out.
    pub fn sign_in(&self, conn: &mut Conn, user_id: i32) -> QueryResult<bool> {
        if !self.enabled {
            return Ok(true);
        }
        SIGN_IN_ACCOUNT.spend(conn, &user_key(user_id), now_ms())
    }

    /// Forgets every key whose budget is full again at `now`; `serve` calls
    /// it on a timer, so a flood of new names or addresses cannot keep rows.
    pub fn prune(conn: &mut Conn, now: i64) -> QueryResult<usize> {
        diesel::delete(rate_limits::table.filter(rate_limits::tat.le(now))).execute(conn)
    }

    /// How many keys the limits hold, all together.
    pub fn key_count(conn: &mut Conn) -> QueryResult<i64> {
        rate_limits::table.count().get_result(conn)
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
        .app_data::<web::Data<Site>>()
        .map(|s| s.config.trusted_proxy.clone())
        .unwrap_or_default();
    address_key(forwarded_client(peer, req.headers(), &trusted))
}

pub fn address_key(ip: IpAddr) -> String {
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
