//! The cancellation token that work can watch.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use crate::sync::{lock, AtomicBool, Mutex, Ordering};

/// A flag that fires once, when the work it belongs to is cancelled or its
/// reactor stops.
///
/// Work submitted with
/// [`run_in_reactor_with_token`](crate::EventLoop::run_in_reactor_with_token)
/// receives one. Crochet fires it on the reactor thread just before it drops
/// the work's future, so code the future left running elsewhere (a spawned
/// task, a connection pool) can clean up, as a Twisted canceller does.
///
/// Tokens are cheap to clone; every clone sees the same flag. A token made
/// with [`CancellationToken::new`] lets the async layer be unit-tested
/// without crochet.
///
/// # Examples
///
/// ```
/// use crochet_core::CancellationToken;
///
/// let token = CancellationToken::new();
/// let watcher = token.clone();
/// assert!(!watcher.is_cancelled());
/// token.cancel();
/// assert!(watcher.is_cancelled());
/// // The future of a fired token is ready at once.
/// crochet_core::setup()
///     .wait_for(std::time::Duration::from_secs(5), move || watcher.cancelled())
///     .unwrap();
/// ```
#[derive(Clone, Default)]
pub struct CancellationToken {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    // ORDERING: written with Release under `waiters`' lock and read with
    // Acquire, so a reader that sees `true` sees everything done before
    // `cancel`; registration re-checks it under the lock, so no waker is lost.
    cancelled: AtomicBool,
    waiters: Mutex<Waiters>,
}

#[derive(Default)]
struct Waiters {
    next_id: u64,
    wakers: Vec<(u64, Waker)>,
}

impl CancellationToken {
    /// A token that has not fired.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!crochet_core::CancellationToken::new().is_cancelled());
    /// ```
    pub fn new() -> CancellationToken {
        CancellationToken::default()
    }

    /// Fires the token and wakes every [`cancelled`](Self::cancelled)
    /// future. Firing twice does nothing more.
    ///
    /// # Examples
    ///
    /// ```
    /// let token = crochet_core::CancellationToken::new();
    /// token.cancel();
    /// token.cancel();
    /// assert!(token.is_cancelled());
    /// ```
    pub fn cancel(&self) {
        let wakers = {
            let mut waiters = lock(&self.inner.waiters);
            if self.inner.cancelled.swap(true, Ordering::AcqRel) {
                return;
            }
            std::mem::take(&mut waiters.wakers)
        };
        for (_, waker) in wakers {
            waker.wake();
        }
    }

    /// Whether the token has fired.
    ///
    /// # Examples
    ///
    /// See [`CancellationToken`].
    pub fn is_cancelled(&self) -> bool {
        self.inner.cancelled.load(Ordering::Acquire)
    }

    /// A future that completes once the token has fired.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future unregisters it; nothing is lost, since the token
    /// stays fired.
    ///
    /// # Examples
    ///
    /// See [`CancellationToken`].
    pub fn cancelled(&self) -> WaitForCancellation {
        WaitForCancellation {
            token: self.clone(),
            id: None,
        }
    }
}

impl fmt::Debug for CancellationToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancellationToken")
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}

/// The future returned by [`CancellationToken::cancelled`].
///
/// # Examples
///
/// ```
/// let token = crochet_core::CancellationToken::new();
/// let fired: crochet_core::WaitForCancellation = token.cancelled();
/// token.cancel();
/// crochet_core::setup()
///     .wait_for(std::time::Duration::from_secs(5), move || fired)
///     .unwrap();
/// ```
#[must_use = "futures do nothing unless polled"]
#[derive(Debug)]
pub struct WaitForCancellation {
    token: CancellationToken,
    /// Our entry in the token's waker list, once registered.
    id: Option<u64>,
}

impl Future for WaitForCancellation {
    type Output = ();

    /// Cloning a waker and dropping the one it replaces run the waker's own
    /// code, which may use this token again: both happen with the lock
    /// released.
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        let mut clone = None;
        loop {
            if this.token.is_cancelled() {
                return Poll::Ready(());
            }
            let mut waiters = lock(&this.token.inner.waiters);
            if this.token.is_cancelled() {
                drop(waiters);
                drop(clone);
                return Poll::Ready(());
            }
            let entry = this
                .id
                .and_then(|id| waiters.wakers.iter_mut().find(|(i, _)| *i == id));
            match (entry, clone.take()) {
                (Some((_, stored)), _) if stored.will_wake(cx.waker()) => return Poll::Pending,
                (Some((_, stored)), Some(clone)) => {
                    let old = std::mem::replace(stored, clone);
                    drop(waiters);
                    drop(old);
                    return Poll::Pending;
                }
                (None, Some(clone)) => {
                    let id = waiters.next_id;
                    waiters.next_id += 1;
                    waiters.wakers.push((id, clone));
                    this.id = Some(id);
                    return Poll::Pending;
                }
                (_, None) => {}
            }
            drop(waiters);
            clone = Some(cx.waker().clone());
        }
    }
}

impl Drop for WaitForCancellation {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            let removed = {
                let mut waiters = lock(&self.token.inner.waiters);
                let wakers = &mut waiters.wakers;
                wakers
                    .iter()
                    .position(|(i, _)| *i == id)
                    .map(|at| wakers.swap_remove(at))
            };
            // The waker's `Drop` runs with the lock released.
            drop(removed);
        }
    }
}
