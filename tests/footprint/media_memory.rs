//! Processing one image stays within the memory `media::MAX_DECODED_BYTES`
//! states, checked before the decoder allocates anything.

use std::io::Write;

use crate::{alone, status_mb};
use broadsheet::media::{self, Refused, MAX_DECODED_BYTES};

const MB: f64 = 1024.0 * 1024.0;

/// Peak resident memory from here on starts at the current size (Linux's
/// `clear_refs`, value 5, resets VmHWM).
fn reset_peak() -> f64 {
    std::fs::write("/proc/self/clear_refs", "5").expect("a resettable peak");
    status_mb("VmRSS:")
}

/// A `w` × `h` PNG, mostly one colour (a sky with a stripe), written a row at
/// a time so making it holds one row: a few hundred kilobytes for tens of
/// megapixels, the shape of the file in the audit.
fn big_png(w: u32, h: u32, depth: png::BitDepth) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, w, h);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(depth);
        let mut writer = encoder.write_header().unwrap();
        let mut stream = writer.stream_writer().unwrap();
        let bytes_per_pixel = if depth == png::BitDepth::Sixteen {
            8
        } else {
            4
        };
        let sky: Vec<u8> = (0..w).flat_map(|_| [90u8, 150, 220, 255]).collect();
        let stripe: Vec<u8> = (0..w)
            .flat_map(|x| [(x % 256) as u8, 40, 40, 255])
            .collect();
        for y in 0..h {
            let row = if y % 1000 < 4 { &stripe } else { &sky };
            if bytes_per_pixel == 8 {
                let wide: Vec<u8> = row.iter().flat_map(|&b| [b, b]).collect();
                stream.write_all(&wide).unwrap();
            } else {
                stream.write_all(row).unwrap();
            }
        }
        stream.finish().unwrap();
    }
    out
}

#[test]
fn forty_megapixel_pngs_and_jpegs_are_processed_within_the_stated_memory_and_a_heavier_one_refused_first(
) {
    let _alone = alone();
    let bound_mb = MAX_DECODED_BYTES as f64 / MB;

    // 8000 × 5000 in 8 bits a channel: 160 MB of pixels, which is allowed.
    let photo = big_png(8000, 5000, png::BitDepth::Eight);
    assert!(photo.len() < 1_000_000, "{} bytes", photo.len());
    let before = reset_peak();
    let processed = media::process(&photo, media::hash_of(&photo)).expect("a 40 MP PNG is taken");
    let grew = status_mb("VmHWM:") - before;
    assert_eq!((processed.width, processed.height), (2560, 1600));
    println!(
        "40 MP, 8-bit RGBA PNG of {} KB: peak +{grew:.0} MB",
        photo.len() / 1024
    );
    assert!(
        grew < bound_mb + 60.0,
        "processing took {grew:.0} MB over {before:.0} MB; the bound is {bound_mb:.0} + 60 MB"
    );
    drop(processed);

    // A camera's 40 MP photo (7744 × 5164, JPEG): 120 MB of RGB pixels,
    // within the bound, so it is taken.
    let camera = {
        let (w, h) = (7744u32, 5164u32);
        let pixels = image::RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([
                (x * 255 / w) as u8,
                (y * 255 / h) as u8,
                ((x ^ y) % 64) as u8,
            ])
        });
        let mut out = Vec::new();
        image::DynamicImage::ImageRgb8(pixels)
            .write_to(
                &mut std::io::Cursor::new(&mut out),
                image::ImageFormat::Jpeg,
            )
            .unwrap();
        out
    };
    let before = reset_peak();
    let processed =
        media::process(&camera, media::hash_of(&camera)).expect("a 40 MP JPEG is taken");
    let grew = status_mb("VmHWM:") - before;
    assert_eq!(processed.width, 2560);
    println!(
        "40 MP camera JPEG of {} KB: peak +{grew:.0} MB",
        camera.len() / 1024
    );
    assert!(grew < bound_mb + 60.0, "processing took {grew:.0} MB");
    drop((processed, camera));

    // The same canvas in 16 bits a channel would need 320 MB: refused from
    // its header, with the limit named, before its pixels are allocated.
    let deep = big_png(8000, 5000, png::BitDepth::Sixteen);
    let before = reset_peak();
    let refused = media::process(&deep, media::hash_of(&deep)).unwrap_err();
    let grew = status_mb("VmHWM:") - before;
    assert_eq!(refused, Refused::TooMuchMemory(320));
    let message = refused.to_string();
    assert!(message.contains("at most 160 MB"), "{message}");
    println!(
        "40 MP, 16-bit RGBA PNG of {} KB: refused, peak +{grew:.0} MB",
        deep.len() / 1024
    );
    assert!(grew < 20.0, "refusing took {grew:.0} MB");
}
