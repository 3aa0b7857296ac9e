//! `broadsheet copy --to URL|FILE`: the whole site moved into an empty
//! database of either kind (SQLite ⇄ PostgreSQL), then checked table by
//! table against the source.
//!
//! The tables, their columns, keys and references are read from the two
//! databases' catalogs, not listed here, so a table or column a later
//! migration adds is copied without a change to this file. What the catalogs
//! cannot say is written down below: which tables and columns the triggers
//! derive, and which table they all count into.
//!
//! Rows travel as JSON, a batch at a time: the source writes each row as a
//! JSON object (`json_object` / `row_to_json`), this program only mends the
//! two kinds of value the databases write apart (timestamps, booleans), and
//! the target takes the whole batch in one statement (`json_each` /
//! `json_populate_recordset`), in one write transaction (`db::write_with`).
//! Ids are kept exactly: rows refer to each other by them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text};
use serde_json::Value;

use crate::cli_error::CliError;
use crate::db::{self, Conn, Create, Database};
use crate::error::AppError;

/// Rows read and written at a time, at most…
const BATCH_ROWS: i64 = 1000;
/// …and about this many bytes of their text (one larger row goes alone), so
/// the copy's memory stays bounded however long the posts are.
const BATCH_BYTES: i64 = 8 * 1024 * 1024;

/// Not copied: the migrations' own record (the target's migrations ran),
/// and the archive's month totals, which the triggers on `posts` build again
/// as the posts arrive (and which the check compares all the same).
const NOT_COPIED: &[&str] = &["__diesel_schema_migrations", "archive_months", UNFINISHED];

/// A table the copy makes in its target before the first row and drops
/// once every table compares equal: while it is there the target is part
/// of a copy, and `serve` refuses it (a server on it would answer every
/// page 404). A table, not a file, so that it works for PostgreSQL too.
const UNFINISHED: &str = "broadsheet_copy_unfinished";

/// The search index: SQLite's FTS5 table (with its shadow tables,
/// `posts_fts_*`) and PostgreSQL's `posts_search`. The triggers write a row
/// for each post that arrives and keep its tags; its title and body (plain
/// text, which SQL cannot make from markdown) are copied from the source's
/// index beside each batch of posts.
const SQLITE_INDEX: &str = "posts_fts";
const POSTGRES_INDEX: &str = "posts_search";

/// Counts the triggers keep, written as zero: the triggers count them up
/// again as the rows they count arrive (comments, tag links). Copying the
/// source's value as well would double them.
const RECOUNTED: &[(&str, &str)] = &[("posts", "comment_count"), ("tags", "post_count")];

/// The change counters: every insert above bumps them, so they are copied
/// last, and so end as the source's.
const COUNTERS: &str = "site_version";

/// Tables whose rows the migrations themselves write (the settings and the
/// counters): a new database has them, so they do not make it non-empty;
/// the copy replaces them.
const SEEDED: &[&str] = &["settings", "site_version"];

