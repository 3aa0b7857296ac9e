//! Importing from the dashboard: `GET|POST /admin/import` and the job page
//! `GET /admin/import/{id}`, on the real app with its background thread:
//! who may, the token before the file, the bounds (size, a stalled upload,
//! one import at a time), files that are no export, progress while running,
//! and a job a stopped server left running.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::{Browser, Page, Part, Svc, TestApp};
use actix_http::Request;
use actix_web::http::{header, StatusCode};
use actix_web::test;
use broadsheet::import::Report;
use broadsheet::models::import_job::{ImportJob, JobStatus, NewImportJob};
use broadsheet::models::{now, Role};
use broadsheet::schema::{comments, import_jobs, posts};
use diesel::prelude::*;

const WORDPRESS: &[u8] = include_bytes!("fixtures/wordpress.xml");

fn file<'a>(file_name: &'a str, content_type: &'a str, bytes: &'a [u8]) -> Part<'a> {
    Part::File {
        name: "file",
        file_name,
        content_type,
        bytes,
    }
}

/// Posts the import form as a browser does: the token, then the file.
async fn upload(b: &mut Browser, svc: &impl Svc, file_name: &str, bytes: &[u8]) -> Page {
    let token = b.get(svc, "/admin/import").await.csrf();
    b.upload(
        svc,
        "/admin/import",
        &[
            Part::Text("csrf_token", &token),
            file(file_name, "text/xml", bytes),
        ],
    )
    .await
}

/// Opens the job page until the import has finished (the page no longer
/// says "Importing…"), as a reader following its link would.
async fn finished(b: &mut Browser, svc: &impl Svc, path: &str) -> Page {
    let started = Instant::now();
    loop {
        let page = b.get(svc, path).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        if !page.contains("Importing…") {
            return page;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the import at {path} did not finish:\n{}",
            page.body
        );
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
}

fn jobs(app: &TestApp) -> Vec<ImportJob> {
    import_jobs::table
        .order(import_jobs::id)
        .select(ImportJob::as_select())
        .load(&mut app.conn())
        .unwrap()
}

fn post_count(app: &TestApp) -> i64 {
    posts::table.count().get_result(&mut app.conn()).unwrap()
}

fn comment_count(app: &TestApp) -> i64 {
    comments::table.count().get_result(&mut app.conn()).unwrap()
}

/// Scratch files of uploaded imports left in the database's folder.
fn scratch_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains("import"))
        .collect()
}

fn running_job(app: &TestApp, bytes_total: i64, bytes_read: i64, items_done: i32) -> ImportJob {
    let job = ImportJob::create(
        &mut app.conn(),
        &NewImportJob {
            file_name: "big-site.xml",
            status: JobStatus::Running,
            bytes_total,
            started_by: None,
            created_at: now(),
            heartbeat_at: Some(now()),
        },
    )
    .unwrap();
    ImportJob::record_progress(&mut app.conn(), job.id, bytes_read, items_done, now()).unwrap();
    job
}

/// Makes a running job's last heartbeat `ago` old.
fn beat_at(app: &TestApp, job: &ImportJob, ago: chrono::Duration) {
    diesel::update(import_jobs::table.find(job.id))
        .set(import_jobs::heartbeat_at.eq(now() - ago))
        .execute(&mut app.conn())
        .unwrap();
}

