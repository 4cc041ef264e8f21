//! `EventualResult`, the handle to the result of work running on a reactor.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::error::{Error, Failure};
use crate::id::LoopId;
use crate::loop_core::LoopCore;
use crate::settle::By;
use crate::slot::Slot;

/// The result of work submitted to a reactor, which will be there eventually.
///
/// Wait for it with a timeout from any thread but the reactor's, check it
/// without blocking, cancel the work, stash it for later, or `.await` it from
/// a task of any runtime.
///
/// A value is handed out once: the first wait that sees it moves it out and
/// later waits get [`Error::AlreadyRetrieved`]. A failure is returned to
/// every wait. Dropping the handle does not cancel the work.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let reactor = crochet_core::setup();
/// let result = reactor.run_in_reactor(|| async { "hello" });
/// assert_eq!(result.wait(Duration::from_secs(5)), Ok("hello"));
/// assert_eq!(result.wait(Duration::from_secs(5)), Err(crochet_core::Error::AlreadyRetrieved));
/// ```
pub struct EventualResult<T> {
    slot: Arc<Slot<T>>,
}

impl<T> EventualResult<T> {
    pub(crate) fn new(slot: Arc<Slot<T>>) -> EventualResult<T> {
        EventualResult { slot }
    }

    /// Blocks until the result is there or `timeout` has passed.
    ///
    /// Any `Duration` works: zero checks without blocking, and
    /// `Duration::MAX` waits as long as it takes.
    ///
    /// # Errors
    ///
    /// - [`Error::Timeout`] if no result came in time; the result is not
    ///   lost, and a later wait can still get it;
    /// - [`Error::WaitInReactorThread`] at once on the reactor thread;
    /// - [`Error::AlreadyRetrieved`] if an earlier wait took the value;
    /// - the work's failure: [`Error::Cancelled`], [`Error::Panicked`] or
    ///   [`Error::ReactorStopped`];
    /// - [`Error::StartedBeforeFork`] instead of blocking, in a process
    ///   forked after the loop started.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::setup();
    /// let (tx, rx) = std::sync::mpsc::channel::<u8>();
    /// let result = reactor.call_in_reactor(move || rx.recv().unwrap());
    /// assert_eq!(result.wait(Duration::from_millis(10)), Err(crochet_core::Error::Timeout));
    /// tx.send(7).unwrap();
    /// assert_eq!(result.wait(Duration::from_secs(5)), Ok(7));
    /// ```
    pub fn wait(&self, timeout: Duration) -> Result<T, Error> {
        self.wait_until(Instant::now().checked_add(timeout))
    }

    /// Blocks until the result is there or `deadline` has passed. A deadline
    /// in the past checks without blocking.
    ///
    /// # Errors
    ///
    /// As [`wait`](Self::wait).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// let reactor = crochet_core::setup();
    /// let result = reactor.run_in_reactor(|| async { 1 });
    /// let deadline = Instant::now() + Duration::from_secs(5);
    /// assert_eq!(result.wait_deadline(deadline), Ok(1));
    /// ```
    pub fn wait_deadline(&self, deadline: Instant) -> Result<T, Error> {
        self.wait_until(Some(deadline))
    }

    fn wait_until(&self, deadline: Option<Instant>) -> Result<T, Error> {
        if self.slot.core.is_reactor_thread() {
            return Err(Error::WaitInReactorThread);
        }
        self.slot
            .core
            .monitor
            .explain(self.slot.wait_until(deadline))
    }

    /// [`wait`](Self::wait) for a caller that has already checked that
    /// this is not the reactor thread.
    pub(crate) fn wait_off_reactor(&self, timeout: Duration) -> Result<T, Error> {
        self.slot.wait_until(Instant::now().checked_add(timeout))
    }

