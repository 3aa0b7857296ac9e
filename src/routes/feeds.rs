//! What machines read: the Atom feeds, the sitemap index and its files, and
//! robots.txt.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_web::http::header::{self, HttpDate};
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::NaiveDateTime;

use crate::db;
use crate::error::AppError;
use crate::models::post::EDITORS;
use crate::models::{self, sitemap, Post, Tag};
use crate::state::AppState;
use crate::view::{self};

/// Entries in a feed.
const FEED_ENTRIES: i64 = 20;
/// Post ids per sitemap file: under the protocol's 50,000 addresses, and
/// small enough that a file is built in a few milliseconds.
const SITEMAP_POST_IDS: i64 = 5_000;

/// An entry of an Atom feed, every field ready to print.
pub struct FeedEntry {
    title: String,
    url: String,
    published: String,
    updated: String,
    author: String,
    tags: Vec<Tag>,
    summary: String,
    content: String,
}

#[derive(Template)]
#[template(path = "feeds/feed.xml")]
pub struct AtomFeed {
    title: String,
    subtitle: String,
    id: String,
    self_url: String,
    page_url: String,
    updated: String,
    entries: Vec<FeedEntry>,
}

/// The site's Atom feed: the newest visible posts.
pub async fn site_feed(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    feed(state, None).await
}

/// A tag's Atom feed.
pub async fn tag_feed(
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    feed(state, Some(slug.into_inner())).await
}

async fn feed(state: web::Data<AppState>, slug: Option<String>) -> Result<HttpResponse, AppError> {
    let settings = state.cache.settings(&state.pool).await?;
    let now = state.now();
    let (tag, posts) = db::run(&state.pool, move |conn| {
        let tag = match slug {
            Some(slug) => {
                Some(Tag::find_visible_by_slug(conn, &slug, now)?.ok_or(AppError::NotFound)?)
            }
            None => None,
        };
        let posts = Post::recent(conn, now, tag.as_ref().map(|t| t.id), FEED_ENTRIES)?;
        let ids: Vec<i32> = posts.iter().map(|(p, _)| p.id).collect();
        let tags = Tag::for_posts(conn, &ids)?;
        Ok((tag, (posts, tags)))
    })
    .await?;
    let (posts, mut tags) = posts;
    let base = state.config.base_url();
    let last_modified = posts.iter().map(|(p, _)| modified(p)).max();
    let entries = posts
        .into_iter()
        .map(|(post, author)| FeedEntry {
            title: xml_text(&post.title),
            url: format!("{base}/posts/{}", post.slug),
            published: post
                .published_at
                .as_ref()
                .map(view::iso)
                .unwrap_or_default(),
            updated: view::iso(&modified(&post)),
            author: xml_text(author.as_deref().unwrap_or(EDITORS)),
            tags: tags
                .remove(&post.id)
                .unwrap_or_default()
                .into_iter()
                .map(|t| Tag {
                    name: xml_text(&t.name),
                    ..t
                })
                .collect(),
            summary: xml_text(post.summary()),
            content: xml_text(&post.body_html),
        })
        .collect();
    let (title, page_path) = match &tag {
        Some(tag) => (
            format!("{}: {}", settings.title, tag.name),
            format!("/tags/{}", tag.slug),
        ),
        None => (settings.title.clone(), "/".to_string()),
    };
    let self_path = match &tag {
        Some(tag) => format!("/tags/{}/feed.xml", tag.slug),
        None => "/feed.xml".to_string(),
    };
    let feed = AtomFeed {
        title: xml_text(&title),
        subtitle: xml_text(&settings.description),
        id: format!("{base}{page_path}"),
        self_url: format!("{base}{self_path}"),
        page_url: format!("{base}{page_path}"),
        updated: view::iso(&last_modified.unwrap_or_else(models::now)),
        entries,
    };
    xml_response("application/atom+xml; charset=utf-8", &feed, last_modified)
}

/// An address in a sitemap file.
pub struct SitemapUrl {
    loc: String,
    lastmod: String,
}

