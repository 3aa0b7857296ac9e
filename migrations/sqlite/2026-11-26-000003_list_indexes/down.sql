DROP TRIGGER archive_months_update_new;
DROP TRIGGER archive_months_update_old;
DROP TRIGGER archive_months_delete;
DROP TRIGGER archive_months_insert;
DROP TABLE archive_months;
DROP TRIGGER post_tags_published_update;
DROP TRIGGER post_tags_published_insert;
DROP INDEX post_tags_tag_published;
ALTER TABLE post_tags DROP COLUMN published_at;
