//! `EventLoop`, the handle to a reactor that runs work for blocking callers.

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use crate::cancel::CancellationToken;
use crate::canceller::Canceller;
use crate::error::Error;
use crate::eventual::EventualResult;
use crate::id::LoopId;
use crate::loop_core::{nanos, LoopCore};
use crate::reactor_trait::Reactor;
use crate::settle::{By, Settle};
use crate::slot::Slot;
use crate::spin::WaitStrategy;
use crate::task::Task;
use crate::{stash, work};

/// A handle to an event loop: a reactor running on its own thread(s), to
/// which blocking code hands work.
///
/// Cheap to clone, `Send` and `Sync`. Get one from `setup()` (the
/// process-wide loop) or `start()` (a private one) of the built-in reactor or
/// of an adapter; they all behave the same. Dropping the last handle of a
/// loop shuts it down without waiting.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let reactor = crochet_core::setup();
/// let doubled = reactor.wait_for(Duration::from_secs(5), || async { 21 * 2 });
/// assert_eq!(doubled, Ok(42));
/// ```
#[derive(Clone)]
pub struct EventLoop {
    handle: Arc<Handle>,
}

/// The user-facing side; dropping the last one shuts the loop down.
struct Handle {
    core: Arc<LoopCore>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.core.shutdown(Duration::ZERO, stash::report_unhandled);
    }
}

impl EventLoop {
    /// Builds a loop around the [`Reactor`] that `build` makes from the
    /// loop's new id, the one the reactor marks its threads with (see
    /// [`reactor`](crate::reactor)). Adapters call this.
    ///
    /// # Examples
    ///
    /// See [`reactor`](crate::reactor).
    pub fn new<R: Reactor>(build: impl FnOnce(LoopId) -> R) -> EventLoop {
        let id = LoopId::new();
        EventLoop::around(id, build(id))
    }

    /// As [`new`](Self::new), for a `build` that can fail, such as one
    /// that spawns the reactor's thread.
    ///
    /// # Errors
    ///
    /// The error of `build`; no loop is made then.
    ///
    /// # Examples
    ///
    /// See [`OwnedReactor`](crate::reactor::OwnedReactor).
    pub fn try_new<R: Reactor, E>(
        build: impl FnOnce(LoopId) -> Result<R, E>,
    ) -> Result<EventLoop, E> {
        let id = LoopId::new();
        Ok(EventLoop::around(id, build(id)?))
    }

    fn around(id: LoopId, reactor: impl Reactor) -> EventLoop {
        EventLoop {
            handle: Arc::new(Handle {
                core: Arc::new(LoopCore::new(id, Box::new(reactor))),
            }),
        }
    }

    /// The loop's identity.
    ///
    /// # Examples
    ///
    /// ```
    /// let reactor = crochet_core::setup();
    /// assert_eq!(reactor.id(), crochet_core::setup().id());
    /// assert_ne!(reactor.id(), crochet_core::start().id());
    /// ```
    pub fn id(&self) -> LoopId {
        self.handle.core.id
    }

    /// Runs `f` on the reactor thread and drives the future it returns
    /// there; returns at once with the [`EventualResult`] of that future.
    ///
    /// A panic in `f` or in the future is caught on the reactor thread and
    /// becomes [`Error::Panicked`]; the reactor keeps serving other work.
    /// After [`shutdown`](Self::shutdown) the result fails with
    /// [`Error::ReactorStopped`] at once and `f` is dropped unrun; in a
    /// process forked after the loop started, with
    /// [`Error::StartedBeforeFork`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::setup();
    /// let name = String::from("world");
    /// let greeting = reactor.run_in_reactor(move || async move { format!("hello {name}") });
    /// assert_eq!(greeting.wait(Duration::from_secs(5)).unwrap(), "hello world");
    /// ```
    #[track_caller]
    pub fn run_in_reactor<F, Fut>(&self, f: F) -> EventualResult<Fut::Output>
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: Send + 'static,
    {
        self.submit(Location::caller(), None, None, f)
    }

