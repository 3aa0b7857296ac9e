#!/usr/bin/env python3
"""Checks that the PostgreSQL migrations (migrations/postgres/) stay in step
with the SQLite ones (migrations/sqlite/): run it after adding or changing either.

It builds both databases from scratch, a temporary SQLite file (python's
sqlite3, FTS5 needed) and a temporary PostgreSQL database `mig_parity_<pid>`
that it creates and drops itself, and checks:

  1. the migration folders are the same, in the same order, each with an
     up.sql and a down.sql;
  2. every up.sql applies in order, every down.sql in reverse order, then
     every up.sql again (each in one transaction, as diesel runs them), and
     the down migrations leave nothing behind on PostgreSQL;
  3. the end schema: tables, column names, order, nullability, (mapped) types
     and defaults, collations (NOCASE), primary keys, unique keys, CHECKs,
     foreign keys with their ON DELETE/ON UPDATE, indexes (columns, DESC,
     uniqueness, partial WHERE), triggers (table, event, UPDATE OF columns,
     WHEN); and PostgreSQL's column types against src/schema.rs (what diesel
     compiles against);
  4. behaviour: a few rows written right after the first migration (so the
     later migrations' data steps run on real rows), then one DML scenario
     that touches every trigger, on both; after every migration step up and
     down, and after the scenario, every table's rows are compared, which
     covers all trigger-kept columns and tables (comment_count, post_count,
     post_tags.published_at, archive_months, site_version) and the search
     index (posts_fts on SQLite, posts_search's title/body/tags here);
     constraint probes (CHECKs, NOCASE uniqueness, foreign keys) must fail on
     both; a few lookups must give the same answer on both;
  5. search: the same queries match the same posts through FTS5 and through
     posts_search (words, stems, accents, prefixes), and ranked, highlighted
     queries run.

Differences are printed; the exit status is 1 if there is any, 0 if none.

The known, designed differences are listed below (SEARCH_*, TRIGGER_RENAMES,
PG_ONLY_*); anything else is reported.

Usage:
  python3 migrations/postgres/check_parity.py [--pg-url URL] [--port N] [--keep]

URL is a libpq URL of a server where the user may create databases; it is
used only to create and drop the temporary database. Defaults: $PARITY_PG_URL,
else postgresql://broadsheet@127.0.0.1:55432/postgres (the development
server). --port overrides the URL's port. Needs psql on PATH.
"""

import argparse
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
SQLITE_DIR = os.path.join(os.path.dirname(HERE), "sqlite")
SCHEMA_RS = os.path.join(SQLITE_DIR, "..", "..", "src", "schema.rs")
DEFAULT_URL = "postgresql://broadsheet@127.0.0.1:55432/postgres"

# --- designed differences --------------------------------------------------

# SQLite's FTS5 table (and its shadow tables) and PostgreSQL's posts_search
# are compared by content (see dump_*), not by shape.
SQLITE_SEARCH_TABLE = "posts_fts"
PG_SEARCH_TABLE = "posts_search"
# Objects only PostgreSQL has, by design.
PG_ONLY_INDEXES = {"posts_search_document", "posts_search_pkey"}
PG_ONLY_FUNCTIONS = {"posts_search_tags"}
# SQLite trigger -> the PostgreSQL trigger doing its work (same table, event
# and WHEN), or None where a foreign key does it (checked below).
TRIGGER_RENAMES = {
    "posts_fts_insert": "posts_search_insert",
    "posts_fts_title": "posts_search_title",
    "posts_fts_body": "posts_search_body",
    "posts_fts_delete": None,  # posts_search.post_id ... ON DELETE CASCADE
    "post_tags_fts_insert": "post_tags_search_insert",
    "post_tags_fts_delete": "post_tags_search_delete",
    "tags_fts_rename": "tags_search_rename",
}

SEARCH_CONFIG = "broadsheet_english"

# SQLite rebuilds `comments` in the imports migration (up and down). With
# foreign keys on, as the app runs its migrations (src/db.rs), DROP TABLE
# empties the old table first, and the ON DELETE SET NULL of each reply's
# parent_id fires that table's site_version_comments_update: the counter goes
# up once per reply whose parent comes before it. PostgreSQL alters the table
# in place and bumps nothing (the counter only tells a running server that
# pages changed; a migrated server starts afresh). The check requires
# exactly that difference, then sets PostgreSQL's counter to SQLite's so the
# later steps compare their own bumps.
REBUILD_BUMPS = {
    ("2026-12-01-230000_imports", "up"): "SELECT count(*) AS n FROM comments WHERE parent_id < id",
    ("2026-12-01-230000_imports", "down"): "SELECT count(*) AS n FROM comments WHERE parent_id < id",
}

# --- the data written on both ------------------------------------------------

# Written right after the first migration, in that schema's columns (it is
# valid in every later one too). Ids are left to the database: both give
# 1, 2, 3... to a fresh table.
SEED = [
    """INSERT INTO users (username, email, display_name, password_hash, role, disabled, created_at) VALUES
        ('alice', 'alice@example.com', 'Alice', 'h1', 'admin', FALSE, '2026-01-01 08:00:00'),
        ('bob', 'Bob@Example.com', 'Bob', 'h2', 'author', FALSE, '2026-01-01 08:05:00'),
        ('carol', 'carol@example.com', 'Carol', 'h3', 'commenter', FALSE, '2026-01-02 09:00:00'),
        ('dave', 'dave@example.com', 'Dave', 'h4', 'commenter', TRUE, '2026-01-03 10:00:00')""",
    """INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES
        ('t1', 1, 'c1', '2026-01-04 08:00:00', '2026-02-04 08:00:00'),
        ('t2', 3, 'c2', '2026-01-04 09:00:00', '2026-02-04 09:00:00'),
        ('t3', 4, 'c3', '2026-01-04 10:00:00', '2026-02-04 10:00:00')""",
    """INSERT INTO posts (slug, title, dateline, body, body_html, excerpt, word_count, status,
            published_at, author_id, comments_enabled, created_at, updated_at) VALUES
        ('harbour-wall', 'The harbour wall', 'Portsmouth',
         'Storm waves broke over the **harbour wall** at dawn.', '<p>Storm waves</p>', 'Storm waves',
         9, 'published', '2026-01-05 10:00:00', 2, TRUE, '2026-01-05 09:00:00', '2026-01-05 10:00:00'),
        ('guardians', 'Guardians of the café', '', 'The night guard kept the café open; the walls were repainted.',
         '<p>The night guard</p>', 'The night guard', 11, 'published', '2026-01-20 18:30:00', 2, TRUE,
         '2026-01-20 18:00:00', '2026-01-20 18:30:00'),
        ('february-notes', 'February notes', '', 'Running late, the ferry waited for nobody.',
         '<p>Running late</p>', 'Running late', 7, 'published', '2026-02-03 07:00:00', 1, FALSE,
         '2026-02-03 06:00:00', '2026-02-03 07:00:00'),
        ('draft-idea', 'An idea', '', 'Not yet written.', '<p>Not yet</p>', 'Not yet', 3, 'draft', NULL, 4, TRUE,
         '2026-02-04 06:00:00', '2026-02-04 06:00:00'),
        ('scheduled', 'Coming soon', '', 'The harbour festival returns.', '<p>The harbour</p>', 'The harbour',
         4, 'published', '2027-03-01 12:00:00', 2, TRUE, '2026-02-05 06:00:00', '2026-02-05 06:00:00')""",
    "INSERT INTO tags (name, slug) VALUES ('Harbour', 'harbour'), ('Food', 'food'), ('Weather', 'weather'), ('Ferries', 'ferries')",
    # Post 2's tags are written in the order 2, 1: the index lists them by tag id.
    "INSERT INTO post_tags (post_id, tag_id) VALUES (1, 1), (1, 3), (2, 2), (2, 1), (3, 4), (4, 2), (5, 1)",
    """INSERT INTO comments (post_id, author_id, parent_id, body, body_html, status, created_at) VALUES
        (1, 3, NULL, 'Great photo', '<p>Great photo</p>', 'approved', '2026-01-06 08:00:00'),
        (1, 4, 1, 'Agreed', '<p>Agreed</p>', 'approved', '2026-01-06 09:00:00'),
        (1, 3, NULL, 'buy pills', '<p>buy pills</p>', 'spam', '2026-01-06 10:00:00'),
        (2, 3, NULL, 'Lovely', '<p>Lovely</p>', 'pending', '2026-01-21 08:00:00'),
        (2, 1, NULL, 'Thanks', '<p>Thanks</p>', 'approved', '2026-01-21 09:00:00'),
        (4, 1, NULL, 'Note to self', '<p>Note</p>', 'approved', '2026-02-04 07:00:00')""",
    "UPDATE settings SET title = 'The Gazette'",
]


