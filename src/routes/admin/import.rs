//! Moving a blog in from the dashboard: `GET /admin/import` (the upload form
//! and the latest imports), `POST /admin/import` (the export file, streamed
//! to a scratch file beside the database and imported on a thread of its
//! own) and `GET /admin/import/{id}` (its progress, then its report).
//!
//! One import runs at a time, from the upload to the end of the run: each
//! holds a file of up to `import_max_bytes` on disk and the write lock for
//! a batch at a time.

use std::io::{self, Write};
use std::path::PathBuf;
use std::time::Duration;

use actix_multipart::{Field, Multipart};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::{layout, AdminFrame, AdminNav, Frame};
use crate::auth::multipart::MultipartForm;
use crate::auth::{AdminUser, Visitor};
use crate::db::{self};
use crate::error::AppError;
use crate::import::{self};
use crate::models::import_job::{
    ImportJob, JobStatus, NewImportJob, Outcome, HEARTBEAT_STALE, MAX_FILE_NAME,
};
use crate::models::User;
use crate::routes::see_other;
use crate::scratch::Scratch;
use crate::state::AppState;
use crate::view::{file_size, iso, long_time, plural, render, render_with, Layout};

/// Imports listed under the form.
const RECENT: i64 = 20;
/// An upload that sends nothing for this long is given up (408).
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// What the form may carry beside the file: the token and the framing.
const FORM_OVERHEAD: u64 = 64 * 1024;
/// The upload is gathered into writes of this size (the most it holds in
/// memory).
const WRITE_CHUNK: usize = 1024 * 1024;

/// An import as the list under the form shows it.
pub struct JobRow {
    pub job: ImportJob,
    pub label: &'static str,
    /// A `badge-*` class of the admin stylesheet.
    pub tone: &'static str,
    pub summary: String,
}

impl JobRow {
    fn new(job: ImportJob) -> JobRow {
        let (label, tone, summary) = match job.outcome::<import::Report>() {
            Outcome::Running => (
                "running",
                "scheduled",
                format!("{}% read so far", job.percent()),
            ),
            Outcome::Done(report) => {
                let first = report.lines().into_iter().next().unwrap_or_default();
                match (&report.error, report.format.is_empty()) {
                    (None, _) => ("done", "published", first),
                    (Some(_), true) => ("nothing imported", "pending", first),
                    (Some(_), false) => ("stopped", "pending", first),
                }
            }
            Outcome::Failed(why) => ("failed", "disabled", why),
        };
        JobRow {
            job,
            label,
            tone,
            summary,
        }
    }

    pub fn started(&self) -> String {
        long_time(&self.job.created_at)
    }

    pub fn started_iso(&self) -> String {
        iso(&self.job.created_at)
    }
}

#[derive(Template)]
#[template(path = "admin/import.html")]
pub struct ImportPage {
    layout: Layout,
    nav: AdminNav,
    jobs: Vec<JobRow>,
    /// Why the last upload was refused.
    problem: Option<String>,
    /// The import running now, linked when an upload is refused for it.
    running: Option<i32>,
    max_size: String,
}

#[derive(Template)]
#[template(path = "admin/import_job.html")]
pub struct JobPage {
    layout: Layout,
    nav: AdminNav,
    job: ImportJob,
    /// While running the page shows the progress and a link to look again
    /// (never a refresh the reader did not ask for: WCAG F41).
    running: bool,
    /// Roughly how long is left, from the pace so far.
    expect: String,
    /// The report, a line each.
    lines: Vec<String>,
    failure: Option<String>,
    read: String,
    total: String,
    items: String,
    started: String,
    started_iso: String,
}

async fn import_page(
    state: &AppState,
    visitor: &Visitor,
    frame: &Frame,
    problem: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let jobs = db::run(&state.pool, |conn| Ok(ImportJob::newest(conn, RECENT)?)).await?;
    // Linked only when it is why the upload was refused.
    let running = jobs
        .iter()
        .find(|j| j.status == JobStatus::Running)
        .map(|j| j.id)
        .filter(|_| status == StatusCode::CONFLICT);
    render_with(
        status,
        &ImportPage {
            layout: layout(visitor, &frame.settings, "Import").with_csrf(visitor),
            nav: frame.nav("import"),
            jobs: jobs.into_iter().map(JobRow::new).collect(),
            problem,
            running,
            max_size: file_size(state.config.import_max_bytes),
        },
    )
}

pub async fn form(
    state: web::Data<AppState>,
    visitor: Visitor,
    AdminFrame(frame): AdminFrame,
) -> Result<HttpResponse, AppError> {
    import_page(&state, &visitor, &frame, None, StatusCode::OK).await
}

