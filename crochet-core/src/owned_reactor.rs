//! `OwnedReactor`: a reactor over a runtime that crochet owns, run on a
//! `ReactorThread`.

use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use crate::id::LoopId;
use crate::reactor_thread::{ReactorThread, StopSignal};
use crate::reactor_trait::Reactor;
use crate::task::Task;

/// A [`Reactor`] over a runtime that crochet owns and runs on a
/// [`ReactorThread`]: the usual shape of an adapter's `setup()` and `start()`.
///
/// `runtime` is what tasks are spawned on (an executor, a runtime handle);
/// `run` drives it on the reactor thread until the stop signal completes.
/// When `run` returns, the reactor thread takes the runtime out of the
/// spawners' reach and drops it there, with every task it still holds, so
/// the work's futures are never dropped on a caller's thread; tasks spawned
/// after that are dropped at once, which fails them with
/// [`Error::ReactorStopped`](crate::Error::ReactorStopped).
///
/// # Examples
///
/// A reactor over crochet's own [`block_on`](crate::reactor::block_on), one
/// task at a time (a toy):
///
/// ```
/// use std::sync::mpsc::{channel, Sender};
/// use std::sync::Mutex;
/// use std::time::Duration;
/// use crochet_core::reactor::{self, OwnedReactor, Task};
/// use crochet_core::EventLoop;
///
/// let (sender, tasks) = channel::<Task>();
/// let toy = EventLoop::try_new(|id| {
///     OwnedReactor::start(
///         "toy-reactor",
///         id,
///         Mutex::new(sender),
///         |sender: &Mutex<Sender<Task>>, task| drop(sender.lock().unwrap().send(task)),
///         move |_, stop| {
///             drop(stop);
///             for task in tasks.iter().take(1) {
///                 reactor::block_on(task);
///             }
///         },
///     )
/// })
/// .unwrap();
/// assert_eq!(toy.wait_for(Duration::from_secs(5), || async { 7 }), Ok(7));
/// ```
pub struct OwnedReactor<R> {
    /// The runtime, until the reactor thread takes it on its way out.
    runtime: Arc<RwLock<Option<Arc<R>>>>,
    spawn: fn(&R, Task),
    thread: ReactorThread,
}

impl<R: Send + Sync + 'static> OwnedReactor<R> {
    /// Starts the thread `name`, marked as loop `id`'s, running
    /// `run(&runtime, stop)`; tasks are handed to `spawn(&runtime, task)`.
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
        runtime: R,
        spawn: fn(&R, Task),
        run: impl FnOnce(&R, StopSignal) + Send + 'static,
    ) -> std::io::Result<OwnedReactor<R>> {
        let runtime = Arc::new(runtime);
        let shared = Arc::new(RwLock::new(Some(runtime.clone())));
        let on_thread = shared.clone();
        let thread = ReactorThread::spawn(name, id, move |stop| {
            // Dropped last, after the spawners' reference.
            let runtime = runtime;
            // Taken from the spawners when `run` returns, and also if it
            // panics: a runtime nobody runs any more takes no tasks, so
            // later work fails with `ReactorStopped` at once.
            let _close = TakeOnExit(on_thread);
            run(&runtime, stop);
        })?;
        Ok(OwnedReactor {
            runtime: shared,
            spawn,
            thread,
        })
    }
}

/// Takes the runtime out of the spawners' reach when the reactor thread
/// leaves its run function, by return or by panic. With the spawners'
/// reference gone, the reactor thread holds the last one, so the runtime
/// and its tasks are dropped there.
struct TakeOnExit<R>(Arc<RwLock<Option<Arc<R>>>>);

impl<R> Drop for TakeOnExit<R> {
    fn drop(&mut self) {
        let spawners = self
            .0
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        drop(spawners);
    }
}

impl<R: Send + Sync + 'static> Reactor for OwnedReactor<R> {
    fn spawn(&self, task: Task) {
        // Spawning under the lock keeps the thread from taking the runtime
        // meanwhile, so a task never lands on a runtime nobody runs.
        let runtime = self.runtime.read().unwrap_or_else(PoisonError::into_inner);
        match runtime.as_deref() {
            Some(runtime) => (self.spawn)(runtime, task),
            None => {
                drop(runtime);
                drop(task);
            }
        }
    }

    fn shutdown(&self, timeout: Duration) -> bool {
        self.thread.stop(timeout)
    }
}

impl<R> fmt::Debug for OwnedReactor<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedReactor")
            .field("thread", &self.thread)
            .finish_non_exhaustive()
    }
}