#[derive(Template)]
#[template(path = "feeds/sitemap.xml")]
pub struct Sitemap {
    urls: Vec<SitemapUrl>,
}

#[derive(Template)]
#[template(path = "feeds/sitemap_index.xml")]
pub struct SitemapIndex {
    /// `lastmod` may be empty: the post files leave it out (it would take
    /// reading every post).
    files: Vec<SitemapUrl>,
}

/// The sitemap index: one file for the home, archive and tag pages, then one
/// per `SITEMAP_POST_IDS` post ids (`/sitemap-posts-1.xml` holds ids
/// 1..=5,000, and so on), so a post stays in its file as others come and go.
pub async fn sitemap(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let now = state.now();
    let (max_id, newest) = db::run(&state.pool, move |conn| {
        Ok((
            sitemap::max_post_id(conn)?,
            sitemap::newest_publication(conn, now)?,
        ))
    })
    .await?;
    let base = state.config.base_url();
    let mut files = vec![SitemapUrl {
        loc: format!("{base}/sitemap-pages.xml"),
        lastmod: newest.as_ref().map(view::iso).unwrap_or_default(),
    }];
    files.extend((1..=post_files(max_id)).map(|n| SitemapUrl {
        loc: format!("{base}/sitemap-posts-{n}.xml"),
        lastmod: String::new(),
    }));
    xml_response(
        "application/xml; charset=utf-8",
        &SitemapIndex { files },
        newest,
    )
}

/// How many post files the index lists.
fn post_files(max_id: i64) -> i64 {
    (max_id + SITEMAP_POST_IDS - 1) / SITEMAP_POST_IDS
}

/// The home and archive pages, each archive year and month, the tags page
/// and each tag with a visible post; each dated by its newest visible
/// publication. (Pages are in the post files, by id.)
pub async fn sitemap_pages(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let now = state.now();
    let (newest, months, tags) = db::run(&state.pool, move |conn| {
        Ok((
            sitemap::newest_publication(conn, now)?,
            sitemap::months(conn, now)?,
            sitemap::tags(conn, now)?,
        ))
    })
    .await?;
    let base = state.config.base_url();
    let url = |path: &str, at: &NaiveDateTime| SitemapUrl {
        loc: format!("{base}{path}"),
        lastmod: view::iso(at),
    };
    let mut urls = Vec::new();
    if let Some(newest) = &newest {
        urls.push(url("/", newest));
        urls.push(url("/archive", newest));
    }
    // Months come oldest first, so a year's newest is its last month's.
    let mut years: BTreeMap<&str, NaiveDateTime> = BTreeMap::new();
    for m in &months {
        years.insert(m.key.get(..4).unwrap_or_default(), m.newest);
    }
    urls.extend(
        years
            .iter()
            .map(|(year, at)| url(&format!("/archive/{year}"), at)),
    );
    urls.extend(months.iter().map(|m| {
        url(
            &format!("/archive/{}", m.key.replacen('-', "/", 1)),
            &m.newest,
        )
    }));
    if let Some(newest) = tags.iter().map(|t| t.newest).max() {
        urls.push(url("/tags", &newest));
    }
    urls.extend(
        tags.iter()
            .map(|t| url(&format!("/tags/{}", t.key), &t.newest)),
    );
    xml_response("application/xml; charset=utf-8", &Sitemap { urls }, newest)
}