/// The form again, with why the upload was refused.
async fn refuse(
    state: &AppState,
    visitor: &Visitor,
    user: User,
    status: StatusCode,
    problem: String,
) -> Result<HttpResponse, AppError> {
    let frame = Frame::load(state, user).await?;
    import_page(state, visitor, &frame, Some(problem), status).await
}

fn too_large(limit: u64) -> String {
    format!(
        "The file is larger than {}, the most the dashboard takes. Nothing was imported. \
         Run `broadsheet import FILE` on the server for a file this large.",
        file_size(limit)
    )
}

/// `POST /admin/import`: the token must be the form's first field, so it is
/// checked before any of the file is read.
pub async fn upload(
    state: web::Data<AppState>,
    visitor: Visitor,
    AdminUser(user): AdminUser,
    req: HttpRequest,
    form: Multipart,
) -> Result<HttpResponse, AppError> {
    let mut form =
        MultipartForm::open(&req, &visitor, form, IDLE_TIMEOUT, "the import page's form").await?;
    let limit = state.config.import_max_bytes;
    // A browser says how much it sends: a file over the limit is refused
    // before it is uploaded.
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit.saturating_add(FORM_OVERHEAD)) {
        return refuse(
            &state,
            &visitor,
            user,
            StatusCode::PAYLOAD_TOO_LARGE,
            too_large(limit),
        )
        .await;
    }
    let Ok(permit) = state.imports.clone().try_acquire_owned() else {
        return refuse(
            &state,
            &visitor,
            user,
            StatusCode::CONFLICT,
            "Another import is running, and one runs at a time. Nothing was imported from this \
             file: upload it again once the other has finished."
                .into(),
        )
        .await;
    };

    let mut received = None;
    // Bytes the parts other than the file may still carry.
    let mut other_parts = FORM_OVERHEAD;
    while let Some(mut field) = form.next().await? {
        let file_name: String = field
            .content_disposition()
            .and_then(|d| d.get_filename())
            .unwrap_or("")
            .chars()
            .filter(|c| !c.is_control())
            .take(MAX_FILE_NAME)
            .collect();
        // A file input left empty still sends a part, with no name.
        if field.name() == Some("file") && received.is_none() && !file_name.is_empty() {
            let dir = state.config.database_dir();
            match receive(&form, &mut field, dir, limit).await? {
                Received::File(scratch, len) => received = Some((file_name, scratch, len)),
                Received::TooLarge => {
                    return refuse(
                        &state,
                        &visitor,
                        user,
                        StatusCode::PAYLOAD_TOO_LARGE,
                        too_large(limit),
                    )
                    .await
                }
                Received::NotStored(e) => {
                    tracing::error!(error = %e, "an uploaded import could not be stored");
                    return refuse(
                        &state,
                        &visitor,
                        user,
                        StatusCode::SERVICE_UNAVAILABLE,
                        "The file could not be stored: the server's disk refused it. Nothing \
                         was imported. Please try again in a moment."
                            .into(),
                    )
                    .await;
                }
            }
        } else if !form.skip(&mut field, &mut other_parts).await? {
            return refuse(
                &state,
                &visitor,
                user,
                StatusCode::PAYLOAD_TOO_LARGE,
                too_large(limit),
            )
            .await;
        }
    }
    let Some((file_name, scratch, len)) = received else {
        return refuse(
            &state,
            &visitor,
            user,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Choose the export file to import.".into(),
        )
        .await;
    };
    if len == 0 {
        return refuse(
            &state,
            &visitor,
            user,
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("“{file_name}” is empty. Choose the export file itself."),
        )
        .await;
    }

    let started_by = user.id;
    let name = file_name.clone();
    let now = state.now();
    let created = db::write(&state.pool, move |conn| {
        // The permit above is this instance's; another instance on the same
        // database may be running one too.
        if let Some(other) = ImportJob::running_since(conn, now - HEARTBEAT_STALE)? {
            return Ok(Err(other));
        }
        Ok(Ok(ImportJob::create(
            conn,
            &NewImportJob {
                file_name: &name,
                status: JobStatus::Running,
                bytes_total: i64::try_from(len).unwrap_or(i64::MAX),
                started_by: Some(started_by),
                created_at: now,
                heartbeat_at: Some(now),
            },
        )?))
    })
    .await;
    let job = match created {
        Ok(Ok(job)) => job,
        Ok(Err(other)) => {
            return refuse(
                &state,
                &visitor,
                user,
                StatusCode::CONFLICT,
                format!(
                    "Another import (“{}”) is running, and one runs at a time. Nothing was \
                     imported from this file: upload it again once the other has finished.",
                    other.file_name
                ),
            )
            .await
        }
        Err(e) if e.is_not_saved() => {
            return refuse(
                &state,
                &visitor,
                user,
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "The import was not started: the server could not write to its database \
                     just now. Nothing was imported. Please upload “{file_name}” again in a moment."
                ),
            )
            .await
        }
        Err(e) => return Err(e),
    };
    tracing::info!(by = %user.username, job = job.id, bytes = len, file = %file_name, "import started");
    let id = job.id;
    let pool = state.pool.clone();
    let now = state.now();
    let spawned = std::thread::Builder::new()
        .name(format!("import-{id}"))
        .spawn(move || import::job::run(&pool, id, scratch, permit));
    if let Err(e) = spawned {
        tracing::error!(error = %e, job = id, "cannot start an import thread");
        db::write(&state.pool, move |conn| {
            Ok(ImportJob::fail(
                conn,
                id,
                "The server could not start the import. Nothing was imported. Please try again.",
                (0, 0),
                now,
            )?)
        })
        .await?;
    }
    Ok(see_other(&format!("/admin/import/{id}")))
}

