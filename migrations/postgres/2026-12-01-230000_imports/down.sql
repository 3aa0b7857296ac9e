DROP TABLE import_jobs;
DROP TABLE imported;
ALTER TABLE posts DROP COLUMN format;

-- Guest comments go (their triggers run, as on SQLite: counts and
-- site_version follow), then the table is as before.
DELETE FROM comments WHERE author_id IS NULL;
ALTER TABLE comments DROP CONSTRAINT comments_guest_check;
ALTER TABLE comments DROP COLUMN guest_email;
ALTER TABLE comments DROP COLUMN guest_website;
ALTER TABLE comments DROP COLUMN guest_name;
ALTER TABLE comments ALTER COLUMN author_id SET NOT NULL;
