//! WordPress exports (WXR 1.0 to 1.2): an RSS channel with the site, its
//! authors and terms, then one `<item>` per post, page or attachment with
//! its comments inside.

use std::collections::VecDeque;
use std::io::BufRead;

use super::source::{Author, Comment, CommentStatus, Content, Entry, EntryKind, EntryStatus, Item};
use super::time::parse_wordpress;
use super::xml::{Ns, Reader, Step, XmlError};

pub struct Wxr<R: BufRead> {
    xml: Reader<R>,
    ready: VecDeque<Item>,
    done: bool,
    site: Option<(String, String)>,
    site_sent: bool,
    /// The elements open around the reader (rss is below, never pushed).
    path: Vec<(Ns, String)>,
    seen_wp: bool,
}

#[derive(Default)]
struct Draft {
    entry: Entry,
    post_type: String,
    status: String,
    /// A post WordPress shows only to readers who know its password.
    password: bool,
    date: String,
    date_gmt: String,
    pub_date: String,
    meta_key: String,
    format: String,
    body: Option<String>,
}

#[derive(Default)]
struct DraftComment {
    source_id: String,
    parent: String,
    name: String,
    email: String,
    url: String,
    user_id: String,
    date: String,
    date_gmt: String,
    content: String,
    approved: String,
    kind: String,
}

impl<R: BufRead> Wxr<R> {
    pub fn new(xml: Reader<R>) -> Self {
        Wxr {
            xml,
            ready: VecDeque::new(),
            done: false,
            site: None,
            site_sent: false,
            path: Vec::new(),
            seen_wp: false,
        }
    }

    pub fn bytes(&self) -> u64 {
        self.xml.bytes()
    }

    /// The next item, `None` at the end of the file.
    pub fn next_item(&mut self) -> Result<Option<Item>, XmlError> {
        while self.ready.is_empty() && !self.done {
            self.read_some()?;
        }
        Ok(self.ready.pop_front())
    }

    /// Reads until at least one item is ready or the file ends.
    fn read_some(&mut self) -> Result<(), XmlError> {
        loop {
            match self.xml.next()? {
                Step::End => {
                    self.done = true;
                    if let Some(open) = self.path.last() {
                        return Err(self.xml.error(format!(
                            "the file ends inside <{}>: it is truncated",
                            open.1
                        )));
                    }
                    return Ok(());
                }
                Step::Open { ns, name, .. } if ns == Ns::None && name == "item" => {
                    self.send_site();
                    let line = self.xml.line();
                    let item = self.read_item(line)?;
                    self.ready.push_back(item);
                    return Ok(());
                }
                Step::Open { ns, name, .. } if ns == Ns::Wp && name == "author" => {
                    self.send_site();
                    let author = self.read_author()?;
                    self.ready.push_back(author);
                    return Ok(());
                }
                Step::Open { ns, name, .. }
                    if ns == Ns::Wp && matches!(name.as_str(), "category" | "tag" | "term") =>
                {
                    self.send_site();
                    if let Some(item) = self.read_term(&name)? {
                        self.ready.push_back(item);
                        return Ok(());
                    }
                }
                Step::Open { ns, name, .. } => {
                    self.seen_wp |= ns == Ns::Wp;
                    self.path.push((ns, name))
                }
                Step::Close { ns, name, text } => {
                    let leaf = self.path.pop();
                    if leaf.is_none() && ns == Ns::None && name == "rss" {
                        // The whole file has been read.
                        self.done = true;
                        self.send_site();
                        if !self.seen_wp {
                            return Err(self.xml.error(
                                "this RSS file holds no WordPress export data (no wp: elements): it is a feed, not an export",
                            ));
                        }
                        return Ok(());
                    }
                    if leaf.as_ref().map(|(n, s)| (*n, s.as_str())) != Some((ns, name.as_str())) {
                        return Err(self
                            .xml
                            .error(format!("</{name}> closes an element it did not open")));
                    }
                    let in_channel = self
                        .path
                        .last()
                        .is_some_and(|(n, s)| *n == Ns::None && s == "channel");
                    if in_channel {
                        let site = self.site.get_or_insert_with(Default::default);
                        match (ns, name.as_str()) {
                            (Ns::None, "title") => site.1 = text.trim().to_string(),
                            (Ns::None, "link") if site.0.is_empty() => {
                                site.0 = text.trim().to_string()
                            }
                            (Ns::Wp, "base_blog_url") => site.0 = text.trim().to_string(),
                            (Ns::Wp, "base_site_url") if site.0.is_empty() => {
                                site.0 = text.trim().to_string()
                            }
                            _ => {}
                        }
                    }
                }
            }
        }
    }

