//! `EventualResult::wait_or_cancel`: a wait that cancels on timeout and
//! cannot lose a result that arrives meanwhile.

use std::time::Duration;

use crate::error::Error;
use crate::eventual::EventualResult;

impl<T> EventualResult<T> {
    /// Waits up to `timeout` for the result; on timeout cancels the work
    /// and returns [`Error::Timeout`], the error
    /// [`EventLoop::wait_for`](crate::EventLoop::wait_for) gives.
    ///
    /// A result that arrives between the timeout and the cancel won the
    /// race: it is returned, not lost, and the work's canceller does not
    /// run. This call never returns the [`Error::Cancelled`] of its own
    /// cancel (it does return that of a cancel somebody else made before).
    ///
    /// # Errors
    ///
    /// - [`Error::Timeout`] after cancelling the work;
    /// - otherwise as [`wait`](Self::wait).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use crochet_core::Error;
    ///
    /// let reactor = crochet_core::setup();
    /// let slow = reactor.run_in_reactor(|| std::future::pending::<()>());
    /// assert_eq!(slow.wait_or_cancel(Duration::from_millis(20)), Err(Error::Timeout));
    /// // The work was cancelled.
    /// assert_eq!(slow.try_wait(), Err(Error::Cancelled));
    ///
    /// let quick = reactor.run_in_reactor(|| async { 5 });
    /// assert_eq!(quick.wait_or_cancel(Duration::from_secs(5)), Ok(5));
    /// ```
    pub fn wait_or_cancel(&self, timeout: Duration) -> Result<T, Error> {
        if self.core().is_reactor_thread() {
            return Err(Error::WaitInReactorThread);
        }
        self.wait_or_stop(timeout, EventualResult::cancel_now)
    }

    /// The wait of `wait_or_cancel` and of every `wait_for`, for a caller
    /// that has checked that this is not the reactor thread: waits up to
    /// `timeout`; on timeout settles the work with `stop` (as cancelled or
    /// as timed out, which drops its future on the reactor) and returns
    /// [`Error::Timeout`], naming a poll that blocks the reactor if one does,
    /// unless the result won that race, which is returned instead.
    pub(crate) fn wait_or_stop(
        &self,
        timeout: Duration,
        stop: fn(&Self) -> bool,
    ) -> Result<T, Error> {
        match self.wait_off_reactor(timeout) {
            Err(Error::Timeout) => {
                if !stop(self) {
                    match self.try_wait() {
                        // Cancelled by someone else meanwhile: to this
                        // wait, still its timeout.
                        Err(Error::Cancelled) => {}
                        outcome => return outcome,
                    }
                }
                self.core().monitor.explain(Err(Error::Timeout))
            }
            outcome => outcome,
        }
    }
}
