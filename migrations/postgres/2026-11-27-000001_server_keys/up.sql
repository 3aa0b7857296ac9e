-- PostgreSQL twin of migrations/2026-11-27-000001_server_keys.
-- Secrets the server makes for itself on its first start (random, never
-- configured), such as the key that signs device cookies.
CREATE TABLE server_keys (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