    /// Takes the result if it is there, without blocking; allowed on the
    /// reactor thread too.
    ///
    /// # Errors
    ///
    /// [`Error::Timeout`] if there is no result yet; otherwise as
    /// [`wait`](Self::wait).
    ///
    /// # Examples
    ///
    /// ```
    /// let reactor = crochet_core::start();
    /// let result = reactor.run_in_reactor(|| std::future::pending::<()>());
    /// assert_eq!(result.try_wait(), Err(crochet_core::Error::Timeout));
    /// ```
    pub fn try_wait(&self) -> Result<T, Error> {
        self.slot.try_take().unwrap_or(Err(Error::Timeout))
    }

    /// Whether the work has an outcome (a value, taken or not, or a failure).
    ///
    /// # Examples
    ///
    /// ```
    /// let reactor = crochet_core::start();
    /// let result = reactor.run_in_reactor(|| std::future::pending::<()>());
    /// assert!(!result.is_ready());
    /// result.cancel();
    /// assert!(result.is_ready());
    /// ```
    pub fn is_ready(&self) -> bool {
        self.slot.is_resolved()
    }

    /// Cancels the work, unless it has already finished.
    ///
    /// Waiters get [`Error::Cancelled`] at once. On the reactor thread, the
    /// work's [`CancellationToken`](crate::CancellationToken) fires and its
    /// future is dropped at its next poll; work cancelled before it started
    /// never starts. A result that was already there stands. Idempotent.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::setup();
    /// let result = reactor.run_in_reactor(|| std::future::pending::<()>());
    /// result.cancel();
    /// assert_eq!(result.wait(Duration::from_secs(5)), Err(crochet_core::Error::Cancelled));
    /// ```
    pub fn cancel(&self) {
        self.cancel_now();
    }

    /// Whether this call gave up on the work for `wait_for`, whose timeout
    /// passed (it had no outcome yet): as `cancel_now`, counted as a timeout.
    pub(crate) fn time_out_now(&self) -> bool {
        self.slot.resolve(Err(Error::Timeout), By::Outsider)
    }

    /// Whether this call cancelled the work (it had no outcome yet).
    pub(crate) fn cancel_now(&self) -> bool {
        self.slot.resolve(Err(Error::Cancelled), By::Outsider)
    }

    /// The panic of the work, if it panicked; `None` if there is no result
    /// yet, or the work succeeded or failed otherwise. Looking counts as
    /// handling the failure: it will not be reported as unhandled.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::setup();
    /// let result = reactor.call_in_reactor(|| -> u8 { panic!("oops") });
    /// let _ = result.wait(Duration::from_secs(5));
    /// assert_eq!(result.original_failure().unwrap().message(), "oops");
    /// ```
    pub fn original_failure(&self) -> Option<Failure> {
        self.slot.original_failure()
    }

    /// Reports the panic if nobody has seen it, for the stash at shutdown.
    pub(crate) fn take_unobserved(&self) -> Option<Error> {
        self.slot.take_unobserved()
    }

    /// The loop the work runs on.
    pub(crate) fn loop_id(&self) -> LoopId {
        self.slot.core.id
    }

    /// What the work shares with its loop, for the streams' waits.
    pub(crate) fn core(&self) -> &Arc<LoopCore> {
        &self.slot.core
    }

    /// Where the work was submitted.
    pub(crate) fn location(&self) -> &'static std::panic::Location<'static> {
        self.slot.location
    }
}

impl<T> Future for EventualResult<T> {
    type Output = Result<T, Error>;

    /// # Cancel safety
    ///
    /// Dropping the future (as `select!` does) loses nothing: the result
    /// stays for the next poll or wait, until the handle itself is dropped.
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T, Error>> {
        self.slot.poll_take(cx)
    }
}

impl<T> Drop for EventualResult<T> {
    fn drop(&mut self) {
        self.slot.release_handle();
    }
}

impl<T> fmt::Debug for EventualResult<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventualResult")
            .field("ready", &self.is_ready())
            .field("submitted_at", &self.slot.location)
            .finish()
    }
}