    /// As [`run_in_reactor`](Self::run_in_reactor), and hands `f` the
    /// work's [`CancellationToken`], which fires on the reactor thread when
    /// the work is cancelled or the reactor stops, just before the future is
    /// dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::setup();
    /// let (seen_tx, seen_rx) = std::sync::mpsc::channel();
    /// let result = reactor.run_in_reactor_with_token(move |token| {
    ///     // Something the future leaves running watches the token.
    ///     std::thread::spawn(move || {
    ///         seen_tx.send("started").unwrap();
    ///         crochet_core::reactor::block_on(token.cancelled());
    ///         seen_tx.send("cleaned up").unwrap();
    ///     });
    ///     std::future::pending::<()>()
    /// });
    /// assert_eq!(seen_rx.recv_timeout(Duration::from_secs(5)), Ok("started"));
    /// result.cancel();
    /// assert_eq!(seen_rx.recv_timeout(Duration::from_secs(5)), Ok("cleaned up"));
    /// assert_eq!(result.wait(Duration::from_secs(5)), Err(crochet_core::Error::Cancelled));
    /// ```
    #[track_caller]
    pub fn run_in_reactor_with_token<F, Fut>(&self, f: F) -> EventualResult<Fut::Output>
    where
        F: FnOnce(CancellationToken) -> Fut + Send + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: Send + 'static,
    {
        let token = CancellationToken::new();
        let theirs = token.clone();
        self.submit(Location::caller(), Some(token), None, move || f(theirs))
    }

