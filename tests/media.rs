//! The media library: uploads through the real multipart form, what is
//! stored (and what is not), and how `/media/` serves it.

mod common;

use std::io::Cursor;
use std::path::Path;

use actix_web::http::{header, StatusCode};
use actix_web::test;
use broadsheet::build_app;
use broadsheet::models::media::Media;
use broadsheet::models::Role;
use common::{Browser, Page, Part, TestApp};
use diesel::prelude::*;

/// A photo-like JPEG `w` × `h` (a gradient, so it compresses like one).
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

/// `jpeg` with an EXIF block as a camera writes one: orientation 6 (turn
/// 90° clockwise to show) and a description standing in for GPS data.
fn jpeg_with_exif(w: u32, h: u32, secret: &str) -> Vec<u8> {
    let plain = jpeg(w, h);
    // TIFF, little-endian: two entries (Orientation, ImageDescription).
    let text = format!("{secret}\0");
    let mut tiff = Vec::new();
    tiff.extend_from_slice(b"II*\0");
    tiff.extend_from_slice(&8u32.to_le_bytes());
    tiff.extend_from_slice(&2u16.to_le_bytes());
    // 0x0112 Orientation, SHORT, 1 value: 6.
    tiff.extend_from_slice(&0x0112u16.to_le_bytes());
    tiff.extend_from_slice(&3u16.to_le_bytes());
    tiff.extend_from_slice(&1u32.to_le_bytes());
    tiff.extend_from_slice(&6u32.to_le_bytes());
    // 0x010E ImageDescription, ASCII, at the offset after the IFD.
    let text_at = 8 + 2 + 2 * 12 + 4;
    tiff.extend_from_slice(&0x010Eu16.to_le_bytes());
    tiff.extend_from_slice(&2u16.to_le_bytes());
    tiff.extend_from_slice(&(text.len() as u32).to_le_bytes());
    tiff.extend_from_slice(&(text_at as u32).to_le_bytes());
    tiff.extend_from_slice(&0u32.to_le_bytes());
    tiff.extend_from_slice(text.as_bytes());
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let mut out = plain[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&plain[2..]);
    out
}

/// A PNG with a text chunk holding `secret`.
fn png_with_text(w: u32, h: u32, secret: &str) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, w, h);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        encoder
            .add_text_chunk("Comment".into(), secret.into())
            .unwrap();
        let mut writer = encoder.write_header().unwrap();
        let data: Vec<u8> = (0..w * h)
            .flat_map(|i| [(i % 256) as u8, 80, 160, if i % 7 == 0 { 0 } else { 255 }])
            .collect();
        writer.write_image_data(&data).unwrap();
    }
    out
}

/// A PNG whose header claims `w` × `h` pixels: its data, a megabyte of
/// zeros, compresses to about a kilobyte (a decompression bomb's shape).
fn png_bomb(w: u32, h: u32) -> Vec<u8> {
    use std::io::Write;
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, w, h);
        encoder.set_color(png::ColorType::Rgb);
        drop(encoder.write_header().unwrap());
    }
    // The header as the encoder wrote it: signature and IHDR (8 + 25 bytes).
    out.truncate(33);
    let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    zlib.write_all(&vec![0u8; 1 << 20]).unwrap();
    let data = zlib.finish().unwrap();
    for (kind, body) in [(&b"IDAT"[..], &data[..]), (&b"IEND"[..], &[][..])] {
        out.extend_from_slice(&(body.len() as u32).to_be_bytes());
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(body);
        out.extend_from_slice(kind);
        out.extend_from_slice(body);
        out.extend_from_slice(&crc.sum().to_be_bytes());
    }
    out
}

fn file<'a>(file_name: &'a str, content_type: &'a str, bytes: &'a [u8]) -> Part<'a> {
    Part::File {
        name: "file",
        file_name,
        content_type,
        bytes,
    }
}

/// Files in the media folder, the hidden one for partial writes aside.
fn stored_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n != ".partial")
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let partial = dir.join(".partial");
    if partial.exists() {
        assert_eq!(
            std::fs::read_dir(&partial).unwrap().count(),
            0,
            "no partial files left"
        );
    }
    names
}

fn media_rows(app: &TestApp) -> Vec<Media> {
    broadsheet::schema::media::table
        .select(Media::as_select())
        .load(&mut *app.conn())
        .unwrap()
}

fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

async fn upload<S, B>(b: &mut Browser, svc: &S, alt: &str, files: Vec<Part<'_>>) -> Page
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    let token = b.get(svc, "/admin/media").await.csrf();
    let mut parts = vec![Part::Text("csrf_token", &token), Part::Text("alt", alt)];
    parts.extend(files);
    b.upload(svc, "/admin/media", &parts).await
}

