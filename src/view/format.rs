//! The readable forms templates show: dates ("August 20, 2025"), datelines,
//! counts ("3 comments") and the names of posts' and comments' authors.

use chrono::{Datelike, NaiveDateTime, Timelike};

use crate::markdown::reading_minutes;
use crate::models::comment::CommentView;
use crate::models::post::EDITORS;
use crate::models::post::{ListedPost, PostSummary};
use crate::models::{Post, PostKind, Role};

pub use crate::form::shorten;
pub use crate::models::post::post_path;

/// "August 20, 2025".
// Formatted by hand rather than with strftime patterns, which chrono parses
// on every call: an article shows two times for each of its comments.
pub fn long_date(at: &NaiveDateTime) -> String {
    format!("{} {}, {}", month_name(at.month()), at.day(), at.year())
}

/// "August 20, 2025 at 14:05 UTC".
pub fn long_time(at: &NaiveDateTime) -> String {
    format!(
        "{} at {:02}:{:02} UTC",
        long_date(at),
        at.hour(),
        at.minute()
    )
}

/// The machine-readable form for `<time datetime>`.
pub fn iso(at: &NaiveDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        at.year(),
        at.month(),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

pub fn month_name(month: u32) -> &'static str {
    const NAMES: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    NAMES
        .get(month.wrapping_sub(1) as usize)
        .copied()
        .unwrap_or("")
}

pub fn plural(n: i64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// "812 bytes", "14 KB", "3.2 MB", "1 GB": a file's size for people.
pub fn file_size(bytes: u64) -> String {
    const KB: u64 = 1024;
    const MB: u64 = 1024 * KB;
    const GB: u64 = 1024 * MB;
    let tenths = |unit: u64| {
        let n = (bytes as f64 / unit as f64 * 10.0).round() / 10.0;
        if n.fract() == 0.0 {
            format!("{n:.0}")
        } else {
            format!("{n:.1}")
        }
    };
    match bytes {
        0..KB => plural(bytes as i64, "byte", "bytes"),
        KB..MB => format!("{} KB", (bytes + KB / 2) / KB),
        MB..GB => format!("{} MB", tenths(MB)),
        _ => format!("{} GB", tenths(GB)),
    }
}

fn dateline(place: &str, at: Option<&NaiveDateTime>) -> String {
    match (place.is_empty(), at) {
        (true, Some(at)) => long_date(at),
        (false, Some(at)) => format!("{place} – {}", long_date(at)),
        (false, None) => place.to_string(),
        (true, None) => String::new(),
    }
}

impl Post {
    /// "Washington/Brussels – August 20, 2025", or just the date.
    pub fn dateline_label(&self) -> String {
        dateline(&self.dateline, self.published_at.as_ref())
    }

    pub fn published_iso(&self) -> String {
        self.published_at.as_ref().map(iso).unwrap_or_default()
    }

    pub fn updated_iso(&self) -> String {
        iso(&self.updated_at)
    }

    pub fn reading_time(&self) -> String {
        format!("{} min read", reading_minutes(self.word_count))
    }

    pub fn comment_count_label(&self) -> String {
        plural(i64::from(self.comment_count), "comment", "comments")
    }
}

impl PostSummary {
    pub fn dateline_label(&self) -> String {
        dateline(&self.dateline, self.published_at.as_ref())
    }

    pub fn published_iso(&self) -> String {
        self.published_at.as_ref().map(iso).unwrap_or_default()
    }

    pub fn reading_time(&self) -> String {
        format!("{} min read", reading_minutes(self.word_count))
    }

    pub fn comment_count_label(&self) -> String {
        plural(i64::from(self.comment_count), "comment", "comments")
    }
}

impl ListedPost {
    pub fn author_name(&self) -> &str {
        self.author.as_deref().unwrap_or(EDITORS)
    }
}

/// What the thread shows of a comment that is the same for every reader:
/// its author line and text, or that it was deleted. Rendered once when the
/// article is loaded (and cached), so a reader's page only adds the actions
/// that reader may take.
#[derive(askama::Template)]
#[template(path = "partials/comment_text.html")]
struct CommentMarkup<'a> {
    view: &'a CommentView,
    created_iso: String,
    created_label: String,
    username: Option<&'a str>,
    badge: Option<&'static str>,
    guest_website: Option<&'a str>,
}

/// `view`'s markup as `CommentMarkup` says.
pub fn comment_markup(view: &CommentView) -> String {
    let comment = &view.comment;
    let guest = view.is_guest();
    let site = comment.guest_website.trim();
    // Imports bring whatever the old site stored: only plain http(s).
    let guest_website = (guest
        && url::Url::parse(site).is_ok_and(|u| matches!(u.scheme(), "http" | "https")))
    .then_some(site);
    // The username is shown beside a display name that differs from it, so
    // nobody passes for someone else by name alone.
    let username = (!guest && view.author.to_lowercase() != view.author_username.to_lowercase())
        .then_some(view.author_username.as_str());
    // Marks who speaks for the site.
    let badge = match view.author_role {
        Role::Admin => Some("Staff"),
        Role::Author => Some("Editor"),
        Role::Commenter => None,
    };
    let markup = CommentMarkup {
        view,
        created_iso: iso(&comment.created_at),
        created_label: long_time(&comment.created_at),
        username,
        badge,
        guest_website,
    };
    super::fragment(&markup, comment.body_html.len() + 512)
}

impl crate::models::search::Hit {
    pub fn path(&self) -> String {
        post_path(self.kind, &self.slug)
    }

    pub fn is_page(&self) -> bool {
        self.kind == PostKind::Page
    }

    pub fn dateline_label(&self) -> String {
        dateline(&self.dateline, self.published_at.as_ref())
    }

    pub fn published_iso(&self) -> String {
        self.published_at.as_ref().map(iso).unwrap_or_default()
    }

    pub fn author_name(&self) -> &str {
        self.author.as_deref().unwrap_or(EDITORS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_as_a_newspaper_writes_them() {
        let at = chrono::NaiveDate::from_ymd_opt(2025, 8, 5)
            .unwrap()
            .and_hms_opt(9, 7, 3)
            .unwrap();
        assert_eq!(long_date(&at), "August 5, 2025");
        assert_eq!(long_time(&at), "August 5, 2025 at 09:07 UTC");
        assert_eq!(iso(&at), "2025-08-05T09:07:03Z");
    }
}
