//! Blogger exports, both kinds: today's Takeout `feed.atom` (a
//! `blogger:type` and `blogger:status` on every entry) and the older
//! "Back up content" file (an Atom feed whose entries say what they are by
//! a `kind#…` category). Posts, pages and comments are sibling entries;
//! a comment names its post and, when it answers one, its parent comment.

use std::collections::{HashSet, VecDeque};
use std::io::BufRead;

use chrono::NaiveDateTime;

use super::source::{
    Author, Comment, CommentStatus, Content, Entry, EntryKind, EntryStatus, Item, Reply,
};
use super::time::parse_rfc3339;
use super::xml::{Ns, Reader, Step, XmlError};

/// Names remembered so each author and label is announced once; a file
/// with more than this many distinct ones is hostile or broken, and the
/// rest are left to the importer's own lookups.
const MAX_REMEMBERED: usize = 10_000;

/// The address Blogger gives every author instead of theirs.
const NO_REPLY: &str = "noreply@blogger.com";

pub struct Blogger<R: BufRead> {
    xml: Reader<R>,
    ready: VecDeque<Item>,
    done: bool,
    /// Depth below `<feed>` of elements that are not entries.
    depth: usize,
    blog_id: String,
    title: String,
    address: String,
    site_sent: bool,
    seen_blogger: bool,
    authors: HashSet<String>,
    labels: HashSet<String>,
}

/// One `<entry>` as read, before it is known what it is.
#[derive(Default)]
struct Draft {
    line: u64,
    id: String,
    /// Takeout's `blogger:type` (POST, PAGE, COMMENT, …).
    kind: String,
    /// The older backup's `kind#post` category term, after the `#`.
    kind_term: String,
    status: String,
    draft: bool,
    title: String,
    content: String,
    published: String,
    created: String,
    updated: String,
    author: DraftAuthor,
    labels: Vec<String>,
    alternate: String,
    filename: String,
    meta_description: String,
    /// The post a comment is on (Takeout's `blogger:parent`, the backup's
    /// `thr:in-reply-to ref`).
    post: String,
    /// The comment a comment answers.
    parent_comment: String,
    removed: bool,
    /// Some element held more text than the reader keeps.
    too_large: bool,
}

#[derive(Default)]
struct DraftAuthor {
    name: String,
    uri: String,
    email: String,
    anonymous: bool,
}

