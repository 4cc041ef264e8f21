//! `Task`: one piece of submitted work, as the future a reactor polls.

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::error::{catch_panic, Error, Failure};
use crate::id::LoopId;
use crate::settle::{self, By, Settle};
use crate::thread_mark;
use crate::unhandled;
use crate::{context, monitor};

/// One piece of submitted work, as a future a reactor polls to completion.
///
/// Built by the core. It never panics out of `poll` or `drop`: a panic of the
/// work is caught and becomes [`Error::Panicked`](crate::Error::Panicked) for the waiter, so one bad
/// job never takes the runtime down.
///
/// # Examples
///
/// See [`Reactor`](crate::reactor::Reactor).
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
            future: context::wrap(Box::pin(future)),
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
        let _polling = thread_mark::enter_thread_scope(this.loop_id);
        let settle = this.settle.as_deref();
        match catch_panic(|| {
            monitor::poll(settle.map(Settle::monitor), this.location, || {
                this.future.as_mut().poll(cx)
            })
        }) {
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
        let _dropping = thread_mark::enter_thread_scope(self.loop_id);
        self.discard();
        if let Some(settle) = self.settle.take() {
            settle::release(settle);
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