def post(slug):
    return f"(SELECT id FROM posts WHERE slug = '{slug}')"


def tag(slug):
    return f"(SELECT id FROM tags WHERE slug = '{slug}')"


def per(sqlite, pg):
    return {"sqlite": sqlite, "pg": pg}


# After the last migration. Each step names what it exercises. Statements
# are in SQL both accept, or given per dialect with per(). No row that is
# the newest of its table is deleted before another is added to that table:
# SQLite then reuses its id and PostgreSQL does not (see the report).
SCENARIO = [
    # The app's own index write (search::index_post): plain text for the body.
    per("UPDATE posts_fts SET title = 'The harbour wall', body = 'Storm waves broke over the harbour wall at dawn.' WHERE rowid = 1",
        "UPDATE posts_search SET title = 'The harbour wall', body = 'Storm waves broke over the harbour wall at dawn.' WHERE post_id = 1"),
    # comments_count_*: every status change that crosses 'approved', and some that do not.
    f"INSERT INTO comments (post_id, author_id, body, body_html, status, created_at) VALUES ({post('february-notes')}, 3, 'First!', '<p>First!</p>', 'approved', '2026-02-04 08:00:00')",
    f"INSERT INTO comments (post_id, author_id, body, body_html, status, created_at) VALUES ({post('february-notes')}, 2, 'Second', '<p>Second</p>', 'pending', '2026-02-04 09:00:00')",
    "UPDATE comments SET status = 'approved' WHERE body = 'Lovely'",
    "UPDATE comments SET status = 'spam' WHERE body = 'Thanks'",
    "UPDATE comments SET status = 'deleted' WHERE body = 'First!'",
    "UPDATE comments SET status = 'pending' WHERE body = 'buy pills'",
    "UPDATE comments SET body = 'Great photo!', edited_at = '2026-01-07 08:00:00' WHERE body = 'Great photo'",
    f"UPDATE comments SET status = 'approved' WHERE post_id = {post('february-notes')}",
    "UPDATE comments SET status = status",
    # A guest's comment (the imports migration's columns and CHECK).
    """INSERT INTO comments (post_id, author_id, parent_id, body, body_html, status, created_at, guest_name, guest_website, guest_email)
       VALUES (1, NULL, 1, 'From a guest', '<p>From a guest</p>', 'approved', '2026-01-08 08:00:00', 'Dora', 'https://dora.example', 'dora@example.net')""",
    # Replies that outlive the scenario (the imports down migration meets them),
    # one to a guest's comment, which that migration deletes.
    """INSERT INTO comments (post_id, author_id, parent_id, body, body_html, status, created_at)
       SELECT post_id, 2, id, 'Reply to note', '<p>Reply</p>', 'approved', '2026-02-05 08:00:00' FROM comments WHERE body = 'Note to self'""",
    """INSERT INTO comments (post_id, author_id, parent_id, body, body_html, status, created_at, guest_name)
       VALUES (4, NULL, NULL, 'Guest question', '<p>Q</p>', 'pending', '2026-02-05 09:00:00', 'Eve')""",
    """INSERT INTO comments (post_id, author_id, parent_id, body, body_html, status, created_at)
       SELECT post_id, 1, id, 'Answer', '<p>Answer</p>', 'approved', '2026-02-05 10:00:00' FROM comments WHERE body = 'Guest question'""",
    "UPDATE comments SET status = 'approved' WHERE body = 'Guest question'",
    # Posts: a page, a draft that is published, unpublishing, a new month,
    # a post that becomes a page and back, title and body edits.
    f"""INSERT INTO posts (slug, title, body, body_html, excerpt, status, published_at, author_id, created_at, updated_at, kind, format)
        VALUES ('about', 'About us', 'We report on the harbour and its guards from the Café Royal.', '<p>We report</p>', 'We report', 'published',
                '2026-01-01 00:00:00', 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00', 'page', 'markdown')""",
    f"INSERT INTO post_tags (post_id, tag_id, position) VALUES ({post('about')}, {tag('harbour')}, 0)",
    f"""INSERT INTO posts (slug, title, body, body_html, excerpt, status, author_id, created_at, updated_at)
        VALUES ('march-storm', 'March storm', 'Guards closed the harbour gates as the storm came in.', '<p>Guards</p>', 'Guards',
                'draft', 2, '2026-03-09 08:00:00', '2026-03-09 08:00:00')""",
    f"INSERT INTO post_tags (post_id, tag_id, position) VALUES ({post('march-storm')}, {tag('weather')}, 0), ({post('march-storm')}, {tag('harbour')}, 1)",
    "UPDATE posts SET status = 'published', published_at = '2026-03-10 09:00:00' WHERE slug = 'march-storm'",
    per("UPDATE posts_fts SET title = 'March storm', body = 'Guards closed the harbour gates as the storm came in.' WHERE rowid = (SELECT id FROM posts WHERE slug = 'march-storm')",
        "UPDATE posts_search SET title = 'March storm', body = 'Guards closed the harbour gates as the storm came in.' WHERE post_id = (SELECT id FROM posts WHERE slug = 'march-storm')"),
    "UPDATE posts SET status = 'draft' WHERE slug = 'february-notes'",
    "UPDATE posts SET published_at = '2026-04-02 07:30:00' WHERE slug = 'guardians'",
    "UPDATE posts SET kind = 'page' WHERE slug = 'harbour-wall'",
    "UPDATE posts SET kind = 'post' WHERE slug = 'harbour-wall'",
    "UPDATE posts SET title = 'Storm over the harbour wall' WHERE slug = 'harbour-wall'",
    "UPDATE posts SET body = 'Storm waves broke over the harbour walls; the guardians watched.' WHERE slug = 'harbour-wall'",
    "UPDATE posts SET excerpt = 'Storm waves again', updated_at = '2026-03-11 08:00:00' WHERE slug = 'harbour-wall'",
    "UPDATE posts SET status = status, published_at = published_at",
    "UPDATE posts SET word_count = word_count + 1",
    # Published with no time: neither the archive nor the tag links count it.
    f"""INSERT INTO posts (slug, title, body, body_html, excerpt, status, published_at, created_at, updated_at)
        VALUES ('no-time', 'No time', 'Published without a time.', '', '', 'published', NULL, '2026-03-12 08:00:00', '2026-03-12 08:00:00')""",
    f"INSERT INTO post_tags (post_id, tag_id) VALUES ({post('no-time')}, {tag('weather')})",
    # post_tags: a link added to and taken from published posts, an update.
    f"INSERT INTO post_tags (post_id, tag_id, position) VALUES ({post('guardians')}, {tag('weather')}, 2)",
    f"DELETE FROM post_tags WHERE post_id = {post('guardians')} AND tag_id = {tag('food')}",
    f"UPDATE post_tags SET position = 5 WHERE post_id = {post('harbour-wall')}",
    # tags: a new one, a rename (the index's tag text), a slug change, a deletion.
    "INSERT INTO tags (name, slug) VALUES ('Gates', 'gates')",
    f"INSERT INTO post_tags (post_id, tag_id, position) VALUES ({post('march-storm')}, {tag('gates')}, 2)",
    "UPDATE tags SET name = 'Harbours' WHERE slug = 'harbour'",
    "UPDATE tags SET slug = 'food-drink' WHERE slug = 'food'",
    "DELETE FROM tags WHERE slug = 'ferries'",
    # media: update and delete bump site_version; a deleted cover is unset.
    """INSERT INTO media (hash, stem, format, width, height, bytes, created_at, uploaded_by) VALUES
        ('hash1', 'img1', 'jpeg', 800, 600, 123456, '2026-03-01 08:00:00', 2),
        ('hash2', 'img2', 'png', 64, 64, 4096, '2026-03-01 09:00:00', 1),
        ('hash3', 'img3', 'gif', 10, 10, 5000000000, '2026-03-01 10:00:00', NULL)""",
    "UPDATE media SET alt = 'The wall' WHERE stem = 'img1'",
    f"UPDATE posts SET cover_media_id = (SELECT id FROM media WHERE stem = 'img1') WHERE slug IN ('harbour-wall', 'guardians')",
    "UPDATE settings SET icon_media_id = (SELECT id FROM media WHERE stem = 'img2')",
    f"INSERT INTO post_media (post_id, media_id) VALUES ({post('harbour-wall')}, 1), ({post('guardians')}, 1), ({post('guardians')}, 2)",
    # media::link_to_post: INSERT OR IGNORE ... SELECT on SQLite.
    per(f"INSERT OR IGNORE INTO post_media (post_id, media_id) SELECT {post('guardians')}, id FROM media WHERE id IN (1, 2, 3)",
        f"INSERT INTO post_media (post_id, media_id) SELECT {post('guardians')}, id FROM media WHERE id IN (1, 2, 3) ON CONFLICT DO NOTHING"),
    "DELETE FROM media WHERE stem = 'img1'",
    # redirects, with the app's upsert (Redirect::add).
    """INSERT INTO redirects (from_path, to_path, created_at) VALUES
        ('/?p=12', '/harbour-wall', '2026-03-02 08:00:00'), ('/old', '/x', '2026-03-02 09:00:00'), ('/older', '/old', '2026-03-02 10:00:00')""",
    "INSERT INTO redirects (from_path, to_path, created_at) VALUES ('/newest', '/about', '2026-03-03 09:00:00') ON CONFLICT (from_path) DO UPDATE SET to_path = excluded.to_path",
    # Last insert into redirects: on a conflict PostgreSQL has already drawn
    # the next id (which is then skipped); SQLite has not.
    "INSERT INTO redirects (from_path, to_path, created_at) VALUES ('/old', '/guardians', '2026-03-03 08:00:00') ON CONFLICT (from_path) DO UPDATE SET to_path = excluded.to_path",
    "UPDATE redirects SET to_path = '/guardians' WHERE to_path = '/old'",
    "DELETE FROM redirects WHERE from_path = '/?p=12'",
    # users: each kind of change and which counters follow it.
    "UPDATE users SET display_name = 'Robert' WHERE username = 'BOB'",
    "UPDATE users SET role = 'admin' WHERE username = 'carol'",
    "UPDATE users SET disabled = FALSE WHERE username = 'dave'",
    "UPDATE users SET password_hash = 'h2b', display_skeleton = 'robert', username_skeleton = 'bob' WHERE email = 'bob@example.com'",
    "UPDATE users SET display_name = 'Carol C', role = 'author' WHERE username = 'carol'",
    "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ('t4', 2, 'c4', '2026-03-04 08:00:00', '2026-04-04 08:00:00')",
    "UPDATE sessions SET expires_at = '2026-05-04 08:00:00' WHERE token_hash = 't4'",
    "DELETE FROM sessions WHERE token_hash = 't1'",
    # A user's deletion takes their sessions and comments, unsets their posts' author.
    "DELETE FROM users WHERE username = 'dave'",
    # settings: update, and the row deleted and written again without an id.
    "UPDATE settings SET menu = 'About | /about', posts_per_page = 20",
    "DELETE FROM settings",
    "INSERT INTO settings (title, description, posts_per_page, comment_policy, menu) VALUES ('Broadsheet', 'Again', 15, 'open', '')",
    # Tables with no triggers.
    "INSERT INTO server_keys (name, value) VALUES ('device_cookie', 'k1'), ('other', 'k2')",
    "UPDATE server_keys SET value = 'k3' WHERE name = 'other'",
    """INSERT INTO import_jobs (file_name, status, bytes_total, bytes_read, items_done, report, started_by, created_at, finished_at)
       VALUES ('site.xml', 'running', 9000000000, 0, 0, '', 1, '2026-03-05 08:00:00', NULL)""",
    "UPDATE import_jobs SET status = 'done', bytes_read = 9000000000, items_done = 12, finished_at = '2026-03-05 08:01:00'",
    """INSERT INTO imported (source, kind, source_id, local_id, source_parent) VALUES
        ('wp:example', 'post', '12', 2, NULL), ('wp:example', 'comment', '7', 9, '6'), ('wp:example', 'comment', '6', 8, NULL)""",
    # ImportedKind::record: REPLACE INTO on SQLite.
    per("REPLACE INTO imported (source, kind, source_id, local_id, source_parent) VALUES ('wp:example', 'post', '12', 3, NULL)",
        "INSERT INTO imported (source, kind, source_id, local_id, source_parent) VALUES ('wp:example', 'post', '12', 3, NULL) "
        "ON CONFLICT (source, kind, source_id) DO UPDATE SET local_id = excluded.local_id, source_parent = excluded.source_parent"),
    "UPDATE imported SET source_parent = NULL WHERE source = 'wp:example' AND source_parent IS NOT NULL",
    # A published post with tags, comments and media links deleted: every cascade.
    "DELETE FROM posts WHERE slug = 'guardians'",
    # Comments' parent: a deleted parent leaves its replies (SET NULL).
    "DELETE FROM comments WHERE body = 'Great photo!'",
    "DELETE FROM comments WHERE status = 'pending'",
]

