//! Password checks give their working memory back: a flood of sign-ins on
//! many threads leaves the process about as large as it was.

use crate::{alone, status_mb};
use broadsheet::auth::password::{self, Cost};

#[test]
fn many_threads_checking_passwords_keep_no_hash_memory_afterwards() {
    let _alone = alone();
    let stored = password::hash("the right password", Cost::Full).unwrap();
    let before = status_mb("VmRSS:");
    // As the server's blocking threads would: many threads, each checking
    // several sign-ins (19 MiB of working memory per check).
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let stored = stored.clone();
            std::thread::spawn(move || {
                for _ in 0..3 {
                    assert!(!password::verify(
                        "a wrong guess",
                        Some(&stored),
                        Cost::Full
                    ));
                }
                assert!(password::verify(
                    "the right password",
                    Some(&stored),
                    Cost::Full
                ));
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let after = status_mb("VmRSS:");
    assert!(
        after - before < 30.0,
        "{before:.1} MB before, {after:.1} MB after 32 checks on 8 threads"
    );
}