impl<R: BufRead> Blogger<R> {
    pub fn new(xml: Reader<R>) -> Self {
        Blogger {
            xml,
            ready: VecDeque::new(),
            done: false,
            depth: 0,
            blog_id: String::new(),
            title: String::new(),
            address: String::new(),
            site_sent: false,
            seen_blogger: false,
            authors: HashSet::new(),
            labels: HashSet::new(),
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

    fn read_some(&mut self) -> Result<(), XmlError> {
        loop {
            match self.xml.next()? {
                Step::End => {
                    self.done = true;
                    return Err(self
                        .xml
                        .error("the file ends inside <feed>: it is truncated"));
                }
                Step::Open { ns, name, .. } if ns == Ns::Atom && name == "entry" => {
                    let line = self.xml.line();
                    let draft = self.read_entry(line)?;
                    self.send_site();
                    self.finish(draft);
                    return Ok(());
                }
                Step::Open {
                    ns,
                    name,
                    attributes,
                } => {
                    self.seen_blogger |= ns == Ns::Blogger;
                    if self.depth == 0
                        && ns == Ns::Atom
                        && name == "link"
                        && attribute(&attributes, "rel") == "alternate"
                    {
                        self.address = attribute(&attributes, "href").trim().to_string();
                    }
                    self.depth += 1;
                }
                Step::Close { ns, name, text } => {
                    if self.depth == 0 {
                        // `</feed>`: the whole file has been read.
                        self.done = true;
                        self.send_site();
                        if !self.seen_blogger {
                            return Err(self.xml.error(
                                "this Atom file holds no Blogger export data: it is a feed, not an export",
                            ));
                        }
                        return Ok(());
                    }
                    self.depth -= 1;
                    if self.depth == 0 && ns == Ns::Atom {
                        match name.as_str() {
                            "id" => {
                                self.blog_id = blog_id(text.trim()).unwrap_or_default();
                                self.seen_blogger |= !self.blog_id.is_empty();
                            }
                            "title" => self.title = text.trim().to_string(),
                            _ => {}
                        }
                    }
                }
            }
        }
    }

    /// The blog, said once before its first entry (the feed names it before any).
    fn send_site(&mut self) {
        if !self.site_sent {
            self.site_sent = true;
            let key = if self.blog_id.is_empty() {
                String::new()
            } else {
                format!("blogger:{}", self.blog_id)
            };
            self.ready.push_back(Item::Site {
                address: self.address.clone(),
                title: self.title.clone(),
                key,
            });
        }
    }

    fn read_entry(&mut self, line: u64) -> Result<Draft, XmlError> {
        let mut draft = Draft {
            line,
            ..Draft::default()
        };
        // The elements open inside the entry, for telling an author's
        // `<name>` from a location's.
        let mut path: Vec<(Ns, String)> = Vec::new();
        self.xml.take_overflow();
        loop {
            match self.xml.next()? {
                Step::End => {
                    return Err(self
                        .xml
                        .error("the file ends inside an <entry>: it is truncated"))
                }
                Step::Open {
                    ns,
                    name,
                    attributes,
                } => {
                    self.seen_blogger |= ns == Ns::Blogger;
                    if path.is_empty() {
                        draft.open(ns, &name, &attributes);
                    }
                    path.push((ns, name));
                }
                Step::Close { ns, name, text } => {
                    let Some(_) = path.pop() else {
                        break;
                    };
                    match path.as_slice() {
                        [] => draft.take(ns, &name, text),
                        [(Ns::Atom, author)] if author == "author" => {
                            draft.author.take(ns, &name, text)
                        }
                        [(Ns::App, control)]
                            if control == "control" && ns == Ns::App && name == "draft" =>
                        {
                            draft.draft = text.trim() == "yes";
                        }
                        _ => {}
                    }
                }
            }
        }
        draft.too_large = self.xml.take_overflow();
        Ok(draft)
    }

    /// What the entry is, as items: its author and labels the first time
    /// they are seen, then the post, page or comment.
    fn finish(&mut self, d: Draft) {
        if d.too_large {
            self.ready.push_back(Item::Skipped {
                reason: super::xml::too_large(&d.title, d.line),
            });
            return;
        }
        let kind = if d.kind.is_empty() {
            d.kind_term.to_ascii_uppercase()
        } else {
            d.kind.to_ascii_uppercase()
        };
        match kind.as_str() {
            "POST" | "PAGE" => self.entry(d, kind == "PAGE"),
            "COMMENT" => self.reply(d),
            "" => self.ready.push_back(Item::Skipped {
                reason: "Blogger entries that say neither post, page nor comment".into(),
            }),
            _ => self.ready.push_back(Item::Skipped {
                reason: "Blogger settings and layout".into(),
            }),
        }
    }

    fn entry(&mut self, d: Draft, page: bool) {
        let id = short_id(&d.id);
        if id.is_empty() {
            self.ready.push_back(Item::Skipped {
                reason: format!("without an id (line {})", d.line),
            });
            return;
        }
        let author = self.author(&d.author);
        for label in &d.labels {
            if self.labels.len() < MAX_REMEMBERED && self.labels.insert(label.clone()) {
                self.ready.push_back(Item::TermPage {
                    path: format!("/search/label/{}", urlencoding::encode(label)),
                    name: label.clone(),
                });
            }
        }
        let published_at = d.published_at();
        let status = match d.status.to_ascii_uppercase().as_str() {
            _ if d.draft => EntryStatus::Draft,
            "DRAFT" => EntryStatus::Draft,
            "SCHEDULED" => EntryStatus::Scheduled,
            "SOFT_TRASHED" | "TRASHED" | "DELETED" => EntryStatus::Trash,
            // A live post dated ahead is one Blogger has not shown yet.
            "LIVE" | "" if published_at.is_some_and(|at| at > crate::models::now()) => {
                EntryStatus::Scheduled
            }
            "LIVE" | "" => EntryStatus::Published,
            _ => EntryStatus::Hidden("not live"),
        };
        // `/2019/05/harbour-wall.html`, `/p/about.html`: the file name is the slug.
        let path = if d.filename.is_empty() {
            crate::models::redirect::normalise_from(&d.alternate).unwrap_or_default()
        } else {
            d.filename.clone()
        };
        let slug = path
            .rsplit('/')
            .next()
            .unwrap_or("")
            .trim_end_matches(".html")
            .to_string();
        let mut old_links = Vec::new();
        for link in [&d.alternate, &d.filename] {
            if !link.is_empty() && !old_links.contains(link) {
                old_links.push(link.clone());
            }
        }
        let entry = Entry {
            source_id: id,
            kind: if page {
                EntryKind::Page
            } else {
                EntryKind::Post
            },
            status,
            title: d.title.trim().to_string(),
            slug,
            published_at,
            author_login: author.unwrap_or_default(),
            content: d.content,
            content_kind: Content::Html,
            search_description: d.meta_description.trim().to_string(),
            tags: d.labels,
            old_links,
            line: d.line,
            ..Entry::default()
        };
        self.ready.push_back(Item::Entry(Box::new(entry)));
    }

    fn reply(&mut self, d: Draft) {
        let post = short_id(&d.post);
        let id = short_id(&d.id);
        if post.is_empty() || id.is_empty() {
            self.ready.push_back(Item::Skipped {
                reason: "comments that name no post".into(),
            });
            return;
        }
        let account = (!d.author.anonymous)
            .then(|| profile_id(&d.author.uri))
            .flatten()
            .filter(|p| self.authors.contains(p));
        let status = match d.status.to_ascii_uppercase().as_str() {
            _ if d.removed => CommentStatus::Trash,
            "LIVE" | "" => CommentStatus::Approved,
            "SPAM" | "SPAM_AUTO" => CommentStatus::Spam,
            "DELETED" | "SOFT_TRASHED" | "TRASHED" | "REMOVED" => CommentStatus::Trash,
            _ => CommentStatus::Held,
        };
        let comment = Comment {
            source_id: id,
            parent_source_id: Some(short_id(&d.parent_comment)).filter(|p| !p.is_empty()),
            author_name: if d.author.anonymous && d.author.name.trim().is_empty() {
                "Anonymous".into()
            } else {
                d.author.name.trim().to_string()
            },
            author_email: d.author.email(),
            author_url: d.author.uri.trim().to_string(),
            author_account: account,
            created_at: d.published_at(),
            content: d.content,
            content_kind: Content::Html,
            status,
        };
        self.ready.push_back(Item::Reply(Box::new(Reply {
            post_source_id: post,
            comment,
            line: d.line,
        })));
    }

    /// The author's key, announcing them the first time they write.
    fn author(&mut self, a: &DraftAuthor) -> Option<String> {
        let name = a.name.trim();
        if a.anonymous || name.is_empty() {
            return None;
        }
        let key = profile_id(&a.uri).unwrap_or_else(|| name.to_string());
        if !self.authors.contains(&key) && self.authors.len() < MAX_REMEMBERED {
            self.authors.insert(key.clone());
            self.ready.push_back(Item::Author(Author {
                source_id: key.clone(),
                login: name.to_string(),
                email: a.email(),
                display_name: name.to_string(),
            }));
        }
        Some(key)
    }
}

impl Draft {
    /// An element opening directly inside the entry: the ones whose
    /// meaning is in their attributes.
    fn open(&mut self, ns: Ns, name: &str, attributes: &[(String, String)]) {
        match (ns, name) {
            (Ns::Atom, "category") => {
                let scheme = attribute(attributes, "scheme");
                let term = attribute(attributes, "term").trim();
                if scheme.ends_with("/g/2005#kind") {
                    if let Some((_, kind)) = term.rsplit_once('#') {
                        self.kind_term = kind.to_string();
                    }
                } else if !term.is_empty() && !self.labels.iter().any(|l| l == term) {
                    self.labels.push(term.to_string());
                }
            }
            (Ns::Atom, "link") => {
                let href = attribute(attributes, "href").trim();
                match attribute(attributes, "rel") {
                    "alternate" => self.alternate = href.to_string(),
                    // The older backup links a reply to the comment it answers.
                    "related" => self.parent_comment = href.to_string(),
                    _ => {}
                }
            }
            (Ns::Thread, "in-reply-to") => {
                self.post = attribute(attributes, "ref").trim().to_string();
            }
            (Ns::Other, "extendedProperty")
                if attribute(attributes, "name") == "blogger.contentRemoved"
                    && attribute(attributes, "value") == "true" =>
            {
                self.removed = true;
            }
            _ => {}
        }
    }

    /// A leaf directly inside the entry.
    fn take(&mut self, ns: Ns, name: &str, text: String) {
        match (ns, name) {
            (Ns::Atom, "id") => self.id = text.trim().into(),
            (Ns::Atom, "title") => self.title = text,
            (Ns::Atom, "content") => self.content = text,
            (Ns::Atom, "published") => self.published = text.trim().into(),
            (Ns::Atom, "updated") => self.updated = text.trim().into(),
            (Ns::Blogger, "type") => self.kind = text.trim().into(),
            (Ns::Blogger, "status") => self.status = text.trim().into(),
            (Ns::Blogger, "created") => self.created = text.trim().into(),
            (Ns::Blogger, "filename") => self.filename = text.trim().into(),
            (Ns::Blogger, "parent") => self.post = text.trim().into(),
            (Ns::Blogger, "inReplyTo") => self.parent_comment = text.trim().into(),
            (Ns::Blogger, "metaDescription") => self.meta_description = text,
            _ => {}
        }
    }

    fn published_at(&self) -> Option<NaiveDateTime> {
        parse_rfc3339(&self.published)
            .or_else(|| parse_rfc3339(&self.created))
            .or_else(|| parse_rfc3339(&self.updated))
    }
}

impl DraftAuthor {
    fn take(&mut self, ns: Ns, name: &str, text: String) {
        match (ns, name) {
            (Ns::Atom, "name") => self.name = text,
            (Ns::Atom, "uri") => self.uri = text.trim().into(),
            (Ns::Atom, "email") => self.email = text.trim().into(),
            (Ns::Blogger, "type") => self.anonymous = text.trim().eq_ignore_ascii_case("ANONYMOUS"),
            _ => {}
        }
    }

    /// The author's own address, never the one Blogger puts for everyone.
    fn email(&self) -> String {
        if self.email.eq_ignore_ascii_case(NO_REPLY) {
            String::new()
        } else {
            self.email.clone()
        }
    }
}

fn attribute<'a>(attributes: &'a [(String, String)], key: &str) -> &'a str {
    attributes
        .iter()
        .find(|(k, _)| k == key)
        .map_or("", |(_, v)| v.as_str())
}