/// What became of the file part.
enum Received {
    File(Scratch, u64),
    TooLarge,
    NotStored(io::Error),
}

/// Streams the file part into a scratch file beside the database, a
/// megabyte at a time, while it stays within `limit`.
async fn receive(
    form: &MultipartForm,
    field: &mut Field,
    dir: PathBuf,
    limit: u64,
) -> Result<Received, AppError> {
    let mut scratch = match web::block(move || Scratch::create(&dir, "import")).await? {
        Ok(scratch) => scratch,
        Err(e) => return Ok(Received::NotStored(e)),
    };
    let mut len: u64 = 0;
    let mut buf = Vec::with_capacity(WRITE_CHUNK);
    loop {
        let last = match form.chunk(field).await? {
            None => true,
            Some(bytes) => {
                len += bytes.len() as u64;
                if len > limit {
                    // Dropping the scratch file removes it.
                    return Ok(Received::TooLarge);
                }
                buf.extend_from_slice(&bytes);
                false
            }
        };
        if buf.len() >= WRITE_CHUNK || (last && !buf.is_empty()) {
            let (back, back_buf, written) = web::block(move || {
                let written = scratch.file.write_all(&buf);
                buf.clear();
                (scratch, buf, written)
            })
            .await?;
            scratch = back;
            buf = back_buf;
            if let Err(e) = written {
                return Ok(Received::NotStored(e));
            }
        }
        if last {
            return Ok(Received::File(scratch, len));
        }
    }
}

/// `GET /admin/import/{id}`: the progress while it runs (with a link to
/// look again), then the report.
pub async fn show(
    state: web::Data<AppState>,
    visitor: Visitor,
    AdminFrame(frame): AdminFrame,
    id: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let job = db::run(&state.pool, move |conn| {
        ImportJob::find(conn, id)?.ok_or(AppError::NotFound)
    })
    .await?;
    let (running, lines, failure) = match job.outcome::<import::Report>() {
        Outcome::Running => (true, Vec::new(), None),
        Outcome::Done(report) => (false, report.lines(), None),
        Outcome::Failed(why) => (false, Vec::new(), Some(why)),
    };
    render(&JobPage {
        layout: layout(&visitor, &frame.settings, "Import"),
        nav: frame.nav("import"),
        read: file_size(u64::try_from(job.bytes_read).unwrap_or(0)),
        total: file_size(u64::try_from(job.bytes_total).unwrap_or(0)),
        items: plural(job.items_done.into(), "item", "items"),
        expect: time_left(&job, state.now()),
        started: long_time(&job.created_at),
        started_iso: iso(&job.created_at),
        job,
        running,
        lines,
        failure,
    })
}

/// What a reader of a running import may expect: the time left at the pace
/// read so far, in words.
fn time_left(job: &ImportJob, now: chrono::NaiveDateTime) -> String {
    let elapsed = (now - job.created_at).num_seconds();
    let (read, total) = (job.bytes_read, job.bytes_total);
    if read <= 0 || elapsed <= 0 || total <= read {
        return "Most imports take a minute or two; a large site can take several.".into();
    }
    // Seconds left if the rest of the file reads as fast as the start did.
    let left = (i128::from(elapsed) * i128::from(total - read) / i128::from(read)).max(1);
    let minutes = (left + 59) / 60;
    if minutes <= 1 {
        "At the pace so far, it should finish within a minute.".into()
    } else {
        format!("At the pace so far, about {minutes} minutes are left.")
    }
}
