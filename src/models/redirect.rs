//! Old addresses and where they moved: each answers 301.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::Conn;
use crate::local_path::is_local_path;

use crate::models::paging::{Paged, Paging};
use crate::schema::redirects;

#[derive(Queryable, Selectable, Debug, Clone, PartialEq, Eq)]
#[diesel(table_name = redirects)]
pub struct Redirect {
    pub id: i32,
    pub from_path: String,
    pub to_path: String,
    pub created_at: NaiveDateTime,
}

/// The longest old address kept (WordPress permalinks with long slugs fit).
pub const MAX_PATH: usize = 1000;

/// An old address as it is stored and looked up: the path and query a
/// browser asks for, without scheme, host or fragment. A full URL (from the
/// old site) is reduced to its path. `None` for anything that is not one.
pub fn normalise_from(input: &str) -> Option<String> {
    let input = input.trim();
    let path = if let Some(rest) = input
        .strip_prefix("https://")
        .or_else(|| input.strip_prefix("http://"))
    {
        match rest.find('/') {
            Some(at) => &rest[at..],
            None => "/",
        }
    } else {
        input
    };
    let path = path.split('#').next().unwrap_or("");
    let valid = is_local_path(path) && path.len() <= MAX_PATH;
    valid.then(|| path.to_string())
}

/// Where a redirect may point: a path on this site or an http(s) address
/// written out with its `//` (browsers read `https:evil.example` as either,
/// depending on the page it is followed from).
pub fn valid_target(to: &str) -> bool {
    to.len() <= MAX_PATH && (is_local_path(to) || is_web_address(to))
}

/// An absolute `http://` or `https://` address with a host.
pub fn is_web_address(to: &str) -> bool {
    let lower = to.get(..8).unwrap_or(to).to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://"))
        && !to
            .chars()
            .any(|c| c == '\\' || c.is_control() || c.is_whitespace())
        && url::Url::parse(to).is_ok_and(|u| u.host_str().is_some_and(|h| !h.is_empty()))
}

impl Redirect {
    /// Where `from` (a normalised path and query) moved, if it did.
    pub fn target(conn: &mut Conn, from: &str) -> QueryResult<Option<String>> {
        redirects::table
            .filter(redirects::from_path.eq(from))
            .select(redirects::to_path)
            .first(conn)
            .optional()
    }

    /// Adds a redirect, or points an existing one for `from` to `to`.
    pub fn add(conn: &mut Conn, from: &str, to: &str, now: NaiveDateTime) -> QueryResult<()> {
        crate::each_backend!(conn, c => diesel::insert_into(redirects::table)
            .values((
                redirects::from_path.eq(from),
                redirects::to_path.eq(to),
                redirects::created_at.eq(now),
            ))
            .on_conflict(redirects::from_path)
            .do_update()
            .set(redirects::to_path.eq(to))
            .execute(c))?;
        Ok(())
    }

    /// Something the site served at `from` now lives at `to`: adds the
    /// redirect, points older redirects to `from` at `to` (so none takes two
    /// hops), and drops one from `to`, an address in use again.
    pub fn moved(conn: &mut Conn, from: &str, to: &str, now: NaiveDateTime) -> QueryResult<()> {
        Redirect::add(conn, from, to, now)?;
        diesel::update(redirects::table.filter(redirects::to_path.eq(from)))
            .set(redirects::to_path.eq(to))
            .execute(conn)?;
        // An address that is in use again must not send readers away.
        diesel::delete(redirects::table.filter(redirects::from_path.eq(to))).execute(conn)?;
        Ok(())
    }

    pub fn page(conn: &mut Conn, paging: Paging) -> QueryResult<Paged<Redirect>> {
        paging.load(|limit, offset| {
            redirects::table
                .order((redirects::created_at.desc(), redirects::id.desc()))
                .limit(limit)
                .offset(offset)
                .select(Redirect::as_select())
                .load(conn)
        })
    }

    pub fn delete(conn: &mut Conn, id: i32) -> QueryResult<usize> {
        diesel::delete(redirects::table.find(id)).execute(conn)
    }

    pub fn count(conn: &mut Conn) -> QueryResult<i64> {
        redirects::table.count().get_result(conn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_addresses_are_kept_as_path_and_query() {
        assert_eq!(normalise_from("/?p=12").as_deref(), Some("/?p=12"));
        assert_eq!(
            normalise_from("https://old.example.com/2019/05/03/slug/#c").as_deref(),
            Some("/2019/05/03/slug/")
        );
        assert_eq!(
            normalise_from("http://old.example.com").as_deref(),
            Some("/")
        );
        assert_eq!(normalise_from("no-slash"), None);
        assert_eq!(normalise_from("//evil.example/x"), None);
        assert_eq!(normalise_from("/a b"), None);
    }

    #[test]
    fn targets_are_local_paths_or_web_addresses() {
        assert!(valid_target("/posts/new-home"));
        assert!(valid_target("https://elsewhere.example/page"));
        assert!(!valid_target("javascript:alert(1)"));
        assert!(!valid_target("//evil.example"));
        assert!(!valid_target("posts/x"));
        assert!(!valid_target("/\\evil.example"));
        assert!(!valid_target("https:evil.example"));
        assert!(!valid_target("https:/evil.example"));
        assert!(!valid_target("https:\\\\evil.example"));
        assert!(!valid_target("/\t/evil.example"));
        assert!(!valid_target("/%2F/evil.example"));
        assert!(valid_target("HTTPS://elsewhere.example/page"));
    }
}
