//! The time the site runs on: the system's, or for tests a clock they move
//! forward (`Config::clock`), so a scheduled post falls due without a wait.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use chrono::{Duration, NaiveDateTime, Timelike, Utc};

/// The system's time, or that time moved ahead by what a test asked.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    /// Seconds ahead of the system's time; `None` for the system's own.
    ahead: Option<Arc<AtomicI64>>,
}

impl Clock {
    /// A clock that starts at the system's time and that `advance` moves.
    /// Set in code only, never by a flag or the environment.
    pub fn settable() -> Clock {
        Clock {
            ahead: Some(Arc::default()),
        }
    }

    /// The current time as stored: UTC without a zone, whole seconds.
    pub fn now(&self) -> NaiveDateTime {
        let now = Utc::now().naive_utc();
        let now = now - Duration::nanoseconds(i64::from(now.nanosecond()));
        match &self.ahead {
            Some(ahead) => now + Duration::seconds(ahead.load(Ordering::Relaxed)),
            None => now,
        }
    }

    /// Moves a settable clock forward (every clone of it).
    ///
    /// # Panics
    /// On the system's clock, which nothing moves.
    pub fn advance(&self, by: Duration) {
        let ahead = self.ahead.as_ref().expect("only a settable clock moves");
        ahead.fetch_add(by.num_seconds(), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_settable_clock_moves_forward_for_every_clone() {
        let clock = Clock::settable();
        let copy = clock.clone();
        let before = Clock::default().now();
        clock.advance(Duration::hours(2));
        let moved = copy.now() - before;
        assert!(moved >= Duration::hours(2) && moved < Duration::hours(2) + Duration::seconds(5));
        assert_eq!(copy.now().nanosecond(), 0);
    }
}
