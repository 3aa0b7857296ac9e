//! Argon2id password hashes (the crate's default, OWASP-recommended cost).
//! Hashing is slow on purpose: call these inside `web::block`.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

use crate::error::AppError;

pub const MIN_LEN: usize = 10;
/// Longer inputs are refused before hashing so they cannot tie up the server.
pub const MAX_LEN: usize = 1024;

pub fn hash(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("hashing failed: {e}")))
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
