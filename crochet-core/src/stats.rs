//! `LoopStats`: what a loop has done since it started, counted with relaxed
//! atomics in the loop's core, cheap enough to read often.

use std::panic::Location;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use crate::error::Error;

/// What a loop has done since it started: a snapshot made by
/// [`EventLoop::stats`](crate::EventLoop::stats).
///
/// Each piece of work is counted once when it is submitted and once when
/// its outcome is settled, by how: [`completed`](Self::completed),
/// [`cancelled`](Self::cancelled), [`timed_out`](Self::timed_out),
/// [`panicked`](Self::panicked) or [`stopped`](Self::stopped). The counts
/// are read one by one without a lock, so a snapshot taken while work runs
/// may be off by the work settled during the reading.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let reactor = crochet_core::start();
/// assert_eq!(reactor.wait_for(Duration::from_secs(5), || async { 1 }), Ok(1));
/// let stuck = reactor.run_in_reactor(|| std::future::pending::<()>());
/// stuck.cancel();
/// let stats = reactor.stats();
/// assert_eq!(stats.submitted(), 2);
/// assert_eq!(stats.completed(), 1);
/// assert_eq!(stats.cancelled(), 1);
/// assert_eq!(stats.pending(), 0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoopStats {
    submitted: u64,
    completed: u64,
    cancelled: u64,
    timed_out: u64,
    panicked: u64,
    stopped: u64,
    longest_poll_nanos: u64,
    longest_poll_location: Option<&'static Location<'static>>,
}

impl LoopStats {
    /// The work submitted to the loop, including work refused because the
    /// loop had stopped (counted as [`stopped`](Self::stopped) too).
    ///
    /// # Examples
    ///
    /// See [`LoopStats`].
    pub fn submitted(&self) -> u64 {
        self.submitted
    }

    /// The work that finished with a value.
    ///
    /// # Examples
    ///
    /// See [`LoopStats`].
    pub fn completed(&self) -> u64 {
        self.completed
    }

    /// The work cancelled by [`EventualResult::cancel`](crate::EventualResult::cancel)
    /// before it finished.
    ///
    /// # Examples
    ///
    /// See [`LoopStats`].
    pub fn cancelled(&self) -> u64 {
        self.cancelled
    }

    /// The work that [`EventLoop::wait_for`](crate::EventLoop::wait_for)
    /// cancelled because its timeout passed (not counted as cancelled).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::start();
    /// let late = reactor.wait_for(Duration::from_millis(10), || std::future::pending::<()>());
    /// assert_eq!(late, Err(crochet_core::Error::Timeout));
    /// assert_eq!(reactor.stats().timed_out(), 1);
    /// assert_eq!(reactor.stats().cancelled(), 0);
    /// ```
    pub fn timed_out(&self) -> u64 {
        self.timed_out
    }

    /// The work that panicked (in its closure, a poll, or its drop).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// # crochet_core::set_unhandled_error_hook(|_| {});
    /// let reactor = crochet_core::start();
    /// let _ = reactor.wait_for(Duration::from_secs(5), || async { panic!("oops") });
    /// assert_eq!(reactor.stats().panicked(), 1);
    /// ```
    pub fn panicked(&self) -> u64 {
        self.panicked
    }

    /// The work failed with `ReactorStopped` (pending at shutdown, or
    /// submitted after it) or `StartedBeforeFork`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::start();
    /// let stuck = reactor.run_in_reactor(|| std::future::pending::<()>());
    /// reactor.shutdown(Duration::from_secs(5));
    /// assert_eq!(stuck.try_wait(), Err(crochet_core::Error::ReactorStopped));
    /// assert_eq!(reactor.stats().stopped(), 1);
    /// ```
    pub fn stopped(&self) -> u64 {
        self.stopped
    }

    /// The work submitted and not yet settled, now.
    ///
    /// # Examples
    ///
    /// ```
    /// let reactor = crochet_core::start();
    /// let stuck = reactor.run_in_reactor(|| std::future::pending::<()>());
    /// assert_eq!(reactor.stats().pending(), 1);
    /// stuck.cancel();
    /// assert_eq!(reactor.stats().pending(), 0);
    /// ```
    pub fn pending(&self) -> u64 {
        let settled =
            self.completed + self.cancelled + self.timed_out + self.panicked + self.stopped;
        self.submitted.saturating_sub(settled)
    }

