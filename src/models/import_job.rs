//! Imports started from the dashboard: how far each has read while it runs,
//! and its report once it has finished.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::db::Conn;
use crate::schema::import_jobs;

text_enum! {
    /// Where an import stands. A finished one is `Done` even when its report
    /// says the file was no export or stopped early; `Failed` means the run
    /// itself broke off (the database failed, or the server stopped).
    pub enum JobStatus {
        Running = "running",
        Done = "done",
        Failed = "failed",
    }
}

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = import_jobs)]
pub struct ImportJob {
    pub id: i32,
    pub file_name: String,
    pub status: JobStatus,
    pub bytes_total: i64,
    pub bytes_read: i64,
    pub items_done: i32,
    /// A finished job's `Report` as JSON, or a failed one's `Failure`.
    pub report: String,
    pub started_by: Option<i32>,
    pub created_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
}

#[derive(Insertable, Debug)]
#[diesel(table_name = import_jobs)]
pub struct NewImportJob<'a> {
    pub file_name: &'a str,
    pub status: JobStatus,
    pub bytes_total: i64,
    pub started_by: Option<i32>,
    pub created_at: NaiveDateTime,
    pub heartbeat_at: Option<NaiveDateTime>,
}

/// What a failed job keeps in `report`: why it broke off.
#[derive(Serialize, Deserialize, Debug)]
struct Failure {
    failed: String,
}

/// A job as its page shows it; `R` is the import's report (`import::Report`),
/// which the table stores as JSON without knowing it.
#[derive(Debug)]
pub enum Outcome<R> {
    Running,
    Done(Box<R>),
    Failed(String),
}

/// The longest file name kept (the person's computer chose it).
pub const MAX_FILE_NAME: usize = 200;

/// A running job's server records its progress (its heartbeat) at least
/// this often while it reads; older than this, the job is taken as
/// abandoned. Generous: one item (an image brought in with `--media-from`,
/// a slow batch) may take a while.
pub const HEARTBEAT_STALE: chrono::TimeDelta = chrono::TimeDelta::minutes(5);

/// What a job left running by a server that stopped is marked with.
pub const SERVER_STOPPED: &str = "The server stopped during this import. What it had imported \
    is kept: upload the same file again to continue (what is already here is skipped).";

impl ImportJob {
    pub fn create(conn: &mut Conn, new: &NewImportJob) -> QueryResult<ImportJob> {
        crate::each_backend!(conn, c => diesel::insert_into(import_jobs::table)
            .values(new)
            .returning(ImportJob::as_returning())
            .get_result(c))
    }

    pub fn find(conn: &mut Conn, id: i32) -> QueryResult<Option<ImportJob>> {
        import_jobs::table
            .find(id)
            .select(ImportJob::as_select())
            .first(conn)
            .optional()
    }

    /// The latest `limit` jobs, newest first (from `import_jobs_newest`).
    pub fn newest(conn: &mut Conn, limit: i64) -> QueryResult<Vec<ImportJob>> {
        import_jobs::table
            .order((import_jobs::created_at.desc(), import_jobs::id.desc()))
            .limit(limit)
            .select(ImportJob::as_select())
            .load(conn)
    }

    /// Another job running with a heartbeat newer than `since`, on this
    /// instance or another: imports run one at a time per site.
    pub fn running_since(conn: &mut Conn, since: NaiveDateTime) -> QueryResult<Option<ImportJob>> {
        import_jobs::table
            .filter(import_jobs::status.eq(JobStatus::Running))
            .filter(import_jobs::heartbeat_at.gt(since))
            .select(ImportJob::as_select())
            .first(conn)
            .optional()
    }

