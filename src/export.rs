//! The whole site as a WordPress eXtended RSS file (WXR 1.2), the format
//! WordPress's own importer reads: `broadsheet export FILE` and
//! `GET /admin/export`.
//!
//! Every post and page (drafts and scheduled ones too) is an item with its
//! tags and every comment; the media library's images are attachment items;
//! the channel lists the people named and the tags. WordPress shows
//! `content:encoded` (the rendered HTML); a Broadsheet import restores the
//! source exactly from the `_broadsheet_*` postmeta.
//!
//! The file is streamed: the rows are read a batch at a time by id, and each
//! post's comments when the post is written, so memory holds at most a batch
//! of posts and one post's comments. There is no single read transaction
//! around it: a snapshot held for a whole export of a large site would keep
//! the WAL from being emptied (`db::spawn_checkpointer`) and stall every
//! writer meanwhile. Instead the post ids are bounded when the export starts,
//! so that posts saved during it (left out) never take an id the attachments
//! were given.

use std::borrow::Cow;
use std::io::{self, Write};

use crate::db::Conn;
use crate::error::AppError;
use chrono::NaiveDateTime;
use quick_xml::events::{BytesCData, BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;

use crate::models::comment::OwnerComment;
use crate::models::media::Media;
use crate::models::post::PostState;
use crate::models::{self, Comment, CommentStatus, Post, PostKind, Settings, Tag, User};
use crate::view::post_path;

/// Rows read at a time: posts (with their tags and authors), tags, images,
/// people.
const BATCH: i64 = 200;

/// What WordPress writes as the GMT date of a draft that was never published.
const NO_DATE: &str = "0000-00-00 00:00:00";

/// What an export held.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Exported {
    pub posts: i64,
    pub pages: i64,
    pub comments: i64,
    pub tags: i64,
    pub authors: i64,
    pub media: i64,
}

/// Why an export stopped. The output is incomplete in either case.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("cannot read the database: {0}")]
    Db(#[from] diesel::result::Error),
    #[error("cannot write the export: {0}")]
    Io(#[from] io::Error),
}

impl From<ExportError> for AppError {
    fn from(e: ExportError) -> Self {
        match e {
            ExportError::Db(e) => AppError::ExportNotRead(e),
            ExportError::Io(e) => AppError::ExportNotWritten(e),
        }
    }
}

/// Writes the whole site to `out` as WXR 1.2; `base_url` is the site's
/// public address (a trailing slash is ignored), from which every link and
/// file address in the export is made absolute.
pub fn write_wxr(
    conn: &mut Conn,
    out: impl Write,
    base_url: &str,
) -> Result<Exported, ExportError> {
    let base = base_url.trim_end_matches('/');
    let now = models::now();
    let settings = Settings::load(conn)?;
    // WordPress keeps posts and attachments in one id space: the images
    // take the ids above the last post's.
    let last_post = Post::max_id(conn)?;
    let mut wxr = Wxr {
        xml: Writer::new_with_indent(io::BufWriter::with_capacity(64 * 1024, out), b'\t', 1),
        base,
        base_attr: escape_attr(base),
    };
    let mut done = Exported::default();

    wxr.head(&settings, now)?;
    done.authors = wxr.authors(conn)?;
    done.tags = wxr.tags(conn)?;
    wxr.text(
        "generator",
        concat!("Broadsheet ", env!("CARGO_PKG_VERSION")),
    )?;
    done.media = wxr.attachments(conn, last_post)?;
    let mut after = 0;
    loop {
        let posts = Post::batch(conn, after, last_post, BATCH)?;
        let Some(last) = posts.last() else { break };
        after = last.id;
        let ids: Vec<i32> = posts.iter().map(|p| p.id).collect();
        let mut tags = Tag::for_posts(conn, &ids)?;
        let author_ids: Vec<i32> = posts.iter().filter_map(|p| p.author_id).collect();
        let usernames = User::usernames(conn, &author_ids)?;
        for post in &posts {
            let comments = Comment::every_for_post(conn, post.id)?;
            let creator = post
                .author_id
                .and_then(|id| usernames.get(&id))
                .map_or("", String::as_str);
            let item = Item {
                post,
                tags: tags.remove(&post.id).unwrap_or_default(),
                comments: &comments,
                creator,
                cover_id: post.cover_media_id.map(|id| attachment_id(last_post, id)),
            };
            wxr.post(&item, now)?;
            done.comments += comments.len() as i64;
            match post.kind {
                PostKind::Post => done.posts += 1,
                PostKind::Page => done.pages += 1,
            }
        }
    }
    wxr.close("channel")?;
    wxr.close("rss")?;
    let mut out = wxr.xml.into_inner();
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(done)
}

/// The WordPress id of the attachment item for the image `media_id`.
fn attachment_id(last_post: i32, media_id: i32) -> i64 {
    i64::from(last_post) + i64::from(media_id)
}

/// A post and what its item holds besides its own columns.
struct Item<'a> {
    post: &'a Post,
    tags: Vec<Tag>,
    comments: &'a [OwnerComment],
    /// The author's username; empty for the editors' posts.
    creator: &'a str,
    /// The attachment id of the cover image.
    cover_id: Option<i64>,
}

