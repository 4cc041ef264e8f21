//! A future for the end of a runtime crochet owns: it completes once a
//! condition holds, letting the executor run everything else meanwhile.

use std::future::{poll_fn, Future};
use std::task::Poll;
use std::time::{Duration, Instant};

/// A future that completes once `done()` says so, or once `limit` has passed
/// since its first poll; its output says which. It wakes itself after every
/// check, so an executor that polls it runs every other ready task in
/// between.
///
/// Adapters run it on their executor after the stop signal, until the
/// executor holds no task: by then every result of the loop was settled, so
/// each task ends at its next poll and drops its work's future on the
/// reactor thread. Leaving the tasks to the executor's own drop instead can
/// strand one forever, when another thread (a timer) wakes it at that very
/// moment.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use std::sync::atomic::{AtomicU32, Ordering};
/// use crochet_core::reactor;
///
/// let checks = AtomicU32::new(0);
/// let done = || checks.fetch_add(1, Ordering::Relaxed) >= 3;
/// assert!(reactor::block_on(reactor::until_done(done, Duration::from_secs(5))));
/// let never = reactor::until_done(|| false, Duration::from_millis(10));
/// assert!(!reactor::block_on(never));
/// ```
pub fn until_done(done: impl Fn() -> bool, limit: Duration) -> impl Future<Output = bool> {
    let mut deadline = None;
    poll_fn(move |cx| {
        if done() {
            return Poll::Ready(true);
        }
        let deadline = *deadline.get_or_insert_with(|| Instant::now().checked_add(limit));
        if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
            return Poll::Ready(false);
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    })
}