#[actix_web::test]
async fn an_admin_imports_a_wordpress_export_and_reads_its_report() {
    let app = TestApp::new();
    app.user("ann", Role::Admin);
    let svc = app.service().await;
    let mut ann = Browser::new();
    ann.login(&svc, &app, "ann").await;

    let form = ann.get(&svc, "/admin/import").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.contains(r#"<a href="/admin/import" aria-current="page">Import</a>"#));
    assert!(form.contains(r#"enctype="multipart/form-data""#));
    // The token is the form's first field, before the file.
    let upload_form = &form.body[form.body.find(r#"action="/admin/import""#).unwrap()..];
    let token_at = upload_form.find(r#"name="csrf_token""#).unwrap();
    let file_at = upload_form.find(r#"name="file""#).unwrap();
    assert!(token_at < file_at);
    assert!(form.contains("WordPress export") && form.contains("Blogger export"));
    assert!(form.contains("Running the same file again changes nothing"));
    assert!(form.contains(r#"href="/admin/export""#));
    assert!(form.contains("No imports yet."));

    let res = upload(
        &mut ann,
        &svc,
        "harbour.WordPress.2020-06-01.xml",
        WORDPRESS,
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let job = jobs(&app).pop().expect("a job");
    assert_eq!(res.location(), format!("/admin/import/{}", job.id));
    assert_eq!(job.file_name, "harbour.WordPress.2020-06-01.xml");
    assert_eq!(job.bytes_total, WORDPRESS.len() as i64);

    let report = finished(&mut ann, &svc, res.location()).await;
    assert!(report.contains("Import report"), "{}", report.body);
    assert!(
        report.contains("Imported 6 posts, 1 page, 6 comments (5 by guests)"),
        "{}",
        report.body
    );
    assert!(report.contains(r#"href="/admin/posts""#));
    // Lines of the report are text: the curly quotes of a title, escaped.
    assert!(
        report.contains("Sticky at the old site (not pinned here): “Storm closes the harbour”.")
    );
    // What the old site did not show everyone is named, with why.
    assert!(
        report.contains(
            "Not public at the old site, so they came in as drafts, for you to publish or not: \
             “Half-written piece” (a draft), “Members only” (private)."
        ),
        "{}",
        report.body
    );
    assert!(
        report
            .contains("Scheduled at the old site, and published here at the same time: “Next week"),
        "{}",
        report.body
    );
    assert!(!report.contains("<progress"));

    let job = ImportJob::find(&mut app.conn(), job.id).unwrap().unwrap();
    assert_eq!(job.status, JobStatus::Done);
    assert!(job.finished_at.is_some());
    let stored: Report = serde_json::from_str(&job.report).unwrap();
    assert_eq!((stored.posts, stored.pages, stored.comments), (6, 1, 6));
    // Up to the end of the export (the importer stops at `</rss>`).
    assert!(job.bytes_read > WORDPRESS.len() as i64 - 10);
    assert!(job.items_done > 0);
    assert_eq!(post_count(&app), 7);
    assert!(scratch_files(app.dir.path()).is_empty());

    let posts = ann.get(&svc, "/admin/posts").await;
    assert!(posts.contains("Storm closes the harbour"), "{}", posts.body);
    let list = ann.get(&svc, "/admin/import").await;
    assert!(list.contains(&format!(r#"href="/admin/import/{}""#, job.id)));
    assert!(list.contains("harbour.WordPress.2020-06-01.xml"));
    assert!(list.contains(r#"<span class="badge badge-published">done</span>"#));
    assert!(list.contains("Imported 6 posts"));
}

#[actix_web::test]
async fn importing_the_same_file_again_writes_nothing_new() {
    let app = TestApp::new();
    app.user("ann", Role::Admin);
    let svc = app.service().await;
    let mut ann = Browser::new();
    ann.login(&svc, &app, "ann").await;

    let first = upload(&mut ann, &svc, "wordpress.xml", WORDPRESS).await;
    finished(&mut ann, &svc, first.location()).await;
    let (posts, comments) = (post_count(&app), comment_count(&app));

    let again = upload(&mut ann, &svc, "wordpress.xml", WORDPRESS).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.body);
    assert_ne!(again.location(), first.location(), "a job of its own");
    let report = finished(&mut ann, &svc, again.location()).await;
    assert!(
        report.contains(
            "Imported 0 posts, 0 pages, 0 comments (0 by guests), 0 authors and 0 redirects"
        ),
        "{}",
        report.body
    );
    assert!(
        report.contains("items were here from an earlier import and left as they were"),
        "{}",
        report.body
    );
    assert_eq!((post_count(&app), comment_count(&app)), (posts, comments));
}

#[actix_web::test]
async fn only_admins_may_import_or_see_imports() {
    let app = TestApp::new();
    let job = running_job(&app, 100, 10, 1);
    let svc = app.service().await;
    let job_page = format!("/admin/import/{}", job.id);

    let mut visitor = Browser::new();
    for uri in ["/admin/import", job_page.as_str()] {
        let res = visitor.get(&svc, uri).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{uri}");
        assert_eq!(
            res.location(),
            format!("/login?next={}", urlencoding::encode(uri))
        );
    }
    let res = visitor
        .upload(
            &svc,
            "/admin/import",
            &[file("w.xml", "text/xml", WORDPRESS)],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert!(res.location().starts_with("/login?next="));

    for (name, role) in [("cat", Role::Commenter), ("fay", Role::Author)] {
        app.user(name, role);
        let mut b = Browser::new();
        b.login(&svc, &app, name).await;
        for uri in ["/admin/import", job_page.as_str()] {
            let res = b.get(&svc, uri).await;
            assert_eq!(res.status, StatusCode::FORBIDDEN, "{name} {uri}");
            assert!(!res.contains("big-site.xml"));
        }
        // A token of their own session does not make them an admin.
        let token = b.get(&svc, "/account").await.csrf();
        let res = b
            .upload(
                &svc,
                "/admin/import",
                &[
                    Part::Text("csrf_token", &token),
                    file("w.xml", "text/xml", WORDPRESS),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{name}");
    }
    let mut fay = Browser::new();
    fay.login(&svc, &app, "fay").await;
    assert!(!fay
        .get(&svc, "/admin")
        .await
        .contains(r#"href="/admin/import""#));
    assert_eq!(jobs(&app).len(), 1);
    assert_eq!(post_count(&app), 0);
}

#[actix_web::test]
async fn the_token_is_checked_before_the_file_and_a_bad_one_starts_nothing() {
    let app = TestApp::new();
    app.user("ann", Role::Admin);
    let svc = app.service().await;
    let mut ann = Browser::new();
    ann.login(&svc, &app, "ann").await;
    let token = ann.get(&svc, "/admin/import").await.csrf();

    let cases: [(&str, Vec<Part<'_>>); 4] = [
        ("no token", vec![file("w.xml", "text/xml", WORDPRESS)]),
        (
            "a wrong token",
            vec![
                Part::Text("csrf_token", "not-the-token"),
                file("w.xml", "text/xml", WORDPRESS),
            ],
        ),
        (
            "the token after the file",
            vec![
                file("w.xml", "text/xml", WORDPRESS),
                Part::Text("csrf_token", &token),
            ],
        ),
        ("nothing at all", vec![]),
    ];
    for (what, parts) in cases {
        let res = ann.upload(&svc, "/admin/import", &parts).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{what}: {}", res.body);
        assert!(res.contains("Form expired"), "{what}");
    }
    // Sent from another site's page, with the right token.
    let boundary = "----cross-site";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n--{boundary}--\r\n"
    );
    let req = test::TestRequest::post()
        .uri("/admin/import")
        .insert_header((header::ORIGIN, "https://evil.example"))
        .insert_header((
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        ))
        .set_payload(body);
    let res = ann.send(&svc, req).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);

    assert!(jobs(&app).is_empty());
    assert_eq!(post_count(&app), 0);
}

#[actix_web::test]
async fn an_upload_without_a_file_shows_the_form_again_with_the_problem() {
    let app = TestApp::new();
    app.user("ann", Role::Admin);
    // One left by a server that stopped: named only when it is why an
    // upload waits, and no longer beating, so it holds nothing.
    let left = running_job(&app, 100, 1, 1);
    beat_at(&app, &left, chrono::Duration::minutes(10));
    let svc = app.service().await;
    let mut ann = Browser::new();
    ann.login(&svc, &app, "ann").await;
    let token = ann.get(&svc, "/admin/import").await.csrf();

    let res = ann
        .upload(&svc, "/admin/import", &[Part::Text("csrf_token", &token)])
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.contains("Choose the export file to import."),
        "{}",
        res.body
    );
    assert!(res.contains(r#"aria-invalid="true""#));
    assert!(res.contains(r#"action="/admin/import""#), "the form again");
    assert!(!res.contains("See the import that is running"));

    // The file input left empty: a part with no file name.
    let res = ann
        .upload(
            &svc,
            "/admin/import",
            &[
                Part::Text("csrf_token", &token),
                file("", "application/octet-stream", b""),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.contains("Choose the export file to import."));

    let res = ann
        .upload(
            &svc,
            "/admin/import",
            &[
                Part::Text("csrf_token", &token),
                file("empty.xml", "text/xml", b""),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.contains("“empty.xml” is empty."), "{}", res.body);

    assert_eq!(jobs(&app).len(), 1);
    assert!(scratch_files(app.dir.path()).is_empty());
    // Nothing held: a real upload goes through.
    let res = upload(&mut ann, &svc, "wordpress.xml", WORDPRESS).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    finished(&mut ann, &svc, res.location()).await;
}

#[actix_web::test]
async fn files_that_are_no_export_or_are_cut_off_end_with_the_reason_on_the_job_page() {
    let app = TestApp::new();
    app.user("ann", Role::Admin);
    let svc = app.service().await;
    let mut ann = Browser::new();
    ann.login(&svc, &app, "ann").await;

    let png: &[u8] =
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
    let html: &[u8] = b"<html><body>My <b>homepage</b></body></html>";
    let text: &[u8] = b"Dear diary,\nnothing happened today.\n";
    for (name, bytes) in [
        ("photo.png", png),
        ("index.html", html),
        ("notes.txt", text),
    ] {
        let res = upload(&mut ann, &svc, name, bytes).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
        let page = finished(&mut ann, &svc, res.location()).await;
        assert!(page.contains("Nothing imported: "), "{name}: {}", page.body);
        assert!(!page.contains("Imported 0 posts"), "{name}");
    }
    let cut = WORDPRESS.len() * 2 / 3;
    let res = upload(&mut ann, &svc, "cut.xml", &WORDPRESS[..cut]).await;
    let page = finished(&mut ann, &svc, res.location()).await;
    assert!(page.contains("Stopped: line "), "{}", page.body);
    assert!(page.contains("run the import again once the file is fixed"));

    let list = ann.get(&svc, "/admin/import").await;
    assert!(list.contains(">nothing imported</span>"), "{}", list.body);
    assert!(list.contains(">stopped</span>"));
    assert!(jobs(&app).iter().all(|j| j.status == JobStatus::Done));
    assert!(scratch_files(app.dir.path()).is_empty());
}

#[actix_web::test]
async fn a_second_import_while_one_runs_is_refused_with_a_link_to_it() {
    let app = TestApp::new();
    app.user("ann", Role::Admin);
    let svc = app.service().await;
    let mut ann = Browser::new();
    ann.login(&svc, &app, "ann").await;

    // An import being uploaded holds the turn before its row exists.
    let turn = app.state.imports.try_acquire().unwrap();
    let res = upload(&mut ann, &svc, "wordpress.xml", WORDPRESS).await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.body);
    assert!(res.contains("Another import is running, and one runs at a time."));
    assert!(res.contains(r#"action="/admin/import""#), "the form again");
    assert!(jobs(&app).is_empty());

    // Once it has its row, the refusal links to it.
    let other = running_job(&app, 1000, 100, 3);
    let res = upload(&mut ann, &svc, "wordpress.xml", WORDPRESS).await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    assert!(res.contains(&format!(r#"<a href="/admin/import/{}">"#, other.id)));

    assert_eq!(jobs(&app).len(), 1);
    assert_eq!(post_count(&app), 0);

    // This instance's turn is free, but the job (run by another instance
    // on the same database, as far as this one knows) still beats.
    drop(turn);
    let res = upload(&mut ann, &svc, "wordpress.xml", WORDPRESS).await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.body);
    assert!(res.contains("Another import (“big-site.xml”) is running"));
    assert_eq!(jobs(&app).len(), 1);
    assert_eq!(post_count(&app), 0);

    ImportJob::fail(&mut app.conn(), other.id, "Test.", (100, 3), now()).unwrap();
    let res = upload(&mut ann, &svc, "wordpress.xml", WORDPRESS).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    finished(&mut ann, &svc, res.location()).await;
    // The turn is given back when the import ends.
    assert!(app.state.imports.try_acquire().is_ok());
}

/// A request whose body arrives as a stream (no Content-Length) from
/// `payload`, fed through its sender.
fn streamed(b: &Browser, boundary: &str, payload: actix_http::h1::Payload) -> Request {
    let req = b
        .with_cookies(
            test::TestRequest::post()
                .uri("/admin/import")
                .insert_header((
                    header::CONTENT_TYPE,
                    format!("multipart/form-data; boundary={boundary}"),
                )),
        )
        .to_request();
    req.replace_payload(actix_http::Payload::from(payload)).0
}

fn form_head(boundary: &str, token: &str) -> Vec<u8> {
    format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"site.xml\"\r\n\
         Content-Type: text/xml\r\n\r\n"
    )
    .into_bytes()
}

#[actix_web::test]
async fn a_file_over_the_limit_is_refused_with_413_and_leaves_nothing_behind() {
    let app = TestApp::fresh_with(|c| c.import_max_bytes = 8 * 1024);
    app.user("ann", Role::Admin);
    let svc = app.service().await;
    let mut ann = Browser::new();
    ann.login(&svc, &app, "ann").await;
    let posts = post_count(&app);
    let form = ann.get(&svc, "/admin/import").await;
    assert!(form.contains("up to 8 KB"), "{}", form.body);

    // Declared too large (Content-Length): refused before the file is read.
    let big = WORDPRESS.repeat(10);
    let res = upload(&mut ann, &svc, "big.xml", &big).await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", res.body);
    assert!(res.contains("The file is larger than 8 KB"), "{}", res.body);
    assert!(res.contains("broadsheet import FILE"));
    assert!(res.contains(r#"action="/admin/import""#), "the form again");

    // Sent without a length: received up to the limit, then refused and the
    // scratch file removed.
    let token = ann.get(&svc, "/admin/import").await.csrf();
    let boundary = "----streamed-upload";
    let (mut sender, payload) = actix_http::h1::Payload::create(false);
    let req = streamed(&ann, boundary, payload);
    let mut body = form_head(boundary, &token);
    body.extend_from_slice(WORDPRESS);
    body.extend_from_slice(b"\r\n");
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    sender.feed_data(body.into());
    sender.feed_eof();
    let res = test::call_service(&svc, req).await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let text = String::from_utf8_lossy(&test::read_body(res).await).into_owned();
    assert!(text.contains("The file is larger than 8 KB"), "{text}");

    assert!(jobs(&app).is_empty());
    assert_eq!(post_count(&app), posts);
    assert!(scratch_files(app.dir.path()).is_empty());
    // A file within the limit still goes through.
    let small =
        br#"<?xml version="1.0"?><rss version="2.0"><channel><title>Tiny</title></channel></rss>"#;
    let res = upload(&mut ann, &svc, "tiny.xml", small).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    finished(&mut ann, &svc, res.location()).await;
}

#[actix_web::test]
async fn an_upload_that_stops_arriving_is_given_up_after_a_minute_and_leaves_nothing() {
    let app = TestApp::new();
    app.user("ann", Role::Admin);
    let svc = app.service().await;
    let mut ann = Browser::new();
    ann.login(&svc, &app, "ann").await;
    let token = ann.get(&svc, "/admin/import").await.csrf();
    let boundary = "----stalled-upload";
    let (mut sender, payload) = actix_http::h1::Payload::create(false);
    let req = streamed(&ann, boundary, payload);
    let mut head = form_head(boundary, &token);
    head.extend_from_slice(&WORDPRESS[..WORDPRESS.len() / 2]);
    // The rest never comes, and the connection stays open.
    sender.feed_data(head.into());
    tokio::time::pause();
    let res = test::call_service(&svc, req).await;
    tokio::time::resume();
    assert_eq!(res.status(), StatusCode::REQUEST_TIMEOUT);
    let text = String::from_utf8_lossy(&test::read_body(res).await).into_owned();
    assert!(text.contains("arrived too slowly"), "{text}");
    drop(sender);

    assert!(jobs(&app).is_empty());
    assert!(scratch_files(app.dir.path()).is_empty());
    assert_eq!(post_count(&app), 0);
    assert!(
        app.state.imports.try_acquire().is_ok(),
        "the turn is given back"
    );
}

#[actix_web::test]
async fn a_running_import_shows_its_progress_and_a_link_to_check_again_without_reloading_itself() {
    let app = TestApp::new();
    app.user("ann", Role::Admin);
    let job = running_job(&app, 7_340_032, 3_355_443, 1200);
    let svc = app.service().await;
    let mut ann = Browser::new();
    ann.login(&svc, &app, "ann").await;

    let page = ann.get(&svc, &format!("/admin/import/{}", job.id)).await;
    assert_eq!(page.status, StatusCode::OK);
    // No refresh the reader did not ask for (WCAG F41), but a link to the
    // same page and a word on what to expect.
    assert!(!page.contains("http-equiv"), "{}", page.body);
    assert!(
        page.contains(&format!(
            r#"<a class="button" href="/admin/import/{}">Check the progress</a>"#,
            job.id
        )),
        "{}",
        page.body
    );
    assert!(page.contains("does not change by itself"));
    assert!(page.contains("Importing…"));
    assert!(page.contains("big-site.xml"));
    assert!(
        page.contains("<strong>45%</strong> read: 3.2 MB of 7 MB, 1200 items so far."),
        "{}",
        page.body
    );
    assert!(page.contains(r#"<progress max="7340032" value="3355443""#));
    assert!(!page.contains("<script"));

    let list = ann.get(&svc, "/admin/import").await;
    assert!(list.contains(">running</span>"));
    assert!(list.contains("45% read so far"));

    // Finished: the report, and no more reloading.
    let report = Report {
        format: "WordPress export (WXR)".into(),
        source: "https://big.example".into(),
        posts: 3,
        ..Report::default()
    };
    ImportJob::finish(&mut app.conn(), job.id, &report, (7_340_032, 2400), now()).unwrap();
    let page = ann.get(&svc, &format!("/admin/import/{}", job.id)).await;
    assert!(!page.contains("http-equiv=\"refresh\""));
    assert!(page.contains("Imported 3 posts, 0 pages"), "{}", page.body);
    assert!(page.contains("from https://big.example"));
}

#[actix_web::test]
async fn unknown_and_malformed_job_ids_are_not_found() {
    let app = TestApp::new();
    app.user("ann", Role::Admin);
    let svc = app.service().await;
    let mut ann = Browser::new();
    ann.login(&svc, &app, "ann").await;
    for uri in [
        "/admin/import/1",
        "/admin/import/abc",
        "/admin/import/-1",
        "/admin/import/99999999999999999999",
        "/admin/import/1.5",
    ] {
        let res = ann.get(&svc, uri).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{uri}");
        assert!(res.contains("Page not found"), "{uri}");
    }
}

#[actix_web::test]
async fn recent_imports_are_listed_newest_first_twenty_at_most_from_the_index() {
    let app = TestApp::new();
    app.user("ann", Role::Admin);
    for n in 1..=25 {
        let job = ImportJob::create(
            &mut app.conn(),
            &NewImportJob {
                file_name: &format!("export-{n:02}.xml"),
                status: JobStatus::Running,
                bytes_total: 10,
                started_by: None,
                created_at: now() - chrono::Duration::minutes(100 - n),
                heartbeat_at: None,
            },
        )
        .unwrap();
        ImportJob::fail(&mut app.conn(), job.id, "Test.", (0, 0), now()).unwrap();
    }
    let svc = app.service().await;
    let mut ann = Browser::new();
    ann.login(&svc, &app, "ann").await;
    let list = ann.get(&svc, "/admin/import").await;
    assert!(list.contains("export-25.xml") && list.contains("export-06.xml"));
    assert!(!list.contains("export-05.xml"), "twenty at most");
    assert!(list.body.find("export-25.xml") < list.body.find("export-24.xml"));

    sqlite_only!("the plan is SQLite's (see tests/it/query_plans.rs)");
    #[derive(QueryableByName)]
    struct Plan {
        #[diesel(sql_type = diesel::sql_types::Text)]
        detail: String,
    }
    let plan: Vec<Plan> = diesel::sql_query(
        "EXPLAIN QUERY PLAN SELECT id FROM import_jobs ORDER BY created_at DESC, id DESC LIMIT 20",
    )
    .load(&mut app.conn())
    .unwrap();
    let plan: Vec<String> = plan.into_iter().map(|p| p.detail).collect();
    assert!(
        plan.iter().any(|p| p.contains("import_jobs_newest")),
        "{plan:?}"
    );
    assert!(!plan.iter().any(|p| p.contains("TEMP B-TREE")), "{plan:?}");
}

#[actix_web::test]
async fn an_import_a_stopped_server_left_running_is_marked_failed_at_start() {
    let app = TestApp::new();
    app.user("ann", Role::Admin);
    let job = running_job(&app, 1000, 400, 7);
    beat_at(&app, &job, chrono::Duration::minutes(6));
    let live = running_job(&app, 1000, 10, 1);
    beat_at(&app, &live, chrono::Duration::seconds(20));

    // The server starts again on the same database.
    let state = broadsheet::AppState::open((*app.state.config).clone()).unwrap();
    let job = ImportJob::find(&mut state.pool.get().unwrap(), job.id)
        .unwrap()
        .unwrap();
    assert_eq!(job.status, JobStatus::Failed);
    assert!(job.finished_at.is_some());
    let live = ImportJob::find(&mut state.pool.get().unwrap(), live.id)
        .unwrap()
        .unwrap();
    assert_eq!(
        live.status,
        JobStatus::Running,
        "a job whose heartbeat is fresh runs on another instance: left alone"
    );

    let svc = crate::common::service(state).await;
    let mut ann = Browser::new();
    ann.login(&svc, &app, "ann").await;
    let page = ann.get(&svc, &format!("/admin/import/{}", job.id)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.contains("http-equiv=\"refresh\""));
    assert!(
        page.contains("The server stopped during this import.")
            && page.contains("upload the same file again to continue"),
        "{}",
        page.body
    );
    let list = ann.get(&svc, "/admin/import").await;
    assert!(list.contains(">failed</span>"));
    assert_eq!(
        list.body.matches(">running</span>").count(),
        1,
        "only the live one"
    );
}