# Lookups whose answers must be the same (NOCASE, the kept counts in use).
PROBES = [
    "SELECT id FROM users WHERE username = 'ALICE'",
    "SELECT id FROM users WHERE email = 'BOB@EXAMPLE.COM'",
    "SELECT id, name FROM tags WHERE name = 'harbours'",
    "SELECT name, slug, post_count FROM tags WHERE post_count > 0 ORDER BY name",
    "SELECT name FROM tags ORDER BY post_count DESC, name",
    "SELECT month, count FROM archive_months WHERE count > 0 ORDER BY month DESC",
    "SELECT p.slug, p.comment_count, (SELECT count(*) FROM comments c WHERE c.post_id = p.id AND c.status = 'approved') AS counted FROM posts p ORDER BY p.id",
    "SELECT t.slug, t.post_count, (SELECT count(*) FROM post_tags pt WHERE pt.tag_id = t.id AND pt.published_at IS NOT NULL) AS counted FROM tags t ORDER BY t.id",
]

# Statements both must refuse (each run alone, then rolled back). Explicit
# ids where an id column is involved, so no sequence value is spent.
MUST_FAIL = [
    "INSERT INTO users (id, username, email, display_name, password_hash, created_at) VALUES (900, 'ALICE', 'new@example.com', 'X', 'h', '2026-01-01 00:00:00')",
    "INSERT INTO users (id, username, email, display_name, password_hash, created_at) VALUES (900, 'newbie', 'ALICE@example.COM', 'X', 'h', '2026-01-01 00:00:00')",
    "INSERT INTO users (id, username, email, display_name, password_hash, role, created_at) VALUES (900, 'newbie', 'new@example.com', 'X', 'h', 'root', '2026-01-01 00:00:00')",
    "INSERT INTO tags (id, name, slug) VALUES (900, 'WEATHER', 'weather-2')",
    "INSERT INTO tags (id, name, slug) VALUES (900, 'Weather 2', 'weather')",
    "UPDATE posts SET status = 'live' WHERE slug = 'harbour-wall'",
    "UPDATE posts SET kind = 'note' WHERE slug = 'harbour-wall'",
    "UPDATE posts SET format = 'rtf' WHERE slug = 'harbour-wall'",
    "UPDATE posts SET slug = 'about' WHERE slug = 'harbour-wall'",
    "UPDATE posts SET author_id = 999 WHERE slug = 'harbour-wall'",
    "UPDATE comments SET status = 'hidden' WHERE body = 'Note to self'",
    "UPDATE comments SET guest_name = 'Someone' WHERE body = 'Note to self'",
    "UPDATE comments SET guest_name = '' WHERE body = 'From a guest'",
    "INSERT INTO settings (id, title, description, posts_per_page, comment_policy) VALUES (2, 'x', 'y', 10, 'open')",
    "UPDATE settings SET posts_per_page = 0",
    "UPDATE settings SET posts_per_page = 101",
    "UPDATE settings SET comment_policy = 'closed'",
    "INSERT INTO site_version (id, version) VALUES (2, 1)",
    "INSERT INTO media (id, hash, stem, format, width, height, bytes, created_at) VALUES (900, 'h9', 's9', 'bmp', 1, 1, 1, '2026-01-01 00:00:00')",
    "INSERT INTO media (id, hash, stem, format, width, height, bytes, created_at) VALUES (900, 'hash2', 's9', 'png', 1, 1, 1, '2026-01-01 00:00:00')",
    "INSERT INTO import_jobs (id, file_name, status, bytes_total, created_at) VALUES (900, 'f', 'queued', 1, '2026-01-01 00:00:00')",
    "INSERT INTO imported (source, kind, source_id, local_id) VALUES ('s', 'tag', '1', 1)",
    "INSERT INTO post_tags (post_id, tag_id) VALUES (999, 1)",
    "INSERT INTO post_media (post_id, media_id) VALUES (1, 999)",
    "INSERT INTO redirects (id, from_path, to_path, created_at) VALUES (900, '/old', '/y', '2026-01-01 00:00:00')",
    "INSERT INTO sessions (id, token_hash, user_id, csrf_token, created_at, expires_at) VALUES (900, 't2', 1, 'c', '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
]

