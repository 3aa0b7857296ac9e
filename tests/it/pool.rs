//! The connection pool's bound: however many requests want the database at
//! once, a process opens at most `db::pool_size()` connections (each with a
//! page cache of its own); the rest wait their turn and are served.

use std::time::Duration;

use crate::common::TestApp;
use broadsheet::db;

#[test]
fn more_users_than_connections_wait_their_turn_and_the_pool_stays_bounded() {
    let app = TestApp::new();
    let pool = app.state().pool;
    let size = db::pool_size();
    assert!(size >= 4, "{size}");
    let wanting = size * 3;
    let served: Vec<u32> = std::thread::scope(|s| {
        let users: Vec<_> = (0..wanting)
            .map(|_| {
                let pool = &pool;
                s.spawn(move || {
                    let conn = pool.get().expect("a connection within the pool's timeout");
                    std::thread::sleep(Duration::from_millis(50));
                    let open = pool.connections();
                    drop(conn);
                    open
                })
            })
            .collect();
        users.into_iter().map(|u| u.join().unwrap()).collect()
    });
    assert_eq!(served.len() as u32, wanting);
    let most = served.iter().copied().max().unwrap();
    assert!(most <= size, "{most} connections open, the bound is {size}");
    assert_eq!(most, size, "the pool opens its connections up to the bound");
}
