//! The future that carries one piece of work on the reactor: it starts the
//! work on its first poll, drops it when cancelled, and settles the slot.

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;

use crate::cancel::CancellationToken;
use crate::canceller::Canceller;
use crate::error::{catch_panic, Error, Failure};
use crate::registry::Key;
use crate::settle::By;
use crate::slot::Slot;
use crate::unhandled;

/// The reactor side of the work `start` begins: a future to wrap in a
/// [`Task`](crate::reactor::Task).
///
/// Before each poll it asks the slot whether the outcome was settled from
/// outside (cancel, shutdown). If so it fires `token`, then drops the work's
/// future, on the reactor thread, without polling it again. Cancelling before
/// the first poll means `start` never runs.
///
/// Panics of the work (of `start`, of a poll, of dropping the work's
/// future) are caught here, where they happen, so that they never unwind
/// through this future: its guard then sees a panicking thread only when
/// the thread itself unwinds from something else (a runtime dropped during
/// a panic of the application), and settles the slot all the same.
pub(crate) fn work<T, Fut>(
    slot: Arc<Slot<T>>,
    key: Key,
    token: Option<CancellationToken>,
    canceller: Option<Canceller>,
    start: impl FnOnce() -> Fut + Send + 'static,
) -> impl Future<Output = ()> + Send + 'static
where
    T: Send + 'static,
    Fut: Future<Output = T> + Send + 'static,
{
    // Built outside the async block so that it is dropped, and settles the
    // slot, even when the runtime drops the task before its first poll.
    let guard = Guard {
        slot,
        key,
        token,
        finished: false,
    };
    async move {
        let mut guard = guard;
        let mut start = Some(start);
        let mut future = pin!(None::<Fut>);
        let polled = poll_fn(|cx| {
            // Settled from outside, or the loop is stopping: a call let
            // through by the failing of another at shutdown must not run
            // (the guard settles it with `ReactorStopped`).
            if guard.slot.task_must_stop(cx.waker(), start.is_some())
                || guard.slot.core.is_stopping()
            {
                guard.fire();
                return Poll::Ready(None);
            }
            let poll = catch_panic(|| {
                if let Some(start) = start.take() {
                    future.set(Some(start()));
                }
                future
                    .as_mut()
                    .as_pin_mut()
                    .expect("the work's future is missing although it was started")
                    .poll(cx)
            });
            match poll {
                Ok(Poll::Pending) => Poll::Pending,
                Ok(Poll::Ready(value)) => Poll::Ready(Some(Ok(value))),
                Err(message) => Poll::Ready(Some(Err(message))),
            }
        })
        .await;
        // The work's future is dropped here, before the waiter is woken; a
        // panic of its `Drop` is the work's failure.
        let dropped = catch_panic(|| future.set(None));
        match (polled, dropped) {
            (Some(Ok(value)), Ok(())) => {
                guard.finished = true;
                guard.slot.resolve(Ok(value), By::Task);
            }
            (Some(Ok(value)), Err(message)) => {
                guard.fail(message);
                drop(catch_panic(move || drop(value)));
            }
            (Some(Err(message)), dropped) => {
                guard.fail(message);
                if let Err(message) = dropped {
                    guard.fail(message);
                }
            }
            // Stopped from outside: the outcome is settled, so a panic of
            // the drop reaches nobody but the report.
            (None, dropped) => {
                if let Err(message) = dropped {
                    guard.fail(message);
                }
                // The canceller runs after the drop (of the closure too,
                // if it never ran), and only after a cancel: a stopping
                // reactor is not waited for.
                if let Some(canceller) = canceller {
                    if let Err(message) = catch_panic(move || drop(start)) {
                        guard.fail(message);
                    }
                    if guard.slot.was_cancelled() {
                        canceller.run(guard.slot.location).await;
                    }
                }
            }
        }
    }
}

/// Settles what the task leaves unsettled when it ends.
struct Guard<T> {
    slot: Arc<Slot<T>>,
    /// The slot's place in the loop's registry, freed when the task ends.
    key: Key,
    token: Option<CancellationToken>,
    /// Whether the work's outcome was delivered (or reported).
    finished: bool,
}

impl<T> Guard<T> {
    fn fire(&self) {
        if let Some(token) = &self.token {
            token.cancel();
        }
    }

    /// Fails the work with the panic `message`; reports it if the outcome
    /// was settled already, since then nobody will see it.
    fn fail(&mut self, message: String) {
        self.finished = true;
        let err = Error::Panicked(Failure::new(message, self.slot.location));
        if !self.slot.resolve(Err(err.clone()), By::Task) {
            unhandled::report(&err);
        }
    }
}

impl<T> Drop for Guard<T> {
    fn drop(&mut self) {
        if !self.finished {
            self.fire();
            // Cancel, shutdown, or a runtime dropped while its thread
            // unwinds: `ReactorStopped`, unless the slot was settled
            // already. The entry leaves the registry only after the slot is
            // settled, so that `shutdown` never misses a pending result.
            self.slot.resolve(Err(Error::ReactorStopped), By::Task);
        }
        self.slot.core.registry.remove(self.key);
    }
}
