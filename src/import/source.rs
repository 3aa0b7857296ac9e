//! What an export holds, as the importer takes it in: the same few kinds of
//! item whichever engine wrote the file, one at a time.

use chrono::NaiveDateTime;

/// One thing read from an export, in file order.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// The exporting site: its address, which keys every item it brings
    /// (or `key`, when the engine has a steadier name for it).
    Site {
        address: String,
        title: String,
        key: String,
    },
    Author(Author),
    Entry(Box<Entry>),
    /// A comment filed apart from its post (Blogger lists them after).
    Reply(Box<Reply>),
    /// A category or tag page of the old site, to send to the tag page here.
    TermPage {
        path: String,
        name: String,
    },
    /// Something the importer does not bring in, counted by its reason.
    Skipped {
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author {
    pub source_id: String,
    pub login: String,
    pub email: String,
    pub display_name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    Post,
    Page,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryStatus {
    Published,
    /// Published at a time still to come, as the old site would have.
    Scheduled,
    Draft,
    /// Not public there for the reason given (private, pending review,
    /// password-protected): a draft here, named in the report.
    Hidden(&'static str),
    Trash,
}

impl EntryStatus {
    /// Why an entry that is not public at the old site comes in as a draft;
    /// `None` for one readers could see there.
    pub fn not_public(self) -> Option<&'static str> {
        match self {
            EntryStatus::Published | EntryStatus::Scheduled | EntryStatus::Trash => None,
            EntryStatus::Draft => Some("a draft"),
            EntryStatus::Hidden(why) => Some(why),
        }
    }
}

/// How an entry's content was written, which decides how it is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content {
    /// WordPress content: paragraph rules, captions and block comments.
    WordPress,
    /// HTML to keep as it is (Blogger).
    Html,
    /// A Broadsheet export's own markdown source.
    Markdown,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub source_id: String,
    pub kind: EntryKind,
    pub status: EntryStatus,
    pub title: String,
    pub slug: String,
    /// In UTC; `None` when the export gives no usable time (drafts).
    pub published_at: Option<NaiveDateTime>,
    pub author_login: String,
    pub content: String,
    pub content_kind: Content,
    pub excerpt: String,
    pub dateline: String,
    pub search_description: String,
    /// Categories and tags alike, in the order the export lists them.
    pub tags: Vec<String>,
    pub sticky: bool,
    pub comments_open: bool,
    /// The entry's addresses on the old site (paths or full URLs).
    pub old_links: Vec<String>,
    pub comments: Vec<Comment>,
    /// Comments not brought in (pingbacks, trackbacks), by their reason.
    pub skipped_comments: Vec<&'static str>,
    /// The line of the file the entry starts on, for the report.
    pub line: u64,
}

/// A draft post with nothing in it yet, which a reader fills in as it goes.
impl Default for Entry {
    fn default() -> Self {
        Entry {
            source_id: String::new(),
            kind: EntryKind::Post,
            status: EntryStatus::Draft,
            title: String::new(),
            slug: String::new(),
            published_at: None,
            author_login: String::new(),
            content: String::new(),
            content_kind: Content::WordPress,
            excerpt: String::new(),
            dateline: String::new(),
            search_description: String::new(),
            tags: Vec::new(),
            sticky: false,
            comments_open: true,
            old_links: Vec::new(),
            comments: Vec::new(),
            skipped_comments: Vec::new(),
            line: 0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommentStatus {
    Approved,
    Held,
    Spam,
    Trash,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Comment {
    pub source_id: String,
    /// The comment this one answers, by its id in the export.
    pub parent_source_id: Option<String>,
    pub author_name: String,
    pub author_email: String,
    pub author_url: String,
    /// The author's account id at the old site, when the export says.
    pub author_account: Option<String>,
    pub created_at: Option<NaiveDateTime>,
    pub content: String,
    pub content_kind: Content,
    pub status: CommentStatus,
}

/// A comment read on its own, with the post it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub post_source_id: String,
    pub comment: Comment,
    /// The line of the file the comment starts on, for the report.
    pub line: u64,
}
