//! What every page shares: the layout's data (the reading pages' sidebar
//! included), paging links and rendering. The readable forms of dates,
//! counts and names that templates show are in `format`.

pub mod article;
pub mod card;
pub mod format;
pub mod visitor;

pub use format::*;

use card::CardImage;

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use askama::Template;
use chrono::NaiveDateTime;
use diesel::QueryResult;

use crate::db::Conn;

use crate::error::AppError;
use crate::models::media::Media;
use crate::models::post::MonthCount;
use crate::models::tag::TagCount;
use crate::models::{Post, Settings, Tag};
use visitor::Visitor;

/// Links to the neighbouring pages of a list, for `partials/pager.html`.
pub struct Pager {
    pub newer: Option<String>,
    pub older: Option<String>,
}

impl Pager {
    /// `base` is the list's first page and may already hold a query
    /// (`/admin/posts?status=draft`); `more` says whether an older page exists.
    pub fn new(base: &str, page: i64, more: bool) -> Pager {
        Pager {
            newer: (page > 1).then(|| page_path(base, page - 1)),
            older: more.then(|| page_path(base, page + 1)),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.newer.is_none() && self.older.is_none()
    }
}

/// Page `n` of the list at `base`: `base` itself for page 1.
pub fn page_path(base: &str, n: i64) -> String {
    match (n, base.contains('?')) {
        (1, _) => base.to_string(),
        (_, false) => format!("{base}?page={n}"),
        (_, true) => format!("{base}&page={n}"),
    }
}

/// The signed-in user as the layout shows them.
#[derive(Debug, Clone)]
pub struct ViewerInfo {
    pub id: i32,
    pub name: String,
    pub is_admin: bool,
    pub can_write: bool,
}

/// Data for `base.html`.
#[derive(Debug, Clone)]
pub struct Layout {
    pub site_title: String,
    pub site_description: String,
    /// The page's own title; the `<title>` adds the site's.
    pub title: String,
    pub description: String,
    pub viewer: Option<ViewerInfo>,
    pub csrf_token: String,
    pub flash: Option<String>,
    pub search_query: String,
    pub css_href: String,
    /// Where signing out returns to: this page, unless it needs an account.
    pub after_sign_out: String,
    /// The page's absolute address for `<link rel="canonical">`; empty: none.
    pub canonical: String,
    /// A feed of this page's own beside the site's (a tag's posts).
    pub feed: Option<FeedLink>,
    /// Reading pages show the archive and tags beside (or below) the content.
    /// Shared with the cached data it came from: pages do not copy it.
    pub sidebar: Option<Arc<Sidebar>>,
    /// The header menu: the owner's (settings) or Home and Archive.
    pub menu: Vec<MenuLink>,
    /// The library image the site uses as its icon, if any.
    pub icon: Option<i32>,
    /// The site's image for link previews, once `at` has named the page's
    /// address (lists and indexes; articles bring their own head tags).
    pub card: Option<CardImage>,
    site_image: Option<Media>,
}

/// A link of the header menu, and whether it is the page being shown.
#[derive(Debug, Clone)]
pub struct MenuLink {
    pub label: String,
    pub href: String,
    pub current: bool,
}

/// The header menu for a visitor at `here` (a path, perhaps with a query):
/// the settings' items in order, or Home and Archive when there are none.
pub fn menu(settings: &Settings, here: &str) -> Vec<MenuLink> {
    let path = here.split(['?', '#']).next().unwrap_or(here);
    let items = settings.menu_items();
    let items: Vec<(String, String)> = if items.is_empty() {
        vec![
            ("Home".into(), "/".into()),
            ("Archive".into(), "/archive".into()),
        ]
    } else {
        items.into_iter().map(|i| (i.label, i.href)).collect()
    };
    items
        .into_iter()
        .map(|(label, href)| MenuLink {
            current: href == path,
            label,
            href,
        })
        .collect()
}

/// An Atom feed the page links to in its head.
#[derive(Debug, Clone)]
pub struct FeedLink {
    pub title: String,
    pub href: String,
}

impl Layout {
    pub fn new(visitor: &Visitor, settings: &Settings, title: impl Into<String>) -> Layout {
        let viewer = visitor.user().map(|u| ViewerInfo {
            id: u.id,
            name: u.display_name.clone(),
            is_admin: u.is_admin(),
            can_write: u.can_write(),
        });
        // Signed-out pages carry no token unless they hold a form (with_csrf),
        // so they stay the same for every reader.
        let csrf_token = if viewer.is_some() {
            visitor.csrf_token()
        } else {
            String::new()
        };
        Layout {
            site_title: settings.title.clone(),
            site_description: settings.description.clone(),
            title: title.into(),
            description: settings.description.clone(),
            viewer,
            csrf_token,
            flash: visitor.flash().map(str::to_string),
            search_query: String::new(),
            css_href: crate::assets::css_href(),
            after_sign_out: after_sign_out(visitor.here()),
            canonical: String::new(),
            feed: None,
            sidebar: None,
            menu: menu(settings, visitor.here()),
            icon: settings.icon_media_id,
            card: None,
            site_image: settings.icon.clone(),
        }
    }

    /// Names the page's canonical address: `base_url` (no trailing slash) and
    /// `path`. Such a page is shared: its head gets link-preview tags.
    pub fn at(mut self, base_url: &str, path: &str) -> Layout {
        self.card = CardImage::pick(None, self.site_image.as_ref(), base_url);
        self.canonical(&format!("{base_url}{path}"))
    }

