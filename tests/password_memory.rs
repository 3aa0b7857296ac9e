//! Password checks give their working memory back: a flood of sign-ins on
//! many threads leaves the process about as large as it was. (Its own test
//! binary: the measure is the whole process's resident memory.)

use broadsheet::auth::password;

fn resident_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux's /proc");
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("a VmRSS line");
    kb / 1024.0
}

#[test]
fn many_threads_checking_passwords_keep_no_hash_memory_afterwards() {
    let stored = password::hash("the right password").unwrap();
    let before = resident_mb();
    // As the server's blocking threads would: many threads, each checking
    // several sign-ins (19 MiB of working memory per check).
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let stored = stored.clone();
            std::thread::spawn(move || {
                for _ in 0..3 {
                    assert!(!password::verify("a wrong guess", Some(&stored)));
                }
                assert!(password::verify("the right password", Some(&stored)));
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let after = resident_mb();
    assert!(
        after - before < 30.0,
        "{before:.1} MB before, {after:.1} MB after 32 checks on 8 threads"
    );
}
