//! Puts the commit the binary is built from into `--version`
//! (`BROADSHEET_BUILT_FROM`: "commit abc1234", or "unknown commit" outside a
//! git checkout, e.g. from a crates tarball).

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let built_from = match commit(&dir) {
        Some(hash) => format!("commit {hash}"),
        None => "unknown commit".to_string(),
    };
    println!("cargo:rustc-env=BROADSHEET_BUILT_FROM={built_from}");
}

/// HEAD's short hash, if `dir` is the top of a git work tree (not a tarball
/// unpacked somewhere inside another repository). Watches HEAD and the ref
/// it points to, so a commit or checkout reruns this script and nothing
/// else does.
fn commit(dir: &Path) -> Option<String> {
    let top = git(dir, &["rev-parse", "--show-toplevel"])?;
    if Path::new(&top).canonicalize().ok()? != dir.canonicalize().ok()? {
        return None;
    }
    // Paths from --git-path work in linked worktrees too, where HEAD and the
    // branch refs live in different folders.
    let head = PathBuf::from(git(dir, &["rev-parse", "--git-path", "HEAD"])?);
    watch(dir, &head);
    if let Some(name) = std::fs::read_to_string(dir.join(&head))
        .ok()
        .and_then(|h| h.strip_prefix("ref: ").map(|r| r.trim().to_string()))
    {
        for path in [name.as_str(), "packed-refs"] {
            if let Some(file) = git(dir, &["rev-parse", "--git-path", path]) {
                watch(dir, Path::new(&file));
            }
        }
    }
    git(dir, &["rev-parse", "--short", "HEAD"])
}

/// A path that does not exist would rerun the script on every build.
fn watch(dir: &Path, path: &Path) {
    let path = dir.join(path);
    if path.exists() {
        println!("cargo:rerun-if-changed={}", path.display());
    }
}

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    (out.status.success() && !text.trim().is_empty()).then(|| text.trim().to_string())
}
