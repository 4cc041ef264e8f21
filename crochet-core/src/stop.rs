//! The latch that makes every `shutdown` of a loop return only once the
//! loop's pending results have all been failed, however many callers race.

use std::sync::PoisonError;

use crate::sync::{current_thread, lock, Condvar, Mutex, ThreadId};

/// Which part of stopping a loop has been done.
pub(crate) struct StopLatch {
    phase: Mutex<Phase>,
    failed: Condvar,
}

/// The phases of stopping, in order; each is left only for the next.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Nobody has asked the loop to stop. Left by the first `shutdown`.
    Running,
    /// That thread is failing the pending results, which may run their
    /// wakers. Left by the same thread, for `Failed`, also if a waker
    /// panics.
    Failing(ThreadId),
    /// Every result pending at the stop has been failed. Final.
    Failed,
}

impl StopLatch {
    pub(crate) fn new() -> StopLatch {
        StopLatch {
            phase: Mutex::new(Phase::Running),
            failed: Condvar::new(),
        }
    }

    /// Called by each `shutdown` before it stops the reactor. The first
    /// caller gets a guard and fails the pending results while holding it;
    /// later callers wait until that is done, except a caller on the
    /// failing thread itself (a waker that `shutdown` woke, dropping the
    /// loop's last handle), which cannot wait for itself.
    pub(crate) fn begin(&self) -> Option<Failing<'_>> {
        let me = current_thread().id();
        let mut phase = lock(&self.phase);
        loop {
            match *phase {
                Phase::Running => {
                    *phase = Phase::Failing(me);
                    return Some(Failing(self));
                }
                Phase::Failing(them) if them != me => {
                    phase = self
                        .failed
                        .wait(phase)
                        .unwrap_or_else(PoisonError::into_inner);
                }
                Phase::Failing(_) | Phase::Failed => return None,
            }
        }
    }
}

/// Held by the `shutdown` that fails the pending results; dropping it
/// releases the others.
pub(crate) struct Failing<'a>(&'a StopLatch);

impl Drop for Failing<'_> {
    fn drop(&mut self) {
        *lock(&self.0.phase) = Phase::Failed;
        self.0.failed.notify_all();
    }
}
