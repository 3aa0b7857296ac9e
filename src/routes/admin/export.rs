//! `GET /admin/export`: the whole site as a WordPress export file (WXR 1.2).
//!
//! The file is built off the async workers into a temporary file beside the
//! database (no tmpfs, which would hold it in memory), then streamed from it
//! a chunk at a time. On Linux the file leaves its folder as soon as it is
//! open, so nothing is left behind whatever becomes of the request.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek};
use std::path::{Path, PathBuf};

use actix_web::body::SizedStream;
use actix_web::http::header;
use actix_web::web::{self, Bytes};
use actix_web::HttpResponse;
use futures_util::Stream;

use crate::auth::AdminUser;
use crate::error::AppError;
use crate::export::{self, ExportError};
use crate::{db, models, AppState};

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
    let dir = state
        .config
        .database
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let base = state.config.base_url();
    let (built, done) = db::run(&state.pool, move |conn| {
        // Held by the blocking work itself, which finishes even if the
        // visitor leaves.
        let _permit = permit;
        let mut built = Built::create(&dir).map_err(ExportError::Io)?;
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
    let name = format!("broadsheet-{}.xml", models::now().format("%Y-%m-%d"));
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

/// The export file while it is built and sent. Fields drop in order: the
/// file is closed before a name left in the folder is removed.
struct Built {
    file: File,
    _leftover: Leftover,
}

/// The temporary file's name, where the system would not remove it while
/// open (not on Linux): removed once the download is done with it.
struct Leftover(Option<PathBuf>);

impl Drop for Leftover {
    fn drop(&mut self) {
        if let Some(path) = &self.0 {
            if let Err(e) = std::fs::remove_file(path) {
                tracing::warn!(error = %e, "cannot remove {}", path.display());
            }
        }
    }
}

impl Built {
    /// A new file of its own in `dir`, already gone from the folder where
    /// the system allows it.
    fn create(dir: &Path) -> io::Result<Built> {
        let path = dir.join(format!(
            ".broadsheet-export-{:016x}.xml",
            rand::random::<u64>()
        ));
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)?;
        let leftover = match std::fs::remove_file(&path) {
            Ok(()) => None,
            Err(_) => Some(path),
        };
        Ok(Built {
            file,
            _leftover: Leftover(leftover),
        })
    }
}

/// The file's bytes, read a chunk at a time on the blocking thread pool.
fn chunks(built: Built) -> impl Stream<Item = Result<Bytes, io::Error>> {
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
