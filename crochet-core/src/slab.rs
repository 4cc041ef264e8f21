//! A table of values under stable indices, reusing freed places, that
//! gives its memory back once it is mostly empty: the registry's shards and
//! the built-in reactor's task table, which a peak of pending work can grow
//! to millions of entries.

/// Below this many places, a table's storage is not reallocated: too
/// little to matter.
const SMALL: usize = 1024;

/// Values under stable indices.
///
/// Every index in `free` is either a `None` place of `entries` or, once
/// the end of `entries` was trimmed, at or past its end ("stale"); stale
/// indices are skipped when popped, and `entries` grows by a push only
/// when `free` is empty, so a stale index never comes back to name a used
/// place.
pub(crate) struct Slab<T> {
    entries: Vec<Option<T>>,
    /// Places to reuse, and stale indices.
    free: Vec<usize>,
    /// How many entries are `Some`.
    live: usize,
}

impl<T> Default for Slab<T> {
    fn default() -> Slab<T> {
        Slab {
            entries: Vec::new(),
            free: Vec::new(),
            live: 0,
        }
    }
}

impl<T> Slab<T> {
    /// Stores `value` and returns its index, which stays valid until it is
    /// removed.
    pub(crate) fn insert(&mut self, value: T) -> usize {
        let index = self.next_index();
        self.live += 1;
        if index == self.entries.len() {
            self.entries.push(Some(value));
        } else {
            self.free.pop();
            debug_assert!(self.entries[index].is_none(), "place {index} is in use");
            self.entries[index] = Some(value);
        }
        index
    }

    /// The index the next [`insert`](Self::insert) will return.
    pub(crate) fn next_index(&mut self) -> usize {
        while let Some(&index) = self.free.last() {
            if index < self.entries.len() {
                return index;
            }
            self.free.pop();
        }
        self.entries.len()
    }

    pub(crate) fn get_mut(&mut self, index: usize) -> Option<&mut T> {
        self.entries.get_mut(index)?.as_mut()
    }

    #[cfg(all(test, not(crochet_loom)))]
    pub(crate) fn get(&self, index: usize) -> Option<&T> {
        self.entries.get(index)?.as_ref()
    }

    /// Takes the value at `index` out, if there is one; the caller drops it.
    pub(crate) fn remove(&mut self, index: usize) -> Option<T> {
        let value = self.entries.get_mut(index)?.take()?;
        self.live -= 1;
        self.free.push(index);
        self.shrink();
        Some(value)
    }

    /// Takes every value out, leaving the table empty and small.
    pub(crate) fn drain(&mut self) -> impl Iterator<Item = T> {
        let entries = std::mem::take(&mut self.entries);
        *self = Slab::default();
        entries.into_iter().flatten()
    }

    /// How many values the table holds.
    pub(crate) fn len(&self) -> usize {
        self.live
    }

    /// Whether the table holds no value.
    pub(crate) fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// How many places the table has, used or free: every index it hands
    /// out is below this.
    pub(crate) fn places(&self) -> usize {
        self.entries.len()
    }

    /// Gives memory back as the table empties: the free places at its end
    /// are trimmed at once (each place is trimmed once per use, so this
    /// costs O(1) per removal), the storage is reallocated smaller once a
    /// quarter of it is used, and stale free indices are dropped once they
    /// outnumber the places. Live values keep their indices.
    fn shrink(&mut self) {
        if self.live == 0 {
            if self.entries.capacity() > SMALL || self.free.capacity() > SMALL {
                *self = Slab::default();
            }
            return;
        }
        while self.entries.last().is_some_and(Option::is_none) {
            self.entries.pop();
        }
        let len = self.entries.len();
        if self.entries.capacity() > SMALL && len * 4 < self.entries.capacity() {
            self.entries.shrink_to(len * 2);
        }
        let free_places = len - self.live;
        if self.free.len() > SMALL && self.free.len() - free_places > len {
            // Rebuilding costs O(len), less than the stale indices it drops.
            self.free.retain(|&index| index < len);
            self.free.shrink_to(self.free.len() * 2);
        }
    }
}

#[cfg(all(test, not(crochet_loom)))]
mod tests {
    use super::Slab;

    #[test]
    fn indices_stay_valid_while_the_table_shrinks() {
        let mut slab = Slab::default();
        let indices: Vec<usize> = (0..100_000).map(|n| slab.insert(n)).collect();
        // Keep every thousandth value, and the last one, which pins the end.
        for (n, &index) in indices.iter().enumerate() {
            if n % 1000 != 0 && n != indices.len() - 1 {
                assert_eq!(slab.remove(index), Some(n));
            }
        }
        for (n, &index) in indices.iter().enumerate() {
            let kept = n % 1000 == 0 || n == indices.len() - 1;
            assert_eq!(slab.get(index).copied(), kept.then_some(n));
        }
        // Free places are reused, never given to two values.
        let again: Vec<usize> = (0..1000).map(|n| slab.insert(n)).collect();
        let mut all = again;
        all.extend(
            indices
                .iter()
                .enumerate()
                .filter(|&(n, _)| n % 1000 == 0 || n == indices.len() - 1)
                .map(|(_, &index)| index),
        );
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), 1000 + 101);
    }

    #[test]
    fn an_emptied_table_gives_its_memory_back() {
        let mut slab = Slab::default();
        let indices: Vec<usize> = (0..100_000).map(|n| slab.insert(n)).collect();
        for index in indices {
            slab.remove(index);
        }
        assert!(slab.entries.capacity() <= super::SMALL);
        assert!(slab.free.capacity() <= super::SMALL);
        let mut trailing = Slab::default();
        let indices: Vec<usize> = (0..100_000).map(|n| trailing.insert(n)).collect();
        for &index in &indices[10..] {
            trailing.remove(index);
        }
        assert!(trailing.entries.capacity() <= super::SMALL);
        assert_eq!(trailing.get(indices[9]), Some(&9));
    }
}
