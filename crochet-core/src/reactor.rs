//! What an adapter implements to run crochet's work on a runtime, and the
//! pieces it reuses: the task it spawns, the loop identity of its threads,
//! and a dedicated reactor thread that stops on request.

use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError, RwLock};
use std::task::{Context, Poll};
use std::thread::{self, JoinHandle, Thread};
use std::time::{Duration, Instant};

use crate::cancel::{CancellationToken, Cancelled};
use crate::error::{catch_panic, Error, Failure};
use crate::slot::{self, By, Settle};
use crate::unhandled;

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
/// use crochet_core::{EventLoop, LoopId, Reactor, Task};
///
/// struct ThreadPerTask(LoopId);
///
/// impl Reactor for ThreadPerTask {
///     fn spawn(&self, task: Task) {
///         let id = self.0;
///         std::thread::spawn(move || {
///             id.enter_thread();
///             crochet_core::block_on(task);
///         });
///     }
///     fn shutdown(&self, _timeout: Duration) -> bool {
///         true
///     }
/// }
///
/// let id = LoopId::new();
/// let reactor = EventLoop::new(id, ThreadPerTask(id));
/// let answer = reactor.wait_for(Duration::from_secs(5), || async { 6 * 7 });
/// assert_eq!(answer, Ok(42));
/// ```
pub trait Reactor: Send + Sync + 'static {
    /// Runs `task` to completion on the reactor's thread(s). A reactor that
    /// has stopped drops the task instead, which fails its result with
    /// [`Error::ReactorStopped`].
    fn spawn(&self, task: Task);

    /// Whether the calling thread belongs to the reactor, beyond the threads
    /// marked with [`LoopId::enter_thread`] and those polling a [`Task`] of
    /// this loop, which the core recognises itself. The default says no.
    fn is_reactor_thread(&self) -> bool {
        false
    }

    /// Stops the reactor and waits up to `timeout` for its thread(s) to
    /// finish; returns whether they did. Called again after a first call, it
    /// says whether they have finished by now. A reactor that the
    /// application runs (attached with `no_setup`) stops nothing and returns
    /// `true`.
    fn shutdown(&self, timeout: Duration) -> bool;
}

/// One piece of submitted work, as a future a reactor polls to completion.
///
/// Built by the core. It never panics out of `poll` or `drop`: a panic of the
/// work is caught and becomes [`Error::Panicked`] for the waiter, so one bad
/// job never takes the runtime down.
///
/// # Examples
///
/// See [`Reactor`].
#[must_use = "a task does nothing unless polled"]
pub struct Task {
    future: Pin<Box<dyn Future<Output = ()> + Send>>,
    /// Taken only by `drop`, which releases it without letting a panic out.
    settle: Option<Arc<dyn Settle>>,
    location: &'static Location<'static>,
    loop_id: LoopId,
    done: bool,
}

impl Task {
    pub(crate) fn new(
        future: impl Future<Output = ()> + Send + 'static,
        settle: Arc<dyn Settle>,
        loop_id: LoopId,
    ) -> Task {
        Task {
            future: Box::pin(future),
            location: settle.location(),
            settle: Some(settle),
            loop_id,
            done: false,
        }
    }

    /// Replaces the future with one that owns nothing and drops the old one,
    /// catching a panic of its `Drop`.
    fn discard(&mut self) {
        let future = std::mem::replace(&mut self.future, Box::pin(std::future::pending()));
        if let Err(message) = catch_panic(move || drop(future)) {
            self.fail(message);
        }
    }

    fn fail(&self, message: String) {
        let err = Error::Panicked(Failure::new(message, self.location));
        let delivered = self
            .settle
            .as_ref()
            .is_some_and(|settle| settle.fail(err.clone(), By::Task));
        // The outcome was settled before (the work was cancelled or its
        // loop stopped, and this panic came from dropping it): nobody will
        // see the panic unless it is reported.
        if !delivered {
            unhandled::report(&err);
        }
    }
}

impl Future for Task {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.done {
            return Poll::Ready(());
        }
        let this = &mut *self;
        let _polling = CurrentLoop::enter(this.loop_id);
        match catch_panic(|| this.future.as_mut().poll(cx)) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(())) => {
                this.done = true;
                Poll::Ready(())
            }
            Err(message) => {
                this.done = true;
                this.fail(message);
                this.discard();
                Poll::Ready(())
            }
        }
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        let _dropping = CurrentLoop::enter(self.loop_id);
        self.discard();
        if let Some(settle) = self.settle.take() {
            slot::release(settle);
        }
    }
}

