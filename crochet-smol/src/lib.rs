//! Crochet over [smol]: blocking code hands work to a smol executor running
//! on a thread of its own, waits for the result with a timeout, and cancels
//! the work it gave up on.
//!
//! The work runs as a task of a [`smol::Executor`] driven by
//! [`smol::block_on`], so it can use smol's timers ([`smol::Timer`]) and I/O
//! ([`smol::net`], [`smol::Async`]) as any smol task does. Everything else
//! (the [`EventLoop`] handle, [`EventualResult`](crochet_core::EventualResult),
//! cancellation, errors) is crochet's, the same for every runtime.
//!
//! ```
//! use std::time::Duration;
//! use crochet_core::Error;
//!
//! // The async layer: plain smol code.
//! async fn slow_double(n: u32, delay: Duration) -> u32 {
//!     smol::Timer::after(delay).await;
//!     n * 2
//! }
//!
//! // The public blocking API: waits with a timeout, cancels on timeout.
//! fn double(n: u32, delay: Duration, timeout: Duration) -> Result<u32, Error> {
//!     crochet_smol::setup().wait_for(timeout, move || slow_double(n, delay))
//! }
//!
//! let quick = double(21, Duration::from_millis(1), Duration::from_secs(5));
//! assert_eq!(quick, Ok(42));
//! // The timer outlives the timeout: the work is cancelled (its future
//! // dropped on the reactor thread) before the timeout is reported.
//! let too_slow = double(21, Duration::from_secs(60), Duration::from_millis(20));
//! assert_eq!(too_slow, Err(Error::Timeout));
//! ```
//!
//! # Switching from another runtime
//!
//! Only the feature and the line that sets the loop up change: with the
//! `crochet` facade's `smol` feature, `crochet::setup()` or
//! `crochet::tokio::setup()` becomes `crochet::smol::setup()` (or
//! `crochet_smol::setup()` without the facade). The [`EventLoop`] it returns
//! is the same type with the same methods.
//!
//! # Which loop to use
//!
//! - [`setup`]: the process-wide loop, a smol executor on a thread named
//!   `crochet-smol`.
//! - [`start`]: a private loop on a thread of its own, stopped by
//!   [`EventLoop::shutdown`] or when its last handle is dropped.
//! - [`no_setup`] and [`attach`]: for applications that already drive a smol
//!   executor; the work runs on it, and crochet never stops it.
//!
//! A blocking wait is refused with [`Error::WaitInReactorThread`] wherever
//! it could deadlock the loop: on the thread of a loop crochet runs, in
//! crochet's own work, and on the threads that drive an attached executor
//! through [`run`]. A thread that drives an attached executor with
//! `smol::block_on(executor.run(..))` itself is not recognised outside
//! crochet's own work: smol marks nothing on it. `smol::unblock` and smol's
//! global executor (`smol::spawn`) run on other threads, where a wait is
//! allowed.
//!
//! # Cancel safety
//!
//! Cancelling work ([`EventualResult::cancel`], or a
//! [`EventLoop::wait_for`] that timed out) drops its future on the reactor
//! thread at its next poll: the future stops at the `.await` it was
//! suspended at, and its locals are dropped there. A [`smol::Task`] the
//! work holds is cancelled with it, as smol cancels every dropped task; a
//! detached one keeps running unless it watches the work's
//! [`CancellationToken`].
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
//! let slow = crochet_smol::setup().wait_for(Duration::from_millis(200), move || async move {
//!     let _connection = Connection(closed);
//!     smol::Timer::after(Duration::from_secs(60)).await;
//! });
//! assert_eq!(slow, Err(Error::Timeout));
//! // The future was dropped on the reactor thread, closing its connection there.
//! let thread = closed_on.recv_timeout(Duration::from_secs(5)).unwrap();
//! assert_eq!(thread.as_deref(), Some("crochet-smol"));
//! ```
//!
//! Awaiting an [`EventualResult`] is cancel safe: dropping that future
//! loses nothing, and a later wait or `.await` gets the result.
//!
//! [`EventualResult`]: crochet_core::EventualResult
//! [`EventualResult::cancel`]: crochet_core::EventualResult::cancel
//! [`CancellationToken`]: crochet_core::CancellationToken
//!
//! [smol]: https://docs.rs/smol

#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations)]

use std::future::Future;
use std::sync::Arc;

use crochet_core::reactor::GlobalLoop;
use crochet_core::{Error, EventLoop};
use smol::Executor;

// The `Reactor` over a smol executor, owned or attached.
mod reactor;

// Blocking `Read`/`Write` over the runtime's async I/O.
pub mod io;
use reactor::{start_owned, Attached};

/// The process-wide smol loop: the one [`setup`] started, or the one
/// [`no_setup`] attached.
static GLOBAL: GlobalLoop = GlobalLoop::new();

/// The process-wide smol loop: the first call starts a smol executor on a
/// dedicated thread named `crochet-smol`; every later call returns the same
/// loop, or the loop [`no_setup`] attached if that came first.
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
/// let reactor = crochet_smol::setup();
/// assert_eq!(reactor.id(), crochet_smol::setup().id());
/// let thread = reactor.call_in_reactor(|| std::thread::current().name().map(String::from));
/// assert_eq!(thread.wait(Duration::from_secs(5)).unwrap().as_deref(), Some("crochet-smol"));
/// ```
pub fn setup() -> EventLoop {
    GLOBAL.get_or_start(start)
}

