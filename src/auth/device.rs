//! Device cookies, OWASP's answer to lockout by strangers: after a successful
//! sign-in the browser keeps `broadsheet_device`, the account's id and a
//! random nonce signed (HMAC-SHA256) with a key the server made for itself on
//! its first start. A sign-in that brings a valid one for the account it names
//! is limited per cookie instead of per account, so someone guessing the
//! password elsewhere cannot lock the owner out.

use crate::db::Conn;
use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::HttpRequest;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::auth::session::random_token;
use crate::error::AppError;
use crate::models::server_key;

pub const DEVICE_COOKIE: &str = "broadsheet_device";
const LIFETIME_DAYS: i64 = 365;
const KEY_NAME: &str = "device_cookie";

pub struct DeviceKey {
    key: Vec<u8>,
}

impl std::fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DeviceKey(..)")
    }
}

impl DeviceKey {
    /// The server's signing key, generated at random the first time and kept
    /// in the database, so every instance and every restart shares it.
    pub fn load_or_create(conn: &mut Conn) -> Result<DeviceKey, AppError> {
        let stored = server_key::get_or_create(conn, KEY_NAME, &random_token())?;
        let key = hex::decode(stored.trim()).map_err(AppError::DeviceKeyNotHex)?;
        if key.len() < 32 {
            return Err(AppError::DeviceKeyTooShort { bytes: key.len() });
        }
        Ok(DeviceKey { key })
    }

    fn mac(&self, payload: &str) -> Result<Hmac<Sha256>, AppError> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).map_err(AppError::DeviceKey)?;
        mac.update(payload.as_bytes());
        Ok(mac)
    }

    /// A new device cookie for a browser that just signed in to `user_id`.
    pub fn issue(&self, user_id: i32, secure: bool) -> Result<Cookie<'static>, AppError> {
        let payload = format!("{user_id}.{}", random_token());
        let signature = hex::encode(self.mac(&payload)?.finalize().into_bytes());
        Ok(
            Cookie::build(DEVICE_COOKIE, format!("{payload}.{signature}"))
                // Only the sign-in form needs it.
                .path("/login")
                .http_only(true)
                .same_site(SameSite::Lax)
                .secure(secure)
                .max_age(time::Duration::days(LIFETIME_DAYS))
                .finish(),
        )
    }

    /// The nonce of the request's device cookie when it is valid for
    /// `user_id`: signed by this server and naming that account.
    pub fn nonce_for(&self, req: &HttpRequest, user_id: i32) -> Option<String> {
        let cookie = req.cookie(DEVICE_COOKIE)?;
        let (payload, signature) = cookie.value().rsplit_once('.')?;
        let (id, nonce) = payload.split_once('.')?;
        if id.parse::<i32>().ok()? != user_id {
            return None;
        }
        let signature = hex::decode(signature).ok()?;
        self.mac(payload).ok()?.verify_slice(&signature).ok()?;
        Some(nonce.to_string())
    }
}
