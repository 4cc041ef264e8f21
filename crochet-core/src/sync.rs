//! The synchronisation primitives the modelled parts of the core use: std's,
//! or loom's when the crate is built for the loom models
//! (`RUSTFLAGS="--cfg crochet_loom" cargo test -p crochet-core --release`).
//!
//! The result slot, the cancellation token, the registry, the stash and the
//! task queue go through this shim; the reactor thread and the hooks use std directly
//! because loom does not model threads that outlive a model.

#[cfg(not(all(test, crochet_loom)))]
pub(crate) use std::sync::{
    atomic::{AtomicBool, AtomicUsize, Ordering},
    Condvar, Mutex, MutexGuard,
};
#[cfg(not(all(test, crochet_loom)))]
pub(crate) use std::thread::{current as current_thread, ThreadId};

#[cfg(all(test, crochet_loom))]
pub(crate) use loom::sync::{
    atomic::{AtomicBool, AtomicUsize, Ordering},
    Condvar, Mutex, MutexGuard,
};
#[cfg(all(test, crochet_loom))]
pub(crate) use loom::thread::{current as current_thread, ThreadId};

/// Locks `mutex`, ignoring poisoning.
///
/// No code of this crate panics while it holds one of its locks (user code
/// and wakers always run after the guard is dropped), so a poisoned lock
/// still guards consistent state.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
