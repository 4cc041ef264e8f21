//! The `Reactor`s over a smol executor: one crochet drives on a thread of
//! its own, or one the application drives.

use std::sync::Arc;
use std::time::Duration;

use crochet_core::reactor::{self, OwnedReactor, Reactor, Task};
use crochet_core::LoopId;
use smol::Executor;

/// Starts a new executor on a thread named `crochet-smol`, marked as a
/// thread of loop `id`; the core drops it, with its tasks, on that thread
/// when the loop stops.
/// How long the loop's thread runs the tasks left at the stop before it
/// drops the executor with whatever still remains.
const DRAIN: Duration = Duration::from_secs(1);

pub(crate) fn start_owned(id: LoopId) -> std::io::Result<OwnedReactor<Executor<'static>>> {
    OwnedReactor::start(
        "crochet-smol",
        id,
        Executor::new(),
        |executor, task| executor.spawn(task).detach(),
        |executor, stop| {
            smol::block_on(executor.run(stop));
            // Every result was settled before the stop: each task ends at
            // its next poll, dropping its future here rather than in the
            // executor's drop, where a racing wake-up could strand it.
            smol::block_on(executor.run(reactor::until_done(|| executor.is_empty(), DRAIN)));
        },
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
