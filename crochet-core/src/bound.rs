//! `Bound`, the handle to a value that lives on the reactor (a connection,
//! a client holding runtime-bound sockets), and `EventLoop::bind`.

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::sync::Arc;
use std::time::Duration;

use crate::bound_access::{BoundMut, BoundRef, Cell, Ticket};
use crate::canceller::Canceller;
use crate::error::Error;
use crate::event_loop::EventLoop;
use crate::eventual::EventualResult;

/// A handle to a value made on the reactor and kept there: blocking code
/// uses it only through calls that run on the reactor.
///
/// Cheap to clone, `Send` and `Sync`. Made by [`EventLoop::bind`] or
/// [`EventLoop::try_bind`].
///
/// - [`call`](Self::call) runs a closure with shared access
///   ([`BoundRef`]); calls run concurrently with each other.
/// - [`call_mut`](Self::call_mut) runs one with exclusive access
///   ([`BoundMut`]): one at a time, never during a `call`.
/// - Access is granted in the order the calls were submitted, and lasts
///   as long as its guard: move the guard into the `async move` block to
///   hold it while the future runs (a closure written `|_| ..` gives the
///   access back before its future starts).
/// - Cancelling a call (or a timed-out [`wait_for`](Self::wait_for))
///   drops its future on the reactor and gives its access back; the other
///   calls go on. A panic in a call is that call's
///   [`Error::Panicked`]; the value stays usable.
/// - The value is dropped on the reactor thread once the last handle and
///   the last call are gone, or when the reactor stops. After
///   [`shutdown`](EventLoop::shutdown) every call fails with
///   [`Error::ReactorStopped`].
///
/// A `Bound` holds a handle of its loop, so the loop runs as long as one
/// of its bound values is alive.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use crochet_core::{Bound, Error};
///
/// // An async client as the async layer has it.
/// struct Greeter { greeting: String }
/// impl Greeter {
///     async fn greet(&self, name: &str) -> String { format!("{} {name}", self.greeting) }
/// }
///
/// // The blocking client of the application: it holds the bound value.
/// #[derive(Clone)]
/// struct BlockingGreeter(Bound<Greeter>);
/// impl BlockingGreeter {
///     fn connect(timeout: Duration) -> Result<Self, Error> {
///         let make = || async { Greeter { greeting: "hello".into() } };
///         crochet_core::setup().bind(make).wait(timeout).map(BlockingGreeter)
///     }
///     fn greet(&self, name: &str, timeout: Duration) -> Result<String, Error> {
///         let name = name.to_owned();
///         self.0.wait_for(timeout, move |g| async move { g.greet(&name).await })
///     }
/// }
///
/// let client = BlockingGreeter::connect(Duration::from_secs(5)).unwrap();
/// assert_eq!(client.greet("world", Duration::from_secs(5)).unwrap(), "hello world");
/// ```
pub struct Bound<T: Send + Sync + 'static> {
    cell: Arc<Cell<T>>,
    event_loop: EventLoop,
}

impl EventLoop {
    /// Runs `make` on the reactor and keeps the value its future returns
    /// there; the result is the [`Bound`] handle to it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::setup();
    /// let bound = reactor.bind(|| async { String::from("on the reactor") });
    /// let bound = bound.wait(Duration::from_secs(5)).unwrap();
    /// let len = bound.call(|s| async move { s.len() }).wait(Duration::from_secs(5));
    /// assert_eq!(len, Ok(14));
    /// ```
    #[track_caller]
    pub fn bind<F, Fut, T>(&self, make: F) -> EventualResult<Bound<T>>
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = T> + Send + 'static,
        T: Send + Sync + 'static,
    {
        let location = Location::caller();
        let event_loop = self.clone();
        self.submit(location, None, None, move || async move {
            let value = make().await;
            Bound::keep(event_loop, value, location)
        })
    }

