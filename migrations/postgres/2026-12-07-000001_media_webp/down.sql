-- Back to the three formats (refused while WebP rows exist).
ALTER TABLE media DROP CONSTRAINT media_format_check;
ALTER TABLE media ADD CONSTRAINT media_format_check CHECK (format IN ('jpeg', 'png', 'gif'));
