//! The registry of a loop's pending results, so that shutdown can fail them
//! all with `ReactorStopped`.
//!
//! It holds only weak references: a result whose handle and task are both
//! gone is freed, and its entry is removed when its task ends. It is split
//! into eight shards; threads are dealt out to them in turn (a thread
//! always registers in the same one, and beyond eight threads several share
//! a shard), so that many threads submitting at once rarely queue on one
//! lock.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Weak};

use crate::settle::Settle;
use crate::slab::Slab;
use crate::sync::{lock, Mutex};

/// How many shards a registry has.
const SHARDS: usize = 8;

pub(crate) struct Registry {
    shards: Vec<Mutex<Shard>>,
}

#[derive(Default)]
struct Shard {
    /// Set once by `stop`; nothing is registered here afterwards.
    stopped: bool,
    /// Shrinks once mostly empty, so a peak of pending work does not keep
    /// its memory.
    entries: Slab<Weak<dyn Settle>>,
}

/// Where a registered result is.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Key {
    shard: usize,
    index: usize,
}

impl Registry {
    pub(crate) fn new() -> Registry {
        Registry {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
        }
    }

    /// Registers `slot`, or returns `None` if the registry has stopped.
    pub(crate) fn register<S: Settle + 'static>(&self, slot: &Arc<S>) -> Option<Key> {
        let weak: Weak<dyn Settle> = Arc::downgrade(slot) as Weak<dyn Settle>;
        let shard = this_threads_shard();
        let mut entries = lock(&self.shards[shard]);
        if entries.stopped {
            return None;
        }
        let index = entries.entries.insert(weak);
        Some(Key { shard, index })
    }

    /// Removes the entry `key`, when its task has ended.
    pub(crate) fn remove(&self, key: Key) {
        // A weak reference: dropping it under the lock runs no user code.
        lock(&self.shards[key.shard]).entries.remove(key.index);
    }

    /// Stops taking registrations and returns the results still alive.
    /// Later calls return nothing. A registration racing with this lands
    /// before its shard stops, and is returned, or after, and is refused.
    pub(crate) fn stop(&self) -> Vec<Arc<dyn Settle>> {
        let mut alive = Vec::new();
        for shard in &self.shards {
            let mut entries = lock(shard);
            entries.stopped = true;
            alive.extend(entries.entries.drain().filter_map(|weak| weak.upgrade()));
        }
        alive
    }

    /// How many results are registered (for the loom models).
    #[cfg(all(test, crochet_loom))]
    pub(crate) fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|shard| lock(shard).entries.len())
            .sum()
    }
}

/// The shard the calling thread registers in, given out in turn.
fn this_threads_shard() -> usize {
    // ORDERING: Relaxed: only spreading matters, which `fetch_add` gives.
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static SHARD: usize = NEXT.fetch_add(1, Ordering::Relaxed) % SHARDS;
    }
    SHARD.with(|shard| *shard)
}
