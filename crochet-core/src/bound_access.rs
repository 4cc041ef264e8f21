//! The access to a value kept on the reactor: shared for `call`, exclusive
//! for `call_mut`, granted in the order the calls were submitted, and the
//! keeper that drops the value on the reactor once nothing can reach it.
//!
//! Invariants (cited as "invariant N" below):
//!
//! 1. `readers > 0` and `writer` are never both set; `writer` means the
//!    value is out of the cell, in the one [`BoundMut`].
//! 2. Waiters are granted from the front of the queue only, so access is
//!    handed out in the order of submission: a shared waiter behind an
//!    exclusive one waits for it, even while other shared accesses run.
//! 3. Every [`Ticket`] is counted in `calls` until it is dropped; the
//!    keeper drops the value only when no handle, no ticket and no access
//!    is left, so no call can reach the value after it was dropped.
//! 4. Wakers are cloned before the lock is taken, and woken or dropped
//!    after it is released; the value is dropped outside the lock.

use std::collections::VecDeque;
use std::fmt;
use std::future::poll_fn;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::task::{Poll, Waker};

use crate::sync::{lock, Mutex};

/// The value of a `Bound` and who may use it.
pub(crate) struct Cell<T> {
    state: Mutex<State<T>>,
}

struct State<T> {
    /// The value, out of the cell while a [`BoundMut`] holds it and after
    /// the keeper dropped it.
    value: Option<Arc<T>>,
    /// Shared accesses granted and not released.
    readers: usize,
    /// Whether the exclusive access is granted (invariant 1).
    writer: bool,
    /// Calls waiting for access, in the order submitted.
    queue: VecDeque<Waiter>,
    /// Tickets granted access they have not claimed yet.
    granted: Vec<u64>,
    next_id: u64,
    /// `Bound` handles alive.
    handles: usize,
    /// Tickets alive (invariant 3).
    calls: usize,
    /// The keeper's waker, woken when the cell may have become idle.
    keeper: Option<Waker>,
    /// Set once the keeper is gone: the value is dropped, not put back.
    closed: bool,
}

struct Waiter {
    id: u64,
    exclusive: bool,
    waker: Option<Waker>,
}

impl<T> State<T> {
    fn compatible(&self, exclusive: bool) -> bool {
        !self.writer && (!exclusive || self.readers == 0)
    }

    fn idle(&self) -> bool {
        self.handles == 0 && self.calls == 0 && self.readers == 0 && !self.writer
    }

    /// Grants the front of the queue what it can have (invariant 2);
    /// returns the wakers to wake once the lock is released.
    fn grant(&mut self) -> Vec<Waker> {
        let mut wake = Vec::new();
        while let Some(front) = self.queue.front() {
            if !self.compatible(front.exclusive) {
                break;
            }
            let waiter = self.queue.pop_front().expect("the front waiter vanished");
            if waiter.exclusive {
                self.writer = true;
            } else {
                self.readers += 1;
            }
            self.granted.push(waiter.id);
            wake.extend(waiter.waker);
        }
        wake
    }

    /// The keeper's waker if the cell is idle now (invariant 3).
    fn keeper_if_idle(&mut self) -> Option<Waker> {
        if self.idle() {
            self.keeper.take()
        } else {
            None
        }
    }

    /// Gives back an access that was granted.
    fn release(&mut self, exclusive: bool) -> Vec<Waker> {
        if exclusive {
            self.writer = false;
        } else {
            self.readers -= 1;
        }
        let mut wake = self.grant();
        wake.extend(self.keeper_if_idle());
        wake
    }
}

fn wake_all(wakers: Vec<Waker>) {
    for waker in wakers {
        waker.wake();
    }
}

