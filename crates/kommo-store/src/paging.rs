//! A page of the data API as parts (filter, order, limit, offset) rather than finished SQL, so
//! a reader can start it from a remembered row (keyset) instead of counting OFFSET rows.
//!
//! The published API pages by `page` and `limit`, which is OFFSET paging: page 500 of 100
//! rows makes the database step over 49,900 index entries (milliseconds each time). A reader
//! that remembers the sort key of the first row of pages it has served, for data that has not
//! changed since, can answer the same page, or the next one of a crawl, by a keyset seek.
//! The result is the same rows OFFSET gives; only the work differs.

use crate::db::{Arg, Backend};
use crate::query::Direction;

/// One page read: `SELECT <columns> FROM <table> WHERE <filter> ORDER BY <order>`, rows
/// `offset .. offset + limit` plus one more (which says whether a next page exists).
#[derive(Debug)]
pub(crate) struct PagedQuery<'q> {
    pub(crate) table: &'static str,
    pub(crate) columns: &'static [&'static str],
    /// Conditions joined by AND, with `?` placeholders.
    pub(crate) filter: String,
    /// The arguments of `filter`, in order.
    pub(crate) args: Vec<Arg<'q>>,
    /// The sort terms; the last is the unique row id, so the order is total.
    pub(crate) order: Vec<(&'static str, Direction)>,
    pub(crate) limit: i64,
    pub(crate) offset: i64,
    pub(crate) backend: Backend,
}

impl PagedQuery<'_> {
    fn order_sql(&self) -> String {
        let parts: Vec<String> = self
            .order
            .iter()
            .map(|(column, direction)| match (self.backend, direction) {
                (Backend::Sqlite, Direction::Asc) => format!("{column} ASC"),
                (Backend::Sqlite, Direction::Desc) => format!("{column} DESC"),
                // SQLite's NULL placement (NULLs lowest) spelled out, matching the
                // `DESC NULLS LAST` indexes of the Postgres migration.
                (Backend::Postgres, Direction::Asc) => format!("{column} ASC NULLS FIRST"),
                (Backend::Postgres, Direction::Desc) => format!("{column} DESC NULLS LAST"),
            })
            .collect();
        parts.join(", ")
    }

    /// The statement by OFFSET; its arguments are `args`, then `limit + 1`, then `offset`.
    /// Only the page's ids are selected in the subquery, which one index can answer; the
    /// rows themselves are read for those ids alone. The selected columns are `columns`,
    /// then (with `with_key`) the sort terms' columns.
    pub(crate) fn offset_statement(&self, with_key: bool) -> String {
        self.statement(None, with_key)
    }

    /// The statement that starts at the row whose sort key is bound after `args` (all sort
    /// terms, in order), then skips `offset` rows: arguments `args`, the key, `limit + 1`,
    /// the rows to skip. `None` when the order mixes directions (no row-value comparison
    /// expresses it).
    pub(crate) fn keyset_statement(&self) -> Option<String> {
        let direction = self.order.first()?.1;
        if self.order.iter().any(|(_, d)| *d != direction) {
            return None;
        }
        let columns: Vec<&str> = self.order.iter().map(|(c, _)| *c).collect();
        let marks = vec!["?"; columns.len()].join(", ");
        // Rows at or after the key in this order. With the key free of NULLs, a row-value
        // comparison excludes exactly the rows before it, except (descending) rows whose
        // leading column is NULL, which sort last; a page that runs into them comes back
        // short and is read again by OFFSET (see `sqlite_read`).
        let op = match direction {
            Direction::Asc => ">=",
            Direction::Desc => "<=",
        };
        let start = format!("({}) {op} ({marks})", columns.join(", "));
        Some(self.statement(Some(&start), true))
    }

    fn statement(&self, start: Option<&str>, with_key: bool) -> String {
        let table = self.table;
        let order = self.order_sql();
        let mut select = self.columns.join(", ");
        if with_key {
            for (column, _) in &self.order {
                select.push_str(", ");
                select.push_str(column);
            }
        }
        let filter = match start {
            Some(start) => format!("{} AND {start}", self.filter),
            None => self.filter.clone(),
        };
        format!(
            "SELECT {select} FROM {table} WHERE id IN (SELECT id FROM {table} WHERE {filter} \
             ORDER BY {order} LIMIT ? OFFSET ?) ORDER BY {order}"
        )
    }

    /// The arguments of [`PagedQuery::offset_statement`].
    pub(crate) fn offset_args(&self) -> Vec<Arg<'_>> {
        let mut args = self.args.clone();
        args.push(Arg::int(self.limit + 1));
        args.push(Arg::int(self.offset));
        args
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(order: Vec<(&'static str, Direction)>) -> PagedQuery<'static> {
        PagedQuery {
            table: "leads",
            columns: &["lead_id", "lead_name"],
            filter: "ws = ?".to_owned(),
            args: vec![Arg::int(1)],
            order,
            limit: 100,
            offset: 200,
            backend: Backend::Sqlite,
        }
    }

    #[test]
    fn offset_statement_pages_ids_then_reads_their_rows() {
        let q = query(vec![
            ("created_at", Direction::Desc),
            ("id", Direction::Desc),
        ]);
        assert_eq!(
            q.offset_statement(false),
            "SELECT lead_id, lead_name FROM leads WHERE id IN (SELECT id FROM leads WHERE ws = ? \
             ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?) ORDER BY created_at DESC, id DESC"
        );
        assert_eq!(q.offset_args().len(), 3);
    }

    #[test]
    fn keyset_statement_starts_at_the_key_in_the_order_direction() {
        let q = query(vec![
            ("created_at", Direction::Desc),
            ("id", Direction::Desc),
        ]);
        let sql = q.keyset_statement().unwrap_or_default();
        assert!(
            sql.contains("WHERE ws = ? AND (created_at, id) <= (?, ?) ORDER BY"),
            "{sql}"
        );
        assert!(sql.starts_with("SELECT lead_id, lead_name, created_at, id FROM"));
        let q = query(vec![("sort", Direction::Asc), ("id", Direction::Asc)]);
        assert!(
            q.keyset_statement()
                .unwrap_or_default()
                .contains("(sort, id) >= (?, ?)")
        );
    }

    #[test]
    fn mixed_directions_have_no_keyset_statement() {
        let q = query(vec![("sort", Direction::Asc), ("id", Direction::Desc)]);
        assert_eq!(q.keyset_statement(), None);
    }
}
