//! Creating accounts: the rules for usernames, emails and passwords, shared by
//! registration, /setup and `broadsheet create-admin`.

use crate::db::Conn;

use crate::auth::password;
use crate::error::AppError;
use crate::models::user::NewUser;
use crate::models::{self, Role, User};

/// The longest username or email a sign-in form may carry (an email's own
/// limit); longer ones are refused before any limiter or query sees them.
pub const MAX_LOGIN_LEN: usize = 254;

pub use crate::form::{FieldErrors, FORM};

/// Checks a username, email and password as entered (not yet against the database).
pub fn check_fields(username: &str, email: &str, password: &str) -> FieldErrors {
    let mut errors = FieldErrors::default();
    let len = username.chars().count();
    if !(3..=32).contains(&len) {
        errors.add("username", "Choose a username of 3 to 32 characters.");
    } else if !username
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        errors.add(
            "username",
            "Use only letters, digits, “_” and “-” in the username.",
        );
    }
    if !looks_like_email(email) {
        errors.add("email", "Enter an email address such as name@example.com.");
    }
    if let Some(problem) = password_problem(password) {
        errors.add("password", problem);
    }
    errors
}

/// What is wrong with a display name (whitespace already collapsed), if anything.
/// Control, direction-changing and invisible characters are refused: they let
/// one name look like another, or reorder the text around it.
pub fn display_name_problem(name: &str) -> Option<&'static str> {
    use unicode_security::general_security_profile::{GeneralSecurityProfile, IdentifierType};
    if name.is_empty() || name.chars().count() > 50 {
        return Some("Choose a display name of 1 to 50 characters.");
    }
    let hidden = |c: char| {
        c.is_control()
            // Zero-width characters, joiners, direction marks and overrides,
            // fillers and other default-ignorable code points (UTS #39).
            || c.identifier_type() == Some(IdentifierType::Default_Ignorable)
            // A blank that is not whitespace.
            || c == '\u{2800}'
    };
    if name.chars().any(hidden) {
        return Some(
            "The display name cannot contain control, invisible or direction-changing characters.",
        );
    }
    None
}

pub fn password_problem(password: &str) -> Option<String> {
    let len = password.chars().count();
    if len < password::MIN_LEN {
        Some(format!(
            "Choose a password of at least {} characters.",
            password::MIN_LEN
        ))
    } else if password.len() > password::MAX_LEN {
        Some(format!(
            "Choose a password of at most {} characters.",
            password::MAX_LEN
        ))
    } else {
        None
    }
}

fn looks_like_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    email.len() <= 254
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>')
        && !domain.contains('@')
}

/// Every problem with a new account's fields, those that need the database
/// included. Registration, /setup and `create-admin` all check with this.
pub fn check_new(
    conn: &mut Conn,
    username: &str,
    email: &str,
    password: &str,
) -> Result<FieldErrors, AppError> {
    let mut errors = check_fields(username, email, password);
    if !errors.has("username") && User::username_taken(conn, username)? {
        errors.add("username", "That username is taken. Please choose another.");
    }
    if !errors.has("email") && User::email_taken(conn, email)? {
        errors.add(
            "email",
            "An account with that email exists already. Sign in instead?",
        );
    }
    Ok(errors)
}

/// Whether an admin account may be added when one exists already: /setup
/// makes the first one only, the command line (the server's owner) any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admins {
    FirstOnly,
    Any,
}

/// Inserts a checked account whose password is already hashed, inside the
/// caller's write. `None` when another sign-up took the name or email since
/// the check; `AppError::NotFound` when `Admins::FirstOnly` and an admin exists.
pub fn create(
    conn: &mut Conn,
    username: &str,
    email: &str,
    password_hash: &str,
    role: Role,
    admins: Admins,
) -> Result<Option<User>, AppError> {
    if role == Role::Admin && admins == Admins::FirstOnly && User::admin_exists(conn)? {
        return Err(AppError::NotFound);
    }
    let created = User::create(
        conn,
        &NewUser {
            username,
            email,
            display_name: username,
            password_hash,
            role,
            created_at: models::now(),
        },
    );
    let user = match created {
        Ok(user) => user,
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    User::set_skeletons(conn, user.id)?;
    Ok(Some(user))
}

/// The problem to show when `create` found the name or email taken meanwhile.
pub const TAKEN_MEANWHILE: &str =
    "That username or email was taken a moment ago. Please choose another.";