impl<T: Send + Sync + 'static> Cell<T> {
    /// A cell holding `value`, with one handle.
    pub(crate) fn new(value: T) -> Cell<T> {
        Cell {
            state: Mutex::new(State {
                value: Some(Arc::new(value)),
                readers: 0,
                writer: false,
                queue: VecDeque::new(),
                granted: Vec::new(),
                next_id: 0,
                handles: 1,
                calls: 0,
                keeper: None,
                closed: false,
            }),
        }
    }

    /// One more handle.
    pub(crate) fn add_handle(&self) {
        lock(&self.state).handles += 1;
    }

    /// One handle fewer; the keeper may drop the value now.
    pub(crate) fn drop_handle(&self) {
        let keeper = {
            let mut state = lock(&self.state);
            state.handles -= 1;
            state.keeper_if_idle()
        };
        if let Some(keeper) = keeper {
            keeper.wake();
        }
    }

    /// Takes a place in the queue for a call, on the caller's thread, so
    /// that access follows the order of submission.
    pub(crate) fn ticket(self: &Arc<Self>, exclusive: bool) -> Ticket<T> {
        let wake = {
            let mut state = lock(&self.state);
            let id = state.next_id;
            state.next_id += 1;
            state.calls += 1;
            state.queue.push_back(Waiter {
                id,
                exclusive,
                waker: None,
            });
            let wake = state.grant();
            drop(state);
            (id, wake)
        };
        let (id, wake) = wake;
        wake_all(wake);
        Ticket {
            cell: self.clone(),
            id,
            exclusive,
            claimed: false,
        }
    }

    /// The keeper, to run on the reactor: it ends once nothing can reach
    /// the value any more. Dropping it (then, when the reactor stops, or
    /// unrun when the reactor refused it) drops the value there.
    pub(crate) fn keeper(self: Arc<Self>) -> Keeper<T> {
        Keeper(Closer(self))
    }

    /// Closes the cell and drops the value here (and, with it, a keeper
    /// waker that might own the last handle of something).
    fn close(&self) {
        let (value, keeper) = {
            let mut state = lock(&self.state);
            state.closed = true;
            (state.value.take(), state.keeper.take())
        };
        drop(keeper);
        drop(value);
    }
}

/// Drops the value of a cell on the reactor once nothing can reach it.
pub(crate) struct Keeper<T: Send + Sync + 'static>(Closer<T>);

impl<T: Send + Sync + 'static> Keeper<T> {
    /// Waits until the cell is idle (invariant 3), then drops the value.
    pub(crate) async fn run(self) {
        let closer = self.0;
        poll_fn(|cx| {
            let waker = cx.waker().clone();
            let mut state = lock(&closer.0.state);
            if state.idle() {
                return Poll::Ready(());
            }
            let old = state.keeper.replace(waker);
            drop(state);
            drop(old);
            Poll::Pending
        })
        .await;
        drop(closer);
    }
}

/// Closes its cell when dropped: the keeper's future, or its closure if
/// the reactor refused it.
struct Closer<T: Send + Sync + 'static>(Arc<Cell<T>>);

impl<T: Send + Sync + 'static> Drop for Closer<T> {
    fn drop(&mut self) {
        self.0.close();
    }
}

/// A call's place in the queue, from its submission to its end.
pub(crate) struct Ticket<T: Send + Sync + 'static> {
    cell: Arc<Cell<T>>,
    id: u64,
    exclusive: bool,
    /// Whether the granted access went to a guard, which releases it.
    claimed: bool,
}

impl<T: Send + Sync + 'static> Ticket<T> {
    /// Waits for the shared access; the ticket must have been taken shared.
    pub(crate) async fn shared(mut self) -> BoundRef<T> {
        let cell = self.cell.clone();
        let value = self.claim().await;
        BoundRef {
            value: Some(value),
            cell,
            _ticket: self,
        }
    }

    /// Waits for the exclusive access; the ticket must have been taken
    /// exclusive.
    pub(crate) async fn exclusive(mut self) -> BoundMut<T> {
        let cell = self.cell.clone();
        let value = self.claim().await;
        BoundMut {
            value: Some(value),
            cell,
            _ticket: self,
        }
    }

    /// Waits until the access is granted and takes the value for it: a
    /// clone for shared access, the cell's own for exclusive access.
    async fn claim(&mut self) -> Arc<T> {
        poll_fn(|cx| {
            let waker = cx.waker().clone();
            let mut state = lock(&self.cell.state);
            if let Some(at) = state.granted.iter().position(|id| *id == self.id) {
                state.granted.swap_remove(at);
                let value = if self.exclusive {
                    state.value.take()
                } else {
                    state.value.clone()
                };
                match value {
                    Some(value) => {
                        self.claimed = true;
                        drop(state);
                        drop(waker);
                        return Poll::Ready(value);
                    }
                    // The keeper is gone, so the reactor is stopping and
                    // this call is about to be dropped: keep the access
                    // granted for `Drop` to give back, and wait.
                    None => {
                        state.granted.push(self.id);
                        return Poll::Pending;
                    }
                }
            }
            let old = state
                .queue
                .iter_mut()
                .find(|waiter| waiter.id == self.id)
                .and_then(|waiter| waiter.waker.replace(waker));
            drop(state);
            drop(old);
            Poll::Pending
        })
        .await
    }
}

