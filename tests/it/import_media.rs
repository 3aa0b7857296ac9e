//! `broadsheet import FILE --media-from DIR`: the images imported posts show
//! from the old site are found in a copy of its files, join the media
//! library (re-encoded like any upload, with their narrower copies), and the
//! posts show them from here; running it again copies nothing twice.

use std::path::{Path, PathBuf};

use crate::common::{Browser, TestApp};
use actix_web::http::StatusCode;
use broadsheet::commands;
use broadsheet::import::{self, MediaFrom, Options, Report};
use broadsheet::schema::media;
use diesel::prelude::*;

const WORDPRESS: &str = include_str!("fixtures/wordpress.xml");
const TAKEOUT: &str = include_str!("fixtures/blogger-takeout.atom");

fn photo(dir: &Path, name: &str, w: u32, h: u32) -> PathBuf {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x * 255 / w) as u8, (y * 255 / h) as u8, 120])
    });
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    img.save(&path).unwrap();
    path
}

fn import_with(app: &TestApp, text: &str, dir: &Path) -> Report {
    let options = Options {
        media_from: Some(MediaFrom {
            dir: dir.to_path_buf(),
            store: app.state.media.clone(),
        }),
        ..Options::default()
    };
    import::run(&app.state.pool, text.as_bytes(), &options, |_| {}).unwrap()
}

fn media_rows(app: &TestApp) -> Vec<(String, String)> {
    media::table
        .order(media::id)
        .select((media::stem, media::original_name))
        .load(&mut app.conn())
        .unwrap()
}

