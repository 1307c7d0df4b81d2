//! Published rows written as JSON straight from the databases' column values, without
//! building the row structs: the data API's hot path (see `sqlite_read` and `pg_read`).
//!
//! The output is byte for byte what `serde_json` gives for the row types of `rows` (field
//! order, value conventions, string escapes); `tests/reads.rs` compares the two on every
//! read it makes, on both databases.

use crate::format::write_rfc3339_ms_json;

/// How a column's value is published.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    /// An integer id, as a JSON string.
    Id,
    /// A number.
    Int,
    /// Text, as a JSON string.
    Text,
    /// A boolean (SQLite: 0 / 1) as `false` / `true`.
    Bool,
    /// Unix seconds, as an RFC 3339 string with milliseconds.
    Seconds,
    /// Unix milliseconds, as an RFC 3339 string.
    Millis,
}

/// One column's value as a database gave it: text for [`Kind::Text`], an integer for every
/// other kind (booleans as 0 / 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cell<'a> {
    Null,
    Int(i64),
    Text(&'a str),
}

/// A result row of either database, read column by column.
pub(crate) trait Cells {
    type Error;
    /// The value at `column`, which `kind` says how to read; a value of another type than
    /// the kind expects is an error naming the column.
    fn cell(&self, column: usize, kind: Kind) -> Result<Cell<'_>, Self::Error>;
}

/// A published row type that writes itself from a result row's columns.
pub(crate) trait WriteJson {
    /// Writes the row as the JSON object `serde_json` would give for the decoded row.
    fn write_json<R: Cells>(row: &R, out: &mut Vec<u8>) -> Result<(), R::Error>;
}

/// JSON bytes a row takes, about (leads: 1.2-1.5 kB), so a page's buffer grows rarely.
const JSON_ROW_BYTES: usize = 1_024;

/// A page as the text of a JSON array, written row by row from result rows of either
/// database.
#[derive(Debug)]
pub(crate) struct JsonArray {
    bytes: Vec<u8>,
    rows: usize,
}

impl JsonArray {
    /// An empty array with room for about `rows` rows.
    pub(crate) fn with_rows(rows: usize) -> Self {
        let mut bytes = Vec::with_capacity(rows.saturating_mul(JSON_ROW_BYTES).saturating_add(2));
        bytes.push(b'[');
        JsonArray { bytes, rows: 0 }
    }

    /// Writes `row` as the next element, a `T`.
    pub(crate) fn push<T: WriteJson, R: Cells>(&mut self, row: &R) -> Result<(), R::Error> {
        if self.rows > 0 {
            self.bytes.push(b',');
        }
        T::write_json(row, &mut self.bytes)?;
        self.rows += 1;
        Ok(())
    }

    /// The finished text.
    pub(crate) fn finish(mut self) -> Vec<u8> {
        self.bytes.push(b']');
        self.bytes
    }
}

/// Writes the column at `*at` as the value of `key`, after a comma unless it is the first,
/// and moves `*at` on.
pub(crate) fn write_field<R: Cells>(
    row: &R,
    out: &mut Vec<u8>,
    at: &mut usize,
    key: &str,
    kind: Kind,
) -> Result<(), R::Error> {
    if *at > 0 {
        out.push(b',');
    }
    write_key(out, key);
    write_value(out, kind, row.cell(*at, kind)?);
    *at += 1;
    Ok(())
}

/// Writes one value as `kind` publishes it. NULL is `null` whatever the kind.
pub(crate) fn write_value(out: &mut Vec<u8>, kind: Kind, cell: Cell<'_>) {
    let v = match cell {
        Cell::Null => return out.extend_from_slice(b"null"),
        Cell::Text(text) => return write_str(out, text),
        Cell::Int(v) => v,
    };
    match kind {
        Kind::Id => {
            out.push(b'"');
            out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
            out.push(b'"');
        }
        Kind::Int | Kind::Text => out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes()),
        Kind::Bool => out.extend_from_slice(if v != 0 { b"true" } else { b"false" }),
        Kind::Seconds => write_rfc3339_ms_json(out, v.saturating_mul(1000)),
        Kind::Millis => write_rfc3339_ms_json(out, v),
    }
}

/// Writes `"key":`. Keys are Rust field names: nothing to escape.
pub(crate) fn write_key(out: &mut Vec<u8>, key: &str) {
    out.push(b'"');
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b"\":");
}

/// Writes `text` as a JSON string, escaped as `serde_json` escapes it: `"`, `\` and the
/// control characters, the common ones by their short forms, the rest as `\u00XX`.
pub(crate) fn write_str(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut run = 0;
    for (at, &byte) in bytes.iter().enumerate() {
        let escape = ESCAPE[usize::from(byte)];
        if escape == 0 {
            continue;
        }
        out.extend_from_slice(&bytes[run..at]);
        run = at + 1;
        if escape == b'u' {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(byte >> 4)]);
            out.push(HEX[usize::from(byte & 0xf)]);
        } else {
            out.push(b'\\');
            out.push(escape);
        }
    }
    out.extend_from_slice(&bytes[run..]);
    out.push(b'"');
}

/// Per byte: 0 when it stands as is, else the letter after the backslash (`u`: `\u00XX`).
const ESCAPE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = b'u';
        byte += 1;
    }
    table[0x08] = b'b';
    table[0x09] = b't';
    table[0x0a] = b'n';
    table[0x0c] = b'f';
    table[0x0d] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_exactly_as_serde_json_escapes_them() {
        let mut every_char: String = (0u8..0x80).map(char::from).collect();
        every_char.push_str("é日本😀\u{7f}\u{2028}/");
        for text in [
            "",
            "plain",
            "say \"hi\"\\",
            "[{\"field_id\":1,\"values\":[{\"value\":\"a\\nb\"}]}]",
            every_char.as_str(),
        ] {
            let mut out = Vec::new();
            write_str(&mut out, text);
            let want = serde_json::to_vec(text).unwrap_or_default();
            assert_eq!(
                String::from_utf8_lossy(&out),
                String::from_utf8_lossy(&want)
            );
        }
    }

    #[test]
    fn values_follow_the_published_conventions() {
        let write = |kind, cell| {
            let mut out = Vec::new();
            write_value(&mut out, kind, cell);
            String::from_utf8_lossy(&out).into_owned()
        };
        assert_eq!(write(Kind::Id, Cell::Int(58_141_807)), "\"58141807\"");
        assert_eq!(write(Kind::Int, Cell::Int(-5)), "-5");
        assert_eq!(write(Kind::Bool, Cell::Int(1)), "true");
        assert_eq!(write(Kind::Bool, Cell::Int(0)), "false");
        assert_eq!(write(Kind::Text, Cell::Null), "null");
        assert_eq!(write(Kind::Id, Cell::Null), "null");
        assert_eq!(write(Kind::Text, Cell::Text("a\"b")), "\"a\\\"b\"");
        assert_eq!(
            write(Kind::Seconds, Cell::Int(1_769_516_685)),
            "\"2026-01-27T12:24:45.000Z\""
        );
        assert_eq!(
            write(Kind::Millis, Cell::Int(1_769_516_685_123)),
            "\"2026-01-27T12:24:45.123Z\""
        );
    }
}