# Reader searches: FTS5 expressions as search.rs builds them (each word a
# quoted string), PostgreSQL as plainto_tsquery of the same words; prefixes
# as FTS5's "word"* and to_tsquery's word:*.
SEARCHES = [
    ("words", "harbour wall"),
    ("words", "walls"),
    ("words", "Guardians"),
    ("words", "guard"),
    ("words", "cafe"),
    ("words", "Café"),
    ("words", "harbours"),
    ("words", "gates storm"),
    ("words", "the"),
    ("words", "nobody"),
    ("prefix", "guar"),
    ("prefix", "harb"),
]


# --- helpers -----------------------------------------------------------------

class Fail(Exception):
    pass


def q(s):
    """An SQL string literal."""
    return "'" + s.replace("'", "''") + "'"


def strip_comments(sql):
    """SQL text without -- and /* */ comments (string literals kept)."""
    out, i, n = [], 0, len(sql)
    while i < n:
        c = sql[i]
        if c == "'" or c == '"':
            j = i + 1
            while j < n:
                if sql[j] == c:
                    if j + 1 < n and sql[j + 1] == c:
                        j += 2
                        continue
                    break
                j += 1
            out.append(sql[i:j + 1])
            i = j + 1
        elif sql.startswith("--", i):
            j = sql.find("\n", i)
            i = n if j < 0 else j
        elif sql.startswith("/*", i):
            j = sql.find("*/", i + 2)
            i = n if j < 0 else j + 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def split_top(s):
    """Splits at commas outside parentheses and quotes."""
    parts, depth, cur, i = [], 0, [], 0
    while i < len(s):
        c = s[i]
        if c == "'":
            j = s.index("'", i + 1)
            while j + 1 < len(s) and s[j + 1] == "'":
                j = s.index("'", j + 2)
            cur.append(s[i:j + 1])
            i = j + 1
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        if c == "," and depth == 0:
            parts.append("".join(cur).strip())
            cur = []
        else:
            cur.append(c)
        i += 1
    if "".join(cur).strip():
        parts.append("".join(cur).strip())
    return parts


def balanced_after(s, start):
    """The text inside the parentheses that open at s[start]."""
    depth = 0
    for i in range(start, len(s)):
        if s[i] == "(":
            depth += 1
        elif s[i] == ")":
            depth -= 1
            if depth == 0:
                return s[start + 1:i]
    raise ValueError("unbalanced parentheses in " + s)


def norm_expr(s):
    """An expression in a form both dialects' spellings reduce to."""
    if s is None:
        return None
    s = strip_comments(s).lower()
    s = re.sub(r"::(?:timestamp without time zone|character varying|double precision|[a-z_]+)(?:\[\])?", "", s)  # casts
    s = re.sub(r"=\s*any\s*\(\s*array\s*\[(.*?)\]\s*\)", r" in (\1)", s)
    s = re.sub(r"\b(\w+)\s+between\s+(\S+)\s+and\s+(\S+)", r"\1 >= \2 and \1 <= \3", s)
    return re.sub(r"[()\s]", "", s)


def norm_default(value, bool_col):
    if value is None:
        return None
    v = re.sub(r"::[a-z_ ]+$", "", str(value).strip().lower())
    if bool_col:
        v = {"0": "false", "1": "true"}.get(v, v)
    return v


SQLITE_TYPES = {
    "INTEGER": {"integer", "bigint"},
    "BIGINT": {"bigint"},
    "TEXT": {"text"},
    "BOOLEAN": {"boolean"},
    "TIMESTAMP": {"timestamp without time zone"},
}
DIESEL_TYPES = {
    "Integer": "integer",
    "BigInt": "bigint",
    "Text": "text",
    "Bool": "boolean",
    "Timestamp": "timestamp without time zone",
}


def parse_schema_rs(path):
    """{table: [(column, diesel type, nullable)]} from diesel's table! macros."""
    text = open(path, encoding="utf-8").read()
    tables = {}
    for m in re.finditer(r"diesel::table!\s*\{\s*(\w+)\s*\([^)]*\)\s*\{(.*?)\}\s*\}", text, re.S):
        cols = []
        for c in re.finditer(r"(\w+)\s*->\s*([\w<>]+)\s*,", m.group(2)):
            ty = c.group(2)
            nullable = ty.startswith("Nullable<")
            if nullable:
                ty = ty[len("Nullable<"):-1]
            cols.append((c.group(1), ty, nullable))
        tables[m.group(1)] = cols
    return tables


def folders(path):
    return sorted(d for d in os.listdir(path)
                  if os.path.isdir(os.path.join(path, d)) and re.match(r"^\d{4}-\d\d-\d\d-\d+_", d))


# --- the two databases -----------------------------------------------------

class Sqlite:
    name = "sqlite"

    def __init__(self, path):
        self.path = path
        self.conn = sqlite3.connect(path, isolation_level=None)
        # As the app's connections (src/db.rs) have it, migrations included.
        self.conn.execute("PRAGMA foreign_keys = ON")

    def migrate(self, version, direction):
        sql = open(os.path.join(SQLITE_DIR, version, f"{direction}.sql"), encoding="utf-8").read()
        try:
            self.conn.executescript("BEGIN;\n" + sql + "\nCOMMIT;")
        except sqlite3.Error as e:
            self.conn.execute("ROLLBACK") if self.conn.in_transaction else None
            raise Fail(f"sqlite: {version}/{direction}.sql: {e}")

    def run(self, statements):
        self.conn.execute("BEGIN")
        for s in statements:
            s = s["sqlite"] if isinstance(s, dict) else s
            try:
                self.conn.execute(s)
            except sqlite3.Error as e:
                self.conn.execute("ROLLBACK")
                raise Fail(f"sqlite: {e}\n    in: {s}")
        self.conn.execute("COMMIT")

    def query(self, sql):
        cur = self.conn.execute(sql)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]

    def fails(self, sql):
        self.conn.execute("BEGIN")
        try:
            self.conn.execute(sql)
            return False
        except sqlite3.Error:
            return True
        finally:
            self.conn.execute("ROLLBACK")

    def tables(self):
        return [r["name"] for r in self.query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
            if r["name"] != SQLITE_SEARCH_TABLE and not r["name"].startswith(SQLITE_SEARCH_TABLE + "_")]

    def leftovers(self):
        return [f"{r['type']} {r['name']}" for r in self.query("SELECT type, name FROM sqlite_master")]


