//! The errors of crochet, and the failure of work that panicked.

use std::any::Any;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe, Location};
use std::sync::Arc;

use crate::id::StashId;
use crate::stall::Stall;

/// Everything that can go wrong between submitting work and getting its result.
///
/// The work's own errors are not here: work whose output is a
/// `Result<U, E>` hands its `Err(e)` back as a value. [`WorkError`] merges
/// the two when one error type is wanted.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let reactor = crochet_core::start();
/// let pending = reactor.run_in_reactor(|| std::future::pending::<()>());
/// let err = pending.wait(Duration::from_millis(10)).unwrap_err();
/// assert_eq!(err, crochet_core::Error::Timeout);
/// assert_eq!(err.to_string(), "timed out waiting for the result");
/// ```
///
/// Two errors are equal when they are the same variant with equal fields,
/// except that [`Error::Timeout`] and [`Error::TimeoutBlocked`] are all
/// equal to each other: `err == Error::Timeout` holds for every timeout,
/// whatever it says about a blocked reactor.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Error {
    /// No result arrived before the timeout or deadline. The result is not
    /// lost: a later wait can still get it.
    Timeout,
    /// As [`Error::Timeout`], and when the wait gave up, one poll of some
    /// work of the loop (the [`Stall`]) had been blocking a reactor thread
    /// for longer than the loop's stall threshold: the likely reason the
    /// result was late. Equal to [`Error::Timeout`]; match both, or use
    /// [`Error::is_timeout`].
    ///
    /// ```
    /// use std::sync::mpsc;
    /// use std::time::Duration;
    /// use crochet_core::Error;
    ///
    /// # crochet_core::set_stall_hook(|_| {});
    /// let reactor = crochet_core::start();
    /// reactor.set_stall_threshold(Duration::from_millis(10));
    /// let (started, start) = mpsc::channel();
    /// let line = line!() + 1;
    /// let blocking = reactor.call_in_reactor(move || {
    ///     started.send(()).unwrap();
    ///     std::thread::sleep(Duration::from_millis(200));
    /// });
    /// start.recv().unwrap();
    /// let err = reactor.wait_for(Duration::from_millis(50), || async {}).unwrap_err();
    /// assert_eq!(err, Error::Timeout);
    /// let Error::TimeoutBlocked(stall) = &err else { panic!("{err:?}") };
    /// assert_eq!(stall.location().line(), line);
    /// assert!(err.to_string().contains(&format!("{}", stall.location())));
    /// blocking.wait(Duration::from_secs(5)).unwrap();
    /// ```
    TimeoutBlocked(Stall),
    /// The work was cancelled before it finished.
    Cancelled,
    /// The work panicked on the reactor thread.
    Panicked(Failure),
    /// The reactor stopped before the work finished, or refused the work
    /// because it had already stopped.
    ReactorStopped,
    /// A blocking wait was attempted on the reactor thread that has to
    /// produce the result, which would deadlock. Await the result instead.
    WaitInReactorThread,
    /// The value was already moved out by an earlier wait.
    AlreadyRetrieved,
    /// No stashed result has this id: it was never stashed, or was retrieved.
    UnknownStashId(StashId),
    /// The stashed result has another type than the one asked for; it stays
    /// stashed.
    StashTypeMismatch {
        /// The id that was asked for.
        id: StashId,
        /// The type of result that was asked for.
        expected: &'static str,
        /// The type of result that is stashed under `id`.
        found: &'static str,
    },
    /// The stash holds its capacity of results (see
    /// [`set_stash_capacity`](crate::set_stash_capacity)).
    StashFull {
        /// The capacity it was full at.
        capacity: usize,
    },
    /// A string that is not a stash id was parsed as one.
    InvalidStashId,
    /// `no_setup` was called after `setup` (or `no_setup`) had already chosen
    /// the process-wide loop.
    AlreadySetUp,
    /// No loop was set up: [`default_loop`](crate::default_loop) needs a
    /// runtime's `setup()` or `no_setup()` to have run.
    NotSetUp,
    /// The loop was started in another process, before this one was made by
    /// `fork()`: its reactor thread does not exist here, so nothing it was
    /// given will ever run or finish. Start loops after forking: call
    /// `setup()` in each worker process, not in the parent before the fork.
    StartedBeforeFork,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Timeout => f.write_str("timed out waiting for the result"),
            Error::TimeoutBlocked(stall) => {
                write!(f, "timed out waiting for the result, while {stall}")
            }
            Error::Cancelled => f.write_str("the work was cancelled"),
            Error::Panicked(failure) => write!(f, "the work panicked: {failure}"),
            Error::ReactorStopped => f.write_str("the reactor has stopped"),
            Error::WaitInReactorThread => f.write_str(
                "cannot block on the reactor thread that must produce the result \
                 (it would deadlock); await the EventualResult instead",
            ),
            Error::AlreadyRetrieved => {
                f.write_str("the result was already retrieved by an earlier wait")
            }
            Error::UnknownStashId(id) => write!(
                f,
                "no stashed result has id {id}: it was never stashed or was already retrieved"
            ),
            Error::StashTypeMismatch {
                id,
                expected,
                found,
            } => write!(
                f,
                "stashed result {id} is an EventualResult<{found}>, not EventualResult<{expected}>; \
                 it stays stashed"
            ),
            Error::StashFull { capacity } => write!(
                f,
                "the stash is full ({capacity} results): retrieve some, \
                 or raise the limit with set_stash_capacity"
            ),
            Error::InvalidStashId => {
                f.write_str("not a stash id: expected 32 hexadecimal digits")
            }
            Error::AlreadySetUp => f.write_str(
                "the process-wide loop was already set up; call no_setup() before any setup()",
            ),
            Error::NotSetUp => f.write_str(
                "no event loop was set up: call setup() of a runtime \
                 (crochet::setup(), crochet::tokio::setup(), ...) first",
            ),
            Error::StartedBeforeFork => f.write_str(
                "the event loop was started before fork() and has no reactor thread in this \
                 process: call setup() after forking (in each worker process of a pre-fork \
                 server, for example), never before fork() in the parent",
            ),
        }
    }
}

