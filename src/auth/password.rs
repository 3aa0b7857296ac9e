//! Argon2id password hashes (the crate's default, OWASP-recommended cost).
//! Hashing is slow on purpose: the server calls `hash_bounded` and
//! `verify_bounded`, which run it off the async workers and a few at a time.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

use actix_web::web;
use tokio::sync::Semaphore;

use crate::error::AppError;

/// Hashes and checks running at once, process-wide: each takes a core for a
/// while, and the rest of the cores must keep serving pages.
pub const CONCURRENT_HASHES: usize = 2;
static HASHING: Semaphore = Semaphore::const_new(CONCURRENT_HASHES);

pub const MIN_LEN: usize = 10;
/// Longer inputs are refused before hashing so they cannot tie up the server.
pub const MAX_LEN: usize = 1024;

pub fn hash(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(AppError::Hashing)
}

/// True when `password` matches `stored`. With no stored hash (unknown user)
/// it still spends the time of a check, so both answers take as long.
pub fn verify(password: &str, stored: Option<&str>) -> bool {
    let dummy;
    let stored = match stored {
        Some(s) => s,
        None => {
            dummy = dummy_hash();
            dummy.as_str()
        }
    };
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

/// `hash` on the blocking pool, waiting its turn among `CONCURRENT_HASHES`.
pub async fn hash_bounded(password: String) -> Result<String, AppError> {
    let _permit = HASHING.acquire().await.map_err(AppError::HashingStopped)?;
    web::block(move || hash(&password)).await?
}

/// `verify` on the blocking pool, waiting its turn among `CONCURRENT_HASHES`.
pub async fn verify_bounded(password: String, stored: Option<String>) -> Result<bool, AppError> {
    let _permit = HASHING.acquire().await.map_err(AppError::HashingStopped)?;
    Ok(web::block(move || verify(&password, stored.as_deref())).await?)
}

fn dummy_hash() -> &'static String {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash("a password nobody has").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let h = hash("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", Some(&h)));
        assert!(!verify("wrong horse battery", Some(&h)));
        assert!(!verify("anything", None));
    }
}
