//! `--media-from DIR`: the images imported posts show from the old site,
//! found in a copy of its files (WordPress's `wp-content/uploads`, or a
//! folder of Blogger images), so they can join the media library and the
//! posts show them from here.

use std::path::{Component, Path, PathBuf};
use std::sync::LazyLock;

use regex::{Captures, Regex};

/// Where the old site's files are, and the library they go into.
#[derive(Debug, Clone)]
pub struct MediaFrom {
    pub dir: PathBuf,
    pub store: crate::media::Store,
}

static TAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"<(img|a)\b[^>]*>").expect("a valid pattern"));
static ATTRIBUTE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"\s(src|href|srcset|sizes)="([^"]*)""#).expect("a valid pattern")
});
/// WordPress's resized copies (`photo-300x200.jpg`) and its scaled-down
/// big images (`photo-scaled.jpg`) beside the original.
static RESIZED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(.+?)(?:-\d+x\d+|-scaled)(\.[A-Za-z0-9]+)$").expect("a valid pattern")
});

/// The image addresses in sanitised HTML (attribute values as ammonia
/// writes them: double-quoted, `&amp;` for `&`): every `<img>` source and
/// every link to an image file.
pub fn image_addresses(clean: &str) -> Vec<String> {
    let mut found = Vec::new();
    for tag in TAG.captures_iter(clean) {
        let img = &tag[1] == "img";
        for attribute in ATTRIBUTE.captures_iter(&tag[0]) {
            let value = attribute[2].replace("&amp;", "&");
            let wanted = match &attribute[1] {
                "src" => img,
                "href" => !img && has_image_extension(&value),
                _ => false,
            };
            if wanted && !found.contains(&value) {
                found.push(value);
            }
        }
    }
    found
}

/// Sanitised HTML with each address `moved` gives a new one for replaced;
/// an image whose source moved loses its old `srcset` and `sizes`, which
/// named the old site's copies.
pub fn rewrite(clean: &str, moved: impl Fn(&str) -> Option<String>) -> String {
    TAG.replace_all(clean, |tag: &Captures<'_>| {
        let img = &tag[1] == "img";
        let whole = &tag[0];
        let source_moved = img
            && ATTRIBUTE
                .captures_iter(whole)
                .any(|a| &a[1] == "src" && moved(&a[2].replace("&amp;", "&")).is_some());
        ATTRIBUTE
            .replace_all(whole, |a: &Captures<'_>| match &a[1] {
                "src" | "href" => match moved(&a[2].replace("&amp;", "&")) {
                    Some(new) => format!(" {}=\"{}\"", &a[1], new.replace('&', "&amp;")),
                    None => a[0].to_string(),
                },
                _ if source_moved => String::new(),
                _ => a[0].to_string(),
            })
            .into_owned()
    })
    .into_owned()
}

/// The file in `dir` an old address names, if there is one: under
/// `wp-content/uploads/` the path below it, otherwise the file name alone.
/// The original is preferred to WordPress's resized copies of it.
pub fn file_for(dir: &Path, address: &str) -> Option<PathBuf> {
    let path = address.split_once("://").map_or(address, |(_, rest)| {
        rest.find('/').map_or("", |at| &rest[at..])
    });
    let path = path.split(['?', '#']).next().unwrap_or("");
    let path = urlencoding::decode(path).ok()?;
    let relative = match path.split_once("/wp-content/uploads/") {
        Some((_, below)) => below.to_string(),
        None => path.rsplit('/').next().unwrap_or("").to_string(),
    };
    let relative = PathBuf::from(relative);
    // Only plain names: nothing that could climb out of `dir`.
    let plain = relative.components().count() > 0
        && relative
            .components()
            .all(|c| matches!(c, Component::Normal(n) if !n.to_string_lossy().contains('\\')));
    if !plain {
        return None;
    }
    let name = relative.to_string_lossy().into_owned();
    let mut candidates = Vec::new();
    if let Some(original) = RESIZED.captures(&name) {
        candidates.push(PathBuf::from(format!("{}{}", &original[1], &original[2])));
    }
    candidates.push(relative);
    candidates
        .into_iter()
        .find(|c| plain_file_below(dir, c))
        .map(|c| dir.join(c))
}

