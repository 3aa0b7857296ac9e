//! The tests that measure the whole process's resident memory: a binary of
//! their own, apart from the rest of the suite, and one at a time (`alone`),
//! so no other test's allocations count in what they read.

mod hash_concurrency;
mod media_memory;
mod password_memory;

use std::sync::{Mutex, MutexGuard};

/// A field of /proc/self/status (`VmRSS:`, `VmHWM:`) in MB.
pub fn status_mb(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux's /proc");
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("a {field} line"));
    kb / 1024.0
}

/// Held for the whole of a test: the others wait.
pub fn alone() -> MutexGuard<'static, ()> {
    static ONE: Mutex<()> = Mutex::new(());
    ONE.lock().unwrap_or_else(|e| e.into_inner())
}