    /// As [`bind`](Self::bind), for a `make` that can fail (a connect): a
    /// value `Ok(t)` is kept and handed back as `Ok(Bound<T>)`; an `Err(e)`
    /// is handed back as it is.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::setup();
    /// let refused = reactor.try_bind(|| async { Err::<u32, _>("connection refused") });
    /// assert_eq!(refused.wait(Duration::from_secs(5)).unwrap().err(), Some("connection refused"));
    /// let bound = reactor.try_bind(|| async { Ok::<_, String>(7_u32) });
    /// assert!(bound.wait(Duration::from_secs(5)).unwrap().is_ok());
    /// ```
    #[track_caller]
    pub fn try_bind<F, Fut, T, E>(&self, make: F) -> EventualResult<Result<Bound<T>, E>>
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
        T: Send + Sync + 'static,
        E: Send + 'static,
    {
        let location = Location::caller();
        let event_loop = self.clone();
        self.submit(location, None, None, move || async move {
            let value = make().await?;
            Ok(Bound::keep(event_loop, value, location))
        })
    }
}

impl<T: Send + Sync + 'static> Bound<T> {
    /// Puts `value` in a cell and starts its keeper; runs on the reactor.
    pub(crate) fn keep(
        event_loop: EventLoop,
        value: T,
        location: &'static Location<'static>,
    ) -> Bound<T> {
        let cell = Arc::new(Cell::new(value));
        let keeper = cell.clone().keeper();
        // If the loop stopped meanwhile, the closure is dropped unrun here,
        // on the reactor, and the keeper's drop drops the value.
        drop(event_loop.submit(location, None, None, move || keeper.run()));
        Bound { cell, event_loop }
    }

    /// Runs `f` on the reactor with shared access to the value, and drives
    /// the future it returns there. Calls run concurrently with each other.
    ///
    /// `f` gets a [`BoundRef`], which derefs to the value and moves into
    /// the `async move` block. Cancelling the result drops the call's
    /// future on the reactor and gives its access back.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::setup();
    /// let words = reactor.bind(|| async { vec!["a", "b"] }).wait(Duration::from_secs(5)).unwrap();
    /// let count = words.call(|w| async move { w.len() });
    /// assert_eq!(count.wait(Duration::from_secs(5)), Ok(2));
    /// ```
    #[track_caller]
    pub fn call<F, Fut, R>(&self, f: F) -> EventualResult<R>
    where
        F: FnOnce(BoundRef<T>) -> Fut + Send + 'static,
        Fut: Future<Output = R> + Send + 'static,
        R: Send + 'static,
    {
        self.submit_shared(Location::caller(), None, f)
    }

    /// Runs `f` on the reactor with exclusive access to the value: one
    /// `call_mut` at a time, in the order submitted, never during a
    /// [`call`](Self::call).
    ///
    /// `f` gets a [`BoundMut`], which derefs mutably to the value and moves
    /// into the `async move` block.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::setup();
    /// let log = reactor.bind(|| async { Vec::new() }).wait(Duration::from_secs(5)).unwrap();
    /// log.call_mut(|mut log| async move { log.push("first") });
    /// let pushed = log.call_mut(|mut log| async move {
    ///     log.push("second");
    ///     log.clone()
    /// });
    /// assert_eq!(pushed.wait(Duration::from_secs(5)), Ok(vec!["first", "second"]));
    /// ```
    #[track_caller]
    pub fn call_mut<F, Fut, R>(&self, f: F) -> EventualResult<R>
    where
        F: FnOnce(BoundMut<T>) -> Fut + Send + 'static,
        Fut: Future<Output = R> + Send + 'static,
        R: Send + 'static,
    {
        self.submit_exclusive(Location::caller(), None, f)
    }

    /// As [`call`](Self::call), with a canceller: `cancel` runs on the
    /// reactor after the call was cancelled (by
    /// [`EventualResult::cancel`] or a timed-out
    /// [`EventualResult::wait_or_cancel`]) and its future dropped, never
    /// when the call finished; see
    /// [`EventLoop::run_in_reactor_with_canceller`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::setup();
    /// let bound = reactor.bind(|| async {}).wait(Duration::from_secs(5)).unwrap();
    /// let (cleaned, cleanup) = std::sync::mpsc::channel();
    /// let slow = bound.call_with_canceller(
    ///     |_| std::future::pending::<()>(),
    ///     move || async move { cleaned.send("cancel the query").unwrap() },
    /// );
    /// assert_eq!(slow.wait_or_cancel(Duration::from_millis(20)), Err(crochet_core::Error::Timeout));
    /// assert_eq!(cleanup.recv_timeout(Duration::from_secs(5)), Ok("cancel the query"));
    /// ```
    #[track_caller]
    pub fn call_with_canceller<F, Fut, R, C, CFut>(&self, f: F, cancel: C) -> EventualResult<R>
    where
        F: FnOnce(BoundRef<T>) -> Fut + Send + 'static,
        Fut: Future<Output = R> + Send + 'static,
        R: Send + 'static,
        C: FnOnce() -> CFut + Send + 'static,
        CFut: Future<Output = ()> + Send + 'static,
    {
        self.submit_shared(Location::caller(), Some(Canceller::new(cancel)), f)
    }

    /// As [`call_mut`](Self::call_mut), with a canceller; see
    /// [`call_with_canceller`](Self::call_with_canceller).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::setup();
    /// let bound = reactor.bind(|| async { 0_u8 }).wait(Duration::from_secs(5)).unwrap();
    /// let (cleaned, cleanup) = std::sync::mpsc::channel();
    /// let slow = bound.call_mut_with_canceller(
    ///     |n| async move {
    ///         let _holding = n;
    ///         std::future::pending::<()>().await
    ///     },
    ///     move || async move { cleaned.send(()).unwrap() },
    /// );
    /// slow.cancel();
    /// assert_eq!(cleanup.recv_timeout(Duration::from_secs(5)), Ok(()));
    /// // The exclusive access was given back.
    /// assert_eq!(bound.call_mut(|n| async move { *n }).wait(Duration::from_secs(5)), Ok(0));
    /// ```
    #[track_caller]
    pub fn call_mut_with_canceller<F, Fut, R, C, CFut>(&self, f: F, cancel: C) -> EventualResult<R>
    where
        F: FnOnce(BoundMut<T>) -> Fut + Send + 'static,
        Fut: Future<Output = R> + Send + 'static,
        R: Send + 'static,
        C: FnOnce() -> CFut + Send + 'static,
        CFut: Future<Output = ()> + Send + 'static,
    {
        self.submit_exclusive(Location::caller(), Some(Canceller::new(cancel)), f)
    }

    /// [`call`](Self::call), then waits up to `timeout` for its result; on
    /// timeout the call is cancelled, as [`EventLoop::wait_for`] does.
    ///
    /// # Errors
    ///
    /// - [`Error::WaitInReactorThread`] on the reactor thread, without
    ///   running `f`;
    /// - [`Error::Timeout`] after cancelling the call (a result that won
    ///   the race with the cancel is returned instead);
    /// - the call's failure: [`Error::Panicked`] or
    ///   [`Error::ReactorStopped`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::setup();
    /// let bound = reactor.bind(|| async { 2_u32 }).wait(Duration::from_secs(5)).unwrap();
    /// assert_eq!(bound.wait_for(Duration::from_secs(5), |n| async move { *n * 21 }), Ok(42));
    /// let slow = bound.wait_for(Duration::from_millis(10), |_| std::future::pending::<()>());
    /// assert_eq!(slow, Err(crochet_core::Error::Timeout));
    /// ```
    #[track_caller]
    pub fn wait_for<F, Fut, R>(&self, timeout: Duration, f: F) -> Result<R, Error>
    where
        F: FnOnce(BoundRef<T>) -> Fut + Send + 'static,
        Fut: Future<Output = R> + Send + 'static,
        R: Send + 'static,
    {
        self.wait_shared(Location::caller(), timeout, None, f)
    }

    /// As [`wait_for`](Self::wait_for), with a canceller that runs on the
    /// reactor if the wait times out and cancels the call (a statement
    /// stopped on the server); see [`call_with_canceller`](Self::call_with_canceller).
    ///
    /// # Errors
    ///
    /// As [`wait_for`](Self::wait_for).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::setup();
    /// let bound = reactor.bind(|| async {}).wait(Duration::from_secs(5)).unwrap();
    /// let (cleaned, cleanup) = std::sync::mpsc::channel();
    /// let slow = bound.wait_for_with_canceller(
    ///     Duration::from_millis(20),
    ///     |_| std::future::pending::<()>(),
    ///     move || async move { cleaned.send("cancel the query").unwrap() },
    /// );
    /// assert_eq!(slow, Err(crochet_core::Error::Timeout));
    /// assert_eq!(cleanup.recv_timeout(Duration::from_secs(5)), Ok("cancel the query"));
    /// ```
    #[track_caller]
    pub fn wait_for_with_canceller<F, Fut, R, C, CFut>(
        &self,
        timeout: Duration,
        f: F,
        cancel: C,
    ) -> Result<R, Error>
    where
        F: FnOnce(BoundRef<T>) -> Fut + Send + 'static,
        Fut: Future<Output = R> + Send + 'static,
        R: Send + 'static,
        C: FnOnce() -> CFut + Send + 'static,
        CFut: Future<Output = ()> + Send + 'static,
    {
        let canceller = Some(Canceller::new(cancel));
        self.wait_shared(Location::caller(), timeout, canceller, f)
    }

    /// The loop the value lives on.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::setup();
    /// let bound = reactor.bind(|| async { 1 }).wait(Duration::from_secs(5)).unwrap();
    /// assert_eq!(bound.event_loop().id(), reactor.id());
    /// ```
    pub fn event_loop(&self) -> &EventLoop {
        &self.event_loop
    }

    /// A place in the queue for access to the value, taken now, in
    /// submission order; its access is claimed on the reactor.
    pub(crate) fn ticket(&self, exclusive: bool) -> Ticket<T> {
        self.cell.ticket(exclusive)
    }

    /// A shared call waited for up to `timeout`, cancelled on timeout;
    /// refused on the reactor thread before anything is submitted.
    fn wait_shared<F, Fut, R>(
        &self,
        location: &'static Location<'static>,
        timeout: Duration,
        canceller: Option<Canceller>,
        f: F,
    ) -> Result<R, Error>
    where
        F: FnOnce(BoundRef<T>) -> Fut + Send + 'static,
        Fut: Future<Output = R> + Send + 'static,
        R: Send + 'static,
    {
        if self.event_loop.is_reactor_thread() {
            return Err(Error::WaitInReactorThread);
        }
        self.submit_shared(location, canceller, f)
            .wait_or_stop(timeout, EventualResult::cancel_now)
    }

    fn submit_shared<F, Fut, R>(
        &self,
        location: &'static Location<'static>,
        canceller: Option<Canceller>,
        f: F,
    ) -> EventualResult<R>
    where
        F: FnOnce(BoundRef<T>) -> Fut + Send + 'static,
        Fut: Future<Output = R> + Send + 'static,
        R: Send + 'static,
    {
        let ticket = self.ticket(false);
        self.event_loop
            .submit(location, None, canceller, move || async move {
                f(ticket.shared().await).await
            })
    }

    fn submit_exclusive<F, Fut, R>(
        &self,
        location: &'static Location<'static>,
        canceller: Option<Canceller>,
        f: F,
    ) -> EventualResult<R>
    where
        F: FnOnce(BoundMut<T>) -> Fut + Send + 'static,
        Fut: Future<Output = R> + Send + 'static,
        R: Send + 'static,
    {
        let ticket = self.cell.ticket(true);
        self.event_loop
            .submit(location, None, canceller, move || async move {
                f(ticket.exclusive().await).await
            })
    }
}

impl<T: Send + Sync + 'static> Clone for Bound<T> {
    fn clone(&self) -> Bound<T> {
        self.cell.add_handle();
        Bound {
            cell: self.cell.clone(),
            event_loop: self.event_loop.clone(),
        }
    }
}

impl<T: Send + Sync + 'static> Drop for Bound<T> {
    fn drop(&mut self) {
        self.cell.drop_handle();
    }
}

impl<T: Send + Sync + 'static> fmt::Debug for Bound<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bound")
            .field("event_loop", &self.event_loop)
            .finish_non_exhaustive()
    }
}
