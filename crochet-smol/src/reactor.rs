//! The `Reactor`s over a smol executor: one crochet drives on a thread of
//! its own, or one the application drives. Either way the loop's tasks run
//! in the core's `RunTasks`, one task of the executor.

use std::time::Duration;

use crochet_core::reactor::{self, OwnedReactor, Reactor, Task, TaskQueue};
use crochet_core::LoopId;
use smol::Executor;

/// How long the loop's thread runs the tasks left at the stop before it
/// drops the executor with whatever still remains.
const DRAIN: Duration = Duration::from_secs(1);

/// Starts a new executor on a thread named `crochet-smol`, marked as a
/// thread of loop `id`; the executor, with the loop's tasks, is dropped on
/// that thread when the loop stops.
pub(crate) fn start_owned(id: LoopId) -> std::io::Result<OwnedReactor> {
    OwnedReactor::start("crochet-smol", id, |run, stop| {
        let executor = Executor::new();
        executor.spawn(run).detach();
        smol::block_on(executor.run(stop));
        // Every result was settled before the stop: each task ends at its
        // next poll, dropping its future here rather than in the executor's
        // drop, where a racing wake-up could strand it.
        smol::block_on(executor.run(reactor::until_done(|| executor.is_empty(), DRAIN)));
    })
}

/// A loop over an executor the application drives.
pub(crate) struct Attached(TaskQueue);

impl Attached {
    pub(crate) fn new(executor: &Executor<'static>) -> Attached {
        let (queue, run) = TaskQueue::new();
        executor.spawn(run).detach();
        Attached(queue)
    }
}

impl Reactor for Attached {
    fn spawn(&self, task: Task) {
        self.0.push(task);
    }

    fn is_awake(&self) -> bool {
        self.0.is_awake()
    }

    fn shutdown(&self, _timeout: Duration) -> bool {
        // The executor is the application's: it keeps running. The core
        // has already failed this loop's pending work, and the runner ends
        // once those tasks have.
        self.0.close();
        true
    }
}
