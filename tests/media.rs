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

    let dir = app.state.media.folder().unwrap().to_path_buf();
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
    let dir = app.state.media.folder().unwrap().to_path_buf();
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
            stored_files(app.state.media.folder().unwrap()).is_empty(),
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
    assert!(stored_files(app.state.media.folder().unwrap()).is_empty());
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

    // Too long: refused by name, the typed text kept in the image's form.
    let long = "fog ".repeat(100);
    let res = b
        .submit(
            &svc,
            "/admin/media",
            &format!("/admin/media/{}", m.id),
            &[("alt", &long)],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.contains("Keep the alt text to 300 characters or fewer."));
    assert!(res.contains(&format!(r#"value="{}""#, long.trim())));
    assert_eq!(media_rows(&app)[0].alt, "Two boats in fog");
    // An image that is not there.
    let res = b
        .submit(&svc, "/admin/media", "/admin/media/999/delete", &[])
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let res = b
        .submit(&svc, "/admin/media", "/admin/media/999", &[("alt", "x")])
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);

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
    assert!(stored_files(app.state.media.folder().unwrap()).is_empty());
    assert_eq!(b.get(&svc, &m.url()).await.status, StatusCode::NOT_FOUND);
}

/// The JSON-LD block of a page, parsed.
fn json_ld(page: &Page) -> serde_json::Value {
    let start_tag = r#"<script type="application/ld+json">"#;
    let start = page.body.find(start_tag).expect("a JSON-LD block") + start_tag.len();
    let end = page.body[start..].find("</script>").unwrap() + start;
    serde_json::from_str(&page.body[start..end]).expect("JSON-LD parses")
}

fn meta(page: &Page, property: &str) -> Option<String> {
    let marker = format!(r#"<meta property="{property}" content=""#);
    let alt = format!(r#"<meta name="{property}" content=""#);
    let at = page
        .body
        .find(&marker)
        .map(|i| i + marker.len())
        .or_else(|| page.body.find(&alt).map(|i| i + alt.len()))?;
    let end = page.body[at..].find('"')? + at;
    Some(page.body[at..end].to_string())
}

#[actix_web::test]
async fn a_post_shows_its_cover_and_library_images_with_srcset_and_previews_show_the_picture() {
    let app = TestApp::new();
    app.user("editor", Role::Admin);
    let svc = test::init_service(build_app(app.state())).await;
    let mut b = Browser::new();
    b.login(&svc, &app, "editor").await;
    let cover_bytes = jpeg(2400, 1200);
    let inline_bytes = jpeg(1000, 800);
    upload(
        &mut b,
        &svc,
        "Ferries at the quay",
        vec![file("cover.jpg", "image/jpeg", &cover_bytes)],
    )
    .await;
    upload(
        &mut b,
        &svc,
        "The harbour office",
        vec![file("office.jpg", "image/jpeg", &inline_bytes)],
    )
    .await;
    let rows = media_rows(&app);
    let cover = rows
        .iter()
        .find(|m| m.original_name == "cover.jpg")
        .unwrap()
        .clone();
    let inline = rows
        .iter()
        .find(|m| m.original_name == "office.jpg")
        .unwrap()
        .clone();

    let body = format!(
        "The ferries run again.\n\n![The office at dawn]({})\n\nMore to follow & soon.",
        inline.url()
    );
    let cover_id = cover.id.to_string();
    let res = b
        .submit(
            &svc,
            "/admin/posts/new",
            "/admin/posts",
            &[
                ("title", "Ferries return <to> the harbour"),
                ("body", &body),
                ("status", "published"),
                ("cover_media_id", &cover_id),
                ("excerpt", "A writer's own summary of the story."),
                (
                    "search_description",
                    "Ferries are back after a winter away.",
                ),
                ("comments_enabled", "on"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);

    let article = b.get(&svc, "/posts/ferries-return-to-the-harbour").await;
    assert_eq!(article.status, StatusCode::OK);
    // The cover above the text, and the inline image with every width.
    assert!(article.contains(r#"<figure class="article-cover">"#));
    assert!(article.contains(&format!(r#"srcset="{}""#, cover.srcset())));
    assert!(article.contains(&format!(
        r#"<img src="{}" srcset="{}""#,
        inline.url(),
        inline.srcset()
    )));
    assert!(article.contains(r#"width="1000" height="800" loading="lazy""#));
    assert!(article.contains(r#"alt="The office at dawn""#));
    // Link previews: the picture, its size and alt text.
    let image_url = format!("http://blog.test{}", cover.url());
    assert_eq!(
        meta(&article, "og:image").as_deref(),
        Some(image_url.as_str())
    );
    assert_eq!(meta(&article, "og:image:width").as_deref(), Some("2400"));
    assert_eq!(meta(&article, "og:image:height").as_deref(), Some("1200"));
    assert_eq!(
        meta(&article, "og:image:alt").as_deref(),
        Some("Ferries at the quay")
    );
    assert_eq!(
        meta(&article, "twitter:card").as_deref(),
        Some("summary_large_image")
    );
    assert_eq!(
        meta(&article, "og:description").as_deref(),
        Some("Ferries are back after a winter away.")
    );
    assert!(article
        .contains(r#"<meta name="description" content="Ferries are back after a winter away.">"#));
    // Structured data that parses and names the story.
    let data = json_ld(&article);
    assert_eq!(data["@type"], "BlogPosting");
    assert_eq!(data["headline"], "Ferries return <to> the harbour");
    assert_eq!(data["image"]["url"], image_url.as_str());
    assert_eq!(data["author"]["name"], "editor");
    assert_eq!(data["publisher"]["name"], "Broadsheet");
    assert_eq!(
        data["mainEntityOfPage"]["@id"],
        "http://blog.test/posts/ferries-return-to-the-harbour"
    );
    assert!(data["datePublished"].as_str().unwrap().starts_with("20"));
    assert!(
        !article.body.contains("<to> the harbour\""),
        "no raw < in the JSON"
    );

    // Lists show the cover and the writer's excerpt; so does the feed.
    let home = b.get(&svc, "/").await;
    assert!(home.contains(&cover.thumbnail_url()));
    assert!(home.contains("own summary of the story."));
    let feed = b.get(&svc, "/feed.xml").await;
    assert!(feed.contains("own summary of the story."));

    // The library says where each image is used.
    let library = b.get(&svc, "/admin/media").await;
    assert!(library.contains("(cover)"));
    assert_eq!(
        library.body.matches("Used in").count(),
        2,
        "the cover and the inline image"
    );
    assert!(library.contains("Ferries return &#60;to&#62; the harbour"));
}

#[actix_web::test]
async fn deleting_an_image_in_use_asks_first_and_then_removes_the_cover() {
    let app = TestApp::new();
    app.user("editor", Role::Admin);
    let svc = test::init_service(build_app(app.state())).await;
    let mut b = Browser::new();
    b.login(&svc, &app, "editor").await;
    let bytes = jpeg(1200, 600);
    upload(
        &mut b,
        &svc,
        "A quay",
        vec![file("quay.jpg", "image/jpeg", &bytes)],
    )
    .await;
    let m = media_rows(&app).remove(0);
    let id = m.id.to_string();
    let res = b
        .submit(
            &svc,
            "/admin/posts/new",
            "/admin/posts",
            &[
                ("title", "Quay works"),
                ("body", "Work starts on the quay."),
                ("status", "published"),
                ("cover_media_id", &id),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);

    let delete = format!("/admin/media/{}/delete", m.id);
    let ask = b.submit(&svc, "/admin/media", &delete, &[]).await;
    assert_eq!(ask.status, StatusCode::OK);
    assert!(ask.contains("Delete this image?"));
    assert!(ask.contains("as the cover of"));
    assert!(ask.contains("Quay works"));
    assert_eq!(
        media_rows(&app).len(),
        1,
        "nothing deleted before confirming"
    );

    let token = ask.csrf();
    let done = b
        .post(&svc, &delete, &[("csrf_token", &token), ("confirm", "yes")])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert!(media_rows(&app).is_empty());
    assert!(stored_files(app.state.media.folder().unwrap()).is_empty());
    let article = b.get(&svc, "/posts/quay-works").await;
    assert_eq!(article.status, StatusCode::OK);
    assert!(meta(&article, "og:image").is_none());
    assert_eq!(meta(&article, "twitter:card").as_deref(), Some("summary"));

    // A cover that is not in the library is refused, the form kept.
    let res = b
        .submit(
            &svc,
            "/admin/posts/new",
            "/admin/posts",
            &[
                ("title", "Another"),
                ("body", "Text."),
                ("status", "draft"),
                ("cover_media_id", &id),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.contains("no longer in the library"));
    assert!(res.contains(r#"value="Another""#));
}

#[actix_web::test]
async fn the_automatic_description_is_cut_at_a_word_to_160_characters() {
    let app = TestApp::new();
    let words = "harbour ".repeat(60);
    app.post("Long one", &words, 1);
    let svc = test::init_service(build_app(app.state())).await;
    let mut b = Browser::new();
    let article = b.get(&svc, "/posts/long-one").await;
    let description = meta(&article, "og:description").unwrap();
    assert!(description.chars().count() <= 160, "{description}");
    assert!(description.ends_with("harbour…"), "{description}");
}

#[actix_web::test]
async fn the_site_icon_is_chosen_in_settings_and_served_at_favicon_ico() {
    let app = TestApp::new();
    app.user("editor", Role::Admin);
    app.post("Harbour news", "The harbour reopened.", 1);
    let svc = test::init_service(build_app(app.state())).await;
    let mut reader = Browser::new();
    let mut b = Browser::new();
    b.login(&svc, &app, "editor").await;

    // No icon: browsers are told not to ask, and asking finds nothing.
    let home = reader.get(&svc, "/").await;
    assert!(home.contains(r#"<link rel="icon" href="data:,">"#));
    assert_eq!(
        reader.get(&svc, "/favicon.ico").await.status,
        StatusCode::NOT_FOUND
    );

    let logo = png_with_text(512, 512, "");
    upload(
        &mut b,
        &svc,
        "Broadsheet logo",
        vec![file("logo.png", "image/png", &logo)],
    )
    .await;
    let m = media_rows(&app).remove(0);
    let id = m.id.to_string();
    let settings = b.get(&svc, "/admin/settings").await;
    assert!(settings.contains("Broadsheet logo (512 × 512)"));
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
    // Something not an image id is refused, the rest of the form kept.
    let bad = b
        .submit(
            &svc,
            "/admin/settings",
            "/admin/settings",
            &[
                ("title", "Kept title"),
                ("description", ""),
                ("posts_per_page", "10"),
                ("comment_policy", "open"),
                ("menu", ""),
                ("icon_media_id", "logo"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.contains("Choose an image from the list, or none."));
    assert!(bad.contains(r#"value="Kept title""#));

    let article = reader.get(&svc, "/posts/harbour-news").await;
    assert!(article.contains(&format!(r#"<link rel="icon" href="/favicon.ico?v={id}">"#)));
    let icon = reader.get(&svc, "/favicon.ico").await;
    assert_eq!(icon.status, StatusCode::OK);
    assert_eq!(icon.headers.get(header::CONTENT_TYPE).unwrap(), "image/png");

    // The library says the icon is in use; deleting it (once confirmed) removes it.
    let delete = format!("/admin/media/{}/delete", m.id);
    let ask = b.submit(&svc, "/admin/media", &delete, &[]).await;
    assert!(ask.contains("as the site icon"));
    let token = ask.csrf();
    b.post(&svc, &delete, &[("csrf_token", &token), ("confirm", "yes")])
        .await;
    assert_eq!(
        reader.get(&svc, "/favicon.ico").await.status,
        StatusCode::NOT_FOUND
    );
    assert!(reader.get(&svc, "/").await.contains(r#"href="data:,""#));
}

#[actix_web::test]
async fn an_upload_carries_at_most_ten_files_and_a_non_multipart_body_is_a_400() {
    let app = TestApp::new();
    app.user("editor", Role::Admin);
    let svc = test::init_service(build_app(app.state())).await;
    let mut b = Browser::new();
    b.login(&svc, &app, "editor").await;
    let photos: Vec<Vec<u8>> = (0..11).map(|n| jpeg(40 + n, 30)).collect();
    let names: Vec<String> = (0..11).map(|n| format!("p{n}.jpg")).collect();
    let files = photos
        .iter()
        .zip(&names)
        .map(|(bytes, name)| file(name, "image/jpeg", bytes))
        .collect();
    let res = upload(&mut b, &svc, "", files).await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(res.contains("Send at most 10 images at a time."));
    assert!(res.contains("10 are in the library now"));
    assert_eq!(media_rows(&app).len(), 10, "the first ten were added");

    let token = b.get(&svc, "/admin/media").await.csrf();
    let res = b
        .post(
            &svc,
            "/admin/media",
            &[("csrf_token", &token), ("alt", "x")],
        )
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.contains("could not be read"));
}

#[actix_web::test]
async fn readers_get_images_from_memory_with_the_files_headers_until_one_is_deleted() {
    let app = TestApp::new();
    app.user("editor", Role::Admin);
    let svc = test::init_service(build_app(app.state())).await;
    let mut b = Browser::new();
    b.login(&svc, &app, "editor").await;
    let photo = jpeg(1200, 800);
    upload(&mut b, &svc, "", vec![file("p.jpg", "image/jpeg", &photo)]).await;
    let m = media_rows(&app).remove(0);
    let stored = std::fs::read(app.state.media.folder().unwrap().join(m.file_name())).unwrap();

    // A signed-out reader, twice: the second answer comes from the page
    // cache and must be the file, with the file service's own headers.
    let mut answers = Vec::new();
    for _ in 0..2 {
        let res =
            test::call_service(&svc, test::TestRequest::get().uri(&m.url()).to_request()).await;
        assert_eq!(res.status(), StatusCode::OK);
        let headers = res.headers().clone();
        answers.push((headers, test::read_body(res).await));
    }
    for (headers, body) in &answers {
        assert_eq!(body.as_ref(), stored.as_slice());
        assert_eq!(headers.get(header::CONTENT_TYPE).unwrap(), "image/jpeg");
        assert_eq!(
            headers.get(header::CACHE_CONTROL).unwrap(),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(
            headers.get(header::X_CONTENT_TYPE_OPTIONS).unwrap(),
            "nosniff"
        );
    }
    let etag = answers[0].0.get(header::ETAG).unwrap().clone();
    assert_eq!(answers[1].0.get(header::ETAG), Some(&etag));
    assert_eq!(app.state.cache.pages.len(), 1, "the image is cached");

    // Revalidation and ranges keep working for the cached file.
    let res = test::call_service(
        &svc,
        test::TestRequest::get()
            .uri(&m.url())
            .insert_header((header::IF_NONE_MATCH, etag))
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    let res = test::call_service(
        &svc,
        test::TestRequest::get()
            .uri(&m.url())
            .insert_header((header::RANGE, "bytes=2-5"))
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(test::read_body(res).await.as_ref(), &stored[2..=5]);

    // Once deleted, no reader gets it from memory either.
    let delete = format!("/admin/media/{}/delete", m.id);
    let res = b.submit(&svc, "/admin/media", &delete, &[]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let res = test::call_service(&svc, test::TestRequest::get().uri(&m.url()).to_request()).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

/// An animated GIF of `frames` frames of `w` × `h` pixels, each one colour.
fn animation(w: u16, h: u16, frames: usize) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let palette = [0u8, 0, 0, 255, 255, 255];
        let mut encoder = gif::Encoder::new(&mut out, w, h, &palette).unwrap();
        for i in 0..frames {
            let pixels = vec![(i % 2) as u8; usize::from(w) * usize::from(h)];
            let frame = gif::Frame::from_indexed_pixels(w, h, pixels, None);
            encoder.write_frame(&frame).unwrap();
        }
    }
    out
}

#[actix_web::test]
async fn an_animation_over_its_pixel_budget_is_refused_and_a_short_one_kept() {
    let app = TestApp::new();
    app.user("editor", Role::Admin);
    let svc = test::init_service(build_app(app.state())).await;
    let mut b = Browser::new();
    b.login(&svc, &app, "editor").await;
    // 31 frames of one megapixel: 31 megapixels in all, over the 30 allowed.
    let long = animation(1000, 1000, 31);
    let res = upload(
        &mut b,
        &svc,
        "Waves",
        vec![file("waves.gif", "image/gif", &long)],
    )
    .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.contains("“waves.gif” has too many frames"),
        "{}",
        res.body
    );
    assert!(res.contains(r#"value="Waves""#), "alt kept");
    assert!(media_rows(&app).is_empty());
    assert!(stored_files(app.state.media.folder().unwrap()).is_empty());

    let short = animation(100, 100, 3);
    let res = upload(
        &mut b,
        &svc,
        "",
        vec![file("blink.gif", "image/gif", &short)],
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(media_rows(&app).len(), 1);
}

#[actix_web::test]
async fn a_third_upload_at_once_waits_its_turn_and_is_turned_away_after_30_seconds() {
    let app = TestApp::new();
    app.user("editor", Role::Admin);
    let svc = test::init_service(build_app(app.state())).await;
    let mut b = Browser::new();
    b.login(&svc, &app, "editor").await;
    let photo = jpeg(400, 300);
    // Two uploads being received: both turns are taken.
    let two = app
        .state
        .media
        .receiving
        .clone()
        .acquire_many_owned(2)
        .await
        .unwrap();
    // Waiting 30 s for a turn passes at once on a paused clock.
    tokio::time::pause();
    let res = upload(&mut b, &svc, "", vec![file("p.jpg", "image/jpeg", &photo)]).await;
    tokio::time::resume();
    assert_eq!(res.status, StatusCode::SERVICE_UNAVAILABLE, "{}", res.body);
    assert!(media_rows(&app).is_empty());
    drop(two);
    let res = upload(&mut b, &svc, "", vec![file("p.jpg", "image/jpeg", &photo)]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(media_rows(&app).len(), 1);
}

#[actix_web::test]
async fn a_file_that_stops_arriving_is_given_up_after_two_minutes_and_leaves_nothing() {
    let app = TestApp::new();
    app.user("editor", Role::Admin);
    let svc = test::init_service(build_app(app.state())).await;
    let mut b = Browser::new();
    b.login(&svc, &app, "editor").await;
    let token = b.get(&svc, "/admin/media").await.csrf();
    let boundary = "----stalled-upload-boundary";
    let photo = jpeg(400, 300);
    let mut head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"p.jpg\"\r\n\
         Content-Type: image/jpeg\r\n\r\n"
    )
    .into_bytes();
    head.extend_from_slice(&photo[..photo.len() / 2]);
    // The rest never comes, and the connection stays open.
    let (mut sender, payload) = actix_http::h1::Payload::create(false);
    sender.feed_data(head.into());
    let req = b
        .with_cookies(
            test::TestRequest::post()
                .uri("/admin/media")
                .insert_header((
                    header::CONTENT_TYPE,
                    format!("multipart/form-data; boundary={boundary}"),
                )),
        )
        .to_request();
    let (req, _) = req.replace_payload(actix_http::Payload::from(payload));
    tokio::time::pause();
    let res = test::call_service(&svc, req).await;
    tokio::time::resume();
    assert_eq!(res.status(), StatusCode::REQUEST_TIMEOUT);
    let body = String::from_utf8_lossy(&test::read_body(res).await).into_owned();
    assert!(body.contains("arrived too slowly"), "{body}");
    drop(sender);
    assert!(media_rows(&app).is_empty());
    assert!(stored_files(app.state.media.folder().unwrap()).is_empty());
}

#[actix_web::test]
async fn an_upload_the_media_folder_refuses_comes_back_with_its_form_and_keeps_nothing() {
    let app = TestApp::new();
    app.user("editor", Role::Admin);
    let svc = test::init_service(build_app(app.state())).await;
    let mut b = Browser::new();
    b.login(&svc, &app, "editor").await;
    // A file where the folder's hidden `.partial/` should be: no image can
    // be written (this holds for root too, unlike permissions).
    let dir = app.state.media.folder().unwrap().to_path_buf();
    std::fs::write(dir.join(".partial"), b"in the way").unwrap();
    let photo = jpeg(800, 600);
    let res = upload(
        &mut b,
        &svc,
        "Gulls over the pier",
        vec![file("gulls.jpg", "image/jpeg", &photo)],
    )
    .await;
    assert_eq!(res.status, StatusCode::SERVICE_UNAVAILABLE, "{}", res.body);
    assert!(res.contains("“gulls.jpg” was not saved"), "{}", res.body);
    assert!(
        res.contains(r#"value="Gulls over the pier""#),
        "{}",
        res.body
    );
    assert!(media_rows(&app).is_empty());

    std::fs::remove_file(dir.join(".partial")).unwrap();
    let res = upload(
        &mut b,
        &svc,
        "Gulls over the pier",
        vec![file("gulls.jpg", "image/jpeg", &photo)],
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(media_rows(&app).len(), 1);
}
