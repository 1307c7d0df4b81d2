//! Where the next page of an `updated_at`-ascending scan starts.
//!
//! Offset paging over a set that changes while it is read skips rows: when a row of an
//! earlier page is updated it moves to the end, every later row shifts one place forward,
//! and the row at the page boundary is never served. So after each page the scan starts
//! again at page 1 with `filter[updated_at][from]` = the last `updated_at` it saw: a row
//! that changes meanwhile only moves further ahead, where the scan still goes. Only when a
//! whole page shares one second (a bulk edit) does `from` not move; then the page number
//! advances, the one case where offsets are unavoidable. `from` never moves backwards, so
//! the scan ends even against a server that ignored the filter or the order.

/// A request's place in the scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Position {
    /// `filter[updated_at][from]` (inclusive), none for the very start.
    pub(crate) from: Option<i64>,
    pub(crate) page: u32,
}

impl Position {
    pub(crate) fn start(from: Option<i64>) -> Self {
        Self { from, page: 1 }
    }
}

/// The next request after a page whose last row has `last_updated_at`; `None` when Kommo
/// announced no further page.
pub(crate) fn next_position(
    current: Position,
    last_updated_at: i64,
    has_next: bool,
) -> Option<Position> {
    if !has_next {
        return None;
    }
    match current.from {
        Some(from) if last_updated_at <= from => Some(Position {
            from: current.from,
            page: current.page.saturating_add(1),
        }),
        _ => Some(Position {
            from: Some(last_updated_at),
            page: 1,
        }),
    }
}

/// How many rows the whole scan will see, from how far it has come through time: rows are
/// spread over `[first, now]`, and `last` is where the scan is. `None` until the scan has
/// covered enough of that span for the guess to mean something.
pub(crate) fn estimate_total(rows: u64, first: i64, last: i64, now: i64) -> Option<u64> {
    let span = now.saturating_sub(first);
    let done = last.saturating_sub(first);
    if span <= 0 || done <= 0 || rows == 0 {
        return None;
    }
    let fraction = (done as f64 / span as f64).min(1.0);
    if fraction < 0.005 {
        return None;
    }
    Some(((rows as f64 / fraction).round() as u64).max(rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restarts_at_page_one_from_the_last_updated_at() {
        let next = next_position(Position::start(None), 1_000, true);
        assert_eq!(
            next,
            Some(Position {
                from: Some(1_000),
                page: 1
            })
        );
        let next = next_position(
            Position {
                from: Some(1_000),
                page: 1,
            },
            1_500,
            true,
        );
        assert_eq!(
            next,
            Some(Position {
                from: Some(1_500),
                page: 1
            })
        );
    }

    #[test]
    fn a_page_within_one_second_advances_the_page() {
        let pos = Position {
            from: Some(1_000),
            page: 1,
        };
        assert_eq!(
            next_position(pos, 1_000, true),
            Some(Position {
                from: Some(1_000),
                page: 2
            })
        );
        let pos = Position {
            from: Some(1_000),
            page: 2,
        };
        // Leaving the bulk second starts over at page 1.
        assert_eq!(
            next_position(pos, 1_001, true),
            Some(Position {
                from: Some(1_001),
                page: 1
            })
        );
    }

    #[test]
    fn from_never_moves_backwards() {
        // A server that ignores the filter serves older rows: the page advances instead.
        let pos = Position {
            from: Some(5_000),
            page: 1,
        };
        assert_eq!(
            next_position(pos, 3_000, true),
            Some(Position {
                from: Some(5_000),
                page: 2
            })
        );
    }

    #[test]
    fn ends_when_no_next_page() {
        assert_eq!(next_position(Position::start(Some(1)), 9, false), None);
    }

    /// The scan over a set that changes between requests: every row is seen at least once,
    /// however rows move, as long as each request is served from the current state.
    #[test]
    fn a_changing_set_is_read_completely() {
        // (id, updated_at); page size 3.
        let mut rows: Vec<(i64, i64)> = (1..=20).map(|id| (id, id * 10)).collect();
        let mut seen = std::collections::HashSet::new();
        let mut pos = Position::start(None);
        let mut now = 1_000;
        for step in 0.. {
            assert!(step < 100, "the scan does not end");
            let mut view: Vec<(i64, i64)> = rows
                .iter()
                .copied()
                .filter(|r| pos.from.is_none_or(|f| r.1 >= f))
                .collect();
            view.sort_by_key(|r| (r.1, r.0));
            let start = (pos.page as usize - 1) * 3;
            let page: Vec<(i64, i64)> = view.iter().skip(start).take(3).copied().collect();
            if page.is_empty() {
                break;
            }
            seen.extend(page.iter().map(|r| r.0));
            let has_next = view.len() > start + 3;
            // Between requests, an already-read row and an unread one change.
            now += 1;
            rows[(step * 7) % 20].1 = now;
            match next_position(pos, page[page.len() - 1].1, has_next) {
                Some(next) => pos = next,
                None => break,
            }
        }
        assert_eq!(
            seen.len(),
            20,
            "missing: {:?}",
            (1..=20).filter(|id| !seen.contains(id)).collect::<Vec<_>>()
        );
    }

    #[test]
    fn estimates_from_the_time_covered() {
        assert_eq!(estimate_total(500, 0, 500, 1_000), Some(1_000));
        assert_eq!(estimate_total(500, 0, 0, 1_000), None);
        assert_eq!(estimate_total(10, 0, 2_000, 1_000), Some(10));
    }
}
