DROP INDEX posts_visible_by_id;
