//! A page of the data API as parts (filter, order, limit, offset) rather than finished SQL, so
//! a reader can start it from a remembered row (keyset) instead of counting OFFSET rows.
//!
//! The published API pages by `page` and `limit`, which is OFFSET paging: page 500 of 100
//! rows makes the database step over 49,900 index entries (milliseconds each time). A reader
//! that remembers the sort key of the first row of pages it has served, for data that has not
//! changed since, can answer the same page, or the next one of a crawl, by a keyset seek.
//! The result is the same rows OFFSET gives; only the work differs. [`PageStarts`] is that
//! memory, driver-neutral; each page reader (`sqlite_read`, `pg_read`) keeps one under its own
//! rule for when the data is unchanged.

use std::borrow::Borrow;
use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;

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
    /// The same query, owning its arguments.
    pub(crate) fn into_owned(self) -> PagedQuery<'static> {
        PagedQuery {
            table: self.table,
            columns: self.columns,
            filter: self.filter,
            args: self.args.into_iter().map(Arg::into_owned).collect(),
            order: self.order,
            limit: self.limit,
            offset: self.offset,
            backend: self.backend,
        }
    }

    /// The ORDER BY terms, each column prefixed with `qualifier`.
    fn order_sql(&self, qualifier: &str) -> String {
        let parts: Vec<String> = self
            .order
            .iter()
            .map(|(column, direction)| match (self.backend, direction) {
                (Backend::Sqlite, Direction::Asc) => format!("{qualifier}{column} ASC"),
                (Backend::Sqlite, Direction::Desc) => format!("{qualifier}{column} DESC"),
                // SQLite's NULL placement (NULLs lowest) spelled out, matching the
                // `DESC NULLS LAST` indexes of the Postgres migration.
                (Backend::Postgres, Direction::Asc) => {
                    format!("{qualifier}{column} ASC NULLS FIRST")
                }
                (Backend::Postgres, Direction::Desc) => {
                    format!("{qualifier}{column} DESC NULLS LAST")
                }
            })
            .collect();
        parts.join(", ")
    }

    /// The statement by OFFSET; its arguments are `args`, then `limit + 1`, then `offset`.
    /// Only the page's ids are selected in the subquery, which one index can answer; the
    /// rows themselves are read for those ids alone. The selected columns are `columns`,
    /// then (with `with_key`) the sort terms' columns and, on Postgres, the snapshot.
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

    /// `page` (the ids and sort keys of the page, in order, from one index) joined to the
    /// table for the rows. Postgres keeps the subquery's order through the nested loop and
    /// needs no sort for the outer ORDER BY; SQLite would sort the wide rows again, so there
    /// the order comes from the join itself: CROSS JOIN makes the ordered `page` the outer
    /// loop, whose rows come out in its order (the order tests of `tests/reads.rs` hold it
    /// to that).
    fn statement(&self, start: Option<&str>, with_key: bool) -> String {
        let table = self.table;
        let mut select: Vec<String> = self
            .columns
            .iter()
            .map(|c| format!("{table}.{c}"))
            .collect();
        if with_key {
            select.extend(self.order.iter().map(|(c, _)| format!("page.{c}")));
            if self.backend == Backend::Postgres {
                // The snapshot the statement reads under: boundaries are valid for it alone
                // (see `pg_read`).
                select.push("pg_current_snapshot()::text".to_owned());
            }
        }
        let mut keys = vec!["id"];
        keys.extend(self.order.iter().map(|(c, _)| *c).filter(|c| *c != "id"));
        let filter = match start {
            Some(start) => format!("{} AND {start}", self.filter),
            None => self.filter.clone(),
        };
        let page = format!(
            "SELECT {} FROM {table} WHERE {filter} ORDER BY {} LIMIT ? OFFSET ?",
            keys.join(", "),
            self.order_sql("")
        );
        let select = select.join(", ");
        match self.backend {
            Backend::Sqlite => format!(
                "SELECT {select} FROM ({page}) AS page CROSS JOIN {table} ON {table}.id = page.id"
            ),
            Backend::Postgres => format!(
                "SELECT {select} FROM ({page}) AS page JOIN {table} ON {table}.id = page.id \
                 ORDER BY {}",
                self.order_sql("page.")
            ),
        }
    }

    /// The arguments of [`PagedQuery::offset_statement`].
    pub(crate) fn offset_args(&self) -> Vec<Arg<'_>> {
        let mut args = self.args.clone();
        args.push(Arg::int(self.limit + 1));
        args.push(Arg::int(self.offset));
        args
    }
}

