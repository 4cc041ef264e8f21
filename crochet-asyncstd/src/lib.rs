//! Crochet over [async-std]: blocking code hands work to an async-std task
//! running on a thread of its own, waits for the result with a timeout, and
//! cancels the work it gave up on.
//!
//! **async-std is discontinued upstream**; its authors point to smol, and new
//! programs should use crochet's smol adapter (`crochet-smol`, the `crochet`
//! facade's `smol` feature). This adapter exists because programs still use
//! async-std, and their async code can keep it.
//!
//! The work can use async-std's timers ([`async_std::task::sleep`]) and I/O
//! ([`async_std::net`]) as any async-std task does, and
//! [`async_std::task::current`] and task-locals work in it. All work of one
//! loop runs inside one async-std task, named `crochet-async-std`, so
//! task-locals belong to the loop rather than to one piece of work.
//! Everything else (the [`EventLoop`] handle,
//! [`EventualResult`](crochet_core::EventualResult), cancellation, errors)
//! is crochet's, the same for every runtime.
//!
//! ```
//! use std::time::Duration;
//! use crochet_core::Error;
//!
//! // The async layer: plain async-std code.
//! async fn slow_double(n: u32, delay: Duration) -> u32 {
//!     async_std::task::sleep(delay).await;
//!     n * 2
//! }
//!
//! // The public blocking API: waits with a timeout, cancels on timeout.
//! fn double(n: u32, delay: Duration, timeout: Duration) -> Result<u32, Error> {
//!     crochet_asyncstd::setup().wait_for(timeout, move || slow_double(n, delay))
//! }
//!
//! let quick = double(21, Duration::from_millis(1), Duration::from_secs(5));
//! assert_eq!(quick, Ok(42));
//! // The sleep outlives the timeout: the work is cancelled (its future
//! // dropped on the reactor thread) before the timeout is reported.
//! let too_slow = double(21, Duration::from_secs(60), Duration::from_millis(20));
//! assert_eq!(too_slow, Err(Error::Timeout));
//! ```
//!
//! # Switching from another runtime
//!
//! Only the feature and the line that sets the loop up change: with the
//! `crochet` facade's `async-std` feature, `crochet::setup()` or
//! `crochet::tokio::setup()` becomes `crochet::async_std::setup()` (or
//! `crochet_asyncstd::setup()` without the facade). The [`EventLoop`] it
//! returns is the same type with the same methods.
//!
//! # Which loop to use
//!
//! - [`setup`]: the process-wide loop, on a thread named
//!   `crochet-async-std`.
//! - [`start`]: a private loop on a thread of its own, stopped by
//!   [`EventLoop::shutdown`] or when its last handle is dropped.
//!
//! A blocking wait is refused with
//! [`Error::WaitInReactorThread`](crochet_core::Error::WaitInReactorThread)
//! on the loop's thread, the only one that runs its work. async-std's own
//! threads (`task::spawn`, `task::spawn_blocking`) never run it, so a wait
//! there cannot deadlock the loop and is allowed.
//!
//! # Cancel safety
//!
//! Cancelling work ([`EventualResult::cancel`], or a
//! [`EventLoop::wait_for`] that timed out) drops its future on the reactor
//! thread at its next poll: the future stops at the `.await` it was
//! suspended at, and its locals are dropped there. Tasks it started with
//! `async_std::task::spawn` are detached and keep running unless they watch
//! the work's [`CancellationToken`].
//!
//! ```
//! use std::sync::mpsc;
//! use std::time::Duration;
//! use crochet_core::Error;
//!
//! /// Reports the thread it is dropped on.
//! struct Connection(mpsc::Sender<Option<String>>);
//!
//! impl Drop for Connection {
//!     fn drop(&mut self) {
//!         let _ = self.0.send(std::thread::current().name().map(String::from));
//!     }
//! }
//!
//! let (closed, closed_on) = mpsc::channel();
//! let slow = crochet_asyncstd::setup().wait_for(Duration::from_millis(200), move || async move {
//!     let _connection = Connection(closed);
//!     async_std::task::sleep(Duration::from_secs(60)).await;
//! });
//! assert_eq!(slow, Err(Error::Timeout));
//! // The future was dropped on the reactor thread, closing its connection there.
//! let thread = closed_on.recv_timeout(Duration::from_secs(5)).unwrap();
//! assert_eq!(thread.as_deref(), Some("crochet-async-std"));
//! ```
//!
//! Awaiting an [`EventualResult`] is cancel safe: dropping that future
//! loses nothing, and a later wait or `.await` gets the result.
//!
//! [`EventualResult`]: crochet_core::EventualResult
//! [`EventualResult::cancel`]: crochet_core::EventualResult::cancel
//! [`CancellationToken`]: crochet_core::CancellationToken
//!
//! [async-std]: https://docs.rs/async-std

#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations)]

use crochet_core::reactor::GlobalLoop;
use crochet_core::EventLoop;

// The `Reactor`: an executor on a dedicated thread, inside an async-std task.
mod reactor;

// Blocking `Read`/`Write` over the runtime's async I/O.
pub mod io;
use reactor::start_owned;

/// The process-wide async-std loop: the first call starts it on a dedicated
/// thread named `crochet-async-std`; every later call returns the same loop.
///
/// # Panics
///
/// If the operating system cannot create the reactor thread.
///
/// # Fork
///
/// A process made by `fork()` gets a copy of the loop but not its runtime's
/// thread. There, every use of a loop started before the fork fails at once
/// with `Error::StartedBeforeFork`: new work, waits on results submitted
/// before the fork, `wait_for`, and `setup()`, which still returns that
/// loop. Call `setup()` only after forking: in a pre-fork server, in each
/// worker process, not in the parent (or start a private loop in the child
/// with `start`).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let reactor = crochet_asyncstd::setup();
/// assert_eq!(reactor.id(), crochet_asyncstd::setup().id());
/// let task = reactor.wait_for(Duration::from_secs(5), || async {
///     async_std::task::current().name().map(String::from)
/// });
/// assert_eq!(task.unwrap().as_deref(), Some("crochet-async-std"));
/// ```
pub fn setup() -> EventLoop {
    static GLOBAL: GlobalLoop = GlobalLoop::new();
    GLOBAL.get_or_start(start)
}

/// A new, private async-std loop on a thread of its own, stopped by
/// [`EventLoop::shutdown`] or when its last handle is dropped. Stopping it
/// drops the work still pending on its thread.
///
/// # Panics
///
/// If the operating system cannot create the reactor thread.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let reactor = crochet_asyncstd::start();
/// assert_ne!(reactor.id(), crochet_asyncstd::setup().id());
/// let slept = reactor.wait_for(Duration::from_secs(5), || {
///     async_std::task::sleep(Duration::from_millis(1))
/// });
/// assert_eq!(slept, Ok(()));
/// assert!(reactor.shutdown(Duration::from_secs(5)));
/// ```
pub fn start() -> EventLoop {
    EventLoop::new(|id| {
        start_owned(id).expect("crochet-asyncstd: could not spawn the reactor thread")
    })
}
