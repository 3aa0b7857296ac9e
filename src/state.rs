//! `AppState`: what every handler reaches through `web::Data`.

use std::sync::Arc;

use crate::auth::limits::Limits;
use crate::config::{Config, Switch};
use crate::db::{self, DbPool};
use crate::error::AppError;
use crate::{auth, cache, models};

/// What every handler can reach. Cheap to clone. An instance keeps only
/// caches (told of other instances' changes by counters in the database), so
/// several instances can share one database.
#[derive(Clone)]
pub struct AppState {
    pub pool: DbPool,
    pub config: Arc<Config>,
    pub limits: Limits,
    pub cache: Arc<cache::Caches>,
    /// Signs the device cookies that keep owners signing in during a lockout.
    pub device_key: Arc<auth::device::DeviceKey>,
    /// Where uploaded images live, and how many are handled at once.
    pub media: crate::media::Store,
    /// Exports being built (`GET /admin/export`): one at a time.
    pub exports: Arc<tokio::sync::Semaphore>,
    /// Imports from the dashboard (`POST /admin/import`), from the upload
    /// to the end of the run: one at a time.
    pub imports: Arc<tokio::sync::Semaphore>,
    /// Searches the page cache could not answer, bounded together so a
    /// flood of them leaves the readers' share of the server alone.
    pub searches: Arc<Searches>,
    /// The WAL checkpointer runs while any clone of this state lives.
    _checkpointer: Arc<()>,
}

impl AppState {
    /// The current time by the site's clock (`Config::clock`): what a
    /// request goes by to decide what is published, due or expired.
    pub fn now(&self) -> chrono::NaiveDateTime {
        self.config.clock.now()
    }

    /// Opens (creating and migrating) the database named in the config, for
    /// the server: an import a stopped server left running is marked failed.
    pub fn open(config: Config) -> Result<AppState, db::OpenError> {
        let state = AppState::open_with(config, db::Create::IfMissing)?;
        let abandoned = state
            .pool
            .get()
            .map_err(AppError::from)
            .and_then(|mut conn| {
                db::write_with(&mut conn, |conn| {
                    let now = models::now();
                    let stale = now - models::import_job::HEARTBEAT_STALE;
                    Ok(models::import_job::ImportJob::fail_abandoned(
                        conn, stale, now,
                    )?)
                })
            })
            .map_err(|source| db::OpenError::Unusable {
                database: state.config.database.to_string(),
                source,
            })?;
        // HTML stored by an older renderer (the welcome post of an older
        // version included) is made again before the first reader sees it.
        state
            .pool
            .get()
            .map_err(AppError::from)
            .and_then(|mut conn| models::post::rerender::rerender_stale(&mut conn))
            .map_err(|source| db::OpenError::Unusable {
                database: state.config.database.to_string(),
                source,
            })?;
        if abandoned > 0 {
            tracing::warn!(
                jobs = abandoned,
                "imports left running by a server that stopped are marked failed"
            );
        }
        Ok(state)
    }

