//! The buffer one stream's producer (a future on the reactor) and consumer
//! (the [`EventualStream`](crate::EventualStream)) share: a bounded queue
//! of items, closed from either side.
//!
//! # Invariants
//!
//! 1. At most `capacity` items are buffered: a send waits for room.
//! 2. Once `closed` (the consumer cancelled or dropped the stream), no item
//!    is accepted, and the buffered ones are handed to the closer, which
//!    drops them outside the lock. `closed` never goes back.
//! 3. Once `finished` (the producer's work has an outcome), no item is
//!    accepted; the buffered ones are still handed out, then the end.
//!    `finished` never goes back.
//! 4. Every change a waiting side may be waiting for (an item, the finish,
//!    the close, room for a send) wakes that side: the blocked consumers
//!    are notified and wakers woken after the lock is released.
//! 5. No waker is cloned, woken or dropped, and no item is dropped, while
//!    the lock is held: that is user code.

use std::collections::VecDeque;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use crate::error::Error;
use crate::sleep::sleep_once;
use crate::sync::{lock, AtomicBool, Condvar, Mutex, MutexGuard, Ordering};

/// What the consumer found.
#[derive(Debug)]
pub(crate) enum Taken<T> {
    /// The next item.
    Item(T),
    /// The producer finished and every item was handed out.
    Finished,
    /// The consumer closed the buffer (invariant 2).
    Closed,
}

/// A bounded queue shared by one producer and one consumer.
pub(crate) struct Buffer<T> {
    /// # Deadlock safety
    ///
    /// No other crochet lock is taken while it is held, and no user code
    /// runs under it (invariant 5).
    state: Mutex<State<T>>,
    /// Whether a consumer would find something (an item, the finish, the
    /// close), readable without the lock by a spinning consumer.
    // ORDERING: stored with Release under the lock whenever the answer
    // changes; a consumer that loads `true` with Acquire still takes the
    // lock to take anything, so the flag is only a hint to stop spinning.
    ready: AtomicBool,
    consumers: Condvar,
    capacity: usize,
}

struct State<T> {
    items: VecDeque<T>,
    /// The producer's work has an outcome (invariant 3).
    finished: bool,
    /// The consumer is gone (invariant 2).
    closed: bool,
    /// Threads blocked on `consumers`; notifying is skipped when zero.
    sleepers: usize,
    /// The async consumer waiting for an item.
    consumer: Option<Waker>,
    /// The producer waiting for room.
    producer: Option<Waker>,
}

impl<T> State<T> {
    fn ready(&self) -> bool {
        self.closed || self.finished || !self.items.is_empty()
    }

    /// What a consumer finds now, if anything; the producer's waker to
    /// wake when an item made room.
    fn take(&mut self) -> Option<(Taken<T>, Option<Waker>)> {
        if self.closed {
            return Some((Taken::Closed, None));
        }
        match self.items.pop_front() {
            Some(item) => Some((Taken::Item(item), self.producer.take())),
            None if self.finished => Some((Taken::Finished, None)),
            None => None,
        }
    }
}

impl<T> Buffer<T> {
    /// A buffer of `capacity` items (at least one).
    pub(crate) fn new(capacity: usize) -> Buffer<T> {
        Buffer {
            state: Mutex::new(State {
                items: VecDeque::new(),
                finished: false,
                closed: false,
                sleepers: 0,
                consumer: None,
                producer: None,
            }),
            ready: AtomicBool::new(false),
            consumers: Condvar::new(),
            capacity: capacity.max(1),
        }
    }

    /// Buffers `item` if there is room (taking it out of the option), or
    /// stores `cx`'s waker to be woken when there is. `Err(())` once the
    /// buffer is closed or finished; the item stays with the caller then,
    /// to be dropped outside the lock.
    pub(crate) fn poll_send(
        &self,
        item: &mut Option<T>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), ()>> {
        let mut clone: Option<Waker> = None;
        loop {
            let mut state = lock(&self.state);
            if state.closed || state.finished {
                drop(state);
                drop(clone);
                return Poll::Ready(Err(()));
            }
            if state.items.len() < self.capacity {
                let Some(value) = item.take() else {
                    drop(state);
                    drop(clone);
                    return Poll::Ready(Ok(()));
                };
                state.items.push_back(value);
                let consumer = state.consumer.take();
                self.ready.store(true, Ordering::Release);
                let sleepers = state.sleepers > 0;
                drop(state);
                self.notify(sleepers);
                drop(clone);
                if let Some(consumer) = consumer {
                    consumer.wake();
                }
                return Poll::Ready(Ok(()));
            }
            if state
                .producer
                .as_ref()
                .is_some_and(|old| old.will_wake(cx.waker()))
            {
                drop(state);
                drop(clone);
                return Poll::Pending;
            }
            if let Some(clone) = clone.take() {
                let old = state.producer.replace(clone);
                drop(state);
                drop(old);
                return Poll::Pending;
            }
            drop(state);
            clone = Some(cx.waker().clone());
        }
    }

