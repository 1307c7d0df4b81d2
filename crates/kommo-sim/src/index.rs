//! Sorted indexes that make a page cost O(page): live ids, (updated_at, id) and (created_at, id)
//! orders, the deleted-but-restorable set, and compact one-to-many link tables.

use std::collections::HashMap;

use kommo_model::query::Range;

/// Which index a list walks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OrderBy {
    Id,
    CreatedAt,
    UpdatedAt,
}

/// The orders of one entity's live rows, plus its deleted rows.
#[derive(Debug, Default, Clone)]
pub(crate) struct Index {
    /// Live ids, ascending.
    pub(crate) live: Vec<u32>,
    pub(crate) by_created: Vec<(u32, u32)>,
    pub(crate) by_updated: Vec<(u32, u32)>,
    /// Deleted but restorable ids, ascending.
    pub(crate) deleted: Vec<u32>,
}

fn insert_sorted<T: Ord + Copy>(v: &mut Vec<T>, item: T) {
    // New rows are almost always the newest: check the end first.
    if v.last().is_none_or(|last| *last < item) {
        v.push(item);
    } else if let Err(at) = v.binary_search(&item) {
        v.insert(at, item);
    }
}

fn remove_sorted<T: Ord + Copy>(v: &mut Vec<T>, item: T) {
    if let Ok(at) = v.binary_search(&item) {
        v.remove(at);
    }
}

impl Index {
    /// Builds the index from rows given as (id, created_at, updated_at, deleted).
    pub(crate) fn build(rows: impl Iterator<Item = (u32, u32, u32, bool)>) -> Self {
        let mut index = Self::default();
        for (id, created, updated, deleted) in rows {
            if deleted {
                index.deleted.push(id);
            } else {
                index.live.push(id);
                index.by_created.push((created, id));
                index.by_updated.push((updated, id));
            }
        }
        index.live.sort_unstable();
        index.deleted.sort_unstable();
        index.by_created.sort_unstable();
        index.by_updated.sort_unstable();
        index
    }

    pub(crate) fn insert(&mut self, id: u32, created: u32, updated: u32) {
        insert_sorted(&mut self.live, id);
        insert_sorted(&mut self.by_created, (created, id));
        insert_sorted(&mut self.by_updated, (updated, id));
    }

    pub(crate) fn remove_live(&mut self, id: u32, created: u32, updated: u32) {
        remove_sorted(&mut self.live, id);
        remove_sorted(&mut self.by_created, (created, id));
        remove_sorted(&mut self.by_updated, (updated, id));
    }

    pub(crate) fn touch(&mut self, id: u32, old_updated: u32, new_updated: u32) {
        if old_updated != new_updated {
            remove_sorted(&mut self.by_updated, (old_updated, id));
            insert_sorted(&mut self.by_updated, (new_updated, id));
        }
    }

    pub(crate) fn recreate(&mut self, id: u32, old_created: u32, new_created: u32) {
        if old_created != new_created {
            remove_sorted(&mut self.by_created, (old_created, id));
            insert_sorted(&mut self.by_created, (new_created, id));
        }
    }

    pub(crate) fn mark_deleted(&mut self, id: u32, created: u32, updated: u32) {
        self.remove_live(id, created, updated);
        insert_sorted(&mut self.deleted, id);
    }

    pub(crate) fn mark_restored(&mut self, id: u32, created: u32, updated: u32) {
        remove_sorted(&mut self.deleted, id);
        self.insert(id, created, updated);
    }

    /// One page of live ids in the given order: the rows whose order key lies in `range` and
    /// that pass `keep`, after skipping `offset` of them, at most `take`.
    ///
    /// Without a predicate the page is sliced straight out of the index (O(page)); with one,
    /// rows are scanned from the start of the range.
    pub(crate) fn page(
        &self,
        order: OrderBy,
        desc: bool,
        range: Option<Range>,
        offset: usize,
        take: usize,
        keep: Option<&dyn Fn(u32) -> bool>,
    ) -> Vec<u32> {
        match order {
            OrderBy::Id => {
                let slice = narrow(&self.live, range, |id| *id);
                collect(slice.iter().copied(), desc, offset, take, keep)
            }
            OrderBy::CreatedAt => {
                let slice = narrow(&self.by_created, range, |(t, _)| *t);
                collect(slice.iter().map(|(_, id)| *id), desc, offset, take, keep)
            }
            OrderBy::UpdatedAt => {
                let slice = narrow(&self.by_updated, range, |(t, _)| *t);
                collect(slice.iter().map(|(_, id)| *id), desc, offset, take, keep)
            }
        }
    }
}

