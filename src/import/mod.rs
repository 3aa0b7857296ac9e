//! Moving a blog in: a WordPress (WXR) or Blogger export read as a stream,
//! each post with its comments written in batches of whole items, keyed by
//! the old site's ids so that running it again skips what is here already
//! and an interrupted run continues where it stopped.
//!
//! Reading and rendering happen outside the write transaction; a batch is
//! one transaction, and each item in it a savepoint, so an item that fails
//! leaves nothing behind and the rest of the batch is kept.

mod batch;
mod blogger;
pub mod content;
mod entries;
mod guard;
mod images;
pub mod job;
mod report;
mod source;
mod time;
mod uploads;
mod wxr;
mod xml;

use batch::{Ready, ReadyComment, ReadyReply, NO_PASSWORD};
use images::image_sources;
pub use report::Report;
pub use uploads::MediaFrom;

use std::collections::{BTreeMap, HashMap};
use std::io::BufRead;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::Conn;
use serde::{Deserialize, Serialize};

use crate::accounts;
use crate::db::{self, DbPool};
use crate::error::AppError;
use crate::markdown;
use crate::models::comment::NewComment;
use crate::models::imported::{Imported, ImportedKind};
use crate::models::media::Media;
use crate::models::post::{PostFormat, PostInput, RenderedPost, MAX_BODY_BYTES};
use crate::models::redirect::{normalise_from, Redirect};
use crate::models::{self, Comment, CommentStatus, Post, PostKind, Role, User};
use crate::slug::slugify;
use crate::view::plural;
use source::{Content, Entry, EntryKind, EntryStatus, Item, Reply};
use xml::{Ns, Reader, Step};

/// Items written in one transaction: few enough that the write lock is
/// never held long, many enough that commits do not dominate.
const BATCH_ITEMS: usize = 100;
/// Comments in one transaction, whichever posts they belong to.
const BATCH_COMMENTS: usize = 2000;
/// Text held for one transaction (sources and their rendered HTML): a batch
/// of long posts is written sooner, so what waits for it stays bounded.
const BATCH_BYTES: usize = 32 * 1024 * 1024;
/// Warnings kept in a report; more are counted.
const MAX_WARNINGS: usize = 200;
/// Addresses listed in the report for each list (external images, long posts).
const MAX_LISTED: usize = 50;
/// Accounts one import may create for the old site's authors.
const MAX_AUTHORS: u64 = 1000;
/// Text of the comments held back until their post comes (Blogger files
/// comments apart from posts); beyond it they wait for the next run.
const MAX_WAITING_BYTES: usize = 64 * 1024 * 1024;

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Read and check everything, write nothing.
    pub dry_run: bool,
    /// A copy of the old site's image files, to bring into the library.
    pub media_from: Option<MediaFrom>,
}

/// How far an import has read, for a progress bar.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub bytes: u64,
    pub items: u64,
}

/// Imports `input` (a whole export) into the site. The report says what
/// happened, including an error that stopped it; `Err` only when the
/// database fails.
pub fn run(
    pool: &DbPool,
    input: impl BufRead,
    options: &Options,
    mut progress: impl FnMut(Progress),
) -> Result<Report, AppError> {
    let mut report = Report {
        dry_run: options.dry_run,
        ..Report::default()
    };
    let mut reader = Reader::new(input);
    let first = loop {
        match reader.next() {
            Ok(Step::Open { ns, name, .. }) => break Ok((ns, name)),
            Ok(Step::Close { .. }) => continue,
            Ok(Step::End) => {
                break Err(if reader.bytes() == 0 {
                    "the file is empty".to_string()
                } else {
                    "the file holds no XML element: it is not an export".to_string()
                })
            }
            Err(e) => break Err(e.to_string()),
        }
    };
    let mut items = match first {
        Ok((Ns::None, name)) if name == "rss" => {
            report.format = "WordPress export (WXR)".into();
            Items::Wxr(wxr::Wxr::new(reader))
        }
        Ok((Ns::Atom, name)) if name == "feed" => {
            report.format = "Blogger export".into();
            Items::Blogger(blogger::Blogger::new(reader))
        }
        Ok((_, name)) => {
            report.error = Some(format!(
                "this is not a WordPress or Blogger export (it starts with <{name}>)"
            ));
            return Ok(report);
        }
        Err(message) => {
            report.error = Some(message);
            return Ok(report);
        }
    };
    let mut import = Import {
        conn: pool.get().map_err(AppError::from)?,
        options,
        source: String::new(),
        authors: HashMap::new(),
        emails: HashMap::new(),
        batch: Vec::new(),
        batch_comments: 0,
        batch_bytes: 0,
        term_pages: Vec::new(),
        replies: Vec::new(),
        images: HashMap::new(),
        waiting: Vec::new(),
        waiting_bytes: 0,
        finishing: false,
        report,
        items: 0,
    };
    loop {
        let item = match items.next_item() {
            Ok(Some(item)) => item,
            Ok(None) => break,
            Err(e) => {
                import.report.error = Some(e.to_string());
                break;
            }
        };
        import.items += 1;
        import.take(item)?;
        if import.batch.len() >= BATCH_ITEMS
            || import.batch_comments >= BATCH_COMMENTS
            || import.batch_bytes >= BATCH_BYTES
        {
            import.flush()?;
        }
        // Cheap: the callers decide how often to show it.
        progress(Progress {
            bytes: items.bytes(),
            items: import.items,
        });
    }
    import.flush()?;
    import.finish()?;
    progress(Progress {
        bytes: items.bytes(),
        items: import.items,
    });
    Ok(import.report)
}