    /// The site the export came from, said once before its first item
    /// (the channel names it before any).
    fn send_site(&mut self) {
        if !self.site_sent {
            self.site_sent = true;
            let (address, title) = self.site.clone().unwrap_or_default();
            self.ready.push_back(Item::Site {
                address,
                title,
                key: String::new(),
            });
        }
    }

    fn read_author(&mut self) -> Result<Item, XmlError> {
        let mut author = Author {
            source_id: String::new(),
            login: String::new(),
            email: String::new(),
            display_name: String::new(),
        };
        self.read_leaves("author", |name, text| match name {
            "author_id" => author.source_id = text.trim().into(),
            "author_login" => author.login = text.trim().into(),
            "author_email" => author.email = text.trim().into(),
            "author_display_name" => author.display_name = text.trim().into(),
            _ => {}
        })?;
        if author.source_id.is_empty() {
            author.source_id = author.login.clone();
        }
        Ok(Item::Author(author))
    }

    /// A category or tag: its page on the old site, to send to the tag.
    fn read_term(&mut self, element: &str) -> Result<Option<Item>, XmlError> {
        let (mut slug, mut name, mut taxonomy) = (String::new(), String::new(), String::new());
        self.read_leaves(element, |leaf, text| match leaf {
            "category_nicename" | "tag_slug" | "term_slug" => slug = text.trim().into(),
            "cat_name" | "tag_name" | "term_name" => name = text.trim().into(),
            "term_taxonomy" => taxonomy = text.trim().into(),
            _ => {}
        })?;
        let base = match (element, taxonomy.as_str()) {
            ("category", _) | ("term", "category") => "category",
            ("tag", _) | ("term", "post_tag") => "tag",
            _ => return Ok(None),
        };
        if slug.is_empty() || name.is_empty() {
            return Ok(None);
        }
        Ok(Some(Item::TermPage {
            path: format!("/{base}/{slug}/"),
            name,
        }))
    }

    /// Reads the leaves of the element just opened until it closes,
    /// handing each leaf's local name and text to `leaf`.
    fn read_leaves(
        &mut self,
        element: &str,
        mut leaf: impl FnMut(&str, &str),
    ) -> Result<(), XmlError> {
        let mut depth = 0usize;
        loop {
            match self.xml.next()? {
                Step::End => {
                    return Err(self
                        .xml
                        .error(format!("the file ends inside <{element}>: it is truncated")))
                }
                Step::Open { .. } => depth += 1,
                Step::Close { name, text, .. } => {
                    if depth == 0 {
                        return Ok(());
                    }
                    depth -= 1;
                    leaf(&name, &text);
                }
            }
        }
    }

