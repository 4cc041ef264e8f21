//! The future that carries one piece of work on the reactor: it starts the
//! work on its first poll, drops it when cancelled, and settles the slot.

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;

use crate::cancel::CancellationToken;
use crate::error::Error;
use crate::registry::Key;
use crate::slot::{By, Slot};

/// The reactor side of the work `start` begins: a future to wrap in a
/// [`Task`](crate::Task).
///
/// Before each poll it asks the slot whether the outcome was settled from
/// outside (cancel, shutdown). If so it fires `token`, then drops the work's
/// future, on the reactor thread, without polling it again. Cancelling before
/// the first poll means `start` never runs.
pub(crate) fn work<T, Fut>(
    slot: Arc<Slot<T>>,
    key: Key,
    token: Option<CancellationToken>,
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
        let value = {
            let mut start = Some(start);
            let mut future = pin!(None::<Fut>);
            poll_fn(|cx| {
                if guard.slot.task_must_stop(cx.waker()) {
                    guard.fire();
                    return Poll::Ready(None);
                }
                if let Some(start) = start.take() {
                    future.set(Some(start()));
                }
                let future = future
                    .as_mut()
                    .as_pin_mut()
                    .expect("work future missing in state Started");
                future.poll(cx).map(Some)
            })
            .await
            // The work's future is dropped here, before the waiter is woken.
        };
        if let Some(value) = value {
            guard.finished = true;
            guard.slot.resolve(Ok(value), By::Task);
        }
    }
}

/// Settles what the task leaves unsettled when it ends.
struct Guard<T> {
    slot: Arc<Slot<T>>,
    /// The slot's place in the loop's registry, freed when the task ends.
    key: Key,
    token: Option<CancellationToken>,
    /// Whether the work's value was delivered.
    finished: bool,
}

impl<T> Guard<T> {
    fn fire(&self) {
        if let Some(token) = &self.token {
            token.cancel();
        }
    }
}

impl<T> Drop for Guard<T> {
    fn drop(&mut self) {
        if !self.finished {
            self.fire();
            // While unwinding, the task settles the slot with the panic.
            if !std::thread::panicking() {
                self.slot.resolve(Err(Error::ReactorStopped), By::Task);
            }
        }
        self.slot.core.registry.remove(self.key);
    }
}