/// The reader for the kind of export the file is.
enum Items<R: BufRead> {
    Wxr(wxr::Wxr<R>),
    Blogger(blogger::Blogger<R>),
}

impl<R: BufRead> Items<R> {
    fn next_item(&mut self) -> Result<Option<Item>, xml::XmlError> {
        match self {
            Items::Wxr(r) => r.next_item(),
            Items::Blogger(r) => r.next_item(),
        }
    }

    fn bytes(&self) -> u64 {
        match self {
            Items::Wxr(r) => r.bytes(),
            Items::Blogger(r) => r.bytes(),
        }
    }
}

struct Import<'a> {
    /// One connection for the whole import: its reads and its batches.
    conn: db::PooledConn,
    options: &'a Options,
    source: String,
    /// Old site's author ids and logins → accounts here.
    authors: HashMap<String, i32>,
    /// Commenter emails → accounts here (`None`: nobody), looked up once.
    emails: HashMap<String, Option<i32>>,
    batch: Vec<Ready>,
    batch_comments: usize,
    batch_bytes: usize,
    /// The old site's category and tag pages (path, tag name), written
    /// with the next batch.
    term_pages: Vec<(String, String)>,
    /// Comments read apart from their posts, written with the batch.
    replies: Vec<ReadyReply>,
    /// Image files of `--media-from` → their library address (`None`:
    /// refused), each looked at once.
    images: HashMap<std::path::PathBuf, Option<String>>,
    /// Comments whose post has not come yet, tried again at the end.
    waiting: Vec<ReadyReply>,
    waiting_bytes: usize,
    /// The file has been read: a comment whose post is not here never will be.
    finishing: bool,
    report: Report,
    items: u64,
}

/// Whether an import stopped because the disk holding the database is full.
pub fn disk_full(e: &AppError) -> bool {
    let (AppError::NotSaved(e) | AppError::Db(e)) = e else {
        return false;
    };
    let message = match e {
        diesel::result::Error::DatabaseError(_, info) => info.message().to_string(),
        other => other.to_string(),
    };
    ["disk is full", "could not extend file", "No space left"]
        .iter()
        .any(|m| message.contains(m))
}

/// What the command line and the dashboard say when the database stopped an
/// import.
pub fn stopped_message(e: &AppError) -> String {
    if disk_full(e) {
        "the disk holding the database is full, so the import stopped. What it had \
         imported is kept: free some space, then run the same import again to continue"
            .into()
    } else {
        format!(
            "the database stopped the import ({e}). What it had imported is kept: run \
             the same import again to continue"
        )
    }
}

impl Import<'_> {
    pub(super) fn read<T>(
        &mut self,
        f: impl FnOnce(&mut Conn) -> Result<T, AppError>,
    ) -> Result<T, AppError> {
        f(&mut self.conn)
    }

    pub(super) fn write<T>(
        &mut self,
        f: impl FnOnce(&mut Conn) -> Result<T, AppError>,
    ) -> Result<T, AppError> {
        db::write_with(&mut self.conn, f)
    }
}
