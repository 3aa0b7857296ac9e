//! The import job the dashboard starts: the import run on a thread of its
//! own, its progress and outcome kept on its `import_jobs` row.

use std::io::{BufReader, Seek};
use std::panic::AssertUnwindSafe;
use std::time::{Duration, Instant};

use tokio::sync::OwnedSemaphorePermit;

use super::{disk_full, Options, Progress, Report};
use crate::db::{self, DbPool};
use crate::error::AppError;
use crate::models;
use crate::models::import_job::ImportJob;
use crate::scratch::Scratch;

/// A running import's row is updated at most this often.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);
/// Tries, a second apart, to record how an import ended.
const FINISH_TRIES: u32 = 5;

/// The import itself, on a thread of its own: it may take minutes, and the
/// blocking pool's few threads are for short work. Whatever happens, the
/// job's row is closed, the scratch file removed and the permit returned.
pub fn run(pool: &DbPool, id: i32, scratch: Scratch, permit: OwnedSemaphorePermit) {
    let mut latest: (i64, i32) = (0, 0);
    let mut saved_at: Option<Instant> = None;
    let ran = (&scratch.file).rewind().map(|_| {
        let input = BufReader::with_capacity(256 * 1024, &scratch.file);
        std::panic::catch_unwind(AssertUnwindSafe(|| {
            super::run(pool, input, &Options::default(), |p: Progress| {
                latest = (
                    i64::try_from(p.bytes).unwrap_or(i64::MAX),
                    i32::try_from(p.items).unwrap_or(i32::MAX),
                );
                // The first batch at once, then not per batch: a row
                // written once a second is enough for a reader who asks
                // again now and then.
                if saved_at.is_none_or(|at| at.elapsed() >= PROGRESS_EVERY) {
                    saved_at = Some(Instant::now());
                    save_progress(pool, id, latest);
                }
            })
        }))
    });
    let outcome: Result<Report, String> = match ran {
        Ok(Ok(Ok(report))) => Ok(report),
        Ok(Ok(Err(e))) => {
            tracing::error!(error = %e, job = id, "import stopped");
            Err(if disk_full(&e) {
                "The import stopped: the disk holding the database is full. What it had \
                 imported is kept: free some space, then upload the same file again to \
                 continue."
            } else if e.is_not_saved() {
                "The import stopped: the server could not write to its database (its disk \
                 may be full). What it had imported is kept: upload the same file again to \
                 continue."
            } else {
                "The import stopped: the database could not be read or written. What it had \
                 imported is kept: upload the same file again to continue."
            }
            .into())
        }
        Ok(Err(_)) => {
            tracing::error!(job = id, "import panicked");
            Err(
                "The import stopped unexpectedly. What it had imported is kept: upload the \
                 same file again to continue."
                    .into(),
            )
        }
        Err(e) => {
            tracing::error!(error = %e, job = id, "cannot read an uploaded import");
            Err(
                "The uploaded file could not be read back. Nothing was imported. Please \
                 upload it again."
                    .into(),
            )
        }
    };
    // What the import parsed and sanitised is freed by now, but much of it
    // would stay resident in glibc's heap (a 28 MB export: 44 MB before,
    // 140 MB after; 50 MB with this).
    let returned = crate::memory::give_back();
    tracing::debug!(job = id, returned, "memory given back after the import");
    if let Ok(report) = &outcome {
        tracing::info!(
            job = id,
            posts = report.posts,
            pages = report.pages,
            comments = report.comments,
            already_here = report.already_here,
            "import finished"
        );
    }
    for attempt in 1..=FINISH_TRIES {
        let closed = pool.get().map_err(AppError::from).and_then(|mut conn| {
            db::write_with(&mut conn, |conn| {
                let at = models::now();
                Ok(match &outcome {
                    Ok(report) => ImportJob::finish(conn, id, report, latest, at)?,
                    Err(why) => ImportJob::fail(conn, id, why, latest, at)?,
                })
            })
        });
        match closed {
            Ok(_) => break,
            Err(e) if attempt < FINISH_TRIES => {
                tracing::warn!(error = %e, job = id, "import outcome not saved; trying again");
                std::thread::sleep(Duration::from_secs(1));
            }
            // The next start marks the row failed.
            Err(e) => tracing::error!(error = %e, job = id, "import outcome not saved"),
        }
    }
    drop(scratch);
    drop(permit);
}

fn save_progress(pool: &DbPool, id: i32, (bytes, items): (i64, i32)) {
    let saved = pool.get().map_err(AppError::from).and_then(|mut conn| {
        db::write_with(&mut conn, |conn| {
            Ok(ImportJob::record_progress(
                conn,
                id,
                bytes,
                items,
                models::now(),
            )?)
        })
    });
    if let Err(e) = saved {
        tracing::warn!(error = %e, job = id, "import progress not saved");
    }
}