#[actix_web::test]
async fn an_upload_is_stored_upright_without_metadata_in_every_width_and_served_for_a_year() {
    let app = TestApp::new();
    app.user("editor", Role::Author);
    let svc = test::init_service(build_app(app.state())).await;
    let mut b = Browser::new();
    b.login(&svc, &app, "editor").await;
    // A 2000 × 1000 sensor image that the camera says to turn upright.
    let photo = jpeg_with_exif(2000, 1000, "GPS 52.5200 N 13.4050 E secret place");
    let res = upload(
        &mut b,
        &svc,
        "A harbour at dawn",
        vec![file("IMG_0001.JPG", "image/jpeg", &photo)],
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(res.location(), "/admin/media");

    let rows = media_rows(&app);
    assert_eq!(rows.len(), 1);
    let m = &rows[0];
    assert_eq!((m.width, m.height), (1000, 2000), "orientation applied");
    assert_eq!(m.variant_widths(), vec![480, 960]);
    assert_eq!(m.alt, "A harbour at dawn");
    assert_eq!(m.original_name, "IMG_0001.JPG");

    let dir = app.state.media.dir().to_path_buf();
    let mut expected = m.file_names();
    expected.sort();
    assert_eq!(stored_files(&dir), expected);
    for name in m.file_names() {
        let bytes = std::fs::read(dir.join(&name)).unwrap();
        assert!(!contains_bytes(&bytes, b"Exif"), "{name} keeps no EXIF");
        assert!(
            !contains_bytes(&bytes, b"secret place"),
            "{name} keeps no text"
        );
        let img = image::load_from_memory(&bytes).unwrap();
        assert!(img.height() > img.width(), "{name} is upright");
    }

    // The library shows it with its size and a snippet to paste.
    let page = b.get(&svc, "/admin/media").await;
    assert!(page.contains("1000 × 2000"));
    assert!(page.contains(&format!("![A harbour at dawn]({})", m.url())));
    assert!(page.contains("Not used yet"));

    // Served as an immutable file, with HEAD and ranges.
    let served = b.get(&svc, &m.url()).await;
    assert_eq!(served.status, StatusCode::OK);
    let h = |name: header::HeaderName| {
        served
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    assert_eq!(h(header::CONTENT_TYPE), "image/jpeg");
    assert_eq!(
        h(header::CACHE_CONTROL),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(h(header::X_CONTENT_TYPE_OPTIONS), "nosniff");
    assert!(!h(header::ETAG).is_empty());
    let head = b
        .send(
            &svc,
            test::TestRequest::default()
                .method(actix_web::http::Method::HEAD)
                .uri(&m.url()),
        )
        .await;
    assert_eq!(head.status, StatusCode::OK);
    let range = b
        .send(
            &svc,
            test::TestRequest::get()
                .uri(&m.url())
                .insert_header((header::RANGE, "bytes=0-9")),
        )
        .await;
    assert_eq!(range.status, StatusCode::PARTIAL_CONTENT);
    let size = std::fs::metadata(dir.join(m.file_name())).unwrap().len();
    assert_eq!(
        range.headers.get(header::CONTENT_RANGE).unwrap(),
        &format!("bytes 0-9/{size}")
    );

    // The same file again is not stored twice.
    let again = upload(
        &mut b,
        &svc,
        "",
        vec![file("copy.jpg", "image/jpeg", &photo)],
    )
    .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    assert_eq!(media_rows(&app).len(), 1);
    let flash = b.get(&svc, "/admin/media").await;
    assert!(flash.contains("already in the library"), "{}", flash.body);
}

#[actix_web::test]
async fn wide_photos_get_every_srcset_width_and_pngs_keep_transparency_without_text() {
    let app = TestApp::new();
    app.user("editor", Role::Admin);
    let svc = test::init_service(build_app(app.state())).await;
    let mut b = Browser::new();
    b.login(&svc, &app, "editor").await;
    let wide = jpeg(3000, 1500);
    let drawing = png_with_text(600, 400, "author secret comment");
    let res = upload(
        &mut b,
        &svc,
        "",
        vec![
            file("wide.jpg", "image/jpeg", &wide),
            file("drawing.png", "image/png", &drawing),
        ],
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let rows = media_rows(&app);
    assert_eq!(rows.len(), 2);
    let wide = rows.iter().find(|m| m.original_name == "wide.jpg").unwrap();
    assert_eq!(
        (wide.width, wide.height),
        (2560, 1280),
        "scaled to the widest kept"
    );
    assert_eq!(wide.variant_widths(), vec![480, 960, 1600]);
    let drawing = rows
        .iter()
        .find(|m| m.original_name == "drawing.png")
        .unwrap();
    assert_eq!(drawing.format.as_str(), "png");
    assert_eq!(drawing.variant_widths(), vec![480]);
    let dir = app.state.media.dir().to_path_buf();
    for name in drawing.file_names() {
        let bytes = std::fs::read(dir.join(&name)).unwrap();
        assert!(!contains_bytes(&bytes, b"author secret"), "{name}");
        assert!(!contains_bytes(&bytes, b"tEXt"), "{name}");
        assert!(image::load_from_memory(&bytes).unwrap().color().has_alpha());
    }
}

#[actix_web::test]
async fn hostile_and_broken_files_are_refused_with_a_reason_and_leave_nothing_behind() {
    let app = TestApp::new();
    app.user("editor", Role::Admin);
    let svc = test::init_service(build_app(app.state())).await;
    let mut b = Browser::new();
    b.login(&svc, &app, "editor").await;
    let good = jpeg(800, 600);
    let truncated = good[..good.len() / 2].to_vec();
    let svg = br#"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#.to_vec();
    let text = b"just some text pretending to be a photo".to_vec();
    let bomb = png_bomb(50_000, 50_000);
    let mut huge = jpeg(64, 64);
    huge.resize(21 * 1024 * 1024, 0);
    let cases: [(&str, &str, &[u8], &str); 5] = [
        (
            "holiday.jpg",
            "image/jpeg",
            &text,
            "is not a JPEG, PNG, WebP or GIF image",
        ),
        ("logo.png", "image/png", &svg, "is an SVG image"),
        ("cut.jpg", "image/jpeg", &truncated, "truncated or damaged"),
        ("bomb.png", "image/png", &bomb, "50000 × 50000 pixels"),
        ("huge.jpg", "image/jpeg", &huge, "is larger than 20 MB"),
    ];
    for (name, content_type, bytes, reason) in cases {
        let res = upload(
            &mut b,
            &svc,
            "Kept alt text",
            vec![file(name, content_type, bytes)],
        )
        .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        assert!(
            res.contains(&format!("“{name}” ")) && res.contains(reason),
            "{name}: {reason}\n{}",
            res.body
        );
        assert!(res.contains(r#"value="Kept alt text""#), "{name}: alt kept");
        assert!(media_rows(&app).is_empty(), "{name}: no row");
        assert!(
            stored_files(app.state.media.dir()).is_empty(),
            "{name}: no file"
        );
    }

    // A good file beside a bad one: the good one is added, the bad one named.
    let res = upload(
        &mut b,
        &svc,
        "",
        vec![
            file("fine.jpg", "image/jpeg", &good),
            file("logo.svg", "image/svg+xml", &svg),
        ],
    )
    .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.contains("1 added"));
    assert!(res.contains("“logo.svg” is an SVG image"));
    assert_eq!(media_rows(&app).len(), 1);
}

#[actix_web::test]
async fn uploads_need_a_writer_and_the_token_before_any_file() {
    let app = TestApp::new();
    app.user("editor", Role::Admin);
    app.user("reader", Role::Commenter);
    let svc = test::init_service(build_app(app.state())).await;
    let photo = jpeg(100, 100);

    let mut anonymous = Browser::new();
    let res = anonymous
        .upload(&svc, "/admin/media", &[file("a.jpg", "image/jpeg", &photo)])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert!(res.location().starts_with("/login"));

    let mut reader = Browser::new();
    reader.login(&svc, &app, "reader").await;
    assert_eq!(
        reader.get(&svc, "/admin/media").await.status,
        StatusCode::FORBIDDEN
    );

    let mut editor = Browser::new();
    editor.login(&svc, &app, "editor").await;
    let token = editor.get(&svc, "/admin/media").await.csrf();
    // The file before the token: refused before it is read.
    let res = editor
        .upload(
            &svc,
            "/admin/media",
            &[
                file("a.jpg", "image/jpeg", &photo),
                Part::Text("csrf_token", &token),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    // A wrong token.
    let res = editor
        .upload(
            &svc,
            "/admin/media",
            &[
                Part::Text("csrf_token", "forged"),
                file("a.jpg", "image/jpeg", &photo),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert!(media_rows(&app).is_empty());
    assert!(stored_files(app.state.media.dir()).is_empty());
}

#[actix_web::test]
async fn alt_text_is_editable_and_an_unused_image_is_deleted_with_its_files() {
    let app = TestApp::new();
    app.user("editor", Role::Admin);
    let svc = test::init_service(build_app(app.state())).await;
    let mut b = Browser::new();
    b.login(&svc, &app, "editor").await;
    let photo = jpeg(1200, 800);
    upload(&mut b, &svc, "", vec![file("p.jpg", "image/jpeg", &photo)]).await;
    let m = media_rows(&app).remove(0);

    let res = b
        .submit(
            &svc,
            "/admin/media",
            &format!("/admin/media/{}", m.id),
            &[("alt", "Two boats in fog")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(media_rows(&app)[0].alt, "Two boats in fog");

    let res = b
        .submit(
            &svc,
            "/admin/media",
            &format!("/admin/media/{}/delete", m.id),
            &[],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert!(media_rows(&app).is_empty());
    assert!(stored_files(app.state.media.dir()).is_empty());
    assert_eq!(b.get(&svc, &m.url()).await.status, StatusCode::NOT_FOUND);
}
