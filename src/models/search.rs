//! Full-text search: the `posts_fts` index (SQLite FTS5) and its queries.
//!
//! The index holds each post's title, body as plain text and tag names. The
//! migration's triggers keep a row for every post; `index_post`, called when a
//! post is saved, replaces the trigger's markdown body with plain text.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::Conn;
use diesel::sql_types::{BigInt, Double, Integer, Nullable, Text, Timestamp};

use crate::markdown;
use crate::models::paging::Paging;
use crate::models::{Post, PostKind, Tag};
use crate::schema::posts;

/// A reader's query is cut to this many words.
pub const MAX_WORDS: usize = 12;
/// and each word to this many characters.
const MAX_WORD_CHARS: usize = 64;

/// Where snippet() and highlight() start and end a matched word. The indexed
/// text never contains them (see `clean`), so every one comes from FTS5.
const MARK_START: char = '\u{2}';
const MARK_END: char = '\u{3}';
/// What `<`, `>` and `&` travel as through PostgreSQL's `ts_headline`,
/// which would otherwise take `<script>` for markup and leave it out.
const STAND_INS: [(char, char); 3] = [('\u{4}', '<'), ('\u{5}', '>'), ('\u{6}', '&')];

/// A piece of a snippet or title: plain, or a matched word to highlight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fragment {
    pub text: String,
    pub marked: bool,
}

/// One search result: a post, or a page (which has no date).
#[derive(Debug, Clone)]
pub struct Hit {
    pub slug: String,
    pub kind: PostKind,
    pub title: Vec<Fragment>,
    pub dateline: String,
    pub published_at: Option<NaiveDateTime>,
    pub author: Option<String>,
    pub tags: Vec<Tag>,
    /// Body text around the matches; empty when the body has none.
    pub snippet: Vec<Fragment>,
    pub excerpt: String,
}

/// A page of results; `more` says whether another page follows.
#[derive(Debug, Clone)]
pub struct SearchResults {
    pub hits: Vec<Hit>,
    pub total: i64,
    pub more: bool,
}

#[derive(QueryableByName)]
struct HitRow {
    #[diesel(sql_type = Integer)]
    id: i32,
    #[diesel(sql_type = Text)]
    slug: String,
    #[diesel(sql_type = Text)]
    kind: PostKind,
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = Text)]
    dateline: String,
    #[diesel(sql_type = Nullable<Timestamp>)]
    published_at: Option<NaiveDateTime>,
    #[diesel(sql_type = Nullable<Text>)]
    author: Option<String>,
    #[diesel(sql_type = Text)]
    snippet: String,
    #[diesel(sql_type = Text)]
    excerpt: String,
}

/// A visible match in the order posts were written, with its rank (lower
/// is better on both backends).
#[derive(QueryableByName)]
struct Match {
    #[diesel(sql_type = Integer)]
    id: i32,
    #[diesel(sql_type = Double)]
    score: f64,
    #[diesel(sql_type = Nullable<Timestamp>)]
    published_at: Option<NaiveDateTime>,
}

/// Matches are counted up to this many, and only this many of the most
/// recently written are ranked: a word found in most posts would otherwise
/// have every one of them scored; on a news site the recent ones are wanted.
pub const COUNT_LIMIT: i64 = 1000;

/// The words of what a reader typed, at most `MAX_WORDS`. Whitespace, control
/// characters and ASCII punctuation separate words, so FTS5 syntax (quotes,
/// `*`, `(`, `:`, `^`) never survives; words without a letter or digit go.
pub fn words(input: &str) -> Vec<String> {
    input
        .split(|c: char| {
            c.is_whitespace() || c.is_control() || (c.is_ascii() && !c.is_ascii_alphanumeric())
        })
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .take(MAX_WORDS)
        .map(|w| w.chars().take(MAX_WORD_CHARS).collect())
        .collect()
}

