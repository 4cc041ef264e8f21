//! `Stall`: one poll of one piece of work that kept a reactor thread longer
//! than its loop's stall threshold. A plain value; who notices a stall and
//! how it is reported is decided above (`monitor`, `stall_report`).

use std::fmt;
use std::panic::Location;
use std::time::Duration;

use crate::id::LoopId;

/// One poll of one piece of work that blocked a reactor thread for longer
/// than the loop's stall threshold (see
/// [`EventLoop::set_stall_threshold`](crate::EventLoop::set_stall_threshold)).
///
/// Handed to the stall hook (see [`set_stall_hook`](crate::set_stall_hook))
/// once per such poll, and carried by [`Error::TimeoutBlocked`](crate::Error::TimeoutBlocked)
/// when a wait times out while the poll still runs.
///
/// # Examples
///
/// ```
/// use std::sync::mpsc;
/// use std::time::Duration;
///
/// let (tx, rx) = mpsc::channel();
/// crochet_core::set_stall_hook(move |stall| drop(tx.send(stall.clone())));
/// let reactor = crochet_core::start();
/// reactor.set_stall_threshold(Duration::from_millis(10));
/// // A blocking call inside the work: the reactor can do nothing else meanwhile.
/// let line = line!() + 1;
/// let done = reactor.call_in_reactor(|| std::thread::sleep(Duration::from_millis(50)));
/// let stall = rx.recv_timeout(Duration::from_secs(5)).unwrap();
/// assert_eq!(stall.location().line(), line);
/// assert_eq!(stall.loop_id(), reactor.id());
/// assert!(stall.blocked_for() >= Duration::from_millis(10));
/// done.wait(Duration::from_secs(5)).unwrap();
/// crochet_core::reset_stall_hook();
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stall {
    location: &'static Location<'static>,
    blocked_for: Duration,
    finished: bool,
    loop_id: LoopId,
}

impl Stall {
    pub(crate) fn new(
        location: &'static Location<'static>,
        blocked_for: Duration,
        finished: bool,
        loop_id: LoopId,
    ) -> Stall {
        Stall {
            location,
            blocked_for,
            finished,
            loop_id,
        }
    }

    /// Where the blocking work was submitted (the caller of
    /// `run_in_reactor`, `call_in_reactor` or `wait_for`).
    ///
    /// # Examples
    ///
    /// See [`Stall`].
    pub fn location(&self) -> &'static Location<'static> {
        self.location
    }

    /// How long the poll kept the reactor thread: all of it if the poll had
    /// returned when this was made, until then otherwise.
    ///
    /// # Examples
    ///
    /// See [`Stall`].
    pub fn blocked_for(&self) -> Duration {
        self.blocked_for
    }

    /// Whether the poll had returned when this was made; `false` when a
    /// timed-out wait or the watchdog noticed it still running.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::sync::mpsc;
    /// # use std::time::Duration;
    /// let (tx, rx) = mpsc::channel();
    /// crochet_core::set_stall_hook(move |stall| drop(tx.send(stall.finished())));
    /// let reactor = crochet_core::start();
    /// reactor.set_stall_threshold(Duration::from_millis(10));
    /// let (release, released) = mpsc::channel::<()>();
    /// let held = reactor.call_in_reactor(move || released.recv_timeout(Duration::from_secs(5)));
    /// // Noticed while the poll still runs, by the watchdog.
    /// assert_eq!(rx.recv_timeout(Duration::from_secs(5)), Ok(false));
    /// release.send(()).unwrap();
    /// held.wait(Duration::from_secs(5)).unwrap().unwrap();
    /// crochet_core::reset_stall_hook();
    /// ```
    pub fn finished(&self) -> bool {
        self.finished
    }

    /// The loop whose reactor thread was blocked.
    ///
    /// # Examples
    ///
    /// See [`Stall`].
    pub fn loop_id(&self) -> LoopId {
        self.loop_id
    }
}

impl fmt::Display for Stall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tense = if self.finished { "was" } else { "has been" };
        write!(
            f,
            "a reactor thread {tense} blocked for {:?} by one poll of work submitted at {}",
            self.blocked_for, self.location
        )?;
        if !self.finished {
            f.write_str(" (still running)")?;
        }
        Ok(())
    }
}