class Pg:
    name = "pg"

    def __init__(self, url):
        self.url = url

    def _psql(self, args, stdin=None):
        env = dict(os.environ, PGOPTIONS="-c client_min_messages=warning")
        p = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", self.url] + args,
                           input=stdin, capture_output=True, text=True, env=env)
        return p.returncode, p.stdout, p.stderr

    def migrate(self, version, direction):
        rc, _, err = self._psql(["-1", "-f", os.path.join(HERE, version, f"{direction}.sql")])
        if rc != 0:
            raise Fail(f"pg: {version}/{direction}.sql:\n{err.strip()}")

    def run(self, statements):
        script = "".join((s["pg"] if isinstance(s, dict) else s) + ";\n" for s in statements)
        rc, _, err = self._psql(["-1", "-f", "-"], stdin=script)
        if rc != 0:
            raise Fail(f"pg: {err.strip()}")

    def query_many(self, sqls):
        script = "".join(
            f"SELECT coalesce(jsonb_agg(to_jsonb(q) ORDER BY parity_row_n), '[]')::text FROM "
            f"(SELECT row_number() OVER () AS parity_row_n, x.* FROM ({s}) x) q;\n" for s in sqls)
        rc, out, err = self._psql(["-t", "-A", "-f", "-"], stdin=script)
        if rc != 0:
            raise Fail(f"pg: {err.strip()}")
        lines = out.splitlines()
        if len(lines) != len(sqls):
            raise Fail(f"pg: expected {len(sqls)} results, got {len(lines)}")
        result = []
        for line in lines:
            rows = json.loads(line)
            for r in rows:
                r.pop("parity_row_n", None)
            result.append(rows)
        return result

    def query(self, sql):
        return self.query_many([sql])[0]

    def fails(self, sql):
        rc, _, _ = self._psql(["-f", "-"], stdin=f"BEGIN;\n{sql};\nROLLBACK;\n")
        return rc != 0

    def tables(self):
        return [r["relname"] for r in self.query(
            "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' ORDER BY relname")
            if r["relname"] != PG_SEARCH_TABLE]

    def leftovers(self):
        not_ext = "NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = o.oid AND d.deptype = 'e')"
        rows = self.query(f"""
            SELECT 'relation ' || relname AS o FROM pg_class o WHERE relnamespace = 'public'::regnamespace AND {not_ext}
            UNION ALL SELECT 'function ' || proname FROM pg_proc o WHERE pronamespace = 'public'::regnamespace AND {not_ext}
            UNION ALL SELECT 'collation ' || collname FROM pg_collation o WHERE collnamespace = 'public'::regnamespace AND {not_ext}
            UNION ALL SELECT 'text search configuration ' || cfgname FROM pg_ts_config o WHERE cfgnamespace = 'public'::regnamespace AND {not_ext}
            UNION ALL SELECT 'text search dictionary ' || dictname FROM pg_ts_dict o WHERE dictnamespace = 'public'::regnamespace AND {not_ext}
            UNION ALL SELECT 'type ' || typname FROM pg_type o WHERE typnamespace = 'public'::regnamespace AND typtype <> 'c' AND typelem = 0 AND {not_ext}""")
        return [r["o"] for r in rows]


# --- schema -----------------------------------------------------------------

def sqlite_schema(sq):
    """{table: {...}} in a form comparable with pg_schema's."""
    schema = {}
    for t in sq.tables():
        sql = sq.query(f"SELECT sql FROM sqlite_master WHERE type = 'table' AND name = {q(t)}")[0]["sql"]
        body = balanced_after(strip_comments(sql), strip_comments(sql).index("("))
        items = split_top(body)
        collations, checks = {}, []
        for item in items:
            for m in re.finditer(r"\bCHECK\s*\(", item, re.I):
                checks.append(norm_expr(balanced_after(item, m.end() - 1)))
            if not re.match(r"(CONSTRAINT|PRIMARY|UNIQUE|CHECK|FOREIGN)\b", item, re.I):
                name = item.split()[0].strip('"')
                m = re.search(r"\bCOLLATE\s+(\w+)", item, re.I)
                collations[name] = m.group(1).lower() if m else None
        cols = sq.query(f"PRAGMA table_info({q(t)})")
        pk = [c["name"] for c in sorted((c for c in cols if c["pk"]), key=lambda c: c["pk"])]
        rowid_alias = len(pk) == 1 and "WITHOUT ROWID" not in sql.upper() and \
            next(c for c in cols if c["name"] == pk[0])["type"].upper() == "INTEGER"
        columns = []
        for c in cols:
            columns.append({
                "name": c["name"],
                "type": c["type"].upper(),
                "notnull": bool(c["notnull"]) or c["name"] in pk,
                "default": c["dflt_value"],
                "collation": collations.get(c["name"]),
                "rowid": rowid_alias and c["name"] == pk[0],
            })
        fks = {}
        for f in sq.query(f"PRAGMA foreign_key_list({q(t)})"):
            e = fks.setdefault(f["id"], {"from": [], "table": f["table"], "to": [],
                                         "on_delete": f["on_delete"], "on_update": f["on_update"]})
            e["from"].append(f["from"])
            e["to"].append(f["to"])
        uniques, indexes = set(), {}
        for ix in sq.query(f"PRAGMA index_list({q(t)})"):
            info = [r for r in sq.query(f"PRAGMA index_xinfo({q(ix['name'])})") if r["key"]]
            names = tuple(r["name"] for r in info)
            if ix["origin"] == "u":
                uniques.add(names)
            elif ix["origin"] == "c":
                isql = sq.query(f"SELECT sql FROM sqlite_master WHERE type = 'index' AND name = {q(ix['name'])}")[0]["sql"]
                m = re.search(r"\bWHERE\b(.*)$", strip_comments(isql), re.S | re.I)
                indexes[ix["name"]] = {
                    "unique": bool(ix["unique"]),
                    "columns": [(r["name"], bool(r["desc"]),
                                 "nocase" if (r["coll"] or "").upper() == "NOCASE" else None) for r in info],
                    "where": norm_expr(m.group(1)) if m else None,
                }
        schema[t] = {
            "columns": columns,
            "pk": pk,
            "uniques": uniques,
            "checks": sorted(checks),
            "fks": sorted(tuple((tuple(e["from"]), e["table"], tuple(e["to"]), e["on_delete"], e["on_update"]))
                          for e in fks.values()),
            "indexes": indexes,
        }
    triggers = {}
    for r in sq.query("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'"):
        m = re.match(r"\s*CREATE\s+TRIGGER\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)\s+(BEFORE|AFTER|INSTEAD\s+OF)?\s*"
                     r"(INSERT|DELETE|UPDATE)(?:\s+OF\s+(.+?))?\s+ON\s+(\w+)(?:\s+FOR\s+EACH\s+ROW)?"
                     r"(?:\s+WHEN\s+(.+?))?\s+BEGIN\b", strip_comments(r["sql"]), re.S | re.I)
        if not m:
            raise Fail(f"sqlite: cannot read trigger {r['name']}")
        triggers[r["name"]] = {
            "table": m.group(5),
            "timing": (m.group(2) or "BEFORE").upper(),
            "event": m.group(3).upper(),
            "columns": sorted(c.strip() for c in m.group(4).split(",")) if m.group(4) else [],
            "when": norm_expr(m.group(6)),
        }
    return schema, triggers


PG_CATALOG = [
    # columns
    """SELECT c.relname AS tbl, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod) AS type,
              a.attnotnull, pg_get_expr(d.adbin, d.adrelid) AS dflt, a.attidentity, a.attgenerated,
              CASE WHEN co.collname <> 'default' THEN co.collname END AS coll
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
       LEFT JOIN pg_collation co ON co.oid = a.attcollation
       WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped""",
    # constraints
    """SELECT c.conrelid::regclass::text AS tbl, c.conname, c.contype, pg_get_constraintdef(c.oid) AS def,
              c.confrelid::regclass::text AS ftbl, c.confdeltype, c.confupdtype,
              (SELECT jsonb_agg(a.attname ORDER BY k.ord) FROM unnest(c.conkey) WITH ORDINALITY k(attnum, ord)
                 JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum) AS cols,
              (SELECT jsonb_agg(a.attname ORDER BY k.ord) FROM unnest(c.confkey) WITH ORDINALITY k(attnum, ord)
                 JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum) AS fcols
       FROM pg_constraint c WHERE c.connamespace = 'public'::regnamespace AND c.contype IN ('p', 'u', 'c', 'f')""",
    # indexes
    """SELECT t.relname AS tbl, i.relname AS name, x.indisunique AS uniq, am.amname AS method,
              EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid AND c.contype IN ('p', 'u')) AS backs,
              pg_get_expr(x.indpred, x.indrelid) AS pred,
              (SELECT jsonb_agg(jsonb_build_array(a.attname, (x.indoption[(k.ord - 1)::int] & 1) = 1,
                                                  CASE WHEN co.collname <> 'default' THEN co.collname END) ORDER BY k.ord)
                 FROM unnest(x.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
                 LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
                 LEFT JOIN pg_collation co ON co.oid = x.indcollation[(k.ord - 1)::int]
                 WHERE k.ord <= x.indnkeyatts) AS cols
       FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
       JOIN pg_am am ON am.oid = i.relam WHERE t.relnamespace = 'public'::regnamespace""",
    # triggers
    """SELECT c.relname AS tbl, t.tgname, t.tgtype, p.proname, pg_get_triggerdef(t.oid) AS def,
              (SELECT jsonb_agg(a.attname ORDER BY a.attname) FROM pg_attribute a
                 WHERE a.attrelid = t.tgrelid AND a.attnum = ANY (t.tgattr)) AS cols
       FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid
       WHERE NOT t.tgisinternal AND c.relnamespace = 'public'::regnamespace""",
    # functions
    """SELECT p.proname, (SELECT count(*) FROM pg_trigger t WHERE t.tgfoid = p.oid) AS used
       FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace
       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')""",
]