/// The last word of a query is matched as a prefix (so "council guar" finds
/// "guarantees") only from this many characters on. A one- or two-letter
/// prefix stands for a large share of the index's terms, each of whose lists
/// FTS5 (or the GIN index) must read and merge, to find most posts anyway;
/// such a word is matched whole, as the earlier words always are.
pub const MIN_PREFIX_CHARS: usize = 3;

/// Whether the word at `index` of `words` is matched as a prefix.
fn is_prefix(words: &[String], index: usize) -> bool {
    index + 1 == words.len() && words[index].chars().count() >= MIN_PREFIX_CHARS
}

/// The words as one query: each quoted by `quote`, joined by `join`, the
/// last followed by `prefix_mark` when it is a prefix (see `MIN_PREFIX_CHARS`).
fn query_text(
    words: &[String],
    quote: fn(&str) -> String,
    join: &str,
    prefix_mark: &str,
) -> String {
    words
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let mark = if is_prefix(words, i) { prefix_mark } else { "" };
            format!("{}{mark}", quote(w))
        })
        .collect::<Vec<_>>()
        .join(join)
}

/// An FTS5 query that matches posts with every one of these words, the last
/// as a prefix: each is quoted as a string, so `AND`, `NEAR` and the like
/// are words too, and `"…"*` is FTS5's prefix query.
fn match_expression(words: &[String]) -> String {
    query_text(
        words,
        |w| format!("\"{}\"", w.replace('"', "\"\"")),
        " ",
        "*",
    )
}

/// The same query as text for PostgreSQL's `to_tsquery`: each word a quoted
/// operand (a `'` doubled, a `\` escaped, so no tsquery syntax can come from
/// the reader even if `words` let one through), joined by `&`, the last
/// with `:*`, the prefix mark.
fn tsquery_expression(words: &[String]) -> String {
    query_text(
        words,
        |w| format!("'{}'", w.replace('\\', "\\\\").replace('\'', "''")),
        " & ",
        ":*",
    )
}

/// The search's statements for each backend: FTS5 on SQLite, a weighted
/// `tsvector` (posts_search, kept by triggers) on PostgreSQL. Both weigh the
/// title 10, the tags 4 and the body 1, and mark hits with `MARK_START`
/// and `MARK_END`.
struct Sql {
    /// Visible matches, newest first (the index walks its ids from the top
    /// cheaply), each with its rank: one walk gives the count and the posts
    /// to rank.
    matches: &'static str,
    /// With `{ids}` for the condition on `id_column` that picks the posts
    /// to show (see `id_condition`).
    hits: &'static str,
    id_column: &'static str,
    /// Whether a prefix query is expanded again for each id looked up (FTS5
    /// merges the lists of every term with the prefix for each rowid of an
    /// `IN` list: 30–50 ms for ten hits of a common word's prefix on the
    /// 100,000-post site, against 2–4 ms for the whole word).
    prefix_per_lookup: bool,
    index: &'static str,
}

impl Sql {
    fn for_backend(conn: &Conn) -> &'static Sql {
        match conn {
            Conn::Sqlite(_) => &SQLITE,
            Conn::Postgres(_) => &POSTGRES,
        }
    }
}

// CROSS JOIN keeps the index lookup outermost: otherwise SQLite may walk
// the posts and run the full-text match once for each of them. The walk
// selects ids and ranks only: SQLite computes every selected column for
// every match, and snippet() is far too costly for that.
static SQLITE: Sql = Sql {
    // posts_visible_by_id holds the columns the join reads, so a match costs
    // no visit to the post's row, long enough to span overflow pages; the
    // planner would take the rowid instead.
    matches: "SELECT posts_fts.rowid AS id, bm25(posts_fts, 10.0, 1.0, 4.0) AS score, p.published_at \
         FROM posts_fts CROSS JOIN posts p INDEXED BY posts_visible_by_id ON p.id = posts_fts.rowid \
         WHERE posts_fts MATCH ? AND p.status = 'published' AND p.published_at <= ? \
         ORDER BY posts_fts.rowid DESC LIMIT ?",
    hits: "SELECT p.id, p.slug, p.kind, highlight(posts_fts, 0, char(2), char(3)) AS title, \
            p.dateline, p.published_at, u.display_name AS author, \
            snippet(posts_fts, 1, char(2), char(3), '…', 40) AS snippet, p.excerpt \
         FROM posts_fts \
         CROSS JOIN posts p ON p.id = posts_fts.rowid \
         LEFT JOIN users u ON u.id = p.author_id \
         WHERE posts_fts MATCH ? AND {ids}",
    id_column: "posts_fts.rowid",
    prefix_per_lookup: true,
    index: "UPDATE posts_fts SET title = ?, body = ? WHERE rowid = ?",
};

