//! Site settings: one row.

use diesel::prelude::*;

use crate::schema::settings;

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = settings)]
pub struct Settings {
    pub title: String,
    pub description: String,
    pub posts_per_page: i32,
    pub comment_policy: String,
}

#[derive(AsChangeset, Debug)]
#[diesel(table_name = settings)]
pub struct SettingsChanges<'a> {
    pub title: &'a str,
    pub description: &'a str,
    pub posts_per_page: i32,
    pub comment_policy: &'a str,
}

/// Who may see a new comment at once.
pub const COMMENT_POLICIES: [(&str, &str); 3] = [
    ("open", "Open: comments appear at once"),
    (
        "first_comment_held",
        "Hold a person's first comment for approval",
    ),
    ("all_held", "Hold every comment for approval"),
];

impl Settings {
    pub fn load(conn: &mut SqliteConnection) -> QueryResult<Settings> {
        settings::table
            .find(1)
            .select(Settings::as_select())
            .first(conn)
    }

    pub fn update(
        conn: &mut SqliteConnection,
        changes: &SettingsChanges<'_>,
    ) -> QueryResult<usize> {
        diesel::update(settings::table.find(1))
            .set(changes)
            .execute(conn)
    }
}
