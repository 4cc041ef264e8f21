//! The [`Reactor`] over a tokio runtime: each task is spawned as an ordinary
//! tokio task; a runtime that crochet owns lives on a [`ReactorThread`]
//! until the loop stops.

use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use crochet_core::{Cancelled, Reactor, ReactorThread, Task};
use tokio::runtime::{self, Handle, Runtime};
use tokio::task::coop;

/// A loop's runtime: its handle, and the thread that owns it if crochet
/// started it (`None` when the application runs it).
pub(crate) struct Tokio {
    handle: Handle,
    runtime: runtime::Id,
    owner: Option<ReactorThread>,
}

impl Tokio {
    pub(crate) fn new(handle: Handle, owner: Option<ReactorThread>) -> Tokio {
        Tokio {
            runtime: handle.id(),
            handle,
            owner,
        }
    }

    /// Whether the calling thread is any thread of this runtime: a worker,
    /// a `spawn_blocking` thread, or one that entered it.
    fn in_runtime(&self) -> bool {
        Handle::try_current().is_ok_and(|current| current.id() == self.runtime)
    }
}

impl Reactor for Tokio {
    fn spawn(&self, task: Task) {
        // The task runs detached. A runtime that has shut down drops it at
        // once, which fails its result with `ReactorStopped`.
        drop(self.handle.spawn(task));
    }

    fn is_reactor_thread(&self) -> bool {
        // Threads polling crochet's own tasks are recognised by the core;
        // this catches the application's tasks (and `block_on`) on the
        // runtime's threads, while blocking code there may still wait.
        self.in_runtime() && polling_a_task()
    }

    fn shutdown(&self, timeout: Duration) -> bool {
        let Some(owner) = &self.owner else {
            return true;
        };
        // A thread of the runtime cannot wait for the runtime to stop: its
        // shutdown waits for every one of its threads, this one included.
        let timeout = if self.in_runtime() {
            Duration::ZERO
        } else {
            timeout
        };
        owner.stop(timeout)
    }
}

/// A runtime on its way to the thread that owns it.
///
/// If it never gets there (the thread could not be spawned), it is shut
/// down without waiting, because dropping a runtime where blocking is not
/// allowed, such as in async code, panics.
pub(crate) struct OwnedRuntime(Option<Runtime>);

impl OwnedRuntime {
    pub(crate) fn new(runtime: Runtime) -> OwnedRuntime {
        OwnedRuntime(Some(runtime))
    }

    /// Drives the runtime until `stop` fires, then shuts it down on this
    /// (non-async) thread: every task left is dropped and every thread of
    /// the runtime joined before this returns.
    pub(crate) fn run(mut self, stop: Cancelled) {
        let runtime = self.0.take().expect("runtime missing in state OnItsThread");
        runtime.block_on(stop);
        drop(runtime);
    }
}

impl Drop for OwnedRuntime {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

/// Whether the calling thread is polling a task or a `block_on` future of
/// a tokio runtime, rather than running blocking code.
///
/// Tokio gives each such poll a cooperative budget and runs
/// `spawn_blocking`, `block_in_place` and plain threads without one, but
/// has no stable call that tells which (`tokio::task::try_id` is `Some` in
/// `spawn_blocking` too). So this spends the budget until tokio says to
/// yield, then restores it.
pub(crate) fn polling_a_task() -> bool {
    let mut cx = Context::from_waker(noop_waker());
    // Dropped last, this restores the budget as it was before this call.
    let Poll::Ready(_restore) = coop::poll_proceed(&mut cx) else {
        return true;
    };
    // A budget holds at most `u8::MAX` units; an unconstrained one never
    // runs out.
    (0..=u8::MAX).any(|_| match coop::poll_proceed(&mut cx) {
        Poll::Ready(spent) => {
            spent.made_progress();
            false
        }
        Poll::Pending => true,
    })
}

/// A waker for `poll_proceed`, which wants one for the yield it asks for.
fn noop_waker() -> &'static Waker {
    static NOOP: OnceLock<Waker> = OnceLock::new();
    NOOP.get_or_init(|| Waker::from(Arc::new(Noop)))
}

struct Noop;

impl Wake for Noop {
    fn wake(self: Arc<Self>) {}
}

#[cfg(test)]
mod tests {
    use super::polling_a_task;

    // Why `is_reactor_thread` reads the cooperative budget: tokio's task id and
    // current handle are the same in a task and in `spawn_blocking`.
    #[test]
    fn only_the_budget_tells_tasks_from_blocking_code() {
        use tokio::runtime::Handle;

        assert!(!polling_a_task());
        let app = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        let in_task = app.block_on(app.spawn(async {
            // Probing leaves the budget as it was.
            for _ in 0..1000 {
                assert!(polling_a_task());
            }
            assert!(tokio::task::coop::has_budget_remaining());
            (
                tokio::task::try_id().is_some(),
                Handle::try_current().is_ok(),
            )
        }));
        assert_eq!(in_task.unwrap(), (true, true));
        let in_blocking = app.block_on(app.spawn_blocking(|| {
            let ids = (
                tokio::task::try_id().is_some(),
                Handle::try_current().is_ok(),
            );
            (ids, polling_a_task())
        }));
        assert_eq!(in_blocking.unwrap(), ((true, true), false));
        let in_place =
            app.block_on(app.spawn(async { tokio::task::block_in_place(polling_a_task) }));
        assert!(!in_place.unwrap());
        assert!(app.block_on(async { polling_a_task() }));
        let _entered = app.enter();
        assert!(!polling_a_task());
    }
}
