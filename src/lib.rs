//! Use async Rust from synchronous code.
//!
//! Crochet runs an async reactor on a thread of its own. Blocking code hands
//! it work, gets an [`EventualResult`] back at once, waits for it with a
//! timeout, and cancels the work it gave up on. It is a port of Python's
//! Crochet (which does this for Twisted) to Rust's runtimes.
//!
//! ```
//! use std::time::Duration;
//!
//! // The async layer: plain async code, unit-testable on its own.
//! async fn add(a: u32, b: u32) -> u32 {
//!     a + b
//! }
//!
//! // The public blocking API: waits with a timeout, cancels on timeout.
//! fn add_blocking(a: u32, b: u32) -> Result<u32, crochet::Error> {
//!     crochet::setup().wait_for(Duration::from_secs(1), move || add(a, b))
//! }
//!
//! assert_eq!(add_blocking(2, 3), Ok(5));
//! ```
//!
//! # Three layers
//!
//! Crochet's design advice carries over. Keep the async code (which runs
//! only on the reactor thread), the thin crochet layer that moves calls onto
//! that thread and returns [`EventualResult`]s, and the blocking API the
//! application sees, which waits with a timeout and hides crochet, apart.
//! On tokio (feature `tokio`), with a timeout that cancels the work:
//!
//! ```
//! # #[cfg(feature = "tokio")] {
//! use std::time::Duration;
//! use crochet::{Error, EventualResult};
//!
//! // 1. The async layer: plain tokio.
//! async fn lookup(key: String, latency: Duration) -> usize {
//!     tokio::time::sleep(latency).await;
//!     key.len()
//! }
//!
//! // 2. The crochet layer: only moves the call onto the reactor thread.
//! fn lookup_in_reactor(key: &str, latency: Duration) -> EventualResult<usize> {
//!     let key = key.to_owned();
//!     crochet::tokio::setup().run_in_reactor(move || lookup(key, latency))
//! }
//!
//! // 3. The blocking API: on timeout, cancel the lookup (its future is
//! //    dropped on the reactor thread) and say so; a result that arrives
//! //    between the timeout and the cancel is returned, not lost.
//! pub fn lookup_blocking(key: &str, latency: Duration) -> Result<usize, Error> {
//!     lookup_in_reactor(key, latency).wait_or_cancel(Duration::from_millis(200))
//! }
//!
//! assert_eq!(lookup_blocking("crochet", Duration::from_millis(1)), Ok(7));
//! assert_eq!(lookup_blocking("crochet", Duration::from_secs(60)), Err(Error::Timeout));
//! # }
//! ```
//!
//! [`EventLoop::wait_for`] does layers 2 and 3 in one call, and the
//! attribute macros (feature `macros`) turn an `async fn` into either.
//!
//! # Features and runtimes
//!
//! Every feature adds a module or items; none changes what another does, and
//! any combination works.
//!
//! | feature | adds | the work runs on |
//! |---|---|---|
//! | none | everything else in this crate; [`setup`] and [`start`] | the built-in reactor: one std thread driving runtime-independent futures, channels and closures (no I/O, no timers) |
//! | `tokio` | the module `tokio`: `setup`, `start`, `no_setup`, `attach`, `Builder` | a tokio runtime (current-thread, multi-thread, or the application's own) |
//! | `smol` | the module `smol`: `setup`, `start`, `no_setup`, `attach`, `run` | a smol executor (crochet's own, or the application's) |
//! | `async-std` | the module `async_std`: `setup`, `start` | async-std (discontinued upstream; supported for the programs that still use it) |
//! | `macros` | the attributes `wait_for` and `run_in_reactor` | the loop they name, or [`default_loop`] |
//! | `stream` | the module `stream`: `futures_core::Stream` for an [`EventualStream`] (`Items`), and any `Stream` as an [`EventualStream`] (`EventLoopExt::stream_from`) | the loop it is given |
//! | `tracing` | the module `tracing`: `install()`, so that work runs in the span it was submitted in and reports are events | any |
//! | `log` | the module `log`: `install()`, so that reports are log records | any |
//!
//! Each runtime's `setup()` returns an [`EventLoop`], the same type with the
//! same methods and guarantees for every runtime, so switching runtime
//! changes the feature and the `setup()` line only.
//!
//! # What is where
//!
//! - Submitting work: [`EventLoop`] (`run_in_reactor`,
//!   `run_in_reactor_with_token`, `call_in_reactor`, `wait_for`, `shutdown`,
//!   `shutdown_guard`).
//! - Its result: [`EventualResult`] (`wait`, `wait_deadline`, `try_wait`,
//!   `cancel`, `stash`, `original_failure`, and `.await`).
//! - Results that come as a sequence: [`EventLoop::stream`], which runs a
//!   producer that sends with a [`StreamSender`], and the consumer's
//!   [`EventualStream`] (`next_timeout`, `next_deadline`, `try_next`,
//!   `iter_timeout`, `cancel`, `next().await`, and `into_reader` for byte
//!   chunks, a blocking [`StreamReader`]).
//! - Errors: [`Error`], [`Failure`] (a caught panic), and [`WorkError`] with
//!   [`ResultExt::flatten_work`] for work that returns a `Result`.
//! - Cancellation the work can watch: [`CancellationToken`].
//! - Results kept across web requests: [`EventualResult::stash`],
//!   [`retrieve_result`], [`StashId`].
//! - Failures nobody looked at: [`set_unhandled_error_hook`].
//! - Observing the loop: [`EventLoop::stats`] ([`LoopStats`]), stall
//!   reports ([`Stall`], [`set_stall_hook`],
//!   [`EventLoop::set_stall_threshold`], and [`Error::TimeoutBlocked`] when
//!   a wait times out during one), and the context hook
//!   ([`set_context_hook`], [`WorkContext`]), which the features `tracing`
//!   and `log` plug into with their `install()`.
//! - A loop's opaque identity: [`LoopId`].
//! - For adapter authors, and nobody else: the [`reactor`] module
//!   ([`reactor::Reactor`], [`reactor::Task`], [`reactor::ReactorThread`],
//!   [`reactor::OwnedReactor`], [`reactor::GlobalLoop`],
//!   [`reactor::block_on`] and the thread marks).
//!
//! # Errors
//!
//! Crochet's own failures are the variants of one [`Error`]: a timeout, a
//! cancellation, a panic of the work, a stopped reactor, a blocking wait on
//! the reactor thread, and the stash's errors. The work's own errors stay in
//! its output: work returning `Result<T, E>` gives
//! `Result<Result<T, E>, Error>`, which [`ResultExt::flatten_work`] turns
//! into `Result<T, WorkError<E>>` for `?`.
//!
//! # Panics
//!
//! A panic in the work is caught on the reactor thread, which keeps serving
//! other work; waiters get [`Error::Panicked`] with the message and the
//! place the work was submitted from. The `setup()` and `start()` functions
//! panic only if the operating system cannot start the reactor thread.
//!
//! # Cancel safety
//!
//! Cancelling work ([`EventualResult::cancel`], or a [`EventLoop::wait_for`]
//! that timed out) drops its future on the reactor thread at its next poll,
//! as dropping any future does: whatever the future had not finished is
//! abandoned at its last `.await`. Work that leaves something running
//! elsewhere (a spawned task, a pooled connection) can watch its
//! [`CancellationToken`] to clean up. Awaiting an [`EventualResult`] is
//! itself cancel safe: dropping that future (as `select!` does) loses
//! nothing, and a later wait gets the result.

