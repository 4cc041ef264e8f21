//! The canceller: async cleanup handed in with a piece of work, run on the
//! reactor after the work was cancelled and its future dropped, as
//! Twisted's `Deferred` calls the canceller its creator gave it.
//!
//! Dropping a future stops only what the future itself owns; a statement a
//! database server is running, or a transfer a peer is sending, goes on.
//! The canceller is where that is stopped (`cancel_query()`, closing the
//! connection).
//!
//! How to use it inside the crate: wrap the cleanup with
//! [`Canceller::new`] where the work is submitted, and pass it to
//! `EventLoop::submit`, which hands it to `work::work`; or, for a future
//! crochet drives some other way, call [`Canceller::run`] on the reactor
//! once the cancelled future has been dropped. Never run it when the work
//! finished (a value or a panic), never on the caller's thread; if the
//! reactor stops first, it is dropped unrun.

use std::fmt;
use std::future::{poll_fn, Future};
use std::panic::Location;
use std::pin::Pin;
use std::task::Poll;

use crate::error::{catch_panic, Error, Failure};
use crate::unhandled;

type Cleanup = Pin<Box<dyn Future<Output = ()> + Send>>;

/// The cleanup of one piece of work, not started yet.
pub(crate) struct Canceller {
    make: Box<dyn FnOnce() -> Cleanup + Send>,
}

impl Canceller {
    /// Wraps `make`, which makes the cleanup's future when it is time.
    pub(crate) fn new<C, Fut>(make: C) -> Canceller
    where
        C: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        Canceller {
            make: Box::new(move || Box::pin(make()) as Cleanup),
        }
    }

    /// Runs the cleanup to its end. A panic of it (making, polling or
    /// dropping its future) is caught and reported as unhandled, with
    /// `location`, the place the work was submitted: the work's outcome
    /// is settled already, so nobody else would see it.
    pub(crate) async fn run(self, location: &'static Location<'static>) {
        let report = |message: String| {
            unhandled::report(&Error::Panicked(Failure::new(message, location)));
        };
        let mut cleanup = match catch_panic(self.make) {
            Ok(cleanup) => Some(cleanup),
            Err(message) => return report(message),
        };
        let polled = poll_fn(|cx| {
            let Some(future) = cleanup.as_mut() else {
                return Poll::Ready(Ok(()));
            };
            match catch_panic(|| future.as_mut().poll(cx)) {
                Ok(Poll::Pending) => Poll::Pending,
                Ok(Poll::Ready(())) => Poll::Ready(Ok(())),
                Err(message) => Poll::Ready(Err(message)),
            }
        })
        .await;
        if let Err(message) = polled {
            report(message);
        }
        if let Err(message) = catch_panic(move || drop(cleanup)) {
            report(message);
        }
    }
}

impl fmt::Debug for Canceller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Canceller").finish_non_exhaustive()
    }
}
