//! The command line's one error type: what `broadsheet COMMAND` prints when
//! it fails, and how it exits.

use std::fmt;
use std::process::ExitCode;

/// Why a command failed, as the user reads it after `broadsheet: `: one
/// clear line (a refused new account gives one line per field). Made from
/// the errors the commands meet, whose own text already says what failed,
/// or from a message of the command's.
#[derive(Debug)]
pub struct CliError {
    message: String,
}

impl CliError {
    pub fn new(message: impl Into<String>) -> CliError {
        CliError {
            message: message.into(),
        }
    }

    /// Every failure exits 1, which scripts and the tests tell from success;
    /// clap's own usage errors exit 2.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::FAILURE
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

impl From<String> for CliError {
    fn from(message: String) -> CliError {
        CliError::new(message)
    }
}

impl From<&str> for CliError {
    fn from(message: &str) -> CliError {
        CliError::new(message)
    }
}

/// Errors whose text is the line to print. (A blanket impl over `Display`
/// would overlap `From<CliError> for CliError`.)
macro_rules! from_display {
    ($($error:ty),* $(,)?) => {$(
        impl From<$error> for CliError {
            fn from(e: $error) -> CliError {
                CliError::new(e.to_string())
            }
        }
    )*};
}

from_display!(
    std::io::Error,
    diesel::result::Error,
    diesel::r2d2::PoolError,
    crate::db::OpenError,
    crate::error::AppError,
    indicatif::style::TemplateError,
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_the_message_alone() {
        let e = CliError::from(std::io::Error::other("disk on fire"));
        assert_eq!(e.to_string(), "disk on fire");
        assert_eq!(e.exit_code(), ExitCode::FAILURE);
        assert_eq!(CliError::from("no").to_string(), "no");
    }
}
