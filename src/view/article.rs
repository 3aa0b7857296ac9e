//! The parts of an article's (or page's) HTML that are the same for every
//! reader: its head tags, the article itself and the links to its
//! neighbours. They are rendered once, when the article is loaded into the
//! cache, so a reader's page only adds the masthead, the thread's actions
//! and the comment form.

use askama::Template;

use super::fragment;

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
    cover: Option<&'a Media>,
    description: &'a str,
    canonical: &'a str,
    base_url: &'a str,
    /// schema.org `BlogPosting`, for search engines (data, never run).
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
        let json_ld = if post.is_page() {
            String::new()
        } else {
            blog_posting(
                post,
                &article.author,
                cover,
                settings,
                &canonical,
                base_url,
                &description,
            )
        };
        let head = Head {
            site_title: &settings.title,
            post,
            author: &article.author,
            tags: &article.tags,
            cover,
            description: &description,
            canonical: &canonical,
            base_url,
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

/// The article as schema.org `BlogPosting` JSON-LD, safe inside `<script>`
/// (no `<` survives, so the text cannot close the element).
fn blog_posting(
    post: &Post,
    author: &str,
    cover: Option<&Media>,
    settings: &Settings,
    canonical: &str,
    base_url: &str,
    description: &str,
) -> String {
    let mut data = serde_json::json!({
        "@context": "https://schema.org",
        "@type": "BlogPosting",
        "headline": post.title,
        "description": description,
        "datePublished": post.published_iso(),
        "dateModified": post.updated_iso(),
        "author": { "@type": "Person", "name": author },
        "publisher": { "@type": "Organization", "name": settings.title, "url": format!("{base_url}/") },
        "mainEntityOfPage": { "@type": "WebPage", "@id": canonical },
        "url": canonical,
        "wordCount": post.word_count,
    });
    if let Some(cover) = cover {
        data["image"] = serde_json::json!({
            "@type": "ImageObject",
            "url": format!("{base_url}{}", cover.url()),
            "width": cover.width,
            "height": cover.height,
        });
    }
    data.to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}