    /// Opens the database named in the config; with `Create::Never` a
    /// missing file is refused.
    pub fn open_with(config: Config, create: db::Create) -> Result<AppState, db::OpenError> {
        // A bucket is checked first: one refused leaves no new database behind.
        let bucket = match &config.media_store {
            Some(url) => {
                let store = crate::media::Store::bucket(url, config.media_request_timeout)
                    .map_err(db::OpenError::MediaStore)?;
                // The server checks once that it can keep images there.
                if create == db::Create::IfMissing {
                    store.check().map_err(db::OpenError::MediaStore)?;
                }
                Some(store)
            }
            None => None,
        };
        let pool = db::open(&config.database, create, crate::models::FILL)?;
        pool.set_longest_write_wait(config.longest_write_wait);
        let alive = Arc::new(());
        if let Some(file) = config.database.file() {
            db::spawn_checkpointer(file, Arc::downgrade(&alive));
        }
        let limits = Limits::new(config.rate_limits == Switch::On);
        let cache = cache::Caches::new(config.cache_revalidate_ms, config.cache_mb, &config.clock);
        let device_key = pool
            .get()
            .map_err(AppError::from)
            .and_then(|mut conn| {
                db::write_with(&mut conn, |conn| {
                    models::User::fill_skeletons(conn)?;
                    auth::device::DeviceKey::load_or_create(conn)
                })
            })
            .map_err(|source| db::OpenError::Unusable {
                database: config.database.to_string(),
                source,
            })?;
        let media = match bucket {
            Some(store) => store,
            None => {
                let media_dir = config.media_dir();
                if create == db::Create::IfMissing {
                    std::fs::create_dir_all(&media_dir).map_err(|source| {
                        db::OpenError::MediaDir {
                            path: media_dir.clone(),
                            source,
                        }
                    })?;
                }
                crate::media::Store::new(media_dir)
            }
        };
        Ok(AppState {
            media,
            pool,
            config: Arc::new(config),
            limits,
            cache: Arc::new(cache),
            device_key: Arc::new(device_key),
            exports: Arc::new(tokio::sync::Semaphore::new(1)),
            imports: Arc::new(tokio::sync::Semaphore::new(1)),
            searches: Arc::new(Searches::new(Searches::running_for_cores())),
            _checkpointer: alive,
        })
    }
}

/// How many searches run at once, and how many more may wait for a turn.
///
/// A search is the one reading page whose work a stranger chooses: each
/// distinct query misses the page cache and walks the full-text index. Left
/// unbounded, 16 connections sending distinct searches held both cores and
/// every pooled connection (an unread article's median went from 2.5 to
/// 339 ms). Bounded, searches queue among themselves, and the rest are told
/// to come back (503 with `Retry-After`) rather than queue without end.
pub struct Searches {
    running: tokio::sync::Semaphore,
    /// Running and waiting together: a search that finds these all taken
    /// is answered at once.
    admitted: tokio::sync::Semaphore,
}

/// How long a search waits for a turn before it is answered "busy".
pub const SEARCH_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Searches waiting for each one running, at most.
const WAITING_PER_RUNNING: usize = 4;

impl Searches {
    /// `running` searches at once, and `WAITING_PER_RUNNING` times as many
    /// waiting.
    pub fn new(running: usize) -> Searches {
        let running = running.max(1);
        Searches {
            running: tokio::sync::Semaphore::new(running),
            admitted: tokio::sync::Semaphore::new(running * (1 + WAITING_PER_RUNNING)),
        }
    }

    /// Half the cores this process may use, at least one: the other half
    /// stays for the readers.
    pub fn running_for_cores() -> usize {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        (cores / 2).max(1)
    }

    /// A turn to run one search, held until dropped; `SearchBusy` when the
    /// queue is full or the wait passes `SEARCH_WAIT`.
    pub async fn turn(&self) -> Result<SearchTurn<'_>, AppError> {
        let admitted = self
            .admitted
            .try_acquire()
            .map_err(|_| AppError::SearchBusy)?;
        let running = actix_web::rt::time::timeout(SEARCH_WAIT, self.running.acquire())
            .await
            .map_err(|_| AppError::SearchBusy)?
            .map_err(|_| AppError::SearchBusy)?;
        Ok(SearchTurn {
            _running: running,
            _admitted: admitted,
        })
    }
}

/// A search's turn: while it lives, the search holds one running slot.
pub struct SearchTurn<'a> {
    _running: tokio::sync::SemaphorePermit<'a>,
    _admitted: tokio::sync::SemaphorePermit<'a>,
}

impl crate::media::Library for AppState {
    fn pool(&self) -> &DbPool {
        &self.pool
    }

    fn store(&self) -> &crate::media::Store {
        &self.media
    }
}

impl AppState {
    /// What auth reads of this state in a request (`build_app` registers it).
    pub fn auth_site(&self) -> auth::Site {
        auth::Site {
            pool: self.pool.clone(),
            cache: Arc::clone(&self.cache),
            config: Arc::clone(&self.config),
        }
    }
}
