DROP TRIGGER site_version_redirects_delete ON redirects;
DROP TRIGGER site_version_redirects_update ON redirects;
DROP TRIGGER site_version_redirects_insert ON redirects;
DROP TABLE redirects;