/// A new, private smol loop on a thread of its own, stopped by
/// [`EventLoop::shutdown`] or when its last handle is dropped. Stopping it
/// drops every task of its executor on its thread.
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
/// let reactor = crochet_smol::start();
/// assert_ne!(reactor.id(), crochet_smol::setup().id());
/// let slept = reactor.wait_for(Duration::from_secs(5), || async {
///     smol::Timer::after(Duration::from_millis(1)).await;
/// });
/// assert_eq!(slept, Ok(()));
/// assert!(reactor.shutdown(Duration::from_secs(5)));
/// ```
pub fn start() -> EventLoop {
    EventLoop::new(|id| start_owned(id).expect("crochet-smol: could not spawn the reactor thread"))
}

/// Makes the application's own smol executor the process-wide loop: work is
/// spawned on `executor` as detached tasks and no thread is started. Later
/// [`setup`] calls return this loop, so libraries that call `setup()` share
/// the application's executor. Shutting the loop down fails its pending
/// work but leaves the executor to the application.
///
/// The application must keep driving `executor` on threads of its own,
/// with [`run`] (`crochet_smol::run(&reactor, &executor, future)`) where it
/// would write `smol::block_on(executor.run(future))`. A blocking wait for
/// this loop's results is then refused with [`Error::WaitInReactorThread`]
/// on those threads, in every task of the executor. A thread that drives the
/// executor with `smol::block_on(executor.run(..))` itself is not
/// recognised (smol marks nothing on it): a blocking wait in a task there
/// blocks that thread, and if it is the executor's only one, the work too,
/// until the wait's timeout.
///
/// # Errors
///
/// [`Error::AlreadySetUp`] if [`setup`] or `no_setup` ran before.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
///
/// let executor = Arc::new(smol::Executor::new());
/// let (stop, stopped) = smol::channel::bounded::<()>(1);
/// let driver = executor.clone();
/// let app = std::thread::spawn(move || smol::block_on(driver.run(stopped.recv())));
///
/// let reactor = crochet_smol::no_setup(executor).unwrap();
/// assert_eq!(crochet_smol::setup().id(), reactor.id());
/// assert_eq!(reactor.wait_for(Duration::from_secs(5), || async { 7 }), Ok(7));
///
/// stop.send_blocking(()).unwrap();
/// app.join().unwrap().unwrap();
/// ```
pub fn no_setup(executor: Arc<Executor<'static>>) -> Result<EventLoop, Error> {
    GLOBAL.install(|| attach(executor))
}

/// A private loop over the application's own smol executor, as [`no_setup`]
/// makes but not process-wide: work is spawned on `executor`, no thread is
/// started, and shutting the loop down leaves the executor running. Drive
/// the executor with [`run`], as [`no_setup`] explains.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
///
/// let executor = Arc::new(smol::Executor::new());
/// let (stop, stopped) = smol::channel::bounded::<()>(1);
/// let driver = executor.clone();
/// let app = std::thread::Builder::new()
///     .name("app".into())
///     .spawn(move || smol::block_on(driver.run(stopped.recv())))
///     .unwrap();
///
/// let reactor = crochet_smol::attach(executor);
/// let thread = reactor.wait_for(Duration::from_secs(5), || async {
///     std::thread::current().name().map(String::from)
/// });
/// assert_eq!(thread.unwrap().as_deref(), Some("app"));
/// assert!(reactor.shutdown(Duration::from_secs(5)));
///
/// stop.send_blocking(()).unwrap();
/// app.join().unwrap().unwrap();
/// ```
pub fn attach(executor: Arc<Executor<'static>>) -> EventLoop {
    EventLoop::new(|_| Attached::new(&executor))
}

/// Drives `executor` on the calling thread until `future` completes, as
/// `smol::block_on(executor.run(future))` does, with the thread marked as
/// one of `reactor`'s meanwhile: a blocking wait for `reactor`'s results in
/// a task there, or in `future`, is refused with
/// [`Error::WaitInReactorThread`] instead of blocking the executor. Once
/// `run` returns, the thread may wait again. Blocking code handed to
/// `smol::unblock` runs on other threads and may wait.
///
/// Use it for the executor of a loop made by [`no_setup`] or [`attach`].
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use crochet_core::Error;
///
/// let executor = Arc::new(smol::Executor::new());
/// let reactor = crochet_smol::attach(executor.clone());
/// let on_executor = reactor.clone();
/// let refused = crochet_smol::run(&reactor, &executor, async move {
///     // A wait on the executor's thread would block the work it waits for.
///     on_executor.wait_for(Duration::from_secs(5), || async { 1 })
/// });
/// assert_eq!(refused, Err(Error::WaitInReactorThread));
/// assert!(!reactor.is_reactor_thread());
/// ```
pub fn run<T>(reactor: &EventLoop, executor: &Executor<'_>, future: impl Future<Output = T>) -> T {
    let _driving = crochet_core::reactor::enter_thread_scope(reactor.id());
    smol::block_on(executor.run(future))
}