    fn read_item(&mut self, line: u64) -> Result<Item, XmlError> {
        let mut draft = Draft::default();
        draft.entry.line = line;
        // Where inside the item: 0 the item, then the element stack.
        // The attributes of each element open inside the item.
        let mut stack: Vec<Vec<(String, String)>> = Vec::new();
        let mut comment: Option<DraftComment> = None;
        let mut comments: Vec<DraftComment> = Vec::new();
        let (mut held, mut too_large) = (0usize, false);
        self.xml.take_overflow();
        loop {
            match self.xml.next()? {
                Step::End => {
                    return Err(self
                        .xml
                        .error("the file ends inside an <item>: it is truncated"))
                }
                Step::Open {
                    ns,
                    name,
                    attributes,
                } => {
                    self.seen_wp |= ns == Ns::Wp;
                    if ns == Ns::Wp && name == "comment" && comment.is_none() {
                        comment = Some(DraftComment::default());
                    }
                    stack.push(attributes);
                }
                Step::Close { ns, name, text } => {
                    let Some(attributes) = stack.pop() else {
                        break;
                    };
                    // Each text is bounded by the reader; together they are
                    // bounded here (a post with thousands of long comments),
                    // and past the bound the item is read to its end and
                    // skipped, holding nothing more.
                    held += text.len();
                    if held > super::xml::MAX_ITEM_BYTES {
                        too_large = true;
                        if ns == Ns::None && name == "title" && comment.is_none() {
                            draft.entry.title = text.trim().into();
                        }
                        comments.clear();
                        comment = comment.map(|_| DraftComment::default());
                        draft.entry.content.clear();
                        draft.body = None;
                        continue;
                    }
                    if ns == Ns::Wp && name == "comment" {
                        if let Some(c) = comment.take() {
                            comments.push(c);
                        }
                        continue;
                    }
                    if let Some(c) = comment.as_mut() {
                        if ns == Ns::Wp {
                            match name.as_str() {
                                "comment_id" => c.source_id = text.trim().into(),
                                "comment_parent" => c.parent = text.trim().into(),
                                "comment_author" => c.name = text.trim().into(),
                                "comment_author_email" => c.email = text.trim().into(),
                                "comment_author_url" => c.url = text.trim().into(),
                                "comment_user_id" => c.user_id = text.trim().into(),
                                "comment_date" => c.date = text.trim().into(),
                                "comment_date_gmt" => c.date_gmt = text.trim().into(),
                                "comment_content" => c.content = text,
                                "comment_approved" => c.approved = text.trim().into(),
                                "comment_type" => c.kind = text.trim().into(),
                                _ => {}
                            }
                        }
                        continue;
                    }
                    draft.take(ns, &name, text, &attributes);
                }
            }
        }
        if self.xml.take_overflow() | too_large {
            return Ok(Item::Skipped {
                reason: super::xml::too_large(&draft.entry.title, line),
            });
        }
        Ok(draft.finish(comments))
    }
}

impl Draft {
    fn take(&mut self, ns: Ns, name: &str, text: String, attributes: &[(String, String)]) {
        let e = &mut self.entry;
        match (ns, name) {
            (Ns::None, "title") => e.title = text.trim().into(),
            (Ns::None, "link") => push_link(&mut e.old_links, text.trim()),
            (Ns::None, "guid") => push_link(&mut e.old_links, text.trim()),
            (Ns::None, "pubDate") => self.pub_date = text.trim().into(),
            (Ns::Dc, "creator") => e.author_login = text.trim().into(),
            (Ns::Content, "encoded") => e.content = text,
            (Ns::Excerpt, "encoded") => e.excerpt = text.trim().into(),
            (Ns::Wp, "post_id") => e.source_id = text.trim().into(),
            (Ns::Wp, "post_date") => self.date = text.trim().into(),
            (Ns::Wp, "post_date_gmt") => self.date_gmt = text.trim().into(),
            (Ns::Wp, "comment_status") => e.comments_open = text.trim() == "open",
            (Ns::Wp, "post_name") => e.slug = text.trim().into(),
            (Ns::Wp, "status") => self.status = text.trim().into(),
            (Ns::Wp, "post_password") => self.password = !text.trim().is_empty(),
            (Ns::Wp, "post_type") => self.post_type = text.trim().into(),
            (Ns::Wp, "is_sticky") => e.sticky = text.trim() == "1",
            (Ns::Wp, "meta_key") => self.meta_key = text.trim().into(),
            (Ns::Wp, "meta_value") => {
                let text = php_string(&text).map(str::to_string).unwrap_or(text);
                match self.meta_key.as_str() {
                    "_broadsheet_format" => self.format = text.trim().into(),
                    "_broadsheet_body" => self.body = Some(text),
                    "_broadsheet_dateline" => e.dateline = text.trim().into(),
                    "_broadsheet_search_description" => e.search_description = text.trim().into(),
                    _ => {}
                }
            }
            (Ns::None, "category") => {
                let name = text.trim();
                let nicename = attributes
                    .iter()
                    .find(|(k, _)| k == "nicename")
                    .map(|(_, v)| v.as_str())
                    .unwrap_or("");
                let domain = attributes
                    .iter()
                    .find(|(k, _)| k == "domain")
                    .map(|(_, v)| v.as_str())
                    .unwrap_or("category");
                // WordPress files every post under "Uncategorized" by default:
                // as a tag it would say nothing.
                let default_category = domain == "category" && nicename == "uncategorized";
                if matches!(domain, "category" | "post_tag")
                    && !name.is_empty()
                    && !default_category
                    && !e.tags.iter().any(|t| t.eq_ignore_ascii_case(name))
                {
                    e.tags.push(name.to_string());
                }
            }
            _ => {}
        }
    }

