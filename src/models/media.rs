//! The media library: one row per distinct image, and which posts use it.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::Conn;

use crate::models::paging::{Paged, Paging};
use crate::schema::{media, post_media, posts, settings};

text_enum! {
    /// How a stored image is encoded.
    pub enum MediaFormat {
        Jpeg = "jpeg",
        Png = "png",
        Gif = "gif",
        Webp = "webp",
    }
}

impl MediaFormat {
    pub fn extension(self) -> &'static str {
        match self {
            MediaFormat::Jpeg => "jpg",
            MediaFormat::Png => "png",
            MediaFormat::Gif => "gif",
            MediaFormat::Webp => "webp",
        }
    }
}

/// The square icons made of the site icon: a browser tab's (32 px), Apple's
/// home screen (180 px, `apple-touch-icon`) and Android's (192 and 512 px).
pub const ICON_SIZES: [u32; 4] = [32, 180, 192, 512];

/// The name ending of the site icon's file `size` pixels square (always PNG).
pub fn icon_suffix(size: u32) -> String {
    format!("-icon{size}")
}

/// A stored file's name: `{stem}{suffix}.{ext}`.
pub fn file_name(stem: &str, suffix: &str, format: MediaFormat) -> String {
    format!("{stem}{suffix}.{}", format.extension())
}

#[derive(Queryable, Selectable, Identifiable, Debug, Clone, PartialEq, Eq)]
#[diesel(table_name = media)]
pub struct Media {
    pub id: i32,
    pub hash: String,
    pub stem: String,
    pub format: MediaFormat,
    pub width: i32,
    pub height: i32,
    pub bytes: i64,
    pub variants: String,
    pub alt: String,
    pub original_name: String,
    pub uploaded_by: Option<i32>,
    pub created_at: NaiveDateTime,
}

#[derive(Insertable, Debug)]
#[diesel(table_name = media)]
pub struct NewMedia<'a> {
    pub hash: &'a str,
    pub stem: &'a str,
    pub format: MediaFormat,
    pub width: i32,
    pub height: i32,
    pub bytes: i64,
    pub variants: &'a str,
    pub alt: &'a str,
    pub original_name: &'a str,
    pub uploaded_by: Option<i32>,
    pub created_at: NaiveDateTime,
}

/// A post that shows an image, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Use {
    pub post_id: i32,
    pub title: String,
    /// As the cover (otherwise in the text).
    pub cover: bool,
}

impl Media {
    /// The full image's file name under the media folder.
    pub fn file_name(&self) -> String {
        file_name(&self.stem, "", self.format)
    }

    pub fn url(&self) -> String {
        format!("/media/{}", self.file_name())
    }

    /// Widths of the narrower copies, ascending.
    pub fn variant_widths(&self) -> Vec<i32> {
        self.variants
            .split(',')
            .filter_map(|w| w.trim().parse().ok())
            .collect()
    }

    pub fn variant_url(&self, width: i32) -> String {
        format!(
            "/media/{}",
            file_name(&self.stem, &format!("-{width}"), self.format)
        )
    }

    /// The name of the site icon's square PNG `size` pixels wide, made of
    /// this image when it was chosen as the icon.
    pub fn icon_file_name(&self, size: u32) -> String {
        file_name(&self.stem, &icon_suffix(size), MediaFormat::Png)
    }

    /// The icon files this image may have (whether or not it ever was the icon).
    pub fn icon_file_names(&self) -> Vec<String> {
        ICON_SIZES
            .iter()
            .map(|&size| self.icon_file_name(size))
            .collect()
    }

    /// Every stored file's name: the full image and its variants.
    pub fn file_names(&self) -> Vec<String> {
        std::iter::once(self.file_name())
            .chain(
                self.variant_widths()
                    .into_iter()
                    .map(|w| file_name(&self.stem, &format!("-{w}"), self.format)),
            )
            .collect()
    }