    /// How far a running job has read; also its heartbeat.
    pub fn record_progress(
        conn: &mut Conn,
        id: i32,
        bytes_read: i64,
        items_done: i32,
        at: NaiveDateTime,
    ) -> QueryResult<usize> {
        diesel::update(
            import_jobs::table
                .find(id)
                .filter(import_jobs::status.eq(JobStatus::Running)),
        )
        .set((
            import_jobs::bytes_read.eq(bytes_read),
            import_jobs::items_done.eq(items_done),
            import_jobs::heartbeat_at.eq(at),
        ))
        .execute(conn)
    }

    /// A running job finished with its report.
    pub fn finish(
        conn: &mut Conn,
        id: i32,
        report: &impl Serialize,
        (bytes_read, items_done): (i64, i32),
        at: NaiveDateTime,
    ) -> QueryResult<usize> {
        let json = serde_json::to_string(report)
            .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
        ImportJob::close(
            conn,
            id,
            JobStatus::Done,
            &json,
            (bytes_read, items_done),
            at,
        )
    }

    /// A running job broke off, for the reason given.
    pub fn fail(
        conn: &mut Conn,
        id: i32,
        why: &str,
        (bytes_read, items_done): (i64, i32),
        at: NaiveDateTime,
    ) -> QueryResult<usize> {
        ImportJob::close(
            conn,
            id,
            JobStatus::Failed,
            &failure_json(why),
            (bytes_read, items_done),
            at,
        )
    }

    fn close(
        conn: &mut Conn,
        id: i32,
        status: JobStatus,
        report: &str,
        (bytes_read, items_done): (i64, i32),
        at: NaiveDateTime,
    ) -> QueryResult<usize> {
        diesel::update(
            import_jobs::table
                .find(id)
                .filter(import_jobs::status.eq(JobStatus::Running)),
        )
        .set((
            import_jobs::status.eq(status),
            import_jobs::report.eq(report),
            import_jobs::bytes_read.eq(bytes_read),
            import_jobs::items_done.eq(items_done),
            import_jobs::finished_at.eq(at),
        ))
        .execute(conn)
    }

    /// Marks every job still running whose heartbeat is older than `stale`
    /// as failed with `SERVER_STOPPED`: its server stopped under it. A job
    /// another instance is running keeps beating and is left alone.
    pub fn fail_abandoned(
        conn: &mut Conn,
        stale: NaiveDateTime,
        at: NaiveDateTime,
    ) -> QueryResult<usize> {
        diesel::update(
            import_jobs::table
                .filter(import_jobs::status.eq(JobStatus::Running))
                .filter(
                    import_jobs::heartbeat_at
                        .is_null()
                        .or(import_jobs::heartbeat_at.le(stale)),
                ),
        )
        .set((
            import_jobs::status.eq(JobStatus::Failed),
            import_jobs::report.eq(failure_json(SERVER_STOPPED)),
            import_jobs::finished_at.eq(at),
        ))
        .execute(conn)
    }

    /// The stored outcome. A report this version cannot read (written by
    /// another one) is said to be unreadable rather than failing the page.
    pub fn outcome<R: DeserializeOwned>(&self) -> Outcome<R> {
        match self.status {
            JobStatus::Running => Outcome::Running,
            JobStatus::Done => match serde_json::from_str(&self.report) {
                Ok(report) => Outcome::Done(report),
                Err(_) => {
                    Outcome::Failed("The import finished, but its report could not be read.".into())
                }
            },
            JobStatus::Failed => match serde_json::from_str::<Failure>(&self.report) {
                Ok(failure) => Outcome::Failed(failure.failed),
                Err(_) => Outcome::Failed("The import stopped.".into()),
            },
        }
    }

    /// How much of the file has been read, in whole percent (0–100).
    pub fn percent(&self) -> i64 {
        if self.bytes_total <= 0 {
            return 0;
        }
        let read = i128::from(self.bytes_read.clamp(0, self.bytes_total));
        (read * 100 / i128::from(self.bytes_total)) as i64
    }
}

fn failure_json(why: &str) -> String {
    serde_json::to_string(&Failure { failed: why.into() })
        .unwrap_or_else(|_| r#"{"failed":"The import stopped."}"#.into())
}
