//! The `Reactor`s over a smol executor: one crochet drives on a thread of
//! its own, or one the application drives, and the mark on the threads
//! that drive it.

use std::sync::Arc;
use std::time::Duration;

use crochet_core::{LoopId, OwnedReactor, Reactor, Task};
use smol::Executor;

/// Starts a new executor on a thread named `crochet-smol`, marked as a
/// thread of loop `id`; the core drops it, with its tasks, on that thread
/// when the loop stops.
pub(crate) fn start_owned(id: LoopId) -> std::io::Result<OwnedReactor<Executor<'static>>> {
    OwnedReactor::start(
        "crochet-smol",
        id,
        Executor::new(),
        |executor, task| executor.spawn(task).detach(),
        |executor, stop| smol::block_on(executor.run(stop)),
    )
}

/// A loop over an executor the application drives.
pub(crate) struct Attached(pub(crate) Arc<Executor<'static>>);

impl Reactor for Attached {
    fn spawn(&self, task: Task) {
        self.0.spawn(task).detach();
    }

    fn shutdown(&self, _timeout: Duration) -> bool {
        // The executor is the application's: it keeps running, and the
        // core has already failed this loop's pending work.
        true
    }
}

/// Marks the calling thread as one of loop `id`'s until dropped.
///
/// `async_executor` keeps no record of the threads running an executor, so
/// an attached loop knows them only while one of its own tasks is polled;
/// this mark covers the whole time a thread drives the executor.
pub(crate) struct DrivingMark {
    /// Whether the thread was this loop's already, and stays so.
    was_marked: bool,
}

impl DrivingMark {
    pub(crate) fn enter(id: LoopId) -> DrivingMark {
        let was_marked = id.is_current_thread();
        id.enter_thread();
        DrivingMark { was_marked }
    }
}

impl Drop for DrivingMark {
    fn drop(&mut self) {
        if !self.was_marked {
            LoopId::leave_thread();
        }
    }
}