    /// `srcset` for every stored width, narrowest first.
    pub fn srcset(&self) -> String {
        self.variant_widths()
            .into_iter()
            .map(|w| format!("{} {w}w", self.variant_url(w)))
            .chain(std::iter::once(format!("{} {}w", self.url(), self.width)))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The smallest copy, for thumbnails.
    pub fn thumbnail_url(&self) -> String {
        match self.variant_widths().first() {
            Some(&w) => self.variant_url(w),
            None => self.url(),
        }
    }

    /// The height of a copy `width` wide, as the scaling rounded it.
    pub fn height_at(&self, width: i32) -> i32 {
        ((i64::from(self.height) * i64::from(width)) / i64::from(self.width.max(1))).max(1) as i32
    }

    /// Markdown that shows the image in a post.
    pub fn snippet(&self) -> String {
        let alt: String = self
            .alt
            .chars()
            .map(|c| if matches!(c, '[' | ']') { ' ' } else { c })
            .collect();
        format!("![{alt}]({})", self.url())
    }

    pub fn create(conn: &mut Conn, new: &NewMedia<'_>) -> QueryResult<Media> {
        // RETURNING is built per backend.
        crate::each_backend!(conn, c => diesel::insert_into(media::table)
            .values(new)
            .returning(Media::as_returning())
            .get_result(c))
    }

    pub fn find(conn: &mut Conn, id: i32) -> QueryResult<Option<Media>> {
        media::table
            .find(id)
            .select(Media::as_select())
            .first(conn)
            .optional()
    }

    pub fn find_by_hash(conn: &mut Conn, hash: &str) -> QueryResult<Option<Media>> {
        media::table
            .filter(media::hash.eq(hash))
            .select(Media::as_select())
            .first(conn)
            .optional()
    }

    /// The images whose files these names are (full or variant), by stem.
    pub fn by_stems(conn: &mut Conn, stems: &[String]) -> QueryResult<HashMap<String, Media>> {
        Ok(media::table
            .filter(media::stem.eq_any(stems))
            .select(Media::as_select())
            .load(conn)?
            .into_iter()
            .map(|m| (m.stem.clone(), m))
            .collect())
    }

    /// The library images among these `/media/…` addresses, by every
    /// address each is known at (full size and variants).
    pub fn pictures(conn: &mut Conn, paths: &[String]) -> QueryResult<crate::markdown::Pictures> {
        let stems: Vec<String> = paths
            .iter()
            .filter_map(|p| p.strip_prefix("/media/"))
            .map(|name| name.split(['-', '.']).next().unwrap_or("").to_string())
            .filter(|s| !s.is_empty())
            .collect();
        let mut pictures = crate::markdown::Pictures::new();
        for media in Media::by_stems(conn, &stems)?.into_values() {
            let picture = crate::markdown::Picture {
                id: media.id,
                src: media.url(),
                srcset: media.srcset(),
                width: media.width,
                height: media.height,
            };
            for name in media.file_names() {
                pictures.insert(format!("/media/{name}"), picture.clone());
            }
        }
        Ok(pictures)
    }

    /// Images by id (a list's covers).
    pub fn by_ids(conn: &mut Conn, ids: &[i32]) -> QueryResult<HashMap<i32, Media>> {
        Ok(media::table
            .filter(media::id.eq_any(ids))
            .select(Media::as_select())
            .load(conn)?
            .into_iter()
            .map(|m| (m.id, m))
            .collect())
    }

    /// What a form offers to choose from (a cover, the site icon): the
    /// `limit` newest images, and the chosen one wherever it is.
    pub fn newest_with(
        conn: &mut Conn,
        limit: i64,
        chosen: Option<i32>,
    ) -> QueryResult<Vec<Media>> {
        let mut choices = media::table
            .order((media::created_at.desc(), media::id.desc()))
            .limit(limit)
            .select(Media::as_select())
            .load(conn)?;
        if let Some(id) = chosen.filter(|id| !choices.iter().any(|m| m.id == *id)) {
            choices.extend(Media::find(conn, id)?);
        }
        Ok(choices)
    }

    /// Up to `limit` images with ids above `after`, by id (the export).
    pub fn batch(conn: &mut Conn, after: i32, limit: i64) -> QueryResult<Vec<Media>> {
        media::table
            .filter(media::id.gt(after))
            .order(media::id.asc())
            .limit(limit)
            .select(Media::as_select())
            .load(conn)
    }

    /// The library, newest first.
    pub fn page(conn: &mut Conn, paging: Paging) -> QueryResult<Paged<Media>> {
        paging.load(|limit, offset| {
            media::table
                .order((media::created_at.desc(), media::id.desc()))
                .limit(limit)
                .offset(offset)
                .select(Media::as_select())
                .load(conn)
        })
    }

    pub fn set_alt(conn: &mut Conn, id: i32, alt: &str) -> QueryResult<usize> {
        diesel::update(media::table.find(id))
            .set(media::alt.eq(alt))
            .execute(conn)
    }

    /// Removes the row; posts lose it as their cover, and the site its icon.
    pub fn delete(conn: &mut Conn, id: i32) -> QueryResult<usize> {
        diesel::delete(media::table.find(id)).execute(conn)
    }

    /// Where each of these images is shown: covers first, then texts.
    pub fn uses(conn: &mut Conn, ids: &[i32]) -> QueryResult<HashMap<i32, Vec<Use>>> {
        let mut uses: HashMap<i32, Vec<Use>> = HashMap::new();
        let covers: Vec<(Option<i32>, i32, String)> = posts::table
            .filter(posts::cover_media_id.eq_any(ids))
            .select((posts::cover_media_id, posts::id, posts::title))
            .load(conn)?;
        for (media_id, post_id, title) in covers.into_iter() {
            if let Some(media_id) = media_id {
                uses.entry(media_id).or_default().push(Use {
                    post_id,
                    title,
                    cover: true,
                });
            }
        }
        let texts: Vec<(i32, i32, String)> = post_media::table
            .inner_join(posts::table)
            .filter(post_media::media_id.eq_any(ids))
            .select((post_media::media_id, posts::id, posts::title))
            .load(conn)?;
        for (media_id, post_id, title) in texts {
            uses.entry(media_id).or_default().push(Use {
                post_id,
                title,
                cover: false,
            });
        }
        Ok(uses)
    }

    /// Whether the site's icon is this image.
    pub fn is_site_icon(conn: &mut Conn, id: i32) -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(
            settings::table.filter(settings::icon_media_id.eq(id)),
        ))
        .get_result(conn)
    }

    /// Records which images a post's text shows, replacing what it showed.
    pub fn link_to_post(conn: &mut Conn, post_id: i32, media_ids: &[i32]) -> QueryResult<()> {
        diesel::delete(post_media::table.filter(post_media::post_id.eq(post_id))).execute(conn)?;
        // Only images still in the library: one deleted since the text was
        // rendered is skipped, not an error.
        let existing = media::table
            .filter(media::id.eq_any(media_ids))
            .select((post_id.into_sql::<diesel::sql_types::Integer>(), media::id));
        match conn {
            Conn::Sqlite(c) => diesel::insert_or_ignore_into(post_media::table)
                .values(existing)
                .into_columns((post_media::post_id, post_media::media_id))
                .execute(c)?,
            Conn::Postgres(c) => diesel::insert_into(post_media::table)
                .values(existing)
                .into_columns((post_media::post_id, post_media::media_id))
                .on_conflict_do_nothing()
                .execute(c)?,
        };
        Ok(())
    }
}
