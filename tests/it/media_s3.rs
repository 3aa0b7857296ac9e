//! The media library in S3-compatible object storage (`--media-store
//! s3://bucket/prefix`), against moto's S3 server on 127.0.0.1: uploads land
//! in the bucket (read back here with a client of its own), `/media/` and
//! the favicon stream them with the folder's headers, deleting removes the
//! objects, an unreachable store is a 503 (and a refused upload keeps its
//! form), and the server refuses at start a bucket it cannot write.
//!
//! moto's server is the program named by `BROADSHEET_TEST_MOTO`, else
//! `moto_server` on PATH (`pip install 'moto[server]'`; `.ci/run` makes a
//! venv and sets the variable). Without either these tests say why and
//! pass, unless `CI` is set.

use std::io::Cursor;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::common::{Browser, Part, Svc, TestApp};
use actix_web::http::{header, Method, StatusCode};
use actix_web::test;
use broadsheet::config::Config;
use broadsheet::models::media::Media;
use broadsheet::models::Role;
use diesel::prelude::*;
use futures_util::TryStreamExt;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt};

/// The app reads its bucket's settings from the `AWS_*` variables, which
/// are the process's: tests set theirs and open the app one at a time.
static ENVIRONMENT: Mutex<()> = Mutex::new(());

/// moto's S3 server on a free local port, stopped when dropped.
struct Moto {
    child: Option<Child>,
    port: u16,
    /// Made up per run: moto takes any credentials, and none is written down.
    key_id: String,
    secret: String,
}

fn moto_program() -> Option<PathBuf> {
    if let Ok(program) = std::env::var("BROADSHEET_TEST_MOTO") {
        return Some(PathBuf::from(program));
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join("moto_server"))
        .find(|p| p.is_file())
}

impl Moto {
    fn start(test: &str) -> Option<Moto> {
        let Some(program) = moto_program() else {
            assert!(
                !crate::common::ci(),
                "{test}: CI is set but neither BROADSHEET_TEST_MOTO nor moto_server on PATH names moto's server (.ci/run installs it)"
            );
            crate::common::skipped(
                test,
                "no moto_server (set BROADSHEET_TEST_MOTO or pip install 'moto[server]')",
            );
            return None;
        };
        let port = crate::process::free_port();
        let child = Command::new(&program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
        let moto = Moto {
            child: Some(child),
            port,
            key_id: format!("AKID{}", &random_hex()[..16]),
            secret: random_hex(),
        };
        let started = Instant::now();
        while crate::process::request(port, "GET", "/", "", None).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "moto's server did not answer on port {port} within a minute"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(moto)
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn create_bucket(&self, bucket: &str) {
        let res = crate::process::request(self.port, "PUT", &format!("/{bucket}"), "", None)
            .expect("moto answers");
        assert_eq!(res.status, 200, "creating bucket {bucket}: {}", res.body);
    }

    /// A client of the test's own, to see what the bucket holds.
    fn reader(&self, bucket: &str) -> AmazonS3 {
        AmazonS3Builder::new()
            .with_endpoint(self.endpoint())
            .with_allow_http(true)
            .with_region("us-east-1")
            .with_bucket_name(bucket)
            .with_access_key_id(&self.key_id)
            .with_secret_access_key(&self.secret)
            .with_crypto_provider(std::sync::Arc::new(broadsheet::media::RustCrypto))
            .build()
            .expect("a client for moto")
    }

    /// The variables a server run against this moto is given.
    fn environment(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID", self.key_id.clone()),
            ("AWS_SECRET_ACCESS_KEY", self.secret.clone()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_ENDPOINT_URL", self.endpoint()),
        ]
    }

    /// A fresh site keeping its images at `url` (`s3://bucket/prefix`).
    fn app(&self, url: &str) -> TestApp {
        self.app_with(url, |_| {})
    }

    /// `app`, its config tuned too.
    fn app_with(&self, url: &str, tune: impl FnOnce(&mut Config)) -> TestApp {
        let _one_at_a_time = ENVIRONMENT.lock().unwrap_or_else(|e| e.into_inner());
        for (name, value) in self.environment() {
            std::env::set_var(name, value);
        }
        let url = url.to_string();
        let app = TestApp::fresh_with(move |c| {
            c.media_store = Some(url);
            tune(c);
        });
        diesel::RunQueryDsl::execute(diesel::sql_query("DELETE FROM posts"), &mut *app.conn())
            .unwrap();
        app
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        self.stop();
    }
}

fn random_hex() -> String {
    broadsheet::auth::session::random_token()
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect::<String>()[..40]
        .to_string()
}

/// Every object under `prefix`, by its name below it, sorted.
async fn objects(bucket: &AmazonS3, prefix: &str) -> Vec<String> {
    let prefix = ObjectPath::from(prefix);
    let mut names: Vec<String> = bucket
        .list(Some(&prefix))
        .map_ok(|meta| {
            meta.location
                .as_ref()
                .strip_prefix(&format!("{}/", prefix.as_ref()))
                .unwrap_or(meta.location.as_ref())
                .to_string()
        })
        .try_collect()
        .await
        .expect("the bucket lists");
    names.sort();
    names
}

fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([
            (x * 255 / w) as u8,
            (y * 255 / h) as u8,
            ((x + y) % 256) as u8,
        ])
    });
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Jpeg)
        .unwrap();
    out
}

