-- WebP uploads are kept as WebP: the media format CHECK takes 'webp'.
-- SQLite cannot change a CHECK, and rebuilding `media` would drop the old
-- table, which (foreign keys being on, and they cannot be turned off inside
-- the migration's transaction) runs the ON DELETE actions of the tables that
-- refer to it: every cover, the site icon and post_media would be lost. A
-- CHECK that only grows cannot be broken by any row, so the table's
-- definition is edited in place, as SQLite's documentation gives for
-- loosening a constraint (https://www.sqlite.org/lang_altertable.html,
-- "Making Other Kinds Of Table Schema Changes").
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
    SET sql = replace(sql, 'CHECK (format IN (''jpeg'', ''png'', ''gif''))',
                           'CHECK (format IN (''jpeg'', ''png'', ''gif'', ''webp''))')
    WHERE type = 'table' AND name = 'media';
PRAGMA writable_schema = OFF;
