//! Giving freed memory back to the system. glibc returns freed memory only
//! from the top of its heap, or blocks it mapped on their own (above
//! `MALLOC_MMAP_THRESHOLD_`, which `serve` sets); after a burst of small
//! allocations, such as an import's markup parsed and sanitised, the pages
//! freed below blocks still in use stay resident until `malloc_trim`
//! releases them.

/// Asks the allocator to return the free pages of its heap; whether any
/// came back. It walks every arena under its lock: call it after a burst
/// (an import), never per request.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn give_back() -> bool {
    // SAFETY: malloc_trim takes no pointers and changes only glibc's own
    // free lists, under their locks.
    unsafe { libc::malloc_trim(0) == 1 }
}

/// Other allocators (musl's, macOS's) give large frees back themselves and
/// have no such call.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn give_back() -> bool {
    false
}
