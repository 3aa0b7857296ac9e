//! Uploaded images: recognised by their content, decoded within limits,
//! re-encoded without any metadata in the widths pages ask for, and stored
//! under names made from the hash of the uploaded bytes.

use std::io::Cursor;

use diesel::QueryResult;
use image::codecs::gif::{GifDecoder, GifEncoder, Repeat};
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType as PngFilter, PngEncoder};
use image::codecs::webp::WebPEncoder;
use image::{AnimationDecoder, DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use sha2::{Digest, Sha256};

use crate::db::{Conn, DbPool};
use crate::error::AppError;
use crate::models::media::Media;
/// Named here, kept with the rows: a library row knows its files' names.
pub use crate::models::media::{file_name, icon_suffix, MediaFormat, ICON_SIZES};

mod signing;
mod store;
pub use signing::RustCrypto;
pub use store::{parse_s3_url, Fetched, Store, StoreError, Uploader, MAX_FETCHES, REQUEST_TIMEOUT};

/// The largest file one upload may be.
pub const MAX_UPLOAD_BYTES: usize = 20 * 1024 * 1024;
/// Files one upload request may carry.
pub const MAX_FILES: usize = 10;
/// The most pixels a still image may have; read from its header, so a small
/// file that claims a huge canvas is refused before anything is allocated.
pub const MAX_PIXELS: u64 = 40_000_000;
/// An animated GIF is re-encoded frame by frame: its frames' pixels together.
pub const MAX_ANIMATION_PIXELS: u64 = 30_000_000;
/// The widest image stored; larger ones are scaled down to it (photos from
/// a camera are far wider than any screen shows them).
pub const FULL_WIDTH: u32 = 2560;
/// The narrower copies made for `srcset`, where the image is wider.
pub const VARIANT_WIDTHS: [u32; 3] = [480, 960, 1600];
/// Memory the decoder may take for its own tables and buffers, besides the
/// pixels (`MAX_DECODED_BYTES`).
const MAX_DECODE_BYTES: u64 = 256 * 1024 * 1024;
/// The most memory one image's decoded pixels may take, read from its header
/// before any is allocated: 40 megapixels of 8-bit RGBA. A camera's 40 MP
/// JPEG (RGB, 120 MB) fits; the same canvas in 16 bits a channel (a PNG can
/// claim it in a few hundred kilobytes) would take 320 MB and is refused.
/// With the scaled copies made from it, processing one image peaks at about
/// this plus 60 MB (`tests/footprint/media_memory.rs` measures it).
pub const MAX_DECODED_BYTES: u64 = MAX_PIXELS * 4;
const JPEG_QUALITY: u8 = 82;

/// Why an upload was refused, worded for the person who sent it (after the
/// file's name).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Refused {
    #[error("is not a JPEG, PNG, WebP or GIF image.")]
    NotAnImage,
    #[error("is an SVG image, which is not accepted (it can carry scripts): export it as PNG.")]
    Svg,
    #[error("is larger than {} MB.", MAX_UPLOAD_BYTES / (1024 * 1024))]
    TooLarge,
    #[error("is {0} × {1} pixels; an image may have at most {max} megapixels.", max = MAX_PIXELS / 1_000_000)]
    TooManyPixels(u32, u32),
    #[error("would need {0} MB of memory to read, and an image may take at most {max} MB (40 megapixels in 8 bits a channel): save it with 8 bits a channel, or with fewer pixels.", max = MAX_DECODED_BYTES / 1_000_000)]
    TooMuchMemory(u64),
    #[error("has too many frames: an animation may have at most {} megapixels in all its frames.", MAX_ANIMATION_PIXELS / 1_000_000)]
    AnimationTooLong,
    #[error("could not be read as an image ({0}); it may be truncated or damaged.")]
    Damaged(String),
}

/// One file to store: its name's ending (`""` for the full image, `-480`
/// for a variant) and its bytes.
#[derive(Debug)]
pub struct Encoded {
    pub suffix: String,
    pub bytes: Vec<u8>,
}