#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use crochet_core::{
    default_loop, reset_context_hook, reset_stall_hook, reset_unhandled_error_hook,
    retrieve_result, set_context_hook, set_default_stall_report,
    set_default_unhandled_error_report, set_stall_hook, set_stash_capacity, set_stash_time_to_live,
    set_unhandled_error_hook, setup, start, BlockingIo, Bound, BoundMut, BoundRef,
    CancellationToken, Error, EventLoop, EventualResult, EventualStream, Failure, LoopId,
    LoopStats, ResultExt, ShutdownGuard, Stall, StashFull, StashId, StreamReader, StreamSender,
    WaitForCancellation, WaitStrategy, WorkContext, WorkError,
};

// Observing crochet through `tracing` (feature `tracing`) or `log` (feature
// `log`): `install()` plugs it in.
#[cfg(feature = "tracing")]
#[cfg_attr(docsrs, doc(cfg(feature = "tracing")))]
pub mod tracing;

#[cfg(feature = "log")]
#[cfg_attr(docsrs, doc(cfg(feature = "log")))]
pub mod log;

/// The adapter API: what a crate needs to run crochet's work on a runtime
/// (see [`crochet_core::reactor`]).
///
/// # Examples
///
/// ```
/// assert_eq!(crochet::reactor::block_on(async { 2 + 2 }), 4);
/// ```
pub mod reactor {
    pub use crochet_core::reactor::*;
}

