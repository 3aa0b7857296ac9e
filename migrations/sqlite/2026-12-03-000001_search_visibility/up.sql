-- Search joins every match to its post for the post's visibility: this
-- index holds what that join reads, so a match costs no visit to the
-- post's row (which spans overflow pages on SQLite).
CREATE INDEX posts_visible_by_id ON posts (id, status, published_at);
