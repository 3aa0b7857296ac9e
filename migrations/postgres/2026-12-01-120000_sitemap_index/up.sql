-- PostgreSQL twin of migrations/2026-12-01-120000_sitemap_index.
-- The sitemap's post files: a range of ids with each post's visibility, times
-- and slug read from this index alone, never from the rows (whose bodies
-- come first and would be read too). On PostgreSQL an index-only scan also
-- needs the visibility map to be current (autovacuum keeps it so).
CREATE INDEX posts_sitemap ON posts (id, status, published_at, updated_at, slug);