FK_ACTIONS = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}


def pg_schema(pg):
    cols, cons, idxs, trigs, funcs = pg.query_many(PG_CATALOG)
    schema = {}
    for c in sorted(cols, key=lambda c: (c["tbl"], c["attnum"])):
        t = schema.setdefault(c["tbl"], {"columns": [], "pk": [], "uniques": set(), "checks": [],
                                         "fks": [], "indexes": {}})
        t["columns"].append({
            "name": c["attname"], "type": c["type"], "notnull": c["attnotnull"], "default": c["dflt"],
            "identity": c["attidentity"], "generated": c["attgenerated"], "collation": c["coll"],
        })
    for c in cons:
        t = schema[c["tbl"]]
        if c["contype"] == "p":
            t["pk"] = c["cols"]
        elif c["contype"] == "u":
            t["uniques"].add(tuple(c["cols"]))
        elif c["contype"] == "c":
            t["checks"].append(norm_expr(re.sub(r"^CHECK\s*", "", c["def"])))
        elif c["contype"] == "f":
            t["fks"].append((tuple(c["cols"]), c["ftbl"], tuple(c["fcols"]),
                             FK_ACTIONS[c["confdeltype"]], FK_ACTIONS[c["confupdtype"]]))
    for t in schema.values():
        t["checks"].sort()
        t["fks"].sort()
    for i in idxs:
        if i["backs"]:
            continue
        schema[i["tbl"]]["indexes"][i["name"]] = {
            "unique": i["uniq"], "method": i["method"],
            "columns": [tuple(c) for c in i["cols"]],
            "where": norm_expr(i["pred"]),
        }
    triggers = {}
    for t in trigs:
        ty = t["tgtype"]
        event = "INSERT" if ty & 4 else "DELETE" if ty & 8 else "UPDATE" if ty & 16 else "TRUNCATE"
        if bin(ty & (4 | 8 | 16 | 32)).count("1") > 1:
            event = "MANY"
        m = re.search(r"\bWHEN \((.*)\) EXECUTE (?:FUNCTION|PROCEDURE)", t["def"], re.S)
        triggers[t["tgname"]] = {
            "table": t["tbl"],
            "timing": "INSTEAD OF" if ty & 64 else "BEFORE" if ty & 2 else "AFTER",
            "row": bool(ty & 1),
            "event": event,
            "columns": t["cols"] or [],
            "when": norm_expr(m.group(1)) if m else None,
            "function": t["proname"],
        }
    return schema, triggers, funcs


def compare_schema(sq, pg, diffs, label):
    s_schema, s_trig = sqlite_schema(sq)
    p_schema, p_trig, p_funcs = pg_schema(pg)
    before = len(diffs)

    def d(msg):
        diffs.append(f"[{label}] {msg}")

    for t in sorted(set(s_schema) | set(p_schema) - {PG_SEARCH_TABLE}):
        if t not in p_schema:
            d(f"table {t}: only on SQLite")
            continue
        if t not in s_schema:
            d(f"table {t}: only on PostgreSQL")
            continue
        s, p = s_schema[t], p_schema[t]
        s_names = [c["name"] for c in s["columns"]]
        p_names = [c["name"] for c in p["columns"]]
        if s_names != p_names:
            d(f"{t}: columns differ: SQLite {s_names}, PostgreSQL {p_names}")
        pcols = {c["name"]: c for c in p["columns"]}
        for sc in s["columns"]:
            pc = pcols.get(sc["name"])
            if pc is None:
                continue
            name = f"{t}.{sc['name']}"
            if pc["type"] not in SQLITE_TYPES.get(sc["type"], set()):
                d(f"{name}: SQLite {sc['type']} but PostgreSQL {pc['type']}")
            if sc["notnull"] != pc["notnull"]:
                d(f"{name}: NOT NULL on {'SQLite' if sc['notnull'] else 'PostgreSQL'} only")
            if (sc["collation"] or None) != (pc["collation"] or None):
                d(f"{name}: collation SQLite {sc['collation']}, PostgreSQL {pc['collation']}")
            if sc["rowid"]:
                # SQLite's rowid alias: an insert may leave the id out.
                if pc["identity"] not in ("d", "a") and pc["default"] is None:
                    d(f"{name}: a rowid on SQLite, but neither identity nor default on PostgreSQL")
                if pc["identity"] == "a":
                    d(f"{name}: GENERATED ALWAYS refuses explicit ids; use BY DEFAULT")
            else:
                sd = norm_default(sc["default"], pc["type"] == "boolean")
                pd = norm_default(pc["default"], pc["type"] == "boolean")
                if sd != pd:
                    d(f"{name}: default SQLite {sc['default']!r}, PostgreSQL {pc['default']!r}")
            if pc["generated"]:
                d(f"{name}: generated on PostgreSQL only")
        if s["pk"] != p["pk"]:
            d(f"{t}: primary key SQLite {s['pk']}, PostgreSQL {p['pk']}")
        if s["uniques"] != p["uniques"]:
            d(f"{t}: unique keys SQLite {sorted(s['uniques'])}, PostgreSQL {sorted(p['uniques'])}")
        if s["checks"] != p["checks"]:
            d(f"{t}: CHECKs differ:\n      SQLite     {s['checks']}\n      PostgreSQL {p['checks']}")
        if s["fks"] != p["fks"]:
            d(f"{t}: foreign keys differ:\n      SQLite     {s['fks']}\n      PostgreSQL {p['fks']}")
        for name in sorted(set(s["indexes"]) | set(p["indexes"])):
            si, pi = s["indexes"].get(name), p["indexes"].get(name)
            if si is None:
                d(f"index {name} on {t}: only on PostgreSQL")
            elif pi is None:
                d(f"index {name} on {t}: only on SQLite")
            else:
                if pi["method"] != "btree":
                    d(f"index {name}: {pi['method']} on PostgreSQL")
                for k in ("unique", "columns", "where"):
                    if si[k] != pi[k]:
                        d(f"index {name}: {k} SQLite {si[k]}, PostgreSQL {pi[k]}")
    # The search table, PostgreSQL's own.
    ps = p_schema.get(PG_SEARCH_TABLE)
    if ps is not None:
        want = [("post_id", "integer"), ("title", "text"), ("body", "text"), ("tags", "text"), ("document", "tsvector")]
        got = [(c["name"], c["type"]) for c in ps["columns"]]
        if got != want:
            d(f"{PG_SEARCH_TABLE}: columns {got}, expected {want}")
        if ((("post_id",), "posts", ("id",), "CASCADE", "NO ACTION")) not in ps["fks"]:
            d(f"{PG_SEARCH_TABLE}.post_id: no foreign key to posts ON DELETE CASCADE (it stands for posts_fts_delete)")
        gin = [n for n, i in ps["indexes"].items() if i["method"] == "gin" and i["columns"] == [("document", False, None)]]
        if not gin:
            d(f"{PG_SEARCH_TABLE}: no GIN index on document")
        for n in ps["indexes"]:
            if n not in PG_ONLY_INDEXES:
                d(f"index {n} on {PG_SEARCH_TABLE}: not expected")
    elif SQLITE_SEARCH_TABLE in [r["name"] for r in sq.query("SELECT name FROM sqlite_master WHERE type = 'table'")]:
        d(f"{SQLITE_SEARCH_TABLE} on SQLite but no {PG_SEARCH_TABLE} on PostgreSQL")
    # Triggers.
    expected = {}
    for name, st in s_trig.items():
        pname = TRIGGER_RENAMES.get(name, name)
        if pname is None:
            continue
        expected[pname] = (name, st)
    for pname in sorted(set(expected) | set(p_trig)):
        if pname not in p_trig:
            d(f"trigger {expected[pname][0]}: only on SQLite")
            continue
        if pname not in expected:
            d(f"trigger {pname} on {p_trig[pname]['table']}: only on PostgreSQL")
            continue
        sname, st = expected[pname]
        pt = p_trig[pname]
        if not pt["row"]:
            d(f"trigger {pname}: FOR EACH STATEMENT on PostgreSQL (SQLite's run per row)")
        for k in ("table", "timing", "event", "columns", "when"):
            if st[k] != pt[k]:
                d(f"trigger {pname}: {k} SQLite {st[k]!r}, PostgreSQL {pt[k]!r}")
    for f in p_funcs:
        if f["used"] == 0 and f["proname"] not in PG_ONLY_FUNCTIONS:
            d(f"function {f['proname']}(): no trigger runs it")
    return len(diffs) - before, s_schema, p_schema