impl std::error::Error for Error {}

impl Error {
    /// Whether this is a timeout: [`Error::Timeout`] or
    /// [`Error::TimeoutBlocked`].
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(crochet_core::Error::Timeout.is_timeout());
    /// assert!(!crochet_core::Error::Cancelled.is_timeout());
    /// ```
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout | Error::TimeoutBlocked(_))
    }

    /// The poll that was blocking a reactor thread when a wait timed out
    /// (see [`Error::TimeoutBlocked`]); `None` for every other error.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(crochet_core::Error::Timeout.blocked_by(), None);
    /// ```
    pub fn blocked_by(&self) -> Option<&Stall> {
        match self {
            Error::TimeoutBlocked(stall) => Some(stall),
            _ => None,
        }
    }
}

impl PartialEq for Error {
    fn eq(&self, other: &Error) -> bool {
        match (self, other) {
            (
                Error::Timeout | Error::TimeoutBlocked(_),
                Error::Timeout | Error::TimeoutBlocked(_),
            ) => true,
            (Error::Panicked(a), Error::Panicked(b)) => a == b,
            (Error::UnknownStashId(a), Error::UnknownStashId(b)) => a == b,
            (
                Error::StashTypeMismatch {
                    id,
                    expected,
                    found,
                },
                Error::StashTypeMismatch {
                    id: other_id,
                    expected: other_expected,
                    found: other_found,
                },
            ) => id == other_id && expected == other_expected && found == other_found,
            (Error::StashFull { capacity }, Error::StashFull { capacity: other }) => {
                capacity == other
            }
            // Every variant with fields is compared above: the rest are
            // equal exactly when they are the same variant.
            (a, b) => std::mem::discriminant(a) == std::mem::discriminant(b),
        }
    }
}

impl Eq for Error {}

/// The panic of work that panicked on the reactor thread: its message and
/// the place where the work was submitted.
///
/// Cheap to clone. Returned by
/// [`EventualResult::original_failure`](crate::EventualResult::original_failure)
/// and carried by [`Error::Panicked`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let reactor = crochet_core::start();
/// let result = reactor.call_in_reactor(|| -> u32 { panic!("disk on fire") });
/// # crochet_core::set_unhandled_error_hook(|_| {});
/// let Err(crochet_core::Error::Panicked(failure)) = result.wait(Duration::from_secs(5)) else {
///     panic!("expected a panic");
/// };
/// assert_eq!(failure.message(), "disk on fire");
/// assert!(failure.location().file().ends_with(".rs"));
/// ```
#[derive(Clone)]
pub struct Failure {
    inner: Arc<FailureInner>,
}

struct FailureInner {
    message: String,
    location: &'static Location<'static>,
}

impl Failure {
    /// The failure of a panic with `message`, of work submitted at
    /// `location` (see [`catch_panic`] for the message).
    pub(crate) fn new(message: String, location: &'static Location<'static>) -> Failure {
        Failure {
            inner: Arc::new(FailureInner { message, location }),
        }
    }

