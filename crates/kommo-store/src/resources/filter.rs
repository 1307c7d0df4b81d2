//! The pieces every resource's statement is built from: a WHERE clause with its arguments,
//! inclusive time bounds, total sort orders, and the page request's limit and offset.

use chrono::{DateTime, Timelike as _, Utc};

use crate::db::{Arg, placeholders};
use crate::error::StoreError;
use crate::query::{Deleted, Direction, Page, PageRequest, TimeRange};

/// A WHERE clause under construction: conditions with `?` and their arguments, in order.
pub(crate) struct Where<'a> {
    conds: Vec<String>,
    args: Vec<Arg<'a>>,
}

impl<'a> Where<'a> {
    pub(crate) fn new() -> Self {
        Where {
            conds: Vec::new(),
            args: Vec::new(),
        }
    }

    /// A condition with one `?`, and its argument.
    pub(crate) fn cond(&mut self, cond: String, arg: Arg<'a>) {
        self.conds.push(cond);
        self.args.push(arg);
    }

    /// A condition without arguments (a fixed test such as `left_at IS NULL`).
    pub(crate) fn raw(&mut self, cond: &'static str) {
        self.conds.push(cond.to_owned());
    }

    pub(crate) fn eq_str(&mut self, column: &str, value: &'a str) {
        self.cond(format!("{column} = ?"), Arg::str(value));
    }

    pub(crate) fn eq_int(&mut self, column: &str, value: i64) {
        self.cond(format!("{column} = ?"), Arg::int(value));
    }

    pub(crate) fn eq_bool(&mut self, column: &str, value: bool) {
        self.cond(format!("{column} = ?"), Arg::Bool(value));
    }

    pub(crate) fn in_ints(&mut self, column: &str, values: &[i64]) {
        match values {
            [] => {}
            [one] => self.eq_int(column, *one),
            many => {
                self.conds
                    .push(format!("{column} IN ({})", placeholders(many.len())));
                self.args.extend(many.iter().map(|v| Arg::int(*v)));
            }
        }
    }

    pub(crate) fn in_strs(&mut self, column: &str, values: &'a [String]) {
        self.conds
            .push(format!("{column} IN ({})", placeholders(values.len())));
        self.args.extend(values.iter().map(|v| Arg::str(v)));
    }

    pub(crate) fn range(&mut self, column: &str, range: &TimeRange) {
        if let Some(start) = range.start {
            self.cond(format!("{column} >= ?"), Arg::int(start_seconds(start)));
        }
        if let Some(end) = range.end {
            self.cond(format!("{column} <= ?"), Arg::int(end.timestamp()));
        }
    }

    pub(crate) fn deleted(&mut self, deleted: Deleted) {
        match deleted {
            Deleted::Live => self.eq_bool("is_deleted", false),
            Deleted::Only => self.eq_bool("is_deleted", true),
            Deleted::Any => {}
        }
    }

    /// The start every statement has: the granted workspace's key, then the integrations
    /// the scope narrows to (`None`: all of the workspace's).
    pub(crate) fn tenancy(&mut self, ws: i64, integrations: Option<&'a [String]>) {
        self.eq_int("ws", ws);
        if let Some(ids) = integrations {
            self.in_strs("integration_id", ids);
        }
    }

    /// A condition on a side table (`s`), as `id IN (SELECT s.<parent> FROM <side> s WHERE
    /// s.ws = ? AND <inner>)` or as `EXISTS (SELECT 1 FROM <side> s WHERE s.<parent> =
    /// <table>.id AND <inner>)`; see [`SideMode`].
    pub(crate) fn side(&mut self, side: Side<'_>, ws: i64, inner: Where<'a>, mode: SideMode) {
        let Side {
            table,
            side,
            parent,
        } = side;
        match mode {
            SideMode::In => {
                let mut conds = vec!["s.ws = ?".to_owned()];
                conds.extend(inner.conds);
                self.conds.push(format!(
                    "id IN (SELECT s.{parent} FROM {side} s WHERE {})",
                    conds.join(" AND ")
                ));
                self.args.push(Arg::int(ws));
            }
            SideMode::Exists => {
                let mut conds = vec![format!("s.{parent} = {table}.id")];
                conds.extend(inner.conds);
                self.conds.push(format!(
                    "EXISTS (SELECT 1 FROM {side} s WHERE {})",
                    conds.join(" AND ")
                ));
            }
        }
        self.args.extend(inner.args);
    }

    /// The conditions joined by AND, and their arguments.
    pub(crate) fn into_parts(self) -> (String, Vec<Arg<'a>>) {
        (self.conds.join(" AND "), self.args)
    }
}

/// A side table of a resource's table: `side.parent` holds the row id of `table`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Side<'n> {
    pub(crate) table: &'n str,
    pub(crate) side: &'n str,
    pub(crate) parent: &'n str,
}

/// How a side-table filter is joined. SQLite follows the form it is given: `IN` builds the set
/// of matching parents and sorts them (fast when few match), `EXISTS` walks the ordered index
/// of the parent table and probes the side table per row, stopping at the page's end (fast
/// when many match). The tag filters count their matches to choose (see `tags`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SideMode {
    In,
    Exists,
}

/// Kommo times are whole seconds: an inclusive start with a fraction begins at the next second.
fn start_seconds(start: DateTime<Utc>) -> i64 {
    let seconds = start.timestamp();
    if start.nanosecond() > 0 {
        seconds.saturating_add(1)
    } else {
        seconds
    }
}

/// The sort terms: the chosen column (or the resource's `default` terms), then the
/// tie-breakers in the same direction, so the order is total.
pub(crate) fn order_terms(
    primary: Option<(&'static str, Direction)>,
    default: &[(&'static str, Direction)],
    ties: &[&'static str],
) -> Vec<(&'static str, Direction)> {
    match primary {
        None => default.to_vec(),
        Some((column, direction)) => {
            let mut terms = vec![(column, direction)];
            terms.extend(
                ties.iter()
                    .filter(|t| **t != column)
                    .map(|t| (*t, direction)),
            );
            terms
        }
    }
}

/// The page request as `(limit, offset)`; pages and limits start at 1.
pub(crate) fn check_page(page: PageRequest) -> Result<(i64, i64), StoreError> {
    if page.page == 0 {
        return Err(StoreError::invalid("page", "pages start at 1"));
    }
    if page.limit == 0 {
        return Err(StoreError::invalid("limit", "must be at least 1"));
    }
    let offset = (i64::from(page.page) - 1) * i64::from(page.limit);
    Ok((i64::from(page.limit), offset))
}

/// The page of `rows` read as `limit + 1` rows: the extra one only says a next page exists.
pub(crate) fn into_page<T>(mut rows: Vec<T>, page: PageRequest) -> Page<T> {
    let limit = usize::try_from(page.limit).unwrap_or(usize::MAX);
    let has_next_page = rows.len() > limit;
    rows.truncate(limit);
    Page {
        rows,
        page: page.page,
        limit: page.limit,
        has_next_page,
        has_previous_page: page.page > 1,
    }
}
