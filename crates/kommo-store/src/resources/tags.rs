//! The tag filters leads and contacts share (`tagId`, `tagName`, `tagColor` and their
//! `…First` forms), as conditions on the resource's tag side table, each joined `IN` or
//! `EXISTS` by how many rows it matches.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::PageRow;
use super::filter::{Side, SideMode, Where};
use crate::Store;
use crate::db::Arg;
use crate::error::StoreError;
use crate::json::{self, Cells, Kind, WriteJson};
use crate::sqlite_read::Columns;

/// The tag filters of one query.
pub(crate) struct TagFilter<'f> {
    pub(crate) tag_id: &'f [i64],
    pub(crate) tag_name: Option<&'f str>,
    pub(crate) tag_color: Option<&'f str>,
    pub(crate) tag_id_first: &'f [i64],
    pub(crate) tag_name_first: Option<&'f str>,
    pub(crate) tag_color_first: Option<&'f str>,
}

/// Matches a condition counts up to before it is common (then `EXISTS`, else `IN`).
const COMMON_SIDE_ROWS: i64 = 10_000;

/// The side modes chosen lately, per condition. Counting up to [`COMMON_SIDE_ROWS`] costs
/// more than the page read it decides (a third of a millisecond for a common tag), and the
/// answer changes only as the data does; a stale answer makes a read slower, never wrong.
/// So it is kept for a minute.
#[derive(Debug, Default)]
pub(crate) struct SideModes {
    known: Mutex<HashMap<String, (SideMode, Instant)>>,
}

impl SideModes {
    const FRESH_FOR: Duration = Duration::from_secs(60);
    const MAX_KNOWN: usize = 10_000;

    fn get(&self, key: &str) -> Option<SideMode> {
        let known = self.known.lock();
        let (mode, at) = known.get(key)?;
        (at.elapsed() < Self::FRESH_FOR).then_some(*mode)
    }

    fn insert(&self, key: String, mode: SideMode) {
        let mut known = self.known.lock();
        if known.len() >= Self::MAX_KNOWN {
            known.retain(|_, (_, at)| at.elapsed() < Self::FRESH_FOR);
            if known.len() >= Self::MAX_KNOWN {
                known.clear();
            }
        }
        known.insert(key, (mode, Instant::now()));
    }
}

/// The side-table conditions of the tag filters, in a fixed order.
fn side_conditions<'a>(f: &TagFilter<'a>) -> Vec<Where<'a>> {
    let mut out = Vec::new();
    let mut add = |build: &dyn Fn(&mut Where<'a>), first: bool| {
        let mut inner = Where::new();
        build(&mut inner);
        if first {
            inner.eq_int("s.position", 0);
        }
        out.push(inner);
    };
    if !f.tag_id.is_empty() {
        add(&|w| w.in_ints("s.tag_id", f.tag_id), false);
    }
    if let Some(name) = f.tag_name {
        add(&|w| w.eq_str("s.name", name), false);
    }
    if let Some(color) = f.tag_color {
        add(&|w| w.eq_str("s.color", color), false);
    }
    if !f.tag_id_first.is_empty() {
        add(&|w| w.in_ints("s.tag_id", f.tag_id_first), true);
    }
    if let Some(name) = f.tag_name_first {
        add(&|w| w.eq_str("s.name", name), true);
    }
    if let Some(color) = f.tag_color_first {
        add(&|w| w.eq_str("s.color", color), true);
    }
    out
}

/// Adds the tag filters to `w`, each joined as `modes` (from [`Store::side_modes`]) says.
pub(crate) fn conditions<'a>(
    w: &mut Where<'a>,
    side: Side<'_>,
    ws: i64,
    f: TagFilter<'a>,
    modes: &[SideMode],
) {
    for (i, inner) in side_conditions(&f).into_iter().enumerate() {
        w.side(
            side,
            ws,
            inner,
            modes.get(i).copied().unwrap_or(SideMode::In),
        );
    }
}

impl Store {
    /// For each tag condition, whether it matches many rows of the workspace (then `EXISTS`)
    /// or few (`IN`): counts its side rows, stopping at [`COMMON_SIDE_ROWS`].
    pub(crate) async fn side_modes(
        &self,
        side: Side<'_>,
        ws: i64,
        tags: TagFilter<'_>,
    ) -> Result<Vec<SideMode>, StoreError> {
        let side = side.side;
        let mut modes = Vec::new();
        for inner in side_conditions(&tags) {
            let (conds, inner_args) = inner.into_parts();
            let sql = format!(
                "SELECT COUNT(*) AS n FROM (SELECT 1 FROM {side} s WHERE s.ws = ? AND {conds} LIMIT {COMMON_SIDE_ROWS}) probe"
            );
            let mut args = vec![Arg::int(ws)];
            args.extend(inner_args);
            let key = format!("{sql}\u{0}{args:?}");
            if let Some(mode) = self.inner.side_modes.get(&key) {
                modes.push(mode);
                continue;
            }
            let count: Vec<Count> = self.db().fetch_rows(&sql, args).await?;
            let common = count.first().is_some_and(|c| c.n >= COMMON_SIDE_ROWS);
            let mode = if common {
                SideMode::Exists
            } else {
                SideMode::In
            };
            self.inner.side_modes.insert(key, mode);
            modes.push(mode);
        }
        Ok(modes)
    }
}

/// A single `n` column: the count of a side-mode probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct Count {
    pub(crate) n: i64,
}

impl PageRow for Count {
    const COLUMNS: &'static [&'static str] = &["n"];
    fn from_sqlite(c: &mut Columns<'_, '_>) -> Result<Self, rusqlite::Error> {
        Ok(Count { n: c.take()? })
    }
}

impl WriteJson for Count {
    fn write_json<R: Cells>(row: &R, out: &mut Vec<u8>) -> Result<(), R::Error> {
        out.push(b'{');
        json::write_field(row, out, &mut 0, "n", Kind::Int)?;
        out.push(b'}');
        Ok(())
    }
}