#[actix_web::test]
async fn a_wordpress_uploads_folder_fills_the_library_and_the_story_shows_it_from_here() {
    let app = TestApp::new();
    let uploads = tempfile::tempdir().unwrap();
    photo(uploads.path(), "2020/05/quay.jpg", 1200, 800);
    // Something the posts do not show is not brought in.
    photo(uploads.path(), "2020/05/unused.jpg", 300, 200);

    let report = import_with(&app, WORDPRESS, uploads.path());
    assert_eq!(report.error, None, "{report:#?}");
    assert_eq!(report.images_copied, 1, "{report:#?}");
    assert_eq!(report.external_images, 0, "{report:#?}");
    assert!(report
        .lines()
        .join("\n")
        .contains("1 image file was copied into the media library."));
    let rows = media_rows(&app);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].1, "quay.jpg");
    let stem = rows[0].0.clone();
    assert!(app
        .state
        .media
        .folder()
        .unwrap()
        .join(format!("{stem}.jpg"))
        .is_file());
    assert!(app
        .state
        .media
        .folder()
        .unwrap()
        .join(format!("{stem}-480.jpg"))
        .is_file());

    let svc = app.service().await;
    let mut reader = Browser::new();
    let story = reader.get(&svc, "/posts/storm-closes-the-harbour").await;
    assert_eq!(story.status, StatusCode::OK);
    assert!(
        !story.contains("harbour.example.org/wp-content"),
        "{}",
        story.body
    );
    assert!(
        story.contains(&format!(r#"srcset="/media/{stem}-480.jpg 480w, /media/{stem}-960.jpg 960w, /media/{stem}.jpg 1200w""#)),
        "{}",
        story.body
    );
    assert!(story.contains(&format!(r#"src="/media/{stem}.jpg""#)));
    assert!(story.contains("<figcaption>Waves over the quay</figcaption>"));
    assert_eq!(
        reader
            .get(&svc, &format!("/media/{stem}-480.jpg"))
            .await
            .status,
        StatusCode::OK
    );

    // The library knows where it is used.
    let admin = app.user("owner", broadsheet::models::Role::Admin);
    let mut owner = Browser::new();
    owner.login(&svc, &app, &admin.username).await;
    let library = owner.get(&svc, "/admin/media").await;
    assert!(
        library.contains("Storm closes the harbour"),
        "{}",
        library.body
    );

    // Again: the file is not copied a second time.
    let again = import_with(&app, WORDPRESS, uploads.path());
    assert_eq!(again.images_copied, 0, "{again:#?}");
    assert_eq!(media_rows(&app).len(), 1);
}

#[actix_web::test]
async fn blogger_images_are_found_by_file_name_and_missing_or_broken_ones_are_reported() {
    let app = TestApp::new();
    let folder = tempfile::tempdir().unwrap();
    photo(folder.path(), "wall.jpg", 800, 600);
    let report = import_with(&app, TAKEOUT, folder.path());
    assert_eq!(report.images_copied, 1, "{report:#?}");
    assert_eq!(report.external_images, 0, "{report:#?}");
    let svc = app.service().await;
    let story = Browser::new().get(&svc, "/posts/harbour-wall").await;
    assert!(!story.contains("googleusercontent"), "{}", story.body);
    assert!(story.contains(r#"<a href="/media/"#), "{}", story.body);

    // A WordPress site whose folder lacks the file, then has a broken one.
    let other = TestApp::new();
    let empty = tempfile::tempdir().unwrap();
    let report = import_with(&other, WORDPRESS, empty.path());
    assert_eq!(
        (report.images_copied, report.images_missing),
        (0, 1),
        "{report:#?}"
    );
    assert_eq!(
        report.external_images, 1,
        "shown from the old site as before"
    );
    let broken = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(broken.path().join("2020/05")).unwrap();
    std::fs::write(
        broken.path().join("2020/05/quay.jpg"),
        b"not a picture at all",
    )
    .unwrap();
    let third = TestApp::new();
    let report = import_with(&third, WORDPRESS, broken.path());
    assert_eq!(report.images_copied, 0);
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.starts_with("2020/05/quay.jpg ") && w.contains("old site")),
        "{:#?}",
        report.warnings
    );
    assert!(media_rows(&third).is_empty());
}

#[actix_web::test]
async fn the_import_command_takes_a_media_folder_and_refuses_one_that_is_not_there() {
    let app = TestApp::new();
    let export = app.dir.path().join("harbour.xml");
    std::fs::write(&export, WORDPRESS).unwrap();
    let uploads = app.dir.path().join("uploads");
    photo(&uploads, "2020/05/quay.jpg", 640, 480);
    let config = || app.config();

    let err =
        commands::import(config(), &export, Some(&app.dir.path().join("nope")), false).unwrap_err();
    assert!(err.to_string().contains("not a folder"), "{err}");
    assert!(media_rows(&app).is_empty());

    commands::import(config(), &export, Some(&uploads), false).unwrap();
    assert_eq!(media_rows(&app).len(), 1);
}

#[actix_web::test]
async fn media_from_does_not_follow_symbolic_links_inside_the_folder() {
    let app = TestApp::new();
    let uploads = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    // The image the story shows is a link to a file outside the folder.
    let outside = photo(elsewhere.path(), "secret.jpg", 1200, 800);
    std::fs::create_dir_all(uploads.path().join("2020/05")).unwrap();
    std::os::unix::fs::symlink(&outside, uploads.path().join("2020/05/quay.jpg")).unwrap();
    let report = import_with(&app, WORDPRESS, uploads.path());
    assert_eq!(report.error, None, "{report:#?}");
    assert_eq!(report.images_copied, 0, "{report:#?}");
    assert_eq!(report.images_missing, 1, "{report:#?}");
    assert!(media_rows(&app).is_empty());

    // Nor a linked folder on the way to it.
    let app = TestApp::new();
    let uploads = tempfile::tempdir().unwrap();
    photo(elsewhere.path(), "2020/05/quay.jpg", 1200, 800);
    std::os::unix::fs::symlink(elsewhere.path().join("2020"), uploads.path().join("2020")).unwrap();
    let report = import_with(&app, WORDPRESS, uploads.path());
    assert_eq!(report.images_copied, 0, "{report:#?}");
    assert!(media_rows(&app).is_empty());

    // A folder given through a link is still read: only links inside it are not.
    let app = TestApp::new();
    let real = tempfile::tempdir().unwrap();
    photo(real.path(), "2020/05/quay.jpg", 1200, 800);
    let holder = tempfile::tempdir().unwrap();
    let linked = holder.path().join("uploads");
    std::os::unix::fs::symlink(real.path(), &linked).unwrap();
    let report = import_with(&app, WORDPRESS, &linked);
    assert_eq!(report.images_copied, 1, "{report:#?}");
}
