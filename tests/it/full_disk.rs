//! A full disk, for real: the server runs with its database on a small tmpfs
//! of its own (an unprivileged user and mount namespace, `unshare -rm`), the
//! test fills that filesystem through `/proc/PID/root`, and every write must
//! then say it was not saved and store nothing; once space returns, the same
//! actions succeed without a restart.
//!
//! SQLite resolves symbolic links in a database's path, `/proc/PID/root`
//! included, so the test never opens the server's files with SQLite in place:
//! it reads copies, and runs `create-admin` inside the namespace (`nsenter`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::process::{
    count, form, open_comments, password_of, publish, request, site_with_users, Server, BIN,
};
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

/// Fills the filesystem holding `dir` until it has no space left.
fn fill(dir: &Path) -> PathBuf {
    let filler = dir.join("filler");
    let mut file = std::fs::File::create(&filler).unwrap();
    let chunk = vec![0u8; 16 * 1024];
    loop {
        match file.write(&chunk) {
            Ok(0) => break,
            Ok(_) => {}
            Err(_) => break,
        }
    }
    // The last few bytes too.
    while file.write(&[0u8; 512]).is_ok_and(|n| n > 0) {}
    let _ = file.sync_all();
    filler
}

fn rand_name() -> String {
    broadsheet::auth::session::random_token()[..12].to_string()
}

