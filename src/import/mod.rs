//! Moving a blog in: a WordPress (WXR) or Blogger export read as a stream,
//! each post with its comments written in batches of whole items, keyed by
//! the old site's ids so that running it again skips what is here already
//! and an interrupted run continues where it stopped.
//!
//! Reading and rendering happen outside the write transaction; a batch is
//! one transaction, and each item in it a savepoint, so an item that fails
//! leaves nothing behind and the rest of the batch is kept.

mod blogger;
pub mod content;
mod guard;
mod source;
mod time;
mod uploads;
mod wxr;
mod xml;

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

/// What an import did: counts, what it skipped and why, and what to look at.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Report {
    pub format: String,
    pub source: String,
    pub dry_run: bool,
    pub posts: u64,
    pub pages: u64,
    pub comments: u64,
    pub guest_comments: u64,
    pub authors: u64,
    pub redirects: u64,
    /// Items found here from an earlier run of the same import.
    pub already_here: u64,
    /// Items not brought in, by reason.
    pub skipped: BTreeMap<String, u64>,
    pub warnings: Vec<String>,
    pub more_warnings: u64,
    /// Accounts made for the old site's authors, without a usable password.
    pub new_accounts: Vec<String>,
    /// Posts longer than the editor saves: shown, but to be split before editing.
    pub long_posts: Vec<String>,
    pub sticky_posts: Vec<String>,
    /// Posts and pages the old site did not show everyone (drafts, private,
    /// password-protected, pending, scheduled): drafts here, each with why.
    pub not_public: Vec<String>,
    pub more_not_public: u64,
    /// Pages whose address is one the site keeps for itself (`/admin`),
    /// given another: “Title” (/old → /new).
    pub moved_pages: Vec<String>,
    /// Posts the old site had yet to publish: published here at that time.
    pub scheduled: Vec<String>,
    /// Images the content shows from elsewhere (the old site), left as they are.
    pub external_images: u64,
    pub external_image_examples: Vec<String>,
    /// Image files brought into the media library (`--media-from`).
    pub images_copied: u64,
    /// Images the posts show that the `--media-from` folder did not have.
    pub images_missing: u64,
    /// Why the import stopped early, with the line of the file.
    pub error: Option<String>,
}

impl Report {
    fn skip(&mut self, reason: impl Into<String>) {
        *self.skipped.entry(reason.into()).or_default() += 1;
    }

    fn not_public(&mut self, label: &str, why: &str) {
        if self.not_public.len() < MAX_LISTED {
            self.not_public.push(format!("{label} ({why})"));
        } else {
            self.more_not_public += 1;
        }
    }

