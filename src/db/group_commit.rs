//! Group commit: the writes that wait while one transaction runs share the
//! next one.
//!
//! A write is queued, and whichever write finds no transaction running takes
//! the lead: on a blocking thread it takes every waiting write (up to
//! `MOST_PER_TRANSACTION`) into one transaction, runs each in a savepoint of
//! its own, so that one refused is undone alone, and answers each kept one
//! only after COMMIT: `Ok` still means stored. One BEGIN and COMMIT (and on
//! PostgreSQL one WAL flush) serve a whole batch, and the writes that queue
//! behind a running one need no blocking thread of their own.

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use tokio::sync::oneshot;

use super::{begin_write, Conn, DbPool};
use crate::each_backend;
use crate::error::AppError;

/// The most writes one transaction takes: a batch holds the write lock
/// while it runs, and other instances on the same PostgreSQL wait for it.
const MOST_PER_TRANSACTION: usize = 64;

/// A write that waited this long for its turn is answered 503 (form kept)
/// rather than run: the same bound as waiting for SQLite's lock.
pub const LONGEST_WAIT: Duration = Duration::from_secs(10);

/// The writes waiting for a transaction, and whether one is running.
pub struct Writes {
    queue: Mutex<Queue>,
    transactions: AtomicU64,
    /// `LONGEST_WAIT` unless the site's config lowered it (tests do).
    longest_wait_ms: AtomicU64,
}

impl Default for Writes {
    fn default() -> Writes {
        Writes {
            queue: Mutex::default(),
            transactions: AtomicU64::new(0),
            longest_wait_ms: AtomicU64::new(LONGEST_WAIT.as_millis() as u64),
        }
    }
}

#[derive(Default)]
struct Queue {
    waiting: VecDeque<Box<dyn Write>>,
    leading: bool,
}

impl Writes {
    /// Transactions committed through this queue since the pool opened.
    pub fn transactions(&self) -> u64 {
        self.transactions.load(Ordering::Relaxed)
    }

    /// How long a write may wait for its turn before it is answered 503.
    pub fn set_longest_wait(&self, wait: Duration) {
        let ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
        self.longest_wait_ms.store(ms, Ordering::Relaxed);
    }

    fn longest_wait(&self) -> Duration {
        Duration::from_millis(self.longest_wait_ms.load(Ordering::Relaxed))
    }

    fn queue(&self) -> std::sync::MutexGuard<'_, Queue> {
        // Nothing runs under this lock that can panic half-way.
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Queues `change` and waits for its answer, starting a leader when none runs.
pub async fn write<T: Send + 'static>(
    pool: &DbPool,
    change: impl FnOnce(&mut Conn) -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    let (reply, answer) = oneshot::channel();
    let pending = Box::new(Pending {
        stage: Stage::Waiting(change),
        reply,
        queued: Instant::now(),
    });
    let lead = {
        let mut queue = pool.writes.queue();
        queue.waiting.push_back(pending);
        !std::mem::replace(&mut queue.leading, true)
    };
    if lead {
        let pool = pool.clone();
        // Not awaited: the leader answers through each write's channel.
        drop(actix_web::rt::task::spawn_blocking(move || {
            lead_until_empty(&pool)
        }));
    }
    answer.await.unwrap_or(Err(AppError::WriteFailed))
}

