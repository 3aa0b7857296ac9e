//! Accounts: admins, authors and commenters.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::Conn;

use crate::models::paging::{Paged, Paging};
use crate::schema::users;

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i32,
    pub username: String,
    pub email: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: Role,
    pub disabled: bool,
    pub created_at: NaiveDateTime,
}

text_enum! {
    /// What an account may do: admins everything, authors write posts,
    /// commenters comment.
    pub enum Role {
        Admin = "admin",
        Author = "author",
        Commenter = "commenter",
    }
}

#[derive(Insertable, Debug)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub username: &'a str,
    pub email: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub role: Role,
    pub created_at: NaiveDateTime,
}

impl User {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// Admins and authors may write posts.
    pub fn can_write(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Author)
    }

    pub fn find(conn: &mut Conn, id: i32) -> QueryResult<Option<User>> {
        users::table
            .find(id)
            .select(User::as_select())
            .first(conn)
            .optional()
    }

    /// A user by username or email, compared without regard to case.
    pub fn find_by_login(conn: &mut Conn, login: &str) -> QueryResult<Option<User>> {
        users::table
            .filter(users::username.eq(login).or(users::email.eq(login)))
            .select(User::as_select())
            .first(conn)
            .optional()
    }

    /// The account with this email, compared without regard to case.
    pub fn id_by_email(conn: &mut Conn, email: &str) -> QueryResult<Option<i32>> {
        users::table
            .filter(users::email.eq(email))
            .select(users::id)
            .first(conn)
            .optional()
    }

    pub fn username_taken(conn: &mut Conn, username: &str) -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(
            users::table.filter(users::username.eq(username)),
        ))
        .get_result(conn)
    }

    pub fn email_taken(conn: &mut Conn, email: &str) -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(
            users::table.filter(users::email.eq(email)),
        ))
        .get_result(conn)
    }

    pub fn admin_exists(conn: &mut Conn) -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(
            users::table.filter(users::role.eq(Role::Admin)),
        ))
        .get_result(conn)
    }

    pub fn count_admins(conn: &mut Conn) -> QueryResult<i64> {
        users::table
            .filter(users::role.eq(Role::Admin).and(users::disabled.eq(false)))
            .count()
            .get_result(conn)
    }

    pub fn create(conn: &mut Conn, new: &NewUser<'_>) -> QueryResult<User> {
        // RETURNING is built per backend.
        crate::each_backend!(conn, c => diesel::insert_into(users::table)
            .values(new)
            .returning(User::as_returning())
            .get_result(c))
    }

    pub fn set_password_hash(conn: &mut Conn, id: i32, hash: &str) -> QueryResult<usize> {
        diesel::update(users::table.find(id))
            .set(users::password_hash.eq(hash))
            .execute(conn)
    }

    pub fn set_display_name(conn: &mut Conn, id: i32, name: &str) -> QueryResult<usize> {
        diesel::update(users::table.find(id))
            .set((
                users::display_name.eq(name),
                users::display_skeleton.eq(skeleton(name)),
            ))
            .execute(conn)
    }

    pub fn set_role(conn: &mut Conn, id: i32, role: Role) -> QueryResult<usize> {
        diesel::update(users::table.find(id))
            .set(users::role.eq(role))
            .execute(conn)
    }

    pub fn set_disabled(conn: &mut Conn, id: i32, disabled: bool) -> QueryResult<usize> {
        diesel::update(users::table.find(id))
            .set(users::disabled.eq(disabled))
            .execute(conn)
    }

    pub fn count(conn: &mut Conn) -> QueryResult<i64> {
        users::table.count().get_result(conn)
    }
}

// The people an export names

impl User {
    /// Up to `limit` accounts with ids above `after`, by id, that wrote a
    /// post or a comment or uploaded an image: the authors an export lists.
    pub fn contributors(conn: &mut Conn, after: i32, limit: i64) -> QueryResult<Vec<User>> {
        use crate::schema::{comments, media, posts};
        use diesel::dsl::exists;
        users::table
            .filter(users::id.gt(after))
            .filter(
                exists(posts::table.filter(posts::author_id.eq(users::id.nullable())))
                    .or(exists(
                        comments::table.filter(comments::author_id.eq(users::id.nullable())),
                    ))
                    .or(exists(
                        media::table.filter(media::uploaded_by.eq(users::id.nullable())),
                    )),
            )
            .order(users::id.asc())
            .limit(limit)
            .select(User::as_select())
            .load(conn)
    }

    /// The usernames of these accounts, by id.
    pub fn usernames(
        conn: &mut Conn,
        ids: &[i32],
    ) -> QueryResult<std::collections::HashMap<i32, String>> {
        Ok(users::table
            .filter(users::id.eq_any(ids))
            .select((users::id, users::username))
            .load::<(i32, String)>(conn)?
            .into_iter()
            .collect())
    }
}