    fn warn(&mut self, warning: String) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(warning);
        } else {
            self.more_warnings += 1;
        }
    }

    /// The report as lines of text, for the terminal and the dashboard.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if self.format.is_empty() {
            // Not an export at all: only why.
            lines.extend(self.error.iter().map(|e| format!("Nothing imported: {e}.")));
            return lines;
        }
        let n = |count: u64, one: &str, many: &str| plural(count as i64, one, many);
        let verb = if self.dry_run {
            "Would import"
        } else {
            "Imported"
        };
        lines.push(format!(
            "{verb} {}, {}, {} ({} by guests), {} and {} from {} ({}).",
            n(self.posts, "post", "posts"),
            n(self.pages, "page", "pages"),
            n(self.comments, "comment", "comments"),
            self.guest_comments,
            n(self.authors, "author", "authors"),
            n(self.redirects, "redirect", "redirects"),
            if self.source.is_empty() {
                "an unnamed site"
            } else {
                &self.source
            },
            self.format
        ));
        if self.dry_run {
            lines.push("Dry run: nothing was written.".into());
        }
        if self.already_here > 0 {
            lines.push(format!(
                "{} here from an earlier import and left as {}.",
                n(self.already_here, "item was", "items were"),
                if self.already_here == 1 {
                    "it was"
                } else {
                    "they were"
                }
            ));
        }
        for (reason, n) in &self.skipped {
            lines.push(format!("Skipped {n}: {reason}."));
        }
        if !self.not_public.is_empty() {
            let more = if self.more_not_public > 0 {
                format!(" and {} more", self.more_not_public)
            } else {
                String::new()
            };
            lines.push(format!(
                "Not public at the old site, so {} as drafts, for you to publish or not: {}{more}.",
                if self.dry_run {
                    "they would come in"
                } else {
                    "they came in"
                },
                self.not_public.join(", ")
            ));
        }
        if !self.moved_pages.is_empty() {
            lines.push(format!(
                "Pages at addresses this site keeps for itself, {} another: {}.",
                if self.dry_run {
                    "which would be given"
                } else {
                    "given"
                },
                self.moved_pages.join(", ")
            ));
        }
        if !self.scheduled.is_empty() {
            lines.push(format!(
                "Scheduled at the old site, and published here at the same time: {}.",
                self.scheduled.join(", ")
            ));
        }
        if !self.new_accounts.is_empty() {
            lines.push(format!(
                "New author accounts, without a password (they cannot sign in): {}.",
                self.new_accounts.join(", ")
            ));
        }
        if !self.sticky_posts.is_empty() {
            lines.push(format!(
                "Sticky at the old site (not pinned here): {}.",
                self.sticky_posts.join(", ")
            ));
        }
        if !self.long_posts.is_empty() {
            lines.push(format!(
                "Longer than the editor saves ({} KB); split them before editing: {}.",
                MAX_BODY_BYTES / 1024,
                self.long_posts.join(", ")
            ));
        }
        if self.images_copied > 0 {
            let (one, many) = if self.dry_run {
                ("image file would be copied", "image files would be copied")
            } else {
                ("image file was copied", "image files were copied")
            };
            lines.push(format!(
                "{} into the media library.",
                n(self.images_copied, one, many)
            ));
        }
        if self.images_missing > 0 {
            lines.push(format!(
                "{} the posts show {} not in the folder given to --media-from.",
                n(self.images_missing, "image", "images"),
                if self.images_missing == 1 {
                    "was"
                } else {
                    "were"
                }
            ));
        }
        if self.external_images > 0 {
            lines.push(format!(
                "{} still shown from the old site, for example: {}.",
                n(self.external_images, "image is", "images are"),
                self.external_image_examples.join(", ")
            ));
        }
        for warning in &self.warnings {
            lines.push(format!("Warning: {warning}"));
        }
        if self.more_warnings > 0 {
            lines.push(format!(
                "And {} more.",
                n(self.more_warnings, "warning", "warnings")
            ));
        }
        if let Some(error) = &self.error {
            lines.push(format!("Stopped: {error}. What came before it is kept; run the import again once the file is fixed to continue."));
        }
        lines
    }
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

/// An entry made ready for writing: rendered, with its comments rendered.
struct Ready {
    source_id: String,
    title: String,
    /// Already here: only its comments (new ones) are written.
    existing: Option<i32>,
    post: Option<RenderedPost>,
    old_links: Vec<String>,
    comments: Vec<ReadyComment>,
    line: u64,
}

/// A comment filed apart from its post, ready for writing once the post is here.
struct ReadyReply {
    post_source_id: String,
    comment: ReadyComment,
}

struct ReadyComment {
    source_id: String,
    parent: Option<String>,
    author_id: Option<i32>,
    guest_name: String,
    guest_website: String,
    guest_email: String,
    body: String,
    body_html: String,
    status: CommentStatus,
    created_at: NaiveDateTime,
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

impl Import<'_> {
    fn read<T>(&mut self, f: impl FnOnce(&mut Conn) -> Result<T, AppError>) -> Result<T, AppError> {
        f(&mut self.conn)
    }

    fn take(&mut self, item: Item) -> Result<(), AppError> {
        match item {
            Item::Site {
                address,
                title,
                key,
            } => {
                self.source = if key.is_empty() {
                    source_key(&address, &title)
                } else {
                    key
                };
                self.report.source = if address.is_empty() { title } else { address };
            }
            Item::Author(author) => self.author(author)?,
            Item::Entry(entry) => self.entry(*entry)?,
            Item::Reply(reply) => self.reply(*reply)?,
            Item::TermPage { path, name } => {
                let slug = slugify(&name);
                if !slug.is_empty() {
                    self.term_pages.push((path, format!("/tags/{slug}")));
                }
            }
            Item::Skipped { reason } => self.report.skip(reason),
        }
        Ok(())
    }

