//! The trait an adapter implements to run crochet's work on a runtime.

use std::time::Duration;

use crate::task::Task;

/// A runtime that crochet's work can run on.
///
/// The core builds every [`Task`] (it carries the work, its result slot, its
/// cancellation and its panic capture); a reactor only has to poll tasks on
/// its thread(s), say which threads are its own, and stop. Adapters are small
/// values implementing this trait; [`EventLoop::new`](crate::EventLoop::new)
/// turns one into a loop.
///
/// # Examples
///
/// A reactor that runs each task on a thread of its own (a toy: crochet's
/// built-in reactor does this with one thread for all tasks).
///
/// ```
/// use std::time::Duration;
/// use crochet_core::reactor::{self, Reactor, Task};
/// use crochet_core::{EventLoop, LoopId};
///
/// struct ThreadPerTask(LoopId);
///
/// impl Reactor for ThreadPerTask {
///     fn spawn(&self, task: Task) {
///         let id = self.0;
///         std::thread::spawn(move || {
///             reactor::enter_thread(id);
///             reactor::block_on(task);
///         });
///     }
///     fn shutdown(&self, _timeout: Duration) -> bool {
///         true
///     }
/// }
///
/// let reactor = EventLoop::new(ThreadPerTask);
/// let answer = reactor.wait_for(Duration::from_secs(5), || async { 6 * 7 });
/// assert_eq!(answer, Ok(42));
/// ```
pub trait Reactor: Send + Sync + 'static {
    /// Runs `task` to completion on the reactor's thread(s). A reactor that
    /// has stopped drops the task instead, which fails its result with
    /// [`Error::ReactorStopped`](crate::Error::ReactorStopped).
    fn spawn(&self, task: Task);

    /// Whether the calling thread belongs to the reactor, beyond the threads
    /// marked with [`enter_thread`](crate::reactor::enter_thread) and those polling a [`Task`] of
    /// this loop, which the core recognises itself. The default says no.
    fn is_reactor_thread(&self) -> bool {
        false
    }

    /// Whether the reactor is running work or watching for it right now,
    /// rather than sleeping: a caller waiting for a result spins only then,
    /// and parks at once otherwise. A reactor that cannot tell says yes (the
    /// default); one running a [`TaskQueue`](crate::reactor::TaskQueue) asks
    /// the queue.
    fn is_awake(&self) -> bool {
        true
    }

    /// Stops the reactor and waits up to `timeout` for its thread(s) to
    /// finish; returns whether they did. Called again after a first call, it
    /// says whether they have finished by now. A reactor that the
    /// application runs (attached with `no_setup`) stops nothing and returns
    /// `true`.
    fn shutdown(&self, timeout: Duration) -> bool;
}