def compare_schema_rs(pg, diffs):
    """PostgreSQL's tables against src/schema.rs (what diesel compiles against)."""
    before = len(diffs)
    rs = parse_schema_rs(SCHEMA_RS)
    p_schema, _, _ = pg_schema(pg)
    for t in sorted(set(rs) | set(p_schema) - {PG_SEARCH_TABLE}):
        if t not in p_schema:
            diffs.append(f"[schema.rs] table {t}: in src/schema.rs, not on PostgreSQL")
            continue
        if t not in rs:
            diffs.append(f"[schema.rs] table {t}: on PostgreSQL, not in src/schema.rs")
            continue
        pcols = [(c["name"], c["type"], not c["notnull"]) for c in p_schema[t]["columns"]]
        want = [(n, DIESEL_TYPES.get(ty, ty), nullable) for n, ty, nullable in rs[t]]
        if [c[0] for c in pcols] != [c[0] for c in want]:
            diffs.append(f"[schema.rs] {t}: columns {[c[0] for c in pcols]}, schema.rs {[c[0] for c in want]}")
        pmap = {c[0]: c for c in pcols}
        for n, ty, nullable in want:
            if n in pmap and pmap[n][1:] != (ty, nullable):
                diffs.append(f"[schema.rs] {t}.{n}: PostgreSQL {pmap[n][1]}{' NULL' if pmap[n][2] else ''}, "
                             f"diesel wants {ty}{' NULL' if nullable else ''}")
    return len(diffs) - before


# --- data --------------------------------------------------------------------

def pg_types(pg):
    rows = pg.query("""SELECT c.relname AS tbl, a.attname, format_type(a.atttypid, a.atttypmod) AS type
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped""")
    return {(r["tbl"], r["attname"]): r["type"] for r in rows}


def norm_value(v, pgtype):
    if v is None:
        return None
    if pgtype == "boolean":
        return bool(v)
    if pgtype and pgtype.startswith("timestamp"):
        return str(v).replace("T", " ")
    return v


def dump(sq, pg):
    """{table: (sqlite rows, pg rows)} for every table either has, plus the
    search index and the probes."""
    types = pg_types(pg)
    s_tables, p_tables = set(sq.tables()), set(pg.tables())
    out = {}
    pg_sqls, pg_keys = [], []
    for t in sorted(s_tables | p_tables):
        if t in s_tables:
            cols = [c["name"] for c in sq.query(f"PRAGMA table_info({q(t)})")]
        else:
            cols = [a for (tb, a) in types if tb == t]
        order = ", ".join(str(i + 1) for i in range(len(cols)))
        sql = f"SELECT {', '.join(cols)} FROM {t} ORDER BY {order}"
        srows = None
        if t in s_tables:
            srows = [tuple(norm_value(r[c], types.get((t, c))) for c in cols) for r in sq.query(sql)]
        out[t] = [srows, None, cols]
        if t in p_tables:
            pcols = {a for (tb, a) in types if tb == t}
            if set(cols) - pcols:
                out[t][1] = f"columns missing: {sorted(set(cols) - pcols)}"
            else:
                pg_sqls.append(sql)
                pg_keys.append(t)
    has_fts = SQLITE_SEARCH_TABLE in [r["name"] for r in sq.query("SELECT name FROM sqlite_master WHERE type = 'table'")]
    has_search = PG_SEARCH_TABLE in [r["relname"] for r in pg.query(
        "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'")]
    if has_fts or has_search:
        out["(search index)"] = [
            [tuple(r.values()) for r in sq.query(f"SELECT rowid AS id, title, body, tags FROM {SQLITE_SEARCH_TABLE} ORDER BY rowid")]
            if has_fts else None, None, ["id", "title", "body", "tags"]]
        if has_search:
            pg_sqls.append(f"SELECT post_id AS id, title, body, tags FROM {PG_SEARCH_TABLE} ORDER BY post_id")
            pg_keys.append("(search index)")
    results = pg.query_many(pg_sqls) if pg_sqls else []
    for key, rows in zip(pg_keys, results):
        cols = out[key][2]
        tname = key if key != "(search index)" else None
        out[key][1] = [tuple(norm_value(r[c], types.get((tname, c))) for c in cols) for r in rows]
    return out


def compare_data(sq, pg, diffs, label, probes=False):
    before = len(diffs)
    data = dump(sq, pg)
    for t, (srows, prows, cols) in data.items():
        if srows is None or prows is None:
            diffs.append(f"[{label}] {t}: only on {'PostgreSQL' if srows is None else 'SQLite'}")
            continue
        if isinstance(prows, str):
            diffs.append(f"[{label}] {t}: {prows}")
            continue
        s_only = [r for r in srows if r not in prows]
        p_only = [r for r in prows if r not in srows]
        if s_only or p_only or len(srows) != len(prows):
            diffs.append(f"[{label}] {t} ({', '.join(cols)}): {len(srows)} rows on SQLite, {len(prows)} on PostgreSQL")
            for r in s_only[:8]:
                diffs.append(f"      SQLite only:     {r}")
            for r in p_only[:8]:
                diffs.append(f"      PostgreSQL only: {r}")
    if probes:
        presults = pg.query_many(PROBES)
        for sql, prows in zip(PROBES, presults):
            srows = sq.query(sql)
            s = [tuple(r.values()) for r in srows]
            p = [tuple(r[k] for k in srows[0].keys()) if srows else tuple(r.values()) for r in prows]
            if s != p:
                diffs.append(f"[{label}] probe {sql}\n      SQLite     {s}\n      PostgreSQL {p}")
    rows = sum(len(v[0] or []) for v in data.values())
    return len(diffs) - before, rows


def check_must_fail(sq, pg, diffs, label):
    before = len(diffs)
    for sql in MUST_FAIL:
        s, p = sq.fails(sql), pg.fails(sql)
        if not (s and p):
            diffs.append(f"[{label}] must fail on both, but "
                         f"{'succeeds on ' + ' and '.join(n for n, f in (('SQLite', s), ('PostgreSQL', p)) if not f)}: {sql}")
    return len(diffs) - before