impl fmt::Debug for Task {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Task")
            .field("loop_id", &self.loop_id)
            .field("submitted_at", &self.location)
            .finish_non_exhaustive()
    }
}

/// The identity of one event loop, used to recognise its threads.
///
/// # Examples
///
/// ```
/// use crochet_core::LoopId;
///
/// let id = LoopId::new();
/// assert!(!id.is_current_thread());
/// id.enter_thread();
/// assert!(id.is_current_thread());
/// LoopId::leave_thread();
/// assert!(!id.is_current_thread());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct LoopId(u64);

thread_local! {
    /// The loop whose thread this is, or whose task this thread is polling.
    static CURRENT: Cell<Option<LoopId>> = const { Cell::new(None) };
}

impl LoopId {
    /// A fresh id, different from every other.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_ne!(crochet_core::LoopId::new(), crochet_core::LoopId::new());
    /// ```
    #[allow(clippy::new_without_default)]
    pub fn new() -> LoopId {
        // ORDERING: Relaxed: only uniqueness matters, which `fetch_add` gives.
        static NEXT: AtomicU64 = AtomicU64::new(1);
        LoopId(NEXT.fetch_add(1, Ordering::Relaxed))
    }

    /// Marks the calling thread as a reactor thread of this loop, so that a
    /// blocking wait on it is refused instead of deadlocking. Adapters call
    /// it first thing on the threads their runtime runs on.
    ///
    /// # Examples
    ///
    /// See [`LoopId`].
    pub fn enter_thread(self) {
        CURRENT.with(|current| current.set(Some(self)));
    }

    /// Removes the mark of [`enter_thread`](Self::enter_thread).
    ///
    /// # Examples
    ///
    /// See [`LoopId`].
    pub fn leave_thread() {
        CURRENT.with(|current| current.set(None));
    }

    /// Whether the calling thread is marked as this loop's, or is polling
    /// one of this loop's tasks.
    ///
    /// # Examples
    ///
    /// See [`LoopId`].
    pub fn is_current_thread(self) -> bool {
        CURRENT.with(|current| current.get()) == Some(self)
    }
}

/// Marks the thread as running a loop's task for as long as it lives.
struct CurrentLoop(Option<LoopId>);

impl CurrentLoop {
    fn enter(id: LoopId) -> CurrentLoop {
        CurrentLoop(CURRENT.with(|current| current.replace(Some(id))))
    }
}

impl Drop for CurrentLoop {
    fn drop(&mut self) {
        CURRENT.with(|current| current.set(self.0));
    }
}

/// A dedicated, named thread that runs a reactor until asked to stop.
///
/// Adapters that start their runtime themselves (`setup()` and `start()`)
/// run it here: the thread is marked as the loop's, and
/// [`stop`](Self::stop) fires the stop signal handed to `run` and waits, up
/// to a timeout, for the thread to finish.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use crochet_core::{LoopId, ReactorThread};
///
/// let id = LoopId::new();
/// let thread = ReactorThread::spawn("my-reactor", id, move |stop| {
///     assert!(id.is_current_thread());
///     crochet_core::block_on(stop);
/// })
/// .unwrap();
/// assert_eq!(thread.thread().name(), Some("my-reactor"));
/// assert!(thread.stop(Duration::from_secs(5)));
/// ```
#[derive(Debug)]
pub struct ReactorThread {
    stop: CancellationToken,
    thread: Thread,
    finished: Arc<Finished>,
    handle: Mutex<Option<JoinHandle<()>>>,
}

#[derive(Debug, Default)]
struct Finished {
    done: Mutex<bool>,
    signal: Condvar,
}

/// Sets `Finished` when the thread ends, even by a panic.
struct FinishOnDrop(Arc<Finished>);

impl Drop for FinishOnDrop {
    fn drop(&mut self) {
        *self.0.done.lock().unwrap_or_else(PoisonError::into_inner) = true;
        self.0.signal.notify_all();
    }
}

