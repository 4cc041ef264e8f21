//! Crochet over [tokio]: blocking code hands work to a tokio runtime running
//! on a thread of its own, waits for the result with a timeout, and cancels
//! the work it gave up on.
//!
//! The work runs as an ordinary tokio task, so it can use tokio's timers,
//! sockets and `tokio::spawn`. Everything else (results, timeouts,
//! cancellation, the stash) is [`crochet_core`]'s and behaves the same on
//! every runtime.
//!
//! ```
//! use std::time::Duration;
//! use crochet_core::Error;
//!
//! // The async layer: plain tokio code.
//! async fn slow_double(n: u32, delay: Duration) -> u32 {
//!     tokio::time::sleep(delay).await;
//!     n * 2
//! }
//!
//! // The public blocking API: waits with a timeout, cancels on timeout.
//! fn double(n: u32, delay: Duration, timeout: Duration) -> Result<u32, Error> {
//!     crochet_tokio::setup().wait_for(timeout, move || slow_double(n, delay))
//! }
//!
//! let quick = double(21, Duration::from_millis(1), Duration::from_secs(5));
//! assert_eq!(quick, Ok(42));
//! let too_slow = double(21, Duration::from_secs(60), Duration::from_millis(20));
//! assert_eq!(too_slow, Err(Error::Timeout));
//! ```
//!
//! # Switching from the built-in reactor
//!
//! Only the line that sets the loop up changes: `crochet::setup()` becomes
//! `crochet::tokio::setup()` (with the facade's `tokio` feature) or
//! `crochet_tokio::setup()`. The [`EventLoop`] it returns is the same type
//! with the same methods.
//!
//! # Which loop to use
//!
//! - [`setup`]: the process-wide loop, a current-thread runtime on a thread
//!   named `crochet-tokio`.
//! - [`start`] and [`Builder`]: private loops, current-thread or
//!   multi-thread, stopped by [`EventLoop::shutdown`] or when their last
//!   handle is dropped.
//! - [`no_setup`] and [`attach`]: for applications that already run tokio;
//!   the work runs on the application's runtime, which crochet never stops.
//!
//! A blocking wait is refused with [`Error::WaitInReactorThread`] wherever
//! it could deadlock the loop: on its dedicated thread, on every thread
//! that runs its runtime's scheduler (a worker of a multi-thread runtime,
//! the thread inside a current-thread runtime's `block_on`), in a task
//! inside `tokio::task::unconstrained` as in any other, and in a
//! multi-thread runtime's `block_on` while tokio's cooperative budget
//! constrains it. Blocking code in `tokio::task::spawn_blocking` or
//! `block_in_place` may wait, and so may a thread that only entered the
//! runtime (`Handle::enter`) or whose own `block_on` has returned. This
//! holds for a runtime crochet built and for one attached with
//! [`no_setup`] or [`attach`] alike.
//!
//! One place is not recognised: `tokio::task::unconstrained` inside the
//! `block_on` of a multi-thread runtime, whose thread is not a worker. There
//! a wait blocks that thread only, while the workers go on running the
//! work; it returns when the work is done or at its timeout.
//!
//! # Tokio's features
//!
//! This crate turns on tokio's `rt`, `rt-multi-thread`, `time` and `net`.
//! Work that uses other parts of tokio (`fs`, `process`, `signal`,
//! `io-util`, `sync`, ...) needs them turned on in the application's own
//! `tokio` dependency; Cargo merges the features, so both use one tokio.
//!
//! # Cancel safety
//!
//! Cancelling work ([`EventualResult::cancel`], or a
//! [`EventLoop::wait_for`] that timed out) drops its future on the runtime
//! at its next poll, as aborting a tokio task does: the future stops at the
//! `.await` it was suspended at, and its locals are dropped there (a
//! `TcpStream` closes). What it handed to `tokio::spawn` keeps running
//! unless it watches the work's [`CancellationToken`]:
//!
//! ```
//! use std::sync::mpsc;
//! use std::time::Duration;
//! use crochet_core::Error;
//!
//! let reactor = crochet_tokio::start();
//! let (started, has_started) = mpsc::channel();
//! let (stopped, has_stopped) = mpsc::channel();
//! let result = reactor.run_in_reactor_with_token(move |token| async move {
//!     // A helper task that outlives the work's future unless told to stop.
//!     tokio::spawn(async move {
//!         token.cancelled().await;
//!         stopped.send("helper stopped").unwrap();
//!     });
//!     started.send(()).unwrap();
//!     std::future::pending::<()>().await
//! });
//! has_started.recv_timeout(Duration::from_secs(5)).unwrap();
//! result.cancel();
//! assert_eq!(has_stopped.recv_timeout(Duration::from_secs(5)), Ok("helper stopped"));
//! assert_eq!(result.wait(Duration::from_secs(5)), Err(Error::Cancelled));
//! ```
//!
//! Awaiting an [`EventualResult`] in a task is cancel safe: dropping that
//! future (as `tokio::select!` does) loses nothing, and a later wait or
//! `.await` gets the result.
//!
//! [`EventualResult`]: crochet_core::EventualResult
//! [`EventualResult::cancel`]: crochet_core::EventualResult::cancel
//! [`CancellationToken`]: crochet_core::CancellationToken
//! [tokio]: https://docs.rs/tokio

