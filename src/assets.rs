//! The site's own files (`static/`: the style sheet), compiled into the
//! binary, so a binary copied alone to a server serves the styled site.

use std::borrow::Cow;

use rust_embed::Embed;

#[derive(Embed)]
#[folder = "static/"]
struct Files;

/// A file of `static/` by its path inside it: its bytes and a tag of its
/// content (for the ETag and the address's `?v=`).
pub fn get(name: &str) -> Option<(Cow<'static, [u8]>, String)> {
    let file = Files::get(name)?;
    let tag = hex::encode(&file.metadata.sha256_hash()[..6]);
    Some((file.data, tag))
}

/// The stylesheet's address, versioned by its content so it can be cached
/// for a year.
pub fn css_href() -> String {
    static HREF: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HREF.get_or_init(|| match get("site.css") {
        Some((_, tag)) => format!("/static/site.css?v={tag}"),
        None => "/static/site.css".into(),
    })
    .clone()
}