/// Why a copy stopped part way.
#[derive(Debug, thiserror::Error)]
enum Failed {
    #[error(transparent)]
    App(#[from] AppError),
    /// The two schemas are not what the copy can move row for row.
    #[error("{0}")]
    Schema(String),
}

impl From<diesel::result::Error> for Failed {
    fn from(e: diesel::result::Error) -> Self {
        Failed::App(e.into())
    }
}

/// What the copy compared, table by table.
#[derive(Debug)]
pub struct Report {
    /// Each table with its rows in the source and in the copy.
    pub tables: Vec<Tally>,
    /// Every total that differs (rows, a column's sum), one line each.
    pub differences: Vec<String>,
}

#[derive(Debug)]
pub struct Tally {
    pub table: String,
    pub source: i64,
    pub target: i64,
}

/// Copies the site at `source` (which must exist) into `target` (a new
/// file, or an empty database), calling `progress` with the rows copied so
/// far of all `total`.
pub fn copy(
    source: &Database,
    target: &Database,
    mut progress: impl FnMut(&str, u64, u64),
) -> Result<Report, CliError> {
    if same_database(source, target) {
        return Err(format!(
            "{target} is the source database itself; copy into a new file or an empty database"
        )
        .into());
    }
    let from = db::open(source, Create::Never, crate::models::FILL)?;
    let mut from = from.get()?;
    // A target that holds a blog is refused before anything migrates it.
    if let Some(mut conn) = existing_blog(target)? {
        refuse_occupied(&mut conn, target)?;
    }
    let to = db::open(target, Create::Unseeded, crate::models::FILL)?;
    // A target file is written for as long as the copy runs: a restore
    // there meanwhile would take its rows into the file put aside.
    let _lock = target
        .file()
        .map(crate::backup::ServerLock::take)
        .transpose()?;
    let mut to = to.get()?;
    refuse_occupied(&mut to, target)?;
    let incomplete = |e: Failed| {
        format!(
            "the copy stopped: {e}; {target} is incomplete: remove it (or drop and create the \
             database again) before trying again"
        )
    };
    if has_table(&mut from, UNFINISHED).map_err(|e| format!("cannot read {source}: {e}"))? {
        return Err(format!(
            "{source} is itself an unfinished copy; copy from the database it was copied from"
        )
        .into());
    }
    diesel::sql_query(format!(
        "CREATE TABLE IF NOT EXISTS {UNFINISHED} (started_at TEXT NOT NULL)"
    ))
    .execute(&mut to)
    .map_err(|e| format!("cannot write {target}: {e}"))?;
    let plan = plan(&mut from, &mut to).map_err(|e| e.to_string())?;
    copy_rows(&mut from, &mut to, &plan, &mut progress).map_err(incomplete)?;
    let report = verify(&mut from, &mut to, &plan).map_err(incomplete)?;
    // A copy that differs from its source stays marked: nothing should
    // serve it as the site.
    if report.differences.is_empty() {
        diesel::sql_query(format!("DROP TABLE {UNFINISHED}"))
            .execute(&mut to)
            .map_err(|e| format!("cannot write {target}: {e}"))?;
    }
    Ok(report)
}

/// Refuses a database that a `copy --to` began and did not finish, in one
/// line; any other database (missing, unreachable, not a blog) is left to
/// the open that follows, which says what is wrong with it.
pub fn refuse_unfinished(database: &Database) -> Result<(), CliError> {
    let conn = match database {
        Database::Sqlite(path) => {
            if std::fs::metadata(path).map_or(true, |m| m.len() == 0) {
                return Ok(());
            }
            diesel::SqliteConnection::establish(&path.to_string_lossy()).map(Conn::Sqlite)
        }
        Database::Postgres(url) => diesel::PgConnection::establish(url).map(Conn::Postgres),
    };
    let Ok(mut conn) = conn else {
        return Ok(());
    };
    if has_table(&mut conn, UNFINISHED).unwrap_or(false) {
        return Err(format!(
            "{database} is an unfinished copy (`broadsheet copy --to` stopped before the end, \
             or its rows differ from the source's): remove it (or drop and create the database \
             again) and copy again"
        )
        .into());
    }
    Ok(())
}

fn has_table(conn: &mut Conn, name: &str) -> QueryResult<bool> {
    Ok(table_names(conn)?.iter().any(|t| t == name))
}

/// Whether two names mean the same database: the same file, or the same
/// database on the same server (whoever signs in).
fn same_database(a: &Database, b: &Database) -> bool {
    match (a, b) {
        (Database::Sqlite(a), Database::Sqlite(b)) => canonical(a) == canonical(b),
        (Database::Postgres(a), Database::Postgres(b)) => {
            let place = |url: &str| {
                url::Url::parse(url).ok().map(|u| {
                    (
                        u.host_str().unwrap_or("").to_ascii_lowercase(),
                        u.port().unwrap_or(5432),
                        u.path().trim_start_matches('/').to_string(),
                        u.query().unwrap_or("").to_string(),
                    )
                })
            };
            place(a).is_some() && place(a) == place(b)
        }
        _ => false,
    }
}

/// The file's full path, or its folder's and its name when it does not
/// exist yet.
fn canonical(path: &Path) -> PathBuf {
    if let Ok(full) = path.canonicalize() {
        return full;
    }
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    match (dir.canonicalize(), path.file_name()) {
        (Ok(dir), Some(name)) => dir.join(name),
        _ => path.to_path_buf(),
    }
}

/// A connection to the target when it already holds Broadsheet's schema;
/// `None` for a missing or empty file and a database with no tables, which
/// `db::open` creates and migrates (and which refuses any other database).
fn existing_blog(target: &Database) -> Result<Option<Conn>, CliError> {
    let mut conn = match target {
        Database::Sqlite(path) => {
            let empty = std::fs::metadata(path).map_or(true, |m| m.len() == 0);
            if empty {
                return Ok(None);
            }
            db::check_existing(path)?;
            Conn::Sqlite(
                diesel::SqliteConnection::establish(&path.to_string_lossy())
                    .map_err(|e| format!("cannot open {target}: {e}"))?,
            )
        }
        Database::Postgres(url) => {
            Conn::Postgres(diesel::PgConnection::establish(url).map_err(|e| {
                let reason = e.to_string();
                db::OpenError::Unreachable {
                    database: target.to_string(),
                    reason: reason.lines().next().unwrap_or("").trim().to_string(),
                }
                .to_string()
            })?)
        }
    };
    let tables = table_names(&mut conn).map_err(|e| format!("cannot read {target}: {e}"))?;
    Ok(tables.iter().any(|t| t == "posts").then_some(conn))
}

/// Refuses a target that holds anything beyond what migrations write.
fn refuse_occupied(conn: &mut Conn, target: &Database) -> Result<(), CliError> {
    let read = |e: AppError| format!("cannot read {target}: {e}");
    let mut posts = 0;
    let mut users = 0;
    let mut others = 0;
    for table in table_names(conn).map_err(|e| read(e.into()))? {
        if SEEDED.contains(&table.as_str())
            || NOT_COPIED.contains(&table.as_str())
            || is_index(&table)
        {
            continue;
        }
        let n = db::count_rows(conn, &ident(&table)).map_err(read)?;
        match table.as_str() {
            "posts" => posts = n,
            "users" => users = n,
            _ => others += n,
        }
    }
    if posts + users + others == 0 {
        return Ok(());
    }
    let mut held = format!(
        "{} and {}",
        crate::view::plural(posts, "post", "posts"),
        crate::view::plural(users, "user", "users")
    );
    if others > 0 {
        held = format!(
            "{held} (and {} in other tables)",
            crate::view::plural(others, "row", "rows")
        );
    }
    Err(format!(
        "{target} is not empty: it holds {held}; copy only into a new file or an empty database"
    )
    .into())
}

fn is_index(table: &str) -> bool {
    table.starts_with(SQLITE_INDEX) || table == POSTGRES_INDEX
}

/// A table as the copy moves it.
#[derive(Debug)]
struct Table {
    name: String,
    /// The target's columns (the source has the same: both are migrated by
    /// this program).
    columns: Vec<Column>,
    /// The primary key: indexes into `columns`, in key order.
    key: Vec<usize>,
    /// The source's column types for the key, for casting bound values.
    source_key_types: Vec<String>,
    /// Columns that refer to this table's own key (a reply's parent).
    self_refs: Vec<String>,
}

#[derive(Debug, Clone)]
struct Column {
    name: String,
    kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Bool,
    Integer,
    Timestamp,
    Other,
}

impl Kind {
    fn of(declared: &str) -> Kind {
        let t = declared.to_ascii_uppercase();
        if t.contains("BOOL") {
            Kind::Bool
        } else if t.contains("TIMESTAMP") || t.contains("DATETIME") {
            Kind::Timestamp
        } else if t.contains("INT") {
            Kind::Integer
        } else {
            Kind::Other
        }
    }
}

/// A column from a catalog: its name, declared type and place in the key
/// (0: not in it).
#[derive(QueryableByName)]
struct CatalogColumn {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    declared: String,
    #[diesel(sql_type = Integer)]
    pk: i32,
}

#[derive(QueryableByName)]
struct CatalogReference {
    #[diesel(sql_type = Text)]
    col: String,
    #[diesel(sql_type = Text)]
    parent: String,
}

fn table_names(conn: &mut Conn) -> QueryResult<Vec<String>> {
    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = Text)]
        name: String,
    }
    let sql = db::sql(
        conn,
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
        "SELECT table_name::text AS name FROM information_schema.tables \
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
    );
    let rows: Vec<Name> = diesel::sql_query(sql).load(conn)?;
    Ok(rows.into_iter().map(|r| r.name).collect())
}