fn media_rows(app: &TestApp) -> Vec<Media> {
    broadsheet::schema::media::table
        .select(Media::as_select())
        .load(&mut *app.conn())
        .unwrap()
}

async fn upload(
    b: &mut Browser,
    svc: &impl Svc,
    alt: &str,
    name: &str,
    bytes: &[u8],
) -> crate::common::Page {
    let token = b.get(svc, "/admin/media").await.csrf();
    let parts = [
        Part::Text("csrf_token", &token),
        Part::Text("alt", alt),
        Part::File {
            name: "file",
            file_name: name,
            content_type: "image/jpeg",
            bytes,
        },
    ];
    b.upload(svc, "/admin/media", &parts).await
}

#[actix_web::test]
async fn an_upload_is_kept_in_the_bucket_served_from_it_and_removed_with_the_image() {
    let Some(moto) = Moto::start("bucket round trip") else {
        return;
    };
    moto.create_bucket("harbour-media");
    let app = moto.app("s3://harbour-media/blog/images");
    let bucket = moto.reader("harbour-media");
    app.user("editor", Role::Admin);
    let svc = app.service().await;
    let mut b = Browser::new();
    b.login(&svc, &app, "editor").await;

    let photo = jpeg(2000, 1000);
    let res = upload(&mut b, &svc, "The quay at dawn", "quay.jpg", &photo).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let m = media_rows(&app).remove(0);
    let mut names = m.file_names();
    names.sort();
    assert_eq!(names.len(), 4, "the full image and three narrower copies");
    assert_eq!(objects(&bucket, "blog/images").await, names);
    assert!(
        !app.dir.path().join("media").exists(),
        "no media folder is made"
    );

    // A post shows it, and the reader gets the bucket's very bytes.
    let post = app.post(
        "Morning at the quay",
        &format!("![The quay at dawn]({})", m.url()),
        1,
    );
    let page = Browser::new()
        .get(&svc, &format!("/posts/{}", post.slug))
        .await;
    assert!(
        page.contains(&format!(r#"src="{}""#, m.url())),
        "{}",
        page.body
    );
    let stored = bucket
        .get(&ObjectPath::from(format!("blog/images/{}", m.file_name())))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let mut etags = Vec::new();
    // Twice: the second answer may come from the page cache, and must match.
    for _ in 0..2 {
        let res =
            test::call_service(&svc, test::TestRequest::get().uri(&m.url()).to_request()).await;
        assert_eq!(res.status(), StatusCode::OK);
        let h = res.headers().clone();
        assert_eq!(h.get(header::CONTENT_TYPE).unwrap(), "image/jpeg");
        assert_eq!(
            h.get(header::CACHE_CONTROL).unwrap(),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(h.get(header::X_CONTENT_TYPE_OPTIONS).unwrap(), "nosniff");
        assert!(h.contains_key(header::LAST_MODIFIED));
        etags.push(h.get(header::ETAG).expect("an ETag").clone());
        assert_eq!(test::read_body(res).await, stored);
    }
    assert_eq!(etags[0], etags[1]);

    // A current copy is 304; HEAD has the headers and no body.
    let res = test::call_service(
        &svc,
        test::TestRequest::get()
            .uri(&m.url())
            .insert_header((header::IF_NONE_MATCH, etags[0].clone()))
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(res.headers().get(header::ETAG), Some(&etags[0]));
    let res = test::call_service(
        &svc,
        test::TestRequest::default()
            .method(Method::HEAD)
            .uri(&m.url())
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers().get(header::CONTENT_TYPE).unwrap(),
        "image/jpeg"
    );

    // Missing objects and hidden or climbing names are 404.
    let missing = format!("/media/{}-480.png", m.stem);
    for uri in [
        missing.as_str(),
        "/media/.broadsheet-check-0",
        "/media/%2e%2e%2fsecret.jpg",
        "/media/a%20b.jpg",
    ] {
        let res = test::call_service(&svc, test::TestRequest::get().uri(uri).to_request()).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{uri}");
    }

    // The site icon comes from the bucket too.
    let id = m.id.to_string();
    let res = b
        .submit(
            &svc,
            "/admin/settings",
            "/admin/settings",
            &[
                ("title", "Broadsheet"),
                ("description", ""),
                ("posts_per_page", "10"),
                ("comment_policy", "open"),
                ("menu", ""),
                ("icon_media_id", &id),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let icon = test::call_service(
        &svc,
        test::TestRequest::get().uri("/favicon.ico").to_request(),
    )
    .await;
    assert_eq!(icon.status(), StatusCode::OK);
    assert_eq!(
        icon.headers().get(header::CACHE_CONTROL).unwrap(),
        "public, max-age=3600"
    );
    // The 32 px square made when it was chosen, read back from the bucket.
    let expected = bucket
        .get(&ObjectPath::from(format!(
            "blog/images/{}",
            m.icon_file_name(32)
        )))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let body = test::read_body(icon).await;
    assert_eq!(body, expected);
    let square = image::load_from_memory(&body).unwrap();
    assert_eq!((square.width(), square.height()), (32, 32));

    // Deleting the image (confirmed: it is in use) removes every object.
    let delete = format!("/admin/media/{}/delete", m.id);
    let res = b
        .submit(&svc, "/admin/media", &delete, &[("confirm", "yes")])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert!(objects(&bucket, "blog/images").await.is_empty());
    let res = test::call_service(&svc, test::TestRequest::get().uri(&m.url()).to_request()).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn an_unreachable_store_is_a_503_for_readers_and_a_refused_upload_keeps_its_form() {
    let Some(mut moto) = Moto::start("store unreachable") else {
        return;
    };
    moto.create_bucket("gone-media");
    let app = moto.app("s3://gone-media");
    app.user("editor", Role::Admin);
    let svc = app.service().await;
    let mut b = Browser::new();
    b.login(&svc, &app, "editor").await;
    let res = upload(&mut b, &svc, "", "first.jpg", &jpeg(640, 480)).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let m = media_rows(&app).remove(0);

    moto.stop();
    let started = Instant::now();
    let res = test::call_service(&svc, test::TestRequest::get().uri(&m.url()).to_request()).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body = String::from_utf8_lossy(&test::read_body(res).await).into_owned();
    assert!(body.contains("image store"), "{body}");

    let res = upload(
        &mut b,
        &svc,
        "The harbour at night",
        "night.jpg",
        &jpeg(800, 600),
    )
    .await;
    assert_eq!(res.status, StatusCode::SERVICE_UNAVAILABLE, "{}", res.body);
    assert!(res.contains("“night.jpg” was not saved"), "{}", res.body);
    assert!(
        res.contains(r#"value="The harbour at night""#),
        "the alt text is kept: {}",
        res.body
    );
    assert_eq!(media_rows(&app).len(), 1, "nothing of it is kept");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "both answers came within the store's timeouts ({:?})",
        started.elapsed()
    );
}

#[actix_web::test]
async fn imported_images_go_into_the_bucket() {
    let Some(moto) = Moto::start("import into the bucket") else {
        return;
    };
    moto.create_bucket("imported");
    let app = moto.app("s3://imported/site");
    let uploads = app.dir.path().join("uploads");
    let path = uploads.join("2020/05/quay.jpg");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    image::RgbImage::from_fn(640, 480, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    })
    .save(&path)
    .unwrap();
    let options = broadsheet::import::Options {
        media_from: Some(broadsheet::import::MediaFrom {
            dir: uploads,
            store: app.state.media.clone(),
        }),
        ..broadsheet::import::Options::default()
    };
    let export = include_str!("fixtures/wordpress.xml");
    broadsheet::import::run(&app.state.pool, export.as_bytes(), &options, |_| {}).unwrap();
    let rows = media_rows(&app);
    assert_eq!(rows.len(), 1);
    let mut names = rows[0].file_names();
    names.sort();
    assert_eq!(objects(&moto.reader("imported"), "site").await, names);
}

#[actix_web::test]
async fn the_server_refuses_a_bucket_it_cannot_write_and_plain_http_to_another_machine() {
    let Some(moto) = Moto::start("start-up refusals") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let run = |env: &[(&str, String)], args: &[&str]| {
        let mut command = Command::new(crate::process::BIN);
        command
            .arg("--database")
            .arg(dir.path().join("blog.db"))
            .args([
                "--bind",
                &format!("127.0.0.1:{}", crate::process::free_port()),
            ])
            .args(args)
            .env_remove("BROADSHEET_MEDIA_DIR")
            .env_remove("BROADSHEET_MEDIA_STORE")
            .stdin(Stdio::null());
        for (name, value) in env {
            command.env(name, value);
        }
        let started = Instant::now();
        let out = command.output().expect("the binary runs");
        (out, started.elapsed())
    };

    // No such bucket: one line, a failure exit, no secret shown.
    let (out, took) = run(
        &moto.environment(),
        &["--media-store", "s3://no-such-bucket/blog"],
    );
    let said = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "{said}");
    assert!(took < Duration::from_secs(30), "{took:?}");
    let last = said.lines().last().unwrap_or("");
    assert!(
        last == "broadsheet: the media bucket s3://no-such-bucket/blog cannot be written: \
                 there is no such bucket at the endpoint",
        "{said}"
    );
    assert!(
        !dir.path().join("blog.db").exists(),
        "no database is made for a server that does not start"
    );
    assert_eq!(said.lines().count(), 1, "{said}");
    assert!(!said.contains(&moto.secret), "the secret is never printed");

    // Nothing listening at the endpoint: as quick, as clear.
    let mut closed = moto.environment();
    closed.retain(|(name, _)| *name != "AWS_ENDPOINT_URL");
    closed.push((
        "AWS_ENDPOINT_URL",
        format!("http://127.0.0.1:{}", crate::process::free_port()),
    ));
    let (out, took) = run(&closed, &["--media-store", "s3://photos"]);
    let said = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "{said}");
    assert!(took < Duration::from_secs(30), "{took:?}");
    assert_eq!(said.lines().count(), 1, "{said}");
    assert!(
        said.starts_with("broadsheet: the media bucket s3://photos cannot be written"),
        "{said}"
    );
    assert!(!said.contains(&moto.secret), "the secret is never printed");

    // Plain http to another machine needs AWS_ALLOW_HTTP: refused before
    // any request is made.
    let mut elsewhere = moto.environment();
    elsewhere.retain(|(name, _)| *name != "AWS_ENDPOINT_URL");
    elsewhere.push(("AWS_ENDPOINT_URL", "http://media.invalid:9000".into()));
    let (out, _) = run(&elsewhere, &["--media-store", "s3://photos"]);
    let said = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success());
    assert!(said.contains("plain http to another machine"), "{said}");
    assert!(said.contains("AWS_ALLOW_HTTP"), "{said}");

    // A folder and a bucket at once, or a store that is no s3:// URL.
    let (out, _) = run(
        &moto.environment(),
        &["--media-store", "s3://photos", "--media-dir", "media"],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be used with"));
    let (out, _) = run(&moto.environment(), &["--media-store", "/srv/media"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("s3://BUCKET/PREFIX"));

    // `backup` says where the images are instead of copying them.
    moto.create_bucket("photos");
    std::fs::remove_file(dir.path().join("blog.db")).ok();
    let serve = {
        let port = crate::process::free_port();
        let mut command = Command::new(crate::process::BIN);
        command
            .arg("--database")
            .arg(dir.path().join("blog.db"))
            .args(["--bind", &format!("127.0.0.1:{port}")])
            .args(["--media-store", "s3://photos/blog"])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (name, value) in moto.environment() {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("the server starts");
        let started = Instant::now();
        while crate::process::request(port, "GET", "/healthz", "", None).is_err() {
            assert!(started.elapsed() < Duration::from_secs(30), "no answer");
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = child.kill();
        child.wait()
    };
    assert!(serve.is_ok());
    let backup = dir.path().join("backup.db");
    let (out, _) = run(
        &moto.environment(),
        &[
            "--media-store",
            "s3://photos/blog",
            "backup",
            backup.to_str().unwrap(),
        ],
    );
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains("they live in the bucket s3://photos/blog"),
        "{said}"
    );
}

#[actix_web::test]
async fn readers_hold_at_most_the_fetch_slots_and_a_large_object_streams_past_the_cache() {
    let Some(moto) = Moto::start("fetch slots") else {
        return;
    };
    moto.create_bucket("busy-media");
    let app = moto.app("s3://busy-media/m");
    let bucket = moto.reader("busy-media");
    // Larger than the page cache keeps (4 MiB) and than the few chunks a
    // fetch holds, put there directly.
    let big: Vec<u8> = (0..8 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    bucket
        .put(
            &ObjectPath::from("m/0123456789abcdef0123.jpg"),
            big.clone().into(),
        )
        .await
        .unwrap();
    let svc = app.service().await;
    let get = || {
        test::TestRequest::get()
            .uri("/media/0123456789abcdef0123.jpg")
            .to_request()
    };

    // Readers who take their answers and read nothing of them: each holds
    // a slot, since the cache does not read a file that large for them.
    let mut held = Vec::new();
    for _ in 0..broadsheet::media::MAX_FETCHES {
        let res = test::call_service(&svc, get()).await;
        assert_eq!(res.status(), StatusCode::OK);
        held.push(res);
    }
    let started = Instant::now();
    let res = test::call_service(&svc, get()).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(4) && waited < Duration::from_secs(10),
        "{waited:?}"
    );
    assert_eq!(
        app.state.cache.pages.len(),
        0,
        "nothing that large is cached"
    );

    // Once they go, a reader gets the whole object, byte for byte.
    drop(held);
    let res = test::call_service(&svc, get()).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        actix_web::body::MessageBody::size(res.response().body()),
        actix_web::body::BodySize::Sized(big.len() as u64),
        "sent with its length, not chunked"
    );
    assert!(test::read_body(res).await == big);
}

#[actix_web::test]
async fn a_store_that_stops_answering_is_given_up_within_the_request_timeout() {
    let Some(mut moto) = Moto::start("store silent") else {
        return;
    };
    moto.create_bucket("silent-media");
    // The site's 15 s bound, lowered: the same rule, seen in 2 s.
    let timeout = Duration::from_secs(2);
    let app = moto.app_with("s3://silent-media", |c| c.media_request_timeout = timeout);
    let svc = app.service().await;
    // The store's address now accepts connections and never answers.
    let port = moto.port;
    moto.stop();
    let listener = std::net::TcpListener::bind(("127.0.0.1", port)).expect("the port again");
    let silent = std::thread::spawn(move || {
        let mut open = Vec::new();
        listener.set_nonblocking(true).unwrap();
        let until = Instant::now() + Duration::from_secs(40);
        while Instant::now() < until {
            if let Ok((conn, _)) = listener.accept() {
                open.push(conn);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    });
    let started = Instant::now();
    let res = test::call_service(
        &svc,
        test::TestRequest::get()
            .uri("/media/0123456789abcdef0123.jpg")
            .to_request(),
    )
    .await;
    let waited = started.elapsed();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        waited >= timeout && waited < timeout + Duration::from_secs(8),
        "given up after {waited:?}"
    );
    drop(silent);
}

#[actix_web::test]
async fn the_sweep_removes_objects_no_image_has_and_keeps_the_library() {
    let Some(moto) = Moto::start("bucket sweep") else {
        return;
    };
    moto.create_bucket("swept-media");
    let app = moto.app("s3://swept-media/blog");
    let bucket = moto.reader("swept-media");
    app.user("editor", Role::Admin);
    let svc = app.service().await;
    let mut b = Browser::new();
    b.login(&svc, &app, "editor").await;
    // What a server stopped between an upload's objects and its row leaves,
    // and an object of someone else's beside the prefix (never touched).
    let orphan = "0123456789abcdef0123-480.jpg";
    bucket
        .put(
            &ObjectPath::from(format!("blog/{orphan}")),
            b"left behind".to_vec().into(),
        )
        .await
        .unwrap();
    bucket
        .put(
            &ObjectPath::from("blog/notes.txt"),
            b"the operator's".to_vec().into(),
        )
        .await
        .unwrap();
    bucket
        .put(
            &ObjectPath::from("elsewhere/0123456789abcdef0123.jpg"),
            b"not ours".to_vec().into(),
        )
        .await
        .unwrap();
    let res = upload(&mut b, &svc, "", "quay.jpg", &jpeg(800, 600)).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let m = media_rows(&app).remove(0);

    // The sweep `serve` runs, with no minimum age (in the server, 15 minutes
    // keep uploads in flight safe).
    let removed = broadsheet::media::sweep(&app.state, Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(removed, 1);
    let mut names = m.file_names();
    names.push("notes.txt".into());
    names.sort();
    assert_eq!(objects(&bucket, "blog").await, names);
    assert_eq!(objects(&bucket, "elsewhere").await.len(), 1);
}
