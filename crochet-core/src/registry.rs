//! The registry of a loop's pending results, so that shutdown can fail them
//! all with `ReactorStopped`.
//!
//! It holds only weak references: a result whose handle and task are both
//! gone is freed, and its entry is removed when its task ends.

use std::sync::{Arc, Weak};

use crate::slot::Settle;
use crate::sync::{lock, Mutex};

pub(crate) struct Registry {
    inner: Mutex<Inner>,
}

struct Inner {
    /// Set once by `stop`; nothing is registered afterwards.
    stopped: bool,
    entries: Vec<Option<Weak<dyn Settle>>>,
    /// Indices of `entries` that are `None`.
    free: Vec<usize>,
}

impl Registry {
    pub(crate) fn new() -> Registry {
        Registry {
            inner: Mutex::new(Inner {
                stopped: false,
                entries: Vec::new(),
                free: Vec::new(),
            }),
        }
    }

    /// Registers the slot `make` builds from its key, or returns `None`
    /// (without calling `make`) if the registry has stopped.
    pub(crate) fn register<S: Settle + 'static>(
        &self,
        make: impl FnOnce(usize) -> S,
    ) -> Option<Arc<S>> {
        let mut inner = lock(&self.inner);
        if inner.stopped {
            return None;
        }
        let key = match inner.free.pop() {
            Some(key) => key,
            None => {
                inner.entries.push(None);
                inner.entries.len() - 1
            }
        };
        let slot = Arc::new(make(key));
        let weak: Weak<dyn Settle> = Arc::downgrade(&slot) as Weak<dyn Settle>;
        inner.entries[key] = Some(weak);
        Some(slot)
    }

    /// Removes the entry `key`, when its task has ended.
    pub(crate) fn remove(&self, key: usize) {
        let mut inner = lock(&self.inner);
        if let Some(entry) = inner.entries.get_mut(key) {
            if entry.take().is_some() {
                inner.free.push(key);
            }
        }
    }

    /// Stops taking registrations and returns the results still alive.
    /// Later calls return nothing.
    pub(crate) fn stop(&self) -> Vec<Arc<dyn Settle>> {
        let mut inner = lock(&self.inner);
        inner.stopped = true;
        inner.free.clear();
        inner
            .entries
            .drain(..)
            .flatten()
            .filter_map(|weak| weak.upgrade())
            .collect()
    }

    /// How many results are registered (for the loom models).
    #[cfg(all(test, crochet_loom))]
    pub(crate) fn len(&self) -> usize {
        lock(&self.inner).entries.iter().flatten().count()
    }
}