// ts_rank's weights are for D, C, B, A: body (C) 0.1, tags (B) 0.4, title (A) 1.
static POSTGRES: Sql = Sql {
    matches: "SELECT s.post_id AS id, -ts_rank('{0.1,0.1,0.4,1.0}', s.document, q)::float8 AS score, \
           p.published_at \
         FROM to_tsquery('broadsheet_english', $1) q, posts_search s JOIN posts p ON p.id = s.post_id \
         WHERE s.document @@ q AND p.status = 'published' AND p.published_at <= $2 \
         ORDER BY s.post_id DESC LIMIT $3",
    hits: "SELECT p.id, p.slug, p.kind, \
            ts_headline('broadsheet_english', translate(s.title, '<>&', chr(4) || chr(5) || chr(6)), q, \
              'HighlightAll=true, StartSel=' || chr(2) || ', StopSel=' || chr(3)) AS title, \
            p.dateline, p.published_at, u.display_name AS author, \
            ts_headline('broadsheet_english', translate(s.body, '<>&', chr(4) || chr(5) || chr(6)), q, \
              'MaxWords=40, MinWords=20, StartSel=' || chr(2) || ', StopSel=' || chr(3)) AS snippet, \
            p.excerpt \
         FROM to_tsquery('broadsheet_english', $1) q, posts_search s \
         JOIN posts p ON p.id = s.post_id \
         LEFT JOIN users u ON u.id = p.author_id \
         WHERE {ids}",
    id_column: "s.post_id",
    prefix_per_lookup: false,
    index: "UPDATE posts_search SET title = $1, body = $2 WHERE post_id = $3",
};

/// The condition that picks the posts `ids` (numbers this code made) for the
/// hits statement. Where a prefix would be expanded once per id, the query
/// walks the ids' range once instead and filters it (the `+` keeps the list
/// from reaching FTS5 as a lookup): 15 ms rather than 30–50 for a common
/// prefix, 1.5 rather than 7–10 for a rare one; a whole-word query keeps the
/// lookups, which are cheaper for it.
fn id_condition(sql: &Sql, ids: &[i32], prefix: bool) -> String {
    let column = sql.id_column;
    let list = ids.iter().map(i32::to_string).collect::<Vec<_>>().join(",");
    match (ids.iter().min(), ids.iter().max()) {
        (Some(first), Some(last)) if prefix && sql.prefix_per_lookup => {
            format!("{column} BETWEEN {first} AND {last} AND +{column} IN ({list})")
        }
        _ => format!("{column} IN ({list})"),
    }
}

