//! The time formats exports write, read as UTC.

use chrono::{DateTime, NaiveDateTime, Utc};

/// `2019-05-03 10:00:00` as WordPress writes it; `None` for its
/// "no time" (`0000-00-00 00:00:00`) and anything else unreadable.
pub fn parse_wordpress(text: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M:%S").ok()
}

/// An RSS date (`Fri, 03 May 2019 10:00:00 +0000`), in UTC.
pub fn parse_rfc2822(text: &str) -> Option<NaiveDateTime> {
    DateTime::parse_from_rfc2822(text.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc).naive_utc())
}

/// An Atom date (`2019-05-03T03:00:00.000-07:00`), in UTC.
pub fn parse_rfc3339(text: &str) -> Option<NaiveDateTime> {
    DateTime::parse_from_rfc3339(text.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc).naive_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_is_read_as_utc_and_wordpress_zero_times_are_none() {
        let at = parse_wordpress("2019-05-03 10:00:00").unwrap();
        assert_eq!(parse_rfc2822("Fri, 03 May 2019 12:00:00 +0200"), Some(at));
        assert_eq!(parse_rfc3339("2019-05-03T03:00:00.000-07:00"), Some(at));
        assert_eq!(parse_wordpress("0000-00-00 00:00:00"), None);
        assert_eq!(parse_wordpress(""), None);
    }
}