fn columns(conn: &mut Conn, table: &str) -> QueryResult<Vec<CatalogColumn>> {
    let sql = db::sql(
        conn,
        "SELECT name, type AS declared, pk FROM pragma_table_info(?1) ORDER BY cid",
        "SELECT a.attname::text AS name, format_type(a.atttypid, a.atttypmod) AS declared, \
           COALESCE((SELECT k.n FROM pg_index i \
                     CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n) \
                     WHERE i.indrelid = a.attrelid AND i.indisprimary AND k.attnum = a.attnum), \
                    0)::integer AS pk \
         FROM pg_attribute a \
         WHERE a.attrelid = $1::text::regclass AND a.attnum > 0 AND NOT a.attisdropped \
           AND a.attgenerated = '' \
         ORDER BY a.attnum",
    );
    diesel::sql_query(sql)
        .bind::<Text, _>(catalog_name(conn, table))
        .load(conn)
}

fn references(conn: &mut Conn, table: &str) -> QueryResult<Vec<CatalogReference>> {
    let sql = db::sql(
        conn,
        "SELECT \"from\" AS col, \"table\" AS parent FROM pragma_foreign_key_list(?1)",
        "SELECT a.attname::text AS col, cf.relname::text AS parent \
         FROM pg_constraint c \
         CROSS JOIN LATERAL unnest(c.conkey) AS k(attnum) \
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum \
         JOIN pg_class cf ON cf.oid = c.confrelid \
         WHERE c.contype = 'f' AND c.conrelid = $1::text::regclass",
    );
    diesel::sql_query(sql)
        .bind::<Text, _>(catalog_name(conn, table))
        .load(conn)
}

