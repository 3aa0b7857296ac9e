DROP TRIGGER site_version_redirects_delete;
DROP TRIGGER site_version_redirects_update;
DROP TRIGGER site_version_redirects_insert;
DROP TABLE redirects;
