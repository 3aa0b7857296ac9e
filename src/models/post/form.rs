//! The post form as a writer submits it, and its rules: what a title,
//! address, text, tags, excerpt and time may be, checked into the
//! `PostInput` the model saves.

use chrono::NaiveDateTime;
use serde::Deserialize;

use crate::form::{shorten, FieldErrors};
use crate::models::tag::{parse_tag_list, MAX_TAGS, MAX_TAG_CHARS as MAX_TAG};
use crate::slug::slugify;

use super::{is_reserved, Post, PostFormat, PostInput, PostKind, PostStatus, MAX_BODY_BYTES};

pub const MAX_TITLE: usize = 200;
pub const MAX_DATELINE: usize = 100;
pub const MAX_EXCERPT: usize = 600;
/// What search engines show of a description.
pub const MAX_SEARCH_DESCRIPTION: usize = 160;
/// The format of `<input type="datetime-local">` without seconds.
pub const DATETIME_LOCAL: &str = "%Y-%m-%dT%H:%M";

/// The post form as submitted; kept as typed so a refused form shows it again.
#[derive(Deserialize, Debug, Default, Clone)]
pub struct PostForm {
    /// "post" or "page"; absent means post.
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub slug: String,
    #[serde(default)]
    pub dateline: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub tags: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub published_at: String,
    /// A checkbox: present ("on") when ticked.
    #[serde(default)]
    pub comments_enabled: Option<String>,
    /// "preview" shows the post without saving it; anything else saves.
    #[serde(default)]
    pub action: String,
    /// A library image's id, or empty for none.
    #[serde(default)]
    pub cover_media_id: String,
    #[serde(default)]
    pub excerpt: String,
    #[serde(default)]
    pub search_description: String,
    /// "html" for a post that came in as HTML; anything else is markdown.
    #[serde(default)]
    pub format: String,
}

impl PostForm {
    /// A new post, or a new page: pages start with comments off.
    pub fn blank(kind: PostKind) -> PostForm {
        PostForm {
            kind: kind.as_str().into(),
            status: PostStatus::Draft.as_str().into(),
            comments_enabled: (kind == PostKind::Post).then(|| "on".into()),
            ..PostForm::default()
        }
    }

    pub fn of(post: &Post, tags: &[String]) -> PostForm {
        PostForm {
            kind: post.kind.as_str().into(),
            title: post.title.clone(),
            slug: post.slug.clone(),
            dateline: post.dateline.clone(),
            body: post.body.clone(),
            tags: tags.join(", "),
            status: post.status.as_str().into(),
            published_at: post
                .published_at
                .map(|at| at.format(DATETIME_LOCAL).to_string())
                .unwrap_or_default(),
            comments_enabled: post.comments_enabled.then(|| "on".into()),
            action: String::new(),
            cover_media_id: post
                .cover_media_id
                .map(|id| id.to_string())
                .unwrap_or_default(),
            excerpt: post.custom_excerpt.clone(),
            search_description: post.search_description.clone(),
            format: post.format.as_str().into(),
        }
    }

    pub fn format(&self) -> PostFormat {
        PostFormat::parse(&self.format).unwrap_or_default()
    }

    pub fn is_html(&self) -> bool {
        self.format() == PostFormat::Html
    }

    /// The kind the form says: a page, or (for anything else) a post.
    pub fn kind(&self) -> PostKind {
        PostKind::parse(&self.kind).unwrap_or(PostKind::Post)
    }

    pub fn is_page(&self) -> bool {
        self.kind() == PostKind::Page
    }

    /// The time for the `datetime-local` input: only a value it accepts, as
    /// browsers empty an invalid one (and would save it cleared); a refused
    /// text is quoted in the field's error instead.
    pub fn published_at_value(&self) -> &str {
        match parse_time(&self.published_at) {
            Ok(Some(_)) => self.published_at.trim(),
            _ => "",
        }
    }