/// An upload ready to store.
#[derive(Debug)]
pub struct Processed {
    /// SHA-256 of the uploaded bytes, hex.
    pub hash: String,
    pub format: MediaFormat,
    pub width: u32,
    pub height: u32,
    /// Widths of the narrower variants, ascending.
    pub variants: Vec<u32>,
    /// The full image first, then the variants.
    pub files: Vec<Encoded>,
}

impl Processed {
    /// The start of every stored file's name.
    pub fn stem(&self) -> &str {
        stem_of(&self.hash)
    }

    pub fn total_bytes(&self) -> i64 {
        self.files.iter().map(|f| f.bytes.len() as i64).sum()
    }
}

/// The hex SHA-256 of an upload, which decides whether it is stored already.
pub fn hash_of(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// 80 bits of the hash: unique enough for one site's images, short in URLs.
pub fn stem_of(hash: &str) -> &str {
    &hash[..20.min(hash.len())]
}

/// How old a file with no row must be before a sweep removes it: far longer
/// than an upload takes between writing its files and inserting its row.
pub const ORPHAN_AGE: std::time::Duration = std::time::Duration::from_secs(15 * 60);
/// How often a running server sweeps the media store (it also does at start).
pub const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(60 * 60);

/// What a sweep needs of the application (`AppState`): its database and its
/// store. A trait, so media names no module above it.
pub trait Library {
    fn pool(&self) -> &DbPool;
    fn store(&self) -> &Store;
}

/// Removes partial files and files no library row has, older than `age`
/// (`Store::sweep`), off the async workers. The number of files removed.
pub async fn sweep(library: &impl Library, age: std::time::Duration) -> Result<usize, AppError> {
    let pool = library.pool().clone();
    let store = library.store().clone();
    let swept = actix_web::web::block(move || {
        store.sweep(age, |stems| {
            let mut conn = pool.get().map_err(|e| e.to_string())?;
            Media::by_stems(&mut conn, stems)
                .map(|found| found.into_keys().collect())
                .map_err(|e| e.to_string())
        })
    })
    .await?;
    swept.map_err(|why| AppError::FilesNotSaved(StoreError::Io(std::io::Error::other(why))))
}

// In media, not models: a model knows nothing of image processing.
impl Media {
    /// The row for an image just processed and saved, whoever sent it.
    pub fn create_processed(
        conn: &mut Conn,
        processed: &Processed,
        alt: &str,
        original_name: &str,
        uploaded_by: Option<i32>,
    ) -> QueryResult<Media> {
        let variants = processed
            .variants
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(",");
        Media::create(
            conn,
            &crate::models::media::NewMedia {
                hash: &processed.hash,
                stem: processed.stem(),
                format: processed.format,
                width: processed.width as i32,
                height: processed.height as i32,
                bytes: processed.total_bytes(),
                variants: &variants,
                alt,
                original_name,
                uploaded_by,
                created_at: crate::models::now(),
            },
        )
    }
}

/// Recognises, decodes and re-encodes one upload whose `hash_of` is `hash`.
/// CPU-heavy: `Store::process` runs it on the image thread.
pub fn process(bytes: &[u8], hash: String) -> Result<Processed, Refused> {
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(Refused::TooLarge);
    }
    let format = match image::guess_format(bytes) {
        Ok(f @ (ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP | ImageFormat::Gif)) => f,
        _ if looks_like_svg(bytes) => return Err(Refused::Svg),
        _ => return Err(Refused::NotAnImage),
    };
    if format == ImageFormat::Gif {
        if let Some(animated) = animation(bytes, &hash)? {
            return Ok(animated);
        }
    }
    let (image, turned) = decode_still(bytes, format)?;
    // Photos become JPEG; anything that may be drawn or transparent, PNG;
    // WebP stays WebP.
    let mut out = match format {
        ImageFormat::Jpeg => MediaFormat::Jpeg,
        ImageFormat::WebP => MediaFormat::Webp,
        _ => MediaFormat::Png,
    };
    let resized = image.width() > FULL_WIDTH;
    // The decoded image is let go as soon as its scaled copy exists, and no
    // copy of a full-size image is made: memory stays near the decode's.
    let full = if resized {
        let scaled = scale_to(&image, FULL_WIDTH);
        drop(image);
        scaled
    } else {
        image
    };
    let full_bytes = match out {
        // A WebP that needs no change of pixels is kept as it was encoded,
        // its metadata chunks removed: the encoder here is lossless only,
        // and re-encoding a lossy WebP that way makes it several times larger.
        MediaFormat::Webp if !resized && !turned => match webp_without_metadata(bytes) {
            Some(kept) => kept,
            None => encode(&full, out)?,
        },
        _ => encode(&full, out)?,
    };
    // A WebP scaled down or turned upright is encoded again, losslessly; a
    // photo (no transparency) that comes out larger than the upload is
    // stored as JPEG instead, as before WebP was kept.
    let full_bytes = if out == MediaFormat::Webp
        && full_bytes.len() > bytes.len()
        && !full.color().has_alpha()
    {
        out = MediaFormat::Jpeg;
        encode(&full, out)?
    } else {
        full_bytes
    };
    let full_size = full_bytes.len();
    let mut files = vec![Encoded {
        suffix: String::new(),
        bytes: full_bytes,
    }];
    // Each variant is scaled from the next larger one: cheaper, and as sharp.
    let widths: Vec<u32> = VARIANT_WIDTHS
        .iter()
        .copied()
        .filter(|&w| w < full.width())
        .collect();
    let mut variants = Vec::new();
    let mut smaller: Option<DynamicImage> = None;
    for &w in widths.iter().rev() {
        let next = scale_to(smaller.as_ref().unwrap_or(&full), w);
        let encoded = encode(&next, out)?;
        // A narrower copy only helps readers when it is smaller than the full
        // image, which a lossless WebP copy of a lossy upload may not be.
        if out != MediaFormat::Webp || encoded.len() < full_size {
            files.push(Encoded {
                suffix: format!("-{w}"),
                bytes: encoded,
            });
            variants.push(w);
        }
        smaller = Some(next);
    }
    variants.sort_unstable();
    Ok(Processed {
        hash,
        format: out,
        width: full.width(),
        height: full.height(),
        variants,
        files,
    })
}