    /// The longest single poll of any work of the loop so far, in
    /// nanoseconds (zero before the first poll).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::start();
    /// let line = line!() + 1;
    /// let slow = reactor.call_in_reactor(|| std::thread::sleep(Duration::from_millis(20)));
    /// slow.wait(Duration::from_secs(5)).unwrap();
    /// // The result is handed over inside the poll, which ends a moment later.
    /// while reactor.stats().longest_poll_nanos() < 20_000_000 {
    ///     std::thread::yield_now();
    /// }
    /// let stats = reactor.stats();
    /// assert!(stats.longest_poll_nanos() >= 20_000_000);
    /// assert_eq!(stats.longest_poll_location().unwrap().line(), line);
    /// ```
    pub fn longest_poll_nanos(&self) -> u64 {
        self.longest_poll_nanos
    }

    /// The longest single poll of any work of the loop so far.
    ///
    /// # Examples
    ///
    /// ```
    /// let reactor = crochet_core::start();
    /// assert_eq!(reactor.stats().longest_poll(), std::time::Duration::ZERO);
    /// ```
    pub fn longest_poll(&self) -> Duration {
        Duration::from_nanos(self.longest_poll_nanos)
    }

    /// Where the work of the longest poll was submitted; `None` before the
    /// first poll.
    ///
    /// # Examples
    ///
    /// See [`longest_poll_nanos`](Self::longest_poll_nanos).
    pub fn longest_poll_location(&self) -> Option<&'static Location<'static>> {
        self.longest_poll_location
    }
}

/// The counters in a loop's core.
// ORDERING: every counter is Relaxed: each is a count on its own, read
// without synchronising anything else; `LoopStats` says a snapshot may be
// off by the work settled while it is read.
#[derive(Default)]
pub(crate) struct Counters {
    submitted: AtomicU64,
    completed: AtomicU64,
    cancelled: AtomicU64,
    timed_out: AtomicU64,
    panicked: AtomicU64,
    stopped: AtomicU64,
    /// The longest poll so far, the filter that keeps `longest` unlocked
    /// on all but the polls that set a record.
    longest_nanos: AtomicU64,
    /// The record and where its work was submitted. Locked only when a poll
    /// beats `longest_nanos`, and by `snapshot`; never with another lock.
    longest: Mutex<(u64, Option<&'static Location<'static>>)>,
}

impl Counters {
    pub(crate) fn submitted(&self) {
        self.submitted.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts the outcome that settled a piece of work.
    pub(crate) fn settled<T>(&self, outcome: &Result<T, Error>) {
        let counter = match outcome {
            Ok(_) => &self.completed,
            Err(Error::Cancelled) => &self.cancelled,
            Err(Error::Timeout | Error::TimeoutBlocked(_)) => &self.timed_out,
            Err(Error::Panicked(_)) => &self.panicked,
            Err(_) => &self.stopped,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Records one poll that took `nanos`, of work submitted at `location`.
    pub(crate) fn polled(&self, nanos: u64, location: &'static Location<'static>) {
        if nanos <= self.longest_nanos.load(Ordering::Relaxed) {
            return;
        }
        self.longest_nanos.fetch_max(nanos, Ordering::Relaxed);
        let mut longest = self.longest.lock().unwrap_or_else(PoisonError::into_inner);
        if nanos > longest.0 {
            *longest = (nanos, Some(location));
        }
    }

    pub(crate) fn snapshot(&self) -> LoopStats {
        let (longest, location) = *self.longest.lock().unwrap_or_else(PoisonError::into_inner);
        // Settled counts are read before `submitted`, so that `pending`
        // does not count as pending what was settled during the reading.
        let completed = self.completed.load(Ordering::Relaxed);
        let cancelled = self.cancelled.load(Ordering::Relaxed);
        let timed_out = self.timed_out.load(Ordering::Relaxed);
        let panicked = self.panicked.load(Ordering::Relaxed);
        let stopped = self.stopped.load(Ordering::Relaxed);
        LoopStats {
            submitted: self.submitted.load(Ordering::Relaxed),
            completed,
            cancelled,
            timed_out,
            panicked,
            stopped,
            longest_poll_nanos: longest,
            longest_poll_location: location,
        }
    }
}