def check_search(sq, pg, diffs, label, show):
    before = len(diffs)
    pg_sqls, sq_results = [], []
    for kind, text in SEARCHES:
        words = text.split()
        if kind == "words":
            expr = " ".join('"' + w.replace('"', '""') + '"' for w in words)
            pq = f"plainto_tsquery({q(SEARCH_CONFIG)}, {q(text)})"
        else:
            expr = " ".join('"' + w + '"*' for w in words)
            pq = f"to_tsquery({q(SEARCH_CONFIG)}, {q(' & '.join(w + ':*' for w in words))})"
        sq_results.append([r["rowid"] for r in sq.query(
            f"SELECT rowid FROM {SQLITE_SEARCH_TABLE} WHERE {SQLITE_SEARCH_TABLE} MATCH {q(expr)} ORDER BY rowid")])
        pg_sqls.append(f"SELECT post_id FROM {PG_SEARCH_TABLE} WHERE document @@ {pq} ORDER BY post_id")
    for (kind, text), s, prows in zip(SEARCHES, sq_results, pg.query_many(pg_sqls)):
        p = [r["post_id"] for r in prows]
        if s != p:
            diffs.append(f"[{label}] search {kind} {text!r}: SQLite finds {s}, PostgreSQL {p}")
        elif show:
            print(f"    search {kind:6} {text!r:16} -> posts {p}")
    # The brief's queries, the english configuration's own, and the app's
    # kind: ranked with SQLite's weights, highlighted with its markers.
    checks = [
        ("websearch_to_tsquery('english', 'harbour wall')",
         "SELECT post_id, round(ts_rank(document, q)::numeric, 4) AS rank, ts_headline('english', body, q) AS headline "
         "FROM posts_search, websearch_to_tsquery('english', 'harbour wall') q WHERE document @@ q ORDER BY rank DESC, post_id"),
        ("to_tsquery('english', 'guar:*')",
         "SELECT post_id, ts_headline('english', body, q) AS headline "
         "FROM posts_search, to_tsquery('english', 'guar:*') q WHERE document @@ q ORDER BY post_id"),
        (f"app-style: plainto_tsquery('{SEARCH_CONFIG}', 'harbour wall'), ts_rank weights 10:4:1",
         f"SELECT s.post_id, round(ts_rank('{{0.1, 0.1, 0.4, 1.0}}', s.document, q)::numeric, 4) AS rank, "
         f"replace(replace(ts_headline('{SEARCH_CONFIG}', s.title, q, 'HighlightAll=true, StartSel=' || chr(2) || ', StopSel=' || chr(3)), chr(2), '['), chr(3), ']') AS title, "
         f"replace(replace(ts_headline('{SEARCH_CONFIG}', s.body, q, 'MaxWords=40, MinWords=10, StartSel=' || chr(2) || ', StopSel=' || chr(3)), chr(2), '['), chr(3), ']') AS snippet "
         f"FROM posts_search s JOIN posts p ON p.id = s.post_id, plainto_tsquery('{SEARCH_CONFIG}', 'harbour wall') q "
         f"WHERE s.document @@ q AND p.status = 'published' AND p.published_at <= '2026-12-01 00:00:00' "
         f"ORDER BY rank DESC, p.published_at DESC, p.id DESC"),
    ]
    for (name, sql), rows in zip(checks, pg.query_many([c[1] for c in checks])):
        if not rows:
            diffs.append(f"[{label}] search {name}: no rows")
        elif show:
            print(f"    {name}:")
            for r in rows:
                print(f"      {json.dumps(r, ensure_ascii=False)}")
    return len(diffs) - before


def rebase(sq, pg, version, direction, diffs, label):
    """See REBUILD_BUMPS."""
    count_sql = REBUILD_BUMPS.get((version, direction))
    if count_sql is None:
        return
    s = sq.query("SELECT version FROM site_version")[0]["version"]
    p = pg.query("SELECT version FROM site_version")[0]["version"]
    replies = pg.query(count_sql)[0]["n"]
    if s - p != replies:
        diffs.append(f"[{label}] site_version.version: SQLite {s}, PostgreSQL {p}; "
                     f"SQLite's table rebuild accounts for {replies} of the difference")
    else:
        print(f"   ({direction} {version}: SQLite's rebuild of comments bumped site_version "
              f"{replies} more times, once per reply; PostgreSQL's counter set to match)")
    pg.run([f"UPDATE site_version SET version = {s} WHERE id = 1"])


# --- the run -----------------------------------------------------------------

def with_db(url, db, port=None):
    u = urllib.parse.urlsplit(url)
    netloc = u.netloc
    if port:
        userinfo, at, hostport = netloc.rpartition("@")
        host = hostport.rsplit(":", 1)[0] if ":" in hostport and not hostport.endswith("]") else hostport
        netloc = f"{userinfo}{at}{host}:{port}"
    return urllib.parse.urlunsplit((u.scheme, netloc, "/" + db, u.query, u.fragment))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pg-url", default=os.environ.get("PARITY_PG_URL", DEFAULT_URL),
                    help="server to make the temporary database on (default $PARITY_PG_URL or %(default)s)")
    ap.add_argument("--port", type=int, help="port, overriding the URL's")
    ap.add_argument("--keep", action="store_true", help="keep the temporary databases (their names are printed)")
    args = ap.parse_args()

    diffs = []
    checks = 0
    print("== migration folders")
    s_versions, p_versions = folders(SQLITE_DIR), folders(HERE)
    if s_versions != p_versions:
        for v in sorted(set(s_versions) - set(p_versions)):
            diffs.append(f"[folders] {v}: SQLite only")
        for v in sorted(set(p_versions) - set(s_versions)):
            diffs.append(f"[folders] {v}: PostgreSQL only")
    for v in p_versions:
        for f in ("up.sql", "down.sql"):
            if not os.path.isfile(os.path.join(HERE, v, f)):
                diffs.append(f"[folders] {v}/{f}: missing on PostgreSQL")
    versions = [v for v in s_versions if v in p_versions]
    print(f"   {len(s_versions)} SQLite, {len(p_versions)} PostgreSQL, {len(versions)} in both")

    admin = Pg(with_db(args.pg_url, urllib.parse.urlsplit(args.pg_url).path.lstrip("/") or "postgres", args.port))
    db = f"mig_parity_{os.getpid()}"
    rc, _, err = admin._psql(["-c", f"CREATE DATABASE {db}"])
    if rc != 0:
        print(f"cannot create database {db} on {args.pg_url}: {err.strip()}", file=sys.stderr)
        return 2
    pg = Pg(with_db(args.pg_url, db, args.port))
    tmpdir = tempfile.mkdtemp(prefix="mig_parity_")
    sq = Sqlite(os.path.join(tmpdir, "parity.sqlite3"))
    print(f"   PostgreSQL database {db}, SQLite file {sq.path}")
    try:
        for round_no in (1, 2):
            print(f"== round {round_no}: up, with rows written after the first migration")
            for i, v in enumerate(versions):
                sq.migrate(v, "up")
                pg.migrate(v, "up")
                rebase(sq, pg, v, "up", diffs, f"round {round_no}, up {v}")
                if i == 0:
                    sq.run(SEED)
                    pg.run(SEED)
                n, rows = compare_data(sq, pg, diffs, f"round {round_no}, up {v}")
                checks += 1
                print(f"   up   {v}: {rows} rows, {'same' if n == 0 else f'{n} differences'}")
            print("== schema after the last migration")
            n, s_schema, _ = compare_schema(sq, pg, diffs, f"round {round_no} schema")
            checks += 1
            print(f"   {len(s_schema)} tables: {'same' if n == 0 else f'{n} differences'}")
            n = compare_schema_rs(pg, diffs)
            checks += 1
            print(f"   PostgreSQL against src/schema.rs: {'same' if n == 0 else f'{n} differences'}")
            print("== scenario")
            sq.run(SCENARIO)
            pg.run(SCENARIO)
            n, rows = compare_data(sq, pg, diffs, f"round {round_no} scenario", probes=True)
            checks += 1
            print(f"   {len(SCENARIO)} statements, then {rows} rows and {len(PROBES)} probes: "
                  f"{'same' if n == 0 else f'{n} differences'}")
            n = check_must_fail(sq, pg, diffs, f"round {round_no}")
            checks += 1
            print(f"   {len(MUST_FAIL)} statements refused by both: {'yes' if n == 0 else f'{n} differences'}")
            n = check_search(sq, pg, diffs, f"round {round_no}", show=(round_no == 1))
            checks += 1
            print(f"   search: {'same' if n == 0 else f'{n} differences'}")
            print(f"== round {round_no}: down, in reverse order")
            for v in reversed(versions):
                sq.migrate(v, "down")
                pg.migrate(v, "down")
                rebase(sq, pg, v, "down", diffs, f"round {round_no}, down {v}")
                n, rows = compare_data(sq, pg, diffs, f"round {round_no}, down {v}")
                checks += 1
                print(f"   down {v}: {rows} rows, {'same' if n == 0 else f'{n} differences'}")
            for side in (sq, pg):
                left = side.leftovers()
                checks += 1
                if left:
                    diffs.append(f"[round {round_no}] {side.name}: left after every down.sql: {left}")
            print(f"   nothing left behind: {'yes' if not (sq.leftovers() or pg.leftovers()) else 'no'}")
    except Fail as e:
        diffs.append(f"[stopped] {e}")
    finally:
        sq.conn.close()
        if args.keep:
            print(f"   kept: PostgreSQL database {db}, SQLite file {sq.path}")
        else:
            admin._psql(["-c", f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"])
            for f in os.listdir(tmpdir):
                os.remove(os.path.join(tmpdir, f))
            os.rmdir(tmpdir)

    print()
    if diffs:
        print(f"DIFFERENCES ({len(diffs)}):")
        for line in diffs:
            print("  " + line)
        print(f"\nparity: 0 passed, {len(diffs)} failed")
        return 1
    print(f"parity: {checks} passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
