-- The sitemap's post files: a range of ids with each post's visibility, times
-- and slug read from this index alone, never from the rows (whose bodies
-- come first and would be read too).
CREATE INDEX posts_sitemap ON posts (id, status, published_at, updated_at, slug);