    /// Takes what a consumer finds now, without blocking.
    pub(crate) fn try_take(&self) -> Option<Taken<T>> {
        let mut state = lock(&self.state);
        let taken = state.take();
        self.after_take(state, taken)
    }

    /// Waits until the consumer finds something or `deadline` passes
    /// (`None`: no deadline), after `spin` has spun on whether the consumer
    /// would find something, as the loop's wait strategy says. `forked` says whether this is a process
    /// forked after the loop started, where nothing would wake the wait.
    ///
    /// # Errors
    ///
    /// [`Error::Timeout`] once the deadline passed (nothing is taken then),
    /// [`Error::StartedBeforeFork`] instead of blocking in a forked child.
    pub(crate) fn wait_take(
        &self,
        deadline: Option<Instant>,
        spin: impl FnOnce(&dyn Fn() -> bool),
        forked: impl Fn() -> bool,
    ) -> Result<Taken<T>, Error> {
        spin(&|| self.ready.load(Ordering::Acquire));
        let mut state = lock(&self.state);
        loop {
            let taken = state.take();
            if taken.is_some() {
                return Ok(self
                    .after_take(state, taken)
                    .expect("something was taken a moment ago, under the same lock"));
            }
            state = sleep_once(
                &self.consumers,
                state,
                |state| &mut state.sleepers,
                deadline,
                &forked,
            )?;
        }
    }

    /// Takes what a consumer finds now, or stores `cx`'s waker to be woken
    /// when there is something. `forked` is asked when a waker is stored,
    /// as a result's poll does.
    pub(crate) fn poll_take(
        &self,
        cx: &mut Context<'_>,
        forked: impl Fn() -> bool,
    ) -> Poll<Result<Taken<T>, Error>> {
        let mut clone: Option<Waker> = None;
        loop {
            let mut state = lock(&self.state);
            let taken = state.take();
            if taken.is_some() {
                drop(clone);
                return Poll::Ready(Ok(self
                    .after_take(state, taken)
                    .expect("something was taken a moment ago, under the same lock")));
            }
            if state
                .consumer
                .as_ref()
                .is_some_and(|old| old.will_wake(cx.waker()))
            {
                drop(state);
                drop(clone);
                return Poll::Pending;
            }
            if let Some(clone) = clone.take() {
                let old = state.consumer.replace(clone);
                drop(state);
                drop(old);
                if forked() {
                    return Poll::Ready(Err(Error::StartedBeforeFork));
                }
                return Poll::Pending;
            }
            drop(state);
            clone = Some(cx.waker().clone());
        }
    }

    /// The producer's work has an outcome: no more items are accepted, a
    /// send waiting for room fails, and the consumer learns of the end
    /// once it has every item (invariant 3).
    pub(crate) fn finish(&self) {
        let (consumer, producer, sleepers) = {
            let mut state = lock(&self.state);
            if state.finished {
                return;
            }
            state.finished = true;
            self.ready.store(true, Ordering::Release);
            (
                state.consumer.take(),
                state.producer.take(),
                state.sleepers > 0,
            )
        };
        self.notify(sleepers);
        wake(consumer);
        wake(producer);
    }

    /// The consumer is gone: no more items are accepted, a waiting send
    /// fails, and the buffered items are returned, for the caller to drop
    /// outside the lock (invariant 2).
    pub(crate) fn close(&self) -> VecDeque<T> {
        let (items, consumer, producer, sleepers) = {
            let mut state = lock(&self.state);
            state.closed = true;
            self.ready.store(true, Ordering::Release);
            (
                std::mem::take(&mut state.items),
                state.consumer.take(),
                state.producer.take(),
                state.sleepers > 0,
            )
        };
        self.notify(sleepers);
        wake(consumer);
        wake(producer);
        items
    }

    /// Whether the consumer closed the buffer.
    pub(crate) fn is_closed(&self) -> bool {
        lock(&self.state).closed
    }

    /// Whether the buffer takes no more items (closed or finished).
    pub(crate) fn is_shut(&self) -> bool {
        let state = lock(&self.state);
        state.closed || state.finished
    }

    /// How many items are buffered.
    pub(crate) fn len(&self) -> usize {
        lock(&self.state).items.len()
    }

    /// Updates the flag after a take, releases the lock, then wakes the
    /// producer if the take made room.
    fn after_take(
        &self,
        state: MutexGuard<'_, State<T>>,
        taken: Option<(Taken<T>, Option<Waker>)>,
    ) -> Option<Taken<T>> {
        self.ready.store(state.ready(), Ordering::Release);
        drop(state);
        let (taken, producer) = taken?;
        wake(producer);
        Some(taken)
    }

    /// Wakes the blocked consumers, if there were any, after the lock was
    /// released: one woken on this CPU would otherwise block on the lock at
    /// once. They find what changed, since they check under the lock.
    fn notify(&self, sleepers: bool) {
        if sleepers {
            self.consumers.notify_all();
        }
    }
}

fn wake(waker: Option<Waker>) {
    if let Some(waker) = waker {
        waker.wake();
    }
}