    fn write<T>(
        &mut self,
        f: impl FnOnce(&mut Conn) -> Result<T, AppError>,
    ) -> Result<T, AppError> {
        db::write_with(&mut self.conn, f)
    }

    /// An author of the old site: the account with their email, or a new
    /// one without a usable password.
    fn author(&mut self, author: source::Author) -> Result<(), AppError> {
        let source = self.source.clone();
        let known = self.read(|conn| {
            if let Some(id) =
                Imported::local_id(conn, &source, ImportedKind::User, &author.source_id)?
            {
                return Ok(Some(id));
            }
            if author.email.is_empty() {
                return Ok(None);
            }
            Ok(User::id_by_email(conn, &author.email)?)
        })?;
        let id = match known {
            Some(id) => Some(id),
            None if self.report.authors >= MAX_AUTHORS => {
                self.report.skip(format!(
                    "authors beyond the first {MAX_AUTHORS} (their posts are by the editors)"
                ));
                None
            }
            None if self.options.dry_run => {
                self.report.authors += 1;
                self.report.new_accounts.push(author.login.clone());
                None
            }
            None => {
                let created = self.write(|conn| {
                    let username = free_username(conn, &author.login, &author.display_name)?;
                    let email = if author.email.is_empty() {
                        // Accounts need an address; `.invalid` is never delivered.
                        format!("{username}@imported.invalid")
                    } else {
                        author.email.clone()
                    };
                    let Some(user) = accounts::create(
                        conn,
                        &username,
                        &email,
                        NO_PASSWORD,
                        Role::Author,
                        accounts::Admins::Any,
                    )?
                    else {
                        return Ok(None);
                    };
                    let display = author.display_name.trim();
                    if !display.is_empty() && accounts::display_name_problem(display).is_none() {
                        User::set_display_name(conn, user.id, display)?;
                    }
                    Imported::record(
                        conn,
                        &source,
                        ImportedKind::User,
                        &author.source_id,
                        user.id,
                        None,
                    )?;
                    Ok(Some(user))
                })?;
                match created {
                    Some(user) => {
                        self.report.authors += 1;
                        self.report.new_accounts.push(user.username.clone());
                        Some(user.id)
                    }
                    None => {
                        self.report.warn(format!("the author {} could not be given an account; their posts are by the editors", author.login));
                        None
                    }
                }
            }
        };
        if let Some(id) = id {
            self.authors.insert(author.source_id.clone(), id);
            self.authors.insert(author.login.clone(), id);
        }
        Ok(())
    }

    fn entry(&mut self, entry: Entry) -> Result<(), AppError> {
        let label = if entry.title.is_empty() {
            format!("item {}", entry.source_id)
        } else {
            format!("“{}”", entry.title)
        };
        if entry.status == EntryStatus::Trash {
            self.report.skip("in the trash");
            return Ok(());
        }
        for reason in &entry.skipped_comments {
            self.report.skip(*reason);
        }
        let source = self.source.clone();
        let existing = self.read(|conn| {
            Ok(Imported::local_id(
                conn,
                &source,
                ImportedKind::Post,
                &entry.source_id,
            )?)
        })?;
        let post = match existing {
            Some(_) => {
                self.report.already_here += 1;
                None
            }
            None => {
                if let Some(why) = entry.status.not_public() {
                    self.report.not_public(&label, why);
                }
                if let (EntryStatus::Scheduled, Some(at)) = (entry.status, entry.published_at) {
                    if self.report.scheduled.len() < MAX_LISTED {
                        let at = at.format("%Y-%m-%d %H:%M UTC");
                        self.report.scheduled.push(format!("{label} ({at})"));
                    }
                }
                Some(self.render(&entry, &label)?)
            }
        };
        let mut comments = Vec::new();
        for comment in &entry.comments {
            if let Some(ready) = self.comment(comment, entry.line, entry.published_at)? {
                comments.push(ready);
            }
        }
        self.batch_comments += comments.len();
        self.batch_bytes += post.as_ref().map_or(0, |p| {
            p.input.body.len() + p.rendered.html.len() + p.rendered.plain.len()
        }) + comments
            .iter()
            .map(|c| c.body.len() + c.body_html.len())
            .sum::<usize>();
        self.batch.push(Ready {
            source_id: entry.source_id.clone(),
            title: label,
            existing,
            post,
            old_links: old_links(&entry),
            comments,
            line: entry.line,
        });
        Ok(())
    }