impl<T: Send + Sync + 'static> Drop for Ticket<T> {
    fn drop(&mut self) {
        let (wake, removed) = {
            let mut state = lock(&self.cell.state);
            let mut wake = Vec::new();
            let mut removed = None;
            if !self.claimed {
                if let Some(at) = state.granted.iter().position(|id| *id == self.id) {
                    state.granted.swap_remove(at);
                    wake = state.release(self.exclusive);
                } else if let Some(at) = state.queue.iter().position(|w| w.id == self.id) {
                    removed = state.queue.remove(at).and_then(|waiter| waiter.waker);
                    // The one leaving may have held the others back.
                    wake = state.grant();
                }
            }
            state.calls -= 1;
            wake.extend(state.keeper_if_idle());
            (wake, removed)
        };
        drop(removed);
        wake_all(wake);
    }
}

/// Shared access to a value kept on the reactor, handed to the closure of
/// [`Bound::call`](crate::Bound::call): it derefs to the value, and is
/// owned, so it moves into the `async move` block the closure returns.
///
/// Several calls hold one at a time; a [`BoundMut`] waits for all of them
/// to be dropped.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let reactor = crochet_core::setup();
/// let names = reactor
///     .bind(|| async { vec!["ada", "grace"] })
///     .wait(Duration::from_secs(5))
///     .unwrap();
/// let first = names.call(|names: crochet_core::BoundRef<Vec<&str>>| async move { names[0] });
/// assert_eq!(first.wait(Duration::from_secs(5)), Ok("ada"));
/// ```
pub struct BoundRef<T: Send + Sync + 'static> {
    /// Dropped first, so that the cell's own reference is the only one
    /// left when the access is given back.
    value: Option<Arc<T>>,
    cell: Arc<Cell<T>>,
    _ticket: Ticket<T>,
}

impl<T: Send + Sync + 'static> Deref for BoundRef<T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.value
            .as_deref()
            .expect("a BoundRef's value is gone before its drop")
    }
}

impl<T: Send + Sync + 'static> Drop for BoundRef<T> {
    fn drop(&mut self) {
        drop(self.value.take());
        let wake = lock(&self.cell.state).release(false);
        wake_all(wake);
    }
}

impl<T: Send + Sync + fmt::Debug + 'static> fmt::Debug for BoundRef<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("BoundRef").field(&**self).finish()
    }
}

/// Exclusive access to a value kept on the reactor, handed to the closure
/// of [`Bound::call_mut`](crate::Bound::call_mut): it derefs mutably to the
/// value, and is owned, so it moves into the `async move` block.
///
/// While one exists no other call has access; dropping it (when the call
/// ends, is cancelled or panics) gives the value back for the next call.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let reactor = crochet_core::setup();
/// let counter = reactor.bind(|| async { 0_u32 }).wait(Duration::from_secs(5)).unwrap();
/// let next = counter.call_mut(|mut n: crochet_core::BoundMut<u32>| async move {
///     *n += 1;
///     *n
/// });
/// assert_eq!(next.wait(Duration::from_secs(5)), Ok(1));
/// ```
pub struct BoundMut<T: Send + Sync + 'static> {
    value: Option<Arc<T>>,
    cell: Arc<Cell<T>>,
    _ticket: Ticket<T>,
}

impl<T: Send + Sync + 'static> Deref for BoundMut<T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.value
            .as_deref()
            .expect("a BoundMut's value is gone before its drop")
    }
}

impl<T: Send + Sync + 'static> DerefMut for BoundMut<T> {
    fn deref_mut(&mut self) -> &mut T {
        let value = self
            .value
            .as_mut()
            .expect("a BoundMut's value is gone before its drop");
        // Every shared access dropped its clone before giving its access
        // back (invariant 1), so this one is the only one.
        Arc::get_mut(value).expect("the value of an exclusive access is shared")
    }
}

impl<T: Send + Sync + 'static> Drop for BoundMut<T> {
    fn drop(&mut self) {
        let value = self.value.take();
        let (wake, dropped) = {
            let mut state = lock(&self.cell.state);
            let dropped = if state.closed {
                value
            } else {
                state.value = value;
                None
            };
            (state.release(true), dropped)
        };
        drop(dropped);
        wake_all(wake);
    }
}

impl<T: Send + Sync + fmt::Debug + 'static> fmt::Debug for BoundMut<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("BoundMut").field(&**self).finish()
    }
}