/// The part of a sorted slice whose key lies in `range` (binary search on both ends).
fn narrow<T>(slice: &[T], range: Option<Range>, key: impl Fn(&T) -> u32) -> &[T] {
    let Some(range) = range else { return slice };
    let from = range.from.map_or(0, |from| {
        slice.partition_point(|x| i64::from(key(x)) < from)
    });
    let to = range.to.map_or(slice.len(), |to| {
        slice.partition_point(|x| i64::from(key(x)) <= to)
    });
    if from >= to {
        &slice[0..0]
    } else {
        &slice[from..to]
    }
}

fn collect(
    ids: impl DoubleEndedIterator<Item = u32> + ExactSizeIterator,
    desc: bool,
    offset: usize,
    take: usize,
    keep: Option<&dyn Fn(u32) -> bool>,
) -> Vec<u32> {
    match (desc, keep) {
        (false, None) => ids.skip(offset).take(take).collect(),
        (true, None) => ids.rev().skip(offset).take(take).collect(),
        (false, Some(keep)) => ids.filter(|id| keep(*id)).skip(offset).take(take).collect(),
        (true, Some(keep)) => ids
            .rev()
            .filter(|id| keep(*id))
            .skip(offset)
            .take(take)
            .collect(),
    }
}

/// A one-to-many link table (contact -> lead ids, company -> contact ids, ...): a compact
/// CSR array built once by the generator, with an overlay for the keys changed since.
#[derive(Debug, Default, Clone)]
pub(crate) struct Links {
    offsets: Vec<u32>,
    items: Vec<u32>,
    /// Key index -> its full, current list (replaces the CSR row).
    overlay: HashMap<u32, Vec<u32>>,
}

impl Links {
    /// From (key index, item) pairs, `keys` keys in all.
    pub(crate) fn build(keys: usize, mut pairs: Vec<(u32, u32)>) -> Self {
        pairs.sort_unstable();
        let mut offsets = vec![0u32; keys + 1];
        for (key, _) in &pairs {
            if let Some(slot) = offsets.get_mut(*key as usize + 1) {
                *slot += 1;
            }
        }
        for i in 1..offsets.len() {
            offsets[i] += offsets[i - 1];
        }
        let items = pairs.into_iter().map(|(_, item)| item).collect();
        Self {
            offsets,
            items,
            overlay: HashMap::new(),
        }
    }

    pub(crate) fn get(&self, key: u32) -> &[u32] {
        if let Some(list) = self.overlay.get(&key) {
            return list;
        }
        let k = key as usize;
        match (self.offsets.get(k), self.offsets.get(k + 1)) {
            (Some(&a), Some(&b)) => &self.items[a as usize..b as usize],
            _ => &[],
        }
    }

    pub(crate) fn add(&mut self, key: u32, item: u32) {
        let mut list = self.get(key).to_vec();
        if !list.contains(&item) {
            list.push(item);
            list.sort_unstable();
        }
        self.overlay.insert(key, list);
    }

    pub(crate) fn remove(&mut self, key: u32, item: u32) {
        let mut list = self.get(key).to_vec();
        list.retain(|x| *x != item);
        self.overlay.insert(key, list);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_slice_and_filter() {
        let idx = Index::build((1..=10u32).map(|i| (i, 100 + i, 200 + (10 - i), i == 5)));
        assert_eq!(
            idx.page(OrderBy::Id, false, None, 0, 3, None),
            vec![1, 2, 3]
        );
        assert_eq!(
            idx.page(OrderBy::Id, false, None, 3, 3, None),
            vec![4, 6, 7]
        );
        assert_eq!(idx.page(OrderBy::Id, true, None, 0, 2, None), vec![10, 9]);
        assert_eq!(
            idx.page(OrderBy::UpdatedAt, false, None, 0, 2, None),
            vec![10, 9]
        );
        let range = Some(Range {
            from: Some(203),
            to: Some(205),
        });
        assert_eq!(
            idx.page(OrderBy::UpdatedAt, false, range, 0, 10, None),
            vec![7, 6]
        );
        let even = |id: u32| id.is_multiple_of(2);
        assert_eq!(
            idx.page(OrderBy::Id, false, None, 1, 2, Some(&even)),
            vec![4, 6]
        );
        assert_eq!(idx.deleted, vec![5]);
    }

    #[test]
    fn links_overlay_the_csr_rows() {
        let mut links = Links::build(3, vec![(0, 10), (2, 30), (0, 11)]);
        assert_eq!(links.get(0), &[10, 11]);
        assert_eq!(links.get(1), &[] as &[u32]);
        links.add(1, 20);
        links.remove(0, 10);
        assert_eq!(
            (links.get(0), links.get(1), links.get(2)),
            (&[11][..], &[20][..], &[30][..])
        );
        assert_eq!(links.get(99), &[] as &[u32]);
    }
}
