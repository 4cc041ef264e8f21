//! `LoopCore`: what a loop's results and tasks share with it (its id, its
//! registry, its reactor, its settings), never the user-facing handle, so
//! that pending work does not keep a loop alive.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::error::Error;
use crate::id::LoopId;
use crate::monitor::Monitor;
use crate::reactor_trait::Reactor;
use crate::registry::Registry;
use crate::settle::{self, By};
use crate::spin::{Spinners, WaitStrategy};
use crate::stop::StopLatch;
use crate::thread_mark;

/// What results and tasks share with the loop: never the `Handle`, so that
/// pending work does not keep a loop alive.
pub(crate) struct LoopCore {
    pub(crate) id: LoopId,
    pub(crate) registry: Registry,
    /// Makes every `shutdown` wait until the pending results are failed.
    stopping: StopLatch,
    /// Set once a `shutdown` has begun, before any pending result is
    /// failed: work polled from then on stops instead of running, so that
    /// no work still waiting when the loop was asked to stop (a call that
    /// the failing of another let through) can deliver a value.
    // ORDERING: Release when set, Acquire when read: work let through by
    // the failing of another result is polled after the store, through
    // the locks of that result and of the loop's queue.
    stopped: AtomicBool,
    pub(crate) reactor: Box<dyn Reactor>,
    /// The process the loop was started in. A child made by `fork()` has a
    /// copy of the loop but not its reactor thread: there, the loop fails
    /// everything with `StartedBeforeFork` and never touches the reactor,
    /// whose locks another thread of the parent may have held at the fork.
    pid: u32,
    /// The spin budget of the wait strategy, in nanoseconds.
    // ORDERING: Relaxed: a plain setting, read on its own; a wait that reads
    // the old value just spins as before.
    pub(crate) spin_nanos: AtomicU64,
    /// The callers spinning on this loop's results.
    #[cfg_attr(all(test, crochet_loom), allow(dead_code))]
    pub(crate) spinners: Spinners,
    /// The loop's counters and the monitor of its polls.
    pub(crate) monitor: Arc<Monitor>,
}

impl LoopCore {
    pub(crate) fn new(id: LoopId, reactor: Box<dyn Reactor>) -> LoopCore {
        LoopCore {
            id,
            registry: Registry::new(),
            stopping: StopLatch::new(),
            stopped: AtomicBool::new(false),
            reactor,
            pid: std::process::id(),
            spin_nanos: AtomicU64::new(nanos(WaitStrategy::DEFAULT.budget())),
            spinners: Spinners::new(),
            monitor: Monitor::new(id),
        }
    }

    pub(crate) fn wait_strategy(&self) -> WaitStrategy {
        WaitStrategy::from_budget(Duration::from_nanos(
            self.spin_nanos.load(Ordering::Relaxed),
        ))
    }

    /// Spins until `done` says yes, the wait strategy's budget is spent or
    /// `deadline` passes, whichever comes first: only while the reactor is
    /// awake, and only if no other caller spins on this loop.
    #[cfg(not(all(test, crochet_loom)))]
    pub(crate) fn spin(&self, deadline: Option<std::time::Instant>, done: impl Fn() -> bool) {
        let mut budget = self.wait_strategy().budget();
        if let Some(deadline) = deadline {
            budget = budget.min(deadline.saturating_duration_since(std::time::Instant::now()));
        }
        if !budget.is_zero() && !done() {
            self.spinners
                .spin_until(budget, || self.reactor.is_awake(), done);
        }
    }

    /// Whether this is a process made by `fork()` after the loop started,
    /// where the reactor thread does not exist. A system call: checked once
    /// per submit, and by a wait only before it parks.
    pub(crate) fn started_before_fork(&self) -> bool {
        std::process::id() != self.pid
    }

    /// Whether a `shutdown` has begun: work polled now must stop.
    pub(crate) fn is_stopping(&self) -> bool {
        self.stopped.load(Ordering::Acquire)
    }

    pub(crate) fn is_reactor_thread(&self) -> bool {
        thread_mark::is_marked(self.id) || self.reactor.is_reactor_thread()
    }

    /// Stops the loop; `report_unhandled` reports the unretrieved stashed
    /// panics of this loop (the stash is a layer above).
    pub(crate) fn shutdown(&self, timeout: Duration, report_unhandled: fn(LoopId)) -> bool {
        if self.started_before_fork() {
            // Nothing of the loop runs here, and its locks may be held
            // forever by threads that were not copied: touch nothing.
            return false;
        }
        self.stopped.store(true, Ordering::Release);
        if let Some(_failing) = self.stopping.begin() {
            for slot in self.registry.stop() {
                slot.fail(Error::ReactorStopped, By::Outsider);
                settle::release(slot);
            }
            // Reported after every pending result of the loop has settled,
            // and before the reactor stops: the stash sits above this
            // layer, so the loop hands its report in from there.
            report_unhandled(self.id);
        }
        self.reactor.shutdown(timeout)
    }
}

/// `duration` in nanoseconds, saturating.
pub(crate) fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}
