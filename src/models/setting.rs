//! Site settings: one row.

use diesel::prelude::*;

use crate::schema::settings;

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = settings)]
pub struct Settings {
    pub title: String,
    pub description: String,
    pub posts_per_page: i32,
    pub comment_policy: CommentPolicy,
    pub icon_media_id: Option<i32>,
}

#[derive(AsChangeset, Debug)]
#[diesel(table_name = settings)]
pub struct SettingsChanges<'a> {
    pub title: &'a str,
    pub description: &'a str,
    pub posts_per_page: i32,
    pub comment_policy: CommentPolicy,
}

text_enum! {
    /// Who may see a new comment at once.
    pub enum CommentPolicy {
        Open = "open",
        FirstCommentHeld = "first_comment_held",
        AllHeld = "all_held",
    }
}

impl CommentPolicy {
    /// The choice as the settings page words it.
    pub fn label(self) -> &'static str {
        match self {
            CommentPolicy::Open => "Open: comments appear at once",
            CommentPolicy::FirstCommentHeld => "Hold a person's first comment for approval",
            CommentPolicy::AllHeld => "Hold every comment for approval",
        }
    }
}

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
