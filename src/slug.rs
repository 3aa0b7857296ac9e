//! URL slugs: ASCII, lower-case, words joined by hyphens.

/// `"Größe & Café — 2025"` becomes `"grosse-cafe-2025"`.
pub fn slugify(text: &str) -> String {
    let ascii = deunicode::deunicode(text).to_lowercase();
    let mut slug = String::with_capacity(ascii.len());
    for c in ascii.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    // Keep slugs short enough for a URL and cut at a hyphen where possible.
    if slug.len() > 80 {
        let cut = &slug[..80];
        cut.rfind('-').map_or(cut, |i| &cut[..i]).to_string()
    } else {
        slug.to_string()
    }
}

/// The first segments of the site's own addresses (`routes::configure`,
/// `admin::configure`, the static files), which no page may take as its
/// slug: a page there would never be reached, or would hide a feature.
/// `Table::register` checks every route against this list in debug builds,
/// so a new route cannot be forgotten here.
pub const RESERVED: [&str; 22] = [
    "account",
    "admin",
    "apple-touch-icon.png",
    "archive",
    "comments",
    "favicon.ico",
    "feed.xml",
    "healthz",
    "icon-192.png",
    "icon-512.png",
    "login",
    "logout",
    "media",
    "posts",
    "register",
    "robots.txt",
    "search",
    "setup",
    "sitemap",
    "sitemap.xml",
    "static",
    "tags",
];

/// Whether `segment` (a path's first segment, any case) belongs to the site:
/// one of `RESERVED`, or a sitemap file (`sitemap-…`).
pub fn is_reserved(segment: &str) -> bool {
    let segment = segment.to_ascii_lowercase();
    RESERVED.contains(&segment.as_str()) || segment.starts_with("sitemap-")
}

#[cfg(test)]
mod tests {
    use super::slugify;

    #[test]
    fn transliterates_and_joins_words() {
        assert_eq!(slugify("Größe & Café — 2025"), "grosse-cafe-2025");
        assert_eq!(slugify("  Hello, World!  "), "hello-world");
        assert_eq!(slugify("!!!"), "");
    }
}