    /// A comment filed apart from its post: written with the batch, once its
    /// post is here.
    fn reply(&mut self, reply: Reply) -> Result<(), AppError> {
        let Some(comment) = self.comment(&reply.comment, reply.line, None)? else {
            return Ok(());
        };
        self.batch_comments += 1;
        self.batch_bytes += comment.body.len() + comment.body_html.len();
        self.replies.push(ReadyReply {
            post_source_id: reply.post_source_id,
            comment,
        });
        Ok(())
    }

    /// The post as it will be stored, rendered now, outside any transaction.
    fn render(&mut self, entry: &Entry, label: &str) -> Result<RenderedPost, AppError> {
        let (mut body, format) = match entry.content_kind {
            Content::WordPress => (content::wordpress_html(&entry.content), PostFormat::Html),
            Content::Html => (entry.content.clone(), PostFormat::Html),
            Content::Markdown => (entry.content.clone(), PostFormat::Markdown),
        };
        if body.len() > MAX_BODY_BYTES && self.report.long_posts.len() < MAX_LISTED {
            self.report.long_posts.push(label.to_string());
        }
        let mut pictures = markdown::Pictures::new();
        if format == PostFormat::Html {
            if self.options.media_from.is_some() {
                body = self.bring_images(&body)?;
            }
            let paths = markdown::media_paths(&body);
            if !paths.is_empty() {
                pictures = self.read(|conn| Ok(Media::pictures(conn, &paths)?))?;
            }
            for src in image_sources(&body) {
                if !src.starts_with("/media/") {
                    self.report.external_images += 1;
                    if self.report.external_image_examples.len() < 3 {
                        self.report.external_image_examples.push(src);
                    }
                }
            }
        }
        if entry.sticky && self.report.sticky_posts.len() < MAX_LISTED {
            self.report.sticky_posts.push(label.to_string());
        }
        let published = matches!(
            entry.status,
            EntryStatus::Published | EntryStatus::Scheduled
        );
        if published && entry.published_at.is_none() {
            self.report.warn(format!(
                "{label} (line {}) has no date; it is published as of the import",
                entry.line
            ));
        }
        let mut slug = decoded_slug(&entry.slug);
        if entry.kind == EntryKind::Page {
            let wanted = slugify(if slug.trim().is_empty() {
                &entry.title
            } else {
                &slug
            });
            // `/admin`, `/login`…: a page there could never be reached.
            if crate::slug::is_reserved(&wanted) {
                slug = format!("{wanted}-page");
                if self.report.moved_pages.len() < MAX_LISTED {
                    self.report
                        .moved_pages
                        .push(format!("{label} (/{wanted} → /{slug})"));
                }
            }
        }
        let input = PostInput {
            kind: match entry.kind {
                EntryKind::Post => PostKind::Post,
                EntryKind::Page => PostKind::Page,
            },
            title: if entry.title.trim().is_empty() {
                "Untitled".into()
            } else {
                entry.title.trim().to_string()
            },
            slug,
            dateline: entry.dateline.clone(),
            body,
            tags: entry.tags.clone(),
            published,
            published_at: entry.published_at,
            comments_enabled: entry.comments_open,
            author_id: self.authors.get(&entry.author_login).copied(),
            cover_media_id: None,
            excerpt: entry.excerpt.clone(),
            search_description: entry.search_description.clone(),
            format,
        };
        Ok(input.render_with(&pictures))
    }