fn looks_like_svg(bytes: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]).to_ascii_lowercase();
    head.contains("<svg")
}

fn limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(50_000);
    limits.max_image_height = Some(50_000);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    limits
}

fn damaged(e: image::ImageError) -> Refused {
    match e {
        image::ImageError::Limits(_) => {
            Refused::Damaged("it needs more memory than allowed".into())
        }
        other => Refused::Damaged(other.to_string()),
    }
}

/// A WebP file as it came, less its metadata: only the chunks that hold
/// pixels (`VP8 `, `VP8L`, `ALPH`) and the extended header (`VP8X`, its ICC,
/// EXIF and XMP flags cleared) are kept. `None` for an animation (stored as
/// its first frame) or a file whose chunks do not add up.
fn webp_without_metadata(bytes: &[u8]) -> Option<Vec<u8>> {
    let le32 = |at: usize| -> Option<usize> {
        let b: [u8; 4] = bytes.get(at..at + 4)?.try_into().ok()?;
        usize::try_from(u32::from_le_bytes(b)).ok()
    };
    if bytes.get(0..4)? != b"RIFF" || bytes.get(8..12)? != b"WEBP" {
        return None;
    }
    let end = 8usize.checked_add(le32(4)?)?;
    if end > bytes.len() {
        return None;
    }
    let mut out = b"RIFF\0\0\0\0WEBP".to_vec();
    let mut at = 12;
    let mut pixels = false;
    while at + 8 <= end {
        let kind = bytes.get(at..at + 4)?;
        let size = le32(at + 4)?;
        let body_end = (at + 8).checked_add(size)?;
        if body_end > end {
            return None;
        }
        let chunk = &bytes[at..body_end];
        match kind {
            b"VP8X" => {
                let mut header = chunk.to_vec();
                let flags = header.get_mut(8)?;
                const ANIMATION: u8 = 0x02;
                if *flags & ANIMATION != 0 {
                    return None;
                }
                const ICC: u8 = 0x20;
                const EXIF: u8 = 0x08;
                const XMP: u8 = 0x04;
                *flags &= !(ICC | EXIF | XMP);
                out.extend_from_slice(&header);
            }
            b"VP8 " | b"VP8L" | b"ALPH" => {
                pixels |= kind != b"ALPH";
                out.extend_from_slice(chunk);
            }
            _ => {}
        }
        // Chunks are padded to an even length.
        if size % 2 == 1 && matches!(kind, b"VP8X" | b"VP8 " | b"VP8L" | b"ALPH") {
            out.push(0);
        }
        at = body_end + size % 2;
    }
    let riff_size = u32::try_from(out.len() - 8).ok()?;
    out[4..8].copy_from_slice(&riff_size.to_le_bytes());
    pixels.then_some(out)
}

