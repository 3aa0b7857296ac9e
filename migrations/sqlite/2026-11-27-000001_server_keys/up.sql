-- Secrets the server makes for itself on its first start (random, never
-- configured), such as the key that signs device cookies.
CREATE TABLE server_keys (
    name TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) WITHOUT ROWID;