    /// The post's HTML with the images found in `--media-from` shown from
    /// the library (sanitised, as it would be anyway); as it was when none are.
    fn bring_images(&mut self, html: &str) -> Result<String, AppError> {
        let clean = markdown::render_html_post(html, &markdown::Pictures::new()).html;
        let mut moved: HashMap<String, String> = HashMap::new();
        for address in uploads::image_addresses(&clean) {
            if address.starts_with("/media/") {
                continue;
            }
            if let Some(url) = self.library_image(&address)? {
                moved.insert(address, url);
            }
        }
        if moved.is_empty() {
            return Ok(html.to_string());
        }
        Ok(uploads::rewrite(&clean, |a| moved.get(a).cloned()))
    }

    /// The library address of the image file an old address names, bringing
    /// it in the first time; `None` when the folder lacks it or it is refused.
    fn library_image(&mut self, address: &str) -> Result<Option<String>, AppError> {
        let Some(from) = self.options.media_from.clone() else {
            return Ok(None);
        };
        let Some(file) = uploads::file_for(&from.dir, address) else {
            self.report.images_missing += 1;
            return Ok(None);
        };
        if let Some(known) = self.images.get(&file) {
            return Ok(known.clone());
        }
        let url = self.bring_image(&from, &file)?;
        if self.images.len() > 100_000 {
            self.images.clear();
        }
        self.images.insert(file, url.clone());
        Ok(url)
    }

    fn bring_image(
        &mut self,
        from: &MediaFrom,
        file: &std::path::Path,
    ) -> Result<Option<String>, AppError> {
        let key = file
            .strip_prefix(&from.dir)
            .unwrap_or(file)
            .to_string_lossy()
            .into_owned();
        let source = self.source.clone();
        let here = self.read(|conn| {
            match Imported::local_id(conn, &source, ImportedKind::Media, &key)? {
                Some(id) => Ok(Media::find(conn, id)?),
                None => Ok(None),
            }
        })?;
        if let Some(media) = here {
            return Ok(Some(media.url()));
        }
        let refuse = |report: &mut Report, why: &str| {
            report.warn(format!("{key} {why}; the posts show it from the old site"));
            Ok(None)
        };
        let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(u64::MAX);
        if size > crate::media::MAX_UPLOAD_BYTES as u64 {
            return refuse(&mut self.report, "is larger than an upload may be");
        }
        let bytes = match uploads::read_plain(file) {
            Ok(bytes) => bytes,
            Err(e) => return refuse(&mut self.report, &format!("cannot be read ({e})")),
        };
        let hash = crate::media::hash_of(&bytes);
        let lookup = hash.clone();
        if let Some(media) = self.read(|conn| Ok(Media::find_by_hash(conn, &lookup)?))? {
            if !self.options.dry_run {
                let id = media.id;
                self.write(|conn| {
                    Ok(Imported::record(
                        conn,
                        &source,
                        ImportedKind::Media,
                        &key,
                        id,
                        None,
                    )?)
                })?;
            }
            return Ok(Some(media.url()));
        }
        let processed = match crate::media::process(&bytes, hash) {
            Ok(processed) => processed,
            Err(why) => return refuse(&mut self.report, &why.to_string()),
        };
        self.report.images_copied += 1;
        if self.options.dry_run {
            return Ok(None);
        }
        let written = from
            .store
            .save(&processed)
            .map_err(AppError::FilesNotSaved)?;
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let saved = self.write(|conn| {
            let media = Media::create_processed(conn, &processed, "", &name, None)?;
            Imported::record(conn, &source, ImportedKind::Media, &key, media.id, None)?;
            Ok(media)
        });
        match saved {
            Ok(media) => Ok(Some(media.url())),
            Err(e) => {
                from.store.remove(&written);
                Err(e)
            }
        }
    }