/// Decodes a still image upright: the orientation a camera recorded is
/// applied to the pixels, since the re-encoded file carries no metadata.
/// Also says whether the pixels were turned.
fn decode_still(bytes: &[u8], format: ImageFormat) -> Result<(DynamicImage, bool), Refused> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits());
    let mut decoder = reader.into_decoder().map_err(damaged)?;
    let (w, h) = decoder.dimensions();
    if u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(Refused::TooManyPixels(w, h));
    }
    // `from_decoder` allocates the whole canvas at once, outside the
    // decoder's limits: its size is checked here, before.
    let needed = decoder.total_bytes();
    if needed > MAX_DECODED_BYTES {
        return Err(Refused::TooMuchMemory(needed.div_ceil(1_000_000)));
    }
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(damaged)?;
    image.apply_orientation(orientation);
    if format == ImageFormat::Jpeg && !jpeg_is_complete(bytes) {
        return Err(Refused::Damaged(
            "the file ends before the image does".into(),
        ));
    }
    Ok((
        image,
        orientation != image::metadata::Orientation::NoTransforms,
    ))
}

/// The JPEG decoder fills a cut-off image with grey rather than failing, so
/// completeness is checked here: the end-of-image marker must be present
/// (cameras may append data after it).
fn jpeg_is_complete(bytes: &[u8]) -> bool {
    bytes
        .windows(2)
        .rev()
        .take(64 * 1024)
        .any(|w| w == [0xFF, 0xD9])
}

/// An animated GIF, re-encoded frame by frame at its own size (frames are
/// composed by the decoder, so none keeps anything but pixels and delays).
/// `None` for a GIF of one frame, which is treated as a still image.
fn animation(bytes: &[u8], hash: &str) -> Result<Option<Processed>, Refused> {
    let mut decoder = GifDecoder::new(Cursor::new(bytes)).map_err(damaged)?;
    decoder.set_limits(limits()).map_err(damaged)?;
    let (w, h) = decoder.dimensions();
    let per_frame = u64::from(w) * u64::from(h);
    if per_frame > MAX_PIXELS {
        return Err(Refused::TooManyPixels(w, h));
    }
    let mut frames = decoder.into_frames();
    let Some(first) = frames.next() else {
        return Err(Refused::Damaged("it has no frames".into()));
    };
    let first = first.map_err(damaged)?;
    let Some(second) = frames.next() else {
        return Ok(None);
    };
    let mut out = Vec::new();
    {
        let mut encoder = GifEncoder::new_with_speed(&mut out, 10);
        encoder.set_repeat(Repeat::Infinite).map_err(damaged)?;
        let mut pixels = per_frame;
        encoder.encode_frame(first).map_err(damaged)?;
        for frame in std::iter::once(second).chain(frames) {
            pixels += per_frame;
            if pixels > MAX_ANIMATION_PIXELS {
                return Err(Refused::AnimationTooLong);
            }
            encoder
                .encode_frame(frame.map_err(damaged)?)
                .map_err(damaged)?;
        }
    }
    Ok(Some(Processed {
        hash: hash.to_string(),
        format: MediaFormat::Gif,
        width: w,
        height: h,
        variants: Vec::new(),
        files: vec![Encoded {
            suffix: String::new(),
            bytes: out,
        }],
    }))
}

