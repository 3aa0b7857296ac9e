//! Argon2id password hashes (the crate's default, OWASP-recommended cost).
//! Hashing is slow on purpose: the server calls `hash_bounded` and
//! `verify_bounded`, which run it off the async workers and a few at a time.
//! A hash carries its own cost, so one made at any cost verifies.

use std::sync::OnceLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};

use actix_web::web;
use tokio::sync::Semaphore;

use crate::error::AppError;

/// Hashes and checks running at once, process-wide: half the cores this
/// process may use (at least one). Each takes a core and 19 MiB for a while,
/// and the other cores must keep serving pages; on one core a second hash
/// at once would only hold its memory longer, not finish sooner.
pub fn concurrent_hashes() -> usize {
    static HASHES: OnceLock<usize> = OnceLock::new();
    *HASHES.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        (cores / 2).max(1)
    })
}

fn hashing() -> &'static Semaphore {
    static HASHING: OnceLock<Semaphore> = OnceLock::new();
    HASHING.get_or_init(|| Semaphore::new(concurrent_hashes()))
}

/// What making a new hash costs: `Config::password_cost`.
pub use crate::config::PasswordCost as Cost;

/// The Argon2 parameters of a cost.
fn argon(cost: Cost) -> Argon2<'static> {
    match cost {
        Cost::Full => Argon2::default(),
        Cost::Test => Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(64, 1, 1, None).expect("valid Argon2 parameters"),
        ),
    }
}

pub const MIN_LEN: usize = 10;
/// Longer inputs are refused before hashing so they cannot tie up the server.
pub const MAX_LEN: usize = 1024;

/// The working memory of one hash (19 MiB at the default cost) is reserved
/// above 32 MiB, the highest glibc's adaptive mmap threshold goes on 64-bit,
/// so it always gets a mapping of its own, given back when the hash ends;
/// only the part the hash uses is ever touched. Left to the argon2 crate,
/// each thread's malloc arena kept its own 19 MiB and more: a sign-in flood
/// left the server at 650 MB.
const ALWAYS_MAPPED: usize = 33 << 20;

fn hash_into(argon: &Argon2, password: &[u8], salt: &[u8], out: &mut [u8]) -> argon2::Result<()> {
    let blocks = argon.params().block_count();
    let mut memory: Vec<Block> =
        Vec::with_capacity(blocks.max(ALWAYS_MAPPED / std::mem::size_of::<Block>()));
    memory.resize(blocks, Block::default());
    argon.hash_password_into_with_memory(password, salt, out, &mut memory)
}

pub fn hash(password: &str, cost: Cost) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    let argon = argon(cost);
    let mut salt_bytes = [0u8; 64];
    let raw_salt = salt
        .as_salt()
        .decode_b64(&mut salt_bytes)
        .map_err(AppError::Hashing)?;
    let output = Output::init_with(Params::DEFAULT_OUTPUT_LEN, |out| {
        hash_into(&argon, password.as_bytes(), raw_salt, out).map_err(Into::into)
    })
    .map_err(AppError::Hashing)?;
    let params = ParamsString::try_from(argon.params()).map_err(AppError::Hashing)?;
    Ok(PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    }
    .to_string())
}

/// True when `password` matches `stored`. With no stored hash (unknown user)
/// it still spends the time of a check at the site's `cost`, so both
/// answers take as long.
pub fn verify(password: &str, stored: Option<&str>, cost: Cost) -> bool {
    let stored = match stored {
        Some(s) => s,
        None => dummy_hash(cost),
    };
    matches(password, stored).unwrap_or(false)
}

/// Whether `password` gives the hash `stored` holds, under its own algorithm,
/// version and cost; `None` for a stored value that is no Argon2 hash.
fn matches(password: &str, stored: &str) -> Option<bool> {
    let parsed = PasswordHash::new(stored).ok()?;
    let algorithm = Algorithm::try_from(parsed.algorithm).ok()?;
    let version = match parsed.version {
        Some(v) => Version::try_from(v).ok()?,
        None => Version::default(),
    };
    let params = Params::try_from(&parsed).ok()?;
    let (salt, expected) = (parsed.salt?, parsed.hash?);
    let mut salt_bytes = [0u8; 64];
    let raw_salt = salt.decode_b64(&mut salt_bytes).ok()?;
    let argon = Argon2::new(algorithm, version, params);
    let mut out = vec![0u8; expected.len()];
    hash_into(&argon, password.as_bytes(), raw_salt, &mut out).ok()?;
    // Output's comparison takes the same time wherever the bytes differ.
    Some(Output::new(&out).ok()? == expected)
}

/// `hash` on the blocking pool, waiting its turn among `concurrent_hashes()`.
pub async fn hash_bounded(password: String, cost: Cost) -> Result<String, AppError> {
    let _permit = hashing()
        .acquire()
        .await
        .map_err(AppError::HashingStopped)?;
    web::block(move || hash(&password, cost)).await?
}

/// `verify` on the blocking pool, waiting its turn among `concurrent_hashes()`.
pub async fn verify_bounded(
    password: String,
    stored: Option<String>,
    cost: Cost,
) -> Result<bool, AppError> {
    let _permit = hashing()
        .acquire()
        .await
        .map_err(AppError::HashingStopped)?;
    Ok(web::block(move || verify(&password, stored.as_deref(), cost)).await?)
}

fn dummy_hash(cost: Cost) -> &'static str {
    static FULL: OnceLock<String> = OnceLock::new();
    static TEST: OnceLock<String> = OnceLock::new();
    let dummy = match cost {
        Cost::Full => &FULL,
        Cost::Test => &TEST,
    };
    dummy.get_or_init(|| hash("a password nobody has", cost).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let h = hash("correct horse battery", Cost::Full).unwrap();
        // The real cost, written into the hash: Argon2id, 19 MiB, 2 passes.
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("correct horse battery", Some(&h), Cost::Full));
        assert!(!verify("wrong horse battery", Some(&h), Cost::Full));
        assert!(!verify("anything", None, Cost::Full));
    }

    #[test]
    fn hashes_are_read_and_written_as_the_argon2_crate_does() {
        use argon2::{PasswordHasher, PasswordVerifier};
        // A hash stored before this module managed the memory still signs in.
        let salt = SaltString::generate(&mut OsRng);
        let old = Argon2::default()
            .hash_password(b"an older password", &salt)
            .unwrap()
            .to_string();
        assert!(verify("an older password", Some(&old), Cost::Full));
        assert!(!verify("an older passwore", Some(&old), Cost::Full));
        // And a new hash is one the crate itself accepts.
        let new = hash("a newer password", Cost::Full).unwrap();
        let parsed = PasswordHash::new(&new).unwrap();
        assert!(Argon2::default()
            .verify_password(b"a newer password", &parsed)
            .is_ok());
        // Other costs are read from the hash itself.
        let cheap = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(1024, 1, 1, None).unwrap(),
        )
        .hash_password(b"cheap and old", &salt)
        .unwrap()
        .to_string();
        assert!(verify("cheap and old", Some(&cheap), Cost::Full));
        assert!(!verify("anything", Some("not a hash"), Cost::Full));
        // A test fixture's hash is cheap, and verifies at the site's cost.
        let fixture = hash("a fixture's password", Cost::Test).unwrap();
        assert!(
            fixture.starts_with("$argon2id$v=19$m=64,t=1,p=1$"),
            "{fixture}"
        );
        assert!(verify("a fixture's password", Some(&fixture), Cost::Full));
    }
}