    fn finish(mut self, comments: Vec<DraftComment>) -> Item {
        let e = &mut self.entry;
        e.kind = match self.post_type.as_str() {
            "post" | "" => EntryKind::Post,
            "page" => EntryKind::Page,
            "attachment" => {
                return Item::Skipped {
                    reason: "attachment entries (the images posts show come in with the old site's files: import --media-from DIR on the command line)"
                        .into(),
                }
            }
            other => {
                return Item::Skipped {
                    reason: format!("of type “{other}”, which has no place here"),
                }
            }
        };
        if e.source_id.is_empty() {
            return Item::Skipped {
                reason: format!("without a wp:post_id (line {})", e.line),
            };
        }
        e.published_at = parse_wordpress(&self.date_gmt)
            .or_else(|| parse_wordpress(&self.date))
            .or_else(|| super::time::parse_rfc2822(&self.pub_date));
        // Only what the old site showed everyone is published here; a
        // password cannot be carried over, so a protected post waits as a
        // draft for its author to decide.
        e.status = match self.status.as_str() {
            "trash" => EntryStatus::Trash,
            "inherit" => {
                return Item::Skipped {
                    reason: "a revision".into(),
                }
            }
            _ if self.password => EntryStatus::Hidden("password-protected"),
            "publish" => EntryStatus::Published,
            "future" => EntryStatus::Scheduled,
            "draft" | "auto-draft" | "" => EntryStatus::Draft,
            "private" => EntryStatus::Hidden("private"),
            "pending" => EntryStatus::Hidden("pending review"),
            _ => EntryStatus::Hidden("of a status this site does not know"),
        };
        // WordPress answers these too: `?p=` or `?page_id=`, and the dated
        // permalink most sites use.
        let id = e.source_id.clone();
        if id.chars().all(|c| c.is_ascii_digit()) {
            push_link(
                &mut e.old_links,
                &match e.kind {
                    EntryKind::Post => format!("/?p={id}"),
                    EntryKind::Page => format!("/?page_id={id}"),
                },
            );
        }
        if let (EntryKind::Post, Some(at), false) = (e.kind, e.published_at, e.slug.is_empty()) {
            push_link(
                &mut e.old_links,
                &format!("/{}/{}/", at.format("%Y/%m/%d"), e.slug),
            );
        }
        if let Some(body) = self.body.take() {
            // A Broadsheet export: its own source, as it was written.
            e.content = body;
            e.content_kind = if self.format == "html" {
                Content::Html
            } else {
                Content::Markdown
            };
        }
        let mut entry = self.entry;
        for c in comments {
            let status = match c.approved.as_str() {
                "1" | "approve" | "approved" => CommentStatus::Approved,
                "spam" => CommentStatus::Spam,
                "trash" | "post-trashed" => CommentStatus::Trash,
                _ => CommentStatus::Held,
            };
            if matches!(c.kind.as_str(), "pingback" | "trackback") {
                entry.skipped_comments.push("pingbacks and trackbacks");
                continue;
            }
            entry.comments.push(Comment {
                source_id: c.source_id,
                parent_source_id: Some(c.parent).filter(|p| !p.is_empty() && p != "0"),
                author_name: c.name,
                author_email: c.email,
                author_url: c.url,
                author_account: Some(c.user_id).filter(|u| !u.is_empty() && u != "0"),
                created_at: parse_wordpress(&c.date_gmt).or_else(|| parse_wordpress(&c.date)),
                content: c.content,
                content_kind: if entry.content_kind == Content::Markdown {
                    Content::Markdown
                } else {
                    Content::WordPress
                },
                status,
            });
        }
        Item::Entry(Box::new(entry))
    }
}

fn push_link(links: &mut Vec<String>, link: &str) {
    if !link.is_empty() && !links.iter().any(|l| l == link) {
        links.push(link.to_string());
    }
}

/// A value a Broadsheet export wrapped as a PHP string (`s:LEN:"…";`, LEN
/// its bytes) so that WordPress never unserializes it: the text inside.
fn php_string(value: &str) -> Option<&str> {
    let rest = value.strip_prefix("s:")?;
    let (len, rest) = rest.split_once(':')?;
    let len: usize = len.parse().ok()?;
    let inner = rest.strip_prefix('"')?.strip_suffix("\";")?;
    (inner.len() == len).then_some(inner)
}