/// The visible posts and pages (each at its own address) among ids `(n - 1) * SITEMAP_POST_IDS + 1 ..= n * SITEMAP_POST_IDS`.
pub async fn sitemap_posts(
    state: web::Data<AppState>,
    n: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let n: i64 = n.parse().map_err(|_| AppError::NotFound)?;
    let now = state.now();
    let posts = db::run(&state.pool, move |conn| {
        if n < 1 || n > post_files(sitemap::max_post_id(conn)?) {
            return Err(AppError::NotFound);
        }
        let from = (n - 1) * SITEMAP_POST_IDS + 1;
        Ok(sitemap::posts_between(
            conn,
            from,
            from + SITEMAP_POST_IDS,
            now,
        )?)
    })
    .await?;
    let base = state.config.base_url();
    let mut newest = None;
    let urls = posts
        .iter()
        .map(|p| {
            let at = later(p.updated_at, Some(p.published_at));
            newest = newest.max(Some(at));
            SitemapUrl {
                loc: format!("{base}{}", view::post_path(p.kind, &p.slug)),
                lastmod: view::iso(&at),
            }
        })
        .collect();
    xml_response("application/xml; charset=utf-8", &Sitemap { urls }, newest)
}

pub async fn robots(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(format!(
            "User-agent: *\nDisallow: /admin\nDisallow: /search\n\nSitemap: {}/sitemap.xml\n",
            state.config.base_url()
        ))
}

/// The site icon chosen in settings, `SIZE` px square (made when it was
/// chosen): `/favicon.ico` 32 (a PNG: every browser takes one),
/// `/apple-touch-icon.png` 180 (Apple's home screens ask for it even when no
/// page links it), `/icon-192.png` and `/icon-512.png` (Android's home
/// screen and splash). An icon chosen before square files were made, or
/// whose files could not be written, is its image's smallest copy. 404 when
/// there is no icon. Pages link it with the icon's id in the query, so a new
/// icon is fetched at once, and an hour's caching is enough.
pub async fn icon<const SIZE: u32>(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
) -> Result<HttpResponse, AppError> {
    let (state, req, size) = (&state, &req, SIZE);
    // The settings carry the icon's library image: no query of its own.
    let settings = state.cache.settings(&state.pool).await?;
    let media = settings.icon.as_ref().ok_or(AppError::NotFound)?;
    let square = media.icon_file_name(size);
    let fallback = media
        .thumbnail_url()
        .trim_start_matches("/media/")
        .to_string();
    // An hour: the owner may pick another icon at the same address.
    let cache_control = "public, max-age=3600";
    let Some(dir) = state.media.folder() else {
        return match super::media::object(state, req, &square, cache_control).await {
            Err(AppError::NotFound) => {
                super::media::object(state, req, &fallback, cache_control).await
            }
            answer => answer,
        };
    };
    let file = match actix_files::NamedFile::open_async(dir.join(&square)).await {
        Ok(file) => file,
        Err(_) => actix_files::NamedFile::open_async(dir.join(&fallback))
            .await
            .map_err(|_| AppError::NotFound)?,
    };
    let mut res = file.into_response(req);
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static(cache_control),
    );
    Ok(res)
}

/// When a post last changed for its readers: edited, or (if scheduled) appeared.
fn modified(post: &Post) -> NaiveDateTime {
    later(post.updated_at, post.published_at)
}

fn later(updated: NaiveDateTime, published: Option<NaiveDateTime>) -> NaiveDateTime {
    published.map_or(updated, |p| p.max(updated))
}

fn xml_response<T: Template>(
    content_type: &str,
    doc: &T,
    last_modified: Option<NaiveDateTime>,
) -> Result<HttpResponse, AppError> {
    let body = doc.render()?;
    let mut res = HttpResponse::Ok();
    res.content_type(content_type);
    if let Some(at) = last_modified {
        let secs = u64::try_from(at.and_utc().timestamp()).unwrap_or(0);
        let time: SystemTime = UNIX_EPOCH + Duration::from_secs(secs);
        res.insert_header(header::LastModified(HttpDate::from(time)));
    }
    Ok(res.body(body))
}

/// Text without the characters XML 1.0 cannot carry at all, even escaped
/// (control characters other than tab and line breaks, U+FFFE, U+FFFF); the
/// template escapes the rest.
fn xml_text(text: &str) -> String {
    text.chars()
        .filter(|&c| {
            matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_text_drops_only_what_xml_forbids() {
        assert_eq!(xml_text("a\u{0}b\u{1b}c\td\u{FFFF}é<"), "abc\tdé<");
    }
}