/// `broadsheet create-admin` inside the server's namespaces, on its file.
fn create_admin(pid: u32, database: &Path, username: &str) -> std::process::Output {
    let mut child = Command::new("nsenter")
        .args([
            "--preserve-credentials",
            "-U",
            "-m",
            "-t",
            &pid.to_string(),
            BIN,
        ])
        .arg("--database")
        .arg(database)
        .args(["create-admin", "--username", username, "--email"])
        .arg(format!("{username}@example.com"))
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let password = format!("{}\n", password_of(username));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(password.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn on_a_full_disk_every_write_says_not_saved_and_works_again_when_space_returns() {
    if let Some(why) = unavailable() {
        assert!(
            std::env::var_os("CI").is_none(),
            "full-disk test cannot run: {why}"
        );
        crate::common::skipped("the full-disk test", &why);
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("seed.db");
    site_with_users(
        seed.as_path(),
        &[("owner", Role::Admin), ("reader", Role::Commenter)],
    );
    open_comments(seed.as_path());
    let post = publish(seed.as_path(), "Harbour news", "The harbour reopened.");
    let mount = dir.path().join("small-disk");
    std::fs::create_dir(&mount).unwrap();
    let inside = mount.join("blog.db");
    let script =
        r#"mount -t tmpfs -o size=6m tmpfs "$0" && cp "$1" "$0/blog.db" && shift && exec "$@""#;
    let (mount_arg, seed_arg) = (mount.to_string_lossy(), seed.to_string_lossy());
    let wrapper = ["unshare", "-rm", "sh", "-c", script, &mount_arg, &seed_arg];
    let server = Server::start_wrapped(&wrapper, &inside, &dir.path().join("server.log"));
    // The server's files as seen from outside its namespace.
    let disk = PathBuf::from(format!("/proc/{}/root", server.pid()))
        .join(mount.strip_prefix("/").unwrap());
    let copies = dir.path().join("copies");
    std::fs::create_dir(&copies).unwrap();
    let count = |sql: &str| {
        let copy = copies.join(format!("{}.db", rand_name()));
        std::fs::copy(disk.join("blog.db"), &copy).unwrap();
        if let Ok(wal) = std::fs::read(disk.join("blog.db-wal")) {
            std::fs::write(broadsheet::db::with_suffix(&copy, "-wal"), wal).unwrap();
        }
        count(&copy, sql)
    };
    let create_admin = |username: &str| create_admin(server.pid(), &inside, username);
    let article = format!("/posts/{}", post.slug);
    let mut reader = server.agent();
    let res = reader.login("reader", &password_of("reader")).unwrap();
    assert_eq!(res.status, 303, "{}", res.body);
    let mut owner = server.agent();
    assert_eq!(
        owner.login("owner", &password_of("owner")).unwrap().status,
        303
    );
    let comment_token = reader.get(&article).unwrap().csrf();
    let post_token = owner.get("/admin/posts/new").unwrap().csrf();
    let mut newcomer = server.agent();
    let register_token = newcomer.get("/register").unwrap().csrf();
    let mut returning = server.agent();
    let login_token = returning.get("/login").unwrap().csrf();

    let filler = fill(&disk);
    let comments = || count("SELECT count(*) AS n FROM comments");
    let posts = || count("SELECT count(*) AS n FROM posts");
    let users = || count("SELECT count(*) AS n FROM users");
    let sessions = || count("SELECT count(*) AS n FROM sessions");
    let (users_before, sessions_before, posts_before) = (users(), sessions(), posts());

    let text = "The ferries are back on time, at last.";
    let comment_form = [("body", text), ("csrf_token", comment_token.as_str())];
    let res = reader
        .post(&format!("{article}/comments"), &comment_form)
        .unwrap();
    assert_eq!(res.status, 503, "comment on a full disk: {}", res.body);
    assert!(res.body.contains("Your change was not saved"));
    assert!(
        res.body.contains(text),
        "the comment comes back to its writer"
    );
    assert_eq!(comments(), 0);

    let body = "Negotiators met again on Tuesday. ".repeat(200);
    let post_form = [
        ("title", "Budget talks resume"),
        ("body", body.as_str()),
        ("status", "published"),
        ("csrf_token", post_token.as_str()),
    ];
    let res = owner.post("/admin/posts", &post_form).unwrap();
    assert_eq!(res.status, 503, "post save on a full disk: {}", res.body);
    assert!(res.body.contains("Budget talks resume"));
    assert_eq!(posts(), posts_before);

    let new_password = password_of("newcomer");
    let register_form = [
        ("username", "newcomer"),
        ("email", "newcomer@example.com"),
        ("password", new_password.as_str()),
        ("csrf_token", register_token.as_str()),
    ];
    let res = newcomer.post("/register", &register_form).unwrap();
    assert_eq!(res.status, 503, "sign-up on a full disk: {}", res.body);
    assert!(!newcomer.has_cookie("broadsheet_session"));

    let owner_password = password_of("owner");
    let login_form = [
        ("username", "owner"),
        ("password", owner_password.as_str()),
        ("csrf_token", login_token.as_str()),
    ];
    let res = returning.post("/login", &login_form).unwrap();
    assert_eq!(res.status, 503, "sign-in on a full disk: {}", res.body);
    assert!(!returning.has_cookie("broadsheet_session"));
    assert_eq!((users(), sessions()), (users_before, sessions_before));

    let out = create_admin("second_ed");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "create-admin on a full disk succeeded"
    );
    assert!(said.contains("not saved"), "{said}");
    assert_eq!(users(), users_before);

    // Space returns: the same actions succeed, with no restart.
    std::fs::remove_file(&filler).unwrap();
    let res = reader
        .post(&format!("{article}/comments"), &comment_form)
        .unwrap();
    assert_eq!(res.status, 303, "{}", res.body);
    assert!(res.location().contains("#comment-"));
    assert_eq!(comments(), 1);
    assert_eq!(owner.post("/admin/posts", &post_form).unwrap().status, 303);
    assert_eq!(posts(), posts_before + 1);
    assert_eq!(
        newcomer.post("/register", &register_form).unwrap().status,
        303
    );
    assert_eq!(returning.post("/login", &login_form).unwrap().status, 303);
    let out = create_admin("second_ed");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(users(), users_before + 2);

    // The disk fills while comments arrive together, so they share
    // transactions (db::write's group commit) as it fills: every comment
    // answered 303 is stored, and every other one is answered 503.
    let before = comments();
    let cookies = reader.cookie_header();
    let path = format!("{article}/comments");
    let port = server.agent().port;
    let answers: Vec<u16> = std::thread::scope(|s| {
        let senders: Vec<_> = (0..8)
            .map(|sender| {
                let (cookies, path, token) = (&cookies, &path, &comment_token);
                s.spawn(move || {
                    (0..40)
                        .map(|i| {
                            let body = form(&[
                                ("body", &format!("Burst comment {sender}-{i}.")),
                                ("csrf_token", token),
                            ]);
                            request(port, "POST", path, cookies, Some(&body))
                                .unwrap()
                                .status
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        std::thread::sleep(std::time::Duration::from_millis(30));
        let filler = fill(&disk);
        let answers = senders
            .into_iter()
            .flat_map(|s| s.join().unwrap())
            .collect();
        std::fs::remove_file(filler).unwrap();
        answers
    });
    let posted = answers.iter().filter(|&&status| status == 303).count() as i64;
    let refused = answers.iter().filter(|&&status| status == 503).count();
    assert_eq!(
        posted as usize + refused,
        answers.len(),
        "each comment is posted or refused: {answers:?}"
    );
    assert!(refused > 0, "the disk filled during the burst");
    assert_eq!(comments(), before + posted, "every 303 is stored, no other");
    drop(server);
}