/// Crochet over tokio: `setup`, `start`, `no_setup`, `attach` and
/// `Builder`.
///
/// Needs the feature `tokio`.
#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub use crochet_tokio as tokio;

/// Crochet over smol: `setup`, `start`, `no_setup`, `attach` and `run`.
///
/// Needs the feature `smol`.
#[cfg(feature = "smol")]
#[cfg_attr(docsrs, doc(cfg(feature = "smol")))]
pub use crochet_smol as smol;

/// Crochet over async-std, discontinued upstream: `setup` and `start`.
///
/// Needs the feature `async-std`.
#[cfg(feature = "async-std")]
#[cfg_attr(docsrs, doc(cfg(feature = "async-std")))]
pub use crochet_asyncstd as async_std;

/// Streams of results as `futures_core::Stream`s, both ways: [`Items`](stream::Items)
/// awaits an [`EventualStream`] as a `Stream`, and
/// [`EventLoopExt::stream_from`](stream::EventLoopExt::stream_from) runs
/// any `Stream` on the reactor as an [`EventualStream`].
///
/// Needs the feature `stream`.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use crochet::stream::{EventLoopExt, Items};
///
/// let reactor = crochet::setup();
/// let mut counted = reactor.stream_from(4, || futures_core_iter(1..=3));
/// assert_eq!(counted.next_timeout(Duration::from_secs(5)), Ok(Some(1)));
/// let rest: Vec<_> = crochet::reactor::block_on(collect(Items::new(counted)));
/// assert_eq!(rest, [Ok(2), Ok(3)]);
///
/// # use std::pin::Pin;
/// # use std::task::{Context, Poll};
/// # struct Iter<I>(I);
/// # impl<I: Iterator + Unpin> futures_core::Stream for Iter<I> {
/// #     type Item = I::Item;
/// #     fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<I::Item>> {
/// #         Poll::Ready(self.0.next())
/// #     }
/// # }
/// # fn futures_core_iter<I: Iterator + Unpin>(iter: I) -> Iter<I> { Iter(iter) }
/// # async fn collect<S: futures_core::Stream + Unpin>(mut stream: S) -> Vec<S::Item> {
/// #     let mut items = Vec::new();
/// #     while let Some(item) = std::future::poll_fn(|cx| Pin::new(&mut stream).poll_next(cx)).await {
/// #         items.push(item);
/// #     }
/// #     items
/// # }
/// ```
#[cfg(feature = "stream")]
#[cfg_attr(docsrs, doc(cfg(feature = "stream")))]
pub mod stream {
    use std::future::poll_fn;
    use std::pin::{pin, Pin};
    use std::task::{Context, Poll};

    use crate::{Error, EventLoop, EventualStream};