    /// Names the page's canonical address, absolute.
    pub fn canonical(mut self, address: &str) -> Layout {
        self.canonical = address.to_string();
        self
    }

    pub fn with_feed(mut self, title: String, href: String) -> Layout {
        self.feed = Some(FeedLink { title, href });
        self
    }

    pub fn with_sidebar(mut self, sidebar: Arc<Sidebar>) -> Layout {
        self.sidebar = Some(sidebar);
        self
    }

    /// For pages with a form: makes sure the visitor has a CSRF token.
    pub fn with_csrf(mut self, visitor: &Visitor) -> Layout {
        self.csrf_token = visitor.csrf_token();
        self
    }

    pub fn described(mut self, description: &str) -> Layout {
        if !description.is_empty() {
            self.description = description.to_string();
        }
        self
    }

    /// The full `<title>`: the page's, then the site's.
    pub fn full_title(&self) -> String {
        if self.title.is_empty() || self.title == self.site_title {
            self.site_title.clone()
        } else {
            format!("{} · {}", self.title, self.site_title)
        }
    }
}

/// A month in the archive, linked.
#[derive(Debug, Clone)]
pub struct MonthLink {
    pub href: String,
    pub name: &'static str,
    pub count: i64,
}

/// A year in the archive with its months, newest first.
#[derive(Debug, Clone)]
pub struct YearGroup {
    pub year: String,
    pub count: i64,
    pub months: Vec<MonthLink>,
}

/// Groups month counts (newest first) by year.
pub fn archive_years(months: Vec<MonthCount>) -> Vec<YearGroup> {
    let mut years: Vec<YearGroup> = Vec::new();
    for m in months {
        let month: u32 = m.month.parse().unwrap_or(0);
        let link = MonthLink {
            href: format!("/archive/{}/{}", m.year, m.month),
            name: month_name(month),
            count: m.count,
        };
        match years.last_mut() {
            Some(group) if group.year == m.year => {
                group.count += m.count;
                group.months.push(link);
            }
            _ => years.push(YearGroup {
                year: m.year,
                count: m.count,
                months: vec![link],
            }),
        }
    }
    years
}

/// The reading pages' sidebar: the Blog Archive and the popular tags, both
/// from trigger-kept counts, so loading it costs a few index reads. It is the
/// same for every reader, so it is rendered once, when loaded.
#[derive(Debug, Clone, Default)]
pub struct Sidebar {
    pub html: String,
}

#[derive(Template)]
#[template(path = "partials/sidebar.html")]
struct SidebarMarkup {
    years: Vec<YearGroup>,
    tags: Vec<TagCount>,
}

impl Sidebar {
    /// How many tags it lists.
    pub const TAGS: i64 = 20;

    fn new(years: Vec<YearGroup>, tags: Vec<TagCount>) -> Sidebar {
        let markup = SidebarMarkup { years, tags };
        Sidebar {
            html: fragment(&markup, SidebarMarkup::SIZE_HINT),
        }
    }

    pub fn load(conn: &mut Conn, now: NaiveDateTime) -> QueryResult<Sidebar> {
        Ok(Sidebar::new(
            archive_years(Post::months(conn, now)?),
            Tag::popular(conn, now, Sidebar::TAGS)?,
        ))
    }

    /// The archive alone, for the tags page, which shows every tag itself.
    pub fn archive_only(conn: &mut Conn, now: NaiveDateTime) -> QueryResult<Sidebar> {
        Ok(Sidebar::new(
            archive_years(Post::months(conn, now)?),
            Vec::new(),
        ))
    }

    /// Tags alone, for the archive page, which shows the archive itself.
    pub fn tags_only(conn: &mut Conn, now: NaiveDateTime) -> QueryResult<Sidebar> {
        Ok(Sidebar::new(
            Vec::new(),
            Tag::popular(conn, now, Sidebar::TAGS)?,
        ))
    }
}

fn after_sign_out(here: &str) -> String {
    let personal = ["/admin", "/account", "/comments"]
        .iter()
        .any(|p| here.starts_with(p));
    if personal || !here.starts_with('/') {
        "/".into()
    } else {
        here.into()
    }
}

/// A piece of a page rendered ahead, to be inserted as it is (`|safe`) into
/// the pages of many readers; `bytes` to start the buffer with.
pub fn fragment<T: Template>(part: &T, bytes: usize) -> String {
    let mut html = String::with_capacity(bytes);
    // Only a failing writer fails a render, and a String never does.
    let _ = part.render_into(&mut html);
    html
}

pub fn render<T: Template>(page: &T) -> Result<HttpResponse, AppError> {
    render_with(StatusCode::OK, page)
}

pub fn render_with<T: Template>(status: StatusCode, page: &T) -> Result<HttpResponse, AppError> {
    render_sized(status, page, T::SIZE_HINT)
}

/// `render_with` into a buffer of `bytes` to start with: a page much larger
/// than its template (an article and its thread) is then not copied again
/// each time the buffer grows.
pub fn render_sized<T: Template>(
    status: StatusCode,
    page: &T,
    bytes: usize,
) -> Result<HttpResponse, AppError> {
    let mut html = String::with_capacity(bytes);
    page.render_into(&mut html)?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(html))
}
