//! Site settings: one row.

use diesel::prelude::*;

use crate::db::Conn;

use crate::models::media::Media;

use crate::schema::settings;

#[derive(Debug, Clone)]
pub struct Settings {
    pub title: String,
    pub description: String,
    pub posts_per_page: i32,
    pub comment_policy: CommentPolicy,
    /// The header menu as saved: one `Label | /path` a line (see `parse_menu`);
    /// empty for the default Home and Archive.
    pub menu: String,
    pub icon_media_id: Option<i32>,
    /// The library image `icon_media_id` names: the site's own picture for
    /// link previews and structured data, as well as its icon.
    pub icon: Option<Media>,
}

#[derive(AsChangeset, Debug)]
#[diesel(table_name = settings)]
pub struct SettingsChanges<'a> {
    pub title: &'a str,
    pub description: &'a str,
    pub posts_per_page: i32,
    pub comment_policy: CommentPolicy,
    /// `None` leaves the menu as it is.
    pub menu: Option<&'a str>,
    /// `None` leaves the icon as it is; `Some(None)` removes it.
    pub icon_media_id: Option<Option<i32>>,
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
    /// The header menu's items in order; empty means the default pair. The
    /// settings form saves only menus `parse_menu` accepts, so a line it
    /// would refuse (none, unless written behind the form's back) is left out.
    pub fn menu_items(&self) -> Vec<MenuItem> {
        self.menu
            .lines()
            .take(MAX_MENU_LINES)
            .filter_map(|line| menu_line(line).ok().flatten())
            .take(MAX_MENU_ITEMS)
            .collect()
    }

    /// The settings row with its icon's library image.
    pub fn load(conn: &mut Conn) -> QueryResult<Settings> {
        let (title, description, posts_per_page, comment_policy, menu, icon_media_id) =
            settings::table
                .find(1)
                .select((
                    settings::title,
                    settings::description,
                    settings::posts_per_page,
                    settings::comment_policy,
                    settings::menu,
                    settings::icon_media_id,
                ))
                .first::<(String, String, i32, CommentPolicy, String, Option<i32>)>(conn)?;
        let icon = match icon_media_id {
            Some(id) => Media::find(conn, id)?,
            None => None,
        };
        Ok(Settings {
            title,
            description,
            posts_per_page,
            comment_policy,
            menu,
            icon_media_id,
            icon,
        })
    }

    pub fn update(conn: &mut Conn, changes: &SettingsChanges<'_>) -> QueryResult<usize> {
        diesel::update(settings::table.find(1))
            .set(changes)
            .execute(conn)
    }
}

/// One link of the header menu.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MenuItem {
    pub label: String,
    /// A path on this site (`/about`) or an `http(s)://` address.
    pub href: String,
}

/// Most items in the menu, and most characters in a label or an address.
pub const MAX_MENU_ITEMS: usize = 12;
pub const MAX_MENU_LABEL: usize = 40;
pub const MAX_MENU_HREF: usize = 300;
/// Lines read at most (blank ones included): a pasted novel costs little.
const MAX_MENU_LINES: usize = 100;

/// The menu's items from the settings form's text, one `Label | /path` a
/// line (blank lines skipped), or what is wrong, each problem naming its
/// line ("Line 3: …").
pub fn parse_menu(text: &str) -> Result<Vec<MenuItem>, Vec<String>> {
    let mut items = Vec::new();
    let mut problems = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if n == MAX_MENU_LINES {
            problems.push(format!(
                "Keep the menu to {MAX_MENU_ITEMS} items, one a line."
            ));
            break;
        }
        match menu_line(line) {
            Ok(Some(item)) => items.push(item),
            Ok(None) => {}
            Err(problem) => problems.push(format!("Line {}: {problem}", n + 1)),
        }
    }
    if items.len() > MAX_MENU_ITEMS {
        problems.push(format!(
            "Use at most {MAX_MENU_ITEMS} menu items; this menu has {}.",
            items.len()
        ));
    }
    if problems.is_empty() {
        Ok(items)
    } else {
        Err(problems)
    }
}

/// One line of the menu: `None` when blank.
fn menu_line(line: &str) -> Result<Option<MenuItem>, &'static str> {
    if line.trim().is_empty() {
        return Ok(None);
    }
    let Some((label, href)) = line.split_once('|') else {
        return Err("write the item as “Label | /path”: a label, a bar, then the address.");
    };
    let label = label.split_whitespace().collect::<Vec<_>>().join(" ");
    if label.is_empty()
        || label.chars().count() > MAX_MENU_LABEL
        || label.chars().any(char::is_control)
    {
        return Err("give the item a label of 1 to 40 characters.");
    }
    let href = href.trim();
    if !is_menu_address(href) {
        return Err("the address must be a path on this site such as /about, or a full address starting with https:// or http://.");
    }
    Ok(Some(MenuItem {
        label,
        href: href.to_string(),
    }))
}

/// A local path (`/`, `/about`, `/tags/news?page=2`; not `//host`, which
/// browsers read as another site) or an absolute http(s) URL with a host.
fn is_menu_address(href: &str) -> bool {
    href.len() <= MAX_MENU_HREF
        && (crate::local_path::is_local_path(href) || crate::models::redirect::is_web_address(href))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn menu_lines_are_label_bar_address() {
        let items =
            parse_menu("Home | /\n\n  About  us |/about \nCode | https://example.com/x?y=1\n")
                .unwrap();
        let pairs: Vec<(&str, &str)> = items
            .iter()
            .map(|i| (i.label.as_str(), i.href.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("Home", "/"),
                ("About us", "/about"),
                ("Code", "https://example.com/x?y=1")
            ]
        );
        assert_eq!(parse_menu("").unwrap(), []);
    }

    #[test]
    fn bad_lines_are_named_by_number() {
        let problems = parse_menu(
            "Home | /\nno bar\n | /x\nEvil | javascript:alert(1)\nFar | //evil.example\nOk | /ok",
        )
        .unwrap_err();
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(problems[0].starts_with("Line 2: "));
        assert!(problems[1].starts_with("Line 3: "));
        assert!(problems[2].starts_with("Line 4: "));
        assert!(problems[3].starts_with("Line 5: "));
        let long = format!("{} | /x", "x".repeat(41));
        assert!(parse_menu(&long).is_err());
        assert!(parse_menu(&format!("{} | /x", "é".repeat(40))).is_ok());
        let many = "A | /a\n".repeat(13);
        assert!(parse_menu(&many).unwrap_err()[0].contains("at most 12"));
        assert!(parse_menu(&"A | /a\n".repeat(12)).is_ok());
    }
}