/// Visible posts and pages with all of `words`, best first: bm25 with the title weighted
/// well above the tags and the tags above the body.
pub fn search(
    conn: &mut Conn,
    words: &[String],
    now: NaiveDateTime,
    paging: Paging,
) -> QueryResult<SearchResults> {
    if words.is_empty() {
        return Ok(SearchResults {
            hits: Vec::new(),
            total: 0,
            more: false,
        });
    }
    let sql = Sql::for_backend(conn);
    let expression = match conn {
        Conn::Sqlite(_) => match_expression(words),
        Conn::Postgres(_) => tsquery_expression(words),
    };
    // One past the limit, so a page can say "more than 1000 results"
    // rather than walking every match of a common word.
    let mut matches: Vec<Match> = diesel::sql_query(sql.matches)
        .bind::<Text, _>(&expression)
        .bind::<Timestamp, _>(now)
        .bind::<BigInt, _>(COUNT_LIMIT + 1)
        .load(conn)?;
    let total = matches.len() as i64;
    matches.truncate(usize::try_from(COUNT_LIMIT).unwrap_or(usize::MAX));
    matches.sort_by(|a, b| {
        a.score
            .total_cmp(&b.score)
            .then(b.published_at.cmp(&a.published_at))
            .then(b.id.cmp(&a.id))
    });
    let ranked = paging.load(|limit, offset| {
        let skip = usize::try_from(offset).unwrap_or(usize::MAX);
        let take = usize::try_from(limit).unwrap_or(0);
        Ok(matches.iter().skip(skip).take(take).map(|m| m.id).collect())
    })?;
    let more = ranked.more;
    let ids: Vec<i32> = ranked.items;
    let mut found: Vec<HitRow> = if ids.is_empty() {
        Vec::new()
    } else {
        let prefix = is_prefix(words, words.len() - 1);
        let ids = id_condition(sql, &ids, prefix);
        diesel::sql_query(sql.hits.replace("{ids}", &ids))
            .bind::<Text, _>(&expression)
            .load(conn)?
    };
    let rows: Vec<HitRow> = ids
        .iter()
        .filter_map(|id| {
            found
                .iter()
                .position(|r| r.id == *id)
                .map(|i| found.swap_remove(i))
        })
        .collect();
    let ids: Vec<i32> = rows.iter().map(|r| r.id).collect();
    let mut tags = Tag::for_posts(conn, &ids)?;
    let hits = rows
        .into_iter()
        .map(|row| {
            let snippet = fragments(&row.snippet);
            Hit {
                tags: tags.remove(&row.id).unwrap_or_default(),
                slug: row.slug,
                kind: row.kind,
                title: fragments(&row.title),
                dateline: row.dateline,
                published_at: row.published_at,
                author: row.author,
                snippet: if snippet.iter().any(|f| f.marked) {
                    snippet
                } else {
                    Vec::new()
                },
                excerpt: row.excerpt,
            }
        })
        .collect();
    Ok(SearchResults { hits, total, more })
}

/// The longest a search's statements may run on PostgreSQL before the
/// server cancels them (the page then says the search is busy).
const SEARCH_STATEMENT_TIMEOUT_MS: u32 = 2000;

/// `search`, bounded: on PostgreSQL in a transaction whose statements are
/// cancelled past `SEARCH_STATEMENT_TIMEOUT_MS`. On SQLite the walk is
/// bounded by rows instead (`COUNT_LIMIT` matches, one page of snippets),
/// so a deep page costs no more than the first; diesel gives no way to
/// SQLite's progress handler.
pub fn search_bounded(
    conn: &mut Conn,
    words: &[String],
    now: NaiveDateTime,
    paging: Paging,
) -> QueryResult<SearchResults> {
    match conn {
        Conn::Sqlite(_) => search(conn, words, now, paging),
        Conn::Postgres(_) => conn.transaction(|conn| {
            diesel::sql_query(format!(
                "SET LOCAL statement_timeout = {SEARCH_STATEMENT_TIMEOUT_MS}"
            ))
            .execute(conn)?;
            search(conn, words, now, paging)
        }),
    }
}

/// Whether a search failed because PostgreSQL cancelled it for running
/// past its timeout.
pub fn ran_too_long(e: &diesel::result::Error) -> bool {
    matches!(e, diesel::result::Error::DatabaseError(_, info)
        if info.message().contains("statement timeout"))
}