/// Runs batches while writes wait, then gives up the lead.
fn lead_until_empty(pool: &DbPool) {
    loop {
        let batch: Vec<Box<dyn Write>> = {
            let mut queue = pool.writes.queue();
            if queue.waiting.is_empty() {
                queue.leading = false;
                return;
            }
            let take = queue.waiting.len().min(MOST_PER_TRANSACTION);
            queue.waiting.drain(..take).collect()
        };
        let longest = pool.writes.longest_wait();
        let (late, batch): (Vec<_>, Vec<_>) = batch
            .into_iter()
            .partition(|w| w.queued().elapsed() > longest);
        for write in late {
            write.answer(Err(not_saved("the write waited too long for its turn")));
        }
        if batch.is_empty() {
            continue;
        }
        let untried = match pool.get() {
            Ok(mut conn) => commit_batch(&mut conn, batch, &pool.writes.transactions),
            Err(e) => {
                let cause = AppError::Pool(e);
                tracing::error!(error = %cause, writes = batch.len(), "write not saved");
                answer_all(batch, &cause);
                Vec::new()
            }
        };
        if !untried.is_empty() {
            // Writes after a failure that broke the transaction go first in
            // the next one: they were never run.
            let mut queue = pool.writes.queue();
            for write in untried.into_iter().rev() {
                queue.waiting.push_front(write);
            }
        }
    }
}

/// Runs `batch` in one transaction and answers each write; returns those
/// not yet run when a failure ended the transaction early.
fn commit_batch(
    conn: &mut Conn,
    batch: Vec<Box<dyn Write>>,
    transactions: &AtomicU64,
) -> Vec<Box<dyn Write>> {
    if let Err(e) = begin_write(conn) {
        tracing::error!(error = %e, writes = batch.len(), "write not saved");
        answer_all(batch, &e);
        return Vec::new();
    }
    // One write alone needs no savepoint: the transaction is its own.
    let alone = batch.len() == 1;
    let mut kept = Vec::with_capacity(batch.len());
    let mut writes = batch.into_iter();
    let mut broken = None;
    for mut write in writes.by_ref() {
        if !alone {
            if let Err(e) = open_level(conn) {
                broken = Some(AppError::NotSaved(e));
                write.answer(Err(not_saved("the write's savepoint could not be opened")));
                break;
            }
        }
        match write.run(conn) {
            Ran::Kept if alone => kept.push(write),
            Ran::Kept => match close_level(conn) {
                Ok(()) => kept.push(write),
                Err(e) => {
                    write.answer(Err(not_saved(&e.to_string())));
                    broken = Some(AppError::NotSaved(e));
                    break;
                }
            },
            Ran::Refused(e) if alone => {
                roll_back(conn);
                log_not_saved(&e);
                write.answer(Err(e));
                return Vec::new();
            }
            Ran::Refused(e) => {
                let undone = undo_level(conn);
                log_not_saved(&e);
                // A storage failure may have ended the whole transaction
                // (SQLite rolls back on a full disk): the rest cannot trust it.
                let lost = matches!(e, AppError::NotSaved(_)) || undone.is_err();
                if lost {
                    broken = Some(copy_of(&e));
                }
                write.answer(Err(e));
                if lost {
                    break;
                }
            }
            Ran::Panicked => {
                // Whatever the change left open is abandoned with the
                // connection: the pool drops one whose transaction is in error.
                each_backend!(&mut *conn, c => AnsiTransactionManager::transaction_manager_status_mut(c).set_in_error());
                write.answer(Err(AppError::WriteFailed));
                answer_all(kept, &not_saved("another write in its transaction failed"));
                return writes.collect();
            }
        }
    }
    if let Some(cause) = broken {
        roll_back(conn);
        tracing::error!(error = %cause, writes = kept.len(), "writes not saved");
        answer_all(kept, &cause);
        return writes.collect();
    }
    match close_level(conn) {
        Ok(()) => {
            transactions.fetch_add(1, Ordering::Relaxed);
            for write in kept {
                write.answer(Ok(()));
            }
        }
        Err(e) => {
            let cause = AppError::NotSaved(e);
            tracing::error!(error = %cause, writes = kept.len(), "write not saved");
            answer_all(kept, &cause);
        }
    }
    Vec::new()
}

fn roll_back(conn: &mut Conn) {
    // Back to the top: savepoints of refused writes may still be open.
    while each_backend!(&mut *conn, c => AnsiTransactionManager::transaction_manager_status_mut(c)
        .transaction_depth())
    .is_ok_and(|depth| depth.is_some())
    {
        if let Err(e) = undo_level(conn) {
            // The connection is marked broken and the pool drops it.
            tracing::error!(error = %e, "rollback failed");
            return;
        }
    }
}

