//! The published value conventions: ids as strings, timestamps as RFC 3339 UTC with milliseconds.

use chrono::{DateTime, SecondsFormat};
use serde::Serializer;

/// Unix seconds as `2026-01-27T12:24:45.000Z`.
pub fn unix_seconds_to_rfc3339(seconds: i64) -> Option<String> {
    DateTime::from_timestamp(seconds, 0).map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true))
}

/// Unix milliseconds as `2026-01-27T12:24:45.123Z`.
pub fn unix_millis_to_rfc3339(millis: i64) -> Option<String> {
    DateTime::from_timestamp_millis(millis).map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true))
}

pub(crate) fn id_string<S: Serializer>(id: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(id)
}

pub(crate) fn opt_id_string<S: Serializer>(id: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match id {
        Some(id) => s.collect_str(id),
        None => s.serialize_none(),
    }
}

pub(crate) fn opt_rfc3339<S: Serializer>(seconds: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match seconds.and_then(unix_seconds_to_rfc3339) {
        Some(text) => s.serialize_str(&text),
        None => s.serialize_none(),
    }
}

pub(crate) fn rfc3339_ms<S: Serializer>(millis: &i64, s: S) -> Result<S::Ok, S::Error> {
    match unix_millis_to_rfc3339(*millis) {
        Some(text) => s.serialize_str(&text),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_have_milliseconds_and_z() {
        assert_eq!(
            unix_seconds_to_rfc3339(1_769_516_685).as_deref(),
            Some("2026-01-27T12:24:45.000Z")
        );
        assert_eq!(
            unix_millis_to_rfc3339(1_769_516_685_123).as_deref(),
            Some("2026-01-27T12:24:45.123Z")
        );
    }
}