    /// A comment read from the file on `line`, dated `post_date` when it has no date.
    fn comment(
        &mut self,
        c: &source::Comment,
        line: u64,
        post_date: Option<NaiveDateTime>,
    ) -> Result<Option<ReadyComment>, AppError> {
        let status = match c.status {
            source::CommentStatus::Approved => CommentStatus::Approved,
            source::CommentStatus::Held => CommentStatus::Pending,
            source::CommentStatus::Spam => CommentStatus::Spam,
            source::CommentStatus::Trash => {
                self.report.skip("comments in the trash");
                return Ok(None);
            }
        };
        if c.source_id.is_empty() {
            self.report.skip("comments without an id");
            return Ok(None);
        }
        let source = self.source.clone();
        let here = self.read(|conn| {
            Ok(Imported::local_id(
                conn,
                &source,
                ImportedKind::Comment,
                &c.source_id,
            )?)
        })?;
        if here.is_some() {
            self.report.already_here += 1;
            return Ok(None);
        }
        let mut author_id = c
            .author_account
            .as_ref()
            .and_then(|account| self.authors.get(account).copied());
        let email = c.author_email.trim().to_lowercase();
        if author_id.is_none() && !email.is_empty() {
            author_id = match self.emails.get(&email) {
                Some(found) => *found,
                None => {
                    let found = self.read(|conn| Ok(User::id_by_email(conn, &email)?))?;
                    if self.emails.len() > 100_000 {
                        self.emails.clear();
                    }
                    self.emails.insert(email.clone(), found);
                    found
                }
            };
        }
        let created_at = match c.created_at {
            Some(at) => at,
            None => {
                self.report.warn(format!(
                    "comment {} on line {} has no date; it is dated as its post",
                    c.source_id, line
                ));
                post_date.unwrap_or_else(models::now)
            }
        };
        let (body, body_html) = match c.content_kind {
            Content::Markdown => {
                let text = crate::models::comment::CommentText::render(&c.content);
                (text.body, text.html)
            }
            Content::WordPress | Content::Html => {
                let html = content::autop(c.content.trim());
                (
                    c.content.trim().to_string(),
                    markdown::render_comment_html(&html),
                )
            }
        };
        let guest_name = if author_id.is_some() {
            String::new()
        } else if c.author_name.trim().is_empty() {
            "Anonymous".into()
        } else {
            c.author_name.trim().chars().take(100).collect()
        };
        Ok(Some(ReadyComment {
            source_id: c.source_id.clone(),
            parent: c.parent_source_id.clone(),
            author_id,
            guest_website: if author_id.is_some() {
                String::new()
            } else {
                c.author_url.trim().to_string()
            },
            guest_email: if author_id.is_some() {
                String::new()
            } else {
                email
            },
            guest_name,
            body,
            body_html,
            status,
            created_at,
        }))
    }

    /// Writes the batch: one transaction, one savepoint per item.
    fn flush(&mut self) -> Result<(), AppError> {
        let batch = std::mem::take(&mut self.batch);
        let term_pages = std::mem::take(&mut self.term_pages);
        let replies = std::mem::take(&mut self.replies);
        self.batch_comments = 0;
        self.batch_bytes = 0;
        if batch.is_empty() && term_pages.is_empty() && replies.is_empty() {
            return Ok(());
        }
        if self.options.dry_run {
            self.report.redirects += term_pages.len() as u64;
            for ready in &batch {
                self.count(ready, ready.old_links.len() as u64);
            }
            for reply in &replies {
                self.count_comment(&reply.comment);
            }
            return Ok(());
        }
        let source = self.source.clone();
        let (terms, outcomes, placed) = self.write(|conn| {
            let mut terms = 0;
            for (from, to) in &term_pages {
                terms += u64::from(add_redirect(conn, from, to)?);
            }
            let mut outcomes = Vec::with_capacity(batch.len());
            for ready in &batch {
                let outcome = savepoint(conn, |conn| write_item(conn, &source, ready))?;
                outcomes.push(outcome);
            }
            // After the batch's posts, which the replies may be on.
            let mut placed = Vec::with_capacity(replies.len());
            for reply in &replies {
                placed.push(savepoint(conn, |conn| write_reply(conn, &source, reply))?);
            }
            Imported::link_parents(conn, &source)?;
            Ok((terms, outcomes, placed))
        })?;
        for (reply, outcome) in replies.into_iter().zip(placed) {
            match outcome {
                Ok(true) => self.count_comment(&reply.comment),
                Ok(false) => self.wait(reply),
                Err(e) => {
                    self.report.skip("comments the database refused");
                    self.report.warn(format!(
                        "comment {} was not imported: {e}",
                        reply.comment.source_id
                    ));
                }
            }
        }
        self.report.redirects += terms;
        for (ready, outcome) in batch.iter().zip(outcomes) {
            match outcome {
                Ok(redirects) => self.count(ready, redirects),
                Err(e) => {
                    self.report.skip("items the database refused");
                    self.report.warn(format!(
                        "{} (line {}) was not imported: {e}",
                        ready.title, ready.line
                    ));
                }
            }
        }
        Ok(())
    }

