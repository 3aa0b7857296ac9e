-- The media library: one row per distinct upload (keyed by the hash of the
-- uploaded bytes, so the same file twice is stored once). The files live
-- under --media-dir as `{stem}.{ext}` (the full image, at most 2560 px wide)
-- and `{stem}-{width}.{ext}` for each narrower variant listed in `variants`.
CREATE TABLE media (
    id INTEGER PRIMARY KEY NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    stem TEXT NOT NULL UNIQUE,
    format TEXT NOT NULL CHECK (format IN ('jpeg', 'png', 'gif')),
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    -- Bytes of all its stored files together.
    bytes INTEGER NOT NULL,
    -- Widths of the narrower variants, ascending, comma-separated.
    variants TEXT NOT NULL DEFAULT '',
    alt TEXT NOT NULL DEFAULT '',
    original_name TEXT NOT NULL DEFAULT '',
    uploaded_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL
);
-- The library lists newest first.
CREATE INDEX media_newest ON media (created_at DESC, id DESC);

-- Which posts show which images in their text, written when a post is saved.
CREATE TABLE post_media (
    post_id INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    media_id INTEGER NOT NULL REFERENCES media (id) ON DELETE CASCADE,
    PRIMARY KEY (post_id, media_id)
) WITHOUT ROWID;
CREATE INDEX post_media_by_media ON post_media (media_id, post_id);

ALTER TABLE posts ADD COLUMN cover_media_id INTEGER REFERENCES media (id) ON DELETE SET NULL;
ALTER TABLE posts ADD COLUMN custom_excerpt TEXT NOT NULL DEFAULT '';
ALTER TABLE posts ADD COLUMN search_description TEXT NOT NULL DEFAULT '';
CREATE INDEX posts_by_cover ON posts (cover_media_id) WHERE cover_media_id IS NOT NULL;

ALTER TABLE settings ADD COLUMN icon_media_id INTEGER REFERENCES media (id) ON DELETE SET NULL;

-- Covers show the library's alt text and vanish with a deleted image, so
-- both are changes a reader sees.
CREATE TRIGGER site_version_media_update AFTER UPDATE ON media
BEGIN
    UPDATE site_version SET version = version + 1 WHERE id = 1;
END;

CREATE TRIGGER site_version_media_delete AFTER DELETE ON media
BEGIN
    UPDATE site_version SET version = version + 1 WHERE id = 1;
END;
