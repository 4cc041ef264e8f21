//! The [`Reactor`] over a tokio runtime: the loop's tasks run in the core's
//! `RunTasks`, spawned once as an ordinary tokio task; a runtime that crochet
//! owns lives on a [`ReactorThread`] until the loop stops.

use std::cell::Cell;
use std::future::{poll_fn, Future};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use crochet_core::reactor::{Reactor, ReactorThread, RunTasks, StopSignal, Task, TaskQueue, Turn};
use tokio::runtime::{self, Handle, Runtime};
use tokio::task::coop;

/// A loop's runtime: its handle, and the thread that owns it if crochet
/// started it (`None` when the application runs it).
pub(crate) struct Tokio {
    queue: TaskQueue,
    runtime: runtime::Id,
    owner: Option<ReactorThread>,
}

impl Tokio {
    /// Spawns the loop's runners on the runtime of `handle`. A runtime that
    /// has shut down drops them at once, and with them every later task,
    /// which fails its result with `ReactorStopped`.
    pub(crate) fn new(handle: &Handle, owner: Option<ReactorThread>) -> Tokio {
        // One runner per worker thread, so that work blocking one thread
        // leaves the others to the rest of the loop's work.
        let (queue, runners) = TaskQueue::with_runners(handle.metrics().num_workers());
        for run in runners {
            drop(handle.spawn(run_on_tokio(run)));
        }
        Tokio {
            queue,
            runtime: handle.id(),
            owner,
        }
    }

    /// Whether the calling thread is any thread of this runtime: a worker,
    /// a `spawn_blocking` thread, or one that entered it.
    fn in_runtime(&self) -> bool {
        Handle::try_current().is_ok_and(|current| current.id() == self.runtime)
    }
}

/// Runs a runner, yielding tokio's way when it gives its thread back: tokio
/// polls its I/O driver and timers before it polls a task that yielded
/// again, so the loop's own sockets are served while the runner watches for
/// new work (a task that woke itself could be polled dozens of times
/// before the driver).
async fn run_on_tokio(mut run: RunTasks) {
    while poll_fn(|cx| run.poll_turn(cx)).await == Turn::Yield {
        tokio::task::yield_now().await;
    }
}

impl Reactor for Tokio {
    fn spawn(&self, task: Task) {
        self.queue.push(task);
    }

    fn is_awake(&self) -> bool {
        self.queue.is_awake()
    }

    fn is_reactor_thread(&self) -> bool {
        // Threads polling crochet's own tasks are recognised by the core;
        // this catches the application's tasks (and `block_on`) on the
        // runtime's threads, with a budget or without one, while blocking
        // code there may still wait.
        self.in_runtime() && (polling_a_task() || runs_a_scheduler())
    }

    fn shutdown(&self, timeout: Duration) -> bool {
        // The runner ends once the tasks left (settled by now) have ended,
        // which leaves nothing of the loop on an application's runtime.
        self.queue.close();
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
    pub(crate) fn run(mut self, stop: StopSignal) {
        let runtime = self.0.take().expect("the runtime is taken only here, once");
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
/// yield, then restores it. A task inside `tokio::task::unconstrained` has
/// no budget either: [`runs_a_scheduler`] recognises it.
pub(crate) fn polling_a_task() -> bool {
    let mut cx = Context::from_waker(probe_waker());
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

/// Whether the calling thread is running a tokio scheduler: a worker of a
/// multi-thread runtime holding its core, or the thread inside a
/// current-thread runtime's `block_on`, budget or not.
///
/// A task that yields hands its waker to the scheduler of its thread,
/// which wakes it after the other ready tasks; where there is none (a plain
/// thread, `spawn_blocking`, and `block_in_place`, whose worker has handed
/// its core to another thread) the waker is woken at once. So this polls
/// `yield_now` once and sees whether it was woken. A deferred wake-up costs
/// the scheduler one more look at its driver before it parks.
pub(crate) fn runs_a_scheduler() -> bool {
    WOKEN.with(|woken| woken.set(false));
    let mut cx = Context::from_waker(probe_waker());
    let yielded = std::pin::pin!(tokio::task::yield_now());
    // The first poll of `yield_now` always returns `Pending`.
    let _ = yielded.poll(&mut cx);
    !WOKEN.with(Cell::get)
}

thread_local! {
    /// Set when the probe's waker is woken on this thread.
    static WOKEN: Cell<bool> = const { Cell::new(false) };
}

/// The probes' waker. A wake-up that tokio defers runs later, on the
/// scheduler's thread, where it only sets a flag the next probe resets.
fn probe_waker() -> &'static Waker {
    static PROBE: OnceLock<Waker> = OnceLock::new();
    PROBE.get_or_init(|| Waker::from(Arc::new(Probe)))
}

struct Probe;

impl Wake for Probe {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        WOKEN.with(|woken| woken.set(true));
    }
}

#[cfg(test)]
mod tests {
    use super::{polling_a_task, runs_a_scheduler};

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

    // Why it also asks where a yield's wake-up goes: inside `unconstrained`
    // a task has no budget, as blocking code has none, but it runs on a
    // scheduler's thread.
    #[test]
    fn the_scheduler_tells_unconstrained_tasks_from_blocking_code() {
        use tokio::task::{block_in_place, spawn_blocking, unconstrained};

        let probes = || (polling_a_task(), runs_a_scheduler());
        assert_eq!(probes(), (false, false));
        for multi_thread in [true, false] {
            let mut builder = if multi_thread {
                tokio::runtime::Builder::new_multi_thread()
            } else {
                tokio::runtime::Builder::new_current_thread()
            };
            let app = builder.worker_threads(2).build().unwrap();
            let seen = app.block_on(app.spawn(async move {
                let task = probes();
                // Probing again and again defers nothing the task notices.
                let unconstrained =
                    unconstrained(async { (0..1000).fold(None, |_, _| Some(probes())) });
                let in_place = multi_thread.then(|| block_in_place(probes));
                let blocking = spawn_blocking(probes).await.unwrap();
                (task, unconstrained.await, in_place, blocking)
            }));
            let in_place = multi_thread.then_some((false, false));
            let expected = ((true, true), Some((false, true)), in_place, (false, false));
            assert_eq!(seen.unwrap(), expected);
            // Only a current-thread runtime runs its scheduler in `block_on`.
            assert_eq!(app.block_on(async { probes() }), (true, !multi_thread));
            let unconstrained = app.block_on(unconstrained(async { probes() }));
            assert_eq!(unconstrained, (false, !multi_thread));
        }
    }
}