// Look-alike names

/// What a name looks like, for comparing: its Unicode confusable skeleton
/// (UTS #39) without regard to case, so "аdmin" with a Cyrillic "а", "ADMIN"
/// and "admin" all come out the same.
pub fn skeleton(name: &str) -> String {
    unicode_security::skeleton(&name.to_lowercase())
        .collect::<String>()
        .to_lowercase()
}

impl User {
    /// Stores the skeletons of a user's names.
    pub fn set_skeletons(conn: &mut Conn, id: i32) -> QueryResult<usize> {
        let Some(user) = User::find(conn, id)? else {
            return Ok(0);
        };
        diesel::update(users::table.find(id))
            .set((
                users::display_skeleton.eq(skeleton(&user.display_name)),
                users::username_skeleton.eq(skeleton(&user.username)),
            ))
            .execute(conn)
    }

    /// Computes the skeletons that are missing (accounts made before they
    /// existed, or by `generate`); run at start-up, inside `db::write_with`.
    pub fn fill_skeletons(conn: &mut Conn) -> QueryResult<usize> {
        let missing: Vec<i32> = users::table
            .filter(
                users::display_skeleton
                    .is_null()
                    .or(users::username_skeleton.is_null()),
            )
            .select(users::id)
            .load(conn)?;
        if missing.is_empty() {
            return Ok(0);
        }
        for &id in &missing {
            User::set_skeletons(conn, id)?;
        }
        Ok(missing.len())
    }

    /// Another account whose display name or username looks like `name`.
    pub fn look_alike(conn: &mut Conn, name: &str, except: i32) -> QueryResult<Option<User>> {
        let skel = skeleton(name);
        users::table
            .filter(users::id.ne(except))
            .filter(
                users::display_skeleton
                    .eq(&skel)
                    .or(users::username_skeleton.eq(&skel)),
            )
            .select(User::as_select())
            .first(conn)
            .optional()
    }
}

// Dashboard (admin)

/// A user as the dashboard lists them, with how many comments they have
/// (deleted ones not counted).
#[derive(Debug, Clone)]
pub struct UserRow {
    pub user: User,
    pub comments: i64,
}

/// Why a role or state change was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    NotFound,
    /// It would leave the site without an enabled admin.
    LastAdmin,
}

impl User {
    /// A page of users, newest first.
    pub fn page_with_comment_counts(
        conn: &mut Conn,
        paging: Paging,
    ) -> QueryResult<Paged<UserRow>> {
        use crate::models::CommentStatus;
        use crate::schema::comments;
        let rows = paging.load(|limit, offset| {
            users::table
                .left_join(
                    comments::table.on(comments::author_id
                        .eq(users::id.nullable())
                        .and(comments::status.ne(CommentStatus::Deleted))),
                )
                .group_by(users::id)
                .order(users::id.desc())
                .limit(limit)
                .offset(offset)
                .select((
                    User::as_select(),
                    diesel::dsl::count(comments::id.nullable()),
                ))
                .load::<(User, i64)>(conn)
        })?;
        Ok(rows.map(|(user, comments)| UserRow { user, comments }))
    }

    /// Whether changing this user would take away the last enabled admin.
    fn is_last_admin(conn: &mut Conn, user: &User) -> QueryResult<bool> {
        Ok(user.is_admin() && !user.disabled && User::count_admins(conn)? <= 1)
    }

    /// Gives a user a new role, unless that leaves no enabled admin.
    pub fn change_role(conn: &mut Conn, id: i32, role: Role) -> QueryResult<Result<User, Refusal>> {
        // Inside db::write (BEGIN IMMEDIATE): two admins demoting each other
        // at once must not both succeed.
        let Some(user) = User::find(conn, id)? else {
            return Ok(Err(Refusal::NotFound));
        };
        if role != Role::Admin && User::is_last_admin(conn, &user)? {
            return Ok(Err(Refusal::LastAdmin));
        }
        User::set_role(conn, id, role)?;
        Ok(Ok(user))
    }

    /// Disables a user and ends their sessions, or enables them again; an
    /// admin's account is not disabled when it is the last enabled one.
    pub fn change_disabled(
        conn: &mut Conn,
        id: i32,
        disabled: bool,
    ) -> QueryResult<Result<User, Refusal>> {
        let Some(user) = User::find(conn, id)? else {
            return Ok(Err(Refusal::NotFound));
        };
        if disabled && User::is_last_admin(conn, &user)? {
            return Ok(Err(Refusal::LastAdmin));
        }
        User::set_disabled(conn, id, disabled)?;
        if disabled {
            crate::models::Session::delete_for_user(conn, id, None)?;
        }
        Ok(Ok(user))
    }
}