/// The tables to copy, parents before the tables that refer to them, the
/// change counters last.
fn plan(from: &mut Conn, to: &mut Conn) -> Result<Vec<Table>, Failed> {
    let sources: BTreeSet<String> = table_names(from)?.into_iter().collect();
    let targets: BTreeSet<String> = table_names(to)?.into_iter().collect();
    let wanted = |t: &String| !NOT_COPIED.contains(&t.as_str()) && !is_index(t);
    // Both sides were migrated by this program, so they have the same
    // tables: one missing on either side is a schema this copy cannot trust.
    if let Some(odd) = sources.symmetric_difference(&targets).find(|t| wanted(t)) {
        return Err(Failed::Schema(format!(
            "the table {odd} is in only one of the two databases"
        )));
    }
    let mut tables = BTreeMap::new();
    let mut parents: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for name in targets.iter().filter(|t| wanted(t)) {
        let found = columns(to, name)?;
        let source_columns = columns(from, name)?;
        let mut key: Vec<(i32, usize)> = Vec::new();
        let mut cols = Vec::new();
        for (i, c) in found.iter().enumerate() {
            if !source_columns.iter().any(|s| s.name == c.name) {
                return Err(Failed::Schema(format!(
                    "the source's {name} has no column {}",
                    c.name
                )));
            }
            if c.pk > 0 {
                key.push((c.pk, i));
            }
            cols.push(Column {
                name: c.name.clone(),
                kind: Kind::of(&c.declared),
            });
        }
        if key.is_empty() {
            return Err(Failed::Schema(format!(
                "the table {name} has no primary key to read it in order by"
            )));
        }
        key.sort();
        let key: Vec<usize> = key.into_iter().map(|(_, i)| i).collect();
        let source_key_types = key
            .iter()
            .map(|&i| {
                source_columns
                    .iter()
                    .find(|s| s.name == cols[i].name)
                    .map(|s| s.declared.clone())
                    .unwrap_or_default()
            })
            .collect();
        let mut self_refs = Vec::new();
        let mut table_parents = BTreeSet::new();
        for r in references(to, name)? {
            if &r.parent == name {
                self_refs.push(r.col);
            } else {
                table_parents.insert(r.parent);
            }
        }
        if !self_refs.is_empty() && (key.len() != 1 || cols[key[0]].kind != Kind::Integer) {
            return Err(Failed::Schema(format!(
                "{name} refers to itself but has no single integer key"
            )));
        }
        parents.insert(name.clone(), table_parents);
        tables.insert(
            name.clone(),
            Table {
                name: name.clone(),
                columns: cols,
                key,
                source_key_types,
                self_refs,
            },
        );
    }
    // Parents first (a topological order); a cycle between tables would
    // leave some unplaced, and is refused rather than copied half.
    let mut order: Vec<String> = Vec::new();
    while order.len() < tables.len() {
        let next = tables.keys().find(|t| {
            !order.contains(t)
                && t.as_str() != COUNTERS
                && parents[*t]
                    .iter()
                    .all(|p| order.contains(p) || !tables.contains_key(p))
        });
        match next {
            Some(t) => order.push(t.clone()),
            None if tables.contains_key(COUNTERS) && !order.iter().any(|t| t == COUNTERS) => {
                order.push(COUNTERS.to_string())
            }
            None => {
                return Err(Failed::Schema(
                    "the tables refer to each other in a circle".into(),
                ))
            }
        }
    }
    Ok(order
        .iter()
        .filter_map(|t| tables.remove(t))
        .collect::<Vec<_>>())
}

/// A table's name as the catalog functions take it: SQLite's pragmas the
/// name itself, PostgreSQL's `regclass` an identifier, quoted.
fn catalog_name(conn: &Conn, table: &str) -> String {
    if is_postgres(conn) {
        ident(table)
    } else {
        table.to_string()
    }
}

/// An SQL identifier, quoted.
fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn is_postgres(conn: &Conn) -> bool {
    matches!(conn, Conn::Postgres(_))
}