/// `tag:blogger.com,1999:blog-123.post-456` → `456`; the older backup's
/// reply link `…/comments/default/456` → `456`; anything else as it is.
fn short_id(id: &str) -> String {
    let id = id.trim();
    if let Some((_, rest)) = id
        .rsplit_once(".post-")
        .or_else(|| id.rsplit_once(".page-"))
    {
        return rest.to_string();
    }
    if id.starts_with("http://") || id.starts_with("https://") {
        return id.rsplit('/').next().unwrap_or("").to_string();
    }
    id.to_string()
}

/// `tag:blogger.com,1999:blog-123.archive` → `123`.
fn blog_id(feed_id: &str) -> Option<String> {
    let rest = feed_id.split_once(":blog-")?.1;
    let id: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    (!id.is_empty()).then_some(id)
}

/// A Blogger profile address's number: the same person whichever post or
/// comment they wrote.
fn profile_id(uri: &str) -> Option<String> {
    let rest = uri.split_once("blogger.com/profile/")?.1;
    let id: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    (!id.is_empty()).then(|| format!("profile-{id}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_of_both_kinds_of_backup_come_to_the_same_short_form() {
        assert_eq!(short_id("tag:blogger.com,1999:blog-12.post-345"), "345");
        assert_eq!(short_id("tag:blogger.com,1999:blog-12.page-9"), "9");
        assert_eq!(
            short_id("http://www.blogger.com/feeds/12/8/comments/default/345"),
            "345"
        );
        assert_eq!(
            blog_id("tag:blogger.com,1999:blog-12.archive").as_deref(),
            Some("12")
        );
        assert_eq!(blog_id("urn:uuid:1"), None);
        assert_eq!(
            profile_id("https://www.blogger.com/profile/0042").as_deref(),
            Some("profile-0042")
        );
        assert_eq!(profile_id("https://example.org/"), None);
    }
}
