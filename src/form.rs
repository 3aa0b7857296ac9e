//! What a refused form carries back to its page: its problems, each tied
//! to its field, with the status that says why. Below every feature, so the
//! models' rules and the handlers share it.

use actix_web::http::StatusCode;

/// A form's problems, each tied to its field.
#[derive(Debug, Default, Clone)]
pub struct FieldErrors(pub Vec<(&'static str, String)>);

impl FieldErrors {
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push((field, message.into()));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The message for one field, or "" when it has none.
    pub fn get(&self, field: &str) -> &str {
        self.0
            .iter()
            .find(|(f, _)| *f == field)
            .map_or("", |(_, m)| m.as_str())
    }

    pub fn has(&self, field: &str) -> bool {
        self.0.iter().any(|(f, _)| *f == field)
    }

    /// The storage refused the write: one problem for the whole form, which
    /// is shown again with its input (`FORM` is the field name templates use).
    pub fn not_saved() -> FieldErrors {
        let mut errors = FieldErrors::default();
        errors.add(FORM, crate::error::NOT_SAVED);
        errors
    }

    /// 200 with no problems, 503 when the server could not save, else 422.
    pub fn status(&self) -> StatusCode {
        if self.is_empty() {
            StatusCode::OK
        } else if self.has(FORM) {
            StatusCode::SERVICE_UNAVAILABLE
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        }
    }
}

/// The name of a problem that belongs to the whole form, not one field.
pub const FORM: &str = "form";

/// At most `max` characters of `text`, marked with "…" when cut: a refused
/// value quoted in a message is not echoed whole, however long.
pub fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}
