//! The media library: uploads through the real multipart form, what is
//! stored (and what is not), and how `/media/` serves it.

use std::io::Cursor;
use std::path::Path;

use crate::common::{Browser, Page, Part, Svc, TestApp};
use actix_web::http::{header, StatusCode};
use actix_web::test;
use broadsheet::models::media::Media;
use broadsheet::models::Role;
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

async fn upload(b: &mut Browser, svc: &impl Svc, alt: &str, files: Vec<Part<'_>>) -> Page {
    let token = b.get(svc, "/admin/media").await.csrf();
    let mut parts = vec![Part::Text("csrf_token", &token), Part::Text("alt", alt)];
    parts.extend(files);
    b.upload(svc, "/admin/media", &parts).await
}

#[actix_web::test]
async fn an_upload_is_stored_upright_without_metadata_in_every_width_and_served_for_a_year() {
    let app = TestApp::new();
    app.user("editor", Role::Author);
    let svc = app.service().await;
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
    let svc = app.service().await;
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
    let svc = app.service().await;
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
    let svc = app.service().await;
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
    let svc = app.service().await;
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
    let svc = app.service().await;
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
    let svc = app.service().await;
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
    let svc = app.service().await;
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
    let svc = app.service().await;
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
    assert!(article.contains(&format!(
        r#"<link rel="icon" href="/favicon.ico?v={id}" sizes="32x32" type="image/png">"#
    )));
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
    let svc = app.service().await;
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
    let svc = app.service().await;
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
    let svc = app.service().await;
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
    let svc = app.service().await;
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
    assert!(
        res.contains("Other uploads are still arriving"),
        "{}",
        res.body
    );
    assert!(res.contains(r#"name="file""#), "the form comes back");
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
    let svc = app.service().await;
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
    let svc = app.service().await;
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

const TRICKLING: &str = "----trickling-upload-boundary";

/// The start of an upload's body, up to the first `sent` bytes of `photo`:
/// the token first, as the form sends it.
fn upload_head(token: &str, photo: &[u8], sent: usize) -> Vec<u8> {
    let mut head = format!(
        "--{TRICKLING}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n\
         --{TRICKLING}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"slow.jpg\"\r\n\
         Content-Type: image/jpeg\r\n\r\n"
    )
    .into_bytes();
    head.extend_from_slice(&photo[..sent]);
    head
}

/// An upload whose body arrives only as the test feeds the payload's sender.
fn trickling_upload(b: &Browser, payload: actix_http::h1::Payload) -> actix_http::Request {
    let req = b
        .with_cookies(
            test::TestRequest::post()
                .uri("/admin/media")
                .insert_header((
                    header::CONTENT_TYPE,
                    format!("multipart/form-data; boundary={TRICKLING}"),
                )),
        )
        .to_request();
    req.replace_payload(actix_http::Payload::from(payload)).0
}

/// Polls `pending` (a request under way) until `ready` holds, so a test
/// waits for the state it needs rather than for a guessed time.
async fn drive_until<F: std::future::Future + Unpin>(pending: &mut F, ready: impl Fn() -> bool) {
    let wait = async {
        while !ready() {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    };
    tokio::select! {
        _ = pending => panic!("the request finished before the state was reached"),
        _ = tokio::time::timeout(std::time::Duration::from_secs(20), wait) => {}
    }
}

#[actix_web::test]
async fn one_account_trickling_uploads_holds_one_slot_and_another_account_uploads_at_once() {
    let app = TestApp::new();
    app.user("slow", Role::Author);
    app.user("editor", Role::Admin);
    let svc = app.service().await;
    let mut slow = Browser::new();
    slow.login(&svc, &app, "slow").await;
    let mut editor = Browser::new();
    editor.login(&svc, &app, "editor").await;
    let photo = jpeg(600, 400);
    let token = slow.get(&svc, "/admin/media").await.csrf();
    let receiving = app.state.media.receiving.clone();
    let total = receiving.available_permits();

    // The first upload takes a slot and keeps trickling.
    let (mut first_sender, payload) = actix_http::h1::Payload::create(false);
    first_sender.feed_data(upload_head(&token, &photo, 100).into());
    let first = trickling_upload(&slow, payload);
    let mut first = Box::pin(test::call_service(&svc, first));
    drive_until(&mut first, || receiving.available_permits() == total - 1).await;
    first_sender.feed_data(photo[100..200].to_vec().into());

    // A second from the same account is told at once, with the form.
    let (mut second_sender, payload) = actix_http::h1::Payload::create(false);
    second_sender.feed_data(upload_head(&token, &photo, 100).into());
    let second = trickling_upload(&slow, payload);
    let second = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        test::call_service(&svc, second),
    )
    .await
    .expect("a second upload of one account is answered at once");
    assert_eq!(second.status(), StatusCode::TOO_MANY_REQUESTS);
    let body = String::from_utf8_lossy(&test::read_body(second).await).into_owned();
    assert!(
        body.contains("Another upload of yours is still arriving"),
        "{body}"
    );
    assert!(
        body.contains(r#"name="file""#),
        "the form comes back: {body}"
    );
    drop(second_sender);
    assert_eq!(receiving.available_permits(), total - 1);

    // Another account's upload goes through promptly meanwhile.
    let res = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        upload(
            &mut editor,
            &svc,
            "",
            vec![file("quick.jpg", "image/jpeg", &photo)],
        ),
    )
    .await
    .expect("the other account's upload is not held up");
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(media_rows(&app).len(), 1);

    // Once the slow one has arrived, that account may send again.
    first_sender.feed_data(photo[200..].to_vec().into());
    first_sender.feed_data(format!("\r\n--{TRICKLING}--\r\n").into_bytes().into());
    first_sender.feed_eof();
    let done = first.await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(receiving.available_permits(), total);
    let again = upload(
        &mut slow,
        &svc,
        "",
        vec![file("next.jpg", "image/jpeg", &jpeg(300, 200))],
    )
    .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.body);
}

/// Sets a file's modification time `minutes` into the past.
fn age(path: &Path, minutes: u64) {
    let at = std::time::SystemTime::now() - std::time::Duration::from_secs(minutes * 60);
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(at)
        .unwrap();
}

#[actix_web::test]
async fn a_file_that_cannot_be_put_in_place_leaves_no_partial_file_behind() {
    let app = TestApp::new();
    app.user("editor", Role::Admin);
    let svc = app.service().await;
    let mut b = Browser::new();
    b.login(&svc, &app, "editor").await;
    let photo = jpeg(300, 200);
    // A folder where the image's file should go: its bytes are written to
    // `.partial/` in full and then cannot be renamed into place.
    let dir = app.state.media.folder().unwrap().to_path_buf();
    let hash = broadsheet::media::hash_of(&photo);
    let blocker = dir.join(format!("{}.jpg", broadsheet::media::stem_of(&hash)));
    std::fs::create_dir_all(blocker.join("in-the-way")).unwrap();
    let res = upload(&mut b, &svc, "", vec![file("p.jpg", "image/jpeg", &photo)]).await;
    assert_eq!(res.status, StatusCode::SERVICE_UNAVAILABLE, "{}", res.body);
    assert!(res.contains("Nothing of it was kept"));
    assert!(media_rows(&app).is_empty());
    assert_eq!(
        std::fs::read_dir(dir.join(".partial")).unwrap().count(),
        0,
        "the partial file was removed"
    );
}

#[actix_web::test]
async fn the_sweep_removes_old_partial_and_orphaned_files_but_not_images_or_uploads_in_flight() {
    let app = TestApp::new();
    app.user("editor", Role::Admin);
    let svc = app.service().await;
    let mut b = Browser::new();
    b.login(&svc, &app, "editor").await;
    let res = upload(
        &mut b,
        &svc,
        "",
        vec![file("p.jpg", "image/jpeg", &jpeg(1200, 800))],
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let kept = media_rows(&app).remove(0);
    let dir = app.state.media.folder().unwrap().to_path_buf();
    for name in kept.file_names() {
        age(&dir.join(name), 60);
    }
    // What a kill -9 leaves: an image's files without their row, and a
    // partial file; the same, written a moment ago, is an upload in flight.
    std::fs::create_dir_all(dir.join(".partial")).unwrap();
    let old = [
        "0123456789abcdef0123.jpg",
        "0123456789abcdef0123-480.jpg",
        ".partial/fedcba98765432100000.png.42",
    ];
    // And what is not the library's: left alone, however old.
    let young = [
        "aaaaaaaaaaaaaaaaaaaa.jpg",
        ".partial/bbbbbbbbbbbbbbbbbbbb.jpg.7",
        "notes.txt",
    ];
    for name in old.iter().chain(&young) {
        std::fs::write(dir.join(name), b"left behind").unwrap();
    }
    for name in old.iter().chain(&["notes.txt"]) {
        age(&dir.join(name), 20);
    }

    // The sweep `serve` runs at start and every hour.
    let removed = broadsheet::media::sweep(&app.state, broadsheet::media::ORPHAN_AGE)
        .await
        .unwrap();
    assert_eq!(removed, 3);
    for name in old {
        assert!(!dir.join(name).exists(), "{name} removed");
    }
    for name in young {
        assert!(dir.join(name).exists(), "{name} kept");
    }
    for name in kept.file_names() {
        assert!(dir.join(&name).exists(), "{name} kept (its row exists)");
    }
    let page = b.get(&svc, &kept.url()).await;
    assert_eq!(page.status, StatusCode::OK);
}

/// A 480 × 320 logo: a blue square in the middle, red bands either side.
fn wide_logo() -> Vec<u8> {
    let img = image::RgbImage::from_fn(480, 320, |x, _| {
        if (80..400).contains(&x) {
            image::Rgb([20, 40, 200])
        } else {
            image::Rgb([220, 20, 20])
        }
    });
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

#[actix_web::test]
async fn the_site_icon_is_cropped_square_in_the_sizes_browsers_ask_for() {
    let app = TestApp::new();
    app.user("editor", Role::Admin);
    app.post("Harbour news", "The harbour reopened.", 1);
    let svc = app.service().await;
    let mut b = Browser::new();
    b.login(&svc, &app, "editor").await;
    let logo = wide_logo();
    upload(
        &mut b,
        &svc,
        "Broadsheet logo",
        vec![file("logo.png", "image/png", &logo)],
    )
    .await;
    let m = media_rows(&app).remove(0);
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

    let mut reader = Browser::new();
    let article = reader.get(&svc, "/posts/harbour-news").await;
    for (link, address, size) in [
        ("icon", "/favicon.ico", 32),
        ("icon", "/icon-192.png", 192),
        ("icon", "/icon-512.png", 512),
        ("apple-touch-icon", "/apple-touch-icon.png", 180),
    ] {
        let head = format!(r#"<link rel="{link}" href="{address}?v={id}""#);
        assert!(article.contains(&head), "{head} in {}", article.body);
        assert!(article.contains(&format!(r#"sizes="{size}x{size}""#)));
        let res = test::call_service(
            &svc,
            test::TestRequest::get()
                .uri(&format!("{address}?v={id}"))
                .to_request(),
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK, "{address}");
        assert_eq!(
            res.headers().get(header::CONTENT_TYPE).unwrap(),
            "image/png"
        );
        let icon = image::load_from_memory(&test::read_body(res).await)
            .unwrap()
            .to_rgb8();
        assert_eq!(icon.dimensions(), (size, size), "{address} is square");
        // Cropped from the middle: the red bands at the sides are gone.
        for (x, y) in [(0, 0), (size - 1, size / 2), (size / 2, size - 1)] {
            let [r, _, blue] = icon.get_pixel(x, y).0;
            assert!(
                blue > 150 && r < 80,
                "{address} at {x},{y}: {:?}",
                icon.get_pixel(x, y)
            );
        }
    }

    // An icon without its square files (chosen before they were made, or
    // not written) is served as its image, and saving the settings makes them.
    let dir = app.state.media.folder().unwrap().to_path_buf();
    for name in m.icon_file_names() {
        std::fs::remove_file(dir.join(name)).unwrap();
    }
    macro_rules! favicon_size {
        () => {{
            let res = test::call_service(
                &svc,
                test::TestRequest::get().uri("/favicon.ico").to_request(),
            )
            .await;
            assert_eq!(res.status(), StatusCode::OK);
            let icon = image::load_from_memory(&test::read_body(res).await).unwrap();
            (icon.width(), icon.height())
        }};
    }
    assert_eq!(favicon_size!(), (480, 320));
    let fields = [
        ("title", "Broadsheet"),
        ("description", ""),
        ("posts_per_page", "10"),
        ("comment_policy", "open"),
        ("menu", ""),
        ("icon_media_id", id.as_str()),
    ];
    let res = b
        .submit(&svc, "/admin/settings", "/admin/settings", &fields)
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(favicon_size!(), (32, 32));

    // Deleting the image removes its icon files with it.
    assert!(dir.join(m.icon_file_name(180)).exists());
    let delete = format!("/admin/media/{}/delete", m.id);
    let ask = b.submit(&svc, "/admin/media", &delete, &[]).await;
    let token = ask.csrf();
    b.post(&svc, &delete, &[("csrf_token", &token), ("confirm", "yes")])
        .await;
    assert!(stored_files(&dir).is_empty(), "{:?}", stored_files(&dir));
}

/// Every `<a …>…</a>` in `html` with no text and no image alt inside: links
/// a screen reader can only call "link".
fn links_without_a_name(html: &str) -> Vec<String> {
    let mut nameless = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<a ") {
        let Some(len) = rest[start..].find("</a>") else {
            break;
        };
        let link = &rest[start..start + len + 4];
        rest = &rest[start + len + 4..];
        let open_end = link.find('>').unwrap() + 1;
        let inner = &link[open_end..link.len() - 4];
        let mut text = String::new();
        let mut in_tag = false;
        for c in inner.chars() {
            match c {
                '<' => in_tag = true,
                '>' => in_tag = false,
                c if !in_tag => text.push(c),
                _ => {}
            }
        }
        let has_alt = inner.contains("alt=\"") && !inner.contains("alt=\"\"");
        let labelled = link[..open_end].contains("aria-label=\"");
        if text.trim().is_empty() && !has_alt && !labelled {
            nameless.push(link.to_string());
        }
    }
    nameless
}

#[actix_web::test]
async fn the_library_asks_for_alt_text_and_marks_images_without_it() {
    let app = TestApp::new();
    app.user("editor", Role::Admin);
    let svc = app.service().await;
    let mut b = Browser::new();
    b.login(&svc, &app, "editor").await;

    // The form asks for it, and says why, without calling it optional.
    let form = b.get(&svc, "/admin/media").await;
    assert!(
        form.contains(r#"<label for="alt">Alt text</label>"#),
        "{}",
        form.body
    );
    assert!(form.contains(r#"aria-describedby="alt-help""#));
    assert!(form.contains("Say what the image shows"));

    let res = upload(
        &mut b,
        &svc,
        "",
        vec![file("pier.jpg", "image/jpeg", &jpeg(640, 480))],
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let added = b.get(&svc, "/admin/media").await;
    assert!(
        added.contains("Added 1 image. It has no alt text yet: add it below"),
        "{}",
        added.body
    );
    let res = upload(
        &mut b,
        &svc,
        "Gulls over the pier",
        vec![file("gulls.jpg", "image/jpeg", &jpeg(600, 400))],
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let rows = media_rows(&app);
    let bare = rows.iter().find(|m| m.alt.is_empty()).unwrap();
    let described = rows.iter().find(|m| !m.alt.is_empty()).unwrap();

    let library = b.get(&svc, "/admin/media").await;
    assert!(
        library.contains("One image on this page has no alt text"),
        "{}",
        library.body
    );
    assert!(library.contains(&format!(
        r##"<p class="row-sub field-error" id="media-{}-no-alt"><strong>No alt text yet.</strong> <a href="#alt-{}">Add alt text<span class="visually-hidden"> for pier.jpg</span></a></p>"##,
        bare.id, bare.id
    )));
    assert!(!library.contains(&format!("media-{}-no-alt", described.id)));
    // The thumbnail's link is named even without alt text.
    assert!(library.contains(r#"alt="pier.jpg (no alt text yet)""#));
    assert!(library.contains(r#"alt="Gulls over the pier""#));
    let nameless = links_without_a_name(&library.body);
    assert!(nameless.is_empty(), "links without a name: {nameless:#?}");

    // Once it has alt text, the note goes.
    let token = library.csrf();
    b.post(
        &svc,
        &format!("/admin/media/{}", bare.id),
        &[("csrf_token", &token), ("alt", "The pier at low tide")],
    )
    .await;
    let library = b.get(&svc, "/admin/media").await;
    assert!(!library.contains("No alt text yet"));
    assert!(!library.contains("no alt text, so"));
}

/// A lossless WebP of `jpeg`'s gradient (the only kind the image crate
/// writes), wrapped as a camera app would: an extended header announcing
/// EXIF, and an EXIF chunk holding `secret`.
fn webp_with_exif(w: u32, h: u32, secret: &str) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x * 255 / w) as u8, (y * 255 / h) as u8, 90])
    });
    let mut plain = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut Cursor::new(&mut plain), image::ImageFormat::WebP)
        .unwrap();
    assert_eq!(&plain[12..16], b"VP8L");
    let pixels = &plain[12..];
    let chunk = |kind: &[u8], body: &[u8]| {
        let mut c = kind.to_vec();
        c.extend_from_slice(&(body.len() as u32).to_le_bytes());
        c.extend_from_slice(body);
        if body.len() % 2 == 1 {
            c.push(0);
        }
        c
    };
    let mut vp8x = vec![0x08u8, 0, 0, 0];
    vp8x.extend_from_slice(&(w - 1).to_le_bytes()[..3]);
    vp8x.extend_from_slice(&(h - 1).to_le_bytes()[..3]);
    let mut exif = b"II*\0\x08\0\0\0\x01\0\x0e\x01\x02\0".to_vec();
    let text = format!("{secret}\0");
    exif.extend_from_slice(&(text.len() as u32).to_le_bytes());
    exif.extend_from_slice(&26u32.to_le_bytes());
    exif.extend_from_slice(&0u32.to_le_bytes());
    exif.extend_from_slice(text.as_bytes());
    let mut body = b"WEBP".to_vec();
    body.extend(chunk(b"VP8X", &vp8x));
    body.extend_from_slice(pixels);
    body.extend(chunk(b"EXIF", &exif));
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend(body);
    out
}

#[actix_web::test]
async fn a_webp_upload_is_kept_as_webp_no_larger_than_sent_and_without_its_metadata() {
    let app = TestApp::new();
    app.user("editor", Role::Admin);
    let svc = app.service().await;
    let mut b = Browser::new();
    b.login(&svc, &app, "editor").await;
    let secret = "GPS 48.8584 N 2.2945 E home";
    let sent = webp_with_exif(1200, 800, secret);
    assert!(image::load_from_memory(&sent).is_ok(), "a valid WebP");
    let res = upload(
        &mut b,
        &svc,
        "Dusk",
        vec![file("dusk.webp", "image/webp", &sent)],
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let m = media_rows(&app).remove(0);
    assert_eq!(m.format.as_str(), "webp");
    assert!(m.file_name().ends_with(".webp"), "{}", m.file_name());
    assert_eq!((m.width, m.height), (1200, 800));

    let dir = app.state.media.folder().unwrap().to_path_buf();
    let stored = std::fs::read(dir.join(m.file_name())).unwrap();
    assert!(
        stored.len() <= sent.len(),
        "{} > {}",
        stored.len(),
        sent.len()
    );
    assert!(
        !contains_bytes(&stored, secret.as_bytes()),
        "metadata removed"
    );
    assert!(!contains_bytes(&stored, b"EXIF"));
    let decoded = image::load_from_memory(&stored).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (1200, 800));
    // Narrower copies are WebP too, and each smaller than the full image.
    for name in m.file_names() {
        assert!(name.ends_with(".webp"), "{name}");
        let bytes = std::fs::read(dir.join(&name)).unwrap();
        assert!(bytes.len() <= stored.len(), "{name}");
        assert!(!contains_bytes(&bytes, secret.as_bytes()), "{name}");
    }
    let res = test::call_service(&svc, test::TestRequest::get().uri(&m.url()).to_request()).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers().get(header::CONTENT_TYPE).unwrap(),
        "image/webp"
    );
}
