//! The `Reactor`: an executor crochet drives on a thread of its own, inside
//! one async-std task.

// Design. Each loop owns a dedicated thread, `crochet-async-std`, that runs
// an `async_executor::Executor` inside `async_std::task::block_on` (through
// `task::Builder`, to name the task). The thread is ours, so it can be
// named, pinned and stopped, and stopping it drops the loop's work there;
// `start()` loops are independent of each other and of the application's
// own async-std tasks, and a wait on async-std's own threads cannot
// deadlock the loop. async-std's timers and sockets are driven by
// `async-io`, whose reactor `block_on` runs on this thread while it is idle,
// so they work as in any async-std task (the tests check a sleep and a TCP
// echo). `block_on` makes the whole loop one async-std task, which is what
// `task::current()` and task-locals see in the work.
//
// The alternatives: spawning on async-std's global executor (`task::spawn`)
// would give each piece of work a task of its own, but on threads the loop
// cannot own, pin or stop; spawning each piece of work as a local task of
// our thread (`task::spawn_local`) needs async-std's `unstable` feature and
// leaves the work in a thread-local executor that cannot be drained before
// the thread reports that it has finished.

use async_executor::Executor;
use std::time::Duration;

use crochet_core::reactor::{self, OwnedReactor};
use crochet_core::LoopId;

/// The name of the reactor thread, and of the async-std task the work runs in.
const NAME: &str = "crochet-async-std";

/// How long the loop's thread runs the tasks left at the stop before it
/// drops the executor with whatever still remains.
const DRAIN: Duration = Duration::from_secs(1);

/// Starts a new executor on a thread named `crochet-async-std`, marked as a
/// thread of loop `id`, that runs the loop's tasks in the core's `RunTasks`;
/// the executor, with those tasks, is dropped on that thread when the loop
/// stops.
pub(crate) fn start_owned(id: LoopId) -> std::io::Result<OwnedReactor> {
    OwnedReactor::start(NAME, id, |run, stop| {
        let executor = Executor::new();
        executor.spawn(run).detach();
        async_std::task::Builder::new()
            .name(NAME.into())
            .blocking(async {
                executor.run(stop).await;
                // Every result was settled before the stop: each task ends
                // at its next poll, dropping its future here rather than in
                // the executor's drop, where a racing wake-up could strand
                // it.
                executor
                    .run(reactor::until_done(|| executor.is_empty(), DRAIN))
                    .await;
            });
    })
}