/// Whether `relative` names a regular file in `dir` reached without a
/// symbolic link: a link in the folder could point anywhere on the machine
/// (the database, a key), and its target would be shown to the world.
fn plain_file_below(dir: &Path, relative: &Path) -> bool {
    let mut at = dir.to_path_buf();
    let mut components = relative.components().peekable();
    while let Some(component) = components.next() {
        at.push(component);
        let Ok(meta) = std::fs::symlink_metadata(&at) else {
            return false;
        };
        let last = components.peek().is_none();
        if meta.file_type().is_symlink() || (last && !meta.is_file()) || (!last && !meta.is_dir()) {
            return false;
        }
    }
    true
}

/// Reads a file `file_for` found, refusing it if it was swapped for a
/// symbolic link since: the file opened must be the one looked at.
pub fn read_plain(file: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    use std::os::unix::fs::MetadataExt;
    let mut opened = std::fs::File::open(file)?;
    let seen = std::fs::symlink_metadata(file)?;
    let got = opened.metadata()?;
    if seen.file_type().is_symlink() || seen.ino() != got.ino() || seen.dev() != got.dev() {
        return Err(std::io::Error::other("it is a symbolic link"));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(got.len()).unwrap_or(0));
    opened.read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn has_image_extension(address: &str) -> bool {
    let path = address.split(['?', '#']).next().unwrap_or("");
    let extension = path.rsplit_once('.').map_or("", |(_, e)| e);
    ["jpg", "jpeg", "png", "gif", "webp"]
        .iter()
        .any(|e| extension.eq_ignore_ascii_case(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_found_in_images_and_image_links_only() {
        let html = r#"<p><a href="https://old.example/wp-content/uploads/2019/05/wall.jpg"><img src="https://old.example/wp-content/uploads/2019/05/wall-300x200.jpg?w=300&amp;h=200" srcset="x 1x" sizes="50vw" alt="Wall"></a> <a href="https://old.example/about/">About</a></p>"#;
        assert_eq!(
            image_addresses(html),
            vec![
                "https://old.example/wp-content/uploads/2019/05/wall.jpg".to_string(),
                "https://old.example/wp-content/uploads/2019/05/wall-300x200.jpg?w=300&h=200"
                    .to_string()
            ]
        );
        let moved = rewrite(html, |a| {
            a.contains("/wall").then(|| "/media/ab12.jpg".to_string())
        });
        assert_eq!(
            moved,
            r#"<p><a href="/media/ab12.jpg"><img src="/media/ab12.jpg" alt="Wall"></a> <a href="https://old.example/about/">About</a></p>"#
        );
    }

    #[test]
    fn files_are_looked_for_inside_the_folder_and_originals_first() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("2019/05")).unwrap();
        std::fs::write(dir.path().join("2019/05/wall.jpg"), b"x").unwrap();
        std::fs::write(dir.path().join("2019/05/only-150x150.png"), b"x").unwrap();
        std::fs::write(dir.path().join("gulls.jpg"), b"x").unwrap();
        let at = |a: &str| {
            file_for(dir.path(), a).map(|p| p.strip_prefix(dir.path()).unwrap().to_path_buf())
        };
        assert_eq!(
            at("https://old.example/wp-content/uploads/2019/05/wall-300x200.jpg"),
            Some(PathBuf::from("2019/05/wall.jpg"))
        );
        assert_eq!(
            at("/wp-content/uploads/2019/05/wall-scaled.jpg"),
            Some(PathBuf::from("2019/05/wall.jpg"))
        );
        assert_eq!(
            at("http://old.example/wp-content/uploads/2019/05/only-150x150.png"),
            Some(PathBuf::from("2019/05/only-150x150.png"))
        );
        assert_eq!(
            at("https://blogger.googleusercontent.com/img/b/R29v/s1600/gulls.jpg"),
            Some(PathBuf::from("gulls.jpg"))
        );
        assert_eq!(
            at("https://old.example/wp-content/uploads/../../etc/passwd"),
            None
        );
        assert_eq!(
            at("https://old.example/wp-content/uploads/%2e%2e/secret.jpg"),
            None
        );
        assert_eq!(
            at("https://old.example/wp-content/uploads/2019/05/missing.jpg"),
            None
        );
    }
}
