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
