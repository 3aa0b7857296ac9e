//! What the sitemap lists, each part read from an index: posts by id range,
//! archive months and tags with their newest visible publication.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::Conn;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};

use crate::models::PostKind;

/// A visible post's (or page's) address and times.
#[derive(QueryableByName, Debug, Clone)]
pub struct DatedPost {
    #[diesel(sql_type = Text)]
    pub slug: String,
    #[diesel(sql_type = Text)]
    pub kind: PostKind,
    #[diesel(sql_type = Timestamp)]
    pub published_at: NaiveDateTime,
    #[diesel(sql_type = Timestamp)]
    pub updated_at: NaiveDateTime,
}

/// A listing page's key (a month `YYYY-MM` or a tag's slug) and the newest
/// visible publication in it.
#[derive(QueryableByName, Debug, Clone)]
pub struct Listing {
    #[diesel(sql_type = Text)]
    pub key: String,
    #[diesel(sql_type = Timestamp)]
    pub newest: NaiveDateTime,
}

#[derive(QueryableByName)]
struct Number {
    #[diesel(sql_type = Nullable<BigInt>)]
    n: Option<i64>,
}

#[derive(QueryableByName)]
struct Moment {
    #[diesel(sql_type = Nullable<Timestamp>)]
    at: Option<NaiveDateTime>,
}

/// The highest post id in use (drafts included), 0 on an empty site.
pub fn max_post_id(conn: &mut Conn) -> QueryResult<i64> {
    let row: Number =
        diesel::sql_query("SELECT CAST(max(id) AS BIGINT) AS n FROM posts").get_result(conn)?;
    Ok(row.n.unwrap_or(0))
}

/// Visible posts and pages with ids in `from..to`, by id.
pub fn posts_between(
    conn: &mut Conn,
    from: i64,
    to: i64,
    now: NaiveDateTime,
) -> QueryResult<Vec<DatedPost>> {
    diesel::sql_query(crate::db::sql(
        conn,
        "SELECT slug, kind, published_at, updated_at FROM posts INDEXED BY posts_sitemap \
         WHERE id >= ? AND id < ? AND status = 'published' AND published_at <= ? \
         ORDER BY id",
        "SELECT slug, kind, published_at, updated_at FROM posts \
         WHERE id >= $1 AND id < $2 AND status = 'published' AND published_at <= $3 \
         ORDER BY id",
    ))
    .bind::<BigInt, _>(from)
    .bind::<BigInt, _>(to)
    .bind::<Timestamp, _>(now)
    .load(conn)
}

/// When the newest visible post (not page) was published.
pub fn newest_publication(
    conn: &mut Conn,
    now: NaiveDateTime,
) -> QueryResult<Option<NaiveDateTime>> {
    let row: Moment = diesel::sql_query(crate::db::sql(
        conn,
        "SELECT max(published_at) AS at FROM posts \
         WHERE kind = 'post' AND status = 'published' AND published_at <= ?",
        "SELECT max(published_at) AS at FROM posts \
         WHERE kind = 'post' AND status = 'published' AND published_at <= $1",
    ))
    .bind::<Timestamp, _>(now)
    .get_result(conn)?;
    Ok(row.at)
}

/// Each month with a visible post, oldest first: one index lookup a month.
pub fn months(conn: &mut Conn, now: NaiveDateTime) -> QueryResult<Vec<Listing>> {
    diesel::sql_query(crate::db::sql(
        conn,
        "SELECT key, newest FROM ( \
             SELECT a.month AS key, ( \
                 SELECT max(p.published_at) FROM posts p \
                 WHERE p.kind = 'post' AND p.status = 'published' \
                 AND p.published_at >= a.month || '-01' \
                 AND p.published_at < a.month || '-32' AND p.published_at <= ? \
             ) AS newest FROM archive_months a WHERE a.count > 0 \
         ) WHERE newest IS NOT NULL ORDER BY key",
        "SELECT key, newest FROM ( \
             SELECT a.month AS key, ( \
                 SELECT max(p.published_at) FROM posts p \
                 WHERE p.kind = 'post' AND p.status = 'published' \
                 AND p.published_at >= to_timestamp(a.month, 'YYYY-MM')::timestamp \
                 AND p.published_at < to_timestamp(a.month, 'YYYY-MM')::timestamp + interval '1 month' \
                 AND p.published_at <= $1 \
             ) AS newest FROM archive_months a WHERE a.count > 0 \
         ) AS months WHERE newest IS NOT NULL ORDER BY key",
    ))
    .bind::<Timestamp, _>(now)
    .load(conn)
}

/// Each tag with a visible post, by slug: one index lookup a tag, among
/// the tags with published posts (`tags_listed`; the condition is written
/// out so SQLite can use that index).
pub fn tags(conn: &mut Conn, now: NaiveDateTime) -> QueryResult<Vec<Listing>> {
    diesel::sql_query(crate::db::sql(
        conn,
        "SELECT key, newest FROM ( \
             SELECT t.slug AS key, ( \
                 SELECT max(pt.published_at) FROM post_tags pt \
                 WHERE pt.tag_id = t.id AND pt.published_at <= ? \
             ) AS newest FROM tags t WHERE t.post_count > 0 \
         ) WHERE newest IS NOT NULL ORDER BY key",
        "SELECT key, newest FROM ( \
             SELECT t.slug AS key, ( \
                 SELECT max(pt.published_at) FROM post_tags pt \
                 WHERE pt.tag_id = t.id AND pt.published_at <= $1 \
             ) AS newest FROM tags t WHERE t.post_count > 0 \
         ) AS tagged WHERE newest IS NOT NULL ORDER BY key",
    ))
    .bind::<Timestamp, _>(now)
    .load(conn)
}