/// Where served pages start, per query shape (its statement and arguments, without limit and
/// offset): offset -> the sort key of the row there. Each page reader keeps these under its own
/// rule for when they stay valid (SQLite: per connection, while its data version holds;
/// Postgres: per pool, for one snapshot) and forgets them all when that rule says so, or when
/// [`PageStarts::is_full`].
#[derive(Debug)]
pub(crate) struct PageStarts<S, K> {
    known: HashMap<S, BTreeMap<i64, K>>,
    remembered: usize,
}

impl<S, K> Default for PageStarts<S, K> {
    fn default() -> Self {
        PageStarts {
            known: HashMap::new(),
            remembered: 0,
        }
    }
}

impl<S: Hash + Eq, K: Clone> PageStarts<S, K> {
    /// Page starts remembered before all are forgotten: a few hundred KiB to ~2 MiB at most,
    /// depending on the key type.
    const MAX: usize = 10_000;

    /// Whether the memory is at its bound, to be forgotten before more is added.
    pub(crate) fn is_full(&self) -> bool {
        self.remembered >= Self::MAX
    }

    pub(crate) fn forget(&mut self) {
        self.known.clear();
        self.remembered = 0;
    }

    /// The nearest page start at or before `offset` of a query shape, and its key.
    pub(crate) fn nearest<Q>(&self, shape: &Q, offset: i64) -> Option<(i64, K)>
    where
        S: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let (at, key) = self.known.get(shape)?.range(..=offset).next_back()?;
        Some((*at, key.clone()))
    }

    /// Adds page starts (from [`page_starts`]) to the ones known for a query shape.
    pub(crate) fn remember<'k>(&mut self, shape: S, starts: impl Iterator<Item = (i64, &'k K)>)
    where
        K: 'k,
    {
        let known = self.known.entry(shape).or_default();
        self.remembered += starts
            .filter(|(at, key)| known.insert(*at, (*key).clone()).is_none())
            .count();
    }
}

/// The page starts a read at `offset` saw, worth remembering: where this page starts (unless
/// at 0: OFFSET 0 costs nothing) and where the next one starts, each with the sort key read
/// there, if read and `usable` (a row-value comparison cannot start from a NULL).
pub(crate) fn page_starts<'k, K>(
    offset: i64,
    limit: i64,
    first: &'k Option<K>,
    next: &'k Option<K>,
    usable: impl Fn(&K) -> bool + 'k,
) -> impl Iterator<Item = (i64, &'k K)> + 'k {
    [(offset, first), (offset + limit, next)]
        .into_iter()
        .filter_map(|(at, key)| Some((at, key.as_ref()?)))
        .filter(move |(at, key)| *at > 0 && usable(key))
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
            "SELECT leads.lead_id, leads.lead_name FROM (SELECT id, created_at FROM leads \
             WHERE ws = ? ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?) AS page \
             CROSS JOIN leads ON leads.id = page.id"
        );
        assert_eq!(q.offset_args().len(), 3);
        let pg = PagedQuery {
            backend: Backend::Postgres,
            ..q
        };
        assert!(pg.offset_statement(true).ends_with(
            "JOIN leads ON leads.id = page.id \
             ORDER BY page.created_at DESC NULLS LAST, page.id DESC NULLS LAST"
        ));
        assert!(
            pg.offset_statement(true)
                .contains("page.created_at, page.id, pg_current_snapshot()::text FROM")
        );
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
        assert!(
            sql.starts_with("SELECT leads.lead_id, leads.lead_name, page.created_at, page.id FROM")
        );
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