/// Splits FTS5 output at its markers. A stray marker (from a body saved
/// before `clean`) is dropped rather than trusted.
pub fn fragments(marked: &str) -> Vec<Fragment> {
    let mut out: Vec<Fragment> = Vec::new();
    let mut text = String::new();
    let mut in_mark = false;
    let mut flush = |text: &mut String, marked: bool| {
        if !text.is_empty() {
            out.push(Fragment {
                text: std::mem::take(text),
                marked,
            });
        }
    };
    for c in marked.chars() {
        match c {
            MARK_START if !in_mark => {
                flush(&mut text, false);
                in_mark = true;
            }
            MARK_END if in_mark => {
                flush(&mut text, true);
                in_mark = false;
            }
            MARK_START | MARK_END => {}
            c => text.push(
                STAND_INS
                    .iter()
                    .find(|(stand_in, _)| *stand_in == c)
                    .map_or(c, |(_, real)| *real),
            ),
        }
    }
    flush(&mut text, in_mark);
    out
}

/// Text as the index stores it: without the highlight markers.
fn clean(text: &str) -> String {
    text.replace([MARK_START, MARK_END], "")
}

/// Rewrites a post's title and body (as plain text, `markdown::plain_text`)
/// in its index row.
pub fn index_post(conn: &mut Conn, post: &Post, plain: &str) -> QueryResult<()> {
    // The triggers have already written the row and keep its tags; only the
    // body (markdown there, plain text here) and the marker-free title differ.
    diesel::sql_query(Sql::for_backend(conn).index)
        .bind::<Text, _>(clean(&post.title))
        .bind::<Text, _>(clean(plain))
        .bind::<Integer, _>(post.id)
        .execute(conn)?;
    Ok(())
}

/// Rewrites every post's row (once, at start-up, after the migration that
/// made the index; inside `db::write_with`).
pub fn reindex_all(conn: &mut Conn) -> QueryResult<usize> {
    let ids: Vec<i32> = posts::table.select(posts::id).load(conn)?;
    for id in &ids {
        if let Some(post) = Post::find(conn, *id)? {
            index_post(conn, &post, &markdown::plain_text(&post.body))?;
        }
    }
    Ok(ids.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_drop_fts_syntax() {
        assert_eq!(
            words(r#""a" OR b* NEAR(c d) col:e ^f -g"#),
            ["a", "OR", "b", "NEAR", "c", "d", "col", "e", "f", "g"]
        );
        assert!(words("\" ** () \u{0} \u{7}").is_empty());
        assert_eq!(words("Café «société»"), ["Café", "«société»"]);
    }

    #[test]
    fn words_are_capped() {
        let long = "word ".repeat(500);
        assert_eq!(words(&long).len(), MAX_WORDS);
        let one = "x".repeat(2000);
        assert_eq!(words(&one)[0].chars().count(), MAX_WORD_CHARS);
    }

    #[test]
    fn each_word_is_an_fts_string() {
        let expr = match_expression(&words("AND \"NEAR(x"));
        assert_eq!(expr, r#""AND" "NEAR" "x""#);
    }

    #[test]
    fn only_the_last_word_of_three_letters_or_more_is_a_prefix() {
        let w = |q| words(q);
        assert_eq!(match_expression(&w("council guar")), r#""council" "guar"*"#);
        assert_eq!(match_expression(&w("guar council")), r#""guar" "council"*"#);
        assert_eq!(match_expression(&w("council gu")), r#""council" "gu""#);
        assert_eq!(
            tsquery_expression(&w("council guar")),
            "'council' & 'guar':*"
        );
        assert_eq!(tsquery_expression(&w("council gu")), "'council' & 'gu'");
    }

    #[test]
    fn tsquery_operands_stay_quoted() {
        // `words` never lets these through; the quoting holds regardless.
        let hostile = ["it's".to_string(), r"a\' | b".to_string()];
        assert_eq!(tsquery_expression(&hostile), r"'it''s' & 'a\\'' | b':*");
    }

    #[test]
    fn fragments_follow_the_markers_and_drop_strays() {
        let f = fragments("a \u{2}b\u{3} c\u{3} \u{2}d");
        assert_eq!(
            f,
            [
                Fragment {
                    text: "a ".into(),
                    marked: false
                },
                Fragment {
                    text: "b".into(),
                    marked: true
                },
                Fragment {
                    text: " c ".into(),
                    marked: false
                },
                Fragment {
                    text: "d".into(),
                    marked: true
                },
            ]
        );
    }
}
