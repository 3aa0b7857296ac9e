//! What imports brought in: each item by the exporting site (`source`), its
//! kind and its id there, and the row it became here. Running an import
//! again looks items up here and skips those it has.

use diesel::prelude::*;

use crate::db::Conn;

use crate::schema::{comments, imported, posts, users};

text_enum! {
    pub enum ImportedKind {
        User = "user",
        Post = "post",
        Comment = "comment",
        Media = "media",
    }
}

pub struct Imported;

impl Imported {
    /// The row an item became, if it still exists.
    pub fn local_id(
        conn: &mut Conn,
        source: &str,
        kind: ImportedKind,
        source_id: &str,
    ) -> QueryResult<Option<i32>> {
        let id: Option<i32> = imported::table
            .filter(imported::source.eq(source))
            .filter(imported::kind.eq(kind))
            .filter(imported::source_id.eq(source_id))
            .select(imported::local_id)
            .first(conn)
            .optional()?;
        let Some(id) = id else { return Ok(None) };
        // Deleted here since: brought in again.
        let exists = match kind {
            ImportedKind::User => users::table.find(id).count().get_result::<i64>(conn)?,
            ImportedKind::Post => posts::table.find(id).count().get_result(conn)?,
            ImportedKind::Comment => comments::table.find(id).count().get_result(conn)?,
            ImportedKind::Media => crate::schema::media::table
                .find(id)
                .count()
                .get_result(conn)?,
        };
        Ok((exists > 0).then_some(id))
    }

    /// Records that `source_id` became `local_id`; a comment names its
    /// parent at the source until `link_parents` finds it.
    pub fn record(
        conn: &mut Conn,
        source: &str,
        kind: ImportedKind,
        source_id: &str,
        local_id: i32,
        source_parent: Option<&str>,
    ) -> QueryResult<()> {
        crate::each_backend!(conn, c => diesel::insert_into(imported::table)
            .values((
                imported::source.eq(source),
                imported::kind.eq(kind),
                imported::source_id.eq(source_id),
                imported::local_id.eq(local_id),
                imported::source_parent.eq(source_parent),
            ))
            .on_conflict((imported::source, imported::kind, imported::source_id))
            .do_update()
            .set((
                imported::local_id.eq(local_id),
                imported::source_parent.eq(source_parent),
            ))
            .execute(c))?;
        Ok(())
    }

    /// Points every imported comment of `source` whose parent has arrived
    /// at it; returns how many were linked. Runs after every batch, so it
    /// reads only the comments still waiting (the partial index), never
    /// every row an import brought.
    pub fn link_parents(conn: &mut Conn, source: &str) -> QueryResult<usize> {
        #[derive(QueryableByName)]
        struct Link {
            #[diesel(sql_type = diesel::sql_types::Integer)]
            child: i32,
            #[diesel(sql_type = diesel::sql_types::Integer)]
            parent: i32,
        }
        let links: Vec<Link> = diesel::sql_query(crate::db::sql(
            conn,
            "SELECT child.local_id AS child, parent.local_id AS parent
             FROM imported AS child INDEXED BY imported_unlinked
             JOIN imported AS parent ON parent.source = child.source
                 AND parent.kind = 'comment' AND parent.source_id = child.source_parent
             WHERE child.source = ?1 AND child.source_parent IS NOT NULL AND child.kind = 'comment'",
            "SELECT child.local_id AS child, parent.local_id AS parent
             FROM imported AS child
             JOIN imported AS parent ON parent.source = child.source
                 AND parent.kind = 'comment' AND parent.source_id = child.source_parent
             WHERE child.source = $1 AND child.source_parent IS NOT NULL AND child.kind = 'comment'",
        ))
        .bind::<diesel::sql_types::Text, _>(source)
        .load(conn)?;
        for link in &links {
            diesel::update(comments::table.find(link.child))
                .set(comments::parent_id.eq(link.parent))
                .execute(conn)?;
        }
        diesel::sql_query(crate::db::sql(
            conn,
            "UPDATE imported INDEXED BY imported_unlinked SET source_parent = NULL
             WHERE source = ?1 AND source_parent IS NOT NULL AND EXISTS (
                 SELECT 1 FROM imported AS parent WHERE parent.source = imported.source
                     AND parent.kind = 'comment' AND parent.source_id = imported.source_parent)",
            "UPDATE imported SET source_parent = NULL
             WHERE source = $1 AND source_parent IS NOT NULL AND EXISTS (
                 SELECT 1 FROM imported AS parent WHERE parent.source = imported.source
                     AND parent.kind = 'comment' AND parent.source_id = imported.source_parent)",
        ))
        .bind::<diesel::sql_types::Text, _>(source)
        .execute(conn)?;
        Ok(links.len())
    }

    /// Comments whose parent never arrived: (their id at the source, the
    /// parent's), at most `limit`; they stay replies to the post itself.
    pub fn orphans(
        conn: &mut Conn,
        source: &str,
        limit: i64,
    ) -> QueryResult<Vec<(String, String)>> {
        let rows: Vec<(String, Option<String>)> = imported::table
            .filter(imported::source.eq(source))
            .filter(imported::source_parent.is_not_null())
            .select((imported::source_id, imported::source_parent))
            .limit(limit)
            .load(conn)?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, parent)| Some((id, parent?)))
            .collect())
    }

    /// Forgets the missing parents of `source` once they are reported.
    pub fn forget_orphans(conn: &mut Conn, source: &str) -> QueryResult<usize> {
        diesel::update(
            imported::table
                .filter(imported::source.eq(source))
                .filter(imported::source_parent.is_not_null()),
        )
        .set(imported::source_parent.eq(None::<String>))
        .execute(conn)
    }
}
