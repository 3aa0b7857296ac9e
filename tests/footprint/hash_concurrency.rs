//! Sign-ins wait their turn for a password check: however many arrive at
//! once, only `concurrent_hashes()` checks hold their 19 MiB of working
//! memory together.

use crate::{alone, status_mb};
use broadsheet::auth::password::{self, Cost};

#[test]
fn a_flood_of_sign_ins_holds_the_memory_of_a_few_checks_at_most() {
    let _alone = alone();
    // A runtime of its own, inside the turn: the lock is not async.
    actix_web::rt::System::new().block_on(flood());
}

async fn flood() {
    let stored = password::hash("the right password", Cost::Full).unwrap();
    // From here the peak counts again from what the process holds now.
    std::fs::write("/proc/self/clear_refs", "5").expect("Linux's /proc");
    let before = status_mb("VmRSS:");
    let checks = (0..12).map(|_| {
        password::verify_bounded("a wrong guess".into(), Some(stored.clone()), Cost::Full)
    });
    let answers = futures_util::future::join_all(checks).await;
    assert!(answers.into_iter().all(|a| a.is_ok_and(|matched| !matched)));
    let peak = status_mb("VmHWM:");
    let hashes = password::concurrent_hashes();
    let allowed = hashes as f64 * 19.0 + 12.0;
    assert!(
        peak - before < allowed,
        "{before:.1} MB before, a peak of {peak:.1} MB for 12 checks at once; \
         {hashes} at a time may hold {allowed:.0} MB more"
    );
}
