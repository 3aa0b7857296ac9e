-- Back to the three formats (rows in WebP are left as they are: SQLite does
-- not check existing rows against an edited CHECK).
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
    SET sql = replace(sql, 'CHECK (format IN (''jpeg'', ''png'', ''gif'', ''webp''))',
                           'CHECK (format IN (''jpeg'', ''png'', ''gif''))')
    WHERE type = 'table' AND name = 'media';
PRAGMA writable_schema = OFF;
