//! The one rule for "a path on this site": every redirect target, sign-in
//! `next` and menu address that may be local goes through `is_local_path`.

/// The longest local path accepted as a redirect target.
pub const MAX_LOCAL_PATH: usize = 2048;

/// A path on this site (`/`, `/posts/x?page=2#c`) that no browser reads as
/// another host. Browsers treat `\` as `/` (so `/\evil.example` is
/// `//evil.example`), drop tabs and newlines anywhere in an address (so
/// `/<TAB>/evil.example` is `//evil.example` too), and a value may be
/// decoded once more on its way (a `next` inside a `next`), so the decoded
/// form is held to the same rule. A scheme (`https:evil.example`) never
/// starts with `/`, so it is never local.
pub fn is_local_path(path: &str) -> bool {
    // Spaces are allowed only once decoded (`%20`): as they stand, a browser
    // would trim or encode them, and no path the site makes has one.
    fn plain(path: &str, spaces: bool) -> bool {
        let mut chars = path.chars();
        chars.next() == Some('/')
            && !matches!(chars.next(), Some('/'))
            && !path
                .chars()
                .any(|c| c == '\\' || c.is_control() || (!spaces && c.is_whitespace()))
    }
    if path.len() > MAX_LOCAL_PATH || !plain(path, false) {
        return false;
    }
    // `%2F%2F`, `%5C`, `%09`: harmless as they stand, a way out once decoded.
    !path.contains('%')
        || plain(
            &String::from_utf8_lossy(&urlencoding::decode_binary(path.as_bytes())),
            true,
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_paths_are_on_this_site() {
        for ok in [
            "/",
            "/posts/a?page=2",
            "/tags/news#top",
            "/a/b/",
            "/%C3%A9t%C3%A9",
            "/a%20b",
        ] {
            assert!(is_local_path(ok), "{ok}");
        }
    }

    #[test]
    fn anything_a_browser_reads_as_another_host_is_not_local() {
        for bad in [
            "",
            "posts/x",
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r/evil.example",
            " /x",
            "https:evil.example",
            "https://evil.example",
            "javascript:alert(1)",
            "/%2F/evil.example",
            "/%2f%2fevil.example",
            "/%5Cevil.example",
            "/%5cevil.example",
            "/%09/evil.example",
            "/%0a/evil.example",
            "/a\\b",
        ] {
            assert!(!is_local_path(bad), "{bad:?}");
        }
        assert!(!is_local_path(&format!("/{}", "a".repeat(MAX_LOCAL_PATH))));
    }
}
