//! Work submitted with a canceller: async cleanup that runs on the reactor
//! after the work was cancelled, as Twisted's `Deferred` has.

use std::future::Future;
use std::panic::Location;
use std::time::Duration;

use crate::canceller::Canceller;
use crate::error::Error;
use crate::event_loop::EventLoop;
use crate::eventual::EventualResult;

impl EventLoop {
    /// As [`run_in_reactor`](Self::run_in_reactor), with a canceller:
    /// `cancel` runs on the reactor after the work was cancelled (by
    /// [`EventualResult::cancel`] or a timed-out
    /// [`EventualResult::wait_or_cancel`] or
    /// [`wait_for_with_canceller`](Self::wait_for_with_canceller)) and its
    /// future was dropped.
    ///
    /// Dropping a future stops only what the future owns: a statement the
    /// database server runs goes on. The canceller is where it is stopped
    /// (`cancel_token().cancel_query()`). It runs once, on the reactor,
    /// never when the work finished (with a value or a panic), never on
    /// the caller's thread; if the reactor stops first, it is dropped
    /// unrun. A panic in it is reported as unhandled. Nothing times it
    /// out: keep it short (bound it with the runtime's timer if it talks
    /// to a server), since the work's task lasts until it ends.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::setup();
    /// let (cleaned, cleanup) = std::sync::mpsc::channel();
    /// let query = reactor.run_in_reactor_with_canceller(
    ///     || std::future::pending::<u32>(),
    ///     move || async move { cleaned.send("statement cancelled").unwrap() },
    /// );
    /// query.cancel();
    /// assert_eq!(cleanup.recv_timeout(Duration::from_secs(5)), Ok("statement cancelled"));
    /// ```
    #[track_caller]
    pub fn run_in_reactor_with_canceller<F, Fut, C, CFut>(
        &self,
        f: F,
        cancel: C,
    ) -> EventualResult<Fut::Output>
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: Send + 'static,
        C: FnOnce() -> CFut + Send + 'static,
        CFut: Future<Output = ()> + Send + 'static,
    {
        self.submit(Location::caller(), None, Some(Canceller::new(cancel)), f)
    }

    /// As [`wait_for`](Self::wait_for), with a canceller that runs on the
    /// reactor if the wait times out and cancels the work; see
    /// [`run_in_reactor_with_canceller`](Self::run_in_reactor_with_canceller).
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
    /// let (cleaned, cleanup) = std::sync::mpsc::channel();
    /// let slow = reactor.wait_for_with_canceller(
    ///     Duration::from_millis(20),
    ///     || std::future::pending::<()>(),
    ///     move || async move { cleaned.send(()).unwrap() },
    /// );
    /// assert_eq!(slow, Err(crochet_core::Error::Timeout));
    /// assert_eq!(cleanup.recv_timeout(Duration::from_secs(5)), Ok(()));
    /// ```
    #[track_caller]
    pub fn wait_for_with_canceller<F, Fut, C, CFut>(
        &self,
        timeout: Duration,
        f: F,
        cancel: C,
    ) -> Result<Fut::Output, Error>
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: Send + 'static,
        C: FnOnce() -> CFut + Send + 'static,
        CFut: Future<Output = ()> + Send + 'static,
    {
        if self.is_reactor_thread() {
            return Err(Error::WaitInReactorThread);
        }
        self.run_in_reactor_with_canceller(f, cancel)
            .wait_or_stop(timeout, EventualResult::cancel_now)
    }
}