/// Scaled down by averaging the pixels each new one covers: in 8 bits,
/// without the float copy of the whole image a filtered resize makes (123 MB
/// for a 12-megapixel photo), and about three times faster.
fn scale_to(image: &DynamicImage, width: u32) -> DynamicImage {
    let height = (u64::from(image.height()) * u64::from(width) / u64::from(image.width()).max(1))
        .max(1) as u32;
    image.thumbnail_exact(width, height)
}

fn encode(image: &DynamicImage, format: MediaFormat) -> Result<Vec<u8>, Refused> {
    let mut out = Vec::new();
    match format {
        // Converted only when the pixels are not already what the encoder
        // takes: a full-size image is never copied just to be written.
        MediaFormat::Jpeg => {
            let encoder = JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY);
            match image {
                DynamicImage::ImageRgb8(_) => image.write_with_encoder(encoder),
                _ => DynamicImage::ImageRgb8(image.to_rgb8()).write_with_encoder(encoder),
            }
        }
        MediaFormat::Png => {
            let encoder = PngEncoder::new_with_quality(
                &mut out,
                CompressionType::Default,
                PngFilter::Adaptive,
            );
            rgb_or_rgba(image, encoder)
        }
        MediaFormat::Webp => {
            let encoder = WebPEncoder::new_lossless(&mut out);
            rgb_or_rgba(image, encoder)
        }
        MediaFormat::Gif => unreachable!("still images are stored as JPEG, PNG or WebP"),
    }
    .map_err(damaged)?;
    Ok(out)
}

/// Writes `image` as 8-bit RGB, or RGBA when it has alpha (what the PNG and
/// WebP encoders take), converting only when it is not that already.
fn rgb_or_rgba(image: &DynamicImage, encoder: impl image::ImageEncoder) -> image::ImageResult<()> {
    match image {
        DynamicImage::ImageRgb8(_) | DynamicImage::ImageRgba8(_) => {
            image.write_with_encoder(encoder)
        }
        _ if image.color().has_alpha() => {
            DynamicImage::ImageRgba8(image.to_rgba8()).write_with_encoder(encoder)
        }
        _ => DynamicImage::ImageRgb8(image.to_rgb8()).write_with_encoder(encoder),
    }
}

/// Work for the image thread: it runs the closure, which sends its answer.
type Job = Box<dyn FnOnce() + Send>;

/// The thread images are processed on: one image at a time, and always the
/// same thread, so the allocator reuses one arena instead of every blocking
/// thread keeping the hundreds of megabytes a photo needed.
#[derive(Debug)]
struct Processor {
    jobs: std::sync::mpsc::SyncSender<Job>,
}

impl Processor {
    fn start() -> Processor {
        let (jobs, queue) = std::sync::mpsc::sync_channel::<Job>(1);
        let spawned = std::thread::Builder::new()
            .name("broadsheet-images".into())
            .spawn(move || {
                // Ends when the store (every sender) is gone. A job that
                // panics drops its reply sender, which its waiter sees.
                for job in queue {
                    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                }
            });
        if let Err(e) = spawned {
            tracing::error!("could not start the image thread: {e}");
        }
        Processor { jobs }
    }
}