/// The writer, with the site's address as text and as attribute content.
struct Wxr<'b, W: Write> {
    xml: Writer<W>,
    base: &'b str,
    base_attr: String,
}

impl<W: Write> Wxr<'_, W> {
    fn head(&mut self, settings: &Settings, now: NaiveDateTime) -> io::Result<()> {
        self.xml
            .write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        self.xml
            .write_event(Event::Comment(BytesText::from_escaped(
                " A WordPress eXtended RSS (WXR 1.2) export of a Broadsheet site. Import it \
             into WordPress (Tools, Import, WordPress) or into Broadsheet (broadsheet import). ",
            )))?;
        let rss = BytesStart::new("rss").with_attributes([
            ("version", "2.0"),
            ("xmlns:excerpt", "http://wordpress.org/export/1.2/excerpt/"),
            ("xmlns:content", "http://purl.org/rss/1.0/modules/content/"),
            ("xmlns:wfw", "http://wellformedweb.org/CommentAPI/"),
            ("xmlns:dc", "http://purl.org/dc/elements/1.1/"),
            ("xmlns:wp", "http://wordpress.org/export/1.2/"),
        ]);
        self.xml.write_event(Event::Start(rss))?;
        self.open("channel")?;
        self.cdata("title", &settings.title)?;
        self.text("link", self.base)?;
        self.cdata("description", &settings.description)?;
        self.text("pubDate", &rfc2822(&now))?;
        self.text("language", "en")?;
        self.text("wp:wxr_version", "1.2")?;
        self.text("wp:base_site_url", self.base)?;
        self.text("wp:base_blog_url", self.base)
    }

    /// One `wp:author` per person who wrote or uploaded something.
    fn authors(&mut self, conn: &mut Conn) -> Result<i64, ExportError> {
        let (mut after, mut count) = (0, 0);
        loop {
            let users = User::contributors(conn, after, BATCH)?;
            let Some(last) = users.last() else {
                return Ok(count);
            };
            after = last.id;
            for user in &users {
                self.open("wp:author")?;
                self.number("wp:author_id", i64::from(user.id))?;
                self.cdata("wp:author_login", &user.username)?;
                self.cdata("wp:author_email", &user.email)?;
                self.cdata("wp:author_display_name", &user.display_name)?;
                self.cdata("wp:author_first_name", "")?;
                self.cdata("wp:author_last_name", "")?;
                self.close("wp:author")?;
                count += 1;
            }
        }
    }

    fn tags(&mut self, conn: &mut Conn) -> Result<i64, ExportError> {
        let (mut after, mut count) = (0, 0);
        loop {
            let tags = Tag::batch(conn, after, BATCH)?;
            let Some(last) = tags.last() else {
                return Ok(count);
            };
            after = last.id;
            for tag in &tags {
                self.open("wp:tag")?;
                self.number("wp:term_id", i64::from(tag.id))?;
                self.cdata("wp:tag_slug", &tag.slug)?;
                self.cdata("wp:tag_name", &tag.name)?;
                self.close("wp:tag")?;
                count += 1;
            }
        }
    }

    /// The media library as attachment items, whose files WordPress's
    /// importer downloads from this site.
    fn attachments(&mut self, conn: &mut Conn, last_post: i32) -> Result<i64, ExportError> {
        let (mut after, mut count) = (0, 0);
        loop {
            let images = Media::batch(conn, after, BATCH)?;
            let Some(last) = images.last() else {
                return Ok(count);
            };
            after = last.id;
            let uploader_ids: Vec<i32> = images.iter().filter_map(|m| m.uploaded_by).collect();
            let usernames = User::usernames(conn, &uploader_ids)?;
            for image in &images {
                let creator = image
                    .uploaded_by
                    .and_then(|id| usernames.get(&id))
                    .map_or("", String::as_str);
                self.attachment(image, attachment_id(last_post, image.id), creator)?;
                count += 1;
            }
        }
    }

    fn attachment(&mut self, image: &Media, id: i64, creator: &str) -> io::Result<()> {
        // The full image: the largest file stored.
        let url = format!("{}{}", self.base, image.url());
        let title = attachment_title(image);
        let date = wp_date(&image.created_at);
        let slug = match crate::slug::slugify(&title) {
            slug if slug.is_empty() => image.stem.clone(),
            slug => slug,
        };
        self.open("item")?;
        self.cdata("title", &title)?;
        self.text("link", &url)?;
        self.text("pubDate", &rfc2822(&image.created_at))?;
        self.cdata("dc:creator", creator)?;
        self.guid(&url)?;
        self.text("description", "")?;
        self.cdata("content:encoded", "")?;
        self.cdata("excerpt:encoded", "")?;
        self.number("wp:post_id", id)?;
        for name in [
            "wp:post_date",
            "wp:post_date_gmt",
            "wp:post_modified",
            "wp:post_modified_gmt",
        ] {
            self.cdata(name, &date)?;
        }
        self.cdata("wp:comment_status", "closed")?;
        self.cdata("wp:ping_status", "closed")?;
        self.cdata("wp:post_name", &slug)?;
        self.cdata("wp:status", "inherit")?;
        self.number("wp:post_parent", 0)?;
        self.number("wp:menu_order", 0)?;
        self.cdata("wp:post_type", "attachment")?;
        self.cdata("wp:post_password", "")?;
        self.number("wp:is_sticky", 0)?;
        self.text("wp:attachment_url", &url)?;
        if !image.alt.is_empty() {
            self.meta("_wp_attachment_image_alt", &image.alt)?;
        }
        self.close("item")
    }

    fn post(&mut self, item: &Item<'_>, now: NaiveDateTime) -> io::Result<()> {
        let post = item.post;
        let link = format!("{}{}", self.base, post_path(post.kind, &post.slug));
        // A draft never published is dated by its creation and, as
        // WordPress writes drafts, has no GMT date.
        let (date, date_gmt) = match post.published_at {
            Some(at) => (at, wp_date(&at)),
            None => (post.created_at, NO_DATE.to_string()),
        };
        let status = match PostState::of(post.status, post.published_at, now) {
            PostState::Draft => "draft",
            PostState::Scheduled => "future",
            PostState::Published => "publish",
        };
        let kind = match post.kind {
            PostKind::Post => "post",
            PostKind::Page => "page",
        };
        self.open("item")?;
        self.cdata("title", &post.title)?;
        self.text("link", &link)?;
        self.text("pubDate", &rfc2822(&date))?;
        self.cdata("dc:creator", item.creator)?;
        self.guid(&format!("{}/?p={}", self.base, post.id))?;
        self.text("description", "")?;
        let html = absolute_urls(&post.body_html, &self.base_attr);
        self.cdata("content:encoded", &html)?;
        self.cdata("excerpt:encoded", &post.custom_excerpt)?;
        self.number("wp:post_id", i64::from(post.id))?;
        self.cdata("wp:post_date", &wp_date(&date))?;
        self.cdata("wp:post_date_gmt", &date_gmt)?;
        let modified = wp_date(&post.updated_at);
        self.cdata("wp:post_modified", &modified)?;
        self.cdata("wp:post_modified_gmt", &modified)?;
        let comment_status = if post.comments_enabled {
            "open"
        } else {
            "closed"
        };
        self.cdata("wp:comment_status", comment_status)?;
        self.cdata("wp:ping_status", "closed")?;
        self.cdata("wp:post_name", &post.slug)?;
        self.cdata("wp:status", status)?;
        self.number("wp:post_parent", 0)?;
        self.number("wp:menu_order", 0)?;
        self.cdata("wp:post_type", kind)?;
        self.cdata("wp:post_password", "")?;
        self.number("wp:is_sticky", 0)?;
        for tag in &item.tags {
            let category = BytesStart::new("category")
                .with_attributes([("domain", "post_tag"), ("nicename", tag.slug.as_str())]);
            self.xml.write_event(Event::Start(category))?;
            self.cdata_content(&tag.name)?;
            self.close("category")?;
        }
        if let Some(cover) = item.cover_id {
            self.meta("_thumbnail_id", &cover.to_string())?;
        }
        self.meta("_broadsheet_format", post.format.as_str())?;
        self.meta("_broadsheet_body", &post.body)?;
        if !post.dateline.is_empty() {
            self.meta("_broadsheet_dateline", &post.dateline)?;
        }
        if !post.search_description.is_empty() {
            self.meta("_broadsheet_search_description", &post.search_description)?;
        }
        for comment in item.comments {
            self.comment(comment)?;
        }
        self.close("item")
    }

    fn comment(&mut self, full: &OwnerComment) -> io::Result<()> {
        let c = &full.comment;
        let (author, email) = match &full.account {
            Some((name, email)) => (name.as_str(), email.as_str()),
            None => (c.guest_name.as_str(), full.guest_email.as_str()),
        };
        let date = wp_date(&c.created_at);
        let approved = match c.status {
            CommentStatus::Approved => "1",
            CommentStatus::Pending => "0",
            CommentStatus::Spam => "spam",
            CommentStatus::Deleted => "trash",
        };
        self.open("wp:comment")?;
        self.number("wp:comment_id", i64::from(c.id))?;
        self.cdata("wp:comment_author", author)?;
        self.cdata("wp:comment_author_email", email)?;
        self.text("wp:comment_author_url", &c.guest_website)?;
        self.cdata("wp:comment_author_IP", "")?;
        self.cdata("wp:comment_date", &date)?;
        self.cdata("wp:comment_date_gmt", &date)?;
        self.cdata("wp:comment_content", &c.body)?;
        self.cdata("wp:comment_approved", approved)?;
        self.cdata("wp:comment_type", "comment")?;
        self.number("wp:comment_parent", i64::from(c.parent_id.unwrap_or(0)))?;
        self.number("wp:comment_user_id", i64::from(c.author_id.unwrap_or(0)))?;
        self.close("wp:comment")
    }

    fn open(&mut self, name: &str) -> io::Result<()> {
        self.xml.write_event(Event::Start(BytesStart::new(name)))
    }

    fn close(&mut self, name: &str) -> io::Result<()> {
        self.xml.write_event(Event::End(BytesEnd::new(name)))
    }

    /// An element of escaped text: addresses, dates, numbers, states.
    fn text(&mut self, name: &str, text: &str) -> io::Result<()> {
        self.open(name)?;
        // Written even when empty: it keeps the closing tag on the same line.
        self.xml
            .write_event(Event::Text(BytesText::new(&xml_chars(text))))?;
        self.close(name)
    }

    fn number(&mut self, name: &str, n: i64) -> io::Result<()> {
        self.text(name, &n.to_string())
    }

    /// An element of text as written: titles, bodies, names.
    fn cdata(&mut self, name: &str, text: &str) -> io::Result<()> {
        self.open(name)?;
        self.cdata_content(text)?;
        self.close(name)
    }

    /// `text` in CDATA sections: one, or one more after each `]]` that a `>`
    /// follows, since `]]>` would end the section (`]]]]><![CDATA[>`).
    fn cdata_content(&mut self, text: &str) -> io::Result<()> {
        let text = xml_chars(text);
        for part in BytesCData::escaped(&text) {
            self.xml.write_event(Event::CData(part))?;
        }
        Ok(())
    }

    fn guid(&mut self, id: &str) -> io::Result<()> {
        let guid = BytesStart::new("guid").with_attributes([("isPermaLink", "false")]);
        self.xml.write_event(Event::Start(guid))?;
        self.xml
            .write_event(Event::Text(BytesText::new(&xml_chars(id))))?;
        self.close("guid")
    }

    fn meta(&mut self, key: &str, value: &str) -> io::Result<()> {
        let value = xml_chars(value);
        self.open("wp:postmeta")?;
        self.cdata("wp:meta_key", key)?;
        self.cdata("wp:meta_value", &php_safe(&value))?;
        self.close("wp:postmeta")
    }
}

