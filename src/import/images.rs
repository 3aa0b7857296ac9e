//! Images the content shows, brought into the library from a copy of the
//! old site's files (`--media-from`).

use super::*;

impl Import<'_> {
    /// The post's HTML with the images found in `--media-from` shown from
    /// the library (sanitised, as it would be anyway); as it was when none are.
    pub(super) fn bring_images(&mut self, html: &str) -> Result<String, AppError> {
        let clean = markdown::render_html_post(html, &markdown::Pictures::new()).html;
        let mut moved: HashMap<String, String> = HashMap::new();
        for address in uploads::image_addresses(&clean) {
            if address.starts_with("/media/") {
                continue;
            }
            if let Some(url) = self.library_image(&address)? {
                moved.insert(address, url);
            }
        }
        if moved.is_empty() {
            return Ok(html.to_string());
        }
        Ok(uploads::rewrite(&clean, |a| moved.get(a).cloned()))
    }

    /// The library address of the image file an old address names, bringing
    /// it in the first time; `None` when the folder lacks it or it is refused.
    pub(super) fn library_image(&mut self, address: &str) -> Result<Option<String>, AppError> {
        let Some(from) = self.options.media_from.clone() else {
            return Ok(None);
        };
        let Some(file) = uploads::file_for(&from.dir, address) else {
            self.report.images_missing += 1;
            return Ok(None);
        };
        if let Some(known) = self.images.get(&file) {
            return Ok(known.clone());
        }
        let url = self.bring_image(&from, &file)?;
        if self.images.len() > 100_000 {
            self.images.clear();
        }
        self.images.insert(file, url.clone());
        Ok(url)
    }

    pub(super) fn bring_image(
        &mut self,
        from: &MediaFrom,
        file: &std::path::Path,
    ) -> Result<Option<String>, AppError> {
        let key = file
            .strip_prefix(&from.dir)
            .unwrap_or(file)
            .to_string_lossy()
            .into_owned();
        let source = self.source.clone();
        let here = self.read(|conn| {
            match Imported::local_id(conn, &source, ImportedKind::Media, &key)? {
                Some(id) => Ok(Media::find(conn, id)?),
                None => Ok(None),
            }
        })?;
        if let Some(media) = here {
            return Ok(Some(media.url()));
        }
        let refuse = |report: &mut Report, why: &str| {
            report.warn(format!("{key} {why}; the posts show it from the old site"));
            Ok(None)
        };
        let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(u64::MAX);
        if size > crate::media::MAX_UPLOAD_BYTES as u64 {
            return refuse(&mut self.report, "is larger than an upload may be");
        }
        let bytes = match uploads::read_plain(file) {
            Ok(bytes) => bytes,
            Err(e) => return refuse(&mut self.report, &format!("cannot be read ({e})")),
        };
        let hash = crate::media::hash_of(&bytes);
        let lookup = hash.clone();
        if let Some(media) = self.read(|conn| Ok(Media::find_by_hash(conn, &lookup)?))? {
            if !self.options.dry_run {
                let id = media.id;
                self.write(|conn| {
                    Ok(Imported::record(
                        conn,
                        &source,
                        ImportedKind::Media,
                        &key,
                        id,
                        None,
                    )?)
                })?;
            }
            return Ok(Some(media.url()));
        }
        let processed = match crate::media::process(&bytes, hash) {
            Ok(processed) => processed,
            Err(why) => return refuse(&mut self.report, &why.to_string()),
        };
        self.report.images_copied += 1;
        if self.options.dry_run {
            return Ok(None);
        }
        let written = from
            .store
            .save(&processed)
            .map_err(AppError::FilesNotSaved)?;
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let saved = self.write(|conn| {
            let media = Media::create_processed(conn, &processed, "", &name, None)?;
            Imported::record(conn, &source, ImportedKind::Media, &key, media.id, None)?;
            Ok(media)
        });
        match saved {
            Ok(media) => Ok(Some(media.url())),
            Err(e) => {
                from.store.remove(&written);
                Err(e)
            }
        }
    }
}

/// The `src` of every `<img>` in sanitised HTML.
pub(super) fn image_sources(html: &str) -> Vec<String> {
    static IMG: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r#"<img\b[^>]*?\bsrc="([^"]*)""#).expect("a valid pattern")
    });
    IMG.captures_iter(html)
        .filter_map(|c| c.get(1).map(|m| m.as_str().replace("&amp;", "&")))
        .collect()
}
