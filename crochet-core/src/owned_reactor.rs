//! `OwnedReactor`: a reactor over a runtime that crochet owns, run on a
//! `ReactorThread`.

use std::fmt;
use std::time::Duration;

use crate::id::LoopId;
use crate::reactor_thread::{ReactorThread, StopSignal};
use crate::reactor_trait::Reactor;
use crate::task::Task;
use crate::task_queue::{RunTasks, TaskQueue};

/// A [`Reactor`] over a runtime that crochet owns and runs on a
/// [`ReactorThread`]: the usual shape of an adapter's `setup()` and `start()`.
///
/// The loop's tasks go to a [`TaskQueue`]; `run` gets its [`RunTasks`]
/// future and the stop signal on the reactor thread, spawns the runner on
/// its runtime and drives the runtime until the signal completes. Dropping
/// the runtime there, with the runner in it, drops the loop's remaining
/// tasks on that thread, never on a caller's; tasks submitted after that are
/// dropped at once, which fails them with
/// [`Error::ReactorStopped`](crate::Error::ReactorStopped). `shutdown`
/// closes the queue before it fires the signal, so the runner can end
/// first, once its tasks (all settled by then) have ended.
///
/// # Examples
///
/// A reactor over crochet's own [`block_on`](crate::reactor::block_on):
///
/// ```
/// use std::future::{poll_fn, Future};
/// use std::pin::{pin, Pin};
/// use std::task::Poll;
/// use std::time::Duration;
/// use crochet_core::reactor::{self, OwnedReactor};
/// use crochet_core::EventLoop;
///
/// let toy = EventLoop::try_new(|id| {
///     OwnedReactor::start("toy-reactor", id, |mut run, stop| {
///         let mut stop = pin!(stop);
///         reactor::block_on(poll_fn(|cx| {
///             let stopped = stop.as_mut().poll(cx).is_ready();
///             if stopped || Pin::new(&mut run).poll(cx).is_ready() {
///                 Poll::Ready(())
///             } else {
///                 Poll::Pending
///             }
///         }));
///     })
/// })
/// .unwrap();
/// assert_eq!(toy.wait_for(Duration::from_secs(5), || async { 7 }), Ok(7));
/// assert!(toy.shutdown(Duration::from_secs(5)));
/// ```
pub struct OwnedReactor {
    queue: TaskQueue,
    thread: ReactorThread,
}

impl OwnedReactor {
    /// Starts the thread `name`, marked as loop `id`'s, running
    /// `run(runner, stop)`.
    ///
    /// # Errors
    ///
    /// The operating system's error if it cannot create the thread.
    ///
    /// # Examples
    ///
    /// See [`OwnedReactor`].
    pub fn start(
        name: impl Into<String>,
        id: LoopId,
        run: impl FnOnce(RunTasks, StopSignal) + Send + 'static,
    ) -> std::io::Result<OwnedReactor> {
        let (queue, runner) = TaskQueue::new();
        let thread = ReactorThread::spawn(name, id, move |stop| run(runner, stop))?;
        Ok(OwnedReactor { queue, thread })
    }
}

impl Reactor for OwnedReactor {
    fn spawn(&self, task: Task) {
        self.queue.push(task);
    }

    fn is_awake(&self) -> bool {
        self.queue.is_awake()
    }

    fn shutdown(&self, timeout: Duration) -> bool {
        self.queue.close();
        self.thread.stop(timeout)
    }
}

impl fmt::Debug for OwnedReactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedReactor")
            .field("queue", &self.queue)
            .field("thread", &self.thread)
            .finish()
    }
}