/// An image's title: its file name as uploaded, without the extension (as
/// WordPress names an upload); the stored name when it had none.
fn attachment_title(image: &Media) -> String {
    let name = image.original_name.trim();
    let stem = match name.rsplit_once('.') {
        Some((stem, _)) if !stem.trim().is_empty() => stem.trim(),
        _ => name,
    };
    if stem.is_empty() {
        image.file_name()
    } else {
        stem.to_string()
    }
}

/// `YYYY-MM-DD HH:MM:SS`, as WordPress stores dates. The site keeps UTC, so
/// the local and GMT dates are the same.
fn wp_date(at: &NaiveDateTime) -> String {
    at.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// RFC 2822, as RSS dates are (and as WordPress writes them).
fn rfc2822(at: &NaiveDateTime) -> String {
    at.format("%a, %d %b %Y %H:%M:%S +0000").to_string()
}

/// `text` as an XML 1.0 file can carry it: without the characters XML
/// forbids even escaped or in CDATA (control characters other than tab and
/// line breaks, U+FFFE, U+FFFF), which quick-xml would write as they are,
/// leaving the file unreadable; and with every line break as `\n`, as any
/// XML parser reads it back (so a length written beside the text holds).
fn xml_chars(text: &str) -> Cow<'_, str> {
    let kept = |c: char| c == '\t' || c == '\n' || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}');
    if text.chars().all(kept) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' {
            chars.next_if_eq(&'\n');
            out.push('\n');
        } else if kept(c) {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A postmeta value that WordPress's importer reads back as the same text.
///
/// The importer passes every postmeta value through `maybe_unserialize`, so
/// text that looks like PHP's `serialize()` output (`a:1:{…}`, `b:1;`, `N;`,
/// or an object, `O:8:"stdClass":…`) would become data there, objects
/// included. Such text is written as the serialized string that holds it,
/// `s:LENGTH:"text";` (LENGTH in bytes), as WordPress itself stores strings
/// that look serialized; WordPress reads that back as the text. The test is
/// wider than WordPress's `is_serialized`, never narrower: after PHP's
/// `trim`, `N;` or a second character `:`. An importer of `_broadsheet_*`
/// values undoes it alike: a value that is exactly `s:LENGTH:"…";`, LENGTH
/// the byte length of what the quotes hold, stands for that text.
fn php_safe(value: &str) -> Cow<'_, str> {
    let trimmed = value.trim_matches([' ', '\t', '\n', '\r', '\0', '\u{b}']);
    if trimmed == "N;" || trimmed.as_bytes().get(1) == Some(&b':') {
        Cow::Owned(format!("s:{}:\"{value}\";", value.len()))
    } else {
        Cow::Borrowed(value)
    }
}