    /// A comment whose post is not here yet: held for the end of the file,
    /// within a bound, and after the end given up on.
    fn wait(&mut self, reply: ReadyReply) {
        let size = reply.comment.body.len() + reply.comment.body_html.len();
        if self.finishing {
            self.report
                .skip("comments on posts that are not in the export or were not imported");
        } else if self.waiting_bytes + size > MAX_WAITING_BYTES {
            self.report.skip(
                "comments filed far ahead of their posts (run the import again to bring them in)",
            );
        } else {
            self.waiting_bytes += size;
            self.waiting.push(reply);
        }
    }

    fn count_comment(&mut self, comment: &ReadyComment) {
        self.report.comments += 1;
        self.report.guest_comments += u64::from(comment.author_id.is_none());
    }

    fn count(&mut self, ready: &Ready, redirects: u64) {
        if let Some(post) = &ready.post {
            match post.input.kind {
                PostKind::Post => self.report.posts += 1,
                PostKind::Page => self.report.pages += 1,
            }
        }
        self.report.redirects += redirects;
        self.report.comments += ready.comments.len() as u64;
        self.report.guest_comments += ready
            .comments
            .iter()
            .filter(|c| c.author_id.is_none())
            .count() as u64;
    }

    /// Reports the comments whose parent never came and forgets them.
    fn finish(&mut self) -> Result<(), AppError> {
        if self.options.dry_run {
            return Ok(());
        }
        self.finishing = true;
        self.replies = std::mem::take(&mut self.waiting);
        self.waiting_bytes = 0;
        self.flush()?;
        let source = self.source.clone();
        let (orphans, total) = self.write(|conn| {
            let orphans = Imported::orphans(conn, &source, MAX_WARNINGS as i64)?;
            let total = Imported::forget_orphans(conn, &source)?;
            Ok((orphans, total))
        })?;
        for (id, parent) in &orphans {
            self.report.warn(format!(
                "comment {id} answers comment {parent}, which is not in the export; it is shown as a comment on the post"
            ));
        }
        self.report.more_warnings += (total as u64).saturating_sub(orphans.len() as u64);
        Ok(())
    }
}

