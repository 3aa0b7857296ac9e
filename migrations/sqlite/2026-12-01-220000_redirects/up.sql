-- Old addresses that answer 301 to their new place: added by hand in the
-- dashboard, by an import (a WordPress or Blogger site's permalinks), and
-- when a published post's address changes. Looked up only for addresses
-- the site does not answer itself (and for the old sites' query links).
CREATE TABLE redirects (
    id INTEGER PRIMARY KEY NOT NULL,
    -- A path with its query, as a browser sends it (`/2019/05/03/slug/`, `/?p=12`).
    from_path TEXT NOT NULL UNIQUE,
    -- A path on this site, or an absolute http(s) address.
    to_path TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX redirects_by_target ON redirects (to_path);
CREATE INDEX redirects_newest ON redirects (created_at DESC, id DESC);

-- A cached "not found" for an address that now redirects must go.
CREATE TRIGGER site_version_redirects_insert AFTER INSERT ON redirects
BEGIN
    UPDATE site_version SET version = version + 1 WHERE id = 1;
END;

CREATE TRIGGER site_version_redirects_update AFTER UPDATE ON redirects
BEGIN
    UPDATE site_version SET version = version + 1 WHERE id = 1;
END;

CREATE TRIGGER site_version_redirects_delete AFTER DELETE ON redirects
BEGIN
    UPDATE site_version SET version = version + 1 WHERE id = 1;
END;
