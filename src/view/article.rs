//! The parts of an article's (or page's) HTML that are the same for every
//! reader: its head tags, the article itself and the links to its
//! neighbours. They are rendered once, when the article is loaded into the
//! cache, so a reader's page only adds the masthead, the thread's actions
//! and the comment form.

use askama::Template;

use super::card::{script_json, CardImage};
use super::fragment;

use crate::models::comment::CommentView;
use crate::models::media::Media;
use crate::models::post::{Article, Neighbour};
use crate::models::{Post, Settings, Tag};

pub struct ArticleParts {
    /// The page's absolute address, for `<link rel="canonical">`.
    pub canonical: String,
    /// For `<meta name="description">`.
    pub description: String,
    /// Link-preview and schema.org tags for `<head>`.
    pub head: String,
    /// The `<article>` element.
    pub article: String,
    /// Previous and next post (empty for a page).
    pub nav: String,
}

#[derive(Template)]
#[template(path = "public/article_head.html")]
struct Head<'a> {
    site_title: &'a str,
    post: &'a Post,
    author: &'a str,
    tags: &'a [Tag],
    /// The cover, else the site's image.
    image: Option<CardImage>,
    description: &'a str,
    canonical: &'a str,
    /// schema.org `BlogPosting` (a page: `WebPage`), for search engines
    /// (data, never run).
    json_ld: String,
}

#[derive(Template)]
#[template(path = "public/article_body.html")]
struct Body<'a> {
    post: &'a Post,
    author: &'a str,
    tags: &'a [Tag],
    cover: Option<&'a Media>,
}

#[derive(Template)]
#[template(path = "public/article_nav.html")]
struct Nav<'a> {
    previous: Option<&'a Neighbour>,
    next: Option<&'a Neighbour>,
}

impl ArticleParts {
    /// `base_url` is the site's address (no trailing slash), for the absolute
    /// URLs link previews need.
    pub fn of(article: &Article, settings: &Settings, base_url: &str) -> ArticleParts {
        let post = &article.post;
        let cover = article.cover.as_ref();
        let canonical = format!("{base_url}{}", post.path());
        let description = post.description();
        let image = CardImage::pick(cover, settings.icon.as_ref(), base_url);
        let json_ld = structured_data(&StructuredData {
            post,
            author: &article.author,
            image: image.as_ref(),
            settings,
            canonical: &canonical,
            base_url,
            description: &description,
        });
        let head = Head {
            site_title: &settings.title,
            post,
            author: &article.author,
            tags: &article.tags,
            image,
            description: &description,
            canonical: &canonical,
            json_ld,
        };
        let body = Body {
            post,
            author: &article.author,
            tags: &article.tags,
            cover,
        };
        let nav = Nav {
            previous: article.previous.as_ref(),
            next: article.next.as_ref(),
        };
        ArticleParts {
            head: fragment(&head, Head::SIZE_HINT),
            article: fragment(&body, Body::SIZE_HINT + post.body_html.len()),
            nav: if post.is_page() {
                String::new()
            } else {
                fragment(&nav, Nav::SIZE_HINT)
            },
            canonical,
            description,
        }
    }

    /// The bytes its text takes, for the cache's weighing.
    pub fn bytes(&self) -> usize {
        self.canonical.len()
            + self.description.len()
            + self.head.len()
            + self.article.len()
            + self.nav.len()
    }
}

/// What the JSON-LD of an article or page is made of.
struct StructuredData<'a> {
    post: &'a Post,
    author: &'a str,
    image: Option<&'a CardImage>,
    settings: &'a Settings,
    canonical: &'a str,
    base_url: &'a str,
    description: &'a str,
}

/// An article as schema.org `BlogPosting`, a page as `WebPage`, as JSON-LD
/// safe inside `<script>`. There are no author pages yet, so the author's
/// `url` is the site's address; the publisher's logo is the site's image.
fn structured_data(d: &StructuredData<'_>) -> String {
    let home = format!("{}/", d.base_url);
    let mut publisher = serde_json::json!({
        "@type": "Organization",
        "name": d.settings.title,
        "url": home,
    });
    if let Some(icon) = &d.settings.icon {
        publisher["logo"] = CardImage::of(icon, d.base_url, false).json();
    }
    let author = serde_json::json!({ "@type": "Person", "name": d.author, "url": home });
    let post = d.post;
    let mut data = if post.is_page() {
        serde_json::json!({
            "@context": "https://schema.org",
            "@type": "WebPage",
            "@id": d.canonical,
            "name": post.title,
            "headline": post.title,
            "description": d.description,
            "dateModified": post.updated_iso(),
            "author": author,
            "publisher": publisher,
            "isPartOf": { "@type": "WebSite", "name": d.settings.title, "url": home },
            "url": d.canonical,
        })
    } else {
        serde_json::json!({
            "@context": "https://schema.org",
            "@type": "BlogPosting",
            "headline": post.title,
            "description": d.description,
            "datePublished": post.published_iso(),
            "dateModified": post.updated_iso(),
            "author": author,
            "publisher": publisher,
            "mainEntityOfPage": { "@type": "WebPage", "@id": d.canonical },
            "url": d.canonical,
            "wordCount": post.word_count,
        })
    };
    if let Some(image) = d.image {
        data["image"] = image.json();
    }
    script_json(&data)
}

/// Gives each comment what every reader sees of it (`comment_markup`), its
/// stored HTML moved in, so a cached article holds the text once.
pub fn mark_up_comments(comments: &mut [CommentView]) {
    for view in comments {
        view.html = super::comment_markup(view);
        view.comment.body_html = String::new();
    }
}