    /// The panic message (`"Box<dyn Any>"` when the payload was not a string).
    ///
    /// # Examples
    ///
    /// See [`Failure`].
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// Where the work was submitted (the caller of `run_in_reactor`,
    /// `call_in_reactor` or `wait_for`).
    ///
    /// # Examples
    ///
    /// See [`Failure`].
    pub fn location(&self) -> &'static Location<'static> {
        self.inner.location
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "'{}' (work submitted at {})",
            self.inner.message, self.inner.location
        )
    }
}

impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Failure")
            .field("message", &self.inner.message)
            .field("location", &self.inner.location)
            .finish()
    }
}

impl PartialEq for Failure {
    fn eq(&self, other: &Failure) -> bool {
        self.inner.message == other.inner.message && self.inner.location == other.inner.location
    }
}

impl Eq for Failure {}

/// Runs `f`, catching a panic: the panic's message in `Err`. No panic
/// escapes, not even one from dropping the payload.
pub(crate) fn catch_panic<R>(f: impl FnOnce() -> R) -> Result<R, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(panic_message)
}

/// The message of a panic payload (`"Box<dyn Any>"` when it is not a
/// string). The payload is dropped here; if its `Drop` panics, that panic's
/// payload is dropped in turn, a few times, then leaked rather than let out.
pub(crate) fn panic_message(payload: Box<dyn Any + Send>) -> String {
    let (message, rest) = match payload.downcast::<String>() {
        Ok(message) => (*message, None),
        Err(payload) => match payload.downcast::<&'static str>() {
            Ok(message) => ((*message).to_owned(), None),
            Err(payload) => ("Box<dyn Any>".to_owned(), Some(payload)),
        },
    };
    let mut rest = rest;
    for _ in 0..8 {
        match rest.take() {
            None => break,
            Some(payload) => rest = catch_unwind(AssertUnwindSafe(move || drop(payload))).err(),
        }
    }
    // A payload whose every drop panics with another such payload: keep
    // it rather than unwind out of the code that contains panics.
    std::mem::forget(rest);
    message
}

/// One error type for work whose output is a `Result<U, E>`: either the
/// work's own `E`, or crochet's [`Error`].
///
/// Made by [`flatten_work`](ResultExt::flatten_work), so that `?` works in
/// application code with a single error type.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use crochet_core::{ResultExt, WorkError};
///
/// fn parse_on_reactor(text: &'static str) -> Result<u32, WorkError<std::num::ParseIntError>> {
///     let reactor = crochet_core::setup();
///     let n = reactor
///         .wait_for(Duration::from_secs(5), move || async move { text.parse::<u32>() })
///         .flatten_work()?;
///     Ok(n * 2)
/// }
///
/// assert_eq!(parse_on_reactor("21").unwrap(), 42);
/// assert!(matches!(parse_on_reactor("x"), Err(WorkError::Work(_))));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WorkError<E> {
    /// The work ran and returned this error.
    Work(E),
    /// Crochet could not deliver the work's result.
    Crochet(Error),
}

impl<E> From<Error> for WorkError<E> {
    fn from(err: Error) -> WorkError<E> {
        WorkError::Crochet(err)
    }
}

impl<E: fmt::Display> fmt::Display for WorkError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WorkError::Work(err) => err.fmt(f),
            WorkError::Crochet(err) => err.fmt(f),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for WorkError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            WorkError::Work(err) => Some(err),
            WorkError::Crochet(err) => Some(err),
        }
    }
}

/// Flattens the result of waiting for work that itself returns a `Result`.
///
/// # Examples
///
/// See [`WorkError`].
pub trait ResultExt<U, E> {
    /// Turns `Result<Result<U, E>, Error>` into `Result<U, WorkError<E>>`.
    ///
    /// # Examples
    ///
    /// ```
    /// use crochet_core::{Error, ResultExt, WorkError};
    ///
    /// let ok: Result<Result<u8, String>, Error> = Ok(Ok(1));
    /// assert_eq!(ok.flatten_work(), Ok(1));
    /// let late: Result<Result<u8, String>, Error> = Err(Error::Timeout);
    /// assert_eq!(late.flatten_work(), Err(WorkError::Crochet(Error::Timeout)));
    /// ```
    fn flatten_work(self) -> Result<U, WorkError<E>>;
}

impl<U, E> ResultExt<U, E> for Result<Result<U, E>, Error> {
    fn flatten_work(self) -> Result<U, WorkError<E>> {
        match self {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(err)) => Err(WorkError::Work(err)),
            Err(err) => Err(WorkError::Crochet(err)),
        }
    }
}