    /// An [`EventualStream`] as a `futures_core::Stream` of
    /// `Result<T, Error>`, which ends after the last item or after the
    /// first error, which it yields.
    ///
    /// # Examples
    ///
    /// See [the module](self).
    #[derive(Debug)]
    pub struct Items<T> {
        stream: EventualStream<T>,
        done: bool,
    }

    impl<T> Items<T> {
        /// `stream` as a `futures_core::Stream`.
        ///
        /// # Examples
        ///
        /// See [the module](self).
        pub fn new(stream: EventualStream<T>) -> Items<T> {
            Items {
                stream,
                done: false,
            }
        }

        /// The [`EventualStream`] back.
        ///
        /// # Examples
        ///
        /// ```
        /// let reactor = crochet::setup();
        /// let items = crochet::stream::Items::new(reactor.stream(1, |sender| async move {
        ///     let _ = sender.send(1).await;
        /// }));
        /// let mut stream = items.into_inner();
        /// assert_eq!(stream.next_timeout(std::time::Duration::from_secs(5)), Ok(Some(1)));
        /// ```
        pub fn into_inner(self) -> EventualStream<T> {
            self.stream
        }
    }

    impl<T> From<EventualStream<T>> for Items<T> {
        fn from(stream: EventualStream<T>) -> Items<T> {
            Items::new(stream)
        }
    }

    impl<T> futures_core::Stream for Items<T> {
        type Item = Result<T, Error>;

        /// # Cancel safety
        ///
        /// An item is taken only when it is returned.
        fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
            let this = self.get_mut();
            if this.done {
                return Poll::Ready(None);
            }
            match this.stream.poll_next(cx) {
                Poll::Pending => Poll::Pending,
                Poll::Ready(Ok(Some(item))) => Poll::Ready(Some(Ok(item))),
                Poll::Ready(Ok(None)) => {
                    this.done = true;
                    Poll::Ready(None)
                }
                Poll::Ready(Err(err)) => {
                    this.done = true;
                    Poll::Ready(Some(Err(err)))
                }
            }
        }
    }

    impl<T> futures_core::FusedStream for Items<T> {
        fn is_terminated(&self) -> bool {
            self.done
        }
    }

    /// Runs any `futures_core::Stream` on a loop's reactor as an
    /// [`EventualStream`].
    ///
    /// # Examples
    ///
    /// See [the module](self).
    pub trait EventLoopExt {
        /// Runs `make` on the reactor thread and sends the items of the
        /// stream it returns, `capacity` of them (at least one) waiting
        /// unread at most, as [`EventLoop::stream`] does; the stream is
        /// dropped on the reactor thread when it ends or the
        /// [`EventualStream`] is cancelled or dropped.
        ///
        /// # Examples
        ///
        /// See [the module](self).
        fn stream_from<S, F>(&self, capacity: usize, make: F) -> EventualStream<S::Item>
        where
            F: FnOnce() -> S + Send + 'static,
            S: futures_core::Stream + Send + 'static,
            S::Item: Send + 'static;
    }

    impl EventLoopExt for EventLoop {
        #[track_caller]
        fn stream_from<S, F>(&self, capacity: usize, make: F) -> EventualStream<S::Item>
        where
            F: FnOnce() -> S + Send + 'static,
            S: futures_core::Stream + Send + 'static,
            S::Item: Send + 'static,
        {
            self.stream(capacity, move |sender| async move {
                let mut source = pin!(make());
                while let Some(item) = poll_fn(|cx| source.as_mut().poll_next(cx)).await {
                    if sender.send(item).await.is_err() {
                        return;
                    }
                }
            })
        }
    }
}

// The attribute macros (feature `macros`); their docs come with them.
#[cfg(feature = "macros")]
#[cfg_attr(docsrs, doc(cfg(feature = "macros")))]
pub use crochet_macros::{run_in_reactor, wait_for};

// The README's examples are tested as doc-tests; its quick start uses
// tokio.
#[cfg(all(doctest, feature = "tokio"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