#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations)]

use crochet_core::reactor::GlobalLoop;
use crochet_core::{Error, EventLoop};
use tokio::runtime::Handle;

mod builder;
pub use builder::Builder;

// Blocking `Read`/`Write` over the runtime's async I/O.
pub mod io;

// The `Reactor` over a tokio runtime, owned or attached.
mod reactor;

/// The process-wide loop: the first call starts a current-thread tokio
/// runtime, with I/O and timers, on a thread named `crochet-tokio`; every
/// later call returns the same loop. If [`no_setup`] ran first, it returns
/// that attached loop instead.
///
/// # Panics
///
/// On the first call, if the operating system cannot create the thread or
/// the runtime's I/O driver.
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
/// let reactor = crochet_tokio::setup();
/// assert_eq!(reactor.id(), crochet_tokio::setup().id());
/// let thread = reactor.call_in_reactor(|| std::thread::current().name().map(String::from));
/// assert_eq!(thread.wait(Duration::from_secs(5)).unwrap().as_deref(), Some("crochet-tokio"));
/// ```
pub fn setup() -> EventLoop {
    GLOBAL.get_or_start(start)
}

/// A new, private loop: a current-thread tokio runtime on a thread of its
/// own, stopped by [`EventLoop::shutdown`] or when its last handle is
/// dropped. [`Builder`] makes other kinds.
///
/// # Panics
///
/// If the operating system cannot create the thread or the runtime's I/O
/// driver; [`Builder::start`] returns that error instead.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let reactor = crochet_tokio::start();
/// let slept = reactor.wait_for(Duration::from_secs(5), || async {
///     tokio::time::sleep(Duration::from_millis(1)).await;
///     "awake"
/// });
/// assert_eq!(slept, Ok("awake"));
/// assert!(reactor.shutdown(Duration::from_secs(5)));
/// ```
pub fn start() -> EventLoop {
    Builder::new_current_thread()
        .start()
        .expect("crochet-tokio: could not start the tokio runtime")
}

/// Attaches the process-wide loop to the runtime behind `handle`, for
/// applications that already run tokio: no thread is started, the work runs
/// as tasks of that runtime, and later [`setup`] calls return this loop, so
/// libraries that call `setup()` share the application's runtime.
///
/// The application keeps running its runtime; a blocking wait is refused
/// on its tasks (await the result there) and allowed in
/// `spawn_blocking`. Shutting the loop down stops nothing of the
/// application's.
///
/// # Errors
///
/// [`Error::AlreadySetUp`] if [`setup`] or `no_setup` already ran in this
/// process.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// // The application's own runtime.
/// let runtime = tokio::runtime::Runtime::new().unwrap();
/// let reactor = crochet_tokio::no_setup(runtime.handle().clone()).unwrap();
/// assert_eq!(crochet_tokio::setup().id(), reactor.id());
/// assert!(crochet_tokio::no_setup(runtime.handle().clone()).is_err());
///
/// let answer = reactor.wait_for(Duration::from_secs(5), || async {
///     tokio::time::sleep(Duration::from_millis(1)).await;
///     42
/// });
/// assert_eq!(answer, Ok(42));
/// ```
pub fn no_setup(handle: Handle) -> Result<EventLoop, Error> {
    GLOBAL.install(|| attach(handle))
}

/// A private loop over the runtime behind `handle`, which the application
/// runs: as [`no_setup`], without making it the process-wide loop.
///
/// [`EventLoop::shutdown`] fails crochet's pending results with
/// [`Error::ReactorStopped`] and leaves the application's runtime running.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let runtime = tokio::runtime::Runtime::new().unwrap();
/// let reactor = crochet_tokio::attach(runtime.handle().clone());
/// assert_eq!(reactor.wait_for(Duration::from_secs(5), || async { 7 }), Ok(7));
/// assert!(reactor.shutdown(Duration::from_secs(5)));
/// // The application's runtime still runs.
/// assert_eq!(runtime.block_on(async { 8 }), 8);
/// ```
pub fn attach(handle: Handle) -> EventLoop {
    EventLoop::new(|_| reactor::Tokio::new(&handle, None))
}

/// The process-wide loop, shared by every caller in the process.
static GLOBAL: GlobalLoop = GlobalLoop::new();