    /// What the address field's prefix shows: `/posts/` or `/`.
    pub fn path_prefix(&self) -> &'static str {
        match self.kind() {
            PostKind::Post => "/posts/",
            PostKind::Page => "/",
        }
    }

    /// Why a page cannot have the address asked for (typed, or made from the
    /// title): it starts with one of the site's own first segments.
    fn reserved_address(&self) -> Option<String> {
        let typed = self.slug.trim().trim_matches('/');
        let first = typed.split('/').next().unwrap_or_default();
        if !first.is_empty() && is_reserved(first) {
            return Some(format!(
                "The address /{} belongs to the site itself, so a page cannot have it. Choose another address.",
                first.to_lowercase()
            ));
        }
        let from = if typed.is_empty() { &self.title } else { typed };
        let made = slugify(from);
        is_reserved(&made).then(|| {
            let source = if typed.is_empty() { " (made from the title)" } else { "" };
            format!(
                "This page would be at /{made}{source}, an address that belongs to the site itself. Choose another address."
            )
        })
    }

    /// Whether the form says published (anything else shows as a draft).
    pub fn is_published(&self) -> bool {
        PostStatus::parse(&self.status) == Some(PostStatus::Published)
    }

    pub fn comments_on(&self) -> bool {
        self.comments_enabled.is_some()
    }

    pub fn is_preview(&self) -> bool {
        self.action == "preview"
    }

    /// The chosen cover: `Ok(None)` for none, `Err` for something not an id.
    pub(crate) fn cover(&self) -> Result<Option<i32>, ()> {
        match self.cover_media_id.trim() {
            "" => Ok(None),
            id => id.parse().map(Some).map_err(|_| ()),
        }
    }

    /// A body too long to render within budget, for saving and previewing alike.
    pub fn body_too_long(&self) -> Option<String> {
        let len = self.body.len();
        (len > MAX_BODY_BYTES).then(|| {
            format!(
                "Keep the post to {} KB (about 20,000 words); this one is {} KB. Split a longer text into parts.",
                MAX_BODY_BYTES / 1024,
                len.div_ceil(1024)
            )
        })
    }

    /// The checked form as the model takes it, or each problem by field.
    pub fn check(&self, author_id: Option<i32>) -> Result<PostInput, FieldErrors> {
        let mut errors = FieldErrors::default();
        let kind = match self.kind.as_str() {
            "" => PostKind::Post,
            text => PostKind::parse(text).unwrap_or_else(|| {
                errors.add("kind", "Choose post or page.");
                PostKind::Post
            }),
        };
        let title = self.title.trim();
        if title.is_empty() {
            errors.add("title", "Give the post a title.");
        } else if title.chars().count() > MAX_TITLE {
            errors.add(
                "title",
                format!("Keep the title to {MAX_TITLE} characters or fewer."),
            );
        }
        if !self.slug.trim().is_empty() && slugify(&self.slug).is_empty() {
            errors.add(
                "slug",
                "Use letters or digits in the address, or leave it empty to make one from the title.",
            );
        } else if kind == PostKind::Page {
            if let Some(problem) = self.reserved_address() {
                errors.add("slug", problem);
            }
        }
        if self.dateline.trim().chars().count() > MAX_DATELINE {
            errors.add(
                "dateline",
                format!("Keep the place to {MAX_DATELINE} characters or fewer."),
            );
        }
        if self.body.trim().is_empty() {
            errors.add("body", "Write the text of the post.");
        } else if let Some(problem) = self.body_too_long() {
            errors.add("body", problem);
        }
        let tags = parse_tag_list(&self.tags);
        if tags.len() > MAX_TAGS {
            errors.add("tags", format!("Use at most {MAX_TAGS} tags."));
        } else if tags.iter().any(|t| t.chars().count() > MAX_TAG) {
            errors.add(
                "tags",
                format!("Keep each tag to {MAX_TAG} characters or fewer."),
            );
        }
        if self.excerpt.trim().chars().count() > MAX_EXCERPT {
            errors.add(
                "excerpt",
                format!("Keep the excerpt to {MAX_EXCERPT} characters or fewer."),
            );
        }
        if self.search_description.trim().chars().count() > MAX_SEARCH_DESCRIPTION {
            errors.add(
                "search_description",
                format!(
                    "Keep the search description to {MAX_SEARCH_DESCRIPTION} characters or fewer."
                ),
            );
        }
        let cover = self.cover().unwrap_or_else(|()| {
            errors.add("cover_media_id", "Choose an image from the list.");
            None
        });
        let published = match PostStatus::parse(&self.status) {
            Some(PostStatus::Published) => true,
            Some(PostStatus::Draft) => false,
            None => {
                errors.add("status", "Choose draft or published.");
                false
            }
        };
        let published_at = match parse_time(&self.published_at) {
            Ok(at) => at,
            Err(()) => {
                errors.add(
                    "published_at",
                    format!(
                        "“{}” is not a date and time the form can use: enter one such as 2025-08-20T14:05 (UTC), or leave it empty.",
                        shorten(self.published_at.trim(), 40)
                    ),
                );
                None
            }
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(PostInput {
            kind,
            title: title.to_string(),
            slug: self.slug.trim().to_string(),
            dateline: self.dateline.trim().to_string(),
            body: self.body.clone(),
            tags,
            published,
            published_at,
            comments_enabled: self.comments_on(),
            author_id,
            cover_media_id: cover,
            excerpt: self.excerpt.trim().to_string(),
            search_description: self.search_description.trim().to_string(),
            format: self.format(),
        })
    }
}

/// An empty field is no time; anything else must be `YYYY-MM-DDTHH:MM` (seconds allowed).
pub(crate) fn parse_time(text: &str) -> Result<Option<NaiveDateTime>, ()> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let at = NaiveDateTime::parse_from_str(text, DATETIME_LOCAL)
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S"))
        .map_err(|_| ())?;
    if (1970..=9999).contains(&chrono::Datelike::year(&at)) {
        Ok(Some(at))
    } else {
        Err(())
    }
}
