//! Every integration test in one binary: one link step instead of one per
//! area. Each module is an area (most name the routes module they exercise);
//! `common` is the in-process app, `process` the real binary, and
//! `browser_support` headless Chromium. The tests that measure the whole
//! process's memory are in `tests/footprint/`, alone.

#[macro_use]
mod common;
mod browser_support;
mod process;

mod account;
mod admin;
mod admin_import;
mod browser;
mod cache;
mod comments;
mod copy;
mod export;
mod find;
mod full_disk;
mod generate;
mod group_commit;
mod http_edges;
mod import;
mod import_blogger;
mod import_full_disk;
mod import_media;
mod import_memory;
mod instances;
mod limits;
mod markdown_bounds;
mod media;
mod media_s3;
mod pool;
mod postgres;
mod public;
mod query_plans;
mod redirects;
mod storage;
mod tags_field;
mod write_failures;
