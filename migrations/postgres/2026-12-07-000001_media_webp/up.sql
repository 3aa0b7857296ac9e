-- WebP uploads are kept as WebP: the media format CHECK takes 'webp'.
ALTER TABLE media DROP CONSTRAINT media_format_check;
ALTER TABLE media ADD CONSTRAINT media_format_check CHECK (format IN ('jpeg', 'png', 'gif', 'webp'));
