//! `GET /admin/export`: the whole site as a WordPress export file (WXR 1.2).
//!
//! The file is built off the async workers into a scratch file beside the
//! database (`crate::scratch`), then streamed from it a chunk at a time.

use std::io::{self, Read, Seek};

use actix_web::body::SizedStream;
use actix_web::http::header;
use actix_web::web::{self, Bytes};
use actix_web::HttpResponse;
use futures_util::Stream;

use crate::auth::AdminUser;
use crate::db;
use crate::error::AppError;
use crate::export::{self, ExportError};
use crate::scratch::Scratch;
use crate::state::AppState;

/// Bytes read from the file at a time while it is sent.
const CHUNK: usize = 64 * 1024;

pub async fn download(
    state: web::Data<AppState>,
    AdminUser(user): AdminUser,
) -> Result<HttpResponse, AppError> {
    // One export at a time: each holds a connection and a blocking thread
    // while it is built, and the file's size on disk while it is sent.
    let permit = state
        .exports
        .clone()
        .try_acquire_owned()
        .map_err(|_| AppError::ExportRunning)?;
    let dir = state.config.database_dir();
    let base = state.config.base_url();
    let (built, done) = db::run(&state.pool, move |conn| {
        // Held by the blocking work itself, which finishes even if the
        // visitor leaves.
        let _permit = permit;
        let mut built = Scratch::create(&dir, "export").map_err(ExportError::Io)?;
        let done = export::write_wxr(conn, &built.file, &base)?;
        built.file.rewind().map_err(ExportError::Io)?;
        Ok((built, done))
    })
    .await?;
    let len = built.file.metadata().map_err(ExportError::Io)?.len();
    tracing::info!(
        by = %user.username,
        bytes = len,
        posts = done.posts,
        pages = done.pages,
        comments = done.comments,
        "export built"
    );
    let name = format!("broadsheet-{}.xml", state.now().format("%Y-%m-%d"));
    Ok(HttpResponse::Ok()
        .content_type("application/xml; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        // It holds every email address the site knows.
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(SizedStream::new(len, chunks(built))))
}

/// The file's bytes, read a chunk at a time on the blocking thread pool.
fn chunks(built: Scratch) -> impl Stream<Item = Result<Bytes, io::Error>> {
    futures_util::stream::unfold(Some(built), |state| async move {
        let mut built = state?;
        let read = web::block(move || {
            let mut buf = vec![0; CHUNK];
            let n = loop {
                match built.file.read(&mut buf) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    other => break other,
                }
            };
            (built, buf, n)
        })
        .await;
        match read {
            Ok((built, mut buf, Ok(n))) if n > 0 => {
                buf.truncate(n);
                Some((Ok(Bytes::from(buf)), Some(built)))
            }
            Ok((_, _, Ok(_))) => None,
            Ok((_, _, Err(e))) => Some((Err(e), None)),
            Err(e) => Some((Err(io::Error::other(e)), None)),
        }
    })
}
