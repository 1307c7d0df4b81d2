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

// The serializers below run for every field of every row the data API returns (a page of
// 100 leads has ~1,200 ids and ~500 timestamps), so they format on the stack.

pub(crate) fn id_string<S: Serializer>(id: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(itoa::Buffer::new().format(*id))
}

pub(crate) fn opt_id_string<S: Serializer>(id: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match id {
        Some(id) => id_string(id, s),
        None => s.serialize_none(),
    }
}

pub(crate) fn opt_rfc3339<S: Serializer>(seconds: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match seconds {
        Some(seconds) => rfc3339_ms(&seconds.saturating_mul(1000), s),
        None => s.serialize_none(),
    }
}

/// Unix seconds (never null) as RFC 3339 UTC with milliseconds.
pub(crate) fn rfc3339<S: Serializer>(seconds: &i64, s: S) -> Result<S::Ok, S::Error> {
    opt_rfc3339(&Some(*seconds), s)
}

pub(crate) fn rfc3339_ms<S: Serializer>(millis: &i64, s: S) -> Result<S::Ok, S::Error> {
    if let Some(text) = Rfc3339Millis::new(*millis) {
        return s.serialize_str(text.as_str());
    }
    match unix_millis_to_rfc3339(*millis) {
        Some(text) => s.serialize_str(&text),
        None => s.serialize_none(),
    }
}

/// Writes `millis` as a JSON string in the form [`rfc3339_ms`] gives, or `null` where it
/// gives none.
pub(crate) fn write_rfc3339_ms_json(out: &mut Vec<u8>, millis: i64) {
    if let Some(text) = Rfc3339Millis::new(millis) {
        out.push(b'"');
        out.extend_from_slice(&text.0);
        out.push(b'"');
        return;
    }
    match unix_millis_to_rfc3339(millis) {
        // chrono writes digits, signs and separators only: nothing to escape.
        Some(text) => {
            out.push(b'"');
            out.extend_from_slice(text.as_bytes());
            out.push(b'"');
        }
        None => out.extend_from_slice(b"null"),
    }
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` for years 0000-9999, the same text as chrono's
/// `to_rfc3339_opts(Millis, true)`, without allocating. Other years: `None` (chrono formats
/// those).
struct Rfc3339Millis([u8; 24]);

impl Rfc3339Millis {
    fn new(millis: i64) -> Option<Self> {
        let days = millis.div_euclid(86_400_000);
        let in_day = millis.rem_euclid(86_400_000);
        let (year, month, day) = civil_from_days(days);
        if !(0..=9999).contains(&year) {
            return None;
        }
        let (hour, minute) = (in_day / 3_600_000, in_day / 60_000 % 60);
        let (second, milli) = (in_day / 1000 % 60, in_day % 1000);
        let mut out = *b"0000-00-00T00:00:00.000Z";
        let mut put = |at: usize, width: usize, mut value: i64| {
            for i in (at..at + width).rev() {
                // `value % 10` is 0..=9 here: every value is non-negative.
                out[i] = b'0' + u8::try_from(value % 10).unwrap_or(0);
                value /= 10;
            }
        };
        put(0, 4, year);
        put(5, 2, month);
        put(8, 2, day);
        put(11, 2, hour);
        put(14, 2, minute);
        put(17, 2, second);
        put(20, 3, milli);
        Some(Rfc3339Millis(out))
    }

    fn as_str(&self) -> &str {
        // Only ASCII digits and separators are ever written.
        std::str::from_utf8(&self.0).unwrap_or("")
    }
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar
/// (H. Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
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

    #[test]
    fn stack_formatting_matches_chrono_across_the_calendar() {
        use rand::{RngExt as _, SeedableRng as _};
        let mut rng = rand::rngs::SmallRng::seed_from_u64(7);
        // Year 0 to 9999, leap days, the epoch, and instants before it.
        let edges = [
            -62_167_219_200_000,
            253_402_300_799_999,
            0,
            -1,
            951_782_400_000,
            1_709_164_800_000,
            4_107_542_399_999,
        ];
        let random =
            (0..20_000).map(|_| rng.random_range(-62_167_219_200_000..253_402_300_800_000));
        for millis in edges.into_iter().chain(random) {
            let fast = Rfc3339Millis::new(millis).map(|t| t.as_str().to_owned());
            assert_eq!(fast, unix_millis_to_rfc3339(millis), "{millis}");
        }
        assert!(Rfc3339Millis::new(253_402_300_800_000).is_none());
        assert!(Rfc3339Millis::new(-62_167_219_200_001).is_none());
    }
}