/// Runs one item in a savepoint: `Ok(Err(..))` when the database refused
/// that item alone (the batch goes on without it), `Err` when the storage
/// refused the write (a full disk): SQLite has then rolled back the whole
/// transaction, so the batch stops with that cause, not with the error of
/// the savepoint's rollback ("outside of a transaction") that would follow.
fn savepoint<T>(
    conn: &mut Conn,
    f: impl FnOnce(&mut Conn) -> Result<T, diesel::result::Error>,
) -> Result<Result<T, diesel::result::Error>, AppError> {
    let mut refused = None;
    let outcome = conn.transaction(|conn| match f(conn) {
        Err(e) if db::is_storage_failure(&e) => {
            refused = Some(e);
            Err(diesel::result::Error::RollbackTransaction)
        }
        other => other,
    });
    match refused {
        Some(e) => Err(AppError::NotSaved(e)),
        None => Ok(outcome),
    }
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

/// Not a PHC string, so no password ever matches it.
const NO_PASSWORD: &str = "!imported";

/// Writes one item inside the batch's transaction; returns the redirects added.
fn write_item(conn: &mut Conn, source: &str, ready: &Ready) -> Result<u64, diesel::result::Error> {
    let now = models::now();
    // A new post's address, for the redirects from its old ones.
    let (post_id, path) = match (&ready.post, ready.existing) {
        (_, Some(id)) => (id, None),
        (Some(new), None) => {
            // Dated as the old site dated it (never later than now).
            let at = new.input.published_at.map_or(now, |at| at.min(now));
            let post = Post::create(conn, new, at)?;
            if !new.rendered.media_ids.is_empty() {
                Media::link_to_post(conn, post.id, &new.rendered.media_ids)?;
            }
            Imported::record(
                conn,
                source,
                ImportedKind::Post,
                &ready.source_id,
                post.id,
                None,
            )?;
            (post.id, Some(post.path()))
        }
        (None, None) => return Ok(0),
    };
    let mut redirects = 0;
    if let Some(path) = path {
        for from in &ready.old_links {
            redirects += u64::from(add_redirect(conn, from, &path)?);
        }
    }
    for c in &ready.comments {
        write_comment(conn, source, post_id, c)?;
    }
    Ok(redirects)
}

/// Writes a comment filed apart from its post; `false` when the post is
/// not here (yet).
fn write_reply(
    conn: &mut Conn,
    source: &str,
    reply: &ReadyReply,
) -> Result<bool, diesel::result::Error> {
    let Some(post_id) =
        Imported::local_id(conn, source, ImportedKind::Post, &reply.post_source_id)?
    else {
        return Ok(false);
    };
    write_comment(conn, source, post_id, &reply.comment)?;
    Ok(true)
}

fn write_comment(
    conn: &mut Conn,
    source: &str,
    post_id: i32,
    c: &ReadyComment,
) -> Result<(), diesel::result::Error> {
    let comment = Comment::create(
        conn,
        &NewComment {
            post_id,
            author_id: c.author_id,
            parent_id: None,
            body: &c.body,
            body_html: &c.body_html,
            status: c.status,
            created_at: c.created_at,
            guest_name: &c.guest_name,
            guest_website: &c.guest_website,
            guest_email: &c.guest_email,
        },
    )?;
    Imported::record(
        conn,
        source,
        ImportedKind::Comment,
        &c.source_id,
        comment.id,
        c.parent.as_deref(),
    )?;
    Ok(())
}

/// Adds a redirect from an old address unless the address is one this site
/// answers itself or is taken; `true` when added.
fn add_redirect(conn: &mut Conn, from: &str, to: &str) -> QueryResult<bool> {
    let Some(from) = normalise_from(from) else {
        return Ok(false);
    };
    if from == to || from == "/" || Redirect::target(conn, &from)?.is_some() {
        return Ok(false);
    }
    Redirect::add(conn, &from, to, models::now())?;
    Ok(true)
}

/// The old addresses of an entry that can be redirects: paths and http(s) URLs.
fn old_links(entry: &Entry) -> Vec<String> {
    entry
        .old_links
        .iter()
        .filter(|l| l.starts_with('/') || l.starts_with("http://") || l.starts_with("https://"))
        .cloned()
        .collect()
}

/// An import's key for the site it came from: the address without scheme
/// or trailing slash, else the title.
fn source_key(address: &str, title: &str) -> String {
    let key = address
        .trim()
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_lowercase();
    if key.is_empty() {
        format!("untitled:{}", title.trim())
    } else {
        key
    }
}

/// WordPress stores non-ASCII slugs percent-encoded.
fn decoded_slug(slug: &str) -> String {
    urlencoding::decode(slug)
        .map(|s| s.into_owned())
        .unwrap_or_else(|_| slug.to_string())
}

/// A username for an old site's author: their login if it is free and fits
/// the rules, else made from it (or the display name), numbered if taken.
fn free_username(conn: &mut Conn, login: &str, display: &str) -> Result<String, AppError> {
    let cleaned = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                    c
                } else {
                    '-'
                }
            })
            .collect::<String>()
            .trim_matches('-')
            .chars()
            .take(28)
            .collect()
    };
    let mut base = cleaned(login);
    if base.chars().count() < 3 {
        base = cleaned(&slugify(display));
    }
    if base.chars().count() < 3 {
        base = "author".into();
    }
    let mut name = base.clone();
    let mut n = 2;
    while User::username_taken(conn, &name)? {
        name = format!("{base}-{n}");
        n += 1;
    }
    Ok(name)
}

/// The `src` of every `<img>` in sanitised HTML.
fn image_sources(html: &str) -> Vec<String> {
    static IMG: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r#"<img\b[^>]*?\bsrc="([^"]*)""#).expect("a valid pattern")
    });
    IMG.captures_iter(html)
        .filter_map(|c| c.get(1).map(|m| m.as_str().replace("&amp;", "&")))
        .collect()
}