/// Square PNG icons of a stored image (its full file's bytes), cropped to
/// the centre, one per `ICON_SIZES`. CPU-heavy: `Store::icons` runs it on
/// the image thread.
pub fn icons(bytes: &[u8]) -> Result<Vec<Encoded>, Refused> {
    let format = match image::guess_format(bytes) {
        Ok(f @ (ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP | ImageFormat::Gif)) => f,
        _ => return Err(Refused::NotAnImage),
    };
    let (image, _) = decode_still(bytes, format)?;
    let side = image.width().min(image.height()).max(1);
    let square = image.crop_imm(
        (image.width() - side) / 2,
        (image.height() - side) / 2,
        side,
        side,
    );
    drop(image);
    ICON_SIZES
        .iter()
        .map(|&size| {
            // Averaging when shrinking (as `scale_to`); a small image is
            // enlarged smoothly rather than in blocks.
            let icon = if side > size {
                square.thumbnail_exact(size, size)
            } else {
                square.resize_exact(size, size, image::imageops::FilterType::Triangle)
            };
            Ok(Encoded {
                suffix: icon_suffix(size),
                bytes: encode(&icon, MediaFormat::Png)?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A photo-like image: smooth light, fine texture and sensor noise
    /// (a fixed xorshift, so every run measures the same pixels).
    fn photo(w: u32, h: u32) -> DynamicImage {
        let mut seed: u32 = 0x9E37_79B9;
        let img = image::RgbImage::from_fn(w, h, |x, y| {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            let noise = (seed % 9) as i32 - 4;
            let texture = (((x / 3) ^ (y / 5)) % 7) as i32;
            let light = |base: u32, scale: u32| {
                (base as i32 + ((x * scale / w) as i32) - ((y * 60 / h) as i32) + texture + noise)
                    .clamp(0, 255) as u8
            };
            image::Rgb([light(90, 80), light(110, 60), light(140, 40)])
        });
        DynamicImage::ImageRgb8(img)
    }

    /// The sizes the WebP choice rests on (`cargo test --lib webp_sizes --
    /// --ignored --nocapture`): the image crate writes only lossless WebP,
    /// several times a JPEG's size for a photo.
    #[test]
    #[ignore = "a measurement, printed"]
    fn webp_sizes() {
        let full = photo(2560, 1707);
        for w in [480, 960, 1600, 2560] {
            let img = scale_to(&full, w);
            let webp = encode(&img, MediaFormat::Webp).unwrap().len();
            let jpeg = encode(&img, MediaFormat::Jpeg).unwrap().len();
            println!(
                "{w} px: lossless WebP {} KB, JPEG q{JPEG_QUALITY} {} KB",
                webp / 1024,
                jpeg / 1024
            );
            assert!(webp > jpeg);
        }
    }

    fn riff(chunks: &[(&[u8; 4], &[u8])]) -> Vec<u8> {
        let mut body = b"WEBP".to_vec();
        for (kind, data) in chunks {
            body.extend_from_slice(*kind);
            body.extend_from_slice(&(data.len() as u32).to_le_bytes());
            body.extend_from_slice(data);
            if data.len() % 2 == 1 {
                body.push(0);
            }
        }
        let mut out = b"RIFF".to_vec();
        out.extend_from_slice(&(body.len() as u32).to_le_bytes());
        out.extend(body);
        out
    }

    #[test]
    fn webp_metadata_chunks_are_dropped_and_odd_files_left_to_the_encoder() {
        // Flags: ICC, alpha, EXIF, XMP; canvas 1 × 1.
        let header = [0x3Cu8, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        let file = riff(&[
            (b"VP8X", &header),
            (b"ICCP", b"profile"),
            (b"ALPH", b"a"),
            (b"VP8L", b"pixels"),
            (b"EXIF", b"GPS here"),
            (b"XMP ", b"<x:xmpmeta/>"),
        ]);
        let kept = webp_without_metadata(&file).unwrap();
        let mut header_kept = header;
        header_kept[0] = 0x10;
        assert_eq!(
            kept,
            riff(&[
                (b"VP8X", &header_kept),
                (b"ALPH", b"a"),
                (b"VP8L", b"pixels")
            ])
        );
        // An animation, a file with no pixels, a chunk past the end, and
        // something else altogether.
        let animated = [0x02u8, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        assert!(webp_without_metadata(&riff(&[(b"VP8X", &animated), (b"VP8L", b"p")])).is_none());
        assert!(webp_without_metadata(&riff(&[(b"EXIF", b"only")])).is_none());
        let mut cut = riff(&[(b"VP8L", b"pixels")]);
        cut.truncate(cut.len() - 3);
        assert!(webp_without_metadata(&cut).is_none());
        assert!(webp_without_metadata(b"GIF89a").is_none());
    }
}