/// Text as the content of a double-quoted HTML attribute.
fn escape_attr(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A post's HTML (as the sanitiser wrote it) with the site's root-relative
/// addresses in `href`, `src` and `srcset` made absolute with `base` (as
/// attribute content), so that links and images lead back to this site
/// from the new one, and WordPress's importer, which rewrites the addresses
/// of the attachments it downloads, recognises them.
///
/// The sanitiser escapes every `<` in text, so each `<` followed by a letter
/// opens a tag; its attributes are read as HTML's tokenizer reads them.
fn absolute_urls<'a>(html: &'a str, base: &str) -> Cow<'a, str> {
    let bytes = html.as_bytes();
    let blank = |b: u8| b.is_ascii_whitespace();
    let mut out = String::new();
    let mut copied = 0;
    let mut i = 0;
    while let Some(at) = html[i..].find('<') {
        i += at + 1;
        if !bytes.get(i).is_some_and(u8::is_ascii_alphabetic) {
            continue;
        }
        while i < bytes.len() && !blank(bytes[i]) && bytes[i] != b'/' && bytes[i] != b'>' {
            i += 1;
        }
        // The attributes, up to the `>` that ends the tag.
        while i < bytes.len() {
            while i < bytes.len() && (blank(bytes[i]) || bytes[i] == b'/') {
                i += 1;
            }
            if i >= bytes.len() || bytes[i] == b'>' {
                break;
            }
            let name_start = i;
            i += 1;
            while i < bytes.len() && !blank(bytes[i]) && !matches!(bytes[i], b'/' | b'>' | b'=') {
                i += 1;
            }
            let name = &html[name_start..i];
            while i < bytes.len() && blank(bytes[i]) {
                i += 1;
            }
            if bytes.get(i) != Some(&b'=') {
                continue;
            }
            i += 1;
            while i < bytes.len() && blank(bytes[i]) {
                i += 1;
            }
            let (start, end) = match bytes.get(i) {
                Some(&quote @ (b'"' | b'\'')) => {
                    let start = i + 1;
                    let end = html[start..]
                        .find(quote as char)
                        .map_or(html.len(), |n| start + n);
                    i = (end + 1).min(html.len());
                    (start, end)
                }
                _ => {
                    let start = i;
                    while i < bytes.len() && !blank(bytes[i]) && bytes[i] != b'>' {
                        i += 1;
                    }
                    (start, i)
                }
            };
            let value = &html[start..end];
            let absolute = if name.eq_ignore_ascii_case("href") || name.eq_ignore_ascii_case("src")
            {
                is_root_relative(value).then(|| format!("{base}{value}"))
            } else if name.eq_ignore_ascii_case("srcset") {
                absolute_srcset(value, base)
            } else {
                None
            };
            if let Some(absolute) = absolute {
                out.push_str(&html[copied..start]);
                out.push_str(&absolute);
                copied = end;
            }
        }
    }
    if copied == 0 {
        return Cow::Borrowed(html);
    }
    out.push_str(&html[copied..]);
    Cow::Owned(out)
}