    /// Runs the plain closure `f` on the reactor thread (Twisted's
    /// `callFromThread`, with a result).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::setup();
    /// let on_reactor = reactor.call_in_reactor(|| std::thread::current().name().map(String::from));
    /// assert_eq!(on_reactor.wait(Duration::from_secs(5)).unwrap().as_deref(), Some("crochet-reactor"));
    /// ```
    #[track_caller]
    pub fn call_in_reactor<F, T>(&self, f: F) -> EventualResult<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.submit(Location::caller(), None, None, move || {
            std::future::ready(f())
        })
    }

    /// Runs `f` as [`run_in_reactor`](Self::run_in_reactor) does and waits
    /// up to `timeout` for its result. On timeout the work is cancelled
    /// before `Error::Timeout` is returned (a result that won that race is
    /// returned instead).
    ///
    /// # Errors
    ///
    /// - [`Error::WaitInReactorThread`] on the reactor thread, without
    ///   running `f`;
    /// - [`Error::Timeout`] after cancelling the work;
    /// - the work's failure: [`Error::Panicked`] or
    ///   [`Error::ReactorStopped`];
    /// - [`Error::StartedBeforeFork`] at once, in a process forked after the
    ///   loop started.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::setup();
    /// let slow = reactor.wait_for(Duration::from_millis(20), || std::future::pending::<()>());
    /// assert_eq!(slow, Err(crochet_core::Error::Timeout));
    /// ```
    #[track_caller]
    pub fn wait_for<F, Fut>(&self, timeout: Duration, f: F) -> Result<Fut::Output, Error>
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: Send + 'static,
    {
        if self.is_reactor_thread() {
            return Err(Error::WaitInReactorThread);
        }
        self.submit(Location::caller(), None, None, f)
            .wait_or_stop(timeout, EventualResult::time_out_now)
    }

    /// Whether the calling thread is one of this loop's reactor threads,
    /// where blocking waits are refused.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::setup();
    /// assert!(!reactor.is_reactor_thread());
    /// let inside = reactor.clone();
    /// let seen = reactor.call_in_reactor(move || inside.is_reactor_thread());
    /// assert_eq!(seen.wait(Duration::from_secs(5)), Ok(true));
    /// ```
    pub fn is_reactor_thread(&self) -> bool {
        self.handle.core.is_reactor_thread()
    }

    /// How blocking waits on this loop's results wait; see [`WaitStrategy`].
    ///
    /// # Examples
    ///
    /// See [`WaitStrategy`].
    pub fn wait_strategy(&self) -> WaitStrategy {
        self.handle.core.wait_strategy()
    }

    /// Sets how blocking waits on this loop's results wait, for every handle
    /// of the loop; see [`WaitStrategy`].
    ///
    /// # Examples
    ///
    /// See [`WaitStrategy`].
    pub fn set_wait_strategy(&self, strategy: WaitStrategy) {
        self.handle
            .core
            .spin_nanos
            .store(nanos(strategy.budget()), Ordering::Relaxed);
    }

    /// Stops the loop: refuses new work, fails every pending result with
    /// [`Error::ReactorStopped`] (releasing every blocked wait), reports
    /// unretrieved stashed panics of this loop, stops the reactor and waits
    /// up to `timeout` for its thread(s) to finish. Returns whether they did
    /// (never on the reactor thread itself, which cannot wait for itself).
    ///
    /// Results that already had a value keep it. Idempotent. A loop attached
    /// to the application's own runtime (`no_setup`) leaves that runtime
    /// running. In a process forked after the loop started, where its
    /// reactor does not exist, it does nothing and returns `false` at once.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::start();
    /// let done = reactor.run_in_reactor(|| async { 1 });
    /// assert_eq!(done.wait(Duration::from_secs(5)), Ok(1));
    /// let stuck = reactor.run_in_reactor(|| std::future::pending::<()>());
    /// assert!(reactor.shutdown(Duration::from_secs(5)));
    /// assert_eq!(stuck.try_wait(), Err(crochet_core::Error::ReactorStopped));
    /// let late = reactor.run_in_reactor(|| async { 2 });
    /// assert_eq!(late.try_wait(), Err(crochet_core::Error::ReactorStopped));
    /// ```
    pub fn shutdown(&self, timeout: Duration) -> bool {
        self.handle.core.shutdown(timeout, stash::report_unhandled)
    }

    /// A guard that shuts the loop down (waiting up to `timeout`) when it is
    /// dropped: keep one in `main`, so the reactor stops, and unretrieved
    /// stashed panics are reported, when the program finishes, as Crochet
    /// does when the main thread ends.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// fn main() {
    ///     let reactor = crochet_core::setup();
    ///     let _stop_at_exit = reactor.shutdown_guard(Duration::from_secs(1));
    ///     assert_eq!(reactor.wait_for(Duration::from_secs(5), || async { 1 }), Ok(1));
    /// } // The reactor stops here.
    /// ```
    pub fn shutdown_guard(&self, timeout: Duration) -> ShutdownGuard {
        ShutdownGuard {
            event_loop: self.clone(),
            timeout,
        }
    }

    /// What the loop's results and tasks share with it.
    pub(crate) fn core(&self) -> &LoopCore {
        &self.handle.core
    }

    /// Registers the work, then spawns it (or fails it if the loop stopped).
    pub(crate) fn submit<T, Fut>(
        &self,
        location: &'static Location<'static>,
        token: Option<CancellationToken>,
        canceller: Option<Canceller>,
        start: impl FnOnce() -> Fut + Send + 'static,
    ) -> EventualResult<T>
    where
        T: Send + 'static,
        Fut: Future<Output = T> + Send + 'static,
    {
        let core = &self.handle.core;
        core.monitor.stats.submitted();
        let slot = Arc::new(Slot::new(core.clone(), location));
        if core.started_before_fork() {
            slot.resolve(Err(Error::StartedBeforeFork), By::Task);
            return EventualResult::new(slot);
        }
        let Some(key) = core.registry.register(&slot) else {
            slot.resolve(Err(Error::ReactorStopped), By::Task);
            return EventualResult::new(slot);
        };
        let settle: Arc<dyn Settle> = slot.clone();
        let work = work::work(slot.clone(), key, token, canceller, start);
        core.reactor.spawn(Task::new(work, settle, core.id));
        EventualResult::new(slot)
    }
}

/// Shuts its loop down when dropped; see [`EventLoop::shutdown_guard`].
///
/// # Examples
///
/// See [`EventLoop::shutdown_guard`].
#[must_use = "the loop is shut down when the guard is dropped"]
#[derive(Debug)]
pub struct ShutdownGuard {
    event_loop: EventLoop,
    timeout: Duration,
}

impl Drop for ShutdownGuard {
    fn drop(&mut self) {
        self.event_loop.shutdown(self.timeout);
    }
}

impl fmt::Debug for EventLoop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventLoop").field("id", &self.id()).finish()
    }
}