/// The key columns of `table`, comma-separated.
fn key_list(table: &Table) -> String {
    table
        .key
        .iter()
        .map(|&i| ident(&table.columns[i].name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `(k1, k2)` compared with the JSON array bound as parameter `n`.
fn key_compare(conn: &Conn, table: &Table, op: &str, n: usize) -> String {
    let values: Vec<String> = table
        .key
        .iter()
        .enumerate()
        .map(|(j, _)| {
            if is_postgres(conn) {
                format!("((${n}::json)->>{j})::{}", table.source_key_types[j])
            } else {
                format!("json_extract(?{n}, '$[{j}]')")
            }
        })
        .collect();
    format!("({}) {op} ({})", key_list(table), values.join(", "))
}

#[derive(QueryableByName)]
struct KeyRow {
    #[diesel(sql_type = Text)]
    key: String,
    #[diesel(sql_type = BigInt)]
    bytes: i64,
}

#[derive(QueryableByName)]
struct JsonRow {
    #[diesel(sql_type = Text)]
    row: String,
}

/// The key after which the next batch ends: at most `BATCH_ROWS` rows and
/// about `BATCH_BYTES` past `after`. `None` when no rows are left.
fn next_end(conn: &mut Conn, table: &Table, after: Option<&str>) -> QueryResult<Option<String>> {
    let keys = table
        .key
        .iter()
        .map(|&i| ident(&table.columns[i].name))
        .collect::<Vec<_>>()
        .join(", ");
    let array = if is_postgres(conn) {
        format!("json_build_array({keys})::text")
    } else {
        format!("json_array({keys})")
    };
    let text_bytes: String = table
        .columns
        .iter()
        .filter(|c| c.kind == Kind::Other)
        .map(|c| format!(" + coalesce(octet_length({}), 0)", ident(&c.name)))
        .collect();
    let filter = match after {
        Some(_) => format!("WHERE {}", key_compare(conn, table, ">", 1)),
        None => String::new(),
    };
    let sql = format!(
        "SELECT {array} AS key, CAST(64{text_bytes} AS BIGINT) AS bytes FROM {} {filter} \
         ORDER BY {keys} LIMIT {BATCH_ROWS}",
        ident(&table.name)
    );
    let query = diesel::sql_query(sql);
    let rows: Vec<KeyRow> = match after {
        Some(after) => query.bind::<Text, _>(after).load(conn)?,
        None => query.load(conn)?,
    };
    let mut total = 0;
    let mut end = None;
    for row in rows {
        if end.is_some() && total + row.bytes > BATCH_BYTES {
            break;
        }
        total += row.bytes;
        end = Some(row.key);
    }
    Ok(end)
}

/// The rows after `after` up to `end` (both JSON key arrays), as JSON.
fn read_rows(
    conn: &mut Conn,
    table: &Table,
    after: Option<&str>,
    end: &str,
) -> QueryResult<Vec<String>> {
    let pg = is_postgres(conn);
    let mut filter = vec![key_compare(conn, table, "<=", 1)];
    if after.is_some() {
        filter.push(key_compare(conn, table, ">", 2));
    }
    let names: Vec<String> = table.columns.iter().map(|c| ident(&c.name)).collect();
    let sql = if pg {
        format!(
            "SELECT row_to_json(r)::text AS row FROM (SELECT {} FROM {} WHERE {} ORDER BY {}) r",
            names.join(", "),
            ident(&table.name),
            filter.join(" AND "),
            key_list(table)
        )
    } else {
        let pairs: Vec<String> = table
            .columns
            .iter()
            .map(|c| format!("'{}', {}", c.name.replace('\'', "''"), ident(&c.name)))
            .collect();
        format!(
            "SELECT json_object({}) AS row FROM {} WHERE {} ORDER BY {}",
            pairs.join(", "),
            ident(&table.name),
            filter.join(" AND "),
            key_list(table)
        )
    };
    let query = diesel::sql_query(sql).bind::<Text, _>(end);
    let rows: Vec<JsonRow> = match after {
        Some(after) => query.bind::<Text, _>(after).load(conn)?,
        None => query.load(conn)?,
    };
    Ok(rows.into_iter().map(|r| r.row).collect())
}

/// A row as the target takes it: timestamps in diesel's own form for
/// SQLite (`2026-12-02 10:15:00`, where PostgreSQL writes a `T`), so text
/// comparisons with the times the app binds hold; booleans as the target's
/// JSON reader wants them.
fn mend(row: &str, table: &Table, to_postgres: bool) -> Result<Value, Failed> {
    let mut value: Value = serde_json::from_str(row)
        .map_err(|e| Failed::Schema(format!("a row of {} is not JSON: {e}", table.name)))?;
    let Some(fields) = value.as_object_mut() else {
        return Err(Failed::Schema(format!(
            "a row of {} is not an object",
            table.name
        )));
    };
    for column in &table.columns {
        let Some(v) = fields.get_mut(&column.name) else {
            continue;
        };
        match (column.kind, &*v) {
            (Kind::Timestamp, Value::String(text)) => {
                let at = ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
                    .iter()
                    .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
                    .ok_or_else(|| {
                        Failed::Schema(format!(
                            "{}.{} holds `{text}`, which is not a time",
                            table.name, column.name
                        ))
                    })?;
                *v = Value::String(at.format("%F %T%.f").to_string());
            }
            (Kind::Bool, Value::Number(n)) if to_postgres => {
                *v = Value::Bool(n.as_i64() != Some(0));
            }
            (Kind::Bool, Value::Bool(b)) if !to_postgres => {
                *v = Value::from(i32::from(*b));
            }
            _ => {}
        }
    }
    Ok(value)
}

/// The statement that inserts into `table`: on PostgreSQL a whole batch (a
/// JSON array bound as its one parameter), on SQLite one row (a JSON
/// object). SQLite's `json_each` renders each element of an array as text
/// of its own and keeps them until the statement ends: with long posts a
/// batch took several times its size that way.
fn insert_sql(conn: &Conn, table: &Table) -> String {
    let pg = is_postgres(conn);
    let field = |name: &str| {
        if pg {
            format!("r.{}", ident(name))
        } else {
            format!("json_extract(r.j, '$.\"{}\"')", name.replace('\'', "''"))
        }
    };
    let key = field(&table.columns[table.key[0]].name);
    let values: Vec<String> = table
        .columns
        .iter()
        .map(|c| {
            if RECOUNTED.contains(&(table.name.as_str(), c.name.as_str())) {
                "0".to_string()
            } else if table.self_refs.contains(&c.name) {
                // A row may name a later row (an imported reply linked to
                // its parent afterwards): left out here, set once the whole
                // table is in (`link_self_refs`).
                let v = field(&c.name);
                format!("CASE WHEN {v} <= {key} THEN {v} END")
            } else {
                field(&c.name)
            }
        })
        .collect();
    let names: Vec<String> = table.columns.iter().map(|c| ident(&c.name)).collect();
    let from = if pg {
        format!(
            " FROM json_populate_recordset(NULL::{}, $1::json) AS r",
            ident(&table.name)
        )
    } else {
        // Parsed once (a reference to `?1` in each column would copy it).
        " FROM r".to_string()
    };
    let with = if pg {
        ""
    } else {
        "WITH r(j) AS MATERIALIZED (SELECT jsonb(?1)) "
    };
    format!(
        "{with}INSERT INTO {} ({}) SELECT {}{from}",
        ident(&table.name),
        names.join(", "),
        values.join(", ")
    )
}

/// Writes a batch with `insert_sql`'s statement.
fn insert_batch(conn: &mut Conn, insert: &str, batch: Vec<Value>) -> QueryResult<()> {
    if is_postgres(conn) {
        let json = Value::Array(batch).to_string();
        diesel::sql_query(insert)
            .bind::<Text, _>(&json)
            .execute(conn)?;
    } else {
        for row in batch {
            diesel::sql_query(insert)
                .bind::<Text, _>(row.to_string())
                .execute(conn)?;
        }
    }
    Ok(())
}

fn copy_rows(
    from: &mut Conn,
    to: &mut Conn,
    plan: &[Table],
    progress: &mut impl FnMut(&str, u64, u64),
) -> Result<(), Failed> {
    let mut total = 0;
    for table in plan {
        total += db::count_rows(from, &ident(&table.name))?;
    }
    let total = u64::try_from(total).unwrap_or(0);
    // The rows the migrations wrote make way for the source's.
    db::write_with(to, |conn| {
        for table in plan.iter().rev() {
            diesel::sql_query(format!("DELETE FROM {}", ident(&table.name))).execute(conn)?;
        }
        Ok(())
    })?;
    let mut done = 0u64;
    progress("", done, total);
    let to_postgres = is_postgres(to);
    for table in plan {
        let insert = insert_sql(to, table);
        let mut after: Option<String> = None;
        while let Some(end) = next_end(from, table, after.as_deref())? {
            let rows = read_rows(from, table, after.as_deref(), &end)?;
            let mut batch = Vec::with_capacity(rows.len());
            for row in &rows {
                batch.push(mend(row, table, to_postgres)?);
            }
            drop(rows);
            let index = if table.name == "posts" {
                index_rows(from, &batch)?
            } else {
                Vec::new()
            };
            let count = batch.len();
            db::write_with(to, |conn| {
                insert_batch(conn, &insert, batch)?;
                write_index(conn, &index)?;
                Ok(())
            })?;
            done += count as u64;
            progress(&table.name, done, total);
            after = Some(end);
        }
        link_self_refs(from, to, table)?;
    }
    if to_postgres {
        set_sequences(to, plan)?;
    }
    Ok(())
}

/// A post's row in the search index: its title and body as plain text.
#[derive(QueryableByName)]
struct IndexRow {
    #[diesel(sql_type = Integer)]
    id: i32,
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = Text)]
    body: String,
}

/// The source's index rows for a batch of posts.
fn index_rows(from: &mut Conn, posts: &[Value]) -> Result<Vec<IndexRow>, Failed> {
    let ids: Vec<i64> = posts
        .iter()
        .filter_map(|p| p.get("id").and_then(Value::as_i64))
        .collect();
    let (Some(first), Some(last)) = (ids.iter().min(), ids.iter().max()) else {
        return Ok(Vec::new());
    };
    let sql = db::sql(
        from,
        "SELECT rowid AS id, title, body FROM posts_fts WHERE rowid BETWEEN ?1 AND ?2",
        "SELECT post_id AS id, title, body FROM posts_search WHERE post_id BETWEEN $1 AND $2",
    );
    Ok(diesel::sql_query(sql)
        .bind::<BigInt, _>(*first)
        .bind::<BigInt, _>(*last)
        .load(from)?)
}

fn write_index(to: &mut Conn, rows: &[IndexRow]) -> QueryResult<()> {
    let sql = db::sql(
        to,
        "UPDATE posts_fts SET title = ?1, body = ?2 WHERE rowid = ?3",
        "UPDATE posts_search SET title = $1, body = $2 WHERE post_id = $3",
    );
    for row in rows {
        diesel::sql_query(sql)
            .bind::<Text, _>(&row.title)
            .bind::<Text, _>(&row.body)
            .bind::<Integer, _>(row.id)
            .execute(to)?;
    }
    Ok(())
}

/// Sets the references to later rows of the same table that the insert
/// left out, a batch at a time.
fn link_self_refs(from: &mut Conn, to: &mut Conn, table: &Table) -> Result<(), Failed> {
    #[derive(QueryableByName)]
    struct Link {
        #[diesel(sql_type = BigInt)]
        id: i64,
        #[diesel(sql_type = BigInt)]
        refers: i64,
    }
    let Some(&k) = table.key.first() else {
        return Ok(());
    };
    let key = ident(&table.columns[k].name);
    let name = ident(&table.name);
    for column in &table.self_refs {
        let col = ident(column);
        let mut after = i64::MIN;
        loop {
            let read = format!(
                "SELECT CAST({key} AS BIGINT) AS id, CAST({col} AS BIGINT) AS refers FROM {name} \
                 WHERE {col} > {key} AND {key} > {} ORDER BY {key} LIMIT {BATCH_ROWS}",
                if is_postgres(from) { "$1" } else { "?1" }
            );
            let links: Vec<Link> = diesel::sql_query(read)
                .bind::<BigInt, _>(after)
                .load(from)?;
            let Some(last) = links.last().map(|l| l.id) else {
                break;
            };
            let update = if is_postgres(to) {
                format!("UPDATE {name} SET {col} = $1 WHERE {key} = $2")
            } else {
                format!("UPDATE {name} SET {col} = ?1 WHERE {key} = ?2")
            };
            db::write_with(to, |conn| {
                for link in &links {
                    diesel::sql_query(&update)
                        .bind::<BigInt, _>(link.refers)
                        .bind::<BigInt, _>(link.id)
                        .execute(conn)?;
                }
                Ok(())
            })?;
            after = last;
        }
    }
    Ok(())
}

/// PostgreSQL's identity columns draw from sequences that the copied ids
/// did not move: each is set past the largest id, or the site's next insert
/// would take an id that is already used.
fn set_sequences(to: &mut Conn, plan: &[Table]) -> Result<(), Failed> {
    Ok(db::write_with(to, |conn| {
        for table in plan {
            for column in table.columns.iter().filter(|c| c.kind == Kind::Integer) {
                diesel::sql_query(format!(
                    "SELECT setval(s, m) FROM (SELECT pg_get_serial_sequence($1, $2) AS s, \
                     (SELECT max({}) FROM {}) AS m) x WHERE s IS NOT NULL AND m IS NOT NULL",
                    ident(&column.name),
                    ident(&table.name)
                ))
                .bind::<Text, _>(ident(&table.name))
                .bind::<Text, _>(&column.name)
                .execute(conn)?;
            }
        }
        Ok(())
    })?)
}

/// Compares both sides table by table: the rows, and for each column its
/// sum (numbers, booleans) or how many rows have it (everything else), so
/// a count the triggers doubled or a column left empty shows.
fn verify(from: &mut Conn, to: &mut Conn, plan: &[Table]) -> Result<Report, Failed> {
    let mut report = Report {
        tables: Vec::new(),
        differences: Vec::new(),
    };
    let mut compared: Vec<(String, String, String, Vec<Column>)> = plan
        .iter()
        .map(|t| {
            (
                t.name.clone(),
                t.name.clone(),
                t.name.clone(),
                t.columns.clone(),
            )
        })
        .collect();
    // The derived tables, built here by the triggers, must match as well.
    let months = vec![
        Column {
            name: "month".into(),
            kind: Kind::Other,
        },
        Column {
            name: "count".into(),
            kind: Kind::Integer,
        },
    ];
    compared.push((
        "archive_months".into(),
        "archive_months".into(),
        "archive_months".into(),
        months,
    ));
    let index = |conn: &Conn| db::sql(conn, SQLITE_INDEX, POSTGRES_INDEX).to_string();
    compared.push(("search index".into(), index(from), index(to), Vec::new()));
    for (label, source_table, target_table, columns) in compared {
        let source = totals(from, &source_table, &columns)?;
        let target = totals(to, &target_table, &columns)?;
        report.tables.push(Tally {
            table: label.clone(),
            source: source[0],
            target: target[0],
        });
        let names = std::iter::once("rows").chain(columns.iter().map(|c| c.name.as_str()));
        for ((what, s), t) in names.zip(&source).zip(&target) {
            if s != t {
                report.differences.push(if what == "rows" {
                    format!("{label}: {s} rows in the source, {t} in the copy")
                } else {
                    format!("{label}.{what}: {s} in the source, {t} in the copy")
                });
            }
        }
    }
    Ok(report)
}

/// The rows of `table`, then for each column its sum or its non-null count.
fn totals(conn: &mut Conn, table: &str, columns: &[Column]) -> Result<Vec<i64>, Failed> {
    let mut measures = vec!["CAST(count(*) AS TEXT)".to_string()];
    for c in columns {
        let col = ident(&c.name);
        measures.push(match c.kind {
            Kind::Integer => format!("coalesce(CAST(sum(CAST({col} AS BIGINT)) AS TEXT), '0')"),
            Kind::Bool => {
                format!("coalesce(CAST(sum(CASE WHEN {col} THEN 1 ELSE 0 END) AS TEXT), '0')")
            }
            Kind::Timestamp | Kind::Other => format!("CAST(count({col}) AS TEXT)"),
        });
    }
    let sql = format!(
        "SELECT {} AS row FROM {}",
        measures.join(" || ',' || "),
        ident(table)
    );
    let row: JsonRow = diesel::sql_query(sql).get_result(conn)?;
    row.row
        .split(',')
        .map(|n| {
            n.parse::<i64>()
                .map_err(|_| Failed::Schema(format!("{table}: a total `{n}` is not a number")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_database_is_recognised_however_it_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("blog.db");
        let by_dots = dir.path().join(".").join("blog.db");
        assert!(same_database(
            &Database::Sqlite(file.clone()),
            &Database::Sqlite(by_dots)
        ));
        assert!(!same_database(
            &Database::Sqlite(file),
            &Database::Sqlite(dir.path().join("other.db"))
        ));
        let pg = |url: &str| Database::Postgres(url.into());
        assert!(same_database(
            &pg("postgres://ann@db.internal/blog"),
            &pg("postgresql://bob:secret@DB.internal:5432/blog")
        ));
        assert!(!same_database(
            &pg("postgres://ann@db.internal/blog"),
            &pg("postgres://ann@db.internal/blog2")
        ));
        assert!(!same_database(
            &pg("postgres://ann@db.internal/blog"),
            &pg("postgres://ann@db.internal:5433/blog")
        ));
    }

    #[test]
    fn times_and_booleans_are_written_as_the_target_reads_them() {
        let table = Table {
            name: "posts".into(),
            columns: vec![
                Column {
                    name: "published_at".into(),
                    kind: Kind::Timestamp,
                },
                Column {
                    name: "comments_enabled".into(),
                    kind: Kind::Bool,
                },
            ],
            key: vec![0],
            source_key_types: vec![],
            self_refs: vec![],
        };
        // PostgreSQL's JSON to SQLite: diesel's own text form.
        let row = r#"{"published_at":"2026-12-02T10:15:00","comments_enabled":true}"#;
        let mended = mend(row, &table, false).unwrap();
        assert_eq!(mended["published_at"], "2026-12-02 10:15:00");
        assert_eq!(mended["comments_enabled"], 1);
        let row = r#"{"published_at":"2026-12-02T10:15:00.25","comments_enabled":false}"#;
        let mended = mend(row, &table, false).unwrap();
        assert_eq!(mended["published_at"], "2026-12-02 10:15:00.250");
        assert_eq!(mended["comments_enabled"], 0);
        // SQLite's JSON to PostgreSQL.
        let row = r#"{"published_at":"2026-12-02 10:15:00","comments_enabled":1}"#;
        let mended = mend(row, &table, true).unwrap();
        assert_eq!(mended["published_at"], "2026-12-02 10:15:00");
        assert_eq!(mended["comments_enabled"], true);
        assert!(mend(r#"{"published_at":"soon"}"#, &table, true).is_err());
    }
}