/// An address on this site given by its path (`/media/…`), not by a
/// scheme or another host (`//cdn.example`).
fn is_root_relative(url: &str) -> bool {
    url.starts_with('/') && !url.starts_with("//")
}

/// A `srcset` with its root-relative candidates made absolute; `None` when
/// it has none.
fn absolute_srcset(srcset: &str, base: &str) -> Option<String> {
    let mut changed = false;
    let candidates: Vec<String> = srcset
        .split(',')
        .map(|candidate| {
            let url = candidate.trim_start();
            if is_root_relative(url) {
                changed = true;
                let blank = &candidate[..candidate.len() - url.len()];
                format!("{blank}{base}{url}")
            } else {
                candidate.to_string()
            }
        })
        .collect();
    changed.then(|| candidates.join(","))
}

impl From<ExportError> for crate::cli_error::CliError {
    fn from(e: ExportError) -> crate::cli_error::CliError {
        crate::cli_error::CliError::new(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cdata_is_split_where_the_text_holds_its_end_marker() {
        let mut wxr = Wxr {
            xml: Writer::new(Vec::new()),
            base: "http://blog.test",
            base_attr: String::new(),
        };
        wxr.cdata("title", "a]]>b & <c>]]>").unwrap();
        let written = String::from_utf8(wxr.xml.into_inner()).unwrap();
        assert_eq!(
            written,
            "<title><![CDATA[a]]]]><![CDATA[>b & <c>]]]]><![CDATA[>]]></title>"
        );
        let doc = roxmltree::Document::parse(&written).unwrap();
        assert_eq!(doc.root_element().text(), Some("a]]>b & <c>]]>"));
    }

    #[test]
    fn quick_xml_writes_control_characters_as_they_are_so_they_are_dropped_first() {
        let mut raw = Writer::new(Vec::new());
        raw.write_event(Event::Start(BytesStart::new("t"))).unwrap();
        raw.write_event(Event::CData(BytesCData::new("a\u{1}b")))
            .unwrap();
        raw.write_event(Event::End(BytesEnd::new("t"))).unwrap();
        let raw = String::from_utf8(raw.into_inner()).unwrap();
        assert!(raw.contains('\u{1}'));
        assert!(roxmltree::Document::parse(&raw).is_err());

        assert_eq!(xml_chars("a\u{0}b\u{1b}c\td\u{FFFF}é<"), "abc\tdé<");
        assert_eq!(xml_chars("one\r\ntwo\rthree\n"), "one\ntwo\nthree\n");
        assert!(matches!(xml_chars("plain ]]> text"), Cow::Borrowed(_)));
    }

    #[test]
    fn meta_values_that_look_serialized_are_wrapped_as_php_strings() {
        assert_eq!(php_safe("Plain words: fine"), "Plain words: fine");
        assert_eq!(php_safe("# A heading"), "# A heading");
        let object = r#"O:8:"stdClass":0:{}"#;
        assert_eq!(php_safe(object), format!(r#"s:19:"{object}";"#));
        assert_eq!(php_safe("b:1;"), r#"s:4:"b:1;";"#);
        assert_eq!(php_safe(" N; "), r#"s:4:" N; ";"#);
        // Lengths are in bytes, as PHP counts them.
        assert_eq!(php_safe("a:é"), r#"s:4:"a:é";"#);
        // A value that is itself a serialized string is wrapped too, so an
        // importer that unwraps every such value gets back what was written.
        assert_eq!(php_safe(r#"s:1:"x";"#), r#"s:8:"s:1:"x";";"#);
    }

    #[test]
    fn root_relative_addresses_in_tags_become_absolute_and_nothing_else_changes() {
        let base = "https://blog.test";
        let html = concat!(
            r#"<p><a href="/posts/other" rel="noopener noreferrer">x</a> "#,
            r#"<a href="https://elsewhere.test/">y</a> <a href="//cdn.test/z">z</a> "#,
            r##"<a href="#fn1">1</a> &lt;a href="/not-a-tag"&gt;</p>"##,
            r#"<img src="/media/ab.jpg" srcset="/media/ab-480.jpg 480w, /media/ab.jpg 2560w" "#,
            r#"alt="a > b" width="2560">"#,
        );
        let expected = concat!(
            r#"<p><a href="https://blog.test/posts/other" rel="noopener noreferrer">x</a> "#,
            r#"<a href="https://elsewhere.test/">y</a> <a href="//cdn.test/z">z</a> "#,
            r##"<a href="#fn1">1</a> &lt;a href="/not-a-tag"&gt;</p>"##,
            r#"<img src="https://blog.test/media/ab.jpg" "#,
            r#"srcset="https://blog.test/media/ab-480.jpg 480w, https://blog.test/media/ab.jpg 2560w" "#,
            r#"alt="a > b" width="2560">"#,
        );
        assert_eq!(absolute_urls(html, base), expected);
        let plain = "<p>Nothing to change, <em>none</em>.</p>";
        assert!(matches!(absolute_urls(plain, base), Cow::Borrowed(_)));
        // Cut-off markup ends the scan without a panic.
        for cut in ["<a href=\"/x", "<a href=", "<a href", "<", "<img src='/y"] {
            absolute_urls(cut, base);
        }
        assert_eq!(
            absolute_urls("<img src='/y'>", base),
            "<img src='https://blog.test/y'>"
        );
    }

    #[test]
    fn dates_are_written_as_wordpress_writes_them() {
        let at = chrono::NaiveDate::from_ymd_opt(2025, 8, 2)
            .unwrap()
            .and_hms_opt(9, 5, 7)
            .unwrap();
        assert_eq!(wp_date(&at), "2025-08-02 09:05:07");
        assert_eq!(rfc2822(&at), "Sat, 02 Aug 2025 09:05:07 +0000");
    }
}