/// A savepoint inside the transaction (diesel names them by depth).
fn open_level(conn: &mut Conn) -> diesel::QueryResult<()> {
    each_backend!(conn, c => AnsiTransactionManager::begin_transaction(c))
}

/// Releases the innermost savepoint, or commits the transaction itself.
fn close_level(conn: &mut Conn) -> diesel::QueryResult<()> {
    each_backend!(conn, c => AnsiTransactionManager::commit_transaction(c))
}

/// Rolls back to the innermost savepoint, or the transaction itself.
fn undo_level(conn: &mut Conn) -> diesel::QueryResult<()> {
    each_backend!(conn, c => AnsiTransactionManager::rollback_transaction(c))
}

/// Logged here, once: handlers answer these with their form shown again.
fn log_not_saved(e: &AppError) {
    if matches!(e, AppError::NotSaved(_)) {
        tracing::error!(error = %e, "write not saved");
    }
}

/// Answers every write with the failure that ended their transaction.
fn answer_all(writes: Vec<Box<dyn Write>>, cause: &AppError) {
    for write in writes {
        write.answer(Err(copy_of(cause)));
    }
}

/// A failure shared by a batch, once for each of its writes: a refused
/// write (503, the form kept) with the cause's message.
fn copy_of(cause: &AppError) -> AppError {
    match cause {
        AppError::NotSaved(DieselError::DatabaseError(kind, info)) => AppError::NotSaved(
            DieselError::DatabaseError(*kind, Box::new(info.message().to_string())),
        ),
        other => not_saved(&other.to_string()),
    }
}

fn not_saved(why: &str) -> AppError {
    AppError::NotSaved(DieselError::DatabaseError(
        DatabaseErrorKind::Unknown,
        Box::new(why.to_string()),
    ))
}

/// What running one write's change gave.
enum Ran {
    /// It succeeded: its value waits for the COMMIT.
    Kept,
    /// It failed; nothing of it may be kept.
    Refused(AppError),
    Panicked,
}

/// One queued write, whatever the type of its answer.
trait Write: Send {
    fn queued(&self) -> Instant;
    fn run(&mut self, conn: &mut Conn) -> Ran;
    /// Sends the answer: `Ok` gives the value `run` kept.
    fn answer(self: Box<Self>, outcome: Result<(), AppError>);
}

struct Pending<T, F> {
    stage: Stage<T, F>,
    reply: oneshot::Sender<Result<T, AppError>>,
    queued: Instant,
}

enum Stage<T, F> {
    Waiting(F),
    Ran(T),
    Done,
}

impl<T, F> Write for Pending<T, F>
where
    T: Send,
    F: FnOnce(&mut Conn) -> Result<T, AppError> + Send,
{
    fn queued(&self) -> Instant {
        self.queued
    }

    fn run(&mut self, conn: &mut Conn) -> Ran {
        let Stage::Waiting(change) = std::mem::replace(&mut self.stage, Stage::Done) else {
            return Ran::Refused(not_saved("the write was run twice"));
        };
        match catch_unwind(AssertUnwindSafe(|| change(conn))) {
            Ok(Ok(value)) => {
                self.stage = Stage::Ran(value);
                Ran::Kept
            }
            Ok(Err(e)) => Ran::Refused(e.storage_failure_is_not_saved()),
            Err(_) => Ran::Panicked,
        }
    }

    fn answer(self: Box<Self>, outcome: Result<(), AppError>) {
        let Pending { stage, reply, .. } = *self;
        let answer = outcome.and_then(|()| match stage {
            Stage::Ran(value) => Ok(value),
            _ => Err(not_saved("the write did not run")),
        });
        // The request may have gone; its change stands or falls all the same.
        let _ = reply.send(answer);
    }
}
