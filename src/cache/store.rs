//! The store every cache is made of: a map shared by all workers, bounded
//! by the bytes its entries weigh, whose entries may expire, and the one way
//! a value enters it (`Store::load`), which never keeps a value read before
//! a clear.

use chrono::NaiveDateTime;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::Weigh;
use crate::clock::Clock;

/// What an entry costs beyond what it holds: the key's and the cache's own
/// bookkeeping (moka keeps a few pointers, counters and a timestamp each).
const ENTRY_OVERHEAD: usize = 256;

/// What a load wants kept: the value, under `key`, until `expires`.
pub struct Keep<V> {
    pub key: String,
    pub value: Arc<V>,
    pub expires: Option<NaiveDateTime>,
}

/// A loaded value, until when it is right, and whether to keep it.
pub struct Loaded<V> {
    pub value: Arc<V>,
    pub expires: Option<NaiveDateTime>,
    pub keep: bool,
}

impl<V> Loaded<V> {
    /// A value to keep until `expires`.
    pub fn until(value: Arc<V>, expires: Option<NaiveDateTime>) -> Loaded<V> {
        Loaded {
            value,
            expires,
            keep: true,
        }
    }
}

/// A value and the instant it stops being right, if any.
struct Entry<V> {
    value: Arc<V>,
    expires: Option<NaiveDateTime>,
}

// By hand: cloning shares the value, so `V` itself need not be `Clone`.
impl<V> Clone for Entry<V> {
    fn clone(&self) -> Self {
        Entry {
            value: Arc::clone(&self.value),
            expires: self.expires,
        }
    }
}

/// A map shared by all workers, bounded by the bytes its entries weigh
/// (least used go first), whose entries may expire at a set time of the
/// site's clock.
pub struct Store<V> {
    name: &'static str,
    clock: Clock,
    budget: u64,
    entries: moka::sync::Cache<String, Entry<V>>,
    /// Bumped by every `clear`, so a page built before one is not stored after it.
    generation: AtomicU64,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl<V: Weigh + Send + Sync + 'static> Store<V> {
    pub fn new(name: &'static str, budget: u64, clock: Clock) -> Store<V> {
        let entries = moka::sync::Cache::builder()
            .max_capacity(budget)
            .weigher(|key: &String, entry: &Entry<V>| {
                let bytes = key.len() + entry.value.weigh() + ENTRY_OVERHEAD;
                u32::try_from(bytes).unwrap_or(u32::MAX)
            })
            .build();
        Store {
            name,
            clock,
            budget,
            entries,
            generation: AtomicU64::new(0),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    pub fn get(&self, key: &str) -> Option<Arc<V>> {
        let found = match self.entries.get(key) {
            // One expired entry means a scheduled post fell due: all go.
            Some(Entry {
                expires: Some(at), ..
            }) if at <= self.clock.now() => {
                self.clear();
                None
            }
            found => found.map(|e| e.value),
        };
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// The entry under `key`, else what `load` gives, kept unless the
    /// store was cleared while it loaded (see [`Store::load`]).
    pub async fn get_or_load<E>(
        &self,
        key: &str,
        load: impl Future<Output = Result<Loaded<V>, E>>,
    ) -> Result<Arc<V>, E> {
        if let Some(found) = self.get(key) {
            return Ok(found);
        }
        self.load(async {
            let loaded = load.await?;
            let value = Arc::clone(&loaded.value);
            let keep = loaded.keep.then(|| Keep {
                key: key.to_string(),
                value: loaded.value,
                expires: loaded.expires,
            });
            Ok((value, keep))
        })
        .await
    }

    /// Runs `load` and keeps what it asks to keep, unless the store was
    /// cleared meanwhile: what it read may predate the change that cleared
    /// the store, and kept, it would be served until the next clear. The
    /// only way a value enters a store.
    pub async fn load<T, E>(
        &self,
        load: impl Future<Output = Result<(T, Option<Keep<V>>), E>>,
    ) -> Result<T, E> {
        let generation = self.generation();
        let (answer, keep) = load.await?;
        if let Some(Keep {
            key,
            value,
            expires,
        }) = keep
        {
            if self.generation() == generation {
                self.entries.insert(key.clone(), Entry { value, expires });
                // A clear between the check and the insert may have missed it.
                if self.generation() != generation {
                    self.entries.invalidate(&key);
                }
            }
        }
        Ok(answer)
    }

    /// Changes whenever the store is cleared.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    pub fn clear(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.entries.invalidate_all();
    }

    /// How many entries it holds (exact: pending evictions are applied first).
    pub fn len(&self) -> usize {
        self.entries.run_pending_tasks();
        usize::try_from(self.entries.entry_count()).unwrap_or(usize::MAX)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// What its entries weigh together (exact: pending evictions are applied first).
    pub fn weighed_bytes(&self) -> u64 {
        self.entries.run_pending_tasks();
        self.entries.weighted_size()
    }

    /// The most its entries may weigh together.
    pub fn budget(&self) -> u64 {
        self.budget
    }

    /// `cache pages: 12 entries, 0.4 MB of 20.0 MB, hit rate 97% (1234 of 1272)`.
    pub fn report(&self) -> String {
        let (hits, misses) = (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        );
        let rate = match hits + misses {
            0 => "no requests yet".to_string(),
            all => format!("{}% ({hits} of {all})", hits * 100 / all),
        };
        let mb = |bytes: u64| bytes as f64 / (1024.0 * 1024.0);
        format!(
            "cache {}: {} entries, {:.1} MB of {:.1} MB, hit rate {rate}\n",
            self.name,
            self.len(),
            mb(self.weighed_bytes()),
            mb(self.budget),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Weigh for String {
        fn weigh(&self) -> usize {
            self.len()
        }
    }

    /// Drives a future that never waits (every test load here is ready at once).
    fn ready<T>(fut: impl Future<Output = T>) -> T {
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        let mut fut = std::pin::pin!(fut);
        match fut.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(out) => out,
            std::task::Poll::Pending => panic!("a test load waited"),
        }
    }

    fn loaded(text: &str) -> Result<Loaded<String>, ()> {
        Ok(Loaded::until(Arc::new(text.to_string()), None))
    }

    #[test]
    fn a_value_loaded_across_a_clear_is_answered_but_not_kept() {
        let store: Store<String> = Store::new("test", 1 << 20, Clock::default());
        let got = ready(store.get_or_load("post", async {
            // The change that clears the store lands while the old row is in hand.
            store.clear();
            loaded("before the change")
        }));
        assert_eq!(got.as_deref().map(String::as_str), Ok("before the change"));
        assert!(store.get("post").is_none());
    }

    #[test]
    fn a_value_loaded_without_a_clear_is_kept_and_served_again() {
        let store: Store<String> = Store::new("test", 1 << 20, Clock::default());
        ready(store.get_or_load("post", async { loaded("current") })).unwrap();
        let again = ready(store.get_or_load("post", async { loaded("not read") }));
        assert_eq!(again.as_deref().map(String::as_str), Ok("current"));
    }

    #[test]
    fn a_load_that_asks_not_to_keep_is_not_kept() {
        let store: Store<String> = Store::new("test", 1 << 20, Clock::default());
        let value = Arc::new("empty page".to_string());
        ready(store.get_or_load("list 9", async {
            Ok::<_, ()>(Loaded {
                value,
                expires: None,
                keep: false,
            })
        }))
        .unwrap();
        assert!(store.get("list 9").is_none());
    }
}
