//! `broadsheet import` on a disk that fills while it writes: it says the
//! disk is full (not a message about transactions), keeps what it had
//! written, and continues once space returns.
//!
//! The database lives on a small tmpfs of its own (an unprivileged user and
//! mount namespace, `unshare -rm`), as tests/it/full_disk.rs does for the server.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::process::{site_with_users, BIN};
use broadsheet::models::Role;

/// Why this machine cannot run the test, if it cannot.
fn unavailable() -> Option<String> {
    match Command::new("unshare")
        .args(["-rm", "sh", "-c", "mount -t tmpfs -o size=1m tmpfs /mnt"])
        .stderr(Stdio::piped())
        .output()
    {
        Ok(out) if out.status.success() => None,
        Ok(out) => Some(format!(
            "unshare -rm cannot mount a tmpfs here: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Err(e) => Some(format!("no unshare command: {e}")),
    }
}

/// A WordPress export of `posts` posts of about 4 KB each.
fn export(posts: usize) -> String {
    let mut text = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>Filling</title><link>https://filling.example</link>
"#,
    );
    for n in 0..posts {
        let body =
            format!("Paragraph {n} of the harbour log, with its tides and ships. ").repeat(32);
        text.push_str(&format!(
            "<item><title>Log {n}</title><content:encoded><![CDATA[{body}]]></content:encoded>\
             <wp:post_id>{n}</wp:post_id><wp:post_name>log-{n}</wp:post_name>\
             <wp:post_date_gmt>2020-05-03 09:30:00</wp:post_date_gmt>\
             <wp:status>publish</wp:status><wp:post_type>post</wp:post_type></item>\n"
        ));
    }
    text.push_str("</channel></rss>\n");
    text
}

/// Runs `broadsheet import` on a copy of `seed` on a tmpfs of `size`; the
/// script copies the database back out afterwards, so the test can read it.
fn import_on_small_disk(
    seed: &Path,
    size: &str,
    file: &Path,
    out_db: &Path,
) -> std::process::Output {
    let mount = seed.parent().unwrap().join("small-disk");
    std::fs::create_dir_all(&mount).unwrap();
    let script = r#"mount -t tmpfs -o size="$0" tmpfs "$1" && cp "$2" "$1/blog.db" && "$3" --database "$1/blog.db" import "$4"; status=$?; cp "$1/blog.db" "$5"; [ -e "$1/blog.db-wal" ] && cp "$1/blog.db-wal" "$5-wal"; exit $status"#;
    Command::new("unshare")
        .args(["-rm", "sh", "-c", script, size])
        .arg(&mount)
        .arg(seed)
        .arg(BIN)
        .arg(file)
        .arg(out_db)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn an_import_that_fills_the_disk_says_the_disk_is_full_and_keeps_what_it_wrote() {
    if let Some(why) = unavailable() {
        assert!(
            std::env::var_os("CI").is_none(),
            "full-disk test cannot run: {why}"
        );
        crate::common::skipped("the full-disk import test", &why);
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("seed.db");
    site_with_users(seed.as_path(), &[("owner", Role::Admin)]);
    let seed_len = std::fs::metadata(&seed).unwrap().len();
    let file = dir.path().join("export.xml");
    // About 4 MB of text (more stored), for a disk with 3 MB to spare.
    std::fs::write(&file, export(2000)).unwrap();
    let size = format!("{}", seed_len + 3 * 1024 * 1024);
    let after = dir.path().join("after.db");

    let out = import_on_small_disk(&seed, &size, &file, &after);
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "{said}");
    assert!(
        said.contains("the disk holding the database is full"),
        "{said}"
    );
    assert!(!said.contains("outside of a transaction"), "{said}");
    assert!(said.contains("run the same import again"), "{said}");
    // What was committed before the disk filled is there, and whole.
    let kept = crate::process::count(
        &after,
        "SELECT count(*) AS n FROM posts WHERE slug LIKE 'log-%'",
    );
    assert!(kept > 0 && kept < 2000, "{kept} posts kept");

    // With room, the same import continues where it stopped.
    let big = format!("{}", 64 * 1024 * 1024);
    let done = dir.path().join("done.db");
    let out = import_on_small_disk(&after, &big, &file, &done);
    assert!(out.status.success(), "{out:?}");
    let all = crate::process::count(
        &done,
        "SELECT count(*) AS n FROM posts WHERE slug LIKE 'log-%'",
    );
    assert_eq!(all, 2000);
}
