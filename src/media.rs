//! Uploaded images: recognised by their content, decoded within limits,
//! re-encoded without any metadata in the widths pages ask for, and stored
//! under names made from the hash of the uploaded bytes.

use std::io::Cursor;

use image::codecs::gif::{GifDecoder, GifEncoder, Repeat};
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType as PngFilter, PngEncoder};
use image::{AnimationDecoder, DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use sha2::{Digest, Sha256};

use crate::models::media::MediaFormat;

mod store;
pub use store::{parse_s3_url, Fetched, Store, StoreError, MAX_FETCHES};

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
/// Memory the decoder may take for one image.
const MAX_DECODE_BYTES: u64 = 256 * 1024 * 1024;
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
    let image = decode_still(bytes, format)?;
    // Photos become JPEG; anything that may be drawn or transparent, PNG.
    let out = if format == ImageFormat::Jpeg
        || (format == ImageFormat::WebP && !image.color().has_alpha())
    {
        MediaFormat::Jpeg
    } else {
        MediaFormat::Png
    };
    let full = if image.width() > FULL_WIDTH {
        scale_to(&image, FULL_WIDTH)
    } else {
        image
    };
    let mut files = vec![Encoded {
        suffix: String::new(),
        bytes: encode(&full, out)?,
    }];
    // Each variant is scaled from the next larger one: cheaper, and as sharp.
    let mut variants: Vec<u32> = VARIANT_WIDTHS
        .iter()
        .copied()
        .filter(|&w| w < full.width())
        .collect();
    let mut source = full.clone();
    for &w in variants.iter().rev() {
        source = scale_to(&source, w);
        files.push(Encoded {
            suffix: format!("-{w}"),
            bytes: encode(&source, out)?,
        });
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

/// Decodes a still image upright: the orientation a camera recorded is
/// applied to the pixels, since the re-encoded file carries no metadata.
fn decode_still(bytes: &[u8], format: ImageFormat) -> Result<DynamicImage, Refused> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits());
    let mut decoder = reader.into_decoder().map_err(damaged)?;
    let (w, h) = decoder.dimensions();
    if u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(Refused::TooManyPixels(w, h));
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
    Ok(image)
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
        MediaFormat::Jpeg => {
            let rgb = DynamicImage::ImageRgb8(image.to_rgb8());
            rgb.write_with_encoder(JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY))
        }
        MediaFormat::Png => {
            let eight_bit = if image.color().has_alpha() {
                DynamicImage::ImageRgba8(image.to_rgba8())
            } else {
                DynamicImage::ImageRgb8(image.to_rgb8())
            };
            eight_bit.write_with_encoder(PngEncoder::new_with_quality(
                &mut out,
                CompressionType::Default,
                PngFilter::Adaptive,
            ))
        }
        MediaFormat::Gif => unreachable!("still images are stored as JPEG or PNG"),
    }
    .map_err(damaged)?;
    Ok(out)
}

type Job = (
    Vec<u8>,
    String,
    tokio::sync::oneshot::Sender<Result<Processed, Refused>>,
);

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
                // Ends when the store (every sender) is gone.
                for (bytes, hash, reply) in queue {
                    let done = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        process(&bytes, hash)
                    }))
                    .unwrap_or_else(|_| Err(Refused::Damaged("the decoder failed on it".into())));
                    let _ = reply.send(done);
                }
            });
        if let Err(e) = spawned {
            tracing::error!("could not start the image thread: {e}");
        }
        Processor { jobs }
    }
}

/// A stored file's name: `{stem}{suffix}.{ext}`.
pub fn file_name(stem: &str, suffix: &str, format: MediaFormat) -> String {
    format!("{stem}{suffix}.{}", format.extension())
}
