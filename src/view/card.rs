//! What link previews (OpenGraph, Twitter cards) and schema.org data show
//! of a page: its picture is the post's cover, else the site's own image
//! (the icon chosen in settings). A site without an icon gives pages without
//! a cover no picture: a text-only `summary` card, and no `image` or
//! `publisher.logo` in their JSON-LD, rather than a stock picture that is
//! not the site's.

use crate::models::media::Media;

/// A picture for link previews and structured data, with absolute addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardImage {
    pub url: String,
    pub width: i32,
    pub height: i32,
    pub alt: String,
    /// A cover gets the large card; the site's image (often a small square
    /// icon) the small one.
    pub large: bool,
}

impl CardImage {
    /// `base_url` is the site's address, no trailing slash.
    pub fn of(media: &Media, base_url: &str, large: bool) -> CardImage {
        CardImage {
            url: format!("{base_url}{}", media.url()),
            width: media.width,
            height: media.height,
            alt: media.alt.clone(),
            large,
        }
    }

    /// The cover, else the site's image, else none.
    pub fn pick(cover: Option<&Media>, site: Option<&Media>, base_url: &str) -> Option<CardImage> {
        match (cover, site) {
            (Some(cover), _) => Some(CardImage::of(cover, base_url, true)),
            (None, Some(site)) => Some(CardImage::of(site, base_url, false)),
            (None, None) => None,
        }
    }

    /// schema.org `ImageObject`.
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "@type": "ImageObject",
            "url": self.url,
            "width": self.width,
            "height": self.height,
        })
    }
}

/// JSON as it may stand inside `<script>`: no `<`, `>` or `&` survives, so
/// the text cannot close the element.
pub fn script_json(data: &serde_json::Value) -> String {
    data.to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}