impl ReactorThread {
    /// Spawns the thread `name`, marked as a thread of loop `id`, running
    /// `run(stop)`; `run` should return soon after `stop` completes.
    ///
    /// # Errors
    ///
    /// The operating system's error if it cannot create the thread.
    ///
    /// # Examples
    ///
    /// See [`ReactorThread`].
    pub fn spawn(
        name: impl Into<String>,
        id: LoopId,
        run: impl FnOnce(Cancelled) + Send + 'static,
    ) -> std::io::Result<ReactorThread> {
        let stop = CancellationToken::new();
        let finished = Arc::new(Finished::default());
        let signal = stop.cancelled();
        let on_exit = FinishOnDrop(finished.clone());
        let handle = thread::Builder::new().name(name.into()).spawn(move || {
            let _on_exit = on_exit;
            id.enter_thread();
            run(signal);
        })?;
        Ok(ReactorThread {
            stop,
            thread: handle.thread().clone(),
            finished,
            handle: Mutex::new(Some(handle)),
        })
    }

    /// The thread, for example to unpark it.
    ///
    /// # Examples
    ///
    /// See [`ReactorThread`].
    pub fn thread(&self) -> &Thread {
        &self.thread
    }

    /// Fires the stop signal and waits up to `timeout` for the thread to
    /// finish; returns whether it did. Called on the thread itself, it
    /// cannot wait and returns `false`. Idempotent.
    ///
    /// # Examples
    ///
    /// See [`ReactorThread`].
    pub fn stop(&self, timeout: Duration) -> bool {
        self.stop.cancel();
        if thread::current().id() == self.thread.id() {
            return false;
        }
        let deadline = Instant::now().checked_add(timeout);
        let mut done = self
            .finished
            .done
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        while !*done {
            let left = match deadline {
                None => Duration::from_secs(3600),
                Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => left,
                    _ => return false,
                },
            };
            done = self
                .finished
                .signal
                .wait_timeout(done, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        drop(done);
        let handle = self
            .handle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(handle) = handle {
            // The thread has finished, so this returns at once; a panic of
            // the runtime itself was already printed by the thread, and its
            // payload is dropped without letting its `Drop` panic out.
            if let Err(payload) = handle.join() {
                drop(crate::error::panic_message(payload));
            }
        }
        true
    }
}

/// A [`Reactor`] over a runtime that crochet owns and runs on a
/// [`ReactorThread`]: the usual shape of an adapter's `setup()` and `start()`.
///
/// `runtime` is what tasks are spawned on (an executor, a runtime handle);
/// `run` drives it on the reactor thread until the stop signal completes.
/// When `run` returns, the reactor thread takes the runtime out of the
/// spawners' reach and drops it there, with every task it still holds, so
/// the work's futures are never dropped on a caller's thread; tasks spawned
/// after that are dropped at once, which fails them with
/// [`Error::ReactorStopped`].
///
/// # Examples
///
/// A reactor over crochet's own [`block_on`], one task at a time (a toy):
///
/// ```
/// use std::sync::mpsc::{channel, Sender};
/// use std::sync::Mutex;
/// use std::time::Duration;
/// use crochet_core::{EventLoop, LoopId, OwnedReactor, Task};
///
/// let (sender, tasks) = channel::<Task>();
/// let id = LoopId::new();
/// let reactor = OwnedReactor::start(
///     "toy-reactor",
///     id,
///     Mutex::new(sender),
///     |sender: &Mutex<Sender<Task>>, task| drop(sender.lock().unwrap().send(task)),
///     move |_, stop| {
///         drop(stop);
///         for task in tasks.iter().take(1) {
///             crochet_core::block_on(task);
///         }
///     },
/// )
/// .unwrap();
/// let toy = EventLoop::new(id, reactor);
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
        run: impl FnOnce(&R, Cancelled) + Send + 'static,
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

/// Runs a future to completion on the calling thread, parking between polls.
///
/// A minimal executor for a reactor thread's main future or for tests; it is
/// not meant for application code, which should use crochet's blocking
/// waits.
///
/// # Examples
///
/// ```
/// assert_eq!(crochet_core::block_on(async { 1 + 1 }), 2);
/// ```
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let signal = Arc::new(Signal {
        woken: AtomicBool::new(false),
        thread: thread::current(),
    });
    let waker = std::task::Waker::from(signal.clone());
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        // The future may itself park this thread and be unparked (a std
        // channel, a lock, another `block_on`), which uses up the thread's
        // park token: only the flag says whether the waker was called.
        while !signal.woken.swap(false, Ordering::Acquire) {
            thread::park();
        }
    }
}

/// The waker of [`block_on`]: a flag, then an unpark of its thread.
struct Signal {
    // ORDERING: set with Release by `wake` and swapped with Acquire by
    // `block_on`, so the poll that follows sees what the waker's caller did
    // before waking.
    woken: AtomicBool,
    thread: Thread,
}

impl std::task::Wake for Signal {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.thread.unpark();
    }
}
